// Type-aware linting: a floating promise in a delivery path is how records get lost,
// so the promise rules are errors, not warnings.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import noImportCycle from './tools/eslint/no-import-cycle.js';

export default tseslint.config(
  { ignores: ['node_modules/**', 'tools/dev-broker/build/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // One module per decision only stays true while the modules form a tree: an import cycle
    // (type-only ones included) means two of them know about each other.
    files: ['src/**/*.ts'],
    plugins: { project: { rules: { 'no-import-cycle': noImportCycle } } },
    rules: { 'project/no-import-cycle': 'error' },
  },
  {
    // vitest reads a fixture's dependencies from the destructuring pattern of its first
    // parameter, so a fixture that needs none must still write `{}`.
    files: ['test/**/*.ts'],
    rules: { 'no-empty-pattern': 'off' },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
