import { randomUUID } from 'node:crypto';
import type { CallContext, ParsedRequestOf, ResponseOf } from '../../../shared/contract';
import { UpkeepError, toErrorShape, type ErrorShape } from '../../../shared/errors';
import type { UpdateStep } from '../../../shared/types';
import type { RolloutHostResult, RolloutResult } from '../../../shared/types/fleet';
import type { EventBus } from '../events';
import { LOCAL_HOST, type Fleet } from './fleet';

type RolloutRequest = ParsedRequestOf<'startRollout'>;

interface RolloutDeps {
  fleet: Fleet;
  events: EventBus;
  /** The registered hosts' names (for the default set). */
  hostNames(): Promise<string[]>;
}

/**
 * A staged rollout: the canary first; the others, one by one, only after the canary's update —
 * its health checks included — succeeded. The first host that fails stops the rollout; the result
 * (and the last rollout_progress event) says which host, which component and which step.
 */
export async function runRollout(deps: RolloutDeps, request: RolloutRequest, ctx: CallContext): Promise<RolloutResult> {
  const explicit = request.hosts !== undefined;
  const registered = await deps.hostNames();
  const order = uniqueOrder(request.canary, request.hosts ?? [LOCAL_HOST, ...registered]);
  // A misspelt host is refused before any host is touched.
  const unknown = order.find((h) => h !== LOCAL_HOST && !registered.includes(h));
  if (unknown !== undefined) {
    throw new UpkeepError(
      'NOT_FOUND',
      `No host named "${unknown}": nothing was updated. Add the host first, or name local for this computer.`,
      { kind: 'host', host: unknown },
      { action: 'add_host' },
    );
  }
  const result: RolloutResult = {
    rollout_id: randomUUID(),
    component: request.component,
    status: 'succeeded',
    stopped_at: null,
    hosts: order.map((host, i) => ({
      host,
      canary: i === 0,
      status: 'pending',
      from: null,
      to: null,
      update_status: null,
      step: null,
      error: null,
    })),
  };
  const steps = followSteps(deps.events, request.component);
  try {
    for (const entry of result.hosts) {
      if (result.stopped_at) {
        entry.status = 'not_started';
        continue;
      }
      await rollOne(deps, request, ctx, entry, {
        explicit,
        steps,
        progress: (step) => progress(deps.events, result, entry, step),
      });
      if (entry.status === 'failed') {
        result.status = 'stopped';
        result.stopped_at = {
          host: entry.host,
          component: request.component,
          step: entry.step,
          error: entry.error,
          canary: entry.canary,
        };
      }
    }
  } finally {
    steps.stop();
  }
  deps.events.emit('rollout_progress', {
    rollout_id: result.rollout_id,
    component: request.component,
    host: result.stopped_at?.host ?? order[order.length - 1] ?? request.canary,
    status: result.stopped_at ? 'failed' : 'succeeded',
    step: null,
    result,
  });
  return result;
}

function uniqueOrder(canary: string, hosts: string[]): string[] {
  return [canary, ...hosts.filter((h, i) => h !== canary && hosts.indexOf(h) === i)];
}

function progress(events: EventBus, result: RolloutResult, entry: RolloutHostResult, step: UpdateStep | null): void {
  events.emit('rollout_progress', {
    rollout_id: result.rollout_id,
    component: result.component,
    host: entry.host,
    status: entry.status,
    step,
    result: null,
  });
}

interface RollContext {
  explicit: boolean;
  steps: StepTracker;
  progress(step: UpdateStep | null): void;
}

