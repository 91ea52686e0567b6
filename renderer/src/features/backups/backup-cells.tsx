import type { BackupInfo } from '../../../../shared/types';
import { useAppStore } from '../../store';
import type { AppState } from '../../store/types';
import { Badge } from '../../ui/Badge';
import { formatDate } from '../../ui/format';
import { Icon } from '../../ui/Icon';
import { useOffline } from '../../ui/use-offline';

// Cells of the backups table (BackupsView.tsx): integrity and the row's actions.

type Verification = AppState['verifications'][string] | undefined;

const CHECKED_BY: Record<NonNullable<BackupInfo['verification']>['by'], string> = {
  'read-back': 'Read back after it was written',
  verify: 'Verified',
  restore: 'Checked whole by a restore',
};

/**
 * Whether the backup was verified: a check running or finished in this session first, else the
 * last whole check kept with the backup (an update's read-back, a verify, a restore), else not
 * verified.
 */
export function IntegrityCell({ b, v }: { b: BackupInfo; v: Verification }) {
  if (v?.status === 'running') return <Badge tone="info">Verifying</Badge>;
  if (v?.status === 'ok')
    return (
      <Badge tone="success" title={`${v.files ?? b.file_count} files checked`}>
        Verified
      </Badge>
    );
  if (v?.status === 'failed')
    return (
      <Badge tone="danger" title={v.error ? `${v.error.message} (${v.error.code})` : undefined}>
        {v.error?.code === 'BACKUP_CORRUPT' ? 'Corrupt' : 'Failed'}
      </Badge>
    );
  const kept = b.verification;
  if (kept?.ok)
    return (
      <Badge tone="success" title={`${CHECKED_BY[kept.by]} ${formatDate(kept.at)}: ${kept.files} files checked`}>
        Verified
      </Badge>
    );
  if (kept)
    return (
      <Badge tone="danger" title={`${kept.error?.message ?? 'Damaged'} (found ${formatDate(kept.at)})`}>
        Corrupt
      </Badge>
    );
  return <span className="muted">Not verified</span>;
}

/** Pin, verify, restore, delete. */
export function BackupRowActions({ b, v }: { b: BackupInfo; v: Verification }) {
  const verifyBackup = useAppStore((s) => s.verifyBackup);
  const pinBackup = useAppStore((s) => s.pinBackup);
  const openDialog = useAppStore((s) => s.openDialog);
  const offline = useOffline();
  return (
    <div className="row-actions">
      <button
        type="button"
        className={`icon-button${b.pinned ? ' icon-button-on' : ''}`}
        aria-label={`Pin ${b.name || b.id}`}
        aria-pressed={b.pinned}
        title={
          offline.title ?? (b.pinned ? 'Pinned: retention keeps it' : 'Pin: keep it whatever the retention settings')
        }
        disabled={offline.disabled}
        onClick={() => void pinBackup(b.id, !b.pinned)}
      >
        <Icon name="pin" />
      </button>
      <button
        type="button"
        className="button button-small"
        disabled={v?.status === 'running' || offline.disabled}
        title={offline.title}
        onClick={() => void verifyBackup(b.id)}
      >
        Verify
      </button>
      <button
        type="button"
        className="button button-small"
        {...offline}
        onClick={() => openDialog({ kind: 'restore-backup', backupId: b.id })}
      >
        Restore
      </button>
      <button
        type="button"
        className="button button-small"
        {...offline}
        onClick={() => openDialog({ kind: 'delete-backup', backupId: b.id })}
      >
        Delete
      </button>
    </div>
  );
}
