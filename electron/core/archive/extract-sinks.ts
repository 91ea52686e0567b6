/**
 * Where an extraction's entries go, behind one interface: a folder (FolderSink, Upkeep writing
 * many files at once), an EntryWriter (the restore's backup worker, writerSink), or nowhere
 * (NULL_SINK: a verification reads and checks everything and writes nothing). The extractor
 * calls it only for entries that passed every check, in archive order.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UMASK, type EntryWriter } from './entry-writer';
import { logger } from '../lib/log';

const log = logger('archive.extract');

export interface ExtractSink {
  /** Whether the sink checks each file's sha256 itself (then it is handed the recorded one and the extractor does not hash). */
  takesChecksum(): boolean;
  dir(rel: string): void | Promise<void>;
  /** A new file of `size` bytes; its data follows, then endFile. */
  file(rel: string, mode: number, size: number, sha256?: string): void | Promise<void>;
  data(chunk: Buffer): void | Promise<void>;
  /** `mtime` null: leave the time the file got. */
  endFile(mode: number, mtime: number | null): void | Promise<void>;
  symlink(rel: string, target: string, mtime: number | null): void | Promise<void>;
  /** A hard link at `rel` to the earlier file `targetRel`. */
  link(targetRel: string, rel: string): void | Promise<void>;
  /** A folder's own mode and time, set last (deepest first). */
  finishDir(rel: string, mode: number, mtime: number | null): void | Promise<void>;
  /** Wait for every write under way; throws the first that failed. */
  drain(): Promise<void>;
  /** On an error path: wait for writes under way and close what is open. */
  abort(): Promise<void>;
}

/** Writes nothing. */
export const NULL_SINK: ExtractSink = {
  takesChecksum: () => false,
  dir: () => undefined,
  file: () => undefined,
  data: () => undefined,
  endFile: () => undefined,
  symlink: () => undefined,
  link: () => undefined,
  finishDir: () => undefined,
  drain: async () => undefined,
  abort: async () => undefined,
};

/** Every entry through `writer` (a file open in it is its owner's to close on an error path). */
export function writerSink(writer: EntryWriter): ExtractSink {
  return {
    takesChecksum: () => writer.takesChecksum?.() === true,
    dir: (rel) => writer.dir(rel),
    file: (rel, mode, _size, sha256) => writer.file(rel, mode, sha256),
    data: (chunk) => writer.data(chunk),
    endFile: (mode, mtime) => writer.endFile(mode, mtime),
    symlink: (rel, target, mtime) => writer.symlink(rel, target, mtime),
    link: (targetRel, rel) => writer.link(targetRel, rel),
    finishDir: (rel, mode, mtime) => writer.finishDir(rel, mode, mtime),
    drain: async () => undefined,
    abort: async () => undefined,
  };
}

/**
 * Only the entries at `paths` go on to `inner`; the rest are dropped after the extractor checked
 * them. A dropped file is not hashed on its own: the archive's sha256, checked before the caller
 * uses anything, covers its bytes.
 */
export function selectedSink(
  inner: ExtractSink,
  paths: ReadonlySet<string>,
  /** Counts the files passed on, and their bytes. */
  passed: { files: number; bytes: number },
): ExtractSink {
  let on = false;
  return {
    takesChecksum: () => inner.takesChecksum(),
    dir: (rel) => (paths.has(rel) ? inner.dir(rel) : undefined),
    file: (rel, mode, size, sha256) => {
      on = paths.has(rel);
      if (!on) return undefined;
      passed.files++;
      passed.bytes += size;
      return inner.file(rel, mode, size, sha256);
    },
    data: (chunk) => (on ? inner.data(chunk) : undefined),
    endFile: (mode, mtime) => {
      if (!on) return undefined;
      on = false;
      return inner.endFile(mode, mtime);
    },
    symlink: (rel, target, mtime) => (paths.has(rel) ? inner.symlink(rel, target, mtime) : undefined),
    link: (targetRel, rel) => (paths.has(rel) && paths.has(targetRel) ? inner.link(targetRel, rel) : undefined),
    finishDir: (rel, mode, mtime) => (paths.has(rel) ? inner.finishDir(rel, mode, mtime) : undefined),
    drain: () => inner.drain(),
    abort: () => inner.abort(),
  };
}

/** Files up to this size are gathered in memory and written by the pool; larger ones stream to disk in order. */
const SMALL_FILE = 8 * 1024 * 1024;
const WRITE_BUDGET_BYTES = 8 * 1024 * 1024;

class WritePool {
  private active = 0;
  private activeBytes = 0;
  private waiters: (() => void)[] = [];
  private failure: unknown;
  private readonly all = new Set<Promise<void>>();

  constructor(
    private readonly limit: number,
    private readonly byteLimit: number,
  ) {}

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Start a job once there is room; resolves when it has started, with a handle on its end. */
  async run(bytes: number, job: () => Promise<void>): Promise<{ done: Promise<void> }> {
    this.check();
    while (this.active >= this.limit || (this.active > 0 && this.activeBytes + bytes > this.byteLimit)) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      this.check();
    }
    this.active++;
    this.activeBytes += bytes;
    const p = job()
      .catch((error) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.active--;
        this.activeBytes -= bytes;
        this.all.delete(p);
        this.waiters.shift()?.();
      });
    this.all.add(p);
    return { done: p };
  }

  async drain(): Promise<void> {
    while (this.all.size) await Promise.all([...this.all]);
    this.check();
  }

  async settle(): Promise<void> {
    while (this.all.size) await Promise.allSettled([...this.all]);
  }
}

