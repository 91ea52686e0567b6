import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Webhook } from '../../../shared/schemas/settings';
import { settingsSchema } from '../../../shared/schemas/settings';
import { EventBus } from '../../../electron/core/events';
import { onNotification, scrubText, type Notification } from '../../../electron/core/notify/messages';
import { WebhookNotifier } from '../../../electron/core/notify/notifier';
import type { DeliveryReport } from '../../../electron/core/notify/webhook-sender';
import { startWebhooks } from '../../../electron/core/schedule/wiring';
import { scheduleSetup } from '../schedule/schedule-fixture';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/**
 * A webhook receiver on 127.0.0.1. `statuses` are answered in turn (the last one repeats);
 * `hold()` keeps requests unanswered until `release()`.
 */
async function receiver(statuses: number[] = [200]) {
  const received: Received[] = [];
  const held: http.ServerResponse[] = [];
  let holding = false;
  let turn = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      if (holding) {
        held.push(res);
        return;
      }
      const status = statuses[Math.min(turn++, statuses.length - 1)] as number;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  afterEach(async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const res of held.splice(0)) {
        res.writeHead(204);
        res.end();
      }
    },
    get held() {
      return held.length;
    },
  };
}

/** A URL on which nothing listens: connection refused. */
async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}

function notifierFor(webhooks: Webhook[], options: { retryDelaysMs?: number[]; timeoutMs?: number } = {}) {
  const events = new EventBus();
  const reports: DeliveryReport[] = [];
  const notifier = new WebhookNotifier({
    events,
    webhooks: () => webhooks,
    nameOf: (id) => (id === 'otrs-web' ? 'OTRS Web' : id),
    delivery: { retryDelaysMs: options.retryDelaysMs ?? [0, 0], timeoutMs: options.timeoutMs ?? 10_000 },
    onReport: (r) => reports.push(r),
    now: () => Date.parse('2026-06-10T03:00:00Z'),
  });
  notifier.start();
  afterEach(() => notifier.stop());
  return { events, notifier, reports };
}

const hook = (url: string, format: Webhook['format'], extra: Partial<Webhook> = {}): Webhook => ({
  url,
  format,
  ...extra,
});

