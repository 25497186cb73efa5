// Type-aware linting for every package (typescript-eslint's recommended type-checked rules).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.turbo/**',
      'examples/embed/.work/**',
      // README blocks written out by examples/readme-blocks' test (removed after it)
      'examples/readme-blocks/.blocks*/**',
      // A user's project outside the workspace: run.mjs copies it into a temp folder, installs the
      // packed packages and tfjs there and type-checks it with strict tsc. Here its imports
      // (@tensorflow/tfjs-core, …) do not resolve and main.cjs must use require().
      'examples/embed/consumer/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Plain JavaScript here is Node scripts (examples/embed/run.mjs, build scripts).
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
