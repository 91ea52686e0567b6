import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { EventName } from '../../../shared/contract';
import type { HistoryEntry } from '../../../shared/types';
import { createApi } from '../../../electron/core/api';
import { schedulerFor } from '../../../electron/core/schedule/wiring';
import { createServices, type Services } from '../../../electron/core/services';
import { tempDir } from '../../helpers/temp';

/** A release feed on 127.0.0.1 answering `{"version": …}` (the jsondata check type), with a request count. */
export async function versionServer(initial: string) {
  let version = initial;
  let requests = 0;
  let failing = false;
  const server = http.createServer((req, res) => {
    requests++;
    if (failing) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('down for maintenance');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ version }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/latest.json`;
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    url,
    set(v: string) {
      version = v;
    },
    /** Answer 503 from now on (or again 200). */
    fail(on: boolean) {
      failing = on;
    },
    get requests() {
      return requests;
    },
  };
}

/** A clock the test moves by hand. */
export function fakeClock(start: string) {
  let now = Date.parse(start);
  return {
    now: () => now,
    set(iso: string) {
      now = Date.parse(iso);
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

export interface SetupOptions {
  installed?: string;
  latest?: string;
  autoUpdate?: Record<string, unknown>;
  /** A script that fails (exit 1), so the update is rolled back. */
  failingUpdate?: boolean;
  start?: string;
  timeZone?: string;
  settings?: Record<string, unknown>;
}

/**
 * A real data directory with real services: a component whose installed version is a file in its
 * folder, checked against the local feed (jsondata), updated by a real script (update_script) that
 * writes the new version into that file — through the real update engine, backups and history.
 */
export async function scheduleSetup(options: SetupOptions = {}) {
  const root = tempDir('upkeep-schedule-');
  const home = path.join(root, 'home');
  const folder = path.join(root, 'app');
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'VERSION'), options.installed ?? '1.0.0');
  writeFileSync(path.join(folder, 'data.txt'), 'user data');
  const feed = await versionServer(options.latest ?? '1.1.0');
  const services: Services = createServices({ home, host: 'cli' });
  // A fresh answer from the feed on every check: the tests change it between passes.
  services.settings.set({ cache_ttl_hours: 0, ...(options.settings ?? {}) });
  const script = options.failingUpdate
    ? [process.execPath, '-e', 'process.exit(1)']
    : [process.execPath, '-e', "require('fs').writeFileSync('VERSION', process.argv[1])", '{target_version}'];
  services.components.add({
    webapp: {
      name: 'Web App',
      type: 'jsondata',
      jsondata: feed.url,
      release_compare: 'semantic',
      folder,
      version_from: { file: 'VERSION', regex: '([0-9][^\\s]*)' },
      method: 'update_script',
      update_script: script,
      ...(options.autoUpdate ? { auto_update: { enabled: true, ...options.autoUpdate } } : {}),
    } as never,
  });
  const clock = fakeClock(options.start ?? '2026-06-10T10:00:00Z');
  const scheduler = schedulerFor(services, { clock, timeZone: options.timeZone ?? 'Europe/Berlin' });
  const events: { event: EventName; payload: unknown }[] = [];
  services.events.onAny((event, payload) => events.push({ event, payload }));
  afterEach(async () => {
    await services.checks.close();
  });
  return {
    root,
    home,
    folder,
    feed,
    services,
    clock,
    scheduler,
    api: createApi(services),
    events,
    installed: () => readFileSync(path.join(folder, 'VERSION'), 'utf8'),
    history: () => services.updates.history.readAll(),
    named: (name: EventName) => events.filter((e) => e.event === name).map((e) => e.payload),
  };
}

/** Past update runs in history.jsonl, as the engine writes them (for duration estimates and statistics). */
export function writeHistory(home: string, entries: Partial<HistoryEntry>[]): void {
  const lines = entries.map((e, i) =>
    JSON.stringify({
      id: `past-${i}`,
      component: 'webapp',
      kind: 'update',
      from: '0.9.0',
      to: '1.0.0',
      status: 'succeeded',
      started_at: e.finished_at ?? '2026-05-01T03:00:00.000Z',
      finished_at: '2026-05-01T03:10:00.000Z',
      backup_id: null,
      error: null,
      duration_ms: 600_000,
      initiated_by: 'schedule',
      ...e,
    }),
  );
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, 'history.jsonl'), `${lines.join('\n')}\n`);
}
