// Lint the hand-written TypeScript strictly and the JS tests/benchmarks for plain mistakes.
// Generated files (the napi loader index.js/index.d.ts, dist/) are never linted or edited.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

export default tseslint.config(
  { ignores: ['dist/**', 'index.js', 'index.d.ts', 'npm/**', 'target/**', 'node_modules/**'] },
  js.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/types/**/*.ts'],
    extends: [tseslint.configs.recommended],
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_' }] },
  },
  {
    files: ['**/*.js', 'scripts/**/*.js', 'examples/**/*.js', 'benchmark/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
  },
)
