import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTarArchive, extractArchive, type ArchiveInputEntry } from '../../../electron/core/archive';
import { tempDir } from '../../helpers/temp';
import { extractByFeed } from './feed-extract';
import { entriesOf, makeTree, treeListing } from './fixtures';

describe('archive round trip', () => {
  for (const compress of [true, false]) {
    it(`creates and extracts a real tree byte for byte (${compress ? 'gzip' : 'plain tar'})`, async () => {
      const dir = tempDir();
      const src = path.join(dir, 'src');
      makeTree(src, { large: true });
      const archive = path.join(dir, compress ? 'a.tar.gz' : 'a.tar');
      const created = await createTarArchive({ entries: entriesOf(src), output: archive, compress });
      expect(created.fileCount).toBeGreaterThan(10);
      expect(created.archiveBytes).toBe(lstatSync(archive).size);
      const out = path.join(dir, 'out');
      const extracted = await extractArchive({
        archive,
        dest: out,
        expect: { archiveSha256: created.sha256, entries: created.files },
      });
      expect(extracted.archiveSha256).toBe(created.sha256);
      expect(extracted.files).toBe(created.fileCount);
      expect(treeListing(out)).toEqual(treeListing(src));
      // Modification times come back too.
      expect(Math.floor(lstatSync(path.join(out, 'README.md')).mtimeMs / 1000)).toBe(
        Math.floor(lstatSync(path.join(src, 'README.md')).mtimeMs / 1000),
      );
    });
  }

  it('many files of mixed kinds and sizes (buffers reused across files) come back byte for byte', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'src');
    mkdirSync(path.join(src, 'a'), { recursive: true });
    mkdirSync(path.join(src, 'b'), { recursive: true });
    for (let i = 0; i < 600; i++) {
      const size = [10, 4095, 4096, 9000, 70_000, 300_000, 1_500_000][i % 7] as number;
      const binary = i % 3 === 0;
      const data = binary ? randomBytes(size) : Buffer.from(`line ${i} `.repeat(Math.ceil(size / 8)).slice(0, size));
      writeFileSync(path.join(src, i % 2 ? 'a' : 'b', `f${i}.${binary ? 'png' : 'txt'}`), data);
    }
    // Read through libuv's pool (a host's thread) and with blocking calls (the backup worker).
    for (const [compress, syncSmallReads] of [
      [true, false],
      [false, false],
      [true, true],
    ] as const) {
      const archive = path.join(dir, `many-${compress}-${syncSmallReads}.tar${compress ? '.gz' : ''}`);
      const created = await createTarArchive({ entries: entriesOf(src), output: archive, compress, syncSmallReads });
      // Written through libuv's pool (a host's thread) and as a restore writes (the backup worker's blocking writer).
      for (const [mode, extract] of [
        ['pool', extractArchive],
        ['feed', extractByFeed],
      ] as const) {
        const out = path.join(dir, `out-${compress}-${syncSmallReads}-${mode}`);
        await extract({ archive, dest: out, expect: { archiveSha256: created.sha256, entries: created.files } });
        expect(treeListing(out)).toEqual(treeListing(src));
      }
    }
  });

  it('writes archives GNU tar reads, and reads archives GNU tar writes', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'src');
    makeTree(src);
    const ours = path.join(dir, 'ours.tar.gz');
    await createTarArchive({ entries: entriesOf(src), output: ours, compress: true });
    const gnuOut = path.join(dir, 'gnu-out');
    mkdirSync(gnuOut);
    const x = spawnSync('tar', ['xzf', ours, '-C', gnuOut], { encoding: 'utf8' });
    expect(x.status, x.stderr).toBe(0);
    expect(treeListing(gnuOut)).toEqual(treeListing(src));

    const theirs = path.join(dir, 'theirs.tar.gz');
    const c = spawnSync('tar', ['czf', theirs, '-C', src, '.'], { encoding: 'utf8' });
    expect(c.status, c.stderr).toBe(0);
    const out = path.join(dir, 'out');
    await extractArchive({ archive: theirs, dest: out });
    expect(treeListing(out)).toEqual(treeListing(src));
  });

  it('strips the top folder of a source tarball, links inside it intact', async () => {
    const dir = tempDir();
    const top = path.join(dir, 'build', 'owner-repo-abc123');
    makeTree(top);
    const tarball = path.join(dir, 'src.tar.gz');
    const c = spawnSync('tar', ['czf', tarball, '-C', path.join(dir, 'build'), 'owner-repo-abc123'], {
      encoding: 'utf8',
    });
    expect(c.status, c.stderr).toBe(0);
    const out = path.join(dir, 'out');
    const result = await extractArchive({ archive: tarball, dest: out, stripTopFolder: true });
    expect(result.topFolder).toBe('owner-repo-abc123');
    expect(treeListing(out)).toEqual(treeListing(top));
  });

  it('stores already-compressed data instead of deflating it, and stays no larger than tar czf', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'src');
    mkdirSync(src);
    // Random bytes named like images, and text.
    for (let i = 0; i < 5; i++) writeFileSync(path.join(src, `img-${i}.jpg`), randomBytes(400_000));
    for (let i = 0; i < 50; i++)
      writeFileSync(path.join(src, `mod-${i}.py`), `def f${i}(x):\n    return x * ${i}\n`.repeat(200));
    const ours = path.join(dir, 'ours.tar.gz');
    await createTarArchive({ entries: entriesOf(src), output: ours, compress: true });
    const theirs = path.join(dir, 'theirs.tar.gz');
    expect(spawnSync('tar', ['czf', theirs, '-C', src, '.']).status).toBe(0);
    expect(lstatSync(ours).size).toBeLessThanOrEqual(lstatSync(theirs).size);
    // And the gzip stream is one valid member with the right CRC (gzip -t checks it).
    const t = spawnSync('gzip', ['-t', ours], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
    expect(readFileSync(ours).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });
});

