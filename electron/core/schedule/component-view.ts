import type { Component, ComponentSchedule, HistoryEntry } from '../../../shared/types';
import { estimateDuration } from './history-stats';
import { policyOf } from './policy';
import { iso } from './record';
import type { ComponentScheduleState } from './state';
import { describeWindow, windowAt } from './window';

/** One component's schedule as the panel and `upkeep schedule` show it; `nextCheckAt` in ms. */
export function componentView(
  c: Component,
  s: ComponentScheduleState | undefined,
  entries: HistoryEntry[],
  now: number,
  tz: string,
  nextCheckAt: number,
): ComponentSchedule {
  const policy = policyOf(c.config);
  let windowOpen = false;
  let closesAt: string | null = null;
  let nextWindow: string | null = null;
  if (policy.window) {
    const w = windowAt(policy.window, now, tz);
    if (w.open) {
      windowOpen = true;
      closesAt = Number.isFinite(w.end) ? iso(w.end) : null;
      nextWindow = iso(w.start);
    } else if (w.nextStart !== null) nextWindow = iso(w.nextStart);
  }
  return {
    id: c.id,
    name: c.name,
    policy: policy.enabled ? 'auto' : 'notify',
    window: policy.windowText,
    window_description: policy.window ? describeWindow(policy.window) : 'invalid',
    window_error: policy.windowError ?? policy.minReleaseAgeError,
    min_release_age: policy.minReleaseAgeText,
    allow_major: policy.allowMajor,
    security_only: policy.securityOnly,
    window_open: windowOpen,
    window_closes_at: closesAt,
    next_window_at: nextWindow,
    last_checked_at: s?.last_checked_at ?? null,
    next_check_at: iso(nextCheckAt),
    pending:
      s?.update_available && s.latest
        ? { installed: s.installed ?? null, latest: s.latest, published_at: s.published_at ?? null }
        : null,
    deferral: policy.enabled ? (s?.deferral ?? null) : null,
    estimated_duration_ms: estimateDuration(entries, c.id).ms,
  };
}
