// Builds what the hosts run: the CLI/headless bundle, the Electron main and preload, and the renderer.
// esbuild for the Node side (our code bundled, packages left external), Vite for the renderer.
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const only = process.argv[2];
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: root,
};

const tasks = {
  cli: () =>
    build({
      ...common,
      entryPoints: ['electron/cli/index.ts'],
      outfile: 'dist/cli.mjs',
      format: 'esm',
      packages: 'external',
    }),
  main: () =>
    build({
      ...common,
      entryPoints: ['electron/main/index.ts'],
      outfile: 'dist/electron/main.mjs',
      format: 'esm',
      packages: 'external',
      external: ['electron'],
    }),
  // The backup worker thread (electron/core/backups/in-worker.ts), beside each bundle that uses it.
  'backup-worker': () =>
    Promise.all(
      ['dist/backup-worker.mjs', 'dist/electron/backup-worker.mjs'].map((outfile) =>
        build({
          ...common,
          entryPoints: ['electron/core/backups/backup-worker.ts'],
          outfile,
          format: 'esm',
          packages: 'external',
        }),
      ),
    ),
  // Tray icons for the desktop app, from build/icons.
  icons: async () => {
    const { mkdir, copyFile } = await import('node:fs/promises');
    await mkdir(path.join(root, 'dist', 'electron'), { recursive: true });
    await copyFile(path.join(root, 'build', 'icons', '16x16.png'), path.join(root, 'dist', 'electron', 'tray-16.png'));
    await copyFile(path.join(root, 'build', 'icons', '32x32.png'), path.join(root, 'dist', 'electron', 'tray-32.png'));
  },
  // A sandboxed preload is CommonJS and may only require 'electron'. It needs only the contract's
  // method and event names: they are read from the contract here and inlined, so the preload does
  // not carry the schemas (zod) into every window.
  preload: async () => {
    const names = await contractNames();
    return build({
      ...common,
      entryPoints: ['electron/preload/index.ts'],
      outfile: 'dist/electron/preload.cjs',
      format: 'cjs',
      external: ['electron'],
      define: {
        __UPKEEP_METHOD_NAMES__: JSON.stringify(names.methods),
        __UPKEEP_EVENT_NAMES__: JSON.stringify(names.events),
      },
    });
  },
  renderer: () => viteBuild({ configFile: path.join(root, 'renderer/vite.config.ts'), logLevel: 'warn' }),
};

async function contractNames() {
  const bundled = await build({
    ...common,
    entryPoints: ['shared/contract/index.ts'],
    write: false,
    format: 'esm',
    sourcemap: false,
    outfile: 'contract.mjs',
  });
  const code = bundled.outputFiles[0].text;
  const contract = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
  return { methods: contract.METHOD_NAMES, events: contract.EVENT_NAMES };
}

const selected = only ? [only] : Object.keys(tasks);
const started = Date.now();
await Promise.all(
  selected.map((name) => {
    if (!tasks[name]) throw new Error(`unknown build target ${name}`);
    return tasks[name]();
  }),
);
console.log(`built ${selected.join(', ')} in ${Date.now() - started} ms`);
