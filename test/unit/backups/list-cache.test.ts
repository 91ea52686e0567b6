import { copyFileSync, promises as fsp, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackupStore } from '../../../electron/core/backups/store';
import type { BackupInfo } from '../../../shared/types';
import { backupWorld } from './setup';

/** A world with one real backup of a small folder. */
async function worldWithBackup() {
  const world = backupWorld({ data: ['data/'] });
  await fsp.mkdir(path.join(world.folder, 'data'), { recursive: true });
  for (let i = 0; i < 3; i += 1) writeFileSync(path.join(world.folder, 'data', `f-${i}.txt`), `file ${i}\n`.repeat(20));
  const backup = await world.services.backups.create({ component: 'demo', name: 'first', type: 'data' });
  return { ...world, backup, dir: path.join(world.home, 'backups', 'demo') };
}

/** `count` more backups of `demo`: copies of `source` under new ids and dates (valid manifests and archives). */
function cloneBackups(dir: string, source: BackupInfo, count: number): string[] {
  const manifest = JSON.parse(readFileSync(path.join(dir, `${source.id}.json`), 'utf8')) as Record<string, unknown>;
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const seconds = String(i % 60).padStart(2, '0');
    const minutes = String(Math.floor(i / 60)).padStart(2, '0');
    const id = `demo-20240101-00${minutes}${seconds}-${i.toString(16).padStart(4, '0')}`;
    const archive = `${id}.tar.gz`;
    copyFileSync(source.archive, path.join(dir, archive));
    writeFileSync(
      path.join(dir, `${id}.json`),
      `${JSON.stringify({ ...manifest, id, archive, name: `clone ${i}`, created_at: `2024-01-01T00:${minutes}:${seconds}.000Z` })}\n`,
    );
    ids.push(id);
  }
  return ids;
}

/** A store over the world's backups that counts manifest reads by file. */
function countingStore(home: string, folder: string) {
  const reads = new Map<string, number>();
  const store = new BackupStore({
    backupsDir: path.join(home, 'backups'),
    historyFile: path.join(home, 'history.jsonl'),
    appVersion: 'test',
    component: (id) => ({ id, folder, sets: { data: ['data/'] } }),
    settings: () => ({
      backup_max_per_component: 1000,
      backup_max_age_days: 0,
      backup_disk_budget_mb: 0,
      min_free_space_mb: 0,
    }),
    readManifestText: (file) => {
      reads.set(file, (reads.get(file) ?? 0) + 1);
      return fsp.readFile(file, 'utf8');
    },
  });
  return { store, reads };
}

async function allPages(
  list: (filter: { limit: number; offset: number; sort: 'date' }) => Promise<{ backups: BackupInfo[] }>,
): Promise<BackupInfo[]> {
  const all: BackupInfo[] = [];
  for (let offset = 0; ; offset += 50) {
    const page = await list({ sort: 'date', limit: 50, offset });
    all.push(...page.backups);
    if (page.backups.length < 50) return all;
  }
}

