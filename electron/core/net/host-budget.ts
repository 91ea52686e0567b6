import { UpkeepError, type ErrorAction } from '../../../shared/errors';

interface HostState {
  /** Last `x-ratelimit-remaining` seen, minus requests started since. */
  remaining?: number;
  /** Epoch ms when the window resets (`x-ratelimit-reset`). */
  resetAt?: number;
  /** No requests before this time (Retry-After, secondary limit, primary limit at 0). */
  blockedUntil?: number;
  /** Consecutive secondary-limit refusals without Retry-After, for exponential backoff. */
  strikes: number;
  inFlight: number;
}

export interface BudgetDecision {
  /** Wait this long, then ask again. */
  waitMs: number;
}

const SECONDARY_BASE_MS = 60_000;

function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * The request budget of each host, learned from its answers: `x-ratelimit-remaining/reset`,
 * `Retry-After`, and GitHub's secondary limits. A host with nothing left is not asked again until
 * its window resets — failing fast instead of spending requests that would be refused.
 */
export class HostBudget {
  private readonly hosts = new Map<string, HostState>();

  constructor(private readonly now: () => number = Date.now) {}

  private state(host: string): HostState {
    let s = this.hosts.get(host);
    if (!s) {
      s = { strikes: 0, inFlight: 0 };
      this.hosts.set(host, s);
    }
    return s;
  }

  /** What we know about a host (for status displays and tests). */
  snapshot(host: string): { remaining?: number; resetAt?: number; blockedUntil?: number } {
    const s = this.hosts.get(host);
    if (!s) return {};
    const out: { remaining?: number; resetAt?: number; blockedUntil?: number } = {};
    if (s.remaining !== undefined) out.remaining = s.remaining;
    if (s.resetAt !== undefined) out.resetAt = s.resetAt;
    if (s.blockedUntil !== undefined) out.blockedUntil = s.blockedUntil;
    return out;
  }

  /**
   * Reserve one request to `host`. Returns 0 when it may go now, or how long to wait; the caller
   * waits when that is short and otherwise fails with `rateLimitedError`.
   */
  reserve(host: string): number {
    const s = this.state(host);
    const now = this.now();
    if (s.blockedUntil !== undefined) {
      if (s.blockedUntil > now) return s.blockedUntil - now;
      s.blockedUntil = undefined;
    }
    if (s.remaining !== undefined && s.resetAt !== undefined) {
      if (s.resetAt <= now) {
        s.remaining = undefined;
        s.resetAt = undefined;
      } else if (s.remaining - s.inFlight <= 0) {
        return s.resetAt - now;
      }
    }
    s.inFlight++;
    return 0;
  }

  /** How long until `host` may be asked again (0: now), without reserving anything. */
  waitMs(host: string): number {
    const s = this.hosts.get(host);
    if (!s) return 0;
    const now = this.now();
    if (s.blockedUntil !== undefined && s.blockedUntil > now) return s.blockedUntil - now;
    if (s.remaining !== undefined && s.resetAt !== undefined && s.resetAt > now && s.remaining - s.inFlight <= 0)
      return s.resetAt - now;
    return 0;
  }

  /** The request finished (with or without an answer). */
  release(host: string): void {
    const s = this.state(host);
    s.inFlight = Math.max(0, s.inFlight - 1);
  }

  /** Learn from an answer's headers. */
  observe(host: string, status: number, headers: Record<string, string>, bodyText?: string): void {
    const s = this.state(host);
    const now = this.now();
    const remaining = headers['x-ratelimit-remaining'];
    const reset = headers['x-ratelimit-reset'];
    if (remaining !== undefined && /^\d+$/.test(remaining)) s.remaining = Number(remaining);
    if (reset !== undefined && /^\d+$/.test(reset)) s.resetAt = Number(reset) * 1000;
    if (status !== 403 && status !== 429) {
      if (status < 400) s.strikes = 0;
      return;
    }
    const retryAfter = parseRetryAfter(headers['retry-after'], now);
    if (retryAfter !== undefined) {
      s.blockedUntil = now + retryAfter;
      return;
    }
    if (s.remaining === 0 && s.resetAt !== undefined) {
      s.blockedUntil = Math.max(s.resetAt, now + 1000);
      return;
    }
    if (status === 429 || /secondary rate limit|abuse detection/i.test(bodyText ?? '')) {
      // GitHub: no Retry-After and requests left → wait at least a minute, doubling each time.
      s.blockedUntil = now + SECONDARY_BASE_MS * 2 ** Math.min(s.strikes, 5);
      s.strikes++;
    }
  }

  /** Whether an answer is a rate-limit refusal (as opposed to a plain 403 Forbidden). */
  isRateLimited(status: number, headers: Record<string, string>, bodyText?: string): boolean {
    if (status === 429) return true;
    if (status !== 403) return false;
    return (
      headers['x-ratelimit-remaining'] === '0' ||
      headers['retry-after'] !== undefined ||
      /rate limit|abuse detection/i.test(bodyText ?? '')
    );
  }

  rateLimitedError(host: string, waitMs: number, hint?: string, action?: ErrorAction): UpkeepError {
    const until = this.now() + waitMs;
    const minutes = Math.ceil(waitMs / 60_000);
    const when =
      waitMs < 120_000 ? `in ${Math.ceil(waitMs / 1000)} s` : `at ${formatTime(until)} (about ${minutes} min)`;
    return new UpkeepError(
      'RATE_LIMITED',
      `${host} is rate limiting Upkeep; it will accept requests again ${when}. ${hint ?? 'Try again later.'}`,
      { host, retry_at: formatTime(until) },
      action ? { action } : undefined,
    );
  }
}

/** Retry-After as milliseconds from now: delta seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
