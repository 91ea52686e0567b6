// A settings patch changes exactly the keys it names. Property: after any sequence of patches, the
// stored settings equal the fold of the valid patches over the defaults (a refused patch changes
// nothing). Through the contract on the real SettingsService and its config.json, the real CLI,
// the real HTTP host and the IPC handler. UPKEEP_SETTINGS_SEED replays a run.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { invokeMethod } from '../../shared/contract';
import { toErrorShape, type ErrorShape } from '../../shared/errors';
import { createApi } from '../../electron/core/api';
import { SettingsService } from '../../electron/core/config/settings';
import { createConfStore } from '../../electron/core/config/store';
import { createServices } from '../../electron/core/services';
import { serveHeadless } from '../../electron/http/serve';
import { createInvokeHandler, type IpcSender } from '../../electron/main/ipc-handler';
import { buildCli, upkeep } from '../helpers/cli';
import { tempDir } from '../helpers/temp';

const SOAK = process.env.UPKEEP_SOAK === '1';
const SEED = Number(process.env.UPKEEP_SETTINGS_SEED ?? 20261207);
/** In-process runs (a fresh data directory each) and patches per run. */
const RUNS = SOAK ? 1000 : 50;
const PATCHES = 30;

type Patch = Record<string, unknown>;
type Settings = Record<string, unknown>;

/** The documented defaults, written out here so the test does not take them from the code under test. */
const DEFAULTS: Settings = {
  check_interval_hours: 24,
  cache_ttl_hours: 24,
  min_free_space_mb: 500,
  download_idle_timeout_s: 60,
  backup_max_per_component: 10,
  backup_max_age_days: 0,
  backup_disk_budget_mb: 0,
  notifications: true,
  github_api_base: 'https://api.github.com',
  time_zone: '',
  webhooks: [],
};
const KEYS = Object.keys(DEFAULTS);

/** mulberry32: small, seeded, good enough to pick test cases. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly next: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }
  /** A number in [min, max], often one of the bounds. */
  num(min: number, max: number, integer: boolean): number {
    const roll = this.next();
    if (roll < 0.1) return min;
    if (roll < 0.2) return max;
    const n = min + this.next() * (max - min);
    return integer ? Math.round(n) : Math.round(n * 100) / 100;
  }
}

function webhook(g: Gen, i: number): Record<string, unknown> {
  const hook: Record<string, unknown> = {
    url:
      g.pick(['https://hooks.example.com/u/', 'http://127.0.0.1:9/hook-', 'https://discord.com/api/webhooks/1/']) +
      String(i),
    format: g.pick(['json', 'discord', 'slack']),
  };
  if (g.next() < 0.5) hook.events = g.pick([['update_failed'], ['update_available', 'update_succeeded'], []]);
  if (g.next() < 0.5) hook.name = `hook ${i}`;
  return hook;
}

