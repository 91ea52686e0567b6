import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, readFileSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import { fsyncDir } from '../lib/fs-atomic';
import { ParallelGzipEncoder, PlainEncoder, looksCompressible, storedByName, type ByteSink, type StreamEncoder } from './gzip-writer';
import { END_OF_ARCHIVE, encodeHeader, paddingFor, tarBytesOf } from './tar-format';
import { BLOCK_SIZE, ZstdEncoder, ZstdHelpers, helperCount, zstdCodec } from './zstd';

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

/**
 * Files up to this size are read whole (ahead, or when their turn comes); larger ones stream in
 * STREAM_CHUNK pieces through reused buffers. Read whole, a 2 MB image held a 4 MB buffer
 * while its stored block waited in line: ~10 MB more at the peak of a 300 MB backup.
 */
const SMALL_FILE = 256 * 1024;
const RECLAIM_EVERY = 4 * 1024 * 1024;
/** Already-compressed files from this size on are spread among the text and read late (zstd). */
const DEFER_MIN = 4096;
const storedLate = (e: ArchiveInputEntry) => e.type === 'file' && e.size !== undefined && e.size >= DEFER_MIN && storedByName(e.path);
const READ_AHEAD_FILES = 32;
const READ_AHEAD_BYTES = 2 * 1024 * 1024;

/**
 * Read buffers are reused once the encoder has written them: a 300 MB backup then churns a few
 * megabytes instead of 300 MB of garbage, which is what keeps peak memory flat. Power-of-two
 * size classes from 8 KiB; smaller reads come from Node's own slab.
 */
class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private pooled = 0;
  constructor(private readonly maxPooledBytes: number) {}

  private static classOf(size: number): number {
    let c = 8192;
    while (c < size) c *= 2;
    return c;
  }

  take(size: number): Buffer {
    if (size < 4096) return Buffer.allocUnsafe(size);
    const cls = BufferPool.classOf(size);
    const list = this.free.get(cls);
    const buf = list?.pop();
    if (buf) {
      this.pooled -= cls;
      return buf;
    }
    return Buffer.allocUnsafeSlow(cls);
  }

  give(buf: Buffer): void {
    const cls = buf.length;
    if (cls < 8192 || (cls & (cls - 1)) !== 0 || this.pooled + cls > this.maxPooledBytes) return;
    const list = this.free.get(cls) ?? [];
    list.push(buf);
    this.free.set(cls, list);
    this.pooled += cls;
  }
}

interface ReadResult {
  content: Buffer;
  /** The pool buffer behind `content`, returned once the encoder is done with it. */
  backing: Buffer | null;
}

/**
 * Files are opened without following a link and must still be regular files: the scan saw a
 * regular file there, and one swapped for a link since (to a file its owner may not read) is
 * not read through it — it counts as gone (skipped).
 */
