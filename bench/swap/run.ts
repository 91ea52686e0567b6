/**
 * bench/swap: Upkeep's update, restore and rollback — all by directory swap — against the shell
 * way of doing the same on the same trees, side by side in one run:
 * - update: Upkeep's whole update through the engine (check, pre-update backup read back,
 *   download from a local server, verify, extract, swap, commit) against `tar czf` a backup +
 *   `tar xzf` the release + `rsync -a --delete` it onto a copy of the folder; once as the first
 *   update under Upkeep (the installed release's file list read from its tarball), once with that
 *   list known (Upkeep installed the running release);
 * - restore: BackupStore.restore of the pre-update backup into the live folder against `tar xzf`
 *   the backup beside the folder + two `mv` + `rm -rf` the old tree;
 * - rollback: an update whose health check fails (the engine restores the backup), timed from
 *   entering the rollback, against the same shell restore;
 * - tiny: an update to a release of 100,000 tiny files against `tar xzf` of that release alone.
 *
 * Shapes from bench/lib/shapes.ts (node_modules, mixed, media, app) plus `tiny` (made here). The
 * new release is the old one with every 10th file changed, every 50th removed and 1% added.
 * Writes bench/results/swap.json and bench/results/swap.md.
 *
 * Env: BENCH_SWAP_SHAPES (default node_modules,mixed,media,tiny), BENCH_SWAP_SCALE (default 1),
 * BENCH_SWAP_ROUNDS (default 1), BENCH_SWAP_DIR (default <tmp>/upkeep-bench-swap).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleBenchWorker } from '../lib/bundle';
import { generateShape, isShapeName, prng } from '../lib/shapes';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const shapes = (process.env.BENCH_SWAP_SHAPES ?? 'node_modules,mixed,media,tiny').split(',').filter(Boolean);
const scale = Number(process.env.BENCH_SWAP_SCALE ?? 1);
const rounds = Math.max(1, Number(process.env.BENCH_SWAP_ROUNDS ?? 1));
const work = path.resolve(process.env.BENCH_SWAP_DIR ?? path.join(os.tmpdir(), 'upkeep-bench-swap'));

const log = (line: string) => process.stdout.write(`${line}\n`);

function run(cmd: string, args: string[], options: { cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Wall time of a sequence of commands, after flushing what earlier steps left dirty. */
function timedShell(steps: [string, string[]][]): number {
  spawnSync('sync');
  const start = process.hrtime.bigint();
  for (const [cmd, args] of steps) run(cmd, args);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

// Bundled as the CLI is, with the backup worker thread beside it (see bench/lib/bundle.ts).
const workerBundle = await bundleBenchWorker(
  repo,
  path.join(here, 'worker.ts'),
  path.join(repo, 'node_modules', '.cache', 'upkeep-bench-swap'),
);

function worker(args: string[]): Record<string, unknown> {
  spawnSync('sync');
  const out = run(process.execPath, [workerBundle, ...args], { cwd: repo });
  return JSON.parse(out.trim().split('\n').pop() as string) as Record<string, unknown>;
}

/** 100,000 tiny files (20–200 bytes) in 1,000 folders. */
function generateTiny(root: string): void {
  const rand = prng(7);
  const count = Math.round(100_000 * scale);
  for (let i = 0; i < count; i++) {
    const dir = path.join(root, `d${String(i % 1000).padStart(3, '0')}`);
    if (i < 1000) mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `f${i}.txt`), `${i} ${'x'.repeat(20 + Math.floor(rand() * 180))}\n`);
  }
}

/** Every file under `root` (relative paths). */
function filesOf(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(path.join(root, r)).isDirectory()) out.push(...filesOf(root, r));
    else out.push(r);
  }
  return out;
}

