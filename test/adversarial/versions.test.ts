import path from 'node:path';
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpdateResult } from '../../shared/types';
import { decideAutoUpdate, policyOf } from '../../electron/core/schedule/policy';
import { sourceTarball } from '../fixtures/releases/tree';
import { OWNER, REPO, releaseFiles, releaseScenario, type Scenario } from '../unit/engine/scenario';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

const check = async (sc: Scenario, options: { downgrade?: boolean } = {}) =>
  (await sc.services.checks.check(['webapp'], { force: true, ...options }))[0]!;
const update = async (sc: Scenario) =>
  ((await sc.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' })) as UpdateResult[])[0]!;
const release = (sc: Scenario, version: string) =>
  sc.gh.addRelease(OWNER, REPO, {
    tag_name: `v${version}`,
    tarball: sourceTarball(`${OWNER}-${REPO}-${version}`, releaseFiles(version)),
  });

describe('versions and feeds (GitHub-like server, real checks and engine)', () => {
  it('a release older than the highest seen is refused unless a downgrade is asked', async () => {
    s = await releaseScenario();
    release(s, '1.2.0');
    expect(await check(s)).toMatchObject({ latest: '1.2.0', update_available: true });
    // 1.2.0 is pulled: the feed now says 1.1.0 is the newest, which is lower than what was seen.
    s.gh.removeRelease(OWNER, REPO, 'v1.2.0');
    const after = await check(s);
    expect(after).toMatchObject({ latest: '1.1.0', update_available: false });
    expect(after.explanation).toMatch(/lower than 1\.2\.0, seen before/);
    const before = s.hash();
    const result = await update(s);
    expect(result.status).toBe('skipped');
    expect(s.hash()).toBe(before);
    // Asked for explicitly, it is offered.
    expect(await check(s, { downgrade: true })).toMatchObject({ latest: '1.1.0', update_available: true });
  });

  it('a 999.0.0 release is flagged (breaking, with the reason) and an automatic update will not take it', async () => {
    s = await releaseScenario({ config: { auto_update: { enabled: true, window: 'always' } } });
    release(s, '999.0.0');
    const r = await check(s);
    expect(r).toMatchObject({ latest: '999.0.0', update_available: true, breaking: true });
    expect(r.risk?.reasons.join('; ')).toContain('major version 1 → 999');
    const decision = decideAutoUpdate(
      policyOf(s.services.components.get('webapp').config),
      { installed: r.installed, latest: r.latest!, publishedAt: null, firstSeenAt: 0, security: false },
      { now: Date.now(), timeZone: 'UTC', estimateMs: 1000, estimateBasis: 'a default' },
    );
    expect(decision, JSON.stringify(decision)).toMatchObject({ action: 'defer', reason: 'major_version' });
  });

  it('tags that are not versions are never taken for the latest release', async () => {
    s = await releaseScenario();
    for (const tag of [
      'nightly',
      'latest',
      'release-candidate',
      '$(reboot)',
      '../../etc',
      'v',
      'v1.1.0-',
      'v1..2',
      'version-two',
      '2.0.0 beta with spaces',
      '',
    ]) {
      s.gh.addRelease(OWNER, REPO, { tag_name: tag, tarball: sourceTarball('junk', { VERSION: 'junk\n' }) });
    }
    const r = await check(s);
    expect(r.error).toBeNull();
    expect(r.latest).toBe('1.1.0');
    const result = await update(s);
    expect(result).toMatchObject({ status: 'succeeded', to: '1.1.0' });
  });

  it('a release deleted between the check and the update: nothing is changed', async () => {
    s = await releaseScenario();
    expect(await check(s)).toMatchObject({ latest: '1.1.0', update_available: true });
    s.gh.removeRelease(OWNER, REPO, 'v1.1.0');
    const before = s.hash();
    const result = await update(s);
    expect(['skipped', 'failed']).toContain(result.status);
    expect(s.hash()).toBe(before);
    expect(readdirSync(path.join(s.home, 'journal'))).toEqual([]);
  });

  it('a rate-limited API: the last good answer is reused and no request is spent until the reset', async () => {
    s = await releaseScenario();
    expect(await check(s)).toMatchObject({ latest: '1.1.0', update_available: true });
    s.gh.rateLimit.remaining = 0;
    s.gh.rateLimit.reset = Math.floor(Date.now() / 1000) + 3600;
    const limited = await check(s);
    expect(limited.error?.code).toBe('RATE_LIMITED');
    expect(limited.error?.message).toMatch(/rate limit/i);
    // What was known is still offered.
    expect(limited.latest).toBe('1.1.0');
    const spent = s.gh.fixture.requests.length;
    const again = await check(s);
    expect(again.error?.code).toBe('RATE_LIMITED');
    expect(s.gh.fixture.requests.length, 'backs off until the reset').toBe(spent);
    // The update still uses the cached target... or says clearly that it cannot re-check now.
    const before = s.hash();
    const result = await update(s);
    if (result.status !== 'succeeded') {
      expect(result.error?.code).toBe('RATE_LIMITED');
      expect(s.hash()).toBe(before);
    }
  });
});
