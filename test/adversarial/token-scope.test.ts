import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UpdateResult } from '../../shared/types';
import { createApi } from '../../electron/core/api';
import { validateComponent } from '../../electron/core/config/validate';
import { HttpClient } from '../../electron/core/net/http-client';
import { createServices, type Services } from '../../electron/core/services';
import { minisignKeys, sha256, sourceTarball, treeHash } from '../fixtures/releases/tree';
import { HttpFixture, sendBytes, sendJson, type RecordedRequest } from '../fixtures/servers';
import { buildCli, repoRoot } from '../helpers/cli';
import { filesContaining } from '../helpers/grep-home';

/**
 * Where the GitHub token (and a component's own `token_env` credential) may go. Several real HTTP
 * servers on 127.0.0.1 — each port its own origin — answer like GitHub's API, its asset storage
 * and GitLab, and record every request's headers. The real engine (and the real CLI) updates
 * components against them; each case then reads what every server saw.
 */

const TOKEN = 'ghp_GLOBALtokenScope0123456789abcdefABCD';
const OWN = 'ghp_OWNcomponentToken9876543210zyxwvuZYX';
const OWN_VAR = 'UPKEEP_TOKEN_SCOPE_OWN';
const UNSET_VAR = 'UPKEEP_TOKEN_SCOPE_NEVER_SET';
const OWNER = 'acme';
const REPO = 'webapp';
const TAG = 'v1.1.0';
const ASSET = 'webapp-1.1.0.tar.gz';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** One origin: a recording server whose answers a test sets path by path. */
class Origin {
  readonly routes = new Map<string, Route>();
  readonly fixture = new HttpFixture((req, res) => {
    const route = this.routes.get((req.url ?? '/').split('?')[0] ?? '/');
    if (route) route(req, res);
    else sendJson(res, 404, { message: 'Not Found' });
  });

  get origin(): string {
    return this.fixture.origin;
  }

  get requests(): RecordedRequest[] {
    return this.fixture.requests;
  }

  /** Every credential header this origin was sent, with the path it came with. */
  credentials(): { path: string; authorization?: string; privateToken?: string }[] {
    return this.requests
      .filter((r) => r.headers.authorization !== undefined || r.headers['private-token'] !== undefined)
      .map((r) => ({
        path: r.path,
        ...(r.headers.authorization ? { authorization: String(r.headers.authorization) } : {}),
        ...(r.headers['private-token'] ? { privateToken: String(r.headers['private-token']) } : {}),
      }));
  }

  to(p: string): RecordedRequest[] {
    return this.requests.filter((r) => (r.url.split('?')[0] ?? '') === p);
  }

  bytes(p: string, body: Buffer | string): string {
    this.routes.set(p, (_req, res) =>
      sendBytes(res, 200, Buffer.from(body), { 'content-type': 'application/octet-stream' }),
    );
    return this.origin + p;
  }

  redirect(p: string, location: string, status = 302): string {
    this.routes.set(p, (_req, res) => {
      res.writeHead(status, { location });
      res.end();
    });
    return this.origin + p;
  }
}

const open: Origin[] = [];
const roots: string[] = [];
async function origin(): Promise<Origin> {
  const o = new Origin();
  await o.fixture.start();
  open.push(o);
  return o;
}

afterEach(async () => {
  for (const o of open.splice(0)) await o.fixture.close();
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  delete process.env[OWN_VAR];
});

function releaseFiles(version: string): Record<string, string> {
  return { VERSION: `${version}\n`, 'app.py': `print("v${version}")\n`, 'lib/core.py': `core ${version}\n` };
}
const NEW = sourceTarball(`${OWNER}-${REPO}-bbb222`, releaseFiles('1.1.0'));

interface AssetSpec {
  name: string;
  content: Buffer | string;
  /** Where `browser_download_url` points (default: the API origin's own download path). */
  download?: string;
  /**
   * What the API's asset endpoint (`…/releases/assets/ID` with Accept: application/octet-stream)
   * answers: a redirect to this URL (default: `download`, as GitHub redirects to its storage).
   */
  endpointTo?: string;
  endpointStatus?: number;
}

