import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../../electron/core/net/http-client';
import { UpkeepError } from '../../../shared/errors';
import { FakeGitHub } from '../../fixtures/servers/github';
import { HttpFixture, sendJson, sleep } from '../../fixtures/servers/http-fixture';

async function errorOf(promise: Promise<unknown>): Promise<UpkeepError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UpkeepError);
    return error as UpkeepError;
  }
  throw new Error('expected the promise to reject');
}

let dir: string;
let gh: FakeGitHub;
const clients: HttpClient[] = [];
const fixtures: HttpFixture[] = [];

function client(options: ConstructorParameters<typeof HttpClient>[0] = {}): HttpClient {
  const c = new HttpClient({ cacheDir: path.join(dir, 'cache', 'http'), ...options });
  clients.push(c);
  return c;
}

async function fixture(handler: ConstructorParameters<typeof HttpFixture>[0]): Promise<HttpFixture> {
  const f = await new HttpFixture(handler).start();
  fixtures.push(f);
  return f;
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'upkeep-net-'));
  gh = await FakeGitHub.start();
  gh.addRelease('o', 'r', { tag_name: 'v1.0.0' });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
  await gh.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('conditional requests', () => {
  it('revalidates with If-None-Match and reuses the cached body on 304, across restarts', async () => {
    const url = `${gh.apiBase}/repos/o/r/releases`;
    const firstClient = client();
    const first = await firstClient.getJson<{ tag_name: string }[]>(url);
    await firstClient.settle();
    expect(first.response.fromCache).toBe(false);
    expect(first.data[0]?.tag_name).toBe('v1.0.0');
    const remainingAfterFirst = gh.rateLimit.remaining;

    // A new client on the same cache folder: the cache is on disk.
    const second = await client().getJson<{ tag_name: string }[]>(url);
    expect(second.response.fromCache).toBe(true);
    expect(second.data[0]?.tag_name).toBe('v1.0.0');
    const last = gh.requests.at(-1);
    expect(last?.headers['if-none-match']).toMatch(/^W\//);
    expect(last?.status).toBe(304);
    expect(gh.rateLimit.remaining).toBe(remainingAfterFirst);

    gh.addRelease('o', 'r', { tag_name: 'v1.1.0' });
    const third = await client().getJson<{ tag_name: string }[]>(url);
    expect(third.response.fromCache).toBe(false);
    expect(third.data.map((r) => r.tag_name)).toEqual(['v1.1.0', 'v1.0.0']);
  });

  it('uses If-Modified-Since when the server only sends Last-Modified', async () => {
    const modified = new Date('2025-03-01T00:00:00Z');
    const f = await fixture((req, res) => {
      if (req.headers['if-modified-since'] && Date.parse(req.headers['if-modified-since']) >= modified.getTime()) {
        res.writeHead(304);
        return void res.end();
      }
      sendJson(res, 200, { version: '2.0.0' }, { 'last-modified': modified.toUTCString() });
    });
    const c = client();
    expect((await c.getJson<{ version: string }>(`${f.origin}/v.json`)).response.fromCache).toBe(false);
    const again = await c.getJson<{ version: string }>(`${f.origin}/v.json`);
    expect(again.response.fromCache).toBe(true);
    expect(again.data.version).toBe('2.0.0');
    expect(f.requests[1]?.headers['if-modified-since']).toBe(modified.toUTCString());
  });
});

describe('cache upkeep', () => {
  it('prunes disk entries older than the given age and keeps recent ones', async () => {
    const c = client();
    await c.getJson(`${gh.apiBase}/repos/o/r/releases`);
    await c.getJson(`${gh.apiBase}/repos/o/r/releases/latest`);
    await c.settle();
    const cacheDir = path.join(dir, 'cache', 'http');
    const [old, recent] = readdirSync(cacheDir);
    const longAgo = new Date(Date.now() - 200 * 24 * 3_600_000);
    utimesSync(path.join(cacheDir, old as string), longAgo, longAgo);
    expect(await c.cache.prune(90 * 24 * 3_600_000)).toBe(1);
    expect(readdirSync(cacheDir)).toEqual([recent]);
  });
});

describe('limits', () => {
  it('stops reading an endless body at the size cap', async () => {
    gh.fixture.fault('/repos/o/r/releases', { kind: 'endless' });
    const e = await errorOf(client({ maxResponseBytes: 256 * 1024 }).getJson(`${gh.apiBase}/repos/o/r/releases`));
    expect(e.code).toBe('RESPONSE_TOO_LARGE');
  });

  it('refuses a declared Content-Length over the cap without reading', async () => {
    const f = await fixture((_req, res) => sendJson(res, 200, { big: 'x'.repeat(5000) }));
    const e = await errorOf(client().request(`${f.origin}/`, { maxBytes: 1000 }));
    expect(e.code).toBe('RESPONSE_TOO_LARGE');
  });

  it('times out on a server that is too slow to answer (idle timeout)', async () => {
    gh.fixture.fault('/repos/o/r/releases', { kind: 'slow', delayMs: 2000 });
    const e = await errorOf(client({ idleTimeoutMs: 300 }).getJson(`${gh.apiBase}/repos/o/r/releases`));
    expect(e.code).toBe('TIMEOUT');
  });

  it('times out at the overall deadline', async () => {
    gh.fixture.fault('/repos/o/r/releases', { kind: 'slow', delayMs: 2000 });
    const e = await errorOf(client({ deadlineMs: 300 }).getJson(`${gh.apiBase}/repos/o/r/releases`));
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toContain('did not answer');
  });

  it('reports an unreachable host as NETWORK', async () => {
    const f = await fixture((_req, res) => sendJson(res, 200, {}));
    const origin = f.origin;
    await f.close();
    const e = await errorOf(client().request(`${origin}/x`));
    expect(e.code).toBe('NETWORK');
  });

  it('maps 500 to UPSTREAM_ERROR and malformed JSON to PARSE_ERROR', async () => {
    gh.fixture.fault('/repos/o/r/releases', { kind: 'status', status: 500, body: '{"message":"boom"}' }, 1);
    const e = await errorOf(client().getJson(`${gh.apiBase}/repos/o/r/releases`));
    expect(e.code).toBe('UPSTREAM_ERROR');
    expect(e.message).toContain('boom');
    gh.fixture.fault('/repos/o/r/releases', { kind: 'malformed' }, 1);
    const p = await errorOf(client({ cacheDir: null }).getJson(`${gh.apiBase}/repos/o/r/releases`));
    expect(p.code).toBe('PARSE_ERROR');
  });

  it('never has more than the configured number of requests in flight', async () => {
    let active = 0;
    let peak = 0;
    const f = await fixture(async (_req, res) => {
      active++;
      peak = Math.max(peak, active);
      await sleep(30);
      active--;
      sendJson(res, 200, { ok: true });
    });
    const c = client({ concurrency: 8, cacheDir: null });
    await Promise.all(Array.from({ length: 40 }, (_, i) => c.request(`${f.origin}/item/${i}`)));
    expect(f.requests).toHaveLength(40);
    expect(peak).toBeLessThanOrEqual(8);
    expect(peak).toBeGreaterThan(1);
  });

  it('shares one request between concurrent identical GETs (single-flight)', async () => {
    const f = await fixture(async (_req, res) => {
      await sleep(50);
      sendJson(res, 200, { v: 1 });
    });
    const c = client({ cacheDir: null });
    const results = await Promise.all(Array.from({ length: 5 }, () => c.getJson<{ v: number }>(`${f.origin}/same`)));
    expect(results.every((r) => r.data.v === 1)).toBe(true);
    expect(f.requests).toHaveLength(1);
  });
});

describe('redirects', () => {
  it('follows a redirect on the same host', async () => {
    const f = await fixture((req, res) => {
      if (req.url === '/old') {
        res.writeHead(301, { location: '/new' });
        return void res.end();
      }
      sendJson(res, 200, { at: req.url });
    });
    const r = await client().getJson<{ at: string }>(`${f.origin}/old`);
    expect(r.data.at).toBe('/new');
  });

  it('refuses a redirect to another host unless allowed, and never sends credentials there', async () => {
    const other = await fixture((req, res) => sendJson(res, 200, { auth: req.headers.authorization ?? null }));
    // 127.0.0.1 vs localhost: a different host for the client.
    const otherUrl = other.origin.replace('127.0.0.1', 'localhost');
    const f = await fixture((_req, res) => {
      res.writeHead(302, { location: `${otherUrl}/landing` });
      res.end();
    });
    const e = await errorOf(client().request(`${f.origin}/start`, { auth: { bearer: 'secret-1' } }));
    expect(e.code).toBe('REDIRECT_REFUSED');
    expect(other.requests).toHaveLength(0);

    const ok = await client().getJson<{ auth: string | null }>(`${f.origin}/start`, {
      auth: { bearer: 'secret-1' },
      allowRedirectHosts: ['localhost'],
    });
    expect(ok.data.auth).toBeNull();
  });

  it('refuses redirects to schemes other than http(s)', async () => {
    gh.fixture.fault('/repos/o/r/releases', { kind: 'redirect', location: 'file:///etc/passwd' });
    const e = await errorOf(client().request(`${gh.apiBase}/repos/o/r/releases`));
    expect(e.code).toBe('REDIRECT_REFUSED');
  });
});

describe('GitHub token', () => {
  it('is sent only to the configured GitHub API host and never logged or cached', async () => {
    const token = 'ghp_supersecret_token_value';
    const lines: string[] = [];
    const otherGh = await FakeGitHub.start();
    otherGh.addRelease('o', 'r', { tag_name: 'v2.0.0' });
    try {
      const c = client({ github: { apiBase: gh.apiBase, token: () => token }, log: (l) => lines.push(l) });
      await c.getJson(`${gh.apiBase}/repos/o/r/releases`);
      await c.getJson(`${otherGh.apiBase}/repos/o/r/releases`);
      gh.fixture.fault('/repos/o/r/releases/latest', { kind: 'status', status: 500 }, 1);
      await errorOf(c.getJson(`${gh.apiBase}/repos/o/r/releases/latest`));
      await c.settle();
      expect(gh.requests[0]?.headers.authorization).toBe(`Bearer ${token}`);
      expect(otherGh.requests[0]?.headers.authorization).toBeUndefined();
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join('\n')).not.toContain(token);
      const cacheFiles = readdirSync(path.join(dir, 'cache', 'http'));
      expect(cacheFiles.length).toBeGreaterThan(0);
      for (const file of cacheFiles)
        expect(readFileSync(path.join(dir, 'cache', 'http', file), 'utf8')).not.toContain(token);
    } finally {
      await otherGh.close();
    }
  });
});

