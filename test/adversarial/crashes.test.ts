import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServices } from '../../electron/core/services';
import { startBackground } from '../../electron/core/startup';
import { treeHash, treeListing } from '../fixtures/releases/tree';
import { backupWorld } from '../unit/backups/setup';
import { releaseScenario, type Scenario } from '../unit/engine/scenario';
import { hasStrace, runCrashDriver, runUnderStrace, seeded } from './crash-points';
import { trashSettled } from '../../electron/core/lib/trash';

/**
 * SIGKILL at seeded random points of a real update (download, verify, extract, sync, install,
 * migrate, restart, health, commit, and the rollback) and of a real restore, in a child process;
 * then the next start recovers. Every component must be byte for byte the old or the new
 * version, and user data identical. `npm test` runs a fixed sample; `npm run soak` runs 100.
 */
const SOAK = process.env.UPKEEP_SOAK === '1';
const SEED = Number(process.env.UPKEEP_CRASH_SEED ?? 20251123);
const UPDATE_POINTS = SOAK ? 80 : 10;
const RESTORE_POINTS = SOAK ? 20 : 3;

const WORKING = {
  install: [['node', '-e', 'require("fs").writeFileSync("installed.marker", "ok"); console.log("installed")']],
  migrations: [['node', '-e', 'require("fs").appendFileSync("db/app.db", "migrated\\n"); console.log("migrated")']],
  health: { command: ['node', '-e', 'process.exit(0)'] },
};

/** The folder byte for byte (uploads/, .env and database_backups/ inside it are the user's data). */
const appHash = (sc: Scenario) => treeHash(sc.folder);
const appList = (sc: Scenario) => treeListing(sc.folder);
/** What differs from a reference listing, for the failure message. */
const diff = (a: string[], b: string[]) =>
  [
    ...a.filter((x) => !b.includes(x)).map((x) => `- ${x}`),
    ...b.filter((x) => !a.includes(x)).map((x) => `+ ${x}`),
  ].join('\n');

let s: Scenario | undefined;
afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

/** The folder's state after a whole, uninterrupted update, and how many events it emits. */
async function census(): Promise<{
  events: number;
  newHash: string;
  oldHash: string;
  oldList: string[];
  newList: string[];
}> {
  const sc = await releaseScenario({ config: WORKING });
  try {
    const oldHash = appHash(sc);
    const oldList = appList(sc);
    const end = await runCrashDriver(sc.home, 'update', 'webapp', 0);
    expect(end.code, end.stderr).toBe(0);
    const { events, results } = JSON.parse(end.stdout) as { events: number; results: { status: string }[] };
    expect(results[0]?.status, end.stdout).toBe('succeeded');
    return { events, newHash: appHash(sc), oldHash, oldList, newList: appList(sc) };
  } finally {
    await sc.cleanup();
  }
}