describe('backups: the list reads each manifest once and never shows stale data', () => {
  it('paging through 120 backups (3 pages) reads each manifest at most once; a pin re-reads only that manifest', async () => {
    const { home, folder, dir, backup } = await worldWithBackup();
    const ids = cloneBackups(dir, backup, 119);
    const { store, reads } = countingStore(home, folder);

    const pages = [
      await store.list({ limit: 50, offset: 0 }),
      await store.list({ limit: 50, offset: 50 }),
      await store.list({ limit: 50, offset: 100 }),
    ];
    expect(pages.map((p) => p.backups.length)).toEqual([50, 50, 20]);
    const listed = pages.flatMap((p) => p.backups.map((b) => b.id));
    expect(new Set(listed)).toEqual(new Set([backup.id, ...ids]));
    expect(reads.size).toBe(120);
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
    expect([...reads.keys()].every((f) => f.startsWith(dir) && f.endsWith('.json'))).toBe(true);

    // The summaries hold no per-file entries.
    const scanned = await store.scan();
    expect(scanned.manifests).toHaveLength(120);
    expect(scanned.manifests.every((m) => !('entries' in m.manifest))).toBe(true);
    expect([...reads.values()].every((n) => n === 1)).toBe(true);

    // The store's own write shows at once, and only that manifest is read again for the list.
    const target = ids[7] as string;
    const pinned = await store.pin(target, true);
    expect(pinned.pinned).toBe(true);
    reads.clear();
    const after = await allPages((f) => store.list(f));
    expect(after.find((b) => b.id === target)?.pinned).toBe(true);
    expect(after.filter((b) => b.pinned).map((b) => b.id)).toEqual([target]);
    expect([...reads.keys()]).toEqual([path.join(dir, `${target}.json`)]);
  });

  it('shows pins, deletions and manifests rewritten, replaced or damaged by another process at once', async () => {
    const { home, folder, dir, backup, services } = await worldWithBackup();
    const [a, b] = cloneBackups(dir, backup, 2) as [string, string];
    const { store } = countingStore(home, folder);
    const list = async () => store.list({ limit: 50 });
    expect((await list()).backups.map((x) => x.id).sort()).toEqual([backup.id, a, b].sort());

    // Pin and unpin through another engine over the same data directory (another process's store).
    await services.backups.pin(a, true);
    expect((await list()).backups.find((x) => x.id === a)?.pinned).toBe(true);
    await services.backups.pin(a, false);
    expect((await list()).backups.find((x) => x.id === a)?.pinned).toBe(false);
    // …and through this store, twice in a row (same millisecond, same size as two writes ago).
    await store.pin(a, true);
    await store.pin(a, false);
    await store.pin(a, true);
    expect((await list()).backups.find((x) => x.id === a)?.pinned).toBe(true);

    // Rewritten in place (another size), by a plain write.
    const fileB = path.join(dir, `${b}.json`);
    const original = readFileSync(fileB, 'utf8');
    writeFileSync(fileB, `${JSON.stringify({ ...JSON.parse(original), name: 'renamed by hand, longer' })}\n`);
    expect((await list()).backups.find((x) => x.id === b)?.name).toBe('renamed by hand, longer');

    // Replaced by a rename with a file of the same size (a new inode).
    const same = `${JSON.stringify({ ...JSON.parse(original), name: 'renamed by hand, LONGER' })}\n`;
    writeFileSync(`${fileB}.tmp`, same);
    renameSync(`${fileB}.tmp`, fileB);
    expect((await list()).backups.find((x) => x.id === b)?.name).toBe('renamed by hand, LONGER');

    // Damaged: the backup leaves the list and the manifest is reported; repaired, it is back.
    writeFileSync(fileB, '{ not json');
    let result = await list();
    expect(result.backups.map((x) => x.id)).not.toContain(b);
    expect(result.problems).toEqual([
      expect.objectContaining({ file: `demo/${b}.json`, component: 'demo', code: 'BACKUP_CORRUPT' }),
    ]);
    expect(result.problems[0]?.message).toContain('is not a valid backup manifest');
    writeFileSync(fileB, original);
    result = await list();
    expect(result.backups.find((x) => x.id === b)?.name).toBe('clone 1');
    expect(result.problems).toEqual([]);

    // A manifest removed by hand: its archive is reported as having none.
    rmSync(fileB);
    result = await list();
    expect(result.backups.map((x) => x.id)).not.toContain(b);
    expect(result.problems).toEqual([expect.objectContaining({ file: `demo/${b}.tar.gz`, code: 'BACKUP_CORRUPT' })]);
    expect(result.problems[0]?.message).toContain('has no manifest beside it');

    // Deleted through either store.
    await store.delete(a);
    await services.backups.delete(backup.id);
    result = await list();
    expect(result.backups).toEqual([]);
    expect(result.problems.map((p) => p.file)).toEqual([`demo/${b}.tar.gz`]);

    // Created by the other engine: listed by this one.
    const created = await services.backups.create({ component: 'demo', name: 'second', type: 'data' });
    expect((await list()).backups.map((x) => x.id)).toEqual([created.id]);
  });
  it('a verify then a restore of the same backup read its whole manifest once; a pin or a rewrite by another process makes the next read a new one', async () => {
    const world = await worldWithBackup();
    const { store, reads } = countingStore(world.home, world.folder);
    const file = path.join(world.dir, `${world.backup.id}.json`);
    expect((await store.verify(world.backup.id)).ok).toBe(true);
    await store.restore({ backupId: world.backup.id, safetyBackup: false });
    await store.settled();
    expect(reads.get(file)).toBe(1);
    // This store rewrote it: read again.
    await store.pin(world.backup.id, true);
    const afterPin = reads.get(file) ?? 0;
    expect((await store.verify(world.backup.id)).ok).toBe(true);
    expect(reads.get(file)).toBe(afterPin + 1);
    // Another process rewrote it (another name): the change is seen.
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(`${file}.tmp`, JSON.stringify({ ...manifest, name: 'renamed elsewhere' }));
    renameSync(`${file}.tmp`, file);
    expect((await store.find(world.backup.id)).manifest.name).toBe('renamed elsewhere');
    expect(reads.get(file)).toBe(afterPin + 2);
  });
});
