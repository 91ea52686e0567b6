import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../helpers/cli';
import { componentRow, ensureRendererBuilt, launchBrowser, repoRoot } from './helpers/panel';

interface Demo {
  child: ChildProcess;
  panelUrl: string;
  home: string;
}

/** `upkeep demo` as a newcomer starts it: a real child process, a temp sandbox, no config. */
function startDemo(tmp: string): Promise<Demo> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'upkeep.mjs'), 'demo', '--port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, TMPDIR: tmp, UPKEEP_HOME: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const url = /^(http:\/\/127\.0\.0\.1:\d+\/#token=\S+)$/m.exec(stdout)?.[1];
      const home = /Sandbox \(data directory and the samples\): (\S+)/.exec(stderr)?.[1];
      if (url && home) resolve({ child, panelUrl: url, home });
    });
    child.on('exit', (code) => reject(new Error(`upkeep demo exited with ${code}: ${stderr}`)));
  });
}

describe("the demo: a newcomer's first five minutes, offline", () => {
  let browser: Browser;
  let demo: Demo;
  let tmp: string;

  beforeAll(async () => {
    ensureRendererBuilt();
    buildCli();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'upkeep-demo-e2e-'));
    demo = await startDemo(tmp);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    if (demo && demo.child.exitCode === null && demo.child.signalCode === null) {
      const gone = new Promise((resolve) => demo.child.once('exit', resolve));
      demo.child.kill('SIGKILL');
      await gone;
    }
    // The sandbox the demo made in its temp folder goes with it.
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('updates the sample web app behind a backup, rolls the failing service back by itself, and restores the backup from the list', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, reducedMotion: 'reduce' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(demo.panelUrl);
    await page.getByRole('heading', { name: 'Components', level: 1 }).waitFor();

    // Checked at start: every sample offers its update without a click on "Check".
    const web = componentRow(page, 'Sample web app');
    const api = componentRow(page, 'Sample API service');
    await web.getByText('Update available').waitFor();
    await api.getByText('Update available').waitFor();
    await componentRow(page, 'Sample plugin').getByText('Update available').waitFor();

    // Update now: the backup comes first, then the new release, and the row ends up to date.
    const webApp = path.join(demo.home, 'samples', 'web-app');
    const env = readFileSync(path.join(webApp, '.env'), 'utf8');
    await web.getByRole('button', { name: 'Update now' }).click();
    const run = page.getByRole('article', { name: 'Update of Sample web app' });
    await run.getByText('Updated', { exact: true }).waitFor();
    const steps = (await run.getByRole('list', { name: 'Steps' }).getByRole('listitem').allInnerTexts()).map((t) =>
      t.replace(/^\W+/, '').trim(),
    );
    expect(steps.findIndex((s) => s.startsWith('Backup'))).toBeGreaterThanOrEqual(0);
    expect(steps.findIndex((s) => s.startsWith('Backup'))).toBeLessThan(
      steps.findIndex((s) => s.startsWith('Download')),
    );
    await web.getByText('Up to date').waitFor();
    expect(readFileSync(path.join(webApp, 'VERSION'), 'utf8')).toBe('1.1.0\n');
    expect(readFileSync(path.join(webApp, '.env'), 'utf8')).toBe(env);
    expect(existsSync(path.join(webApp, 'uploads', 'holiday.txt'))).toBe(true);

    // The service's new release fails its health check: rolled back by itself, and the run says why.
    await api.getByRole('button', { name: 'Update now' }).click();
    const failed = page.getByRole('article', { name: 'Update of Sample API service' });
    await failed.getByText('Rolled back', { exact: true }).waitFor();
    expect(await failed.innerText()).toContain('HEALTH_CHECK_FAILED');
    await api.getByText('Rolled back').waitFor();
    expect(readFileSync(path.join(demo.home, 'samples', 'api-service', 'VERSION'), 'utf8')).toBe('1.0.0\n');
    expect(existsSync(path.join(demo.home, 'samples', 'api-service', 'server.js'))).toBe(true);

    // Restore the web app's pre-update backup from the Backups list: 1.0.0 is back.
    await page.getByRole('navigation').getByRole('button', { name: 'Backups', exact: true }).click();
    const table = page.getByRole('table', { name: 'Backups' });
    const backup = table
      .getByRole('row')
      .filter({ hasText: 'Sample web app' })
      .filter({ hasText: 'Before update from 1.0.0' });
    await backup.waitFor();
    await backup.getByRole('button', { name: 'Restore', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: /^Restore / });
    expect(await dialog.innerText()).toContain(webApp);
    await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Restored / })
      .waitFor();
    expect(readFileSync(path.join(webApp, 'VERSION'), 'utf8')).toBe('1.0.0\n');
    expect(readFileSync(path.join(webApp, '.env'), 'utf8')).toBe(env);
    expect(existsSync(path.join(webApp, 'legacy.js'))).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });
});