describe('SIGKILL at seeded random points, then recovery (real child processes)', () => {
  it(
    `update: ${UPDATE_POINTS} kill points (seed ${SEED}); each ends as the old or the new version, user data identical`,
    async () => {
      const ref = await census();
      expect(ref.events).toBeGreaterThan(20);
      const next = seeded(SEED);
      const points = Array.from({ length: UPDATE_POINTS }, () => 1 + Math.floor(next() * ref.events)).sort(
        (a, b) => a - b,
      );
      const outcomes: string[] = [];
      for (const k of points) {
        s = await releaseScenario({ config: WORKING });
        const uploads = s.uploadsHash();
        const env = readFileSync(path.join(s.folder, '.env'), 'utf8');
        expect(appHash(s)).toBe(ref.oldHash);
        const end = await runCrashDriver(s.home, 'update', 'webapp', k);
        // Progress events are paced by time, so a late point may fall after a shorter run's end.
        expect(end.signal === 'SIGKILL' || end.code === 0, `kill point ${k}: ${end.stderr}`).toBe(true);
        const host = createServices({ home: s.home, host: 'http' });
        const recovered = await host.updates.recoverInterruptedRuns();
        // The replaced tree is removed in the background (lib/trash.ts).
        await trashSettled();
        const after = appHash(s);
        expect(readFileSync(path.join(s.folder, 'uploads', 'photo.jpg'), 'utf8')).toBe('a user photo');
        const state = after === ref.oldHash ? 'old' : after === ref.newHash ? 'new' : 'MIXED';
        outcomes.push(`${k}:${state}:${recovered[0]?.status ?? 'none'}`);
        expect(
          state,
          `kill point ${k} (of ${ref.events}) left a mixture; against the old version:\n${diff(ref.oldList, appList(s))}\n${JSON.stringify(recovered)}`,
        ).not.toBe('MIXED');
        if (state === 'new') expect(recovered[0]?.status ?? 'succeeded').toBe('succeeded');
        expect(s.uploadsHash(), `kill point ${k}`).toBe(uploads);
        expect(readFileSync(path.join(s.folder, '.env'), 'utf8')).toBe(env);
        expect(readdirSync(path.join(s.home, 'journal')), `kill point ${k}`).toEqual([]);
        expect(
          readdirSync(path.dirname(s.folder)).filter((n) => n.includes('upkeep-')),
          `kill point ${k}`,
        ).toEqual([]);
        // The lock is free again and the history says what happened.
        const history = await host.updates.listHistory({ component: 'webapp' });
        expect(history, `kill point ${k}`).toHaveLength(1);
        await s.cleanup();
        s = undefined;
      }
      // Both ends are reached over the sample (kills before and after the commit).
      expect(outcomes.some((o) => o.includes(':old:'))).toBe(true);
      process.stdout.write(`update kill points (seed ${SEED}): ${outcomes.join(' ')}\n`);
    },
    SOAK ? 3_600_000 : 300_000,
  );

  it(
    `restore: ${RESTORE_POINTS} kill points; the folder is as before or fully restored, backups intact`,
    async () => {
      const next = seeded(SEED ^ 0x5eed);
      let total = 0;
      const outcomes: string[] = [];
      for (let i = -1; i < RESTORE_POINTS; i++) {
        const { root, home, folder, services } = backupWorld();
        for (let f = 0; f < 200; f++) writeFileSync(path.join(folder, `file-${f}.txt`), `v1 ${f}\n`.repeat(50));
        writeFileSync(path.join(folder, '.env'), 'SECRET=1\n');
        const backup = await services.backups.create({ component: 'demo', type: 'full' });
        const restoredHash = treeHash(folder);
        for (let f = 0; f < 200; f += 3) writeFileSync(path.join(folder, `file-${f}.txt`), `v2 ${f}\n`);
        writeFileSync(path.join(folder, 'new-file.txt'), 'made after the backup');
        const beforeHash = treeHash(folder);
        const archive = path.join(home, 'backups', 'demo', `${backup.id}.tar.zst`);
        const archiveSha = createHash('sha256').update(readFileSync(archive)).digest('hex');
        // The first pass counts the events of a whole restore.
        const k = i < 0 ? 0 : 1 + Math.floor(next() * total);
        const end = await runCrashDriver(home, 'restore', backup.id, k);
        if (i < 0) {
          expect(end.code, end.stderr).toBe(0);
          total = (JSON.parse(end.stdout) as { events: number }).events;
          expect(treeHash(folder)).toBe(restoredHash);
          expect(total).toBeGreaterThan(2);
          continue;
        }
        expect(end.signal === 'SIGKILL' || end.code === 0, `restore kill point ${k}: ${end.stderr}`).toBe(true);
        await (
          await startBackground(createServices({ home, host: 'http' }), { firstRun: false, scheduler: false })
        ).stop();
        const after = treeHash(folder);
        const state = after === beforeHash ? 'before' : after === restoredHash ? 'restored' : 'MIXED';
        outcomes.push(`${k}:${state}${end.signal ? '' : ':completed'}`);
        expect(state, `restore kill point ${k} of ${total}`).not.toBe('MIXED');
        expect(createHash('sha256').update(readFileSync(archive)).digest('hex')).toBe(archiveSha);
        expect(readdirSync(path.join(root, 'apps'))).toEqual(['demo']);
      }
      process.stdout.write(`restore kill points: ${outcomes.join(' ')}\n`);
    },
    SOAK ? 1_800_000 : 200_000,
  );
});

