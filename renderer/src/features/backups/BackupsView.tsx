import { useEffect } from 'react';
import type { BackupInfo, BackupType } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { selectBackupComponents, selectVisibleBackups } from '../../store/selectors/backups-selectors';
import { Badge, type Tone } from '../../ui/Badge';
import { EmptyState } from '../../ui/EmptyState';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { formatBytes, formatDate, formatRelative } from '../../ui/format';
import { Icon } from '../../ui/Icon';
import { ProgressBar } from '../../ui/ProgressBar';
import { useOffline } from '../../ui/use-offline';
import { VirtualTable, type Column } from '../../ui/VirtualTable';
import { BackupRowActions, IntegrityCell } from './backup-cells';
import { BackupFilters, BackupProblems } from './backup-sections';

const COLUMNS: Column[] = [
  { key: 'name', header: 'Backup', min: 160, grow: 2 },
  { key: 'component', header: 'Component', min: 112, grow: 1.2 },
  { key: 'type', header: 'Type', min: 88, grow: 0.8, drop: 3 },
  { key: 'created', header: 'Created', min: 112, grow: 1 },
  { key: 'size', header: 'Size', min: 80, grow: 0.8, drop: 1, align: 'end' },
  { key: 'state', header: 'Integrity', min: 120, grow: 1, drop: 2 },
  { key: 'actions', header: <span className="visually-hidden">Actions</span>, min: 272, align: 'end' },
];

const TYPE_TONE: Record<BackupType, Tone> = { full: 'accent', database: 'info', config: 'neutral', data: 'success' };
const REASON: Record<BackupInfo['reason'], string> = {
  manual: 'Manual',
  'pre-update': 'Before update',
  safety: 'Safety (before a restore)',
};

export function BackupsView() {
  const backups = useAppStore(selectVisibleBackups);
  const total = useAppStore((s) => s.backups.length);
  const problems = useAppStore((s) => s.backupProblems);
  const status = useAppStore((s) => s.backupsStatus);
  const filters = useAppStore((s) => s.backupFilters);
  const componentOptions = useAppStore(selectBackupComponents);
  const verifications = useAppStore((s) => s.verifications);
  const operation = useAppStore((s) => s.backupOperation);
  const loadBackups = useAppStore((s) => s.loadBackups);
  const openDialog = useAppStore((s) => s.openDialog);
  const offline = useOffline();
  const nameOf = (id: string) => componentOptions.find((c) => c.id === id)?.name ?? id;
  const totalBytes = backups.reduce((sum, b) => sum + b.compressed_size, 0);

  useEffect(() => {
    void loadBackups();
  }, [loadBackups]);

  return (
    <section className="view" aria-labelledby="view-title">
      <header className="view-header">
        <div>
          <h1 id="view-title">Backups</h1>
          <p className="view-subtitle">
            {total === 0
              ? 'A backup is taken before every update; you can also take one yourself.'
              : `${total} ${total === 1 ? 'backup' : 'backups'} · ${formatBytes(totalBytes)} on disk`}
          </p>
        </div>
        <div className="toolbar">
          <button
            type="button"
            className="button button-primary"
            {...offline}
            onClick={() =>
              openDialog({
                kind: 'create-backup',
                ...(filters.component !== 'all' ? { component: filters.component } : {}),
              })
            }
          >
            <Icon name="plus" /> Create backup
          </button>
        </div>
      </header>

      {operation ? (
        <div className="run-card">
          <div className="run-head">
            <strong>{operation.label}</strong>
          </div>
          <ProgressBar label={operation.label} percent={operation.percent} />
        </div>
      ) : null}

      <BackupProblems problems={problems} />

      <div className="table-card">
        <BackupFilters shown={backups.length} total={total} />
        <VirtualTable<BackupInfo>
          label="Backups"
          columns={COLUMNS}
          items={backups}
          rowKey={(b) => b.id}
          empty={
            status === 'loading' || status === 'idle' ? (
              <p className="muted">Loading backups…</p>
            ) : total > 0 ? (
              <EmptyState icon="search" title="No backup matches these filters." />
            ) : (
              <EmptyState icon="archive" title="No backups yet">
                <p>Updates take one first; “Create backup” takes one now.</p>
              </EmptyState>
            )
          }
          renderCells={(b) => {
            const v = verifications[b.id];
            return [
              <div className="cell-name" key="n">
                <span className="name" title={b.description ? `${b.name || b.id}: ${b.description}` : b.name || b.id}>
                  {b.name || b.id}
                </span>
                <span className="sub">
                  {REASON[b.reason]}
                  {b.component_version ? ` · v${b.component_version}` : ''}
                  {b.pinned ? ' · pinned' : ''}
                </span>
              </div>,
              <span key="c" title={nameOf(b.component)}>
                {nameOf(b.component)}
              </span>,
              <Badge key="t" tone={TYPE_TONE[b.type]}>
                {b.type}
              </Badge>,
              <time key="d" dateTime={b.created_at} title={formatDate(b.created_at)}>
                {formatRelative(b.created_at)}
              </time>,
              <span key="s" title={`${formatBytes(b.size)} of files, ${b.file_count} files`}>
                {formatBytes(b.compressed_size)}
              </span>,
              <IntegrityCell key="v" b={b} v={v} />,
              <BackupRowActions key="a" b={b} v={v} />,
            ];
          }}
        />
      </div>
      {Object.entries(verifications)
        .filter(([, v]) => v.status === 'failed' && v.error)
        .slice(-1)
        .map(([id, v]) => (
          <ErrorMessage key={id} title={`Backup ${id} did not verify`} error={v.error!} />
        ))}
    </section>
  );
}
