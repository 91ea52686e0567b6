import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SecretStore } from '../../electron/core/config/settings';
import { AttentionStore } from '../../electron/core/engine/attention';
import { acquireLock } from '../../electron/core/engine/lock';
import { fileSink, setLogSink, type LogRecord } from '../../electron/core/lib/log';
import { ResponseCache } from '../../electron/core/net/response-cache';
import { buildCli, upkeep } from '../helpers/cli';
import { tempDir } from '../helpers/temp';

/**
 * Every state file in the data directory, damaged three ways — garbage, a valid file cut short (a
 * torn write), and valid JSON of the wrong shape — then an entry point a person uses. Each must
 * answer with a clear, stable code (or go on where going on loses nothing), say so in the host log
 * (`<home>/logs/upkeep.log`), and lose nothing: the damaged file is kept (or a copy of it is), no
 * backup the history needs is deleted, and a held component is never updated.
 */

const DAMAGE = {
  garbage: () => '\u0000\u00ff not json at all {{{',
  truncated: (valid: string) => valid.slice(0, Math.floor(valid.length / 2)),
  'wrong shape': () => JSON.stringify({ format: 1, components: 'everything', version: 1, phase: 'exploded', pid: 'x' }),
} as const;
type Damage = keyof typeof DAMAGE;
const DAMAGES = Object.keys(DAMAGE) as Damage[];

function hostLog(home: string): LogRecord[] {
  const file = path.join(home, 'logs', 'upkeep.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogRecord);
}

/** A data directory with two components whose update is a no-op script (no network): `app` has a folder. */
function sandbox(): { root: string; home: string; cli: (...args: string[]) => ReturnType<typeof upkeep> } {
  const root = tempDir('upkeep-corrupt-');
  const home = path.join(root, 'home');
  const folder = path.join(root, 'app');
  mkdirSync(folder);
  writeFileSync(path.join(folder, 'data.txt'), 'user data\n');
  const config = path.join(root, 'components.yaml');
  const component = (current: string, extra: string[] = []) => [
    '    type: always_current',
    `    current: "${current}"`,
    '    method: update_script',
    '    update_script: ["true"]',
    ...extra,
  ];
  writeFileSync(
    config,
    [
      'components:',
      '  app:',
      ...component('1.0', [`    folder: ${JSON.stringify(folder)}`]),
      '  other:',
      ...component('2.0'),
      '',
    ].join('\n'),
  );
  const cli = (...args: string[]) => upkeep(['--home', home, ...args]);
  expect(cli('--json', 'component', 'add', '--file', config).status).toBe(0);
  return { root, home, cli };
}

const errorOf = (r: ReturnType<typeof upkeep>) =>
  (JSON.parse(r.stdout) as { error: { code: string; message: string; details?: Record<string, unknown> } }).error;

beforeAll(() => buildCli());
afterEach(() => void setLogSink(null));

describe('a damaged run journal', () => {
  const valid = (component: string) =>
    `${JSON.stringify({ version: 1, run_id: 'run-20261207-x', kind: 'update', component, method: 'update_script', from: '1.0', to: '1.1', target: { version: '1.1' }, force: false, no_backup: false, initiated_by: 'cli', host: 'cli', pid: 999999, started_at: '2026-12-07T00:00:00.000Z', step: 'apply', phase: 'running', backup: null, touched: true, rollback_on_failure: true, error: null, state: {} }, null, 2)}\n`;

  for (const damage of DAMAGES) {
    it(`(${damage}) is reported as RECOVERY_FAILED naming the journal, never skipped; it is kept as found and history still answers`, () => {
      const { home, cli } = sandbox();
      const journal = path.join(home, 'journal', 'run-20261207-x.json');
      mkdirSync(path.dirname(journal), { recursive: true });
      const text = DAMAGE[damage](valid('app'));
      writeFileSync(journal, text);

      const hold = cli('--json', 'hold', 'other');
      expect(hold.status).not.toBe(0);
      const error = errorOf(hold);
      expect(error.code).toBe('RECOVERY_FAILED');
      expect(error.message).toContain(journal);
      expect(error.message).toContain('damaged');
      if (damage === 'truncated') expect(error.message).toContain("Check app's folder");
      // Nothing acted on it: the journal is as written, the hold was not set.
      expect(readFileSync(journal, 'utf8')).toBe(text);
      expect(existsSync(path.join(home, 'holds.json'))).toBe(false);
      // Reading answers on.
      expect(cli('--json', 'history').status).toBe(0);
      // Once per process that met it (two commands ran), not once per contract call.
      const logged = hostLog(home).filter((r) => r.level === 'error' && r.message.includes('run journal is damaged'));
      expect(logged).toHaveLength(2);
      for (const record of logged) expect(record.fields).toMatchObject({ file: journal, run_id: 'run-20261207-x' });
    });
  }
});

describe('a damaged restore journal at start-up', () => {
  it('was reported only to the command that met it; now it is in the host log too', () => {
    const { home, cli } = sandbox();
    mkdirSync(path.join(home, 'backups'), { recursive: true });
    writeFileSync(path.join(home, 'backups', '.restore-app.json'), '{"kind":"full","folder":');
    const listed = cli('--json', 'backup', 'list');
    expect(listed.status).toBe(0);
    const logged = hostLog(home).filter((r) => r.scope === 'recovery' && r.level === 'error');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.fields).toMatchObject({ component: 'app', code: 'RECOVERY_FAILED' });
    expect(String(logged[0]?.fields?.message)).toContain('.restore-app.json');
  });
});