describe('rate limits', () => {
  it('fails fast with RATE_LIMITED on 403 with remaining 0 and does not ask again before the reset', async () => {
    gh.rateLimit.remaining = 0;
    const c = client();
    const e = await errorOf(c.getJson(`${gh.apiBase}/repos/o/r/releases`));
    expect(e.code).toBe('RATE_LIMITED');
    expect(e.message).toMatch(/GitHub token|check later/);
    expect(gh.requests).toHaveLength(1);
    const again = await errorOf(c.getJson(`${gh.apiBase}/repos/o/r/releases/latest`));
    expect(again.code).toBe('RATE_LIMITED');
    expect(gh.requests).toHaveLength(1);
  });

  it('treats a 429 with remaining 0 (GitHub answers either) as the primary limit', async () => {
    gh.rateLimit.remaining = 0;
    gh.rateLimit.refusalStatus = 429;
    const e = await errorOf(client().getJson(`${gh.apiBase}/repos/o/r/releases`));
    expect(e.code).toBe('RATE_LIMITED');
    expect(gh.requests.map((q) => q.status)).toEqual([429]);
  });

  it('stops before the budget is spent: 2 remaining allow two requests, not a third', async () => {
    gh.rateLimit.remaining = 2;
    const c = client();
    await c.getJson(`${gh.apiBase}/repos/o/r/releases`);
    await c.getJson(`${gh.apiBase}/repos/o/r/releases/latest`);
    const e = await errorOf(c.getJson(`${gh.apiBase}/repos/o/r/releases/tags/v1.0.0`));
    expect(e.code).toBe('RATE_LIMITED');
    expect(gh.requests).toHaveLength(2);
  });

  it('waits out a short 429 Retry-After and retries', async () => {
    gh.fixture.fault(
      '/repos/o/r/releases',
      { kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: '{"message":"slow down"}' },
      1,
    );
    const r = await client().getJson<unknown[]>(`${gh.apiBase}/repos/o/r/releases`);
    expect(r.data).toHaveLength(1);
    expect(gh.requests.map((q) => q.status)).toEqual([429, 200]);
  });

  it('fails with RATE_LIMITED on a long Retry-After and keeps the host blocked', async () => {
    gh.fixture.fault('/repos/o/r/releases', { kind: 'status', status: 429, headers: { 'retry-after': '3600' } }, 1);
    const c = client();
    const e = await errorOf(c.getJson(`${gh.apiBase}/repos/o/r/releases`));
    expect(e.code).toBe('RATE_LIMITED');
    expect(e.details?.retry_at).toBeTypeOf('string');
    await errorOf(c.getJson(`${gh.apiBase}/repos/o/r/releases/latest`));
    expect(gh.requests).toHaveLength(1);
  });

  it('backs off from a GitHub secondary limit without Retry-After', async () => {
    gh.secondaryLimit(1);
    const c = client();
    const e = await errorOf(c.getJson(`${gh.apiBase}/repos/o/r/releases`));
    expect(e.code).toBe('RATE_LIMITED');
    expect(c.budget.snapshot(new URL(gh.apiBase).host).blockedUntil).toBeGreaterThan(Date.now() + 30_000);
    await errorOf(c.getJson(`${gh.apiBase}/repos/o/r/releases`));
    expect(gh.requests).toHaveLength(1);
  });

  it('a plain 403 is FORBIDDEN, not a rate limit', async () => {
    gh.fixture.fault(
      '/repos/o/r/releases',
      { kind: 'status', status: 403, body: '{"message":"Resource not accessible by integration"}' },
      1,
    );
    const e = await errorOf(client().getJson(`${gh.apiBase}/repos/o/r/releases`));
    expect(e.code).toBe('FORBIDDEN');
  });
});