describe('webhook payloads', () => {
  it('sends generic JSON, Discord and Slack shapes for an update that succeeded', async () => {
    const r = await receiver();
    const { events, notifier, reports } = notifierFor([
      hook(`${r.base}/json`, 'json'),
      hook(`${r.base}/discord`, 'discord'),
      hook(`${r.base}/slack`, 'slack'),
    ]);
    events.emit('update_succeeded', {
      component: 'otrs-web',
      from_version: '1.2.0',
      to_version: '1.3.0',
      run_id: 'run-1',
      error: null,
    });
    await notifier.idle();

    const by = (p: string) => r.received.find((x) => x.path === p) as Received;
    expect(by('/json').headers['content-type']).toBe('application/json');
    expect(by('/json').body).toEqual({
      source: 'upkeep',
      event: 'update_succeeded',
      component: 'otrs-web',
      name: 'OTRS Web',
      from_version: '1.2.0',
      to_version: '1.3.0',
      title: 'Updated: OTRS Web',
      text: 'OTRS Web was updated (1.2.0 → 1.3.0).',
      error: null,
      run_id: 'run-1',
      at: '2026-06-10T03:00:00.000Z',
    });
    expect(by('/discord').body).toEqual({
      username: 'Upkeep',
      content: 'Updated: OTRS Web',
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: 'Updated: OTRS Web',
          description: 'OTRS Web was updated (1.2.0 → 1.3.0).',
          color: 0x16a34a,
          fields: [
            { name: 'Component', value: 'OTRS Web', inline: true },
            { name: 'From', value: '1.2.0', inline: true },
            { name: 'To', value: '1.3.0', inline: true },
          ],
          timestamp: '2026-06-10T03:00:00.000Z',
        },
      ],
    });
    expect(by('/slack').body).toEqual({
      text: 'Updated: OTRS Web: OTRS Web was updated (1.2.0 → 1.3.0).',
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '*Updated: OTRS Web*\nOTRS Web was updated (1.2.0 → 1.3.0).' },
        },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'OTRS Web · 1.2.0 → 1.3.0' }] },
      ],
    });
    expect(reports.map((x) => [x.ok, x.attempts, x.status])).toEqual([
      [true, 1, 200],
      [true, 1, 200],
      [true, 1, 200],
    ]);
  });

  it('describes failures and rollbacks, with no secrets in what leaves the machine', async () => {
    const r = await receiver();
    const secretUrl = `${r.base}/hooks/T000/SECRET-PATH-TOKEN`;
    const { events, notifier, reports } = notifierFor([hook(secretUrl, 'json'), hook(`${r.base}/slack`, 'slack')]);
    events.emit('update_rolled_back', {
      component: 'otrs-web',
      from_version: '1.2.0',
      to_version: '1.3.0',
      run_id: 'run-2',
      error: {
        code: 'HEALTH_CHECK_FAILED',
        message:
          'GET https://user:pw@example.com/health?api_key=abc123 failed; token=ghp_abcdefghijklmnopqrstuvwx1234 <b>',
      },
    });
    await notifier.idle();
    const json = r.received.find((x) => x.path.startsWith('/hooks'))!.body;
    expect(json).toMatchObject({
      event: 'update_rolled_back',
      title: 'Update rolled back: OTRS Web',
      error: { code: 'HEALTH_CHECK_FAILED' },
    });
    const all = JSON.stringify(r.received.map((x) => x.body));
    for (const secret of ['SECRET-PATH-TOKEN', 'user:pw', 'abc123', 'ghp_abcdefghijklmnopqrstuvwx1234'])
      expect(all).not.toContain(secret);
    expect((json.error as { message: string }).message).toBe(
      'GET https://example.com/health failed; token=[redacted] <b>',
    );
    // Slack's control characters are escaped.
    expect(JSON.stringify(r.received.find((x) => x.path === '/slack')!.body)).toContain('&lt;b&gt;');
    // Reports name the webhook by host, never by its URL.
    expect(JSON.stringify(reports)).not.toContain('SECRET-PATH-TOKEN');
  });

  it('announces an available update, and only to webhooks that subscribed to it', async () => {
    const r = await receiver();
    const { events, notifier } = notifierFor([
      hook(`${r.base}/all`, 'json'),
      hook(`${r.base}/failures`, 'json', { events: ['update_failed'] }),
    ]);
    events.emit('update_available', {
      component: 'otrs-web',
      name: 'OTRS Web',
      from_version: '1.2.0',
      to_version: '1.3.0',
      channel: 'stable',
    });
    events.emit('update_failed', {
      component: 'otrs-web',
      from_version: '1.2.0',
      to_version: '1.3.0',
      run_id: 'r',
      error: { code: 'COMMAND_FAILED', message: 'install exited 1' },
    });
    await notifier.idle();
    expect(r.received.filter((x) => x.path === '/all').map((x) => x.body.event)).toEqual([
      'update_available',
      'update_failed',
    ]);
    expect(r.received.filter((x) => x.path === '/failures').map((x) => x.body.event)).toEqual(['update_failed']);
    expect(r.received[0]!.body).toMatchObject({ text: 'OTRS Web 1.3.0 is available (installed: 1.2.0).' });
  });

  it('settings accept webhooks additively and refuse a non-http URL or unknown format', () => {
    expect(settingsSchema.parse({}).webhooks).toEqual([]);
    expect(
      settingsSchema.parse({ webhooks: [{ url: 'https://discord.com/api/webhooks/1/x', format: 'discord' }] })
        .webhooks[0],
    ).toMatchObject({ format: 'discord' });
    expect(settingsSchema.parse({ webhooks: [{ url: 'https://example.com/h' }] }).webhooks[0]!.format).toBe('json');
    expect(settingsSchema.safeParse({ webhooks: [{ url: 'file:///etc/passwd' }] }).success).toBe(false);
    expect(settingsSchema.safeParse({ webhooks: [{ url: 'https://example.com', format: 'teams' }] }).success).toBe(
      false,
    );
    expect(settingsSchema.safeParse({ time_zone: 'Europe/Berlin' }).success).toBe(true);
    expect(settingsSchema.safeParse({ time_zone: 'Mars/Olympus' }).success).toBe(false);
  });
});