describe('a damaged holds file', () => {
  const valid = `${JSON.stringify({ format: 1, components: { app: { held: { version: '1.0', at: '2026-12-01T00:00:00.000Z' } } } }, null, 2)}\n`;

  for (const damage of DAMAGES) {
    it(`(${damage}) is STATE_CORRUPT: no new hold overwrites it, no update passes a hold that may be there, and a copy is kept`, () => {
      const { home, cli } = sandbox();
      const file = path.join(home, 'holds.json');
      const text = DAMAGE[damage](valid);
      writeFileSync(file, text);

      const hold = cli('--json', 'hold', 'other');
      expect(hold.status).not.toBe(0);
      expect(errorOf(hold).code).toBe('STATE_CORRUPT');
      expect(errorOf(hold).message).toContain(file);

      const update = cli('--json', 'update', 'app', '--yes');
      expect(update.status).not.toBe(0);
      expect(update.stdout).toContain('STATE_CORRUPT');
      expect(cli('--json', 'history').json()).toEqual({ entries: [] });

      expect(readFileSync(file, 'utf8')).toBe(text);
      const copies = readdirSync(home).filter((n) => n.startsWith('holds.json.corrupt-'));
      expect(copies).toHaveLength(1);
      expect(readFileSync(path.join(home, copies[0] as string), 'utf8')).toBe(text);
      expect(hostLog(home).some((r) => r.level === 'error' && r.fields?.file === file)).toBe(true);
    });
  }
});

