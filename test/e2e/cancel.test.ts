import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../fixtures/servers';
import { sourceTarball } from '../fixtures/releases/tree';
import { seriousViolations } from './helpers/axe';
import {
  componentRow,
  ensureRendererBuilt,
  launchBrowser,
  openPanel,
  screenshotBothThemes,
  startPanelHost,
  type PanelHost,
} from './helpers/panel';
import { appFiles, installApp } from './helpers/sample-app';

/**
 * Cancel beside the progress of a running update: the run stops, rolls back, its card says
 * Cancelled and History lists it as Cancelled; the folder is the old release.
 */
describe('cancelling an update in the panel', () => {
  let browser: Browser;
  let host: PanelHost;
  let gh: FakeGitHub;
  let folder: string;

  beforeAll(async () => {
    ensureRendererBuilt();
    gh = await FakeGitHub.start();
    gh.addRelease('acme', 'slow', { tag_name: 'v3.0.0', tarball: sourceTarball('acme-slow-aaa', appFiles('3.0.0')) });
    gh.addRelease('acme', 'slow', { tag_name: 'v3.1.0', tarball: sourceTarball('acme-slow-bbb', appFiles('3.1.0')) });
    host = await startPanelHost();
    folder = path.join(host.files, 'srv', 'slow');
    installApp(folder, '3.0.0');
    await host.call('setSettings', { patch: { github_api_base: gh.apiBase, min_free_space_mb: 1 } });
    // A slow update: on the new release its health check takes a minute to answer (the old one answers at once).
    const health = `if(require('fs').readFileSync('VERSION','utf8').trim()!=='3.1.0')process.exit(0);console.log('warming up');setTimeout(()=>{},60000);`;
    await host.call('addComponents', {
      components: {
        slow: {
          type: 'github_release',
          name: 'Slow App',
          user: 'acme',
          repo: 'slow',
          api_base: gh.apiBase,
          release_compare: 'semantic',
          version_from: { file: 'VERSION', regex: '(\\S+)' },
          method: 'release_archive',
          folder,
          health: { command: ['node', '-e', health], timeout: 120 },
        },
      },
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await gh?.close();
  });

  it('Cancel beside the progress bar stops the update, rolls it back and History says Cancelled', async () => {
    const { page, context, errors } = await openPanel(browser, host);
    await page.getByRole('button', { name: 'Check for updates' }).click();
    const row = componentRow(page, 'Slow App');
    await row.getByText('Update available').waitFor();
    await row.getByRole('button', { name: 'Update now: Slow App' }).click();
    const run = page.getByRole('article', { name: 'Update of Slow App' });
    await run.getByText('Health check', { exact: true }).first().waitFor();
    await run.getByRole('progressbar', { name: 'Updating Slow App' }).waitFor();
    const cancel = run.getByRole('button', { name: 'Cancel the update of Slow App' });
    await screenshotBothThemes(page, 'update-cancel-button');
    // The run card with its Cancel button passes axe-core in both themes.
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      expect(await seriousViolations(page)).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await cancel.click();
    await run.getByText('Cancelled', { exact: true }).waitFor();
    // The card says why it ended and that the old version is back; no progress bar nor Cancel remains.
    expect(await run.innerText()).toContain('CANCELLED');
    expect(await run.innerText()).toContain('The previous version was restored');
    expect(await run.getByRole('button', { name: 'Cancel the update of Slow App' }).count()).toBe(0);
    await page
      .getByRole('status')
      .filter({ hasText: /Slow App was cancelled/ })
      .waitFor();
    expect(readFileSync(path.join(folder, 'VERSION'), 'utf8')).toBe('3.0.0\n');

    await page.getByRole('navigation').getByRole('button', { name: 'History', exact: true }).click();
    const table = page.getByRole('table', { name: 'History' });
    const entry = table.getByRole('row').filter({ hasText: 'Slow App' });
    await entry.getByText('Cancelled', { exact: true }).waitFor();
    expect(await entry.innerText()).toContain('3.0.0 → 3.1.0');
    const { entries } = await host.call<{ entries: { status: string; initiated_by: string }[] }>('listHistory', {
      component: 'slow',
    });
    expect(entries[0]).toMatchObject({ status: 'cancelled', initiated_by: 'panel' });
    expect(errors).toEqual([]);
    await context.close();
  });
});
