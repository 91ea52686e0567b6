import { statSync, readFileSync, writeFileSync, existsSync, mkdirSync, chmodSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METHOD_NAMES, methods, type MethodName } from '../../shared/contract';
import type { ErrorShape } from '../../shared/errors';
import { createApi } from '../../electron/core/api';
import { createServices } from '../../electron/core/services';
import { serveHeadless } from '../../electron/http/serve';
import type { HttpHost } from '../../electron/http/server';
import { createInvokeHandler, isTrustedSender, type IpcSender } from '../../electron/main/ipc-handler';
import { buildCli, upkeep } from '../helpers/cli';
import { tempDir } from '../helpers/temp';

/** Values of every JSON type, a long string and a deep object: each field gets those its schema rejects. */
const CANDIDATES: unknown[] = [
  12345.5,
  -1,
  'x',
  true,
  [],
  {},
  [{ a: 1 }],
  'A'.repeat(1_100_000),
  JSON.parse(`${'{"a":'.repeat(200)}1${'}'.repeat(200)}`) as unknown,
  '../../etc/passwd',
  '$(touch /tmp/upkeep-pwned)',
];

interface FuzzCase {
  method: MethodName;
  field: string;
  request: Record<string, unknown>;
}

function shapeOf(method: MethodName): Record<string, { safeParse(v: unknown): { success: boolean } }> {
  const schema = methods[method].request as unknown as {
    shape?: Record<string, { safeParse(v: unknown): { success: boolean } }>;
  };
  return schema.shape ?? {};
}

/** Per method: each field with up to three values its own schema refuses, and an unknown field. */
function fuzzCases(): FuzzCase[] {
  const cases: FuzzCase[] = [];
  for (const method of METHOD_NAMES) {
    cases.push({ method, field: 'zz_unknown_field', request: { zz_unknown_field: 1 } });
    for (const [field, schema] of Object.entries(shapeOf(method))) {
      let n = 0;
      for (const value of CANDIDATES) {
        if (n >= 3) break;
        if (schema.safeParse(value).success) continue;
        cases.push({ method, field, request: { [field]: value } });
        n++;
      }
    }
  }
  return cases;
}

function namesField(error: ErrorShape, field: string): boolean {
  const fields = (error.details?.fields as string[] | undefined) ?? [];
  return fields.some((f) => f === field || f.startsWith(`${field}.`)) || error.message.includes(field);
}

let host: HttpHost;
let home: string;
let token: string;
let readOnly: string;

beforeAll(async () => {
  home = path.join(tempDir('upkeep-entry-'), 'home');
  host = await serveHeadless({ home, port: 0, scheduler: false, firstRun: false });
  token = readFileSync(path.join(home, 'http-token'), 'utf8').trim();
  readOnly = readFileSync(path.join(home, 'http-token-readonly'), 'utf8').trim();
});
afterAll(async () => {
  await host?.close();
});

/** A raw request, so Host, Origin and the body can be anything. */
function raw(options: {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}): Promise<{ status: number; body: { result?: unknown; error?: ErrorShape } }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent: false,
        host: '127.0.0.1',
        port: host.port,
        path: options.path,
        method: options.method ?? 'POST',
        headers: { 'content-type': 'application/json', ...(options.headers ?? {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: { result?: unknown; error?: ErrorShape } = {};
          try {
            body = JSON.parse(text) as typeof body;
          } catch {
            body = {};
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body ?? '{}');
  });
}

const call = (method: string, request: unknown, bearer = token, extra: Record<string, string> = {}) =>
  raw({
    path: `/api/${method}`,
    headers: { authorization: `Bearer ${bearer}`, ...extra },
    body: JSON.stringify(request),
  });

