// Lint gate (`npm run lint`, part of `npm run check` and `.ci/run`).
//
// TypeScript files are linted with type information: each file is checked against the tsconfig that owns it
// (the root tsconfig.json for the node code, website/tsconfig.json for the site), found by typescript-eslint's
// project service. The promise rules are the point: a promise nobody awaits loses its error (and, in the payer or
// the share recorder, possibly money), so `no-floating-promises` and `no-misused-promises` are errors. Where a
// promise is deliberately left running, write `void promise` with a comment saying why, or attach a `.catch` that
// logs `{ err }`.
//
// Plain JavaScript (bin/*.mjs, website/public/*.js, this file) gets the untyped rules only.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'build/**',
      'infra/cdk.out/**',
      'website/dist/**',
      'test-artifacts/**',
      '.data/**',
      'logs/**',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: {
          // Config files outside both tsconfigs' include lists.
          allowDefaultProject: ['website/vite.config.ts'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'none',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['website/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['website/public/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser } },
  },
  {
    files: ['**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    rules: {
      'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-unused-vars': 'off',
    },
  },
);
