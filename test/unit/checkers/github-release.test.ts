import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../../fixtures/servers/github';
import { createHarness, type CheckHarness } from './harness';

let gh: FakeGitHub;
let h: CheckHarness;

const BRANCHES = [
  { name: 'Maintenance RCs', branch: 'rc/maintenance', commitish: ['rc/maintenance', 'master'] },
  { name: 'Devel RCs', branch: 'rc/devel', commitish: ['rc/devel', 'rc/maintenance', 'master'] },
];

function octoprintReleases(): void {
  gh.addRelease('OctoPrint', 'OctoPrint', { tag_name: '1.2.15', target_commitish: 'master' });
  gh.addRelease('OctoPrint', 'OctoPrint', {
    tag_name: '1.2.16rc1',
    prerelease: true,
    target_commitish: 'rc/maintenance',
  });
  gh.addRelease('OctoPrint', 'OctoPrint', {
    tag_name: '1.2.16rc2',
    prerelease: true,
    target_commitish: 'rc/maintenance',
  });
  gh.addRelease('OctoPrint', 'OctoPrint', {
    tag_name: '1.2.17rc1',
    prerelease: true,
    draft: true,
    target_commitish: 'rc/maintenance',
  });
  gh.addRelease('OctoPrint', 'OctoPrint', { tag_name: '1.3.0rc1', prerelease: true, target_commitish: 'rc/devel' });
  gh.addRelease('OctoPrint', 'OctoPrint', { tag_name: '1.4.0rc1', prerelease: true, target_commitish: 'rc/future' });
}

function octoprint(channel: string | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'OctoPrint',
    type: 'github_release',
    user: 'OctoPrint',
    repo: 'OctoPrint',
    api_base: gh.apiBase,
    current: '1.2.0',
    prerelease_branches: BRANCHES,
    ...(channel ? { channel } : {}),
    ...extra,
  };
}

async function latestOn(channel: string | undefined, extra: Record<string, unknown> = {}): Promise<string | null> {
  h.add({ octoprint: octoprint(channel, extra) });
  const [result] = await h.check(['octoprint'], { force: true });
  expect(result?.error).toBeNull();
  return result?.latest ?? null;
}

beforeEach(async () => {
  gh = await FakeGitHub.start();
  h = createHarness();
});

afterEach(async () => {
  await h.close();
  await gh.close();
});

describe('OctoPrint release channels (the issue vectors)', () => {
  beforeEach(() => octoprintReleases());

  it('stable → 1.2.15', async () => {
    expect(await latestOn('stable')).toBe('1.2.15');
    expect(await latestOn(undefined)).toBe('1.2.15');
  });

  it('rc/maintenance → 1.2.16rc2 (the draft 1.2.17rc1 is never offered)', async () => {
    expect(await latestOn('rc/maintenance')).toBe('1.2.16rc2');
  });

  it('rc/devel → 1.3.0rc1', async () => {
    expect(await latestOn('rc/devel')).toBe('1.3.0rc1');
  });

  it('prerelease with no commitish filter → 1.4.0rc1', async () => {
    expect(await latestOn('prerelease')).toBe('1.4.0rc1');
    // OctoPrint's `prerelease: true` alone means the same channel.
    h.add({ octoprint: { ...octoprint(undefined), prerelease: true } });
    const [r] = await h.check(['octoprint'], { force: true });
    expect(r?.channel).toBe('prerelease');
    expect(r?.latest).toBe('1.4.0rc1');
  });

  it('an unknown channel → 1.2.15', async () => {
    expect(await latestOn('rc/nonexistent')).toBe('1.2.15');
  });

  it('OctoPrint prerelease_channel selects the branch', async () => {
    h.add({ octoprint: { ...octoprint(undefined), prerelease: true, prerelease_channel: 'rc/devel' } });
    const [r] = await h.check(['octoprint'], { force: true });
    expect(r?.channel).toBe('rc/devel');
    expect(r?.latest).toBe('1.3.0rc1');
  });

  it('adding stable 1.2.18 makes rc/maintenance → 1.2.18 and rc/devel → 1.3.0rc1', async () => {
    gh.addRelease('OctoPrint', 'OctoPrint', { tag_name: '1.2.18', target_commitish: 'master' });
    expect(await latestOn('rc/maintenance')).toBe('1.2.18');
    expect(await latestOn('rc/devel')).toBe('1.3.0rc1');
    expect(await latestOn('stable')).toBe('1.2.18');
  });

  it('explains the decision in one line and lists channels for the Settings dialog', async () => {
    h.add({ octoprint: octoprint('rc/devel', { current: '1.2.16rc2' }) });
    const [r] = await h.check(['octoprint'], { force: true });
    expect(r?.update_available).toBe(true);
    expect(r?.explanation).toBe('1.3.0rc1 > 1.2.16rc2 by PEP 440');
    const channels = await h.checks.listChannels('octoprint');
    expect(channels.current).toBe('rc/devel');
    expect(channels.channels.map((c) => c.id)).toEqual(['stable', 'rc/maintenance', 'rc/devel']);
    expect(channels.channels[1]?.label).toBe('Maintenance RCs');
  });
});

