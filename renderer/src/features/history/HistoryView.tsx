import { useEffect } from 'react';
import type { HistoryEntry } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { selectBackupIds, selectHistoryEntries, selectHistorySummary } from '../../store/selectors/history-selectors';
import { Badge, type Tone } from '../../ui/Badge';
import { EmptyState } from '../../ui/EmptyState';
import { FilterSelect } from '../../ui/FilterSelect';
import { formatDate, formatDuration, formatRelative } from '../../ui/format';
import { VirtualTable, type Column } from '../../ui/VirtualTable';
import { RunPanel } from '../updates/RunPanel';
import { BackupCell, HistoryRowActions } from './history-cells';
import { HistorySummary } from './HistorySummary';

const COLUMNS: Column[] = [
  { key: 'when', header: 'When', min: 128, grow: 1 },
  { key: 'component', header: 'Component', min: 144, grow: 1.6 },
  { key: 'change', header: 'Change', min: 144, grow: 1.4 },
  { key: 'outcome', header: 'Outcome', min: 128, grow: 1 },
  { key: 'duration', header: 'Duration', min: 80, grow: 0.7, drop: 1 },
  { key: 'backup', header: 'Backup', min: 128, grow: 1.4, drop: 2 },
  { key: 'actions', header: <span className="visually-hidden">Actions</span>, min: 168, align: 'end' },
];

const OUTCOME: Record<HistoryEntry['status'], { label: string; tone: Tone }> = {
  succeeded: { label: 'Succeeded', tone: 'success' },
  failed: { label: 'Failed', tone: 'danger' },
  rolled_back: { label: 'Rolled back', tone: 'warning' },
  skipped: { label: 'Skipped', tone: 'neutral' },
  cancelled: { label: 'Cancelled', tone: 'neutral' },
};

export function HistoryView() {
  const entries = useAppStore(selectHistoryEntries);
  const summary = useAppStore(selectHistorySummary);
  const status = useAppStore((s) => s.historyStatus);
  const components = useAppStore((s) => s.components);
  const selected = useAppStore((s) => s.historyComponent);
  const setSelected = useAppStore((s) => s.setHistoryComponent);
  const loadHistory = useAppStore((s) => s.loadHistory);
  const backupIds = useAppStore(selectBackupIds);
  const nameOf = (id: string) => components.find((c) => c.id === id)?.name ?? id;

  useEffect(() => {
    void loadHistory();
  }, [loadHistory]);

  const ids = [...new Set([...components.map((c) => c.id), ...summary.map((s) => s.component)])];

  return (
    <section className="view" aria-labelledby="view-title">
      <header className="view-header">
        <div>
          <h1 id="view-title">History</h1>
          <p className="view-subtitle">Every update with its outcome, and the backup to roll back to.</p>
        </div>
        <div className="filters">
          <FilterSelect label="Component" value={selected} onChange={(v) => setSelected(v)}>
            <option value="all">All components</option>
            {ids.map((id) => (
              <option key={id} value={id}>
                {nameOf(id)}
              </option>
            ))}
          </FilterSelect>
        </div>
      </header>

      <RunPanel />

      <HistorySummary summary={summary} nameOf={nameOf} />

      <div className="table-card">
        <VirtualTable<HistoryEntry>
          label="History"
          columns={COLUMNS}
          items={entries}
          rowKey={(e) => e.id}
          empty={
            status === 'loading' || status === 'idle' ? (
              <p className="muted">Loading history…</p>
            ) : (
              <EmptyState icon="history" title="No updates yet">
                <p>Updates, rollbacks and restores appear here with their outcome.</p>
              </EmptyState>
            )
          }
          renderCells={(e) => [
            <time key="w" dateTime={e.started_at} title={formatDate(e.started_at)}>
              {formatRelative(e.started_at)}
            </time>,
            <div className="cell-name" key="c">
              <span className="name" title={nameOf(e.component)}>
                {nameOf(e.component)}
              </span>
              <span className="sub">
                {e.kind === 'restore'
                  ? `restore of backup ${e.backup_id ?? ''} · by ${e.initiated_by}`
                  : `${e.kind} · by ${e.initiated_by}`}
                {e.undone_by ? ' · rolled back since' : ''}
              </span>
            </div>,
            <span className="mono" key="ch" title={`${e.from ?? '?'} → ${e.to ?? '?'}`}>
              {e.from ?? '?'} → {e.to ?? '?'}
            </span>,
            <Badge
              key="o"
              tone={OUTCOME[e.status].tone}
              title={e.error ? `${e.error.message} (${e.error.code})` : undefined}
            >
              {OUTCOME[e.status].label}
            </Badge>,
            <span key="d">{formatDuration(e.duration_ms)}</span>,
            <BackupCell key="b" e={e} backupIds={backupIds} />,
            <HistoryRowActions key="a" e={e} name={nameOf(e.component)} backupIds={backupIds} />,
          ]}
        />
      </div>
    </section>
  );
}
