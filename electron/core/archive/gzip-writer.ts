import os from 'node:os';
import zlib from 'node:zlib';

function deflateRaw(buf: Buffer, options: zlib.ZlibOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    zlib.deflateRaw(buf, options, (error, out) => (error ? reject(error) : resolve(out))),
  );
}

const WINDOW = 32 * 1024;
/** Input bytes of blocks started but not yet written (see cut()). */
const MAX_IN_FLIGHT_BYTES = 8 * 1024 * 1024;
const STORED_MAX = 65535;
/** Below this, data of the other kind joins the current block instead of starting a new one. */
const SWITCH_BYTES = 4096;

function lastBytes(parts: Buffer[], n: number): Buffer {
  const picked: Buffer[] = [];
  let have = 0;
  for (let i = parts.length - 1; i >= 0 && have < n; i--) {
    const p = parts[i];
    if (p === undefined) break;
    const take = Math.min(p.length, n - have);
    picked.unshift(p.subarray(p.length - take));
    have += take;
  }
  return Buffer.concat(picked, have);
}
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);
/** An empty final fixed-Huffman block: ends a deflate stream whose blocks were sync-flushed. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

export interface ByteSink {
  /**
   * Write buffers in order (several at once go out as one vectored write). Calls may overlap:
   * each write starts once the ones before it are done, and its promise settles when it is on
   * disk (in the page cache); the buffers are the sink's until then.
   */
  write(data: Buffer | Buffer[]): Promise<void>;
}

/**
 * The tar stream goes through one of these: plain, or gzip. `release` is called once the encoder
 * no longer holds `data`, so the caller can reuse the buffer (bounded memory, little garbage).
 */
export interface StreamEncoder {
  /** `unknownType`: compressible bytes of a file not known as text by its name (zstd picks its build by it). */
  push(data: Buffer, compressible: boolean, release?: () => void, unknownType?: boolean): Promise<void>;
  finish(): Promise<void>;
}

type Release = () => void;
const releaseAll = (list: Release[]) => {
  for (const r of list) r();
};

/** Uncompressed output, written in large writes. */
export class PlainEncoder implements StreamEncoder {
  private parts: Buffer[] = [];
  private releases: Release[] = [];
  private length = 0;
  constructor(
    private readonly sink: ByteSink,
    private readonly blockSize = 1024 * 1024,
  ) {}

  async push(data: Buffer, _compressible?: boolean, release?: Release): Promise<void> {
    this.parts.push(data);
    if (release) this.releases.push(release);
    this.length += data.length;
    if (this.length >= this.blockSize) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.length) return;
    const releases = this.releases;
    const [only] = this.parts;
    const block = this.parts.length === 1 && only !== undefined ? only : Buffer.concat(this.parts, this.length);
    this.parts = [];
    this.releases = [];
    this.length = 0;
    await this.sink.write(block);
    releaseAll(releases);
  }

  async finish(): Promise<void> {
    await this.flush();
  }
}

/** Where the encoder takes its block buffers from and gives them back (tar-create's pool). */
export interface BufferSource {
  take(size: number): Buffer;
  give(buf: Buffer): void;
}

export interface GzipOptions {
  pool?: BufferSource;
  /** Level for compressible data (1–9). Data marked incompressible is stored (level 0). */
  level?: number;
  /** Input bytes per independently compressed block. */
  blockSize?: number;
  /** Blocks compressed at once on libuv's thread pool. */
  parallel?: number;
}

/**
 * A gzip stream compressed in parallel blocks, like pigz: each block is raw deflate primed with
 * the previous 32 KiB as dictionary and ended with a sync flush, so the blocks concatenate into
 * ONE standard gzip member any gunzip reads (GNU tar, Python, Node). Blocks of data already
 * compressed (images, wheels, archives) are stored instead of being pushed through deflate,
 * which is where `tar czf` spends most of its time on a real app folder.
 */
export class ParallelGzipEncoder implements StreamEncoder {
  private readonly level: number;
  private readonly blockSize: number;
  private readonly parallel: number;
  private parts: Buffer[] = [];
  private releases: Release[] = [];
  private length = 0;
  private partCompressible = true;
  private crc = 0;
  private inputBytes = 0;
  private tail: Buffer = Buffer.alloc(0);
  private readonly inFlight: {
    output: Promise<Buffer | Buffer[]>;
    releases: Release[];
    deflating: boolean;
    bytes: number;
  }[] = [];
  private deflating = 0;
  private inFlightBytes = 0;
  private started = false;
  private readonly pool: BufferSource | undefined;

