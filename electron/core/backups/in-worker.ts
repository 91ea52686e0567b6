/**
 * Backup create and restore run their folder scan and archive work in a worker thread whose
 * young generation is capped. Streaming 300 MB through JS allocates quickly, and V8 then grows the new space of the
 * thread doing it to 3 × 16 MB and keeps it: that, not the archive buffers, was most of a
 * backup's peak memory. In the worker the new space stays at a few MB (a few more scavenges,
 * little CPU), and the host's own event loop (the desktop app's main process) stays free —
 * except in a restore, which is split (restore-feed.ts): this thread reads, decodes, hashes and
 * checks the archive, in slices of a few milliseconds (a zstd frame decodes in ~3 ms), and the
 * worker writes.
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
  explainWriteError,
  extractArchive,
  WriterStopped,
  type ExtractOptions,
  type ExtractProgress,
  type ExtractResult,
} from '../archive';
import { sha256File } from '../lib/hash';
import { FeedWriter, type FeedMessage } from './restore-feed';
import { youngGc } from './young-gc';
import {
  archiveFolder,
  type FolderArchiveProgress,
  type FolderArchiveRequest,
  type FolderArchiveResult,
} from './folder-archive';
import { errnoCode, errorMessage } from '../lib/error-info';

type PlainExtractOptions = Omit<ExtractOptions, 'onProgress' | 'signal' | 'writer' | 'reclaim'>;
/** `write`: carry out a restore's write instructions (FeedMessages, restore-feed.ts) into `dest` (`archive` names the backup in errors). */
export type WorkerRequest =
  | { op: 'folder'; request: FolderArchiveRequest }
  | { op: 'extract'; options: PlainExtractOptions }
  | { op: 'write'; dest: string; archive: string };
export type WorkerReply =
  | { kind: 'ready' }
  /** A feed buffer back to the reading thread. */
  | { kind: 'return'; buf: ArrayBuffer }
  | { kind: 'progress'; progress: unknown }
  | { kind: 'result'; result: unknown }
  | { kind: 'error'; upkeep: ErrorShape }
  | { kind: 'error'; message: string; code?: string; path?: string };

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
    // No worker script beside the bundle (tests, a bare checkout): backups run in this thread.
    return null;
  }
}

class WorkerStartError extends Error {}

const runs = { worker: 0, fallback: 0, threads: 0 };
/**
 * How many jobs ran in the worker, how many fell back to this thread because it could not start,
 * and how many worker threads were started for them.
 */
export function backupWorkerRuns(): { worker: number; fallback: number; threads: number } {
  return { ...runs };
}

/** A started backup worker thread, and whether its modules loaded. */
class BackupThread {
  readonly worker: Worker;
  /** Resolves once its modules loaded; rejects with a WorkerStartError if it stopped before. */
  readonly started: Promise<void>;
  /** Why it stopped, once it has (kept: it may stop before a job listens). */
  gone: Error | null = null;
  /** A job has it (a thread started ahead and never taken is stopped). */
  taken = false;

  constructor(readonly script: string) {
    this.worker = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    runs.threads++;
    let loaded = false;
    this.started = new Promise<void>((resolve, reject) => {
      this.worker.on('message', (reply: WorkerReply) => {
        // Its modules loaded (a packaged app whose worker cannot load them falls back before this).
        if (reply.kind !== 'ready') return;
        loaded = true;
        resolve();
      });
      this.worker.on('error', (error) => {
        this.gone ??= loaded ? error : new WorkerStartError(error.message);
        reject(this.gone);
      });
      this.worker.on('exit', (code) => {
        this.gone ??= loaded
          ? new Error(`The backup worker stopped (exit code ${code}).`)
          : new WorkerStartError(`exit ${code}`);
        reject(this.gone);
      });
    });
    // Observed so an unused start failure is not an unhandled rejection; every caller awaits `started` and gets it.
    this.started.catch(() => undefined);
  }
}

let warm: BackupThread | null = null;
/** How long a thread started ahead (warmBackupWorker) waits to be used. */
const WARM_MS = 10_000;

/**
 * Start the backup worker now for the extraction that follows (a restore, a verification): its
 * start (~0.1 s to load its modules) then overlaps what comes before it — finding and checking
 * the manifest, the locks, the free-space check. Unused, it stops after a while and never keeps
 * the process alive.
 */
