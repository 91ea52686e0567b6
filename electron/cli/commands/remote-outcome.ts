import { UpkeepError } from '../../../shared/errors';
import type { UpdateResult } from '../../../shared/types';
import type { CliContext } from '../context';

/** Codes that mean "not reachable right now": keep trying. Anything else is an answer. */
const TRANSIENT = new Set(['HOST_DISCONNECTED', 'HOST_UNREACHABLE']);
const POLL_MS = 2_000;

export interface OutcomeOptions {
  /** History entry ids that existed before the update was asked for. */
  before: ReadonlySet<string>;
  /** Give up after this long (the update still runs there; `upkeep --on HOST history` shows it later). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The ids of a host's history entries now: taken before an update so its new entries can be told apart. */
export async function historyIds(ctx: CliContext): Promise<Set<string>> {
  const { entries } = await ctx.call('listHistory', { limit: 1000 });
  return new Set(entries.map((e) => e.id));
}

/**
 * After the connection to a host dropped during `update`: the update runs on there (serve --stdio
 * finishes what it took). Reconnect until the host answers and nothing is in progress on two polls
 * running, then return the update entries its history gained — the outcome, read from the host.
 */
export async function awaitRemoteOutcome(ctx: CliContext, options: OutcomeOptions): Promise<UpdateResult[]> {
  const sleep = options.sleep ?? wait;
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  let quiet = 0;
  while (Date.now() < deadline) {
    try {
      const status = await ctx.call('getStatus', {});
      quiet = status.components.some((c) => c.in_progress) ? 0 : quiet + 1;
      if (quiet >= 2) {
        const { entries } = await ctx.call('listHistory', { limit: 1000 });
        return entries
          .filter((e) => e.kind === 'update' && !options.before.has(e.id))
          .reverse()
          .map((e) => ({
            id: e.component,
            from: e.from,
            to: e.to,
            status: e.status,
            backup_id: e.backup_id,
            error: e.error,
            run_id: e.id,
          }));
      }
    } catch (error) {
      if (!(error instanceof UpkeepError) || !TRANSIENT.has(error.code)) throw error;
      quiet = 0;
    }
    await sleep(POLL_MS);
  }
  throw new UpkeepError(
    'HOST_DISCONNECTED',
    `Lost "${ctx.remote ?? 'the host'}" during the update and could not read its outcome in time. The update runs on there: see \`upkeep --on ${ctx.remote ?? 'HOST'} history\`.`,
    { host: ctx.remote ?? null },
  );
}
