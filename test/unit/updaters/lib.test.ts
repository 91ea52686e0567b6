import { mkdirSync, readFileSync, symlinkSync, writeFileSync, lstatSync, readlinkSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UpkeepError } from '../../../shared/errors';
import { buildArgv, splitCommand } from '../../../electron/core/updaters/lib/placeholders';
import { parseFrontmatter } from '../../../electron/core/versions/frontmatter';
import { redact, stripAnsi } from '../../../electron/core/updaters/lib/text';
import { isPreserved, revertTreeSwap, swapTree } from '../../../electron/core/updaters/lib/tree-sync';
import { parseChecksums, verifyMinisign } from '../../../electron/core/updaters/lib/verify';
import { runCommand } from '../../../electron/core/updaters/lib/exec';
import { tempDir } from '../../helpers/temp';
import { minisignKeys, sha256, treeHash } from '../../fixtures/releases/tree';

describe('argv templates', () => {
  it('splits like a shell but substitutes per word, so a value with spaces or quotes stays one argument', () => {
    const argv = buildArgv(`{python} "/opt/update me.py" --python="{python}" '{folder}' {target}`, {
      python: '/usr/bin/python3',
      folder: '/srv/my app; rm -rf /',
      target: '1.2.3 $(whoami)',
    });
    expect(argv).toEqual([
      '/usr/bin/python3',
      '/opt/update me.py',
      '--python=/usr/bin/python3',
      '/srv/my app; rm -rf /',
      '1.2.3 $(whoami)',
    ]);
  });

  it('refuses unknown placeholders and unclosed quotes', () => {
    expect(() => buildArgv('run {nope}', { target: 'x' })).toThrow(/Unknown placeholder \{nope\}/);
    expect(() => splitCommand('run "open')).toThrow(UpkeepError);
  });
});

describe('checksum files and minisign', () => {
  it('reads GNU, BSD and lone-digest checksum lines', () => {
    const hex = 'a'.repeat(64);
    const { byName, lone } = parseChecksums(
      `${hex}  app-1.0.tar.gz\n${'b'.repeat(64)} *dist/other.zip\nSHA256 (bsd.tgz) = ${'c'.repeat(64)}\n`,
    );
    expect(byName.get('app-1.0.tar.gz')).toBe(hex);
    expect(byName.get('other.zip')).toBe('b'.repeat(64));
    expect(byName.get('bsd.tgz')).toBe('c'.repeat(64));
    expect(parseChecksums(`${'D'.repeat(64)}\n`).lone).toBe('d'.repeat(64));
    expect(lone).toBeNull();
  });

  it('verifies prehashed and legacy minisign signatures against the pinned key, and refuses tampering or another key', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'release.tar.gz');
    writeFileSync(file, 'release bytes');
    const keys = minisignKeys();
    await verifyMinisign(file, keys.sign(Buffer.from('release bytes')), keys.publicKey, 'release.tar.gz');
    await verifyMinisign(
      file,
      keys.sign(Buffer.from('release bytes'), { legacy: true }),
      keys.publicKey,
      'release.tar.gz',
    );
    await expect(
      verifyMinisign(file, keys.sign(Buffer.from('other bytes')), keys.publicKey, 'release.tar.gz'),
    ).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    const other = minisignKeys();
    await expect(
      verifyMinisign(file, other.sign(Buffer.from('release bytes')), keys.publicKey, 'release.tar.gz'),
    ).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
  });
});

describe('front matter and log hygiene', () => {
  it('parses Open WebUI front matter like the server', () => {
    expect(parseFrontmatter('"""\ntitle: My Filter\nVersion: 1.3.0\n"""\nclass Filter: pass\n')).toEqual({
      title: 'My Filter',
      version: '1.3.0',
    });
    expect(parseFrontmatter("'''\ntitle: x\n'''")).toEqual({});
    expect(parseFrontmatter('""" title: x\n"""')).toEqual({});
  });

  it('strips ANSI codes and redacts secrets', () => {
    expect(stripAnsi('\u001b[32mok\u001b[0m \u001b]0;title\u0007done')).toBe('ok done');
    expect(redact('Authorization: Bearer sk-secret-123 and sk-secret-123', ['sk-secret-123'])).toBe(
      'Authorization: Bearer *** and ***',
    );
  });

  it('runs argv without a shell and reports a failing command with its stderr', async () => {
    const lines: string[] = [];
    const ok = await runCommand(['node', '-e', 'console.log("\\u001b[31mred\\u001b[0m; echo $HOME")'], (l) =>
      lines.push(l),
    );
    expect(ok.code).toBe(0);
    expect(lines).toContain('red; echo $HOME');
    await expect(
      runCommand(['node', '-e', 'console.error("boom"); process.exit(3)'], () => undefined),
    ).rejects.toMatchObject({ code: 'COMMAND_FAILED', message: expect.stringContaining('boom') });
  });
});

