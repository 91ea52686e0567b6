/**
 * Entry of the backup worker thread (built to `backup-worker.mjs` beside each host bundle). It
 * runs one backup's archiveFolder (scan, database copies, archive) or one extractArchive, posts
 * progress, then the result or the error. See in-worker.ts for why that work runs here.
 */
import { parentPort } from 'node:worker_threads';
import { toErrorShape, UpkeepError } from '../../../shared/errors';
import { extractArchive, type ExtractOptions } from '../archive';
import { archiveFolder } from './folder-archive';
import type { WorkerReply, WorkerRequest } from './in-worker';
import { BlockingWriter } from '../archive/entry-writer';
import { prepareDest } from '../archive/extract';
import { applyFeed, FeedReceiver, type FeedMessage } from './restore-feed';
import { youngGc } from './young-gc';
import { errnoCode, errnoPath, errorMessage } from '../lib/error-info';
import { isRecord } from '../../../shared/guards';

const PROGRESS_MS = 50;

const reclaim = youngGc();

function errorReply(error: unknown): WorkerReply {
  if (error instanceof UpkeepError) return { kind: 'error', upkeep: toErrorShape(error) };
  const code = errnoCode(error);
  const where = errnoPath(error);
  return {
    kind: 'error',
    message: errorMessage(error),
    ...(code !== undefined ? { code } : {}),
    ...(where !== undefined ? { path: where } : {}),
  };
}

/**
 * A restore's write instructions, from the thread that reads and checks the backup
 * (restore-feed.ts). Its first buffers may come before the request does.
 */
const feed = new FeedReceiver((buf) => parentPort?.postMessage({ kind: 'return', buf } satisfies WorkerReply, [buf]));

parentPort?.on('message', (message: WorkerRequest | FeedMessage) => {
  if ('feed' in message) {
    feed.receive(message);
    return;
  }
  const request = message;
  // Progress goes out at most every 50 ms (a message per file cost more than the file's tar header).
  let last = 0;
  let lastPhase: unknown;
  const progress = (p: unknown) => {
    const now = Date.now();
    // A new phase always goes out (the panel shows it); counts within one at most every 50 ms.
    const phase = isRecord(p) ? p.phase : undefined;
    if (now - last < PROGRESS_MS && phase === lastPhase) return;
    last = now;
    lastPhase = phase;
    parentPort?.postMessage({ kind: 'progress', progress: p } satisfies WorkerReply);
  };
  const run: Promise<unknown> =
    request.op === 'folder'
      ? archiveFolder(request.request, { blocking: true, ...(reclaim ? { reclaim } : {}), onProgress: progress })
      : request.op === 'write'
        ? writeFed(request.dest, request.archive)
        : extractArchive({
            ...(request.options as ExtractOptions),
            ...(reclaim ? { reclaim } : {}),
            onProgress: progress,
          });
  run.then(
    (result) => parentPort?.postMessage({ kind: 'result', result } satisfies WorkerReply),
    (error: unknown) => parentPort?.postMessage(errorReply(error)),
  );
});

/** Carry out a restore's instructions into `dest` (made here: it must be new or empty). */
async function writeFed(dest: string, archive: string): Promise<{ files: number; bytes: number }> {
  await prepareDest(dest);
  const writer = new BlockingWriter(dest);
  try {
    return await applyFeed(feed, writer, { archive });
  } finally {
    writer.close();
  }
}

// Loaded: from here on a failure is the job's, not the worker's start (see in-worker.ts).
parentPort?.postMessage({ kind: 'ready' } satisfies WorkerReply);
