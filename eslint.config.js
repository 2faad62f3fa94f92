// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'models/**', 'coverage/**', '.data/**', '.codeidx*/**', 'bench/.work/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Core is pure domain: no SDKs, no adapters, no process.env.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/adapters/**', '**/cli/**', '**/action/**', '**/app/**', '**/search-api/**'], message: 'core must not import adapters or entry points' },
            { group: ['@actions/*', 'probot', 'hono', '@hono/*', '@qdrant/*', 'onnxruntime-node', 'web-tree-sitter', 'better-sqlite3', 'sqlite-vec', 'isomorphic-git', '@huggingface/*', 'node:fs', 'node:fs/promises', 'fs', 'node:child_process'], message: 'core imports no SDK or I/O: put it in an adapter' },
          ],
        },
      ],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'core never reads process.env: parse config at the edge' }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'src/cli/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