describe('delivery', () => {
  it('retries a webhook that answers 500, then 200', async () => {
    const r = await receiver([500, 200]);
    const { events, notifier, reports } = notifierFor([hook(`${r.base}/flaky`, 'json')]);
    events.emit('update_succeeded', {
      component: 'otrs-web',
      from_version: '1',
      to_version: '2',
      run_id: 'r',
      error: null,
    });
    await notifier.idle();
    expect(r.received).toHaveLength(2);
    expect(r.received[1]!.body).toEqual(r.received[0]!.body);
    expect(reports).toEqual([
      { webhook: new URL(r.base).host, event: 'update_succeeded', ok: true, attempts: 2, status: 200, error: null },
    ]);
  });

  it('gives up on a webhook that is down after its retries, without holding up the others', async () => {
    const r = await receiver();
    const dead = await deadUrl();
    const { events, notifier, reports } = notifierFor([
      hook(dead, 'discord', { name: 'team chat' }),
      hook(`${r.base}/up`, 'json'),
    ]);
    events.emit('update_failed', {
      component: 'otrs-web',
      from_version: '1',
      to_version: '2',
      run_id: 'r',
      error: null,
    });
    // emit returned before anything was sent: delivery happens off the caller's path.
    expect(r.received).toHaveLength(0);
    await notifier.idle();
    expect(r.received).toHaveLength(1);
    const down = reports.find((x) => x.webhook === 'team chat');
    expect(down).toMatchObject({ ok: false, attempts: 3, status: null, error: 'connection failed (ECONNREFUSED)' });
  });

  it('does not retry an answer that will not change (404)', async () => {
    const r = await receiver([404, 200]);
    const { events, notifier, reports } = notifierFor([hook(`${r.base}/gone`, 'slack')]);
    events.emit('update_succeeded', { component: 'x', from_version: '1', to_version: '2', run_id: 'r', error: null });
    await notifier.idle();
    expect(reports).toMatchObject([{ ok: false, attempts: 1, status: 404, error: 'HTTP 404' }]);
  });

  it('gives up on a webhook that never answers after its timeout', async () => {
    const r = await receiver();
    r.hold();
    const { events, notifier, reports } = notifierFor([hook(`${r.base}/slow`, 'json')], {
      retryDelaysMs: [],
      timeoutMs: 150,
    });
    events.emit('update_succeeded', { component: 'x', from_version: '1', to_version: '2', run_id: 'r', error: null });
    await notifier.idle();
    expect(reports).toMatchObject([{ ok: false, attempts: 1, error: 'no answer within 150 ms' }]);
  });
});

describe('webhooks never block an update', () => {
  it('an update through the real engine finishes while its webhook is still unanswered', async () => {
    const r = await receiver();
    r.hold();
    const dead = await deadUrl();
    const s = await scheduleSetup({ autoUpdate: { window: 'always' } });
    s.services.settings.set({
      webhooks: [
        { url: `${r.base}/held`, format: 'json' },
        { url: dead, format: 'slack' },
      ],
    });
    const reports: DeliveryReport[] = [];
    const notifier = startWebhooks(s.services, {
      delivery: { timeoutMs: 60_000, retryDelaysMs: [0] },
      onReport: (x) => reports.push(x),
    });
    afterEach(() => notifier.stop());

    // A scheduled pass: check (announces 1.1.0), then the auto-update.
    const result = await s.scheduler.runDue();
    expect(result.updated).toMatchObject([{ id: 'webapp', to: '1.1.0', status: 'succeeded' }]);
    expect(s.installed()).toBe('1.1.0');
    // The held webhook has not answered anything yet: the update did not wait for it.
    expect(reports.filter((x) => x.webhook === new URL(r.base).host)).toEqual([]);

    r.release();
    await notifier.idle();
    const events = r.received.map((x) => x.body.event);
    expect(events).toEqual(['update_available', 'update_succeeded']);
    expect(r.received[1]!.body).toMatchObject({
      component: 'webapp',
      name: 'Web App',
      from_version: '1.0.0',
      to_version: '1.1.0',
    });
    expect(reports.filter((x) => x.ok)).toHaveLength(2);
    expect(reports.filter((x) => !x.ok)).toHaveLength(2);
  });
});

