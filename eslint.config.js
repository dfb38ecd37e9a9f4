import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.cache/**', 'test-results/**', 'playwright-report/**', 'bench/.work/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The core must run in plain Node (tests, the headless host, worker threads): no Electron.
    files: ['electron/core/**/*.{ts,tsx,js,mjs}', 'shared/**/*.{ts,tsx}', 'electron/server/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'electron/core, electron/server and shared/ must not import electron: they run in plain Node.' }],
          patterns: [{ group: ['electron/*'], message: 'electron/core, electron/server and shared/ must not import electron.' }],
        },
      ],
    },
  },
);
