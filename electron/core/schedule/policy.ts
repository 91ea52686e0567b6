import type { ComponentConfig } from '../../../shared/schemas/component';
import type { DeferralReason } from '../../../shared/types';
import { formatDuration, parseDuration } from './duration';
import { crossesMajor } from './version-bump';
import { DEFAULT_WINDOW, describeWindow, nextWindowStart, parseWindow, windowAt, type WindowSpec } from './window';
import { formatZoned } from './zoned-time';
import { errorMessage } from '../lib/error-info';

/** A component's auto-update settings, parsed. */
export interface AutoUpdatePolicy {
  enabled: boolean;
  windowText: string;
  window: WindowSpec | null;
  /** What is wrong with the window spec, when it does not parse. */
  windowError: string | null;
  minReleaseAgeText: string | null;
  minReleaseAgeMs: number;
  minReleaseAgeError: string | null;
  allowMajor: boolean;
  securityOnly: boolean;
}

export function policyOf(config: ComponentConfig): AutoUpdatePolicy {
  const a = config.auto_update;
  const windowText = a?.window ?? DEFAULT_WINDOW;
  let window: WindowSpec | null = null;
  let windowError: string | null = null;
  try {
    window = parseWindow(windowText);
  } catch (error) {
    windowError = errorMessage(error);
  }
  let minReleaseAgeMs = 0;
  let minReleaseAgeError: string | null = null;
  if (a?.min_release_age) {
    try {
      minReleaseAgeMs = parseDuration(a.min_release_age, 'min_release_age');
    } catch (error) {
      minReleaseAgeError = errorMessage(error);
    }
  }
  return {
    enabled: a?.enabled === true,
    windowText,
    window,
    windowError,
    minReleaseAgeText: a?.min_release_age ?? null,
    minReleaseAgeMs,
    minReleaseAgeError,
    allowMajor: a?.allow_major === true,
    securityOnly: a?.security_only === true,
  };
}

/** Validate an auto_update block as setSchedule receives it; throws INVALID_CONFIG saying what to write. */
export function assertAutoUpdate(a: { window?: string | undefined; min_release_age?: string | undefined }): void {
  if (a.window !== undefined) parseWindow(a.window);
  if (a.min_release_age !== undefined) parseDuration(a.min_release_age, 'min_release_age');
}

/** What the scheduler knows about the update on offer. */
export interface UpdateCandidate {
  installed: string | null;
  latest: string;
  /** Release date, when the checker reports one (epoch ms). */
  publishedAt: number | null;
  /** When the scheduler first saw this version: the cooldown's start when the date is unknown. */
  firstSeenAt: number | null;
  /** The check result's security flag; null when the checker does not say or it is unknown. */
  security: boolean | null;
  /** Why security is unknown (its source failed): security_only then says so instead of "not flagged". */
  securityUnknown?: string | null;
  /** release_compare, so calendar versions are not mistaken for major bumps. */
  scheme?: string | undefined;
  /** A version whose automatic update failed before: not retried automatically. */
  failedTarget?: { version: string; at: string; status: string } | null;
}

export interface DecisionContext {
  now: number;
  timeZone: string;
  /** How long the update is expected to take. */
  estimateMs: number;
  /** `the mean of 3 runs` / `a default`: said in messages. */
  estimateBasis: string;
}

export type AutoUpdateDecision =
  | { action: 'update'; windowEnd: number }
  | { action: 'defer'; reason: DeferralReason; message: string; until: number | null };

const defer = (reason: DeferralReason, message: string, until: number | null = null): AutoUpdateDecision => ({
  action: 'defer',
  reason,
  message,
  until,
});

/**
 * Whether an auto-update may run now. The rules, in order: a version that failed automatically is
 * not retried; never across a major version unless allowed; security_only waits for a flagged
 * release; the release must be older than min_release_age; only inside the maintenance window,
 * and only when the estimated duration fits before the window closes.
 */
export function decideAutoUpdate(
  policy: AutoUpdatePolicy,
  c: UpdateCandidate,
  ctx: DecisionContext,
): AutoUpdateDecision {
  const { now, timeZone } = ctx;
  const when = (ms: number) => formatZoned(ms, timeZone);
  if (policy.windowError || !policy.window) {
    return defer(
      'invalid_window',
      `${policy.windowError ?? 'No maintenance window.'} Fix the component's maintenance window.`,
    );
  }
  if (policy.minReleaseAgeError) {
    return defer('invalid_window', `${policy.minReleaseAgeError} Fix the component's minimum release age.`);
  }
  const window = policy.window;
  if (c.failedTarget && c.failedTarget.version === c.latest) {
    return defer(
      'failed_before',
      `The automatic update to ${c.latest} ended ${c.failedTarget.status === 'rolled_back' ? 'rolled back' : c.failedTarget.status === 'cancelled' ? 'cancelled' : 'failed'} at ${c.failedTarget.at}; it is not retried automatically. Update it yourself once the cause is fixed (see History), or wait for a newer release.`,
    );
  }
  if (!policy.allowMajor && crossesMajor(c.installed, c.latest, c.scheme) === true) {
    return defer(
      'major_version',
      `${c.latest} is a new major version (installed: ${c.installed}); automatic updates stay within a major version. Update it yourself, or allow major versions in its schedule.`,
    );
  }
  if (policy.securityOnly && c.security === null && c.securityUnknown) {
    return defer(
      'security_unknown',
      `security_only is set and whether ${c.latest} fixes a vulnerability is unknown (${c.securityUnknown}); unknown is not taken for safe, so it is not installed automatically. It is tried again after the next check that can read the advisories, or update it yourself.`,
    );
  }
  if (policy.securityOnly && c.security !== true) {
    return defer(
      'not_security',
      `security_only is set and ${c.latest} is not flagged as a security release; it waits for you to update it.`,
    );
  }
  if (policy.minReleaseAgeMs > 0) {
    const since = c.publishedAt ?? c.firstSeenAt ?? now;
    const ripe = since + policy.minReleaseAgeMs;
    if (now < ripe) {
      const state = windowAt(window, ripe, timeZone);
      const until = state.open ? ripe : state.nextStart;
      const basis = c.publishedAt !== null ? 'was released' : 'was first seen';
      return defer(
        'too_new',
        `${c.latest} ${basis} ${formatDuration(now - since)} ago; the cooldown (min_release_age) is ${formatDuration(policy.minReleaseAgeMs)}, so it is installed ${until !== null ? `at ${when(until)}` : 'after the cooldown'}, in a maintenance window.`,
        until,
      );
    }
  }
  // Horizon: just past the estimate, so a window made of many overlapping cron starts stays cheap.
  const state = windowAt(window, now, timeZone, ctx.estimateMs + 60_000);
  if (!state.open) {
    return defer(
      'outside_window',
      `Waiting for the maintenance window (${describeWindow(window)}), next at ${state.nextStart !== null ? when(state.nextStart) : 'never (the window never opens)'}.`,
      state.nextStart,
    );
  }
  if (now + ctx.estimateMs > state.end) {
    const next = nextWindowStart(window, state.end, timeZone);
    return defer(
      'would_overrun_window',
      `Deferred: the update takes about ${formatDuration(ctx.estimateMs)} (${ctx.estimateBasis}) but the maintenance window closes at ${when(state.end)}, in ${formatDuration(state.end - now)}; it will run in the next window${next !== null ? `, at ${when(next)}` : ''}.`,
      next,
    );
  }
  return { action: 'update', windowEnd: state.end };
}
