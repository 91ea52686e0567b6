import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations, type AxeFinding } from './helpers/axe';
import { ensureRendererBuilt, launchBrowser, startPanelHost, type PanelHost } from './helpers/panel';
import { LONG_NAME, openAt, openView, startShowcase, type Showcase } from './helpers/showcase';

/**
 * axe-core (the npm package, evaluated in the page) on every view and dialog of the panel, in the
 * light and the dark theme (the panel follows prefers-color-scheme): no serious or critical finding.
 * Each step is one state of the page; the theme is switched in place, so both themes see the same state.
 */
describe('accessibility: axe-core on every view and dialog, light and dark', () => {
  let browser: Browser;
  let show: Showcase;
  let empty: PanelHost;
  const runs: string[] = [];

  beforeAll(async () => {
    ensureRendererBuilt();
    [show, empty, browser] = await Promise.all([startShowcase(), startPanelHost(), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await show?.close();
    await empty?.close();
  });

  /** axe in both themes; the findings keyed by step and theme, so a failure says where. */
  async function audit(page: Page, step: string, found: Record<string, AxeFinding[]>): Promise<void> {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const violations = await seriousViolations(page);
      runs.push(`${step}/${colorScheme}`);
      if (violations.length > 0) found[`${step} (${colorScheme})`] = violations;
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }

  it('finds nothing serious on the views, the dialogs and the empty states', async () => {
    const found: Record<string, AxeFinding[]> = {};
    const { page, context } = await openAt(browser, show.host);
    // Components: updates pending, a failed check with its reason, a long name.
    await page.getByText('Update available').first().waitFor();
    await page.getByText(LONG_NAME).waitFor();
    await audit(page, 'components', found);

    await page.getByRole('button', { name: 'Details for Web App' }).click();
    await page.getByRole('dialog', { name: 'Web App' }).getByRole('heading', { name: 'What changed' }).waitFor();
    await audit(page, 'details dialog', found);
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'Update all' }).click();
    await page.getByRole('dialog', { name: 'Update all' }).getByRole('checkbox').first().waitFor();
    await audit(page, 'update all dialog', found);
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'Add component' }).click();
    await page.getByRole('dialog', { name: 'Add component' }).waitFor();
    await audit(page, 'component dialog', found);
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'Edit Web App' }).click();
    await page.getByRole('dialog').waitFor();
    await audit(page, 'component dialog (edit)', found);
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page
      .getByRole('dialog', { name: 'Settings' })
      .getByRole('combobox', { name: 'Release channel for Web App' })
      .waitFor();
    await audit(page, 'settings dialog', found);
    await page.keyboard.press('Escape');

    await openView(page, 'Backups');
    const backup = page
      .getByRole('table', { name: 'Backups' })
      .getByRole('row')
      .filter({ hasText: 'before-migration' });
    await backup.waitFor();
    await audit(page, 'backups', found);
    await backup.getByRole('button', { name: 'Restore', exact: true }).click();
    await page.getByRole('dialog', { name: /Restore before-migration/ }).waitFor();
    await audit(page, 'restore confirm', found);
    await page.keyboard.press('Escape');

    await openView(page, 'History');
    const entry = page.getByRole('table', { name: 'History' }).getByRole('row').filter({ hasText: 'Broken App' });
    await entry.waitFor();
    await audit(page, 'history', found);
    await entry.getByRole('button', { name: /^Log of Broken App/ }).click();
    await page.getByRole('dialog').waitFor();
    await audit(page, 'run log dialog', found);
    await page.keyboard.press('Escape');
    await context.close();

    // Nothing tracked, backed up or updated yet: every empty state.
    const fresh = await openAt(browser, empty);
    await fresh.page.getByText('No components yet').first().waitFor();
    await audit(fresh.page, 'components, empty', found);
    await openView(fresh.page, 'Backups');
    await fresh.page.getByText('No backups yet').waitFor();
    await audit(fresh.page, 'backups, empty', found);
    await openView(fresh.page, 'History');
    await fresh.page.getByText('No updates yet').waitFor();
    await audit(fresh.page, 'history, empty', found);
    await fresh.context.close();

    expect(found).toEqual({});
    // 13 states (10 with data, 3 empty) × 2 themes.
    expect(runs).toHaveLength(26);
  });

  it('names every Update now button for its component', async () => {
    const { page, context } = await openAt(browser, show.host);
    await page.getByText('Update available').first().waitFor();
    const buttons = page.getByRole('button', { name: /^Update now/ });
    const names = await buttons.evaluateAll((list) =>
      list.map((b) => b.getAttribute('aria-label') ?? b.textContent ?? ''),
    );
    expect(names.sort()).toEqual(['Update now: Broken App', 'Update now: Web App']);
    // The visible text stays "Update now" (it is part of the name, as WCAG's label-in-name asks).
    expect(await buttons.first().innerText()).toBe('Update now');
    await context.close();
  });
});
