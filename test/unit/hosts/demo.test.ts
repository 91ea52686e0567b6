import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDemoFeed } from '../../../electron/core/demo/feed';
import { demoReleases } from '../../../electron/core/demo/samples';
import { buildCli, repoRoot, upkeep } from '../../helpers/cli';
import { tempDir } from '../../helpers/temp';

interface Started {
  child: ChildProcess;
  info: { url: string; panel_url: string; home: string; feed: string };
  stderr: () => string;
}

const children: ChildProcess[] = [];

/** `upkeep --json demo --port 0` as a real child process; resolves once it printed where it serves. */
function startDemo(args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'bin', 'upkeep.mjs'), '--json', 'demo', '--port', '0', ...args],
    { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line)
        resolve({ child, info: JSON.parse(line) as Started['info'], stderr: () => stderr });
    });
    child.on('exit', (code) => reject(new Error(`upkeep demo exited with ${code}: ${stderr}`)));
  });
}

async function call<T>(started: Started, method: string, request: unknown = {}): Promise<T> {
  const token = new URL(started.info.panel_url).hash.replace(/^#token=/, '');
  const response = await fetch(new URL(`api/${method}`, started.info.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(request),
  });
  const body = (await response.json()) as { result?: T; error?: { code: string; message: string } };
  if (body.error) throw new Error(`${body.error.code}: ${body.error.message}`);
  return body.result as T;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );
}

/** A data directory that looks like a person's real one: the demo must leave it byte for byte. */
function realHome(): { dir: string; snapshot: () => string } {
  const dir = tempDir('upkeep-real-home-');
  writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({ components: { mine: { type: 'always_current', current: '1.0' } } }),
  );
  const snapshot = () =>
    readdirSync(dir)
      .sort()
      .map((f) => `${f}:${readFileSync(path.join(dir, f), 'utf8')}`)
      .join('\n');
  return { dir, snapshot };
}

