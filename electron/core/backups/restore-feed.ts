/**
 * A restore on two threads. The calling thread reads the archive, hashes it, decodes it and
 * checks every entry — its path, its place in the manifest, every file's sha256 —
 * (extractArchive with this file's FeedWriter as its `writer`), and only then hands the entry on
 * as a write instruction. The backup worker carries the instructions out with blocking calls
 * (applyFeed → BlockingWriter): no parsing, no checking, no hashing there, so the thread that
 * waits on the disk does nothing else, and nothing reaches the disk before it was checked.
 *
 * Instructions travel in a fixed set of buffers that go back and forth between the threads
 * (transferred, never copied by postMessage): the calling thread fills one and posts it, the
 * worker gives it back once it has carried out what it held. So at most
 * FEED_BUFFERS × FEED_BUFFER_BYTES are in flight, and a 300 MB restore allocates 8 MiB for the
 * hand-over, not 300 MB. A record never spans two buffers; a file's bytes go in as many DATA
 * records as it takes.
 */
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import { WriterStopped, type BlockingWriter, type EntryWriter } from '../archive/entry-writer';
import { PieceDigest } from '../lib/hash';

export const FEED_BUFFERS = 8;
export const FEED_BUFFER_BYTES = 1024 * 1024;

/** From the reading thread to the writer. */
export type FeedMessage = { feed: 'chunk'; buf: ArrayBuffer; length: number } | { feed: 'end' };

const DIR = 1;
const FILE = 2;
const DATA = 3;
const END_FILE = 4;
const SYMLINK = 5;
const LINK = 6;
const FINISH_DIR = 7;
const END = 8;
/** A DATA record's op and length. */
const DATA_HEAD = 5;

/**
 * The reading side: extractArchive's `writer`, writing instructions into the feed. The two
 * threads share the hashing: this one hashes the archive, and each file is hashed by whichever
 * has time for it — by the writing side (sent with its recorded sha256) while that keeps up
 * (half the buffers or more are free), else here, where the reader would otherwise wait for
 * buffers. How fast the writer goes depends on the disk and the page cache (its writes took
 * 0.35–0.9 s of kernel time for the same 300 MB restore), so no fixed split stays right.
 */
export class FeedWriter implements EntryWriter {
  private readonly free: ArrayBuffer[] = [];
  private made = 0;
  private buf: Buffer | null = null;
  private filled = 0;
  private waiter: (() => void) | null = null;
  private failure: { error: unknown } | null = null;

  constructor(private readonly post: (message: FeedMessage, transfer: ArrayBuffer[]) => void) {}

  takesChecksum(): boolean {
    return this.free.length + (FEED_BUFFERS - this.made) >= FEED_BUFFERS / 2;
  }

  /** A buffer the writer has finished with. */
  returned(buf: ArrayBuffer): void {
    this.free.push(buf);
    this.wake();
  }

  /** The writer failed or is gone: the next call throws WriterStopped(`error`). */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** A free buffer now, or null when all are in flight. */
  private takeNow(): Buffer | null {
    if (this.failure) throw new WriterStopped(this.failure.error);
    const buf =
      this.free.pop() ?? (this.made < FEED_BUFFERS ? (this.made++, new ArrayBuffer(FEED_BUFFER_BYTES)) : undefined);
    return buf ? Buffer.from(buf) : null;
  }

