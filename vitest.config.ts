import { defaultServerConditions } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';
import { SummaryReporter } from './test-support/SummaryReporter.js';

// Workspace packages resolve to each other's TypeScript sources in tests, so no build is needed.
const conditions = ['@palaver/source', ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    reporters: ['default', new SummaryReporter()],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'packages/*/test/**/*Load.test.ts'],
          globalSetup: ['packages/server/test/support/postgresGlobalSetup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        extends: true,
        test: {
          // Load tests hold real-time media for many calls at once: alone, so that no other
          // suite takes the cores they measure.
          name: 'load',
          include: ['packages/*/test/**/*Load.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        extends: true,
        test: {
          // Real Chromium against a real Palaver and Janus: one file at a time on small machines
          // (a single fork is the per-project form of fileParallelism: false).
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 60_000,
          // One file at a time (scripts/test.sh passes --maxWorkers=1), each in a fresh process:
          // browsers, Janus and the bridge's worker threads of one file must not share a process
          // with the next file's real-time measurements.
          pool: 'forks',
          poolOptions: { forks: { singleFork: false, isolate: true } },
        },
      },
    ],
  },
});
