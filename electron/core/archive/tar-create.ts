import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import { fsyncDir } from '../lib/fs-atomic';
import { compressibleByContent, compressibleByName, PROBE_MIN, storedByName, type Probe } from './compressibility';
import { ParallelGzipEncoder, PlainEncoder, type ByteSink, type StreamEncoder } from './gzip-writer';
import { END_OF_ARCHIVE, encodeHeader, paddingFor, tarBytesOf } from './tar-format';
import {
  BufferPool,
  ReadAhead,
  SYNC_READ_MAX,
  ZEROS,
  asyncReader,
  fsError,
  readSmallFileSync,
  streamLargeFile,
  syncReader,
  type LargeFileReader,
  type ReadResult,
} from './tar-sources';
import { BLOCK_SIZE, ZstdEncoder, ZstdHelpers, helperCount, zstdCodec, zstdFast } from './zstd';
import { errnoCode } from '../lib/error-info';
import { sha256Hex } from '../lib/hash';
import { logger } from '../lib/log';

const log = logger('archive.create');

/** One entry to archive. `path` is the archive path (`/` separators, relative, no `..`). */
export interface ArchiveInputEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits (setuid/setgid/sticky are dropped when archiving). */
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Files: where to read the bytes (defaults to nothing: must be given for files). */
  source?: string;
  /** Symlinks: the target, as stored. */
  linkpath?: string;
  /** Files: the size the scan saw (spares a stat; the bytes actually read decide the header). */
  size?: number;
}

/** What was archived for one file: the manifest's per-file record. */
export interface ArchivedFile {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  size: number;
  mode: number;
  mtime: number;
  sha256?: string;
  linkpath?: string;
}

export interface CreateArchiveProgress {
  files: number;
  bytes: number;
}

export interface CreateArchiveOptions {
  entries: ArchiveInputEntry[];
  /** The archive file to write (created; must not exist). Callers write to a temp name and rename. */
  output: string;
  compress: boolean;
  /**
   * With `compress`: gzip (`.tar.gz`, what every tar reads; the default) or zstd (`.tar.zst`,
   * what backups use: a smaller archive in a fraction of the time, see zstd.ts).
   */
  format?: 'gzip' | 'zstd';
  /** Level for compressible data: gzip default 6 (what `tar czf` uses), zstd default 3. Stored data is never compressed. */
  level?: number;
  onProgress?: (progress: CreateArchiveProgress) => void;
  signal?: AbortSignal;
  /**
   * Read small files with blocking reads when their turn comes instead of asynchronous
   * read-ahead: three thread-pool round trips per file (open, read, close) cost more than the
   * read itself. Only for a thread that has nothing else to do (the backup worker), never the
   * host's event loop.
   */
  syncSmallReads?: boolean;
  /** Called after every 4 MiB archived (see ExtractOptions.reclaim: compressed blocks are new buffers too). */
  reclaim?: () => void;
  /**
   * zstd: helper threads the caller started (see startArchiveHelpers), so they load while it
   * scans the folder; closed here like the ones started here.
   */
  helpers?: Promise<ZstdHelpers | null>;
}

export interface CreateArchiveResult {
  files: ArchivedFile[];
  /** Files that disappeared between the scan and the read. */
  skipped: string[];
  /** Sum of file sizes. */
  bytes: number;
  fileCount: number;
  /** Size of the archive written. */
  archiveBytes: number;
  /** sha256 of the archive file, hex. */
  sha256: string;
  /** What was written: zstd is asked for, gzip where zstd could not be loaded. */
  format: 'gzip' | 'zstd' | 'none';
}

const RECLAIM_EVERY = 4 * 1024 * 1024;
/** Already-compressed files from this size on are spread among the text and read late (zstd). */
const DEFER_MIN = 4096;
type SizedEntry = ArchiveInputEntry & { size: number };
const storedLate = (e: ArchiveInputEntry): e is SizedEntry =>
  e.type === 'file' && e.size !== undefined && e.size >= DEFER_MIN && storedByName(e.path);

