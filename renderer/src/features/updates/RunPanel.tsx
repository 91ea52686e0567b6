import { useAppStore } from '../../store';
import { selectRuns } from '../../store/selectors/updates-selectors';
import type { RunState } from '../../store/updates-slice';
import { PHASE_LABEL, type BackupOperation } from '../../store/backups-slice';
import { Badge } from '../../ui/Badge';
import { ProgressBar } from '../../ui/ProgressBar';

const STEP_LABEL: Record<string, string> = {
  preflight: 'Preflight checks',
  backup: 'Backing up',
  download: 'Downloading',
  verify: 'Verifying the download',
  apply: 'Applying files',
  install: 'Installing dependencies',
  migrate: 'Migrating',
  restart: 'Restarting',
  health: 'Health check',
  commit: 'Finishing',
  rollback: 'Rolling back',
};

/** Backup phases an update's download and staging run beside. */
const BESIDE_PHASES = new Set<BackupOperation['phase']>(['scanning', 'copying-databases', 'archiving', 'verifying']);

const STEP_NAME: Record<string, string> = {
  preflight: 'Preflight',
  backup: 'Backup',
  download: 'Download',
  verify: 'Verify',
  apply: 'Apply',
  install: 'Install',
  migrate: 'Migrate',
  restart: 'Restart',
  health: 'Health check',
  commit: 'Commit',
  rollback: 'Roll back',
};

/** The id of a component's run card: Update now moves focus there. */
export function runCardId(component: string): string {
  return `run-${component}`;
}

/** Live progress of running updates, and the outcome of the last ones, with their logs. */
export function RunPanel() {
  const runs = useAppStore(selectRuns);
  const names = useAppStore((s) => s.components);
  const dismiss = useAppStore((s) => s.dismissRun);
  const cancel = useAppStore((s) => s.cancelRun);
  if (runs.length === 0) return null;
  const nameOf = (id: string) => names.find((c) => c.id === id)?.name ?? id;
  // Running and waiting runs always show; of the finished ones, the problems first, then a few more.
  const active = runs.filter((r) => r.status === 'running' || r.status === 'queued');
  const done = runs
    .filter((r) => !active.includes(r))
    .sort((a, b) => Number(b.status !== 'succeeded') - Number(a.status !== 'succeeded'));
  const shown = [...active.slice(0, 6), ...done.slice(0, Math.max(0, 6 - Math.min(active.length, 6)))];
  const hidden = runs.length - shown.length;
  return (
    <section className="runs" aria-label="Updates in progress and recent outcomes">
      {shown.map((run) => (
        <RunCard
          key={run.component}
          run={run}
          name={nameOf(run.component)}
          onDismiss={() => dismiss(run.component)}
          onCancel={() => void cancel(run.component)}
        />
      ))}
      {hidden > 0 ? (
        <p className="muted small">
          and {hidden} more ({active.length} still running or waiting)
        </p>
      ) : null}
    </section>
  );
}

