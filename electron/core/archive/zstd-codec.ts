/** zstd in this thread (the WebAssembly module, see zstd.ts), the frame rules and the format's limits. */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import { TarFormatError } from './tar-format';
import { errorMessage } from '../lib/error-info';
import { logger } from '../lib/log';

const log = logger('archive.zstd');

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

export function frameTooLarge(bytes: number | null, rules: ZstdFrameRules): Error {
  const mib = Math.round(rules.maxFrameContent / 1024 / 1024);
  if (!rules.unsizedCompressed) {
    return new TarFormatError(
      `a zstd frame declares ${bytes} bytes, more than the ${rules.maxFrameContent} Upkeep decodes at once (not a backup Upkeep wrote, or damaged)`,
    );
  }
  return new UpkeepError(
    'UNSUPPORTED',
    `The archive holds a zstd frame of ${bytes === null ? `more than ${mib} MiB` : `${bytes} bytes`}; without the runtime's own zstd (Node 22.15+) Upkeep decodes each frame whole and takes frames of up to ${mib} MiB. Use the release's .tar.gz or .zip asset, or run Upkeep on a runtime with zstd (the desktop app, Node 22.15+).`,
    { max_frame_bytes: rules.maxFrameContent },
  );
}

/** The part of @bokuweb/zstd-wasm used here: it decodes, and compresses data of unknown type (its simple API, with reused contexts). */
interface WasmZstd {
  init(): Promise<void>;
  createCCtx(): number;
  compressUsingDict(cctx: number, buf: Uint8Array, dict: Uint8Array, level: number): Uint8Array;
  createDCtx(): number;
  decompressUsingDict(dctx: number, buf: Uint8Array, dict: Uint8Array, opts: { defaultHeapSize: number }): Uint8Array;
}

/**
 * Which build compresses a block. `fast` (@foxglove/wasm-zstd) for blocks of text known by its
 * name; `splitting` (@bokuweb/zstd-wasm, a newer zstd that splits its blocks where the data
 * changes) for blocks holding data of unknown type, where that split saves ~1.6% (the mixed
 * bench tree: 193.3 MB against 196.4 MB) for about 1.7× the time.
 */
export type ZstdBuild = 'fast' | 'splitting';

export const MAGIC = 0xfd2fb528;
/** Input bytes per compressed frame. */
export const BLOCK_SIZE = 2 * 1024 * 1024;
/** The largest frame content the reader decodes whole (Upkeep writes BLOCK_SIZE). */
export const MAX_FRAME_CONTENT = 16 * 1024 * 1024;
/** A block decodes to at most this much (zstd's Block_Maximum_Size). */
export const MAX_BLOCK_CONTENT = 128 * 1024;
/** Raw and RLE blocks: at most 128 KiB each (zstd's block limit). */
export const MAX_BLOCK = 128 * 1024;
/**
 * Content per block of a frame with a declared size, on average at least: zstd writes blocks of
 * up to 128 KiB, split at level 3 into no fewer than ~8 KiB each (measured: 483 blocks for the
 * worst 4 MiB seen, 8,193 allowed).
 */
export const MIN_AVERAGE_BLOCK = 512;
const EMPTY = new Uint8Array(0);

const requireHere = createRequire(import.meta.url);
/** Where the decoder's package entry is: the helper threads load it by this path. */
export function modulePath(): string {
  return requireHere.resolve('@bokuweb/zstd-wasm');
}

/** Where the fast build's package entry is (see FastModule): the helper threads load it by this path. */
export function compressorPath(): string {
  return requireHere.resolve('@foxglove/wasm-zstd');
}

/** A frame must decode to exactly the size it declares (the codec here and the helper threads alike). */
export function checkDecodedSize(decoded: number, declared: number): void {
  if (decoded !== declared)
    throw new TarFormatError(`a zstd frame decodes to ${decoded} bytes, not the ${declared} it declares`);
}

let loading: Promise<Codec> | null = null;
const checked = new Map<string, Promise<boolean>>();
/** The runtime's WebAssembly (its types are not in this project's libraries). */
const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

/**
 * Whether these zstd modules' WebAssembly files are there and valid (each file checked once, ~1 ms).
 * Checked before a module is loaded: the fast build's loader leaves its load's failure unhandled,
 * which would end the process, so a damaged install must be found before it is required.
 */
