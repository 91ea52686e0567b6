import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackupStore } from '../../../electron/core/backups/store';
import { createServices } from '../../../electron/core/services';
import { treeListing } from '../archive/fixtures';
import { useBuiltBackupWorker } from './built-worker';
import { backupWorld } from './setup';

/** A folder with text and one incompressible file (stored as raw blocks: its bytes appear as they are in the archive). */
function fill(folder: string): Buffer {
  mkdirSync(path.join(folder, 'lib'), { recursive: true });
  for (let i = 0; i < 20; i++)
    writeFileSync(path.join(folder, 'lib', `m${i}.js`), `module.exports = ${i};\n`.repeat(50));
  const media = randomBytes(256 * 1024);
  writeFileSync(path.join(folder, 'photo.jpg'), media);
  writeFileSync(path.join(folder, '.env'), 'SECRET=1\n');
  return media;
}

const recordOf = (archive: string) => archive.replace(/\.tar(\.gz|\.zst)?$/, '.verified');

describe('backups: verification kept with the backup', () => {
  it('a backup never checked is not verified; a verify is kept beside it and survives a restart; delete removes it', async () => {
    const { home, folder, services } = backupWorld();
    fill(folder);
    const backup = await services.backups.create({ component: 'demo' });
    expect(backup.verification).toBeNull();
    expect((await services.backups.list()).backups[0]?.verification).toBeNull();

    const result = await services.backups.verify(backup.id);
    expect(result.ok).toBe(true);
    const [listed] = (await services.backups.list()).backups;
    expect(listed?.verification).toMatchObject({ ok: true, by: 'verify', files: backup.file_count });
    expect(Date.parse(listed?.verification?.at ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(existsSync(recordOf(backup.archive))).toBe(true);

    // Another process (or the app after a restart) reads the same record.
    const again = createServices({ home, host: 'cli' });
    expect((await again.backups.get(backup.id)).verification).toMatchObject({ ok: true, by: 'verify' });

    await services.backups.delete(backup.id);
    expect(readdirSync(path.dirname(backup.archive))).toEqual([]);
  });

  it('damage found by a verify is kept as damage; a record about another archive is not believed', async () => {
    const { folder, services } = backupWorld();
    fill(folder);
    const backup = await services.backups.create({ component: 'demo' });
    const bytes = readFileSync(backup.archive);
    const original = Buffer.from(bytes);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] as number) ^ 0x01;
    writeFileSync(backup.archive, bytes);
    expect((await services.backups.verify(backup.id)).error?.code).toBe('BACKUP_CORRUPT');
    expect((await services.backups.get(backup.id)).verification).toMatchObject({
      ok: false,
      by: 'verify',
      error: { code: 'BACKUP_CORRUPT' },
    });

    // A record naming a different archive (the archive replaced since) says nothing about this one.
    writeFileSync(backup.archive, original);
    const record = JSON.parse(readFileSync(recordOf(backup.archive), 'utf8')) as Record<string, unknown>;
    writeFileSync(
      recordOf(backup.archive),
      JSON.stringify({ ...record, ok: true, error: null, archive_sha256: 'f'.repeat(64) }),
    );
    expect((await services.backups.get(backup.id)).verification).toBeNull();
    // Nor does a damaged one.
    writeFileSync(recordOf(backup.archive), '{"id":');
    expect((await services.backups.get(backup.id)).verification).toBeNull();
  });

  it('a record counts only for the archive file it read: rewritten, gone or a stray, it is not believed or kept', async () => {
    const { folder, services } = backupWorld();
    fill(folder);
    const backup = await services.backups.create({ component: 'demo' });
    expect((await services.backups.verify(backup.id)).ok).toBe(true);
    expect((await services.backups.list()).backups[0]?.verification?.ok).toBe(true);
    // The same bytes written again (a copy put back, a restore from elsewhere): not the file that was read.
    writeFileSync(backup.archive, readFileSync(backup.archive));
    expect((await services.backups.list()).backups[0]?.verification).toBeNull();
    expect((await services.backups.get(backup.id)).verification).toBeNull();
    // Checked again: believed again.
    expect((await services.backups.verify(backup.id)).ok).toBe(true);
    const kept = readFileSync(recordOf(backup.archive), 'utf8');
    expect((await services.backups.get(backup.id)).verification?.ok).toBe(true);

    // A missing archive says nothing about the bytes: the record is left as it was, and shows as none.
    const archive = readFileSync(backup.archive);
    rmSync(backup.archive);
    expect((await services.backups.verify(backup.id)).error?.code).toBe('BACKUP_NOT_FOUND');
    expect(readFileSync(recordOf(backup.archive), 'utf8')).toBe(kept);
    writeFileSync(backup.archive, archive);

    // A record whose backup is gone (a crash between the two removals) is removed by the next list.
    const stray = path.join(path.dirname(backup.archive), 'demo-20260101-000000-abcd.verified');
    writeFileSync(stray, kept);
    await services.backups.list();
    expect(existsSync(stray)).toBe(false);
    expect(existsSync(recordOf(backup.archive))).toBe(true);
  });

  it('a whole restore of a backup never checked keeps its check; an update keeps its read-back', async () => {
    const { folder, services } = backupWorld();
    fill(folder);
    const backup = await services.backups.create({ component: 'demo' });
    await services.backups.restore({ backupId: backup.id, safetyBackup: false });
    expect((await services.backups.get(backup.id)).verification).toMatchObject({
      ok: true,
      by: 'restore',
      files: backup.file_count,
    });
    // An update's read-back goes through verify with who asked.
    const second = await services.backups.create({ component: 'demo' });
    await services.backups.verify(second.id, 'read-back');
    expect((await services.backups.get(second.id)).verification).toMatchObject({ ok: true, by: 'read-back' });
  });
});