describe('github_release', () => {
  it('reads every page of releases, not just the first', async () => {
    gh.addRelease('o', 'busy', { tag_name: 'v2.0.0' });
    for (let i = 0; i < 230; i++) gh.addRelease('o', 'busy', { tag_name: `v3.0.0-nightly.${i}`, prerelease: true });
    h.add({ busy: { type: 'github_release', user: 'o', repo: 'busy', api_base: gh.apiBase, current: '1.0.0' } });
    const [r] = await h.check(['busy']);
    expect(r?.latest).toBe('2.0.0');
    expect(r?.update_available).toBe(true);
    const pages = gh.requests.filter((q) => q.path === '/repos/o/busy/releases');
    expect(pages.map((q) => q.query.get('page') ?? '1')).toEqual(['1', '2', '3']);
    expect(pages.every((q) => q.query.get('per_page') === '100')).toBe(true);
  });

  it('fills the update target: tag, tarball, assets with digests, and notes of every version in between', async () => {
    gh.addRelease('o', 'app', { tag_name: 'v1.0.0', body: 'first' });
    gh.addRelease('o', 'app', { tag_name: 'v1.1.0', body: 'second' });
    gh.addRelease('o', 'app', {
      tag_name: 'v1.2.0',
      body: 'third',
      tarball: Buffer.from('tgz'),
      assets: [
        { name: 'app-1.2.0.tar.gz', content: 'payload' },
        { name: 'old.zip', content: 'z', digest: null },
      ],
    });
    h.add({
      app: {
        type: 'github_release',
        user: 'o',
        repo: 'app',
        api_base: gh.apiBase,
        current: '1.0.0',
        release_compare: 'semantic',
      },
    });
    const [r] = await h.check(['app']);
    expect(r?.explanation).toBe('1.2.0 > 1.0.0 by semantic versioning');
    expect(r?.target?.tag).toBe('v1.2.0');
    expect(r?.target?.version).toBe('1.2.0');
    expect(r?.target?.tarball_url).toBe(`${gh.apiBase}/repos/o/app/tarball/v1.2.0`);
    expect(r?.target?.assets?.[0]).toMatchObject({
      name: 'app-1.2.0.tar.gz',
      size: 7,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect(r?.target?.assets?.[1]?.digest).toBeNull();
    expect(r?.target?.notes?.map((n) => [n.version, n.body])).toEqual([
      ['1.2.0', 'third'],
      ['1.1.0', 'second'],
    ]);
    // The asset URL serves the bytes (the update engine downloads from here).
    const res = await fetch(r?.target?.assets?.[0]?.url as string);
    expect(await res.text()).toBe('payload');
  });

  it('keeps every note between installed and latest, shortening very long ones', async () => {
    for (let i = 1; i <= 120; i++)
      gh.addRelease('o', 'long', { tag_name: `v2.${i}.0`, body: i === 120 ? 'x'.repeat(50_000) : `notes ${i}` });
    h.add({ long: { type: 'github_release', user: 'o', repo: 'long', api_base: gh.apiBase, current: '2.0.0' } });
    const [r] = await h.check(['long']);
    expect(r?.target?.notes).toHaveLength(120);
    expect(r?.target?.notes?.[0]?.version).toBe('2.120.0');
    expect(r?.target?.notes?.[0]?.body.length).toBeLessThan(21_000);
    expect(r?.target?.notes?.[119]?.body).toBe('notes 1');
  });

  it('skips tags that are not versions', async () => {
    gh.addRelease('o', 'mixed', { tag_name: 'v1.4.0' });
    gh.addRelease('o', 'mixed', { tag_name: 'nightly' });
    gh.addRelease('o', 'mixed', { tag_name: 'latest-build' });
    h.add({ mixed: { type: 'github_release', user: 'o', repo: 'mixed', api_base: gh.apiBase, current: '1.3.0' } });
    const [r] = await h.check(['mixed']);
    expect(r?.latest).toBe('1.4.0');
  });

  it('treats a local build of the installed release as current (1.3.0.post1+g1014712 vs 1.3.0)', async () => {
    gh.addRelease('o', 'dev', { tag_name: '1.3.0' });
    h.add({
      dev: { type: 'github_release', user: 'o', repo: 'dev', api_base: gh.apiBase, current: '1.3.0.post1+g1014712' },
    });
    const [r] = await h.check(['dev']);
    expect(r?.update_available).toBe(false);
  });

  it('does not loop on a tag spelled 1.0.0-rc1 when 1.0.0rc1 is installed', async () => {
    gh.addRelease('o', 'loop', { tag_name: '1.0.0-rc1', prerelease: true });
    for (const scheme of ['python', 'semantic', 'unequal']) {
      h.add({
        loop: {
          type: 'github_release',
          user: 'o',
          repo: 'loop',
          api_base: gh.apiBase,
          current: '1.0.0rc1',
          channel: 'prerelease',
          release_compare: scheme,
        },
      });
      const [r] = await h.check(['loop'], { force: true });
      expect(r?.update_available, scheme).toBe(false);
    }
  });

  it('reports a rate limit as a RATE_LIMITED error with advice, not a crash', async () => {
    gh.addRelease('o', 'r', { tag_name: 'v1.0.0' });
    gh.rateLimit.remaining = 0;
    h.add({ r: { type: 'github_release', user: 'o', repo: 'r', api_base: gh.apiBase, current: '0.9.0' } });
    const [r] = await h.check(['r']);
    expect(r?.error?.code).toBe('RATE_LIMITED');
    expect(r?.update_available).toBe(false);
  });

  it('reports an unknown repository as NOT_FOUND and an empty one as CHECK_FAILED', async () => {
    gh.addRelease('o', 'empty', { tag_name: 'v1.0.0', draft: true });
    h.add({
      nope: { type: 'github_release', user: 'o', repo: 'nope', api_base: gh.apiBase },
      empty: { type: 'github_release', user: 'o', repo: 'empty', api_base: gh.apiBase },
    });
    const results = await h.check(['nope', 'empty']);
    expect(results.map((r) => r.error?.code)).toEqual(['NOT_FOUND', 'CHECK_FAILED']);
  });

  it('sends the GitHub token only to the configured GitHub API host', async () => {
    const token = 'ghp_only_for_the_configured_host';
    const other = await FakeGitHub.start();
    const withToken = createHarness({ githubToken: token });
    try {
      gh.addRelease('o', 'a', { tag_name: 'v1.0.0' });
      other.addRelease('o', 'b', { tag_name: 'v1.0.0' });
      withToken.services.settings.set({ github_api_base: gh.apiBase });
      withToken.add({
        a: { type: 'github_release', user: 'o', repo: 'a' },
        b: { type: 'github_release', user: 'o', repo: 'b', api_base: other.apiBase },
      });
      const results = await withToken.check();
      expect(results.every((r) => r.error === null)).toBe(true);
      expect(gh.requests.every((q) => q.headers.authorization === `Bearer ${token}`)).toBe(true);
      expect(other.requests.length).toBeGreaterThan(0);
      expect(other.requests.every((q) => q.headers.authorization === undefined)).toBe(true);
    } finally {
      await withToken.close();
      await other.close();
    }
  });
});
