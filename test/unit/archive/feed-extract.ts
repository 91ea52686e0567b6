import { MessageChannel } from 'node:worker_threads';
import {
  BlockingWriter,
  explainWriteError,
  extractArchive,
  prepareDest,
  WriterStopped,
  type ExtractOptions,
  type ExtractResult,
} from '../../../electron/core/archive';
import { applyFeed, FeedReceiver, FeedWriter, type FeedMessage } from '../../../electron/core/backups/restore-feed';

/**
 * extractArchive as a restore runs it (in-worker.ts extractOnTwoThreads), with the writing side
 * on this thread instead of the backup worker: the checked entries go as write instructions
 * through a real MessageChannel (buffers transferred) to applyFeed and a BlockingWriter.
 */
export async function extractByFeed(options: ExtractOptions): Promise<ExtractResult> {
  const dest = options.dest as string;
  const { port1, port2 } = new MessageChannel();
  const writer = new FeedWriter((message: FeedMessage, transfer: ArrayBuffer[]) =>
    port1.postMessage(message, transfer),
  );
  const receiver = new FeedReceiver((buf) => port2.postMessage(buf, [buf]));
  port2.on('message', (m: FeedMessage) => receiver.receive(m));
  port1.on('message', (buf: ArrayBuffer) => writer.returned(buf));
  const blocking = new BlockingWriter(dest);
  const applying = prepareDest(dest).then(() => applyFeed(receiver, blocking, { archive: options.archive }));
  applying.catch((error: unknown) => writer.fail(error));
  try {
    let result: ExtractResult;
    try {
      result = await extractArchive({ ...options, dest: null, writer });
      await writer.end();
    } catch (error) {
      receiver.stop();
      await applying.catch(() => undefined);
      throw error instanceof WriterStopped ? explainWriteError(error.reason, options.archive) : error;
    }
    const written = await applying.catch((error: unknown) => {
      throw explainWriteError(error, options.archive);
    });
    if (written.files !== result.files || written.bytes !== result.bytes)
      throw new Error(
        `wrote ${written.files} files / ${written.bytes} bytes, checked ${result.files} / ${result.bytes}`,
      );
    return result;
  } finally {
    blocking.close();
    port1.close();
    port2.close();
  }
}
