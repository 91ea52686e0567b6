import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBitbucket } from '../../fixtures/servers/bitbucket';
import { FakeGitHub } from '../../fixtures/servers/github';
import { FakeGitLab } from '../../fixtures/servers/gitlab';
import { HttpFixture, sendJson } from '../../fixtures/servers/http-fixture';
import { FakeNpmRegistry } from '../../fixtures/servers/npm';
import { FakePypi } from '../../fixtures/servers/pypi';
import { createHarness, type CheckHarness } from './harness';

let h: CheckHarness;
let gh: FakeGitHub;
let gl: FakeGitLab;
let bb: FakeBitbucket;
let pypi: FakePypi;
let npm: FakeNpmRegistry;

beforeAll(async () => {
  [gh, gl, bb, pypi, npm] = await Promise.all([
    FakeGitHub.start(),
    FakeGitLab.start(),
    FakeBitbucket.start(),
    FakePypi.start(),
    FakeNpmRegistry.start(),
  ]);
  h = createHarness({ http: { idleTimeoutMs: 500, maxResponseBytes: 512 * 1024 } });
});

afterAll(async () => {
  await h.close();
  await Promise.all([gh.close(), gl.close(), bb.close(), pypi.close(), npm.close()]);
});

describe('github_commit', () => {
  it('compares the branch head (git/refs/heads) with current', async () => {
    const sha = gh.setBranch('o', 'bleeding', 'devel');
    h.add({
      behind: {
        type: 'github_commit',
        user: 'o',
        repo: 'bleeding',
        branch: 'devel',
        api_base: gh.apiBase,
        current: 'a'.repeat(40),
      },
      same: {
        type: 'github_commit',
        user: 'o',
        repo: 'bleeding',
        branch: 'devel',
        api_base: gh.apiBase,
        current: sha.slice(0, 7),
      },
      missing: { type: 'github_commit', user: 'o', repo: 'bleeding', branch: 'nope', api_base: gh.apiBase },
    });
    const [behind, same, missing] = await h.check(['behind', 'same', 'missing']);
    expect(behind).toMatchObject({ latest: sha, installed: 'a'.repeat(40), update_available: true });
    expect(behind?.target).toMatchObject({ commit: sha, version: sha });
    expect(same?.update_available).toBe(false);
    expect(missing?.error?.code).toBe('NOT_FOUND');
    expect(gh.requests.some((q) => q.path === '/repos/o/bleeding/git/refs/heads/devel')).toBe(true);
  });
});

describe('github_commit without a branch', () => {
  it("follows the repository's default branch", async () => {
    gh.setDefaultBranch('o', 'modern', 'trunk');
    const sha = gh.setBranch('o', 'modern', 'trunk');
    gh.setBranch('o', 'modern', 'master', 'b'.repeat(40));
    h.add({ modern: { type: 'github_commit', user: 'o', repo: 'modern', api_base: gh.apiBase, current: sha } });
    const [r] = await h.check(['modern']);
    expect(r).toMatchObject({ latest: sha, update_available: false });
  });
});

describe('bitbucket_commit', () => {
  it('reads the head commit hash, with Basic credentials when configured', async () => {
    const hash = bb.setBranch('team', 'plugin', 'master');
    h.add({
      bb: {
        type: 'bitbucket_commit',
        user: 'team',
        repo: 'plugin',
        api_base: bb.apiBase,
        current: 'f'.repeat(40),
        api_user: 'me',
        api_password: 'app-pass',
      },
    });
    const [r] = await h.check(['bb']);
    expect(r).toMatchObject({ latest: hash, update_available: true });
    expect(bb.requests.at(-1)?.headers.authorization).toBe(`Basic ${Buffer.from('me:app-pass').toString('base64')}`);
    h.add({ bb2: { type: 'bitbucket_commit', user: 'team', repo: 'plugin', branch: 'gone', api_base: bb.apiBase } });
    const [missing] = await h.check(['bb2']);
    expect(missing?.error?.code).toBe('NOT_FOUND');
    expect(missing?.error?.message).toContain('Commit not found');
  });
});