  constructor(
    private readonly sink: ByteSink,
    options: GzipOptions = {},
  ) {
    this.pool = options.pool;
    this.level = options.level ?? 6;
    this.blockSize = options.blockSize ?? 1024 * 1024;
    // One block more than there are cores: the thread feeding them (reading, hashing) needs a core
    // part of the time, and a block waiting in line keeps the cores busy meanwhile.
    this.parallel = Math.max(1, options.parallel ?? Math.min(3, os.availableParallelism() + 1));
  }

  async push(data: Buffer, compressible: boolean, release?: Release): Promise<void> {
    if (data.length === 0) {
      release?.();
      return;
    }
    if (this.length > 0 && compressible !== this.partCompressible) {
      // Switch block kinds when it matters: incompressible data of some size gets stored blocks
      // of its own (a tar header before it must not drag it through deflate); a few stored bytes
      // before text simply ride along in the deflated block.
      if (compressible ? this.length >= SWITCH_BYTES : data.length >= SWITCH_BYTES) await this.cut();
    }
    if (this.length === 0) this.partCompressible = compressible;
    else if (compressible) this.partCompressible = true;
    this.parts.push(data);
    if (release) this.releases.push(release);
    this.length += data.length;
    if (this.length >= this.blockSize) await this.cut();
  }

  private async cut(): Promise<void> {
    if (!this.length) return;
    if (!this.started) {
      this.started = true;
      await this.sink.write(GZIP_HEADER);
    }
    const parts = this.parts;
    const releases = this.releases;
    const length = this.length;
    this.parts = [];
    this.releases = [];
    this.length = 0;
    this.inputBytes += length;
    if (this.partCompressible) {
      let block: Buffer;
      const [only] = parts;
      if (parts.length === 1 && only !== undefined) block = only;
      else {
        // Gather the parts into a pooled buffer (given back once deflate is done with it).
        const backing = this.pool ? this.pool.take(length) : Buffer.allocUnsafe(length);
        let off = 0;
        for (const part of parts) off += part.copy(backing, off);
        block = backing.subarray(0, length);
        if (this.pool) releases.push(() => this.pool?.give(backing));
      }
      this.crc = zlib.crc32(block, this.crc);
      const options: zlib.ZlibOptions = {
        level: this.level,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
        memLevel: 9,
        chunkSize: 128 * 1024,
      };
      if (this.tail.length) options.dictionary = this.tail;
      // The parts are released when deflate is done with them (the block may be one of them).
      this.inFlight.push({ output: deflateRaw(block, options), releases, deflating: true, bytes: length });
      this.deflating++;
      this.inFlightBytes += length;
    } else {
      // Stored blocks written by hand, pointing at the input (no copy, no trip through zlib).
      const out: Buffer[] = [];
      for (const part of parts) {
        this.crc = zlib.crc32(part, this.crc);
        for (let off = 0; off < part.length; off += STORED_MAX) {
          const n = Math.min(STORED_MAX, part.length - off);
          const head = Buffer.allocUnsafe(5);
          head[0] = 0x00; // BFINAL=0, BTYPE=00 (stored); the stream is byte-aligned after a sync flush
          head.writeUInt16LE(n, 1);
          head.writeUInt16LE(~n & 0xffff, 3);
          out.push(head, off === 0 && n === part.length ? part : part.subarray(off, off + n));
        }
      }
      this.inFlight.push({ output: Promise.resolve(out), releases, deflating: false, bytes: length });
      this.inFlightBytes += length;
    }
    // Keep the last 32 KiB as the next block's dictionary (a copy: the parts are the caller's buffers).
    this.tail = lastBytes([this.tail, ...parts], WINDOW);
    // Blocks go out in order. Stored blocks cost nothing to make, so they may queue behind a block
    // still deflating (up to MAX_IN_FLIGHT_BYTES) while the reader moves on to the next text: the
    // cores then never wait for the one deflating block at the head of the line.
    while (this.deflating >= this.parallel || this.inFlightBytes >= MAX_IN_FLIGHT_BYTES) await this.writeOldest();
  }

  private async writeOldest(): Promise<void> {
    const next = this.inFlight.shift();
    if (!next) return;
    if (next.deflating) this.deflating--;
    this.inFlightBytes -= next.bytes;
    const output = await next.output;
    await this.sink.write(output);
    releaseAll(next.releases);
  }

  async finish(): Promise<void> {
    await this.cut();
    if (!this.started) {
      this.started = true;
      await this.sink.write(GZIP_HEADER);
    }
    while (this.inFlight.length) await this.writeOldest();
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.inputBytes % 2 ** 32, 4);
    await this.sink.write(Buffer.concat([FINAL_EMPTY_BLOCK, trailer]));
  }

  /** Wait for blocks already started (on an error path) so no callback outlives the caller. */
  async drain(): Promise<void> {
    await Promise.allSettled(this.inFlight.splice(0).map((x) => x.output));
  }
}
