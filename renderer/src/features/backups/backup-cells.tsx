import type { BackupInfo } from '../../../../shared/types';
import { useAppStore } from '../../store';
import type { AppState } from '../../store/types';
import { Badge } from '../../ui/Badge';
import { Icon } from '../../ui/Icon';
import { useOffline } from '../../ui/use-offline';

// Cells of the backups table (BackupsView.tsx): integrity and the row's actions.

type Verification = AppState['verifications'][string] | undefined;

/** Whether the backup was verified: running, verified, corrupt or failed, or not verified. */
export function IntegrityCell({ b, v }: { b: BackupInfo; v: Verification }) {
  return v?.status === 'running' ? (
    <Badge tone="info">Verifying</Badge>
  ) : v?.status === 'ok' ? (
    <Badge tone="success" title={`${v.files ?? b.file_count} files checked`}>
      Verified
    </Badge>
  ) : v?.status === 'failed' ? (
    <Badge tone="danger" title={v.error ? `${v.error.message} (${v.error.code})` : undefined}>
      {v.error?.code === 'BACKUP_CORRUPT' ? 'Corrupt' : 'Failed'}
    </Badge>
  ) : (
    <span className="muted">Not verified</span>
  );
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
