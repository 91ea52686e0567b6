import type { HistoryEntry } from '../../../../shared/types';
import type { AppState } from '../types';
import { memoSelector } from './memo';

/** Newest first, for the chosen component. */
export const selectHistoryEntries = memoSelector(
  (s: AppState) => [s.history, s.historyComponent] as const,
  ([history, component]): HistoryEntry[] =>
    history
      .filter((e) => component === 'all' || e.component === component)
      .sort((a, b) => b.started_at.localeCompare(a.started_at)),
);

export interface ComponentHistorySummary {
  component: string;
  updates: number;
  succeeded: number;
  failed: number;
  rolledBack: number;
  /** Succeeded / attempted (skipped ones do not count), 0–1; null without attempts. */
  successRate: number | null;
  averageMs: number | null;
  lastAt: string | null;
}

/** Per component: how often its updates succeed and how long they take. */
export const selectHistorySummary = memoSelector(
  (s: AppState) => [s.history] as const,
  ([history]): ComponentHistorySummary[] => {
    const by = new Map<string, ComponentHistorySummary & { totalMs: number; timed: number }>();
    for (const e of history) {
      if (e.kind !== 'update') continue;
      const row = by.get(e.component) ?? {
        component: e.component,
        updates: 0,
        succeeded: 0,
        failed: 0,
        rolledBack: 0,
        successRate: null,
        averageMs: null,
        lastAt: null,
        totalMs: 0,
        timed: 0,
      };
      // A run a person cancelled says nothing about how updates of the component go.
      if (e.status !== 'skipped' && e.status !== 'cancelled') {
        row.updates += 1;
        if (e.status === 'succeeded') row.succeeded += 1;
        if (e.status === 'failed') row.failed += 1;
        if (e.status === 'rolled_back') row.rolledBack += 1;
        if (Number.isFinite(e.duration_ms)) {
          row.totalMs += e.duration_ms;
          row.timed += 1;
        }
      }
      if (!row.lastAt || e.started_at > row.lastAt) row.lastAt = e.started_at;
      by.set(e.component, row);
    }
    return [...by.values()]
      .map(({ totalMs, timed, ...row }) => ({
        ...row,
        successRate: row.updates ? row.succeeded / row.updates : null,
        averageMs: timed ? totalMs / timed : null,
      }))
      .sort((a, b) => (b.lastAt ?? '').localeCompare(a.lastAt ?? ''));
  },
);

/**
 * Entries that can be rolled back: a successful update not undone since, whose pre-update backup is
 * recorded — in the backup list (still listed, once the list is known) or the method's own snapshot
 * (Open WebUI, single files), which the list does not show.
 */
export function canRollBack(entry: HistoryEntry, backupIds: ReadonlySet<string> | null): boolean {
  if (entry.kind !== 'update' || entry.status !== 'succeeded' || entry.backup_id === null || entry.undone_by)
    return false;
  if (entry.backup_kind === 'snapshot') return true;
  return backupIds === null || backupIds.has(entry.backup_id);
}

/** Ids of the listed backups, or null before the list has loaded. */
export const selectBackupIds = memoSelector(
  (s: AppState) => [s.backups, s.backupsStatus] as const,
  ([backups, status]): ReadonlySet<string> | null => (status === 'ready' ? new Set(backups.map((b) => b.id)) : null),
);
