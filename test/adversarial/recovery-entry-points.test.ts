import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, repoRoot } from '../helpers/cli';
import { treeHash, treeListing } from '../fixtures/releases/tree';
import { releaseScenario, type Scenario } from '../unit/engine/scenario';
import { seeded } from './crash-points';
import { trashSettled } from '../../electron/core/lib/trash';

/**
 * SIGKILL a real `upkeep update` (or `backup restore`) from outside, then start one entry point —
 * a CLI command, the headless host, or the first contract call a running host serves — and
 * require that it finished the interrupted run before answering: the folder is the old or the
 * new version byte for byte, user data (.env, uploads/) is intact, no journal or staging folder
 * is left, and the answer describes the recovered state. Kill points: the first change inotify
 * reports inside the folder, seeded random changes during the sync, and seeded random times
 * over a whole run's duration. Trials share one prepared sandbox, copied back before each.
 * `npm test` runs 20 update trials; `npm run soak` (UPKEEP_SOAK=1) runs 100. UPKEEP_CRASH_SEED
 * replays a run.
 */
const SOAK = process.env.UPKEEP_SOAK === '1';
const SEED = Number(process.env.UPKEEP_CRASH_SEED ?? 20261207);
const TRIALS = SOAK ? 100 : 20;

// Cheap commands (an update still runs every step: backup, download, sync, install, restart, health).
const WORKING = { install: [['true']], restart: ['true'], health: { command: ['true'] } };

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess): Promise<Ended> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Where a run is killed: the n-th change inotify reports in `watched`, or `ms` after it started. */
type Kill = { how: 'change'; n: number } | { how: 'time'; ms: number };

/**
 * Start the real `upkeep` bin and SIGKILL it at `kill` (or SIGSTOP it, `stop`: a live process
 * that holds the component's lock with the folder part-changed). `only` filters the changes
 * counted (a restore's staging folder beside the component's). Resolves when it has ended, or
 * when it is stopped.
 */
function killedCli(
  home: string,
  args: string[],
  kill: Kill | null,
  watched: string,
  options: { only?: RegExp; stop?: boolean } = {},
): { child: ChildProcess; ended: Promise<Ended & { changes: number; ms: number }>; stopped: Promise<void> } {
  const started = Date.now();
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'upkeep.mjs'), '--home', home, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, UPKEEP_HOME: '' },
  });
  let changes = 0;
  let onStop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (onStop = resolve));
  const watcher = watch(watched, { recursive: !options.only }, (_type, name) => {
    if (options.only && !options.only.test(String(name))) return;
    changes++;
    if (kill?.how === 'change' && changes === kill.n) {
      child.kill(options.stop ? 'SIGSTOP' : 'SIGKILL');
      if (options.stop) onStop();
    }
  });
  const timer = kill?.how === 'time' ? setTimeout(() => child.kill('SIGKILL'), kill.ms) : undefined;
  const ended = collect(child).then((end) => {
    watcher.close();
    clearTimeout(timer);
    return { ...end, changes, ms: Date.now() - started };
  });
  return { child, ended, stopped };
}

/** The real `upkeep` bin, asynchronously (the release server answers from this process). */
function upkeep(home: string, args: string[]): Promise<Ended & { json(): unknown }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'upkeep.mjs'), '--home', home, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, UPKEEP_HOME: '' },
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return collect(child).then((end) => {
    clearTimeout(timer);
    return Object.assign(end, { json: () => JSON.parse(end.stdout) as unknown });
  });
}

/** `upkeep serve` on a free port: resolves once it prints its URL (after its start-up recovery). */
async function serve(home: string): Promise<{ url: string; token: string; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'bin', 'upkeep.mjs'), '--home', home, '--json', 'serve', '--port', '0'],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, UPKEEP_HOME: '' } },
  );
  const ended = collect(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    void ended.then((e) => reject(new Error(`serve ended before it listened: ${e.stderr}`)));
  });
  const token = readFileSync(path.join(home, 'http-token'), 'utf8').trim();
  return {
    url,
    token,
    async stop() {
      child.kill('SIGTERM');
      await ended;
    },
  };
}