function RunCard({
  run,
  name,
  onDismiss,
  onCancel,
}: {
  run: RunState;
  name: string;
  onDismiss(): void;
  onCancel(): void;
}) {
  const active = run.status === 'running' || run.status === 'queued';
  // A release is downloaded and staged while its pre-update backup is still written and read back:
  // the card says so rather than only the step the run has moved on to.
  const backup = useAppStore((s) => s.backupOperation);
  const besideBackup =
    run.status === 'running' &&
    run.step !== 'backup' &&
    backup?.component === run.component &&
    BESIDE_PHASES.has(backup.phase)
      ? ` · backup: ${PHASE_LABEL[backup.phase].toLowerCase()}${backup.percent === null ? '' : ` ${Math.floor(backup.percent)}%`}`
      : null;
  // The step that went wrong: the last one of a failed run, the one before the rollback of a rolled-back run.
  const rollbackAt = run.steps.indexOf('rollback');
  const failedStep =
    active || run.status === 'succeeded'
      ? null
      : rollbackAt > 0
        ? run.steps[rollbackAt - 1]
        : rollbackAt === 0
          ? null
          : run.steps[run.steps.length - 1];
  const label =
    run.kind === 'rollback'
      ? `Rolling back ${name}${run.to ? ` to ${run.to}` : ''}`
      : `${name} ${run.from ?? '?'} → ${run.to ?? '?'}`;
  const outcome =
    run.status === 'running' || run.status === 'queued' ? null : run.status === 'succeeded' ? (
      <Badge tone="success">Updated</Badge>
    ) : run.status === 'rolled_back' ? (
      // A rollback asked for by hand that went through is a success; an update rolled back is a warning.
      <Badge tone={run.kind === 'rollback' && !run.error ? 'success' : 'warning'}>Rolled back</Badge>
    ) : run.status === 'skipped' ? (
      <Badge tone="neutral">Skipped</Badge>
    ) : run.status === 'cancelled' ? (
      <Badge tone="neutral">Cancelled</Badge>
    ) : (
      <Badge tone="danger">Failed</Badge>
    );
  return (
    <article
      id={runCardId(run.component)}
      tabIndex={-1}
      className={`run-card run-${run.kind === 'rollback' && run.status === 'rolled_back' && !run.error ? 'succeeded' : run.status}`}
      aria-label={`${run.kind === 'rollback' ? 'Rollback' : 'Update'} of ${name}`}
    >
      <div className="run-head">
        <strong>{label}</strong>
        <span className="run-step">
          {run.status === 'queued'
            ? 'Waiting for its turn…'
            : run.status === 'running'
              ? run.step
                ? `${STEP_LABEL[run.step] ?? run.step}${besideBackup ?? ''}`
                : 'Starting…'
              : outcome}
        </span>
        {!active ? (
          <button
            type="button"
            className="icon-button"
            aria-label={`Dismiss the update of ${name}`}
            onClick={onDismiss}
          >
            <span aria-hidden="true">×</span>
          </button>
        ) : null}
      </div>
      {run.steps.length > 0 ? (
        <ol className="steps" aria-label="Steps">
          {run.steps.map((step) => {
            // The backup is still under way beside the download and staging: both steps are current.
            const current = active && (step === run.step || (step === 'backup' && besideBackup !== null));
            const failed = step === failedStep;
            return (
              <li
                key={step}
                className={current ? 'step-current' : failed ? 'step-failed' : 'step-done'}
                aria-current={current ? 'step' : undefined}
              >
                <span className="step-mark" aria-hidden="true">
                  {current ? '…' : failed ? '!' : '✓'}
                </span>
                {STEP_NAME[step] ?? step}
              </li>
            );
          })}
        </ol>
      ) : null}
      {active ? (
        <div className="run-progress">
          <ProgressBar
            label={`${run.kind === 'rollback' ? 'Rolling back' : 'Updating'} ${name}`}
            percent={run.status === 'queued' ? 0 : run.percent}
          />
          {/* Before the commit point an update can be stopped; it rolls back (a rollback itself finishes). */}
          {run.kind === 'update' && run.status === 'running' && run.step !== 'commit' && run.step !== 'rollback' ? (
            <button
              type="button"
              className="button"
              disabled={run.cancelling === true}
              aria-label={`Cancel the update of ${name}`}
              onClick={onCancel}
            >
              {run.cancelling ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : null}
        </div>
      ) : null}
      {run.error ? (
        <p className={run.status === 'rolled_back' || run.status === 'cancelled' ? 'run-reason' : 'field-error'}>
          {run.status === 'rolled_back' ? 'Rolled back because: ' : ''}
          {run.error.message} <code className="error-code">{run.error.code}</code>
        </p>
      ) : null}
      {run.backupId ? (
        <p className="muted small">
          Backup taken first: <span className="mono">{run.backupId}</span>
        </p>
      ) : null}
      {run.log.length > 0 ? (
        <details className="run-log">
          <summary>
            Log ({run.log.length} {run.log.length === 1 ? 'line' : 'lines'})
          </summary>
          <pre>
            {run.log.slice(-400).map((l, i) => (
              <span key={i} className={`log-${l.stream}`}>
                {l.line}
                {'\n'}
              </span>
            ))}
          </pre>
        </details>
      ) : null}
    </article>
  );
}