export function warmBackupWorker(): void {
  const script = workerScript();
  if (!script || (warm?.script === script && !warm.gone)) return;
  if (warm) void warm.worker.terminate(); // for another script, or stopped
  const thread = new BackupThread(script);
  thread.worker.unref();
  warm = thread;
  setTimeout(() => {
    if (warm === thread) warm = null;
    if (!thread.taken) void thread.worker.terminate();
  }, WARM_MS).unref();
}

/** The thread started ahead for this script, else a new one. */
function takeThread(script: string): BackupThread {
  const thread = warm?.script === script && !warm.gone ? warm : new BackupThread(script);
  if (thread === warm) warm = null;
  thread.taken = true;
  thread.worker.ref();
  return thread;
}

/** One job on a thread of its own; the thread and all it allocated go when the job ends. */
function runInWorker<T>(
  thread: BackupThread,
  request: WorkerRequest,
  onProgress: ((p: unknown) => void) | undefined,
  stop?: AbortSignal,
): Promise<T> {
  const worker = thread.worker;
  return new Promise<T>((resolve, reject) => {
    let answered = false;
    const finish = (fn: () => void) => {
      if (answered) return;
      answered = true;
      stop?.removeEventListener('abort', onStop);
      void worker.terminate();
      fn();
    };
    // Stopped (a cancelled update): the job settles only once the thread is gone, so nothing writes after it.
    const onStop = () => {
      if (answered) return;
      answered = true;
      void worker.terminate().then(() => reject(new UpkeepError('CANCELLED', 'The backup was cancelled.')));
    };
    if (stop?.aborted) return onStop();
    stop?.addEventListener('abort', onStop, { once: true });
    thread.started.then(
      () => {
        if (thread.gone) return finish(() => reject(thread.gone));
        worker.on('message', (reply: WorkerReply) => {
          if (reply.kind === 'progress') onProgress?.(reply.progress);
          else if (reply.kind === 'result') finish(() => resolve(reply.result as T));
          else if (reply.kind === 'error')
            finish(() =>
              reject(
                'upkeep' in reply
                  ? fromErrorShape(reply.upkeep)
                  : Object.assign(
                      new Error(reply.message),
                      reply.code ? { code: reply.code } : {},
                      reply.path ? { path: reply.path } : {},
                    ),
              ),
            );
        });
        worker.on('error', (error) => finish(() => reject(error)));
        worker.on('exit', (code) => finish(() => reject(new Error(`The backup worker stopped (exit code ${code}).`))));
        worker.postMessage(request);
      },
      (error: unknown) => finish(() => reject(error)),
    );
  });
}

