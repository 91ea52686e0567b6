import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { invokeMethod } from '../../../shared/contract';
import { acquireLock } from '../../../electron/core/engine/lock';
import { Scheduler } from '../../../electron/core/schedule/scheduler';
import { FakeGitHub } from '../../fixtures/servers/github';
import { scheduleSetup, writeHistory } from './schedule-fixture';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('background checks', () => {
  it('checks on the first pass, not again before check_interval_hours, then again', async () => {
    const s = await scheduleSetup();
    s.services.settings.set({ check_interval_hours: 6 });
    const first = await s.scheduler.runDue();
    expect(first.checked).toEqual([
      { id: 'webapp', installed: '1.0.0', latest: '1.1.0', update_available: true, error: null },
    ]);
    expect(first.next_check_at).toBe('2026-06-10T16:00:00.000Z');
    const requests = s.feed.requests;

    s.clock.advance(6 * HOUR - 1);
    expect((await s.scheduler.runDue()).checked).toEqual([]);
    expect(s.feed.requests).toBe(requests);

    s.clock.advance(1);
    expect((await s.scheduler.runDue()).checked.map((c) => c.id)).toEqual(['webapp']);
    expect(s.feed.requests).toBeGreaterThan(requests);
  });

  it('checks at start-up when the cache has expired, even before the interval', async () => {
    const s = await scheduleSetup({ settings: { check_interval_hours: 24, cache_ttl_hours: 6 } });
    await s.scheduler.runDue({ startup: true });
    s.clock.advance(5 * HOUR);
    expect((await s.scheduler.runDue({ startup: true })).checked).toEqual([]);
    s.clock.advance(1 * HOUR);
    expect((await s.scheduler.runDue()).checked).toEqual([]);
    expect((await s.scheduler.runDue({ startup: true })).checked.map((c) => c.id)).toEqual(['webapp']);
  });

  it('announces an update once per version, and again for a newer one', async () => {
    const s = await scheduleSetup();
    await s.scheduler.runDue();
    s.clock.advance(DAY);
    await s.scheduler.runDue();
    expect(s.named('update_available')).toEqual([
      { component: 'webapp', name: 'Web App', from_version: '1.0.0', to_version: '1.1.0', channel: 'stable' },
    ]);
    s.feed.set('1.2.0');
    s.clock.advance(DAY);
    await s.scheduler.runDue();
    expect(s.named('update_available').map((p) => (p as { to_version: string }).to_version)).toEqual([
      '1.1.0',
      '1.2.0',
    ]);
  });

  it('notify policy (the default) never installs anything, even at 03:00', async () => {
    const s = await scheduleSetup({ start: '2026-06-10T01:30:00Z' });
    const result = await s.scheduler.runDue();
    expect(result.updated).toEqual([]);
    expect(result.deferred).toEqual([]);
    expect(s.installed()).toBe('1.0.0');
    expect(await s.history()).toEqual([]);
  });
});

