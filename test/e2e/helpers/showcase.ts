import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright';
import { afterAll, beforeAll } from 'vitest';
import { FakeGitHub } from '../../fixtures/servers';
import { sourceTarball } from '../../fixtures/releases/tree';
import { ensureRendererBuilt, launchBrowser, startPanelHost, type PanelHost } from './panel';
import { appFiles, installApp } from './sample-app';

/**
 * A data directory with something in every view: two updates pending (one whose health check fails,
 * so updating it rolls back), release notes with a link, a component with a long name and version,
 * a check that fails, a backup, and a history entry once `seedHistory` has run. Served by the real
 * headless host; the releases come from a local fake GitHub.
 */
export interface Showcase {
  host: PanelHost;
  gh: FakeGitHub;
  close(): Promise<void>;
}

const NOTES = ['## What changed', '', '- Faster **search**', '- See [the guide](https://example.org/guide)'].join('\n');
export const LONG_NAME = 'Municipal Records Archive Synchronisation Service';
export const LONG_VERSION = '2025.11.14-build.20251114.173002';

/** `home`: a data directory of the caller's (it outlives the host, which a test may stop and start again). */
export async function startShowcase(options: { home?: string; fillers?: number } = {}): Promise<Showcase> {
  const gh = await FakeGitHub.start();
  gh.addRelease('acme', 'webapp', { tag_name: 'v1.0.0', tarball: sourceTarball('acme-webapp-aaa', appFiles('1.0.0')) });
  gh.addRelease('acme', 'webapp', {
    tag_name: 'v1.1.0',
    name: 'Web App 1.1.0',
    body: NOTES,
    tarball: sourceTarball('acme-webapp-bbb', appFiles('1.1.0')),
  });
  gh.addRelease('acme', 'broken', { tag_name: 'v2.0.0', tarball: sourceTarball('acme-broken-aaa', appFiles('2.0.0')) });
  gh.addRelease('acme', 'broken', { tag_name: 'v2.1.0', tarball: sourceTarball('acme-broken-bbb', appFiles('2.1.0')) });
  const host = await startPanelHost(options.home ? { home: options.home } : {});
  const web = path.join(host.files, 'srv', 'webapp');
  const broken = path.join(host.files, 'srv', 'broken');
  const archive = path.join(host.files, 'srv', 'archive');
  installApp(web, '1.0.0');
  installApp(broken, '2.0.0');
  installApp(archive, LONG_VERSION);
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
      webapp: { ...common, name: 'Web App', repo: 'webapp', folder: web },
      broken: {
        ...common,
        name: 'Broken App',
        repo: 'broken',
        folder: broken,
        health: { command: ['node', '-e', 'process.exit(3)'], timeout: 20 },
      },
      // No releases on the fake GitHub: its check fails, and the row says why.
      gone: { ...common, name: 'Gone Project', repo: 'gone', folder: path.join(host.files, 'srv', 'gone') },
      archive: {
        name: LONG_NAME,
        type: 'always_current',
        current_version: LONG_VERSION,
        folder: archive,
        backup: { config: ['app.py'] },
      },
      // Rows sorted before the others, so the rows with an update sit low in a long list.
      ...Object.fromEntries(
        Array.from({ length: options.fillers ?? 0 }, (_, i) => [
          `filler-${i}`,
          { name: `A filler ${String(i).padStart(2, '0')}`, type: 'always_current', current_version: '1.0.0' },
        ]),
      ),
    },
  });
  await host.call('createBackup', { component: 'archive', type: 'full', name: 'before-migration' });
  // A history entry: the broken app's update fails its health check and is rolled back.
  await host.call('checkComponents', { force: true });
  await host.call('updateComponents', { ids: ['broken'] });
  return {
    host,
    gh,
    async close() {
      await host.close();
      await gh.close();
    },
  };
}

/** Check every component from the panel and wait for the outcome to be announced. */
export async function checkAll(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Check for updates' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /updates? available/ })
    .waitFor();
}

/** The panel's views, by their navigation button. */
export async function openView(page: Page, name: 'Components' | 'Backups' | 'History'): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name, exact: true }).click();
  await page.getByRole('heading', { name, level: 1 }).waitFor();
}

export const PHONE = { width: 390, height: 844 };

/** The panel in a fresh browser context of the given size and theme. */
export async function openAt(
  browser: Browser,
  host: PanelHost,
  options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1360, height: 860 },
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: 'reduce',
    hasTouch: options.viewport === PHONE,
    isMobile: false,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(host.panelUrl);
  await page.getByRole('heading', { name: 'Components', level: 1 }).waitFor();
  return { context, page, errors };
}

/**
 * For a suite: the showcase and a browser, started side by side before its tests and closed after
 * them. Read `suite.show` and `suite.browser` inside the tests.
 */
export function useShowcase(): { readonly show: Showcase; readonly browser: Browser } {
  let show: Showcase | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    ensureRendererBuilt();
    [show, browser] = await Promise.all([startShowcase(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await show?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the showcase is started before the suite’s tests (useShowcase)');
    return value;
  };
  return {
    get show() {
      return started(show);
    },
    get browser() {
      return started(browser);
    },
  };
}
