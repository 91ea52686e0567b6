import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createTarArchive,
  extractArchive,
  looksCompressible,
  type ArchiveInputEntry,
} from '../../../electron/core/archive';
import { tempDir } from '../../helpers/temp';
import { entriesOf, treeListing, ZSTD_MAGIC } from './fixtures';

/** Source-like text of `size` bytes (compresses ~4x). */
function text(size: number, seed: number): Buffer {
  const words = ['value', 'request', 'return', 'config', 'session', 'handler', 'import', 'payload', 'status', 'result'];
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const line = `    ${words[(i * 7 + seed) % words.length]}_${(i * 31 + seed) % 97} = ${words[(i * 3 + seed) % words.length]}(${i % 13}, "${words[i % words.length]}")\n`;
    lines.push(line);
    n += line.length;
  }
  return Buffer.from(lines.join('').slice(0, size));
}

/** Fixed-size binary records (ids, timestamps, a few small fields): high in zeros, compresses well. */
function records(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let off = 0; off + 32 <= size; off += 32) {
    out.writeUInt32LE(100_000 + off / 32, off);
    out.writeUInt32LE(1_700_000_000 + ((off * 7) % 86_400), off + 4);
    out.writeUInt16LE(off % 16, off + 8);
    out.writeDoubleLE([0.5, 1.25, 2, 100][off % 4] as number, off + 16);
  }
  return out;
}

/** Content bytes carried by frames that declare their size (compressed by Upkeep) and by frames that do not (stored raw). */
function zstdContent(stream: Buffer): { compressed: number; stored: number } {
  let compressed = 0;
  let stored = 0;
  let pos = 0;
  while (pos < stream.length) {
    expect(stream.subarray(pos, pos + 4)).toEqual(ZSTD_MAGIC);
    const fhd = stream[pos + 4] as number;
    const single = (fhd >> 5) & 1;
    const bytes = fhd >> 6 === 0 ? single : ([0, 2, 4, 8][fhd >> 6] as number);
    const at = pos + 5 + (single ? 0 : 1) + ([0, 1, 2, 4][fhd & 3] as number);
    if (bytes) compressed += stream.readUIntLE(at, bytes) + (bytes === 2 ? 256 : 0);
    pos = at + bytes;
    for (;;) {
      const v = stream.readUIntLE(pos, 3);
      const type = (v >> 1) & 3;
      if (!bytes) stored += v >>> 3;
      pos += 3 + (type === 1 ? 1 : v >>> 3);
      if (v & 1) break;
    }
    if (fhd & 4) pos += 4;
  }
  return { compressed, stored };
}

/** Entries with the sizes a backup's scan gives. */
const scanned = (root: string): ArchiveInputEntry[] =>
  entriesOf(root).map((e) => (e.type === 'file' ? { ...e, size: statSync(e.source as string).size } : e));