/** The folder a '/'-separated relative path is in ('' at the top). */
export const parentOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');

/**
 * Writes into a staging folder: small files are gathered and written by a pool, many at once
 * (bounded in count and bytes); large ones stream straight to disk, in order.
 */
export class FolderSink implements ExtractSink {
  private readonly pool: WritePool;
  private readonly madeDirs = new Map<string, Promise<void>>();
  private readonly fileJobs = new Map<string, Promise<void>>();
  private creating: Promise<unknown> = Promise.resolve();
  private current: { rel: string; size: number; chunks: Buffer[]; handle: fs.FileHandle | null } | null = null;

  constructor(
    private readonly dest: string,
    parallel: number,
  ) {
    this.pool = new WritePool(parallel, WRITE_BUDGET_BYTES);
  }

  takesChecksum(): boolean {
    return false;
  }

  private abs(rel: string): string {
    return path.join(this.dest, ...rel.split('/'));
  }

  private ensureDir(rel: string): Promise<void> {
    if (rel === '') return Promise.resolve();
    let p = this.madeDirs.get(rel);
    if (!p) {
      p = fs.mkdir(this.abs(rel), { recursive: true, mode: 0o755 }).then(() => undefined);
      this.madeDirs.set(rel, p);
    }
    return p;
  }

  /**
   * Files are created one at a time (their bytes are still written in parallel): creates in one
   * directory from several threads only spin on the directory's lock in the kernel.
   */
  private createSerially(target: string, mode: number): Promise<fs.FileHandle> {
    const opened = this.creating.then(() => fs.open(target, 'wx', mode));
    // The caller gets this open's error; the chain only needs it settled so the next create can start.
    this.creating = opened.catch(() => undefined);
    return opened;
  }

  dir(rel: string): Promise<void> {
    return this.ensureDir(rel);
  }

  async file(rel: string, _mode: number, size: number): Promise<void> {
    this.current = { rel, size, chunks: [], handle: null };
    if (size > SMALL_FILE) {
      await this.ensureDir(parentOf(rel));
      this.current.handle = await fs.open(this.abs(rel), 'wx', 0o600);
    }
  }

  data(chunk: Buffer): void | Promise<void> {
    const f = this.current;
    if (!f) return;
    if (!f.handle) {
      // Kept past this call: a reader may reuse the chunk's memory for its next bytes (see decodeZstd).
      f.chunks.push(Buffer.from(chunk));
      return;
    }
    return writeAll(f.handle, chunk);
  }

  async endFile(mode: number, mtime: number | null): Promise<void> {
    const f = this.current;
    if (!f) return;
    this.current = null;
    if (f.handle) {
      const handle = f.handle;
      try {
        await handle.chmod(mode);
        if (mtime !== null) await handle.utimes(mtime, mtime);
      } finally {
        await handle.close();
      }
      this.fileJobs.set(f.rel, Promise.resolve());
      return;
    }
    const { chunks, rel } = f;
    const target = this.abs(rel);
    const { done } = await this.pool.run(f.size, async () => {
      await this.ensureDir(parentOf(rel));
      const handle = await this.createSerially(target, mode);
      try {
        for (const c of chunks) await writeAll(handle, c);
        if ((mode & UMASK) !== 0) await handle.chmod(mode);
        if (mtime !== null) await handle.utimes(mtime, mtime);
      } finally {
        await handle.close();
      }
    });
    this.fileJobs.set(rel, done);
  }

  async symlink(rel: string, target: string, mtime: number | null): Promise<void> {
    await this.ensureDir(parentOf(rel));
    await fs.symlink(target, this.abs(rel));
    // Some file systems cannot set a link's own times: the link and its target are right, only its date is not.
    if (mtime !== null)
      await fs
        .lutimes(this.abs(rel), mtime, mtime)
        .catch((error: unknown) => log.debug('a symbolic link keeps the time of its extraction', { link: rel, error }));
  }

  async link(targetRel: string, rel: string): Promise<void> {
    await this.fileJobs.get(targetRel);
    await this.ensureDir(parentOf(rel));
    await fs.link(this.abs(targetRel), this.abs(rel));
  }

  async finishDir(rel: string, mode: number, mtime: number | null): Promise<void> {
    await fs.chmod(this.abs(rel), mode);
    if (mtime !== null) await fs.utimes(this.abs(rel), mtime, mtime);
  }

  drain(): Promise<void> {
    return this.pool.drain();
  }

  async abort(): Promise<void> {
    await this.pool.settle();
    const handle = this.current?.handle;
    this.current = null;
    // Aborting: the error that stopped the extraction is what is reported; the half-written file is in the staging folder the caller removes.
    if (handle) await handle.close().catch(() => undefined);
  }
}

async function writeAll(handle: fs.FileHandle, chunk: Buffer): Promise<void> {
  let off = 0;
  while (off < chunk.length) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
}