describe('a damaged line in the update history', () => {
  it('keeps every backup retention would otherwise delete: which backups the damaged line needs is unknown', () => {
    const { home, cli } = sandbox();
    expect(cli('settings', 'set', 'backup_max_per_component', '1').status).toBe(0);
    const first = (cli('--json', 'backup', 'create', 'app').json() as { backup: { id: string } }).backup.id;
    // The update whose pre-update backup is `first`, with one byte lost in the middle (not a torn end).
    const entry = {
      id: 'run-1',
      component: 'app',
      kind: 'update',
      from: '0.9',
      to: '1.0',
      status: 'succeeded',
      started_at: '2026-12-07T00:00:00.000Z',
      finished_at: '2026-12-07T00:01:00.000Z',
      backup_id: first,
      error: null,
      duration_ms: 1,
      initiated_by: 'cli',
    };
    const history = path.join(home, 'history.jsonl');
    const damagedText = `${JSON.stringify(entry).replace('"status":"succeeded"', '"status":"succeeded')}\n`;
    writeFileSync(history, damagedText);

    expect(cli('--json', 'backup', 'create', 'app').status).toBe(0);
    const ids = (cli('--json', 'backup', 'list', 'app').json() as { backups: { id: string }[] }).backups.map(
      (b) => b.id,
    );
    expect(ids).toContain(first);
    expect(readFileSync(history, 'utf8')).toBe(damagedText);
    const logged = hostLog(home).filter((r) => r.level === 'error' && r.fields?.file === history);
    expect(logged.length).toBeGreaterThan(0);
    expect(String(logged[0]?.fields?.reason)).toContain('line 1');
  });

  it('history answers with the readable entries and logs the damaged ones; a torn last line alone is not damage', () => {
    const { home, cli } = sandbox();
    const good = (id: string) =>
      JSON.stringify({
        id,
        component: 'app',
        kind: 'update',
        from: '0.9',
        to: '1.0',
        status: 'succeeded',
        started_at: '2026-12-07T00:00:00.000Z',
        finished_at: `2026-12-07T00:0${id.slice(-1)}:00.000Z`,
        backup_id: null,
        error: null,
        duration_ms: 1,
        initiated_by: 'cli',
      });
    const history = path.join(home, 'history.jsonl');
    writeFileSync(history, `${good('run-1')}\n${good('run-2').slice(0, 30)}\n${good('run-3')}\n`);
    const listed = cli('--json', 'history').json() as { entries: { id: string }[] };
    expect(listed.entries.map((e) => e.id)).toEqual(['run-3', 'run-1']);
    expect(hostLog(home).filter((r) => r.scope === 'engine.history')).toHaveLength(0);

    writeFileSync(history, `${good('run-1')}\n[1,2,3]\n${good('run-3')}\n`);
    expect((cli('--json', 'history').json() as { entries: unknown[] }).entries).toHaveLength(2);
    const logged = hostLog(home).filter((r) => r.scope === 'engine.history');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.fields).toMatchObject({ lines: [2], count: 1 });
  });
});

describe('a damaged scheduler state', () => {
  for (const damage of DAMAGES) {
    it(`(${damage}) costs one check pass, never the run: run-due answers, the damage is logged and a copy kept`, () => {
      const { home, cli } = sandbox();
      const file = path.join(home, 'schedule-state.json');
      const text = DAMAGE[damage](
        JSON.stringify({
          version: 1,
          last_check_run: null,
          last_pass: null,
          components: { app: { failed_target: { version: '1.1', at: '2026-12-01T00:00:00.000Z', status: 'failed' } } },
        }),
      );
      writeFileSync(file, text);
      const due = cli('--json', 'run-due');
      expect(due.status).toBe(0);
      const copies = readdirSync(home).filter((n) => n.startsWith('schedule-state.json.corrupt-'));
      expect(copies).toHaveLength(1);
      expect(readFileSync(path.join(home, copies[0] as string), 'utf8')).toBe(text);
      expect(hostLog(home).some((r) => r.scope === 'schedule.state' && r.level === 'error')).toBe(true);
    });
  }
});

describe('a damaged version cache', () => {
  for (const damage of DAMAGES) {
    it(`(${damage}) is rebuilt by checking again, and the damage is logged`, () => {
      const { home, cli } = sandbox();
      const file = path.join(home, 'cache', 'versions.json');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, DAMAGE[damage](JSON.stringify({ format: 1, entries: {} })));
      const checked = cli('--json', 'check', 'app');
      expect(checked.status).toBe(0);
      expect(JSON.stringify(checked.json())).toContain('"installed":"1.0.0"');
      expect(
        hostLog(home).some((r) => r.scope === 'checks.service' && r.level === 'warn' && r.fields?.file === file),
      ).toBe(true);
    });
  }
});