describe('gitlab_release', () => {
  it('reads all pages of an URL-encoded project, skips upcoming and (on stable) prerelease tags', async () => {
    gl.addRelease('group/sub/app', { tag_name: 'v1.0.0', description: 'one' });
    for (let i = 0; i < 120; i++) gl.addRelease('group/sub/app', { tag_name: `v0.9.${i}` });
    gl.addRelease('group/sub/app', {
      tag_name: 'v1.1.0',
      description: 'two',
      links: [{ name: 'app.tgz', url: 'https://example.org/app.tgz' }],
    });
    gl.addRelease('group/sub/app', { tag_name: 'v1.2.0-rc1' });
    gl.addRelease('group/sub/app', { tag_name: 'v9.0.0', upcoming_release: true });
    h.add({ gl: { type: 'gitlab_release', user: 'group/sub', repo: 'app', api_base: gl.apiBase, current: '1.0.0' } });
    const [r] = await h.check(['gl']);
    expect(r).toMatchObject({ latest: '1.1.0', update_available: true, explanation: '1.1.0 > 1.0.0 by PEP 440' });
    expect(r?.target?.tarball_url).toMatch(/app-v1\.1\.0\.tar\.gz$/);
    expect(r?.target?.assets?.[0]?.name).toBe('app.tgz');
    expect(r?.target?.notes?.map((n) => n.version)).toEqual(['1.1.0']);
    expect(gl.requests.filter((q) => q.path.endsWith('/releases')).length).toBe(2);
    await h.checks.setChannel('gl', 'prerelease');
    const [pre] = await h.check(['gl']);
    expect(pre?.latest).toBe('1.2.0-rc1');
  });
});

describe('pypi_release', () => {
  it('ignores yanked releases and releases without files; stable skips pre-releases', async () => {
    pypi.addRelease('Sample_Project', '1.0.0');
    pypi.addRelease('Sample_Project', '1.1.0', {
      files: [{ filename: 'sample_project-1.1.0.tar.gz' }, { filename: 'sample_project-1.1.0-py3-none-any.whl' }],
    });
    pypi.addRelease('Sample_Project', '1.2.0', { yanked: true, yanked_reason: 'broken' });
    pypi.addRelease('Sample_Project', '1.3.0', { files: [] });
    pypi.addRelease('Sample_Project', '2.0.0b1');
    h.add({ py: { type: 'pypi_release', package: 'Sample_Project', index_url: pypi.indexUrl, current: '1.0.0' } });
    const [r] = await h.check(['py']);
    expect(r).toMatchObject({ latest: '1.1.0', update_available: true });
    expect(r?.target?.tarball_url).toMatch(/sample_project-1\.1\.0\.tar\.gz$/);
    expect(r?.target?.assets?.map((a) => a.name)).toEqual([
      'sample_project-1.1.0.tar.gz',
      'sample_project-1.1.0-py3-none-any.whl',
    ]);
    expect(r?.target?.assets?.[0]?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The non-normalized name was redirected (301, same host) to the normalized one.
    expect(pypi.requests.map((q) => q.status)).toContain(301);
    await h.checks.setChannel('py', 'prerelease');
    const [pre] = await h.check(['py']);
    expect(pre?.latest).toBe('2.0.0b1');
    expect((await h.checks.listChannels('py')).channels.map((c) => c.id)).toEqual(['stable', 'prerelease']);
  });

  it('says so when the package does not exist (404 with an HTML body)', async () => {
    h.add({ ghost: { type: 'pypi_release', package: 'no-such-thing', index_url: pypi.indexUrl } });
    const [r] = await h.check(['ghost']);
    expect(r?.error?.code).toBe('NOT_FOUND');
  });
});

describe('npm_release', () => {
  it('follows the chosen dist-tag of a scoped package on a private registry', async () => {
    npm.publish('@acme/widget', '1.0.0');
    npm.publish('@acme/widget', '1.1.0');
    npm.publish('@acme/widget', '2.0.0-beta.1', {}, 'next');
    h.add({ w: { type: 'npm_release', package: '@acme/widget', registry: npm.registry, current: '1.0.0' } });
    const [latest] = await h.check(['w']);
    expect(latest).toMatchObject({
      channel: 'latest',
      latest: '1.1.0',
      update_available: true,
      explanation: '1.1.0 > 1.0.0 by semantic versioning',
    });
    expect(latest?.target?.tarball_url).toBe(`${npm.registry}/@acme/widget/-/widget-1.1.0.tgz`);
    expect(npm.requests[0]?.url).toBe('/@acme%2fwidget');
    const channels = await h.checks.listChannels('w');
    expect(channels).toEqual({
      current: 'latest',
      channels: [
        { id: 'latest', label: 'latest (1.1.0)' },
        { id: 'next', label: 'next (2.0.0-beta.1)' },
      ],
    });
    await h.checks.setChannel('w', 'next');
    const [next] = await h.check(['w']);
    expect(next?.latest).toBe('2.0.0-beta.1');
    // A tag the package does not have is refused at once, naming the tags it has; the channel stays.
    await expect(h.checks.setChannel('w', 'canary')).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('Choose one of: latest, next'),
    });
    expect(h.services.components.get('w').channel).toBe('next');
  });

  it('reports an unknown package', async () => {
    h.add({ nope: { type: 'npm_release', package: 'does-not-exist', registry: npm.registry } });
    const [r] = await h.check(['nope']);
    expect(r?.error?.code).toBe('NOT_FOUND');
  });
});

