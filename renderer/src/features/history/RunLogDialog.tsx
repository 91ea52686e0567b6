import { useEffect } from 'react';
import type { HistoryEntry } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { Dialog } from '../../ui/Dialog';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { formatDate, formatDuration } from '../../ui/format';

/** What a finished run wrote: every step, command output (stderr marked) and the outcome. */
export function RunLogDialog({ entry, onClose }: { entry: HistoryEntry; onClose(): void }) {
  const log = useAppStore((s) => s.runLogs[entry.id]);
  const loadRunLog = useAppStore((s) => s.loadRunLog);
  const name = useAppStore((s) => s.components.find((c) => c.id === entry.component)?.name ?? entry.component);

  useEffect(() => {
    void loadRunLog(entry.id);
  }, [entry.id, loadRunLog]);

  return (
    <Dialog
      title={`Log of ${name} ${entry.from ?? '?'} → ${entry.to ?? '?'}`}
      onClose={onClose}
      size="large"
      description={`${entry.kind} started ${formatDate(entry.started_at)} by ${entry.initiated_by}, took ${formatDuration(entry.duration_ms)}.`}
      footer={
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      }
    >
      {entry.error ? (
        <ErrorMessage title={entry.status === 'rolled_back' ? 'Rolled back because' : 'Failed'} error={entry.error} />
      ) : null}
      {!log ? (
        <p className="muted">Loading the log…</p>
      ) : log.error ? (
        <ErrorMessage title="The log could not be read" error={log.error} />
      ) : log.lines.length === 0 ? (
        <p className="muted">This run wrote no log.</p>
      ) : (
        <div className="run-log">
          <pre tabIndex={0} aria-label="Run log">
            {log.lines.map((l, i) => (
              <span key={i} className={`log-${l.stream}`}>
                {l.line}
                {'\n'}
              </span>
            ))}
          </pre>
          {log.total > log.lines.length ? (
            <p className="muted small">
              Showing the first {log.lines.length} of {log.total} lines.
            </p>
          ) : null}
        </div>
      )}
    </Dialog>
  );
}
