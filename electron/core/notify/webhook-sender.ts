import { setTimeout as delay } from 'node:timers/promises';
import { request } from 'undici';
import type { Webhook } from '../../../shared/schemas/settings';
import type { WebhookDelivery } from '../../../shared/types';
import { causeCode, errnoCode } from '../lib/error-info';

export interface DeliveryOptions {
  /** Per attempt, connection to end of response. */
  timeoutMs?: number;
  /** Waits before the 2nd, 3rd … attempt; its length + 1 is the number of attempts. */
  retryDelaysMs?: readonly number[];
  /** Cap on a server's Retry-After. */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
}

/** One delivery's outcome: the contract's WebhookDelivery (named by the webhook's name or host, never its URL). */
export type DeliveryReport = WebhookDelivery;

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [2_000, 10_000, 60_000];

/** How a webhook is named in logs and reports. */
export function webhookLabel(webhook: Pick<Webhook, 'url' | 'name'>): string {
  if (webhook.name) return webhook.name;
  try {
    return new URL(webhook.url).host;
  } catch {
    // Not a URL: labelled as such (the URL itself is a credential and never shown).
    return '(invalid URL)';
  }
}

function retryAfterMs(header: string | string[] | undefined, cap: number): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), cap) : null;
}

/**
 * POST one JSON payload with retries: connection errors, timeouts, 429 and 5xx are retried after
 * the next delay (or the server's Retry-After, capped); other answers are final. Redirects are not
 * followed: a webhook URL that moved should be fixed in Settings, not chased.
 */
export async function deliverWebhook(
  webhook: Pick<Webhook, 'url' | 'name'>,
  event: string,
  payload: unknown,
  options: DeliveryOptions = {},
): Promise<DeliveryReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const body = JSON.stringify(payload);
  const report: DeliveryReport = {
    webhook: webhookLabel(webhook),
    event,
    ok: false,
    attempts: 0,
    status: null,
    error: null,
  };
  for (let attempt = 0; attempt <= delays.length; attempt++) {
    if (options.signal?.aborted) {
      report.error = 'stopped before delivery';
      return report;
    }
    report.attempts = attempt + 1;
    let wait: number | null = null;
    try {
      const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
      const res = await request(webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Upkeep' },
        body,
        signal: AbortSignal.any(signals),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      // Read (a little of) the answer so the connection is reused; its content is not needed.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      report.status = res.statusCode;
      if (res.statusCode >= 200 && res.statusCode < 300) {
        report.ok = true;
        report.error = null;
        return report;
      }
      report.error = `HTTP ${res.statusCode}`;
      if (res.statusCode !== 429 && res.statusCode < 500) return report;
      wait = retryAfterMs(res.headers['retry-after'], options.maxRetryAfterMs ?? 120_000);
    } catch (error) {
      const code = errnoCode(error) ?? causeCode(error);
      report.status = null;
      report.error =
        (error instanceof Error && error.name === 'TimeoutError') ||
        code === 'UND_ERR_HEADERS_TIMEOUT' ||
        code === 'UND_ERR_BODY_TIMEOUT'
          ? `no answer within ${timeoutMs} ms`
          : code
            ? `connection failed (${code})`
            : 'connection failed';
    }
    const backoff = delays[attempt];
    if (backoff !== undefined) {
      try {
        await delay(wait ?? backoff, undefined, options.signal ? { signal: options.signal } : undefined);
      } catch {
        // Aborted while waiting to retry (the host is stopping): the report so far is returned.
        return report;
      }
    }
  }
  return report;
}
