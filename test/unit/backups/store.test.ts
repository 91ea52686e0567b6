import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UpkeepError } from '../../../shared/errors';
import { validateComponent } from '../../../electron/core/config/validate';
import type { BackupProgress } from '../../../shared/types';
import { makeTree, treeListing } from '../archive/fixtures';
import { backupWorld } from './setup';

function sqlite(db: string, sql: string): string {
  const r = spawnSync('sqlite3', [db, sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

/** An app folder: the tree fixture plus what backups treat specially. */
function fillApp(folder: string): void {
  makeTree(folder);
  mkdirSync(path.join(folder, 'node_modules/left-pad'), { recursive: true });
  writeFileSync(path.join(folder, 'node_modules/left-pad/index.js'), 'module.exports = 1;\n');
  mkdirSync(path.join(folder, '.venv/bin'), { recursive: true });
  writeFileSync(path.join(folder, '.venv/bin/python'), 'venv');
  writeFileSync(path.join(folder, 'server.log'), 'log line\n');
  writeFileSync(path.join(folder, '.env'), 'SECRET=1\n');
  mkdirSync(path.join(folder, 'config'), { recursive: true });
  writeFileSync(path.join(folder, 'config/app.yaml'), 'a: 1\n');
  mkdirSync(path.join(folder, 'uploads'), { recursive: true });
  writeFileSync(path.join(folder, 'uploads/photo.jpg'), Buffer.from([0xff, 0xd8, 0xff, 1, 2, 3]));
  mkdirSync(path.join(folder, 'db'), { recursive: true });
  sqlite(path.join(folder, 'db/app.db'), 'create table t(x); insert into t values (1),(2),(3);');
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function rejection(p: Promise<unknown>): Promise<UpkeepError> {
  const e = await p.then(
    () => null,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(UpkeepError);
  return e as UpkeepError;
}

describe('backups: create and restore', () => {
  it('full backup: manifest beside the archive, excludes left out, byte-identical restore with a safety backup', async () => {
    const { folder, services, home } = backupWorld();
    fillApp(folder);
    const events: BackupProgress[] = [];
    services.events.on('backup_progress', (p) => events.push(p));
    // A database copied through SQLite's backup API is the same database, not the same bytes: compared by content.
    const notDb = { skip: (rel: string) => rel === 'db/app.db' };
    const before = treeListing(folder, notDb);
    const backup = await services.backups.create({ component: 'demo', name: 'before changes', description: 'test' });

    expect(backup).toMatchObject({
      component: 'demo',
      type: 'full',
      name: 'before changes',
      description: 'test',
      reason: 'manual',
      pinned: false,
      compressed: true,
      component_version: '1.2.3',
    });
    expect(backup.archive).toBe(path.join(home, 'backups', 'demo', `${backup.id}.tar.zst`));
    expect(backup.sha256).toBe(sha256(backup.archive));
    const manifest = JSON.parse(readFileSync(path.join(home, 'backups', 'demo', `${backup.id}.json`), 'utf8')) as {
      entries: { path: string; sha256?: string; type: string }[];
    };
    const paths = manifest.entries.map((e) => e.path);
    expect(paths).toContain('app/static/logo.png');
    expect(paths).toContain('current');
    expect(paths).toContain('empty/nested-empty');
    expect(paths.some((p) => p.startsWith('node_modules') || p.startsWith('.venv') || p === 'server.log')).toBe(false);
    const readme = manifest.entries.find((e) => e.path === 'README.md');
    expect(readme?.sha256).toBe(sha256(path.join(folder, 'README.md')));
    expect(backup.file_count).toBe(manifest.entries.filter((e) => e.type === 'file').length);
    expect(events.some((e) => e.phase === 'done' && e.backup_id === backup.id && e.files === backup.file_count)).toBe(
      true,
    );

    // Change everything a restore must undo.
    writeFileSync(path.join(folder, 'README.md'), 'changed');
    rmSync(path.join(folder, 'app'), { recursive: true });
    rmSync(path.join(folder, 'current'));
    writeFileSync(path.join(folder, 'new-file.txt'), 'added after the backup');
    sqlite(path.join(folder, 'db/app.db'), 'insert into t values (4);');
    const changed = treeListing(folder, notDb);

    const result = await services.backups.restore({ backupId: backup.id });
    expect(treeListing(folder, notDb)).toEqual(before); // node_modules, .venv and the log were carried over
    expect(sqlite(path.join(folder, 'db/app.db'), 'select group_concat(x) from t')).toBe('1,2,3');
    expect(result.type).toBe('full');
    expect(result.safety_backup).not.toBeNull();
    expect(result.safety_backup?.reason).toBe('safety');
    // No staging or old folders left beside it once the replaced tree is removed (after the answer).
    await services.backups.settled?.();
    expect(readdirSync(path.dirname(folder))).toEqual(['demo']);

    // The safety backup holds the state just before the restore.
    await services.backups.restore({ backupId: result.safety_backup?.id as string, safetyBackup: false });
    expect(treeListing(folder, notDb)).toEqual(changed);
    expect(sqlite(path.join(folder, 'db/app.db'), 'select group_concat(x) from t')).toBe('1,2,3,4');
  });

  for (const exclude of [undefined, ['*.pyc']])
    it(`drops the bytecode caches of the replaced code instead of carrying them over (${exclude ? 'excluding *.pyc' : 'default excludes'})`, async () => {
      const { folder, services } = backupWorld(exclude ? { exclude } : undefined);
      mkdirSync(path.join(folder, 'pkg'), { recursive: true });
      const source = path.join(folder, 'pkg', '__init__.py');
      const stamp = new Date('2026-01-02T03:04:05Z');
      writeFileSync(source, '__version__ = "1.0.0"\n');
      utimesSync(source, stamp, stamp);
      const backup = await services.backups.create({ component: 'demo' });
      // The update writes a same-size file in the same second and Python caches it: the .pyc
      // records that mtime and size, so it would be taken for the restored 1.0.0 source.
      writeFileSync(source, '__version__ = "2.0.0"\n');
      utimesSync(source, stamp, stamp);
      expect(spawnSync('python3', ['-m', 'compileall', '-q', 'pkg'], { cwd: folder }).status).toBe(0); // as pip does on install
      const version = () =>
        spawnSync('python3', ['-c', 'import pkg; print(pkg.__version__)'], {
          cwd: folder,
          encoding: 'utf8',
        }).stdout.trim();
      expect(version()).toBe('2.0.0');
      expect(existsSync(path.join(folder, 'pkg', '__pycache__'))).toBe(true);
      await services.backups.restore({ backupId: backup.id, safetyBackup: false });
      expect(readFileSync(source, 'utf8')).toBe('__version__ = "1.0.0"\n');
      expect(existsSync(path.join(folder, 'pkg', '__pycache__'))).toBe(false);
      expect(version()).toBe('1.0.0');
    });

  it('include_logs and no-compress', async () => {
    const { folder, services } = backupWorld();
    fillApp(folder);
    const backup = await services.backups.create({ component: 'demo', includeLogs: true, compress: false });
    expect(backup.archive.endsWith('.tar')).toBe(true);
    expect(backup.include_logs).toBe(true);
    const listed = spawnSync('tar', ['tf', backup.archive], { encoding: 'utf8' }).stdout.split('\n');
    expect(listed).toContain('server.log');
    expect((await services.backups.verify(backup.id)).ok).toBe(true);
  });

  it('database, config and data backups hold their path sets; a partial restore replaces only those paths', async () => {
    const { folder, services } = backupWorld();
    fillApp(folder);
    const db = await services.backups.create({ component: 'demo', type: 'database' });
    const config = await services.backups.create({ component: 'demo', type: 'config' });
    const data = await services.backups.create({ component: 'demo', type: 'data' });
    const tarList = (f: string) => spawnSync('tar', ['tf', f], { encoding: 'utf8' }).stdout.trim().split('\n').sort();
    expect(tarList(db.archive)).toEqual(['db/app.db']);
    expect(tarList(config.archive)).toEqual(['.env', 'config/', 'config/app.yaml', 'config/readonly.cfg']);
    expect(tarList(data.archive)).toEqual(['uploads/', 'uploads/photo.jpg']);

    // Change config and the database; restore only the database (from a full backup).
    const full = await services.backups.create({ component: 'demo', type: 'full' });
    sqlite(path.join(folder, 'db/app.db'), 'insert into t values (99);');
    writeFileSync(path.join(folder, 'db/app.db-journal'), 'stale journal');
    writeFileSync(path.join(folder, '.env'), 'SECRET=changed\n');
    const restored = await services.backups.restore({ backupId: full.id, type: 'database', safetyBackup: false });
    expect(restored.type).toBe('database');
    expect(sqlite(path.join(folder, 'db/app.db'), 'select count(*) from t')).toBe('3');
    expect(existsSync(path.join(folder, 'db/app.db-journal'))).toBe(false);
    expect(readFileSync(path.join(folder, '.env'), 'utf8')).toBe('SECRET=changed\n');

    // And the config backup puts the config folder back as it was (a file added since goes).
    writeFileSync(path.join(folder, 'config/extra.yaml'), 'b: 2\n');
    await services.backups.restore({ backupId: config.id });
    expect(readFileSync(path.join(folder, '.env'), 'utf8')).toBe('SECRET=1\n');
    expect(existsSync(path.join(folder, 'config/extra.yaml'))).toBe(false);
    expect(readFileSync(path.join(folder, 'README.md'), 'utf8')).toBe('# demo\n');
    // A database backup cannot restore config.
    expect((await rejection(services.backups.restore({ backupId: db.id, type: 'config' }))).code).toBe(
      'INVALID_REQUEST',
    );
  });

  it('a corrupted archive (one flipped byte) fails verify and restore, and the folder is untouched', async () => {
    const { folder, services } = backupWorld();
    fillApp(folder);
    const backup = await services.backups.create({ component: 'demo' });
    expect(await services.backups.verify(backup.id)).toMatchObject({ ok: true, error: null, files: backup.file_count });
    const bytes = readFileSync(backup.archive);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] as number) ^ 0x01;
    writeFileSync(backup.archive, bytes);
    writeFileSync(path.join(folder, 'README.md'), 'current state');
    const before = treeListing(folder);

    const verify = await services.backups.verify(backup.id);
    expect(verify.ok).toBe(false);
    expect(verify.error?.code).toBe('BACKUP_CORRUPT');
    const e = await rejection(services.backups.restore({ backupId: backup.id }));
    expect(e.code).toBe('BACKUP_CORRUPT');
    expect(e.message).toContain('Restore a different backup');
    expect(treeListing(folder)).toEqual(before);
    expect(readdirSync(path.dirname(folder))).toEqual(['demo']);
    // No safety backup was taken for a restore that never started.
    expect((await services.backups.list({ component: 'demo' })).backups.map((b) => b.reason)).toEqual(['manual']);
  });

  it('copies a live SQLite database consistently while it is being written', async () => {
    const { folder, services, root } = backupWorld({ database: ['db/*.db'] });
    mkdirSync(path.join(folder, 'db'));
    const dbFile = path.join(folder, 'db/app.db');
    sqlite(dbFile, 'pragma journal_mode=wal; create table t(batch integer, n integer, pad text);');
    // A writer commits batches of 500 rows, as fast as it can, until told to stop.
    const script = path.join(root, 'writer.sql');
    const batch = (b: number) =>
      `begin; ${Array.from({ length: 500 }, (_, i) => `insert into t values (${b}, ${i}, '${'x'.repeat(200)}');`).join(' ')} commit;\n`;
    writeFileSync(script, Array.from({ length: 400 }, (_, b) => batch(b)).join(''));
    const writer = spawn('sqlite3', ['-cmd', '.timeout 10000', dbFile], { stdio: ['pipe', 'ignore', 'pipe'] });
    writer.stdin.end(readFileSync(script));
    const writerDone = new Promise<number | null>((resolve) => writer.on('exit', resolve));
    // Wait until it has started writing.
    for (let i = 0; i < 200 && Number(sqlite(dbFile, 'select count(*) from t')) === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    const backups = [];
    for (let i = 0; i < 3; i++) backups.push(await services.backups.create({ component: 'demo', type: 'database' }));
    expect(await writerDone).toBe(0);

    const counts: number[] = [];
    for (const [i, b] of backups.entries()) {
      const out = path.join(root, `check-${i}`);
      mkdirSync(out);
      expect(spawnSync('tar', ['xf', b.archive, '-C', out]).status).toBe(0);
      const copy = path.join(out, 'db/app.db');
      expect(sqlite(copy, 'pragma integrity_check')).toBe('ok');
      const count = Number(sqlite(copy, 'select count(*) from t'));
      // Every batch is all-or-nothing in the copy.
      expect(count % 500).toBe(0);
      counts.push(count);
      // The WAL was folded into the copy, not archived beside it.
      expect(existsSync(path.join(out, 'db/app.db-wal'))).toBe(false);
    }
    // The writer had committed before the first backup began, so no copy is empty; later copies see no less.
    expect(counts[0]).toBeGreaterThan(0);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
  });

  it('refuses clearly: no folder, no paths for a type, not enough space, unknown backup', async () => {
    const noFolder = backupWorld();
    noFolder.services.components.add({ nofolder: validateComponent('nofolder', { type: 'never_current' }) });
    const a = await rejection(noFolder.services.backups.create({ component: 'nofolder' }));
    expect(a.code).toBe('INVALID_CONFIG');
    expect(a.message).toContain('has no folder');

    const { folder, services } = backupWorld({ database: ['db/*.db'] });
    fillApp(folder);
    const b = await rejection(services.backups.create({ component: 'demo', type: 'config' }));
    expect(b.code).toBe('INVALID_CONFIG');
    expect(b.message).toContain('backup.config');

    services.settings.set({ min_free_space_mb: 10_000_000 });
    const c = await rejection(services.backups.create({ component: 'demo' }));
    expect(c.code).toBe('INSUFFICIENT_SPACE');
    expect(c.message).toContain('min_free_space_mb');

    const d = await rejection(services.backups.restore({ backupId: 'demo-20200101-000000-abcd' }));
    expect(d.code).toBe('BACKUP_NOT_FOUND');
  });
});

describe('backups: edge cases', () => {
  it('an empty folder backs up and restores; names no system can restore safely are left out and reported; the data directory is never backed up into itself', async () => {
    const { folder, services, root } = backupWorld();
    const empty = await services.backups.create({ component: 'demo' });
    expect(empty.file_count).toBe(0);
    writeFileSync(path.join(folder, 'later.txt'), 'x');
    await services.backups.restore({ backupId: empty.id, safetyBackup: false });
    expect(readdirSync(folder)).toEqual([]);

    writeFileSync(path.join(folder, 'ok.txt'), 'fine');
    writeFileSync(path.join(folder, 'back\\slash.txt'), 'odd name');
    const odd = await services.backups.create({ component: 'demo' });
    expect(odd.skipped).toEqual(['back\\slash.txt']);
    expect(odd.file_count).toBe(1);
    expect((await services.backups.verify(odd.id)).ok).toBe(true);

    // A component whose folder holds Upkeep's data directory.
    const outer = backupWorld();
    const { createServices } = await import('../../../electron/core/services');
    const inner = createServices({ home: path.join(outer.folder, 'upkeep-home'), host: 'cli' });
    // Such a folder is refused when added; one written into config.json by hand is still backed up without the data directory.
    expect(() =>
      inner.components.add({ outer: validateComponent('outer', { type: 'never_current', folder: outer.folder }) }),
    ).toThrow(/contains Upkeep's data directory/);
    inner.store.set('components', { outer: { type: 'never_current', folder: outer.folder } });
    writeFileSync(path.join(outer.folder, 'app.txt'), 'app');
    await inner.backups.create({ component: 'outer' });
    const second = await inner.backups.create({ component: 'outer' });
    expect(second.file_count).toBe(1);
    expect(root).toBeTruthy();
  });
});

describe('backups: never outside the folder', () => {
  it('a partial restore refuses to write through a link that leads out of the folder', async () => {
    const { folder, services, root } = backupWorld();
    fillApp(folder);
    const db = await services.backups.create({ component: 'demo', type: 'database' });
    // Now db/ is a link to a folder outside the component.
    const outside = path.join(root, 'outside-db');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'app.db'), 'not to be touched');
    rmSync(path.join(folder, 'db'), { recursive: true });
    symlinkSync(outside, path.join(folder, 'db'));
    const e = await rejection(services.backups.restore({ backupId: db.id }));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toContain('outside');
    expect(readFileSync(path.join(outside, 'app.db'), 'utf8')).toBe('not to be touched');
    expect(readdirSync(outside)).toEqual(['app.db']);
    expect(readdirSync(path.dirname(folder))).toEqual(['demo']);
  });
});

describe('backups: list', () => {
  it('filters, sorts, limits, and reports what is not a usable backup', async () => {
    const { folder, services, home } = backupWorld();
    fillApp(folder);
    const full = await services.backups.create({ component: 'demo', name: 'b-full' });
    const db = await services.backups.create({ component: 'demo', type: 'database', name: 'a-db' });
    const cfg = await services.backups.create({ component: 'demo', type: 'config', name: 'c-config', pinned: true });

    expect((await services.backups.list()).backups.map((b) => b.id)).toEqual([cfg.id, db.id, full.id]);
    expect((await services.backups.list({ sort: 'name' })).backups.map((b) => b.name)).toEqual([
      'a-db',
      'b-full',
      'c-config',
    ]);
    expect((await services.backups.list({ sort: 'size' })).backups[0]?.id).toBe(full.id);
    expect((await services.backups.list({ sort: 'type' })).backups.map((b) => b.type)).toEqual([
      'config',
      'database',
      'full',
    ]);
    expect((await services.backups.list({ type: 'database' })).backups.map((b) => b.id)).toEqual([db.id]);
    expect((await services.backups.list({ limit: 1 })).backups).toHaveLength(1);
    expect((await services.backups.list({ since: '1d' })).backups).toHaveLength(3);
    expect((await services.backups.list({ component: 'other' })).backups).toHaveLength(0);
    expect(await services.backups.get('a-db')).toMatchObject({ id: db.id });

    // A manifest dated long ago drops out of "since 7d" but stays in "all".
    const manifestFile = path.join(home, 'backups/demo', `${full.id}.json`);
    const m = JSON.parse(readFileSync(manifestFile, 'utf8'));
    writeFileSync(manifestFile, JSON.stringify({ ...m, created_at: '2020-01-01T00:00:00.000Z' }));
    expect((await services.backups.list({ since: '7d' })).backups.map((b) => b.id)).not.toContain(full.id);
    expect((await services.backups.list({ since: 'all' })).backups.map((b) => b.id)).toContain(full.id);

    // An archive without a manifest, and a damaged manifest, are reported.
    writeFileSync(path.join(home, 'backups/demo/demo-20200101-000000-beef.tar.gz'), 'orphan');
    writeFileSync(path.join(home, 'backups/demo', `${db.id}.json`), '{ not json');
    const { backups, problems } = await services.backups.list();
    expect(backups.map((b) => b.id)).toEqual([cfg.id, full.id]);
    expect(problems.map((p) => p.file).sort()).toEqual(
      [`demo/${db.id}.json`, 'demo/demo-20200101-000000-beef.tar.gz'].sort(),
    );
    expect(problems.every((p) => p.code === 'BACKUP_CORRUPT' && p.message.length > 20)).toBe(true);

    await services.backups.delete(cfg.id);
    expect(existsSync(cfg.archive)).toBe(false);
    expect((await rejection(services.backups.get(cfg.id))).code).toBe('BACKUP_NOT_FOUND');
  });
});
