import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServices } from '../../electron/core/services';
import { startBackground } from '../../electron/core/startup';
import { NO_EXCHANGE_ENV } from '../../electron/core/lib/dir-swap';
import { treeHash, treeListing } from '../fixtures/releases/tree';
import { backupWorld } from '../unit/backups/setup';
import { releaseScenario, type Scenario } from '../unit/engine/scenario';
import { hasStrace, repoRoot, runUnderStrace, type DriverEnd } from './crash-points';

/**
 * The directory swap behind update, restore and rollback, killed just before, during and just
 * after the exchange — with renameat2(RENAME_EXCHANGE) and with the two-rename fallback (forced
 * through an environment variable only tests set) — by strace fault injection on the exact
 * rename(2) calls. After the next start's recovery the folder is byte for byte the old or the new
 * tree, the user's data (.env, uploads/, a SQLite database) is intact, nothing is left beside the
 * folder and no journal is open. A reader process polling the folder during an update or a
 * restore, through one directory handle per look, never sees a mixture of two releases.
 */

const WORKING = { health: { command: ['node', '-e', 'process.exit(0)'] } };
const FAILING = { health: { command: ['node', '-e', 'process.exit(1)'] } };
const PYTHON = ['/usr/bin/python3', '/usr/local/bin/python3', '/bin/python3'].find((p) => existsSync(p));

/** The tree without the SQLite database (checked apart: its bytes, then SQLite's own integrity check). */
const appHash = (folder: string) => treeHash(folder, { ignore: (rel) => rel.startsWith('data') });
const appList = (folder: string) => treeListing(folder, { ignore: (rel) => rel.startsWith('data') });
/** What differs from a reference listing, for a failure message. */
const diff = (a: string[], b: string[]) =>
  [
    ...a.filter((x) => !b.includes(x)).map((x) => `- ${x}`),
    ...b.filter((x) => !a.includes(x)).map((x) => `+ ${x}`),
  ].join('\n');

function sqliteDb(folder: string): string {
  const file = path.join(folder, 'data', 'app.sqlite');
  mkdirSync(path.dirname(file), { recursive: true });
  const script =
    'import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nc.execute("create table t(x)")\nc.executemany("insert into t values (?)", [(i,) for i in range(500)])\nc.commit()\nc.close()';
  const r = spawnSync(PYTHON as string, ['-c', script, file]);
  expect(r.status, r.stderr.toString()).toBe(0);
  return sha256(file);
}

