import { createInterface } from 'node:readline/promises';
import { UpkeepError } from '../../../shared/errors';
import type { UpdateResult } from '../../../shared/types';
import { table, withWebhooks, type CliContext, type CommandSpec } from '../context';
import { awaitRemoteOutcome, historyIds } from './remote-outcome';
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
  return ctx.onEvent('update_log', (line) => {
    if (line.stream === 'message') ctx.err(`[${line.component}] ${line.line}`);
    else ctx.err(`[${line.component}] ${line.line}`);
  });
}

/**
 * Ctrl+C while updating: the first cancels the running update (it rolls back) and starts no
 * further component; later ones only say it is still rolling back. The command exits 130 once the
 * rollback is done. Commands run in process groups of their own, so Ctrl+C never reaches them directly.
 */
function cancelOnInterrupt(ctx: CliContext): { interrupted(): boolean; stop(): void } {
  let count = 0;
  const onInterrupt = () => {
    count++;
    if (count > 1) {
      ctx.err(
        'upkeep: still cancelling — the update is being rolled back; Upkeep exits when the folder is back as it was.',
      );
      return;
    }
    const cancelled = ctx.services().updates.cancelAll('by Ctrl+C');
    ctx.err(
      cancelled.length
        ? `upkeep: cancelling the update of ${cancelled.map((c) => c.component).join(', ')} (at ${cancelled.map((c) => c.step).join(', ')}); rolling back, please wait.`
        : 'upkeep: cancelling; no further component is started (an update past its commit point finishes first).',
    );
  };
  process.on('SIGINT', onInterrupt);
  return { interrupted: () => count > 0, stop: () => void process.off('SIGINT', onInterrupt) };
}

function resultRow(r: UpdateResult): (string | null)[] {
  return [
    r.id,
    r.from,
    r.to,
    r.status,
    r.backup_id,
    r.error ? `${r.error.code}: ${withCliHint(r.error, r.id).message}` : null,
  ];
}

function publicResult(r: UpdateResult) {
  return {
    id: r.id,
    from: r.from,
    to: r.to,
    status: r.status,
    backup_id: r.backup_id,
    error: r.error ? { code: r.error.code, message: withCliHint(r.error, r.id).message } : null,
    run_id: r.run_id ?? null,
  };
}

export const updateCommands: CommandSpec[] = [
  {
    path: ['update'],
    usage:
      'upkeep update [ID...] [--package NAME]... [--force] [--downgrade] [--no-backup] [--stop-on-failure] [--yes]',
    summary:
      'Update components (all with an update available when no ID is given), each with a backup and rollback on failure',
    options: {
      force: { type: 'boolean' },
      downgrade: { type: 'boolean' },
      'no-backup': { type: 'boolean' },
      'stop-on-failure': { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      package: { type: 'string', multiple: true },
    },
    async run(ctx, { positionals, values }) {
      const ids = positionals;
      // Environment components (pip_env, npm_env, apt): --package picks the packages to upgrade.
      const packages = Array.isArray(values.package) ? values.package : [];
      // An id that names no component is bad usage, said before anything is asked or run.
      for (const id of new Set(ids)) await ctx.call('getComponent', { id });
      const what = `${packages.length ? `${packages.join(', ')} in ` : ''}${ids.length ? ids.join(', ') : 'every component with an update available'}`;
      await confirm(ctx, `Update ${what}${values['no-backup'] ? ' WITHOUT a backup' : ''}?`, values.yes === true);
      // On a remote host: what its history holds now, to find this update's outcome should the connection drop.
      const before = ctx.remote !== undefined ? await historyIds(ctx) : undefined;
      const stop = streamLogs(ctx);
      const interrupt = cancelOnInterrupt(ctx);
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
        ).catch(async (error: unknown) => {
          if (!before || !(error instanceof UpkeepError) || error.code !== 'HOST_DISCONNECTED') throw error;
          ctx.err(
            `upkeep: the connection to ${ctx.remote} dropped; the update goes on there. Reconnecting to read its outcome…`,
          );
          const results = await awaitRemoteOutcome(ctx, { before });
          // Unknown is not "nothing to update": the request may never have reached the host.
          if (!results.length)
            throw new UpkeepError(
              'HOST_DISCONNECTED',
              `The connection to ${ctx.remote} dropped and its history shows no update since: it may not have started. Run the command again.`,
              { host: ctx.remote },
            );
          return { results };
        });
        const failed = results.some(
          (r) => r.status === 'failed' || r.status === 'rolled_back' || r.status === 'cancelled',
        );
        return {
          json: { results: results.map(publicResult) },
          text: results.length
            ? table(['ID', 'FROM', 'TO', 'STATUS', 'BACKUP', 'ERROR'], results.map(resultRow))
            : 'Nothing to update.',
          // 130: stopped by Ctrl+C (SIGINT), as shells report it; the rollback has finished by now.
          exitCode: interrupt.interrupted() ? 130 : failed ? 1 : 0,
        };
      } finally {
        interrupt.stop();
        stop();
      }
    },
  },
  {
    path: ['cancel'],
    usage: 'upkeep cancel ID',
    summary:
      'Cancel the running update of a component (or run id) before its commit point: it rolls back and is recorded as cancelled',
    async run(ctx, { positionals }) {
      const [id, ...rest] = positionals;
      if (!id || rest.length)
        throw new UpkeepError('INVALID_REQUEST', 'cancel takes exactly one component ID or run id.');
      const result = await ctx.call('cancelUpdate', { id });
      const where = result.holder === 'this_process' ? '' : ` (run by process ${result.pid})`;
      return {
        json: result,
        text: `Cancelling the update of ${result.component} at step ${result.step}${where}: it is rolled back and recorded as cancelled (run ${result.run_id}). \`upkeep history ${result.component}\` shows the outcome.`,
      };
    },
  },
  {
    path: ['rollback'],
    usage: 'upkeep rollback ID [--to VERSION|last] [--history-id RUN] --yes',
    summary: 'Restore the pre-update backup of an update from history (the last one by default)',
    options: { to: { type: 'string' }, 'history-id': { type: 'string' }, yes: { type: 'boolean', short: 'y' } },
    async run(ctx, { positionals, values }) {
      const [component, ...rest] = positionals;
      if (!component || rest.length)
        throw new UpkeepError('INVALID_REQUEST', 'rollback takes exactly one component ID.');
      const to = typeof values.to === 'string' ? values.to : 'last';
      await ctx.call('getComponent', { id: component });
      await confirm(
        ctx,
        `Roll ${component} back to ${to === 'last' ? 'the version before its last update' : to}?`,
        values.yes === true,
      );
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
          text:
            result.status === 'succeeded'
              ? `Rolled ${component} back to ${result.to ?? 'the previous version'} (backup ${result.backup_id}).`
              : `Rollback of ${component} failed: ${result.error?.message ?? 'unknown error'}`,
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
        if (!Number.isInteger(limit) || limit < 1)
          throw new UpkeepError('INVALID_REQUEST', '--limit must be a positive whole number.');
      }
      const { entries } = await ctx.call('listHistory', {
        ...(component ? { component } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      return {
        json: { entries },
        text: entries.length
          ? table(
              ['WHEN', 'ID', 'COMPONENT', 'KIND', 'FROM', 'TO', 'STATUS', 'BACKUP', 'BY'],
              entries.map((e) => [
                e.finished_at,
                e.id,
                e.component,
                e.kind,
                e.from,
                e.to,
                e.status,
                e.backup_id,
                e.initiated_by,
              ]),
            )
          : 'No updates yet.',
      };
    },
  },
];
