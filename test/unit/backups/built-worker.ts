import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll } from 'vitest';
import { setBackupWorkerScript } from '../../../electron/core/backups/in-worker';

/**
 * The hosts run backups through the worker thread built beside their bundle; tests run the
 * TypeScript sources, where there is none. A suite that calls this builds the worker, as
 * scripts/build.mjs builds it beside the CLI (the packages it leaves out, the zstd WebAssembly
 * module among them, resolve from node_modules), and runs every backup through it.
 */
export function useBuiltBackupWorker(): void {
  const cache = path.resolve(__dirname, '../../../node_modules/.cache');
  let built = '';
  beforeAll(async () => {
    mkdirSync(cache, { recursive: true });
    built = mkdtempSync(path.join(cache, 'upkeep-backup-worker-'));
    const out = path.join(built, 'backup-worker.mjs');
    await build({
      entryPoints: [path.resolve(__dirname, '../../../electron/core/backups/backup-worker.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: out,
      packages: 'external',
      logLevel: 'error',
    });
    setBackupWorkerScript(out);
  });
  afterAll(() => {
    setBackupWorkerScript(undefined);
    rmSync(built, { recursive: true, force: true });
  });
}
