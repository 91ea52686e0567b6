import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { ArchiveInputEntry } from '../../../electron/core/archive';
import { ZstdEncoder } from '../../../electron/core/archive/zstd';

/**
 * A real tree like an app folder: text and binary files, an empty folder, unicode names, links
 * inside the tree, a long path (pax), an executable, a read-only file and one file large enough
 * to take the streaming paths (> 8 MiB).
 */
export function makeTree(root: string, options: { large?: boolean } = {}): void {
  const file = (rel: string, data: string | Buffer, mode?: number) => {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, data);
    if (mode !== undefined) chmodSync(p, mode);
  };
  file('README.md', '# demo\n');
  file('app/main.py', 'print("hello")\n'.repeat(500));
  file('app/static/logo.png', randomBytes(70_000));
  file('app/static/blob.bin', randomBytes(300_000));
  file('bin/run.sh', '#!/bin/sh\necho run\n', 0o755);
  file('config/readonly.cfg', 'locked = true\n', 0o444);
  file('données/café-naïve-文件.txt', 'unicode ✓\n');
  file('emoji-😀.txt', 'smile\n');
  file(`${'deep/'.repeat(30)}long-name-${'x'.repeat(120)}.txt`, 'long path\n');
  file('zero.bin', Buffer.alloc(0));
  mkdirSync(path.join(root, 'empty/nested-empty'), { recursive: true });
  mkdirSync(path.join(root, 'releases/v1'), { recursive: true });
  file('releases/v1/app.txt', 'v1\n');
  symlinkSync('releases/v1', path.join(root, 'current'));
  symlinkSync('../README.md', path.join(root, 'app/readme-link'));
  symlinkSync('missing-target', path.join(root, 'dangling'));
  if (options.large)
    file('data/large.bin', Buffer.concat([randomBytes(6 * 1024 * 1024), Buffer.alloc(4 * 1024 * 1024, 7)]));
}

/** What a backup would archive: every entry of the tree, folders first. */
export function entriesOf(root: string): ArchiveInputEntry[] {
  const out: ArchiveInputEntry[] = [];
  const visit = (rel: string) => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const childRel = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, childRel);
      const st = lstatSync(abs);
      const base = { path: childRel, mode: st.mode & 0o777, mtime: Math.floor(st.mtimeMs / 1000) };
      if (st.isSymbolicLink()) out.push({ ...base, type: 'symlink', linkpath: readlinkSync(abs) });
      else if (st.isDirectory()) {
        out.push({ ...base, type: 'directory' });
        visit(childRel);
      } else out.push({ ...base, type: 'file', source: abs });
    }
  };
  visit('');
  return out;
}

/** Every entry of a tree as `type path mode size sha256|target`, sorted: equal lists mean identical trees. */
export function treeListing(root: string, options: { skip?: (rel: string) => boolean } = {}): string[] {
  const out: string[] = [];
  const visit = (rel: string) => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (options.skip?.(childRel)) continue;
      const p = path.join(root, childRel);
      const st = lstatSync(p);
      const mode = (st.mode & 0o777).toString(8);
      if (st.isSymbolicLink()) out.push(`link ${childRel} -> ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.push(`dir ${childRel} ${mode}`);
        visit(childRel);
      } else if (st.isFile()) {
        out.push(`file ${childRel} ${mode} ${st.size} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
      } else out.push(`other ${childRel}`);
    }
  };
  visit('');
  return out;
}