describe('compressibility by content', () => {
  it('files of unknown type are judged by their bytes at every size, not assumed compressible below 64 KiB', () => {
    for (const size of [5000, 20_000, 60_000, 200_000]) {
      expect(looksCompressible('cache/blob.dat', randomBytes(size)), `random ${size}`).toBe(false);
      expect(looksCompressible('cache/blob', randomBytes(size)), `random ${size}, no extension`).toBe(false);
      expect(looksCompressible('cache/blob.bin', text(size, 1)), `text ${size}`).toBe(true);
      expect(looksCompressible('cache/blob.db', records(size)), `records ${size}`).toBe(true);
    }
    // Bytes that look random one by one but repeat: the fast compressor's probe sees the repeats.
    const block = randomBytes(1500);
    expect(looksCompressible('x.dat', Buffer.concat(Array.from({ length: 40 }, () => block)))).toBe(true);
    // A few bytes ride along with the text around them whatever they are.
    expect(looksCompressible('x.dat', randomBytes(3000))).toBe(true);
    // Where the name says, it decides.
    expect(looksCompressible('x.txt', randomBytes(20_000))).toBe(true);
    expect(looksCompressible('x.png', text(20_000, 2))).toBe(false);
  });

  it('a zstd backup of mid-size files of unknown type stores the random ones and compresses the rest; GNU tar and Upkeep read it back', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'src');
    let randomTotal = 0;
    let compressibleTotal = 0;
    for (let i = 0; i < 120; i++) {
      const sub = path.join(src, `d${i % 6}`);
      mkdirSync(sub, { recursive: true });
      const size = 6000 + ((i * 7919) % 50_000);
      const kind = i % 3;
      const data = kind === 0 ? randomBytes(size) : kind === 1 ? text(size, i) : records(size);
      if (kind === 0) randomTotal += size;
      else compressibleTotal += size;
      writeFileSync(path.join(sub, `f${i}${['.dat', '', '.bin'][i % 3]}`), data);
    }
    const archive = path.join(dir, 'b.tar.zst');
    const created = await createTarArchive({ entries: scanned(src), output: archive, compress: true, format: 'zstd' });
    expect(created.format).toBe('zstd');
    const { compressed, stored } = zstdContent(readFileSync(archive));
    // Every random file's bytes are stored raw (not handed to the compressor); the text and records are compressed.
    expect(stored).toBeGreaterThanOrEqual(randomTotal);
    expect(stored).toBeLessThan(randomTotal + 60 * 1024); // their headers and padding, a few text files at most
    expect(compressed).toBeGreaterThan(compressibleTotal);
    expect(created.archiveBytes).toBeLessThan(randomTotal + compressibleTotal / 2);

    const out = path.join(dir, 'out');
    await extractArchive({ archive, dest: out, expect: { archiveSha256: created.sha256, entries: created.files } });
    expect(treeListing(out)).toEqual(treeListing(src));
    const gnuOut = path.join(dir, 'gnu-out');
    mkdirSync(gnuOut);
    const x = spawnSync('tar', ['--zstd', '-xf', archive, '-C', gnuOut], { encoding: 'utf8' });
    expect(x.status, x.stderr).toBe(0);
    expect(treeListing(gnuOut)).toEqual(treeListing(src));
  });

  it('the same tree as gzip: random files go out as stored blocks, and GNU tar reads it', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'src');
    mkdirSync(src);
    let total = 0;
    for (let i = 0; i < 60; i++) {
      const data = i % 2 ? randomBytes(9000 + i * 300) : text(9000 + i * 300, i);
      total += data.length;
      writeFileSync(path.join(src, `f${i}.dat`), data);
    }
    const archive = path.join(dir, 'b.tar.gz');
    const created = await createTarArchive({ entries: scanned(src), output: archive, compress: true });
    expect(created.archiveBytes).toBeLessThan(total * 0.7);
    const gnuOut = path.join(dir, 'gnu-out');
    mkdirSync(gnuOut);
    const x = spawnSync('tar', ['xzf', archive, '-C', gnuOut], { encoding: 'utf8' });
    expect(x.status, x.stderr).toBe(0);
    expect(treeListing(gnuOut)).toEqual(treeListing(src));
  });

  it('a large file of unknown type is judged chunk by chunk: a random first megabyte does not leave the text after it uncompressed', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'src');
    mkdirSync(src);
    const image = Buffer.concat([randomBytes(1024 * 1024), text(3 * 1024 * 1024, 5)]);
    writeFileSync(path.join(src, 'disk.img'), image);
    const archive = path.join(dir, 'b.tar.zst');
    const created = await createTarArchive({ entries: scanned(src), output: archive, compress: true, format: 'zstd' });
    // Stored whole it would be over 4 MiB; the text compresses several times over.
    expect(created.archiveBytes).toBeLessThan(1024 * 1024 + 1024 * 1024);
    const out = path.join(dir, 'out');
    await extractArchive({ archive, dest: out, expect: { archiveSha256: created.sha256, entries: created.files } });
    expect(readFileSync(path.join(out, 'disk.img')).equals(image)).toBe(true);
  });
});
