/**
 * bench/backup: Upkeep's backup create and restore against `tar czf` and `tar xzf` on the same
 * tree in the same run — about 300 MB in 10,000 files, most files source-like text, most bytes
 * in already-compressed binaries — with archive sizes and peak memory (VmHWM of the process
 * doing the work). Writes bench/results/backup.json and bench/results/backup.md.
 *
 * Upkeep runs as a bundled worker (as the CLI runs: one esbuild bundle on plain Node), driving
 * BackupStore — the code behind services.backups — with no exclusions, so both sides archive the
 * same bytes. Create includes what a backup must do and tar does not: a sha256 per file and of
 * the archive, the manifest, fsync. Restore includes verifying every file against the manifest,
 * extracting into a staging folder and swapping it into place (safety backup off, like tar).
 *
 * Trees of several shapes (bench/lib/shapes.ts): `app` (the default; the tree above),
 * `node_modules` (30,000 small text files), `media` (20 × 20 MB incompressible files) and `mixed`
 * (10,000 mid-size files of unknown type, ~300 MB, random, text and structured binary). Each shape
 * writes bench/results/backup-<shape>.json and .md (`app`: backup.json and backup.md, as before);
 * with more than one, bench/results/backup-shapes.md sums them up.
 *
 * Env: BENCH_BACKUP_SHAPES (comma-separated, or `all`; default `app`), BENCH_BACKUP_ROUNDS
 * (default 3), BENCH_BACKUP_DIR (default <tmp>/upkeep-bench-backup), BENCH_BACKUP_SEED (default 42),
 * BENCH_BACKUP_SMALL=1 (every tree at a tenth of its size, for a quick look),
 * BENCH_BACKUP_SETTLE_S (the pause after deleting earlier outputs, default 370: see settle()).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleBenchWorker } from '../lib/bundle';
import { median } from '../lib/stats';
import { generateShape, isShapeName, SHAPE_NAMES, type ShapeName, type ShapeStats } from '../lib/shapes';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const small = process.env.BENCH_BACKUP_SMALL === '1';
const rounds = Math.max(1, Number(process.env.BENCH_BACKUP_ROUNDS ?? 3));
const work = path.resolve(
  process.env.BENCH_BACKUP_DIR ?? path.join(os.tmpdir(), `upkeep-bench-backup${small ? '-small' : ''}`),
);
const seed = Number(process.env.BENCH_BACKUP_SEED ?? 42);
const shapesAsked = (process.env.BENCH_BACKUP_SHAPES ?? 'app')
  .split(',')
  .map((x) => x.trim())
  .filter(Boolean);
const shapes: ShapeName[] = shapesAsked.includes('all') ? [...SHAPE_NAMES] : shapesAsked.filter(isShapeName);
if (shapes.length !== shapesAsked.length && !shapesAsked.includes('all')) {
  throw new Error(
    `BENCH_BACKUP_SHAPES: unknown shape in ${shapesAsked.join(',')}; known: ${SHAPE_NAMES.join(', ')}, all`,
  );
}
const settleAfterDeleteMs =
  process.env.BENCH_BACKUP_SETTLE_S === undefined ? 370_000 : Number(process.env.BENCH_BACKUP_SETTLE_S) * 1000;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function timed(cmd: string, args: string[], options: { cwd?: string } = {}): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** Parse GNU time's `-f '@@%U %S %M'` line: CPU seconds (user+sys, children included) and max RSS (KB → MB). */
function parseTime(stderr: string): { cpu_s: number | null; peak_rss_mb: number | null } {
  const line = stderr
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('@@'));
  if (!line) return { cpu_s: null, peak_rss_mb: null };
  const [user, sys, kb] = line.slice(2).trim().split(/\s+/).map(Number) as [number, number, number];
  return { cpu_s: Math.round((user + sys) * 100) / 100, peak_rss_mb: Math.round(kb / 102.4) / 10 };
}

/** Wall time, CPU time and max RSS of a child (tar waits for its gzip, so gzip's CPU counts). */
function timedWithRss(cmd: string, args: string[]): { ms: number; cpu_s: number | null; peak_rss_mb: number | null } {
  if (!TIME) return { ms: timed(cmd, args), cpu_s: null, peak_rss_mb: null };
  const start = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-f', '@@%U %S %M', cmd, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return { ms, ...parseTime(r.stderr) };
}

interface WorkerResult {
  op: string;
  ms: number;
  wall_ms: number;
  cpu_s: number | null;
  peak_rss_mb: number | null;
  id: string;
  archive?: string;
  archive_bytes?: number;
}

