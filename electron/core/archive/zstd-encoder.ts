/** Writing a backup's `.tar.zst`: text in compressed frames, stored data in raw frames (see zstd.ts). */
import type { BufferSource, ByteSink, StreamEncoder } from './gzip-writer';
import {
  BLOCK_SIZE,
  MAX_BLOCK,
  zstdCodec,
  zstdFast,
  type Codec,
  type FastCompressor,
  type ZstdBuild,
} from './zstd-codec';
import type { ZstdHelpers } from './zstd-helpers';

/** Bytes of stored data per raw frame (its buffers are held until the frame is written). */
const STORED_FRAME = 1024 * 1024;
/**
 * Stored bytes that may wait behind blocks still being compressed (their buffers are held): enough
 * that this thread goes on reading while the helpers work, few enough to keep memory flat.
 */
const MAX_STORED_WAITING = 4 * 1024 * 1024;
/** Bytes handed to the sink and not yet written. */
const MAX_WRITING = 2 * 1024 * 1024;

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
  /**
   * With helpers: when every helper has a block waiting, this thread compresses the next block
   * itself instead of waiting for one to finish. Only for a thread of its own (the backup
   * worker), never a host's event loop (a 2 MiB block takes ~20 ms).
   */
  compressHere?: boolean;
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
  private fast: FastCompressor | null = null;
  private readonly compressHere: boolean;
  /** Blocks this thread compressed itself while the helpers were busy (see compressHere). */
  compressedHere = 0;
  /** Bytes of data of unknown type in the block being filled (see ZstdBuild). */
  private blockDataBytes = 0;
  /** Blocks compressed by each build. */
  readonly blocksBy: Record<ZstdBuild, number> = { fast: 0, splitting: 0 };

  constructor(
    private readonly sink: ByteSink,
    options: ZstdEncoderOptions = {},
  ) {
    this.level = options.level ?? 3;
    this.blockSize = options.blockSize ?? BLOCK_SIZE;
    this.helpers = options.helpers ?? null;
    this.compressHere = options.compressHere === true && this.helpers !== null;
    // Each helper has one block to work on and one waiting (and, when this thread compresses
    // too, one done and not yet written, so this thread goes on instead of waiting for it).
    this.maxCompressing = this.helpers ? this.helpers.size * 2 + (this.compressHere ? 1 : 0) : 1;
  }

  /** `unknownType`: compressible bytes of a file not known as text by its name (see ZstdBuild). */
  async push(data: Buffer, compressible: boolean, release?: Release, unknownType = false): Promise<void> {
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
        if (unknownType) this.blockDataBytes += n;
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

  /** This thread's compressor for a build: the decoder's module is loaded only for a block that needs it. */
  private async compressorFor(build: ZstdBuild): Promise<FastCompressor> {
    if (build === 'fast') return (this.fast ??= await zstdFast());
    const codec = (this.codec ??= await zstdCodec());
    return (data, level) => codec.compress(data, level);
  }

  private async cutBlock(): Promise<void> {
    const block = this.block;
    if (block === null) throw new Error('zstd encoder: bytes counted in a block that is not there');
    const length = this.blockLength;
    // Mostly data of unknown type: the build that splits its blocks (a LICENSE file among
    // 500 sources leaves a block to the fast one).
    const build: ZstdBuild = this.blockDataBytes * 2 >= length ? 'splitting' : 'fast';
    this.blocksBy[build]++;
    this.block = null;
    this.blockLength = 0;
    this.blockDataBytes = 0;
    let output: Promise<Buffer>;
    if (this.helpers && this.compressHere && this.helpers.busy >= this.helpers.size * 2) {
      // Every helper is busy: compressing here beats waiting. The frame waits its turn like
      // stored bytes do (counted in storedWaiting, which bounds how many may wait).
      const frame = (await this.compressorFor(build))(new Uint8Array(block, 0, length), this.level);
      this.compressedHere++;
      this.spareBlocks.push(block);
      this.inFlight.push({ output: Promise.resolve(frame), releases: [], compressing: false, bytes: frame.length });
      this.storedWaiting += frame.length;
      await this.makeRoom();
      return;
    }
    if (this.helpers) {
      output = this.helpers.compress(block, length, this.level, build).then(({ frame, block: back }) => {
        if (back.byteLength === this.blockSize && this.spareBlocks.length < this.maxCompressing + 1)
          this.spareBlocks.push(back);
        return frame;
      });
    } else {
      const frame = (await this.compressorFor(build))(new Uint8Array(block, 0, length), this.level);
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
    while (this.compressing >= this.maxCompressing || this.storedWaiting >= MAX_STORED_WAITING)
      await this.writeOldest();
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
    while (this.writingBytes > limit) {
      const w = this.writing.shift();
      if (w === undefined) break;
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
    await Promise.allSettled([
      ...this.inFlight.splice(0).map((x) => x.output),
      ...this.writing.splice(0).map((w) => w.done),
    ]);
  }
}
