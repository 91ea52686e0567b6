// bench/ui: the panel in Chromium with 2,000 components and 500 backups — time to first render,
// time to filter, time to open and filter the backups list, and scrolling cost.
// Run: npx tsx bench/ui/run.ts   (writes bench/results/ui.json)
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright';
import { ensureRendererBuilt, launchBrowser, repoRoot, startPanelHost } from '../../test/e2e/helpers/panel';
import { round1 as round, stats } from '../lib/stats';

const COMPONENTS = Number(process.env.BENCH_COMPONENTS ?? 2000);
const BACKUPS = Number(process.env.BENCH_BACKUPS ?? 500);
const BACKUP_COMPONENTS = 25;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

/** Set a control's value as a person typing would, and time until the next frame shows the table with `rows` rows. */
async function timeUntilRows(
  page: Page,
  action: { kind: 'input' | 'select'; selector: string; value: string },
  table: string,
  rows: number,
): Promise<number> {
  return page.evaluate(
    async ({ action, table, rows }) => {
      const el = document.querySelector(action.selector) as HTMLInputElement | HTMLSelectElement;
      const proto = action.kind === 'input' ? HTMLInputElement.prototype : HTMLSelectElement.prototype;
      const setter = Object.getOwnPropertyDescriptor(proto, 'value')!.set!;
      const t0 = performance.now();
      setter.call(el, action.value);
      el.dispatchEvent(new Event(action.kind === 'input' ? 'input' : 'change', { bubbles: true }));
      for (;;) {
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        const count = document.querySelector(`[role=table][aria-label="${table}"]`)?.getAttribute('aria-rowcount');
        if (count === String(rows + 1)) return performance.now() - t0;
      }
    },
    { action, table, rows },
  );
}

