import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../fixtures/servers';
import { sourceTarball } from '../fixtures/releases/tree';
import {
  componentRow,
  ensureRendererBuilt,
  launchBrowser,
  openPanel,
  startPanelHost,
  type PanelHost,
} from './helpers/panel';
import { appFiles, installApp } from './helpers/sample-app';

describe('Skip this version and Hold in the panel', () => {
  let browser: Browser;
  let host: PanelHost;
  let gh: FakeGitHub;
  let webFolder: string;
  let otherFolder: string;

  beforeAll(async () => {
    ensureRendererBuilt();
    gh = await FakeGitHub.start();
    gh.addRelease('acme', 'webapp', {
      tag_name: 'v1.0.0',
      tarball: sourceTarball('acme-webapp-aaa', appFiles('1.0.0')),
    });
    gh.addRelease('acme', 'webapp', {
      tag_name: 'v1.1.0',
      tarball: sourceTarball('acme-webapp-bbb', appFiles('1.1.0')),
    });
    gh.addRelease('acme', 'other', { tag_name: 'v2.0.0', tarball: sourceTarball('acme-other-aaa', appFiles('2.0.0')) });
    gh.addRelease('acme', 'other', { tag_name: 'v2.1.0', tarball: sourceTarball('acme-other-bbb', appFiles('2.1.0')) });
    host = await startPanelHost();
    webFolder = path.join(host.files, 'srv', 'webapp');
    otherFolder = path.join(host.files, 'srv', 'other');
    installApp(webFolder, '1.0.0');
    installApp(otherFolder, '2.0.0');
    await host.call('setSettings', { patch: { github_api_base: gh.apiBase, min_free_space_mb: 1 } });
    const common = {
      type: 'github_release',
      user: 'acme',
      api_base: gh.apiBase,
      release_compare: 'semantic',
      version_from: { file: 'VERSION', regex: '(\\S+)' },
      method: 'release_archive',
    };
    await host.call('addComponents', {
      components: {
        webapp: { ...common, name: 'Web App', repo: 'webapp', folder: webFolder },
        other: { ...common, name: 'Other App', repo: 'other', folder: otherFolder },
      },
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await gh?.close();
  });

  async function checkAll(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Check for updates' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /updates? available|up to date/ })
      .waitFor();
  }

  it('skips the latest version (the row says Up to date), and a newer release is offered again', async () => {
    const { page, context, errors } = await openPanel(browser, host);
    await checkAll(page);
    const row = componentRow(page, 'Web App');
    await row.getByText('Update available').waitFor();
    await page.getByRole('region', { name: '2 updates pending' }).waitFor();

    await row.getByRole('button', { name: 'Details for Web App' }).click();
    const details = page.getByRole('dialog', { name: 'Web App' });
    await details.getByRole('button', { name: 'Skip this version' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Web App: 1.1.0 skipped. A newer version will be offered again.' })
      .waitFor();
    // The dialog follows: the skip can be undone, and the update is no longer offered.
    await details.getByRole('button', { name: 'Unskip' }).waitFor();
    expect(await details.getByRole('button', { name: 'Update now: Web App' }).count()).toBe(0);
    expect(await details.innerText()).toContain('1.1.0 skipped (you chose to skip this version)');
    await page.keyboard.press('Escape');

    await row.getByText('Up to date').waitFor();
    expect(await row.getByRole('button', { name: 'Update now: Web App' }).count()).toBe(0);
    expect((await row.getByRole('cell').allInnerTexts())[3]).toBe('1.1.0');
    await page.getByRole('region', { name: '1 update pending' }).waitFor();

    gh.addRelease('acme', 'webapp', {
      tag_name: 'v1.2.0',
      tarball: sourceTarball('acme-webapp-ccc', appFiles('1.2.0')),
    });
    await checkAll(page);
    await row.getByText('Update available').waitFor();
    expect((await row.getByRole('cell').allInnerTexts())[3]).toBe('1.2.0');
    await row.getByRole('button', { name: 'Update now: Web App' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('holds a component: the row says Held without Update now, Update all leaves it alone, Release hold undoes it', async () => {
    const { page, context, errors } = await openPanel(browser, host);
    await checkAll(page);
    const row = componentRow(page, 'Other App');
    await row.getByText('Update available').waitFor();

    await row.getByRole('button', { name: 'Details for Other App' }).click();
    const details = page.getByRole('dialog', { name: 'Other App' });
    await details.getByRole('button', { name: 'Hold', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Other App is held at 2.0.0' }).waitFor();
    await details.getByRole('button', { name: 'Release hold' }).waitFor();
    expect(await details.getByRole('button', { name: 'Update now: Other App' }).count()).toBe(0);
    expect(await details.getByRole('button', { name: 'Skip this version' }).count()).toBe(0);
    await page.keyboard.press('Escape');

    await row.getByText('Held', { exact: true }).waitFor();
    expect(await row.getByRole('button', { name: 'Update now: Other App' }).count()).toBe(0);
    // The newer version still shows.
    expect((await row.getByRole('cell').allInnerTexts())[3]).toBe('2.1.0');

    // Update all: only Web App is pending, so only it is updated.
    const pending = page.getByRole('region', { name: '1 update pending' });
    await pending.waitFor();
    expect(await pending.innerText()).not.toContain('Other App');
    await pending.getByRole('button', { name: 'Update all' }).click();
    const confirm = page.getByRole('dialog', { name: 'Update all' });
    expect(await confirm.innerText()).not.toContain('Other App');
    await confirm.getByRole('button', { name: 'Update 1 component' }).click();
    await page.getByRole('status').filter({ hasText: 'Web App updated to 1.2.0' }).waitFor();
    expect(readFileSync(path.join(webFolder, 'VERSION'), 'utf8')).toBe('1.2.0\n');
    expect(readFileSync(path.join(otherFolder, 'VERSION'), 'utf8')).toBe('2.0.0\n');
    await row.getByText('Held', { exact: true }).waitFor();

    await row.getByRole('button', { name: 'Details for Other App' }).click();
    await details.getByRole('button', { name: 'Release hold' }).click();
    await page.getByRole('status').filter({ hasText: 'Other App is released: its updates install again.' }).waitFor();
    await details.getByRole('button', { name: 'Hold', exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await row.getByText('Update available').waitFor();
    await row.getByRole('button', { name: 'Update now: Other App' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });
});
