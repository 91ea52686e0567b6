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

/** sha256 of no bytes, hex. */
export const EMPTY_SHA256 = sha256Hex(new Uint8Array(0));

/**
 * sha256 of a file's bytes as they arrive, piece by piece. A file whose bytes come in one piece
 * (the caller says the first piece is also the last) is hashed in one call, with no Hash object:
 * a restore of 30,000 small files would otherwise make 30,000 of them.
 */
export class PieceDigest {
  private hash: crypto.Hash | null = null;
  private whole: string | null = null;

  /** The next piece; `last` when no more follow. Throws on a piece after one given as last. */
  add(piece: Uint8Array, last: boolean): void {
    if (this.whole !== null) throw new Error('more bytes after the last piece of a file');
    if (this.hash) this.hash.update(piece);
    else if (last) this.whole = sha256Hex(piece);
    else this.hash = createHash('sha256').update(piece);
  }

  /** The sha256 of every piece, hex (of no bytes when none came). */
  hex(): string {
    return this.hash ? this.hash.digest('hex') : (this.whole ?? EMPTY_SHA256);
  }
}

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
