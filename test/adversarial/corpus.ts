import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import {
  gzip,
  gzipBomb,
  ourZstd,
  rawBlock,
  rawTar,
  zstdBlock,
  zstdFrame,
  zstdRleBomb,
  type RawEntry,
} from '../unit/archive/fixtures';

/**
 * The hostile archive corpus: tars (plain and gzip) written header by header so they can break
 * every rule, and zips written by hand the same way. Each case names what it attacks; the suite
 * feeds every one to an update (release_archive asset) and to a restore (planted backup).
 */
export interface HostileArchive {
  name: string;
  kind: 'tar' | 'zip';
  bytes: () => Buffer | Promise<Buffer>;
  /** What a forged manifest claims the archive holds (restore case). */
  claims: { path: string; type: string; size: number }[];
  /** Not hostile: a control that is installed exactly, never half. */
  benign?: boolean;
  /** In Upkeep's own zstd frames: planted as a `.tar.zst` backup (restores only). */
  zstd?: boolean;
  /** How a restore must refuse it, where known: the code and what the message says (the manifest is valid, so the archive is what gets judged). */
  refusal?: { code: string; says: RegExp };
}

const file = (p: string, data = 'x'): RawEntry => ({ path: p, data });
const claim = (p: string, size = 1, type = 'file') => ({ path: p, type, size });

function tarCase(
  name: string,
  entries: RawEntry[],
  options: { gz?: boolean; raw?: Buffer; claims?: HostileArchive['claims'] } = {},
): HostileArchive {
  return {
    name,
    kind: 'tar',
    bytes: () => options.raw ?? (options.gz === false ? rawTar(entries) : gzip(rawTar(entries))),
    claims:
      options.claims ??
      entries
        .filter((e) => e.path)
        .map((e) =>
          claim(
            e.path.replace(/^\/+/, ''),
            Buffer.byteLength(e.data ?? ''),
            e.flag === '5' ? 'directory' : e.flag === '2' ? 'symlink' : 'file',
          ),
        ),
  };
}