/**
 * A GitHub-like release API on `api` for acme/webapp: v1.1.0 with the given assets (each with
 * `url` = the API asset endpoint and `browser_download_url`) and a `tarball_url` on the API that
 * redirects to `tarballAt`.
 */
function githubRelease(api: Origin, assets: AssetSpec[], tarballAt?: string): void {
  const base = `/repos/${OWNER}/${REPO}`;
  const listed = assets.map((a, i) => {
    const id = 100 + i;
    const download = a.download ?? api.bytes(`/${OWNER}/${REPO}/releases/download/${TAG}/${a.name}`, a.content);
    const endpoint = `${base}/releases/assets/${id}`;
    api.routes.set(endpoint, (req, res) => {
      if (!String(req.headers.accept ?? '').includes('application/octet-stream'))
        return void sendJson(res, 200, { id, name: a.name });
      res.writeHead(a.endpointStatus ?? 302, { location: a.endpointTo ?? download });
      res.end();
    });
    return {
      id,
      name: a.name,
      size: Buffer.from(a.content).length,
      state: 'uploaded',
      digest: null,
      url: api.origin + endpoint,
      browser_download_url: download,
    };
  });
  const release = {
    id: 1,
    tag_name: TAG,
    name: TAG,
    body: 'notes',
    draft: false,
    prerelease: false,
    target_commitish: 'main',
    published_at: '2025-01-02T00:00:00Z',
    tarball_url: `${api.origin}${base}/tarball/${TAG}`,
    assets: listed,
  };
  api.routes.set(`${base}/releases`, (_req, res) => sendJson(res, 200, [release]));
  if (tarballAt) api.redirect(`${base}/tarball/${TAG}`, tarballAt);
}

/** A GitLab-like release API under `/api/v4` on `api`: v1.1.0 with one asset link at `assetAt`. */
function gitlabRelease(api: Origin, assetAt: string): void {
  const release = {
    tag_name: TAG,
    name: TAG,
    description: 'notes',
    released_at: '2025-01-02T00:00:00Z',
    assets: { sources: [], links: [{ name: ASSET, url: assetAt, direct_asset_url: assetAt }] },
  };
  api.routes.set(`/api/v4/projects/${OWNER}%2F${REPO}/releases`, (_req, res) => sendJson(res, 200, [release]));
}

interface World {
  home: string;
  folder: string;
  services: Services;
  update(): Promise<UpdateResult>;
}

/** A release_archive (or single_file) component at 1.0.0, the GitHub token stored, `github_api_base` set. */
async function world(options: {
  githubApiBase: string;
  config: Record<string, unknown>;
  token?: boolean;
  dropIn?: boolean;
}): Promise<World> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-token-scope-'));
  roots.push(root);
  const home = path.join(root, 'home');
  const folder = path.join(root, 'srv', 'webapp');
  for (const [rel, content] of Object.entries(releaseFiles('1.0.0'))) {
    mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
    writeFileSync(path.join(folder, rel), content);
  }
  const services = createServices({ home, host: 'cli' });
  services.settings.set({ github_api_base: options.githubApiBase, min_free_space_mb: 1 });
  if (options.token !== false)
    await createApi(services).setSettings({ github_token: TOKEN }, { initiatedBy: 'panel', readOnly: false });
  const config = {
    name: 'Web App',
    type: 'github_release',
    user: OWNER,
    repo: REPO,
    release_compare: 'semantic',
    folder,
    version_from: { file: 'VERSION', regex: '(\\S+)' },
    method: 'release_archive',
    ...options.config,
  };
  if (options.dropIn) {
    mkdirSync(path.join(home, 'components.d'), { recursive: true });
    writeFileSync(path.join(home, 'components.d', 'webapp.json'), JSON.stringify({ components: { webapp: config } }));
  } else {
    services.components.add({ webapp: validateComponent('webapp', config) });
  }
  return {
    home,
    folder,
    services,
    async update() {
      const [result] = await services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
      return result as UpdateResult;
    },
  };
}

function succeeded(result: UpdateResult): void {
  expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
}

function installedVersion(w: World): string {
  return readFileSync(path.join(w.folder, 'VERSION'), 'utf8').trim();
}

