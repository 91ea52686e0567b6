/** Reading zstd frames: a backup's own, or any frame a zstd encoder writes without a dictionary (see zstd.ts). */
import { TarFormatError } from './tar-format';
import {
  BACKUP_FRAMES,
  checkDecodedSize,
  MAGIC,
  MAX_BLOCK,
  MAX_BLOCK_CONTENT,
  MIN_AVERAGE_BLOCK,
  frameTooLarge,
  type ZstdDecoder,
  type ZstdFrameRules,
} from './zstd-codec';
import { DamagedFrame, ZstdHelpers, helperCount } from './zstd-helpers';

const EMPTY_BUFFER = Buffer.alloc(0);

/** Bytes from an async source, taken in exact amounts. */
class ByteQueue {
  private chunks: Buffer[] = [];
  private length = 0;
  private done = false;
  private readonly iterator: AsyncIterator<Buffer>;
  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Whether the source has more bytes (reads ahead if needed). */
  async more(): Promise<boolean> {
    if (this.length) return true;
    await this.fill(1);
    return this.length > 0;
  }

  private async fill(n: number): Promise<void> {
    while (this.length < n && !this.done) {
      const r = await this.iterator.next();
      if (r.done) this.done = true;
      else if (r.value.length) {
        this.chunks.push(r.value);
        this.length += r.value.length;
      }
    }
  }