/**
 * The archive file: hashed as the bytes are handed over (in order, on the calling thread), written
 * one write after another on libuv's pool, so the caller can go on while a write is under way.
 */
class HashingFileSink implements ByteSink {
  readonly hash = createHash('sha256');
  bytes = 0;
  private last: Promise<void> = Promise.resolve();
  constructor(private readonly handle: fs.FileHandle) {}
  write(data: Buffer | Buffer[]): Promise<void> {
    const list = Array.isArray(data) ? data : [data];
    let total = 0;
    for (const b of list) {
      this.hash.update(b);
      total += b.length;
    }
    this.bytes += total;
    // After a failed write nothing more is written: every later write rejects with that error.
    const next = this.last.then(() => this.writeAll(list, total));
    this.last = next;
    return next;
  }

  private async writeAll(list: Buffer[], total: number): Promise<void> {
    let written = list.length === 1 ? 0 : (await this.handle.writev(list)).bytesWritten;
    if (written === total) return;
    // A short vectored write (rare): finish buffer by buffer.
    for (const b of list) {
      if (written >= b.length) {
        written -= b.length;
        continue;
      }
      let offset = written;
      written = 0;
      while (offset < b.length) offset += (await this.handle.write(b, offset, b.length - offset)).bytesWritten;
    }
  }
}

/**
 * The order a zstd archive is written in: folders first (so every file's folder exists before
 * it, whatever comes next), then files and links in the order given, with the large
 * already-compressed files (images, wheels, archives) spread among them by bytes.
 *
 * Text is compressed by helper threads while this thread reads, hashes and stores; the stored
 * files cost this thread alone. Left in name order they come in a run of their own (`static/`,
 * `wheels/`) during which the helpers sit idle — on a typical app folder a third of the time.
 * Here they come in groups, one after each `chunk` bytes of text (one compressed block, so the
 * blocks stay whole), each group its share of the stored bytes. Any tar reader restores the same
 * tree from either order.
 */
export function throughputOrder(entries: ArchiveInputEntry[], chunk: number): ArchiveInputEntry[] {
  const folders: ArchiveInputEntry[] = [];
  const rest: ArchiveInputEntry[] = [];
  const stored: SizedEntry[] = [];
  let restBytes = 0;
  let storedBytes = 0;
  for (const e of entries) {
    if (e.type === 'directory') folders.push(e);
    else if (storedLate(e)) {
      stored.push(e);
      storedBytes += e.size;
    } else {
      rest.push(e);
      restBytes += tarBytesOf(e.size ?? 0);
    }
  }
  const out = folders;
  let s = 0;
  let restDone = 0;
  let storedDone = 0;
  let mark = chunk;
  for (const e of rest) {
    out.push(e);
    restDone += tarBytesOf(e.size ?? 0);
    if (restDone < mark) continue;
    mark = restDone + chunk;
    // The stored files whose share of the stored bytes the text so far has reached.
    for (
      let next = stored[s];
      next !== undefined && (storedDone + next.size / 2) / storedBytes <= restDone / restBytes;
      next = stored[s]
    ) {
      s++;
      out.push(next);
      storedDone += next.size;
    }
  }
  for (const next of stored.slice(s)) out.push(next);
  return out;
}

/** Stored bytes held aside at most (see StoredAside). */
const ASIDE_BYTES = 1024 * 1024;

/**
 * Whole entries of small files whose bytes do not compress, held back and written together once
 * ASIDE_BYTES have gathered (and at the end). Written where they come, files of unknown type that
 * alternate between random and text bytes (caches, data folders) would cut the compressed stream
 * at every switch: thousands of tiny compressed blocks and raw frames, each a round trip to a
 * helper thread. Entries may come in any order (see throughputOrder); each stays whole.
 */
class StoredAside {
  private parts: { data: Buffer; release?: () => void }[] = [];
  private bytes = 0;
  constructor(private readonly encoder: StreamEncoder) {}

