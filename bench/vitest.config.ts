import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Benchmarks that drive real browsers reuse the end-to-end harness (TypeScript), so they run
// through vitest; they print figures and assert nothing about speed.
const conditions = ['@palaver/source', ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['bench/**/*.bench.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
  },
});