/** Every path under `dir` (for "nothing was written outside staging"). */
export function allPaths(dir: string, skip: (abs: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (skip(p)) continue;
      out.push(p);
      const st = lstatSync(p);
      if (st.isDirectory()) visit(p);
    }
  };
  visit(dir);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Hand-made tar archives (written independently of Upkeep's own writer, so hostile ones can
// break every rule).

export interface RawEntry {
  path: string;
  /** Tar type flag: '0' file, '1' hardlink, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo, 'x' pax. */
  flag?: string;
  data?: Buffer | string;
  linkpath?: string;
  mode?: number;
  /** Override the size field (octal), or give raw bytes for it. */
  sizeField?: Buffer;
  /** Pax records to put in an 'x' header before this entry. */
  pax?: Record<string, string>;
  /** Corrupt the checksum. */
  badChecksum?: boolean;
}

function octal(value: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  b.write(value.toString(8).padStart(length - 1, '0'), 0, 'ascii');
  return b;
}

function header(e: {
  path: string;
  flag: string;
  size: number;
  linkpath?: string;
  mode?: number;
  sizeField?: Buffer;
  badChecksum?: boolean;
}): Buffer {
  const block = Buffer.alloc(512);
  Buffer.from(e.path, 'utf8').copy(block, 0, 0, 100);
  octal(e.mode ?? 0o644, 8).copy(block, 100);
  octal(0, 8).copy(block, 108);
  octal(0, 8).copy(block, 116);
  (e.sizeField ?? octal(e.size, 12)).copy(block, 124);
  octal(1_700_000_000, 12).copy(block, 136);
  block.write(e.flag, 156, 'latin1');
  if (e.linkpath) Buffer.from(e.linkpath, 'utf8').copy(block, 157, 0, 100);
  block.write('ustar\u000000', 257, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  if (e.badChecksum) sum += 1;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

function paxBody(records: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(records)) {
    const body = Buffer.from(` ${k}=${v}\n`, 'utf8');
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    parts.push(Buffer.concat([Buffer.from(String(len)), body]));
  }
  return Buffer.concat(parts);
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

export function rawTar(entries: RawEntry[], options: { eof?: boolean; trailing?: Buffer } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.pax) {
      const body = paxBody(e.pax);
      parts.push(header({ path: 'PaxHeader', flag: 'x', size: body.length }), body, pad(body.length));
    }
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    parts.push(
      header({
        path: e.path,
        flag: e.flag ?? '0',
        size: data.length,
        ...(e.linkpath ? { linkpath: e.linkpath } : {}),
        ...(e.mode !== undefined ? { mode: e.mode } : {}),
        ...(e.sizeField ? { sizeField: e.sizeField } : {}),
        ...(e.badChecksum ? { badChecksum: true } : {}),
      }),
    );
    if (data.length) parts.push(data, pad(data.length));
  }
  if (options.eof ?? true) parts.push(Buffer.alloc(1024));
  if (options.trailing) parts.push(options.trailing);
  return Buffer.concat(parts);
}

export const gzip = (buf: Buffer) => zlib.gzipSync(buf);

/** A gzip bomb: one entry of `size` zero bytes, deflated in slices into one gzip stream (bounded memory). */
export function gzipBomb(size: number): Buffer {
  return syncBomb(size);
}

function syncBomb(size: number): Buffer {
  // Deflate the zeros in slices with the sync API into ONE gzip stream (bounded memory).
  const head = header({ path: 'zeros.bin', flag: '0', size });
  const deflated: Buffer[] = [];
  const zeros = Buffer.alloc(16 * 1024 * 1024);
  let crc = zlib.crc32(head);
  const d = zlib.deflateRawSync(head, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  deflated.push(d);
  let left = size;
  while (left > 0) {
    const n = Math.min(left, zeros.length);
    const slice = zeros.subarray(0, n);
    crc = zlib.crc32(slice, crc);
    deflated.push(zlib.deflateRawSync(slice, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH }));
    left -= n;
  }
  const tail = Buffer.concat([pad(size), Buffer.alloc(1024)]);
  crc = zlib.crc32(tail, crc);
  deflated.push(zlib.deflateRawSync(tail, { level: 9 }));
  const total = head.length + size + tail.length;
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(total % 2 ** 32, 4);
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), ...deflated, trailer]);
}

// ---------------------------------------------------------------------------------------------
// zstd frames for hostile .tar.zst: written by hand (independently of zstd.ts, so they can break
// its rules), and the real encoder's output for a hostile tar.

export const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
export const ZSTD_MAX_BLOCK = 128 * 1024;

/** One block: header (last flag, type 0 raw / 1 RLE / 2 compressed / 3 reserved, size) and body. */
export function zstdBlock(type: 0 | 1 | 2 | 3, size: number, body: Buffer, last = true): Buffer {
  const v = (last ? 1 : 0) | (type << 1) | (size << 3);
  return Buffer.concat([Buffer.from([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff]), body]);
}

export const rawBlock = (data: Buffer | string, last = true) =>
  zstdBlock(0, Buffer.byteLength(data), Buffer.from(data), last);
