/**
 * Reading the files a tar archive is made of: small files whole (ahead of their turn, or with
 * blocking reads on a thread of their own), large ones streamed through reused buffers, every
 * file opened without following links and checked to be still a regular file.
 */
import type { createHash } from 'node:crypto';
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  openSync,
  readSync,
  readFileSync,
  promises as fs,
} from 'node:fs';
import { UpkeepError } from '../../../shared/errors';
import { compressibleByContent, compressibleByName, type Probe } from './compressibility';
import { encodeHeader, paddingFor } from './tar-format';
import type { ArchiveInputEntry } from './tar-create';
import { errnoCode, errnoPath, errorMessage } from '../lib/error-info';

/**
 * Files up to this size are read whole (ahead, or when their turn comes); larger ones stream in
 * STREAM_CHUNK pieces through reused buffers. Read whole, a 2 MB image held a 4 MB buffer
 * while its stored block waited in line: ~10 MB more at the peak of a 300 MB backup.
 */
export const SMALL_FILE = 256 * 1024;

/**
 * Read buffers are reused once the encoder has written them: a 300 MB backup then churns a few
 * megabytes instead of 300 MB of garbage, which is what keeps peak memory flat. Power-of-two
 * size classes from 8 KiB; smaller reads come from Node's own slab.
 */
