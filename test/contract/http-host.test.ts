import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp';
import { httpTransport, TEST_READ_ONLY_TOKEN, TEST_TOKEN } from './transports';
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

let close: (() => Promise<void>) | undefined;
afterEach(async () => close?.());

async function host(options: { rendererDir?: string } = {}) {
  const t = await httpTransport(tempDir(), options);
  close = t.close;
  return t;
}

/** A raw request, so headers fetch would fix up (Host, Origin) can be set as an attacker would. */
function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('headless host security', () => {
  it('refuses requests without the token, with a wrong token, or with a token in the wrong place', async () => {
    const { host: h } = await host();
    const url = `${h.url}api/listComponents`;
    const attempts: Record<string, string>[] = [
      { 'Content-Type': 'application/json' },
      { 'Content-Type': 'application/json', Authorization: 'Bearer wrong' },
      { 'Content-Type': 'application/json', Authorization: TEST_TOKEN },
      { 'Content-Type': 'application/json', Cookie: `token=${TEST_TOKEN}` },
    ];
    for (const headers of attempts) {
      const res = await rawRequest(url, { headers, body: '{}' });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body).error.code).toBe('UNAUTHORIZED');
    }
    const query = await rawRequest(`${url}?token=${TEST_TOKEN}`, {
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(query.status).toBe(401);
  });

  it('refuses cross-origin requests and non-loopback Host headers (DNS rebinding)', async () => {
    const { host: h } = await host();
    const url = `${h.url}api/listComponents`;
    const auth = { 'Content-Type': 'application/json', Authorization: `Bearer ${TEST_TOKEN}` };
    const cross = await rawRequest(url, { headers: { ...auth, Origin: 'http://evil.example' }, body: '{}' });
    expect(cross.status).toBe(403);
    expect(JSON.parse(cross.body).error.code).toBe('FORBIDDEN');
    const rebind = await rawRequest(url, { headers: { ...auth, Host: `evil.example:${h.port}` }, body: '{}' });
    expect(rebind.status).toBe(403);
    const sameOrigin = await rawRequest(url, {
      headers: { ...auth, Origin: `http://127.0.0.1:${h.port}` },
      body: '{}',
    });
    expect(sameOrigin.status).toBe(200);
  });

  it('requires POST with a JSON body and answers malformed JSON with INVALID_REQUEST; stays up', async () => {
    const { host: h } = await host();
    const url = `${h.url}api/listComponents`;
    const auth = { Authorization: `Bearer ${TEST_TOKEN}` };
    expect((await rawRequest(url, { method: 'GET', headers: auth })).status).toBe(405);
    expect((await rawRequest(url, { headers: { ...auth, 'Content-Type': 'text/plain' }, body: '{}' })).status).toBe(
      415,
    );
    const bad = await rawRequest(url, { headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"oops' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe('INVALID_REQUEST');
    const big = await rawRequest(url, {
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: `"${'x'.repeat(5 * 1024 * 1024)}"`,
    });
    expect(big.status).toBe(400);
    const after = await rawRequest(url, { headers: { ...auth, 'Content-Type': 'application/json' }, body: '{}' });
    expect(after.status).toBe(200);
  });

  it('a read-only token may read but every change is FORBIDDEN', async () => {
    const { host: h } = await host();
    const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${TEST_READ_ONLY_TOKEN}` };
    expect((await rawRequest(`${h.url}api/listComponents`, { headers, body: '{}' })).status).toBe(200);
    const add = await rawRequest(`${h.url}api/addComponents`, {
      headers,
      body: JSON.stringify({ components: { a: { type: 'always_current' } } }),
    });
    expect(add.status).toBe(403);
    expect(JSON.parse(add.body).error.code).toBe('FORBIDDEN');
  });

  it('streams events over SSE to an authenticated client', async () => {
    const t = await host();
    const controller = new AbortController();
    const response = await fetch(`${t.host.url}api/events`, {
      headers: { Authorization: `Bearer ${TEST_TOKEN}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    await t.call('addComponents', { components: { a: { type: 'always_current' } } });
    let text = '';
    while (!text.includes('event: components_changed')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain('event: components_changed\ndata: {"ids":["a"]}');
  });

  it('serves the panel with a CSP, and no file outside the renderer folder', async () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'renderer'));
    writeFileSync(path.join(root, 'renderer', 'index.html'), '<!doctype html><title>panel</title>');
    writeFileSync(path.join(root, 'secret.txt'), 'top secret');
    const { host: h } = await host({ rendererDir: path.join(root, 'renderer') });
    const index = await fetch(h.url);
    expect(await index.text()).toContain('<title>panel</title>');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    for (const probe of ['..%2fsecret.txt', '%2e%2e/secret.txt', '..%5csecret.txt', '%2e%2e%2f%2e%2e%2fsecret.txt']) {
      const res = await rawRequest(`${h.url}${probe}`, { method: 'GET' });
      expect(res.body).not.toContain('top secret');
    }
  });
});