  private async take(): Promise<Buffer> {
    for (;;) {
      const buf = this.takeNow();
      if (buf) return buf;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private flush(): void {
    const buf = this.buf;
    if (!buf) return;
    this.buf = null;
    const backing = buf.buffer;
    if (!(backing instanceof ArrayBuffer))
      throw new Error('a restore feed buffer must own its memory to be transferred');
    this.post({ feed: 'chunk', buf: backing, length: this.filled }, [backing]);
  }

  /**
   * A buffer with `n` bytes of room at `filled`: at once where there is one (most calls), else a
   * promise of one once the writer gives a buffer back.
   */
  private room(n: number): Buffer | Promise<Buffer> {
    if (this.failure) throw new WriterStopped(this.failure.error);
    if (n > FEED_BUFFER_BYTES) throw new Error(`a restore instruction of ${n} bytes does not fit the feed`);
    if (this.buf && this.filled + n <= this.buf.length) return this.buf;
    this.flush();
    this.filled = 0;
    const now = this.takeNow();
    if (now) return (this.buf = now);
    return this.take().then((buf) => (this.buf = buf));
  }

  /** `write` into a buffer with `n` bytes of room, now or once there is one. */
  private put(n: number, write: (b: Buffer) => void): void | Promise<void> {
    const b = this.room(n);
    if (Buffer.isBuffer(b)) return write(b);
    return b.then(write);
  }

  private named(op: number, fixed: number, rel: string, head: (b: Buffer, at: number) => void): void | Promise<void> {
    const len = Buffer.byteLength(rel);
    return this.put(1 + fixed + 2 + len, (b) => {
      let at = this.filled;
      b[at++] = op;
      head(b, at);
      at += fixed;
      at = b.writeUInt16LE(len, at);
      at += b.write(rel, at, 'utf8');
      this.filled = at;
    });
  }

  dir(rel: string): void | Promise<void> {
    return this.named(DIR, 0, rel, () => undefined);
  }

  file(rel: string, mode: number, sha256?: string): void | Promise<void> {
    return this.named(FILE, 35, rel, (b, at) => {
      b.writeUInt16LE(mode, at);
      b[at + 2] = sha256 ? 1 : 0;
      if (sha256) b.write(sha256, at + 3, 32, 'hex');
    });
  }

  data(chunk: Buffer): void | Promise<void> {
    let off = 0;
    // Whatever fits in this buffer (a new one when not even a byte does), as long as there is room now.
    while (off < chunk.length) {
      const b = this.room(DATA_HEAD + 1);
      if (!Buffer.isBuffer(b)) return b.then(() => this.data(chunk.subarray(off)));
      const k = Math.min(chunk.length - off, b.length - this.filled - DATA_HEAD);
      b[this.filled] = DATA;
      b.writeUInt32LE(k, this.filled + 1);
      chunk.copy(b, this.filled + DATA_HEAD, off, off + k);
      this.filled += DATA_HEAD + k;
      off += k;
    }
  }

  endFile(mode: number, mtime: number | null): void | Promise<void> {
    return this.put(12, (b) => {
      b[this.filled] = END_FILE;
      b.writeUInt16LE(mode, this.filled + 1);
      b[this.filled + 3] = mtime === null ? 0 : 1;
      b.writeDoubleLE(mtime ?? 0, this.filled + 4);
      this.filled += 12;
    });
  }

  symlink(rel: string, target: string, mtime: number | null): void | Promise<void> {
    const tlen = Buffer.byteLength(target);
    return this.named(SYMLINK, 9 + 4 + tlen, rel, (b, at) => {
      b[at] = mtime === null ? 0 : 1;
      b.writeDoubleLE(mtime ?? 0, at + 1);
      b.writeUInt32LE(tlen, at + 9);
      b.write(target, at + 13, 'utf8');
    });
  }

  link(targetRel: string, rel: string): void | Promise<void> {
    const tlen = Buffer.byteLength(targetRel);
    return this.named(LINK, 2 + tlen, rel, (b, at) => {
      b.writeUInt16LE(tlen, at);
      b.write(targetRel, at + 2, 'utf8');
    });
  }

  finishDir(rel: string, mode: number, mtime: number | null): void | Promise<void> {
    return this.named(FINISH_DIR, 11, rel, (b, at) => {
      b.writeUInt16LE(mode, at);
      b[at + 2] = mtime === null ? 0 : 1;
      b.writeDoubleLE(mtime ?? 0, at + 3);
    });
  }

  /** Everything was checked: the writer may finish. */
  async end(): Promise<void> {
    const b = await this.room(1);
    b[this.filled++] = END;
    this.flush();
    this.post({ feed: 'end' }, []);
  }
}

/**
 * The writing side's queue of buffers. A buffer goes back when the next one is asked for — by
 * then every instruction in it has been carried out.
 */
export class FeedReceiver implements AsyncIterable<Buffer> {
  private readonly queue: { buf: ArrayBuffer; length: number }[] = [];
  private ended = false;
  private waiter: (() => void) | null = null;

  constructor(private readonly giveBack: (buf: ArrayBuffer) => void) {}

  receive(message: FeedMessage): void {
    if (message.feed === 'chunk') this.queue.push({ buf: message.buf, length: message.length });
    else this.ended = true;
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Drop what is queued and end (a writer on the reader's own thread, whose reader failed). */
  stop(): void {
    this.queue.length = 0;
    this.receive({ feed: 'end' });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      while (this.queue.length === 0 && !this.ended) await new Promise<void>((resolve) => (this.waiter = resolve));
      const next = this.queue.shift();
      if (!next) return;
      yield Buffer.from(next.buf, 0, next.length);
      this.giveBack(next.buf);
    }
  }
}

/** Paths come checked from the reading thread; this only keeps a fault there from writing outside. */
const UNSAFE = /(?:^|\/)\.\.(?:\/|$)|^\/|\0/;

function checked(rel: string): string {
  if (UNSAFE.test(rel)) throw new Error(`restore instruction with an unsafe path ${JSON.stringify(rel)}`);
  return rel;
}

/**
 * Carry out the instructions in `feed` with `writer` until END, checking every file that comes
 * with a sha256 (BACKUP_CORRUPT, naming `archive`, when one does not match). Throws if the feed
 * stops before END (the reading thread failed: it stops this thread too) or holds a malformed
 * record.
 */
export async function applyFeed(
  feed: AsyncIterable<Buffer>,
  writer: BlockingWriter,
  options: { archive: string; onProgress?: (files: number, bytes: number) => void },
): Promise<{ files: number; bytes: number }> {
  let lastProgress = 0;
  // The file being written and its recorded sha256, hex, when this side checks it.
  let file: { rel: string; digest: PieceDigest; want: string } | null = null;
  for await (const b of feed) {
    let at = 0;
    const str = (len: number) => {
      const s = b.toString('utf8', at, at + len);
      at += len;
      return s;
    };
    while (at < b.length) {
      const op = b[at++];
      switch (op) {
        case DATA: {
          const len = b.readUInt32LE(at);
          at += 4;
          // The last piece of a file is the one its END_FILE follows.
          file?.digest.add(b.subarray(at, at + len), b[at + len] === END_FILE);
          writer.dataAt(b, at, len);
          at += len;
          break;
        }
        case FILE: {
          const mode = b.readUInt16LE(at);
          const want = b[at + 2] ? b.toString('hex', at + 3, at + 35) : null;
          const len = b.readUInt16LE(at + 35);
          at += 37;
          const rel = checked(str(len));
          file = want ? { rel, digest: new PieceDigest(), want } : null;
          writer.file(rel, mode);
          break;
        }
        case END_FILE: {
          const mode = b.readUInt16LE(at);
          const mtime = b[at + 2] ? b.readDoubleLE(at + 3) : null;
          at += 11;
          if (file && file.digest.hex() !== file.want) {
            const name = path.basename(options.archive);
            throw new UpkeepError(
              'BACKUP_CORRUPT',
              `Backup archive ${name} is damaged: file ${JSON.stringify(file.rel)} does not match its checksum. Nothing was changed; restore a different backup.`,
              { archive: options.archive, entry: file.rel },
            );
          }
          file = null;
          writer.endFile(mode, mtime);
          break;
        }
        case DIR: {
          const len = b.readUInt16LE(at);
          at += 2;
          writer.dir(checked(str(len)));
          break;
        }
        case SYMLINK: {
          const mtime = b[at] ? b.readDoubleLE(at + 1) : null;
          const tlen = b.readUInt32LE(at + 9);
          at += 13;
          const target = str(tlen);
          const len = b.readUInt16LE(at);
          at += 2;
          writer.symlink(checked(str(len)), target, mtime);
          break;
        }
        case LINK: {
          const tlen = b.readUInt16LE(at);
          at += 2;
          const target = checked(str(tlen));
          const len = b.readUInt16LE(at);
          at += 2;
          writer.link(target, checked(str(len)));
          break;
        }
        case FINISH_DIR: {
          const mode = b.readUInt16LE(at);
          const mtime = b[at + 2] ? b.readDoubleLE(at + 3) : null;
          const len = b.readUInt16LE(at + 11);
          at += 13;
          writer.finishDir(checked(str(len)), mode, mtime);
          break;
        }
        case END:
          return { files: writer.files, bytes: writer.bytes };
        default:
          throw new Error(`malformed restore instruction (op ${op})`);
      }
    }
    if (options.onProgress) {
      const now = Date.now();
      if (now - lastProgress >= 100) {
        lastProgress = now;
        options.onProgress(writer.files, writer.bytes);
      }
    }
  }
  throw new Error('the restore instructions stopped before their end');
}