function runWorker(bundle: string, args: string[], env: NodeJS.ProcessEnv = {}): WorkerResult {
  const start = process.hrtime.bigint();
  const argv = TIME
    ? ([TIME, ['-f', '@@%U %S %M', process.execPath, bundle, ...args]] as const)
    : ([process.execPath, [bundle, ...args]] as const);
  const r = spawnSync(argv[0], [...argv[1]], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 1024 * 1024,
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`worker ${args[0]} failed: ${r.stderr}`);
  const reported = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Omit<WorkerResult, 'wall_ms' | 'cpu_s'>;
  return { ...reported, wall_ms: Math.round(wall), cpu_s: parseTime(r.stderr).cpu_s };
}

/** A digest of a whole tree (paths, types, modes, contents, link targets). */
function treeDigest(root: string): string {
  const hash = createHash('sha256');
  const visit = (rel: string) => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = path.join(root, r);
      const st = lstatSync(p);
      hash.update(`${r}\0${st.mode & 0o170777}\0`);
      if (st.isDirectory()) visit(r);
      else if (st.isFile()) hash.update(readFileSync(p));
    }
  };
  visit('');
  return hash.digest('hex');
}

/**
 * Nothing timed starts with the previous step's work still pending: dirty pages are written out
 * first (`sync`). Deleting a tree costs more than its rm: on this disk (ext4 without a journal,
 * mounted with `discard`) the freed blocks are trimmed afterwards, and ext4 will not reuse an
 * inode it freed for 60 s — for 360 s while the inode table block holding it is dirty, which
 * creating files next to it makes it (`recently_deleted` in fs/ext4/ialloc.c; in perf every file
 * created meanwhile walks past them). So the next writer pays by seconds, tar and Upkeep alike,
 * whoever comes first: with a 65 s pause the same restore took 1.2–2.4 s. Outputs are therefore
 * deleted only between whole runs, and a run starts at least SETTLE_AFTER_DELETE_MS after the
 * last deletion.
 */
const SETTLE_AFTER_DELETE_MS = settleAfterDeleteMs;

function settle(pauseMs = 0): void {
  spawnSync('sync');
  if (pauseMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs);
}

/** The shape's tree, generated once and reused (its stats in a stamp beside it). */
function treeOf(shape: ShapeName): { tree: string; stats: ShapeStats } {
  // The app tree keeps the folder it always had.
  const tree = path.join(work, shape === 'app' ? 'tree' : `tree-${shape}`);
  const stamp = path.join(work, shape === 'app' ? 'tree.json' : `tree-${shape}.json`);
  if (existsSync(stamp) && existsSync(tree)) {
    log(`reusing the tree in ${tree}`);
    return {
      tree,
      stats: { shape, seed, ...(JSON.parse(readFileSync(stamp, 'utf8')) as Omit<ShapeStats, 'shape' | 'seed'>) },
    };
  }
  rmSync(tree, { recursive: true, force: true });
  log(`generating the ${shape} tree in ${tree} …`);
  const stats = generateShape(shape, tree, { seed, scale: small ? 0.1 : 1 });
  writeFileSync(stamp, JSON.stringify(stats));
  return { tree, stats };
}

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

type ShapeResult = Awaited<ReturnType<typeof benchShape>>;

