// Lint rules that keep the house's layers apart (ARCHITECTURE.md §1). The tsconfig projects stop
// relative imports across layers; these rules stop package imports the compiler would allow.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'child_process',
  'crypto',
  'http',
  'https',
  'net',
  'url',
  'stream',
  'zlib',
  'util',
];
const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', '.tsbuild/**', 'node_modules/**', 'docs/**', 'bench/results/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: restrict(
      [...nodeBuiltins, 'electron', 'electron/*', 'react', 'react-dom', 'zustand', 'undici', 'conf', 'electron-store'],
      'shared/ is pure TypeScript: no Node, Electron, React or I/O libraries.',
    ),
  },
  {
    files: ['electron/core/**/*.ts'],
    rules: restrict(
      [
        'electron',
        'electron/*',
        'electron-store',
        'react',
        'react-dom',
        'zustand',
        '**/main/**',
        '**/preload/**',
        '**/http/**',
        '**/cli/**',
      ],
      'electron/core is plain Node: never Electron, React or a host.',
    ),
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...nodeBuiltins, 'electron', 'electron/*', '**/electron/**', 'conf', 'undici', 'tar'],
              message: 'The renderer talks only to the contract; never to electron/* or Node.',
            },
            // The panel reads check types and methods from the zod-free descriptor table (shared/descriptors);
            // schema values would bundle zod. Types from the schemas are fine.
            {
              group: ['zod', '**/shared/schemas/*'],
              allowTypeImports: true,
              message:
                'The renderer imports no zod schema: read shared/descriptors (plain data) instead; type imports are fine.',
            },
          ],
        },
      ],
    },
  },
  {
    // ipcMain/ipcRenderer only in the IPC wiring and the preload (as GitHub Desktop does).
    files: ['electron/**/*.ts'],
    ignores: ['electron/main/ipc.ts', 'electron/preload/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportSpecifier[imported.name='ipcMain']",
          message: 'Use electron/main/ipc.ts; it checks senders and validates requests.',
        },
        { selector: "ImportSpecifier[imported.name='ipcRenderer']", message: 'Only the preload talks to ipcRenderer.' },
      ],
    },
  },
);