/** v1 (generated), v2 (v1 with changes), their release tarballs with a top folder. */
function prepare(shape: string): { v1: string; v2: string; tgz1: string; tgz2: string; files: number; bytes: number } {
  const dir = path.join(work, shape);
  const v1 = path.join(dir, 'v1');
  const v2 = path.join(dir, 'v2');
  const tgz1 = path.join(dir, 'v1.tar.gz');
  const tgz2 = path.join(dir, 'v2.tar.gz');
  if (!existsSync(tgz2)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(v1, { recursive: true });
    log(`generating ${shape} …`);
    if (shape === 'tiny') generateTiny(v1);
    else if (isShapeName(shape)) generateShape(shape, v1, { scale, seed: 1 });
    else throw new Error(`unknown shape ${shape}`);
    writeFileSync(path.join(v1, 'VERSION'), '1.0.0\n');
    run('cp', ['-a', v1, v2]);
    const files = filesOf(v2).filter((f) => f !== 'VERSION');
    files.forEach((f, i) => {
      if (i % 50 === 7) rmSync(path.join(v2, f));
      else if (i % 10 === 3) appendFileSync(path.join(v2, f), `\n// changed in 1.1.0 ${i}\n`);
    });
    for (let i = 0; i < Math.ceil(files.length / 100); i++)
      writeFileSync(
        path.join(v2, path.dirname(files[(i * 37) % files.length] as string), `added-${i}.txt`),
        `new in 1.1.0 ${i}\n`,
      );
    writeFileSync(path.join(v2, 'VERSION'), '1.1.0\n');
    run('tar', ['czf', tgz1, '--transform', 's,^\\.,acme-webapp-aaa111,', '-C', v1, '.']);
    run('tar', ['czf', tgz2, '--transform', 's,^\\.,acme-webapp-bbb222,', '-C', v2, '.']);
  }
  const listed = run('du', ['-sb', v1]).split('\t')[0];
  return { v1, v2, tgz1, tgz2, files: filesOf(v1).length, bytes: Number(listed) };
}

/** A live folder: a copy of v1 with the user's data beside the release. */
function liveCopy(from: string, to: string): string {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(path.dirname(to), { recursive: true });
  run('cp', ['-a', from, to]);
  writeFileSync(path.join(to, '.env'), 'SECRET=1\n');
  mkdirSync(path.join(to, 'uploads'), { recursive: true });
  writeFileSync(path.join(to, 'uploads', 'photo.jpg'), 'a user photo');
  return to;
}

interface Row {
  shape: string;
  op: string;
  upkeep_ms: number;
  shell_ms: number;
  ratio: number;
  extra?: Record<string, unknown>;
}

/** One row: Upkeep's time against the shell way's, as a ratio. */
function row(shape: string, op: string, upkeepMs: number, shellMs: number, extra?: Record<string, unknown>): Row {
  return { shape, op, upkeep_ms: upkeepMs, shell_ms: shellMs, ratio: upkeepMs / shellMs, ...(extra ? { extra } : {}) };
}

function shellRestore(backup: string, folder: string, round: string): number {
  const beside = `${folder}.shell-new-${round}`;
  const old = `${folder}.shell-old-${round}`;
  return timedShell([
    ['mkdir', [beside]],
    ['tar', ['xzf', backup, '-C', beside]],
    ['mv', [folder, old]],
    ['mv', [beside, folder]],
    ['rm', ['-rf', old]],
  ]);
}

