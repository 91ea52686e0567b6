/** zstd in this thread (the WebAssembly module, see zstd.ts), the frame rules and the format's limits. */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import { TarFormatError } from './tar-format';
import { errorMessage } from '../lib/error-info';

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
 * The part of @foxglove/wasm-zstd used here: it compresses text. The same reference library,
 * built so that it compresses about twice as fast as the decoder's build (2 MiB blocks of a
 * 30,000-file node_modules tree at level 3: 0.53 s against 0.95 s, the same size within 0.02%);
 * frames declare their size, as the reader requires, and both builds read each other's frames.
 */
interface WasmZstdCompressor {
  isLoaded: Promise<void>;
  compress(data: Uint8Array, level: number): Buffer;
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

/** Where the compressor's package entry is (see WasmZstdCompressor): the helper threads load it by this path. */
export function compressorPath(): string {
  return requireHere.resolve('@foxglove/wasm-zstd');
}

/** A frame must decode to exactly the size it declares (the codec here and the helper threads alike). */
export function checkDecodedSize(decoded: number, declared: number): void {
  if (decoded !== declared)
    throw new TarFormatError(`a zstd frame decodes to ${decoded} bytes, not the ${declared} it declares`);
}

let loading: Promise<Codec> | null = null;
let loadingFast: Promise<FastCompressor> | null = null;
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

export function zstdFast(): Promise<FastCompressor> {
  loadingFast ??= (async () => {
    if (!(await zstdModulesValid('fast'))) throw new Error('the zstd module @foxglove/wasm-zstd is missing or damaged');
    const compressor = requireHere(compressorPath()) as WasmZstdCompressor;
    await compressor.isLoaded;
    return (data: Uint8Array, level: number) => compressor.compress(data, level);
  })();
  // As zstdCodec: the caller gets the load's error, and a later call tries again.
  loadingFast.catch(() => {
    loadingFast = null;
  });
  return loadingFast;
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
