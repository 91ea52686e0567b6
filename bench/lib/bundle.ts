import path from 'node:path';
import { build } from 'esbuild';

const BANNER =
  "import { createRequire as __upkeepRequire } from 'node:module'; const require = __upkeepRequire(import.meta.url);";

/**
 * Bundle a bench's worker as scripts/build.mjs bundles the CLI — one esbuild file on plain Node,
 * packages left out (they resolve from node_modules: the zstd WebAssembly module among them) —
 * with the backup worker thread beside it, where the product finds it. A bench that ran the
 * TypeScript sources instead would measure backups and restores on the host's own thread (the
 * fallback), not as Upkeep runs them. Returns the bundle's path.
 */
export async function bundleBenchWorker(repo: string, entry: string, outDir: string): Promise<string> {
  const common = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
    banner: { js: BANNER },
  } as const;
  const bundle = path.join(outDir, 'worker.mjs');
  await build({ ...common, entryPoints: [entry], outfile: bundle });
  await build({
    ...common,
    entryPoints: [path.join(repo, 'electron', 'core', 'backups', 'backup-worker.ts')],
    outfile: path.join(outDir, 'backup-worker.mjs'),
  });
  return bundle;
}
