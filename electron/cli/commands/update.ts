import { createInterface } from 'node:readline/promises';
import { UpkeepError } from '../../../shared/errors';
import type { UpdateResult } from '../../../shared/types';
import { table, withWebhooks, type CliContext, type CommandSpec } from '../context';
import { withCliHint } from '../hints';

async function confirm(ctx: CliContext, question: string, yes: boolean): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY || ctx.json) {
    throw new UpkeepError('INVALID_REQUEST', `${question} Add --yes to confirm when not running interactively.`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new UpkeepError('CANCELLED', 'Cancelled; nothing was changed.');
  } finally {
    rl.close();
  }
}

/** People see each run's log live on stderr; --json keeps stdout to the one document. */
function streamLogs(ctx: CliContext): () => void {
  if (ctx.json) return () => undefined;
  return ctx.services().events.on('update_log', (line) => {
    if (line.stream === 'message') ctx.err(`[${line.component}] ${line.line}`);
    else ctx.err(`[${line.component}] ${line.line}`);
  });
}

function resultRow(r: UpdateResult): (string | null)[] {
  return [r.id, r.from, r.to, r.status, r.backup_id, r.error ? `${r.error.code}: ${withCliHint(r.error, r.id).message}` : null];
}

function publicResult(r: UpdateResult) {
  return { id: r.id, from: r.from, to: r.to, status: r.status, backup_id: r.backup_id, error: r.error ? { code: r.error.code, message: withCliHint(r.error, r.id).message } : null, run_id: r.run_id ?? null };
}

export const updateCommands: CommandSpec[] = [
  {
    path: ['update'],
    usage: 'upkeep update [ID...] [--package NAME]... [--force] [--downgrade] [--no-backup] [--stop-on-failure] [--yes]',
    summary: 'Update components (all with an update available when no ID is given), each with a backup and rollback on failure',
    options: { force: { type: 'boolean' }, downgrade: { type: 'boolean' }, 'no-backup': { type: 'boolean' }, 'stop-on-failure': { type: 'boolean' }, yes: { type: 'boolean', short: 'y' }, package: { type: 'string', multiple: true } },
    async run(ctx, { positionals, values }) {
      const ids = positionals;
      // Environment components (pip_env, npm_env, apt): --package picks the packages to upgrade.
      const packages = Array.isArray(values.package) ? values.package : [];
      // An id that names no component is bad usage, said before anything is asked or run.
      for (const id of new Set(ids)) await ctx.call('getComponent', { id });
      const what = `${packages.length ? `${packages.join(', ')} in ` : ''}${ids.length ? ids.join(', ') : 'every component with an update available'}`;
      await confirm(ctx, `Update ${what}${values['no-backup'] ? ' WITHOUT a backup' : ''}?`, values.yes === true);
      const stop = streamLogs(ctx);
      try {
        const { results } = await withWebhooks(ctx, () =>
          ctx.call('updateComponents', {
            ...(ids.length ? { ids } : {}),
            ...(packages.length ? { packages } : {}),
            force: values.force === true,
            ...(values.downgrade === true ? { downgrade: true } : {}),
            noBackup: values['no-backup'] === true,
            stopOnFailure: values['stop-on-failure'] === true,
          }),
        );
        const failed = results.some((r) => r.status === 'failed' || r.status === 'rolled_back');
        return {
          json: { results: results.map(publicResult) },
          text: results.length ? table(['ID', 'FROM', 'TO', 'STATUS', 'BACKUP', 'ERROR'], results.map(resultRow)) : 'Nothing to update.',
          exitCode: failed ? 1 : 0,
        };
      } finally {
        stop();
      }
    },
  },
  {
    path: ['rollback'],
    usage: 'upkeep rollback ID [--to VERSION|last] [--history-id RUN] --yes',
    summary: 'Restore the pre-update backup of an update from history (the last one by default)',
    options: { to: { type: 'string' }, 'history-id': { type: 'string' }, yes: { type: 'boolean', short: 'y' } },
    async run(ctx, { positionals, values }) {
      const [component, ...rest] = positionals;
      if (!component || rest.length) throw new UpkeepError('INVALID_REQUEST', 'rollback takes exactly one component ID.');
      const to = typeof values.to === 'string' ? values.to : 'last';
      await ctx.call('getComponent', { id: component });
      await confirm(ctx, `Roll ${component} back to ${to === 'last' ? 'the version before its last update' : to}?`, values.yes === true);
      const stop = streamLogs(ctx);
      try {
        const { result, entry } = await withWebhooks(ctx, () =>
          ctx.call('rollbackUpdate', {
            component,
            to,
            ...(typeof values['history-id'] === 'string' ? { history_id: values['history-id'] } : {}),
          }),
        );
        return {
          json: { result: publicResult(result), entry },
          text: result.status === 'succeeded' ? `Rolled ${component} back to ${result.to ?? 'the previous version'} (backup ${result.backup_id}).` : `Rollback of ${component} failed: ${result.error?.message ?? 'unknown error'}`,
          exitCode: result.status === 'succeeded' ? 0 : 1,
        };
      } finally {
        stop();
      }
    },
  },
  {
    path: ['history'],
    usage: 'upkeep history [ID] [--limit N]',
    summary: 'Updates and rollbacks, newest first',
    options: { limit: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const [component, ...rest] = positionals;
      if (rest.length) throw new UpkeepError('INVALID_REQUEST', 'history takes at most one component ID.');
      let limit: number | undefined;
      if (typeof values.limit === 'string') {
        limit = Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new UpkeepError('INVALID_REQUEST', '--limit must be a positive whole number.');
      }
      const { entries } = await ctx.call('listHistory', { ...(component ? { component } : {}), ...(limit !== undefined ? { limit } : {}) });
      return {
        json: { entries },
        text: entries.length
          ? table(['WHEN', 'ID', 'COMPONENT', 'KIND', 'FROM', 'TO', 'STATUS', 'BACKUP', 'BY'], entries.map((e) => [e.finished_at, e.id, e.component, e.kind, e.from, e.to, e.status, e.backup_id, e.initiated_by]))
          : 'No updates yet.',
      };
    },
  },
];