export function zstdModulesValid(which: 'fast' | 'decoder' | 'both'): Promise<boolean> {
  const files: string[] = [];
  try {
    if (which !== 'fast') files.push(path.join(path.dirname(modulePath()), 'zstd.wasm'));
    if (which !== 'decoder') files.push(path.join(path.dirname(compressorPath()), 'wasm-zstd.wasm'));
  } catch {
    return Promise.resolve(false); // a package is missing
  }
  const valid = (file: string): Promise<boolean> => {
    let check = checked.get(file);
    if (!check) {
      check = readFile(file).then(
        (bytes) => wasm.validate(bytes),
        () => false,
      );
      checked.set(file, check);
    }
    return check;
  };
  return Promise.all(files.map(valid)).then((ok) => ok.every(Boolean));
}

/** The fast build alone (see ZstdBuild): what compressing text needs, without the decoder's module (~7 MB a thread). */
export type FastCompressor = (data: Uint8Array, level: number) => Buffer;

/**
 * @foxglove/wasm-zstd, the fast build: it compresses text and decodes every frame that declares
 * its size. The same reference library, built so that it compresses about twice as fast as the
 * decoder's build (2 MiB blocks of a 30,000-file node_modules tree at level 3: 0.53 s against
 * 0.95 s, the same size within 0.02%) and decodes a little faster (that backup's frames: 0.15 s
 * against 0.19–0.22 s); both builds read each other's frames. Its module as its factory makes it
 * (emscripten), driven here directly rather than through the package's wrapper, which allocates and frees both buffers in the module's
 * heap for every call and copies each result into a new buffer.
 */
interface FastModule {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _compressBound(bytes: number): number;
  _compress(dst: number, capacity: number, src: number, length: number, level: number): number;
  /** ZSTD_decompress: the decoded length, or a negative number when the frame does not decode into `capacity`. */
  _decompress(dst: number, capacity: number, src: number, length: number): number;
}

/** A block of the module's heap: where it starts and how long it is. */
interface HeapArea {
  at: number;
  room: number;
}

/** Room kept between calls in the module's heap (a backup's blocks are BLOCK_SIZE); more is freed after use. */
const KEEP_ROOM = 4 * 1024 * 1024;

/**
 * One instance of the fast build per thread, with an input and an output area in its heap that
 * are reused from call to call. Every call is synchronous and copies in and out before it
 * returns, so callers never see the module's memory (which moves when it grows).
 */
class FastZstd {
  private src: HeapArea = { at: 0, room: 0 };
  private dst: HeapArea = { at: 0, room: 0 };

  constructor(private readonly m: FastModule) {}

  /** The area `key` made at least `need` bytes long (a new one in its place when it is shorter). */
  private grow(key: 'src' | 'dst', need: number): void {
    const area = this[key];
    if (need <= area.room) return;
    if (area.at) this.m._free(area.at);
    this[key] = { at: 0, room: 0 }; // freed: never used again, even if the next allocation fails
    const room = Math.max(need, 64 * 1024);
    const at = this.m._malloc(room);
    if (!at) throw new Error('the zstd module is out of memory');
    this[key] = { at, room };
  }

  /** Input and output areas of at least these sizes (the heap may move: read HEAPU8 after). */
  private reserve(input: number, output: number): void {
    this.grow('src', input);
    this.grow('dst', output);
  }

  /** Give back areas grown past KEEP_ROOM for one large frame. */
  private trim(): void {
    for (const key of ['src', 'dst'] as const) {
      const area = this[key];
      if (area.room <= KEEP_ROOM) continue;
      this.m._free(area.at);
      this[key] = { at: 0, room: 0 };
    }
  }

  compress(data: Uint8Array, level: number): Buffer {
    const bound = this.m._compressBound(data.length);
    this.reserve(data.length, bound);
    try {
      this.m.HEAPU8.set(data, this.src.at);
      const n = this.m._compress(this.dst.at, bound, this.src.at, data.length, level);
      if (n < 0) throw new Error('zstd compression failed');
      const out = Buffer.allocUnsafe(n);
      out.set(this.m.HEAPU8.subarray(this.dst.at, this.dst.at + n));
      return out;
    } finally {
      this.trim();
    }
  }

  /**
   * Decode one frame, the concatenation of `parts` (`frameBytes` in all), that declares `size`
   * bytes of content, into `into` (at least `size` long); returns the part of `into` it filled.
   */
  decodeInto(parts: readonly Uint8Array[], frameBytes: number, size: number, into: Buffer): Buffer {
    this.reserve(frameBytes, Math.max(1, size));
    try {
      const heap = this.m.HEAPU8;
      let length = 0;
      for (const part of parts) length += part.length;
      // The areas are sized by frameBytes: parts that add up to more would write past the input area.
      if (length !== frameBytes) throw new Error(`a zstd frame of ${length} bytes was given as ${frameBytes}`);
      let at = this.src.at;
      for (const part of parts) {
        heap.set(part, at);
        at += part.length;
      }
      const n = this.m._decompress(this.dst.at, size, this.src.at, frameBytes);
      if (n < 0) throw new TarFormatError('a zstd frame does not decode (damaged data)');
      checkDecodedSize(n, size);
      into.set(this.m.HEAPU8.subarray(this.dst.at, this.dst.at + n));
      return into.subarray(0, n);
    } finally {
      this.trim();
    }
  }
}