describe('the GitHub token stays on the origin of github_api_base', () => {
  // A component whose api_base is another origin: every file its update downloads from there.
  const paths: {
    what: string;
    assets: (keys: ReturnType<typeof minisignKeys>) => AssetSpec[];
    config: (keys: ReturnType<typeof minisignKeys>) => Record<string, unknown>;
    fetched: string;
  }[] = [
    {
      what: 'the release asset',
      assets: () => [{ name: ASSET, content: NEW }],
      config: () => ({ asset: 'webapp-{version}.tar.gz' }),
      fetched: ASSET,
    },
    {
      what: 'a SHA256SUMS checksum list',
      assets: () => [
        { name: ASSET, content: NEW },
        { name: 'SHA256SUMS', content: `${sha256(NEW)}  ${ASSET}\n` },
      ],
      config: () => ({ asset: 'webapp-{version}.tar.gz', require_checksum: true }),
      fetched: 'SHA256SUMS',
    },
    {
      what: 'a <asset>.sha256 checksum file',
      assets: () => [
        { name: ASSET, content: NEW },
        { name: `${ASSET}.sha256`, content: `${sha256(NEW)}  ${ASSET}\n` },
      ],
      config: () => ({ asset: 'webapp-{version}.tar.gz', require_checksum: true }),
      fetched: `${ASSET}.sha256`,
    },
    {
      what: 'a minisign signature',
      assets: (keys) => [
        { name: ASSET, content: NEW },
        { name: `${ASSET}.minisig`, content: keys.sign(NEW) },
      ],
      config: (keys) => ({ asset: 'webapp-{version}.tar.gz', public_key: keys.publicKey }),
      fetched: `${ASSET}.minisig`,
    },
  ];

  it.each(paths)(
    'a component api_base on another origin gets no token with $what',
    async ({ assets, config, fetched }) => {
      const api = await origin();
      const other = await origin();
      const keys = minisignKeys();
      githubRelease(other, assets(keys));
      const w = await world({ githubApiBase: api.origin, config: { api_base: other.origin, ...config(keys) } });
      succeeded(await w.update());
      expect(installedVersion(w)).toBe('1.1.0');
      // The file was fetched from the other origin, and nothing there carried a credential.
      expect(other.requests.some((r) => r.path.endsWith(`/${fetched}`))).toBe(true);
      expect(other.credentials()).toEqual([]);
      expect(api.requests).toEqual([]);
    },
  );

  it('tarball_url on another origin (and its redirect to the archive host) gets no token', async () => {
    const api = await origin();
    const other = await origin();
    const codeload = await origin();
    githubRelease(other, [], codeload.bytes(`/${OWNER}/${REPO}/tar.gz/${TAG}`, NEW));
    const w = await world({ githubApiBase: api.origin, config: { api_base: other.origin } });
    succeeded(await w.update());
    expect(installedVersion(w)).toBe('1.1.0');
    expect(other.to(`/repos/${OWNER}/${REPO}/tarball/${TAG}`)).toHaveLength(1);
    expect(codeload.requests).toHaveLength(1);
    expect(other.credentials()).toEqual([]);
    expect(codeload.credentials()).toEqual([]);
  });

  it('a drop-in component (components.d) pointing at another origin gets no token', async () => {
    const api = await origin();
    const other = await origin();
    githubRelease(other, [
      { name: ASSET, content: NEW },
      { name: 'SHA256SUMS', content: `${sha256(NEW)}  ${ASSET}\n` },
    ]);
    const w = await world({
      githubApiBase: api.origin,
      config: { api_base: other.origin, asset: 'webapp-{version}.tar.gz' },
      dropIn: true,
    });
    expect(w.services.components.get('webapp').source.kind).toBe('drop-in');
    succeeded(await w.update());
    expect(installedVersion(w)).toBe('1.1.0');
    expect(
      other.requests.filter((r) => r.path.endsWith(ASSET) || r.path.endsWith('SHA256SUMS')).length,
    ).toBeGreaterThanOrEqual(2);
    expect(other.credentials()).toEqual([]);
  });

  it('a single_file component on another origin gets no token, for the file or the release checksums', async () => {
    const api = await origin();
    const other = await origin();
    const plugin = 'print("plugin 1.1.0")\n';
    githubRelease(other, [
      { name: 'plugin.py', content: plugin },
      { name: 'SHA256SUMS', content: `${sha256(plugin)}  plugin.py\n` },
    ]);
    const root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-token-scope-file-'));
    roots.push(root);
    const file = path.join(root, 'plugin.py');
    writeFileSync(file, 'print("plugin 1.0.0")\n');
    const w = await world({
      githubApiBase: api.origin,
      config: {
        api_base: other.origin,
        method: 'single_file',
        folder: undefined,
        version_from: undefined,
        current: '1.0.0',
        file,
        url: `${other.origin}/${OWNER}/${REPO}/releases/download/{target}/plugin.py`,
        require_checksum: true,
      },
    });
    succeeded(await w.update());
    expect(readFileSync(file, 'utf8')).toBe(plugin);
    expect(other.requests.some((r) => r.path.endsWith('/SHA256SUMS'))).toBe(true);
    expect(other.credentials()).toEqual([]);
  });

  // The same server under another origin: another port, another scheme, another host name.
  it.each([
    { as: 'another port', base: (o: Origin, _alt: Origin) => _alt.origin },
    {
      as: 'https instead of plain http (the token never goes over http to it)',
      base: (o: Origin) => o.origin.replace('http://', 'https://'),
    },
    {
      as: 'another host name (localhost for 127.0.0.1)',
      base: (o: Origin) => o.origin.replace('127.0.0.1', 'localhost'),
    },
  ])('github_api_base at $as: the component api_base over plain http gets no token', async ({ base }) => {
    const other = await origin();
    const alt = await origin();
    githubRelease(other, [
      { name: ASSET, content: NEW },
      { name: 'SHA256SUMS', content: `${sha256(NEW)}  ${ASSET}\n` },
    ]);
    const w = await world({
      githubApiBase: base(other, alt),
      config: { api_base: other.origin, asset: 'webapp-{version}.tar.gz' },
    });
    succeeded(await w.update());
    expect(other.requests.length).toBeGreaterThan(0);
    expect(other.credentials()).toEqual([]);
    expect(alt.requests).toEqual([]);
  });

  it('github_api_base set to this exact http origin: the configured origin is trusted — API, asset endpoint and checksums carry the token', async () => {
    const api = await origin();
    githubRelease(api, [
      { name: ASSET, content: NEW },
      { name: 'SHA256SUMS', content: `${sha256(NEW)}  ${ASSET}\n` },
    ]);
    const w = await world({
      githubApiBase: api.origin,
      config: { asset: 'webapp-{version}.tar.gz', require_checksum: true },
    });
    succeeded(await w.update());
    const bearer = `Bearer ${TOKEN}`;
    expect(api.to(`/repos/${OWNER}/${REPO}/releases`).every((r) => r.headers.authorization === bearer)).toBe(true);
    // Private repositories: assets come through the API's asset endpoint, asked for the bytes.
    const endpoint = api.requests.filter((r) => /\/releases\/assets\/\d+$/.test(r.path));
    expect(endpoint.length).toBeGreaterThanOrEqual(2);
    for (const r of endpoint) {
      expect(r.headers.authorization).toBe(bearer);
      expect(r.headers.accept).toBe('application/octet-stream');
    }
    // Its redirect stays on the origin, so the download there carries the token too.
    expect(api.to(`/${OWNER}/${REPO}/releases/download/${TAG}/${ASSET}`)[0]?.headers.authorization).toBe(bearer);
    expect(filesContaining(w.home, TOKEN)).toEqual([]);
  });
});

