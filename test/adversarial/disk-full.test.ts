import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UpkeepError } from '../../shared/errors';
import type { UpdateResult } from '../../shared/types';
import { sourceTarball, treeHash } from '../fixtures/releases/tree';
import { canMountTmpfs, fillOnFirst, mountTmpfs, unmountAll } from '../helpers/tmpfs';
import { backupWorld } from '../unit/backups/setup';
import { OWNER, REPO, releaseFiles, releaseScenario, type Scenario } from '../unit/engine/scenario';

/**
 * A disk that really fills: an 8 MiB tmpfs mounted for the test (needs root; the suite says
 * when it cannot mount and skips). Both cases must end with a clean INSUFFICIENT_SPACE, the old
 * app byte-identical and every old backup intact.
 */
const MOUNTABLE = canMountTmpfs();

let s: Scenario | undefined;
afterEach(async () => {
  unmountAll();
  await s?.cleanup();
  s = undefined;
});

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const backupsOf = (home: string, id: string) => {
  const dir = path.join(home, 'backups', id);
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((n) => [n, sha(path.join(dir, n))]),
  );
};

describe.skipIf(!MOUNTABLE)('disk full (an 8 MiB tmpfs)', () => {
  it('during extract: a release that expands past the free space; clean error, old app and backups intact', async () => {
    // 24 MiB of zeros compress to a few KiB: the download and the preflight estimate pass.
    const TOP = `${OWNER}-${REPO}-bbb222`;
    const files = { ...releaseFiles(), 'big/zeros.bin': '\0'.repeat(24 * 1024 * 1024) };
    s = await releaseScenario({ tarball: sourceTarball(TOP, files) });
    s.services.settings.set({ min_free_space_mb: 0 });
    // An earlier backup that must survive.
    const old = await s.services.backups.create({ component: 'webapp', type: 'full' });
    // Move the app's parent folder onto the tmpfs (staging is created beside the app).
    const srv = path.dirname(s.folder);
    const aside = `${srv}.aside`;
    execFileSync('mv', [srv, aside]);
    mountTmpfs(srv);
    execFileSync('cp', ['-a', `${aside}/.`, srv]);
    rmSync(aside, { recursive: true, force: true });
    const before = treeHash(s.folder);
    const backups = backupsOf(s.home, 'webapp');
    expect(backups[`${old.id}.tar.zst`]).toBeDefined();

    const [result] = (await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' })) as UpdateResult[];
    expect(result?.error?.code, JSON.stringify(result?.error)).toBe('INSUFFICIENT_SPACE');
    expect(['failed', 'rolled_back']).toContain(result?.status);
    expect(result?.error?.message).toMatch(/disk|space/i);
    expect(treeHash(s.folder)).toBe(before);
    // Old backups byte-identical (new ones may have been added: the pre-update backup).
    const after = backupsOf(s.home, 'webapp');
    for (const [name, digest] of Object.entries(backups)) expect(after[name], name).toBe(digest);
    expect(readdirSync(srv).filter((n) => n.includes('upkeep-'))).toEqual([]);
    expect(readdirSync(path.join(s.home, 'journal'))).toEqual([]);
    // The space is given back: the half-extracted staging folder is gone.
    const st = statfsSync(srv);
    expect(st.bavail * st.bsize).toBeGreaterThan(6 * 1024 * 1024);
  });

  it('during backup: the disk fills while the archive is written; clean error, no partial archive, old backups intact', async () => {
    const { home, folder, services } = backupWorld();
    services.settings.set({ min_free_space_mb: 0 });
    // Incompressible files so the archive is as big as the folder.
    let seed = createHash('sha256').update('disk-full').digest();
    for (let i = 0; i < 40; i++) {
      const parts: Buffer[] = [];
      for (let j = 0; j < 2048; j++) {
        seed = createHash('sha256').update(seed).digest();
        parts.push(seed);
      }
      writeFileSync(path.join(folder, `blob-${i}.bin`), Buffer.concat(parts)); // 64 KiB each, 2.5 MiB in all
    }
    // The backups folder lives on the tmpfs, with one old backup in it.
    const backupsDir = path.join(home, 'backups');
    mountTmpfs(backupsDir);
    const old = await services.backups.create({ component: 'demo', type: 'full', name: 'old one' });
    const before = treeHash(folder);
    const oldBackups = backupsOf(home, 'demo');
    // Once the backup has started (its estimate passed), something else fills the disk.
    const filled = fillOnFirst((listener) => services.events.on('backup_progress', listener), backupsDir);
    const error = await services.backups.create({ component: 'demo', type: 'full', name: 'new one' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(filled(), 'the backup reported progress before writing').toBe(true);
    expect(error).toBeInstanceOf(UpkeepError);
    expect((error as UpkeepError).code, (error as Error).message).toBe('INSUFFICIENT_SPACE');
    expect(treeHash(folder)).toBe(before);
    expect(backupsOf(home, 'demo')).toEqual(oldBackups);
    const list = await services.backups.list({ component: 'demo' });
    expect(list.backups.map((b) => b.id)).toEqual([old.id]);
    expect((await services.backups.verify(old.id)).ok).toBe(true);
  });
});

it('reports whether the disk-full cases ran here', () => {
  process.stdout.write(`disk full: ${MOUNTABLE ? 'tmpfs mounted (ran)' : 'cannot mount tmpfs here (skipped)'}\n`);
  expect(typeof MOUNTABLE).toBe('boolean');
});