describe('auto-updates inside the maintenance window (Europe/Berlin)', () => {
  it('waits for the window, then updates through the engine with initiated_by schedule', async () => {
    const s = await scheduleSetup({ autoUpdate: { window: 'daily 03:00 for 2h' }, start: '2026-06-10T08:00:00Z' });
    const waiting = await s.scheduler.runDue();
    expect(waiting.updated).toEqual([]);
    expect(waiting.deferred).toMatchObject([
      { component: 'webapp', target: '1.1.0', reason: 'outside_window', until: '2026-06-11T01:00:00.000Z' },
    ]);
    expect(waiting.deferred[0]?.message).toMatch(/next at 2026-06-11 03:00 \+02:00 \(Europe\/Berlin\)/);

    s.clock.set('2026-06-11T00:59:59.999Z'); // 02:59:59.999 CEST
    const changes = s.named('schedule_changed').length;
    expect((await s.scheduler.runDue()).updated).toEqual([]);
    expect(s.installed()).toBe('1.0.0');
    // The same deferral again is no news for the panel.
    expect(s.named('schedule_changed')).toHaveLength(changes);

    s.clock.set('2026-06-11T01:00:00Z'); // 03:00 CEST: open
    const ran = await s.scheduler.runDue();
    expect(ran.updated).toMatchObject([{ id: 'webapp', from: '1.0.0', to: '1.1.0', status: 'succeeded', error: null }]);
    expect(ran.deferred).toEqual([]);
    expect(s.installed()).toBe('1.1.0');
    const history = await s.history();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      component: 'webapp',
      to: '1.1.0',
      status: 'succeeded',
      initiated_by: 'schedule',
    });

    // Nothing left to do in the same window.
    s.clock.advance(30 * 60_000);
    const after = await s.scheduler.runDue();
    expect(after.updated).toEqual([]);
    expect(after.deferred).toEqual([]);
  });

  it('checks afresh when the window opens, so a release published since the last check is installed', async () => {
    // The version cache would answer for a day: the window's check must go upstream anyway.
    const s = await scheduleSetup({
      autoUpdate: { window: 'daily 03:00 for 2h' },
      latest: '1.0.0',
      start: '2026-06-10T08:00:00Z',
      settings: { cache_ttl_hours: 24 },
    });
    expect((await s.scheduler.runDue()).checked[0]).toMatchObject({ update_available: false });
    s.feed.set('1.0.1');
    s.clock.set('2026-06-11T01:05:00Z'); // inside the window, 17 h after the last check (interval 24 h)
    const ran = await s.scheduler.runDue();
    expect(ran.checked.map((c) => c.id)).toEqual(['webapp']);
    expect(ran.updated).toMatchObject([{ to: '1.0.1', status: 'succeeded' }]);
  });

  it('defers an update that would run past the window, estimating from past runs, and runs it next window', async () => {
    const s = await scheduleSetup({ autoUpdate: { window: 'daily 03:00 for 2h' }, start: '2026-06-10T08:00:00Z' });
    // Two past runs of 50 and 70 minutes: the estimate is their mean, 60 minutes.
    writeHistory(s.home, [
      { id: 'a', duration_ms: 50 * 60_000, finished_at: '2026-05-01T03:50:00.000Z' },
      { id: 'b', duration_ms: 70 * 60_000, finished_at: '2026-05-08T04:10:00.000Z' },
    ]);
    await s.scheduler.runDue();

    // 04:00:00.001 CEST: 60 minutes would end a millisecond after the window closes at 05:00.
    s.clock.set('2026-06-11T02:00:00.001Z');
    const deferred = await s.scheduler.runDue();
    expect(deferred.updated).toEqual([]);
    expect(deferred.deferred).toMatchObject([{ reason: 'would_overrun_window', until: '2026-06-12T01:00:00.000Z' }]);
    expect(deferred.deferred[0]?.message).toMatch(
      /takes about 1h \(the mean of its last 2 runs\).*closes at 2026-06-11 05:00 \+02:00/,
    );
    expect(s.installed()).toBe('1.0.0');

    // The panel sees the deferral and why.
    const view = await invokeMethod(s.api, 'getSchedule', { id: 'webapp' }, { initiatedBy: 'panel', readOnly: true });
    expect(view).toMatchObject({
      time_zone: 'Europe/Berlin',
      components: [
        {
          id: 'webapp',
          policy: 'auto',
          window_open: true,
          deferral: { reason: 'would_overrun_window' },
          estimated_duration_ms: 60 * 60_000,
        },
      ],
    });

    // Next day at 04:00 exactly the hour still fits.
    s.clock.set('2026-06-12T02:00:00Z');
    const ran = await s.scheduler.runDue();
    expect(ran.updated).toMatchObject([{ to: '1.1.0', status: 'succeeded' }]);
    expect(s.installed()).toBe('1.1.0');
  });

  it('holds a release back until it is min_release_age old (counted from when it was first seen)', async () => {
    const s = await scheduleSetup({
      autoUpdate: { window: 'always', min_release_age: '3d' },
      start: '2026-06-10T08:00:00Z',
    });
    const first = await s.scheduler.runDue();
    expect(first.deferred).toMatchObject([{ reason: 'too_new', until: '2026-06-13T08:00:00.000Z' }]);
    expect(first.deferred[0]?.message).toMatch(/1\.1\.0 was first seen 0s ago; the cooldown \(min_release_age\) is 3d/);

    s.clock.set('2026-06-13T07:59:59.999Z');
    expect((await s.scheduler.runDue()).deferred).toMatchObject([{ reason: 'too_new' }]);
    expect(s.installed()).toBe('1.0.0');

    s.clock.set('2026-06-13T08:00:00Z');
    expect((await s.scheduler.runDue()).updated).toMatchObject([{ to: '1.1.0', status: 'succeeded' }]);
  });

  it('never crosses a major version unless allow_major, set through setSchedule', async () => {
    const s = await scheduleSetup({ autoUpdate: { window: 'always' }, latest: '2.0.0' });
    const refused = await s.scheduler.runDue();
    expect(refused.updated).toEqual([]);
    expect(refused.deferred).toMatchObject([{ reason: 'major_version', target: '2.0.0', until: null }]);
    expect(refused.deferred[0]?.message).toMatch(/new major version.*allow major versions in its schedule/);
    expect(s.installed()).toBe('1.0.0');

    const entry = await invokeMethod(
      s.api,
      'setSchedule',
      { id: 'webapp', auto_update: { allow_major: true } },
      { initiatedBy: 'cli', readOnly: false },
    );
    expect(entry).toMatchObject({ policy: 'auto', allow_major: true, window: 'always' });
    const ran = await s.scheduler.runDue();
    expect(ran.updated).toMatchObject([{ to: '2.0.0', status: 'succeeded' }]);
    expect(s.installed()).toBe('2.0.0');
  });

  it('security_only waits for a release flagged as a security fix', async () => {
    const s = await scheduleSetup({ autoUpdate: { window: 'always', security_only: true } });
    const result = await s.scheduler.runDue();
    expect(result.deferred).toMatchObject([{ reason: 'not_security' }]);
    expect(s.installed()).toBe('1.0.0');
  });

  it('does not retry a release whose automatic update was rolled back', async () => {
    const s = await scheduleSetup({ autoUpdate: { window: 'always' }, failingUpdate: true });
    const failed = await s.scheduler.runDue();
    expect(failed.updated).toMatchObject([{ id: 'webapp', to: '1.1.0', status: 'rolled_back' }]);
    expect(s.installed()).toBe('1.0.0');
    expect(readFileSync(path.join(s.folder, 'data.txt'), 'utf8')).toBe('user data');

    s.clock.advance(HOUR);
    const next = await s.scheduler.runDue();
    expect(next.updated).toEqual([]);
    expect(next.deferred).toMatchObject([{ reason: 'failed_before', target: '1.1.0' }]);
    expect(await s.history()).toHaveLength(1);

    // A newer release is tried again.
    s.feed.set('1.1.1');
    s.clock.advance(DAY);
    expect((await s.scheduler.runDue()).updated).toMatchObject([{ to: '1.1.1', status: 'rolled_back' }]);
  });
});