describe.skipIf(!hasStrace())('SIGKILL on entering a rename(2) (strace fault injection), then recovery', () => {
  it(
    'restore: killed at every rename — the folder is as before or fully restored, nothing left beside it',
    async () => {
      let total = -1;
      const outcomes: string[] = [];
      for (let k = 0; total < 0 || k <= total; k++) {
        const { root, home, folder, services } = backupWorld();
        for (let f = 0; f < 30; f++) writeFileSync(path.join(folder, `file-${f}.txt`), `v1 ${f}\n`);
        const backup = await services.backups.create({ component: 'demo', type: 'full' });
        const restoredHash = treeHash(folder);
        writeFileSync(path.join(folder, 'file-3.txt'), 'v2\n');
        writeFileSync(path.join(folder, 'new-file.txt'), 'made after the backup');
        const beforeHash = treeHash(folder);
        const trace = path.join(root, 'trace.txt');
        const end = (await runUnderStrace(home, 'restore', backup.id, k, trace))!;
        if (k === 0) {
          expect(end.code, end.stderr).toBe(0);
          total = readFileSync(trace, 'utf8')
            .split('\n')
            .filter((l) => /\brename(at2?)?\(/.test(l)).length;
          expect(total).toBeGreaterThanOrEqual(4);
          continue;
        }
        expect(end.signal === 'SIGKILL' || end.code === 0, `rename ${k}: ${end.stderr}`).toBe(true);
        // The next start of a long-lived host finishes or undoes the restore.
        const next = createServices({ home, host: 'http' });
        await (await startBackground(next, { firstRun: false, scheduler: false })).stop();
        const after = treeHash(folder);
        const state = after === beforeHash ? 'before' : after === restoredHash ? 'restored' : 'MIXED';
        outcomes.push(`${k}:${state}${end.signal ? '' : ':completed'}`);
        expect(state, `restore killed at rename ${k} of ${total}`).not.toBe('MIXED');
        expect(readdirSync(path.join(root, 'apps')), `rename ${k}`).toEqual(['demo']);
        expect((await next.backups.verify(backup.id)).ok).toBe(true);
      }
      expect(outcomes.some((o) => o.includes('before'))).toBe(true);
      expect(outcomes.some((o) => o.includes('restored'))).toBe(true);
      process.stdout.write(`restore renames: ${outcomes.join(' ')}\n`);
    },
    SOAK ? 1_800_000 : 300_000,
  );

  it(
    `update: killed at ${SOAK ? 40 : 4} seeded renames (mid-sync included) — old or new version, user data identical`,
    async () => {
      const ref = await census();
      const sc0 = await releaseScenario({ config: WORKING });
      const trace = path.join(sc0.root, 'trace.txt');
      const end0 = (await runUnderStrace(sc0.home, 'update', 'webapp', 0, trace))!;
      expect(end0.code, end0.stderr).toBe(0);
      expect(appHash(sc0)).toBe(ref.newHash);
      const total = readFileSync(trace, 'utf8')
        .split('\n')
        .filter((l) => /\brename(at2?)?\(/.test(l)).length;
      await sc0.cleanup();
      expect(total).toBeGreaterThan(10);
      const next = seeded(SEED ^ 0xfeed);
      const points = Array.from({ length: SOAK ? 40 : 4 }, () => 1 + Math.floor(next() * total)).sort((a, b) => a - b);
      const outcomes: string[] = [];
      for (const k of points) {
        s = await releaseScenario({ config: WORKING });
        const end = (await runUnderStrace(s.home, 'update', 'webapp', k))!;
        expect(end.signal === 'SIGKILL' || end.code === 0, `rename ${k}: ${end.stderr}`).toBe(true);
        const host = createServices({ home: s.home, host: 'http' });
        const background = await startBackground(host, { firstRun: false, scheduler: false });
        await background.stop();
        const recovered = background.recovered;
        const after = appHash(s);
        const state = after === ref.oldHash ? 'old' : after === ref.newHash ? 'new' : 'MIXED';
        outcomes.push(`${k}:${state}:${recovered[0]?.status ?? 'none'}`);
        expect(
          state,
          `update killed at rename ${k} of ${total}; against the old version:\n${diff(ref.oldList, appList(s))}`,
        ).not.toBe('MIXED');
        expect(readFileSync(path.join(s.folder, '.env'), 'utf8')).toBe('SECRET_KEY=user-secret\n');
        expect(readFileSync(path.join(s.folder, 'uploads', 'photo.jpg'), 'utf8')).toBe('a user photo');
        // No run is left open (a killed atomic write may leave its .tmp file, which nothing reads).
        expect(
          readdirSync(path.join(s.home, 'journal')).filter((n) => !n.endsWith('.tmp')),
          `rename ${k}`,
        ).toEqual([]);
        const left = readdirSync(path.dirname(s.folder)).filter((n) => n.includes('upkeep-'));
        expect(left, `rename ${k}: ${JSON.stringify(recovered)}`).toEqual([]);
        await s.cleanup();
        s = undefined;
      }
      process.stdout.write(`update renames (of ${total}): ${outcomes.join(' ')}\n`);
    },
    SOAK ? 3_600_000 : 300_000,
  );
});