describe('swapTree', () => {
  it('keeps preserved paths, keeps a symlinked uploads/ a symlink, removes files only the old release had', async () => {
    const dir = tempDir();
    const folder = path.join(dir, 'app');
    const staging = path.join(dir, 'staging');
    const outside = path.join(dir, 'shared-uploads');
    mkdirSync(path.join(folder, 'lib'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'photo.jpg'), 'user photo');
    symlinkSync(outside, path.join(folder, 'uploads'));
    writeFileSync(path.join(folder, '.env'), 'SECRET=1');
    writeFileSync(path.join(folder, 'app.py'), 'v1');
    writeFileSync(path.join(folder, 'lib', 'old.py'), 'old');
    writeFileSync(path.join(folder, 'notes.txt'), 'user file, never in a release');
    mkdirSync(path.join(staging, 'lib'), { recursive: true });
    mkdirSync(path.join(staging, 'uploads'));
    writeFileSync(path.join(staging, 'uploads', 'placeholder'), 'from release');
    writeFileSync(path.join(staging, '.env'), 'SECRET=release-default');
    writeFileSync(path.join(staging, 'app.py'), 'v2');
    writeFileSync(path.join(staging, 'lib', 'new.py'), 'new');
    const outsideBefore = treeHash(outside);

    writeFileSync(path.join(folder, 'lib', 'shipped-then-edited.cfg'), 'edited by the user');
    const result = await swapTree({
      staging,
      folder,
      preserve: ['.env', 'uploads/', 'database_backups/'],
      previousFiles: ['app.py', 'lib/old.py', '.env', 'lib/shipped-then-edited.cfg'],
      previousHashes: {
        'app.py': sha256('v1'),
        'lib/old.py': sha256('old'),
        'lib/shipped-then-edited.cfg': sha256('as shipped'),
      },
    });

    expect(readFileSync(path.join(folder, 'app.py'), 'utf8')).toBe('v2');
    expect(readFileSync(path.join(folder, 'lib', 'new.py'), 'utf8')).toBe('new');
    expect(existsSync(path.join(folder, 'lib', 'old.py'))).toBe(false);
    expect(readFileSync(path.join(folder, '.env'), 'utf8')).toBe('SECRET=1');
    expect(readFileSync(path.join(folder, 'notes.txt'), 'utf8')).toBe('user file, never in a release');
    expect(lstatSync(path.join(folder, 'uploads')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(folder, 'uploads'))).toBe(outside);
    expect(treeHash(outside)).toBe(outsideBefore);
    expect(result.files).toEqual(['app.py', 'lib/new.py']);
    expect(result.hashes['app.py']).toBe(sha256('v2'));
    // Shipped by the old release but changed since: kept, not deleted.
    expect(readFileSync(path.join(folder, 'lib', 'shipped-then-edited.cfg'), 'utf8')).toBe('edited by the user');
    expect(result.kept).toEqual(['lib/shipped-then-edited.cfg']);
    expect(isPreserved('uploads/a/b', ['uploads/'])).toBe(true);
    expect(isPreserved('uploads2', ['uploads/'])).toBe(false);
  });

  it('swaps the new tree in whole and reverts to the exact previous tree, user files included, by swapping back', async () => {
    const dir = tempDir();
    const folder = path.join(dir, 'app');
    const staging = path.join(dir, 'staging');
    mkdirSync(path.join(folder, 'lib'), { recursive: true });
    mkdirSync(path.join(folder, 'uploads', 'a'), { recursive: true });
    writeFileSync(path.join(folder, 'uploads', 'a', 'photo.jpg'), 'photo');
    writeFileSync(path.join(folder, '.env'), 'SECRET=1');
    writeFileSync(path.join(folder, 'app.py'), 'v1');
    writeFileSync(path.join(folder, 'lib', 'old.py'), 'old');
    writeFileSync(path.join(folder, 'lib', 'mine.py'), 'a user file in a release folder');
    const before = treeHash(folder);
    const inode = lstatSync(path.join(folder, 'uploads')).ino;
    mkdirSync(path.join(staging, 'lib'), { recursive: true });
    writeFileSync(path.join(staging, 'app.py'), 'v2');
    writeFileSync(path.join(staging, 'lib', 'new.py'), 'new');
    const result = await swapTree({
      staging,
      folder,
      preserve: ['.env', 'uploads/'],
      previousFiles: ['app.py', 'lib/old.py'],
      previousHashes: { 'app.py': sha256('v1'), 'lib/old.py': sha256('old') },
    });
    expect(result.carried).toBe(3);
    expect(result.removed).toBe(1);
    expect(readFileSync(path.join(folder, 'app.py'), 'utf8')).toBe('v2');
    expect(readFileSync(path.join(folder, 'lib', 'mine.py'), 'utf8')).toBe('a user file in a release folder');
    expect(existsSync(path.join(folder, 'lib', 'old.py'))).toBe(false);
    // Carried by rename: the same folder, not a copy.
    expect(lstatSync(path.join(folder, 'uploads')).ino).toBe(inode);
    expect(readFileSync(path.join(result.record.old, 'lib', 'old.py'), 'utf8')).toBe('old');
    expect(await revertTreeSwap(result.record)).toBe(true);
    expect(treeHash(folder)).toBe(before);
    expect(lstatSync(path.join(folder, 'uploads')).ino).toBe(inode);
  });

  it('never writes through a link where the release has a folder', async () => {
    const dir = tempDir();
    const folder = path.join(dir, 'app');
    const staging = path.join(dir, 'staging');
    const victim = path.join(dir, 'victim');
    mkdirSync(folder);
    mkdirSync(victim);
    symlinkSync(victim, path.join(folder, 'static'));
    mkdirSync(path.join(staging, 'static'), { recursive: true });
    writeFileSync(path.join(staging, 'static', 'x.css'), 'css');
    // A link in the folder where the release has a folder is replaced by a real folder, never followed.
    await swapTree({ staging, folder, preserve: [], previousFiles: null });
    expect(existsSync(path.join(victim, 'x.css'))).toBe(false);
    expect(lstatSync(path.join(folder, 'static')).isDirectory()).toBe(true);
  });
});
