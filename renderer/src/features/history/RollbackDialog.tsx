import { useState } from 'react';
import type { HistoryEntry } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { Dialog } from '../../ui/Dialog';
import { formatDate } from '../../ui/format';

export function RollbackDialog({ entry, onClose }: { entry: HistoryEntry; onClose(): void }) {
  const rollback = useAppStore((s) => s.rollback);
  const name = useAppStore((s) => s.components.find((c) => c.id === entry.component)?.name ?? entry.component);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog
      title={`Roll back ${name}?`}
      onClose={onClose}
      size="small"
      footer={
        <>
          <button type="button" className="button" onClick={onClose} data-autofocus>
            Cancel
          </button>
          <button
            type="button"
            className="button button-danger"
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              onClose();
              await rollback(entry);
            }}
          >
            Roll back
          </button>
        </>
      }
    >
      <p>
        {name} goes back from <strong className="mono">{entry.to ?? '?'}</strong> to <strong className="mono">{entry.from ?? '?'}</strong>: the files the
        update of {formatDate(entry.started_at)} replaced are restored from backup <span className="mono">{entry.backup_id}</span>, then it is restarted
        and health-checked.
      </p>
      <p className="muted">Paths the component preserves (its data, uploads, .env) are left as they are.</p>
    </Dialog>
  );
}
