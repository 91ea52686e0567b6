/**
 * Backup create and restore run their folder scan and archive work in a worker thread whose
 * young generation is capped. Streaming 300 MB through JS allocates quickly, and V8 then grows the new space of the
 * thread doing it to 3 × 16 MB and keeps it: that, not the archive buffers, was most of a
 * backup's peak memory. In the worker the new space stays at a few MB (a few more scavenges,
 * little CPU), and the host's own event loop (the desktop app's main process) stays free.
 *
 * The worker is `backup-worker.mjs` beside the running bundle (scripts/build.mjs builds it next
 * to the CLI and the Electron main). Where there is none (tests run the TypeScript sources) or
 * it cannot start, the same functions run in this thread: same results, more memory.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fromErrorShape, type ErrorShape } from '../../../shared/errors';
import {
  createTarArchive,
  extractArchive,
  type CreateArchiveOptions,
  type CreateArchiveProgress,
  type CreateArchiveResult,
  type ExtractOptions,
  type ExtractProgress,
  type ExtractResult,
} from '../archive';
import { selectEntries, type Selection, type SelectOptions } from './select';

export type WorkerRequest =
  | { op: 'select'; root: string; options: SelectOptions }
  | { op: 'create'; options: Omit<CreateArchiveOptions, 'onProgress' | 'signal'> } | { op: 'extract'; options: Omit<ExtractOptions, 'onProgress' | 'signal'> };
export type WorkerReply =
  | { kind: 'ready' }
  | { kind: 'progress'; progress: unknown }
  | { kind: 'result'; result: unknown }
  | { kind: 'error'; upkeep: ErrorShape }
  | { kind: 'error'; message: string; code?: string };

/** The worker's young generation, MB: enough for the archive loop, far below V8's default 48. */
const YOUNG_GENERATION_MB = 4;

let override: string | null | undefined;
/** Point at a built worker script (tests), or `null` to always run in this thread. */
export function setBackupWorkerScript(script: string | null | undefined): void {
  override = script;
}

function workerScript(): string | null {
  if (override !== undefined) return override;
  if (process.env.UPKEEP_BACKUP_WORKER === '0') return null;
  try {
    const script = fileURLToPath(new URL('./backup-worker.mjs', import.meta.url));
    return existsSync(script) ? script : null;
  } catch {
    return null;
  }
}

class WorkerStartError extends Error {}

const runs = { worker: 0, fallback: 0 };
/** How many jobs ran in the worker, and how many fell back to this thread because it could not start. */
export function backupWorkerRuns(): { worker: number; fallback: number } {
  return { ...runs };
}

function runInWorker<T>(script: string, request: WorkerRequest, onProgress: ((p: unknown) => void) | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let answered = false;
    let started = false;
    const worker = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    const done = (fn: () => void) => {
      if (answered) return;
      answered = true;
      fn();
      void worker.terminate();
    };
    worker.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'ready') {
        // Its modules loaded (a packaged app whose worker cannot load them falls back before this).
        started = true;
        return;
      }
      if (reply.kind === 'progress') {
        onProgress?.(reply.progress);
        return;
      }
      if (reply.kind === 'result') done(() => resolve(reply.result as T));
      else if ('upkeep' in reply) done(() => reject(fromErrorShape(reply.upkeep)));
      else done(() => reject(Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {})));
    });
    worker.on('error', (error) => done(() => reject(started ? error : new WorkerStartError(error.message))));
    worker.on('exit', (code) => done(() => reject(started ? new Error(`The backup worker stopped (exit code ${code}).`) : new WorkerStartError(`exit ${code}`))));
    worker.postMessage(request);
  });
}

async function run<T, P>(request: WorkerRequest, inThread: () => Promise<T>, onProgress: ((p: P) => void) | undefined, signal: AbortSignal | undefined): Promise<T> {
  const script = signal ? null : workerScript();
  if (!script) return inThread();
  try {
    const result = await runInWorker<T>(script, request, onProgress as ((p: unknown) => void) | undefined);
    runs.worker++;
    return result;
  } catch (error) {
    if (error instanceof WorkerStartError) {
      runs.fallback++;
      return inThread();
    }
    runs.worker++;
    throw error;
  }
}

/** selectEntries in the backup worker (in this thread when there is none). */
export function selectEntriesIsolated(root: string, options: SelectOptions): Promise<Selection> {
  return run<Selection, never>({ op: 'select', root, options }, () => selectEntries(root, options), undefined, undefined);
}

/** createTarArchive in the backup worker (in this thread when there is none, or with a signal). */
export function createTarArchiveIsolated(options: CreateArchiveOptions): Promise<CreateArchiveResult> {
  const { onProgress, signal, ...rest } = options;
  return run<CreateArchiveResult, CreateArchiveProgress>({ op: 'create', options: rest }, () => createTarArchive(options), onProgress, signal);
}

/** extractArchive in the backup worker (in this thread when there is none, or with a signal). */
export function extractArchiveIsolated(options: ExtractOptions): Promise<ExtractResult> {
  const { onProgress, signal, ...rest } = options;
  return run<ExtractResult, ExtractProgress>({ op: 'extract', options: rest }, () => extractArchive(options), onProgress, signal);
}
