import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import { envFolder, envPython, listInstalled, parseFreeze, pipFreeze, pipIndexArgs, PIP_ENV } from '../envs/python-env';
import { normalizePackageName } from '../envs/requirements';
import type { EnvRun } from '../envs/run';
import { repackInstalled, wheelCacheDir } from '../envs/wheel-cache';
import { writeFileAtomic } from '../lib/fs-atomic';
import { readStateFile } from '../lib/state-file';
import { selectedPackages } from './lib/env-selection';
import { newSnapshotId, readSnapshot, snapshotFile, writeSnapshot } from './lib/snapshots';
import { defineUpdater, type OwnContext } from './types';
import { errorMessage } from '../lib/error-info';

/** What a pip_env backup holds: the exact environment and the files that pin it. */
interface PipEnvSnapshot {
  kind: 'pip_env';
  python: string;
  created_at: string;
  /** `pip freeze --all` before the update. */
  freeze: string;
  /** Requirements/constraints files as they were (absolute path → text). */
  files: Record<string, string>;
  /** Where the previous versions were kept as wheels, and which. */
  wheel_dir: string;
  wheels: Record<string, string>;
}

const pipEnvSnapshotSchema = z.object({
  kind: z.literal('pip_env'),
  python: z.string().min(1),
  created_at: z.string(),
  freeze: z.string(),
  files: z.record(z.string(), z.string()),
  wheel_dir: z.string(),
  wheels: z.record(z.string(), z.string()),
}) satisfies z.ZodType<PipEnvSnapshot>;

/** pip's `--report`: only the names of what it would install are read. */
const pipReportSchema = z.looseObject({
  install: z.array(z.looseObject({ metadata: z.looseObject({ name: z.string() }) })).optional(),
});

const quiet =
  (ctx: OwnContext<'pip_env'>): EnvRun =>
  (argv, options = {}) =>
    ctx.exec(argv, { ...options, quiet: true, allowFailure: true });
const loud =
  (ctx: OwnContext<'pip_env'>): EnvRun =>
  (argv, options = {}) =>
    ctx.exec(argv, { ...options, allowFailure: true });

function constraintArgs(ctx: OwnContext<'pip_env'>, python: string): string[] {
  return ctx.config.constraints ? ['-c', path.resolve(envFolder(ctx.config, python), ctx.config.constraints)] : [];
}

function installSpecs(ctx: OwnContext<'pip_env'>): string[] {
  return selectedPackages(ctx).map((p) => `${p.name}==${p.target}`);
}

/** The distributions a pip install would replace (`--dry-run --report`): their current versions must be kept. */
async function replacedByInstall(ctx: OwnContext<'pip_env'>, python: string, specs: string[]): Promise<string[]> {
  const report = path.join(ctx.workDir, `pip-report-${Date.now()}.json`);
  await fs.mkdir(ctx.workDir, { recursive: true });
  const r = await ctx.exec(
    [
      python,
      '-m',
      'pip',
      'install',
      '--dry-run',
      '--quiet',
      '--report',
      report,
      '--upgrade-strategy',
      'only-if-needed',
      ...pipIndexArgs(ctx.config),
      ...constraintArgs(ctx, python),
      ...specs,
    ],
    { env: PIP_ENV, quiet: true, allowFailure: true },
  );
  if (r.code !== 0) {
    ctx.log(`pip could not say in advance what the update replaces (exit ${r.code}); keeping the chosen packages only`);
    return [];
  }
  let why: string;
  try {
    const got = await readStateFile(report, pipReportSchema);
    if (got.status === 'ok') return (got.value.install ?? []).map((i) => i.metadata.name);
    why = got.status === 'missing' ? 'pip wrote none' : got.reason;
  } catch (error) {
    why = errorMessage(error);
  }
  // As when pip cannot say (above): only the chosen packages are kept in the snapshot.
  ctx.log(`pip's report could not be read (${why}); keeping the chosen packages only`);
  return [];
}

/** Wheels live as long as a backup of this component needs them: the others are removed. */
async function pruneWheels(ctx: OwnContext<'pip_env'>, wheelDir: string): Promise<void> {
  const snapshotsDir = path.dirname(snapshotFile(ctx, 'probe'));
  const needed = new Set<string>();
  // No snapshots yet: no wheel is needed, all may go.
  for (const name of await fs.readdir(snapshotsDir).catch((): string[] => [])) {
    if (!name.endsWith('.json')) continue;
    try {
      const got = await readStateFile(path.join(snapshotsDir, name), pipEnvSnapshotSchema);
      if (got.status === 'ok') for (const wheel of Object.values(got.value.wheels)) needed.add(wheel);
      // Damaged (or another method's): it keeps nothing alive; a restore from it is refused as BACKUP_CORRUPT anyway.
    } catch (error) {
      ctx.log(`snapshot ${name} could not be read (${errorMessage(error)}); it keeps no wheel`);
    }
  }
  // No wheel cache yet: nothing to prune.
  for (const name of await fs.readdir(wheelDir).catch((): string[] => [])) {
    if (name.endsWith('.whl') && !needed.has(name)) await fs.rm(path.join(wheelDir, name), { force: true });
  }
}

/**
 * Upgrade packages of a Python interpreter or venv to the versions the check chose (never across a
 * requirements/constraints pin). The backup is `pip freeze` plus wheels of every version the
 * upgrade replaces, repacked from the installed files into a wheel cache Upkeep keeps, so a rollback
 * reinstalls exactly the previous versions with `--no-index --find-links` — offline.
 */
