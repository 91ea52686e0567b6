/**
 * zstd for backups, the same on every runtime: the reference zstd library compiled to
 * WebAssembly (@bokuweb/zstd-wasm). The module imports nothing but a few runtime hooks, so it
 * can do no I/O; it only ever sees buffers whose sizes this file has checked first.
 *
 * A backup's `.tar.zst` is a run of zstd frames, which every zstd reader (`zstd -d`,
 * `tar --zstd`) reads as one stream:
 * - text is compressed in blocks of BLOCK_SIZE, each its own frame with its size declared, by
 *   helper threads while the backup's own thread reads and hashes the next files;
 * - data that is already compressed (images, wheels, archives) goes into frames of raw blocks
 *   written here, straight from the file's buffers, never through the compressor.
 *
 * The reader takes those two kinds of frame and nothing else: a frame that declares its size
 * (at most MAX_FRAME_CONTENT) is decoded whole; one that does not may only hold raw or RLE
 * blocks, streamed as they come. Anything else — a frame without a size holding compressed
 * blocks, a dictionary, a reserved block type, a frame that decodes to another size than it
 * declared — is refused as damaged.
 *
 * Release assets (`.tar.zst` from `zstd`, `tar --zstd`) are read with ANY_FRAMES where the runtime
 * has no zstd of its own (Node 20, the CLI): any frame without a dictionary, each decoded whole —
 * one without a declared size into a buffer bounded by its blocks (a block decodes to at most
 * 128 KiB) — up to ANY_FRAME_CONTENT per frame.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BufferSource, ByteSink, StreamEncoder } from './gzip-writer';
import { UpkeepError } from '../../../shared/errors';
import { TarFormatError } from './tar-format';

/** Content one frame of a release asset may decode to (decoded whole, in memory). */
export const ANY_FRAME_CONTENT = 256 * 1024 * 1024;

/** Which frames decodeZstd takes. */
export interface ZstdFrameRules {
  /** Content one frame may declare (or, without a declaration, decode to). */
  maxFrameContent: number;
  /** Frames without a declared size may hold compressed blocks (decoded whole), not only raw/RLE ones. */
  unsizedCompressed: boolean;
}

/** A backup's own frames (see above). */
export const BACKUP_FRAMES: ZstdFrameRules = { maxFrameContent: 16 * 1024 * 1024, unsizedCompressed: false };
/** Any frame a zstd encoder writes without a dictionary, each at most ANY_FRAME_CONTENT. */
export const ANY_FRAMES: ZstdFrameRules = { maxFrameContent: ANY_FRAME_CONTENT, unsizedCompressed: true };

function frameTooLarge(bytes: number | null, rules: ZstdFrameRules): Error {
  const mib = Math.round(rules.maxFrameContent / 1024 / 1024);
  if (!rules.unsizedCompressed) {
    return new TarFormatError(`a zstd frame declares ${bytes} bytes, more than the ${rules.maxFrameContent} Upkeep decodes at once (not a backup Upkeep wrote, or damaged)`);
  }
  return new UpkeepError('UNSUPPORTED', `The archive holds a zstd frame of ${bytes === null ? `more than ${mib} MiB` : `${bytes} bytes`}; without the runtime's own zstd (Node 22.15+) Upkeep decodes each frame whole and takes frames of up to ${mib} MiB. Use the release's .tar.gz or .zip asset, or run Upkeep on a runtime with zstd (the desktop app, Node 22.15+).`, { max_frame_bytes: rules.maxFrameContent });
}

/** The part of @bokuweb/zstd-wasm used here (its simple API, with reused contexts). */
interface WasmZstd {
  init(): Promise<void>;
  createCCtx(): number;
  compressUsingDict(cctx: number, buf: Uint8Array, dict: Uint8Array, level: number): Uint8Array;
  createDCtx(): number;
  decompressUsingDict(dctx: number, buf: Uint8Array, dict: Uint8Array, opts: { defaultHeapSize: number }): Uint8Array;
}

