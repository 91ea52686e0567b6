import type { CheckResult, Component, ComponentSchedule, ErrorShape } from '../../../../shared/types';
import type { AppState } from '../types';
import type { RunState } from '../updates-slice';
import { memoSelector } from './memo';

export type RowStatus =
  | 'not-checked'
  | 'checking'
  | 'up-to-date'
  | 'update-available'
  | 'updating'
  | 'failed'
  | 'rolled-back'
  | 'check-failed'
  | 'held'
  | 'needs-attention'
  | 'not-offered';

export interface ComponentRow {
  id: string;
  name: string;
  kind: string;
  type: string;
  method: string | null;
  installed: string | null;
  latest: string | null;
  channel: string;
  checkedAt: string | null;
  /** When the last check failed, if it did (its error is `error`). */
  failedAt: string | null;
  status: RowStatus;
  updateAvailable: boolean;
  error: ErrorShape | null;
  /** Why an automatic update is held back, for people. */
  heldBecause: string | null;
  /** Its last run changed it and could not put it back: why, and what to do (until resolved). */
  attention: { reason: string; action: string } | null;
  readOnly: boolean;
}

export const STATUS_LABEL: Record<RowStatus, string> = {
  'not-checked': 'Not checked',
  checking: 'Checking',
  'up-to-date': 'Up to date',
  'update-available': 'Update available',
  updating: 'Updating',
  failed: 'Failed',
  'rolled-back': 'Rolled back',
  'check-failed': 'Check failed',
  held: 'Held',
  'needs-attention': 'Needs attention',
  'not-offered': 'Lower: not offered',
};

export function kindOf(c: Component): string {
  return c.method ? `${c.type.replace(/_/g, ' ')} · ${c.method.replace(/_/g, ' ')}` : c.type.replace(/_/g, ' ');
}

export function rowStatus(
  check: CheckResult | undefined,
  checking: boolean,
  run: RunState | undefined,
  schedule?: ComponentSchedule,
  attention = false,
): RowStatus {
  if (run?.status === 'running' || run?.status === 'queued') return 'updating';
  if (checking) return 'checking';
  // Its last run left it neither old nor new for sure: said until a person resolves it (or a run succeeds).
  if (attention) return 'needs-attention';
  if (run?.status === 'failed') return 'failed';
  // A failed update that was rolled back; a rollback asked for by hand leaves the row to the check.
  if (run?.status === 'rolled_back' && run.kind === 'update') return 'rolled-back';
  if (!check) return 'not-checked';
  if (check.error) return 'check-failed';
  // Held by the user, or an automatic update held back by its schedule.
  if (check.held) return 'held';
  if (check.update_available && schedule?.deferral) return 'held';
  // Neither up to date nor an update: the latest is refused as lower than a version seen before.
  if (check.downgrade_refused) return 'not-offered';
  return check.update_available ? 'update-available' : 'up-to-date';
}

export const selectComponentRows = memoSelector(
  (s: AppState) => [s.components, s.checks, s.checking, s.runs, s.schedules, s.history] as const,
  ([components, checks, checking, runs, schedules, history]): ComponentRow[] => {
    const attention = new Map(
      history.filter((e) => e.attention_open && e.needs_attention).map((e) => [e.component, e.needs_attention ?? null]),
    );
    return components.map((c) => {
      const check = checks[c.id];
      const run = runs[c.id];
      const schedule = schedules[c.id];
      // A run that finished fine in this session has resolved it, whatever the history loaded before said.
      const open = run?.status === 'succeeded' ? null : (attention.get(c.id) ?? null);
      const status = rowStatus(check, checking[c.id] ?? false, run, schedule, open !== null);
      return {
        id: c.id,
        name: c.name,
        kind: kindOf(c),
        type: c.type.replace(/_/g, ' '),
        method: c.method?.replace(/_/g, ' ') ?? null,
        installed: run?.status === 'succeeded' && run.to ? run.to : (check?.installed ?? c.config.current ?? null),
        latest: check?.latest ?? null,
        channel: check?.channel ?? c.channel,
        checkedAt: check?.checked_at ?? null,
        failedAt: check?.error ? (check.failed_at ?? null) : null,
        status,
        // A held component offers no Update now and stays out of Update all.
        updateAvailable:
          (check?.update_available ?? false) && !check?.held && status !== 'updating' && !(run?.status === 'succeeded'),
        // For a release not offered as lower, why: the check's explanation (Details offers the downgrade).
        heldBecause:
          status === 'not-offered'
            ? `${check?.explanation ?? ''}. Its details offer to install it anyway.`
            : status !== 'held'
              ? null
              : check?.held
                ? `You hold it at ${check.held_version ?? 'its installed version'}${check.update_available ? `; ${check.latest} is available` : ''}. Release the hold in its details to update.`
                : (schedule?.deferral?.message ?? null),
        attention: open,
        error: run?.error ?? check?.error ?? null,
        readOnly: c.source.kind === 'drop-in',
      };
    });
  },
);

export const selectFilteredComponentRows = memoSelector(
  (s: AppState) => [selectComponentRows(s), s.componentFilter] as const,
  ([rows, filter]): ComponentRow[] => {
    const q = filter.trim().toLowerCase();
    if (!q) return rows;
    return rows.filter(
      (r) =>
        r.name.toLowerCase().includes(q) ||
        r.id.includes(q) ||
        r.kind.includes(q) ||
        STATUS_LABEL[r.status].toLowerCase().includes(q),
    );
  },
);

export const selectPendingUpdates = memoSelector(
  (s: AppState) => [selectComponentRows(s)] as const,
  ([rows]) => rows.filter((r) => r.updateAvailable),
);

export const selectComponent = (id: string) => (s: AppState) => s.components.find((c) => c.id === id);
