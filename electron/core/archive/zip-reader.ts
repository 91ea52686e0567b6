import { createReadStream, promises as fs } from 'node:fs';
import zlib from 'node:zlib';
import { Refusal } from './refusal';
import { TarFormatError } from './tar-format';
import type { TarEntryHeader, TarEvent } from './tar-reader';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const ZIP64_LOCATOR = 0x07064b50;

interface CentralEntry {
  name: string;
  rawName: Buffer;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  mode: number | null;
  mtime: number;
}

/** The limits the reader applies before inflating anything. */
export interface ZipLimits {
  maxEntries: number;
  maxTotalBytes: number;
  maxRatio: number;
  ratioGraceBytes: number;
}

function dosTime(date: number, time: number): number {
  const d = new Date(
    Date.UTC(
      1980 + (date >> 9),
      ((date >> 5) & 0xf) - 1,
      date & 0x1f,
      time >> 11,
      (time >> 5) & 0x3f,
      (time & 0x1f) * 2,
    ),
  );
  const t = d.getTime() / 1000;
  return Number.isFinite(t) ? Math.floor(t) : 0;
}

function decodeName(raw: Buffer, utf8: boolean): string {
  // Names without the UTF-8 flag are CP437; Latin-1 keeps every byte distinct, which is what matters here.
  return raw.toString(utf8 ? 'utf8' : 'latin1');
}

async function readAt(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, position);
  if (bytesRead !== length) throw new TarFormatError('zip archive is truncated');
  return buf;
}

/** The central directory: every entry, checked, and the declared sizes against the limits. */
async function readCentralDirectory(
  handle: fs.FileHandle,
  limits: ZipLimits,
): Promise<{ entries: CentralEntry[]; fileSize: number }> {
  const fileSize = (await handle.stat()).size;
  if (fileSize < 22) throw new TarFormatError('zip archive is truncated');
  const tailLength = Math.min(fileSize, 22 + 65535);
  const tail = await readAt(handle, fileSize - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD && i + 22 + tail.readUInt16LE(i + 20) === tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd === -1) throw new TarFormatError('no zip end-of-central-directory record (not a zip archive, or truncated)');
  if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === ZIP64_LOCATOR)
    throw new TarFormatError('Zip64 archives are not supported; use a .tar.gz asset');
  const disk = tail.readUInt16LE(eocd + 4);
  const cdDisk = tail.readUInt16LE(eocd + 6);
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (disk !== 0 || cdDisk !== 0) throw new TarFormatError('multi-part zip archives are not supported');
  if (count > limits.maxEntries)
    throw new Refusal('ARCHIVE_TOO_LARGE', null, `it has more than ${limits.maxEntries} entries`);
  if (cdOffset + cdSize > fileSize - tailLength + eocd)
    throw new TarFormatError('zip central directory lies outside the archive');
  const cd = await readAt(handle, cdOffset, cdSize);
  const entries: CentralEntry[] = [];
  let pos = 0;
  for (let i = 0; i < count; i++) {
    if (pos + 46 > cd.length || cd.readUInt32LE(pos) !== CENTRAL)
      throw new TarFormatError('zip central directory is damaged');
    const madeBy = cd.readUInt16LE(pos + 4) >> 8;
    const flags = cd.readUInt16LE(pos + 8);
    const nameLen = cd.readUInt16LE(pos + 28);
    const extraLen = cd.readUInt16LE(pos + 30);
    const commentLen = cd.readUInt16LE(pos + 32);
    const rawName = cd.subarray(pos + 46, pos + 46 + nameLen);
    if (pos + 46 + nameLen + extraLen + commentLen > cd.length)
      throw new TarFormatError('zip central directory is damaged');
    const external = cd.readUInt32LE(pos + 38);
    const entry: CentralEntry = {
      name: decodeName(rawName, (flags & 0x800) !== 0),
      rawName: Buffer.from(rawName),
      flags,
      method: cd.readUInt16LE(pos + 10),
      crc: cd.readUInt32LE(pos + 16),
      compressedSize: cd.readUInt32LE(pos + 20),
      size: cd.readUInt32LE(pos + 24),
      localOffset: cd.readUInt32LE(pos + 42),
      mode: madeBy === 3 ? external >>> 16 : null,
      mtime: dosTime(cd.readUInt16LE(pos + 14), cd.readUInt16LE(pos + 12)),
    };
    if (entry.compressedSize === 0xffffffff || entry.size === 0xffffffff || entry.localOffset === 0xffffffff) {
      throw new TarFormatError('Zip64 entries are not supported; use a .tar.gz asset');
    }
    entries.push(entry);
    pos += 46 + nameLen + extraLen + commentLen;
  }
  // Declared sizes bound the expansion before anything is inflated.
  let declared = 0;
  for (const e of entries) declared += e.size;
  if (declared > limits.maxTotalBytes)
    throw new Refusal('ARCHIVE_TOO_LARGE', null, `it expands to ${declared} bytes, more than ${limits.maxTotalBytes}`);
  // Sizes are known up front here, so the ratio needs no grace beyond a small floor.
  if (declared > Math.min(limits.ratioGraceBytes, 1024 * 1024) && declared / Math.max(1, fileSize) > limits.maxRatio) {
    throw new Refusal('ARCHIVE_TOO_LARGE', null, `it expands more than ${limits.maxRatio} times (a compression bomb)`);
  }
  return { entries, fileSize };
}

