import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/coverage/**',
      '.palaver/**',
      'test-output/**',
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        project: ['./packages/*/tsconfig.json', './apps/*/tsconfig.json', './tsconfig.test.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      curly: ['error', 'all'],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
      ],
    },
  },
  {
    // The domain and the store never reach for HTTP or WebSocket code.
    files: [
      'packages/server/src/rooms/**',
      'packages/server/src/store/**',
      'packages/server/src/tokens/**',
      'packages/server/src/telephony/*.ts',
      'packages/server/src/webhooks/**',
      'packages/server/src/recording/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fastify', '@fastify/*', 'ws', 'node:http', 'node:https', '**/api/**'],
              message: 'Domain code does not import HTTP or WebSocket code.',
            },
          ],
        },
      ],
    },
  },
  {
    // The demo page runs in browsers.
    files: ['apps/demo/src/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.mjs', 'bench/**'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: [
      '**/*.test.ts',
      '**/test/**',
      'bench/**',
      'scripts/**',
      'eslint.config.mjs',
      'vitest.config.ts',
      '**/postgresGlobalSetup.ts',
    ],
    // Tests read JSON bodies of unknown shape and assert on them; typing every body adds nothing.
    rules: {
      'no-console': 'off',
      'no-restricted-syntax': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
