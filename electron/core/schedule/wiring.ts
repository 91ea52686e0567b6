import type { Settings } from '../../../shared/schemas/settings';
import type { CheckResult, HistoryEntry, RunDueResult, UpdateResult } from '../../../shared/types';
import type { Services } from '../services';
import type { VersionChoiceLookup } from '../config/version-choices';
import { WebhookNotifier } from '../notify/notifier';
import type { DeliveryOptions, DeliveryReport } from '../notify/webhook-sender';
import { Scheduler, systemClock, type Clock, type SchedulerChecks, type SchedulerUpdates } from './scheduler';

/** The parts of Services the scheduler reads. */
export interface SchedulerServices {
  layout: { home: string };
  events: Services['events'];
  components: Services['components'];
  settings: { get(): Settings };
  checks: { check(ids?: string[], options?: { force?: boolean }): Promise<CheckResult[]> };
  holds?: VersionChoiceLookup;
  updates: {
    updateComponents(
      ids: string[] | undefined,
      options: { initiatedBy: 'schedule'; packages?: string[] },
    ): Promise<UpdateResult[]>;
    history: { readAll(): Promise<HistoryEntry[]> };
  };
}

const schedulers = new WeakMap<object, Scheduler>();

/** The one scheduler of a Services object: the API and the background loop share it, so passes never overlap. */
export function schedulerFor(
  services: SchedulerServices,
  options: { clock?: Clock; timeZone?: string } = {},
): Scheduler {
  let scheduler = schedulers.get(services);
  if (!scheduler) {
    const checks: SchedulerChecks = { check: (ids, opts) => services.checks.check(ids, opts) };
    const updates: SchedulerUpdates = { updateComponents: (ids, opts) => services.updates.updateComponents(ids, opts) };
    scheduler = new Scheduler({
      clock: options.clock ?? systemClock,
      home: services.layout.home,
      events: services.events,
      components: services.components,
      settings: services.settings,
      history: { readAll: () => services.updates.history.readAll() },
      checks: () => checks,
      updates: () => updates,
      holds: () => services.holds,
      ...(options.timeZone ? { timeZone: options.timeZone } : {}),
    });
    schedulers.set(services, scheduler);
  }
  return scheduler;
}

/** Webhooks for a Services object: subscribed to its events, reading the list from settings. */
export function startWebhooks(
  services: Pick<SchedulerServices, 'events' | 'components' | 'settings'>,
  options: { delivery?: Omit<DeliveryOptions, 'signal'>; onReport?: (report: DeliveryReport) => void } = {},
): WebhookNotifier {
  const notifier = new WebhookNotifier({
    events: services.events,
    webhooks: () => services.settings.get().webhooks ?? [],
    nameOf: (id) => {
      try {
        return services.components.get(id).name;
      } catch {
        // A component removed since the event: named by its id.
        return id;
      }
    },
    ...(options.delivery ? { delivery: options.delivery } : {}),
    ...(options.onReport ? { onReport: options.onReport } : {}),
  });
  notifier.start();
  return notifier;
}

export interface StartSchedulerOptions {
  clock?: Clock;
  /** How often a pass looks for due work (default: every minute; checks themselves follow the interval). */
  tickMs?: number;
  /** Send webhooks from this process (default true). */
  webhooks?: boolean;
  onPass?: (result: RunDueResult) => void;
  onError?: (error: unknown) => void;
  onWebhookReport?: (report: DeliveryReport) => void;
}

/**
 * Run the scheduler inside a long-lived host (`upkeep serve`, the desktop app): a start-up pass at
 * once (checks what the cache no longer covers), then a pass every `tickMs`; webhooks for the
 * engine's events; manual checks noted so an update is announced once. Returns the stop function,
 * which waits for a pass in progress to finish.
 */
export function startScheduler(services: SchedulerServices, options: StartSchedulerOptions = {}): () => Promise<void> {
  const scheduler = schedulerFor(services, options.clock ? { clock: options.clock } : {});
  const tickMs = options.tickMs ?? 60_000;
  const onError = options.onError ?? (() => undefined);
  const notifier =
    options.webhooks === false
      ? undefined
      : startWebhooks(services, options.onWebhookReport ? { onReport: options.onWebhookReport } : {});
  const offs = [
    services.events.on('check_result', ({ result }) => {
      scheduler.noteCheckResult(result).catch(onError);
    }),
    services.events.on('update_succeeded', (outcome) => {
      scheduler.noteUpdateSucceeded(outcome).catch(onError);
    }),
  ];
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();

  const run = (startup: boolean) => {
    current = scheduler
      .runDue({ startup })
      .then((result) => options.onPass?.(result))
      .catch(onError)
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(() => run(false), tickMs);
          timer.unref?.();
        }
      });
  };
  run(true);

  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    for (const off of offs) off();
    await current;
    await notifier?.stop();
  };
}