/**
 * Every local header, in archive order, checked against the directory before anything is inflated
 * (names, methods, encryption, overlaps); where each entry's data starts.
 */
async function checkLocalHeaders(
  handle: fs.FileHandle,
  ordered: CentralEntry[],
  fileSize: number,
): Promise<Map<CentralEntry, number>> {
  const starts = new Map<CentralEntry, number>();
  let lastEnd = 0;
  for (const e of ordered) {
    const local = await readAt(handle, e.localOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL)
      throw new TarFormatError(`zip entry "${e.name}" has no local header where the directory says`);
    const nameLen = local.readUInt16LE(26);
    const extraLen = local.readUInt16LE(28);
    const localName = await readAt(handle, e.localOffset + 30, nameLen);
    if (!localName.equals(e.rawName)) {
      throw new Refusal(
        'UNSAFE_ARCHIVE',
        e.name,
        `zip entry ${JSON.stringify(e.name)} is named ${JSON.stringify(localName.toString('latin1'))} in its local header`,
      );
    }
    if (local.readUInt16LE(8) !== e.method)
      throw new Refusal(
        'UNSAFE_ARCHIVE',
        e.name,
        `zip entry ${JSON.stringify(e.name)} has a different method in its local header`,
      );
    if (e.flags & 0x1) throw new Refusal('UNSAFE_ARCHIVE', e.name, `zip entry ${JSON.stringify(e.name)} is encrypted`);
    if (e.method !== 0 && e.method !== 8)
      throw new Refusal(
        'UNSAFE_ARCHIVE',
        e.name,
        `zip entry ${JSON.stringify(e.name)} uses compression method ${e.method} (only stored and deflate are read)`,
      );
    if (e.localOffset < lastEnd)
      throw new Refusal(
        'UNSAFE_ARCHIVE',
        e.name,
        `zip entry ${JSON.stringify(e.name)} overlaps another entry (an overlapping-entries bomb)`,
      );
    const dataStart = e.localOffset + 30 + nameLen + extraLen;
    lastEnd = dataStart + e.compressedSize;
    if (lastEnd > fileSize) throw new TarFormatError(`zip entry "${e.name}" runs past the end of the archive`);
    if (e.method === 0 && e.compressedSize !== e.size)
      throw new TarFormatError(`zip entry "${e.name}" is stored with two different sizes`);
    starts.set(e, dataStart);
  }
  return starts;
}

/** An entry's type and permission bits, from its Unix mode when the zip was made on Unix. */
function entryKind(e: CentralEntry): { type: TarEntryHeader['type']; mode: number } {
  const fileType = e.mode !== null ? e.mode & 0o170000 : 0;
  const isDir = e.name.endsWith('/') || fileType === 0o040000;
  let type: TarEntryHeader['type'] = isDir ? 'directory' : 'file';
  if (fileType === 0o120000) type = 'symlink';
  else if (fileType === 0o020000) type = 'char-device';
  else if (fileType === 0o060000) type = 'block-device';
  else if (fileType === 0o010000) type = 'fifo';
  else if (fileType === 0o140000) type = 'unsupported';
  const mode = e.mode !== null && (e.mode & 0o7777) !== 0 ? e.mode & 0o7777 : isDir ? 0o755 : 0o644;
  return { type, mode };
}