export const rleBlock = (byte: number, size: number, last = true) => zstdBlock(1, size, Buffer.from([byte]), last);

export interface ZstdFrameSpec {
  /** Declared content size; none (the default) writes a window descriptor instead. */
  contentSize?: number | bigint;
  /** Bytes of the declared size field (1 needs a size < 256; 2 stores size - 256). */
  sizeBytes?: 1 | 2 | 4 | 8;
  dictionaryId?: number;
  reservedBit?: boolean;
  checksum?: Buffer;
  blocks: Buffer[];
}

/** A zstd frame header and its blocks, as the format spells them. */
export function zstdFrame(spec: ZstdFrameSpec): Buffer {
  const sized = spec.contentSize !== undefined;
  const sizeBytes = sized ? (spec.sizeBytes ?? 8) : 0;
  const fcsFlag = sizeBytes === 8 ? 3 : sizeBytes === 4 ? 2 : sizeBytes === 2 ? 1 : 0;
  const didBytes = spec.dictionaryId === undefined ? 0 : 4;
  const fhd =
    (fcsFlag << 6) |
    ((sized ? 1 : 0) << 5) |
    ((spec.reservedBit ? 1 : 0) << 3) |
    ((spec.checksum ? 1 : 0) << 2) |
    (didBytes ? 3 : 0);
  const parts = [ZSTD_MAGIC, Buffer.from([fhd])];
  if (!sized) parts.push(Buffer.from([0x38])); // a 128 KiB window
  if (didBytes) {
    const did = Buffer.alloc(4);
    did.writeUInt32LE(spec.dictionaryId as number);
    parts.push(did);
  }
  if (sized) {
    const fcs = Buffer.alloc(sizeBytes);
    const size = BigInt(spec.contentSize as number | bigint) - (sizeBytes === 2 ? 256n : 0n);
    for (let i = 0; i < sizeBytes; i++) fcs[i] = Number((size >> BigInt(8 * i)) & 0xffn);
    parts.push(fcs);
  }
  return Buffer.concat([...parts, ...spec.blocks, ...(spec.checksum ? [spec.checksum] : [])]);
}

/** `size` zero bytes as size-less frames of 64 RLE blocks (4 bytes of archive per 128 KiB). */
export function zstdZeros(size: number): Buffer {
  const frames: Buffer[] = [];
  for (let left = size; left > 0;) {
    const blocks: Buffer[] = [];
    for (let i = 0; i < 64 && left > 0; i++) {
      const n = Math.min(ZSTD_MAX_BLOCK, left);
      left -= n;
      blocks.push(rleBlock(0, n, i === 63 || left === 0));
    }
    frames.push(zstdFrame({ blocks }));
  }
  return Buffer.concat(frames);
}

/** A tar size field: octal, or GNU base-256 past 11 octal digits. */
function sizeField(size: number): Buffer {
  if (size <= 0o77777777777) return octal(size, 12);
  const b = Buffer.alloc(12);
  b.writeUIntBE(size, 6, 6);
  b[0] = 0x80;
  return b;
}

/**
 * A zstd bomb: a tar header claiming `claimed` bytes for `zeros.bin`, in a frame of raw blocks,
 * then `supplied` zero bytes of it as RLE blocks (and the tar's end when that is all of it).
 */
export function zstdRleBomb(claimed: number, supplied = claimed): Buffer {
  const head = rawTar([{ path: 'zeros.bin', sizeField: sizeField(claimed) }], { eof: false });
  const tail = supplied === claimed ? pad(claimed).length + 1024 : 0;
  return Buffer.concat([zstdFrame({ blocks: [rawBlock(head)] }), zstdZeros(supplied + tail)]);
}

/** A tar as Upkeep's own encoder writes it (ZstdEncoder, no helper threads). */
export async function ourZstd(tar: Buffer, options: { compressible?: boolean } = {}): Promise<Buffer> {
  const out: Buffer[] = [];
  const encoder = new ZstdEncoder({
    write: async (data) => void out.push(...(Array.isArray(data) ? data : [data]).map((b) => Buffer.from(b))),
  });
  await encoder.push(tar, options.compressible ?? true);
  await encoder.finish();
  return Buffer.concat(out);
}
