import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UpkeepError } from '../../../shared/errors';
import { extractArchive } from '../../../electron/core/archive';
import { tempDir } from '../../helpers/temp';
import { allPaths, treeListing } from './fixtures';

/** Zips are written by Python's zipfile (a real, independent writer); `script` fills `z`. */
function makeZip(file: string, script: string): void {
  const code = `
import zipfile, sys, stat
z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)
def link(name, target):
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    z.writestr(info, target)
def mode(name, data, m):
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = m << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)
${script}
z.close()
`;
  const r = spawnSync('python3', ['-c', code, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

async function refuseZip(bytes: Buffer, code: string, named: string | RegExp): Promise<void> {
  const sandbox = tempDir('upkeep-zip-');
  const file = path.join(sandbox, 'evil.zip');
  writeFileSync(file, bytes);
  const staging = path.join(sandbox, 'app', 'staging');
  mkdirSync(path.dirname(staging));
  const before = allPaths(sandbox);
  const error = await extractArchive({ archive: file, dest: staging, zip: true }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpkeepError);
  expect((error as UpkeepError).code).toBe(code);
  if (typeof named === 'string') expect((error as UpkeepError).message).toContain(named);
  else expect((error as UpkeepError).message).toMatch(named);
  expect(allPaths(sandbox, (p) => p === staging || p.startsWith(`${staging}${path.sep}`))).toEqual(before);
}

function zipBytes(script: string): Buffer {
  const dir = tempDir('upkeep-zipsrc-');
  const file = path.join(dir, 'z.zip');
  makeZip(file, script);
  return readFileSync(file);
}

describe('zip archives', () => {
  it('are refused unless asked for', async () => {
    await expect(
      extractArchive({
        archive: (() => {
          const d = tempDir();
          const f = path.join(d, 'a.zip');
          makeZip(f, `z.writestr('a.txt', 'x')`);
          return f;
        })(),
        dest: null,
      }),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('extracts a release zip with folders, modes and in-folder links; strips its top folder', async () => {
    const dir = tempDir();
    const zip = path.join(dir, 'release.zip');
    makeZip(
      zip,
      `
z.writestr('app-1.2.3/', '')
mode('app-1.2.3/bin/run.sh', '#!/bin/sh\\necho hi\\n', 0o100755)
z.writestr('app-1.2.3/src/main.py', 'print(1)\\n' * 1000)
z.writestr('app-1.2.3/README.md', '# app\\n')
link('app-1.2.3/current', 'src')
`,
    );
    const out = path.join(dir, 'out');
    const result = await extractArchive({ archive: zip, dest: out, stripTopFolder: true, zip: true });
    expect(result.compression).toBe('zip');
    expect(result.topFolder).toBe('app-1.2.3');
    const listing = treeListing(out);
    expect(listing.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'file README.md',
      'dir bin',
      'file bin/run.sh',
      'link current',
      'dir src',
      'file src/main.py',
    ]);
    expect(listing).toContain('link current -> src');
    expect(readFileSync(path.join(out, 'README.md'), 'utf8')).toBe('# app\n');
    expect(treeListing(out).find((l) => l.startsWith('file bin/run.sh'))).toContain(' 755 ');
    expect(readFileSync(path.join(out, 'src/main.py'), 'utf8')).toBe('print(1)\n'.repeat(1000));
  });

  it('refuses ../ entries, absolute paths and links out of the folder', async () => {
    await refuseZip(zipBytes(`z.writestr('../escaped.txt', 'x')`), 'UNSAFE_ARCHIVE', '"../escaped.txt"');
    await refuseZip(zipBytes(`z.writestr(zipfile.ZipInfo('/abs.txt'), 'x')`), 'UNSAFE_ARCHIVE', /absolute|"abs.txt"/);
    await refuseZip(zipBytes(`link('up', '../..')\nz.writestr('up/x', 'x')`), 'UNSAFE_ARCHIVE', '"up"');
    await refuseZip(zipBytes(`mode('suid', 'x', 0o104755)`), 'UNSAFE_ARCHIVE', 'setuid');
  });

  it('refuses an entry whose local name differs from its central directory name', async () => {
    const bytes = zipBytes(`z.writestr('good.txt', 'hello')`);
    // Rename the entry in its local header only: "good.txt" -> "evil.txt".
    const local = bytes.indexOf(Buffer.from('good.txt'));
    Buffer.from('evil.txt').copy(bytes, local);
    await refuseZip(bytes, 'UNSAFE_ARCHIVE', 'local header');
  });

  it('refuses a damaged entry (CRC), a truncated zip and encrypted entries', async () => {
    const bytes = zipBytes(`z.writestr(zipfile.ZipInfo('data.txt'), 'A' * 5000)`);
    const at = bytes.indexOf(Buffer.from('A'.repeat(100)));
    bytes[at + 50] = 0x42;
    await refuseZip(bytes, 'UNSAFE_ARCHIVE', 'CRC');
    const whole = zipBytes(`z.writestr('a.txt', 'x' * 1000)`);
    await refuseZip(
      whole.subarray(0, whole.length - 30),
      'UNSAFE_ARCHIVE',
      /end-of-central-directory|truncated|damaged/,
    );
    const enc = zipBytes(`z.writestr('secret.txt', 'x')`);
    // Set the "encrypted" flag in both headers.
    for (let i = enc.indexOf(Buffer.from([0x50, 0x4b])); i !== -1; i = enc.indexOf(Buffer.from([0x50, 0x4b]), i + 1)) {
      const sig = enc.readUInt32LE(i);
      if (sig === 0x04034b50) enc.writeUInt16LE(enc.readUInt16LE(i + 6) | 1, i + 6);
      if (sig === 0x02014b50) enc.writeUInt16LE(enc.readUInt16LE(i + 8) | 1, i + 8);
    }
    await refuseZip(enc, 'UNSAFE_ARCHIVE', 'encrypted');
  });

  it('refuses overlapping entries (the overlapping-files zip bomb)', async () => {
    const bytes = zipBytes(
      `z.writestr(zipfile.ZipInfo('a.txt'), 'A' * 100)\nz.writestr(zipfile.ZipInfo('b.txt'), 'B' * 100)`,
    );
    // Make a.txt's data claim to run over b.txt's local header (central and local sizes both).
    for (
      let i = bytes.indexOf(Buffer.from([0x50, 0x4b]));
      i !== -1;
      i = bytes.indexOf(Buffer.from([0x50, 0x4b]), i + 1)
    ) {
      const sig = bytes.readUInt32LE(i);
      const name = (off: number, len: number) => bytes.toString('latin1', off, off + len);
      if (sig === 0x04034b50 && name(i + 30, 5) === 'a.txt') {
        bytes.writeUInt32LE(180, i + 18);
        bytes.writeUInt32LE(180, i + 22);
      }
      if (sig === 0x02014b50 && name(i + 46, 5) === 'a.txt') {
        bytes.writeUInt32LE(180, i + 20);
        bytes.writeUInt32LE(180, i + 24);
      }
    }
    await refuseZip(bytes, 'UNSAFE_ARCHIVE', 'overlaps');
  });

  it('refuses a zip bomb by its declared expansion, before inflating anything', async () => {
    const dir = tempDir();
    const zip = path.join(dir, 'bomb.zip');
    makeZip(
      zip,
      `
class Zeros:
    pass
with z.open('zeros.bin', 'w', force_zip64=False) as f:
    chunk = b'\\0' * (1 << 20)
    for _ in range(300):
        f.write(chunk)
`,
    );
    await refuseZip(readFileSync(zip), 'ARCHIVE_TOO_LARGE', 'compression bomb');
  });
});
