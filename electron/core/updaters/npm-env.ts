import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import { envProjectFolder, isGlobalEnv, npmCwd, npmInstalled, npmScopeArgs, NPM_ENV } from '../envs/npm-env';
import type { EnvRun } from '../envs/run';
import { writeFileAtomic } from '../lib/fs-atomic';
import { logger } from '../lib/log';
import { selectedPackages } from './lib/env-selection';
import { newSnapshotId, readSnapshot, writeSnapshot } from './lib/snapshots';
import { defineUpdater, type OwnContext } from './types';

const log = logger('updaters.npm-env');

/** The files that pin an npm project: restored as they were, then `npm ci` reinstalls from them. */
const PROJECT_FILES = ['package.json', 'package-lock.json', 'npm-shrinkwrap.json', '.npmrc'];

interface NpmEnvSnapshot {
  kind: 'npm_env';
  created_at: string;
  global: boolean;
  folder: string | null;
  /** File name → text, or null when the file did not exist. */
  files: Record<string, string | null>;
  /** Top-level packages and versions (`npm ls --depth=0`). */
  packages: Record<string, string>;
}

const npmEnvSnapshotSchema = z.object({
  kind: z.literal('npm_env'),
  created_at: z.string(),
  global: z.boolean(),
  folder: z.string().nullable(),
  files: z.record(z.string(), z.string().nullable()),
  packages: z.record(z.string(), z.string()),
}) satisfies z.ZodType<NpmEnvSnapshot>;

/** `name@version` of every registry package a lock file pins (links, folders and git deps are not cacheable). */
function lockedSpecs(lockText: string | null): string[] {
  if (!lockText) return [];
  let lock: { packages?: Record<string, { version?: string; link?: boolean; resolved?: string; name?: string }> };
  try {
    lock = JSON.parse(lockText);
  } catch (error) {
    // Only the offline cache warm-up is skipped: the backup keeps the lock file's text as it is.
    log.warn('the lock file is not JSON; its packages are not cached for an offline rollback', { error });
    return [];
  }
  const specs = new Set<string>();
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    if (!key.includes('node_modules/') || entry.link || !entry.version) continue;
    if (entry.resolved && !/^https?:/.test(entry.resolved)) continue;
    const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    specs.add(`${name}@${entry.version}`);
  }
  return [...specs];
}

const quiet =
  (ctx: OwnContext<'npm_env'>): EnvRun =>
  (argv, options = {}) =>
    ctx.exec(argv, { ...options, quiet: true, allowFailure: true });
const COMMON = ['--no-audit', '--no-fund', '--no-update-notifier'];

/**
 * Upgrade packages of an npm project (within the ranges package.json allows: `npm update`; across
 * them with `cross_ranges`: `npm install name@latest`) or of the global prefix. The backup is the
 * project's package.json and lock file (global: every top-level version), and a rollback puts them
 * back and runs `npm ci --offline` from npm's cache — online only for what the cache lacks.
 */
