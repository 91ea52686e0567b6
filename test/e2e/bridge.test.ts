import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_NAMES, METHOD_NAMES } from '../../shared/contract';
import { componentRow, ensureRendererBuilt, launchBrowser, startPanelHost, type PanelHost } from './helpers/panel';

/**
 * The desktop app's preload gives the panel `window.upkeep`: every contract method resolving to an
 * envelope, and `on(event, listener)`. Here that bridge is installed before the panel loads and carries
 * each call to the real engine (the headless host's API), so the panel's IPC client — not its HTTP
 * client — is what talks to the engine: the page is opened without an access token.
 */
function installBridge({ methods, events, token }: { methods: string[]; events: string[]; token: string }): void {
  const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` };
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const bridge: Record<string, unknown> = {};
  (window as unknown as { __bridgeCalls: string[] }).__bridgeCalls = [];
  for (const method of methods) {
    bridge[method] = async (request: unknown) => {
      (window as unknown as { __bridgeCalls: string[] }).__bridgeCalls.push(method);
      const response = await fetch(`/api/${method}`, { method: 'POST', headers, body: JSON.stringify(request ?? {}) });
      const body = (await response.json()) as { result?: unknown; error?: unknown };
      return body.error ? { ok: false, error: body.error } : { ok: true, result: body.result };
    };
  }
  bridge.on = (event: string, listener: (payload: unknown) => void) => {
    if (!events.includes(event)) throw new Error(`Unknown event ${event}`);
    const set = listeners.get(event) ?? new Set();
    set.add(listener);
    listeners.set(event, set);
    return () => void set.delete(listener);
  };
  void (async () => {
    const response = await fetch('/api/events', { headers });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event && data) for (const listener of listeners.get(event) ?? []) listener(JSON.parse(data));
      }
    }
  })();
  (window as unknown as { upkeep: unknown }).upkeep = bridge;
}

describe('the panel over the desktop bridge', () => {
  let browser: Browser;
  let host: PanelHost;

  beforeAll(async () => {
    ensureRendererBuilt();
    host = await startPanelHost();
    await host.call('addComponents', {
      components: { wiki: { name: 'Team Wiki', type: 'pypi_release', package: 'wiki', current: '1.0.0' } },
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('lists components, unwraps engine errors with their code, and follows events, all through window.upkeep', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    await context.addInitScript(installBridge, {
      methods: [...METHOD_NAMES],
      events: [...EVENT_NAMES],
      token: host.token,
    });
    const page = await context.newPage();
    await page.goto(host.url); // no #token: the HTTP client could not authenticate
    await componentRow(page, 'Team Wiki').waitFor();
    expect(await page.evaluate(() => (window as unknown as { __bridgeCalls: string[] }).__bridgeCalls)).toContain(
      'listComponents',
    );

    // An error crosses the bridge as an envelope and is shown with its code.
    await page.getByRole('button', { name: 'Add component' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add component' });
    await dialog.getByLabel('Id', { exact: true }).fill('Not An Id');
    await dialog.getByLabel('Name', { exact: true }).fill('Bad');
    await dialog.getByLabel('Repository owner').fill('a');
    await dialog.getByLabel('Repository', { exact: true }).fill('b');
    await dialog.getByRole('button', { name: 'Add component' }).click();
    await dialog.locator('.field-error').filter({ hasText: 'is not a valid component id' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'INVALID_CONFIG' }).waitFor();
    await page.keyboard.press('Escape');

    // A change made elsewhere arrives through bridge.on('components_changed').
    await host.call('addComponents', {
      components: { notes: { name: 'Notes Server', type: 'pypi_release', package: 'notes', current: '2.0.0' } },
    });
    await componentRow(page, 'Notes Server').waitFor();
    await page.getByText('Connected', { exact: true }).waitFor();
    await context.close();
  });
});
