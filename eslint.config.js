// Lint: the recommended JavaScript and typescript-eslint rules over the code we write (src, test, bench, scripts).
// Type-aware rules are left out: they need a full program per file and would double the time of `npm run lint`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/out/', '.voc-test/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_`-prefixed names are the way this code says "deliberately unused" (callback arity, destructuring away).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // terminal text is untrusted: the code strips escape and control characters on purpose, by regex
      'no-control-regex': 'off',
    },
  },
);
