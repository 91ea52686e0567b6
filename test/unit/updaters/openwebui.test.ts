import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openwebuiUpdater } from '../../../electron/core/updaters/openwebui';
import { FakeOpenWebui } from '../../fixtures/servers';
import { tempDir } from '../../helpers/temp';
import { updaterContext } from './harness';

const KEY = 'sk-test-admin-key-123';
const ENV = 'UPKEEP_TEST_OWUI_KEY';
let server: FakeOpenWebui;
beforeEach(async () => {
  server = await FakeOpenWebui.start({ adminKey: KEY });
  process.env[ENV] = KEY;
});
afterEach(async () => {
  await server.close();
  delete process.env[ENV];
});

function plugin(version: string, body = 'pass'): string {
  return `"""\ntitle: Async Context Compression\nauthor: someone\nversion: ${version}\ndescription: Compresses context\n"""\n\nclass Filter:\n    def inlet(self, body):\n        ${body}\n        return body\n`;
}

function setup(version: string, apiBase = server.apiBase) {
  const dir = tempDir();
  const file = path.join(dir, 'async_context_compression.py');
  writeFileSync(file, plugin(version));
  const run = updaterContext(
    dir,
    'acc',
    {
      type: 'openwebui',
      method: 'openwebui',
      api_base: apiBase,
      file,
      function_id: 'async_context_compression',
      api_key_env: ENV,
    },
    { version },
  );
  return { dir, file, run };
}

describe('openwebui updater (local Open WebUI-like server)', () => {
  it('creates the function when the server answers update with its 401 "could not find" quirk', async () => {
    const { run } = setup('1.3.0');
    await openwebuiUpdater.apply(run.ctx);
    const fn = server.functions.get('async_context_compression');
    expect(fn?.meta.manifest.version).toBe('1.3.0');
    expect(fn?.name).toBe('Async Context Compression');
    expect(server.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /api/v1/functions/id/async_context_compression 401',
      'POST /api/v1/functions/id/async_context_compression/update 401',
      'POST /api/v1/functions/create 200',
    ]);
  });

  it('updates an existing function without touching its valves, and an identical redeploy is a no-op', async () => {
    server.deploy('async_context_compression', plugin('1.2.0'), { valves: { threshold: 42, api_url: 'http://mine' } });
    const { run } = setup('1.3.0');
    await openwebuiUpdater.apply(run.ctx);
    expect(server.functions.get('async_context_compression')?.meta.manifest.version).toBe('1.3.0');
    expect(server.valves.get('async_context_compression')).toEqual({ threshold: 42, api_url: 'http://mine' });
    for (const r of server.requests.filter((r) => r.method === 'POST')) expect(r.path).not.toContain('valves');
    server.fixture.clearRequests();
    await openwebuiUpdater.apply(run.ctx);
    expect(server.requests.map((r) => r.method)).toEqual(['GET']);
    expect(run.text()).toContain('already identical');
  });

  it('its backup is the function as the server had it, and restoring redeploys exactly that', async () => {
    const before = server.deploy('async_context_compression', plugin('1.2.0', 'x = 1'), {
      name: 'Old Name',
      valves: { threshold: 7 },
    });
    const { run } = setup('1.3.0');
    const backupId = await openwebuiUpdater.snapshot?.create(run.ctx);
    await openwebuiUpdater.apply(run.ctx);
    expect(server.functions.get('async_context_compression')?.content).not.toBe(before.content);
    await openwebuiUpdater.snapshot?.restore(run.ctx, backupId as string);
    const after = server.functions.get('async_context_compression');
    expect(after?.content).toBe(before.content);
    expect(after?.name).toBe('Old Name');
    expect(after?.meta.manifest).toEqual(before.meta.manifest);
    expect(server.valves.get('async_context_compression')).toEqual({ threshold: 7 });
  });

  it('rolling back a first deployment removes the function again', async () => {
    const { run } = setup('1.0.0');
    const backupId = await openwebuiUpdater.snapshot?.create(run.ctx);
    await openwebuiUpdater.apply(run.ctx);
    expect(server.functions.has('async_context_compression')).toBe(true);
    await openwebuiUpdater.snapshot?.restore(run.ctx, backupId as string);
    expect(server.functions.has('async_context_compression')).toBe(false);
  });

  it('gives 401, 5xx and connection refused each a clear message, and never logs the key', async () => {
    const { run } = setup('1.3.0');
    process.env[ENV] = 'sk-wrong-key-456';
    await expect(openwebuiUpdater.apply(run.ctx)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.stringContaining(`Check the key in ${ENV}`),
    });
    process.env[ENV] = KEY;
    server.fixture.fault('/api/v1/functions', {
      kind: 'status',
      status: 500,
      body: JSON.stringify({ detail: 'database is locked' }),
    });
    await expect(openwebuiUpdater.apply(run.ctx)).rejects.toMatchObject({
      code: 'UPSTREAM_ERROR',
      message: expect.stringContaining('HTTP 500: database is locked'),
    });
    server.fixture.clearFaults();
    const origin = server.apiBase;
    await server.close();
    const closed = setup('1.3.0', origin);
    await expect(openwebuiUpdater.apply(closed.run.ctx)).rejects.toMatchObject({
      code: 'NETWORK',
      message: expect.stringContaining('connection refused'),
    });
    expect(run.text()).not.toContain(KEY);
    server = await FakeOpenWebui.start({ adminKey: KEY });
  });
});