async function call(
  host: { url: string; token: string },
  method: string,
  body: unknown = {},
): Promise<{ status: number; json: { result?: unknown; error?: { code: string; message: string } } }> {
  const res = await fetch(`${host.url.replace(/\/$/, '')}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    json: (await res.json()) as { result?: unknown; error?: { code: string; message: string } },
  };
}

type State = 'old' | 'new';
interface CheckJson {
  components: { id: string; installed: string | null; error: { code: string } | null }[];
}
interface HistoryJson {
  entries: { component: string; status: string }[];
}
interface StatusJson {
  components: { id: string; last_update: { status: string } | null; in_progress?: unknown }[];
}

/** The installed version a recovered folder has, and whether a history status matches it. */
const versionOf = (state: State) => (state === 'old' ? '1.0.0' : '1.1.0');
const historyMatches = (state: State, status: string | undefined) =>
  state === 'new' ? status === 'succeeded' : status !== 'succeeded' && status !== undefined;

interface EntryPoint {
  name: string;
  /** Runs the entry point after the kill; returns the folder state it saw recovered, checked against its answer. */
  run(sb: Sandbox): Promise<(state: State) => void>;
}

/** A CLI command: exit 0 and an answer checked against the recovered folder. */
function cli(args: string[], answer: (json: unknown, state: State) => void = () => undefined): EntryPoint {
  return {
    name: args.join(' '),
    async run(sb) {
      const end = await upkeep(sb.home, ['--json', ...args]);
      return (state) => {
        expect(end.code, `${args.join(' ')}: ${end.stderr}${end.stdout}`).toBe(0);
        expect(end.stderr, args.join(' ')).not.toMatch(/in progress/);
        answer(end.json(), state);
      };
    },
  };
}

const ENTRY_POINTS: EntryPoint[] = [
  cli(['status'], (j, state) => {
    const c = (j as StatusJson).components.find((x) => x.id === 'webapp');
    expect(c?.in_progress).toBeUndefined();
    expect(
      historyMatches(state, c?.last_update?.status),
      `status says ${c?.last_update?.status} for a ${state} folder`,
    ).toBe(true);
  }),
  cli(['check'], (j, state) => {
    const c = (j as CheckJson).components.find((x) => x.id === 'webapp');
    expect(c?.error ?? null).toBeNull();
    expect(c?.installed, 'check --json reports what the recovered folder holds').toBe(versionOf(state));
  }),
  cli(['component', 'list'], (j) =>
    expect((j as { components: { id: string }[] }).components.map((c) => c.id)).toContain('webapp'),
  ),
  cli(['backup', 'list'], (j) => expect((j as { problems: unknown[] }).problems).toEqual([])),
  cli(['schedule'], (j) =>
    expect((j as { components: { id: string }[] }).components.map((c) => c.id)).toContain('webapp'),
  ),
  cli(['settings', 'get'], (j) =>
    expect((j as { settings: { min_free_space_mb: number } }).settings.min_free_space_mb).toBe(1),
  ),
  cli(['history'], (j, state) => {
    const entries = (j as HistoryJson).entries.filter((e) => e.component === 'webapp');
    expect(entries).toHaveLength(1);
    expect(historyMatches(state, entries[0]?.status), `history says ${entries[0]?.status} for a ${state} folder`).toBe(
      true,
    );
  }),
  cli(['webhook', 'list']),
  cli(['channel', 'webapp'], (j) => expect((j as { channel: string }).channel).toBe('stable')),
  cli(['run-due'], (j, state) => {
    const c = (j as { checked: { id: string; installed: string | null }[] }).checked.find((x) => x.id === 'webapp');
    if (c) expect(c.installed).toBe(versionOf(state));
  }),
  cli(['hold', 'webapp']),
  cli(['skip', 'webapp', '--clear']),
  cli(['backup', 'create', 'webapp']),
  cli(['update', 'webapp', '--yes'], (_j, state) => expect(state, 'update finishes what it started').toBe('new')),
  {
    name: 'serve (host start) + first call',
    async run(sb) {
      const host = await serve(sb.home);
      // The host recovered before it listened: the folder is whole now, before any call.
      const folderAtStart = sb.state();
      const checked = await call(host, 'checkComponents', { ids: ['webapp'] });
      await host.stop();
      return (state) => {
        expect(folderAtStart, 'the folder when the host started listening').toBe(state);
        expect(checked.status).toBe(200);
        expect((checked.json.result as CheckJson).components[0]?.installed).toBe(versionOf(state));
      };
    },
  },
];

interface Sandbox {
  sc: Scenario;
  home: string;
  folder: string;
  reset(): void;
  state(): State | 'MIXED';
}

let sb: Sandbox;
let ref: { ms: number; changes: number; oldHash: string; newHash: string; oldList: string[] };

async function prepare(): Promise<Sandbox> {
  const sc = await releaseScenario({ config: WORKING });
  const pristine = path.join(sc.root, 'pristine');
  cpSync(sc.home, path.join(pristine, 'home'), { recursive: true });
  cpSync(path.join(sc.root, 'srv'), path.join(pristine, 'srv'), { recursive: true });
  const box: Sandbox = {
    sc,
    home: sc.home,
    folder: sc.folder,
    reset() {
      rmSync(sc.home, { recursive: true, force: true });
      rmSync(path.join(sc.root, 'srv'), { recursive: true, force: true });
      cpSync(path.join(pristine, 'home'), sc.home, { recursive: true });
      cpSync(path.join(pristine, 'srv'), path.join(sc.root, 'srv'), { recursive: true });
    },
    state() {
      const h = treeHash(sc.folder);
      return h === ref.oldHash ? 'old' : h === ref.newHash ? 'new' : 'MIXED';
    },
  };
  return box;
}

const diff = (a: string[], b: string[]) =>
  [
    ...a.filter((x) => !b.includes(x)).map((x) => `- ${x}`),
    ...b.filter((x) => !a.includes(x)).map((x) => `+ ${x}`),
  ].join('\n');

/** What every trial ends with: old or new, user data intact, nothing left open or beside the folder. */
async function expectRecovered(label: string): Promise<State> {
  // Trees set aside by a run are removed in the background (lib/trash.ts).
  await trashSettled();
  const state = sb.state();
  expect(
    state,
    `${label} left a mixture; against the old version:\n${diff(ref.oldList, treeListing(sb.folder))}`,
  ).not.toBe('MIXED');
  expect(readFileSync(path.join(sb.folder, '.env'), 'utf8'), label).toBe('SECRET_KEY=user-secret\n');
  expect(readFileSync(path.join(sb.folder, 'uploads', 'photo.jpg'), 'utf8'), label).toBe('a user photo');
  const journals = existsSync(path.join(sb.home, 'journal')) ? readdirSync(path.join(sb.home, 'journal')) : [];
  expect(
    journals.filter((n) => !n.endsWith('.tmp')),
    label,
  ).toEqual([]);
  expect(
    readdirSync(path.dirname(sb.folder)).filter((n) => n.includes('upkeep-')),
    label,
  ).toEqual([]);
  return state as State;
}

beforeAll(async () => {
  buildCli();
  sb = await prepare();
  const end = await killedCli(sb.home, ['--json', 'update', 'webapp', '--yes'], null, sb.folder).ended;
  expect(end.code, end.stderr).toBe(0);
  expect((JSON.parse(end.stdout) as { results: { status: string }[] }).results[0]?.status).toBe('succeeded');
  const newHash = treeHash(sb.folder);
  sb.reset();
  ref = { ms: end.ms, changes: end.changes, newHash, oldHash: treeHash(sb.folder), oldList: treeListing(sb.folder) };
  expect(ref.changes).toBeGreaterThan(5);
  expect(ref.newHash).not.toBe(ref.oldHash);
}, 120_000);

afterAll(async () => {
  await sb?.sc.cleanup();
});

/**
 * Trial i's kill point. The first pass gives every entry point a kill inside the sync (the first
 * change, or a seeded one among the first 80% of changes: inotify merges some, so the count
 * varies from run to run); later trials add seeded random times over a whole run's duration.
 */
function killPoint(i: number, next: () => number): Kill {
  const randomChange = (): Kill => ({
    how: 'change',
    n: 1 + Math.floor(next() * Math.max(1, Math.floor(ref.changes * 0.8))),
  });
  if (i < ENTRY_POINTS.length) return i % 2 === 0 ? { how: 'change', n: 1 } : randomChange();
  return i % 3 === 0
    ? { how: 'change', n: 1 }
    : i % 3 === 1
      ? { how: 'time', ms: Math.floor(next() * ref.ms) }
      : randomChange();
}

describe('every entry point finishes an interrupted update before it answers (SIGKILL, real processes)', () => {
  it(
    `${TRIALS} update trials (seed ${SEED}): killed at the folder's first change, at seeded changes and at seeded times; then a CLI command or a host start`,
    async () => {
      const next = seeded(SEED);
      const outcomes: string[] = [];
      const failures: string[] = [];
      const started = Date.now();
      for (let i = 0; i < TRIALS; i++) {
        const kill = killPoint(i, next);
        const entry = ENTRY_POINTS[i % ENTRY_POINTS.length] as EntryPoint;
        const point = kill.how === 'change' ? `change${kill.n}` : `t${kill.ms}ms`;
        const label = `trial ${i} (${point}, then ${entry.name})`;
        sb.reset();
        const end = await killedCli(sb.home, ['update', 'webapp', '--yes'], kill, sb.folder).ended;
        // A late point may fall after the run's end: then it completed.
        expect(end.signal === 'SIGKILL' || end.code === 0, `${label}: ${end.stderr}`).toBe(true);
        const answer = await entry.run(sb);
        try {
          const state = await expectRecovered(label);
          answer(state);
          outcomes.push(`${point}:${entry.name.replace(/ /g, '_')}:${state}${end.signal ? '' : ':completed'}`);
        } catch (error) {
          // Every trial runs; the failures are listed together at the end.
          failures.push(`${label}: ${(error as Error).message.split('\n')[0]}`);
        }
      }
      expect(failures, failures.join('\n')).toEqual([]);
      // Kills at the first change always leave a started sync behind: those end as the old version.
      expect(outcomes.filter((o) => o.startsWith('change1:')).every((o) => o.includes(':old'))).toBe(true);
      process.stdout.write(
        `recovery entry points (seed ${SEED}, ${TRIALS} trials, ${((Date.now() - started) / 1000).toFixed(0)} s): ${outcomes.join(' ')}\n`,
      );
    },
    SOAK ? 3_600_000 : 300_000,
  );

  it(`first call to a running host: a headless host running when another process's update is killed mid-sync answers on the recovered folder`, async () => {
    const next = seeded(SEED ^ 0x4057);
    for (const n of [1, 1 + Math.floor(next() * Math.max(1, Math.floor(ref.changes * 0.8)))]) {
      sb.reset();
      const host = await serve(sb.home);
      try {
        const end = await killedCli(sb.home, ['update', 'webapp', '--yes'], { how: 'change', n }, sb.folder).ended;
        expect(end.signal === 'SIGKILL' || end.code === 0, end.stderr).toBe(true);
        // The folder is left as the kill left it until someone asks: the host, here.
        const checked = await call(host, 'checkComponents', { ids: ['webapp'] });
        const state = await expectRecovered(`running host, change ${n}`);
        if (n === 1) expect(state).toBe('old');
        expect(checked.status, JSON.stringify(checked.json)).toBe(200);
        expect((checked.json.result as CheckJson).components[0]?.installed).toBe(versionOf(state));
      } finally {
        await host.stop();
      }
    }
  }, 120_000);
});