export class BufferPool {
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

export interface ReadResult {
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
    throw errnoCode(error) === 'ELOOP' ? notRegular(file) : error;
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
export async function readSmallFile(file: string, expected: number, pool: BufferPool): Promise<ReadResult> {
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
function unseekable(file: string): (error: unknown) => never {
  return (error) => {
    const code = errnoCode(error);
    throw code === 'ESPIPE' || code === 'EAGAIN' ? notRegular(file) : error;
  };
}
/** Files up to this size are read with blocking reads when `syncSmallReads`. */
export const SYNC_READ_MAX = 256 * 1024;

/** readSmallFile with blocking calls (see `syncSmallReads`). */
export function readSmallFileSync(file: string, expected: number, pool: BufferPool): ReadResult {
  const fd = openRegularSync(file, false);
  let buf: Buffer | null = pool.take(expected + 1);
  try {
    let got = 0;
    for (;;) {
      let bytesRead: number;
      try {
        bytesRead = readSync(fd, buf, got, expected + 1 - got, got);
      } catch (error) {
        return unseekable(file)(error);
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
export const ZEROS = Buffer.alloc(512);

export function fsError(error: unknown, what: string): UpkeepError {
  const e = { code: errnoCode(error), path: errnoPath(error) };
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') {
    return new UpkeepError(
      'INSUFFICIENT_SPACE',
      `The disk filled up while ${what}. Free some space (or delete old backups) and try again.`,
      { path: e.path },
      { cause: error },
    );
  }
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    return new UpkeepError(
      'FORBIDDEN',
      `Permission denied while ${what} (${e.path ?? ''}). Run Upkeep as a user who can read the component's folder.`,
      { path: e.path },
      { cause: error },
    );
  }
  if (error instanceof UpkeepError) return error;
  return new UpkeepError(
    'INTERNAL',
    `Failed while ${what}: ${errorMessage(error)}.`,
    { path: e.path },
    { cause: error },
  );
}

/**
 * A large file is read in 1 MiB chunks. Its header states the size seen when it is opened; if it
 * changes while being read the archive stays well-formed (cut or zero-filled to that size) and
 * the backup fails, since the copy would not be what was on disk at any one moment.
 */
/** The calls streamLargeFile reads with: libuv's pool, or blocking ones on the backup worker's own thread. */
export interface LargeFileReader {
  open(file: string): Promise<{
    size(): Promise<number>;
    read(buf: Buffer, length: number, position: number): Promise<number>;
    close(): Promise<void>;
  }>;
}

/**
 * Files are opened without following a link and must still be regular files: the scan saw a
 * regular file here, and one swapped for a link since (to a file its owner may not read) is not
 * read through it — it counts as gone (skipped).
 */
export const asyncReader: LargeFileReader = {
  async open(file) {
    const handle = await openRegular(file);
    return {
      size: async () => (await handle.stat()).size,
      read: async (buf, length, position) => (await handle.read(buf, 0, length, position)).bytesRead,
      close: () => handle.close(),
    };
  },
};

export const syncReader: LargeFileReader = {
  async open(file) {
    const fd = openRegularSync(file);
    return {
      size: async () => fstatSync(fd).size,
      read: async (buf, length, position) => readSync(fd, buf, 0, length, position),
      close: async () => closeSync(fd),
    };
  },
};

export type Push = (data: Buffer, compressible: boolean, release?: () => void, unknownType?: boolean) => Promise<void>;

/**
 * Stream one file into the archive; null when it is gone since the scan (skipped, like small
 * files). Unless its name says, each chunk is compressed or stored by its own content (a disk
 * image or a database may hold both kinds).
 */
export async function streamLargeFile(
  entry: ArchiveInputEntry,
  mode: number,
  push: Push,
  hash: ReturnType<typeof createHash>,
  pool: BufferPool,
  reader: LargeFileReader,
  probe?: Probe,
): Promise<number | null> {
  const source = entry.source;
  if (!source) throw new UpkeepError('INTERNAL', `No source for file ${entry.path}.`);
  let handle: Awaited<ReturnType<LargeFileReader['open']>>;
  try {
    handle = await reader.open(source);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw fsError(error, `reading ${source}`);
  }
  try {
    const size = await handle.size();
    await push(encodeHeader({ path: entry.path, type: 'file', mode, size, mtime: entry.mtime }), true);
    let done = 0;
    const byName = compressibleByName(entry.path);
    let compressible = true;
    while (done < size) {
      const want = Math.min(STREAM_CHUNK, size - done);
      const buf = pool.take(want);
      const bytesRead = await handle.read(buf, want, done);
      if (bytesRead === 0) {
        pool.give(buf);
        throw new UpkeepError(
          'BACKUP_CORRUPT',
          `${entry.path} shrank while it was being backed up. Stop the component or try again when it is idle.`,
          { path: entry.path },
        );
      }
      const chunk = buf.subarray(0, bytesRead);
      compressible = byName ?? compressibleByContent(chunk, probe);
      hash.update(chunk);
      await push(chunk, compressible, () => pool.give(buf), byName === undefined);
      done += bytesRead;
    }
    // A file that grew meanwhile (a log, an append-only store) is kept as it was when its read
    // began: its first `size` bytes, as the header says. One that shrank cannot fill its header.
    const after = await handle.size();
    if (after < size) {
      throw new UpkeepError(
        'BACKUP_CORRUPT',
        `${entry.path} shrank while it was being backed up (${size} → ${after} bytes). Stop the component or try again when it is idle.`,
        { path: entry.path },
      );
    }
    const pad = paddingFor(size);
    if (pad) await push(ZEROS.subarray(0, pad), compressible);
    return size;
  } catch (error) {
    throw error instanceof UpkeepError ? error : fsError(error, `reading ${source}`);
  } finally {
    await handle.close();
  }
}

const READ_AHEAD_FILES = 32;
const READ_AHEAD_BYTES = 2 * 1024 * 1024;

/**
 * Small files read ahead of their turn, in archive order, a bounded count and number of bytes at
 * a time. Files streamed when their turn comes (large, deferred, or read with blocking reads) are
 * passed over.
 */
export class ReadAhead {
  private readonly reads = new Map<number, Promise<ReadResult | null>>();
  private readonly sizes = new Map<number, number>();
  private bytes = 0;
  private next = 0;

  constructor(
    private readonly entries: ArchiveInputEntry[],
    private readonly pool: BufferPool,
    /** Whether an entry is read when its turn comes instead (deferred, or read with blocking reads). */
    private readonly passOver: (entry: ArchiveInputEntry) => boolean,
  ) {}

  /** Start reads up to the bounds, looking at most a few windows past `current`. */
  start(current: number): void {
    while (
      this.next < this.entries.length &&
      this.reads.size < READ_AHEAD_FILES &&
      this.bytes < READ_AHEAD_BYTES &&
      this.next < current + 4 * READ_AHEAD_FILES
    ) {
      const index = this.next++;
      const entry = this.entries[index];
      if (entry === undefined || entry.type !== 'file' || !entry.source || this.passOver(entry)) continue;
      if (entry.size !== undefined && entry.size > SMALL_FILE) continue; // streamed when its turn comes
      if (entry.size !== undefined) this.count(index, entry.size);
      const read = this.read(index, entry.source, entry.size);
      // Awaited when its turn comes; a failure before that (a file deleted meanwhile) must not
      // surface as an unhandled rejection, nor when an earlier failure ends the archive first.
      read.catch(() => undefined);
      this.reads.set(index, read);
    }
  }

  private async read(index: number, source: string, size: number | undefined): Promise<ReadResult | null> {
    if (size === undefined) {
      const seen = (await fs.stat(source)).size;
      if (seen > SMALL_FILE) return null;
      this.count(index, seen);
    }
    return readSmallFile(source, this.sizes.get(index) ?? 0, this.pool);
  }

  private count(index: number, size: number): void {
    this.sizes.set(index, size);
    this.bytes += size;
  }

  /** The read of entry `index`, if one was started (null: it turned out large, stream it). */
  take(index: number): Promise<ReadResult | null> | undefined {
    const read = this.reads.get(index);
    this.reads.delete(index);
    return read;
  }

  /** Entry `index` is done with (written or gone): its bytes no longer count against the bound. */
  done(index: number): void {
    this.bytes -= this.sizes.get(index) ?? 0;
    this.sizes.delete(index);
  }

  /** Wait for every read still under way (on an error path). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.reads.values());
  }
}