export const npmEnvUpdater = defineUpdater<'npm_env'>({
  method: 'npm_env',

  folder() {
    return null;
  },

  async preflight(ctx) {
    selectedPackages(ctx);
    await ctx.exec(['npm', '--version'], { quiet: true });
    const folder = envProjectFolder(ctx.config);
    if (folder !== null) {
      await fs.access(folder, fs.constants.W_OK).catch(() => {
        throw new UpkeepError(
          'FORBIDDEN',
          `Upkeep cannot write to ${folder}. Run it as the user that owns the project, or fix the permissions.`,
        );
      });
      const hasLock = (
        await Promise.all(
          ['package-lock.json', 'npm-shrinkwrap.json'].map((f) =>
            fs.stat(path.join(folder, f)).then(
              () => true,
              () => false,
            ),
          ),
        )
      ).some(Boolean);
      if (!hasLock)
        throw new UpkeepError(
          'UNSUPPORTED',
          `${folder} has no package-lock.json, so its exact state cannot be restored after an update. Run \`npm install\` there once to create it.`,
        );
    }
  },

  async apply(ctx) {
    const chosen = selectedPackages(ctx);
    const cross = ctx.config.cross_ranges === true;
    const specs =
      isGlobalEnv(ctx.config) || cross ? chosen.map((p) => `${p.name}@${p.target}`) : chosen.map((p) => p.name);
    const verb = isGlobalEnv(ctx.config) || cross ? 'install' : 'update';
    ctx.log(
      `${verb === 'update' ? 'updating within package.json ranges' : 'installing'}: ${chosen.map((p) => `${p.name} ${p.installed} → ${p.target}`).join(', ')}`,
    );
    await ctx.exec(['npm', verb, ...COMMON, ...npmScopeArgs(ctx.config), ...specs], {
      ...npmCwd(ctx.config),
      env: NPM_ENV,
    });
  },

  snapshot: {
    async create(ctx) {
      const global = isGlobalEnv(ctx.config);
      const folder = envProjectFolder(ctx.config);
      const files: Record<string, string | null> = {};
      // A project file that does not exist is recorded as absent (null) and removed again on restore.
      if (folder)
        for (const f of PROJECT_FILES) files[f] = await fs.readFile(path.join(folder, f), 'utf8').catch(() => null);
      const packages = Object.fromEntries(await npmInstalled(quiet(ctx), ctx.config));
      // Make sure npm's cache holds every locked version (packument and tarball), so the rollback can run offline.
      const keep = folder
        ? lockedSpecs(files['npm-shrinkwrap.json'] ?? files['package-lock.json'] ?? null)
        : selectedPackages(ctx).map((p) => `${p.name}@${p.installed}`);
      let failures = 0;
      for (let i = 0; i < keep.length; i += 200) {
        const cached = await ctx.exec(
          [
            'npm',
            'cache',
            'add',
            ...(ctx.config.registry ? ['--registry', ctx.config.registry] : []),
            ...keep.slice(i, i + 200),
          ],
          { quiet: true, allowFailure: true, env: NPM_ENV },
        );
        if (cached.code !== 0) failures++;
      }
      ctx.log(
        failures
          ? 'npm could not cache every installed version; a rollback may need the registry'
          : `${keep.length} installed version(s) are in npm's cache for an offline rollback`,
      );
      const id = newSnapshotId('npm-env');
      const snapshot: NpmEnvSnapshot = {
        kind: 'npm_env',
        created_at: new Date().toISOString(),
        global,
        folder,
        files,
        packages,
      };
      await writeSnapshot(ctx, id, snapshot);
      return id;
    },

    async restore(ctx, backupId) {
      const snap = await readSnapshot(ctx, backupId, npmEnvSnapshotSchema);
      if (snap.kind !== 'npm_env')
        throw new UpkeepError('BACKUP_CORRUPT', `Backup ${backupId} is not an npm environment backup.`);
      if (snap.folder) {
        for (const [name, text] of Object.entries(snap.files)) {
          const file = path.join(snap.folder, name);
          if (text === null) await fs.rm(file, { force: true });
          else await writeFileAtomic(file, text);
        }
        const argv = ['npm', 'ci', ...COMMON, ...(ctx.config.registry ? ['--registry', ctx.config.registry] : [])];
        const offline = await ctx.exec([...argv, '--offline'], { cwd: snap.folder, env: NPM_ENV, allowFailure: true });
        if (offline.code !== 0) {
          ctx.log("npm's cache lacks some of the previous versions; asking the registry for them");
          await ctx.exec([...argv, '--prefer-offline'], { cwd: snap.folder, env: NPM_ENV });
        }
      } else {
        const now = Object.fromEntries(await npmInstalled(quiet(ctx), ctx.config));
        const back = Object.entries(snap.packages)
          .filter(([name, v]) => now[name] !== v)
          .map(([name, v]) => `${name}@${v}`);
        const added = Object.keys(now).filter((name) => !(name in snap.packages));
        if (added.length) await ctx.exec(['npm', 'uninstall', '--global', ...added], { env: NPM_ENV });
        if (back.length) {
          const argv = [
            'npm',
            'install',
            '--global',
            ...COMMON,
            ...(ctx.config.registry ? ['--registry', ctx.config.registry] : []),
            ...back,
          ];
          const offline = await ctx.exec([...argv, '--offline'], { env: NPM_ENV, allowFailure: true });
          if (offline.code !== 0) await ctx.exec([...argv, '--prefer-offline'], { env: NPM_ENV });
        }
      }
      const after = Object.fromEntries(await npmInstalled(quiet(ctx), ctx.config));
      const off = Object.entries(snap.packages)
        .filter(([name, v]) => after[name] !== v)
        .map(([name, v]) => `${name} (want ${v}, have ${after[name] ?? 'none'})`);
      if (off.length)
        throw new UpkeepError(
          'COMMAND_FAILED',
          `The npm packages were not put back exactly: ${off.join(', ')}. Run \`npm ci\` in ${snap.folder ?? 'the project'} by hand.`,
          { mismatched: off },
        );
      ctx.log(`npm environment restored to its state of ${snap.created_at}`);
    },
  },
});
