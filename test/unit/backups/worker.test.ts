import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UpkeepError } from '../../../shared/errors';
import { backupWorkerRuns, extractArchiveIsolated } from '../../../electron/core/backups/in-worker';
import { makeTree, treeListing } from '../archive/fixtures';
import { useBuiltBackupWorker } from './built-worker';
import { canMountTmpfs, fillOnFirst, mountTmpfs, unmountAll } from '../../helpers/tmpfs';
import { backupWorld } from './setup';

const MOUNTABLE = canMountTmpfs();

// The hosts run backups through the worker thread built beside their bundle; the other tests run
// the TypeScript sources, where there is none. Here the worker is built and used for real.
describe('backups through the worker thread', () => {
  useBuiltBackupWorker();
  afterEach(() => unmountAll());

  it('creates, verifies and restores byte-identically', async () => {
    const { folder, services, home } = backupWorld();
    makeTree(folder, { large: true });
    const before = treeListing(folder);
    const runs = backupWorkerRuns().worker;
    const backup = await services.backups.create({ component: 'demo', includeLogs: true });
    expect(backup.file_count).toBeGreaterThan(0);
    expect((await services.backups.verify(backup.id)).ok).toBe(true);
    writeFileSync(path.join(folder, 'added.txt'), 'new');
    await services.backups.restore({ backupId: backup.id, safetyBackup: false });
    expect(treeListing(folder)).toEqual(before);
    expect(readdirSync(path.join(home, 'backups', 'demo')).some((n) => n.endsWith('.tar.zst'))).toBe(true);
    // the backup (scan and archive), verify, extract: all in the worker, none fell back to this thread
    expect(backupWorkerRuns().worker - runs).toBe(3);
    expect(backupWorkerRuns().fallback).toBe(0);
  });

  it('starts the worker of a restore or verification ahead, and uses that thread', async () => {
    const { folder, services } = backupWorld();
    makeTree(folder);
    const backup = await services.backups.create({ component: 'demo' });
    const before = backupWorkerRuns();
    // A restore that fails before extracting leaves its thread started for the next one.
    await expect(
      services.backups.restore({ backupId: 'demo-20200101-000000-0000', safetyBackup: false }),
    ).rejects.toThrow(/No backup/);
    expect(backupWorkerRuns().threads - before.threads).toBe(1); // started before the backup was looked up
    expect((await services.backups.verify(backup.id)).ok).toBe(true);
    await services.backups.restore({ backupId: backup.id, safetyBackup: false });
    const after = backupWorkerRuns();
    expect(after.worker - before.worker).toBe(2);
    expect(after.threads - before.threads).toBe(2);
    expect(after.fallback).toBe(before.fallback);
  });

  it("runs a backup's scan, database copies and archive as one job in one thread, reporting each phase", async () => {
    const { folder, services, root } = backupWorld();
    makeTree(folder);
    mkdirSync(path.join(folder, 'db'), { recursive: true });
    execFileSync('sqlite3', [path.join(folder, 'db', 'app.db'), 'create table t(x); insert into t values (1);']);
    const phases: string[] = [];
    services.events.on('backup_progress', (p: { phase: string }) => {
      if (phases.at(-1) !== p.phase) phases.push(p.phase);
    });
    const before = backupWorkerRuns();
    const backup = await services.backups.create({ component: 'demo' });
    const after = backupWorkerRuns();
    expect(after.worker - before.worker).toBe(1);
    expect(after.threads - before.threads).toBe(1);
    expect(phases).toEqual(['scanning', 'copying-databases', 'archiving', 'done']);
    // The database came through the copy (its manifest record is there, its bytes restore).
    const out = path.join(root, 'check');
    mkdirSync(out);
    execFileSync('tar', ['xf', backup.archive, '-C', out]);
    expect(
      execFileSync('sqlite3', [path.join(out, 'db', 'app.db'), 'select count(*) from t'], { encoding: 'utf8' }).trim(),
    ).toBe('1');
  });

  it("brings the worker's errors back with their codes", async () => {
    const { folder, services, home } = backupWorld();
    makeTree(folder);
    const backup = await services.backups.create({ component: 'demo' });
    const archive = path.join(
      home,
      'backups',
      'demo',
      readdirSync(path.join(home, 'backups', 'demo')).find((n) => n.endsWith('.tar.zst')) as string,
    );
    appendFileSync(archive, 'x');
    const verify = await services.backups.verify(backup.id);
    expect(verify.ok).toBe(false);
    expect(verify.error?.code).toBe('BACKUP_CORRUPT');
    const error = await services.backups.restore({ backupId: backup.id, safetyBackup: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpkeepError);
    expect((error as UpkeepError).code).toBe('BACKUP_CORRUPT');
  });

  it('refuses a restore in which one file differs from its recorded checksum, and leaves the folder as it was', async () => {
    const { folder, services, home } = backupWorld();
    makeTree(folder, { large: true });
    const backup = await services.backups.create({ component: 'demo' });
    // The archive's own checksum still matches: only one file's record differs.
    const manifestPath = path.join(home, 'backups', 'demo', `${backup.id}.json`);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      entries: { path: string; type: string; sha256?: string }[];
    };
    const victim = manifest.entries.filter((e) => e.type === 'file').at(-1) as { path: string; sha256: string };
    victim.sha256 = victim.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    writeFileSync(manifestPath, JSON.stringify(manifest));
    writeFileSync(path.join(folder, 'added.txt'), 'new');
    const before = treeListing(folder);
    const runs = backupWorkerRuns();
    const error = await services.backups.restore({ backupId: backup.id, safetyBackup: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpkeepError);
    expect((error as UpkeepError).code).toBe('BACKUP_CORRUPT');
    expect((error as UpkeepError).message).toContain(`file ${JSON.stringify(victim.path)} does not match its checksum`);
    // It was the worker that extracted (no fallback to this thread).
    expect(backupWorkerRuns().worker - runs.worker).toBe(1);
    expect(backupWorkerRuns().fallback).toBe(runs.fallback);
    expect(treeListing(folder)).toEqual(before);
    expect(readdirSync(path.dirname(folder))).toEqual([path.basename(folder)]);
    // The worker was still writing when this thread found the bad file: it was stopped before the
    // restore returned, so nothing appears afterwards.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(readdirSync(path.dirname(folder))).toEqual([path.basename(folder)]);
  });

  it("stops reading when the writing thread fails, and returns the writer's error", async () => {
    const { folder, services, home, root } = backupWorld();
    makeTree(folder, { large: true });
    const backup = await services.backups.create({ component: 'demo' });
    const manifest = JSON.parse(readFileSync(path.join(home, 'backups', 'demo', `${backup.id}.json`), 'utf8')) as {
      sha256: string;
      entries: { path: string; type: string; size: number; sha256?: string }[];
    };
    // The staging folder cannot be made: its parent is a file.
    writeFileSync(path.join(root, 'not-a-folder'), '');
    const runs = backupWorkerRuns();
    const error = await extractArchiveIsolated({
      archive: backup.archive,
      dest: path.join(root, 'not-a-folder', 'staging'),
      expect: { archiveSha256: manifest.sha256, entries: manifest.entries },
      ownZstdFrames: true,
      damagedCode: 'BACKUP_CORRUPT',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpkeepError);
    expect((error as UpkeepError).message).toMatch(/ENOTDIR/);
    expect(backupWorkerRuns().worker - runs.worker).toBe(1);
    expect(backupWorkerRuns().fallback).toBe(runs.fallback);
  });

  it.skipIf(!MOUNTABLE)(
    'ends a restore whose disk fills while the worker writes with INSUFFICIENT_SPACE, the folder as it was and nothing left beside it',
    async () => {
      const { folder, services } = backupWorld();
      services.settings.set({ min_free_space_mb: 0 });
      makeTree(folder, { large: true });
      const backup = await services.backups.create({ component: 'demo' });
      // The folder's parent moves onto a 32 MiB tmpfs (the staging folder is made beside the folder).
      const apps = path.dirname(folder);
      const aside = `${apps}.aside`;
      execFileSync('mv', [apps, aside]);
      mountTmpfs(apps, '32m');
      execFileSync('cp', ['-a', `${aside}/.`, apps]);
      rmSync(aside, { recursive: true, force: true });
      writeFileSync(path.join(folder, 'added.txt'), 'new');
      const before = treeListing(folder);
      // The free-space check has passed once the restore reports progress: then the disk fills.
      const filled = fillOnFirst((listener) => services.events.on('backup_progress', listener), apps);
      const runs = backupWorkerRuns();
      const error = await services.backups
        .restore({ backupId: backup.id, safetyBackup: false })
        .catch((e: unknown) => e);
      expect(filled()).toBe(true);
      expect(error).toBeInstanceOf(UpkeepError);
      expect((error as UpkeepError).code, (error as Error).message).toBe('INSUFFICIENT_SPACE');
      expect(backupWorkerRuns().worker - runs.worker).toBe(1);
      expect(treeListing(folder)).toEqual(before);
      expect(readdirSync(apps).sort()).toEqual([path.basename(folder), 'filler.bin']);
    },
  );

  it('refuses a restore whose archive does not match the recorded checksum, hashed beside the worker, and leaves the folder as it was', async () => {
    const { folder, services, home } = backupWorld();
    makeTree(folder);
    const backup = await services.backups.create({ component: 'demo' });
    // The archive itself is intact (every file matches): only its recorded checksum differs.
    const manifestPath = path.join(home, 'backups', 'demo', `${backup.id}.json`);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { sha256: string };
    manifest.sha256 = manifest.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    writeFileSync(manifestPath, JSON.stringify(manifest));
    writeFileSync(path.join(folder, 'added.txt'), 'new');
    const before = treeListing(folder);
    const runs = backupWorkerRuns().worker;
    const error = await services.backups.restore({ backupId: backup.id, safetyBackup: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpkeepError);
    expect((error as UpkeepError).code).toBe('BACKUP_CORRUPT');
    expect((error as UpkeepError).message).toContain('checksum does not match the manifest');
    expect(backupWorkerRuns().worker - runs).toBe(1);
    expect(treeListing(folder)).toEqual(before);
    expect(readdirSync(path.dirname(folder))).toEqual([path.basename(folder)]);
  });

  it('extracts a release tarball into a folder on two threads: top folder stripped, setuid bits dropped, every file as in the tree', async () => {
    const { root } = backupWorld();
    const release = path.join(root, 'app-1.2.0');
    makeTree(release, { large: true });
    writeFileSync(path.join(release, 'run.sh'), '#!/bin/sh\n');
    execFileSync('chmod', ['4755', path.join(release, 'run.sh')]);
    const tarball = path.join(root, 'release.tar.gz');
    execFileSync('tar', ['czf', tarball, '-C', root, 'app-1.2.0']);
    const runs = backupWorkerRuns();
    const staging = path.join(root, 'staging');
    const result = await extractArchiveIsolated({
      archive: tarball,
      dest: staging,
      stripTopFolder: true,
      specialBits: 'strip',
      zip: true,
      signal: new AbortController().signal,
    });
    expect(result.topFolder).toBe('app-1.2.0');
    // Every file's sha256 comes back (the update's swap plans with them instead of reading each file again).
    const files = result.entries.filter((e) => e.type === 'file');
    expect(files.length).toBeGreaterThan(0);
    for (const e of files) expect(e.sha256, e.path).toMatch(/^[0-9a-f]{64}$/);
    expect(treeListing(staging)).toEqual(
      treeListing(release).map((line) => line.replace(/^(run\.sh.*)4755/, '$10755')),
    );
    expect((statSync(path.join(staging, 'run.sh')).mode & 0o7777).toString(8)).toBe('755');
    // A release with a signal goes to the worker too (it used to stay on this thread).
    expect(backupWorkerRuns().worker - runs.worker).toBe(1);
    expect(backupWorkerRuns().fallback).toBe(runs.fallback);
  });

  it('stops an extraction on two threads when its signal fires: CANCELLED, and the writer is stopped with it', async () => {
    const { root } = backupWorld();
    const release = path.join(root, 'app');
    makeTree(release, { large: true });
    for (let i = 0; i < 2000; i++) writeFileSync(path.join(release, `f${i}.txt`), `file ${i}\n`.repeat(50));
    const tarball = path.join(root, 'release.tar.gz');
    execFileSync('tar', ['czf', tarball, '-C', root, 'app']);
    const stop = new AbortController();
    const staging = path.join(root, 'staging');
    const error = await extractArchiveIsolated({
      archive: tarball,
      dest: staging,
      stripTopFolder: true,
      signal: stop.signal,
      onProgress: () => stop.abort(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpkeepError);
    expect((error as UpkeepError).code).toBe('CANCELLED');
    // The writer stopped part-way: the folder holds fewer files than the release.
    const written = existsSync(staging) ? treeListing(staging).length : 0;
    expect(written).toBeLessThan(treeListing(release).length);
  });
});
