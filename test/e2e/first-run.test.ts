import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../shared/types';
import { FakeGitHub, FakeNpmRegistry } from '../fixtures/servers';
import {
  componentRow,
  ensureRendererBuilt,
  launchBrowser,
  openPanel,
  screenshotBothThemes,
  startPanelHost,
  type PanelHost,
} from './helpers/panel';

/** A port on 127.0.0.1 that nothing listens on: connecting to it is refused, like a machine without a network. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The time as the panel writes it (the browser's locale and time zone). */
function clockIn(page: Page, iso: string): Promise<string> {
  return page.evaluate((at) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }), iso);
}

describe('first run: the welcome card, and checks that cannot get through', () => {
  let browser: Browser;
  let host: PanelHost;
  let limited: FakeGitHub;
  let healthy: FakeGitHub;

  beforeAll(async () => {
    ensureRendererBuilt();
    // firstRun: the host adds Upkeep itself, as on a fresh data directory.
    host = await startPanelHost({ firstRun: true });
    // GitHub with the hourly allowance spent (403, x-ratelimit-remaining: 0, reset in an hour).
    limited = await FakeGitHub.start({ rateLimit: { remaining: 0 } });
    // GitHub answering normally, with Upkeep's own release.
    healthy = await FakeGitHub.start();
    healthy.addRelease('upkeep-app', 'upkeep', { tag_name: 'v0.1.0' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await limited?.close();
    await healthy?.close();
  });

  it('greets a new user with what Upkeep does and the next steps, and opens discovery from there', async () => {
    const { components } = await host.call<{ components: { id: string; name: string }[] }>('listComponents');
    expect(components.map((c) => c.name)).toEqual(['Upkeep']);
    const { page, context, errors } = await openPanel(browser, host);
    const welcome = page.getByRole('region', { name: 'Welcome to Upkeep' });
    await welcome.waitFor();
    await componentRow(page, 'Upkeep').waitFor();
    expect(await welcome.innerText()).toContain('backup');
    for (const name of ['Find installed software', 'Add component', 'Import from OctoPrint']) {
      // Each next step is on the page once: the toolbar leaves them to the card while it is up.
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(1);
      expect(await welcome.getByRole('button', { name, exact: true }).count(), name).toBe(1);
    }
    await screenshotBothThemes(page, 'first-run');

    await welcome.getByRole('button', { name: 'Find installed software' }).click();
    const discover = page.getByRole('dialog', { name: 'Find installed software' });
    await discover.waitFor();
    await page.keyboard.press('Escape');
    await discover.waitFor({ state: 'detached' });

    await welcome.getByRole('button', { name: 'Add component' }).click();
    const add = page.getByRole('dialog', { name: 'Add component' });
    await add.getByLabel('Start from').waitFor();
    await page.keyboard.press('Escape');
    await add.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('remembers a dismissed welcome, and puts the toolbar buttons back', async () => {
    const { page, context } = await openPanel(browser, host);
    const welcome = page.getByRole('region', { name: 'Welcome to Upkeep' });
    await welcome.getByRole('button', { name: 'Dismiss welcome' }).click();
    await welcome.waitFor({ state: 'detached' });
    const find = page.getByRole('button', { name: 'Find installed', exact: true });
    await find.waitFor();
    // Focus does not fall to the page when the card goes.
    await page.waitForFunction(() => document.activeElement?.textContent?.trim() === 'Find installed');
    await page.reload();
    await componentRow(page, 'Upkeep').waitFor();
    await find.waitFor();
    expect(await page.getByRole('region', { name: 'Welcome to Upkeep' }).count()).toBe(0);
    await context.close();
  });

  it('explains a check that cannot reach the internet: a banner with Check again, and the reason in the row', async () => {
    const port = await closedPort();
    await host.call('setSettings', { patch: { github_api_base: `http://127.0.0.1:${port}` } });
    const { page, context, errors } = await openPanel(browser, host);
    await page.getByRole('button', { name: 'Check for updates' }).click();
    const banner = page.getByRole('region', { name: "Upkeep can't reach the internet." });
    await banner.waitFor();
    expect(await banner.innerText()).toContain("Versions can't be checked until it can");
    const row = componentRow(page, 'Upkeep');
    await row.getByText(`Can't reach 127.0.0.1:${port} — offline?`).waitFor();
    await row.getByText('NETWORK', { exact: true }).waitFor();
    expect(await row.getByText('Check failed').count()).toBe(1);
    // The installed version is read locally and still shows.
    expect((await row.getByRole('cell').allInnerTexts())[2]).toBe('0.1.0');
    await screenshotBothThemes(page, 'offline-banner');

    // Check again after the connection is back: the banner goes, the row is up to date.
    await host.call('setSettings', { patch: { github_api_base: healthy.apiBase } });
    await banner.getByRole('button', { name: 'Check again' }).click();
    await banner.waitFor({ state: 'detached' });
    await row.getByText('Up to date').waitFor();
    expect(await row.getByText('NETWORK').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says until when GitHub’s rate limit lasts, and takes the user to the token field', async () => {
    await host.call('setSettings', { patch: { github_api_base: limited.apiBase } });
    const { page, context, errors } = await openPanel(browser, host);
    await page.getByRole('button', { name: 'Check for updates' }).click();
    const row = componentRow(page, 'Upkeep');
    await row.getByText('RATE_LIMITED', { exact: true }).waitFor();
    const { components } = await host.call<{ components: CheckResult[] }>('getCheckResults', { ids: ['upkeep'] });
    const retryAt = components[0]?.error?.details?.retry_at;
    expect(typeof retryAt).toBe('string');
    const until = await clockIn(page, retryAt as string);
    await row.getByText(`GitHub rate limit used up until ${until} — add a token in Settings`).waitFor();
    const banner = page.getByRole('region', { name: `GitHub's rate limit is used up until ${until}` });
    await banner.waitFor();
    expect(await banner.innerText()).toContain('5,000');
    // No offline banner: the internet is there, GitHub refuses.
    expect(await page.getByRole('region', { name: "Upkeep can't reach the internet." }).count()).toBe(0);
    await screenshotBothThemes(page, 'rate-limited-banner');

    await banner.getByRole('button', { name: 'Add a GitHub token' }).click();
    const settings = page.getByRole('dialog', { name: 'Settings' });
    await settings.waitFor();
    const tokenField = settings.getByLabel('GitHub token');
    await page.waitForFunction(() => document.activeElement?.getAttribute('type') === 'password');
    expect(await tokenField.evaluate((el) => el === document.activeElement)).toBe(true);
    // Keyboard: typing goes straight into the field.
    await page.keyboard.type('ghp_typedrightaway');
    expect(await tokenField.inputValue()).toBe('ghp_typedrightaway');
    await page.keyboard.press('Escape');
    await settings.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('hides the welcome card once something else is tracked', async () => {
    const { page, context } = await openPanel(browser, host);
    const welcome = page.getByRole('region', { name: 'Welcome to Upkeep' });
    await welcome.waitFor();
    // Added elsewhere (the CLI, another panel): the event brings it here.
    await host.call('addComponents', {
      components: { notes: { name: 'Notes', type: 'always_current', current: '1.0.0' } },
    });
    await componentRow(page, 'Notes').waitFor();
    await welcome.waitFor({ state: 'detached' });
    for (const name of ['Find installed', 'Import from OctoPrint', 'Add component']) {
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(1);
    }
    await context.close();
  });

  it('names the sources that cannot be reached when only some checks fail', async () => {
    const other = await startPanelHost({ firstRun: true });
    const npm = await FakeNpmRegistry.start();
    try {
      npm.publish('left-pad', '1.3.0');
      // The registry fails on the server side; the index is not there at all.
      npm.fixture.fault('/', { kind: 'status', status: 500 });
      const indexPort = await closedPort();
      await other.call('setSettings', { patch: { github_api_base: healthy.apiBase } });
      await other.call('addComponents', {
        components: {
          'left-pad': {
            name: 'Left Pad',
            type: 'npm_release',
            package: 'left-pad',
            registry: npm.registry,
            current: '1.3.0',
          },
          requests: {
            name: 'Requests',
            type: 'pypi_release',
            package: 'requests',
            index_url: `http://127.0.0.1:${indexPort}`,
            current: '2.31.0',
          },
        },
      });
      const { page, context, errors } = await openPanel(browser, other);
      await page.getByRole('button', { name: 'Check for updates' }).click();
      await componentRow(page, 'Upkeep').getByText('Up to date').waitFor();
      await componentRow(page, 'Left Pad').getByText('The registry answered 500').waitFor();
      await componentRow(page, 'Requests').getByText(`Can't reach 127.0.0.1:${indexPort}`, { exact: true }).waitFor();
      const banner = page.getByRole('region', { name: "2 sources can't be reached" });
      await banner.waitFor();
      const text = await banner.innerText();
      expect(text).toContain(`${new URL(npm.registry).host} answered 500`);
      expect(text).toContain(`127.0.0.1:${indexPort} can't be reached`);
      expect(text).toContain('Left Pad');
      expect(text).toContain('Requests');
      // Not offline: GitHub answered.
      expect(await page.getByRole('region', { name: "Upkeep can't reach the internet." }).count()).toBe(0);
      await page.getByRole('status').filter({ hasText: '2 checks failed' }).waitFor();
      await screenshotBothThemes(page, 'sources-unreachable');

      // The registry recovers: Check again clears its line, the index stays named.
      npm.fixture.clearFaults();
      await banner.getByRole('button', { name: 'Check again' }).click();
      await componentRow(page, 'Left Pad').getByText('Up to date').waitFor();
      await page.getByRole('region', { name: `127.0.0.1:${indexPort} can't be reached` }).waitFor();
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await npm.close();
      await other.close();
    }
  });

  it('says so in the main area when the host goes away, and keeps the last rows on screen', async () => {
    const other = await startPanelHost({ firstRun: true });
    let closed = false;
    try {
      const { page, context } = await openPanel(browser, other);
      await componentRow(page, 'Upkeep').waitFor();
      await other.close();
      closed = true;
      await page.getByRole('region', { name: 'Lost the connection to the Upkeep host' }).waitFor();
      expect(await componentRow(page, 'Upkeep').count()).toBe(1);
      await page.getByRole('heading', { name: 'Components', level: 1 }).waitFor();
      await screenshotBothThemes(page, 'connection-lost');
      await context.close();
    } finally {
      if (!closed) await other.close();
    }
  });
});