describe('HTTP host: every contract method fuzzed (real server, real engine)', () => {
  const cases = fuzzCases();

  it(`has cases for every method (${METHOD_NAMES.length} methods)`, () => {
    expect(new Set(cases.map((c) => c.method)).size).toBe(METHOD_NAMES.length);
    expect(cases.length).toBeGreaterThan(METHOD_NAMES.length * 2);
  });

  it('malformed fields: INVALID_REQUEST naming the field, never a crash', async () => {
    for (const c of cases) {
      const { status, body } = await call(c.method, c.request);
      expect(status, `${c.method}.${c.field}`).toBe(400);
      expect(body.error?.code, `${c.method}.${c.field}`).toBe('INVALID_REQUEST');
      expect(namesField(body.error!, c.field), `${c.method}: ${body.error?.message}`).toBe(true);
    }
    // Still answering after all of it.
    expect((await call('getInfo', {})).status).toBe(200);
  });

  it('bodies that are not an object, not JSON, too large, or for an unknown method', async () => {
    for (const method of METHOD_NAMES) {
      for (const body of ['[1,2]', '"text"', '42', 'true', '{"a":', '\u0000\u0001', '{"__proto__":{"polluted":1}}']) {
        const res = await raw({ path: `/api/${method}`, headers: { authorization: `Bearer ${token}` }, body });
        if (res.status === 200) continue; // {} after __proto__ is dropped is a valid empty request for some methods
        expect(res.body.error?.code, `${method} ${body}`).toBe('INVALID_REQUEST');
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const big = await raw({
      path: '/api/addComponents',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ text: 'x'.repeat(5 * 1024 * 1024) }),
    });
    expect(big.status).toBe(400);
    expect(big.body.error?.code).toBe('INVALID_REQUEST');
    const unknown = await call('constructor', {});
    expect(unknown.body.error?.code).toBe('UNKNOWN_METHOD');
    const proto = await call('__proto__', {});
    expect(proto.body.error?.code).toBe('UNKNOWN_METHOD');
    const wrongType = await raw({
      path: '/api/getInfo',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
    });
    expect(wrongType.status).toBe(415);
  });
});

describe('HTTP host: who may call', () => {
  it('without a token, with a wrong one, or with the token in the query: 401', async () => {
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: `Bearer ${token}x` },
      { authorization: `Bearer ${token.slice(0, -1)}` },
      { authorization: token },
      { authorization: `Basic ${token}` },
    ]) {
      const res = await raw({ path: '/api/listComponents', headers });
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('UNAUTHORIZED');
    }
    const query = await raw({ path: `/api/listComponents?token=${token}` });
    expect(query.status).toBe(401);
    const events = await raw({ path: '/api/events', method: 'GET' });
    expect(events.status).toBe(401);
  });

  it('cross-origin and cross-site requests are refused even with the right token', async () => {
    for (const extra of <Record<string, string>[]>[
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: `http://localhost:${host.port + 1}` },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      const res = await call('listComponents', {}, token, extra);
      expect(res.status, JSON.stringify(extra)).toBe(403);
      expect(res.body.error?.code).toBe('FORBIDDEN');
    }
    expect((await call('listComponents', {}, token, { origin: `http://127.0.0.1:${host.port}` })).status).toBe(200);
  });

  it('DNS rebinding: a Host that is not a loopback address or name is refused', async () => {
    for (const name of [
      'evil.example',
      '127.evil.example',
      '127.0.0.1.evil.example',
      'localhost.evil.example',
      '10.0.0.5',
      '0.0.0.0',
      '127.0.0.1.nip.io',
      '[::ffff:7f00:1].evil',
    ]) {
      const res = await call('listComponents', {}, token, { host: `${name}:${host.port}` });
      expect(res.status, name).toBe(403);
      expect(res.body.error?.code).toBe('FORBIDDEN');
    }
    for (const name of ['127.0.0.1', 'localhost', '127.1.2.3', 'LOCALHOST']) {
      expect((await call('listComponents', {}, token, { host: `${name}:${host.port}` })).status, name).toBe(200);
    }
  });

  it('the read-only token: every method that changes state is FORBIDDEN, every read-only one is allowed', async () => {
    expect(readOnly).not.toBe(token);
    for (const method of METHOD_NAMES) {
      // An unknown field keeps allowed calls from doing work: they fail validation instead.
      const res = await call(method, { zz_unknown_field: 1 }, readOnly);
      if (methods[method].mutates) {
        expect(res.status, method).toBe(403);
        expect(res.body.error?.code, method).toBe('FORBIDDEN');
      } else {
        expect(res.body.error?.code, method).toBe('INVALID_REQUEST');
      }
    }
    const read = await call('listComponents', {}, readOnly);
    expect(read.status).toBe(200);
    // The settings (and the components) are unchanged by the refused calls.
    const add = await call('addComponents', { components: { x: { type: 'never_current', current: '1' } } }, readOnly);
    expect(add.body.error?.code).toBe('FORBIDDEN');
    expect((await call('listComponents', {}, token)).body.result).toEqual(read.body.result);
  });

  it('the tokens are 0600 files; upkeep serve --print-readonly-token prints the read-only one', () => {
    expect(statSync(path.join(home, 'http-token')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(home, 'http-token-readonly')).mode & 0o777).toBe(0o600);
    buildCli();
    const printed = upkeep(['--home', home, 'serve', '--print-readonly-token']);
    expect(printed.status, printed.stderr).toBe(0);
    expect(printed.stdout.trim()).toBe(readOnly);
    const json = upkeep(['--home', home, '--json', 'serve', '--print-readonly-token']);
    expect(json.json()).toEqual({ read_only_token: readOnly });
    // A new data directory gets one on first ask, 0600.
    const fresh = path.join(tempDir('upkeep-entry-'), 'home');
    const made = upkeep(['--home', fresh, 'serve', '--print-readonly-token']);
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(statSync(path.join(fresh, 'http-token-readonly')).mode & 0o777).toBe(0o600);
  });
});

