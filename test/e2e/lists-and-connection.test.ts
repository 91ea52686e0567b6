import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveHeadless } from '../../electron/http/serve';
import {
  componentRow,
  ensureRendererBuilt,
  launchBrowser,
  openPanel,
  startPanelHost,
  type PanelHost,
} from './helpers/panel';

describe('long lists and the event stream', () => {
  let browser: Browser;
  let host: PanelHost;
  let home: string;

  beforeAll(async () => {
    ensureRendererBuilt();
    // Our own data directory: it must outlive a host restart.
    home = mkdtempSync(path.join(os.tmpdir(), 'upkeep-e2e-'));
    host = await startPanelHost({ home });
    const mapping: Record<string, unknown> = {};
    for (let i = 0; i < 2000; i += 1) {
      const n = String(i).padStart(4, '0');
      mapping[`svc-${n}`] = { name: `Service ${n}`, type: 'always_current', current: `1.0.${i}` };
    }
    await host.call('addComponents', { components: mapping });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('keeps 2,000 components in a windowed list: few rows in the page, every one reachable by scrolling and filtering', async () => {
    const { page, context } = await openPanel(browser, host);
    const table = page.getByRole('table', { name: 'Components' });
    await componentRow(page, 'Service 0000').waitFor();
    // 2,000 services, plus Upkeep itself when it tracks its own updates.
    const total = (await host.call<{ components: unknown[] }>('listComponents')).components.length;
    expect(total).toBeGreaterThanOrEqual(2000);
    expect(await table.getAttribute('aria-rowcount')).toBe(String(total + 1));
    const rendered = await table.locator('[role=row][aria-rowindex]').count();
    expect(rendered).toBeLessThan(60);
    // Scroll to the end: the last component is drawn, the first is not.
    await table.locator('.vt-body').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await componentRow(page, 'Service 1999').waitFor();
    expect(await componentRow(page, 'Service 0000').count()).toBe(0);
    expect(await table.locator(`[role=row][aria-rowindex="${total + 1}"]`).count()).toBe(1);
    // Filtering finds a row far down and shows only the matches.
    await page.getByRole('searchbox').fill('Service 123');
    await componentRow(page, 'Service 1234').waitFor();
    expect(await table.getAttribute('aria-rowcount')).toBe('11'); // 1230–1239 and the header
    await context.close();
  });

  it('lets the keyboard walk past the rows first drawn: focus scrolls the window along', async () => {
    const { page, context } = await openPanel(browser, host);
    await componentRow(page, 'Service 0000').getByRole('button', { name: 'Details for Service 0000' }).focus();
    // Three buttons a row (details, edit, remove): 150 presses of Tab reach row 50, far below the first window.
    for (let i = 0; i < 150; i += 1) await page.keyboard.press('Tab');
    const label = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    expect(label).toBe('Details for Service 0050');
    await context.close();
  });

  it('reconnects to the event stream after the host restarts and catches up', async () => {
    const { page, context } = await openPanel(browser, host);
    const connection = page.getByText('Connected', { exact: true });
    await connection.waitFor();
    const port = Number(new URL(host.url).port);
    await host.close();
    await page.getByText('Reconnecting…').waitFor();
    // While the panel is away a component is added; after the reconnect it shows without a reload.
    const again = await serveHeadless({ home: host.home, port });
    try {
      const token = new URL(again.panelUrl).hash.replace(/^#token=/, '');
      expect(token).toBe(host.token);
      await connection.waitFor();
      const response = await fetch(new URL('api/addComponents', again.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({
          components: { 'late-arrival': { name: 'Late Arrival', type: 'always_current', current: '1.0.0' } },
        }),
      });
      expect(response.status).toBe(200);
      await page.getByRole('searchbox').fill('Late');
      await componentRow(page, 'Late Arrival').waitFor();
    } finally {
      await again.close();
    }
    await context.close();
    // Leave a host for afterAll to close.
    host = { ...host, close: async () => undefined };
  });
});