/** Check, then update, the component on one host; fills in `entry`. */
async function rollOne(
  deps: RolloutDeps,
  request: RolloutRequest,
  ctx: CallContext,
  entry: RolloutHostResult,
  roll: RollContext,
): Promise<void> {
  const host = entry.host;
  entry.status = 'checking';
  roll.progress(null);
  let check: ResponseOf<'checkComponents'>;
  try {
    check = (await deps.fleet.invoke(
      'checkComponents',
      { ids: [request.component] },
      ctx,
      host,
    )) as ResponseOf<'checkComponents'>;
  } catch (error) {
    const shape = toErrorShape(error);
    // The default set is every host: one that does not track the component is left out, not failed.
    if (!roll.explicit && !entry.canary && shape.code === 'NOT_FOUND' && shape.details?.kind !== 'host') {
      entry.status = 'not_started';
      entry.error = shape;
      return;
    }
    return fail(entry, shape.code.startsWith('HOST_') ? 'connect' : 'check', shape);
  }
  const found = check.components[0];
  entry.from = found?.installed ?? null;
  entry.to = found?.latest ?? null;
  if (found?.error) return fail(entry, 'check', found.error);
  if (!found?.update_available && request.force !== true) {
    entry.status = 'up_to_date';
    roll.progress(null);
    return;
  }
  entry.status = 'updating';
  roll.progress(null);
  roll.steps.begin(host, (step) => roll.progress(step));
  let update: ResponseOf<'updateComponents'>;
  try {
    update = (await deps.fleet.invoke(
      'updateComponents',
      { ids: [request.component], force: request.force, stopOnFailure: true },
      ctx,
      host,
    )) as ResponseOf<'updateComponents'>;
  } catch (error) {
    const shape = toErrorShape(error);
    // The connection dropped while the update ran: it goes on to its end there, its outcome unknown here.
    // The rollout stops (unknown is not success) and says where to read the outcome.
    if (shape.code === 'HOST_DISCONNECTED') {
      shape.message = `Lost the connection to ${host} during the update of ${request.component}; the update goes on there, its outcome unknown here. The rollout stopped: see the history on ${host}, then roll out again.`;
      shape.action = 'host_history';
      shape.details = { ...shape.details, host };
    }
    return fail(entry, roll.steps.last(host) ?? (shape.code.startsWith('HOST_') ? 'connect' : 'preflight'), shape);
  }
  const outcome = update.results[0];
  entry.update_status = outcome?.status ?? null;
  if (outcome?.status === 'succeeded') {
    entry.status = 'succeeded';
    entry.from = outcome.from ?? entry.from;
    entry.to = outcome.to ?? entry.to;
    roll.progress(null);
    return;
  }
  fail(
    entry,
    roll.steps.last(host) ?? stepOf(outcome?.error ?? null),
    outcome?.error ?? {
      code: 'INTERNAL',
      message: `The update on ${host} ended ${outcome?.status ?? 'without a result'}.`,
    },
  );
}

function fail(entry: RolloutHostResult, step: RolloutHostResult['step'], error: ErrorShape): void {
  entry.status = 'failed';
  entry.step = step;
  entry.error = error;
}

/** When no progress event named the step: what the error says it was. */
function stepOf(error: ErrorShape | null): UpdateStep | null {
  if (error?.code === 'HEALTH_CHECK_FAILED') return 'health';
  if (error?.code === 'CHECKSUM_MISMATCH' || error?.code === 'SIGNATURE_INVALID') return 'verify';
  return null;
}

interface StepTracker {
  begin(host: string, onStep: (step: UpdateStep) => void): void;
  /** The last step (before any rollback) the update on `host` reported. */
  last(host: string): UpdateStep | null;
  stop(): void;
}

/** The update's steps on each host, from update_progress (local) and host_event (remote). */
function followSteps(events: EventBus, component: string): StepTracker {
  const last = new Map<string, UpdateStep>();
  let current: { host: string; onStep: (step: UpdateStep) => void } | null = null;
  const seen = (host: string, payload: { component: string; step: UpdateStep; kind: string }) => {
    if (payload.component !== component || payload.kind !== 'update' || payload.step === 'rollback') return;
    last.set(host, payload.step);
    if (current?.host === host) current.onStep(payload.step);
  };
  const offLocal = events.on('update_progress', (p) => seen(LOCAL_HOST, p));
  const offRemote = events.on('host_event', (e) => {
    if (e.event === 'update_progress') seen(e.host, e.payload);
  });
  return {
    begin(host, onStep) {
      last.delete(host);
      current = { host, onStep };
    },
    last: (host) => last.get(host) ?? null,
    stop() {
      offLocal();
      offRemote();
    },
  };
}