  async add(header: Buffer, content: Buffer, release: (() => void) | undefined): Promise<void> {
    this.parts.push({ data: header }, { data: content, release });
    const pad = paddingFor(content.length);
    if (pad) this.parts.push({ data: ZEROS.subarray(0, pad) });
    this.bytes += content.length;
    if (this.bytes >= ASIDE_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    const parts = this.parts;
    this.parts = [];
    this.bytes = 0;
    for (const p of parts) await this.encoder.push(p.data, false, p.release);
  }

  /** Hand the held buffers back (on an error path). */
  drop(): void {
    for (const p of this.parts.splice(0)) p.release?.();
  }
}

/** The zstd codec's fastest useful level as the compressibility probe, where zstd loads. */
async function fastProbe(): Promise<Probe | undefined> {
  const compress = await zstdFast().catch((error: unknown) => {
    // Without zstd there is no probe: every file is compressed, as before compressibility was measured.
    log.info('zstd does not load here; files are compressed without a compressibility probe', { error });
    return null;
  });
  return compress ? (sample) => compress(sample, 1).length : undefined;
}

/** One archive being written: the entries in order, each read, hashed and pushed to the encoder. */
class ArchiveWriter {
  readonly files: ArchivedFile[] = [];
  readonly skipped: string[] = [];
  bytes = 0;
  fileCount = 0;
  private nextReclaim = RECLAIM_EVERY;
  private readonly reader: LargeFileReader;
  private readonly readAhead: ReadAhead;
  private readonly aside: StoredAside | null;

  constructor(
    private readonly options: CreateArchiveOptions,
    private readonly entries: ArchiveInputEntry[],
    private readonly encoder: StreamEncoder,
    private readonly pool: BufferPool,
    private readonly probe: Probe | undefined,
  ) {
    this.reader = this.syncSmall ? syncReader : asyncReader;
    this.readAhead = new ReadAhead(entries, pool, (e) => this.defer(e) || this.readWhenDue(e));
    this.aside = encoder instanceof PlainEncoder ? null : new StoredAside(encoder);
  }

  private get syncSmall(): boolean {
    return this.options.syncSmallReads === true;
  }

  /** Read with a blocking read when its turn comes (see `syncSmallReads`). */
  private readWhenDue(entry: ArchiveInputEntry): boolean {
    return this.syncSmall && entry.size !== undefined && entry.size <= SYNC_READ_MAX;
  }

  /**
   * zstd: already-compressed files (spread among the text by throughputOrder) are read when their
   * turn to be written comes, not when they are reached: this thread fills the next text blocks
   * while the helpers compress, instead of waiting with the files' bytes in memory.
   */
  private defer(entry: ArchiveInputEntry): boolean {
    return this.encoder instanceof ZstdEncoder && storedLate(entry);
  }

  private countFile(size: number): void {
    this.bytes += size;
    this.fileCount++;
    if (this.options.reclaim && this.bytes >= this.nextReclaim) {
      this.nextReclaim = this.bytes + RECLAIM_EVERY;
      this.options.reclaim();
    }
    this.options.onProgress?.({ files: this.fileCount, bytes: this.bytes });
  }

  async writeAll(): Promise<void> {
    for (const [i, entry] of this.entries.entries()) {
      if (this.options.signal?.aborted) throw new UpkeepError('CANCELLED', 'Backup cancelled.');
      this.readAhead.start(i);
      await this.writeEntry(i, entry);
    }
    await this.aside?.flush();
    await this.encoder.push(END_OF_ARCHIVE, true);
    await this.encoder.finish();
  }

  private async writeEntry(i: number, entry: ArchiveInputEntry): Promise<void> {
    const mode = entry.mode & 0o777;
    if (entry.type === 'directory') {
      await this.encoder.push(
        encodeHeader({ path: entry.path, type: 'directory', mode, size: 0, mtime: entry.mtime }),
        true,
      );
      this.files.push({ path: entry.path, type: 'directory', size: 0, mode, mtime: entry.mtime });
    } else if (entry.type === 'symlink') {
      const linkpath = entry.linkpath ?? '';
      await this.encoder.push(
        encodeHeader({ path: entry.path, type: 'symlink', mode, size: 0, mtime: entry.mtime, linkpath }),
        true,
      );
      this.files.push({ path: entry.path, type: 'symlink', size: 0, mode, mtime: entry.mtime, linkpath });
    } else if (!entry.source) {
      throw new UpkeepError('INTERNAL', `No source for file ${entry.path}.`);
    } else if (this.defer(entry)) {
      await this.writeDeferred(entry, mode);
    } else {
      await this.writeFile(i, entry, entry.source, mode);
    }
  }

