/**
 * zstd for backups, the same on every runtime: the reference zstd library compiled to
 * WebAssembly, in two builds — @foxglove/wasm-zstd compresses text (about twice as fast as the
 * other) and decodes every frame that declares its size, @bokuweb/zstd-wasm compresses data of
 * unknown type (see ZstdBuild) and decodes frames without a declared size (zstdDecoder). Each
 * module imports nothing but a few runtime hooks, so it can do no I/O; it only ever sees buffers
 * whose sizes this file has checked first. A backup is written as zstd only where both load
 * (their WebAssembly is checked first: see zstdModulesValid), else as gzip.
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
export {
  ANY_FRAME_CONTENT,
  ANY_FRAMES,
  BACKUP_FRAMES,
  BLOCK_SIZE,
  MAX_FRAME_CONTENT,
  zstdCodec,
  zstdDecoder,
  zstdFast,
  zstdModulesValid,
  type Codec,
  type FastCompressor,
  type ZstdDecoder,
  type ZstdFrameRules,
} from './zstd-codec';
export { ZstdHelpers, helperCount } from './zstd-helpers';
export { ZstdEncoder, rawFrame, type Later, type ZstdEncoderOptions } from './zstd-encoder';
export { decodeZstd, framesDecodedOnHelpers } from './zstd-decode';