function benchShape(shape: string, rows: Row[]): void {
  const t = prepare(shape);
  log(`${shape}: ${t.files} files, ${(t.bytes / 1e6).toFixed(1)} MB`);
  for (let round = 1; round <= rounds; round++) {
    const out = path.join(work, shape, `out-${round}`);
    rmSync(out, { recursive: true, force: true });
    // Upkeep update, then restore of its pre-update backup.
    const live = liveCopy(t.v1, path.join(out, 'srv', 'webapp'));
    const home = path.join(out, 'home');
    const up = worker(['update', home, live, t.tgz1, t.tgz2, 'ok']);
    if (up.status !== 'succeeded') throw new Error(`update of ${shape}: ${JSON.stringify(up)}`);
    // The shell way: backup, extract, rsync onto a copy of the same folder.
    const copy = liveCopy(t.v1, path.join(out, 'shell', 'webapp'));
    const stage = path.join(out, 'shell', 'stage');
    const backup = path.join(out, 'shell', 'backup.tar.gz');
    const shellUpdate = timedShell([
      ['tar', ['czf', backup, '-C', copy, '.']],
      ['mkdir', [stage]],
      ['tar', ['xzf', t.tgz2, '-C', stage, '--strip-components=1']],
      ['rsync', ['-a', '--delete', '--exclude=/.env', '--exclude=/uploads/', `${stage}/`, `${copy}/`]],
    ]);
    if (shape === 'tiny') {
      const tarOnly = timedShell([
        ['mkdir', [path.join(out, 'tar-only')]],
        ['tar', ['xzf', t.tgz2, '-C', path.join(out, 'tar-only')]],
      ]);
      rows.push(row(shape, 'update vs tar xzf', up.ms as number, tarOnly));
    }
    rows.push(row(shape, 'update', up.ms as number, shellUpdate, { settled_ms: up.settled_ms }));
    // The same update when Upkeep installed the running release (it knows that release's file list).
    const known = worker([
      'update-known',
      path.join(out, 'home-known'),
      liveCopy(t.v1, path.join(out, 'srv-known', 'webapp')),
      t.tgz1,
      t.tgz2,
      'ok',
    ]);
    if (known.status !== 'succeeded') throw new Error(`update of ${shape} (file list known): ${JSON.stringify(known)}`);
    rows.push(row(shape, 'update, file list known', known.ms as number, shellUpdate, { settled_ms: known.settled_ms }));
    const restored = worker(['restore', home, live, up.backup_id as string]);
    const shellRest = shellRestore(backup, copy, String(round));
    rows.push(row(shape, 'restore', restored.ms as number, shellRest, { settled_ms: restored.settled_ms }));
    // Rollback: the same update with a failing health check.
    const live2 = liveCopy(t.v1, path.join(out, 'srv2', 'webapp'));
    const failed = worker(['update', path.join(out, 'home2'), live2, t.tgz1, t.tgz2, 'fail']);
    if (failed.status !== 'rolled_back') throw new Error(`rollback of ${shape}: ${JSON.stringify(failed)}`);
    const copy2 = liveCopy(t.v2, path.join(out, 'shell2', 'webapp'));
    const shellRoll = shellRestore(backup, copy2, `${round}r`);
    rows.push(row(shape, 'rollback', failed.rollback_ms as number, shellRoll, { whole_failed_update_ms: failed.ms }));
    for (const r of rows.slice(-5))
      if (r.shape === shape)
        log(
          `  round ${round} ${r.op}: Upkeep ${(r.upkeep_ms / 1000).toFixed(2)} s, shell ${(r.shell_ms / 1000).toFixed(2)} s, ${r.ratio.toFixed(3)}×`,
        );
    rmSync(out, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
mkdirSync(work, { recursive: true });
const load = os.loadavg()[0];
for (const shape of shapes) benchShape(shape, rows);
const lines = ['| Shape | Operation | Upkeep | Shell way | Ratio |', '| --- | --- | --- | --- | --- |'];
for (const r of rows)
  lines.push(
    `| ${r.shape} | ${r.op} | ${(r.upkeep_ms / 1000).toFixed(2)} s | ${(r.shell_ms / 1000).toFixed(2)} s | ${r.ratio.toFixed(3)}× |`,
  );
const results = path.join(repo, 'bench', 'results');
mkdirSync(results, { recursive: true });
writeFileSync(
  path.join(results, 'swap.json'),
  `${JSON.stringify({ scale, rounds, loadavg_start: load, loadavg_end: os.loadavg()[0], rows }, null, 2)}\n`,
);
writeFileSync(path.join(results, 'swap.md'), `${lines.join('\n')}\n`);
log(lines.join('\n'));
