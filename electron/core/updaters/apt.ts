import { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import { APT_ENV, dpkgVersions } from '../envs/apt';
import type { EnvRun } from '../envs/run';
import { selectedPackages } from './lib/env-selection';
import { newSnapshotId, readSnapshot, writeSnapshot } from './lib/snapshots';
import { defineUpdater, type OwnContext } from './types';

interface AptSnapshot {
  kind: 'apt';
  created_at: string;
  /** Package → version installed before the update. */
  versions: Record<string, string>;
}

const aptSnapshotSchema = z.object({
  kind: z.literal('apt'),
  created_at: z.string(),
  versions: z.record(z.string(), z.string()),
}) satisfies z.ZodType<AptSnapshot>;

const quiet =
  (ctx: OwnContext<'apt'>): EnvRun =>
  (argv, options = {}) =>
    ctx.exec(argv, { ...options, quiet: true, allowFailure: true });
const DPKG_OPTIONS = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

function requireRoot(what: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new UpkeepError(
      'FORBIDDEN',
      `${what} needs root, and Upkeep runs as user ${process.getuid()}. Run Upkeep as root (for example as a system service), or install the updates yourself with \`sudo apt-get install --only-upgrade PACKAGE\`.`,
    );
  }
}

/**
 * Upgrade Debian/Ubuntu packages of this machine to the versions `apt list --upgradable` showed
 * (`apt-get install --only-upgrade name=version`, keeping changed config files). Needs root. The
 * backup is the installed versions; a rollback installs them again (`--allow-downgrades`), from
 * /var/cache/apt/archives when the .deb files are still there.
 */
export const aptUpdater = defineUpdater<'apt'>({
  method: 'apt',

  folder() {
    return null;
  },

  async preflight(ctx) {
    selectedPackages(ctx);
    requireRoot('Installing Debian packages');
    await ctx.exec(['apt-get', '--version'], { quiet: true });
  },

  async apply(ctx) {
    const specs = selectedPackages(ctx).map((p) => `${p.name}=${p.target}`);
    await ctx.exec(['apt-get', 'install', '-y', '--only-upgrade', ...DPKG_OPTIONS, ...specs], { env: APT_ENV });
  },

  snapshot: {
    async create(ctx) {
      const names = selectedPackages(ctx).map((p) => p.name);
      const versions = Object.fromEntries(await dpkgVersions(quiet(ctx), names));
      const id = newSnapshotId('apt');
      const snapshot: AptSnapshot = { kind: 'apt', created_at: new Date().toISOString(), versions };
      await writeSnapshot(ctx, id, snapshot);
      return id;
    },

    async restore(ctx, backupId) {
      const snap = await readSnapshot(ctx, backupId, aptSnapshotSchema);
      if (snap.kind !== 'apt')
        throw new UpkeepError('BACKUP_CORRUPT', `Backup ${backupId} is not a Debian package backup.`);
      requireRoot('Reinstalling the previous Debian packages');
      const specs = Object.entries(snap.versions).map(([name, v]) => `${name}=${v}`);
      if (specs.length)
        await ctx.exec(['apt-get', 'install', '-y', '--allow-downgrades', ...DPKG_OPTIONS, ...specs], { env: APT_ENV });
    },
  },
});
