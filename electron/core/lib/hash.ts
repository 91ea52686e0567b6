import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { UpkeepError } from '../../../shared/errors';

/** sha256 of a whole file, hex: read into one reused 1 MiB buffer (no garbage per chunk). */
export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
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
