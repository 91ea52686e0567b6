import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub, FakeNpmRegistry } from '../fixtures/servers';
import { makeNpmTarball } from '../fixtures/packages/packages';
import { sourceTarball } from '../fixtures/releases/tree';
import {
  componentRow,
  ensureRendererBuilt,
  launchBrowser,
  openPanel,
  screenshotBothThemes,
  startPanelHost,
  type PanelHost,
} from './helpers/panel';

/**
 * An npm project (installed from `npm pack` tarballs through an npm-registry-like server that then
 * publishes newer versions and an advisory) beside a plain release component, in the real panel.
 */
describe('environment components in the panel', () => {
  let browser: Browser;
  let host: PanelHost;
  let gh: FakeGitHub;
  let registry: FakeNpmRegistry;
  let project: string;
  const savedCache = process.env.npm_config_cache;
  const version = (name: string) =>
    (JSON.parse(readFileSync(path.join(project, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
      .version;

  beforeAll(async () => {
    ensureRendererBuilt();
    host = await startPanelHost();
    process.env.npm_config_cache = path.join(host.home, 'npm-cache');
    const packs = path.join(host.home, 'packs');
    mkdirSync(packs, { recursive: true });
    registry = await FakeNpmRegistry.start();
    const publish = (name: string, v: string) =>
      registry.publish(name, v, { tarball: readFileSync(makeNpmTarball(packs, name, v)) });
    for (const name of ['tiny-a', 'tiny-b', 'tiny-c']) publish(name, '1.0.0');
    project = path.join(host.files, 'srv', 'app');
    mkdirSync(project, { recursive: true });
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({
        name: 'app',
        version: '1.0.0',
        private: true,
        dependencies: { 'tiny-a': '^1.0.0', 'tiny-b': '~1.0.0', 'tiny-c': '1.0.0' },
      }),
    );
    await promisify(execFile)('npm', ['install', '--no-audit', '--no-fund', '--registry', registry.registry], {
      cwd: project,
    });
    publish('tiny-a', '1.0.1');
    publish('tiny-b', '1.0.2');
    publish('tiny-c', '2.0.0');
    registry.advise('tiny-a', {
      id: 1100001,
      url: 'https://github.com/advisories/GHSA-j8xg-fqg3-53r7',
      title: 'Prototype pollution in tiny-a',
      severity: 'high',
      vulnerable_versions: '<1.0.1',
    });

    gh = await FakeGitHub.start();
    const files = (v: string) => ({ VERSION: `${v}\n` });
    gh.addRelease('acme', 'aaa', { tag_name: 'v1.0.0', tarball: sourceTarball('acme-aaa-1', files('1.0.0')) });
    gh.addRelease('acme', 'aaa', {
      tag_name: 'v1.1.0',
      body: 'Faster.',
      tarball: sourceTarball('acme-aaa-2', files('1.1.0')),
    });
    const folder = path.join(host.files, 'srv', 'aaa');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'VERSION'), '1.0.0\n');
    await host.call('setSettings', { patch: { github_api_base: gh.apiBase, min_free_space_mb: 1 } });
    await host.call('addComponents', {
      components: {
        // Sorts before "App dependencies" by name: security-first must move the latter up.
        'aaa-app': {
          name: 'Alpha App',
          type: 'github_release',
          user: 'acme',
          repo: 'aaa',
          api_base: gh.apiBase,
          folder,
          version_from: { file: 'VERSION', regex: '(\\S+)' },
          method: 'release_archive',
        },
        'app-deps': {
          name: 'App dependencies',
          type: 'npm_env',
          method: 'npm_env',
          folder: project,
          registry: registry.registry,
        },
      },
    });
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    if (savedCache === undefined) delete process.env.npm_config_cache;
    else process.env.npm_config_cache = savedCache;
    await browser?.close();
    await host?.close();
    await gh?.close();
    await registry?.close();
  });

  it('shows risk badges, sorts security first, and updates only the packages chosen', async () => {
    const { page, context, errors } = await openPanel(browser, host);
    await page.getByRole('button', { name: 'Check for updates' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /updates? available/ })
      .waitFor();
    const row = componentRow(page, 'App dependencies');
    await row.getByText('Security', { exact: true }).waitFor();
    expect(await componentRow(page, 'Alpha App').getByText('Security', { exact: true }).count()).toBe(0);

    const names = async () =>
      (await page.getByRole('table', { name: 'Components' }).getByRole('row').allInnerTexts())
        .slice(1)
        .map((t) => t.split('\n')[0]);
    expect((await names()).indexOf('App dependencies')).toBeGreaterThan((await names()).indexOf('Alpha App'));
    await page.getByRole('checkbox', { name: 'Security updates first' }).check();
    expect((await names())[0]).toBe('App dependencies');

    const toggle = row.getByRole('button', { name: 'Packages of App dependencies' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const panel = page.getByRole('region', { name: 'Packages of App dependencies' });
    await panel.waitFor();
    await screenshotBothThemes(page, 'components-environment');
    // tiny-c is pinned exactly: listed, but it cannot be chosen.
    expect(await panel.getByRole('checkbox', { name: 'Select tiny-c' }).isDisabled()).toBe(true);
    const update = panel.getByRole('button', { name: 'Update selected' });
    expect(await update.isDisabled()).toBe(true);
    await panel.getByRole('checkbox', { name: 'Select tiny-a' }).check();
    await screenshotBothThemes(page, 'environment-packages');
    await update.click();
    await page.getByRole('status').filter({ hasText: 'App dependencies updated to tiny-a 1.0.1' }).waitFor();
    expect(version('tiny-a')).toBe('1.0.1');
    expect(version('tiny-b')).toBe('1.0.0');
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
