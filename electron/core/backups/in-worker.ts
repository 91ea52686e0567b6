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
import path from 'node:path';
import { fromErrorShape, UpkeepError, type ErrorShape } from '../../../shared/errors';
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
import { sha256File } from '../lib/hash';
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
/** A worker kept for reuse was gone (its exit not yet seen) when a job was handed to it. */
class ReusedWorkerLost extends Error {}

const runs = { worker: 0, fallback: 0, threads: 0 };
/**
 * How many jobs ran in the worker, how many fell back to this thread because it could not start,
 * and how many worker threads were started for them.
 */
export function backupWorkerRuns(): { worker: number; fallback: number; threads: number } {
  return { ...runs };
}

/**
 * A worker that finished a job waits a moment for the next: a backup's scan and its archive
 * (and a restore's verification) then run in one thread, started once. At most one waits, for
 * IDLE_MS, without keeping the process alive; a job that finds it busy or gone gets a new one.
 */
const IDLE_MS = 2000;

interface Slot {
  worker: Worker;
  script: string;
  started: boolean;
  gone: boolean;
  onReply?: (reply: WorkerReply) => void;
  onGone?: (error: Error) => void;
  idleTimer?: NodeJS.Timeout;
}

let idle: Slot | null = null;

function spawnSlot(script: string): Slot {
  const slot: Slot = { worker: new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } }), script, started: false, gone: false };
  runs.threads++;
  const lost = (error: Error) => {
    slot.gone = true;
    if (idle === slot) {
      idle = null;
      clearTimeout(slot.idleTimer);
    }
    slot.onGone?.(error);
  };
  slot.worker.on('message', (reply: WorkerReply) => {
    // Its modules loaded (a packaged app whose worker cannot load them falls back before this).
    if (reply.kind === 'ready') slot.started = true;
    else slot.onReply?.(reply);
  });
  slot.worker.on('error', (error) => lost(slot.started ? error : new WorkerStartError(error.message)));
  slot.worker.on('exit', (code) => lost(slot.started ? new Error(`The backup worker stopped (exit code ${code}).`) : new WorkerStartError(`exit ${code}`)));
  return slot;
}

function takeSlot(script: string): { slot: Slot; reused: boolean } {
  const waiting = idle;
  if (waiting && !waiting.gone && waiting.script === script) {
    idle = null;
    clearTimeout(waiting.idleTimer);
    waiting.worker.ref();
    return { slot: waiting, reused: true };
  }
  return { slot: spawnSlot(script), reused: false };
}

function releaseSlot(slot: Slot): void {
  if (slot.gone) return;
  if (idle) {
    void slot.worker.terminate();
    return;
  }
  idle = slot;
  slot.worker.unref();
  slot.idleTimer = setTimeout(() => {
    if (idle === slot) idle = null;
    void slot.worker.terminate();
  }, IDLE_MS);
  slot.idleTimer.unref();
}

function runInWorker<T>(script: string, request: WorkerRequest, onProgress: ((p: unknown) => void) | undefined, fresh = false): Promise<T> {
  const { slot, reused } = fresh ? { slot: spawnSlot(script), reused: false } : takeSlot(script);
  return new Promise<T>((resolve, reject) => {
    let answered = false;
    // Only a scan is followed by more work (the archive); after the rest the thread and all it
    // allocated go at once.
    const next = request.op === 'select';
    const finish = (fn: () => void, reusable: boolean) => {
      if (answered) return;
      answered = true;
      slot.onReply = undefined;
      slot.onGone = undefined;
      if (reusable && next) releaseSlot(slot);
      else void slot.worker.terminate();
      fn();
    };
    slot.onReply = (reply) => {
      replied = true;
      if (reply.kind === 'progress') onProgress?.(reply.progress);
      else if (reply.kind === 'result') finish(() => resolve(reply.result as T), true);
      else if ('upkeep' in reply) finish(() => reject(fromErrorShape(reply.upkeep)), true);
      else if (reply.kind === 'error') finish(() => reject(Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {})), true);
    };
    let replied = false;
    slot.onGone = (error) => finish(() => reject(reused && !replied ? new ReusedWorkerLost(error.message) : error), false);
    slot.worker.postMessage(request);
  });
}

async function run<T, P>(request: WorkerRequest, inThread: () => Promise<T>, onProgress: ((p: P) => void) | undefined, signal: AbortSignal | undefined): Promise<T> {
  const script = signal ? null : workerScript();
  if (!script) return inThread();
  try {
    const progress = onProgress as ((p: unknown) => void) | undefined;
    const result = await runInWorker<T>(script, request, progress).catch((error: unknown) => {
      if (error instanceof ReusedWorkerLost) return runInWorker<T>(script, request, progress, true); // once, on a new thread
      throw error;
    });
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

/**
 * extractArchive in the backup worker (in this thread when there is none, or with a signal).
 * With a recorded checksum, this thread hashes the archive while the worker extracts it: the
 * worker's thread is what a restore waits for, and the hash is a second core's work.
 */
export async function extractArchiveIsolated(options: ExtractOptions): Promise<ExtractResult> {
  const { onProgress, signal, ...rest } = options;
  const recorded = options.expect?.archiveSha256;
  if (!recorded || signal || !workerScript()) {
    return run<ExtractResult, ExtractProgress>({ op: 'extract', options: rest }, () => extractArchive(options), onProgress, signal);
  }
  const stop = new AbortController();
  const hashing = sha256File(options.archive, stop.signal);
  hashing.catch(() => undefined); // awaited below unless the extraction fails first
  let result: ExtractResult;
  try {
    result = await run<ExtractResult, ExtractProgress>({ op: 'extract', options: { ...rest, archiveHash: 'by-caller' } }, () => extractArchive(options), onProgress, signal);
  } catch (error) {
    stop.abort(); // the worker's error already says what is wrong with the archive
    throw error;
  }
  if (result.archiveSha256 !== null) {
    stop.abort();
    return result; // fell back to this thread, which hashed inline
  }
  let actual: string;
  try {
    actual = await hashing;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new UpkeepError('BACKUP_CORRUPT', `Backup archive ${path.basename(options.archive)} could not be read to check it (${e.code ?? e.message}). Nothing was changed; check the disk, or restore a different backup.`, { archive: options.archive }, { cause: error });
  }
  if (actual !== recorded) {
    const name = path.basename(options.archive);
    throw new UpkeepError('BACKUP_CORRUPT', `Backup archive ${name} is damaged: its checksum does not match the manifest (its sha256 is ${actual}, not ${recorded} as recorded). Restore a different backup.`, { archive: options.archive });
  }
  return { ...result, archiveSha256: actual };
}
