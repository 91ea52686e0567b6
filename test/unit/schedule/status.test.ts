import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { invokeMethod } from '../../../shared/contract';
import type { RunDueResult } from '../../../shared/types';
import { startScheduler } from '../../../electron/core/schedule/wiring';
import { FakeGitHub } from '../../fixtures/servers/github';
import { scheduleSetup, writeHistory } from './schedule-fixture';

const DAY = 86_400_000;
const read = { initiatedBy: 'panel', readOnly: true } as const;

describe('getStatus', () => {
  it('reports per-component history statistics over 7 and 30 days, backup usage and free space', async () => {
    const s = await scheduleSetup();
    const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
    writeHistory(s.home, [
      { id: 'r1', status: 'succeeded', duration_ms: 60_000, finished_at: ago(1), from: '1.0.0', to: '1.1.0' },
      { id: 'r2', status: 'succeeded', duration_ms: 60_000, finished_at: ago(3) },
      { id: 'r3', status: 'rolled_back', duration_ms: 120_000, finished_at: ago(5) },
      { id: 'r4', status: 'failed', duration_ms: 300_000, finished_at: ago(20) },
      { id: 'r5', status: 'skipped', duration_ms: 5, finished_at: ago(2) },
      { id: 'r6', status: 'succeeded', duration_ms: 1, finished_at: ago(40) },
      { id: 'r7', status: 'failed', duration_ms: 9, finished_at: ago(1), component: 'other' },
      { id: 'r8', kind: 'rollback', status: 'succeeded', duration_ms: 9, finished_at: ago(1) },
    ]);
    mkdirSync(path.join(s.home, 'backups', 'webapp'), { recursive: true });
    writeFileSync(path.join(s.home, 'backups', 'webapp', 'a.tar.gz'), Buffer.alloc(1000));
    writeFileSync(path.join(s.home, 'backups', 'webapp', 'a.json'), Buffer.alloc(234));

    const status = await s.api.getStatus({}, read);
    expect(status.components).toHaveLength(1);
    const c = status.components[0]!;
    expect(c).toMatchObject({
      id: 'webapp',
      name: 'Web App',
      policy: 'notify',
      last_update: { from: '1.0.0', to: '1.1.0', status: 'succeeded' },
    });
    expect(c.last_7d).toEqual({
      runs: 3,
      succeeded: 2,
      failed: 0,
      rolled_back: 1,
      success_rate: 2 / 3,
      mean_duration_ms: 80_000,
    });
    expect(c.last_30d).toEqual({
      runs: 4,
      succeeded: 2,
      failed: 1,
      rolled_back: 1,
      success_rate: 0.5,
      mean_duration_ms: 135_000,
    });
    expect(status.backups).toEqual({ bytes: 1234, files: 2, path: path.join(s.home, 'backups') });
    expect(status.disk?.free_bytes).toBeGreaterThan(0);
    expect(status.disk!.total_bytes).toBeGreaterThanOrEqual(status.disk!.free_bytes);
    expect(status.github_rate_limit).toBeNull();
  });

  it('shows the pending update and when the scheduler will install it', async () => {
    const s = await scheduleSetup({ autoUpdate: { window: 'daily 03:00 for 2h' }, start: '2026-06-10T08:00:00Z' });
    await s.scheduler.runDue();
    const status = await s.api.getStatus({}, read);
    expect(status.components[0]).toMatchObject({
      policy: 'auto',
      pending_update: { installed: '1.0.0', latest: '1.1.0' },
      next_run: { at: '2026-06-11T01:00:00.000Z', kind: 'auto_update' },
      deferral: { reason: 'outside_window' },
    });
    expect(status.scheduler.last_check_run).toBe('2026-06-10T08:00:00.000Z');
  });

  it('reads the GitHub budget left from the checks HTTP client once it has asked GitHub', async () => {
    const gh = await FakeGitHub.start({ rateLimit: { limit: 5000, remaining: 4321 } });
    afterEach(() => gh.fixture.close());
    gh.addRelease('acme', 'tool', { tag_name: 'v1.2.0' });
    const s = await scheduleSetup();
    s.services.settings.set({ github_api_base: gh.apiBase });
    s.services.components.add({
      tool: { type: 'github_release', user: 'acme', repo: 'tool', api_base: gh.apiBase, current: '1.0.0' } as never,
    });
    await invokeMethod(s.api, 'checkComponents', { ids: ['tool'] }, { initiatedBy: 'panel', readOnly: false });
    const status = await s.api.getStatus({}, read);
    expect(status.github_rate_limit).toMatchObject({
      host: new URL(gh.apiBase).host,
      remaining: gh.rateLimit.remaining,
    });
    expect(gh.rateLimit.remaining).toBeLessThan(4321);
  });
});

describe('startScheduler', () => {
  it("after a scheduled update, the engine's own re-check does not bring the update back as pending", async () => {
    const s = await scheduleSetup({ autoUpdate: { window: 'always' } });
    let firstPass!: (r: RunDueResult) => void;
    const passed = new Promise<RunDueResult>((resolve) => (firstPass = resolve));
    const stop = startScheduler(s.services, {
      clock: s.clock,
      tickMs: 3_600_000,
      webhooks: false,
      onPass: (r) => firstPass(r),
    });
    expect((await passed).updated).toMatchObject([{ to: '1.1.0', status: 'succeeded' }]);
    await s.scheduler.idle();
    const view = await s.api.getSchedule({ id: 'webapp' }, read);
    expect(view.components[0]).toMatchObject({ pending: null, deferral: null });
    s.clock.advance(60_000);
    const next = await s.scheduler.runDue();
    expect(next).toMatchObject({ updated: [], deferred: [] });
    expect((await s.history()).map((e) => e.status)).toEqual(['succeeded']);
    await stop();
  });

  it('runs a start-up pass, notes manual checks, announces each version once, and stops cleanly', async () => {
    const s = await scheduleSetup();
    let firstPass!: (r: RunDueResult) => void;
    const passed = new Promise<RunDueResult>((resolve) => (firstPass = resolve));
    const stop = startScheduler(s.services, {
      clock: s.clock,
      tickMs: 3_600_000,
      webhooks: false,
      onPass: (r) => firstPass(r),
    });
    const startup = await passed;
    expect(startup.checked.map((c) => c.id)).toEqual(['webapp']);

    // The panel's "Check for updates" finds a newer version: noted and announced once.
    s.feed.set('1.2.0');
    s.clock.advance(60_000);
    await invokeMethod(
      s.api,
      'checkComponents',
      { ids: ['webapp'], force: true },
      { initiatedBy: 'panel', readOnly: false },
    );
    await invokeMethod(
      s.api,
      'checkComponents',
      { ids: ['webapp'], force: true },
      { initiatedBy: 'panel', readOnly: false },
    );
    await s.scheduler.idle();
    expect(s.named('update_available').map((p) => (p as { to_version: string }).to_version)).toEqual([
      '1.1.0',
      '1.2.0',
    ]);
    const view = await s.api.getSchedule({}, read);
    expect(view.components[0]).toMatchObject({
      pending: { latest: '1.2.0' },
      last_checked_at: new Date(s.clock.now()).toISOString(),
    });

    await stop();
    // Stopped: a manual check is no longer noted.
    s.feed.set('1.3.0');
    await invokeMethod(
      s.api,
      'checkComponents',
      { ids: ['webapp'], force: true },
      { initiatedBy: 'panel', readOnly: false },
    );
    await s.scheduler.idle();
    expect(s.named('update_available')).toHaveLength(2);
  });
});
