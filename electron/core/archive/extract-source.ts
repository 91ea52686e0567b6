/**
 * The archive an extraction reads: its compression told by its first bytes, its bytes hashed and
 * counted as they are read, decoded (gzip, zstd, or none; a zip is read by offsets elsewhere), and
 * the expanded stream checked against the ratio limit (a compression bomb).
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs, type ReadStream } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { UpkeepError } from '../../../shared/errors';
import type { ExtractLimits } from './extract-checks';
import type { ExtractOptions } from './extract-types';
import { Refusal } from './refusal';
import { ANY_FRAMES, BACKUP_FRAMES, decodeZstd, zstdDecoder, type ZstdDecoder } from './zstd';
import { errnoCode, errorMessage } from '../lib/error-info';

export type Compression = 'gzip' | 'zstd' | 'none' | 'zip';

/**
 * Inflated bytes gunzip may hold for the reader. zlib inflates the next chunk only when its
 * output buffer has room: with the default 16 KiB, every 128 KiB chunk waited for the files
 * before it to be written; with 1 MiB, inflating runs on libuv's pool while they are written
 * (verifying a 300 MB backup: 0.85 s → 0.75 s).
 */
const INFLATE_AHEAD = 1024 * 1024;
/** See ExtractOptions.reclaim: a 300 MB restore peaked at ~148 MB without, ~127 MB with (every 4 MiB). */
const RECLAIM_EVERY = 4 * 1024 * 1024;

function detectCompression(head: Buffer): Compression | 'bzip2' | 'xz' {
  if (head.length < 4) return 'none';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head[0] === 0xfd && head.toString('latin1', 1, 5) === '7zXZ') return 'xz';
  if (head.toString('latin1', 0, 4) === 'PK\u0003\u0004') return 'zip';
  return 'none';
}

async function readHead(file: string): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await handle.read(buf, 0, 8, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The runtime's zstd decoder, where it has one (Node 22.15 and later; not in Node 20's typings). */
const runtimeZlib: {
  createGunzip: typeof zlib.createGunzip;
  createZstdDecompress?: (options: zlib.ZlibOptions) => zlib.Gunzip;
} = zlib;

export function hasZstd(): boolean {
  return typeof runtimeZlib.createZstdDecompress === 'function';
}

/** Inflate with modest buffers (see openArchive): highWaterMark is a stream option the typings leave out. */
const GUNZIP_OPTIONS = { chunkSize: 128 * 1024, highWaterMark: INFLATE_AHEAD };

/** The archive's size and compression; refuses what is not there or not extracted here. */
export async function probeArchive(options: ExtractOptions): Promise<{ size: number; compression: Compression }> {
  const archiveName = path.basename(options.archive);
  let size: number;
  try {
    size = (await fs.stat(options.archive)).size;
  } catch (error) {
    throw new UpkeepError('NOT_FOUND', `Archive ${options.archive} cannot be read (${errnoCode(error)}).`, {
      archive: options.archive,
    });
  }
  const compression = detectCompression(await readHead(options.archive));
  if (compression === 'bzip2' || compression === 'xz' || (compression === 'zip' && !options.zip)) {
    throw new UpkeepError(
      'UNSUPPORTED',
      `${archiveName} is a ${compression} archive; Upkeep extracts tar, tar.gz and tar.zst archives${options.zip ? ' and zip' : ''} here. Use a .tar.gz asset instead.`,
      { archive: options.archive },
    );
  }
  return { size, compression };
}

/** The archive being read: the raw stream, the expanded tar bytes, and what was read so far. */
export interface ArchiveStream {
  input: ReadStream;
  /** The tar stream (for a zip: nothing; the stream then only hashes it). */
  tar: AsyncIterable<Buffer>;
  /** Archive bytes read so far (compressed). */
  readonly archiveBytes: number;
  /** sha256 of the archive, hex (null when the caller hashes it: `archiveHash: 'by-caller'`). */
  digest(): string | null;
}