describe('another process updating', () => {
  it('defers while another host holds the component lock, without counting it as a failure', async () => {
    const s = await scheduleSetup({ autoUpdate: { window: 'always' } });
    const lock = await acquireLock(s.services.layout.locks, 'webapp', { host: 'desktop', runId: 'other-run' });
    const busy = await s.scheduler.runDue();
    expect(busy.updated).toEqual([]);
    expect(busy.deferred).toMatchObject([
      {
        reason: 'update_in_progress',
        message: expect.stringMatching(/already being updated.*tries again on its next pass/),
      },
    ]);
    expect(s.installed()).toBe('1.0.0');
    await lock.release();
    s.clock.advance(60_000);
    expect((await s.scheduler.runDue()).updated).toMatchObject([{ to: '1.1.0', status: 'succeeded' }]);
  });
});

describe('stale facts', () => {
  it('an auto-update waits while the check fails, and goes once a check succeeds', async () => {
    const s = await scheduleSetup({ autoUpdate: { window: 'daily 03:00 for 2h' }, start: '2026-06-10T08:00:00Z' });
    await s.scheduler.runDue();
    s.feed.fail(true);
    s.clock.set('2026-06-11T01:00:00Z'); // the window opens: a fresh check, which fails
    const waiting = await s.scheduler.runDue();
    expect(waiting.checked[0]).toMatchObject({ id: 'webapp', error: { code: expect.any(String) } });
    expect(waiting.updated).toEqual([]);
    expect(waiting.deferred).toMatchObject([{ reason: 'check_failed', target: '1.1.0' }]);
    expect(s.installed()).toBe('1.0.0');

    s.feed.fail(false);
    s.clock.set('2026-06-12T01:00:00Z');
    expect((await s.scheduler.runDue()).updated).toMatchObject([{ to: '1.1.0', status: 'succeeded' }]);
  });
});

