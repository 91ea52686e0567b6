import { UpkeepError } from '../../../shared/errors';
import type { RolloutResult } from '../../../shared/types/fleet';
import { closeFleet } from '../../core/fleet';
import { table, type CommandSpec } from '../context';

function describe(result: RolloutResult): string {
  const rows = result.hosts.map((h) => [
    h.host + (h.canary ? ' (canary)' : ''),
    h.status,
    h.from,
    h.to,
    h.status === 'failed' ? `${h.step ?? '?'}: ${h.error?.code ?? ''}` : null,
  ]);
  const stop = result.stopped_at;
  const last = stop
    ? `Stopped at ${stop.host}${stop.canary ? ' (the canary)' : ''}: ${stop.component}, step ${stop.step ?? 'unknown'} — ${stop.error?.message ?? 'no reason given'} [${stop.error?.code ?? '?'}]. The hosts after it were not touched.`
    : `${result.component} rolled out to ${result.hosts.filter((h) => h.status === 'succeeded').length} host(s).`;
  return `${table(['HOST', 'STATUS', 'FROM', 'TO', 'FAILED AT'], rows)}\n${last}`;
}

export const rolloutCommands: CommandSpec[] = [
  {
    path: ['rollout'],
    usage: 'upkeep rollout ID --canary HOST [--hosts A,B] [--force]',
    summary:
      'Staged rollout: update ID on the canary host first, then on the others once its health checks pass; stop at the first failure (`local` is this computer)',
    options: { canary: { type: 'string' }, hosts: { type: 'string' }, force: { type: 'boolean' } },
    async run(ctx, { positionals, values }) {
      const [id, ...rest] = positionals;
      if (!id || rest.length)
        throw new UpkeepError(
          'INVALID_REQUEST',
          'rollout takes exactly one component ID, e.g. `upkeep rollout webapp --canary pi`.',
        );
      if (typeof values.canary !== 'string')
        throw new UpkeepError(
          'INVALID_REQUEST',
          'Name the canary host: --canary HOST (a name from `upkeep host list`, or local).',
        );
      const hosts =
        typeof values.hosts === 'string'
          ? values.hosts
              .split(',')
              .map((h) => h.trim())
              .filter((h) => h !== '')
          : undefined;
      try {
        const result = await ctx.call('startRollout', {
          component: id,
          canary: values.canary,
          ...(hosts ? { hosts } : {}),
          ...(values.force === true ? { force: true } : {}),
        });
        return { json: { rollout: result }, text: describe(result), exitCode: result.status === 'succeeded' ? 0 : 1 };
      } finally {
        await closeFleet(ctx.services());
      }
    },
  },
];
