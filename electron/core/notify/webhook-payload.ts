import type { Webhook } from '../../../shared/schemas/settings';
import type { Notification } from './messages';

const COLORS: Record<Notification['kind'], number> = {
  update_available: 0x3b82f6,
  update_succeeded: 0x16a34a,
  update_failed: 0xdc2626,
  update_rolled_back: 0xd97706,
  test: 0x6b7280,
};

/** Generic JSON: the notification's fields, stable names, nothing else (no config, no logs, no URLs). */
function jsonPayload(n: Notification): Record<string, unknown> {
  return {
    source: 'upkeep',
    event: n.kind,
    component: n.component,
    name: n.name,
    from_version: n.from_version,
    to_version: n.to_version,
    title: n.title,
    text: n.body,
    error: n.error,
    run_id: n.run_id,
    at: n.at,
  };
}

/** Discord incoming webhook: an embed; mentions disabled so a version string cannot ping @everyone. */
function discordPayload(n: Notification): Record<string, unknown> {
  const fields = [
    { name: 'Component', value: n.name, inline: true },
    { name: 'From', value: n.from_version ?? 'unknown', inline: true },
    { name: 'To', value: n.to_version ?? 'unknown', inline: true },
  ];
  if (n.error) fields.push({ name: 'Error', value: `${n.error.code}: ${n.error.message}`, inline: false });
  return {
    username: 'Upkeep',
    content: n.title,
    allowed_mentions: { parse: [] },
    embeds: [{ title: n.title, description: n.body, color: COLORS[n.kind], fields, timestamp: n.at }],
  };
}

const slackEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Slack incoming webhook: `text` as the fallback, Block Kit for the rest. */
function slackPayload(n: Notification): Record<string, unknown> {
  const context = `${slackEscape(n.name)} · ${slackEscape(n.from_version ?? 'unknown')} → ${slackEscape(n.to_version ?? 'unknown')}`;
  return {
    text: slackEscape(`${n.title}: ${n.body}`),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${slackEscape(n.title)}*\n${slackEscape(n.body)}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context }] },
    ],
  };
}

export function webhookPayload(format: Webhook['format'], n: Notification): Record<string, unknown> {
  switch (format) {
    case 'discord':
      return discordPayload(n);
    case 'slack':
      return slackPayload(n);
    default:
      return jsonPayload(n);
  }
}