  /** Exactly n bytes (copied only when they span chunks). */
  async take(n: number): Promise<Buffer> {
    if (n === 0) return EMPTY_BUFFER; // an empty raw block: nothing may be buffered at all
    await this.fill(n);
    if (this.length < n) throw new TarFormatError('the zstd data ends in the middle of a frame (truncated archive)');
    const first = this.chunks[0];
    if (first === undefined)
      throw new TarFormatError('the zstd data ends in the middle of a frame (truncated archive)');
    if (first.length >= n) {
      this.consume(first, n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      if (c === undefined) throw new TarFormatError('the zstd data ends in the middle of a frame (truncated archive)');
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      this.consume(c, k);
      off += k;
    }
    return out;
  }

  /** Up to n bytes (at least one), without copying. */
  async takeSome(n: number): Promise<Buffer> {
    await this.fill(1);
    const first = this.chunks[0];
    if (!first) throw new TarFormatError('the zstd data ends in the middle of a frame (truncated archive)');
    const k = Math.min(first.length, n);
    this.consume(first, k);
    return first.subarray(0, k);
  }

  private consume(first: Buffer, k: number): void {
    this.length -= k;
    if (k === first.length) this.chunks.shift();
    else this.chunks[0] = first.subarray(k);
  }

  async return(): Promise<void> {
    await this.iterator.return?.();
  }
}

interface FrameHeader {
  bytes: Buffer;
  contentSize: number | null;
  checksum: boolean;
}

async function readFrameHeader(q: ByteQueue, magicBytes: Buffer): Promise<FrameHeader> {
  const fhdBytes = await q.take(1);
  const fhd = fhdBytes.readUInt8(0);
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  if ((fhd >> 3) & 1) throw new TarFormatError('a zstd frame header has its reserved bit set (damaged data)');
  const checksum = ((fhd >> 2) & 1) === 1;
  const didFlag = fhd & 3;
  const didBytes = didFlag === 3 ? 4 : didFlag; // 0, 1, 2, 4
  const fcsBytes = fcsFlag === 0 ? single : 1 << fcsFlag; // 2, 4, 8
  const rest = await q.take((single ? 0 : 1) + didBytes + fcsBytes);
  let off = single ? 0 : 1;
  if (didBytes) {
    const did = rest.readUIntLE(off, didBytes);
    if (did !== 0) throw new TarFormatError('a zstd frame needs a dictionary (not a backup Upkeep wrote)');
    off += didBytes;
  }
  let contentSize: number | null = null;
  if (fcsBytes === 1) contentSize = rest.readUInt8(off);
  else if (fcsBytes === 2) contentSize = rest.readUInt16LE(off) + 256;
  else if (fcsBytes === 4) contentSize = rest.readUInt32LE(off);
  else if (fcsBytes === 8) {
    const big = rest.readBigUInt64LE(off);
    contentSize = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
  }
  return { bytes: Buffer.concat([magicBytes, fhdBytes, rest]), contentSize, checksum };
}

/**
 * A frame without a declared size, any block types: walked to its end (what each block can
 * decode to bounds the whole), then decoded in one call.
 */
async function* decodeUnsized(
  q: ByteQueue,
  header: FrameHeader,
  decoder: ZstdDecoder,
  rules: ZstdFrameRules,
): AsyncGenerator<Buffer> {
  const decompressAtMost = decoder.decompressAtMost;
  if (!decompressAtMost) throw new Error('this zstd decoder was made for frames that declare their size');
  const parts: Buffer[] = [header.bytes];
  let frameBytes = header.bytes.length;
  let bound = 0;
  let blocks = 0;
  const maxBlocks = Math.ceil(rules.maxFrameContent / MIN_AVERAGE_BLOCK) + 1;
  for (;;) {
    if (++blocks > maxBlocks) throw frameTooLarge(null, rules);
    const bh = await q.take(3);
    const v = bh.readUIntLE(0, 3);
    const type = (v >> 1) & 3;
    const size = v >>> 3;
    if (type === 3) throw new TarFormatError('a zstd block has the reserved type (damaged data)');
    if (size > MAX_BLOCK) throw new TarFormatError('a zstd block is larger than 128 KiB (damaged data)');
    const body = type === 1 ? 1 : size;
    parts.push(bh, await q.take(body));
    frameBytes += 3 + body;
    bound += type === 2 ? MAX_BLOCK_CONTENT : size;
    if (frameBytes > rules.maxFrameContent + MAX_BLOCK) throw frameTooLarge(null, rules);
    if (v & 1) break;
  }
  if (header.checksum) parts.push(await q.take(4));
  const out = decompressAtMost(Buffer.concat(parts), Math.min(bound, rules.maxFrameContent));
  if (out === null)
    throw bound > rules.maxFrameContent
      ? frameTooLarge(null, rules)
      : new TarFormatError('a zstd frame decodes to more than its blocks allow (damaged data)');
  if (out.length) yield out;
}

/**
 * The decoded bytes of a stream of zstd frames (see the top of this file for what is accepted).
 * Each frame with a declared size is decoded whole by `decoder`, into one buffer this reader
 * reuses: a chunk it yields holds its bytes only until the next is asked for (a consumer that
 * keeps bytes copies them). Raw frames pass straight through.
 * With `threads`, frames with a declared size are decoded on helper threads, a few ahead of the
 * reader, while this thread checks and hashes what came before (the read-back of a pre-update
 * backup: a fifth of its time was decoding); the bytes still come out in order.
 */
export async function* decodeZstd(
  source: AsyncIterable<Buffer>,
  decoder: ZstdDecoder,
  rules: ZstdFrameRules = BACKUP_FRAMES,
  threads = false,
): AsyncGenerator<Buffer> {
  const q = new ByteQueue(source);
  // Started with the first read; until they have loaded (~50 ms or more), and where none start,
  // this thread decodes.
  let helpers: ZstdHelpers | null = null;
  let framesAhead = 0;
  const starting = threads
    ? ZstdHelpers.start(helperCount(), 'decode').then((started) => {
        // An abandoned reader's threads never hold the process open (they are closed below too).
        started?.unref();
        helpers = started;
        framesAhead = (started?.size ?? 0) + 2;
        return started;
      })
    : null;
  // Frames being decoded by the helpers, in order.
  const ahead: Promise<Buffer>[] = [];
  const oldest = (): Promise<Buffer> => ahead.shift() as Promise<Buffer>;
  // Where this thread decodes: one buffer, grown to the largest frame (BLOCK_SIZE for a backup).
  let into: Buffer | null = null;
  try {
    while (await q.more()) {
      const magicBytes = await q.take(4);
      const magic = magicBytes.readUInt32LE(0);
      if (magic >>> 4 === 0x184d2a5) {
        // A skippable frame: its size, then bytes that mean nothing here.
        let skip = (await q.take(4)).readUInt32LE(0);
        while (skip > 0) skip -= (await q.takeSome(skip)).length;
        continue;
      }
      if (magic !== MAGIC)
        throw new TarFormatError('the data is not a zstd frame where one should start (damaged archive)');
      const header = await readFrameHeader(q, magicBytes);
      if (header.contentSize !== null) {
        if (header.contentSize > rules.maxFrameContent) throw frameTooLarge(header.contentSize, rules);
        // The whole frame, then one call to decode it: its blocks are walked only to find its end.
        const parts: Buffer[] = [header.bytes];
        let frameBytes = header.bytes.length;
        // Blocks are counted: a run of empty ones would otherwise cost two Buffer objects per 3
        // bytes read (16 MiB of them: ~750 MB of heap) before the frame's length stops them.
        let blocksLeft = Math.ceil(header.contentSize / MIN_AVERAGE_BLOCK) + 1;
        for (;;) {
          if (blocksLeft-- === 0)
            throw new TarFormatError('a zstd frame has more blocks than its declared content needs (damaged data)');
          const bh = await q.take(3);
          const v = bh.readUIntLE(0, 3);
          const type = (v >> 1) & 3;
          const size = v >>> 3;
          if (type === 3) throw new TarFormatError('a zstd block has the reserved type (damaged data)');
          const body = type === 1 ? 1 : size;
          if (size > MAX_BLOCK && type !== 1)
            throw new TarFormatError('a zstd block is larger than 128 KiB (damaged data)');
          parts.push(bh, await q.take(body));
          frameBytes += 3 + body;
          if (frameBytes > rules.maxFrameContent + MAX_BLOCK)
            throw new TarFormatError('a zstd frame is longer than its declared content allows (damaged data)');
          if (v & 1) break;
        }
        if (header.checksum) {
          parts.push(await q.take(4));
          frameBytes += 4;
        }
        // Decoded even when it declares 0 bytes: a frame must not carry blocks nobody checks.
        if (helpers) {
          ahead.push(decodeOnHelper(helpers, parts, header.contentSize));
          while (ahead.length >= framesAhead) {
            const out = await oldest();
            if (out.length) yield out;
          }
          continue;
        }
        if (!into || into.length < header.contentSize) into = Buffer.allocUnsafeSlow(Math.max(header.contentSize, 1));
        const out = decoder.decodeInto(parts, frameBytes, header.contentSize, into);
        if (out.length) yield out;
        continue;
      }
      // Anything else comes after the frames still being decoded.
      while (ahead.length) {
        const out = await oldest();
        if (out.length) yield out;
      }
      if (rules.unsizedCompressed) {
        yield* decodeUnsized(q, header, decoder, rules);
        continue;
      }
      // No declared size: raw and RLE blocks only, streamed.
      for (;;) {
        const v = (await q.take(3)).readUIntLE(0, 3);
        const type = (v >> 1) & 3;
        const size = v >>> 3;
        if (type === 2 || type === 3)
          throw new TarFormatError(
            'a zstd frame without a declared size holds compressed blocks (not a backup Upkeep wrote, or damaged)',
          );
        if (size > MAX_BLOCK) throw new TarFormatError('a zstd block is larger than 128 KiB (damaged data)');
        if (type === 1) {
          const byte = (await q.take(1)).readUInt8(0);
          if (size) yield Buffer.alloc(size, byte);
        } else {
          let left = size;
          while (left > 0) {
            const piece = await q.takeSome(left);
            left -= piece.length;
            yield piece;
          }
        }
        if (v & 1) break;
      }
      if (header.checksum) await q.take(4); // the archive's sha256 covers these bytes
    }
    while (ahead.length) {
      const out = await oldest();
      if (out.length) yield out;
    }
  } finally {
    // Frames a failure left behind settle unseen; the helper threads end with the reader.
    for (const p of ahead.splice(0)) p.catch(() => undefined);
    await (await starting?.catch(() => null))?.close();
    await q.return();
  }
}

let onHelpers = 0;
/** Frames decoded on helper threads since the process started (tests see the helpers were used). */
export function framesDecodedOnHelpers(): number {
  return onHelpers;
}

/** One frame (its `parts`) decoded on a helper thread, its length checked as the codec checks it. */
function decodeOnHelper(helpers: ZstdHelpers, parts: Buffer[], size: number): Promise<Buffer> {
  let length = 0;
  for (const part of parts) length += part.length;
  const block = new ArrayBuffer(length);
  const view = new Uint8Array(block);
  let off = 0;
  for (const part of parts) {
    view.set(part, off);
    off += part.length;
  }
  const decoded = helpers.decompress(block, length, size).then(
    (out) => {
      checkDecodedSize(out.length, size);
      onHelpers++;
      return out;
    },
    (error: unknown) => {
      onHelpers++;
      throw error instanceof DamagedFrame ? new TarFormatError('a zstd frame does not decode (damaged data)') : error;
    },
  );
  decoded.catch(() => undefined); // awaited in order by the reader
  return decoded;
}
