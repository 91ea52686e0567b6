import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UpkeepError } from '../../../shared/errors';
import { extractArchive, type ExtractOptions } from '../../../electron/core/archive';
import { tempDir } from '../../helpers/temp';
import { extractByFeed } from './feed-extract';
import { allPaths, gzip, gzipBomb, rawTar, type RawEntry } from './fixtures';

/**
 * Each hostile archive is extracted into `sandbox/staging`, beside a `victim` folder and a file
 * the archive aims at. It must be refused with the expected code and a message naming the
 * entry, and nothing outside the staging folder may change.
 */
async function refuse(archive: Buffer, code: string, named: string | RegExp, options: Partial<ExtractOptions> = {}) {
  // Both ways of writing: through libuv's pool (a host's thread), and as a restore writes (checked
  // entries handed to a blocking writer, the backup worker's).
  await refuseOnce(archive, code, named, options, extractByFeed);
  return refuseOnce(archive, code, named, options, extractArchive);
}

async function refuseOnce(
  archive: Buffer,
  code: string,
  named: string | RegExp,
  options: Partial<ExtractOptions>,
  extract: typeof extractArchive,
) {
  const sandbox = tempDir('upkeep-hostile-');
  const victim = path.join(sandbox, 'victim');
  mkdirSync(victim);
  writeFileSync(path.join(victim, 'keep.txt'), 'precious');
  const file = path.join(sandbox, 'evil.tar');
  writeFileSync(file, archive);
  const staging = path.join(sandbox, 'app', 'staging');
  mkdirSync(path.dirname(staging));
  const before = allPaths(sandbox);
  const error = await extract({ archive: file, dest: staging, ...options }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the archive must be refused').toBeInstanceOf(UpkeepError);
  const e = error as UpkeepError;
  expect(e.code).toBe(code);
  if (typeof named === 'string') expect(e.message).toContain(named);
  else expect(e.message).toMatch(named);
  // Nothing outside staging: same paths, victim content intact.
  expect(allPaths(sandbox, (p) => p === staging || p.startsWith(`${staging}${path.sep}`))).toEqual(before);
  expect(readFileSync(path.join(victim, 'keep.txt'), 'utf8')).toBe('precious');
  return e;
}

const file = (p: string, data = 'x'): RawEntry => ({ path: p, data });

describe('safe extractor refuses hostile archives', () => {
  const cases: [string, Buffer, string, string | RegExp][] = [
    ['../x', rawTar([file('../x')]), 'UNSAFE_ARCHIVE', '"../x"'],
    ['a/../../x', rawTar([file('a/../../x')]), 'UNSAFE_ARCHIVE', '"a/../../x"'],
    ['/abs', rawTar([file('/abs/x')]), 'UNSAFE_ARCHIVE', 'is absolute'],
    ['////abs', rawTar([file('////abs')]), 'UNSAFE_ARCHIVE', 'is absolute'],
    ['C:/x', rawTar([file('C:/x')]), 'UNSAFE_ARCHIVE', 'drive letter'],
    ['..\\x', rawTar([file('..\\x')]), 'UNSAFE_ARCHIVE', 'backslash'],
    [
      'absolute symlink then write-through',
      rawTar([{ path: 'link', flag: '2', linkpath: '/tmp' }, file('link/pwned')]),
      'UNSAFE_ARCHIVE',
      '"link"',
    ],
    ['up -> .. then up/x', rawTar([{ path: 'up', flag: '2', linkpath: '..' }, file('up/x')]), 'UNSAFE_ARCHIVE', '"up"'],
    [
      'in-folder symlink then write-through',
      rawTar([{ path: 'sub', flag: '5' }, { path: 'd', flag: '2', linkpath: 'sub' }, file('d/x')]),
      'UNSAFE_ARCHIVE',
      'written through the symlink "d"',
    ],
    [
      'symlink chain adding up to an escape',
      rawTar([
        { path: 'sub', flag: '5' },
        { path: 'sub/y', flag: '2', linkpath: '..' },
        { path: 'sub/x', flag: '2', linkpath: 'y/../..' },
      ]),
      'UNSAFE_ARCHIVE',
      '"sub/x"',
    ],
    [
      'hardlink to ../',
      rawTar([{ path: 'h', flag: '1', linkpath: '../victim/keep.txt' }]),
      'UNSAFE_ARCHIVE',
      '"../victim/keep.txt"',
    ],
    [
      'hardlink to a later/unknown file',
      rawTar([{ path: 'h', flag: '1', linkpath: 'nothing-yet' }]),
      'UNSAFE_ARCHIVE',
      'hardlink "h"',
    ],
    [
      'hardlink to ../ then a file of the same name',
      rawTar([{ path: 'h', flag: '1', linkpath: '../victim/keep.txt' }, file('h', 'overwrite')]),
      'UNSAFE_ARCHIVE',
      'hardlink',
    ],
    [
      'directory then symlink of the same name',
      rawTar([
        { path: 'uploads', flag: '5' },
        { path: 'uploads', flag: '2', linkpath: 'elsewhere' },
      ]),
      'UNSAFE_ARCHIVE',
      '"uploads"',
    ],
    ['file used as a folder', rawTar([file('a'), file('a/b')]), 'UNSAFE_ARCHIVE', 'uses the file "a" as a folder'],
    ['duplicate entries', rawTar([file('same', 'one'), file('same', 'two')]), 'UNSAFE_ARCHIVE', 'appears twice'],
    ['character device', rawTar([{ path: 'tty', flag: '3' }]), 'UNSAFE_ARCHIVE', 'char-device'],
    ['block device', rawTar([{ path: 'disk', flag: '4' }]), 'UNSAFE_ARCHIVE', 'block-device'],
    ['FIFO', rawTar([{ path: 'pipe', flag: '6' }]), 'UNSAFE_ARCHIVE', 'fifo'],
    ['setuid file', rawTar([{ path: 'suid', data: 'x', mode: 0o4755 }]), 'UNSAFE_ARCHIVE', 'setuid'],
    ['setgid folder', rawTar([{ path: 'sgid', flag: '5', mode: 0o2755 }]), 'UNSAFE_ARCHIVE', 'setgid'],
    [
      'depth over 1024',
      rawTar([{ path: 'PaxPathTooLong', data: 'x', pax: { path: `${'d/'.repeat(1100)}f` } }]),
      'UNSAFE_ARCHIVE',
      /folders deep|longer than/,
    ],
    [
      'NUL in a pax path',
      rawTar([{ path: 'innocent', data: 'x', pax: { path: 'innocent\0/../../etc/passwd' } }]),
      'UNSAFE_ARCHIVE',
      'NUL',
    ],
    [
      'negative base-256 size',
      rawTar([
        {
          path: 'neg',
          sizeField: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]),
        },
      ]),
      'UNSAFE_ARCHIVE',
      'negative',
    ],
    ['bad header checksum', rawTar([{ path: 'ok', data: 'x', badChecksum: true }]), 'UNSAFE_ARCHIVE', 'checksum'],
    // Longer than any path (and than a restore's write instruction has room for): refused, not an internal error.
    [
      'symlink target of 5,000 bytes',
      rawTar([{ path: 'long', flag: '2', linkpath: 'x', pax: { linkpath: 'a/'.repeat(2500) } }]),
      'UNSAFE_ARCHIVE',
      /"long" has a target of 5000 bytes/,
    ],
    [
      'symlink named .env leaving the folder',
      rawTar([{ path: '.env', flag: '2', linkpath: '../../victim/keep.txt' }]),
      'UNSAFE_ARCHIVE',
      '".env"',
    ],
    ['truncated archive', rawTar([file('big', 'y'.repeat(5000))]).subarray(0, 1500), 'UNSAFE_ARCHIVE', 'truncated'],
    [
      'garbage',
      Buffer.from('this is not a tar archive at all, just text'.repeat(40)),
      'UNSAFE_ARCHIVE',
      /checksum|not a tar/,
    ],
    ['empty file', Buffer.alloc(0), 'UNSAFE_ARCHIVE', 'empty'],
    ['only the end-of-archive marker', Buffer.alloc(1024), 'UNSAFE_ARCHIVE', 'empty'],
    [
      'data after the end marker',
      rawTar([file('a')], { trailing: Buffer.from('x'.repeat(512)) }),
      'UNSAFE_ARCHIVE',
      'after the end',
    ],
    // A compressed run of zeros after the marker would otherwise be read to its end for nothing.
    [
      '17 MiB of zeros after the end marker',
      rawTar([file('a')], { trailing: Buffer.alloc(17 * 1024 * 1024) }),
      'UNSAFE_ARCHIVE',
      'zeros after the end',
    ],
  ];
  for (const [name, archive, code, named] of cases) {
    it(name, async () => {
      await refuse(archive, code, named);
    });
  }

  it('truncated gzip', async () => {
    const gz = gzip(rawTar([file('a', 'z'.repeat(100_000))]));
    await refuse(gz.subarray(0, gz.length - 20), 'UNSAFE_ARCHIVE', /damaged|truncated/);
  });

  it('gzip bomb: refused by the expansion ratio long before the disk fills', async () => {
    const bomb = gzipBomb(512 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const e = await refuse(bomb, 'ARCHIVE_TOO_LARGE', 'compression bomb');
    expect(e.details?.archive).toBeDefined();
  });

  it('size cap', async () => {
    await refuse(
      gzip(rawTar([file('a', 'x'.repeat(10_000)), file('b', 'y'.repeat(10_000))])),
      'ARCHIVE_TOO_LARGE',
      '"b"',
      { limits: { maxTotalBytes: 15_000 } },
    );
  });

  it('many-tiny-files bomb: entry count cap', async () => {
    const entries = Array.from({ length: 300 }, (_, i) => file(`f${i}`));
    await refuse(gzip(rawTar(entries)), 'ARCHIVE_TOO_LARGE', 'more than 200 entries', { limits: { maxEntries: 200 } });
  });

  it('more than one top folder when stripping it', async () => {
    await refuse(rawTar([{ path: 'top/', flag: '5' }, file('top/a'), file('other/b')]), 'UNSAFE_ARCHIVE', '"other/b"', {
      stripTopFolder: true,
    });
  });
});