describe('redirects from the API origin', () => {
  it.each([301, 302, 307])('same-origin %i: the hop on the API origin keeps the token', async (status) => {
    const api = await origin();
    const stored = api.bytes('/storage/webapp.tar.gz', NEW);
    githubRelease(api, [
      {
        name: ASSET,
        content: NEW,
        download: api.redirect('/moved/webapp.tar.gz', stored, status),
        endpointTo: stored,
        endpointStatus: status,
      },
    ]);
    const w = await world({ githubApiBase: api.origin, config: { asset: 'webapp-{version}.tar.gz' } });
    succeeded(await w.update());
    expect(api.to('/storage/webapp.tar.gz')).toHaveLength(1);
    expect(api.to('/storage/webapp.tar.gz')[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it.each([301, 302, 307])(
    'cross-origin %i (like GitHub to its object storage): the asset endpoint gets the token, the storage host none',
    async (status) => {
      const api = await origin();
      const storage = await origin();
      const stored = storage.bytes('/objects/webapp.tar.gz', NEW);
      githubRelease(api, [{ name: ASSET, content: NEW, download: stored, endpointTo: stored, endpointStatus: status }]);
      const w = await world({ githubApiBase: api.origin, config: { asset: 'webapp-{version}.tar.gz' } });
      succeeded(await w.update());
      const endpoint = api.requests.filter((r) => /\/releases\/assets\/\d+$/.test(r.path));
      expect(endpoint).toHaveLength(1);
      expect(endpoint[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(endpoint[0]?.headers.accept).toBe('application/octet-stream');
      expect(storage.requests).toHaveLength(1);
      expect(storage.credentials()).toEqual([]);
    },
  );

  it('checksum list and signature redirected to storage: the storage host gets no token', async () => {
    const api = await origin();
    const storage = await origin();
    const keys = minisignKeys();
    const sums = `${sha256(NEW)}  ${ASSET}\n`;
    githubRelease(api, [
      { name: ASSET, content: NEW, endpointTo: storage.bytes('/o/asset', NEW) },
      { name: 'SHA256SUMS', content: sums, endpointTo: storage.bytes('/o/sums', sums) },
      { name: `${ASSET}.minisig`, content: keys.sign(NEW), endpointTo: storage.bytes('/o/sig', keys.sign(NEW)) },
    ]);
    const w = await world({
      githubApiBase: api.origin,
      config: { asset: 'webapp-{version}.tar.gz', require_checksum: true, public_key: keys.publicKey },
    });
    succeeded(await w.update());
    expect(storage.requests.map((r) => r.path).sort()).toEqual(['/o/asset', '/o/sig', '/o/sums']);
    expect(storage.credentials()).toEqual([]);
  });

  it('a redirect that leaves the origin and comes back brings no token back', async () => {
    const api = await origin();
    const bouncer = await origin();
    const back = api.bytes('/back/webapp.tar.gz', NEW);
    const bounce = bouncer.redirect('/bounce', back, 302);
    githubRelease(api, [{ name: ASSET, content: NEW, download: bounce, endpointTo: bounce }]);
    const w = await world({ githubApiBase: api.origin, config: { asset: 'webapp-{version}.tar.gz' } });
    succeeded(await w.update());
    expect(bouncer.credentials()).toEqual([]);
    expect(api.to('/back/webapp.tar.gz')).toHaveLength(1);
    expect(api.to('/back/webapp.tar.gz')[0]?.headers.authorization).toBeUndefined();
  });
});

describe("token_env: a component's own credential, for its own api_base origin only", () => {
  it('GitHub-like: the check and the downloads on its api_base carry it; storage, the global API and the global token get nothing', async () => {
    const api = await origin();
    const own = await origin();
    const storage = await origin();
    githubRelease(own, [
      { name: ASSET, content: NEW, endpointTo: storage.bytes('/o/asset', NEW) },
      { name: 'SHA256SUMS', content: `${sha256(NEW)}  ${ASSET}\n` },
    ]);
    process.env[OWN_VAR] = OWN;
    const w = await world({
      githubApiBase: api.origin,
      config: { api_base: own.origin, token_env: OWN_VAR, asset: 'webapp-{version}.tar.gz', require_checksum: true },
    });
    succeeded(await w.update());
    const mine = `Bearer ${OWN}`;
    const listing = own.to(`/repos/${OWNER}/${REPO}/releases`);
    expect(listing.length).toBeGreaterThan(0);
    expect(listing.every((r) => r.headers.authorization === mine)).toBe(true);
    const endpoint = own.requests.filter((r) => /\/releases\/assets\/\d+$/.test(r.path));
    expect(endpoint.length).toBe(2);
    expect(endpoint.every((r) => r.headers.authorization === mine)).toBe(true);
    expect(own.credentials().every((c) => c.authorization === mine)).toBe(true);
    expect(storage.requests).toHaveLength(1);
    expect(storage.credentials()).toEqual([]);
    expect(api.requests).toEqual([]);
    expect(filesContaining(w.home, OWN)).toEqual([]);
    expect(filesContaining(w.home, TOKEN)).toEqual([]);
  });

  it('GitLab: PRIVATE-TOKEN goes to its api_base origin for the check and the asset, and the GitHub token never goes to GitLab', async () => {
    const api = await origin();
    const gitlab = await origin();
    gitlabRelease(gitlab, gitlab.bytes(`/${OWNER}/${REPO}/-/releases/${TAG}/downloads/${ASSET}`, NEW));
    const plain = await world({
      githubApiBase: api.origin,
      config: { type: 'gitlab_release', api_base: `${gitlab.origin}/api/v4`, asset: 'webapp-{version}.tar.gz' },
    });
    succeeded(await plain.update());
    expect(gitlab.requests.some((r) => r.path.endsWith(ASSET))).toBe(true);
    expect(gitlab.credentials()).toEqual([]);

    gitlab.fixture.clearRequests();
    process.env[OWN_VAR] = OWN;
    const named = await world({
      githubApiBase: api.origin,
      config: {
        type: 'gitlab_release',
        api_base: `${gitlab.origin}/api/v4`,
        token_env: OWN_VAR,
        asset: 'webapp-{version}.tar.gz',
      },
    });
    succeeded(await named.update());
    expect(gitlab.requests.length).toBeGreaterThanOrEqual(2);
    expect(
      gitlab.requests.every((r) => r.headers['private-token'] === OWN && r.headers.authorization === undefined),
    ).toBe(true);
    expect(api.requests).toEqual([]);
  });

  it('an unset token_env variable: the check says CREDENTIAL_MISSING naming it, the update stops before anything changes, nothing is sent', async () => {
    const api = await origin();
    const own = await origin();
    githubRelease(own, [{ name: ASSET, content: NEW }]);
    delete process.env[UNSET_VAR];
    const w = await world({
      githubApiBase: api.origin,
      config: { api_base: own.origin, token_env: UNSET_VAR, asset: 'webapp-{version}.tar.gz' },
    });
    const check = await w.services.checks.checkOne('webapp', { force: true });
    expect(check.error?.code).toBe('CREDENTIAL_MISSING');
    expect(check.error?.message).toContain(UNSET_VAR);
    const before = treeHash(w.folder);
    const result = await w.update();
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('CREDENTIAL_MISSING');
    expect(treeHash(w.folder)).toBe(before);
    // Neither anonymous nor with the global token: nothing was asked at all.
    expect(own.requests).toEqual([]);
    expect(api.requests).toEqual([]);
  });

  it('an unset token_env on a check type that sends no credential (httpheader) is still CREDENTIAL_MISSING, and the update stops at preflight', async () => {
    const api = await origin();
    const site = await origin();
    site.routes.set('/version', (_req, res) => {
      res.writeHead(200, { 'x-version': '1.1.0' });
      res.end();
    });
    delete process.env[UNSET_VAR];
    const w = await world({
      githubApiBase: api.origin,
      config: {
        type: 'httpheader',
        user: undefined,
        repo: undefined,
        header_url: `${site.origin}/version`,
        header_name: 'x-version',
        token_env: UNSET_VAR,
        method: 'single_file',
        url: site.bytes('/plugin.py', 'x'),
        file: path.join(os.tmpdir(), 'never-written-plugin.py'),
        folder: undefined,
        version_from: undefined,
        current: '1.0.0',
      },
    });
    const check = await w.services.checks.checkOne('webapp', { force: true });
    expect(check.error?.code).toBe('CREDENTIAL_MISSING');
    expect(check.error?.message).toContain(UNSET_VAR);
    expect((await w.update()).error?.code).toBe('CREDENTIAL_MISSING');
    expect(site.requests).toEqual([]);
  });

  it('a single_file component with token_env but a url on another origin: the file gets no credential', async () => {
    const api = await origin();
    const own = await origin();
    const elsewhere = await origin();
    const plugin = 'print("plugin 1.1.0")\n';
    githubRelease(own, []);
    const root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-token-scope-file-'));
    roots.push(root);
    const file = path.join(root, 'plugin.py');
    writeFileSync(file, 'print("plugin 1.0.0")\n');
    process.env[OWN_VAR] = OWN;
    const w = await world({
      githubApiBase: api.origin,
      config: {
        api_base: own.origin,
        token_env: OWN_VAR,
        method: 'single_file',
        folder: undefined,
        version_from: undefined,
        current: '1.0.0',
        file,
        url: elsewhere.bytes('/plugin.py', plugin),
      },
    });
    succeeded(await w.update());
    expect(readFileSync(file, 'utf8')).toBe(plugin);
    expect(own.to(`/repos/${OWNER}/${REPO}/releases`)[0]?.headers.authorization).toBe(`Bearer ${OWN}`);
    expect(elsewhere.requests).toHaveLength(1);
    expect(elsewhere.credentials()).toEqual([]);
  });

  it('a batch of checks on the GitHub API reads components with token_env over REST with their own token, never in a GraphQL batch with the global one', async () => {
    const api = await origin();
    githubRelease(api, [{ name: ASSET, content: NEW }]);
    process.env[OWN_VAR] = OWN;
    const w = await world({ githubApiBase: api.origin, config: { token_env: OWN_VAR } });
    const twin = validateComponent('twin', {
      type: 'github_release',
      user: OWNER,
      repo: REPO,
      token_env: OWN_VAR,
      current: '1.0.0',
    });
    w.services.components.add({ twin });
    const results = await w.services.checks.check(['webapp', 'twin'], { force: true });
    expect(results.map((r) => [r.id, r.error, r.latest])).toEqual([
      ['webapp', null, '1.1.0'],
      ['twin', null, '1.1.0'],
    ]);
    expect(api.requests.filter((r) => r.path.endsWith('/graphql'))).toEqual([]);
    // Every request (the two checks share one identical GET) carried the component's own token.
    expect(api.requests.length).toBeGreaterThanOrEqual(1);
    expect(api.requests.every((r) => r.headers.authorization === `Bearer ${OWN}`)).toBe(true);
  });

  it('token_env must be an environment variable name', () => {
    for (const bad of ['MY-TOKEN', '1TOKEN', 'A B', '$TOKEN', '']) {
      expect(
        () => validateComponent('webapp', { type: 'github_release', user: OWNER, repo: REPO, token_env: bad }),
        bad,
      ).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
    expect(
      validateComponent('webapp', { type: 'github_release', user: OWNER, repo: REPO, token_env: 'GH_TOKEN_2' })
        .token_env,
    ).toBe('GH_TOKEN_2');
  });
});

describe("the checks' HTTP client", () => {
  // Redirects to another host are refused unless a check allows that host; where one is allowed,
  // a credential must not ride along, nor come back when the chain returns to its origin.
  it.each(['the GitHub token', "a component's own credential"])(
    '%s is not carried back after a redirect left its origin',
    async (which) => {
      const api = await origin();
      const hop = await origin();
      api.routes.set('/final', (req, res) => sendJson(res, 200, { ok: true }));
      api.redirect('/start', hop.redirect('/hop', `${api.origin}/final`));
      const http = new HttpClient({ cacheDir: null, github: { apiBase: api.origin, token: () => TOKEN } });
      try {
        const own = which === 'the GitHub token' ? {} : { auth: { bearer: OWN } };
        await http.getJson(`${api.origin}/start`, { ...own, allowRedirectHosts: ['127.0.0.1'] });
      } finally {
        await http.close();
      }
      expect(api.to('/start')[0]?.headers.authorization).toBe(`Bearer ${which === 'the GitHub token' ? TOKEN : OWN}`);
      expect(hop.credentials()).toEqual([]);
      expect(api.to('/final')).toHaveLength(1);
      expect(api.to('/final')[0]?.headers.authorization).toBeUndefined();
    },
  );

  it('a check against a component api_base on another origin (or scheme, or host name) carries no GitHub token', async () => {
    const api = await origin();
    const other = await origin();
    githubRelease(other, []);
    for (const base of [
      api.origin,
      other.origin.replace('http://', 'https://'),
      other.origin.replace('127.0.0.1', 'localhost'),
    ]) {
      const w = await world({ githubApiBase: base, config: { api_base: other.origin } });
      const check = await w.services.checks.checkOne('webapp', { force: true });
      expect(check.error, base).toBeNull();
      expect(check.latest).toBe('1.1.0');
    }
    expect(other.requests.length).toBeGreaterThanOrEqual(3);
    expect(other.credentials()).toEqual([]);
  });
});

/** The real `upkeep` bin in a child process, asynchronously: the fake servers live in this process. */
function upkeep(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(repoRoot, 'bin', 'upkeep.mjs'), ...args],
      { cwd: repoRoot, env: { ...process.env, UPKEEP_HOME: '', ...env }, timeout: 60_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ status: code, stdout, stderr });
      },
    );
  });
}

describe('through the real CLI', () => {
  beforeAll(() => buildCli());

  it('upkeep update: a component api_base on another origin gets no token; an unset token_env fails with CREDENTIAL_MISSING', async () => {
    const api = await origin();
    const other = await origin();
    githubRelease(other, [
      { name: ASSET, content: NEW },
      { name: 'SHA256SUMS', content: `${sha256(NEW)}  ${ASSET}\n` },
    ]);
    const root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-token-scope-cli-'));
    roots.push(root);
    const home = path.join(root, 'home');
    const folder = path.join(root, 'srv', 'webapp');
    for (const [rel, content] of Object.entries(releaseFiles('1.0.0'))) {
      mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
      writeFileSync(path.join(folder, rel), content);
    }
    const yaml = (extra: string[]) =>
      [
        'components:',
        '  webapp:',
        '    type: github_release',
        `    user: ${OWNER}`,
        `    repo: ${REPO}`,
        `    api_base: "${other.origin}"`,
        '    release_compare: semantic',
        `    folder: "${folder}"`,
        '    version_from: { file: VERSION, regex: "(\\\\S+)" }',
        '    method: release_archive',
        '    asset: "webapp-{version}.tar.gz"',
        ...extra,
      ].join('\n');
    const file = path.join(root, 'components.yaml');
    writeFileSync(file, yaml([]));
    const run = (args: string[]) => upkeep(['--home', home, ...args], { [UNSET_VAR]: '' });
    for (const args of [
      ['settings', 'set', 'github_api_base', api.origin],
      ['settings', 'set', 'min_free_space_mb', '1'],
      ['settings', 'set', 'github_token', TOKEN],
      ['component', 'add', '--file', file],
    ]) {
      const r = await run(args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const updated = await run(['update', 'webapp', '--yes', '--json']);
    expect(updated.status, updated.stderr + updated.stdout).toBe(0);
    expect(readFileSync(path.join(folder, 'VERSION'), 'utf8').trim()).toBe('1.1.0');
    expect(other.requests.some((r) => r.path.endsWith(ASSET))).toBe(true);
    expect(other.credentials()).toEqual([]);
    expect(api.requests).toEqual([]);
    expect(updated.stdout + updated.stderr).not.toContain(TOKEN);

    // Now the component names its own credential, in a variable the CLI's environment lacks.
    writeFileSync(
      file,
      yaml([`    token_env: ${UNSET_VAR}`]).replace('components:\n  webapp:', 'components:\n  webapp2:'),
    );
    expect((await run(['component', 'add', '--file', file])).status).toBe(0);
    other.fixture.clearRequests();
    const checked = await run(['check', 'webapp2', '--json']);
    expect(checked.stdout + checked.stderr).toContain('CREDENTIAL_MISSING');
    expect(checked.stdout + checked.stderr).toContain(UNSET_VAR);
    expect(other.requests).toEqual([]);
    expect(filesContaining(home, TOKEN)).toEqual([]);
  });
});