const MAGIC = 0xfd2fb528;
/** Input bytes per compressed frame. */
export const BLOCK_SIZE = 2 * 1024 * 1024;
/** The largest frame content the reader decodes whole (Upkeep writes BLOCK_SIZE). */
export const MAX_FRAME_CONTENT = 16 * 1024 * 1024;
/** A block decodes to at most this much (zstd's Block_Maximum_Size). */
const MAX_BLOCK_CONTENT = 128 * 1024;
/** Raw and RLE blocks: at most 128 KiB each (zstd's block limit). */
const MAX_BLOCK = 128 * 1024;
/**
 * Content per block of a frame with a declared size, on average at least: zstd writes blocks of
 * up to 128 KiB, split at level 3 into no fewer than ~8 KiB each (measured: 483 blocks for the
 * worst 4 MiB seen, 8,193 allowed).
 */
const MIN_AVERAGE_BLOCK = 512;
/** Bytes of stored data per raw frame (its buffers are held until the frame is written). */
const STORED_FRAME = 1024 * 1024;
/**
 * Stored bytes that may wait behind blocks still being compressed (their buffers are held): enough
 * that this thread goes on reading while the helpers work, few enough to keep memory flat.
 */
const MAX_STORED_WAITING = 4 * 1024 * 1024;
/** Bytes handed to the sink and not yet written. */
const MAX_WRITING = 2 * 1024 * 1024;
const EMPTY = new Uint8Array(0);
const EMPTY_BUFFER = Buffer.alloc(0);

const requireHere = createRequire(import.meta.url);
/** Where the package's entry is: the helper threads load it by this path. */
function modulePath(): string {
  return requireHere.resolve('@bokuweb/zstd-wasm');
}

let loading: Promise<Codec> | null = null;

/** zstd in this thread (one compression and one decompression context, reused). */
export interface Codec {
  compress(data: Uint8Array, level: number): Buffer;
  /** Decode one frame that declares `size` bytes of content; anything else is an error. */
  decompress(frame: Uint8Array, size: number): Buffer;
  /** Decode one frame without a declared size into at most `capacity` bytes; null when it needs more. */
  decompressAtMost(frame: Uint8Array, capacity: number): Buffer | null;
}

