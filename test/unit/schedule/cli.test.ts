import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, upkeep } from '../../helpers/cli';

describe('upkeep schedule, run-due and status', () => {
  let home: string;
  beforeAll(() => {
    buildCli();
    home = mkdtempSync(path.join(os.tmpdir(), 'upkeep-schedule-cli-'));
    const file = path.join(home, 'c.yaml');
    writeFileSync(
      file,
      'components:\n  demo:\n    name: Demo\n    type: always_current\n    current: 1.0.0\n    method: sleep_a_bit\n',
    );
    expect(upkeep(['--home', home, 'component', 'add', '--file', file]).status).toBe(0);
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('sets and shows a component schedule', () => {
    const set = upkeep([
      '--home',
      home,
      '--json',
      'schedule',
      'demo',
      '--policy',
      'auto',
      '--window',
      'weekly sun 03:00 for 90m',
      '--min-age',
      '3d',
      '--allow-major',
    ]);
    expect(set.status).toBe(0);
    expect(set.json()).toMatchObject({
      id: 'demo',
      policy: 'auto',
      window: 'weekly sun 03:00 for 90m',
      min_release_age: '3d',
      allow_major: true,
      window_error: null,
    });
    const shown = upkeep(['--home', home, 'schedule']);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/demo\s+auto\s+weekly sun 03:00 for 90m\s+3d\s+yes/);
    const back = upkeep([
      '--home',
      home,
      '--json',
      'schedule',
      'demo',
      '--policy',
      'notify',
      '--window',
      'default',
      '--min-age',
      'none',
      '--no-allow-major',
    ]);
    expect(back.json()).toMatchObject({
      policy: 'notify',
      window: 'daily 03:00',
      min_release_age: null,
      allow_major: false,
    });
  });

  it('reads windows in settings.time_zone, refusing a zone Intl does not know', () => {
    expect(upkeep(['--home', home, 'settings', 'set', 'time_zone', 'America/New_York']).status).toBe(0);
    expect(upkeep(['--home', home, '--json', 'schedule']).json()).toMatchObject({ time_zone: 'America/New_York' });
    const bad = upkeep(['--home', home, 'settings', 'set', 'time_zone', 'Mars/Olympus']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/IANA time zone/);
  });

  it('refuses a bad window (exit 2) and options without an ID', () => {
    const bad = upkeep(['--home', home, 'schedule', 'demo', '--window', 'every night']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Invalid maintenance window "every night".*daily 03:00.*\[INVALID_CONFIG\]/);
    const noId = upkeep(['--home', home, 'schedule', '--policy', 'auto']);
    expect(noId.status).toBe(2);
    expect(noId.stderr).toMatch(/Say which component/);
  });

  it('run-due exits 0 with what ran and, the second time, that nothing was due', () => {
    const first = upkeep(['--home', home, '--json', 'run-due']);
    expect(first.status).toBe(0);
    expect(first.json()).toMatchObject({
      checked: [{ id: 'demo', installed: '1.0.0', latest: '1.0.0', update_available: false, error: null }],
      updated: [],
      deferred: [],
    });
    const second = upkeep(['--home', home, 'run-due']);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/Nothing was due\./);
  });

  it('webhook add, list (URL shortened), test (connection refused: exit 1) and remove', () => {
    const add = upkeep([
      '--home',
      home,
      'webhook',
      'add',
      'http://127.0.0.1:9/api/webhooks/123/SECRET',
      '--format',
      'discord',
      '--name',
      'ops',
      '--events',
      'update_failed,update_rolled_back',
    ]);
    expect(add.status).toBe(0);
    const list = upkeep(['--home', home, 'webhook', 'list']);
    expect(list.stdout).toMatch(/0\s+ops\s+discord\s+http:\/\/127\.0\.0\.1:9\/…\s+update_failed,update_rolled_back/);
    expect(list.stdout).not.toContain('SECRET');
    const test = upkeep(['--home', home, '--json', 'webhook', 'test', 'ops']);
    expect(test.status).toBe(1);
    expect(test.json()).toEqual({
      deliveries: [
        {
          webhook: 'ops',
          event: 'test',
          ok: false,
          attempts: 1,
          status: null,
          error: 'connection failed (ECONNREFUSED)',
        },
      ],
    });
    expect(upkeep(['--home', home, 'webhook', 'add', 'ftp://x', '--format', 'json']).status).toBe(2);
    expect(upkeep(['--home', home, 'webhook', 'remove', 'ops']).status).toBe(0);
    expect(upkeep(['--home', home, 'webhook', 'list']).stdout).toMatch(/No webhooks/);
  });

  it('status reports components, backups, disk and the scheduler', () => {
    const status = upkeep(['--home', home, '--json', 'status']);
    expect(status.status).toBe(0);
    const json = status.json() as {
      components: unknown[];
      backups: { bytes: number };
      disk: { free_bytes: number } | null;
      scheduler: { last_check_run: string | null };
    };
    expect(json.components).toMatchObject([
      { id: 'demo', installed: '1.0.0', last_update: null, last_7d: { runs: 0, success_rate: null } },
    ]);
    expect(json.backups.bytes).toBe(0);
    expect(json.disk?.free_bytes).toBeGreaterThan(0);
    expect(json.scheduler.last_check_run).not.toBeNull();
    expect(upkeep(['--home', home, 'status']).stdout).toMatch(/Free space: .* of /);
  });
});
