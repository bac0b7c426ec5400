// ESLint flat config: typescript-eslint's strict and stylistic type-checked rules over every
// TypeScript file the three tsconfig projects compile (library, tests, benchmarks).
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', '.test-build/', 'build/', 'node_modules/', 'benchmarks/results/'] },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Numbers and bigints are the domain here (offsets, ids, sizes): template literals of them read well.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allow: [{ from: 'lib', name: 'bigint' }] },
      ],
      // With noUncheckedIndexedAccess, `!` marks an index the code has already bounds-checked (record
      // walkers, decoders, slot tables); hot decode loops must not pay for a second check.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // node:test runs every test() it is given; the promise it returns is the runner's to await.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
