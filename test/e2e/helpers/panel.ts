import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright';
import { serveHeadless } from '../../../electron/http/serve';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/**
 * Screenshots go to docs/screenshots/ (the README shows them) when UPKEEP_SCREENSHOTS=docs, and to the
 * git-ignored test-results/screenshots/ otherwise, so a plain test run leaves the working tree clean.
 */
export const screenshotDir =
  process.env.UPKEEP_SCREENSHOTS === 'docs'
    ? path.join(repoRoot, 'docs', 'screenshots')
    : path.join(repoRoot, 'test-results', 'screenshots');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** The host serves dist/renderer: build it when it is missing or older than the renderer's sources. */
export function ensureRendererBuilt(): void {
  const index = path.join(repoRoot, 'dist', 'renderer', 'index.html');
  const sources = Math.max(newestMtime(path.join(repoRoot, 'renderer')), newestMtime(path.join(repoRoot, 'shared')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs'), 'renderer'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface PanelHost {
  home: string;
  /** A folder beside the data directory for the components' own folders (none may lie inside the data directory). */
  files: string;
  url: string;
  panelUrl: string;
  token: string;
  /** Call a contract method over HTTP, as the panel does; throws the error shape on failure. */
  call<T = unknown>(method: string, request?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** A temp data directory and the real headless host (real engine) serving the built panel. */
export async function startPanelHost(
  options: { home?: string; port?: number; firstRun?: boolean; scheduler?: boolean } = {},
): Promise<PanelHost> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'upkeep-e2e-'));
  const home = options.home ?? path.join(base, 'home');
  const files = path.join(base, 'files');
  mkdirSync(files);
  // First run would add Upkeep itself, checked against the real GitHub, and the background scheduler
  // would check on its own: the tests decide what is checked and when, so both are opt-in.
  const host = await serveHeadless({
    home,
    port: options.port ?? 0,
    firstRun: options.firstRun ?? false,
    scheduler: options.scheduler ?? false,
  });
  const token = new URL(host.panelUrl).hash.replace(/^#token=/, '');
  return {
    home,
    files,
    url: host.url,
    panelUrl: host.panelUrl,
    token,
    async call<T>(method: string, request: unknown = {}): Promise<T> {
      const response = await fetch(new URL(`api/${method}`, host.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(request),
      });
      const body = (await response.json()) as { result?: T; error?: { code: string; message: string } };
      if (body.error) throw Object.assign(new Error(`${body.error.code}: ${body.error.message}`), body.error);
      return body.result as T;
    },
    async close() {
      await host.close();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

export interface PanelSession {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (CSP violations show up here). */
  errors: string[];
}

export async function openPanel(
  browser: Browser,
  host: PanelHost,
  colorScheme: 'light' | 'dark' = 'light',
): Promise<PanelSession> {
  const context = await browser.newContext({
    viewport: { width: 1360, height: 860 },
    colorScheme,
    reducedMotion: 'reduce',
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

/** Screenshots of a view in both themes, for docs/screenshots/ (and for people to look at). */
export async function screenshotBothThemes(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: path.join(screenshotDir, `${name}-${colorScheme}.png`), animations: 'disabled' });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** A component row by the component's name. */
export function componentRow(page: Page, name: string) {
  return page.getByRole('table', { name: 'Components' }).getByRole('row').filter({ hasText: name });
}