/**
 * Open the archive for reading. zstd: a backup's own frames always with Upkeep's reader; anything
 * else with the runtime's decoder where it has one, else with Upkeep's reader taking any frame.
 */
export async function openArchive(
  options: ExtractOptions,
  compression: Compression,
  limits: ExtractLimits,
): Promise<ArchiveStream> {
  const ownZstd = compression === 'zstd' && (options.ownZstdFrames === true || !hasZstd());
  const zstdRules = options.ownZstdFrames === true ? BACKUP_FRAMES : ANY_FRAMES;
  const hashInline = options.archiveHash !== 'by-caller';
  const archiveHash = createHash('sha256');
  // Loaded before the file is opened: nothing may await between the stream's start and its readers.
  let codec: ZstdDecoder | null = null;
  if (ownZstd) {
    try {
      codec = await zstdDecoder(zstdRules);
    } catch (error) {
      throw new UpkeepError(
        'UNSUPPORTED',
        `${path.basename(options.archive)} is zstd-compressed, and the zstd modules (@foxglove/wasm-zstd, @bokuweb/zstd-wasm) cannot be loaded here (${errorMessage(error)}). Reinstall Upkeep (npm ci) to restore it.`,
        { archive: options.archive },
        { cause: error },
      );
    }
  }
  const state = { archiveBytes: 0 };
  // Modest buffers: every read and every inflated chunk is a new allocation, and what V8 has not
  // collected yet counts in the peak memory (256 KiB + 128 KiB: ~140 MB peak for a 300 MB restore, ~150 with 1 MiB + 256 KiB).
  const input = createReadStream(options.archive, { highWaterMark: 256 * 1024 });
  input.on('data', (chunk) => {
    if (hashInline) archiveHash.update(chunk);
    state.archiveBytes += chunk.length;
  });
  const decoder: zlib.Gunzip | null =
    compression === 'gzip'
      ? zlib.createGunzip(GUNZIP_OPTIONS)
      : compression === 'zstd' && !ownZstd
        ? (runtimeZlib.createZstdDecompress?.({ chunkSize: 256 * 1024 }) ?? null)
        : null;
  // A file stream yields Buffers (no encoding is set), and so does the decoder piped from it.
  const bytes: AsyncIterable<Buffer> = input;
  const decoded: AsyncIterable<Buffer> = decoder
    ? input.pipe(decoder)
    : codec
      ? decodeZstd(bytes, codec, zstdRules, options.ownZstdFrames === true && options.zstdHelpers === true)
      : bytes;
  input.on('error', (error) => decoder?.destroy(error));
  return {
    input,
    tar: counted(decoded, compression, limits, options.reclaim, () => state.archiveBytes),
    get archiveBytes() {
      return state.archiveBytes;
    },
    digest: () => (hashInline ? archiveHash.digest('hex') : null),
  };
}

/** The expanded bytes, counted: `reclaim` every RECLAIM_EVERY, and refused past the ratio limit. */
async function* counted(
  decoded: AsyncIterable<Buffer>,
  compression: Compression,
  limits: ExtractLimits,
  reclaim: (() => void) | undefined,
  archiveBytes: () => number,
): AsyncGenerator<Buffer> {
  let tarBytes = 0;
  let nextReclaim = RECLAIM_EVERY;
  for await (const chunk of decoded) {
    tarBytes += chunk.length;
    if (reclaim && tarBytes >= nextReclaim) {
      nextReclaim = tarBytes + RECLAIM_EVERY;
      reclaim();
    }
    if (
      compression !== 'none' &&
      tarBytes > limits.ratioGraceBytes &&
      tarBytes / Math.max(1, archiveBytes()) > limits.maxRatio
    ) {
      throw new Refusal(
        'ARCHIVE_TOO_LARGE',
        null,
        `it expands more than ${limits.maxRatio} times (a compression bomb)`,
      );
    }
    yield chunk;
  }
}
