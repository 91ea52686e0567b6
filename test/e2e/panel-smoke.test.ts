import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  componentRow,
  ensureRendererBuilt,
  launchBrowser,
  openPanel,
  screenshotBothThemes,
  startPanelHost,
  type PanelHost,
} from './helpers/panel';

describe('panel smoke', () => {
  let browser: Browser;
  let host: PanelHost;

  beforeAll(async () => {
    ensureRendererBuilt();
    host = await startPanelHost();
    await host.call('addComponents', {
      components: {
        'otrs-web': {
          name: 'OTRS Web',
          type: 'github_release',
          user: 'scaleflower',
          repo: 'otrs-web',
          current: '2.4.1',
          method: 'release_archive',
          folder: '/srv/otrs-web',
        },
        requests: { name: 'Requests', type: 'pypi_release', package: 'requests', current: '2.31.0' },
      },
    });
    // A broken drop-in file: reported by name, the rest still load.
    mkdirSync(path.join(host.home, 'components.d'), { recursive: true });
    writeFileSync(
      path.join(host.home, 'components.d', 'broken.yaml'),
      'components:\n  bad:\n    type: github_release\n',
    );
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('lists the components added through the API, one row each with name, kind, installed and channel', async () => {
    const { page, context, errors } = await openPanel(browser, host);
    const row = componentRow(page, 'OTRS Web');
    await row.waitFor();
    const cells = await row.getByRole('cell').allInnerTexts();
    expect(cells[0]).toContain('OTRS Web');
    expect(cells[1]).toContain('github release');
    expect(cells[2]).toBe('2.4.1');
    expect(cells[4]).toBe('stable');
    await componentRow(page, 'Requests').waitFor();
    // The access token left the address bar once it was stored.
    expect(new URL(page.url()).hash).toBe('');
    // The broken drop-in file is shown, by name.
    await page.getByText('broken.yaml').waitFor();
    for (const name of ['Components', 'Backups', 'History']) {
      expect(await page.getByRole('navigation').getByRole('button', { name, exact: true }).count()).toBe(1);
    }
    await screenshotBothThemes(page, 'components');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('opens the Settings dialog with a channel select per component, and closes it with Escape', async () => {
    const { page, context } = await openPanel(browser, host);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.waitFor();
    const select = dialog.getByRole('combobox', { name: 'Release channel for OTRS Web' });
    expect(await select.inputValue()).toBe('stable');
    const pypiChannels = await dialog
      .getByRole('combobox', { name: 'Release channel for Requests' })
      .locator('option')
      .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(pypiChannels).toEqual(expect.arrayContaining(['stable', 'prerelease']));
    // The GitHub token field never shows a stored token.
    expect(await dialog.getByLabel('GitHub token').inputValue()).toBe('');
    await screenshotBothThemes(page, 'settings');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // General settings and a GitHub token are saved; the token is never shown again.
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await dialog.getByLabel('Check interval (hours)').fill('6');
    await dialog.getByLabel('Backups kept per component').fill('4');
    await dialog.getByLabel('Notify me when updates are available or an update fails').uncheck();
    await dialog.getByLabel('GitHub token').fill('ghp_exampleexampleexample1234');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    const saved = await host.call<{
      settings: { check_interval_hours: number; backup_max_per_component: number; notifications: boolean };
      github_token_set: boolean;
    }>('getSettings');
    expect(saved.settings).toMatchObject({
      check_interval_hours: 6,
      backup_max_per_component: 4,
      notifications: false,
    });
    expect(saved.github_token_set).toBe(true);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await dialog.getByText('A token is stored. It is never shown').waitFor();
    expect(await dialog.getByLabel('GitHub token').inputValue()).toBe('');
    expect(await page.content()).not.toContain('ghp_exampleexampleexample1234');
    // An out-of-range value is refused with the engine's message and code.
    await dialog.getByLabel('Check interval (hours)').fill('0');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog
      .locator('.field-error')
      .filter({ hasText: /expected number to be >=0\.25/ })
      .waitFor();
    expect(await dialog.getByLabel('Check interval (hours)').getAttribute('aria-invalid')).toBe('true');
    await page
      .getByRole('status')
      .filter({ hasText: /Settings not saved: .*\((INVALID_REQUEST|INVALID_CONFIG)\)/ })
      .waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await context.close();
  });

  it('saves a webhook, sends it a test, and refuses an unknown time zone next to its field', async () => {
    const received: { body: string; type: string | undefined }[] = [];
    const hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ body, type: req.headers['content-type'] });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    try {
      const { page, context } = await openPanel(browser, host);
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Settings' });
      await dialog.getByRole('button', { name: 'Add webhook' }).click();
      await dialog.getByLabel('Webhook 1 URL').fill(hookUrl);
      await dialog.getByLabel('Webhook 1 name').fill('Team chat');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      const saved = await host.call<{ settings: { webhooks: { url: string; name?: string; format: string }[] } }>(
        'getSettings',
      );
      expect(saved.settings.webhooks).toEqual([{ url: hookUrl, name: 'Team chat', format: 'json' }]);

      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      await dialog.getByRole('button', { name: 'Send a test' }).click();
      await page.getByRole('status').filter({ hasText: 'Test sent to 1 webhook.' }).waitFor();
      expect(received).toHaveLength(1);
      expect(received[0]?.type).toContain('application/json');

      await dialog.getByLabel('Time zone').fill('Mars/Olympus_Mons');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.locator('.field-error').filter({ hasText: 'must be an IANA time zone' }).waitFor();
      expect(await dialog.getByLabel('Time zone').getAttribute('aria-invalid')).toBe('true');
      await screenshotBothThemes(page, 'settings-webhooks');
      await context.close();
    } finally {
      await new Promise((resolve) => hook.close(resolve));
    }
  });

  it('shows why an invalid component was refused, next to the field and with its code', async () => {
    const { page, context } = await openPanel(browser, host);
    await page.getByRole('button', { name: 'Add component' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add component' });
    await dialog.getByLabel('Id', { exact: true }).fill('half-done');
    await dialog.getByLabel('Name', { exact: true }).fill('Half done');
    // github_release without owner and repository: the engine refuses it with INVALID_CONFIG.
    await dialog.getByRole('button', { name: 'Add component' }).click();
    const owner = dialog.getByLabel('Repository owner');
    await dialog
      .locator('.field-error')
      .filter({ hasText: 'is required for type github_release (the repository owner)' })
      .waitFor();
    expect(await owner.getAttribute('aria-invalid')).toBe('true');
    await dialog.locator('.form-summary').filter({ hasText: 'INVALID_CONFIG' }).waitFor();
    // The page behind a modal dialog is inert, so the dialog hosts the one status region meanwhile.
    expect(await dialog.getByRole('status').count()).toBe(1);
    expect(await page.getByRole('status').count()).toBe(1);
    await page.getByRole('status').filter({ hasText: 'INVALID_CONFIG' }).waitFor();
    await screenshotBothThemes(page, 'add-component-invalid');
    // Fix it and the component appears.
    await owner.fill('example');
    await dialog.getByLabel('Repository', { exact: true }).fill('half-done');
    await dialog.getByRole('button', { name: 'Add component' }).click();
    await dialog.waitFor({ state: 'detached' });
    await componentRow(page, 'Half done').waitFor();
    await page.getByRole('status').filter({ hasText: 'Added Half done' }).waitFor();
    const stored = await host.call<{ config: { user: string } }>('getComponent', { id: 'half-done' });
    expect(stored.config.user).toBe('example');
    await context.close();
  });

  it('works from the keyboard alone: dialogs take focus, keep it inside, close on Escape and give it back', async () => {
    const { page, context } = await openPanel(browser, host);
    const settingsButton = page.getByRole('button', { name: 'Settings', exact: true });
    // Tab from the top of the page until the Settings button has focus.
    for (let i = 0; i < 30 && !(await settingsButton.evaluate((el) => el === document.activeElement)); i += 1)
      await page.keyboard.press('Tab');
    expect(await settingsButton.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await settingsButton.evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe('none');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.waitFor();
    const inside = () => dialog.evaluate((el) => el.contains(document.activeElement));
    expect(await inside()).toBe(true);
    // Many more Tabs than the dialog has controls: focus never leaves it.
    for (let i = 0; i < 25; i += 1) {
      await page.keyboard.press('Tab');
      expect(await inside()).toBe(true);
    }
    await page.keyboard.press('Shift+Tab');
    expect(await inside()).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await settingsButton.evaluate((el) => el === document.activeElement)).toBe(true);
    // Navigation is reachable and operable with Enter.
    await page.getByRole('navigation').getByRole('button', { name: 'History', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'History', level: 1 }).waitFor();
    await context.close();
  });
});