describe('daylight saving time in the scheduler', () => {
  it('spring forward in Berlin: a 02:30 window opens at 03:30 CEST', async () => {
    const s = await scheduleSetup({ autoUpdate: { window: 'daily 02:30 for 1h' }, start: '2026-03-28T12:00:00Z' });
    s.clock.set('2026-03-29T01:29:00Z'); // 03:29 CEST; the wall clock skipped 02:00–03:00
    const before = await s.scheduler.runDue();
    expect(before.deferred).toMatchObject([{ reason: 'outside_window', until: '2026-03-29T01:30:00.000Z' }]);
    s.clock.set('2026-03-29T01:30:00Z');
    expect((await s.scheduler.runDue()).updated).toMatchObject([{ status: 'succeeded' }]);
  });

  it('fall back in New York: the window opens in the first 01:30 and not again in the repeated hour', async () => {
    const s = await scheduleSetup({
      autoUpdate: { window: 'daily 01:30 for 30m' },
      start: '2026-10-31T12:00:00Z',
      timeZone: 'America/New_York',
    });
    await s.scheduler.runDue();
    s.clock.set('2026-11-01T06:40:00Z'); // 01:40 EST, the second 01:40 of the night
    const repeated = await s.scheduler.runDue();
    expect(repeated.updated).toEqual([]);
    expect(repeated.deferred).toMatchObject([{ reason: 'outside_window', until: '2026-11-02T06:30:00.000Z' }]);
    s.clock.set('2026-11-02T06:30:00Z');
    expect((await s.scheduler.runDue()).updated).toMatchObject([{ status: 'succeeded' }]);
  });
});

describe('scheduler state', () => {
  it('is kept atomically in the data directory and read back by another process', async () => {
    const s = await scheduleSetup({ autoUpdate: { window: 'weekly sun 03:00', min_release_age: '12h' } });
    await s.scheduler.runDue();
    const file = path.join(s.home, 'schedule-state.json');
    expect(existsSync(file)).toBe(true);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved).toMatchObject({
      version: 1,
      last_check_run: '2026-06-10T10:00:00.000Z',
      components: { webapp: { latest: '1.1.0', deferral: { reason: 'too_new' } } },
    });

    const other = new Scheduler({
      clock: { now: () => Date.parse('2026-06-10T11:00:00Z') },
      home: s.home,
      events: s.services.events,
      components: s.services.components,
      settings: s.services.settings,
      history: s.services.updates.history,
      checks: () => undefined,
      updates: () => undefined,
      timeZone: 'Europe/Berlin',
    });
    const view = await other.view();
    expect(view.last_check_run).toBe('2026-06-10T10:00:00.000Z');
    expect(view.components[0]).toMatchObject({
      pending: { installed: '1.0.0', latest: '1.1.0' },
      deferral: { reason: 'too_new' },
      next_window_at: '2026-06-14T01:00:00.000Z',
    });
  });

  it('setSchedule refuses a window it cannot read, saying what to write', async () => {
    const s = await scheduleSetup();
    await expect(
      invokeMethod(
        s.api,
        'setSchedule',
        { id: 'webapp', auto_update: { enabled: true, window: 'nightly' } },
        { initiatedBy: 'cli', readOnly: false },
      ),
    ).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(/"nightly" is not a kind of window/),
    });
    await expect(
      invokeMethod(
        s.api,
        'setSchedule',
        { id: 'webapp', auto_update: { min_release_age: '3' } },
        { initiatedBy: 'cli', readOnly: false },
      ),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(
      invokeMethod(
        s.api,
        'setSchedule',
        { id: 'webapp', auto_update: { enabled: true } },
        { initiatedBy: 'panel', readOnly: true },
      ),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(s.services.components.get('webapp').config.auto_update).toBeUndefined();
  });
});

describe('release dates from the check', () => {
  it('counts the cooldown from the release date a GitHub check reports', async () => {
    const gh = await FakeGitHub.start();
    afterEach(() => gh.fixture.close());
    gh.addRelease('acme', 'tool', { tag_name: 'v1.2.0', published_at: '2026-06-09T10:00:00Z' });
    const s = await scheduleSetup({ start: '2026-06-10T10:00:00Z' });
    s.services.components.add({
      tool: {
        type: 'github_release',
        user: 'acme',
        repo: 'tool',
        api_base: gh.apiBase,
        current: '1.0.0',
        method: 'update_script',
        update_script: [process.execPath, '-e', ''],
        auto_update: { enabled: true, window: 'always', min_release_age: '3d' },
      } as never,
    });
    const result = await s.scheduler.runDue();
    expect(result.deferred).toMatchObject([
      { component: 'tool', reason: 'too_new', until: '2026-06-12T10:00:00.000Z' },
    ]);
    expect(result.deferred[0]?.message).toMatch(/1\.2\.0 was released 1d ago/);
  });
});