async function run<T, P>(
  request: WorkerRequest,
  inThread: () => Promise<T>,
  onProgress: ((p: P) => void) | undefined,
  signal: AbortSignal | undefined,
  stop?: AbortSignal,
): Promise<T> {
  const script = signal ? null : workerScript();
  if (!script) return inThread();
  try {
    const progress = onProgress as ((p: unknown) => void) | undefined;
    const result = await runInWorker<T>(takeThread(script), request, progress, stop);
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

/** archiveFolder (a backup's scan, database copies and archive) in the backup worker, else in this thread. */
export function archiveFolderIsolated(
  request: FolderArchiveRequest,
  onProgress?: (p: FolderArchiveProgress) => void,
  stop?: AbortSignal,
): Promise<FolderArchiveResult> {
  return run<FolderArchiveResult, FolderArchiveProgress>(
    { op: 'folder', request },
    () => archiveFolder(request, { ...(onProgress ? { onProgress } : {}), ...(stop ? { signal: stop } : {}) }),
    onProgress,
    undefined,
    stop,
  );
}

/**
 * extractArchive in the backup worker (in this thread when there is none). An extraction into a
 * folder (`dest`: a restore, a release into its staging folder) runs on two threads
 * (restore-feed.ts): this one reads, hashes, decodes and checks, the worker writes. A verification (no `dest`) runs in the worker
 * while this thread hashes the archive.
 */
export async function extractArchiveIsolated(options: ExtractOptions): Promise<ExtractResult> {
  const { onProgress, signal, ...rest } = options;
  const recorded = options.expect?.archiveSha256;
  // Into a folder: two threads, cancellable (the reading thread stops at the signal and the writer
  // is stopped with it). A verification with a signal stays in this thread.
  const writerScript = workerScript();
  if (writerScript && options.dest !== null) return extractOnTwoThreads(writerScript, options);
  const script = signal ? null : writerScript;
  if (!recorded || !script) {
    return run<ExtractResult, ExtractProgress>(
      { op: 'extract', options: plain(rest) },
      () => extractArchive(options),
      onProgress,
      signal,
    );
  }
  const stop = new AbortController();
  const hashing = sha256File(options.archive, stop.signal);
  hashing.catch(() => undefined); // awaited below unless the extraction fails first
  let result: ExtractResult;
  try {
    result = await run<ExtractResult, ExtractProgress>(
      { op: 'extract', options: { ...plain(rest), archiveHash: 'by-caller' } },
      () => extractArchive(options),
      onProgress,
      signal,
    );
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
    throw new UpkeepError(
      'BACKUP_CORRUPT',
      `Backup archive ${path.basename(options.archive)} could not be read to check it (${errnoCode(error) ?? errorMessage(error)}). Nothing was changed; check the disk, or restore a different backup.`,
      { archive: options.archive, unreadable: true },
      { cause: error },
    );
  }
  if (actual !== recorded) {
    const name = path.basename(options.archive);
    throw new UpkeepError(
      'BACKUP_CORRUPT',
      `Backup archive ${name} is damaged: its checksum does not match the manifest (its sha256 is ${actual}, not ${recorded} as recorded). Restore a different backup.`,
      { archive: options.archive },
    );
  }
  return { ...result, archiveSha256: actual };
}

/** What of ExtractOptions can be posted to the worker. */
function plain(options: Omit<ExtractOptions, 'onProgress' | 'signal'>): PlainExtractOptions {
  const { writer: _writer, reclaim: _reclaim, ...rest } = options;
  return rest;
}

let hostReclaim: (() => void) | undefined | null = null;

/**
 * A restore on two threads (restore-feed.ts): this thread reads, hashes, decodes and checks, and
 * hands each checked entry to the worker, which writes it. The worker finishes only after this
 * thread's last check passed (the archive's sha256, the manifest's list): it is told so last. On
 * any failure the worker is stopped before this returns, so the caller can remove the staging
 * folder with nothing still writing into it.
 */
async function extractOnTwoThreads(script: string, options: ExtractOptions): Promise<ExtractResult> {
  const { signal: _signal, ...rest } = options;
  const dest = options.dest;
  if (dest === null) throw new Error('extracting on two threads writes into a folder; none was given');
  const thread = takeThread(script);
  const worker = thread.worker;
  const feed = new FeedWriter((message: FeedMessage, transfer) => worker.postMessage(message, transfer));
  worker.on('message', (reply: WorkerReply) => {
    if (reply.kind === 'return') feed.returned(reply.buf);
  });
  const writing = runInWorker<{ files: number; bytes: number }>(
    thread,
    { op: 'write', dest, archive: options.archive },
    undefined,
  );
  writing.catch((error: unknown) => feed.fail(error)); // the next instruction throws WriterStopped
  // This thread streams the archive: its young garbage is collected as the worker's is (see
  // ExtractOptions.reclaim), where the runtime allows it.
  if (hostReclaim === null) hostReclaim = youngGc();
  try {
    let checked: ExtractResult;
    try {
      // Progress is what was checked: the writer is at most the feed's 8 MiB behind.
      checked = await extractArchive({
        ...rest,
        ...(options.signal ? { signal: options.signal } : {}),
        dest: null,
        writer: feed,
        ...(hostReclaim ? { reclaim: hostReclaim } : {}),
      });
      await feed.end();
    } catch (error) {
      await worker.terminate();
      // The worker's failure when that is what stopped this thread; else this thread's own (the
      // worker may have failed too meanwhile: a refused archive must not be reported as a full disk).
      throw error instanceof WriterStopped ? error.reason : error;
    }
    const written = await writing;
    // With `only`, what was passed on to be written; else everything checked.
    const meant = checked.selected ?? checked;
    if (written.files !== meant.files || written.bytes !== meant.bytes) {
      throw new UpkeepError(
        'INTERNAL',
        `Extracting ${path.basename(options.archive)} wrote ${written.files} files (${written.bytes} bytes) where ${meant.files} (${meant.bytes} bytes) were to be. Nothing was changed; try again.`,
        { archive: options.archive },
      );
    }
    runs.worker++;
    return checked;
  } catch (error) {
    if (error instanceof WorkerStartError) {
      runs.fallback++;
      return extractArchive(options);
    }
    runs.worker++;
    // (This thread's errors are UpkeepErrors already; the worker's are explained here.)
    throw explainWriteError(error, options.archive);
  }
}
