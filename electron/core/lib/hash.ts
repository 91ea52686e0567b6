import crypto, { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { UpkeepError } from '../../../shared/errors';

const CHUNK = 1024 * 1024;

/**
 * sha256 of bytes in memory, hex. One call, no Hash object: a backup of 30,000 small files made
 * 30,000 of them, each a native object the garbage collector has to finalize. Runtimes without
 * crypto.hash (Node before 20.12) take the Hash object.
 */
export const sha256Hex: (data: Uint8Array) => string =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'hex')
    : (data) => createHash('sha256').update(data).digest('hex');

/**
 * sha256 of a whole file, hex: read into one reused buffer (no garbage per chunk) of at most 1 MiB,
 * no larger than the file (plus one byte to see its end), so hashing many small files does not
 * allocate a megabyte each.
 */
export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, size + 1));
    for (;;) {
      if (signal?.aborted) throw new UpkeepError('CANCELLED', 'Hashing cancelled.');
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
