import type { Page } from 'playwright';
import { describe, expect, it } from 'vitest';
import { openAt, useShowcase } from './helpers/showcase';

/** What has focus: its accessible name as the tests find it, its tag, and whether it sits in a dialog. */
async function focused(page: Page): Promise<{ name: string; tag: string; id: string; inDialog: boolean }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return {
      name: el?.getAttribute('aria-label') ?? el?.textContent?.trim() ?? '',
      tag: el?.tagName.toLowerCase() ?? '',
      id: el?.id ?? '',
      inDialog: Boolean(el?.closest('dialog[open]')),
    };
  });
}

/** Press Tab until the focused element is named `name`; fails after `limit` presses. */
async function tabTo(page: Page, name: string, limit = 80): Promise<number> {
  for (let presses = 1; presses <= limit; presses += 1) {
    await page.keyboard.press('Tab');
    if ((await focused(page)).name === name) return presses;
  }
  throw new Error(`Tab never reached "${name}" in ${limit} presses (last: ${JSON.stringify(await focused(page))})`);
}

describe('keyboard only', () => {
  const suite = useShowcase();

  it('opens Details with focus on its title, keeps Tab inside, closes with Escape back on the button', async () => {
    const { page, context } = await openAt(suite.browser, suite.show.host);
    await page.getByText('Update available').first().waitFor();
    await tabTo(page, 'Details for Web App');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Web App' });
    await dialog.getByRole('heading', { name: 'What changed' }).waitFor();
    // The dialog's title, not the link in the release notes.
    expect(await focused(page)).toMatchObject({ tag: 'h2', name: 'Web App', inDialog: true });
    // Round and round: every stop is inside the dialog, and the notes' link is one of them.
    const stops = new Set<string>();
    for (let i = 0; i < 30; i += 1) {
      await page.keyboard.press('Tab');
      const f = await focused(page);
      expect(f.inDialog, `Tab ${i + 1} left the dialog for ${f.tag} "${f.name}"`).toBe(true);
      stops.add(f.name);
    }
    expect(stops).toContain('the guide');
    expect(stops).toContain('Close');
    await page.keyboard.press('Shift+Tab');
    expect((await focused(page)).inDialog).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await focused(page)).name).toBe('Details for Web App');
    await context.close();
  });

  it('updates with Tab and Enter, and focus follows the run instead of dropping to the page', async () => {
    const { page, context } = await openAt(suite.browser, suite.show.host);
    await page.getByText('Update available').first().waitFor();
    await tabTo(page, 'Update now: Web App');
    await page.keyboard.press('Enter');
    const run = page.getByRole('article', { name: 'Update of Web App' });
    await run.waitFor();
    await expect.poll(async () => (await focused(page)).id).toBe('run-webapp');
    await run.getByText('Updated', { exact: true }).waitFor();
    // The row's button went with the update; focus is still on the run's outcome, not on <body>.
    expect(await page.getByRole('button', { name: 'Update now: Web App' }).count()).toBe(0);
    expect((await focused(page)).tag).toBe('article');
    await context.close();
  });

  it('opens Settings, changes a channel and saves, without the mouse', async () => {
    const { page, context } = await openAt(suite.browser, suite.show.host);
    await page.getByText('Update available').first().waitFor();
    await tabTo(page, 'Settings');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.waitFor();
    expect((await focused(page)).inDialog).toBe(true);
    const select = dialog.getByRole('combobox', { name: 'Release channel for Broken App' });
    const before = await select.inputValue();
    // Walk to the select with Tab (focus loads its channel list) and pick the next channel with the arrow key.
    for (let i = 0; i < 20 && !(await select.evaluate((el) => el === document.activeElement)); i += 1)
      await page.keyboard.press('Tab');
    expect(await select.evaluate((el) => el === document.activeElement)).toBe(true);
    const options = await select
      .locator('option')
      .evaluateAll((list) => list.map((o) => (o as HTMLOptionElement).value));
    expect(options.length).toBeGreaterThan(1);
    await page.keyboard.press('ArrowDown');
    const after = await select.inputValue();
    expect(after).not.toBe(before);
    await tabTo(page, 'Save', 60);
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    const { components } = await suite.show.host.call<{ components: { id: string; channel: string }[] }>(
      'listComponents',
    );
    expect(components.find((c) => c.id === 'broken')?.channel).toBe(after);
    await context.close();
  });
});
