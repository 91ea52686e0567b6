import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../electron/core/api';
import { fleetFor, closeFleet } from '../../electron/core/fleet';
import { createServices } from '../../electron/core/services';
import { createInvokeHandler, type IpcSender } from '../../electron/main/ipc-handler';
import { startPanelHost, type PanelHost } from '../e2e/helpers/panel';
import { tempDir } from '../helpers/temp';

/** A call that names a host is validated before anything is sent there: the host, the method, the token's rights. */
describe('routing a panel call to a named host', () => {
  let host: PanelHost;
  let readOnlyToken: string;

  beforeAll(async () => {
    host = await startPanelHost();
    // Registered, never reachable (port 1): a call that got as far as connecting would say HOST_UNREACHABLE.
    await host.call('addHost', { name: 'pi', ssh: 'pi@127.0.0.1', port: 1 });
    readOnlyToken = readFileSync(path.join(host.home, 'http-token-readonly'), 'utf8').trim();
  });

  afterAll(async () => {
    await host?.close();
  });

  async function post(method: string, query: string, body: unknown = {}, token = host.token) {
    const response = await fetch(new URL(`api/${method}${query}`, host.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as {
        result?: unknown;
        error?: { code: string; message: string; details?: Record<string, unknown> };
      },
    };
  }

  it('an unknown host is NOT_FOUND (kind host), never this computer’s answer', async () => {
    const r = await post('listComponents', '?host=nowhere');
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ code: 'NOT_FOUND', details: { kind: 'host', host: 'nowhere' } });
    // Core speaks of the action; each host words it (the CLI names `upkeep host add`).
    expect(r.body.error?.message).toContain('Add the host first');
    expect(r.body.error).toMatchObject({ action: 'add_host' });
    expect(r.body.error?.message).not.toContain('upkeep ');
  });

  it('a malformed host name is INVALID_REQUEST', async () => {
    const r = await post('listComponents', `?host=${encodeURIComponent('../etc')}`);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'INVALID_REQUEST', details: { fields: ['host'] } });
  });

  it('a read-only token cannot change a remote host: FORBIDDEN before any connection', async () => {
    const r = await post('updateComponents', '?host=pi', { ids: ['webapp'] }, readOnlyToken);
    expect(r.status).toBe(403);
    expect(r.body.error?.code).toBe('FORBIDDEN');
  });

  it('a bad request for a remote host is refused here with the field named', async () => {
    const r = await post('updateComponents', '?host=pi', { ids: 'webapp' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'INVALID_REQUEST', details: { fields: ['ids'] } });
  });

  it('the fleet methods are answered by this computer only', async () => {
    const r = await post('addHost', '?host=pi', { name: 'x', ssh: 'a@b' });
    expect(r.body.error?.code).toBe('INVALID_REQUEST');
    expect(r.body.error?.message).toContain('answered by this computer only');
  });

  it('a registered but unreachable host says so with its code', async () => {
    const r = await post('listComponents', '?host=pi');
    expect(r.status).toBe(502);
    expect(r.body.error?.code).toBe('HOST_UNREACHABLE');
  });
});

describe('routing an IPC call to a named host (the bridge’s second argument)', () => {
  const contents = { id: 1 };
  const ours: IpcSender = { sender: contents as never, senderFrame: { url: 'file:///app/index.html' } };
  const services = createServices({ home: path.join(tempDir('upkeep-ipc-fleet-'), 'home'), host: 'desktop' });
  const api = createApi(services);
  const handler = createInvokeHandler({
    api,
    fleet: fleetFor(services, api),
    isTrustedSender: (event) => event.sender === ours.sender,
  });

  afterAll(async () => {
    await closeFleet(services);
  });

  it('no host: this computer answers', async () => {
    const res = await handler(ours, 'listComponents', {});
    expect(res).toMatchObject({ ok: true, result: { components: [] } });
  });

  it('an unknown host is NOT_FOUND, a host that is not a string INVALID_REQUEST', async () => {
    expect(await handler(ours, 'listComponents', {}, 'nowhere')).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', details: { kind: 'host' } },
    });
    expect(await handler(ours, 'listComponents', {}, { name: 'pi' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
  });

  it('a registered host is reached (here it cannot be: HOST_UNREACHABLE, not this computer’s list)', async () => {
    await handler(ours, 'addHost', { name: 'pi', ssh: 'pi@127.0.0.1', port: 1 });
    expect(await handler(ours, 'listComponents', {}, 'pi')).toMatchObject({
      ok: false,
      error: { code: 'HOST_UNREACHABLE' },
    });
  });
});