export function tarCorpus(): HostileArchive[] {
  const deep = `${'d/'.repeat(1100)}f`;
  return [
    tarCase('../x', [file('../x')]),
    tarCase('a/../../x', [file('a/../../x')]),
    tarCase('/abs', [file('/abs/x')]),
    tarCase('////abs', [file('////abs')]),
    tarCase('C:/x', [file('C:/x')]),
    tarCase('..\\x', [file('..\\x')]),
    tarCase('absolute symlink then write-through', [{ path: 'link', flag: '2', linkpath: '/tmp' }, file('link/pwned')]),
    tarCase('up -> .. then up/x', [{ path: 'up', flag: '2', linkpath: '..' }, file('up/x')]),
    tarCase('symlink chain with a hardlink through it', [
      { path: 'sub', flag: '5' },
      { path: 'sub/y', flag: '2', linkpath: '..' },
      { path: 'sub/x', flag: '2', linkpath: 'y/..' },
      { path: 'h', flag: '1', linkpath: 'sub/x/y/../../../victim.txt' },
    ]),
    tarCase('symlink chain adding up to an escape', [
      { path: 'sub', flag: '5' },
      { path: 'sub/y', flag: '2', linkpath: '..' },
      { path: 'sub/x', flag: '2', linkpath: 'y/../..' },
    ]),
    tarCase('hardlink to ../', [{ path: 'h', flag: '1', linkpath: '../victim.txt' }]),
    tarCase('hardlink to ../ then a file of the same name', [
      { path: 'h', flag: '1', linkpath: '../victim.txt' },
      file('h', 'overwrite'),
    ]),
    tarCase('hardlink to an absolute path', [{ path: 'h', flag: '1', linkpath: '/etc/passwd' }]),
    tarCase('directory then symlink of the same name', [
      { path: 'uploads', flag: '5' },
      { path: 'uploads', flag: '2', linkpath: '/tmp' },
      file('uploads/x'),
    ]),
    tarCase('file used as a folder', [file('a'), file('a/b')]),
    tarCase('FIFO', [{ path: 'pipe', flag: '6' }]),
    tarCase('character device', [{ path: 'tty', flag: '3' }]),
    tarCase('block device', [{ path: 'disk', flag: '4' }]),
    tarCase('unknown entry type', [{ path: 'odd', flag: 'Z', data: 'x' }]),
    tarCase('setuid file (restore refuses; updates strip)', [{ path: 'suid', data: 'x', mode: 0o4755 }]),
    tarCase('setgid folder (restore refuses; updates strip)', [{ path: 'sgid', flag: '5', mode: 0o2755 }]),
    tarCase('depth over 1024', [{ path: 'PaxPathTooLong', data: 'x', pax: { path: deep } }]),
    tarCase('NUL in a pax path', [{ path: 'innocent', data: 'x', pax: { path: 'innocent\0/../../etc/passwd' } }]),
    tarCase('pax linkpath escaping', [
      { path: 'l', flag: '2', linkpath: 'ok', pax: { linkpath: '../../../../etc' } },
      file('l/x'),
    ]),
    tarCase('negative base-256 size', [
      { path: 'neg', sizeField: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]) },
    ]),
    tarCase('huge base-256 size', [
      { path: 'huge', sizeField: Buffer.from([0x80, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff]) },
    ]),
    tarCase('duplicate entries', [file('same', 'one'), file('same', 'two')]),
    tarCase('symlink named .env leaving the folder', [{ path: '.env', flag: '2', linkpath: '../../victim.txt' }]),
    tarCase('symlink named uploads leaving the folder, then a write into it', [
      { path: 'uploads', flag: '2', linkpath: '../../outside' },
      file('uploads/shell.php', '<?php'),
    ]),
    tarCase('bad header checksum', [{ path: 'ok', data: 'x', badChecksum: true }]),
    tarCase('truncated', [], {
      raw: gzip(rawTar([file('big', 'y'.repeat(5000))]).subarray(0, 1500)),
      claims: [claim('big', 5000)],
    }),
    tarCase('truncated gzip stream', [], {
      raw: (() => {
        const gz = gzip(rawTar([{ path: 'a', data: noise(100_000) }]));
        return gz.subarray(0, gz.length >> 1);
      })(),
      claims: [claim('a', 100_000)],
    }),
    tarCase('garbage', [], {
      raw: Buffer.from('this is not an archive at all, just text. '.repeat(40)),
      claims: [claim('x')],
    }),
    tarCase('empty file', [], { raw: Buffer.alloc(0), claims: [] }),
    // As a restore, the forged manifest lists a file: an honestly empty backup is a real backup.
    tarCase('only the end-of-archive marker', [], { raw: gzip(Buffer.alloc(1024)), claims: [claim('app.txt', 12)] }),
    tarCase('data after the end marker', [], {
      raw: gzip(rawTar([file('a')], { trailing: Buffer.from('x'.repeat(512)) })),
      claims: [claim('a')],
    }),
    // A manifest that honestly declared 512 MiB of zeros would describe a real backup (zeros
    // compress just as well there); the forged one understates it, as an attacker's would.
    tarCase('gzip bomb (512 MiB of zeros in < 1 MiB)', [], {
      raw: gzipBomb(512 * 1024 * 1024),
      claims: [claim('zeros.bin', 1024 * 1024)],
    }),
    tarCase('many-tiny-files bomb (300,000 entries)', [], { raw: tinyFilesBomb(300_000), claims: [claim('f0')] }),
    tarCase('plain tar with ../ (no gzip)', [file('../plain-escape')], { gz: false }),
  ];
}

