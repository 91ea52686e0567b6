import type { BackupInfo } from '../../../../shared/types';
import type { AppState } from '../types';
import type { BackupRange } from '../backups-slice';
import { memoSelector } from './memo';

const RANGE_MS: Record<Exclude<BackupRange, 'all'>, number> = {
  '1d': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
  '90d': 90 * 86_400_000,
};

/** The backups list as filtered (component, type, time range) and sorted (date, size, name, type) in the view. */
export const selectVisibleBackups = memoSelector(
  (s: AppState) => [s.backups, s.backupFilters] as const,
  ([backups, f]): BackupInfo[] => {
    const since = f.range === 'all' ? null : Date.now() - RANGE_MS[f.range];
    const out = backups.filter(
      (b) =>
        (f.component === 'all' || b.component === f.component) &&
        (f.type === 'all' || b.type === f.type) &&
        (since === null || Date.parse(b.created_at) >= since),
    );
    const byDate = (a: BackupInfo, b: BackupInfo) => b.created_at.localeCompare(a.created_at);
    const compare: Record<typeof f.sort, (a: BackupInfo, b: BackupInfo) => number> = {
      date: byDate,
      size: (a, b) => b.size - a.size || byDate(a, b),
      name: (a, b) => a.name.localeCompare(b.name) || byDate(a, b),
      type: (a, b) => a.type.localeCompare(b.type) || byDate(a, b),
    };
    return out.sort(compare[f.sort]);
  },
);

export const selectBackupComponents = memoSelector(
  (s: AppState) => [s.backups, s.components] as const,
  ([backups, components]): { id: string; name: string }[] => {
    const ids = new Set([...components.map((c) => c.id), ...backups.map((b) => b.component)]);
    return [...ids]
      .map((id) => ({ id, name: components.find((c) => c.id === id)?.name ?? id }))
      .sort((a, b) => a.name.localeCompare(b.name));
  },
);
