import type { HistoryEntry } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { formatDate } from '../../ui/format';

export function RollbackDialog({ entry, onClose }: { entry: HistoryEntry; onClose(): void }) {
  const rollback = useAppStore((s) => s.rollback);
  const name = useAppStore((s) => s.components.find((c) => c.id === entry.component)?.name ?? entry.component);
  return (
    // The rollback's progress shows in the run card, so the dialog closes as it starts.
    <ConfirmDialog
      title={`Roll back ${name}?`}
      confirmLabel="Roll back"
      closeFirst
      onConfirm={() => rollback(entry)}
      onClose={onClose}
    >
      <p>
        {name} goes back from <strong className="mono">{entry.to ?? '?'}</strong> to{' '}
        <strong className="mono">{entry.from ?? '?'}</strong>: the files the update of {formatDate(entry.started_at)}{' '}
        replaced are restored from backup <span className="mono">{entry.backup_id}</span>, then it is restarted and
        health-checked.
      </p>
      <p className="muted">Paths the component preserves (its data, uploads, .env) are left as they are.</p>
    </ConfirmDialog>
  );
}
