import { checkTypeDescriptor } from '../../../../shared/descriptors/registry';
import type { CheckResult, Component, ErrorShape } from '../../../../shared/types';
import type { AppState } from '../types';
import { memoSelector } from './memo';

/** The id the hosts give Upkeep's own entry on a first run (electron/core/discovery/first-run.ts, SELF_ID). */
export const SELF_COMPONENT_ID = 'upkeep';

/** Check types that never go to the network (no source): their success says nothing about being online. */
function isLocalType(type: string): boolean {
  return checkTypeDescriptor(type)?.source === null;
}
const UNREACHABLE_CODES = new Set(['NETWORK', 'TIMEOUT']);

/** The host a check error is about, from its details (`host` for a rate limit, `url` otherwise). */
export function errorHost(error: ErrorShape): string | null {
  const details = error.details ?? {};
  if (typeof details.host === 'string' && details.host) return details.host;
  if (typeof details.url === 'string') {
    try {
      return new URL(details.url).host;
    } catch {
      return null;
    }
  }
  return null;
}

/** When a rate limit lifts (`details.retry_at`), as a time; null when the error does not say. */
export function retryAt(error: ErrorShape): number | null {
  const at = typeof error.details?.retry_at === 'string' ? Date.parse(error.details.retry_at) : Number.NaN;
  return Number.isFinite(at) ? at : null;
}

/** 18:42 today; "Tue 09:15" on another day. */
export function formatClock(ms: number, now = Date.now()): string {
  const time = new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return new Date(ms).toDateString() === new Date(now).toDateString()
    ? time
    : `${new Date(ms).toLocaleDateString([], { weekday: 'short' })} ${time}`;
}

function hostOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/** Whether a rate-limited host is the GitHub API that the token in Settings is sent to. */
export function isGithubApiHost(host: string | null, githubApiBase: string | undefined): boolean {
  return host !== null && host === hostOf(githubApiBase ?? 'https://api.github.com');
}

/** Who answers a type's check, from its descriptor ("GitHub answered 502"). */
function sourceWord(type: string | undefined): string {
  return (type === undefined ? undefined : checkTypeDescriptor(type)?.source) ?? 'The server';
}

/**
 * One short line saying why a check failed, for the row (the full message stays in the details):
 * what could not be reached, until when a rate limit lasts, what the server answered.
 */
export function describeCheckError(
  error: ErrorShape,
  options: {
    type?: string | undefined;
    githubApiBase?: string | undefined;
    githubTokenSet?: boolean;
    offline?: boolean;
    now?: number;
  } = {},
): string {
  const host = errorHost(error);
  switch (error.code) {
    // "offline?" only when nothing else got through either; otherwise it is that one source.
    case 'NETWORK':
      return `Can't reach ${host ?? 'the server'}${options.offline === false ? '' : ' — offline?'}`;
    case 'TIMEOUT':
      return `${host ?? 'The server'} did not answer in time${options.offline === false ? '' : ' — slow or offline?'}`;
    case 'RATE_LIMITED': {
      const at = retryAt(error);
      const until = at === null ? '' : ` until ${formatClock(at, options.now)}`;
      if (!isGithubApiHost(host, options.githubApiBase)) return `${host ?? 'The server'} rate limit used up${until}`;
      return options.githubTokenSet
        ? `GitHub rate limit of the token used up${until}`
        : `GitHub rate limit used up${until} — add a token in Settings`;
    }
    case 'UPSTREAM_ERROR': {
      const status = error.details?.status;
      return typeof status === 'number' ? `${sourceWord(options.type)} answered ${status}` : error.message;
    }
    default:
      return error.message;
  }
}

export interface UnreachableSource {
  host: string;
  /** The code the failures share, or the first one's. */
  code: ErrorShape['code'];
  /** What went wrong, in a few words ("can't be reached", "answered 503"). */
  what: string;
  components: string[];
}

export interface RateLimit {
  host: string;
  github: boolean;
  /** The latest reset among the rate-limited components (when all of them can be checked again). */
  retryAt: number | null;
  components: string[];
}

export interface CheckTrouble {
  /** Every network check failed for want of a connection: the machine looks offline. */
  offline: boolean;
  /** Components whose source could not be reached or failed (when not offline). */
  sources: UnreachableSource[];
  rateLimits: RateLimit[];
  /** Ids to check again from the offline or sources banner. */
  retryIds: string[];
}

const NO_TROUBLE: CheckTrouble = { offline: false, sources: [], rateLimits: [], retryIds: [] };

function checkError(check: CheckResult | undefined): ErrorShape | null {
  return check?.error ?? null;
}

/** Check failures that share a reason, for the banners above the table. */
export function checkTrouble(
  components: Component[],
  checks: Record<string, CheckResult>,
  githubApiBase: string | undefined,
): CheckTrouble {
  const failed = components.filter((c) => checkError(checks[c.id]) !== null);
  if (failed.length === 0) return NO_TROUBLE;
  const networkChecked = components.filter((c) => checks[c.id] && !isLocalType(c.type));
  const unreachable = failed.filter((c) => UNREACHABLE_CODES.has(checkError(checks[c.id])!.code));
  // Offline: something failed to connect, and no check that needs the network got through.
  const offline =
    unreachable.length > 0 && unreachable.length === failed.length && networkChecked.every((c) => failed.includes(c));

  const sources = new Map<string, UnreachableSource>();
  if (!offline) {
    for (const c of failed) {
      const error = checkError(checks[c.id])!;
      if (!UNREACHABLE_CODES.has(error.code) && error.code !== 'UPSTREAM_ERROR') continue;
      const host = errorHost(error) ?? c.name;
      const status = error.details?.status;
      const what =
        error.code === 'UPSTREAM_ERROR'
          ? typeof status === 'number'
            ? `answered ${status}`
            : 'failed'
          : error.code === 'TIMEOUT'
            ? 'did not answer in time'
            : "can't be reached";
      const entry = sources.get(host) ?? { host, code: error.code, what, components: [] };
      entry.components.push(c.name);
      sources.set(host, entry);
    }
  }

  const limits = new Map<string, RateLimit>();
  for (const c of failed) {
    const error = checkError(checks[c.id])!;
    if (error.code !== 'RATE_LIMITED') continue;
    const host = errorHost(error) ?? 'A server';
    const entry = limits.get(host) ?? {
      host,
      github: isGithubApiHost(host, githubApiBase),
      retryAt: null,
      components: [],
    };
    const at = retryAt(error);
    if (at !== null) entry.retryAt = Math.max(entry.retryAt ?? 0, at);
    entry.components.push(c.name);
    limits.set(host, entry);
  }

  const retryIds = offline
    ? unreachable.map((c) => c.id)
    : failed.filter((c) => checkError(checks[c.id])!.code !== 'RATE_LIMITED').map((c) => c.id);
  return { offline, sources: [...sources.values()], rateLimits: [...limits.values()], retryIds };
}

export const selectCheckTrouble = memoSelector(
  (s: AppState) => [s.components, s.checks, s.settings?.settings.github_api_base] as const,
  ([components, checks, githubApiBase]) => checkTrouble(components, checks, githubApiBase),
);

/** First run: nothing tracked but Upkeep itself (or nothing at all), and the welcome not dismissed. */
export const selectShowWelcome = (s: AppState): boolean =>
  s.componentsStatus === 'ready' && !s.welcomeDismissed && s.components.every((c) => c.id === SELF_COMPONENT_ID);