describe('upkeep demo', () => {
  beforeAll(() => buildCli());
  afterEach(() => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('serves the panel on a fresh temp sandbox whose feed offers each sample an update, and never touches the real data directory', async () => {
    const tmp = tempDir('upkeep-demo-tmp-');
    const real = realHome();
    const before = real.snapshot();
    const started = await startDemo([], { TMPDIR: tmp, UPKEEP_HOME: real.dir });
    expect(path.dirname(started.info.home)).toBe(tmp);
    expect(started.info.feed).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // The panel itself is served.
    const page = await fetch(new URL('/', started.info.url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');

    // The feed answers like GitHub's releases API, newest first, with real tarballs.
    const releases = (await (
      await fetch(`${started.info.feed}/repos/upkeep-demo/web-app/releases?per_page=100`)
    ).json()) as { tag_name: string; tarball_url: string }[];
    expect(releases.map((r) => r.tag_name)).toEqual(['v1.1.0', 'v1.0.0']);
    const tarball = Buffer.from(await (await fetch(releases[0]!.tarball_url)).arrayBuffer());
    expect(tarball.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect((await fetch(`${started.info.feed}/repos/nobody/nothing/releases`)).status).toBe(404);

    // The samples were checked at start: the panel opens with their updates offered.
    const checked = await call<{
      components: {
        id: string;
        installed: string | null;
        latest: string | null;
        update_available: boolean;
        error: unknown;
      }[];
    }>(started, 'getCheckResults', {});
    const byId = Object.fromEntries(checked.components.map((c) => [c.id, c]));
    expect(byId['web-app']).toMatchObject({ installed: '1.0.0', latest: '1.1.0', update_available: true, error: null });
    expect(byId['api-service']).toMatchObject({
      installed: '1.0.0',
      latest: '2.0.0',
      update_available: true,
      error: null,
    });
    expect(byId['notes-plugin']).toMatchObject({
      installed: '1.0.0',
      latest: '1.2.0',
      update_available: true,
      error: null,
    });
    const info = await call<{ home: string }>(started, 'getInfo');
    // The data directory sits beside the samples in the sandbox, never around them.
    expect(info.home).toBe(path.join(started.info.home, 'data'));

    started.child.kill('SIGTERM');
    expect(await exited(started.child)).toBe(0);
    expect(real.snapshot()).toBe(before);
    expect(existsSync(path.join(real.dir, 'backups'))).toBe(false);
    // The feed stopped with the demo.
    await expect(fetch(`${started.info.feed}/repos/upkeep-demo/web-app/releases`)).rejects.toThrow();
  });

  it('updates the web app keeping .env and uploads/, rolls the failing release back, and resumes on the same --home sandbox', async () => {
    const home = path.join(tempDir('upkeep-demo-home-'), 'sandbox');
    const first = await startDemo(['--home', home], { UPKEEP_HOME: '' });
    expect(first.info.home).toBe(home);
    const web = path.join(home, 'samples', 'web-app');
    const env = readFileSync(path.join(web, '.env'), 'utf8');
    const results = await call<{
      results: { id: string; status: string; backup_id: string | null; error: { code: string } | null }[];
    }>(first, 'updateComponents', { ids: ['web-app', 'api-service', 'notes-plugin'] });
    const byId = Object.fromEntries(results.results.map((r) => [r.id, r]));
    expect(byId['web-app']).toMatchObject({ status: 'succeeded', error: null });
    expect(byId['web-app']?.backup_id).toMatch(/^web-app-/);
    expect(readFileSync(path.join(web, 'VERSION'), 'utf8')).toBe('1.1.0\n');
    expect(readFileSync(path.join(web, '.env'), 'utf8')).toBe(env);
    expect(existsSync(path.join(web, 'uploads', 'holiday.txt'))).toBe(true);
    expect(existsSync(path.join(web, 'legacy.js'))).toBe(false);
    expect(byId['api-service']).toMatchObject({ status: 'rolled_back', error: { code: 'HEALTH_CHECK_FAILED' } });
    expect(readFileSync(path.join(home, 'samples', 'api-service', 'VERSION'), 'utf8')).toBe('1.0.0\n');
    expect(existsSync(path.join(home, 'samples', 'api-service', 'server.js'))).toBe(true);
    expect(byId['notes-plugin']).toMatchObject({ status: 'succeeded' });
    expect(readFileSync(path.join(home, 'samples', 'plugins', 'notes_plugin.py'), 'utf8')).toContain('version: 1.2.0');
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);

    // Again on the same sandbox: a new feed address, the state the first run left.
    const second = await startDemo(['--home', home], { UPKEEP_HOME: '' });
    expect(second.info.feed).not.toBe(first.info.feed);
    const checked = await call<{
      components: { id: string; installed: string | null; update_available: boolean; error: unknown }[];
    }>(second, 'getCheckResults', {});
    expect(checked.components.find((c) => c.id === 'web-app')).toMatchObject({
      installed: '1.1.0',
      update_available: false,
      error: null,
    });
    expect(checked.components.find((c) => c.id === 'api-service')).toMatchObject({
      installed: '1.0.0',
      update_available: true,
      error: null,
    });
  });

  it('refuses a --home that holds anything but a demo sandbox, or is the real data directory, and writes nothing there', () => {
    const taken = tempDir('upkeep-demo-taken-');
    writeFileSync(path.join(taken, 'config.json'), '{"components":{}}');
    const refused = upkeep(['demo', '--home', taken, '--port', '0']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/is not empty and is not a demo sandbox.*\[INVALID_REQUEST\]/s);
    expect(readdirSync(taken)).toEqual(['config.json']);

    const real = tempDir('upkeep-demo-real-');
    const empty = path.join(real, 'upkeep');
    mkdirSync(empty);
    const own = upkeep(['demo', '--home', empty, '--port', '0'], { env: { UPKEEP_HOME: empty } });
    expect(own.status).toBe(2);
    expect(own.stderr).toContain('is your Upkeep data directory');
    expect(readdirSync(empty)).toEqual([]);

    const bad = upkeep(['demo', '--port', 'x']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--port must be 0-65535');
  });
});

describe('the demo release feed', () => {
  it('answers like GitHub: latest, by tag, assets with their sha256 digest, 404 for the unknown, 405 for writes', async () => {
    const feed = await startDemoFeed(demoReleases());
    try {
      const get = (p: string) => fetch(`${feed.apiBase}${p}`);
      const latest = (await (await get('/repos/upkeep-demo/api-service/releases/latest')).json()) as {
        tag_name: string;
        published_at: string;
      };
      expect(latest.tag_name).toBe('v2.0.0');
      expect(Date.parse(latest.published_at)).toBeLessThan(Date.now());
      const byTag = (await (await get('/repos/upkeep-demo/notes-plugin/releases/tags/v1.2.0')).json()) as {
        assets: { name: string; size: number; digest: string; browser_download_url: string }[];
      };
      const asset = byTag.assets.find((a) => a.name === 'notes_plugin.py')!;
      const bytes = Buffer.from(await (await fetch(asset.browser_download_url)).arrayBuffer());
      expect(bytes.length).toBe(asset.size);
      expect(asset.digest).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
      expect(bytes.toString()).toContain('version: 1.2.0');
      const sums = byTag.assets.find((a) => a.name === 'SHA256SUMS')!;
      expect(await (await fetch(sums.browser_download_url)).text()).toBe(
        `${asset.digest.slice('sha256:'.length)}  notes_plugin.py\n`,
      );
      expect((await get('/repos/upkeep-demo/notes-plugin/releases/tags/v9.9.9')).status).toBe(404);
      expect((await get('/repos/upkeep-demo/web-app/tarball/v9.9.9')).status).toBe(404);
      expect((await get('/repos/upkeep-demo/web-app/releases?page=2')).status).toBe(200);
      expect(await (await get('/repos/upkeep-demo/web-app/releases?page=2')).json()).toEqual([]);
      expect(
        (await fetch(`${feed.apiBase}/repos/upkeep-demo/web-app/releases`, { method: 'POST', body: '{}' })).status,
      ).toBe(405);
      expect((await get('/%E0%A4%A/x')).status).toBe(400);
    } finally {
      await feed.close();
    }
  });
});
