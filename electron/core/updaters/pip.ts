import { UpkeepError } from '../../../shared/errors';
import { buildArgv, substitute } from './lib/placeholders';
import { componentPython, venvRoot } from './lib/python';
import { defineUpdater, type OwnContext } from './types';
import { isStringArray } from '../../../shared/guards';

function pipSpec(ctx: OwnContext<'pip'>, version = ctx.target.version, tag = ctx.target.tag): string {
  const target = tag ?? version;
  if (ctx.config.pip) return substitute(ctx.config.pip, { target, target_version: version });
  if (ctx.config.package) return `${ctx.config.package}==${version}`;
  throw new UpkeepError(
    'INVALID_CONFIG',
    `${ctx.component.id}: set \`pip\` to what to install, e.g. "mypkg=={target_version}".`,
  );
}

function pipCommand(ctx: OwnContext<'pip'>): string[] {
  const custom = ctx.config.pip_command;
  if (typeof custom === 'string' || isStringArray(custom)) return buildArgv(custom, {});
  return [componentPython(ctx.config), '-m', 'pip'];
}

const PIP_ENV = { PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONUNBUFFERED: '1', PIP_NO_INPUT: '1' };

/** OctoPrint's pip method: `pip install` of the `pip` target into the component's own python. */
export const pipUpdater = defineUpdater<'pip'>({
  method: 'pip',

  // pip changes the environment, so that is what the pre-update backup holds (a venv inside the
  // component folder is left out of folder backups by default).
  folder(ctx) {
    return venvRoot(componentPython(ctx.config)) ?? ctx.config.folder ?? null;
  },

  async preflight(ctx) {
    pipSpec(ctx);
    await ctx.exec([...pipCommand(ctx), '--version'], { env: PIP_ENV });
  },

  async apply(ctx) {
    const spec = pipSpec(ctx);
    const forceReinstall = ctx.force || ctx.config.force_reinstall === true;
    const argv = [
      ...pipCommand(ctx),
      'install',
      '--no-input',
      ...(forceReinstall ? ['--force-reinstall', '--no-deps'] : []),
      spec,
    ];
    const cwd = ctx.config.pip_cwd;
    await ctx.exec(argv, {
      env: PIP_ENV,
      ...(typeof cwd === 'string' ? { cwd } : ctx.config.folder ? { cwd: ctx.config.folder } : {}),
    });
  },

  snapshot: {
    // Only used when there is no folder to back up (a system python): reinstall the version that was there.
    async create(ctx) {
      if (!ctx.from || !ctx.config.package) {
        throw new UpkeepError(
          'UNSUPPORTED',
          `${ctx.component.id} has no folder to back up and no \`package\` to reinstall; set \`folder\` (the venv) or \`package\`, or update without a backup.`,
          undefined,
          { action: 'update_without_backup' },
        );
      }
      return `pip-${ctx.config.package.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${ctx.from.replace(/[^A-Za-z0-9.]+/g, '-')}`.toLowerCase();
    },
    async restore(ctx, backupId) {
      const version = ctx.from ?? backupId.split('-').pop() ?? backupId;
      await ctx.exec(
        [
          ...pipCommand(ctx),
          'install',
          '--no-input',
          '--force-reinstall',
          '--no-deps',
          pipSpec(ctx, version, undefined),
        ],
        { env: PIP_ENV },
      );
    },
  },
});
