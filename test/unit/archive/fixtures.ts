import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

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
  if (options.large) file('data/large.bin', Buffer.concat([randomBytes(6 * 1024 * 1024), Buffer.alloc(4 * 1024 * 1024, 7)]));
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

function header(e: { path: string; flag: string; size: number; linkpath?: string; mode?: number; sizeField?: Buffer; badChecksum?: boolean }): Buffer {
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
    parts.push(header({ path: e.path, flag: e.flag ?? '0', size: data.length, ...(e.linkpath ? { linkpath: e.linkpath } : {}), ...(e.mode !== undefined ? { mode: e.mode } : {}), ...(e.sizeField ? { sizeField: e.sizeField } : {}), ...(e.badChecksum ? { badChecksum: true } : {}) }));
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