const READ_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0); // a FIFO swapped in must not block the open
function notRegular(file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${file} is no longer a regular file`), { code: 'ENOENT', path: file });
}

/** `checked`: also fstat it now (small files are checked only if they seem to have grown: one syscall less each). */
async function openRegular(file: string, checked = true): Promise<fs.FileHandle> {
  const handle = await fs.open(file, READ_FLAGS).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ELOOP' ? notRegular(file) : error;
  });
  if (checked && !(await handle.stat()).isFile()) {
    await handle.close();
    throw notRegular(file);
  }
  return handle;
}

function openRegularSync(file: string, checked = true): number {
  let fd: number;
  try {
    fd = openSync(file, READ_FLAGS);
  } catch (error) {
    throw (error as NodeJS.ErrnoException).code === 'ELOOP' ? notRegular(file) : error;
  }
  if (checked && !fstatSync(fd).isFile()) {
    closeSync(fd);
    throw notRegular(file);
  }
  return fd;
}

/**
 * A file whose size the scan saw: open, one read of size+1 bytes, close (no stat). If it grew
 * since, read it whole; the header is always written from what was actually read.
 */
async function readSmallFile(file: string, expected: number, pool: BufferPool): Promise<ReadResult> {
  const handle = await openRegular(file, false);
  let buf: Buffer | null = pool.take(expected + 1);
  try {
    let got = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, got, expected + 1 - got, got).catch(unseekable(file));
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got === expected + 1) {
        pool.give(buf);
        buf = null;
        // Grown since the scan: read whole — if it is still a regular file (not a device).
        if (!(await handle.stat()).isFile()) throw notRegular(file);
        return { content: await handle.readFile(), backing: null };
      }
    }
    return { content: buf.subarray(0, got), backing: buf };
  } catch (error) {
    if (buf) pool.give(buf);
    throw error;
  } finally {
    await handle.close();
  }
}

/** A read that cannot seek: a FIFO or socket swapped in since the scan, which counts as gone. */
function unseekable(file: string): (error: NodeJS.ErrnoException) => never {
  return (error) => {
    throw error.code === 'ESPIPE' || error.code === 'EAGAIN' ? notRegular(file) : error;
  };
}
/** Files up to this size are read with blocking reads when `syncSmallReads`. */
const SYNC_READ_MAX = 256 * 1024;

/** readSmallFile with blocking calls (see `syncSmallReads`). */
function readSmallFileSync(file: string, expected: number, pool: BufferPool): ReadResult {
  const fd = openRegularSync(file, false);
  let buf: Buffer | null = pool.take(expected + 1);
  try {
    let got = 0;
    for (;;) {
      let bytesRead: number;
      try {
        bytesRead = readSync(fd, buf, got, expected + 1 - got, got);
      } catch (error) {
        return unseekable(file)(error as NodeJS.ErrnoException);
      }
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got === expected + 1) {
        pool.give(buf);
        buf = null;
        if (!fstatSync(fd).isFile()) throw notRegular(file);
        return { content: readFileSync(fd), backing: null };
      }
    }
    return { content: buf.subarray(0, got), backing: buf };
  } catch (error) {
    if (buf) pool.give(buf);
    throw error;
  } finally {
    closeSync(fd);
  }
}
const STREAM_CHUNK = 1024 * 1024;
/** Padding to the next 512-byte block: shared, never written to. */
const ZEROS = Buffer.alloc(512);

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

function fsError(error: unknown, what: string): UpkeepError {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') {
    return new UpkeepError('INSUFFICIENT_SPACE', `The disk filled up while ${what}. Free some space (or delete old backups) and try again.`, { path: e.path }, { cause: error });
  }
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    return new UpkeepError('FORBIDDEN', `Permission denied while ${what} (${e.path ?? ''}). Run Upkeep as a user who can read the component's folder.`, { path: e.path }, { cause: error });
  }
  if (error instanceof UpkeepError) return error;
  return new UpkeepError('INTERNAL', `Failed while ${what}: ${e.message}.`, { path: e.path }, { cause: error });
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
  const stored: ArchiveInputEntry[] = [];
  let restBytes = 0;
  let storedBytes = 0;
  for (const e of entries) {
    if (e.type === 'directory') folders.push(e);
    else if (storedLate(e)) {
      stored.push(e);
      storedBytes += e.size as number;
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
    while (s < stored.length && (storedDone + (stored[s]?.size as number) / 2) / storedBytes <= restDone / restBytes) {
      const next = stored[s++] as ArchiveInputEntry;
      out.push(next);
      storedDone += next.size as number;
    }
  }
  while (s < stored.length) out.push(stored[s++] as ArchiveInputEntry);
  return out;
}

/**
 * Write a tar (optionally gzip) archive of the given entries, streaming: files are read ahead a
 * few at a time (bounded count and bytes), hashed, and fed to the encoder, so memory stays flat
 * however large the tree. The archive is fsynced before this returns.
 */
