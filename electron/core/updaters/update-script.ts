import { UpkeepError } from '../../../shared/errors';
import { buildArgv } from './lib/placeholders';
import { componentPython } from './lib/python';
import { defineUpdater, type OwnContext } from './types';

function argv(ctx: OwnContext<'update_script'>): string[] {
  const script = ctx.config.update_script;
  if (!script)
    throw new UpkeepError('INVALID_CONFIG', `${ctx.component.id}: set \`update_script\` to the command to run.`);
  return buildArgv(script, {
    target: ctx.target.tag ?? ctx.target.version,
    target_version: ctx.target.version,
    branch: ctx.config.branch ?? (ctx.component.channel !== 'stable' ? ctx.component.channel : ''),
    folder: ctx.config.folder ?? '',
    python: componentPython(ctx.config),
  });
}

/** OctoPrint's update_script: an argv template, placeholders substituted per item, never a shell. */
export const updateScriptUpdater = defineUpdater<'update_script'>({
  method: 'update_script',

  folder(ctx) {
    return ctx.config.folder ?? null;
  },

  async preflight(ctx) {
    argv(ctx);
  },

  async apply(ctx) {
    await ctx.exec(argv(ctx), ctx.config.folder ? { cwd: ctx.config.folder } : {});
  },
});