async function benchShape(shape: ShapeName, bundle: string, outputsRoot: string) {
  const { tree, stats } = treeOf(shape);
  log(
    `\n-- ${shape}: ${stats.files} files, ${(stats.bytes / 1e6).toFixed(1)} MB (compressible ${stats.textFiles} files / ${(stats.textBytes / 1e6).toFixed(1)} MB, incompressible ${stats.binaryFiles} files / ${(stats.binaryBytes / 1e6).toFixed(1)} MB)`,
  );
  const digest = treeDigest(tree);
  const outputs = path.join(outputsRoot, shape);
  mkdirSync(outputs, { recursive: true });
  // Warm the page cache the same way for everyone.
  timed('tar', ['cf', '/dev/null', '-C', tree, '.']);

  const samples = {
    tar_czf: [] as number[],
    tar_xzf: [] as number[],
    upkeep_create: [] as number[],
    upkeep_restore: [] as number[],
  };
  const rss = {
    tar_czf: [] as number[],
    tar_xzf: [] as number[],
    upkeep_create: [] as number[],
    upkeep_restore: [] as number[],
  };
  const cpu = {
    tar_czf: [] as number[],
    tar_xzf: [] as number[],
    upkeep_create: [] as number[],
    upkeep_restore: [] as number[],
  };
  const sizes = { tar_czf: 0, upkeep: 0 };
  // The machine is shared: its 1-minute load average before each round and at the end.
  const loadavgStart = Math.round((os.loadavg()[0] as number) * 100) / 100;
  const roundLoads: number[] = [];
  let verified = false;
  for (let round = 1; round <= rounds; round++) {
    // Every round writes to new paths: nothing is deleted while timing goes on.
    const tarGz = path.join(outputs, `tar-${round}.tar.gz`);
    const home = path.join(outputs, `home-${round}`);
    const tarOut = path.join(outputs, `tar-out-${round}`);
    const restoreDest = path.join(outputs, `restored-${round}`);
    roundLoads.push(Math.round((os.loadavg()[0] as number) * 100) / 100);
    // Alternate who goes first, so neither always meets a warmer or busier machine.
    const order = round % 2 ? ['tar', 'upkeep'] : ['upkeep', 'tar'];
    let backupId = '';
    for (const who of order) {
      settle();
      if (who === 'tar') {
        const r = timedWithRss('tar', ['czf', tarGz, '-C', tree, '.']);
        samples.tar_czf.push(r.ms);
        if (r.peak_rss_mb !== null) rss.tar_czf.push(r.peak_rss_mb);
        if (r.cpu_s !== null) cpu.tar_czf.push(r.cpu_s);
        sizes.tar_czf = statSync(tarGz).size;
      } else {
        const r = runWorker(bundle, ['create', tree, home]);
        samples.upkeep_create.push(r.ms);
        if (r.peak_rss_mb !== null) rss.upkeep_create.push(r.peak_rss_mb);
        if (r.cpu_s !== null) cpu.upkeep_create.push(r.cpu_s);
        sizes.upkeep = r.archive_bytes ?? 0;
        backupId = r.id;
      }
    }
    for (const who of order) {
      settle();
      if (who === 'tar') {
        mkdirSync(tarOut);
        const r = timedWithRss('tar', ['xzf', tarGz, '-C', tarOut]);
        samples.tar_xzf.push(r.ms);
        if (r.peak_rss_mb !== null) rss.tar_xzf.push(r.peak_rss_mb);
        if (r.cpu_s !== null) cpu.tar_xzf.push(r.cpu_s);
      } else {
        const r = runWorker(bundle, ['restore', restoreDest, home, backupId]);
        samples.upkeep_restore.push(r.ms);
        if (r.peak_rss_mb !== null) rss.upkeep_restore.push(r.peak_rss_mb);
        if (r.cpu_s !== null) cpu.upkeep_restore.push(r.cpu_s);
      }
    }
    if (!verified) {
      const got = treeDigest(restoreDest);
      if (got !== digest) throw new Error('the restored tree differs from the original');
      verified = true;
    }
    log(
      `round ${round}: tar czf ${Math.round(samples.tar_czf.at(-1) as number)} ms, upkeep create ${samples.upkeep_create.at(-1)} ms; ` +
        `tar xzf ${Math.round(samples.tar_xzf.at(-1) as number)} ms, upkeep restore ${samples.upkeep_restore.at(-1)} ms`,
    );
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(median(v))])) as Record<
    keyof typeof samples,
    number
  >;
  // The fastest round of each: the least disturbed by the rest of a shared machine.
  const best = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(Math.min(...v))])) as Record<
    keyof typeof samples,
    number
  >;
  const peak = Object.fromEntries(Object.entries(rss).map(([k, v]) => [k, v.length ? Math.max(...v) : null])) as Record<
    keyof typeof rss,
    number | null
  >;
  const cpuMedian = Object.fromEntries(
    Object.entries(cpu).map(([k, v]) => [k, v.length ? Math.round(median(v) * 100) / 100 : null]),
  ) as Record<keyof typeof cpu, number | null>;
  const roundCreateRatios = samples.upkeep_create.map(
    (u, i) => Math.round((u / (samples.tar_czf[i] as number)) * 1000) / 1000,
  );
  const ratios = {
    create_vs_tar_czf: Math.round((m.upkeep_create / m.tar_czf) * 1000) / 1000,
    restore_vs_tar_xzf: Math.round((m.upkeep_restore / m.tar_xzf) * 1000) / 1000,
    best_create_vs_best_tar_czf: Math.round((best.upkeep_create / best.tar_czf) * 1000) / 1000,
    best_restore_vs_best_tar_xzf: Math.round((best.upkeep_restore / best.tar_xzf) * 1000) / 1000,
    archive_vs_tar_czf: Math.round((sizes.upkeep / sizes.tar_czf) * 10000) / 10000,
    // Each round runs both side by side: the worst and best of those per-round ratios.
    worst_round_create_vs_tar_czf: Math.max(...roundCreateRatios),
    best_round_create_vs_tar_czf: Math.min(...roundCreateRatios),
    create_cpu_vs_tar_czf:
      cpuMedian.upkeep_create !== null && cpuMedian.tar_czf
        ? Math.round((cpuMedian.upkeep_create / cpuMedian.tar_czf) * 1000) / 1000
        : null,
    restore_cpu_vs_tar_xzf:
      cpuMedian.upkeep_restore !== null && cpuMedian.tar_xzf
        ? Math.round((cpuMedian.upkeep_restore / cpuMedian.tar_xzf) * 1000) / 1000
        : null,
  };
  const goals = {
    create_at_most_quarter_of_tar_czf: ratios.create_vs_tar_czf <= 0.25,
    archive_no_larger_than_tar_czf: sizes.upkeep <= sizes.tar_czf,
    restore_no_slower_than_tar_xzf: ratios.restore_vs_tar_xzf <= 1,
    peak_memory_under_150_mb: (peak.upkeep_create ?? Infinity) < 150 && (peak.upkeep_restore ?? Infinity) < 150,
  };
  const result = {
    bench: 'backup',
    shape,
    at: new Date().toISOString(),
    machine: {
      cpus: os.availableParallelism(),
      model: os.cpus()[0]?.model ?? null,
      node: process.version,
      loadavg_at_start: loadavgStart,
      loadavg_per_round: roundLoads,
      loadavg_at_end: os.loadavg().map((x) => Math.round(x * 100) / 100),
    },
    tree: stats,
    rounds,
    median_ms: m,
    best_ms: best,
    samples_ms: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.map((x) => Math.round(x))])),
    peak_rss_mb: peak,
    /** user+sys CPU seconds (GNU time; tar's include its gzip): steadier than wall time on a shared machine. */
    median_cpu_s: cpuMedian,
    archive_bytes: sizes,
    ratios,
    goals,
    restored_tree_identical: verified,
  };
  const resultsDir = path.join(repo, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const base = shape === 'app' ? 'backup' : `backup-${shape}`;
  writeFileSync(path.join(resultsDir, `${base}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const md = [
    `Backup benchmark (\`${shape === 'app' ? '' : `BENCH_BACKUP_SHAPES=${shape} `}npm run bench -- backup\`), the ${shape} tree: ${stats.files} files, ${mb(stats.bytes)} (${mb(stats.binaryBytes)} incompressible in ${stats.binaryFiles} files), median of ${rounds} rounds (dirty pages flushed before each timed step, every round writing to new paths), ${os.availableParallelism()} CPUs, 1-minute load average ${loadavgStart} at the start, ${roundLoads.join(' / ')} before each round, ${result.machine.loadavg_at_end[0]} at the end (a shared machine).`,
    '',
    '| | GNU tar | Upkeep | Upkeep / tar | goal |',
    '| --- | --- | --- | --- | --- |',
    `| create (\`tar czf\`) | ${s(m.tar_czf)} | ${s(m.upkeep_create)} | ${ratios.create_vs_tar_czf} | ≤ 0.25 ${goals.create_at_most_quarter_of_tar_czf ? '✓' : '✗'} |`,
    `| archive size | ${mb(sizes.tar_czf)} | ${mb(sizes.upkeep)} | ${ratios.archive_vs_tar_czf} | ≤ 1 ${goals.archive_no_larger_than_tar_czf ? '✓' : '✗'} |`,
    `| restore (\`tar xzf\`) | ${s(m.tar_xzf)} | ${s(m.upkeep_restore)} | ${ratios.restore_vs_tar_xzf} | ≤ 1 ${goals.restore_no_slower_than_tar_xzf ? '✓' : '✗'} |`,
    `| create, worst / best round (side by side) | | | ${ratios.worst_round_create_vs_tar_czf} / ${ratios.best_round_create_vs_tar_czf} | |`,
    `| create, fastest round of each | ${s(best.tar_czf)} | ${s(best.upkeep_create)} | ${ratios.best_create_vs_best_tar_czf} | |`,
    `| restore, fastest round of each | ${s(best.tar_xzf)} | ${s(best.upkeep_restore)} | ${ratios.best_restore_vs_best_tar_xzf} | |`,
    `| CPU (user+sys) create | ${cpuMedian.tar_czf ?? '?'} s | ${cpuMedian.upkeep_create ?? '?'} s | ${ratios.create_cpu_vs_tar_czf ?? '?'} | |`,
    `| CPU (user+sys) restore | ${cpuMedian.tar_xzf ?? '?'} s | ${cpuMedian.upkeep_restore ?? '?'} s | ${ratios.restore_cpu_vs_tar_xzf ?? '?'} | |`,
    `| peak memory create / restore | ${peak.tar_czf ?? '?'} / ${peak.tar_xzf ?? '?'} MB | ${peak.upkeep_create ?? '?'} / ${peak.upkeep_restore ?? '?'} MB | | < 150 MB ${goals.peak_memory_under_150_mb ? '✓' : '✗'} |`,
    '',
    "Upkeep create also hashes every file and the archive (sha256), writes the manifest and fsyncs; restore verifies every file against the manifest, extracts into a staging folder and swaps it into place. tar's memory is tar's own process (gzip runs beside it).",
    '',
  ].join('\n');
  writeFileSync(path.join(resultsDir, `${base}.md`), md);
  log('');
  log(md);
  return result;
}

async function main(): Promise<void> {
  mkdirSync(work, { recursive: true });
  // Inside the repository, so the packages left out of the bundle resolve from node_modules.
  const bundle = await bundleBenchWorker(
    repo,
    path.join(here, 'worker.ts'),
    path.join(repo, 'node_modules', '.cache', 'upkeep-bench'),
  );

  // Outputs of an earlier run go first, then a pause (see settle()).
  const outputs = path.join(work, 'out');
  const deletedAt = path.join(work, 'deleted-at');
  if (existsSync(outputs)) {
    rmSync(outputs, { recursive: true, force: true });
    writeFileSync(deletedAt, String(Date.now()));
  }
  const since = existsSync(deletedAt) ? Date.now() - Number(readFileSync(deletedAt, 'utf8')) : Infinity;
  if (since < SETTLE_AFTER_DELETE_MS) {
    log(`letting the disk settle after the last deletion (${Math.ceil((SETTLE_AFTER_DELETE_MS - since) / 1000)} s) …`);
    settle(SETTLE_AFTER_DELETE_MS - since);
  }
  mkdirSync(outputs, { recursive: true });
  const results: ShapeResult[] = [];
  for (const shape of shapes) results.push(await benchShape(shape, bundle, outputs));
  // Removed now, while nothing is timed (the next run pauses after removing whatever is left).
  rmSync(outputs, { recursive: true, force: true });
  writeFileSync(deletedAt, String(Date.now()));
  settle();
  if (results.length > 1) writeSummary(results);
}

/** bench/results/backup-shapes.md: one line per shape. */
function writeSummary(results: ShapeResult[]): void {
  const ok = (b: boolean) => (b ? '✓' : '✗');
  const lines = [
    `Backup create and restore on ${results.length} tree shapes (\`BENCH_BACKUP_SHAPES=${results.map((r) => r.shape).join(',')} npm run bench -- backup\`), median of ${rounds} rounds each, both sides in the same run; 1-minute load average ${results.map((r) => r.machine.loadavg_at_start).join(' / ')} at the start of each shape (a shared machine, 2 CPUs).`,
    '',
    '| shape | files | size | `tar czf` | Upkeep create | create / tar czf (worst–best round) | CPU create / tar czf | archive / tar czf | `tar xzf` | Upkeep restore | restore / tar xzf |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.shape} | ${r.tree.files} | ${mb(r.tree.bytes)} | ${s(r.median_ms.tar_czf)} | ${s(r.median_ms.upkeep_create)} | ${r.ratios.create_vs_tar_czf} ${ok(r.goals.create_at_most_quarter_of_tar_czf)} (${r.ratios.worst_round_create_vs_tar_czf}–${r.ratios.best_round_create_vs_tar_czf}) | ${r.ratios.create_cpu_vs_tar_czf ?? '?'} | ${r.ratios.archive_vs_tar_czf} ${ok(r.goals.archive_no_larger_than_tar_czf)} (${mb(r.archive_bytes.upkeep)} / ${mb(r.archive_bytes.tar_czf)}) | ${s(r.median_ms.tar_xzf)} | ${s(r.median_ms.upkeep_restore)} | ${r.ratios.restore_vs_tar_xzf} |`,
    ),
    '',
    "Goals: create ≤ 0.25× `tar czf` time and archive ≤ 1.0× its size on every shape. CPU is user+sys seconds (GNU time; tar's include its gzip): steadier than wall time on a shared machine.",
    '',
  ];
  writeFileSync(path.join(repo, 'bench', 'results', 'backup-shapes.md'), lines.join('\n'));
  log('');
  log(lines.join('\n'));
}

await main();
