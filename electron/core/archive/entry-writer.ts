import {
  closeSync,
  fchmodSync,
  futimesSync,
  linkSync,
  lutimesSync,
  chmodSync,
  mkdirSync,
  openSync,
  symlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';

/** Whether paths are '/'-separated here (not Windows). */
const SLASH_SEP = path.sep === '/';

/**
 * Where extractArchive writes what it has checked (its `writer`). Paths are relative to the
 * destination with `/` separators, already checked: nothing escapes, every parent is a folder of
 * the same archive, no entry twice. Calls come in archive order; a file's `data` calls come
 * between its `file` and `endFile`. A method may return a promise: the extractor waits for it.
 */
export interface EntryWriter {
  /**
   * Asked before each file: true if this writer will hash the file and check it against the
   * sha256 `file()` is then given (the recorded one, where there is a record) — the extractor
   * then does not hash it itself.
   */
  takesChecksum?(): boolean;
  dir(rel: string): void | Promise<void>;
  /** Create a new file (never an existing one); its folders are made as needed. */
  file(rel: string, mode: number, sha256?: string): void | Promise<void>;
  data(chunk: Buffer): void | Promise<void>;
  /** `mtime` null: leave the time the file got. */
  endFile(mode: number, mtime: number | null): void | Promise<void>;
  symlink(rel: string, target: string, mtime: number | null): void | Promise<void>;
  /** A hard link at `rel` to the earlier file `targetRel`. */
  link(targetRel: string, rel: string): void | Promise<void>;
  /** A folder's own mode and time, set last (deepest first), once everything in it is written. */
  finishDir(rel: string, mode: number, mtime: number | null): void | Promise<void>;
}

/**
 * Thrown by a writer that failed on its own (the disk filled up, a thread stopped) at the next
 * call: the extractor passes it on unchanged, and its owner reports `cause` — not an error of
 * the archive's.
 */
export class WriterStopped extends Error {
  constructor(readonly reason: unknown) {
    super(`the writer stopped: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

/** The process umask (read once; a file whose mode it would cut gets an explicit chmod). */
export const UMASK = (() => {
  try {
    return process.umask();
  } catch {
    return 0o777; // unknown: always chmod
  }
})();

/**
 * Writes into a destination folder with blocking calls, each file as its bytes arrive, as tar
 * does: for a thread of its own (the backup worker), where a blocked event loop holds nothing
 * up and 10,000 small files cost no hand-offs to libuv's thread pool. Never on a host's main
 * thread. The destination must exist; `close()` closes a file left open by a failure.
 */
export class BlockingWriter implements EntryWriter {
  private readonly made = new Set<string>(['']);
  /** Folders this writer created itself with one mkdir of mode 0o755. */
  private readonly fresh = new Set<string>();
  /** The links it made: nothing is ever written through one (the extractor refuses that first; this holds if it did not). */
  private readonly links = new Set<string>();
  private fd: number | null = null;
  files = 0;
  bytes = 0;

  constructor(private readonly dest: string) {}

  private abs(rel: string): string {
    // `rel` comes checked ('/'-separated, no `..`, nothing empty): where '/' is the separator it is joined as it is.
    return SLASH_SEP ? `${this.dest}/${rel}` : path.join(this.dest, ...rel.split('/'));
  }

  /** Refuse a path that goes through a link this writer made. */
  private guard(rel: string): void {
    for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) {
      if (this.links.has(rel.slice(0, i)))
        throw new Error(`refusing to write ${JSON.stringify(rel)} through the link ${JSON.stringify(rel.slice(0, i))}`);
    }
    if (this.links.has(rel)) throw new Error(`refusing to write over the link ${JSON.stringify(rel)}`);
  }

  private ensure(rel: string): void {
    if (this.made.has(rel)) return;
    this.guard(rel);
    const slash = rel.lastIndexOf('/');
    // One mkdir where its parent is known made (archives list folders before what is in them).
    if (this.made.has(slash < 0 ? '' : rel.slice(0, slash))) {
      try {
        mkdirSync(this.abs(rel), 0o755);
        this.fresh.add(rel);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        mkdirSync(this.abs(rel), { recursive: true, mode: 0o755 }); // there already: a folder is fine, anything else fails here
      }
    } else mkdirSync(this.abs(rel), { recursive: true, mode: 0o755 });
    this.made.add(rel);
  }

  private parentMade(rel: string): void {
    const slash = rel.lastIndexOf('/');
    this.ensure(slash < 0 ? '' : rel.slice(0, slash));
  }

  dir(rel: string): void {
    this.ensure(rel);
  }

  file(rel: string, mode: number): void {
    if (this.fd !== null) throw new Error('a file is still open');
    this.guard(rel);
    this.parentMade(rel);
    this.fd = openSync(this.abs(rel), 'wx', mode);
  }

  private openFd(): number {
    if (this.fd === null) throw new Error('no file is open');
    return this.fd;
  }

  data(chunk: Buffer): void {
    this.dataAt(chunk, 0, chunk.length);
  }

  /** `length` bytes of `buf` from `offset` (no view of them made). */
  dataAt(buf: Buffer, offset: number, length: number): void {
    const fd = this.openFd();
    let off = 0;
    while (off < length) off += writeSync(fd, buf, offset + off, length - off);
    this.bytes += length;
  }

  endFile(mode: number, mtime: number | null): void {
    const fd = this.openFd();
    this.fd = null;
    try {
      if ((mode & UMASK) !== 0) fchmodSync(fd, mode);
      if (mtime !== null) futimesSync(fd, mtime, mtime);
    } finally {
      closeSync(fd);
    }
    this.files++;
  }

  symlink(rel: string, target: string, mtime: number | null): void {
    this.guard(rel);
    this.parentMade(rel);
    symlinkSync(target, this.abs(rel));
    this.links.add(rel);
    if (mtime === null) return;
    try {
      lutimesSync(this.abs(rel), mtime, mtime);
    } catch {
      // a link's own times are not kept everywhere
    }
  }

  link(targetRel: string, rel: string): void {
    this.guard(targetRel);
    this.guard(rel);
    this.parentMade(rel);
    linkSync(this.abs(targetRel), this.abs(rel));
  }

  finishDir(rel: string, mode: number, mtime: number | null): void {
    this.guard(rel);
    // A folder this writer made with 0o755 under a umask that takes nothing from it is 0o755 already
    // (a default ACL on a parent can only narrow mkdir's mode, never widen it); any other is set.
    if (!this.fresh.has(rel) || mode !== 0o755 || (UMASK & 0o755) !== 0) chmodSync(this.abs(rel), mode);
    if (mtime !== null) utimesSync(this.abs(rel), mtime, mtime);
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}
