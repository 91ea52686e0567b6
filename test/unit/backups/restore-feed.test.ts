import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { UpkeepError } from '../../../shared/errors';
import { BlockingWriter, extractArchive, WriterStopped, type EntryWriter } from '../../../electron/core/archive';
import {
  applyFeed,
  FEED_BUFFER_BYTES,
  FEED_BUFFERS,
  FeedReceiver,
  FeedWriter,
  type FeedMessage,
} from '../../../electron/core/backups/restore-feed';
import { tempDir } from '../../helpers/temp';
import { rawTar } from '../archive/fixtures';

/** A FeedWriter and a FeedReceiver on the two ends of a real MessageChannel (buffers transferred, as between threads). */
function wire() {
  const { port1, port2 } = new MessageChannel();
  const posted: number[] = [];
  const writer = new FeedWriter((message: FeedMessage, transfer: ArrayBuffer[]) => {
    if (message.feed === 'chunk') posted.push(message.length);
    port1.postMessage(message, transfer);
  });
  const receiver = new FeedReceiver((buf) => port2.postMessage(buf, [buf]));
  port2.on('message', (m: FeedMessage) => receiver.receive(m));
  port1.on('message', (buf: ArrayBuffer) => writer.returned(buf));
  const close = () => {
    port1.close();
    port2.close();
  };
  return { writer, receiver, posted, close };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('restore feed (checked entries handed from the reading thread to the writing one)', () => {
  it('carries folders, files of every size, links and folder modes through a fixed set of buffers', async () => {
    const { writer, receiver, posted, close } = wire();
    const dest = path.join(tempDir('upkeep-feed-'), 'out');
    mkdirSync(dest);
    const big = randomBytes(FEED_BUFFER_BYTES * FEED_BUFFERS * 2 + 12_345);
    const blocking = new BlockingWriter(dest);
    const applying = applyFeed(receiver, blocking, { archive: 'x.tar.zst' });
    const mtime = 1_700_000_000;
    await writer.dir('a');
    await writer.dir('a/b ü');
    // Many small files, so records fill buffers to their ends in every way.
    for (let i = 0; i < 2000; i++) {
      await writer.file(`a/b ü/f${i}.txt`, 0o644);
      await writer.data(Buffer.from(`file ${i} `.repeat(i % 97)));
      await writer.endFile(0o644, mtime);
    }
    await writer.file('big.bin', 0o600);
    let off = 0;
    for (const size of [1, 511, FEED_BUFFER_BYTES - 3, FEED_BUFFER_BYTES + 7, 3 * FEED_BUFFER_BYTES, 65_536]) {
      await writer.data(big.subarray(off, Math.min(big.length, off + size)));
      off = Math.min(big.length, off + size);
    }
    await writer.data(big.subarray(off));
    await writer.endFile(0o600, null);
    await writer.file('run.sh', 0o755);
    await writer.data(Buffer.from('#!/bin/sh\n'));
    await writer.endFile(0o755, mtime);
    await writer.symlink('a/link', 'b ü/f1.txt', mtime);
    await writer.link('run.sh', 'a/hard');
    await writer.finishDir('a/b ü', 0o750, mtime);
    await writer.end();
    const written = await applying;
    close();
    expect(written.files).toBe(2002);
    expect(written.bytes).toBe(
      big.length +
        10 +
        Array.from({ length: 2000 }, (_, i) => Buffer.byteLength(`file ${i} `.repeat(i % 97))).reduce(
          (a, b) => a + b,
          0,
        ),
    );
    expect(sha(readFileSync(path.join(dest, 'big.bin')))).toBe(sha(big));
    expect(readFileSync(path.join(dest, 'a/b ü/f96.txt'), 'utf8')).toBe('file 96 '.repeat(96));
    expect(statSync(path.join(dest, 'a/b ü/f5.txt')).mtimeMs).toBe(mtime * 1000);
    expect(statSync(path.join(dest, 'run.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(dest, 'big.bin')).mode & 0o777).toBe(0o600);
    expect(readlinkSync(path.join(dest, 'a/link'))).toBe('b ü/f1.txt');
    expect(statSync(path.join(dest, 'a/hard')).ino).toBe(statSync(path.join(dest, 'run.sh')).ino);
    expect(lstatSync(path.join(dest, 'a/b ü')).mode & 0o777).toBe(0o750);
    expect(statSync(path.join(dest, 'a/b ü')).mtimeMs).toBe(mtime * 1000);
    // Full buffers went over many times more than there are buffers: they came back and were reused.
    expect(posted.length).toBeGreaterThan(FEED_BUFFERS * 2);
    expect(Math.max(...posted)).toBeLessThanOrEqual(FEED_BUFFER_BYTES);
  });

  it('never has more than its buffers in flight: the reading side waits for the writer, and a failed writer wakes it', async () => {
    const { writer, posted, close } = wire(); // nobody writes: nothing comes back
    await writer.file('x', 0o644);
    const block = Buffer.alloc(FEED_BUFFER_BYTES, 7);
    let sent = 0;
    const sending = (async () => {
      for (;;) {
        await writer.data(block);
        sent++;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(posted.length).toBe(FEED_BUFFERS);
    expect(sent).toBeLessThan(FEED_BUFFERS);
    const failure = new Error('disk full');
    writer.fail(failure);
    for (const error of [await sending.catch((e: unknown) => e), await writer.end().catch((e: unknown) => e)]) {
      expect(error).toBeInstanceOf(WriterStopped);
      expect((error as WriterStopped).reason).toBe(failure);
    }
    close();
  });

  it('checks each file against the sha256 it came with, and refuses the first that differs', async () => {
    const { writer, receiver, close } = wire();
    const dest = tempDir('upkeep-feed-sha-');
    const applying = applyFeed(receiver, new BlockingWriter(dest), { archive: '/b/demo-20260101-000000-abcd.tar.zst' });
    const good = Buffer.from('good bytes');
    await writer.file('good.txt', 0o644, sha(good));
    await writer.data(good);
    await writer.endFile(0o644, null);
    // In two pieces (hashed as they come), and empty (no piece at all).
    await writer.file('two.txt', 0o644, sha(Buffer.from('first half, second half')));
    await writer.data(Buffer.from('first half, '));
    await writer.data(Buffer.from('second half'));
    await writer.endFile(0o644, null);
    await writer.file('empty.txt', 0o644, sha(Buffer.alloc(0)));
    await writer.endFile(0o644, null);
    await writer.file('bad.txt', 0o644, sha(Buffer.from('what was backed up')));
    await writer.data(Buffer.from('what arrived'));
    await writer.endFile(0o644, null);
    await writer.end();
    const error = await applying.catch((e: unknown) => e);
    close();
    expect(error).toBeInstanceOf(UpkeepError);
    expect((error as UpkeepError).code).toBe('BACKUP_CORRUPT');
    expect((error as UpkeepError).message).toContain(
      'demo-20260101-000000-abcd.tar.zst is damaged: file "bad.txt" does not match its checksum',
    );
    expect(readFileSync(path.join(dest, 'good.txt'), 'utf8')).toBe('good bytes');
    expect(readFileSync(path.join(dest, 'two.txt'), 'utf8')).toBe('first half, second half');
    expect(readFileSync(path.join(dest, 'empty.txt'), 'utf8')).toBe('');

    // A file in two pieces that differs is refused too.
    const second = wire();
    const applying2 = applyFeed(second.receiver, new BlockingWriter(tempDir('upkeep-feed-sha2-')), {
      archive: '/b/demo-20260101-000000-abcd.tar.zst',
    });
    await second.writer.file('bad-two.txt', 0o644, sha(Buffer.from('what was backed up')));
    await second.writer.data(Buffer.from('what was '));
    await second.writer.data(Buffer.from('changed'));
    await second.writer.endFile(0o644, null);
    await second.writer.end();
    const error2 = await applying2.catch((e: unknown) => e);
    second.close();
    expect((error2 as UpkeepError).message).toContain('file "bad-two.txt" does not match its checksum');
  });

  it('refuses instructions that would write outside the folder, malformed ones, and a feed that stops before its end', async () => {
    for (const [rel, what] of [
      ['../escape', /unsafe path/],
      ['/etc/x', /unsafe path/],
      ['a/../../x', /unsafe path/],
    ] as const) {
      const { writer, receiver, close } = wire();
      const dest = tempDir('upkeep-feed-bad-');
      const applying = applyFeed(receiver, new BlockingWriter(dest), { archive: 'x.tar.zst' });
      await writer.file(rel, 0o644);
      await writer.end();
      await expect(applying).rejects.toThrow(what);
      close();
    }
    // A link it made is never written through, whatever the instructions say.
    {
      const { writer, receiver, close } = wire();
      const sandbox = tempDir('upkeep-feed-link-');
      const dest = path.join(sandbox, 'dest');
      mkdirSync(dest);
      mkdirSync(path.join(sandbox, 'outside'));
      const applying = applyFeed(receiver, new BlockingWriter(dest), { archive: 'x.tar.zst' });
      await writer.symlink('a', '../outside', null);
      await writer.file('a/x', 0o644);
      await writer.end();
      await expect(applying).rejects.toThrow(/through the link "a"/);
      expect(readdirSync(path.join(sandbox, 'outside'))).toEqual([]);
      close();
    }
    const junk = new FeedReceiver(() => undefined);
    junk.receive({ feed: 'chunk', buf: new Uint8Array([99]).buffer, length: 1 });
    await expect(
      applyFeed(junk, new BlockingWriter(tempDir('upkeep-feed-junk-')), { archive: 'x.tar.zst' }),
    ).rejects.toThrow(/malformed/);
    const cut = new FeedReceiver(() => undefined);
    cut.receive({ feed: 'end' });
    await expect(
      applyFeed(cut, new BlockingWriter(tempDir('upkeep-feed-cut-')), { archive: 'x.tar.zst' }),
    ).rejects.toThrow(/stopped before their end/);
  });

  it("passes a writer's own failure through the extractor unchanged, for the restore to report the writer's error", async () => {
    const dir = tempDir('upkeep-feed-stopped-');
    const archive = path.join(dir, 'a.tar');
    writeFileSync(archive, rawTar([{ path: 'f.txt', data: 'x'.repeat(1000) }]));
    const stopped = new WriterStopped(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    const failing: EntryWriter = {
      dir: () => undefined,
      file: () => undefined,
      data: () => Promise.reject(stopped),
      endFile: () => undefined,
      symlink: () => undefined,
      link: () => undefined,
      finishDir: () => undefined,
    };
    const error = await extractArchive({
      archive,
      dest: null,
      writer: failing,
      expect: { archiveSha256: '0'.repeat(64) },
    }).catch((e: unknown) => e);
    // Not wrapped, and not taken for a damaged archive although the recorded checksum is wrong.
    expect(error).toBe(stopped);
  });

  it('gives a buffer back only when the next one is asked for (everything in it has been written then)', async () => {
    const returned: number[] = [];
    const receiver = new FeedReceiver((buf) => returned.push(buf.byteLength));
    receiver.receive({ feed: 'chunk', buf: new ArrayBuffer(16), length: 10 });
    receiver.receive({ feed: 'chunk', buf: new ArrayBuffer(32), length: 32 });
    const it = receiver[Symbol.asyncIterator]();
    expect((await it.next()).value).toHaveLength(10);
    expect(returned).toEqual([]);
    expect((await it.next()).value).toHaveLength(32);
    expect(returned).toEqual([16]);
    const waiting = it.next();
    receiver.receive({ feed: 'end' });
    expect((await waiting).done).toBe(true);
    expect(returned).toEqual([16, 32]);
  });
});