describe('a killed restore, a live holder, a failed recovery', () => {
  it('a restore killed once its staging folder exists: the next command of any kind removes the staging folder and leaves the folder as before', async () => {
    for (const args of [
      ['settings', 'get'],
      ['webhook', 'list'],
    ]) {
      sb.reset();
      const made = await upkeep(sb.home, ['--json', 'backup', 'create', 'webapp']);
      expect(made.code, made.stderr).toBe(0);
      const backupId = (made.json() as { backup: { id: string } }).backup.id;
      writeFileSync(path.join(sb.folder, 'app.py'), 'print("edited after the backup")\n');
      const before = treeHash(sb.folder);
      const end = await killedCli(
        sb.home,
        ['backup', 'restore', backupId, '--yes'],
        { how: 'change', n: 1 },
        path.dirname(sb.folder),
        { only: /upkeep-restore/ },
      ).ended;
      expect(end.signal, end.stderr).toBe('SIGKILL');
      const staging = readdirSync(path.dirname(sb.folder)).filter((n) => n.includes('upkeep-restore'));
      expect(staging, 'the kill left a staging folder').toHaveLength(1);
      const answered = await upkeep(sb.home, ['--json', ...args]);
      expect(answered.code, answered.stderr).toBe(0);
      expect(
        readdirSync(path.dirname(sb.folder)).filter((n) => n.includes('upkeep-')),
        args.join(' '),
      ).toEqual([]);
      expect(existsSync(path.join(sb.home, 'backups', '.restore-webapp.json')), args.join(' ')).toBe(false);
      expect(treeHash(sb.folder)).toBe(before);
    }
  }, 120_000);

  it('a live process holding the lock mid-update: status and check say so (pid, UPDATE_IN_PROGRESS) and leave it alone; once it is killed, the next command rolls it back', async () => {
    sb.reset();
    // Stopped (SIGSTOP) at the folder's first change: alive, its lock held, the sync begun.
    const { child, ended, stopped } = killedCli(
      sb.home,
      ['update', 'webapp', '--yes'],
      { how: 'change', n: 1 },
      sb.folder,
      { stop: true },
    );
    await Promise.race([stopped, ended.then((e) => Promise.reject(new Error(`the holder ended: ${e.stderr}`)))]);
    try {
      const status = await upkeep(sb.home, ['--json', 'status']);
      expect(status.code, status.stderr).toBe(0);
      const c = (status.json() as StatusJson).components.find((x) => x.id === 'webapp') as {
        in_progress?: { pid: number; kind: string };
      };
      expect(c.in_progress?.pid).toBe(child.pid);
      expect(c.in_progress?.kind).toBe('update');
      expect(status.stderr).toContain(`update in progress by pid ${child.pid}`);
      const text = await upkeep(sb.home, ['status']);
      expect(text.stdout).toContain(`update in progress by pid ${child.pid}`);
      const check = await upkeep(sb.home, ['--json', 'check']);
      expect(check.code).toBe(1);
      const result = (check.json() as CheckJson).components.find((x) => x.id === 'webapp');
      expect(result?.error?.code).toBe('UPDATE_IN_PROGRESS');
      expect(result?.installed).toBeNull();
      // Nothing was recovered under the live run: its journal is still there.
      expect(readdirSync(path.join(sb.home, 'journal')).filter((n) => n.endsWith('.json'))).toHaveLength(1);
    } finally {
      child.kill('SIGKILL');
      await ended;
    }
    const after = await upkeep(sb.home, ['--json', 'check']);
    expect(after.code, after.stderr).toBe(0);
    expect(await expectRecovered('after the holder was killed')).toBe('old');
    expect((after.json() as CheckJson).components[0]?.installed).toBe('1.0.0');
    expect(after.stderr).toMatch(/finished an interrupted run of webapp .*rolled_back/);
  }, 120_000);

  it('a recovery that fails is reported with RECOVERY_FAILED and what to do, kept as found, and history still answers', async () => {
    sb.reset();
    const journal = path.join(sb.home, 'backups', '.restore-webapp.json');
    mkdirSync(path.dirname(journal), { recursive: true });
    writeFileSync(journal, '{"kind": "full", "fold');
    const status = await upkeep(sb.home, ['--json', 'status']);
    expect(status.code).toBe(1);
    const error = (status.json() as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('RECOVERY_FAILED');
    expect(error.message).toContain('webapp');
    expect(error.message).toMatch(/then run any command or restart Upkeep/);
    expect(readFileSync(journal, 'utf8')).toBe('{"kind": "full", "fold');
    const history = await upkeep(sb.home, ['--json', 'history']);
    expect(history.code, history.stderr).toBe(0);
    const restore = await upkeep(sb.home, ['--json', 'backup', 'create', 'webapp']);
    expect((restore.json() as { error: { code: string } }).error.code).toBe('RECOVERY_FAILED');
  }, 60_000);
});
