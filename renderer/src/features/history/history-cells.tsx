import type { HistoryEntry } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { canRollBack, type selectBackupIds } from '../../store/selectors/history-selectors';
import { Icon } from '../../ui/Icon';
import { useOffline } from '../../ui/use-offline';

// Cells of the history table (HistoryView.tsx): the backup and the row's actions.

type BackupIds = ReturnType<typeof selectBackupIds>;

/** The entry's backup (or that it was deleted), its error, and whether it needs attention. */
export function BackupCell({ e, backupIds }: { e: HistoryEntry; backupIds: BackupIds }) {
  return (
    <div className="cell-name">
      {e.backup_id ? (
        <span className="sub mono" title={e.backup_id}>
          {e.backup_id}
          {backupIds && !backupIds.has(e.backup_id) ? ' (deleted)' : ''}
        </span>
      ) : (
        <span className="muted">None</span>
      )}
      {e.error ? (
        <span className="sub" title={e.error.message}>
          {e.error.code}: {e.error.message}
        </span>
      ) : null}
      {e.attention_open && e.needs_attention ? (
        <span className="sub attention-note" title={e.needs_attention.action}>
          Needs attention: {e.needs_attention.action}
        </span>
      ) : null}
    </div>
  );
}

/** The run's log, and Roll back where the entry can be rolled back. */
export function HistoryRowActions({ e, name, backupIds }: { e: HistoryEntry; name: string; backupIds: BackupIds }) {
  const openDialog = useAppStore((s) => s.openDialog);
  const offline = useOffline();
  return (
    <div className="row-actions">
      {/* A restore from the Backups list runs outside the update engine and keeps no run log. */}
      {e.kind !== 'restore' ? (
        <button
          type="button"
          className="icon-button"
          aria-label={`Log of ${name} ${e.from ?? '?'} → ${e.to ?? '?'}`}
          title="Log"
          onClick={() => openDialog({ kind: 'run-log', entryId: e.id })}
        >
          <Icon name="info" />
        </button>
      ) : null}
      {canRollBack(e, backupIds) ? (
        <button
          type="button"
          className="button button-small"
          {...offline}
          onClick={() => openDialog({ kind: 'rollback', entryId: e.id })}
        >
          <Icon name="undo" /> Roll back
        </button>
      ) : null}
    </div>
  );
}
