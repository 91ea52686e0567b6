import type { BackupProblem } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { BACKUP_RANGES, BACKUP_SORT_KEYS, BACKUP_TYPES } from '../../store/backups-slice';
import { isOneOf } from '../../../../shared/guards';
import { selectBackupComponents } from '../../store/selectors/backups-selectors';
import { FilterSelect } from '../../ui/FilterSelect';
import { Icon } from '../../ui/Icon';

// Parts of the Backups view (BackupsView.tsx): the unusable files in the folder, and the filters.

/** Files in the backups folder that are not usable backups (the first ten). */
export function BackupProblems({ problems }: { problems: BackupProblem[] }) {
  if (problems.length === 0) return null;
  return (
    <section className="callout callout-warning" aria-label="Backup problems">
      <h2 className="callout-title">
        <Icon name="alert" />{' '}
        {problems.length === 1
          ? 'A file in the backups folder is not usable'
          : `${problems.length} files in the backups folder are not usable`}
      </h2>
      <ul className="problem-list">
        {problems.slice(0, 10).map((p) => (
          <li key={p.file}>
            <span className="mono">{p.file}</span>: {p.message} <code className="error-code">{p.code}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Component, type, time range and sort of the backups list; `shown` of `total` match. */
export function BackupFilters({ shown, total }: { shown: number; total: number }) {
  const filters = useAppStore((s) => s.backupFilters);
  const setFilters = useAppStore((s) => s.setBackupFilters);
  const componentOptions = useAppStore(selectBackupComponents);
  return (
    <div className="table-tools filters">
      <FilterSelect label="Component" value={filters.component} onChange={(v) => setFilters({ component: v })}>
        <option value="all">All components</option>
        {componentOptions.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </FilterSelect>
      <FilterSelect
        label="Type"
        value={filters.type}
        onChange={(v) => (v === 'all' || isOneOf(v, BACKUP_TYPES) ? setFilters({ type: v }) : undefined)}
      >
        <option value="all">All types</option>
        <option value="full">Full</option>
        <option value="database">Database</option>
        <option value="config">Config</option>
        <option value="data">Data</option>
      </FilterSelect>
      <FilterSelect
        label="Time range"
        value={filters.range}
        onChange={(v) => (isOneOf(v, BACKUP_RANGES) ? setFilters({ range: v }) : undefined)}
      >
        <option value="all">Any time</option>
        <option value="1d">Last 24 hours</option>
        <option value="7d">Last 7 days</option>
        <option value="30d">Last 30 days</option>
        <option value="90d">Last 90 days</option>
      </FilterSelect>
      <FilterSelect
        label="Sort by"
        value={filters.sort}
        onChange={(v) => (isOneOf(v, BACKUP_SORT_KEYS) ? setFilters({ sort: v }) : undefined)}
      >
        <option value="date">Date (newest first)</option>
        <option value="size">Size (largest first)</option>
        <option value="name">Name</option>
        <option value="type">Type</option>
      </FilterSelect>
      <span className="muted filters-count">{shown === total ? `${total} shown` : `${shown} of ${total} shown`}</span>
    </div>
  );
}
