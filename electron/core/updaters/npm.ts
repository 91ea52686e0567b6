import { access } from 'node:fs/promises';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import { substitute } from './lib/placeholders';
import { defineUpdater, type OwnContext } from './types';

function isGlobal(ctx: OwnContext<'npm'>): boolean {
  return projectFolder(ctx) === null;
}

/** The project folder npm installs into; null for a global install (global: true, or no folder). */
function projectFolder(ctx: OwnContext<'npm'>): string | null {
  return ctx.config.global === true || !ctx.config.folder ? null : ctx.config.folder;
}

function npmSpec(ctx: OwnContext<'npm'>, version: string): string {
  const pkg = ctx.config.package;
  if (!pkg)
    throw new UpkeepError('INVALID_CONFIG', `${ctx.component.id}: set \`package\` to the npm package to install.`);
  // `url` may name a tarball (or a local .tgz) with {target_version}, like OctoPrint's pip URLs.
  if (ctx.config.url) return substitute(ctx.config.url, { target: version, target_version: version });
  return `${pkg}@${version}`;
}

function npmArgs(ctx: OwnContext<'npm'>, spec: string): string[] {
  return [
    'npm',
    'install',
    '--no-audit',
    '--no-fund',
    '--no-update-notifier',
    ...(isGlobal(ctx) ? ['--global'] : []),
    ...(ctx.config.registry ? ['--registry', ctx.config.registry] : []),
    spec,
  ];
}

/** Install the target version of an npm package into the component folder, or globally. */
export const npmUpdater = defineUpdater<'npm'>({
  method: 'npm',

  folder(ctx) {
    return projectFolder(ctx);
  },

  async preflight(ctx) {
    npmSpec(ctx, ctx.target.version);
    await ctx.exec(['npm', '--version'], { quiet: true });
  },

  async apply(ctx) {
    const folder = projectFolder(ctx);
    await ctx.exec(npmArgs(ctx, npmSpec(ctx, ctx.target.version)), {
      ...(folder === null ? {} : { cwd: folder }),
      env: { NO_COLOR: '1' },
    });
  },

  async afterRestore(ctx) {
    const folder = projectFolder(ctx);
    if (folder === null) return;
    const exclude = ctx.config.backup?.exclude;
    // Backups leave node_modules out unless told otherwise: reinstall it from the restored lock file.
    if (exclude && !exclude.some((p) => p.replace(/\/$/, '') === 'node_modules')) return;
    const hasLock = await access(path.join(folder, 'package-lock.json')).then(
      () => true,
      () => false,
    );
    ctx.log(`rebuilding node_modules from the restored ${hasLock ? 'package-lock.json' : 'package.json'}`);
    await ctx.exec(
      [
        'npm',
        hasLock ? 'ci' : 'install',
        '--no-audit',
        '--no-fund',
        '--no-update-notifier',
        ...(ctx.config.registry ? ['--registry', ctx.config.registry] : []),
      ],
      { cwd: folder, env: { NO_COLOR: '1' } },
    );
  },

  snapshot: {
    // Only for a global install (no folder to back up): reinstall the version that was there.
    async create(ctx) {
      if (!ctx.from)
        throw new UpkeepError(
          'UNSUPPORTED',
          `The installed version of ${ctx.config.package} is unknown, so it could not be reinstalled on failure. Set version_from, or update without a backup.`,
          undefined,
          { action: 'update_without_backup' },
        );
      return `npm-${ctx.from.replace(/[^A-Za-z0-9.]+/g, '-')}`.toLowerCase();
    },
    async restore(ctx, backupId) {
      const version = ctx.from ?? backupId.replace(/^npm-/, '');
      await ctx.exec(npmArgs(ctx, npmSpec(ctx, version)), { env: { NO_COLOR: '1' } });
    },
  },
});
