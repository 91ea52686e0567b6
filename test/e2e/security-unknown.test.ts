import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNpmRegistry } from '../fixtures/servers';
import {
  componentRow,
  ensureRendererBuilt,
  launchBrowser,
  openPanel,
  startPanelHost,
  type PanelHost,
} from './helpers/panel';

/**
 * A package whose registry answers its packument but refuses the bulk advisory endpoint (405, as
 * read-only mirrors do): the panel says "Security unknown", with what failed, never nothing.
 */
describe('security unknown in the panel', () => {
  let browser: Browser;
  let host: PanelHost;
  let registry: FakeNpmRegistry;

  beforeAll(async () => {
    ensureRendererBuilt();
    host = await startPanelHost();
    registry = await FakeNpmRegistry.start();
    registry.publish('widget', '1.2.0');
    registry.publish('widget', '1.3.0');
    registry.fixture.fault('/-/npm/v1/security/advisories/bulk', {
      kind: 'status',
      status: 405,
      body: '{"error":"Method Not Allowed"}',
    });
    await host.call('addComponents', {
      components: {
        widget: {
          name: 'Widget',
          type: 'npm_release',
          package: 'widget',
          current: '1.2.0',
          registry: registry.registry,
        },
      },
    });
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await registry?.close();
  });

  it('shows a "Security unknown" badge whose title says what could not be read', async () => {
    const { page, context, errors } = await openPanel(browser, host);
    await page.getByRole('button', { name: 'Check for updates' }).click();
    const badge = componentRow(page, 'Widget').getByText('Security unknown', { exact: true });
    await badge.waitFor();
    const title = await badge
      .locator('xpath=ancestor-or-self::span[contains(@class, "badge")][1]')
      .getAttribute('title');
    expect(title).toMatch(/Unknown whether this update is a security fix: .*405.*\(UPSTREAM_ERROR\)/);
    // No plain "Security" badge: unknown is not a known fix either.
    expect(await componentRow(page, 'Widget').getByText('Security', { exact: true }).count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
