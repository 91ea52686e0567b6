import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unchanged } from '../../../electron/core/backups/restore-reuse';
import { trashSettled } from '../../../electron/core/lib/trash';
import { treeListing } from '../../fixtures/releases/tree';
import { useBuiltBackupWorker } from './built-worker';
import { backupWorld, type BackupWorld } from './setup';

/**
 * A rollback's restore built from the tree its update replaced (restore-reuse.ts): the folder
 * ends exactly as a restore from the archive leaves it — every file's bytes and mode, every
 * folder's mode and time — while the files that tree holds unchanged stay where they are, the
 * user files the update carried into the new tree are copied from it when unchanged, and only
 * the rest comes from the archive.
 */

let w: BackupWorld;

/** An hour ago, in whole seconds: not the second any backup of this test began. */
const PAST = Math.floor(Date.now() / 1000) - 3600;

function write(root: string, rel: string, content: string, mode = 0o644): void {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
}

/** Every file, link and folder below `root` set to PAST (folders after what is in them). */
function age(root: string, rel = ''): void {
  for (const d of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) age(root, child);
    else if (!d.isSymbolicLink()) utimesSync(path.join(root, child), PAST, PAST);
  }
  if (rel) utimesSync(path.join(root, rel), PAST, PAST);
}

/** The folder's exact state: its listing (treeListing) and every file's and folder's time, in seconds. */
function state(folder: string): string[] {
  const times: string[] = [];
  const visit = (rel: string) => {
    for (const d of readdirSync(path.join(folder, rel), { withFileTypes: true })) {
      if (d.isSymbolicLink()) continue;
      const child = rel ? `${rel}/${d.name}` : d.name;
      times.push(`T ${child} ${Math.floor(lstatSync(path.join(folder, child)).mtimeMs / 1000)}`);
      if (d.isDirectory()) visit(child);
    }
  };
  visit('');
  return [...treeListing(folder), ...times.sort()];
}

/** A listing as a restore leaves it: every restore leaves the read-only folder writable by its owner. */
const asRestored = (listing: string[]) => listing.map((l) => (l === 'D ro 555' ? 'D ro 755' : l));

/** What a restore from the archive alone leaves in the folder (the reference). */
async function plainRestore(world: BackupWorld, backupId: string): Promise<string[]> {
  await world.services.backups.restore({ backupId, safetyBackup: false });
  await world.services.backups.settled?.();
  return state(world.folder);
}

/** A small application folder: code in folders, an executable, a link, a read-only folder, user files. */
function appFolder(folder: string): void {
  write(folder, 'app.js', 'console.log("v1")\n');
  write(folder, 'lib/util.js', 'exports.util = 1;\n');
  write(folder, 'lib/changed.js', 'exports.changed = 1;\n');
  write(folder, 'lib/deep/a/b/c.js', 'exports.c = 1;\n');
  write(folder, 'bin/run', '#!/bin/sh\necho run\n', 0o755);
  write(folder, 'docs/readme.md', '# App\n');
  symlinkSync('lib/util.js', path.join(folder, 'util-link.js'));
  symlinkSync('docs', path.join(folder, 'manual'));
  write(folder, 'ro/fixed.txt', 'fixed\n');
  write(folder, '.env', 'SECRET=1\n', 0o600);
  write(folder, 'uploads/photo.jpg', 'a user photo');
  write(folder, 'uploads/2026/scan.pdf', 'a scan');
  age(folder);
  chmodSync(path.join(folder, 'ro'), 0o555);
}

/** What the update did: the previous tree aside, without the user files it carried into the new one. */
function previousTreeOf(folder: string): string {
  const prev = path.join(path.dirname(folder), `.${path.basename(folder)}.upkeep-old-test`);
  expect(spawnSync('cp', ['-a', folder, prev]).status).toBe(0);
  rmSync(path.join(prev, '.env'));
  rmSync(path.join(prev, 'uploads'), { recursive: true });
  return prev;
}