let loadingFastZstd: Promise<FastZstd> | null = null;

/** This thread's instance of the fast build (loaded once; a failed load is tried again by the next call). */
function fastZstd(): Promise<FastZstd> {
  loadingFastZstd ??= (async () => {
    if (!(await zstdModulesValid('fast'))) throw new Error('the zstd module @foxglove/wasm-zstd is missing or damaged');
    const factory = requireHere(path.join(path.dirname(compressorPath()), 'wasm-zstd.js')) as () => Promise<FastModule>;
    return new FastZstd(await factory());
  })();
  loadingFastZstd.catch(() => {
    loadingFastZstd = null;
  });
  return loadingFastZstd;
}

export function zstdFast(): Promise<FastCompressor> {
  return fastZstd().then((z) => (data: Uint8Array, level: number) => z.compress(data, level));
}

/**
 * What decodeZstd decodes frames with. Frames that declare their size (every frame of a backup)
 * go to the fast build, decoded into the caller's own buffer; frames without a declared size
 * holding compressed blocks (release assets only: ANY_FRAMES) to the decoder's module, which
 * tells a frame too large for its buffer from a damaged one.
 */
export interface ZstdDecoder {
  /** See FastZstd.decodeInto. */
  decodeInto(parts: readonly Uint8Array[], frameBytes: number, size: number, into: Buffer): Buffer;
  /** Codec.decompressAtMost; only where the rules take such frames. */
  decompressAtMost?: Codec['decompressAtMost'];
}

/**
 * The decoder for frames under `rules`: the fast build, and the decoder's module too where the
 * rules take frames without a declared size. Where the fast build cannot load, the decoder's
 * module decodes every frame.
 */
export async function zstdDecoder(rules: ZstdFrameRules): Promise<ZstdDecoder> {
  const fast = await fastZstd().catch((error: unknown) => {
    log.warn('the fast zstd build does not load here; the other build decodes every frame', { error });
    return null;
  });
  if (fast && !rules.unsizedCompressed)
    return { decodeInto: (parts, frameBytes, size, into) => fast.decodeInto(parts, frameBytes, size, into) };
  const codec = await zstdCodec();
  return {
    decodeInto: fast
      ? (parts, frameBytes, size, into) => fast.decodeInto(parts, frameBytes, size, into)
      : (parts, _frameBytes, size, into) => {
          const out = codec.decompress(Buffer.concat(parts), size);
          into.set(out);
          return into.subarray(0, out.length);
        },
    decompressAtMost: (frame, capacity) => codec.decompressAtMost(frame, capacity),
  };
}

/**
 * zstd in this thread, the decoder's module (one compression and one decompression context,
 * reused): it decodes, and compresses with the `splitting` build (the `fast` one is zstdFast).
 */
export interface Codec {
  compress(data: Uint8Array, level: number): Buffer;
  /** Decode one frame that declares `size` bytes of content; anything else is an error. */
  decompress(frame: Uint8Array, size: number): Buffer;
  /** Decode one frame without a declared size into at most `capacity` bytes; null when it needs more. */
  decompressAtMost(frame: Uint8Array, capacity: number): Buffer | null;
}

export function zstdCodec(): Promise<Codec> {
  loading ??= (async () => {
    if (!(await zstdModulesValid('decoder')))
      throw new Error('the zstd module @bokuweb/zstd-wasm is missing or damaged');
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
        checkDecodedSize(out.length, size);
        return Buffer.from(out.buffer, out.byteOffset, out.length);
      },
      decompressAtMost(frame, capacity) {
        dctx ||= zstd.createDCtx();
        let out: Uint8Array;
        try {
          out = zstd.decompressUsingDict(dctx, frame, EMPTY, { defaultHeapSize: Math.max(1, capacity) });
        } catch (error) {
          // ZSTD_error_dstSize_tooSmall: it decodes to more than the capacity.
          if (/code -70\b/.test(errorMessage(error))) return null;
          throw new TarFormatError('a zstd frame does not decode (damaged data)');
        }
        if (out.length > capacity) return null;
        return Buffer.from(out.buffer, out.byteOffset, out.length);
      },
    };
  })();
  // The caller gets the load's error (no zstd: callers fall back to gzip); a later call tries again.
  loading.catch(() => {
    loading = null;
  });
  return loading;
}
