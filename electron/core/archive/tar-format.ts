/**
 * The tar (POSIX ustar + pax) format, written and read by Upkeep itself: a strict reader is what
 * lets the extractor refuse what other tools silently "fix" (NUL inside pax paths, negative
 * base-256 sizes, bad checksums), and a small writer is what lets backups stream with per-file
 * hashes and per-region compression levels.
 */

export const BLOCK = 512;

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo';

/** One header as written: paths are archive paths with `/` separators, no leading `./`. */
export interface TarHeaderInput {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink';
  mode: number;
  size: number;
  mtime: number;
  linkpath?: string;
}

const TYPE_FLAG: Record<TarHeaderInput['type'], string> = { file: '0', directory: '5', symlink: '2', hardlink: '1' };

function writeString(buf: Buffer, offset: number, length: number, value: string): boolean {
  if (Buffer.byteLength(value, 'utf8') > length) return false;
  buf.write(value, offset, length, 'utf8');
  return true;
}

/** Octal with a NUL terminator; false when it does not fit (then pax carries it). Digits are written right to left. */
function writeOctal(buf: Buffer, offset: number, length: number, value: number): boolean {
  let v = Math.floor(value);
  if (v >= 8 ** (length - 1)) return false;
  buf[offset + length - 1] = 0;
  for (let i = offset + length - 2; i >= offset; i--) {
    buf[i] = 0x30 + (v % 8);
    v = Math.floor(v / 8);
  }
  return true;
}

/** The header's checksum: the sum of its bytes, the checksum field counted as eight spaces. */
function checksumOf(block: Buffer): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i] as number;
  for (let i = 156; i < BLOCK; i++) sum += block[i] as number;
  return sum;
}

function sealChecksum(block: Buffer): void {
  writeOctal(block, 148, 7, checksumOf(block));
  block[155] = 0x20;
}

/**
 * Header blocks are cut from zeroed slabs: a 512-byte Buffer.alloc each is an ArrayBuffer of its
 * own, and 30,000 of them per backup were a good part of the backup thread's garbage collection.
 * A block held keeps its slab (64 KiB) alive, no more.
 */
const SLAB = 64 * 1024;
let slab = Buffer.alloc(0);
let slabUsed = 0;
function zeroBlock(): Buffer {
  if (slabUsed + BLOCK > slab.length) {
    slab = Buffer.alloc(SLAB);
    slabUsed = 0;
  }
  const block = slab.subarray(slabUsed, slabUsed + BLOCK);
  slabUsed += BLOCK;
  return block;
}

function splitUstarPath(p: string): { name: string; prefix: string } | null {
  if (Buffer.byteLength(p) <= 100) return { name: p, prefix: '' };
  // ustar can split at a slash: prefix (≤155 bytes) + '/' + name (≤100 bytes).
  for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) {
    const prefix = p.slice(0, i);
    const name = p.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { name, prefix };
  }
  return null;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  // The length counts its own digits: iterate to the fixed point.
  let len = bodyLen + String(bodyLen).length;
  while (bodyLen + String(len).length !== len) len = bodyLen + String(len).length;
  return Buffer.from(`${len}${body}`, 'utf8');
}

function rawHeader(fields: {
  name: string;
  prefix: string;
  type: string;
  mode: number;
  size: number;
  mtime: number;
  linkname: string;
}): Buffer {
  const block = zeroBlock();
  writeString(block, 0, 100, fields.name);
  writeOctal(block, 100, 8, fields.mode & 0o7777);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, Math.max(0, fields.mtime));
  block.write(fields.type, 156, 'ascii');
  writeString(block, 157, 100, fields.linkname);
  block.write('ustar\u000000', 257, 'binary');
  writeString(block, 345, 155, fields.prefix);
  sealChecksum(block);
  return block;
}

const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;
export const paddingFor = padding;

/** What an entry of `size` bytes adds to a tar stream: its header and its bytes padded to 512. */
export function tarBytesOf(size: number): number {
  return 512 + size + padding(size);
}

/**
 * The header block(s) for one entry: a pax extended header first when the path or link does not
 * fit ustar, or the size needs more than 11 octal digits.
 */
export function encodeHeader(input: TarHeaderInput): Buffer {
  const records: Buffer[] = [];
  const split = splitUstarPath(input.type === 'directory' && !input.path.endsWith('/') ? `${input.path}/` : input.path);
  const linkpath = input.linkpath ?? '';
  if (!split) records.push(paxRecord('path', input.path));
  if (Buffer.byteLength(linkpath) > 100) records.push(paxRecord('linkpath', linkpath));
  const size = input.type === 'file' ? input.size : 0;
  if (size > 0o77777777777) records.push(paxRecord('size', String(size)));
  const mtime = Math.floor(input.mtime);
  const header = rawHeader({
    name: split ? split.name : 'PaxPathTooLong',
    prefix: split ? split.prefix : '',
    type: TYPE_FLAG[input.type],
    mode: input.mode,
    size: size > 0o77777777777 ? 0 : size,
    mtime,
    linkname: Buffer.byteLength(linkpath) > 100 ? '' : linkpath,
  });
  if (records.length === 0) return header;
  const body = Buffer.concat(records);
  const pax = rawHeader({
    name: 'PaxHeader',
    prefix: '',
    type: 'x',
    mode: 0o644,
    size: body.length,
    mtime,
    linkname: '',
  });
  return Buffer.concat([pax, body, Buffer.alloc(padding(body.length)), header]);
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);