/** Restores that rely on a kept check, in the host's thread and through the built backup worker (as the hosts run them). */
function restoreCases(): void {
  it('a restore of a backup read whole before still refuses an archive changed since, before anything is swapped in', async () => {
    const { folder, services } = backupWorld();
    const media = fill(folder);
    const backup = await services.backups.create({ component: 'demo' });
    expect((await services.backups.verify(backup.id)).ok).toBe(true);
    // One byte of the stored photo changed in place, as the disk would (the file's time left as it
    // was, so the record still names this file): every frame still decodes, only the bytes differ.
    const { mtimeNs } = statSync(backup.archive, { bigint: true });
    const bytes = readFileSync(backup.archive);
    const at = bytes.indexOf(media.subarray(100_000, 100_064));
    expect(at).toBeGreaterThan(0);
    bytes[at + 10] = (bytes[at + 10] as number) ^ 0x01;
    writeFileSync(backup.archive, bytes);
    const ns = String(mtimeNs % 1_000_000_000n).padStart(9, '0');
    expect(spawnSync('touch', ['-m', '-d', `@${mtimeNs / 1_000_000_000n}.${ns}`, backup.archive]).status).toBe(0);
    expect(statSync(backup.archive, { bigint: true }).mtimeNs).toBe(mtimeNs);
    expect((await services.backups.get(backup.id)).verification?.ok).toBe(true);
    writeFileSync(path.join(folder, '.env'), 'SECRET=2\n');
    const before = treeListing(folder);

    const error = await services.backups.restore({ backupId: backup.id, safetyBackup: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKUP_CORRUPT' });
    // Refused by the archive's checksum (no file's digest was computed to find it).
    expect((error as Error).message).toContain('its sha256 is');
    expect(treeListing(folder)).toEqual(before);
    expect(readdirSync(path.dirname(folder))).toEqual(['demo']);
    // The damage the restore found is kept: the list no longer says Verified.
    expect((await services.backups.get(backup.id)).verification).toMatchObject({
      ok: false,
      by: 'restore',
      error: { code: 'BACKUP_CORRUPT' },
    });
  });

  it("a restore relies on the archive's checksum only for a backup this same Upkeep read whole, and keeps a whole check it made itself", async () => {
    const { home, folder, services } = backupWorld();
    fill(folder);
    const backup = await services.backups.create({ component: 'demo' });
    const manifestPath = backup.archive.replace(/\.tar(\.gz|\.zst)?$/, '.json');
    // A manifest whose digest of one file is wrong while the archive's is right: only hashing the files sees it.
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { entries: { path: string; sha256?: string }[] };
    const entry = manifest.entries.find((e) => e.path === 'lib/m3.js');
    if (!entry) throw new Error('lib/m3.js is not in the manifest');
    entry.sha256 = '0'.repeat(64);
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const store = (appVersion: string) =>
      new BackupStore({
        backupsDir: path.join(home, 'backups'),
        historyFile: path.join(home, 'history.jsonl'),
        appVersion,
        component: (id) => ({ id, folder, sets: { exclude: [] } }),
        settings: () => ({
          backup_max_per_component: 100,
          backup_max_age_days: 0,
          backup_disk_budget_mb: 0,
          min_free_space_mb: 0,
        }),
      });
    // Never read whole: every file is hashed, and the restore refuses.
    const first = await store('1.0.0')
      .restore({ backupId: backup.id, safetyBackup: false })
      .catch((e: unknown) => e);
    expect(first).toMatchObject({ code: 'BACKUP_CORRUPT' });
    expect((first as Error).message).toContain('lib/m3.js');

    // A record of a whole read by another version of Upkeep is shown, but not relied on.
    const st = statSync(backup.archive, { bigint: true });
    const record = {
      id: backup.id,
      archive_sha256: backup.sha256,
      archive_file: { size: String(st.size), ino: String(st.ino), dev: String(st.dev), mtime_ns: String(st.mtimeNs) },
      ok: true,
      at: new Date().toISOString(),
      files: backup.file_count,
      by: 'read-back',
      app_version: '0.9.0',
      error: null,
    };
    writeFileSync(recordOf(backup.archive), JSON.stringify(record));
    const other = await store('1.0.0')
      .restore({ backupId: backup.id, safetyBackup: false })
      .catch((e: unknown) => e);
    expect(other).toMatchObject({ code: 'BACKUP_CORRUPT' });

    // Read whole by this version: the files' digests are not computed again (the archive's sha256 covers them).
    writeFileSync(recordOf(backup.archive), JSON.stringify({ ...record, app_version: '1.0.0' }));
    const restored = await store('1.0.0').restore({ backupId: backup.id, safetyBackup: false });
    expect(restored.files).toBe(backup.file_count);
    expect(readFileSync(path.join(folder, '.env'), 'utf8')).toBe('SECRET=1\n');
  });
}

describe('backups: restores of a backup read whole before, in one thread', () => {
  restoreCases();
});

describe('backups: restores of a backup read whole before, through the backup worker', () => {
  useBuiltBackupWorker();
  restoreCases();
});
