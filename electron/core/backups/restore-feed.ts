/**
 * A restore on two threads: the calling thread reads the archive, hashes it, decodes it and
 * checks every file against the manifest (extractArchive with no destination), and hands each
 * decoded tar chunk on to the backup worker, which parses the same stream and only writes
 * (extractArchive fed from a `source`, no hashing). Neither waits on the other per chunk.
 *
 * The bytes travel in a fixed set of buffers that go back and forth between the threads
 * (transferred, never copied by postMessage): the calling thread fills one and posts it, the
 * worker gives it back once it has written what it held. So at most FEED_BUFFERS × FEED_BUFFER_BYTES
 * are in flight, and 300 MB of restore allocates 8 MiB for the hand-over, not 300 MB.
 */
import type { TarTee } from '../archive';

export const FEED_BUFFERS = 8;
export const FEED_BUFFER_BYTES = 1024 * 1024;

/** From the reading thread to the writer. */
export type FeedMessage = { feed: 'chunk'; buf: ArrayBuffer; length: number } | { feed: 'end' };

/** The reading side: extractArchive's `tee`. */
export class FeedSender implements TarTee {
  private readonly free: ArrayBuffer[] = [];
  private made = 0;
  private current: Uint8Array | null = null;
  private filled = 0;
  private waiter: (() => void) | null = null;
  private failure: { error: unknown } | null = null;

  constructor(private readonly post: (message: FeedMessage, transfer: ArrayBuffer[]) => void) {}

  /** A buffer the writer has finished with. */
  returned(buf: ArrayBuffer): void {
    this.free.push(buf);
    this.wake();
  }

  /** The writer failed or is gone: the next chunk() or end() throws `error`. */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private async take(): Promise<Uint8Array> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      const buf = this.free.pop() ?? (this.made < FEED_BUFFERS ? (this.made++, new ArrayBuffer(FEED_BUFFER_BYTES)) : undefined);
      if (buf) return new Uint8Array(buf);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  async chunk(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      if (!this.current) {
        this.current = await this.take();
        this.filled = 0;
      }
      const k = Math.min(chunk.length - off, this.current.length - this.filled);
      this.current.set(chunk.subarray(off, off + k), this.filled);
      this.filled += k;
      off += k;
      if (this.filled === this.current.length) this.flush();
    }
  }

  private flush(): void {
    const cur = this.current as Uint8Array;
    this.current = null;
    this.post({ feed: 'chunk', buf: cur.buffer as ArrayBuffer, length: this.filled }, [cur.buffer as ArrayBuffer]);
  }

  async end(): Promise<void> {
    if (this.failure) throw this.failure.error;
    if (this.current && this.filled) this.flush();
    this.post({ feed: 'end' }, []);
  }
}

/**
 * The writing side: the decoded tar stream as extractArchive's `source`. A buffer goes back when
 * the next one is asked for — by then the tar reader has copied what it keeps of it (a header
 * split across buffers) and the extractor has written the rest.
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
