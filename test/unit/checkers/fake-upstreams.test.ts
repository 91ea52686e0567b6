import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../../fixtures/servers/github';
import { FakeOpenWebui } from '../../fixtures/servers/openwebui';

// The fakes other tests build on answer like the real services: GitHub's REST API (releases, refs, rate-limit headers) and Open WebUI's functions API, as those services document them.
const ua = { 'user-agent': 'upkeep-test' };

describe('FakeGitHub', () => {
  let gh: FakeGitHub;
  beforeEach(async () => {
    gh = await FakeGitHub.start({ apiPrefix: '/api/v3' });
  });
  afterEach(() => gh.close());

  it('serves latest (newest non-draft non-prerelease), tags/{tag}, Link pagination and rate-limit headers', async () => {
    gh.addRelease('o', 'r', { tag_name: 'v1.0.0' });
    gh.addRelease('o', 'r', { tag_name: 'v1.1.0' });
    gh.addRelease('o', 'r', { tag_name: 'v2.0.0rc1', prerelease: true });
    gh.addRelease('o', 'r', { tag_name: 'v3.0.0', draft: true });
    const latest = await fetch(`${gh.apiBase}/repos/o/r/releases/latest`, { headers: ua });
    expect(((await latest.json()) as { tag_name: string }).tag_name).toBe('v1.1.0');
    expect(latest.headers.get('x-ratelimit-resource')).toBe('core');
    const tag = await fetch(`${gh.apiBase}/repos/o/r/releases/tags/v1.0.0`, { headers: ua });
    expect(((await tag.json()) as { tag_name: string }).tag_name).toBe('v1.0.0');
    const page = await fetch(`${gh.apiBase}/repos/o/r/releases?per_page=2&page=2`, { headers: ua });
    expect(((await page.json()) as unknown[]).length).toBe(2);
    expect(page.headers.get('link')).toContain('rel="prev"');
  });

  it('redirects tarballs to a codeload-like path and assets (octet-stream) to their download URL', async () => {
    const release = gh.addRelease('o', 'r', {
      tag_name: 'v1.0.0',
      tarball: Buffer.from('TAR'),
      assets: [{ name: 'a.bin', content: Buffer.from([1, 2, 3]) }],
    });
    const tar = await fetch(release.tarball_url, { headers: ua });
    expect(tar.url).toContain('/_codeload/o/r/tar.gz/v1.0.0');
    expect(await tar.text()).toBe('TAR');
    const asset = await fetch(release.assets[0]?.url as string, {
      headers: { ...ua, accept: 'application/octet-stream' },
    });
    expect(Buffer.from(await asset.arrayBuffer())).toEqual(Buffer.from([1, 2, 3]));
    expect(release.assets[0]?.digest).toBe('sha256:039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81');
  });
});

describe('FakeOpenWebui', () => {
  let owui: FakeOpenWebui;
  beforeEach(async () => {
    owui = await FakeOpenWebui.start({ adminKey: 'sk-admin' });
  });
  afterEach(() => owui.close());

  const post = (path: string, body: unknown, key = 'sk-admin') =>
    fetch(`${owui.apiBase}/api/v1/functions${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('creates and updates functions, parses frontmatter, keeps valves, and has the 401 "could not find" quirk', async () => {
    const content = (v: string) => `"""\ntitle: F\nversion: ${v}\n"""\nclass Filter:\n    pass\n`;
    const created = await post('/create', {
      id: 'my_filter',
      name: 'F',
      content: content('0.1.0'),
      meta: { description: 'd' },
    });
    expect(created.status).toBe(200);
    expect(((await created.json()) as { meta: { manifest: { version: string } } }).meta.manifest.version).toBe('0.1.0');
    expect((await post('/create', { id: 'my_filter', name: 'F', content: content('0.1.0'), meta: {} })).status).toBe(
      400,
    );
    await post('/id/my_filter/valves/update', { threshold: 3 });
    const updated = await post('/id/my_filter/update', {
      id: 'my_filter',
      name: 'F',
      content: content('0.2.0'),
      meta: {},
    });
    expect(((await updated.json()) as { meta: { manifest: { version: string } } }).meta.manifest.version).toBe('0.2.0');
    expect(owui.valves.get('my_filter')).toEqual({ threshold: 3 });
    const missing = await fetch(`${owui.apiBase}/api/v1/functions/id/nope`, {
      headers: { authorization: 'Bearer sk-admin' },
    });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { detail: string }).detail).toMatch(/could not find/);
    expect((await fetch(`${owui.apiBase}/api/v1/functions/id/my_filter`)).status).toBe(403);
    expect((await post('/create', { id: 'x', name: 'x', content: 'print(1)', meta: {} })).status).toBe(400);
  });
});