export function zstdCodec(): Promise<Codec> {
  loading ??= (async () => {
    const zstd = requireHere(modulePath()) as WasmZstd;
    await zstd.init();
    let cctx = 0;
    let dctx = 0;
    return {
      compress(data, level) {
        cctx ||= zstd.createCCtx();
        const out = zstd.compressUsingDict(cctx, data, EMPTY, level);
        return Buffer.from(out.buffer, out.byteOffset, out.length);
      },
      decompress(frame, size) {
        dctx ||= zstd.createDCtx();
        let out: Uint8Array;
        try {
          out = zstd.decompressUsingDict(dctx, frame, EMPTY, { defaultHeapSize: size });
        } catch {
          throw new TarFormatError('a zstd frame does not decode (damaged data)');
        }
        if (out.length !== size) throw new TarFormatError(`a zstd frame decodes to ${out.length} bytes, not the ${size} it declares`);
        return Buffer.from(out.buffer, out.byteOffset, out.length);
      },
      decompressAtMost(frame, capacity) {
        dctx ||= zstd.createDCtx();
        let out: Uint8Array;
        try {
          out = zstd.decompressUsingDict(dctx, frame, EMPTY, { defaultHeapSize: Math.max(1, capacity) });
        } catch (error) {
          // ZSTD_error_dstSize_tooSmall: it decodes to more than the capacity.
          if (/code -70\b/.test((error as Error).message)) return null;
          throw new TarFormatError('a zstd frame does not decode (damaged data)');
        }
        if (out.length > capacity) return null;
        return Buffer.from(out.buffer, out.byteOffset, out.length);
      },
    };
  })();
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

// ---------------------------------------------------------------------------------------------
// Helper threads

/** The helper thread's code (CommonJS, run with `eval`): it compresses the blocks it is sent. */
const HELPER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const zstd = require(workerData.module);
const empty = new Uint8Array(0);
zstd.init().then(() => {
  const cctx = zstd.createCCtx();
  parentPort.on('message', (m) => {
    try {
      const frame = zstd.compressUsingDict(cctx, new Uint8Array(m.block, 0, m.length), empty, m.level);
      parentPort.postMessage({ id: m.id, frame, block: m.block }, [frame.buffer, m.block]);
    } catch (e) {
      parentPort.postMessage({ id: m.id, error: String((e && e.message) || e), block: m.block }, [m.block]);
    }
  });
  parentPort.postMessage({ ready: true });
}, (e) => parentPort.postMessage({ failed: String((e && e.message) || e) }));
`;

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
  constructor(readonly worker: Worker) {
    this.ready = new Promise<boolean>((resolve) => {
      worker.on('message', (m: HelperReply) => {
        if (m.ready) return resolve(true);
        if (m.failed) return resolve(false);
        const job = this.jobs.get(m.id as number);
        if (!job) return;
        this.jobs.delete(m.id as number);
        if (m.error || !m.frame || !m.block) job.reject(new Error(`zstd compression failed: ${m.error ?? 'no frame'}`));
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
}

/**
 * Threads that compress blocks while the caller goes on. `start` resolves to null where threads
 * cannot be had (the caller then compresses in its own thread).
 */
export class ZstdHelpers {
  private next = 1;
  private constructor(private readonly helpers: Helper[]) {}

  static async start(count: number): Promise<ZstdHelpers | null> {
    let module: string;
    try {
      module = modulePath();
    } catch {
      return null;
    }
    const helpers: Helper[] = [];
    for (let i = 0; i < count; i++) {
      try {
        helpers.push(new Helper(new Worker(HELPER_SOURCE, { eval: true, workerData: { module }, resourceLimits: { maxYoungGenerationSizeMb: 2 } })));
      } catch {
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

  /** Compress `length` bytes of `block` (transferred there and back). */
  compress(block: ArrayBuffer, length: number, level: number): Promise<{ frame: Buffer; block: ArrayBuffer }> {
    const live = this.helpers.filter((h) => h.alive);
    const helper = live.sort((a, b) => a.jobs.size - b.jobs.size)[0];
    if (!helper) return Promise.reject(new Error('the zstd helper threads stopped'));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      helper.jobs.set(id, { resolve, reject });
      helper.worker.postMessage({ id, block, length, level }, [block]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.helpers.map((h) => h.worker.terminate()));
  }
}

/** Helper threads for a machine with `cores` cores: all but the caller's own, 1 to 4. */
export function helperCount(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(4, cores - 1));
}

// ---------------------------------------------------------------------------------------------
// Writing

/** The header of a frame of raw blocks: no declared size, a 128 KiB window, no checksum. */
const RAW_FRAME_HEADER = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]);

function blockHeader(last: boolean, type: 0 | 1 | 2, size: number): Buffer {
  const v = (last ? 1 : 0) | (type << 1) | (size << 3);
  return Buffer.from([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff]);
}

/** A frame of raw blocks holding `parts` (pointed at, not copied). */
export function rawFrame(parts: Buffer[]): Buffer[] {
  const out: Buffer[] = [RAW_FRAME_HEADER];
  const total = parts.reduce((n, p) => n + p.length, 0);
  let done = 0;
  // Blocks of up to 128 KiB, cut across the parts' boundaries.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = () => {
    done += pendingBytes;
    out.push(blockHeader(done === total, 0, pendingBytes), ...pending);
    pending = [];
    pendingBytes = 0;
  };
  for (const part of parts) {
    let off = 0;
    while (off < part.length) {
      const n = Math.min(MAX_BLOCK - pendingBytes, part.length - off);
      pending.push(off === 0 && n === part.length ? part : part.subarray(off, off + n));
      pendingBytes += n;
      off += n;
      if (pendingBytes === MAX_BLOCK) flush();
    }
  }
  if (pendingBytes || total === 0) flush();
  return out;
}

type Release = () => void;

export interface ZstdEncoderOptions {
  /** zstd level for compressible data (default 3, zstd's own default). */
  level?: number;
  /** Threads compressing blocks (from ZstdHelpers.start); without them, this thread does. */
  helpers?: ZstdHelpers | null;
  blockSize?: number;
  pool?: BufferSource;
}

interface InFlight {
  output: Promise<Buffer | Buffer[]>;
  releases: Release[];
  compressing: boolean;
  bytes: number;
  /** Stored bytes made only when their turn to be written comes (pushLater). */
  later?: Later;
}

/** Writes stored bytes in order through `emit` (each chunk goes out as a raw frame, released once written). */
export type Later = (emit: (chunk: Buffer, release?: Release) => Promise<void>) => Promise<void>;

/**
 * The tar stream as zstd frames (see the top of this file). Compressible bytes are copied into a
 * block as they come (the caller's buffer is free at once); stored bytes are written from the
 * caller's buffers, released once written.
 */
export class ZstdEncoder implements StreamEncoder {
  private readonly level: number;
  private readonly blockSize: number;
  private readonly helpers: ZstdHelpers | null;
  private readonly maxCompressing: number;
  private block: ArrayBuffer | null = null;
  private blockLength = 0;
  private readonly spareBlocks: ArrayBuffer[] = [];
  private stored: Buffer[] = [];
  private storedReleases: Release[] = [];
  private storedLength = 0;
  private readonly inFlight: InFlight[] = [];
  private compressing = 0;
  private storedWaiting = 0;
  private readonly writing: { done: Promise<void>; releases: Release[]; bytes: number }[] = [];
  private writingBytes = 0;
  private codec: Codec | null = null;

  constructor(
    private readonly sink: ByteSink,
    options: ZstdEncoderOptions = {},
  ) {
    this.level = options.level ?? 3;
    this.blockSize = options.blockSize ?? BLOCK_SIZE;
    this.helpers = options.helpers ?? null;
    // Each helper has one block to work on and one waiting.
    this.maxCompressing = this.helpers ? this.helpers.size * 2 : 1;
  }

  async push(data: Buffer, compressible: boolean, release?: Release): Promise<void> {
    if (data.length === 0) {
      release?.();
      return;
    }
    if (!compressible && data.length < 4096 && this.storedLength === 0) compressible = true; // a few stored bytes ride along with the text
    if (compressible) {
      if (this.storedLength) await this.cutStored();
      let off = 0;
      while (off < data.length) {
        this.block ??= this.spareBlocks.pop() ?? new ArrayBuffer(this.blockSize);
        const n = Math.min(this.blockSize - this.blockLength, data.length - off);
        new Uint8Array(this.block, this.blockLength, n).set(data.subarray(off, off + n));
        this.blockLength += n;
        off += n;
        if (this.blockLength === this.blockSize) await this.cutBlock();
      }
      release?.();
      return;
    }
    if (this.blockLength) await this.cutBlock();
    this.stored.push(data);
    if (release) this.storedReleases.push(release);
    this.storedLength += data.length;
    if (this.storedLength >= STORED_FRAME) await this.cutStored();
  }

  /**
   * Stored bytes produced when their turn to be written comes: whatever precedes them is cut
   * here, and `later` runs once it is all written — meanwhile this thread goes on with the data
   * after them (the next text blocks), instead of holding them while the blocks ahead compress.
   */
  async pushLater(later: Later): Promise<void> {
    if (this.blockLength) await this.cutBlock();
    if (this.storedLength) await this.cutStored();
    this.inFlight.push({ output: Promise.resolve([]), releases: [], compressing: false, bytes: 0, later });
    await this.makeRoom();
  }

  private async cutBlock(): Promise<void> {
    const block = this.block as ArrayBuffer;
    const length = this.blockLength;
    this.block = null;
    this.blockLength = 0;
    let output: Promise<Buffer>;
    if (this.helpers) {
      output = this.helpers.compress(block, length, this.level).then(({ frame, block: back }) => {
        if (back.byteLength === this.blockSize && this.spareBlocks.length < this.maxCompressing + 1) this.spareBlocks.push(back);
        return frame;
      });
    } else {
      this.codec ??= await zstdCodec();
      const frame = this.codec.compress(new Uint8Array(block, 0, length), this.level);
      this.spareBlocks.push(block);
      output = Promise.resolve(frame);
    }
    output.catch(() => undefined); // awaited in order by writeOldest
    this.inFlight.push({ output, releases: [], compressing: true, bytes: 0 });
    this.compressing++;
    await this.makeRoom();
  }

  private async cutStored(): Promise<void> {
    const parts = this.stored;
    const releases = this.storedReleases;
    const length = this.storedLength;
    this.stored = [];
    this.storedReleases = [];
    this.storedLength = 0;
    this.inFlight.push({ output: Promise.resolve(rawFrame(parts)), releases, compressing: false, bytes: length });
    this.storedWaiting += length;
    await this.makeRoom();
  }

  /** Frames go out in order; stored ones may queue behind blocks still being compressed. */
  private async makeRoom(): Promise<void> {
    while (this.compressing >= this.maxCompressing || this.storedWaiting >= MAX_STORED_WAITING) await this.writeOldest();
  }

  /**
   * Hand the oldest frame to the sink without waiting for the write itself: this thread reads
   * the next files while the pool writes (writing 250 MB into the page cache is ~0.5 s of
   * system time). Its buffers are released once written; at most MAX_WRITING bytes are under way.
   */
  private async writeOldest(): Promise<void> {
    const next = this.inFlight.shift();
    if (!next) return;
    if (next.compressing) this.compressing--;
    this.storedWaiting -= next.bytes;
    if (next.later) {
      await next.later((chunk, release) => this.write(rawFrame([chunk]), chunk.length, release ? [release] : []));
      return;
    }
    const output = await next.output;
    const bytes = Array.isArray(output) ? output.reduce((n, b) => n + b.length, 0) : output.length;
    await this.write(output, bytes, next.releases);
  }

  private async write(output: Buffer | Buffer[], bytes: number, releases: Release[]): Promise<void> {
    const done = this.sink.write(output);
    done.catch(() => undefined); // awaited in settleWrites
    this.writing.push({ done, releases, bytes });
    this.writingBytes += bytes;
    await this.settleWrites(MAX_WRITING);
  }

  /** Wait for writes until at most `limit` bytes are under way, releasing their buffers. */
  private async settleWrites(limit: number): Promise<void> {
    while (this.writing.length && this.writingBytes > limit) {
      const w = this.writing.shift() as (typeof this.writing)[number];
      this.writingBytes -= w.bytes;
      await w.done;
      for (const r of w.releases) r();
    }
  }

  async finish(): Promise<void> {
    if (this.blockLength) await this.cutBlock();
    if (this.storedLength) await this.cutStored();
    while (this.inFlight.length) await this.writeOldest();
    await this.settleWrites(0);
  }

  /** Wait for frames and writes already started (on an error path) so none outlives the caller. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight.splice(0).map((x) => x.output), ...this.writing.splice(0).map((w) => w.done)]);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Bytes from an async source, taken in exact amounts. */
class ByteQueue {
  private chunks: Buffer[] = [];
  private length = 0;
  private done = false;
  private readonly iterator: AsyncIterator<Buffer>;
  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Whether the source has more bytes (reads ahead if needed). */
  async more(): Promise<boolean> {
    if (this.length) return true;
    await this.fill(1);
    return this.length > 0;
  }

  private async fill(n: number): Promise<void> {
    while (this.length < n && !this.done) {
      const r = await this.iterator.next();
      if (r.done) this.done = true;
      else if (r.value.length) {
        this.chunks.push(r.value);
        this.length += r.value.length;
      }
    }
  }

  /** Exactly n bytes (copied only when they span chunks). */
  async take(n: number): Promise<Buffer> {
    if (n === 0) return EMPTY_BUFFER; // an empty raw block: nothing may be buffered at all
    await this.fill(n);
    if (this.length < n) throw new TarFormatError('the zstd data ends in the middle of a frame (truncated archive)');
    const first = this.chunks[0] as Buffer;
    if (first.length >= n) {
      this.consume(first, n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0] as Buffer;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      this.consume(c, k);
      off += k;
    }
    return out;
  }

  /** Up to n bytes (at least one), without copying. */
  async takeSome(n: number): Promise<Buffer> {
    await this.fill(1);
    const first = this.chunks[0];
    if (!first) throw new TarFormatError('the zstd data ends in the middle of a frame (truncated archive)');
    const k = Math.min(first.length, n);
    this.consume(first, k);
    return first.subarray(0, k);
  }

  private consume(first: Buffer, k: number): void {
    this.length -= k;
    if (k === first.length) this.chunks.shift();
    else this.chunks[0] = first.subarray(k);
  }

  async return(): Promise<void> {
    await this.iterator.return?.();
  }
}

interface FrameHeader {
  bytes: Buffer;
  contentSize: number | null;
  checksum: boolean;
}

async function readFrameHeader(q: ByteQueue, magicBytes: Buffer): Promise<FrameHeader> {
  const fhdBytes = await q.take(1);
  const fhd = fhdBytes[0] as number;
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  if ((fhd >> 3) & 1) throw new TarFormatError('a zstd frame header has its reserved bit set (damaged data)');
  const checksum = ((fhd >> 2) & 1) === 1;
  const didBytes = [0, 1, 2, 4][fhd & 3] as number;
  const fcsBytes = fcsFlag === 0 ? single : ([0, 2, 4, 8][fcsFlag] as number);
  const rest = await q.take((single ? 0 : 1) + didBytes + fcsBytes);
  let off = single ? 0 : 1;
  if (didBytes) {
    const did = rest.readUIntLE(off, didBytes);
    if (did !== 0) throw new TarFormatError('a zstd frame needs a dictionary (not a backup Upkeep wrote)');
    off += didBytes;
  }
  let contentSize: number | null = null;
  if (fcsBytes === 1) contentSize = rest[off] as number;
  else if (fcsBytes === 2) contentSize = rest.readUInt16LE(off) + 256;
  else if (fcsBytes === 4) contentSize = rest.readUInt32LE(off);
  else if (fcsBytes === 8) {
    const big = rest.readBigUInt64LE(off);
    contentSize = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
  }
  return { bytes: Buffer.concat([magicBytes, fhdBytes, rest]), contentSize, checksum };
}

/**
 * A frame without a declared size, any block types: walked to its end (what each block can
 * decode to bounds the whole), then decoded in one call.
 */
async function* decodeUnsized(q: ByteQueue, header: FrameHeader, codec: Codec, rules: ZstdFrameRules): AsyncGenerator<Buffer> {
  const parts: Buffer[] = [header.bytes];
  let frameBytes = header.bytes.length;
  let bound = 0;
  let blocks = 0;
  const maxBlocks = Math.ceil(rules.maxFrameContent / MIN_AVERAGE_BLOCK) + 1;
  for (;;) {
    if (++blocks > maxBlocks) throw frameTooLarge(null, rules);
    const bh = await q.take(3);
    const v = bh.readUIntLE(0, 3);
    const type = (v >> 1) & 3;
    const size = v >>> 3;
    if (type === 3) throw new TarFormatError('a zstd block has the reserved type (damaged data)');
    if (size > MAX_BLOCK) throw new TarFormatError('a zstd block is larger than 128 KiB (damaged data)');
    const body = type === 1 ? 1 : size;
    parts.push(bh, await q.take(body));
    frameBytes += 3 + body;
    bound += type === 2 ? MAX_BLOCK_CONTENT : size;
    if (frameBytes > rules.maxFrameContent + MAX_BLOCK) throw frameTooLarge(null, rules);
    if (v & 1) break;
  }
  if (header.checksum) parts.push(await q.take(4));
  const out = codec.decompressAtMost(Buffer.concat(parts), Math.min(bound, rules.maxFrameContent));
  if (out === null) throw bound > rules.maxFrameContent ? frameTooLarge(null, rules) : new TarFormatError('a zstd frame decodes to more than its blocks allow (damaged data)');
  if (out.length) yield out;
}

/**
 * The decoded bytes of a stream of zstd frames (see the top of this file for what is accepted).
 * Each frame with a declared size is decoded whole by `codec`; raw frames pass straight through.
 */
export async function* decodeZstd(source: AsyncIterable<Buffer>, codec: Codec, rules: ZstdFrameRules = BACKUP_FRAMES): AsyncGenerator<Buffer> {
  const q = new ByteQueue(source);
  try {
    while (await q.more()) {
      const magicBytes = await q.take(4);
      const magic = magicBytes.readUInt32LE(0);
      if (magic >>> 4 === 0x184d2a5) {
        // A skippable frame: its size, then bytes that mean nothing here.
        let skip = (await q.take(4)).readUInt32LE(0);
        while (skip > 0) skip -= (await q.takeSome(skip)).length;
        continue;
      }
      if (magic !== MAGIC) throw new TarFormatError('the data is not a zstd frame where one should start (damaged archive)');
      const header = await readFrameHeader(q, magicBytes);
      if (header.contentSize !== null) {
        if (header.contentSize > rules.maxFrameContent) throw frameTooLarge(header.contentSize, rules);
        // The whole frame, then one call to decode it: its blocks are walked only to find its end.
        const parts: Buffer[] = [header.bytes];
        let frameBytes = header.bytes.length;
        // Blocks are counted: a run of empty ones would otherwise cost two Buffer objects per 3
        // bytes read (16 MiB of them: ~750 MB of heap) before the frame's length stops them.
        let blocksLeft = Math.ceil(header.contentSize / MIN_AVERAGE_BLOCK) + 1;
        for (;;) {
          if (blocksLeft-- === 0) throw new TarFormatError('a zstd frame has more blocks than its declared content needs (damaged data)');
          const bh = await q.take(3);
          const v = bh.readUIntLE(0, 3);
          const type = (v >> 1) & 3;
          const size = v >>> 3;
          if (type === 3) throw new TarFormatError('a zstd block has the reserved type (damaged data)');
          const body = type === 1 ? 1 : size;
          if (size > MAX_BLOCK && type !== 1) throw new TarFormatError('a zstd block is larger than 128 KiB (damaged data)');
          parts.push(bh, await q.take(body));
          frameBytes += 3 + body;
          if (frameBytes > rules.maxFrameContent + MAX_BLOCK) throw new TarFormatError('a zstd frame is longer than its declared content allows (damaged data)');
          if (v & 1) break;
        }
        if (header.checksum) parts.push(await q.take(4));
        // Decoded even when it declares 0 bytes: a frame must not carry blocks nobody checks.
        const out = codec.decompress(Buffer.concat(parts), header.contentSize);
        if (out.length) yield out;
        continue;
      }
      if (rules.unsizedCompressed) {
        yield* decodeUnsized(q, header, codec, rules);
        continue;
      }
      // No declared size: raw and RLE blocks only, streamed.
      for (;;) {
        const v = (await q.take(3)).readUIntLE(0, 3);
        const type = (v >> 1) & 3;
        const size = v >>> 3;
        if (type === 2 || type === 3) throw new TarFormatError('a zstd frame without a declared size holds compressed blocks (not a backup Upkeep wrote, or damaged)');
        if (size > MAX_BLOCK) throw new TarFormatError('a zstd block is larger than 128 KiB (damaged data)');
        if (type === 1) {
          const byte = (await q.take(1))[0] as number;
          if (size) yield Buffer.alloc(size, byte);
        } else {
          let left = size;
          while (left > 0) {
            const piece = await q.takeSome(left);
            left -= piece.length;
            yield piece;
          }
        }
        if (v & 1) break;
      }
      if (header.checksum) await q.take(4); // the archive's sha256 covers these bytes
    }
  } finally {
    await q.return();
  }
}
