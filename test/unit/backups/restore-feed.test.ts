import { createHash, randomBytes } from 'node:crypto';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { FEED_BUFFER_BYTES, FEED_BUFFERS, FeedReceiver, FeedSender, type FeedMessage } from '../../../electron/core/backups/restore-feed';

/** A sender and a receiver on the two ends of a real MessageChannel (buffers transferred, as between threads). */
function wire() {
  const { port1, port2 } = new MessageChannel();
  const posted: number[] = [];
  const sender = new FeedSender((message: FeedMessage, transfer) => {
    if (message.feed === 'chunk') posted.push(message.length);
    port1.postMessage(message, transfer);
  });
  const receiver = new FeedReceiver((buf) => port2.postMessage(buf, [buf]));
  port2.on('message', (m: FeedMessage) => receiver.receive(m));
  port1.on('message', (buf: ArrayBuffer) => sender.returned(buf));
  const close = () => {
    port1.close();
    port2.close();
  };
  return { sender, receiver, posted, close };
}

describe('restore feed (the decoded archive handed from the reading thread to the writer)', () => {
  it('carries every byte in order through a fixed set of buffers, whatever the chunk sizes', async () => {
    const { sender, receiver, posted, close } = wire();
    const data = randomBytes(FEED_BUFFER_BYTES * FEED_BUFFERS * 3 + 12_345);
    const sizes = [1, 511, 512, 513, FEED_BUFFER_BYTES - 1, FEED_BUFFER_BYTES, FEED_BUFFER_BYTES + 1, 3 * FEED_BUFFER_BYTES + 7, 65_536];
    const send = (async () => {
      let off = 0;
      for (let i = 0; off < data.length; i++) {
        const n = Math.min(sizes[i % sizes.length] as number, data.length - off);
        await sender.chunk(data.subarray(off, off + n));
        off += n;
      }
      await sender.end();
    })();
    const got = createHash('sha256');
    let bytes = 0;
    const seen = new Set<ArrayBufferLike>();
    for await (const chunk of receiver) {
      got.update(chunk);
      bytes += chunk.length;
      seen.add(chunk.buffer);
    }
    await send;
    close();
    expect(bytes).toBe(data.length);
    expect(got.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    // Full buffers except the last; more buffers went over than exist, so they came back and were reused.
    expect(posted.slice(0, -1).every((n) => n === FEED_BUFFER_BYTES)).toBe(true);
    expect(posted.length).toBe(Math.ceil(data.length / FEED_BUFFER_BYTES));
    expect(posted.length).toBeGreaterThan(FEED_BUFFERS);
  });

  it('never has more than its buffers in flight: the sender waits for the writer', async () => {
    const { sender, posted, close } = wire(); // nobody reads: nothing comes back
    const block = Buffer.alloc(FEED_BUFFER_BYTES, 7);
    let sent = 0;
    const sending = (async () => {
      for (;;) {
        await sender.chunk(block);
        sent++;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(posted.length).toBe(FEED_BUFFERS);
    expect(sent).toBe(FEED_BUFFERS); // the next chunk() waits for a buffer
    // A failed writer wakes it with the writer's error.
    const failure = new Error('disk full');
    sender.fail(failure);
    await expect(sending).rejects.toBe(failure);
    await expect(sender.end()).rejects.toBe(failure);
    close();
  });

  it('gives a buffer back only when the next one is asked for (the reader is done with it then)', async () => {
    const returned: number[] = [];
    const receiver = new FeedReceiver((buf) => returned.push(buf.byteLength));
    receiver.receive({ feed: 'chunk', buf: new ArrayBuffer(16), length: 10 });
    receiver.receive({ feed: 'chunk', buf: new ArrayBuffer(32), length: 32 });
    const it = receiver[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toHaveLength(10);
    expect(returned).toEqual([]);
    const second = await it.next();
    expect(second.value).toHaveLength(32);
    expect(returned).toEqual([16]);
    const waiting = it.next();
    receiver.receive({ feed: 'end' });
    expect((await waiting).done).toBe(true);
    expect(returned).toEqual([16, 32]);
  });
});