async function main(): Promise<void> {
  ensureRendererBuilt();
  const host = await startPanelHost();
  const started = Date.now();
  const loadBefore = os.loadavg()[0] ?? 0;
  try {
    // 2,000 components, added in one call as a config file would.
    const mapping: Record<string, unknown> = {};
    for (let i = 0; i < COMPONENTS; i += 1) {
      const n = String(i).padStart(4, '0');
      mapping[`svc-${n}`] = { name: `Service ${n}`, type: 'always_current', current: `1.${i % 50}.${i % 7}` };
    }
    await host.call('addComponents', { components: mapping });

    // 500 real backups of small folders (the engine's own archive code), 20 per component.
    let backupsCreated = 0;
    let backupsNote: string | null = null;
    try {
      await host.call('setSettings', { patch: { backup_max_per_component: 1000 } });
      const folders: Record<string, unknown> = {};
      for (let c = 0; c < BACKUP_COMPONENTS; c += 1) {
        const folder = path.join(host.files, 'apps', `app-${c}`);
        mkdirSync(path.join(folder, 'data'), { recursive: true });
        for (let f = 0; f < 5; f += 1)
          writeFileSync(path.join(folder, 'data', `file-${f}.txt`), `app ${c} file ${f}\n`.repeat(50 + c * 10));
        folders[`app-${c}`] = {
          name: `App ${c}`,
          type: 'always_current',
          current: '1.0.0',
          folder,
          backup: { data: ['data/'] },
        };
      }
      await host.call('addComponents', { components: folders });
      const types = ['full', 'data'];
      for (let i = 0; i < BACKUPS; i += 1) {
        await host.call('createBackup', {
          component: `app-${i % BACKUP_COMPONENTS}`,
          type: types[i % 2],
          name: `Backup ${i}`,
          description: 'bench',
        });
        backupsCreated += 1;
      }
    } catch (error) {
      backupsNote = `backups not measured: ${(error as Error).message}`;
    }
    const totalComponents = (await host.call<{ components: unknown[] }>('listComponents')).components.length;
    const seedSeconds = (Date.now() - started) / 1000;

    const browser = await launchBrowser();
    const firstRender: number[] = [];
    const rowsVisible: number[] = [];
    const filter: number[] = [];
    const clearFilter: number[] = [];
    const openBackups: number[] = [];
    const loadBackups: number[] = [];
    const filterBackups: number[] = [];
    const scrollFrame: number[] = [];
    try {
      for (let run = 0; run < RUNS; run += 1) {
        const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
        const page = await context.newPage();
        await page.goto(host.panelUrl);
        await page.waitForSelector(
          `[role=table][aria-label="Components"][aria-rowcount="${totalComponents + 1}"] [role=row][aria-rowindex="2"]`,
        );
        const marks = await page.evaluate(() => ({
          rendered: performance.getEntriesByName('upkeep:components-rendered')[0]?.startTime ?? NaN,
          now: performance.now(),
        }));
        firstRender.push(marks.rendered);
        rowsVisible.push(marks.now);

        // Filter: "Service 12" matches Service 0012, 0120–0129, 1200–1299 … (and no App).
        const expected = Object.values(mapping).filter((c) =>
          (c as { name: string }).name.toLowerCase().includes('service 12'),
        ).length;
        filter.push(
          await timeUntilRows(
            page,
            { kind: 'input', selector: 'input[type=search]', value: 'Service 12' },
            'Components',
            expected,
          ),
        );
        clearFilter.push(
          await timeUntilRows(
            page,
            { kind: 'input', selector: 'input[type=search]', value: '' },
            'Components',
            totalComponents,
          ),
        );

        // Scroll the whole list, one viewport per frame: what each frame costs.
        scrollFrame.push(
          await page.evaluate(async () => {
            const body = document.querySelector('[role=table][aria-label="Components"] .vt-body') as HTMLElement;
            const steps = Math.ceil(body.scrollHeight / body.clientHeight);
            const t0 = performance.now();
            for (let i = 1; i <= steps; i += 1) {
              body.scrollTop = i * body.clientHeight;
              body.dispatchEvent(new Event('scroll'));
              await new Promise((r) => requestAnimationFrame(() => r(null)));
            }
            return (performance.now() - t0) / steps;
          }),
        );

        if (backupsCreated > 0) {
          // The panel fetches the backups list in the background after the components; wait for it.
          await page.waitForFunction(() => performance.getEntriesByName('upkeep:backups-load').length > 0);
          loadBackups.push(await page.evaluate(() => performance.getEntriesByName('upkeep:backups-load')[0]!.duration));
          openBackups.push(
            await page.evaluate(async (rows) => {
              const button = Array.from(document.querySelectorAll('nav button')).find(
                (b) => b.textContent?.trim() === 'Backups',
              ) as HTMLButtonElement;
              const t0 = performance.now();
              button.click();
              for (;;) {
                await new Promise((r) => requestAnimationFrame(() => r(null)));
                if (
                  document.querySelector('[role=table][aria-label="Backups"]')?.getAttribute('aria-rowcount') ===
                  String(rows + 1)
                )
                  return performance.now() - t0;
              }
            }, backupsCreated),
          );
          const perComponent = backupsCreated / BACKUP_COMPONENTS;
          filterBackups.push(
            await timeUntilRows(
              page,
              { kind: 'select', selector: '.filters select', value: 'app-3' },
              'Backups',
              perComponent,
            ),
          );
        }
        await context.close();
      }
    } finally {
      await browser.close();
    }

    const result = {
      benchmark: 'bench/ui',
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        load_average_1m: { before: round(loadBefore), after: round(os.loadavg()[0] ?? 0) },
        cpu: os.cpus()[0]?.model ?? null,
        platform: `${os.platform()} ${os.release()}`,
        node: process.version,
        browser: 'Debian Chromium (headless, Playwright)',
      },
      data: {
        components: totalComponents,
        backups: backupsCreated,
        seed_seconds: round(seedSeconds),
        note: backupsNote,
      },
      method:
        'Each run opens the panel in a fresh browser context against the headless host (real engine). first_render: navigation start to the first list of components on screen (performance mark in the panel). rows_visible_after_navigation: the same seen from the test driver (includes Playwright polling and round trips on a loaded machine). filter/clear/open-backups/filter-backups: from setting the control to the first animation frame whose table shows the expected row count. backups_list_fetch_background: fetching every page of listBackups (50 a page, the engine’s limit) after start-up, off the critical path. scroll: mean time per frame stepping one viewport per frame through the whole list.',
      results: {
        components_first_render: stats(firstRender),
        components_rows_visible_after_navigation: stats(rowsVisible),
        components_filter: stats(filter),
        components_clear_filter: stats(clearFilter),
        components_scroll_frame: stats(scrollFrame),
        ...(openBackups.length
          ? {
              backups_list_fetch_background: stats(loadBackups),
              backups_open_view: stats(openBackups),
              backups_filter_by_component: stats(filterBackups),
            }
          : {}),
      },
    };
    const out = path.join(repoRoot, 'bench', 'results', 'ui.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result.results, null, 2));
    console.log(`wrote ${path.relative(repoRoot, out)}`);
  } finally {
    await host.close();
  }
}

await main();
