import { createServer } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutResult } from '../../shared/types/fleet';
import { FakeGitHub } from '../fixtures/servers';
import { startSshd, type Sshd } from '../fixtures/servers/sshd';
import { buildCli, upkeepAsync } from '../helpers/cli';
import { addSampleReleases, installedVersion, sampleAppComponent, sshHost, withLocalUpkeep } from '../helpers/remote';
import { tempDir } from '../helpers/temp';
import { seriousViolations } from './helpers/axe';
import {
  ensureRendererBuilt,
  launchBrowser,
  openPanel,
  screenshotBothThemes,
  screenshotDir,
  startPanelHost,
  type PanelHost,
  type PanelSession,
} from './helpers/panel';
import { appFiles, installApp } from './helpers/sample-app';

/** A port nothing listens on: a host there is unreachable. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const FAILING_HEALTH = [process.execPath, '-e', 'console.error("health: port 8080 refused"); process.exit(3)'];

describe('the panel across hosts (two remote Upkeeps over a real OpenSSH server)', () => {
  let sshd: Sshd;
  let gh: FakeGitHub;
  let host: PanelHost;
  let browser: Browser;
  let session: PanelSession;
  let page: Page;
  const homes: Record<'pi' | 'vps', string> = { pi: '', vps: '' };
  const folders: Record<string, string> = {};

  beforeAll(async () => {
    buildCli();
    ensureRendererBuilt();
    sshd = await startSshd();
    gh = await FakeGitHub.start();
    for (const repo of ['webapp', 'tool', 'api']) addSampleReleases(gh, repo, appFiles);
    for (const name of ['pi', 'vps'] as const) {
      homes[name] = tempDir(`upkeep-${name}-`);
      const files = tempDir(`upkeep-${name}-files-`);
      const components: Record<string, unknown> = {};
      for (const repo of ['webapp', 'tool', 'api']) {
        const folder = path.join(files, repo);
        folders[`${name}/${repo}`] = folder;
        installApp(folder, '1.0.0');
        // The api's health check fails on the pi only: a rollout with the pi as canary must stop there.
        components[repo] = sampleAppComponent(
          gh,
          repo,
          folder,
          repo === 'api' && name === 'pi' ? FAILING_HEALTH : undefined,
        );
      }
      await withLocalUpkeep(homes[name], async (c) => {
        await c.call('setSettings', { patch: { github_api_base: gh.apiBase, min_free_space_mb: 1 } });
        await c.call('addComponents', { components });
      });
    }
    host = await startPanelHost();
    await host.call('setSettings', { patch: { github_api_base: gh.apiBase, min_free_space_mb: 1 } });
    await host.call('addHost', sshHost(sshd, 'pi', homes.pi));
    await host.call('addHost', sshHost(sshd, 'vps', homes.vps));
    browser = await launchBrowser();
    session = await openPanel(browser, host);
    page = session.page;
  }, 120_000);

  afterAll(async () => {
    await session?.context.close();
    await browser?.close();
    await host?.close();
    await sshd?.stop();
    await gh?.close();
  });

  const fleetTable = () => page.getByRole('table', { name: 'Components on every host' });
  const row = (hostName: string, id: string) => page.locator(`tr[data-host="${hostName}"][data-component="${id}"]`);

  async function showAllHosts(): Promise<void> {
    await page.getByLabel('Host', { exact: true }).selectOption({ label: 'All hosts' });
    await page.getByRole('heading', { name: 'All hosts', level: 1 }).waitFor();
    await row('vps', 'api').waitFor({ timeout: 60_000 });
  }

  it('All hosts lists each host’s components with a Host column and each host connected', async () => {
    await showAllHosts();
    await expect.poll(() => fleetTable().locator('thead th').first().textContent()).toBe('Host');
    for (const name of ['pi', 'vps']) {
      for (const id of ['webapp', 'tool', 'api']) {
        await expect.poll(() => row(name, id).locator('td').first().textContent()).toBe(name);
      }
      await expect
        .poll(() => page.locator(`.host-state[data-host="${name}"] .host-state-label`).textContent())
        .toBe('Connected');
    }
    await expect
      .poll(() => page.locator('.host-state[data-host="local"] .host-state-label').textContent())
      .toBe('Connected');
    expect(await seriousViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await seriousViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });
    await screenshotBothThemes(page, 'all-hosts');
  }, 90_000);

  it('Update now on a remote component updates it there, with its live progress in the row', async () => {
    const steps: string[] = [];
    // Every update_progress event the panel receives from the pi, as it arrives (the host relays them live).
    await page.exposeFunction('__fleetStep', (s: string) => void steps.push(s));
    await page.evaluate(() => {
      const seen = new Set<string>();
      const observer = new MutationObserver(() => {
        const cell = document.querySelector('tr[data-host="pi"][data-component="webapp"] td[data-label="Status"]');
        const text = cell?.textContent ?? '';
        if (text.startsWith('Updating:') && !seen.has(text)) {
          seen.add(text);
          (window as unknown as { __fleetStep(s: string): void }).__fleetStep(text);
        }
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await row('pi', 'webapp').getByRole('button', { name: 'Update now: webapp on pi' }).click();
    await expect.poll(() => installedVersion(folders['pi/webapp'] ?? ''), { timeout: 60_000 }).toBe('1.1.0');
    expect(installedVersion(folders['vps/webapp'] ?? '')).toBe('1.0.0');
    expect(steps.length).toBeGreaterThan(0);
    expect(
      steps.every((s) =>
        /^Updating: (preflight|backup|download|verify|apply|install|migrate|restart|health|commit)/.test(s),
      ),
    ).toBe(true);
    await expect
      .poll(() => row('pi', 'webapp').locator('td[data-label="Installed"]').textContent(), { timeout: 30_000 })
      .toBe('1.1.0');
  }, 90_000);

  it('the host relays the remote host’s events live, tagged with its name (SSE)', async () => {
    const controller = new AbortController();
    const response = await fetch(new URL('api/events', host.url), {
      headers: { Authorization: `Bearer ${host.token}` },
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const frames = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })().catch(() => undefined);
    let answered = false;
    let progressBeforeAnswer = false;
    const update = fetch(new URL('api/updateComponents?host=vps', host.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${host.token}` },
      body: JSON.stringify({ ids: ['webapp'] }),
    }).then(async (r) => {
      progressBeforeAnswer = /event: host_event\ndata: \{"host":"vps","event":"update_progress"/.test(text);
      answered = true;
      return (await r.json()) as { result: { results: { status: string }[] } };
    });
    const body = await update;
    controller.abort();
    await frames;
    expect(answered).toBe(true);
    expect(body.result.results[0]?.status).toBe('succeeded');
    // Progress arrived while the update ran, not after: live.
    expect(progressBeforeAnswer).toBe(true);
    expect(text).toMatch(/event: host_event\ndata: \{"host":"vps","event":"update_succeeded"/);
    expect(installedVersion(folders['vps/webapp'] ?? '')).toBe('1.1.0');
  }, 60_000);

  it('History of a remote component opens that host’s history', async () => {
    await row('pi', 'webapp').getByRole('button', { name: 'History: webapp on pi' }).click();
    await page.getByRole('heading', { name: 'History', level: 1 }).waitFor();
    await expect.poll(() => page.getByLabel('Host', { exact: true }).inputValue()).toBe('pi');
    await expect.poll(() => page.locator('main').textContent(), { timeout: 20_000 }).toContain('1.1.0');
    await page.getByRole('button', { name: 'Components' }).click();
    await showAllHosts();
  }, 60_000);

  it('Settings → Hosts adds, tests and removes a host; an unreachable one shows why and the rest still work', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Manage hosts…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Hosts' });
    await dialog.getByLabel('Name').fill('gone');
    await dialog.getByLabel('SSH target').fill(sshd.target);
    await dialog.getByLabel('Port').fill(String(await closedPort()));
    await dialog.getByLabel('known_hosts file').fill(sshd.knownHosts);
    await dialog.getByRole('button', { name: 'Add host' }).click();
    await dialog.locator('li[data-host="gone"]').waitFor();
    await dialog.getByRole('button', { name: 'Test pi' }).click();
    await expect
      .poll(() => dialog.locator('li[data-host="pi"]').textContent(), { timeout: 30_000 })
      .toMatch(/Answers: Upkeep \S+ on /);
    await dialog.getByRole('button', { name: 'Test gone' }).click();
    await expect
      .poll(() => dialog.locator('li[data-host="gone"]').textContent(), { timeout: 30_000 })
      .toContain('HOST_UNREACHABLE');
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect
      .poll(() => page.locator('.host-state[data-host="gone"] .host-state-label').textContent(), { timeout: 30_000 })
      .toBe('Unreachable');
    expect(await page.locator('.host-state[data-host="gone"] .host-state-detail').textContent()).toContain(
      'HOST_UNREACHABLE',
    );
    // The other hosts still answer and act.
    await expect
      .poll(() => page.locator('.host-state[data-host="vps"] .host-state-label').textContent(), { timeout: 30_000 })
      .toBe('Connected');
    await row('vps', 'webapp').getByRole('button', { name: 'Check: webapp on vps' }).click();
    await expect
      .poll(() => row('vps', 'webapp').locator('td[data-label="Latest"]').textContent(), { timeout: 30_000 })
      .toBe('1.1.0');
    // Remove it again.
    await page.getByRole('button', { name: 'Manage hosts' }).click();
    await dialog.getByRole('button', { name: 'Remove gone' }).click();
    await expect.poll(() => dialog.locator('li[data-host="gone"]').count()).toBe(0);
    const { hosts } = await host.call<{ hosts: { name: string }[] }>('listHosts');
    expect(hosts.map((h) => h.name)).toEqual(['pi', 'vps']);
    await page.keyboard.press('Escape');
  }, 120_000);

  it('a host whose key is not known is refused, and the All hosts view shows the fingerprint to check', async () => {
    const emptyKnownHosts = sshd.file('empty_known_hosts', '');
    await host.call('addHost', sshHost(sshd, 'newbox', homes.vps, { known_hosts: emptyKnownHosts }));
    await page.getByRole('button', { name: 'Refresh' }).click();
    const state = page.locator('.host-state[data-host="newbox"]');
    await expect
      .poll(() => state.locator('.host-state-label').textContent(), { timeout: 30_000 })
      .toBe('Host key refused');
    const detail = (await state.locator('.host-state-detail').textContent()) ?? '';
    expect(detail).toContain('HOST_KEY_UNKNOWN');
    expect(detail).toContain(sshd.fingerprint);
    expect(await seriousViolations(page)).toEqual([]);
    await host.call('removeHost', { name: 'newbox' });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => state.count()).toBe(0);
  }, 60_000);

  it('All hosts at phone width: nothing wider than the screen, still accessible', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await row('pi', 'api').waitFor();
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: path.join(screenshotDir, 'all-hosts-phone.png') });
    } finally {
      await page.setViewportSize({ width: 1360, height: 860 });
    }
  }, 60_000);

  it('a rollout with a passing canary updates every host', async () => {
    await row('vps', 'tool').getByRole('button', { name: 'Roll out: tool across hosts' }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll out tool' });
    // This computer does not track tool: the canary is the vps, then the pi.
    await dialog.getByRole('button', { name: 'Start rollout' }).click();
    await dialog.locator('.rollout-done').waitFor({ timeout: 90_000 });
    expect(installedVersion(folders['vps/tool'] ?? '')).toBe('1.1.0');
    expect(installedVersion(folders['pi/tool'] ?? '')).toBe('1.1.0');
    expect(await dialog.locator('li[data-host="vps"]').getAttribute('data-status')).toBe('succeeded');
    expect(await dialog.locator('li[data-host="pi"]').getAttribute('data-status')).toBe('succeeded');
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
  }, 120_000);

  it('a rollout whose canary fails its health check stops there and names the host, component and step', async () => {
    await row('pi', 'api').getByRole('button', { name: 'Roll out: api across hosts' }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll out api' });
    await dialog.getByRole('button', { name: 'Start rollout' }).click();
    const stopped = dialog.locator('.rollout-stopped');
    await stopped.waitFor({ timeout: 90_000 });
    const text = (await stopped.textContent()) ?? '';
    expect(text).toContain('Rollout stopped at pi (the canary): api, step health');
    expect(text).toContain('HEALTH_CHECK_FAILED');
    // The canary was rolled back; the vps was never touched.
    expect(installedVersion(folders['pi/api'] ?? '')).toBe('1.0.0');
    expect(installedVersion(folders['vps/api'] ?? '')).toBe('1.0.0');
    expect(await dialog.locator('li[data-host="vps"]').getAttribute('data-status')).toBe('not_started');
    await screenshotBothThemes(page, 'rollout-stopped');
    await page.keyboard.press('Escape');
  }, 120_000);

  it('upkeep rollout on the command line: the same staged rollout, exit 1 and where it stopped', async () => {
    const cli = await upkeepAsync([
      '--home',
      host.home,
      'rollout',
      'api',
      '--canary',
      'pi',
      '--hosts',
      'vps',
      '--json',
    ]);
    expect(cli.code).toBe(1);
    const result = (cli.json() as { rollout: RolloutResult }).rollout;
    expect(result.status).toBe('stopped');
    expect(result.stopped_at).toMatchObject({
      host: 'pi',
      component: 'api',
      step: 'health',
      canary: true,
      error: { code: 'HEALTH_CHECK_FAILED' },
    });
    expect(installedVersion(folders['vps/api'] ?? '')).toBe('1.0.0');
    const unknown = await upkeepAsync(['--home', host.home, 'rollout', 'api', '--canary', 'nowhere', '--json']);
    expect(unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND', details: { kind: 'host' } } });
  }, 120_000);
});