describe('safe extractor keeps what is safe', () => {
  it('symlinks inside the folder come back as they were; setuid bits can be stripped instead of refused', async () => {
    const dir = tempDir();
    const archive = path.join(dir, 'ok.tar');
    writeFileSync(
      archive,
      rawTar([
        { path: 'releases/', flag: '5' },
        { path: 'releases/v1/app.txt', data: 'v1' },
        { path: 'current', flag: '2', linkpath: 'releases/v1' },
        { path: 'releases/v1/up', flag: '2', linkpath: '../../releases' },
        { path: 'tool', data: '#!/bin/sh\n', mode: 0o4755 },
        { path: 'hard', flag: '1', linkpath: 'releases/v1/app.txt' },
      ]),
    );
    const out = path.join(dir, 'out');
    await extractArchive({ archive, dest: out, specialBits: 'strip' });
    expect(readFileSync(path.join(out, 'current', 'app.txt'), 'utf8')).toBe('v1');
    expect(lstatSync(path.join(out, 'current')).isSymbolicLink()).toBe(true);
    expect(lstatSync(path.join(out, 'tool')).mode & 0o7777).toBe(0o755);
    expect(lstatSync(path.join(out, 'hard')).ino).toBe(lstatSync(path.join(out, 'releases/v1/app.txt')).ino);
  });

  it('verification mode writes nothing', async () => {
    const dir = tempDir();
    const archive = path.join(dir, 'ok.tar.gz');
    writeFileSync(archive, gzip(rawTar([file('a/b.txt', 'hello')])));
    const result = await extractArchive({ archive, dest: null });
    expect(result.files).toBe(1);
    expect(result.entries.find((e) => e.path === 'a/b.txt')?.sha256).toBe(
      '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    );
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
  });
});