/** The new release in the folder, with the user files carried over (moved, so unchanged). */
function newReleaseIn(folder: string): void {
  for (const name of readdirSync(folder)) {
    if (name === '.env' || name === 'uploads') continue;
    if (name === 'ro') chmodSync(path.join(folder, name), 0o755);
    rmSync(path.join(folder, name), { recursive: true, force: true });
  }
  write(folder, 'app.js', 'console.log("v2")\n');
  write(folder, 'lib/util.js', 'exports.util = 2;\n');
  write(folder, 'lib/new.js', 'exports.added = 2;\n');
}

/** Every case, run in this thread and through the backup worker (the hosts' way). */
function reuseCases(): void {
  it('leaves the folder as the archive would, keeping unchanged files and writing only what changed', async () => {
    w = backupWorld();
    appFolder(w.folder);
    const expected = treeListing(w.folder);
    const dirTimes = ['lib', 'lib/deep/a', 'docs', 'ro', 'uploads', 'uploads/2026'].map(
      (rel) => [rel, Math.floor(lstatSync(path.join(w.folder, rel)).mtimeMs / 1000)] as const,
    );
    // Written in the second the backup begins, 300–500 ms before it: to the second that would
    // be the racy case; to the millisecond it is known unchanged.
    while (Date.now() % 1000 < 500 || Date.now() % 1000 > 700) await new Promise((r) => setTimeout(r, 10));
    const recent = (Math.floor(Date.now() / 1000) * 1000 + 201) / 1000;
    utimesSync(path.join(w.folder, '.env'), recent, recent);
    const backup = await w.services.backups.create({ component: 'demo', type: 'full' });
    const prev = previousTreeOf(w.folder);
    // Since the backup: one file of the previous tree changed (new bytes, a new time), a file
    // appeared in it, and a link there points elsewhere now.
    write(prev, 'lib/changed.js', 'exports.changed = "edited";\n');
    write(prev, 'lib/stray.log', 'written after the backup\n');
    rmSync(path.join(prev, 'util-link.js'));
    symlinkSync('app.js', path.join(prev, 'util-link.js'));
    const keptInode = lstatSync(path.join(prev, 'lib/deep/a/b/c.js')).ino;
    newReleaseIn(w.folder);
    // The new release changed one carried user file; .env it left alone.
    write(w.folder, 'uploads/photo.jpg', 'a photo the new release rewrote');
    const envInode = lstatSync(path.join(w.folder, '.env')).ino;

    const result = await w.services.backups.restore({ backupId: backup.id, safetyBackup: false, reuse: prev });
    await w.services.backups.settled?.();
    await trashSettled();

    const reused = state(w.folder);
    // lib/changed.js, util-link.js and uploads/photo.jpg from the archive; .env and scan.pdf copied.
    expect(result.reused).toEqual({ kept: 7, copied: 2, extracted: 3 });
    expect(result.files).toBe(backup.file_count);
    expect(lstatSync(path.join(w.folder, 'lib/deep/a/b/c.js')).ino).toBe(keptInode);
    // A copy, not a link: the failed release may still write to its own files.
    expect(lstatSync(path.join(w.folder, '.env')).ino).not.toBe(envInode);
    expect(readFileSync(path.join(w.folder, '.env'), 'utf8')).toBe('SECRET=1\n');
    expect(readFileSync(path.join(w.folder, 'uploads/photo.jpg'), 'utf8')).toBe('a user photo');
    expect(readFileSync(path.join(w.folder, 'lib/changed.js'), 'utf8')).toBe('exports.changed = 1;\n');
    expect(existsSync(path.join(w.folder, 'lib/stray.log'))).toBe(false);
    for (const [rel, time] of dirTimes) expect(reused, rel).toContain(`T ${rel} ${time}`);
    // The same files, links, modes and folder times as the archive alone gives (the original's,
    // but for the read-only folder, which every restore leaves writable by its owner).
    expect(reused).toEqual(await plainRestore(w, backup.id));
    expect(treeListing(w.folder)).toEqual(asRestored(expected));
    expect(existsSync(prev)).toBe(false);
    expect(readdirSync(path.dirname(w.folder)).filter((n) => n.includes('upkeep-'))).toEqual([]);
  });

  it('never trusts a file whose recorded time is not before the backup began, nor a database', async () => {
    w = backupWorld();
    appFolder(w.folder);
    // A database's entry holds its consistent copy's bytes under the live file's time.
    write(w.folder, 'db/app.db', 'not even SQLite, but named like a database');
    age(w.folder);
    chmodSync(path.join(w.folder, 'ro'), 0o555);
    // Times not before the backup began (here: ahead of it, to the second and to the
    // millisecond), then changed again with the same size and time: the size-and-time check
    // alone would take the wrong bytes.
    const future = Math.floor(Date.now() / 1000) + 600;
    utimesSync(path.join(w.folder, 'docs/readme.md'), future, future);
    utimesSync(path.join(w.folder, 'lib/util.js'), future + 0.25, future + 0.25);
    const backup = await w.services.backups.create({ component: 'demo', type: 'full' });
    const prev = previousTreeOf(w.folder);
    write(prev, 'docs/readme.md', '# Ppp\n');
    utimesSync(path.join(prev, 'docs/readme.md'), future, future);
    write(prev, 'lib/util.js', 'exports.util = 9;\n');
    utimesSync(path.join(prev, 'lib/util.js'), future + 0.25, future + 0.25);
    newReleaseIn(w.folder);

    const result = await w.services.backups.restore({ backupId: backup.id, safetyBackup: false, reuse: prev });
    await w.services.backups.settled?.();

    expect(readFileSync(path.join(w.folder, 'docs/readme.md'), 'utf8')).toBe('# App\n');
    expect(readFileSync(path.join(w.folder, 'lib/util.js'), 'utf8')).toBe('exports.util = 1;\n');
    expect(result.reused?.extracted).toBe(3);
    expect(state(w.folder)).toEqual(await plainRestore(w, backup.id));
  });

  it('links no file from the live folder through a link that leads out of it', async () => {
    w = backupWorld();
    appFolder(w.folder);
    const backup = await w.services.backups.create({ component: 'demo', type: 'full' });
    const prev = previousTreeOf(w.folder);
    newReleaseIn(w.folder);
    // The new release made uploads/ a link to a folder elsewhere holding look-alikes of the user's files.
    const outside = path.join(w.root, 'outside');
    spawnSync('cp', ['-a', path.join(w.folder, 'uploads'), outside]);
    rmSync(path.join(w.folder, 'uploads'), { recursive: true });
    symlinkSync(outside, path.join(w.folder, 'uploads'));

    const result = await w.services.backups.restore({ backupId: backup.id, safetyBackup: false, reuse: prev });
    await w.services.backups.settled?.();

    expect(result.reused).toEqual({ kept: 9, copied: 1, extracted: 2 });
    expect(lstatSync(path.join(w.folder, 'uploads')).isDirectory()).toBe(true);
    expect(lstatSync(path.join(w.folder, 'uploads/photo.jpg')).ino).not.toBe(
      lstatSync(path.join(outside, 'photo.jpg')).ino,
    );
    expect(state(w.folder)).toEqual(await plainRestore(w, backup.id));
  });

  it('takes a file changed in the tree from the archive, even when the new release has a look-alike of it', async () => {
    w = backupWorld();
    appFolder(w.folder);
    const backup = await w.services.backups.create({ component: 'demo', type: 'full' });
    const recorded = backup.id;
    const prev = previousTreeOf(w.folder);
    write(prev, 'lib/changed.js', 'exports.changed = 2;\n');
    // A link where the backup has a folder: it goes, and the folder comes back with its files.
    rmSync(path.join(prev, 'docs'), { recursive: true });
    symlinkSync('lib', path.join(prev, 'docs'));
    newReleaseIn(w.folder);
    // Release tarballs often give every file one fixed time: the new release's file has the
    // recorded size, mode and time, and other bytes.
    write(w.folder, 'lib/changed.js', 'exports.changed = 3;\n');
    utimesSync(path.join(w.folder, 'lib/changed.js'), PAST, PAST);

    const result = await w.services.backups.restore({ backupId: recorded, safetyBackup: false, reuse: prev });
    await w.services.backups.settled?.();

    expect(readFileSync(path.join(w.folder, 'lib/changed.js'), 'utf8')).toBe('exports.changed = 1;\n');
    expect(lstatSync(path.join(w.folder, 'docs')).isDirectory()).toBe(true);
    expect(readFileSync(path.join(w.folder, 'docs/readme.md'), 'utf8')).toBe('# App\n');
    // lib/changed.js and docs/readme.md from the archive; .env and both uploads copied.
    expect(result.reused).toEqual({ kept: 7, copied: 3, extracted: 2 });
    expect(state(w.folder)).toEqual(await plainRestore(w, recorded));
  });

  it('fails on a damaged archive it needs, with the folder as it was and nothing left beside it', async () => {
    w = backupWorld();
    appFolder(w.folder);
    const backup = await w.services.backups.create({ component: 'demo', type: 'full' });
    const prev = previousTreeOf(w.folder);
    write(prev, 'lib/changed.js', 'exports.changed = 2;\n');
    newReleaseIn(w.folder);
    const live = state(w.folder);
    const archive = readFileSync(backup.archive);
    const middle = Math.floor(archive.length / 2);
    archive[middle] = (archive[middle] as number) ^ 0xff;
    writeFileSync(backup.archive, archive);

    await expect(
      w.services.backups.restore({ backupId: backup.id, safetyBackup: false, reuse: prev }),
    ).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
    await w.services.backups.settled?.();
    await trashSettled();

    expect(state(w.folder)).toEqual(live);
    expect(readdirSync(path.dirname(w.folder))).toEqual(['demo']);
  });

  it('ignores a tree that is not one an update set aside beside the folder', async () => {
    w = backupWorld();
    appFolder(w.folder);
    const backup = await w.services.backups.create({ component: 'demo', type: 'full' });
    const elsewhere = path.join(w.root, 'somewhere-else');
    expect(spawnSync('cp', ['-a', w.folder, elsewhere]).status).toBe(0);
    chmodSync(path.join(elsewhere, 'ro'), 0o755);
    newReleaseIn(w.folder);

    const result = await w.services.backups.restore({ backupId: backup.id, safetyBackup: false, reuse: elsewhere });
    await w.services.backups.settled?.();

    expect(result.reused).toBeUndefined();
    expect(readFileSync(path.join(elsewhere, 'app.js'), 'utf8')).toBe('console.log("v1")\n');
    expect(readFileSync(path.join(w.folder, 'app.js'), 'utf8')).toBe('console.log("v1")\n');
  });

  it('restores from the archive alone when most of the tree changed, and leaves the tree where it was', async () => {
    w = backupWorld();
    appFolder(w.folder);
    const expected = treeListing(w.folder);
    const backup = await w.services.backups.create({ component: 'demo', type: 'full' });
    const prev = previousTreeOf(w.folder);
    for (const rel of ['app.js', 'lib/util.js', 'lib/changed.js', 'lib/deep/a/b/c.js', 'bin/run', 'docs/readme.md'])
      write(prev, rel, 'rewritten\n');
    newReleaseIn(w.folder);
    rmSync(path.join(w.folder, '.env'));

    const result = await w.services.backups.restore({ backupId: backup.id, safetyBackup: false, reuse: prev });
    await w.services.backups.settled?.();

    expect(result.reused).toBeUndefined();
    expect(treeListing(w.folder)).toEqual(asRestored(expected));
    expect(readFileSync(path.join(w.folder, 'app.js'), 'utf8')).toBe('console.log("v1")\n');
    expect(readFileSync(path.join(prev, 'app.js'), 'utf8')).toBe('rewritten\n');
    chmodSync(path.join(prev, 'ro'), 0o755);
  });

  it('restores from the archive alone when the tree cannot be read', async () => {
    w = backupWorld();
    appFolder(w.folder);
    const expected = treeListing(w.folder);
    const backup = await w.services.backups.create({ component: 'demo', type: 'full' });
    const notATree = path.join(w.root, 'apps', '.demo.upkeep-old-test');
    writeFileSync(notATree, 'a file where the tree should be');
    newReleaseIn(w.folder);

    const result = await w.services.backups.restore({ backupId: backup.id, safetyBackup: false, reuse: notATree });
    await w.services.backups.settled?.();

    expect(result.reused).toBeUndefined();
    expect(treeListing(w.folder)).toEqual(asRestored(expected));
    expect(readFileSync(path.join(w.folder, 'app.js'), 'utf8')).toBe('console.log("v1")\n');
    expect(readFileSync(notATree, 'utf8')).toBe('a file where the tree should be');
  });
}