/**
 * Hostile tars as a backup Upkeep would write them now: `.tar.zst`, in its own encoder's frames
 * (or, for the damaged ones, frames written by hand). The forged manifests list valid paths, so
 * each restore gets as far as the archive's entries and frames.
 */
function zstdCase(
  name: string,
  refusal: HostileArchive['refusal'],
  entries: RawEntry[],
  options: { raw?: () => Buffer | Promise<Buffer>; claims?: HostileArchive['claims'] } = {},
): HostileArchive {
  return {
    ...tarCase(`zstd: ${name}`, entries, { claims: options.claims }),
    bytes: options.raw ?? (() => ourZstd(rawTar(entries))),
    zstd: true,
    refusal,
  };
}

export function zstdCorpus(): HostileArchive[] {
  const MiB = 1024 * 1024;
  return [
    zstdCase('../x', { code: 'UNSAFE_ARCHIVE', says: /path "\.\.\/x" climbs out/ }, [file('../x')], {
      claims: [claim('x')],
    }),
    zstdCase(
      'stored data (raw frames) under ../',
      { code: 'UNSAFE_ARCHIVE', says: /"\.\.\/stored\.bin" climbs out/ },
      [],
      {
        raw: () => ourZstd(rawTar([{ path: '../stored.bin', data: noise(20_000) }]), { compressible: false }),
        claims: [claim('stored.bin', 20_000)],
      },
    ),
    zstdCase('absolute symlink then write-through', { code: 'UNSAFE_ARCHIVE', says: /symlink "link" points outside/ }, [
      { path: 'link', flag: '2', linkpath: '/tmp' },
      file('link/pwned'),
    ]),
    zstdCase('hardlink to ../', { code: 'UNSAFE_ARCHIVE', says: /hardlink "h" points outside/ }, [
      { path: 'h', flag: '1', linkpath: '../victim.txt' },
    ]),
    zstdCase(
      'RLE bomb (512 MiB of zeros in < 20 KiB)',
      { code: 'ARCHIVE_TOO_LARGE', says: /"zeros\.bin" takes it past/ },
      [],
      { raw: () => zstdRleBomb(512 * MiB), claims: [claim('zeros.bin', MiB)] },
    ),
    zstdCase('a frame declaring 1 GiB', { code: 'BACKUP_CORRUPT', says: /declares 1073741824 bytes/ }, [], {
      raw: () => zstdFrame({ contentSize: 2 ** 30, sizeBytes: 4, blocks: [rawBlock('x')] }),
      claims: [claim('x')],
    }),
    zstdCase(
      'a compressed block in a frame without a declared size',
      { code: 'BACKUP_CORRUPT', says: /without a declared size holds compressed blocks/ },
      [],
      { raw: () => zstdFrame({ blocks: [zstdBlock(2, 4, Buffer.from('junk'))] }), claims: [claim('x')] },
    ),
    zstdCase('truncated', { code: 'BACKUP_CORRUPT', says: /truncated/ }, [], {
      raw: async () => {
        const whole = await ourZstd(rawTar([{ path: 'a.txt', data: 'text '.repeat(20_000) }]));
        return whole.subarray(0, whole.length >> 1);
      },
      claims: [claim('a.txt', 100_000)],
    }),
  ];
}

/** Deterministic incompressible bytes. */
function noise(n: number): Buffer {
  const out: Buffer[] = [];
  let block = createHash('sha256').update('seed').digest();
  for (let len = 0; len < n; len += block.length) {
    out.push(block);
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.concat(out).subarray(0, n);
}

/** 300,000 empty files (over the 250,000-entry cap), gzip-compressed to a few MB. */
function tinyFilesBomb(count: number): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; i < count; i++) blocks.push(rawTar([{ path: `f${i}` }], { eof: false }));
  blocks.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(blocks), { level: 1 });
}

// ---------------------------------------------------------------------------------------------
// Zips, written by hand: local headers, central directory, end record.

