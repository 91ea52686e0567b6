import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveHeadless } from '../../electron/http/serve';
import { componentRow, ensureRendererBuilt, launchBrowser } from './helpers/panel';
import { LONG_NAME, LONG_VERSION, openAt, PHONE, startShowcase, type Showcase } from './helpers/showcase';

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** Every row button's visible part (inside the main area and the list's scroll box), by name. */
async function visibleRowButtons(page: Page): Promise<{ name: string; box: Box }[]> {
  return page.evaluate(() => {
    const rect = (el: Element) => {
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    };
    const clips = ['.main', '.vt-body']
      .map((s) => document.querySelector(s))
      .filter((el): el is Element => el !== null)
      .map(rect);
    return Array.from(document.querySelectorAll('.row-actions button'))
      .map((b) => {
        const box = rect(b);
        for (const c of clips) {
          const right = Math.min(box.x + box.width, c.x + c.width);
          const bottom = Math.min(box.y + box.height, c.y + c.height);
          box.x = Math.max(box.x, c.x);
          box.y = Math.max(box.y, c.y);
          box.width = right - box.x;
          box.height = bottom - box.y;
        }
        return { name: b.getAttribute('aria-label') ?? b.textContent ?? '', box };
      })
      .filter((b) => b.box.width > 0 && b.box.height > 0);
  });
}

