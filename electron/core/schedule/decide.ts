import type { Component, HistoryEntry } from '../../../shared/types';
import type { VersionChoiceLookup } from '../config/version-choices';
import { formatDuration } from './duration';
import { environmentChoice, environmentPolicy } from './env-packages';
import { estimateDuration } from './history-stats';
import { decideAutoUpdate, policyOf, type AutoUpdateDecision } from './policy';
import { parseTime } from './record';
import type { ComponentScheduleState } from './state';

/** Whether an `auto` component with a pending update is updated now, or deferred and why. */
export function decide(
  c: Component,
  s: ComponentScheduleState,
  entries: HistoryEntry[],
  now: number,
  tz: string,
  holds: VersionChoiceLookup | undefined,
): AutoUpdateDecision {
  const held = holds?.get(c.id)?.held;
  if (held) {
    // The user's own choice comes before every policy.
    return {
      action: 'defer',
      reason: 'held',
      message: `${c.name} is held at ${held.version ?? 'its installed version'}, so ${s.latest} is not installed automatically. Release the hold to let it update.`,
      until: null,
    };
  }
  if (c.method === null) {
    return {
      action: 'defer',
      reason: 'no_method',
      message: `${c.name} has no update method (method:), so it cannot be updated automatically. Add one to its config.`,
      until: null,
    };
  }
  if (s.check_error) {
    // Never act on stale facts: the update waits for a check that succeeds.
    return {
      action: 'defer',
      reason: 'check_failed',
      message: `The last check failed (${s.check_error.message}); the automatic update to ${s.latest} waits for a successful check. Check it again to see the error.`,
      until: null,
    };
  }
  const estimate = estimateDuration(entries, c.id);
  if (s.packages) {
    // Environments: security_only and allow_major pick packages; only the window and cooldown stay component-wide.
    const choice = environmentChoice(policyOf(c.config), s.packages);
    if ('action' in choice) return choice;
  }
  return decideAutoUpdate(
    s.packages ? environmentPolicy(policyOf(c.config)) : policyOf(c.config),
    {
      installed: s.installed ?? null,
      latest: s.latest as string,
      publishedAt: parseTime(s.published_at),
      firstSeenAt: parseTime(s.first_seen?.at),
      security: s.security ?? null,
      securityUnknown: s.security_unknown ?? null,
      scheme: c.config.release_compare,
      failedTarget: s.failed_target ?? null,
    },
    {
      now,
      timeZone: tz,
      estimateMs: estimate.ms,
      estimateBasis:
        estimate.basis === 'history'
          ? `the mean of its last ${estimate.samples} run${estimate.samples === 1 ? '' : 's'}`
          : `a default estimate of ${formatDuration(estimate.ms)}; no runs yet`,
    },
  );
}
