import type { Locator, Page } from 'playwright';
import { describe, expect, it } from 'vitest';
import { seriousViolations, type AxeFinding } from './helpers/axe';
import { screenshotBothThemes } from './helpers/panel';
import { LONG_NAME, openAt, openView, PHONE, useShowcase } from './helpers/showcase';

/** Wider than the screen: the page scrolls sideways. */
async function sidewaysOverflow(page: Page): Promise<{ scrollWidth: number; width: number }> {
  return page.evaluate(() => ({
    scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    width: window.innerWidth,
  }));
}

/** Back to the top of the page and of its lists, for the screenshots. */
async function scrollToTop(page: Page): Promise<void> {
  await page.evaluate(() => {
    document.querySelectorAll('.main, .vt-body').forEach((el) => {
      el.scrollTop = 0;
    });
  });
}

/** On screen whole (after scrolling it into view) and taking a click there: nothing covers it. */
async function expectReachable(page: Page, target: Locator): Promise<void> {
  await target.scrollIntoViewIfNeeded();
  const box = await target.boundingBox();
  expect(box, 'rendered').not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.y).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
  expect(box!.y + box!.height).toBeLessThanOrEqual(PHONE.height);
  // Playwright's actionability checks (visible, enabled, not covered) without the click.
  await target.click({ trial: true, timeout: 5_000 });
}

describe('a phone: 390 × 844', () => {
  const suite = useShowcase();

  it('has no sideways scroll on any view or dialog, and every action on screen', async () => {
    const { page, context, errors } = await openAt(suite.browser, suite.show.host, { viewport: PHONE });
    const widths: Record<string, { scrollWidth: number; width: number }> = {};
    const measure = async (step: string) => {
      widths[step] = await sidewaysOverflow(page);
    };
    // The cards are a layout of their own: axe-core looks at them too, in both themes.
    const findings: Record<string, AxeFinding[]> = {};
    const audit = async (step: string) => {
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        const found = await seriousViolations(page);
        if (found.length > 0) findings[`${step} (${colorScheme})`] = found;
      }
      await page.emulateMedia({ colorScheme: 'light' });
    };

    await page.getByText('Update available').first().waitFor();
    await page.getByText(LONG_NAME).waitFor();
    await measure('components');
    await audit('components');
    // The table is a list of cards: one per component, its column names beside each fact.
    const table = page.getByRole('table', { name: 'Components' });
    expect(await page.locator('.vt-cards').count()).toBe(1);
    const card = table.getByRole('row').filter({ hasText: 'Web App' });
    expect(await card.locator('.vt-card-label').allInnerTexts()).toEqual(
      expect.arrayContaining(['INSTALLED', 'LATEST', 'STATUS']),
    );
    for (const name of ['Components', 'Backups', 'History'])
      await expectReachable(page, page.getByRole('navigation').getByRole('button', { name, exact: true }));
    await expectReachable(page, page.getByRole('button', { name: 'Settings', exact: true }));
    for (const name of ['Check for updates', 'Add component', 'Find installed', 'Import from OctoPrint', 'Update all'])
      await expectReachable(page, page.getByRole('button', { name, exact: true }));
    for (const name of [
      'Update now: Web App',
      'Update now: Broken App',
      'Details for Web App',
      'Edit Web App',
      'Remove Web App',
    ])
      await expectReachable(page, page.getByRole('button', { name, exact: true }));
    await scrollToTop(page);
    await screenshotBothThemes(page, 'phone-components');

    // Dialogs: inside the screen, the footer's buttons whole, the body scrolls instead of the page.
    const dialogs: { open: () => Promise<void>; name: string | RegExp; buttons: string[]; shot?: string }[] = [
      {
        open: () => page.getByRole('button', { name: 'Details for Web App' }).click(),
        name: 'Web App',
        buttons: ['Close', 'Update now: Web App', 'Skip this version'],
        shot: 'phone-update-details',
      },
      {
        open: () => page.getByRole('button', { name: 'Settings', exact: true }).click(),
        name: 'Settings',
        buttons: ['Cancel', 'Save'],
        shot: 'phone-settings',
      },
      {
        open: () => page.getByRole('button', { name: 'Add component', exact: true }).click(),
        name: 'Add component',
        buttons: ['Cancel', 'Add component'],
      },
    ];
    for (const d of dialogs) {
      await d.open();
      const dialog = page.getByRole('dialog', { name: d.name });
      await dialog.waitFor();
      await measure(`dialog ${String(d.name)}`);
      const box = (await dialog.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
      expect(box.y + box.height).toBeLessThanOrEqual(PHONE.height);
      for (const name of d.buttons)
        await expectReachable(page, dialog.locator('.dialog-footer').getByRole('button', { name, exact: true }));
      if (d.name === 'Settings') {
        // Longer than the screen: its body scrolls, its footer stays.
        const body = await dialog.locator('.dialog-body').evaluate((el) => ({
          scroll: el.scrollHeight,
          client: el.clientHeight,
          overflow: getComputedStyle(el).overflowY,
        }));
        expect(body.scroll).toBeGreaterThan(body.client);
        expect(body.overflow).toBe('auto');
      }
      if (d.shot) await screenshotBothThemes(page, d.shot);
      await dialog.locator('.dialog-footer').getByRole('button', { name: d.buttons[0]!, exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
    }

    await openView(page, 'Backups');
    const backup = page
      .getByRole('table', { name: 'Backups' })
      .getByRole('row')
      .filter({ hasText: 'before-migration' });
    await backup.waitFor();
    await measure('backups');
    await audit('backups');
    await expectReachable(page, page.getByRole('button', { name: 'Create backup' }));
    for (const name of ['Verify', 'Restore', 'Delete'])
      await expectReachable(page, backup.getByRole('button', { name, exact: true }));
    await scrollToTop(page);
    await screenshotBothThemes(page, 'phone-backups');
    await backup.getByRole('button', { name: 'Restore', exact: true }).click();
    const restore = page.getByRole('dialog', { name: /Restore before-migration/ });
    await restore.waitFor();
    await measure('restore confirm');
    for (const name of ['Cancel', 'Restore'])
      await expectReachable(page, restore.getByRole('button', { name, exact: true }));
    await page.keyboard.press('Escape');

    await openView(page, 'History');
    const entry = page.getByRole('table', { name: 'History' }).getByRole('row').filter({ hasText: 'Broken App' });
    await entry.waitFor();
    await measure('history');
    await audit('history');
    await expectReachable(page, entry.getByRole('button', { name: /^Log of Broken App/ }));
    await screenshotBothThemes(page, 'phone-history');

    for (const [step, w] of Object.entries(widths))
      expect(w.scrollWidth, `${step}: ${w.scrollWidth} px wide on a ${w.width} px screen`).toBeLessThanOrEqual(w.width);
    expect(Object.keys(widths)).toHaveLength(7);
    expect(findings).toEqual({});
    expect(errors).toEqual([]);
    await context.close();
  });

  it('updates from the phone: Update now on a card runs the update to its end', async () => {
    const { page, context } = await openAt(suite.browser, suite.show.host, { viewport: PHONE });
    const button = page.getByRole('button', { name: 'Update now: Web App', exact: true });
    await expectReachable(page, button);
    await button.click();
    const run = page.getByRole('article', { name: 'Update of Web App' });
    await run.getByText('Updated', { exact: true }).waitFor();
    expect(await sidewaysOverflow(page).then((w) => w.scrollWidth <= w.width)).toBe(true);
    await context.close();
  });
});
