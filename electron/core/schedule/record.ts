import type { CheckResult, Component, PackageUpdate, UpdateResult, UnknownRisk } from '../../../shared/types';
import type { EventBus } from '../events';
import type { EnvPackageState } from './env-packages';
import type { ComponentScheduleState } from './state';

/** What the scheduler remembers of a check or an automatic update, in its per-component state. */

export const iso = (ms: number) => new Date(ms).toISOString();
export const parseTime = (text: string | null | undefined): number | null => {
  if (!text) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
};

/**
 * A check result's security flag: `security: true`, or `risk_flags` containing "security". Null when
 * it does not say or says it is unknown (`security: null`: the advisory source failed).
 */
function securityFlag(result: CheckResult): boolean | null {
  const r = result as CheckResult & { security?: unknown; risk_flags?: unknown };
  if (typeof r.security === 'boolean') return r.security;
  if (r.security === null) return null;
  if (Array.isArray(r.risk_flags)) return r.risk_flags.includes('security');
  return null;
}

/** Why security is unknown, when the result says so. */
function securityUnknown(unknown: readonly UnknownRisk[] | undefined): string | null {
  const found = unknown?.find((u) => u.flag === 'security');
  return found ? found.message : null;
}

/** An environment package the scheduler keeps: its set flags and the ones that are unknown. */
function packageState(p: PackageUpdate): EnvPackageState {
  const unknown = [...new Set((p.risk.unknown ?? []).map((u) => u.flag))];
  return unknown.length
    ? { name: p.name, flags: [...p.risk.flags], unknown }
    : { name: p.name, flags: [...p.risk.flags] };
}

/**
 * Remembers what a check found; announces an update it reveals once (`announced` holds the versions
 * this process already announced).
 */
export function recordCheck(
  c: Component,
  s: ComponentScheduleState,
  result: CheckResult,
  now: number,
  announced: Map<string, string>,
  events: EventBus,
): void {
  s.last_checked_at = iso(now);
  s.check_error = result.error ? { code: result.error.code, message: result.error.message } : null;
  if (result.error) return;
  s.installed = result.installed;
  s.latest = result.latest;
  s.update_available = result.update_available;
  s.published_at = result.target?.published_at ?? null;
  s.security = securityFlag(result);
  s.security_unknown = s.security === null ? securityUnknown(result.risk_unknown) : null;
  s.packages = result.packages ? result.packages.filter((p) => p.target !== p.installed).map(packageState) : null;
  if (result.latest && s.first_seen?.version !== result.latest) s.first_seen = { version: result.latest, at: iso(now) };
  if (
    result.update_available &&
    !result.held &&
    result.latest &&
    s.announced_version !== result.latest &&
    announced.get(c.id) !== result.latest
  ) {
    s.announced_version = result.latest;
    announced.set(c.id, result.latest);
    events.emit('update_available', {
      component: c.id,
      name: c.name,
      from_version: result.installed,
      to_version: result.latest,
      channel: result.channel,
      // Said when it is unknown, so a notification never lets silence pass for "no security fix".
      ...(s.security === null && s.security_unknown ? { security: null, security_unknown: s.security_unknown } : {}),
    });
  }
  if (!result.update_available) s.deferral = null;
}

/** Remembers what an automatic update did. */
export function recordUpdate(s: ComponentScheduleState, result: UpdateResult, now: number): void {
  s.last_auto_update = { at: iso(now), to: result.to, status: result.status };
  if (result.status === 'succeeded') {
    s.installed = result.to;
    s.update_available = false;
    s.failed_target = null;
  } else if (result.status === 'skipped') {
    // The engine's own re-check found nothing to install (a release pulled): wait for the next check.
    s.update_available = false;
  } else if (result.status === 'failed' || result.status === 'rolled_back' || result.status === 'cancelled') {
    // Retrying a broken release every pass would roll the component back and forth all night (and a cancelled one was stopped by a person).
    s.failed_target = { version: result.to ?? s.latest ?? '', at: iso(now), status: result.status };
  }
}