  /** Read, hashed and written when its turn to be written comes (see ZstdEncoder.pushLater). */
  private async writeDeferred(entry: ArchiveInputEntry, mode: number): Promise<void> {
    const record: ArchivedFile = { path: entry.path, type: 'file', size: 0, mode, mtime: entry.mtime };
    this.files.push(record);
    const encoder = this.encoder;
    if (!(encoder instanceof ZstdEncoder)) throw new Error('only the zstd encoder writes files later');
    await encoder.pushLater(async (emit) => {
      const hash = createHash('sha256');
      const size = await streamLargeFile(
        entry,
        mode,
        (data, _compressible, release) => emit(data, release),
        hash,
        this.pool,
        this.reader,
      );
      if (size === null) {
        record.size = -1; // gone since the scan: dropped from the records at the end
        this.skipped.push(entry.path);
        return;
      }
      record.size = size;
      record.sha256 = hash.digest('hex');
      this.countFile(size);
    });
  }

  private async writeFile(i: number, entry: ArchiveInputEntry, source: string, mode: number): Promise<void> {
    let read: ReadResult | null = null;
    try {
      const pending = this.readAhead.take(i);
      if (pending) read = await pending;
      else if (entry.size !== undefined && this.readWhenDue(entry))
        read = readSmallFileSync(source, entry.size, this.pool);
    } catch (error) {
      // A file removed since the folder was scanned (a temp file, a rotated log) is not an error.
      if (errnoCode(error) === 'ENOENT') {
        this.readAhead.done(i);
        this.skipped.push(entry.path);
        return;
      }
      throw fsError(error, `reading ${source}`);
    }
    let size: number;
    let sha256: string;
    if (read) {
      this.readAhead.done(i);
      size = read.content.length;
      sha256 = sha256Hex(read.content);
      await this.pushWhole(entry, mode, read);
    } else {
      const hash = createHash('sha256');
      const streamed = await streamLargeFile(
        entry,
        mode,
        (data, compressible, release, unknownType) => this.encoder.push(data, compressible, release, unknownType),
        hash,
        this.pool,
        this.reader,
        this.probe,
      );
      if (streamed === null) {
        this.skipped.push(entry.path);
        return;
      }
      size = streamed;
      sha256 = hash.digest('hex');
    }
    this.files.push({ path: entry.path, type: 'file', size, mode, mtime: entry.mtime, sha256 });
    this.countFile(size);
  }

  /** A file read whole: compressed or stored by its name, else by its bytes; stored ones of some size go aside. */
  private async pushWhole(entry: ArchiveInputEntry, mode: number, { content, backing }: ReadResult): Promise<void> {
    const size = content.length;
    const header = encodeHeader({ path: entry.path, type: 'file', mode, size, mtime: entry.mtime });
    const release = backing ? () => this.pool.give(backing) : undefined;
    const byName = compressibleByName(entry.path);
    const compressible = byName ?? compressibleByContent(content, this.probe);
    if (!compressible && this.aside && size >= PROBE_MIN) {
      await this.aside.add(header, content, release);
      return;
    }
    await this.encoder.push(header, true);
    await this.encoder.push(content, compressible, release, byName === undefined);
    const pad = paddingFor(size);
    if (pad) await this.encoder.push(ZEROS.subarray(0, pad), compressible);
  }

