import type { Unsubscribe } from '../../../shared/contract';
import type { Webhook } from '../../../shared/schemas/settings';
import type { EventBus } from '../events';
import { onNotification, type Notification } from './messages';
import type { WebhookDelivery } from '../../../shared/types';
import { webhookPayload } from './webhook-payload';
import { logger } from '../lib/log';
import { deliverWebhook, webhookLabel, type DeliveryOptions, type DeliveryReport } from './webhook-sender';
import { errorMessage } from '../lib/error-info';

const log = logger('notify.webhooks');

export interface WebhookNotifierOptions {
  events: EventBus;
  /** Read for every notification, so changes in Settings apply at once. */
  webhooks: () => readonly Webhook[];
  nameOf?: (id: string) => string;
  delivery?: Omit<DeliveryOptions, 'signal'>;
  /** Every delivery's outcome (for the log); never called with the URL. */
  onReport?: (report: DeliveryReport) => void;
  /** Per webhook; beyond it the oldest waiting notification is dropped. */
  maxQueue?: number;
  now?: () => number;
}

interface Job {
  webhook: Webhook;
  notification: Notification;
}

/**
 * Sends notifications to the configured webhooks from a queue of its own: emitting an event
 * returns at once, so a slow, failing or unreachable webhook never holds up an update. Each
 * webhook has its own queue, so one that is down does not delay the others.
 */
export class WebhookNotifier {
  private readonly queues = new Map<string, Job[]>();
  private readonly workers = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private unsubscribe: Unsubscribe | undefined;
  /** Notifications dropped because a queue was full (a webhook down for a long time). */
  dropped = 0;

  constructor(private readonly options: WebhookNotifierOptions) {}

  /** Subscribe to the engine's events. Returns the unsubscribe function. */
  start(): Unsubscribe {
    this.unsubscribe ??= onNotification(this.options.events, (n) => this.enqueue(n), {
      ...(this.options.nameOf ? { nameOf: this.options.nameOf } : {}),
      ...(this.options.now ? { now: this.options.now } : {}),
    });
    return () => {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
    };
  }

  /** Queue a notification for every webhook that wants it; never waits, never throws. */
  enqueue(notification: Notification): void {
    if (this.abort.signal.aborted) return;
    let hooks: readonly Webhook[];
    try {
      hooks = this.options.webhooks();
    } catch (error) {
      // Settings unreadable: this notification is not sent (the panel and history still have it).
      log.error('webhooks could not be read; a notification was not sent', {
        kind: notification.kind,
        component: notification.component,
        error,
      });
      return;
    }
    for (const webhook of hooks) {
      if (webhook.events && notification.kind !== 'test' && !webhook.events.includes(notification.kind)) continue;
      const key = `${webhook.format}|${webhook.url}`;
      const queue = this.queues.get(key) ?? [];
      this.queues.set(key, queue);
      queue.push({ webhook, notification });
      const max = this.options.maxQueue ?? 100;
      while (queue.length > max) {
        queue.shift();
        this.dropped++;
      }
      if (!this.workers.has(key)) {
        const worker = this.drain(key).finally(() => this.workers.delete(key));
        this.workers.set(key, worker);
      }
    }
  }

  private async drain(key: string): Promise<void> {
    const queue = this.queues.get(key);
    while (queue && !this.abort.signal.aborted) {
      const job = queue.shift();
      if (job === undefined) break;
      let report: DeliveryReport;
      try {
        report = await deliverWebhook(
          job.webhook,
          job.notification.kind,
          webhookPayload(job.webhook.format, job.notification),
          {
            ...this.options.delivery,
            signal: this.abort.signal,
          },
        );
      } catch (error) {
        report = {
          webhook: webhookLabel(job.webhook),
          event: job.notification.kind,
          ok: false,
          attempts: 1,
          status: null,
          error: errorMessage(error),
        };
      }
      try {
        this.options.onReport?.(report);
      } catch {
        // A broken log sink must not stop deliveries.
      }
    }
    this.queues.delete(key);
  }

  /** Resolves when every queued notification has been delivered or given up on. */
  async idle(): Promise<void> {
    while (this.workers.size > 0) await Promise.all([...this.workers.values()]);
  }

  /** Stop listening and abandon pending retries (hosts call this when they quit). */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.abort.abort();
    await this.idle();
  }
}

/** The notification `testWebhooks` sends: says where it came from, names no component. */
export function testNotification(now = Date.now()): Notification {
  return {
    kind: 'test',
    component: 'upkeep',
    name: 'Upkeep',
    from_version: null,
    to_version: null,
    title: 'Upkeep test notification',
    body: 'This webhook is set up: Upkeep will post here when updates are available, succeed, fail or are rolled back.',
    error: null,
    run_id: null,
    at: new Date(now).toISOString(),
  };
}

/**
 * Send the test notification to each webhook and wait for the outcome (the user asked for it and
 * is waiting; updates never call this). Event filters do not apply to a test.
 */
export async function sendTestNotifications(
  webhooks: readonly Webhook[],
  options: Omit<DeliveryOptions, 'signal'> = {},
): Promise<WebhookDelivery[]> {
  const n = testNotification();
  return Promise.all(
    webhooks.map((w) =>
      deliverWebhook(w, 'test', webhookPayload(w.format, n), { retryDelaysMs: [], timeoutMs: 10_000, ...options }),
    ),
  );
}