/** A value the schema accepts, for each key. */
function validValue(g: Gen, key: string): unknown {
  switch (key) {
    case 'check_interval_hours':
      return g.num(0.25, 720, false);
    case 'cache_ttl_hours':
      return g.num(0, 2160, false);
    case 'min_free_space_mb':
      return g.num(0, 10_000_000, true);
    case 'download_idle_timeout_s':
      return g.num(0.05, 3600, false);
    case 'backup_max_per_component':
      return g.num(1, 1000, true);
    case 'backup_max_age_days':
      return g.num(0, 36500, true);
    case 'backup_disk_budget_mb':
      return g.num(0, 100_000_000, true);
    case 'notifications':
      return g.next() < 0.5;
    case 'github_api_base':
      return g.pick([
        'https://api.github.com',
        'https://ghe.example.com/api/v3',
        'http://127.0.0.1:8080/api/v3',
        'https://git.example.org/api/v3/',
      ]);
    case 'time_zone':
      return g.pick(['', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC']);
    default:
      return Array.from({ length: g.int(0, 3) }, (_, i) => webhook(g, i));
  }
}

/** A value the schema refuses, for each key (the whole patch is then refused). */
function invalidValue(g: Gen, key: string): unknown {
  const table: Record<string, unknown[]> = {
    check_interval_hours: [0, -1, 100_000, 'often'],
    cache_ttl_hours: [-1, 1e9],
    min_free_space_mb: [1.5, -1],
    download_idle_timeout_s: [0, 4000],
    backup_max_per_component: [0, 1001, 2.5],
    backup_max_age_days: [-1, 0.5],
    backup_disk_budget_mb: [-5],
    notifications: ['yes', 1],
    github_api_base: ['', 'api.github.com', 'file:///etc/passwd', 'ftp://example.com/', 'javascript:alert(1)'],
    time_zone: ['Mars/Olympus', 42],
    webhooks: [[{ url: 'file:///etc/passwd' }], [{ url: 'https://x.example', format: 'teams' }], 'none'],
  };
  return g.pick(table[key] ?? [null]);
}

interface Step {
  patch: Patch;
  valid: boolean;
}

/** One to four keys; one step in eight carries a refused value or an unknown key. */
function randomStep(g: Gen, options: { undefinedKeys: boolean }): Step {
  const keys = [...KEYS].sort(() => g.next() - 0.5).slice(0, g.int(1, 4));
  const patch: Patch = {};
  for (const key of keys) patch[key] = validValue(g, key);
  if (g.next() < 0.125) {
    if (g.next() < 0.2) patch.zz_unknown = 1;
    else {
      const key = g.pick(keys);
      patch[key] = invalidValue(g, key);
    }
    return { patch, valid: false };
  }
  // IPC keeps a key sent as undefined: it names no change.
  if (options.undefinedKeys && g.next() < 0.25) patch[g.pick(KEYS.filter((k) => !keys.includes(k)))] = undefined;
  return { patch, valid: true };
}

function fold(state: Settings, step: Step): Settings {
  if (!step.valid) return state;
  const next = { ...state };
  for (const [key, value] of Object.entries(step.patch)) if (value !== undefined) next[key] = structuredClone(value);
  return next;
}

/** The `settings` object in `<home>/config.json` (undefined before the first write). */
function storedSettings(home: string): unknown {
  const file = path.join(home, 'config.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { settings?: unknown }).settings;
}

type Outcome = { ok: true; settings: unknown } | { ok: false; error: ErrorShape };

/** Run one sequence through `apply`; after each step the answer and the file must equal the model. */
async function checkSequence(
  label: string,
  home: string,
  steps: Step[],
  apply: (patch: Patch) => Promise<Outcome>,
  read?: () => unknown,
): Promise<Settings> {
  let expected: Settings = { ...DEFAULTS };
  for (const [i, step] of steps.entries()) {
    const where = `${label} step ${i}: ${JSON.stringify(step.patch)}`;
    const outcome = await apply(step.patch);
    expected = fold(expected, step);
    if (step.valid) {
      expect(outcome.ok ? '' : outcome.error.message, where).toBe('');
      if (outcome.ok) expect(outcome.settings, where).toEqual(expected);
    } else {
      expect(outcome.ok, where).toBe(false);
      if (!outcome.ok) expect(['INVALID_REQUEST', 'INVALID_CONFIG'], where).toContain(outcome.error.code);
    }
    // What is on disk (the first refused patch may come before anything was written).
    const stored = storedSettings(home);
    if (stored !== undefined || step.valid) expect(stored, where).toEqual(expected);
    if (read) expect(read(), `${where} (read back)`).toEqual(expected);
  }
  return expected;
}

describe('settings patches: stored settings are the fold of the patches', () => {
  it(
    `${RUNS} seeded runs of ${PATCHES} patches through the contract and the real SettingsService on config.json (seed ${SEED})`,
    async () => {
      const g = new Gen(prng(SEED));
      let valid = 0;
      let refused = 0;
      for (let run = 0; run < RUNS; run++) {
        const home = path.join(tempDir('upkeep-settings-prop-'), 'home');
        const services = createServices({ home, host: 'cli' });
        const api = createApi(services);
        // A component in the same file must come through every settings change untouched.
        await invokeMethod(
          api,
          'addComponents',
          { text: 'components:\n  app:\n    type: always_current\n    current: "1.0"\n' },
          { initiatedBy: 'cli', readOnly: false },
        );
        const steps = Array.from({ length: PATCHES }, () => randomStep(g, { undefinedKeys: true }));
        valid += steps.filter((s) => s.valid).length;
        refused += steps.filter((s) => !s.valid).length;
        const apply = async (patch: Patch): Promise<Outcome> => {
          try {
            const view = await invokeMethod(api, 'setSettings', { patch }, { initiatedBy: 'cli', readOnly: false });
            return { ok: true, settings: (view as { settings: unknown }).settings };
          } catch (error) {
            return { ok: false, error: toErrorShape(error) };
          }
        };
        const expected = await checkSequence(`seed ${SEED} run ${run}`, home, steps, apply);
        // Read back by a second service on the same file, as the next command would.
        expect(new SettingsService(createConfStore(home)).get(), `seed ${SEED} run ${run} (read back)`).toEqual(
          expected,
        );
        const components = await invokeMethod(api, 'listComponents', {}, { initiatedBy: 'cli', readOnly: false });
        expect((components as { components: { id: string }[] }).components.map((c) => c.id)).toEqual(['app']);
      }
      console.log(
        `settings patches: seed ${SEED}, ${RUNS} runs × ${PATCHES} patches: ${valid} applied, ${refused} refused, every step equal to the fold`,
      );
      expect(valid).toBeGreaterThan(RUNS * PATCHES * 0.8);
      expect(refused).toBeGreaterThan(0);
    },
    SOAK ? 1_800_000 : 300_000,
  );

  it('the real CLI: `settings set` one key after another keeps every other (the sequence from the report, then seeded ones)', () => {
    buildCli();
    const g = new Gen(prng(SEED + 1));
    const reported: Step[] = [
      { patch: { backup_max_per_component: 50 }, valid: true },
      { patch: { notifications: false }, valid: true },
      { patch: { webhooks: [{ url: 'https://hooks.example.com/a', format: 'slack' }] }, valid: true },
      { patch: { github_api_base: 'https://ghe.example.com/api/v3' }, valid: true },
      { patch: { time_zone: 'Europe/Berlin' }, valid: true },
      { patch: { backup_max_age_days: 30 }, valid: true },
    ];
    const seeded = Array.from({ length: 6 }, (): Step => {
      const key = g.pick(KEYS);
      return { patch: { [key]: validValue(g, key) }, valid: true };
    });
    const sequences = [reported, seeded];
    for (const [n, steps] of sequences.entries()) {
      const home = path.join(tempDir('upkeep-settings-cli-'), 'home');
      let expected: Settings = { ...DEFAULTS };
      for (const step of steps) {
        const [[key, value]] = Object.entries(step.patch) as [[string, unknown]];
        const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
        const res = upkeep(['--home', home, 'settings', 'set', key, text]);
        expect(res.status, `${key} ${text}: ${res.stderr}`).toBe(0);
        expected = fold(expected, step);
        expect(storedSettings(home), `CLI sequence ${n} after ${key}=${text}`).toEqual(expected);
      }
      const got = upkeep(['--home', home, '--json', 'settings', 'get']);
      expect(got.status, got.stderr).toBe(0);
      expect((got.json() as { settings: unknown }).settings, `CLI sequence ${n}`).toEqual(expected);
    }
  }, 180_000);

  it('the real HTTP host: 5 seeded sequences of 40 multi-key patches over POST /api/setSettings', async () => {
    const g = new Gen(prng(SEED + 2));
    for (let run = 0; run < 5; run++) {
      const home = path.join(tempDir('upkeep-settings-http-'), 'home');
      const host = await serveHeadless({ home, port: 0, scheduler: false, firstRun: false });
      try {
        const token = readFileSync(path.join(home, 'http-token'), 'utf8').trim();
        const apply = async (patch: Patch): Promise<Outcome> => {
          const res = await fetch(`${host.url}api/setSettings`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
            body: JSON.stringify({ patch }),
          });
          const body = (await res.json()) as { result?: { settings: unknown }; error?: ErrorShape };
          if (body.error) {
            expect(res.status).toBe(400);
            return { ok: false, error: body.error };
          }
          return { ok: true, settings: body.result?.settings };
        };
        const steps = Array.from({ length: 40 }, () => randomStep(g, { undefinedKeys: false }));
        await checkSequence(`HTTP run ${run}`, home, steps, apply);
      } finally {
        await host.close();
      }
    }
  }, 120_000);

  it('the IPC handler (as ipcMain calls it): 100 seeded patches, keys sent as undefined change nothing', async () => {
    const g = new Gen(prng(SEED + 3));
    const home = path.join(tempDir('upkeep-settings-ipc-'), 'home');
    const services = createServices({ home, host: 'desktop' });
    const handler = createInvokeHandler({ api: createApi(services), isTrustedSender: () => true });
    const event: IpcSender = { sender: {} as never, senderFrame: { url: 'file:///app/index.html' } };
    const apply = async (patch: Patch): Promise<Outcome> => {
      const res = await handler(event, 'setSettings', { patch });
      return res.ok
        ? { ok: true, settings: (res.result as { settings: unknown }).settings }
        : { ok: false, error: res.error };
    };
    const steps = [
      {
        patch: { backup_max_per_component: 50, webhooks: [{ url: 'https://hooks.example.com/x', format: 'json' }] },
        valid: true,
      },
      { patch: { notifications: false, backup_max_per_component: undefined, webhooks: undefined }, valid: true },
      ...Array.from({ length: 98 }, () => randomStep(g, { undefinedKeys: true })),
    ];
    await checkSequence('IPC', home, steps, apply, () => services.settings.get());
  });
});