describe('downloads', () => {
  it('streams to a file with its sha256, follows the tarball redirect, and deletes on mismatch', async () => {
    const bytes = Buffer.from('tarball bytes '.repeat(1000));
    gh.addRelease('o', 'r', { tag_name: 'v2.0.0', tarball: bytes });
    const c = client();
    const file = path.join(dir, 'dl.tar.gz');
    const result = await c.download(`${gh.apiBase}/repos/o/r/tarball/v2.0.0`, file);
    expect(result.size).toBe(bytes.length);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    const bad = path.join(dir, 'bad.tar.gz');
    const e = await errorOf(
      c.download(`${gh.apiBase}/repos/o/r/tarball/v2.0.0`, bad, { expectedSha256: '0'.repeat(64) }),
    );
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(readdirSync(dir)).not.toContain('bad.tar.gz');
  });
});

describe('compressed answers', () => {
  const packument = {
    name: 'big',
    'dist-tags': { latest: '2.0.0' },
    versions: Object.fromEntries(
      Array.from({ length: 2000 }, (_, i) => [`1.0.${i}`, { version: `1.0.${i}`, description: 'x'.repeat(200) }]),
    ),
  };

  it('asks for gzip and brotli and decodes either, with ETag revalidation on the decoded body', async () => {
    const { gzipSync, brotliCompressSync } = await import('node:zlib');
    const json = Buffer.from(JSON.stringify(packument));
    const seen: (string | undefined)[] = [];
    const f = await fixture((req, res) => {
      seen.push(req.headers['accept-encoding']);
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { etag: '"v1"' });
        return void res.end();
      }
      const br = req.url?.includes('br');
      const body = br ? brotliCompressSync(json) : gzipSync(json);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': br ? 'br' : 'gzip',
        'content-length': String(body.length),
        etag: '"v1"',
      });
      res.end(body);
    });
    const c = client();
    for (const p of ['/gz', '/br']) {
      const { data, response } = await c.getJson<typeof packument>(`${f.origin}${p}`);
      expect(data.versions['1.0.1999']?.version).toBe('1.0.1999');
      expect(response.body.length).toBe(json.length);
    }
    expect(seen[0]).toBe('gzip, br');
    const again = await c.getJson<typeof packument>(`${f.origin}/gz`);
    expect(again.response.fromCache).toBe(true);
    expect(again.data['dist-tags'].latest).toBe('2.0.0');
  });

  it('holds the size cap to the decoded body (a 64 MiB gzip bomb of a few KB) and refuses a body that does not decode', async () => {
    const { gzipSync } = await import('node:zlib');
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(128 * 1024);
    const f = await fixture((req, res) => {
      const body = req.url === '/bomb' ? bomb : Buffer.from('not gzip at all');
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': String(body.length),
      });
      res.end(body);
    });
    const c = client();
    const big = await errorOf(c.getJson(`${f.origin}/bomb`, { maxBytes: 8 * 1024 * 1024 }));
    expect(big.code).toBe('RESPONSE_TOO_LARGE');
    const bad = await errorOf(c.getJson(`${f.origin}/garbage`));
    expect(bad.code).toBe('PARSE_ERROR');
    expect(bad.message).toContain('does not decode');
  });
});
