/** Threads that compress zstd blocks while the backup's own thread reads and hashes (see zstd.ts). */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { compressorPath, modulePath, zstdModulesValid, type ZstdBuild } from './zstd-codec';
import { logger } from '../lib/log';

const log = logger('archive.zstd');

/**
 * The helper thread's code (CommonJS, run with `eval`). `workerData.purpose` says what it is for:
 * - `compress`: it loads the fast build before it says it is ready; the decoder's module (~7 MB)
 *   starts only for a block of data of unknown type (see ZstdBuild), and where it cannot start,
 *   the fast build compresses that block too (both write frames the reader takes);
 * - `decode`: it loads the decoder's module alone, before it says it is ready (a thread that
 *   cannot is not used: the caller decodes in its own thread).
 */
const HELPER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const decoderModule = require(workerData.module);
const compressing = workerData.purpose === 'compress';
const fastModule = compressing ? require(workerData.compressor) : null;
const empty = new Uint8Array(0);
const done = new Int32Array(workerData.done);
let decoderReady = compressing ? null : decoderModule.init();
let decoder = false;
let cctx = 0;
let dctx = 0;
// One reply per job, counted once it is posted (the caller reads the count as "not busy").
const reply = (message, transfer) => {
  parentPort.postMessage(message, transfer);
  Atomics.add(done, 0, 1);
};
const decode = (m) => {
  // Decode one frame that declares m.size bytes (see zstd-decode.ts); the caller checks the length.
  let out;
  try {
    dctx = dctx || decoderModule.createDCtx();
    out = decoderModule.decompressUsingDict(dctx, new Uint8Array(m.block, 0, m.length), empty, { defaultHeapSize: m.size });
  } catch (e) {
    return reply({ id: m.id, error: 'damaged', block: m.block }, [m.block]);
  }
  reply({ id: m.id, frame: out, block: m.block }, [out.buffer, m.block]);
};
const compress = (m) => {
  let frame;
  try {
    const data = new Uint8Array(m.block, 0, m.length);
    if (m.build === 'splitting' && decoder) {
      cctx = cctx || decoderModule.createCCtx();
      frame = decoderModule.compressUsingDict(cctx, data, empty, m.level);
    } else frame = fastModule.compress(data, m.level);
    // A small frame may sit in the runtime's shared buffer pool, which newer runtimes refuse to transfer.
    if (frame.byteOffset !== 0 || frame.buffer.byteLength !== frame.length) frame = new Uint8Array(frame);
  } catch (e) {
    return reply({ id: m.id, error: String((e && e.message) || e), block: m.block }, [m.block]);
  }
  reply({ id: m.id, frame, block: m.block }, [frame.buffer, m.block]);
};
const loaded = compressing ? fastModule.isLoaded : decoderReady.then(() => { decoder = true; });
loaded.then(() => {
  parentPort.on('message', (m) => {
    if (m.size !== undefined)
      return decoder ? decode(m) : reply({ id: m.id, error: 'this thread does not decode', block: m.block }, [m.block]);
    if (m.build !== 'splitting' || decoder) return compress(m);
    decoderReady = decoderReady || decoderModule.init().then(() => { decoder = true; }, () => undefined);
    decoderReady.then(() => compress(m));
  });
  parentPort.postMessage({ ready: true });
}, (e) => parentPort.postMessage({ failed: String((e && e.message) || e) }));
`;

/** A frame a helper could not decode (see ZstdHelpers.decompress). */
export class DamagedFrame extends Error {
  constructor() {
    super('a zstd frame does not decode');
  }
}

interface HelperReply {
  id?: number;
  frame?: Uint8Array;
  block?: ArrayBuffer;
  error?: string;
  ready?: boolean;
  failed?: string;
}

interface Job {
  resolve: (r: { frame: Buffer; block: ArrayBuffer }) => void;
  reject: (e: Error) => void;
}

class Helper {
  readonly jobs = new Map<number, Job>();
  readonly ready: Promise<boolean>;
  private gone: Error | null = null;
  /** Blocks sent; `done[0]`, written by the thread, counts blocks compressed. */
  sent = 0;
  constructor(
    readonly worker: Worker,
    private readonly done: Int32Array,
  ) {
    this.ready = new Promise<boolean>((resolve) => {
      worker.on('message', (m: HelperReply) => {
        if (m.ready) return resolve(true);
        if (m.failed) return resolve(false);
        if (m.id === undefined) return;
        const job = this.jobs.get(m.id);
        if (!job) return;
        this.jobs.delete(m.id);
        if (m.error === 'damaged') job.reject(new DamagedFrame());
        else if (m.error || !m.frame || !m.block)
          job.reject(new Error(`zstd compression failed: ${m.error ?? 'no frame'}`));
        else job.resolve({ frame: Buffer.from(m.frame.buffer, m.frame.byteOffset, m.frame.length), block: m.block });
      });
      const lost = (error: Error) => {
        this.gone ??= error;
        resolve(false);
        for (const job of this.jobs.values()) job.reject(error);
        this.jobs.clear();
      };
      worker.on('error', lost);
      worker.on('exit', (code) => lost(new Error(`a zstd helper thread stopped (exit code ${code})`)));
    });
  }
  get alive(): boolean {
    return this.gone === null;
  }

  /**
   * Blocks sent and not yet compressed, read from the thread's own counter: the replies wait in
   * this thread's message queue until its event loop turns, which a thread doing blocking reads
   * does seldom.
   */
  get busy(): number {
    return this.sent - Atomics.load(this.done, 0);
  }
}

/**
 * Threads that compress blocks while the caller goes on. `start` resolves to null where threads
 * cannot be had (the caller then compresses in its own thread).
 */
export class ZstdHelpers {
  private next = 1;
  private constructor(private readonly helpers: Helper[]) {}

  /** Threads to compress blocks, or (`decode`) to decode frames; see HELPER_SOURCE. */
  static async start(count: number, purpose: 'compress' | 'decode' = 'compress'): Promise<ZstdHelpers | null> {
    let module: string;
    let compressor: string | null = null;
    try {
      module = modulePath();
      if (purpose === 'compress') compressor = compressorPath();
      // A module whose WebAssembly is missing or damaged would fail its thread noisily: checked here first.
      if (!(await zstdModulesValid(purpose === 'compress' ? 'both' : 'decoder')))
        throw new Error('a zstd WebAssembly module is missing or damaged');
    } catch (error) {
      // No zstd module to load in a thread: the caller compresses in its own thread.
      log.info('zstd helper threads are not available; compressing in one thread', { error });
      return null;
    }
    const helpers: Helper[] = [];
    for (let i = 0; i < count; i++) {
      try {
        const done = new SharedArrayBuffer(4);
        helpers.push(
          new Helper(
            new Worker(HELPER_SOURCE, {
              eval: true,
              workerData: { module, compressor, done, purpose },
              resourceLimits: { maxYoungGenerationSizeMb: 2 },
            }),
            new Int32Array(done),
          ),
        );
      } catch (error) {
        // Fewer threads than asked for (a resource limit): the ones started do the work.
        log.info('fewer zstd helper threads than asked for', { asked: count, started: i, error });
        break;
      }
    }
    const ok = await Promise.all(helpers.map((h) => h.ready));
    const live = helpers.filter((_, i) => ok[i]);
    for (const h of helpers) if (!live.includes(h)) void h.worker.terminate();
    if (!live.length) return null;
    return new ZstdHelpers(live);
  }

  get size(): number {
    return this.helpers.length;
  }

  /** Blocks sent to the threads and not yet compressed (see Helper.busy). */
  get busy(): number {
    let n = 0;
    for (const h of this.helpers) if (h.alive) n += h.busy;
    return n;
  }

  /** Compress `length` bytes of `block` (transferred there and back) with that build. */
  compress(
    block: ArrayBuffer,
    length: number,
    level: number,
    build: ZstdBuild = 'fast',
  ): Promise<{ frame: Buffer; block: ArrayBuffer }> {
    return this.send({ block, length, level, build });
  }

  /**
   * Decode one zstd frame of `length` bytes in `block` (transferred) that declares `size` bytes of
   * content. Rejects with DamagedFrame when it does not decode; the caller checks the length.
   */
  decompress(block: ArrayBuffer, length: number, size: number): Promise<Buffer> {
    return this.send({ block, length, size }).then(({ frame }) => frame);
  }

  /** One job to the least busy live thread (its block transferred there and back). */
  private send(job: { block: ArrayBuffer; length: number; level?: number; size?: number; build?: ZstdBuild }) {
    const live = this.helpers.filter((h) => h.alive);
    const helper = live.sort((a, b) => a.busy - b.busy)[0];
    if (!helper) return Promise.reject(new Error('the zstd helper threads stopped'));
    helper.sent++;
    const id = this.next++;
    return new Promise<{ frame: Buffer; block: ArrayBuffer }>((resolve, reject) => {
      helper.jobs.set(id, { resolve, reject });
      helper.worker.postMessage({ id, ...job }, [job.block]);
    });
  }

  /** Let the process end while these threads are idle (readers that may be abandoned close them too). */
  unref(): void {
    for (const h of this.helpers) h.worker.unref();
  }

  async close(): Promise<void> {
    await Promise.all(this.helpers.map((h) => h.worker.terminate()));
  }
}

/** Helper threads for a machine with `cores` cores: all but the caller's own, 1 to 4. */
export function helperCount(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(4, cores - 1));
}