// ---------------------------------------------------------------------------------------------
// Reading

export class TarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarFormatError';
  }
}

/** A numeric field: octal (NUL/space terminated) or base-256 (GNU); negative values refused. */
export function parseNumber(buf: Buffer, offset: number, length: number, field: string): number {
  // The usual field: octal digits, then NULs or spaces to its end (read without a string).
  const stop = offset + length;
  let at = offset;
  let digits = 0;
  for (; at < stop; at++) {
    const c = buf[at] as number;
    if (c < 0x30 || c > 0x37) break;
    digits = digits * 8 + (c - 0x30);
  }
  let padded = true;
  for (let i = at; i < stop && padded; i++) padded = buf[i] === 0 || buf[i] === 0x20;
  if (padded && Number.isSafeInteger(digits)) return digits;
  // Anything else as the format allows it (base-256, leading whitespace) or refused.
  const first = buf.readUInt8(offset);
  if (first & 0x80) {
    if (first === 0xff) throw new TarFormatError(`negative base-256 ${field}`);
    let value = first & 0x7f;
    for (let i = 1; i < length; i++) {
      value = value * 256 + buf.readUInt8(offset + i);
      if (!Number.isSafeInteger(value)) throw new TarFormatError(`${field} too large`);
    }
    return value;
  }
  let text = buf.toString('latin1', offset, offset + length);
  const end = text.search(/[\0 ]/);
  if (end !== -1) {
    const rest = text.slice(end);
    if (!/^[\0 ]*$/.test(rest)) throw new TarFormatError(`malformed ${field}`);
    text = text.slice(0, end);
  }
  text = text.trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`malformed ${field}`);
  const value = parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw new TarFormatError(`${field} too large`);
  return value;
}

function readString(buf: Buffer, offset: number, length: number): string {
  const slice = buf.subarray(offset, offset + length);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul === -1 ? length : nul).toString('utf8');
}

export interface RawHeader {
  typeflag: string;
  path: string;
  linkpath: string;
  mode: number;
  size: number;
  mtime: number;
  ustar: boolean;
}

export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

export function decodeHeader(block: Buffer): RawHeader {
  const stored = parseNumber(block, 148, 8, 'checksum');
  const unsigned = checksumOf(block);
  if (stored !== unsigned) {
    // Some old writers summed signed bytes.
    let signed = 0;
    for (let i = 0; i < BLOCK; i++) signed += i >= 148 && i < 156 ? 32 : block.readInt8(i);
    if (stored !== signed) throw new TarFormatError('header checksum mismatch (not a tar archive, or damaged)');
  }
  // 'ustar\0' (POSIX) or 'ustar ' (GNU), compared byte by byte.
  const ustar =
    block[257] === 0x75 &&
    block[258] === 0x73 &&
    block[259] === 0x74 &&
    block[260] === 0x61 &&
    block[261] === 0x72 &&
    (block[262] === 0 || block[262] === 0x20);
  const name = readString(block, 0, 100);
  const prefix = ustar && block[262] === 0 ? readString(block, 345, 155) : '';
  const typeflag = block[156] === 0 ? '0' : String.fromCharCode(block.readUInt8(156));
  return {
    typeflag,
    path: prefix ? `${prefix}/${name}` : name,
    linkpath: readString(block, 157, 100),
    mode: parseNumber(block, 100, 8, 'mode'),
    size: parseNumber(block, 124, 12, 'size'),
    mtime: parseNumber(block, 136, 12, 'mtime'),
    ustar,
  };
}

/**
 * Pax records `"<len> <key>=<value>\n"`. Strict: lengths must add up, and a NUL anywhere in a
 * value is refused (other readers truncate at it, which is how a path smuggles a different name).
 */
export function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) {
      if (body.subarray(pos).every((b) => b === 0)) break;
      throw new TarFormatError('NUL byte inside pax extended header');
    }
    const space = body.indexOf(0x20, pos);
    if (space === -1 || space - pos > 20) throw new TarFormatError('malformed pax record');
    const lenText = body.toString('latin1', pos, space);
    if (!/^[0-9]+$/.test(lenText)) throw new TarFormatError('malformed pax record length');
    const len = Number(lenText);
    if (len < space - pos + 3 || pos + len > body.length || body[pos + len - 1] !== 0x0a)
      throw new TarFormatError('malformed pax record length');
    const record = body.subarray(space + 1, pos + len - 1);
    if (record.includes(0)) throw new TarFormatError('NUL byte in a pax value (a path with a hidden second name)');
    const text = record.toString('utf8');
    const eq = text.indexOf('=');
    if (eq <= 0) throw new TarFormatError('malformed pax record');
    out[text.slice(0, eq)] = text.slice(eq + 1);
    pos += len;
  }
  return out;
}