describe('IPC handler logic (electron/main/ipc-handler.ts, as ipcMain calls it)', () => {
  const contents = { id: 1 };
  const url = 'file:///opt/upkeep/resources/app.asar/dist/renderer/index.html';
  let handler: ReturnType<typeof createInvokeHandler>;
  beforeAll(() => {
    const services = createServices({ home: path.join(tempDir('upkeep-ipc-'), 'home'), host: 'desktop' });
    handler = createInvokeHandler({
      api: createApi(services),
      isTrustedSender: (event) => isTrustedSender(event, { contents, url }),
    });
  });
  const ours: IpcSender = { sender: contents as never, senderFrame: { url: `${url}#/backups` } };

  it('refuses other windows, frames and pages', async () => {
    const strangers: IpcSender[] = [
      { sender: { id: 2 } as never, senderFrame: { url } },
      { sender: contents as never, senderFrame: { url: 'https://evil.example/' } },
      { sender: contents as never, senderFrame: { url: 'file:///tmp/evil.html' } },
      { sender: contents as never, senderFrame: null },
    ];
    for (const event of strangers) {
      const res = await handler(event, 'listComponents', {});
      expect(res).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    expect(await handler(ours, 'listComponents', {})).toMatchObject({ ok: true });
  });

  it('every method fuzzed: INVALID_REQUEST naming the field, errors as data, never a throw', async () => {
    for (const c of fuzzCases()) {
      const res = await handler(ours, c.method, c.request);
      expect(res.ok, `${c.method}.${c.field}`).toBe(false);
      if (res.ok) continue;
      expect(res.error.code, `${c.method}.${c.field}`).toBe('INVALID_REQUEST');
      expect(namesField(res.error, c.field), res.error.message).toBe(true);
    }
    for (const bad of [null, 42, {}, 'constructor', 'hasOwnProperty', 'x'.repeat(10_000)]) {
      expect(await handler(ours, bad, {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    }
    for (const method of METHOD_NAMES) {
      for (const request of [[1], 'text', 42, true]) {
        expect(await handler(ours, method, request), method).toMatchObject({
          ok: false,
          error: { code: 'INVALID_REQUEST' },
        });
      }
    }
  });
});

describe('component fields with shell metacharacters run as literal argv items (a real script records its argv)', () => {
  it('update_script, install, migrations, restart and health: each item arrives exactly as written', async () => {
    const root = tempDir('upkeep-argv-');
    const folder = path.join(root, 'app $(touch PWNED); `id` | x');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'VERSION'), '1.0.0\n');
    const recorder = path.join(root, 'record.cjs');
    const log = path.join(root, 'argv.jsonl');
    writeFileSync(
      recorder,
      `require('fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`,
    );
    chmodSync(recorder, 0o755);
    const evil = [
      '$(touch PWNED)',
      '`touch PWNED`',
      '; touch PWNED',
      '| touch PWNED',
      '&& touch PWNED',
      '> PWNED',
      '"quoted" \'single\'',
      '*',
      '$HOME',
      '\\n newline\nsecond',
    ];
    const services = createServices({ home: path.join(root, 'home'), host: 'cli' });
    services.settings.set({ min_free_space_mb: 0 });
    services.components.add({
      meta: (await import('../../electron/core/config/validate')).validateComponent('meta', {
        name: 'Meta',
        type: 'never_current',
        current: '1.0.0',
        folder,
        method: 'update_script',
        update_script: ['node', recorder, 'script', '{folder}', ...evil],
        install: [['node', recorder, 'install', ...evil]],
        migrations: [['node', recorder, 'migrate', ...evil]],
        restart: ['node', recorder, 'restart', ...evil],
        health: { command: ['node', recorder, 'health', ...evil], timeout: 30 },
      }),
    });
    const [result] = await services.updates.updateComponents(['meta'], { initiatedBy: 'cli', force: true });
    expect(result?.status, JSON.stringify(result?.error)).toBe('succeeded');
    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    expect(calls.map((c) => c[0])).toEqual(['script', 'install', 'migrate', 'restart', 'health']);
    expect(calls[0]).toEqual(['script', folder, ...evil]);
    for (const c of calls.slice(1)) expect(c.slice(1)).toEqual(evil);
    // No shell ever ran: nothing named PWNED anywhere near.
    for (const dir of [root, folder, process.cwd(), path.join(root, 'home')])
      expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
  });
});

describe('HTTP host: an oversized body does not poison the connection', () => {
  it('the next request on the same keep-alive connection is answered', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (body: string, chunked = false) =>
      new Promise<number>((resolve) => {
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
        };
        if (chunked) headers['transfer-encoding'] = 'chunked';
        const req = http.request(
          { agent, host: '127.0.0.1', port: host.port, path: '/api/getInfo', method: 'POST', headers },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', () => resolve(-1));
        if (chunked) for (let i = 0; i < body.length; i += 256 * 1024) req.write(body.slice(i, i + 256 * 1024));
        req.end(chunked ? undefined : body);
      });
    try {
      expect(await send(JSON.stringify({ pad: 'x'.repeat(5 * 1024 * 1024) }))).toBe(400);
      expect(await send('{}')).toBe(200);
      // Chunked, with no length to refuse up front: the limit is found while reading.
      expect(await send(JSON.stringify({ pad: 'y'.repeat(5 * 1024 * 1024) }), true)).toBe(400);
      expect(await send('{}')).toBe(200);
    } finally {
      agent.destroy();
    }
  });
});

describe('HTTP host: the static panel', () => {
  it('serves only files under the renderer folder, whatever the path says', async () => {
    const secret = readFileSync(path.join(home, 'http-token'), 'utf8').trim();
    for (const p of [
      '/../../package.json',
      '/%2e%2e/%2e%2e/package.json',
      '/..%2f..%2fpackage.json',
      '/%2e%2e%2f%2e%2e%2fhttp-token',
      '/assets/../../../../etc/passwd',
      '/%00',
      '/\\..\\..\\package.json',
    ]) {
      const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request({ agent: false, host: '127.0.0.1', port: host.port, path: p, method: 'GET' }, (r) => {
          let text = '';
          r.on('data', (c: Buffer) => (text += c.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(res.text, p).not.toContain('"name": "upkeep"');
      expect(res.text, p).not.toContain('root:x:0:0');
      expect(res.text, p).not.toContain(secret);
    }
  });

  it('the panel page carries the CSP and refuses framing', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({ agent: false, host: '127.0.0.1', port: host.port, path: '/', method: 'GET' }, (r) => {
        r.resume();
        resolve(r);
      });
      req.on('error', reject);
      req.end();
    });
    if (res.statusCode === 404) return; // the panel is not built in this checkout
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
  });
});
