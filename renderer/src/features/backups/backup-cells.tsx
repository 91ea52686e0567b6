import type { BackupInfo } from '../../../../shared/types';
import { useAppStore } from '../../store';
import type { AppState } from '../../store/types';
import { Badge } from '../../ui/Badge';
import { formatAgo, formatDate } from '../../ui/format';
import { Icon } from '../../ui/Icon';
import { useOffline } from '../../ui/use-offline';

// Cells of the backups table (BackupsView.tsx): integrity and the row's actions.

type Verification = AppState['verifications'][string] | undefined;

/** The short form under the badge: "read back 3 min ago". */
const WHEN_BY: Record<NonNullable<BackupInfo['verification']>['by'], string> = {
  'read-back': 'read back',
  verify: 'checked',
  restore: 'restored',
};

const CHECKED_BY: Record<NonNullable<BackupInfo['verification']>['by'], string> = {
  'read-back': 'Read back after it was written',
  verify: 'Verified',
  restore: 'Checked whole by a restore',
};

/**
 * Whether the backup was verified: a check running now, else the newer of a check finished in
 * this session and the last whole check kept with the backup (an update's read-back, a verify, a
 * restore), else not verified.
 */
export function IntegrityCell({ b, v: asked }: { b: BackupInfo; v: Verification }) {
  if (asked?.status === 'running') return <Badge tone="info">Verifying</Badge>;
  // A check kept with the backup since (this one's own record, or one another host or the CLI made later) wins.
  const v = asked && b.verification && Date.parse(b.verification.at) >= Date.parse(asked.at) ? undefined : asked;
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
  if (!kept) return <span className="muted">Not verified</span>;
  // When, and by what, in a line of its own: a tooltip alone is out of reach of keyboards and touch.
  const when = (
    <span className="sub" title={formatDate(kept.at)}>
      {WHEN_BY[kept.by]} {formatAgo(kept.at)}
    </span>
  );
  return kept.ok ? (
    <div className="cell-name cell-integrity">
      <Badge tone="success" title={`${CHECKED_BY[kept.by]} ${formatDate(kept.at)}: ${kept.files} files checked`}>
        Verified
      </Badge>
      {when}
    </div>
  ) : (
    <div className="cell-name cell-integrity">
      <Badge tone="danger" title={`${kept.error?.message ?? 'Damaged'} (found ${formatDate(kept.at)})`}>
        Corrupt
      </Badge>
      {when}
    </div>
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
