import type { EventMap, Unsubscribe } from '../../../shared/contract';
import type { NotificationKind } from '../../../shared/types';
import type { EventBus } from '../events';
import { redactSecrets } from '../lib/log';

/** One thing worth telling a person, the same for OS notifications and webhooks. */
export interface Notification {
  kind: NotificationKind;
  component: string;
  /** Display name; the id when the component is gone. */
  name: string;
  from_version: string | null;
  to_version: string | null;
  /** Short, for a notification title. */
  title: string;
  /** One or two sentences. */
  body: string;
  /** What went wrong (failed, rolled back); messages are the engine's, already free of secrets. */
  error: { code: string; message: string } | null;
  run_id: string | null;
  at: string;
}

/** The engine events that become notifications. */
export type NotifyingEvent = Exclude<NotificationKind, 'test'>;
export const NOTIFICATION_KINDS: readonly NotifyingEvent[] = [
  'update_available',
  'update_succeeded',
  'update_failed',
  'update_rolled_back',
];
/** One engine event that becomes a notification: its kind and its payload, which the kind decides. */
export type NotifyingPayload = { [K in NotifyingEvent]: { kind: K; payload: EventMap[K] } }[NotifyingEvent];

const MAX_TEXT = 300;

/**
 * Text that leaves the machine: URLs lose credentials and query strings (tokens ride there),
 * `key=value` pairs that look like secrets lose their value, and everything is kept short.
 */
export function scrubText(text: string): string {
  const scrubbed = redactSecrets(text);
  return scrubbed.length > MAX_TEXT ? `${scrubbed.slice(0, MAX_TEXT - 1)}…` : scrubbed;
}

const versionText = (v: string | null) => v ?? 'unknown version';

/** Said only when it is unknown: a notification never lets silence pass for "no security fix". */
function securityText(p: EventMap['update_available']): string {
  if (p.security !== null || !p.security_unknown) return '';
  return ` Security: unknown — ${scrubText(p.security_unknown)}`;
}

type OutcomeEvent = 'update_succeeded' | 'update_failed' | 'update_rolled_back';

/** Build the notification for an engine event; `nameOf` maps ids to display names. */
export function toNotification(
  event: NotifyingPayload,
  nameOf: (id: string) => string,
  now = Date.now(),
): Notification {
  const at = new Date(now).toISOString();
  if (event.kind === 'update_available') {
    const p = event.payload;
    return {
      kind: event.kind,
      component: p.component,
      name: p.name || nameOf(p.component),
      from_version: p.from_version,
      to_version: p.to_version,
      title: `Update available: ${p.name || nameOf(p.component)}`,
      body: `${p.name || nameOf(p.component)} ${p.to_version} is available (installed: ${versionText(p.from_version)}).${securityText(p)}`,
      error: null,
      run_id: null,
      at,
    };
  }
  const { kind, payload: p } = event;
  const name = nameOf(p.component);
  const error: Notification['error'] = p.error ? { code: p.error.code, message: scrubText(p.error.message) } : null;
  const range = `${versionText(p.from_version)} → ${versionText(p.to_version)}`;
  const titles: Record<OutcomeEvent, string> = {
    update_succeeded: `Updated: ${name}`,
    update_failed: `Update failed: ${name}`,
    update_rolled_back: `Update rolled back: ${name}`,
  };
  const bodies: Record<OutcomeEvent, string> = {
    update_succeeded: `${name} was updated (${range}).`,
    update_failed: `The update of ${name} (${range}) failed${error ? `: ${error.message}` : '.'}`,
    update_rolled_back: `The update of ${name} (${range}) failed and was rolled back to ${versionText(p.from_version)}${error ? `: ${error.message}` : '.'}`,
  };
  return {
    kind,
    component: p.component,
    name,
    from_version: p.from_version,
    to_version: p.to_version,
    title: titles[kind],
    body: bodies[kind],
    error,
    run_id: p.run_id ?? null,
    at,
  };
}

/**
 * The subscription point for notifications: the desktop host shows these as OS notifications
 * (when settings.notifications is on), the webhook notifier sends them out.
 */
export function onNotification(
  events: EventBus,
  listener: (notification: Notification) => void,
  options: { nameOf?: (id: string) => string; now?: () => number } = {},
): Unsubscribe {
  const nameOf = options.nameOf ?? ((id: string) => id);
  const now = options.now ?? Date.now;
  const send = (event: NotifyingPayload) => listener(toNotification(event, nameOf, now()));
  // One subscription per kind (NOTIFICATION_KINDS), each knowing its payload's type.
  const offs = [
    events.on('update_available', (payload) => send({ kind: 'update_available', payload })),
    events.on('update_succeeded', (payload) => send({ kind: 'update_succeeded', payload })),
    events.on('update_failed', (payload) => send({ kind: 'update_failed', payload })),
    events.on('update_rolled_back', (payload) => send({ kind: 'update_rolled_back', payload })),
  ];
  return () => offs.forEach((off) => off());
}

/**
 * Settings as a read-only caller may see them: webhook URLs cut to their origin, since a Discord or
 * Slack webhook URL is itself the credential to post to the channel. Full-access callers (who edit
 * them) get them whole.
 */
export function redactWebhookUrls<T extends { settings: { webhooks?: { url: string }[] } }>(view: T): T {
  const webhooks = view.settings.webhooks;
  if (!webhooks || webhooks.length === 0) return view;
  const cut = (url: string) => {
    try {
      return `${new URL(url).origin}/…`;
    } catch {
      // Not a URL: hidden entirely (it may hold a token).
      return '(hidden)';
    }
  };
  return { ...view, settings: { ...view.settings, webhooks: webhooks.map((w) => ({ ...w, url: cut(w.url) })) } };
}