describe('a restore built from the tree an update replaced', () => {
  reuseCases();
});

describe('a restore built from the tree an update replaced, through the backup worker thread', () => {
  useBuiltBackupWorker();
  reuseCases();
});

describe('what counts as unchanged since the backup', () => {
  const began = Date.UTC(2026, 11, 8, 12, 0, 0, 500);
  const entry = (mtime: number, p = 'lib/a.js') => ({ path: p, type: 'file', size: 10, mode: 0o644, mtime }) as const;
  const stat = (mtimeMs: number, extra: Partial<{ size: number; mode: number; file: boolean }> = {}) => ({
    size: extra.size ?? 10,
    mode: 0o100000 | (extra.mode ?? 0o644),
    mtimeMs,
    isFile: () => extra.file ?? true,
  });

  it('takes a time to the millisecond at least 100 ms before the backup began', () => {
    const t = began - 101;
    expect(unchanged(stat(t + 0.4), entry(t / 1000), began)).toBe(true);
    expect(unchanged(stat(t + 1), entry(t / 1000), began)).toBe(false);
    const racy = began - 99;
    expect(unchanged(stat(racy), entry(racy / 1000), began)).toBe(false);
    expect(unchanged(stat(began + 5), entry((began + 5) / 1000), began)).toBe(false);
  });

  it('takes a whole-second time only when its second ended 2 s before the backup began', () => {
    const second = Math.floor(began / 1000);
    expect(unchanged(stat((second - 3) * 1000 + 700), entry(second - 3), began)).toBe(true);
    // The second the backup began in, and the two before it: a change then may keep the second.
    for (const s of [second, second - 1, second - 2])
      expect(unchanged(stat(s * 1000 + 300), entry(s), began), String(s)).toBe(false);
    expect(unchanged(stat((second - 4) * 1000), entry(second - 3), began)).toBe(false);
  });

  it('never takes a database, another size or mode, or what is not a file', () => {
    const t = (began - 5000) / 1000;
    expect(unchanged(stat(t * 1000), entry(t, 'db/app.sqlite'), began)).toBe(false);
    expect(unchanged(stat(t * 1000), entry(t, 'data/app.DB'), began)).toBe(false);
    expect(unchanged(stat(t * 1000, { size: 11 }), entry(t), began)).toBe(false);
    expect(unchanged(stat(t * 1000, { mode: 0o755 }), entry(t), began)).toBe(false);
    expect(unchanged(stat(t * 1000, { mode: 0o4644 }), entry(t), began)).toBe(false);
    expect(unchanged(stat(t * 1000, { file: false }), entry(t), began)).toBe(false);
    expect(unchanged(stat(t * 1000), entry(t), began)).toBe(true);
  });
});
