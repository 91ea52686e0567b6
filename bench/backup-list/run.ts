// bench/backup-list: fetching the whole backups list page by page, as the panel does (listBackups,
// 50 a page, sorted by date, until a short page), over ~500 small real backups.
// Run: npx tsx bench/backup-list/run.ts   (writes bench/results/backup-list.json)
// BENCH_BACKUPS (default 500), BENCH_RUNS (default 5), BENCH_BIG (default 0): that many extra
// backups whose manifests hold 10,000 per-file entries (~2 MB each, as a 10,000-file backup's do).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateComponent } from '../../electron/core/config/validate';
import { createServices, type Services } from '../../electron/core/services';
import { round1 as round, stats } from '../lib/stats';

const BACKUPS = Number(process.env.BENCH_BACKUPS ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BIG = Number(process.env.BENCH_BIG ?? 0);
const COMPONENTS = 25;
const PAGE = 50;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every page, one after another, as renderer/src/store/backups-slice.ts loadBackups() fetches them. */
async function fetchAll(services: Services): Promise<{ ms: number; backups: number; pages: number }> {
  const t0 = performance.now();
  let backups = 0;
  let pages = 0;
  for (let offset = 0; ; offset += PAGE) {
    const page = await services.backups.list({ sort: 'date', limit: PAGE, offset });
    pages += 1;
    backups += page.backups.length;
    if (page.backups.length < PAGE) break;
  }
  return { ms: performance.now() - t0, backups, pages };
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-bench-list-'));
  const home = path.join(root, 'home');
  try {
    const seed = createServices({ home, host: 'cli' });
    seed.settings.set({ backup_max_per_component: 1000 });
    const started = Date.now();
    const components: Record<string, ReturnType<typeof validateComponent>> = {};
    for (let c = 0; c < COMPONENTS; c += 1) {
      const folder = path.join(root, 'apps', `app-${c}`);
      mkdirSync(path.join(folder, 'data'), { recursive: true });
      for (let f = 0; f < 5; f += 1)
        writeFileSync(path.join(folder, 'data', `file-${f}.txt`), `app ${c} file ${f}\n`.repeat(50 + c * 10));
      components[`app-${c}`] = validateComponent(`app-${c}`, {
        name: `App ${c}`,
        type: 'never_current',
        current: '1.0.0',
        folder,
        backup: { data: ['data/'] },
      });
    }
    seed.components.add(components);
    const types = ['full', 'data'] as const;
    for (let i = 0; i < BACKUPS; i += 1) {
      await seed.backups.create({
        component: `app-${i % COMPONENTS}`,
        type: types[i % 2],
        name: `Backup ${i}`,
        description: 'bench',
        version: '1.0.0',
      });
    }
    // Big manifests: a copy of a real backup's manifest and archive, its per-file list padded to 10,000 entries.
    for (let i = 0; i < BIG; i += 1) {
      const b = await seed.backups.create({ component: 'app-0', name: `Big ${i}`, version: '1.0.0' });
      const file = path.join(path.dirname(b.archive), `${b.id}.json`);
      const m = JSON.parse(readFileSync(file, 'utf8')) as { entries: unknown[] };
      m.entries = Array.from({ length: 10_000 }, (_, k) => ({
        path: `data/deep/folder-${k % 100}/file-${k}.txt`,
        type: 'file',
        size: 1234,
        mode: 0o644,
        mtime: 1_700_000_000 + k,
        sha256: 'ab'.repeat(32),
      }));
      writeFileSync(file, `${JSON.stringify(m)}\n`);
    }
    const seedSeconds = (Date.now() - started) / 1000;

    // Cold: a new engine (as after a start), first fetch. Warm: the same engine fetching again.
    const cold: number[] = [];
    const warm: number[] = [];
    let shape = { backups: 0, pages: 0 };
    for (let run = 0; run < RUNS; run += 1) {
      const services = createServices({ home, host: 'cli' });
      const first = await fetchAll(services);
      cold.push(first.ms);
      warm.push((await fetchAll(services)).ms);
      shape = { backups: first.backups, pages: first.pages };
    }
    const result = {
      benchmark: 'bench/backup-list',
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        load_average_1m: round(os.loadavg()[0] ?? 0),
        cpu: os.cpus()[0]?.model ?? null,
        platform: `${os.platform()} ${os.release()}`,
        node: process.version,
      },
      data: { backups: shape.backups, big_manifests: BIG, pages: shape.pages, seed_seconds: round(seedSeconds) },
      method:
        'services.backups.list({ sort: date, limit: 50, offset }) page after page until a short page, as the panel loads the list. cold: the first fetch by a freshly created engine over the same data directory; warm: the same engine fetching everything again.',
      results: { fetch_all_pages_cold: stats(cold), fetch_all_pages_warm: stats(warm) },
    };
    const out = path.join(repoRoot, 'bench', 'results', 'backup-list.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify({ data: result.data, results: result.results }, null, 2));
    console.log(`wrote ${path.relative(repoRoot, out)}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