describe('noise: toasts, notices, a lost connection, cut-off text', () => {
  let browser: Browser;
  let show: Showcase;
  let home: string;

  beforeAll(async () => {
    ensureRendererBuilt();
    // Our own data directory: one test stops the host and starts it again on it.
    home = mkdtempSync(path.join(os.tmpdir(), 'upkeep-e2e-'));
    [show, browser] = await Promise.all([startShowcase({ home, fillers: 14 }), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await show?.close();
    rmSync(home, { recursive: true, force: true });
  });

  for (const [label, viewport] of [
    ['a desktop window', undefined],
    ['a phone', PHONE],
  ] as const) {
    it(`shows a toast where it covers no row button: ${label}`, async () => {
      const { page, context } = await openAt(browser, show.host, viewport ? { viewport } : {});
      // The list draws only the rows in view: go to its end, where the rows with an update are.
      const scrollListToEnd = () => page.locator('.vt-body').evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await page.getByRole('table', { name: 'Components' }).getByRole('row').nth(3).waitFor();
      await scrollListToEnd();
      await componentRow(page, 'Web App').getByText('Update available').waitFor();
      await page.getByRole('button', { name: 'Check for updates' }).click();
      const toast = page.locator('[role=status]');
      await toast.filter({ hasText: /updates? available/ }).waitFor();
      await page.locator('.toast-visible').waitFor();
      // The last row with an update, at the very bottom of what the list shows: where a toast would sit.
      await scrollListToEnd();
      await page
        .getByRole('button', { name: 'Update now: Web App' })
        .evaluate((b) => b.closest('[role=row]')?.scrollIntoView({ block: 'end' }));
      const toastBox = (await toast.boundingBox())!;
      expect(toastBox.height).toBeGreaterThan(10);
      const buttons = await visibleRowButtons(page);
      const update = buttons.find((b) => b.name === 'Update now: Web App');
      expect(update, 'the Update now button is on screen').toBeDefined();
      // It sits right above the toast (so the check below could catch an overlap) …
      expect(toastBox.y - (update!.box.y + update!.box.height)).toBeLessThan(160);
      // … and no row button is under the toast.
      const covered = buttons.filter((b) => overlaps(b.box, toastBox)).map((b) => b.name);
      expect(covered).toEqual([]);
      // In a dialog the status line is under the footer, not over its buttons.
      await page.getByRole('button', { name: 'Details for Web App' }).click();
      const dialog = page.getByRole('dialog', { name: 'Web App' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Hold', exact: true }).click();
      const inDialog = dialog.locator('[role=status]').filter({ hasText: /held/i });
      await inDialog.waitFor();
      const footer = (await dialog.locator('.dialog-footer').boundingBox())!;
      expect(overlaps(footer, (await inDialog.boundingBox())!)).toBe(false);
      await dialog.getByRole('button', { name: 'Release hold', exact: true }).click();
      await dialog.getByRole('button', { name: 'Hold', exact: true }).waitFor();
      await context.close();
    });
  }

  it('gives one notice for a wrong access token, not one per call, and no false "connection lost"', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, reducedMotion: 'reduce' });
    const page = await context.newPage();
    let refused = 0;
    page.on('response', (r) => {
      if (r.status() === 401 && r.url().includes('/api/') && !r.url().endsWith('/api/events')) refused += 1;
    });
    await page.goto(`${show.host.url}#token=not-the-token`);
    // Components, check results, settings, info, history, backups: each call is refused.
    await expect.poll(() => refused, { timeout: 15_000 }).toBeGreaterThanOrEqual(5);
    await page.getByText('Access refused').waitFor();
    await page.waitForTimeout(300);
    const notices = page.locator('.error-message');
    expect(await notices.count()).toBe(1);
    expect(await notices.innerText()).toContain('UNAUTHORIZED');
    expect(await page.locator('.toast-visible').count()).toBe(0);
    expect(await page.getByRole('heading', { name: /Lost the connection/ }).count()).toBe(0);
    // Nothing that would change something can be pressed, and each says why.
    const add = page.getByRole('button', { name: 'Add component' });
    expect(await add.isDisabled()).toBe(true);
    expect(await add.getAttribute('title')).toMatch(/refused this panel’s access token/);
    await context.close();
  });

  it('turns actions off while the host is away, and clears the stale notices once it is back', async () => {
    const { page, context } = await openAt(browser, show.host);
    const row = componentRow(page, 'Web App');
    await row.getByText('Update available').waitFor();
    await page.getByText('Connected', { exact: true }).waitFor();
    const port = Number(new URL(show.host.url).port);
    await show.host.close();
    await page.getByText('Reconnecting…').waitFor();
    const actions = [
      page.getByRole('button', { name: 'Check for updates' }),
      page.getByRole('button', { name: 'Update all' }),
      page.getByRole('button', { name: 'Add component' }),
      row.getByRole('button', { name: 'Update now: Web App' }),
      row.getByRole('button', { name: 'Edit Web App' }),
      row.getByRole('button', { name: 'Remove Web App' }),
    ];
    for (const action of actions) {
      expect(await action.isDisabled()).toBe(true);
      expect(await action.getAttribute('title')).toMatch(/Not connected to the Upkeep host/);
    }
    // Reading still works: Details opens, its Update now is off too.
    await row.getByRole('button', { name: 'Details for Web App' }).click();
    const details = page.getByRole('dialog', { name: 'Web App' });
    expect(await details.getByRole('button', { name: 'Update now: Web App' }).isDisabled()).toBe(true);
    await page.keyboard.press('Escape');
    // Views that load while the host is away cannot reach it either: the one callout says so, no notice per call.
    let failedCalls = 0;
    page.on('requestfailed', (r) => {
      if (r.url().includes('/api/list')) failedCalls += 1;
    });
    await page.getByRole('navigation').getByRole('button', { name: 'Backups', exact: true }).click();
    await page.getByRole('navigation').getByRole('button', { name: 'History', exact: true }).click();
    await expect.poll(() => failedCalls).toBeGreaterThanOrEqual(2);
    await page.waitForTimeout(300);
    const notices = page.locator('.notices .error-message');
    expect(await notices.count()).toBe(0);
    const lost = page.getByRole('heading', { name: 'Lost the connection to the Upkeep host' });
    expect(await lost.count()).toBe(1);

    const again = await serveHeadless({ home, port });
    show.host = { ...show.host, close: () => again.close() };
    await page.getByText('Connected', { exact: true }).waitFor();
    await lost.waitFor({ state: 'detached' });
    // Nothing stale from the outage comes back with the connection.
    await page.waitForTimeout(300);
    expect(await notices.count()).toBe(0);
    await page.getByRole('navigation').getByRole('button', { name: 'Components', exact: true }).click();
    await expect.poll(() => row.getByRole('button', { name: 'Update now: Web App' }).isEnabled()).toBe(true);
    expect(await row.getByRole('button', { name: 'Update now: Web App' }).getAttribute('title')).toBeNull();
    await context.close();
  });

  it('gives names, versions, codes and badges cut off by an ellipsis their whole text in a title', async () => {
    const { page, context } = await openAt(browser, show.host, { viewport: { width: 1100, height: 800 } });
    const row = componentRow(page, LONG_NAME);
    await row.waitFor();
    const cut = await row.evaluate((el) =>
      Array.from(el.querySelectorAll<HTMLElement>('[title]'))
        .filter((e) => e.scrollWidth > e.clientWidth || e.parentElement!.scrollWidth > e.parentElement!.clientWidth)
        .map((e) => ({ text: e.textContent, title: e.getAttribute('title') })),
    );
    // The name and the version are cut here, and each carries its whole text.
    expect(cut).toEqual(
      expect.arrayContaining([
        { text: LONG_NAME, title: LONG_NAME },
        { text: LONG_VERSION, title: LONG_VERSION },
      ]),
    );
    // No truncated text in the table without a title.
    const bare = await page.getByRole('table', { name: 'Components' }).evaluate((table) =>
      Array.from(table.querySelectorAll<HTMLElement>('[role=cell] *'))
        .filter(
          (e) =>
            e.children.length === 0 &&
            e.scrollWidth > e.clientWidth + 1 &&
            getComputedStyle(e).textOverflow === 'ellipsis',
        )
        .filter((e) => !e.closest('[title]'))
        .map((e) => e.textContent),
    );
    expect(bare).toEqual([]);
    const gone = componentRow(page, 'Gone Project');
    await gone.locator('.badge').first().waitFor();
    expect(await gone.locator('.badge').first().getAttribute('title')).toBeTruthy();
    await context.close();
  });
});
