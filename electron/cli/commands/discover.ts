import { UpkeepError } from '../../../shared/errors';
import type { DiscoverResult } from '../../../shared/types';
import { table, type CommandSpec } from '../context';

export const discoverCommands: CommandSpec[] = [
  {
    path: ['discover'],
    usage: 'upkeep discover [--npm-global] [--pip PYTHON] [--git DIR] [--add]',
    summary:
      'Find global npm packages, Python packages of an interpreter/venv and git checkouts under DIR; --add tracks the new ones',
    options: {
      'npm-global': { type: 'boolean' },
      pip: { type: 'string' },
      git: { type: 'string' },
      add: { type: 'boolean' },
    },
    async run(ctx, { positionals, values }) {
      if (positionals.length)
        throw new UpkeepError(
          'INVALID_REQUEST',
          `discover takes no arguments (got "${positionals.join(' ')}"). Use --npm-global, --pip PYTHON or --git DIR.`,
        );
      const request = {
        ...(values['npm-global'] === true ? { npm_global: true } : {}),
        ...(typeof values.pip === 'string' ? { python: values.pip } : {}),
        ...(typeof values.git === 'string' ? { git_dir: values.git } : {}),
      };
      if (Object.keys(request).length === 0) {
        throw new UpkeepError(
          'INVALID_REQUEST',
          'Say where to look: --npm-global, --pip PYTHON (an interpreter or venv folder) and/or --git DIR.',
        );
      }
      const result = await ctx.call('discover', request);
      let added: string[] = [];
      if (values.add === true) {
        const mapping = Object.fromEntries(
          result.proposals.filter((p) => !p.already_tracked).map((p) => [p.id, p.config]),
        );
        if (Object.keys(mapping).length) added = (await ctx.call('addComponents', { components: mapping })).added;
      }
      const json = values.add === true ? { ...result, added } : result;
      return {
        json,
        text: describe(result, values.add === true ? added : null),
        exitCode: result.errors.length ? 1 : 0,
      };
    },
  },
];

function describe(result: DiscoverResult, added: string[] | null): string {
  const lines: string[] = [];
  if (result.proposals.length) {
    lines.push(
      table(
        ['ID', 'SOURCE', 'TYPE', 'METHOD', 'INSTALLED', 'TRACKED', 'NOTE'],
        result.proposals.map((p) => [
          p.id,
          p.source,
          p.config.type,
          p.config.method ?? '-',
          p.installed,
          p.already_tracked ? 'yes' : 'no',
          p.note ?? '',
        ]),
      ),
    );
  } else {
    lines.push('Nothing found.');
  }
  for (const e of result.errors) lines.push(`error (${e.source}): ${e.message} [${e.code}]`);
  const fresh = result.proposals.filter((p) => !p.already_tracked).length;
  if (added === null) {
    if (fresh)
      lines.push(
        `${fresh} not tracked yet. Run again with --add to track them all, or add single ones with \`upkeep component add\`.`,
      );
  } else {
    lines.push(added.length ? `Added ${added.join(', ')}` : 'Nothing new to add.');
  }
  return lines.join('\n');
}
