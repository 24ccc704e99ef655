// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const RESTRICTED = [
  {
    selector: "Property[key.name='synchronize'][value.value=true]",
    message: 'Migrations only.',
  },
  {
    selector:
      "CallExpression[callee.object.name=/^(it|describe|test)$/][callee.property.name='only']",
    message: 'No focused tests.',
  },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.data/', 'test-results/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/no-floating-promises': 'off',
      'no-restricted-syntax': ['error', ...RESTRICTED],
    },
  },
  {
    files: ['web/src/**/*.{ts,tsx}'],
    ignores: ['web/src/api/refresh.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...RESTRICTED,
        {
          // Its default cancels a read under way: the page a "Load more" asked for was lost.
          selector: "CallExpression[callee.property.name='invalidateQueries']",
          message: 'Use refresh() from web/src/api/refresh.ts: it lets a read under way land.',
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
