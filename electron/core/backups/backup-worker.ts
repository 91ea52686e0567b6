/**
 * Entry of the backup worker thread (built to `backup-worker.mjs` beside each host bundle). It
 * runs one backup's archiveFolder (scan, database copies, archive) or one extractArchive, posts
 * progress, then the result or the error. See in-worker.ts for why that work runs here.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { toErrorShape, UpkeepError } from '../../../shared/errors';
import { extractArchive, type ExtractOptions } from '../archive';
import { archiveFolder } from './folder-archive';
import type { WorkerReply, WorkerRequest } from './in-worker';

const PROGRESS_MS = 50;

/**
 * A collection of this thread's young garbage, where V8 allows it to be asked for (see
 * ExtractOptions.reclaim); undefined where it does not.
 */
function youngGc(): (() => void) | undefined {
  const own = (globalThis as { gc?: (options?: { type: 'minor' | 'major' }) => void }).gc;
  if (typeof own === 'function') return () => own({ type: 'minor' }); // started with --expose-gc
  // Flags are the process's: only where V8's flags are known not to be frozen after start (plain
  // Node unfreezes them for v8.setFlagsFromString). Embedders that freeze them abort the process
  // on a late flag, so in Electron the worker does without (a little more memory).
  if (process.versions.electron) return undefined;
  try {
    // The flag is the process's: on only while the one context that keeps `gc` is made.
    v8.setFlagsFromString('--expose-gc');
    let gc: ((options?: { type: 'minor' | 'major' }) => void) | undefined;
    try {
      gc = vm.runInNewContext('gc') as typeof gc;
    } finally {
      v8.setFlagsFromString('--no-expose-gc');
    }
    if (typeof gc !== 'function') return undefined;
    return () => gc({ type: 'minor' });
  } catch {
    return undefined;
  }
}
const reclaim = youngGc();

function errorReply(error: unknown): WorkerReply {
  if (error instanceof UpkeepError) return { kind: 'error', upkeep: toErrorShape(error) };
  const e = error as NodeJS.ErrnoException;
  return { kind: 'error', message: e?.message ?? String(error), ...(typeof e?.code === 'string' ? { code: e.code } : {}) };
}

parentPort?.on('message', (request: WorkerRequest) => {
  // Progress goes out at most every 50 ms (a message per file cost more than the file's tar header).
  let last = 0;
  let lastPhase: unknown;
  const progress = (p: unknown) => {
    const now = Date.now();
    // A new phase always goes out (the panel shows it); counts within one at most every 50 ms.
    const phase = (p as { phase?: unknown }).phase;
    if (now - last < PROGRESS_MS && phase === lastPhase) return;
    last = now;
    lastPhase = phase;
    parentPort?.postMessage({ kind: 'progress', progress: p } satisfies WorkerReply);
  };
  const run: Promise<unknown> =
    request.op === 'folder'
      ? archiveFolder(request.request, { blocking: true, ...(reclaim ? { reclaim } : {}), onProgress: progress })
      : extractArchive({ ...(request.options as ExtractOptions), syncWrites: true, ...(reclaim ? { reclaim } : {}), onProgress: progress });
  run.then(
    (result) => parentPort?.postMessage({ kind: 'result', result } satisfies WorkerReply),
    (error: unknown) => parentPort?.postMessage(errorReply(error)),
  );
});

// Loaded: from here on a failure is the job's, not the worker's start (see in-worker.ts).
parentPort?.postMessage({ kind: 'ready' } satisfies WorkerReply);
