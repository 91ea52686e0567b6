import { UpkeepError } from '../../../shared/errors';
import { WEBHOOK_EVENTS, WEBHOOK_FORMATS, type Webhook } from '../../../shared/schemas/settings';
import type { ComponentSchedule, RunDueResult, StatusView } from '../../../shared/types';
import { table, withWebhooks, type CliContext, type CommandSpec } from '../context';
import { deferralText } from '../hints';

type AutoUpdatePatch = {
  enabled?: boolean;
  window?: string | null;
  min_release_age?: string | null;
  allow_major?: boolean;
  security_only?: boolean;
};

const local = (iso: string | null): string | null => {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d
        .toISOString()
        .replace(/:\d\d\.\d+Z$/, 'Z')
        .replace('T', ' ');
};

function scheduleRow(c: ComponentSchedule): (string | null)[] {
  return [
    c.id,
    c.policy,
    c.window_error ? `${c.window} (invalid)` : c.window,
    c.min_release_age,
    c.allow_major ? 'yes' : 'no',
    c.pending ? `${c.pending.installed ?? '?'} → ${c.pending.latest}` : null,
    c.policy === 'auto' ? local(c.window_open ? c.window_closes_at : c.next_window_at) : local(c.next_check_at),
    c.deferral ? deferralText(c.deferral, c.id) : null,
  ];
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

const pct = (r: number | null) => (r === null ? '-' : `${Math.round(r * 100)}%`);
const secs = (ms: number | null) => (ms === null ? '-' : `${Math.round(ms / 1000)}s`);

function statusText(s: StatusView): string {
  const rows = s.components.map((c) => [
    c.id,
    c.policy,
    c.in_progress
      ? `${c.installed ?? '?'} (${c.in_progress.kind} in progress by pid ${c.in_progress.pid ?? '?'})`
      : c.attention
        ? `${c.installed ?? '?'} (NEEDS ATTENTION)`
        : c.installed,
    c.last_update ? `${c.last_update.status} ${local(c.last_update.at)}` : null,
    `${pct(c.last_7d.success_rate)} / ${pct(c.last_30d.success_rate)}`,
    `${secs(c.last_7d.mean_duration_ms)} / ${secs(c.last_30d.mean_duration_ms)}`,
    c.next_run ? `${c.next_run.kind === 'check' ? 'check' : 'update'} ${local(c.next_run.at)}` : null,
    c.pending_update ? c.pending_update.latest : null,
  ]);
  const lines = [
    s.components.length
      ? table(['ID', 'POLICY', 'INSTALLED', 'LAST UPDATE', 'SUCCESS 7d/30d', 'MEAN 7d/30d', 'NEXT', 'PENDING'], rows)
      : 'No components.',
    '',
    `Backups: ${bytes(s.backups.bytes)} in ${s.backups.files} files (${s.backups.path})`,
    `Free space: ${s.disk ? `${bytes(s.disk.free_bytes)} of ${bytes(s.disk.total_bytes)}` : 'unknown'}`,
    `GitHub API budget: ${s.github_rate_limit ? `${s.github_rate_limit.remaining} requests left${s.github_rate_limit.reset_at ? ` until ${local(s.github_rate_limit.reset_at)}` : ''}` : 'unknown (no GitHub request made by this process)'}`,
    `Scheduler: last check ${local(s.scheduler.last_check_run) ?? 'never'}, next check ${local(s.scheduler.next_check_at) ?? '-'} (times in UTC; windows in ${s.time_zone})`,
  ];
  for (const c of s.components)
    if (c.attention)
      lines.push(`${c.id} needs attention: ${c.attention.reason}. ${c.attention.action} (upkeep resolve ${c.id})`);
  for (const c of s.components) if (c.deferral) lines.push(`${c.id}: ${deferralText(c.deferral, c.id)}`);
  return lines.join('\n');
}

function runDueText(r: RunDueResult): string {
  const lines: string[] = [];
  if (r.checked.length) {
    lines.push(
      table(
        ['CHECKED', 'INSTALLED', 'LATEST', 'UPDATE', 'ERROR'],
        r.checked.map((c) => [
          c.id,
          c.installed,
          c.latest,
          c.update_available ? 'yes' : 'no',
          c.error ? `${c.error.code}: ${c.error.message}` : null,
        ]),
      ),
    );
  }
  if (r.updated.length) {
    lines.push(
      table(
        ['UPDATED', 'FROM', 'TO', 'STATUS', 'ERROR'],
        r.updated.map((u) => [u.id, u.from, u.to, u.status, u.error ? `${u.error.code}: ${u.error.message}` : null]),
      ),
    );
  }
  for (const d of r.deferred) lines.push(`${d.component} (${d.reason}): ${deferralText(d, d.component)}`);
  if (!lines.length) lines.push('Nothing was due.');
  lines.push(`Next check: ${local(r.next_check_at) ?? '-'}`);
  return lines.join('\n');
}

/** How the CLI shows a webhook: never its full URL (Discord and Slack URLs carry the token). */
function webhookRow(w: Webhook, i: number): (string | number | null)[] {
  let where = '(invalid URL)';
  try {
    where = `${new URL(w.url).origin}/…`;
  } catch {
    // keep the placeholder
  }
  return [i, w.name ?? null, w.format, where, w.events ? w.events.join(',') : 'all'];
}

async function webhooks(ctx: CliContext): Promise<Webhook[]> {
  return (await ctx.call('getSettings', {})).settings.webhooks ?? [];
}

function webhookIndex(list: Webhook[], text: string | undefined): number {
  const i = list.findIndex((w) => w.name !== undefined && w.name === text);
  if (i >= 0) return i;
  if (text !== undefined && /^\d+$/.test(text) && Number(text) < list.length) return Number(text);
  throw new UpkeepError(
    'NOT_FOUND',
    `No webhook "${text ?? ''}". Run \`upkeep webhook list\` for the numbers and names.`,
  );
}

export const scheduleCommands: CommandSpec[] = [
  {
    path: ['schedule'],
    usage: 'upkeep schedule [ID] [--policy notify|auto] [--window SPEC] [--min-age 3d] [--allow-major]',
    summary:
      'Show or set update policies and maintenance windows ("daily 03:00 for 2h", "weekly sun 03:00", "monthly 1 03:00", cron, "always"; --window default resets); also --no-allow-major, --security-only, --no-security-only, --min-age none',
    options: {
      policy: { type: 'string' },
      window: { type: 'string' },
      'min-age': { type: 'string' },
      'allow-major': { type: 'boolean' },
      'no-allow-major': { type: 'boolean' },
      'security-only': { type: 'boolean' },
      'no-security-only': { type: 'boolean' },
    },
    async run(ctx, { positionals, values }) {
      const [id, ...rest] = positionals;
      if (rest.length) throw new UpkeepError('INVALID_REQUEST', 'schedule takes at most one component ID.');
      const patch: AutoUpdatePatch = {};
      if (values.policy !== undefined) {
        if (values.policy !== 'notify' && values.policy !== 'auto')
          throw new UpkeepError('INVALID_REQUEST', `--policy is notify or auto, not "${String(values.policy)}".`);
        patch.enabled = values.policy === 'auto';
      }
      if (typeof values.window === 'string') patch.window = values.window === 'default' ? null : values.window;
      if (typeof values['min-age'] === 'string')
        patch.min_release_age = ['0', 'none', ''].includes(values['min-age']) ? null : values['min-age'];
      if (values['allow-major'] && values['no-allow-major'])
        throw new UpkeepError('INVALID_REQUEST', 'Give --allow-major or --no-allow-major, not both.');
      if (values['allow-major']) patch.allow_major = true;
      if (values['no-allow-major']) patch.allow_major = false;
      if (values['security-only'] && values['no-security-only'])
        throw new UpkeepError('INVALID_REQUEST', 'Give --security-only or --no-security-only, not both.');
      if (values['security-only']) patch.security_only = true;
      if (values['no-security-only']) patch.security_only = false;

      if (Object.keys(patch).length > 0) {
        if (id === undefined)
          throw new UpkeepError('INVALID_REQUEST', 'Say which component to change: upkeep schedule ID --policy auto …');
        const entry = await ctx.call('setSchedule', { id, auto_update: patch });
        return {
          json: entry,
          text: `${entry.id}: policy ${entry.policy}, window ${entry.window} (${entry.window_description}), min_release_age ${entry.min_release_age ?? 'none'}, allow_major ${entry.allow_major ? 'yes' : 'no'}${entry.security_only ? ', security_only' : ''}.`,
        };
      }
      const view = await ctx.call('getSchedule', id !== undefined ? { id } : {});
      const header = `Windows are in ${view.time_zone}; checks every ${view.check_interval_hours} h, last ${local(view.last_check_run) ?? 'never'}, next ${local(view.next_check_at) ?? '-'} (UTC).`;
      return {
        json: view,
        text: view.components.length
          ? `${header}\n${table(['ID', 'POLICY', 'WINDOW', 'MIN AGE', 'MAJOR', 'PENDING', 'NEXT (UTC)', 'DEFERRED'], view.components.map(scheduleRow))}`
          : `${header}\nNo components.`,
      };
    },
  },
  {
    path: ['run-due'],
    usage: 'upkeep run-due',
    summary: 'Run what is due now (background checks, auto-updates inside their windows): for cron and systemd timers',
    async run(ctx) {
      // Webhooks for what this pass does.
      const result: RunDueResult = await withWebhooks(ctx, () => ctx.call('runDue', {}));
      const failed = result.updated.some(
        (u) => u.status === 'failed' || u.status === 'rolled_back' || u.status === 'cancelled',
      );
      return { json: result, text: runDueText(result), exitCode: failed ? 1 : 0 };
    },
  },
  {
    path: ['webhook', 'list'],
    usage: 'upkeep webhook list',
    summary: 'Show the webhooks notifications go to (URLs shortened: they carry tokens)',
    async run(ctx) {
      const list = await webhooks(ctx);
      return {
        json: {
          webhooks: list.map((w, i) => ({
            index: i,
            name: w.name ?? null,
            format: w.format,
            origin: webhookRow(w, i)[3],
            events: w.events ?? null,
          })),
        },
        text: list.length
          ? table(['#', 'NAME', 'FORMAT', 'URL', 'EVENTS'], list.map(webhookRow))
          : 'No webhooks. Add one with `upkeep webhook add URL --format discord`.',
      };
    },
  },
  {
    path: ['webhook', 'add'],
    usage: `upkeep webhook add URL [--format ${WEBHOOK_FORMATS.join('|')}] [--events E,…] [--name N]`,
    summary: `Send notifications to a webhook (generic JSON, Discord or Slack); events: ${WEBHOOK_EVENTS.join(', ')} (default all)`,
    options: { format: { type: 'string' }, events: { type: 'string' }, name: { type: 'string' } },
    async run(ctx, { positionals, values }) {
      const [url, ...rest] = positionals;
      if (url === undefined || rest.length) throw new UpkeepError('INVALID_REQUEST', 'webhook add takes one URL.');
      const entry: Record<string, unknown> = {
        url,
        format: typeof values.format === 'string' ? values.format : 'json',
      };
      if (typeof values.events === 'string')
        entry.events = values.events
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean);
      if (typeof values.name === 'string') entry.name = values.name;
      const list = await webhooks(ctx);
      const view = await ctx.call('setSettings', { patch: { webhooks: [...list, entry as Webhook] } });
      const added = view.settings.webhooks.length - 1;
      return { json: { index: added }, text: `Webhook ${added} added. Try it with \`upkeep webhook test ${added}\`.` };
    },
  },
  {
    path: ['webhook', 'remove'],
    usage: 'upkeep webhook remove INDEX|NAME',
    summary: 'Stop sending notifications to a webhook',
    async run(ctx, { positionals }) {
      const list = await webhooks(ctx);
      const i = webhookIndex(list, positionals[0]);
      await ctx.call('setSettings', { patch: { webhooks: list.filter((_, j) => j !== i) } });
      return { json: { removed: i }, text: `Webhook ${i} removed.` };
    },
  },
  {
    path: ['webhook', 'test'],
    usage: 'upkeep webhook test [INDEX|NAME]',
    summary: 'Send a test notification to the webhooks (or one) and say how each went',
    async run(ctx, { positionals }) {
      const index = positionals[0] !== undefined ? webhookIndex(await webhooks(ctx), positionals[0]) : undefined;
      const { deliveries } = await ctx.call('testWebhooks', index !== undefined ? { index } : {});
      return {
        json: { deliveries },
        text: table(
          ['WEBHOOK', 'OK', 'STATUS', 'ERROR'],
          deliveries.map((d) => [d.webhook, d.ok ? 'yes' : 'no', d.status, d.error]),
        ),
        exitCode: deliveries.every((d) => d.ok) ? 0 : 1,
      };
    },
  },
  {
    path: ['status'],
    usage: 'upkeep status',
    summary:
      'Per component: last update, success rate and mean duration (7/30 days), next run; backup usage, free space, GitHub budget',
    async run(ctx) {
      const status = await ctx.call('getStatus', {});
      return { json: status, text: statusText(status) };
    },
  },
];
