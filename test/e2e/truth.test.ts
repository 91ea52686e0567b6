import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../fixtures/servers';
import { sourceTarball } from '../fixtures/releases/tree';
import { upkeepAsync } from '../helpers/cli';
import {
  componentRow,
  ensureRendererBuilt,
  launchBrowser,
  openPanel,
  startPanelHost,
  type PanelHost,
} from './helpers/panel';
import { appFiles, installApp } from './helpers/sample-app';

/** The real CLI on the host's data directory, as another process (this one keeps serving the fake GitHub). */
const cli = (home: string, ...args: string[]) => upkeepAsync(['--home', home, ...args]);

/**
 * The panel tells the truth after a reload: the installed version after an update made here or by
 * the CLI, a failed check with when it failed, no "up to date" that a failed or partial check
 * cannot know, no Roll back on an update already undone, and restores in History.
 */

describe('the panel tells the truth after a reload', () => {
  let browser: Browser;
  let host: PanelHost;
  let gh: FakeGitHub;

  beforeAll(async () => {
    ensureRendererBuilt();
    gh = await FakeGitHub.start();
    gh.addRelease('acme', 'pulled', { tag_name: 'v1.0.0', tarball: sourceTarball('acme-pulled-a', appFiles('1.0.0')) });
    gh.addRelease('acme', 'pulled', { tag_name: 'v1.1.0', tarball: sourceTarball('acme-pulled-b', appFiles('1.1.0')) });
    gh.addRelease('acme', 'pulled', { tag_name: 'v1.2.0', tarball: sourceTarball('acme-pulled-c', appFiles('1.2.0')) });
    for (const repo of ['shop', 'blog']) {
      gh.addRelease('acme', repo, { tag_name: 'v1.0.0', tarball: sourceTarball(`acme-${repo}-a`, appFiles('1.0.0')) });
      gh.addRelease('acme', repo, { tag_name: 'v1.1.0', tarball: sourceTarball(`acme-${repo}-b`, appFiles('1.1.0')) });
    }
    host = await startPanelHost();
    await host.call('setSettings', { patch: { github_api_base: gh.apiBase, min_free_space_mb: 1 } });
    const common = {
      type: 'github_release',
      user: 'acme',
      api_base: gh.apiBase,
      release_compare: 'semantic',
      version_from: { file: 'VERSION', regex: '(\\S+)' },
      method: 'release_archive',
    };
    const components: Record<string, unknown> = {};
    for (const repo of ['shop', 'blog']) {
      const folder = path.join(host.files, 'srv', repo);
      installApp(folder, '1.0.0');
      components[repo] = { ...common, name: repo === 'shop' ? 'Shop' : 'Blog', repo, folder };
    }
    // Its install step removes the pre-update backup and fails: the automatic rollback cannot work.
    const fragileFolder = path.join(host.files, 'srv', 'fragile');
    installApp(fragileFolder, '1.0.0');
    const backups = path.join(host.home, 'backups', 'fragile');
    components.fragile = {
      ...common,
      name: 'Fragile',
      repo: 'shop',
      folder: fragileFolder,
      install: [
        [
          'node',
          '-e',
          `require('fs').rmSync(${JSON.stringify(backups)}, { recursive: true, force: true }); process.exit(1)`,
        ],
      ],
    };
    const pulledFolder = path.join(host.files, 'srv', 'pulled');
    installApp(pulledFolder, '1.0.0');
    components.pulled = { ...common, name: 'Pulled', repo: 'pulled', folder: pulledFolder };
    // Its folder is missing: the installed version cannot be read, so its check fails.
    components.lost = { ...common, name: 'Lost', repo: 'shop', folder: path.join(host.files, 'srv', 'nowhere') };
    await host.call('addComponents', { components });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await gh?.close();
  });

  it('shows the installed version and outcome after updates here and by the CLI, after a reload, and no stale Update now', async () => {
    const { page, context } = await openPanel(browser, host);
    await page.getByRole('button', { name: 'Check for updates' }).click();
    await page.getByRole('region', { name: '4 updates pending' }).waitFor();

    // Updated from the panel, then reloaded.
    await componentRow(page, 'Shop').getByRole('button', { name: 'Update now: Shop' }).click();
    await page.getByRole('status').filter({ hasText: 'Shop updated to 1.1.0' }).waitFor();
    await page.reload();
    const shop = componentRow(page, 'Shop');
    await shop.getByText('Up to date').waitFor();
    expect((await shop.getByRole('cell').allInnerTexts())[2]).toBe('1.1.0');

    // Updated by the CLI, another process: the panel's host learns it from the data directory.
    const run = await cli(host.home, '--json', 'update', 'blog', '--yes');
    expect(run.code, run.stderr).toBe(0);
    await page.reload();
    const blog = componentRow(page, 'Blog');
    await blog.getByText('Up to date').waitFor();
    expect((await blog.getByRole('cell').allInnerTexts())[2]).toBe('1.1.0');
    expect(await blog.getByRole('button', { name: 'Update now: Blog' }).count()).toBe(0);
    expect(readFileSync(path.join(host.files, 'srv', 'blog', 'VERSION'), 'utf8')).toBe('1.1.0\n');
    await context.close();
  });

  it('keeps a failed check failed across reloads, saying when, and never "Everything is up to date" beside it', async () => {
    const { page, context } = await openPanel(browser, host);
    const lost = componentRow(page, 'Lost');
    await lost.getByText('Check failed').waitFor();
    await page.reload();
    await lost.getByText('Check failed').waitFor();
    expect(await lost.innerText()).toMatch(/failed (just now|\d+ minutes? ago)/);
    expect(await lost.innerText()).not.toContain('Not checked');
    expect(await lost.innerText()).not.toContain('Never');
    // The header counts the failure; a check of one component speaks of that one only.
    expect(await page.locator('.view-subtitle').innerText()).toBe(
      '5 tracked · 2 updates pending · 1 of 5 checks failed',
    );
    await componentRow(page, 'Shop').getByRole('button', { name: 'Details for Shop' }).click();
    await page.getByRole('dialog', { name: 'Shop' }).waitFor();
    await page.keyboard.press('Escape');
    await host.call('checkComponents', { ids: ['shop'], force: true });
    await page.getByRole('button', { name: 'Check for updates' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /check failed/ })
      .waitFor();
    expect(await page.getByRole('status').innerText()).not.toContain('Everything is up to date');
    await context.close();
  });

  it('offers no Roll back on an update already undone, and lists restores in History', async () => {
    const { page, context } = await openPanel(browser, host);
    // Roll the shop back from History.
    await page.getByRole('button', { name: 'History' }).click();
    const updateRow = page.getByRole('row').filter({ hasText: 'Shop' }).filter({ hasText: '1.0.0 → 1.1.0' });
    await updateRow.getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('dialog', { name: 'Roll back Shop?' }).getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('row').filter({ hasText: 'Shop' }).filter({ hasText: '1.1.0 → 1.0.0' }).waitFor();
    expect(readFileSync(path.join(host.files, 'srv', 'shop', 'VERSION'), 'utf8')).toBe('1.0.0\n');
    await page.reload();
    await page.getByRole('button', { name: 'History' }).click();
    await page.getByRole('row').filter({ hasText: 'Shop' }).filter({ hasText: '1.1.0 → 1.0.0' }).waitFor();
    expect(await updateRow.getByRole('button', { name: 'Roll back' }).count()).toBe(0);

    // Restore the blog's pre-update backup from the list: History says so, and the row shows 1.0.0.
    const { backups } = await host.call<{ backups: { id: string; component: string; reason: string }[] }>(
      'listBackups',
      { component: 'blog' },
    );
    const before = backups.find((b) => b.reason === 'pre-update');
    expect(before).toBeDefined();
    await host.call('restoreBackup', { id: before?.id });
    await page.reload();
    await page.getByRole('button', { name: 'History' }).click();
    const restore = page
      .getByRole('row')
      .filter({ hasText: 'Blog' })
      .filter({ hasText: /restore/i });
    await restore.waitFor();
    expect(await restore.innerText()).toContain('1.1.0 → 1.0.0');
    await page.getByRole('button', { name: 'Components' }).click();
    const blog = componentRow(page, 'Blog');
    await blog.getByText('Update available').waitFor();
    expect((await blog.getByRole('cell').allInnerTexts())[2]).toBe('1.0.0');
    await context.close();
  });

  it('keeps a component whose automatic rollback failed marked Needs attention, with what to do, until a person resolves it', async () => {
    const { page, context } = await openPanel(browser, host);
    const row = componentRow(page, 'Fragile');
    await row.getByRole('button', { name: 'Update now: Fragile' }).click();
    await row.getByText('Needs attention').waitFor();
    await page.reload();
    await row.getByText('Needs attention').waitFor();
    expect(await row.innerText()).toContain('The update failed after changing the component');
    await page.getByRole('button', { name: 'History' }).click();
    await page.getByText(/Needs attention: .*mark it resolved/).waitFor();
    await page.getByRole('button', { name: 'Components' }).click();
    await row.getByRole('button', { name: 'Details for Fragile' }).click();
    const details = page.getByRole('dialog', { name: 'Fragile' });
    await details.getByText(/Needs attention:/).waitFor();
    await details.getByRole('button', { name: 'Mark resolved' }).click();
    await page.getByRole('status').filter({ hasText: 'Fragile is marked resolved.' }).waitFor();
    await page.keyboard.press('Escape');
    await page.reload();
    await row.waitFor();
    expect(await row.getByText('Needs attention').count()).toBe(0);
    await context.close();
  });

  it('offers a way to install a release refused only for being lower than one seen before', async () => {
    // 1.2.0 was seen, then pulled: 1.1.0 is not offered on its own.
    gh.removeRelease('acme', 'pulled', 'v1.2.0');
    await host.call('checkComponents', { ids: ['pulled'], force: true });
    const { page, context } = await openPanel(browser, host);
    const row = componentRow(page, 'Pulled');
    // Not "Up to date": 1.1.0 is newer than what is installed, and the row says why it is not offered.
    await row.getByText('Lower: not offered').waitFor();
    await row.getByRole('button', { name: 'Details for Pulled' }).click();
    const details = page.getByRole('dialog', { name: 'Pulled' });
    await details.getByText('Not offered: lower.').waitFor();
    await details.getByRole('button', { name: 'Install 1.1.0 (downgrade)' }).click();
    await page.getByRole('status').filter({ hasText: 'Pulled updated to 1.1.0' }).waitFor();
    expect(readFileSync(path.join(host.files, 'srv', 'pulled', 'VERSION'), 'utf8')).toBe('1.1.0\n');
    await context.close();
  });
});