/** An entry's data, inflated, checked against its declared size and CRC-32 as it is read. */
function entryChunks(file: string, e: CentralEntry, dataStart: number): () => AsyncGenerator<Buffer> {
  const range =
    e.compressedSize > 0
      ? createReadStream(file, { start: dataStart, end: dataStart + e.compressedSize - 1, highWaterMark: 256 * 1024 })
      : null;
  const source: AsyncIterable<Buffer> | null = range
    ? ((e.method === 8 ? range.pipe(zlib.createInflateRaw({ chunkSize: 256 * 1024 })) : range) as AsyncIterable<Buffer>)
    : null;
  return async function* (): AsyncGenerator<Buffer> {
    if (!source) return;
    let got = 0;
    let crc = 0;
    try {
      for await (const chunk of source) {
        got += chunk.length;
        if (got > e.size)
          throw new Refusal(
            'UNSAFE_ARCHIVE',
            e.name,
            `zip entry ${JSON.stringify(e.name)} inflates to more than its declared ${e.size} bytes`,
          );
        crc = zlib.crc32(chunk, crc);
        yield chunk;
      }
    } finally {
      range?.destroy();
    }
    if (got !== e.size)
      throw new TarFormatError(`zip entry "${e.name}" is ${got} bytes, not the ${e.size} its directory declares`);
    if (crc >>> 0 !== e.crc) throw new TarFormatError(`zip entry "${e.name}" fails its CRC-32 check`);
  };
}

/**
 * A strict zip reader with the tar reader's event shape, so the extractor applies the same
 * checks to both. The central directory is the index; every local header must agree with it
 * (a different name there is how a zip shows one file to a checker and writes another), entries
 * may not overlap (overlapping entries are how small zips expand to terabytes), encrypted
 * entries and methods other than stored/deflate are refused, and every entry's size and CRC-32
 * are checked as it is inflated.
 */
export async function* readZip(file: string, limits: ZipLimits): AsyncGenerator<TarEvent> {
  const handle = await fs.open(file, 'r');
  let entries: CentralEntry[];
  let fileSize: number;
  try {
    ({ entries, fileSize } = await readCentralDirectory(handle, limits));
  } catch (error) {
    await handle.close();
    throw error;
  }

  try {
    const ordered = [...entries].sort((a, b) => a.localOffset - b.localOffset);
    // First every local header, so names, methods and overlaps are checked before anything is inflated.
    const starts = await checkLocalHeaders(handle, ordered, fileSize);
    for (const e of ordered) {
      const dataStart = starts.get(e) as number;
      const { type, mode } = entryKind(e);
      const chunks = entryChunks(file, e, dataStart);
      if (type === 'symlink') {
        if (e.size > 4096)
          throw new Refusal(
            'UNSAFE_ARCHIVE',
            e.name,
            `zip symlink ${JSON.stringify(e.name)} has a ${e.size}-byte target`,
          );
        const parts: Buffer[] = [];
        for await (const c of chunks()) parts.push(c);
        const linkpath = Buffer.concat(parts).toString('utf8');
        yield { kind: 'entry', header: { type, typeflag: '2', path: e.name, linkpath, mode, size: 0, mtime: e.mtime } };
        yield { kind: 'entry-end' };
        continue;
      }
      if (type !== 'file') {
        if (e.size !== 0 && type === 'directory') throw new TarFormatError(`zip folder entry "${e.name}" has data`);
        yield {
          kind: 'entry',
          header: {
            type,
            typeflag: type === 'directory' ? '5' : '?',
            path: e.name,
            linkpath: '',
            mode,
            size: 0,
            mtime: e.mtime,
          },
        };
        yield { kind: 'entry-end' };
        continue;
      }
      yield {
        kind: 'entry',
        header: { type, typeflag: '0', path: e.name, linkpath: '', mode, size: e.size, mtime: e.mtime },
      };
      for await (const c of chunks()) yield { kind: 'data', chunk: c };
      yield { kind: 'entry-end' };
    }
  } finally {
    await handle.close();
  }
}