describe('state files read in the process', () => {
  it('a damaged resolved-attention file reads as nothing resolved, and the next resolve keeps a copy of it', async () => {
    const dir = tempDir();
    const logFile = path.join(dir, 'upkeep.log');
    setLogSink(fileSink(logFile));
    const file = path.join(dir, 'attention.json');
    writeFileSync(file, '{"app": "run-1", "web": ');
    const store = new AttentionStore(file);
    expect(store.resolvedRun('app')).toBeUndefined();
    await store.resolve('other', 'run-9');
    const copies = readdirSync(dir).filter((n) => n.startsWith('attention.json.corrupt-'));
    expect(copies).toHaveLength(1);
    expect(readFileSync(path.join(dir, copies[0] as string), 'utf8')).toBe('{"app": "run-1", "web": ');
    expect(readFileSync(logFile, 'utf8')).toContain('resolved-attention file is damaged');
  });

  it('a damaged lock file blocks for 10 s, is then broken, and either way is in the host log', async () => {
    const dir = tempDir();
    const logFile = path.join(dir, 'upkeep.log');
    setLogSink(fileSink(logFile));
    const locks = path.join(dir, 'locks');
    mkdirSync(locks);
    const lock = path.join(locks, 'app.lock');
    writeFileSync(lock, '{"pid": "not a number"}');
    await expect(acquireLock(locks, 'app', { host: 'cli', runId: 'r1' })).rejects.toMatchObject({
      code: 'UPDATE_IN_PROGRESS',
    });
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const held = await acquireLock(locks, 'app', { host: 'cli', runId: 'r2' });
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid, run_id: 'r2' });
    await held.release();
    const records = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogRecord);
    expect(records.filter((r) => r.scope === 'engine.lock').map((r) => r.fields?.file)).toContain(lock);
  });

  it('a damaged secret store reads as no token (logged, never the garbage), and setting a token keeps a 0600 copy of it', async () => {
    const dir = tempDir();
    const logFile = path.join(dir, 'upkeep.log');
    setLogSink(fileSink(logFile));
    const file = path.join(dir, 'secrets.json');
    writeFileSync(file, '{"github_token": "ghp_cut-off-in-the-mid', { mode: 0o600 });
    const store = new SecretStore(file);
    expect(store.get('github_token')).toBeUndefined();
    await store.set('github_token', 'new-token-value');
    expect(store.get('github_token')).toBe('new-token-value');
    const copies = readdirSync(dir).filter((n) => n.startsWith('secrets.json.corrupt-'));
    expect(copies).toHaveLength(1);
    const copy = path.join(dir, copies[0] as string);
    expect(readFileSync(copy, 'utf8')).toBe('{"github_token": "ghp_cut-off-in-the-mid');
    expect(statSync(copy).mode & 0o777).toBe(0o600);
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('secret store is damaged');
    expect(log).not.toContain('new-token-value');
  });

  it('a damaged HTTP cache entry is a miss (the request goes out without validators), logged', async () => {
    const dir = tempDir();
    const logFile = path.join(dir, 'upkeep.log');
    setLogSink(fileSink(logFile));
    const cacheDir = path.join(dir, 'http');
    mkdirSync(cacheDir);
    const key = ResponseCache.key('GET', 'https://example.test/x', 'anon');
    for (const text of [
      'garbage',
      '{"url": "https://example.test/x", "bo',
      JSON.stringify({ url: 'https://example.test/x', body: 42 }),
    ]) {
      writeFileSync(path.join(cacheDir, `${key}.json`), text);
      const cache = new ResponseCache(cacheDir);
      expect(await cache.get(key)).toBeUndefined();
    }
    const records = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogRecord);
    expect(records.filter((r) => r.scope === 'net.response-cache' && r.level === 'warn')).toHaveLength(3);
  });
});
