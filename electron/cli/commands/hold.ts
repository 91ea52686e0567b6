import { UpkeepError } from '../../../shared/errors';
import type { VersionChoices } from '../../../shared/types';
import type { CommandSpec } from '../context';

function publicChoices(c: VersionChoices) {
  return {
    id: c.id,
    skipped_version: c.skipped_version,
    held: c.held,
    held_version: c.held_version,
    held_at: c.held_at,
  };
}

export const holdCommands: CommandSpec[] = [
  {
    path: ['skip'],
    usage: 'upkeep skip ID [VERSION|--clear]',
    summary: 'Skip a version of a component (the latest by default): it is no longer offered, a newer one is',
    options: { clear: { type: 'boolean' } },
    async run(ctx, { positionals, values }) {
      const [id, given, ...rest] = positionals;
      if (!id || rest.length)
        throw new UpkeepError(
          'INVALID_REQUEST',
          'skip takes a component ID and optionally the VERSION to skip (the latest by default), or --clear.',
        );
      if (values.clear === true && given !== undefined)
        throw new UpkeepError('INVALID_REQUEST', 'Give either a VERSION to skip or --clear, not both.');
      let version: string | null = null;
      if (values.clear !== true) {
        if (given !== undefined) version = given;
        else {
          const [result] = (await ctx.call('checkComponents', { ids: [id] })).components;
          if (result?.error)
            throw new UpkeepError(
              result.error.code,
              `The check of ${id} failed, so its latest version is not known: ${result.error.message} Name the VERSION to skip.`,
            );
          if (!result?.update_available || !result.latest) {
            throw new UpkeepError(
              'NO_UPDATE',
              `${id} has no update on offer${result?.skipped_version ? ` (${result.skipped_version} is already skipped)` : ''}, so there is nothing to skip. Name a VERSION to skip one that is not out yet.`,
            );
          }
          version = result.latest;
        }
      }
      const choices = await ctx.call('skipVersion', { id, version });
      const text =
        version === null
          ? `${id}: no version is skipped; its latest version is offered again.`
          : `${id}: ${version} skipped. A newer version will be offered again; \`upkeep skip ${id} --clear\` undoes this.`;
      return { json: publicChoices(choices), text };
    },
  },
  {
    path: ['hold'],
    usage: 'upkeep hold ID [--release]',
    summary: 'Hold a component at its installed version (no update installs until released), or --release it',
    options: { release: { type: 'boolean' } },
    async run(ctx, { positionals, values }) {
      const [id, ...rest] = positionals;
      if (!id || rest.length)
        throw new UpkeepError('INVALID_REQUEST', 'hold takes exactly one component ID (add --release to release it).');
      const release = values.release === true;
      const choices = await ctx.call('holdComponent', { id, hold: !release });
      const text = release
        ? `${id} is released: updates install again.`
        : `${id} is held at ${choices.held_version ?? 'its installed version'}: Update all, the scheduler and \`upkeep update\` leave it alone. \`upkeep hold ${id} --release\` releases it.`;
      return { json: publicChoices(choices), text };
    },
  },
  {
    path: ['resolve'],
    usage: 'upkeep resolve ID',
    summary: 'Mark a component its last run left needing attention (a failed rollback) as looked after',
    async run(ctx, { positionals }) {
      const [id, ...rest] = positionals;
      if (!id || rest.length) throw new UpkeepError('INVALID_REQUEST', 'resolve takes exactly one component ID.');
      const entry = await ctx.call('resolveAttention', { id });
      return {
        json: { id, resolved_run: entry.id },
        text: `${id}: run ${entry.id} is marked resolved; ${id} no longer needs attention.`,
      };
    },
  },
];
