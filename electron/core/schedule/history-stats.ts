import type { HistoryEntry, RunStatsView } from '../../../shared/types';

/** When a component has never been updated: a guess long enough for a download, install and restart. */
export const DEFAULT_ESTIMATE_MS = 10 * 60_000;
/** Estimates use the most recent runs: a component's update time drifts as it grows. */
const ESTIMATE_SAMPLES = 10;

/** A component's run record: the contract's RunStatsView. */
export type RunStats = RunStatsView;

// A run a person cancelled says nothing about how updates of the component go.
const isRealUpdate = (e: HistoryEntry): boolean =>
  (e.kind ?? 'update') === 'update' && e.status !== 'skipped' && e.status !== 'cancelled';

/** Update runs of one component that finished in (now - periodMs, now]. */
export function runStats(entries: readonly HistoryEntry[], component: string, now: number, periodMs: number): RunStats {
  const since = now - periodMs;
  const runs = entries.filter((e) => {
    if (e.component !== component || !isRealUpdate(e)) return false;
    const at = Date.parse(e.finished_at);
    return Number.isFinite(at) && at > since && at <= now;
  });
  const count = (s: HistoryEntry['status']) => runs.filter((e) => e.status === s).length;
  const durations = runs.map((e) => e.duration_ms).filter((d) => typeof d === 'number' && Number.isFinite(d) && d >= 0);
  const succeeded = count('succeeded');
  return {
    runs: runs.length,
    succeeded,
    failed: count('failed'),
    rolled_back: count('rolled_back'),
    success_rate: runs.length ? succeeded / runs.length : null,
    mean_duration_ms: durations.length ? Math.round(durations.reduce((a, b) => a + b, 0) / durations.length) : null,
  };
}

export interface DurationEstimate {
  ms: number;
  /** `history`: the mean of this component's last runs; `default`: no runs yet. */
  basis: 'history' | 'default';
  samples: number;
}

/** How long the next update of a component will take: the mean of its last runs, else a default. */
export function estimateDuration(
  entries: readonly HistoryEntry[],
  component: string,
  fallbackMs = DEFAULT_ESTIMATE_MS,
): DurationEstimate {
  const durations = entries
    .filter(
      (e) => e.component === component && isRealUpdate(e) && typeof e.duration_ms === 'number' && e.duration_ms >= 0,
    )
    .sort((a, b) => (a.finished_at < b.finished_at ? 1 : -1))
    .slice(0, ESTIMATE_SAMPLES)
    .map((e) => e.duration_ms);
  if (durations.length === 0) return { ms: fallbackMs, basis: 'default', samples: 0 };
  return {
    ms: Math.round(durations.reduce((a, b) => a + b, 0) / durations.length),
    basis: 'history',
    samples: durations.length,
  };
}

/** The last update run of a component (any outcome but skipped), newest by finish time. */
export function lastUpdate(entries: readonly HistoryEntry[], component: string): HistoryEntry | null {
  let best: HistoryEntry | null = null;
  for (const e of entries) {
    if (e.component !== component || !isRealUpdate(e)) continue;
    if (!best || e.finished_at > best.finished_at) best = e;
  }
  return best;
}