describe('httpheader and jsondata', () => {
  let site: HttpFixture;
  let version = '1.0.0';
  beforeAll(async () => {
    site = await new HttpFixture((req, res) => {
      if (req.url === '/plugin.py') {
        res.writeHead(200, { etag: `"v-${version}"`, 'content-length': '0' });
        return void res.end();
      }
      if (req.url === '/version.json') return void sendJson(res, 200, { version, url: `${site.origin}/plugin.py` });
      if (req.url === '/moved.json') {
        res.writeHead(302, { location: `${site.origin.replace('127.0.0.1', 'localhost')}/version.json` });
        return void res.end();
      }
      sendJson(res, 404, {});
    }).start();
  });
  afterAll(() => site.close());

  it('httpheader: a changed header is an update', async () => {
    h.add({
      hh: { type: 'httpheader', header_url: `${site.origin}/plugin.py`, header_name: 'ETag', current: '"v-1.0.0"' },
    });
    const [same] = await h.check(['hh'], { force: true });
    expect(same?.update_available).toBe(false);
    expect(site.requests.at(-1)?.method).toBe('HEAD');
    version = '1.0.1';
    const [changed] = await h.check(['hh'], { force: true });
    expect(changed).toMatchObject({ update_available: true, latest: '"v-1.0.1"' });
    expect(changed?.explanation).toContain('ETag changed');
  });

  it('jsondata: the version in the document, with the document URL as target', async () => {
    version = '1.2.0';
    h.add({ jd: { type: 'jsondata', jsondata: `${site.origin}/version.json`, current: '1.1.0' } });
    const [r] = await h.check(['jd'], { force: true });
    expect(r).toMatchObject({ latest: '1.2.0', update_available: true });
    expect(r?.target?.tarball_url).toBe(`${site.origin}/plugin.py`);
  });

  it('jsondata: malformed JSON, a redirect to another host, a slow server and an endless body fail cleanly', async () => {
    h.add({ jd: { type: 'jsondata', jsondata: `${site.origin}/version.json`, current: '1.1.0' } });
    site.fault('/version.json', { kind: 'malformed', body: '{"version": ' }, 1);
    expect((await h.check(['jd'], { force: true }))[0]?.error?.code).toBe('PARSE_ERROR');
    site.fault('/version.json', { kind: 'slow', delayMs: 1500 }, 1);
    expect((await h.check(['jd'], { force: true }))[0]?.error?.code).toBe('TIMEOUT');
    site.fault('/version.json', { kind: 'endless' }, 1);
    expect((await h.check(['jd'], { force: true }))[0]?.error?.code).toBe('RESPONSE_TOO_LARGE');
    h.add({ jd2: { type: 'jsondata', jsondata: `${site.origin}/moved.json` } });
    expect((await h.check(['jd2'], { force: true }))[0]?.error?.code).toBe('REDIRECT_REFUSED');
  });
});
