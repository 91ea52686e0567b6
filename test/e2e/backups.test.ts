import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureRendererBuilt,
  launchBrowser,
  openPanel,
  screenshotBothThemes,
  startPanelHost,
  type PanelHost,
} from './helpers/panel';

describe('backups view', () => {
  let browser: Browser;
  let host: PanelHost;
  let folder: string;

  beforeAll(async () => {
    ensureRendererBuilt();
    host = await startPanelHost();
    folder = path.join(host.files, 'srv', 'wiki');
    mkdirSync(path.join(folder, 'db'), { recursive: true });
    writeFileSync(path.join(folder, 'app.py'), 'VERSION = "1.0.0"\n');
    writeFileSync(path.join(folder, 'db', 'pages.txt'), 'the original pages\n');
    await host.call('addComponents', {
      components: {
        wiki: {
          name: 'Team Wiki',
          type: 'always_current',
          current: '1.0.0',
          folder,
          backup: { database: ['db/'], config: ['app.py'] },
        },
      },
    });
    await host.call('createBackup', {
      component: 'wiki',
      type: 'full',
      name: 'before-edits',
      description: 'the original state',
    });
    await host.call('createBackup', { component: 'wiki', type: 'database', name: 'db-only' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('restores a backup from the list after a confirmation that names what is replaced, taking a safety backup first', async () => {
    // The folder changes after the backup: the restore must bring the original back.
    writeFileSync(path.join(folder, 'db', 'pages.txt'), 'pages someone broke\n');
    writeFileSync(path.join(folder, 'stray.txt'), 'not in the backup\n');
    const { page, context } = await openPanel(browser, host);
    await page.getByRole('navigation').getByRole('button', { name: 'Backups', exact: true }).click();
    const table = page.getByRole('table', { name: 'Backups' });
    const row = table.getByRole('row').filter({ hasText: 'before-edits' });
    await row.waitFor();
    await table.getByRole('row').filter({ hasText: 'db-only' }).waitFor();
    await screenshotBothThemes(page, 'backups');

    await row.getByRole('button', { name: 'Restore', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: /Restore before-edits/ });
    await dialog.waitFor();
    const text = await dialog.innerText();
    expect(text).toContain('the whole folder');
    expect(text).toContain(folder);
    expect(text).toMatch(/safety backup/i);
    await screenshotBothThemes(page, 'backup-restore-confirm');
    await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Restored before-edits/ })
      .waitFor();
    expect(readFileSync(path.join(folder, 'db', 'pages.txt'), 'utf8')).toBe('the original pages\n');
    expect(existsSync(path.join(folder, 'stray.txt'))).toBe(false);
    // The safety backup taken first is listed too.
    const list = await host.call<{ backups: { reason: string }[] }>('listBackups', {});
    expect(list.backups.some((b) => b.reason === 'safety')).toBe(true);
    await table
      .getByRole('row')
      .filter({ hasText: /safety/i })
      .first()
      .waitFor();
    await context.close();
  });

  it('verifies a backup, filters by type, creates one with a name and deletes one', async () => {
    const { page, context } = await openPanel(browser, host);
    await page.getByRole('navigation').getByRole('button', { name: 'Backups', exact: true }).click();
    const table = page.getByRole('table', { name: 'Backups' });
    const dbRow = table.getByRole('row').filter({ hasText: 'db-only' });
    await dbRow.getByRole('button', { name: 'Verify', exact: true }).click();
    await dbRow.getByText('Verified').waitFor();
    await page
      .getByRole('status')
      .filter({ hasText: /verified/ })
      .waitFor();

    // Pin it: retention will keep it.
    const pin = dbRow.getByRole('button', { name: 'Pin db-only' });
    expect(await pin.getAttribute('aria-pressed')).toBe('false');
    await pin.click();
    await dbRow.locator('button[aria-pressed="true"]').waitFor();
    const pinned = await host.call<{ backups: { name: string; pinned: boolean }[] }>('listBackups', {});
    expect(pinned.backups.find((b) => b.name === 'db-only')?.pinned).toBe(true);

    // Filter by type: only the database backup stays.
    await page.getByLabel('Type', { exact: true }).selectOption('database');
    await table.getByRole('row').filter({ hasText: 'before-edits' }).waitFor({ state: 'detached' });
    expect(await table.getAttribute('aria-rowcount')).toBe('2');
    await page.getByLabel('Type', { exact: true }).selectOption('all');

    await page.getByRole('button', { name: 'Create backup' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create backup' });
    await dialog.getByLabel('Type').selectOption('config');
    await dialog.getByLabel('Name').fill('config-snapshot');
    await dialog.getByLabel('Description').fill('before changing the settings');
    await dialog.getByRole('button', { name: 'Create backup' }).click();
    await dialog.waitFor({ state: 'detached' });
    const created = table.getByRole('row').filter({ hasText: 'config-snapshot' });
    await created.waitFor();
    const list = await host.call<{ backups: { name: string; type: string; description: string }[] }>('listBackups', {});
    expect(list.backups.find((b) => b.name === 'config-snapshot')).toMatchObject({
      type: 'config',
      description: 'before changing the settings',
    });

    await created.getByRole('button', { name: 'Delete', exact: true }).click();
    await page
      .getByRole('dialog', { name: /Delete config-snapshot/ })
      .getByRole('button', { name: 'Delete', exact: true })
      .click();
    await created.waitFor({ state: 'detached' });
    const after = await host.call<{ backups: { name: string }[] }>('listBackups', {});
    expect(after.backups.some((b) => b.name === 'config-snapshot')).toBe(false);
    await context.close();
  });
});