describe('files that change while they are archived or extracted', () => {
  it('a file gone since the scan is skipped, small or streamed, read ahead, when its turn comes or with blocking reads', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'src');
    mkdirSync(src, { recursive: true });
    writeFileSync(path.join(src, 'keep.txt'), 'kept');
    for (const syncSmallReads of [false, true]) {
      const entries: ArchiveInputEntry[] = [
        {
          path: 'small-gone.txt',
          type: 'file',
          mode: 0o644,
          mtime: 0,
          source: path.join(src, 'small-gone.txt'),
          size: 10,
        },
        {
          path: 'mid-gone.bin',
          type: 'file',
          mode: 0o644,
          mtime: 0,
          source: path.join(src, 'mid-gone.bin'),
          size: 300 * 1024,
        },
        {
          path: 'large-gone.bin',
          type: 'file',
          mode: 0o644,
          mtime: 0,
          source: path.join(src, 'large-gone.bin'),
          size: 3 * 1024 * 1024,
        },
        {
          path: 'unknown-size-gone.txt',
          type: 'file',
          mode: 0o644,
          mtime: 0,
          source: path.join(src, 'unknown-size-gone.txt'),
        },
        { path: 'keep.txt', type: 'file', mode: 0o644, mtime: 0, source: path.join(src, 'keep.txt') },
      ];
      const archive = path.join(dir, `gone-${syncSmallReads}.tar.gz`);
      const created = await createTarArchive({ entries, output: archive, compress: true, syncSmallReads });
      expect(created.skipped.sort()).toEqual([
        'large-gone.bin',
        'mid-gone.bin',
        'small-gone.txt',
        'unknown-size-gone.txt',
      ]);
      expect(created.files.map((f) => f.path)).toEqual(['keep.txt']);
    }
  });

  it('a file failing its checksum leaves no file open, writing either way', async () => {
    if (!existsSync('/proc/self/fd')) return; // counting open files needs Linux's /proc
    const dir = tempDir();
    const src = path.join(dir, 'src');
    mkdirSync(src, { recursive: true });
    writeFileSync(path.join(src, 'small.txt'), 'a small file\n');
    writeFileSync(path.join(src, 'big.bin'), randomBytes(9 * 1024 * 1024)); // streamed to disk as it comes
    const archive = path.join(dir, 'a.tar.gz');
    const created = await createTarArchive({ entries: entriesOf(src), output: archive, compress: true });
    const openFiles = () => readdirSync('/proc/self/fd').length;
    for (const damaged of ['small.txt', 'big.bin']) {
      const entries = created.files.map((f) => (f.path === damaged ? { ...f, sha256: '0'.repeat(64) } : f));
      for (const [mode, extract] of [
        ['pool', extractArchive],
        ['feed', extractByFeed],
      ] as const) {
        const before = openFiles();
        const error = await extract({
          archive,
          dest: path.join(dir, `out-${damaged}-${mode}`),
          expect: { entries },
        }).catch((e: unknown) => e);
        expect((error as { code?: string }).code).toBe('BACKUP_CORRUPT');
        expect(openFiles(), `${damaged}, ${mode}`).toBe(before);
      }
    }
  });
  it('an archive must hold every entry of the manifest, with and without a list of what was extracted', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'src');
    mkdirSync(path.join(src, 'sub'), { recursive: true });
    writeFileSync(path.join(src, 'sub', 'a.txt'), 'a\n');
    writeFileSync(path.join(src, 'b.txt'), 'b\n');
    const archive = path.join(dir, 'a.tar.gz');
    const created = await createTarArchive({ entries: entriesOf(src), output: archive, compress: true });
    const ghost = { path: 'sub/ghost.txt', type: 'file', size: 3, sha256: '0'.repeat(64) };
    const ghostDir = { path: 'sub', type: 'directory', size: 0 };
    for (const listEntries of [true, false]) {
      for (const [what, entries] of [
        ['a file', [...created.files, ghost]],
        // A folder the archive only implies (a parent of its files) is missing as well.
        ['a folder', [...created.files.filter((f) => f.path !== 'sub'), ghostDir]],
      ] as const) {
        const dest = path.join(dir, `out-${String(listEntries)}-${what.replace(' ', '-')}`);
        const tree = what === 'a folder' ? await archiveWithoutFolder(dir, src, `${String(listEntries)}`) : null;
        const error = await extractArchive({
          archive: tree?.archive ?? archive,
          dest,
          listEntries,
          damagedCode: 'BACKUP_CORRUPT',
          expect: { entries: tree ? [...tree.files, ghostDir] : entries },
        }).catch((e: unknown) => e);
        expect((error as { code?: string }).code, `${what}, listEntries ${String(listEntries)}`).toBe('BACKUP_CORRUPT');
        expect(String((error as Error).message)).toMatch(what === 'a file' ? /sub\/ghost\.txt/ : /"sub"/);
      }
      const ok = await extractArchive({
        archive,
        dest: path.join(dir, `ok-${String(listEntries)}`),
        listEntries,
        expect: { entries: created.files },
      });
      expect(ok.files).toBe(2);
      expect(ok.entries.length).toBe(listEntries ? created.files.length : 0);
    }
  });
});

/** An archive of `src`'s files without the entry of their folder `sub` (which they imply). */
async function archiveWithoutFolder(dir: string, src: string, tag: string) {
  const archive = path.join(dir, `no-folder-${tag}.tar.gz`);
  const created = await createTarArchive({
    entries: entriesOf(src).filter((e) => e.path !== 'sub'),
    output: archive,
    compress: true,
  });
  return { archive, files: created.files };
}