interface ZipEntry {
  /** Name in the local header. */
  name: string;
  /** Name in the central directory (defaults to `name`). */
  centralName?: string;
  data?: Buffer | string;
  deflate?: boolean;
  /** Unix mode in the external attributes (0o120777 for a symlink). */
  unixMode?: number;
  /** Uncompressed size written in both headers, when it should lie. */
  declaredSize?: number;
}

export function makeZip(entries: ZipEntry[], options: { prefix?: Buffer } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = options.prefix?.length ?? 0;
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const body = e.deflate ? zlib.deflateRawSync(data) : data;
    const crc = zlib.crc32(data) >>> 0;
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.declaredSize ?? data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const cname = Buffer.from(e.centralName ?? e.name, 'utf8');
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.declaredSize ?? data.length, 24);
    central.writeUInt16LE(cname.length, 28);
    central.writeUInt32LE(((e.unixMode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, cname);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([options.prefix ?? Buffer.alloc(0), ...locals, cd, end]);
}

function zipCase(
  name: string,
  entries: ZipEntry[],
  options: { prefix?: Buffer; raw?: Buffer; benign?: boolean } = {},
): HostileArchive {
  return {
    name: `zip: ${name}`,
    kind: 'zip',
    bytes: () => options.raw ?? makeZip(entries, options),
    claims: entries.map((e) => claim(e.name, Buffer.byteLength(e.data ?? ''))),
    ...(options.benign ? { benign: true } : {}),
  };
}

export function zipCorpus(): HostileArchive[] {
  return [
    zipCase('../x', [{ name: '../x', data: 'x' }]),
    zipCase('/abs', [{ name: '/tmp/upkeep-zip-abs', data: 'x' }]),
    zipCase('..\\x', [{ name: '..\\x', data: 'x' }]),
    zipCase('central and local names differ', [{ name: '../../evil.sh', centralName: 'innocent.txt', data: 'x' }]),
    zipCase('symlink entry leaving the folder', [
      { name: 'link', data: '/etc', unixMode: 0o120777 },
      { name: 'link/passwd', data: 'x' },
    ]),
    zipCase('zip bomb (64 MiB of zeros declared as 1,000 bytes)', [
      { name: 'zeros.bin', data: Buffer.alloc(64 * 1024 * 1024), deflate: true, declaredSize: 1000 },
    ]),
    zipCase('entry whose data overlaps the next (quine-style)', [], { raw: overlappingZip() }),
    zipCase('empty zip (end record only)', [], { raw: makeZip([]) }),
    zipCase('prepended junk (self-extracting style)', [{ name: '../x', data: 'x' }], {
      prefix: Buffer.from('#!/bin/sh\nexit 0\n'.repeat(8)),
    }),
    zipCase(
      'a harmless zip (control: installed exactly)',
      [{ name: 'app/main.py', data: 'print(1)\n', deflate: true }],
      { benign: true },
    ),
  ];
}

/** Two central entries pointing at the same local data: a classic overlap bomb. */
function overlappingZip(): Buffer {
  const one = makeZip([{ name: 'a.txt', data: 'x'.repeat(1000), deflate: true }]);
  // Duplicate the central record under another name, same offset.
  const eocd = one.length - 22;
  const cdSize = one.readUInt32LE(eocd + 12);
  const cdOffset = one.readUInt32LE(eocd + 16);
  const central = Buffer.from(one.subarray(cdOffset, cdOffset + cdSize));
  const second = Buffer.from(central);
  second.write('b', 46, 'latin1');
  const end = Buffer.from(one.subarray(eocd));
  end.writeUInt16LE(2, 8);
  end.writeUInt16LE(2, 10);
  end.writeUInt32LE(cdSize * 2, 12);
  return Buffer.concat([one.subarray(0, cdOffset), central, second, end]);
}

export function hostileCorpus(): HostileArchive[] {
  return [...tarCorpus(), ...zipCorpus()];
}
