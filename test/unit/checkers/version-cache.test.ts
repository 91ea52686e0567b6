import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../../fixtures/servers/github';
import { createHarness, type CheckHarness } from './harness';

let gh: FakeGitHub;
let h: CheckHarness;
const releasesPath = '/repos/o/r/releases';

beforeEach(async () => {
  gh = await FakeGitHub.start();
  h = createHarness();
  gh.addRelease('o', 'r', { tag_name: 'v1.0.0' });
  gh.addRelease('o', 'r', { tag_name: 'v1.1.0' });
  h.add({ r: { name: 'R', type: 'github_release', user: 'o', repo: 'r', api_base: gh.apiBase, current: '1.0.0' } });
});

afterEach(async () => {
  await h.close();
  await gh.close();
});

describe('version cache', () => {
  it('answers within the TTL without any request, and keeps the time of the last fresh check', async () => {
    const [fresh] = await h.check();
    expect(fresh?.from_cache).toBe(false);
    expect(fresh?.checked_at).toBeTypeOf('string');
    const before = gh.requests.length;
    const [cached] = await h.check();
    expect(cached?.from_cache).toBe(true);
    expect(cached?.latest).toBe('1.1.0');
    expect(cached?.checked_at).toBe(fresh?.checked_at);
    expect(gh.requests.length).toBe(before);
  });

  it('survives a restart (persisted in <home>/cache/versions.json)', async () => {
    await h.check();
    const stored = JSON.parse(readFileSync(path.join(h.services.layout.cache, 'versions.json'), 'utf8')) as {
      entries: Record<string, unknown>;
    };
    expect(Object.keys(stored.entries)).toEqual(['r']);
    const before = gh.requests.length;
    const [r] = await h.restart().check();
    expect(r?.from_cache).toBe(true);
    expect(gh.requests.length).toBe(before);
  });

  it('--force bypasses it', async () => {
    await h.check();
    const before = gh.requests.length;
    const [r] = await h.check(undefined, { force: true });
    expect(r?.from_cache).toBe(false);
    expect(gh.requests.length).toBe(before + 1);
  });

  it('after the TTL, asks again with If-None-Match and gets a 304', async () => {
    h.services.settings.set({ cache_ttl_hours: 0 });
    await h.check();
    const [r] = await h.check();
    expect(r?.from_cache).toBe(false);
    expect(r?.latest).toBe('1.1.0');
    const last = gh.requestsTo(releasesPath).at(-1);
    expect(last?.status).toBe(304);
  });

  it('a channel change (or any check config change) invalidates it', async () => {
    gh.addRelease('o', 'r', { tag_name: 'v1.2.0rc1', prerelease: true });
    const [stable] = await h.check();
    expect(stable?.latest).toBe('1.1.0');
    await h.checks.setChannel('r', 'prerelease');
    const [pre] = await h.check();
    expect(pre?.from_cache).toBe(false);
    expect(pre?.latest).toBe('1.2.0rc1');
    expect(pre?.channel).toBe('prerelease');
  });

  it('re-reads the installed version on a cache hit (after an update the result is current at once)', async () => {
    await h.check();
    h.add({ r: { name: 'R', type: 'github_release', user: 'o', repo: 'r', api_base: gh.apiBase, current: '1.1.0' } });
    const before = gh.requests.length;
    const [r] = await h.check();
    expect(r?.from_cache).toBe(true);
    expect(r?.update_available).toBe(false);
    expect(gh.requests.length).toBe(before);
  });

  it('caches errors for minutes only, and a forced check replaces them', async () => {
    gh.fixture.fault(releasesPath, { kind: 'status', status: 500, body: '{"message":"down"}' }, 1);
    const [failed] = await h.check();
    expect(failed?.error?.code).toBe('UPSTREAM_ERROR');
    // The installed version is local: known even when the source cannot be reached.
    expect(failed?.installed).toBe('1.0.0');
    const before = gh.requests.length;
    const [again] = await h.check();
    expect(again?.error?.code).toBe('UPSTREAM_ERROR');
    expect(again?.from_cache).toBe(true);
    expect(again?.installed).toBe('1.0.0');
    expect(gh.requests.length).toBe(before);
    const [healed] = await h.check(undefined, { force: true });
    expect(healed?.error).toBeNull();
    expect(healed?.latest).toBe('1.1.0');
  });

  it('keeps the last good answer beside an error', async () => {
    const [good] = await h.check();
    gh.fixture.fault(releasesPath, { kind: 'malformed' }, 1);
    h.services.settings.set({ cache_ttl_hours: 0 });
    const [bad] = await h.check();
    expect(bad?.error?.code).toBe('PARSE_ERROR');
    expect(bad?.latest).toBe('1.1.0');
    expect(bad?.checked_at).toBe(good?.checked_at);
    expect(h.checks.cached(['r'])[0]?.error?.code).toBe('PARSE_ERROR');
  });
});

