import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../fixtures/git/git-remote';
import {
  componentRow,
  ensureRendererBuilt,
  launchBrowser,
  openPanel,
  repoRoot,
  screenshotBothThemes,
  startPanelHost,
  type PanelHost,
} from './helpers/panel';

describe('adding, editing, removing and importing components', () => {
  let browser: Browser;
  let host: PanelHost;

  beforeAll(async () => {
    ensureRendererBuilt();
    host = await startPanelHost();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('adds a component from a template, naming a missing field next to it', async () => {
    const { page, context } = await openPanel(browser, host);
    await page.getByText('No components yet').waitFor();
    await screenshotBothThemes(page, 'components-empty');
    await page.getByRole('button', { name: 'Add component' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add component' });
    await dialog.getByLabel('Start from').selectOption({ label: 'Web app from GitHub releases' });
    await dialog.getByLabel('Display name').fill('Shop');
    await dialog.getByLabel('GitHub owner').fill('acme');
    await dialog.getByRole('button', { name: 'Add component' }).click();
    // The repository and the folder have no default: each is named where it is typed.
    await dialog.locator('.field-error').filter({ hasText: 'GitHub repository is required.' }).waitFor();
    expect(await dialog.getByLabel('GitHub repository').getAttribute('aria-invalid')).toBe('true');
    await screenshotBothThemes(page, 'add-component-template');
    await dialog.getByLabel('GitHub repository').fill('shop');
    await dialog.getByLabel('Install folder').fill('/srv/shop');
    await dialog.getByRole('button', { name: 'Add component' }).click();
    await dialog.waitFor({ state: 'detached' });
    await componentRow(page, 'Shop').waitFor();
    const stored = await host.call<{ config: Record<string, unknown> }>('getComponent', { id: 'shop' });
    expect(stored.config).toMatchObject({
      type: 'github_release',
      user: 'acme',
      repo: 'shop',
      folder: '/srv/shop',
      method: 'release_archive',
    });
    await context.close();
  });

  it('edits a component, with the engine’s validation next to the field, and removes it', async () => {
    await host.call('addComponents', {
      components: { notes: { name: 'Notes', type: 'pypi_release', package: 'notes-app', current: '0.9.0' } },
    });
    const { page, context } = await openPanel(browser, host);
    const row = componentRow(page, 'Notes');
    await row.getByRole('button', { name: 'Edit Notes' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit Notes' });
    await dialog.getByLabel('Package').fill('');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.locator('.field-error').filter({ hasText: 'is required for type pypi_release' }).waitFor();
    expect(await dialog.getByLabel('Package').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByLabel('Package').fill('notes-server');
    await dialog.getByLabel('Name', { exact: true }).fill('Team Notes');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await componentRow(page, 'Team Notes').waitFor();
    expect((await host.call<{ config: { package: string } }>('getComponent', { id: 'notes' })).config.package).toBe(
      'notes-server',
    );

    await componentRow(page, 'Team Notes').getByRole('button', { name: 'Remove Team Notes' }).click();
    await page.getByRole('dialog', { name: 'Remove Team Notes?' }).getByRole('button', { name: 'Remove' }).click();
    await componentRow(page, 'Team Notes').waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Removed Team Notes' }).waitFor();
    const { components } = await host.call<{ components: { id: string }[] }>('listComponents');
    expect(components.map((c) => c.id)).not.toContain('notes');
    await context.close();
  });

  it("chooses a release channel in the component's own dialog, shown in its Channel column", async () => {
    await host.call('addComponents', {
      components: {
        beta: {
          name: 'Beta App',
          type: 'pypi_release',
          package: 'beta-app',
          index_url: 'http://127.0.0.1:9',
          current: '1.0.0',
        },
      },
    });
    const { page, context } = await openPanel(browser, host);
    const row = componentRow(page, 'Beta App');
    await row.getByText('stable', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Edit Beta App' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit Beta App' });
    const select = dialog.getByLabel('Release channel for Beta App');
    expect(await select.inputValue()).toBe('stable');
    await select.selectOption('prerelease');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByText('prerelease', { exact: true }).waitFor();
    expect((await host.call<{ channel: string }>('getComponent', { id: 'beta' })).channel).toBe('prerelease');
    await context.close();
  });

  it('imports the checks of an OctoPrint config and reports what it skipped', async () => {
    const { page, context } = await openPanel(browser, host);
    await page.getByRole('button', { name: 'Import from OctoPrint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import from OctoPrint' });
    await dialog
      .getByLabel('config.yaml contents')
      .fill(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'octoprint', 'config.yaml'), 'utf8'));
    await dialog.getByRole('button', { name: 'Import' }).click();
    await dialog.waitFor({ state: 'detached' });
    await componentRow(page, 'OctoPrint').first().waitFor();
    await componentRow(page, 'Firmware Check').waitFor();
    await page
      .getByRole('status')
      .filter({ hasText: /Imported \d+ component\(s\) from the OctoPrint config; skipped .*broken_plugin/ })
      .waitFor();
    // The OctoPrint prerelease channel became the component's channel.
    const octoprint = await host.call<{ channel: string }>('getComponent', { id: 'octoprint' });
    expect(octoprint.channel).toBe('rc/maintenance');
    expect((await componentRow(page, 'OctoPrint').first().getByRole('cell').allInnerTexts())[4]).toBe('rc/maintenance');
    await context.close();
  });
});

describe('finding installed software', () => {
  let browser: Browser;
  let host: PanelHost;

  beforeAll(async () => {
    ensureRendererBuilt();
    host = await startPanelHost();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('proposes the git checkouts in a folder and tracks the ones picked', async () => {
    const apps = path.join(host.files, 'apps');
    for (const name of ['chat-bot', 'wiki']) {
      const dir = path.join(apps, name);
      mkdirSync(dir, { recursive: true });
      git(dir, 'init', '-q', '--initial-branch', 'main');
      writeFileSync(path.join(dir, 'README'), `${name}\n`);
      git(dir, 'add', 'README');
      git(dir, '-c', 'user.name=Test', '-c', 'user.email=test@example.org', 'commit', '-q', '-m', 'first');
    }
    const { page, context } = await openPanel(browser, host);
    await page.getByRole('button', { name: 'Find installed software' }).click();
    const dialog = page.getByRole('dialog', { name: 'Find installed software' });
    await dialog.getByLabel('Folder with git checkouts').fill(apps);
    await dialog.getByRole('button', { name: 'Search' }).click();
    const found = dialog.getByRole('region', { name: 'Found' });
    await found.getByRole('checkbox', { name: /chat-bot/ }).check();
    await screenshotBothThemes(page, 'find-installed');
    await dialog.getByRole('button', { name: 'Add selected (1)' }).click();
    await dialog.waitFor({ state: 'detached' });
    await componentRow(page, 'chat-bot').waitFor();
    const { components } = await host.call<{
      components: { name: string; type: string; config: { folder: string } }[];
    }>('listComponents');
    expect(components.map((c) => c.name)).toEqual(['chat-bot']);
    expect(components[0]).toMatchObject({ type: 'git_commit', config: { folder: path.join(apps, 'chat-bot') } });
    await context.close();
  });
});