function sqliteOk(folder: string): boolean {
  const script =
    'import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nprint(c.execute("pragma integrity_check").fetchone()[0], *c.execute("select count(*), sum(x) from t").fetchone())';
  const r = spawnSync(PYTHON as string, ['-c', script, path.join(folder, 'data', 'app.sqlite')], { encoding: 'utf8' });
  return r.stdout.trim() === 'ok 500 124750';
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The rename(2)-family calls of a whole run, in order (as the trace shows them). */
function renamesIn(trace: string): string[] {
  return readFileSync(trace, 'utf8')
    .split('\n')
    .filter((l) => /\brename(at2?)?\(/.test(l));
}

type Moment = 'before' | 'during' | 'after';
/** A kill: the n-th rename of Upkeep's own thread, or (`helper`) the exchange helper on entering renameat2. */
interface KillPoint {
  nth: number;
  injectOn?: string;
}

/**
 * Where to kill around the last swap of a run. strace counts calls per process, and Upkeep's
 * renames run on its one I/O thread, so Upkeep's n-th rename is the n-th line of the trace not made
 * by the exchange helper. With the exchange: Upkeep's rename just before it; the helper killed on
 * entering renameat2 (nothing exchanged: judged by the inodes, then the two renames); Upkeep's
 * first rename after it (the exchange done, nothing recorded yet). With two renames: the first
 * (folder → old), the second (the folder is absent between them), the one after.
 */
function killPoints(lines: string[], folder: string, exchange: boolean): Record<Moment, KillPoint> {
  const own = lines.filter((l) => !l.includes('renameat2('));
  if (exchange) {
    const at = lines.map((l) => l.includes('RENAME_EXCHANGE')).lastIndexOf(true);
    expect(at, lines.join('\n')).toBeGreaterThan(0);
    const before = lines.slice(0, at).filter((l) => !l.includes('renameat2(')).length;
    return { before: { nth: before }, during: { nth: 1, injectOn: 'renameat2' }, after: { nth: before + 1 } };
  }
  const second = own.map((l) => l.includes(`, "${folder}")`) && l.includes('.upkeep-')).lastIndexOf(true);
  expect(second, lines.join('\n')).toBeGreaterThan(0);
  expect(own[second - 1]).toContain(`("${folder}", `);
  return { before: { nth: second }, during: { nth: second + 1 }, after: { nth: second + 2 } };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  delete process.env[NO_EXCHANGE_ENV];
  await cleanup?.();
  cleanup = undefined;
});

async function recover(home: string): Promise<string> {
  const background = await startBackground(createServices({ home, host: 'http' }), {
    firstRun: false,
    scheduler: false,
  });
  await background.stop();
  return background.recovered[0]?.status ?? 'none';
}

function expectNothingLeft(folder: string, home: string, label: string): void {
  expect(
    readdirSync(path.dirname(folder)).filter((n) => n.includes('upkeep-')),
    label,
  ).toEqual([]);
  const journal = path.join(home, 'journal');
  if (existsSync(journal))
    expect(
      readdirSync(journal).filter((n) => !n.endsWith('.tmp')),
      label,
    ).toEqual([]);
  expect(
    readdirSync(path.join(home, 'backups')).filter((n) => n.startsWith('.restore-')),
    label,
  ).toEqual([]);
}

/** After a rollback (killed somewhere, then recovered): the old release, the user's data intact, nothing left. */
function expectRolledBack(s: Scenario, old: { oldHash: string; oldList: string[] }, label: string): void {
  expect(appHash(s.folder), `${label}\n${diff(old.oldList, appList(s.folder))}`).toBe(old.oldHash);
  expect(readFileSync(path.join(s.folder, '.env'), 'utf8'), label).toBe('SECRET_KEY=user-secret\n');
  expect(readFileSync(path.join(s.folder, 'uploads', 'photo.jpg'), 'utf8'), label).toBe('a user photo');
  // Restored from the backup, which holds a consistent copy of the database (SQLite's own
  // backup): the same rows, not necessarily the same bytes.
  expect(sqliteOk(s.folder), label).toBe(true);
  expectNothingLeft(s.folder, s.home, label);
}

interface UpdateWorld {
  s: Scenario;
  db: string;
}

async function updateWorld(config: Record<string, unknown>): Promise<UpdateWorld> {
  const s = await releaseScenario({ config });
  return { s, db: sqliteDb(s.folder) };
}

/** An update (or, with a failing health check, an update and its rollback) run whole: the old and new hashes and its renames. */
async function census(
  config: Record<string, unknown>,
  exchange: boolean,
): Promise<{ oldHash: string; oldList: string[]; endHash: string; lines: string[]; folder: string }> {
  const { s } = await updateWorld(config);
  try {
    const oldHash = appHash(s.folder);
    const oldList = appList(s.folder);
    const trace = path.join(s.root, 'trace.txt');
    const end = (await runUnderStrace(s.home, 'update', 'webapp', 0, trace)) as DriverEnd;
    expect(end.code, end.stderr).toBe(0);
    const lines = renamesIn(trace);
    expect(lines.some((l) => l.includes('RENAME_EXCHANGE'))).toBe(exchange);
    return { oldHash, oldList, endHash: appHash(s.folder), lines, folder: s.folder };
  } finally {
    await s.cleanup();
  }
}

const WAYS = [
  { name: 'renameat2(RENAME_EXCHANGE)', exchange: true },
  { name: 'two renames (fallback forced)', exchange: false },
] as const;

describe.skipIf(!hasStrace() || !PYTHON || process.platform !== 'linux')(
  'the directory swap killed before, during and after the exchange',
  () => {
    for (const way of WAYS) {
      it(`update, ${way.name}: each kill ends as the old or the new release, user data intact, nothing left`, async () => {
        if (!way.exchange) process.env[NO_EXCHANGE_ENV] = '1';
        const ref = await census(WORKING, way.exchange);
        const outcomes: string[] = [];
        for (const [moment, kill] of Object.entries(killPoints(ref.lines, ref.folder, way.exchange))) {
          const { s, db } = await updateWorld(WORKING);
          cleanup = () => s.cleanup();
          const end = (await runUnderStrace(
            s.home,
            'update',
            'webapp',
            kill.nth,
            undefined,
            kill.injectOn,
          )) as DriverEnd;
          const label = `update killed ${moment} the swap (${kill.injectOn ? 'exchange helper' : `rename ${kill.nth}`}): ${end.stderr.slice(-400)}`;
          expect(end.signal === 'SIGKILL' || end.code === 0, label).toBe(true);
          const status = await recover(s.home);
          const after = appHash(s.folder);
          const state = after === ref.oldHash ? 'old' : after === ref.endHash ? 'new' : 'MIXED';
          outcomes.push(`${moment}:${end.signal ? 'killed' : 'helper killed, ran on'}:${state}:${status}`);
          expect(state, label).not.toBe('MIXED');
          expect(readFileSync(path.join(s.folder, '.env'), 'utf8'), label).toBe('SECRET_KEY=user-secret\n');
          expect(readFileSync(path.join(s.folder, 'uploads', 'photo.jpg'), 'utf8'), label).toBe('a user photo');
          expect(sha256(path.join(s.folder, 'data', 'app.sqlite')), label).toBe(db);
          expect(sqliteOk(s.folder), label).toBe(true);
          expectNothingLeft(s.folder, s.home, label);
          await s.cleanup();
          cleanup = undefined;
        }
        process.stdout.write(`swap crash, update, ${way.name}: ${outcomes.join(' ')}\n`);
      }, 300_000);

      it(`rollback (health fails), ${way.name}: each kill in the rollback's swap ends as the old release, user data intact`, async () => {
        if (!way.exchange) process.env[NO_EXCHANGE_ENV] = '1';
        const ref = await census(FAILING, way.exchange);
        expect(ref.endHash).toBe(ref.oldHash);
        const outcomes: string[] = [];
        for (const [moment, kill] of Object.entries(killPoints(ref.lines, ref.folder, way.exchange))) {
          const { s } = await updateWorld(FAILING);
          cleanup = () => s.cleanup();
          const end = (await runUnderStrace(
            s.home,
            'update',
            'webapp',
            kill.nth,
            undefined,
            kill.injectOn,
          )) as DriverEnd;
          const label = `rollback killed ${moment} its swap (${kill.injectOn ? 'exchange helper' : `rename ${kill.nth}`}): ${end.stderr.slice(-400)}`;
          expect(end.signal === 'SIGKILL' || end.code === 0, label).toBe(true);
          const status = await recover(s.home);
          outcomes.push(
            `${moment}:${end.signal ? 'killed' : 'helper killed, ran on'}:${appHash(s.folder) === ref.oldHash ? 'old' : 'MIXED'}:${status}`,
          );
          expectRolledBack(s, ref, label);
          await s.cleanup();
          cleanup = undefined;
        }
        process.stdout.write(`swap crash, rollback, ${way.name}: ${outcomes.join(' ')}\n`);
      }, 300_000);

      it(`restore, ${way.name}: each kill ends as before or fully restored, user data intact, nothing left`, async () => {
        if (!way.exchange) process.env[NO_EXCHANGE_ENV] = '1';
        const make = async () => {
          const w = backupWorld({ data: ['uploads/'] }, { backup: { exclude: ['uploads/', 'data/'] } });
          for (let f = 0; f < 100; f++) writeFileSync(path.join(w.folder, `file-${f}.txt`), `v1 ${f}\n`.repeat(20));
          writeFileSync(path.join(w.folder, '.env'), 'SECRET=1\n');
          mkdirSync(path.join(w.folder, 'uploads'));
          writeFileSync(path.join(w.folder, 'uploads', 'photo.jpg'), 'a user photo');
          const db = sqliteDb(w.folder);
          const backup = await w.services.backups.create({ component: 'demo', type: 'full' });
          const restored = appHash(w.folder);
          for (let f = 0; f < 100; f += 3) writeFileSync(path.join(w.folder, `file-${f}.txt`), `v2 ${f}\n`);
          return { ...w, db, backup, restored, before: appHash(w.folder) };
        };
        const w0 = await make();
        const trace = path.join(w0.root, 'trace.txt');
        const end0 = (await runUnderStrace(w0.home, 'restore', w0.backup.id, 0, trace)) as DriverEnd;
        expect(end0.code, end0.stderr).toBe(0);
        expect(appHash(w0.folder)).toBe(w0.restored);
        const points = killPoints(renamesIn(trace), w0.folder, way.exchange);
        const outcomes: string[] = [];
        for (const [moment, kill] of Object.entries(points)) {
          const w = await make();
          const end = (await runUnderStrace(
            w.home,
            'restore',
            w.backup.id,
            kill.nth,
            undefined,
            kill.injectOn,
          )) as DriverEnd;
          const label = `restore killed ${moment} the swap (${kill.injectOn ? 'exchange helper' : `rename ${kill.nth}`}): ${end.stderr.slice(-400)}`;
          expect(end.signal === 'SIGKILL' || end.code === 0, label).toBe(true);
          await recover(w.home);
          const after = appHash(w.folder);
          const state = after === w.before ? 'before' : after === w.restored ? 'restored' : 'MIXED';
          outcomes.push(`${moment}:${end.signal ? 'killed' : 'helper killed, ran on'}:${state}`);
          expect(state, label).not.toBe('MIXED');
          expect(readFileSync(path.join(w.folder, 'uploads', 'photo.jpg'), 'utf8'), label).toBe('a user photo');
          expect(sha256(path.join(w.folder, 'data', 'app.sqlite')), label).toBe(w.db);
          expect(sqliteOk(w.folder), label).toBe(true);
          expect(readdirSync(path.dirname(w.folder)), label).toEqual(['demo']);
          expect((await w.services.backups.verify(w.backup.id)).ok, label).toBe(true);
        }
        process.stdout.write(`swap crash, restore, ${way.name}: ${outcomes.join(' ')}\n`);
      }, 300_000);
    }
  },
);

describe.skipIf(!hasStrace() || !PYTHON || process.platform !== 'linux')(
  'a rollback built from the tree the update replaced, killed at each of its renames',
  () => {
    it('each kill ends as the old release, user data intact, nothing left', async () => {
      // The census: which of the run's renames belong to the rollback's use of the previous tree.
      const w0 = await updateWorld(FAILING);
      cleanup = () => w0.s.cleanup();
      const oldHash = appHash(w0.s.folder);
      const oldList = appList(w0.s.folder);
      const trace = path.join(w0.s.root, 'trace.txt');
      const end0 = (await runUnderStrace(w0.s.home, 'update', 'webapp', 0, trace)) as DriverEnd;
      expect(end0.code, end0.stderr).toBe(0);
      expect(appHash(w0.s.folder)).toBe(oldHash);
      const runLog = readdirSync(path.join(w0.s.home, 'logs')).map((n) =>
        readFileSync(path.join(w0.s.home, 'logs', n), 'utf8'),
      );
      expect(runLog.join('\n')).toMatch(/\d+ files and links kept from the previous tree/);
      const own = renamesIn(trace).filter((l) => !l.includes('renameat2('));
      // The previous tree becoming the restore's staging folder, then everything up to the rollback's own swap.
      const first = own.findIndex((l) => /\.upkeep-old-[^"]*", "[^"]*\.upkeep-restore-/.test(l));
      expect(first, own.join('\n')).toBeGreaterThan(0);
      const exchange = renamesIn(trace).filter((l) => l.includes('RENAME_EXCHANGE')).length;
      expect(exchange).toBe(2);
      const last = own.findIndex((l, i) => i > first && l.includes('.upkeep-restore-') && l.includes('.upkeep-old-'));
      expect(last, own.slice(first).join('\n')).toBeGreaterThan(first);
      // Kill at each (the n-th rename is refused as it starts), from the previous tree's own rename to the one after the exchange.
      const points = Array.from({ length: last - first + 1 }, (_, i) => first + 1 + i);
      expect(points.length, own.slice(first).join('\n')).toBeGreaterThan(2);
      await w0.s.cleanup();
      cleanup = undefined;
      const outcomes: string[] = [];
      for (const nth of points) {
        const { s } = await updateWorld(FAILING);
        cleanup = () => s.cleanup();
        const end = (await runUnderStrace(s.home, 'update', 'webapp', nth)) as DriverEnd;
        const label = `rollback killed at rename ${nth} (${own[nth - 1]?.slice(0, 200)}): ${end.stderr.slice(-400)}`;
        expect(end.signal === 'SIGKILL' || end.code === 0, label).toBe(true);
        const status = await recover(s.home);
        outcomes.push(
          `${nth}:${end.signal ? 'killed' : 'ran on'}:${appHash(s.folder) === oldHash ? 'old' : 'MIXED'}:${status}`,
        );
        expectRolledBack(s, { oldHash, oldList }, label);
        await s.cleanup();
        cleanup = undefined;
      }
      process.stdout.write(`rollback from the previous tree, killed at each rename: ${outcomes.join(' ')}\n`);
    }, 600_000);
  },
);

/**
 * A reader polling the folder: each look opens the folder once and reads through that handle
 * (/proc/self/fd/N/...), so it sees one tree. Prints how many looks saw the old release, the new
 * one, a mixture, or no folder.
 */
const READER = `
const fs = require('fs');
const [folder, stopFile] = process.argv.slice(1);
const seen = { old: 0, new: 0, mixed: 0, absent: 0 };
const read = (base, rel) => { try { return fs.readFileSync(base + '/' + rel, 'utf8'); } catch { return null; } };
while (!fs.existsSync(stopFile)) {
  let fd;
  try { fd = fs.openSync(folder, 'r'); } catch { seen.absent++; continue; }
  const base = '/proc/self/fd/' + fd;
  const v = read(base, 'VERSION');
  const parts = [read(base, 'app.py'), read(base, 'lib/core.py'), read(base, 'static/asset-00.css'), read(base, 'static/asset-29.css'), read(base, 'lib/old_module.py')];
  fs.closeSync(fd);
  const isOld = v === '1.0.0\\n' && parts[0] === 'print("v1")\\n' && parts[1] === 'core v1\\n' && parts[2] === null && parts[3] === null && parts[4] !== null;
  const isNew = v === '1.1.0\\n' && parts[0] === 'print("v1.1.0")\\n' && parts[1] === 'core 1.1.0\\n' && parts[2] !== null && parts[3] !== null && parts[4] === null;
  seen[isOld ? 'old' : isNew ? 'new' : 'mixed']++;
}
process.stdout.write(JSON.stringify(seen));
`;

function startReader(folder: string, stopFile: string): Promise<Record<'old' | 'new' | 'mixed' | 'absent', number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', READER, folder, stopFile], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(JSON.parse(out) as Record<'old' | 'new' | 'mixed' | 'absent', number>));
  });
}

describe.skipIf(process.platform !== 'linux')('the live folder is never a mixture of two releases', () => {
  it('a reader polling the folder during an update sees only the whole old release or the whole new one', async () => {
    // Many files in the release, so the apply has a middle long enough to be seen.
    const extra = Array.from({ length: 1500 }, (_, i) => ({
      path: `acme-webapp-bbb222/vendor/pkg-${String(i).padStart(4, '0')}/index.js`,
      content: `module.exports = ${i};\n`,
    }));
    const s = await releaseScenario({ config: WORKING, extraEntries: extra });
    cleanup = () => s.cleanup();
    const stop = path.join(s.root, 'stop-reader');
    const reader = startReader(s.folder, stop);
    await new Promise((r) => setTimeout(r, 300));
    const [result] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(stop, '');
    const seen = await reader;
    expect(result?.status, JSON.stringify(result)).toBe('succeeded');
    expect(seen.old, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(seen.new, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(seen.mixed, JSON.stringify(seen)).toBe(0);
    // With renameat2 the folder is never absent either.
    expect(seen.absent, JSON.stringify(seen)).toBe(0);
    process.stdout.write(`reader during an update: ${JSON.stringify(seen)}\n`);
  }, 120_000);
});