describe('check service', () => {
  it('shares one upstream request between concurrent checks of the same component', async () => {
    gh.fixture.latencyMs = 50;
    const results = await Promise.all([
      h.one('r', { force: true }),
      h.one('r', { force: true }),
      h.check(['r'], { force: true }),
    ]);
    expect(results[0]?.latest).toBe('1.1.0');
    expect(gh.requestsTo(releasesPath)).toHaveLength(1);
  });

  it('emits check_started and check_result', async () => {
    await h.check();
    expect(h.events.started).toEqual([{ ids: ['r'] }]);
    expect(h.events.results.map((r) => r.id)).toEqual(['r']);
  });

  it('refuses unknown ids up front', async () => {
    await expect(h.check(['r', 'ghost'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('validates channels when setting them', async () => {
    await expect(h.checks.setChannel('r', 'rc/unknown')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    const c = await h.checks.setChannel('r', 'prerelease');
    expect(c.channel).toBe('prerelease');
    expect(h.services.components.get('r').config.channel).toBe('prerelease');
  });
});

describe('downgrades', () => {
  it('refuses a release lower than the highest seen on the channel unless a downgrade is asked for', async () => {
    gh.addRelease('o', 'r', { tag_name: 'v1.3.0' });
    const [first] = await h.check();
    expect(first?.latest).toBe('1.3.0');
    // The 1.3.0 release disappears (retracted, or a stale mirror answers): 1.1.0 is not offered.
    gh.removeRelease('o', 'r', 'v1.3.0');
    const [second] = await h.check(undefined, { force: true });
    expect(second?.latest).toBe('1.1.0');
    expect(second?.update_available).toBe(false);
    expect(second?.explanation).toContain('lower than 1.3.0');
    const [asked] = await h.check(undefined, { force: true, downgrade: true });
    expect(asked?.update_available).toBe(true);
  });

  it('unequal schemes offer an older release than the installed one: any different version was asked for', async () => {
    h.add({
      r: {
        type: 'github_release',
        user: 'o',
        repo: 'r',
        api_base: gh.apiBase,
        current: '2.0.0',
        release_compare: 'python_unequal',
      },
    });
    const [r] = await h.check();
    expect(r?.update_available).toBe(true);
    expect(r?.explanation).toBe(
      '1.1.0 != 2.0.0 by PEP 440 inequality; offered although lower: python_unequal offers any different version',
    );
    h.add({
      r: {
        type: 'github_release',
        user: 'o',
        repo: 'r',
        api_base: gh.apiBase,
        current: '2.0.0',
        release_compare: 'python',
      },
    });
    const [ordered] = await h.check();
    expect(ordered?.update_available).toBe(false);
    expect(ordered?.explanation).toBe('1.1.0 < 2.0.0 by PEP 440');
  });
});

describe('rate limits and the version cache', () => {
  it('a RATE_LIMITED answer is kept until the reset, so a new process does not ask again', async () => {
    gh.rateLimit.remaining = 0;
    gh.rateLimit.reset = Math.floor(Date.now() / 1000) + 3 * 3600;
    const [limited] = await h.check();
    expect(limited?.error?.code).toBe('RATE_LIMITED');
    // Ten minutes later (the cache file says so): past the minutes errors are kept, before the reset.
    const file = path.join(h.services.layout.cache, 'versions.json');
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, { fetched_at: number }> };
    (stored.entries.r as { fetched_at: number }).fetched_at -= 10 * 60_000;
    writeFileSync(file, JSON.stringify(stored));
    const before = gh.requests.length;
    const [again] = await h.restart().check();
    expect(again?.error?.code).toBe('RATE_LIMITED');
    expect(again?.from_cache).toBe(true);
    expect(gh.requests.length).toBe(before);
  });
});

describe('errors expire', () => {
  it('an ordinary error is asked again after its minutes', async () => {
    gh.fixture.fault(releasesPath, { kind: 'status', status: 502 }, 1);
    const [failed] = await h.check();
    expect(failed?.error?.code).toBe('UPSTREAM_ERROR');
    const file = path.join(h.services.layout.cache, 'versions.json');
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, { fetched_at: number }> };
    (stored.entries.r as { fetched_at: number }).fetched_at -= 10 * 60_000;
    writeFileSync(file, JSON.stringify(stored));
    const [healed] = await h.restart().check();
    expect(healed?.error).toBeNull();
    expect(healed?.from_cache).toBe(false);
  });
});