export const pipEnvUpdater = defineUpdater<'pip_env'>({
  method: 'pip_env',

  // The environment's state is backed up as a freeze plus wheels (a snapshot), not as a folder copy.
  folder() {
    return null;
  },

  async preflight(ctx) {
    const python = envPython(ctx.config);
    selectedPackages(ctx);
    const r = await ctx.exec([python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], {
      quiet: true,
    });
    const site = r.stdout.trim();
    await fs.access(site, fs.constants.W_OK).catch(() => {
      throw new UpkeepError(
        'FORBIDDEN',
        `Upkeep cannot write to ${site}, where ${python} installs packages. Run Upkeep as the user that owns the environment, or use a virtualenv.`,
      );
    });
  },

  async apply(ctx) {
    const python = envPython(ctx.config);
    const specs = installSpecs(ctx);
    ctx.log(`upgrading ${specs.join(' ')}`);
    await ctx.exec(
      [
        python,
        '-m',
        'pip',
        'install',
        '--no-input',
        '--upgrade-strategy',
        'only-if-needed',
        ...pipIndexArgs(ctx.config),
        ...constraintArgs(ctx, python),
        ...specs,
      ],
      { env: PIP_ENV },
    );
  },

  snapshot: {
    async create(ctx) {
      const python = envPython(ctx.config);
      const freeze = await pipFreeze(quiet(ctx), python);
      const files: Record<string, string> = {};
      for (const rel of [ctx.config.requirements, ctx.config.constraints]) {
        if (!rel) continue;
        const abs = path.resolve(envFolder(ctx.config, python), rel);
        files[abs] = await fs.readFile(abs, 'utf8');
      }
      const specs = installSpecs(ctx);
      const installed = new Map(
        (await listInstalled(quiet(ctx), python)).map((d) => [normalizePackageName(d.name), d]),
      );
      const replaced = await replacedByInstall(ctx, python, specs);
      const names = [
        ...new Set([...selectedPackages(ctx).map((p) => p.name), ...replaced].map(normalizePackageName)),
      ].filter((n) => installed.has(n));
      const wheelDir = wheelCacheDir(ctx.home.cache, ctx.component.id);
      const repacked = await repackInstalled(quiet(ctx), python, wheelDir, names);
      for (const [name, why] of Object.entries(repacked.failed))
        ctx.log(`could not keep ${name} as a wheel (${why}); a rollback will fetch it from the index`);
      ctx.log(`kept ${Object.keys(repacked.built).length} wheel(s) of the installed versions in ${wheelDir}`);
      const id = newSnapshotId('pip-env');
      const snapshot: PipEnvSnapshot = {
        kind: 'pip_env',
        python,
        created_at: new Date().toISOString(),
        freeze,
        files,
        wheel_dir: wheelDir,
        wheels: repacked.built,
      };
      await writeSnapshot(ctx, id, snapshot);
      await pruneWheels(ctx, wheelDir);
      return id;
    },

    async restore(ctx, backupId) {
      const snap = await readSnapshot(ctx, backupId, pipEnvSnapshotSchema);
      if (snap.kind !== 'pip_env')
        throw new UpkeepError('BACKUP_CORRUPT', `Backup ${backupId} is not a Python environment backup.`);
      const python = snap.python;
      for (const [file, text] of Object.entries(snap.files)) {
        // A file the snapshot names that is gone now is written back below.
        const now = await fs.readFile(file, 'utf8').catch(() => null);
        if (now !== text) await writeFileAtomic(file, text);
      }
      const wanted = parseFreeze(snap.freeze);
      const current = parseFreeze(await pipFreeze(quiet(ctx), python));
      const remove = [...current.entries()].filter(([key]) => !wanted.has(key)).map(([, v]) => v.name);
      const reinstall = [...wanted.entries()]
        .filter(([key, v]) => current.get(key)?.line !== v.line)
        .map(([, v]) => v.line);
      if (remove.length) await ctx.exec([python, '-m', 'pip', 'uninstall', '-y', ...remove], { env: PIP_ENV });
      if (reinstall.length) {
        ctx.log(`reinstalling ${reinstall.join(' ')} from ${snap.wheel_dir} without the index`);
        const offline = await loud(ctx)(
          [
            python,
            '-m',
            'pip',
            'install',
            '--no-input',
            '--no-deps',
            '--no-index',
            '--find-links',
            snap.wheel_dir,
            ...reinstall,
          ],
          { env: PIP_ENV },
        );
        if (offline.code !== 0) {
          ctx.log('some previous versions are not in the wheel cache; asking the index for them');
          await ctx.exec(
            [
              python,
              '-m',
              'pip',
              'install',
              '--no-input',
              '--no-deps',
              '--find-links',
              snap.wheel_dir,
              ...pipIndexArgs(ctx.config),
              ...reinstall,
            ],
            { env: PIP_ENV },
          );
        }
      }
      const after = parseFreeze(await pipFreeze(quiet(ctx), python));
      const off = [...wanted.entries()]
        .filter(([key, v]) => v.version !== null && after.get(key)?.version !== v.version)
        .map(
          ([, v]) =>
            `${v.name} (want ${v.version}, have ${after.get(normalizePackageName(v.name))?.version ?? 'none'})`,
        );
      if (off.length)
        throw new UpkeepError(
          'COMMAND_FAILED',
          `The environment was not put back exactly: ${off.join(', ')}. Reinstall them with \`${python} -m pip install\`.`,
          { mismatched: off },
        );
      ctx.log(`environment restored to the ${wanted.size} packages of ${snap.created_at}`);
    },
  },
});