describe('webhook URLs are credentials', () => {
  it('read-only callers see only their origin; full-access callers see them whole', async () => {
    const s = await scheduleSetup();
    const url = 'https://discord.com/api/webhooks/123/SECRET-TOKEN';
    s.services.settings.set({ webhooks: [{ url, format: 'discord', name: 'ops' }] });
    const readOnly = await s.api.getSettings({}, { initiatedBy: 'panel', readOnly: true });
    expect(readOnly.settings.webhooks).toEqual([{ url: 'https://discord.com/…', format: 'discord', name: 'ops' }]);
    expect(JSON.stringify(readOnly)).not.toContain('SECRET-TOKEN');
    const full = await s.api.getSettings({}, { initiatedBy: 'panel', readOnly: false });
    expect(full.settings.webhooks[0]!.url).toBe(url);
    // What is stored is untouched by a read-only look.
    expect(s.services.settings.get().webhooks[0]!.url).toBe(url);
  });
});

describe('testWebhooks', () => {
  it('sends a test notification to every webhook, ignoring event filters, and reports each', async () => {
    const r = await receiver();
    const dead = await deadUrl();
    const s = await scheduleSetup();
    s.services.settings.set({
      webhooks: [
        { url: `${r.base}/json`, format: 'json', events: ['update_failed'] },
        { url: `${r.base}/discord`, format: 'discord', name: 'ops' },
        { url: dead, format: 'slack' },
      ],
    });
    const { deliveries } = await s.api.testWebhooks({}, { initiatedBy: 'panel', readOnly: false });
    expect(deliveries.map((d) => [d.webhook, d.ok, d.status])).toEqual([
      [new URL(r.base).host, true, 200],
      ['ops', true, 200],
      [new URL(dead).host, false, null],
    ]);
    expect(r.received.find((x) => x.path === '/json')!.body).toMatchObject({
      event: 'test',
      title: 'Upkeep test notification',
    });
    expect(r.received.find((x) => x.path === '/discord')!.body).toMatchObject({ content: 'Upkeep test notification' });
    await expect(s.api.testWebhooks({ index: 3 }, { initiatedBy: 'panel', readOnly: false })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('notifications for the desktop host', () => {
  it('onNotification turns engine events into title and body, and unsubscribes', () => {
    const events = new EventBus();
    const seen: Notification[] = [];
    const off = onNotification(events, (n) => seen.push(n), { nameOf: () => 'OTRS Web' });
    events.emit('update_failed', {
      component: 'otrs-web',
      from_version: '1.2.0',
      to_version: '1.3.0',
      run_id: 'r',
      error: { code: 'COMMAND_FAILED', message: 'migration exited 1' },
    });
    events.emit('update_progress', {
      run_id: 'r',
      component: 'otrs-web',
      kind: 'update',
      step: 'install',
      percent: 50,
      step_percent: null,
    });
    off();
    events.emit('update_succeeded', {
      component: 'otrs-web',
      from_version: '1.2.0',
      to_version: '1.3.0',
      run_id: 'r',
      error: null,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      kind: 'update_failed',
      title: 'Update failed: OTRS Web',
      body: 'The update of OTRS Web (1.2.0 → 1.3.0) failed: migration exited 1',
    });
  });

  it('scrubText removes credentials, query strings and tokens', () => {
    expect(scrubText('see https://a:b@h.example/p?x=1#f and password: hunter2')).toBe(
      'see https://h.example/p and password: [redacted]',
    );
    expect(scrubText('x'.repeat(500))).toHaveLength(300);
  });
});
