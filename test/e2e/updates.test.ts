import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../fixtures/servers';
import { sourceTarball } from '../fixtures/releases/tree';
import { sampleAppComponent } from '../helpers/remote';
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

const NOTES = [
  '## What changed',
  '',
  '- Faster **search** and a new `--dry-run` flag',
  '- See [the guide](https://example.org/guide)',
  '',
  '<script>window.__notesScriptRan = true</script>',
  '<img src="x" onerror="window.__notesScriptRan = true">',
].join('\n');

describe('updates in the panel', () => {
  let browser: Browser;
  let host: PanelHost;
  let gh: FakeGitHub;
  let webFolder: string;
  let brokenFolder: string;
  let trackedSha: string;

  beforeAll(async () => {
    ensureRendererBuilt();
    gh = await FakeGitHub.start();
    gh.addRelease('acme', 'webapp', {
      tag_name: 'v1.0.0',
      tarball: sourceTarball('acme-webapp-aaa', appFiles('1.0.0')),
    });
    gh.addRelease('acme', 'webapp', {
      tag_name: 'v1.1.0',
      name: 'Web App 1.1.0',
      body: NOTES,
      tarball: sourceTarball('acme-webapp-bbb', appFiles('1.1.0')),
    });
    gh.addRelease('acme', 'webapp', {
      tag_name: 'v1.2.0-rc.1',
      prerelease: true,
      target_commitish: 'rc/devel',
      tarball: sourceTarball('acme-webapp-ccc', appFiles('1.2.0-rc.1')),
    });
    gh.addRelease('acme', 'broken', {
      tag_name: 'v2.0.0',
      tarball: sourceTarball('acme-broken-aaa', appFiles('2.0.0')),
    });
    trackedSha = gh.setBranch('acme', 'tracker', 'main');
    gh.addRelease('acme', 'broken', {
      tag_name: 'v2.1.0',
      tarball: sourceTarball('acme-broken-bbb', appFiles('2.1.0')),
    });

    host = await startPanelHost();
    webFolder = path.join(host.files, 'srv', 'webapp');
    brokenFolder = path.join(host.files, 'srv', 'broken');
    installApp(webFolder, '1.0.0');
    installApp(brokenFolder, '2.0.0');
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
        webapp: {
          ...common,
          name: 'Web App',
          repo: 'webapp',
          folder: webFolder,
          prerelease_branches: [{ name: 'Devel RCs', branch: 'rc/devel', commitish: ['rc/devel', 'main'] }],
        },
        // Its health check always fails: every update of it must be rolled back.
        broken: {
          ...common,
          name: 'Broken App',
          repo: 'broken',
          folder: brokenFolder,
          health: {
            command: ['node', '-e', 'console.error("health: port 8080 refused"); process.exit(3)'],
            timeout: 20,
          },
        },
        // Check only, up to date: its Details show the full commit ids.
        tracker: {
          name: 'Tracker',
          type: 'github_commit',
          user: 'acme',
          repo: 'tracker',
          branch: 'main',
          api_base: gh.apiBase,
          current: trackedSha,
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

  async function checkAll(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Check for updates' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /updates? available/ })
      .waitFor();
  }

  it('shows full commit ids in Details, each with a Copy button', async () => {
    const { page, context } = await openPanel(browser, host);
    await checkAll(page);
    const row = componentRow(page, 'Tracker');
    await row.getByText('Up to date').waitFor();
    await row.getByRole('button', { name: 'Details for Tracker' }).click();
    const details = page.getByRole('dialog', { name: 'Tracker' });
    await details.getByText(trackedSha).first().waitFor();
    expect(await details.getByRole('button', { name: `Copy ${trackedSha}` }).count()).toBe(2);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(page.url()).origin });
    await details
      .getByRole('button', { name: `Copy ${trackedSha}` })
      .first()
      .click();
    await details.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(trackedSha);
    // Check only: no download and nothing to verify is claimed.
    expect(await details.innerText()).not.toContain('Verification');
    await context.close();
  });

  it('checks, shows the release notes safely, updates with live progress and ends Up to date', async () => {
    const { page, context, errors } = await openPanel(browser, host);
    await checkAll(page);
    const row = componentRow(page, 'Web App');
    await row.getByText('Update available').waitFor();
    const cells = await row.getByRole('cell').allInnerTexts();
    expect(cells[2]).toBe('1.0.0');
    expect(cells[3]).toBe('1.1.0');
    await page.getByRole('region', { name: '2 updates pending' }).waitFor();
    await screenshotBothThemes(page, 'components-updates-pending');

    // Update details: Markdown rendered, raw HTML shown as text and never run.
    await row.getByRole('button', { name: 'Details for Web App' }).click();
    const details = page.getByRole('dialog', { name: 'Web App' });
    await details.getByRole('heading', { name: 'What changed' }).waitFor();
    expect(await details.locator('.markdown strong').allInnerTexts()).toEqual(['search']);
    expect(await details.getByRole('link', { name: 'the guide' }).getAttribute('href')).toBe(
      'https://example.org/guide',
    );
    await details.getByText('<script>window.__notesScriptRan = true</script>').waitFor();
    expect(await details.locator('.markdown script, .markdown img').count()).toBe(0);
    expect(
      await page.evaluate(() => (window as unknown as { __notesScriptRan?: boolean }).__notesScriptRan),
    ).toBeUndefined();
    expect(await details.innerText()).toContain('1.1.0 > 1.0.0');
    // A source archive without a published checksum: said plainly.
    expect(await details.innerText()).toContain('No checksum published: not verified');
    // The release's own page, as the source names it.
    expect(await details.getByRole('link', { name: 'Release page of 1.1.0' }).getAttribute('href')).toBe(
      `${gh.origin}/acme/webapp/releases/tag/v1.1.0`,
    );
    await screenshotBothThemes(page, 'update-details');
    await page.keyboard.press('Escape');

    await row.getByRole('button', { name: 'Update now: Web App' }).click();
    // Progress: the run card follows the engine's events to its outcome, with the streamed log.
    const run = page.getByRole('article', { name: 'Update of Web App' });
    await run.waitFor();
    await run.getByText('Updated', { exact: true }).waitFor();
    await row.getByText('Up to date').waitFor();
    expect((await row.getByRole('cell').allInnerTexts())[2]).toBe('1.1.0');
    await page.getByRole('status').filter({ hasText: 'Web App updated to 1.1.0' }).waitFor();
    // The steps the engine reported, in order, all done.
    const steps = await run.getByRole('list', { name: 'Steps' }).getByRole('listitem').allInnerTexts();
    expect(steps.map((t) => t.replace(/^\W+/, '').trim())).toEqual(
      expect.arrayContaining(['Preflight', 'Backup', 'Download', 'Apply', 'Commit']),
    );
    expect(steps.indexOf(steps.find((t) => t.includes('Backup'))!)).toBeLessThan(
      steps.indexOf(steps.find((t) => t.includes('Download'))!),
    );
    await run.getByText(/^Log \(\d+ lines?\)$/).click();
    expect(await run.locator('pre').innerText()).toMatch(/1\.1\.0/);
    expect(await row.getByRole('button', { name: 'Update now: Web App' }).count()).toBe(0);
    expect(readFileSync(path.join(webFolder, 'VERSION'), 'utf8')).toBe('1.1.0\n');
    await screenshotBothThemes(page, 'components-after-update');
    // The pre-update backup was read back whole before anything changed: the Backups list says so.
    await page.getByRole('navigation').getByRole('button', { name: 'Backups', exact: true }).click();
    const backupRow = page
      .getByRole('table', { name: 'Backups' })
      .getByRole('row')
      .filter({ hasText: 'Before update' })
      .first();
    const verified = backupRow.getByText('Verified', { exact: true });
    await verified.waitFor();
    expect(await verified.getAttribute('title')).toMatch(/^Read back after it was written .+: \d+ files checked$/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a failing update rolled back, and why', async () => {
    const { page, context } = await openPanel(browser, host);
    await checkAll(page);
    const row = componentRow(page, 'Broken App');
    await row.getByRole('button', { name: 'Update now: Broken App' }).click();
    const run = page.getByRole('article', { name: 'Update of Broken App' });
    await run.getByText('Rolled back', { exact: true }).waitFor();
    await run.getByText(/Rolled back because:/).waitFor();
    expect(await run.innerText()).toContain('HEALTH_CHECK_FAILED');
    await run.locator('.step-failed').filter({ hasText: 'Health check' }).waitFor();
    await run.locator('.step-done').filter({ hasText: 'Roll back' }).waitFor();
    await row.getByText('Rolled back').waitFor();
    await page
      .getByRole('status')
      .filter({ hasText: /Broken App was rolled back/ })
      .waitFor();
    expect(readFileSync(path.join(brokenFolder, 'VERSION'), 'utf8')).toBe('2.0.0\n');
    await screenshotBothThemes(page, 'update-rolled-back');
    await context.close();
  });

  it('holds back an automatic update that is too new, and says why', async () => {
    const { page, context } = await openPanel(browser, host);
    await checkAll(page);
    const row = componentRow(page, 'Broken App');
    await row.getByRole('button', { name: 'Details for Broken App' }).click();
    const details = page.getByRole('dialog', { name: 'Broken App' });
    const schedule = details.getByRole('region', { name: 'Automatic updates' });
    await schedule.getByLabel('Install updates automatically in the maintenance window').check();
    await schedule.getByLabel('Minimum release age').fill('3650d');
    await schedule.getByRole('button', { name: 'Save schedule' }).click();
    await page.getByRole('status').filter({ hasText: 'Broken App: updates install automatically' }).waitFor();
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached' });
    // A scheduler pass defers it (the release is younger than ten years); the row says Held, and why.
    const pass = await host.call<{ deferred: { component: string; reason: string }[] }>('runDue');
    expect(pass.deferred).toEqual(
      expect.arrayContaining([expect.objectContaining({ component: 'broken', reason: 'too_new' })]),
    );
    await row.getByText('Held', { exact: true }).waitFor();
    expect(await row.getByText('Held', { exact: true }).getAttribute('title')).toMatch(/.+/);
    await row.getByRole('button', { name: 'Details for Broken App' }).click();
    await details.getByText('Held back:').waitFor();
    await page.keyboard.press('Escape');
    // Holding back only concerns automatic updates: Update now is still offered.
    expect(await row.getByRole('button', { name: 'Update now: Broken App' }).count()).toBe(1);
    await context.close();
  });

  it('rolls an update back from History', async () => {
    const { page, context } = await openPanel(browser, host);
    await page.getByRole('navigation').getByRole('button', { name: 'History', exact: true }).click();
    const table = page.getByRole('table', { name: 'History' });
    const entry = table.getByRole('row').filter({ hasText: 'Web App' }).filter({ hasText: 'Succeeded' });
    await entry.waitFor();
    expect(await entry.innerText()).toContain('1.0.0 → 1.1.0');
    // The failed update is listed with its outcome and offers no roll back.
    const failed = table.getByRole('row').filter({ hasText: 'Broken App' });
    await failed.getByText('Rolled back').waitFor();
    expect(await failed.getByRole('button', { name: 'Roll back' }).count()).toBe(0);
    // Its log, after the fact: the health check's own output says why.
    await failed.getByRole('button', { name: 'Log of Broken App 2.0.0 → 2.1.0' }).click();
    const log = page.getByRole('dialog', { name: 'Log of Broken App 2.0.0 → 2.1.0' });
    await log.getByText('HEALTH_CHECK_FAILED').waitFor();
    await log.locator('.log-stderr').filter({ hasText: 'health: port 8080 refused' }).first().waitFor();
    await page.keyboard.press('Escape');
    await log.waitFor({ state: 'detached' });
    await page.getByRole('region', { name: 'Success rate and duration per component' }).waitFor();
    await screenshotBothThemes(page, 'history');

    await entry.getByRole('button', { name: 'Roll back' }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll back Web App?' });
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('status').filter({ hasText: 'Rolled back Web App' }).waitFor();
    expect(readFileSync(path.join(webFolder, 'VERSION'), 'utf8')).toBe('1.0.0\n');
    await table.getByRole('row').filter({ hasText: 'rollback' }).first().waitFor();
    // Back on 1.0.0, the update to 1.1.0 is offered again.
    await page.getByRole('navigation').getByRole('button', { name: 'Components', exact: true }).click();
    const row = componentRow(page, 'Web App');
    await row.getByText('Update available').waitFor();
    expect((await row.getByRole('cell').allInnerTexts())[2]).toBe('1.0.0');
    await context.close();
  });

  it('follows an update started elsewhere (the CLI, the scheduler) live, and lists it in History', async () => {
    const { page, context } = await openPanel(browser, host);
    await page.getByRole('navigation').getByRole('button', { name: 'History', exact: true }).click();
    const table = page.getByRole('table', { name: 'History' });
    const brokenRows = table.getByRole('row').filter({ hasText: 'Broken App' });
    await brokenRows.first().waitFor();
    const before = await brokenRows.count();
    // Not through the panel: straight to the API, as another client would.
    const { results } = await host.call<{ results: { status: string }[] }>('updateComponents', { ids: ['broken'] });
    expect(results[0]?.status).toBe('rolled_back');
    await page
      .getByRole('article', { name: 'Update of Broken App' })
      .getByText('Rolled back', { exact: true })
      .waitFor();
    await brokenRows.nth(before).waitFor();
    expect(await brokenRows.count()).toBe(before + 1);
    await context.close();
  });

  it('changes a release channel in Settings and shows the latest version on it', async () => {
    const { page, context } = await openPanel(browser, host);
    await checkAll(page);
    const row = componentRow(page, 'Web App');
    await row
      .getByRole('cell')
      .nth(3)
      .filter({ hasText: /^1\.1\.0$/ })
      .waitFor();
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    const select = dialog.getByRole('combobox', { name: 'Release channel for Web App' });
    await select.locator('option[value="rc/devel"]').waitFor({ state: 'attached' });
    await select.selectOption('rc/devel');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByRole('cell').nth(3).filter({ hasText: '1.2.0-rc.1' }).waitFor();
    expect((await row.getByRole('cell').allInnerTexts())[4]).toBe('rc/devel');
    const stored = await host.call<{ channel: string }>('getComponent', { id: 'webapp' });
    expect(stored.channel).toBe('rc/devel');
    await context.close();
  });
});

describe('Update all', () => {
  let browser: Browser;
  let host: PanelHost;
  let gh: FakeGitHub;

  beforeAll(async () => {
    ensureRendererBuilt();
    gh = await FakeGitHub.start();
    host = await startPanelHost();
    await host.call('setSettings', { patch: { github_api_base: gh.apiBase, min_free_space_mb: 1 } });
    const components: Record<string, unknown> = {};
    for (const repo of ['alpha', 'beta', 'gamma']) {
      gh.addRelease('acme', repo, { tag_name: 'v3.0.0', tarball: sourceTarball(`acme-${repo}-a`, appFiles('3.0.0')) });
      gh.addRelease('acme', repo, { tag_name: 'v3.1.0', tarball: sourceTarball(`acme-${repo}-b`, appFiles('3.1.0')) });
      const folder = path.join(host.files, 'srv', repo);
      installApp(folder, '3.0.0');
      components[repo] = { ...sampleAppComponent(gh, repo, folder), name: `Service ${repo}` };
    }
    // A new major version and a prerelease: listed, marked, and not ticked until a person ticks them.
    gh.addRelease('acme', 'delta', { tag_name: 'v3.0.0', tarball: sourceTarball('acme-delta-a', appFiles('3.0.0')) });
    gh.addRelease('acme', 'delta', { tag_name: 'v4.0.0', tarball: sourceTarball('acme-delta-b', appFiles('4.0.0')) });
    gh.addRelease('acme', 'epsilon', {
      tag_name: 'v3.0.0',
      tarball: sourceTarball('acme-epsilon-a', appFiles('3.0.0')),
    });
    gh.addRelease('acme', 'epsilon', {
      tag_name: 'v3.2.0-rc.1',
      prerelease: true,
      tarball: sourceTarball('acme-epsilon-b', appFiles('3.2.0-rc.1')),
    });
    for (const [repo, extra] of [
      ['delta', {}],
      ['epsilon', { channel: 'prerelease' }],
    ] as const) {
      const folder = path.join(host.files, 'srv', repo);
      installApp(folder, '3.0.0');
      components[repo] = { ...sampleAppComponent(gh, repo, folder), name: `Service ${repo}`, ...extra };
    }
    await host.call('addComponents', { components });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await gh?.close();
  });

  it('asks first with the list — breaking and prerelease updates unticked and marked — and runs only what stays ticked', async () => {
    const { page, context } = await openPanel(browser, host);
    await page.getByRole('button', { name: 'Check for updates' }).click();
    const summary = page.getByRole('region', { name: '5 updates pending' });
    await summary.waitFor();
    await summary.getByRole('button', { name: 'Update all' }).click();
    const dialog = page.getByRole('dialog', { name: 'Update all' });
    await dialog.waitFor();
    const box = (repo: string) => dialog.getByRole('checkbox', { name: new RegExp(`Service ${repo}\\b`) });
    for (const repo of ['alpha', 'beta', 'gamma']) expect(await box(repo).isChecked(), repo).toBe(true);
    expect(await box('delta').isChecked()).toBe(false);
    expect(await box('epsilon').isChecked()).toBe(false);
    expect(await dialog.locator('li', { hasText: 'Service delta' }).getByText('Breaking').count()).toBe(1);
    expect(await dialog.locator('li', { hasText: 'Service epsilon' }).getByText('Prerelease').count()).toBe(1);
    await dialog.getByText('2 updates are breaking or a prerelease and not ticked').waitFor();
    // The Breaking mark is explained in Details: which major version it crosses.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await componentRow(page, 'Service delta').getByRole('button', { name: 'Details for Service delta' }).click();
    const details = page.getByRole('dialog', { name: 'Service delta' });
    await details.getByText(/Breaking:.*major version 3 → 4/).waitFor();
    await page.keyboard.press('Escape');
    await summary.getByRole('button', { name: 'Update all' }).click();
    await screenshotBothThemes(page, 'update-all-confirm');
    // Untick one: three become two; nothing has run yet.
    await box('gamma').uncheck();
    expect(await host.call<{ entries: unknown[] }>('listHistory', {}).then((h) => h.entries.length)).toBe(0);
    await dialog.getByRole('button', { name: 'Update 2 components' }).click();
    await page.getByRole('status').filter({ hasText: 'Updates finished: 2 succeeded.' }).waitFor();
    for (const repo of ['alpha', 'beta']) {
      await componentRow(page, `Service ${repo}`).getByText('Up to date').waitFor();
      expect(readFileSync(path.join(host.files, 'srv', repo, 'VERSION'), 'utf8')).toBe('3.1.0\n');
    }
    for (const repo of ['gamma', 'delta', 'epsilon'])
      expect(readFileSync(path.join(host.files, 'srv', repo, 'VERSION'), 'utf8')).toBe('3.0.0\n');
    await page.getByRole('region', { name: '3 updates pending' }).waitFor();
    const { entries } = await host.call<{ entries: { component: string; status: string }[] }>('listHistory', {});
    expect(
      entries
        .filter((e) => e.status === 'succeeded')
        .map((e) => e.component)
        .sort(),
    ).toEqual(['alpha', 'beta']);

    // Cancel changes nothing.
    await page.getByRole('region', { name: '3 updates pending' }).getByRole('button', { name: 'Update all' }).click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await host.call<{ entries: unknown[] }>('listHistory', {})).entries).toHaveLength(2);
    await context.close();
  });
});