export async function createTarArchive(options: CreateArchiveOptions): Promise<CreateArchiveResult> {
  const handle = await fs.open(options.output, 'wx', 0o600).catch((error) => {
    throw fsError(error, `creating ${options.output}`);
  });
  const sink = new HashingFileSink(handle);
  const zstd = options.compress && options.format === 'zstd';
  // zstd copies text into its blocks at once: its read buffers come back sooner.
  const pool = new BufferPool(zstd ? 6 * 1024 * 1024 : 12 * 1024 * 1024);
  // Helper threads compress while this one reads; where none start, this thread compresses, and
  // where zstd cannot be loaded at all (a damaged install) the archive is gzip.
  const helpers = zstd ? await ZstdHelpers.start(helperCount()) : null;
  const format: CreateArchiveResult['format'] = !options.compress ? 'none' : zstd && (helpers || (await zstdCodec().then(() => true, () => false))) ? 'zstd' : 'gzip';
  const encoder: StreamEncoder = format === 'zstd'
    ? new ZstdEncoder(sink, { level: options.level ?? 3, helpers, pool })
    : options.compress
      ? new ParallelGzipEncoder(sink, { level: options.level ?? 6, pool })
      : new PlainEncoder(sink);
  const entries = format === 'zstd' ? throughputOrder(options.entries, BLOCK_SIZE) : options.entries;
  const files: ArchivedFile[] = [];
  const skipped: string[] = [];
  let bytes = 0;
  let fileCount = 0;
  let nextReclaim = RECLAIM_EVERY;

  const syncSmall = options.syncSmallReads === true;
  const reader = syncSmall ? syncReader : asyncReader;
  const push: Push = (data, compressible, release) => encoder.push(data, compressible, release);
  // zstd: already-compressed files (spread among the text by throughputOrder) are read when their
  // turn to be written comes, not when they are reached: this thread fills the next text blocks
  // while the helpers compress, instead of waiting with the files' bytes in memory.
  const defer = (entry: ArchiveInputEntry) => encoder instanceof ZstdEncoder && storedLate(entry);
  const countFile = (size: number) => {
    bytes += size;
    fileCount++;
    if (options.reclaim && bytes >= nextReclaim) {
      nextReclaim = bytes + RECLAIM_EVERY;
      options.reclaim();
    }
    options.onProgress?.({ files: fileCount, bytes });
  };
  // Read-ahead of small files, in archive order.
  const reads = new Map<number, Promise<ReadResult | null>>();
  let readAheadBytes = 0;
  let nextToRead = 0;
  const sizes = new Map<number, number>();
  const startReads = (current: number) => {
    while (
      nextToRead < entries.length &&
      reads.size < READ_AHEAD_FILES &&
      readAheadBytes < READ_AHEAD_BYTES &&
      nextToRead < current + 4 * READ_AHEAD_FILES
    ) {
      const index = nextToRead++;
      const entry = entries[index] as ArchiveInputEntry;
      if (entry.type !== 'file' || !entry.source || defer(entry)) continue;
      const source = entry.source;
      if (entry.size !== undefined && entry.size > SMALL_FILE) continue; // streamed when its turn comes
      if (syncSmall && entry.size !== undefined && entry.size <= SYNC_READ_MAX) continue; // read when its turn comes
      if (entry.size !== undefined) {
        sizes.set(index, entry.size);
        readAheadBytes += entry.size;
      }
      const read = (async () => {
        if (entry.size === undefined) {
          const size = (await fs.stat(source)).size;
          if (size > SMALL_FILE) return null;
          sizes.set(index, size);
          readAheadBytes += size;
        }
        return readSmallFile(source, sizes.get(index) ?? 0, pool);
      })();
      // Awaited when its turn comes; a failure before that (a file deleted meanwhile) must not
      // surface as an unhandled rejection, nor when an earlier failure ends the archive first.
      read.catch(() => undefined);
      reads.set(index, read);
    }
  };

  try {
    for (let i = 0; i < entries.length; i++) {
      if (options.signal?.aborted) throw new UpkeepError('CANCELLED', 'Backup cancelled.');
      startReads(i);
      const entry = entries[i] as ArchiveInputEntry;
      const mode = entry.mode & 0o777;
      if (entry.type === 'directory') {
        await encoder.push(encodeHeader({ path: entry.path, type: 'directory', mode, size: 0, mtime: entry.mtime }), true);
        files.push({ path: entry.path, type: 'directory', size: 0, mode, mtime: entry.mtime });
        continue;
      }
      if (entry.type === 'symlink') {
        const linkpath = entry.linkpath ?? '';
        await encoder.push(encodeHeader({ path: entry.path, type: 'symlink', mode, size: 0, mtime: entry.mtime, linkpath }), true);
        files.push({ path: entry.path, type: 'symlink', size: 0, mode, mtime: entry.mtime, linkpath });
        continue;
      }
      if (!entry.source) throw new UpkeepError('INTERNAL', `No source for file ${entry.path}.`);
      if (defer(entry)) {
        // Read, hashed and written when its turn to be written comes (see ZstdEncoder.pushLater).
        const record: ArchivedFile = { path: entry.path, type: 'file', size: 0, mode, mtime: entry.mtime };
        files.push(record);
        await (encoder as ZstdEncoder).pushLater(async (emit) => {
          const hash = createHash('sha256');
          const size = await streamLargeFile(entry, mode, (data, _compressible, release) => emit(data, release), hash, pool, reader);
          if (size === null) {
            record.size = -1; // gone since the scan: dropped from the records below
            skipped.push(entry.path);
            return;
          }
          record.size = size;
          record.sha256 = hash.digest('hex');
          countFile(size);
        });
        continue;
      }
      const pending = reads.get(i);
      reads.delete(i);
      let read: ReadResult | null = null;
      try {
        if (pending) read = await pending;
        else if (syncSmall && entry.size !== undefined && entry.size <= SYNC_READ_MAX) read = readSmallFileSync(entry.source, entry.size, pool);
      } catch (error) {
        // A file removed since the folder was scanned (a temp file, a rotated log) is not an error.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          readAheadBytes -= sizes.get(i) ?? 0;
          sizes.delete(i);
          skipped.push(entry.path);
          continue;
        }
        throw fsError(error, `reading ${entry.source}`);
      }
      const hash = createHash('sha256');
      let size: number;
      if (read) {
        const { content, backing } = read;
        readAheadBytes -= sizes.get(i) ?? 0;
        sizes.delete(i);
        size = content.length;
        hash.update(content);
        const compressible = looksCompressible(entry.path, content);
        await encoder.push(encodeHeader({ path: entry.path, type: 'file', mode, size, mtime: entry.mtime }), true);
        await encoder.push(content, compressible, backing ? () => pool.give(backing) : undefined);
        const pad = paddingFor(size);
        if (pad) await encoder.push(ZEROS.subarray(0, pad), compressible);
      } else {
        const streamed = await streamLargeFile(entry, mode, push, hash, pool, reader);
        if (streamed === null) {
          skipped.push(entry.path);
          continue;
        }
        size = streamed;
      }
      files.push({ path: entry.path, type: 'file', size, mode, mtime: entry.mtime, sha256: hash.digest('hex') });
      countFile(size);
    }
    await encoder.push(END_OF_ARCHIVE, true);
    await encoder.finish();
    await handle.sync();
  } catch (error) {
    if (encoder instanceof ParallelGzipEncoder || encoder instanceof ZstdEncoder) await encoder.drain();
    await helpers?.close();
    await Promise.allSettled(reads.values());
    await handle.close().catch(() => undefined);
    await fs.rm(options.output, { force: true });
    throw error instanceof UpkeepError ? error : fsError(error, `writing the archive ${options.output}`);
  }
  await helpers?.close();
  await handle.close();
  await fsyncDir(path.dirname(options.output)).catch(() => undefined);
  return { files: files.filter((f) => f.size !== -1), skipped, bytes, fileCount, archiveBytes: sink.bytes, sha256: sink.hash.digest('hex'), format };
}