  /** Wait for reads still under way and give held buffers back (on an error path). */
  async abandon(): Promise<void> {
    this.aside?.drop();
    await this.readAhead.settle();
  }
}

/**
 * The zstd helper threads a backup compresses with: started before the folder is scanned, they
 * load the codec while the scan runs (~0.1 s of a 30,000-file backup otherwise spent waiting).
 * Threads are created before this returns.
 */
export function startArchiveHelpers(): Promise<ZstdHelpers | null> {
  return ZstdHelpers.start(helperCount());
}

/** The encoder the options ask for: zstd with helper threads, gzip where zstd cannot load, or none. */
async function openEncoder(
  options: CreateArchiveOptions,
  sink: ByteSink,
  pool: BufferPool,
): Promise<{ encoder: StreamEncoder; helpers: ZstdHelpers | null; format: CreateArchiveResult['format'] }> {
  const zstd = options.compress && options.format === 'zstd';
  // Helper threads compress while this one reads; where none start, this thread compresses, and
  // where either zstd build cannot be loaded (a damaged install) the archive is gzip. Helpers
  // start only where both builds' WebAssembly is valid (ZstdHelpers.start).
  if (!zstd) await (await options.helpers)?.close();
  const helpers = zstd ? await (options.helpers ?? startArchiveHelpers()) : null;
  const format: CreateArchiveResult['format'] = !options.compress
    ? 'none'
    : zstd &&
        (helpers ||
          (await Promise.all([zstdCodec(), zstdFast()]).then(
            () => true,
            (error: unknown) => {
              log.warn('zstd does not load here; the archive is written as gzip', { error });
              return false;
            },
          )))
      ? 'zstd'
      : 'gzip';
  const encoder: StreamEncoder =
    format === 'zstd'
      ? new ZstdEncoder(sink, {
          level: options.level ?? 3,
          helpers,
          pool,
          compressHere: options.syncSmallReads === true,
        })
      : options.compress
        ? new ParallelGzipEncoder(sink, { level: options.level ?? 6, pool })
        : new PlainEncoder(sink);
  return { encoder, helpers, format };
}

/**
 * Write a tar (optionally gzip or zstd) archive of the given entries, streaming: files are read
 * ahead a few at a time (bounded count and bytes), hashed, and fed to the encoder, so memory stays
 * flat however large the tree. The archive is fsynced before this returns.
 */
export async function createTarArchive(options: CreateArchiveOptions): Promise<CreateArchiveResult> {
  const handle = await fs.open(options.output, 'wx', 0o600).catch((error) => {
    throw fsError(error, `creating ${options.output}`);
  });
  const sink = new HashingFileSink(handle);
  // zstd copies text into its blocks at once: its read buffers come back sooner.
  const pool = new BufferPool(options.compress && options.format === 'zstd' ? 6 * 1024 * 1024 : 12 * 1024 * 1024);
  const { encoder, helpers, format } = await openEncoder(options, sink, pool);
  const entries = format === 'zstd' ? throughputOrder(options.entries, BLOCK_SIZE) : options.entries;
  const probe = format === 'none' ? undefined : await fastProbe();
  const writer = new ArchiveWriter(options, entries, encoder, pool, probe);
  try {
    await writer.writeAll();
    await handle.sync();
  } catch (error) {
    if (encoder instanceof ParallelGzipEncoder || encoder instanceof ZstdEncoder) await encoder.drain();
    await helpers?.close();
    await writer.abandon();
    // The write already failed and that error is thrown below; the partial archive is removed next.
    await handle.close().catch(() => undefined);
    await fs.rm(options.output, { force: true });
    throw error instanceof UpkeepError ? error : fsError(error, `writing the archive ${options.output}`);
  }
  await helpers?.close();
  await handle.close();
  await fsyncDir(path.dirname(options.output)).catch((error: unknown) => {
    // The archive itself is synced; only its name may be lost on a power cut, and a backup without its manifest is swept.
    log.warn('the folder of a new archive could not be synced', { archive: options.output, error });
  });
  const files = writer.files.filter((f) => f.size !== -1);
  return {
    files,
    skipped: writer.skipped,
    bytes: writer.bytes,
    fileCount: writer.fileCount,
    archiveBytes: sink.bytes,
    sha256: sink.hash.digest('hex'),
    format,
  };
}
