import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UpkeepError } from '../../shared/errors';
import type { UpdateResult } from '../../shared/types';
import { plantBackup } from '../fixtures/planted-backup';
import { treeHash } from '../fixtures/releases/tree';
import { backupWorld } from '../unit/backups/setup';
import { releaseScenario, type Scenario } from '../unit/engine/scenario';
import { hostileCorpus, zstdCorpus } from './corpus';
import { trashSettled } from '../../electron/core/lib/trash';

/**
 * Every archive of the hostile corpus, twice: as the asset of a release the engine installs
 * (release_archive), and as a backup planted in the backups folder with a forged manifest that
 * matches it byte for byte. Each must be refused with a clear error, and a hash of the whole
 * sandbox outside the data directory (the component folder, user data, a victim file beside the
 * staging folder) must be the same before and after.
 */
const SOAK = process.env.UPKEEP_SOAK === '1';
const REFUSALS = ['UNSAFE_ARCHIVE', 'ARCHIVE_TOO_LARGE', 'UNSUPPORTED', 'BACKUP_CORRUPT'];
const corpus = hostileCorpus().filter((c) => SOAK || !c.name.startsWith('many-tiny-files'));
const STRIPPED = /^set[ug]id/;

let s: Scenario | undefined;
afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

/** Everything outside the data directory (and the restart command's own log), by content: equal hashes mean nothing was written. */
const outsideHome = (root: string) => treeHash(root, { ignore: (rel) => /^(home|markers)(\/|$)/.test(rel) });

const outsideMarkers = ['/tmp/upkeep-zip-abs', '/tmp/pwned', '/abs', '/abs/x'];

describe('hostile archives as an update (release_archive asset, real engine)', () => {
  it(`the corpus has at least 30 tars and some zips (${corpus.length} cases)`, () => {
    expect(corpus.filter((c) => c.kind === 'tar').length).toBeGreaterThanOrEqual(30);
    expect(corpus.filter((c) => c.kind === 'zip').length).toBeGreaterThanOrEqual(5);
  });

  for (const c of corpus) {
    it(c.name, async () => {
      s = await releaseScenario({
        config: { asset: 'webapp-{version}.tar.gz' },
        assets: [{ name: 'webapp-1.1.0.tar.gz', content: await c.bytes() }],
      });
      // A file where `../victim.txt` from the staging folder would land.
      writeFileSync(path.join(path.dirname(s.folder), 'victim.txt'), 'precious');
      const before = outsideHome(s.root);
      const folder = s.hash();
      const [result] = (await s.services.updates.updateComponents(['webapp'], {
        initiatedBy: 'cli',
      })) as UpdateResult[];
      if (c.benign) {
        // A harmless zip asset is installed exactly: everything is in one folder (app/), so it is
        // installed from inside it, as a tar asset is.
        expect(result?.status, JSON.stringify(result?.error)).toBe('succeeded');
        expect(readFileSync(path.join(s.folder, 'main.py'), 'utf8')).toBe('print(1)\n');
        return;
      }
      if (STRIPPED.test(c.name)) {
        // Updates install with setuid/setgid bits stripped rather than refusing the release.
        expect(result?.status, JSON.stringify(result?.error)).toBe('succeeded');
        for (const name of ['suid', 'sgid']) {
          const p = path.join(s.folder, name);
          if (existsSync(p)) expect(lstatSync(p).mode & 0o6000).toBe(0);
        }
        return;
      }
      expect(result?.error?.code, JSON.stringify(result?.error)).toBeOneOf(REFUSALS);
      expect(result?.error?.message).toMatch(/Refused|refus|extracts tar|damaged|too large|bomb|not a tar|archive/i);
      expect(['failed', 'rolled_back']).toContain(result?.status);
      expect(s.hash()).toBe(folder);
      // The refused staging folder is removed in the background (lib/trash.ts): compared once it is gone.
      await trashSettled();
      expect(outsideHome(s.root)).toBe(before);
      expect(readdirSync(path.dirname(s.folder)).filter((n) => n.includes('upkeep-'))).toEqual([]);
      for (const p of outsideMarkers) expect(existsSync(p), p).toBe(false);
    });
  }
});

describe('hostile archives as a restore (planted with a forged, matching manifest)', () => {
  // The corpus as .tar.gz, then hostile tars in Upkeep's own zstd frames as .tar.zst (what backups are now).
  for (const c of [...corpus, ...zstdCorpus()].filter((x) => !x.benign)) {
    it(c.name, async () => {
      const { root, home, folder, services } = backupWorld();
      writeFileSync(path.join(folder, 'app.txt'), 'the real app');
      mkdirSync(path.join(folder, 'db'));
      writeFileSync(path.join(folder, 'db/user.db'), 'user data');
      writeFileSync(path.join(root, 'apps', 'victim.txt'), 'precious');
      const id = 'demo-20250101-000000-0bad';
      const planted = plantBackup(home, id, await c.bytes(), c.claims, { extension: c.zstd ? 'tar.zst' : 'tar.gz' });
      const before = outsideHome(root);
      const error = await services.backups.restore({ backupId: id }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, 'the restore must be refused').toBeInstanceOf(UpkeepError);
      const e = error as UpkeepError;
      expect(e.code, e.message).toBeOneOf(REFUSALS);
      if (c.refusal) {
        expect(e.code, e.message).toBe(c.refusal.code);
        expect(e.message).toMatch(c.refusal.says);
      }
      expect(e.message.length).toBeGreaterThan(20);
      expect(outsideHome(root)).toBe(before);
      expect(readdirSync(path.join(root, 'apps')).sort()).toEqual(['demo', 'victim.txt']);
      for (const p of outsideMarkers) expect(existsSync(p), p).toBe(false);
      // The planted backup is still there (refused, not deleted), and verify says the same.
      expect(existsSync(planted)).toBe(true);
      const verify = await services.backups.verify(id).catch((v: unknown) => ({ ok: false, thrown: v }));
      expect(verify.ok).toBe(false);
      if (c.refusal) expect((verify as { error?: { code?: string } }).error?.code).toBe(c.refusal.code);
    });
  }
});