/**
 * A large file is read in 1 MiB chunks. Its header states the size seen when it is opened; if it
 * changes while being read the archive stays well-formed (cut or zero-filled to that size) and
 * the backup fails, since the copy would not be what was on disk at any one moment.
 */
/** The calls streamLargeFile reads with: libuv's pool, or blocking ones on the backup worker's own thread. */
interface LargeFileReader {
  open(file: string): Promise<{ size(): Promise<number>; read(buf: Buffer, length: number, position: number): Promise<number>; close(): Promise<void> }>;
}

/**
 * Files are opened without following a link and must still be regular files: the scan saw a
 * regular file here, and one swapped for a link since (to a file its owner may not read) is not
 * read through it — it counts as gone (skipped).
 */
const asyncReader: LargeFileReader = {
  async open(file) {
    const handle = await openRegular(file);
    return {
      size: async () => (await handle.stat()).size,
      read: async (buf, length, position) => (await handle.read(buf, 0, length, position)).bytesRead,
      close: () => handle.close(),
    };
  },
};

const syncReader: LargeFileReader = {
  async open(file) {
    const fd = openRegularSync(file);
    return {
      size: async () => fstatSync(fd).size,
      read: async (buf, length, position) => readSync(fd, buf, 0, length, position),
      close: async () => closeSync(fd),
    };
  },
};

/** Stream one file into the archive; null when it is gone since the scan (skipped, like small files). */
type Push = (data: Buffer, compressible: boolean, release?: () => void) => Promise<void>;

async function streamLargeFile(entry: ArchiveInputEntry, mode: number, push: Push, hash: ReturnType<typeof createHash>, pool: BufferPool, reader: LargeFileReader): Promise<number | null> {
  const source = entry.source as string;
  let handle: Awaited<ReturnType<LargeFileReader['open']>>;
  try {
    handle = await reader.open(source);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fsError(error, `reading ${source}`);
  }
  try {
    const size = await handle.size();
    await push(encodeHeader({ path: entry.path, type: 'file', mode, size, mtime: entry.mtime }), true);
    let done = 0;
    let compressible: boolean | undefined;
    while (done < size) {
      const want = Math.min(STREAM_CHUNK, size - done);
      const buf = pool.take(want);
      const bytesRead = await handle.read(buf, want, done);
      if (bytesRead === 0) {
        pool.give(buf);
        throw new UpkeepError('BACKUP_CORRUPT', `${entry.path} shrank while it was being backed up. Stop the component or try again when it is idle.`, { path: entry.path });
      }
      const chunk = buf.subarray(0, bytesRead);
      compressible ??= looksCompressible(entry.path, chunk);
      hash.update(chunk);
      await push(chunk, compressible, () => pool.give(buf));
      done += bytesRead;
    }
    // A file that grew meanwhile (a log, an append-only store) is kept as it was when its read
    // began: its first `size` bytes, as the header says. One that shrank cannot fill its header.
    const after = await handle.size();
    if (after < size) {
      throw new UpkeepError('BACKUP_CORRUPT', `${entry.path} shrank while it was being backed up (${size} → ${after} bytes). Stop the component or try again when it is idle.`, { path: entry.path });
    }
    const pad = paddingFor(size);
    if (pad) await push(ZEROS.subarray(0, pad), compressible ?? true);
    return size;
  } catch (error) {
    throw error instanceof UpkeepError ? error : fsError(error, `reading ${source}`);
  } finally {
    await handle.close();
  }
}
