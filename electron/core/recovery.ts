import { UpkeepError, type ErrorShape } from '../../shared/errors';
import type { UpdateResult, UpdateStep } from '../../shared/types';
import { logger } from './lib/log';
import type { Services } from './services';

/** A run or restore a live process is doing now: in progress, not interrupted. */
export interface InProgress {
  component: string;
  kind: 'update' | 'rollback' | 'restore';
  pid: number | null;
  run_id: string | null;
  step: UpdateStep | null;
}

export interface RecoveryReport {
  /** Runs a killed process left, finished now (rolled back, or completed after their commit). */
  recovered: UpdateResult[];
  /** Folders whose interrupted restore was undone or finished now. */
  restores: string[];
  /** Components a live process holds: what is shown for them may change when it ends. */
  busy: InProgress[];
  /** Recoveries that failed: kept as found, with what to do (code RECOVERY_FAILED). */
  failed: { component: string; error: ErrorShape }[];
}

/**
 * Finish what killed processes left before anything answers: restores first (each under its
 * component's backup lock), then update and rollback runs (under the component's update lock).
 * What a live process holds is reported as in progress, never touched. Cheap when nothing is
 * pending (two directory reads), so every contract call runs it; serialised inside the engine
 * and the backup store, so concurrent calls never recover one thing twice.
 */
export async function recoverInterrupted(services: Pick<Services, 'backups' | 'updates'>): Promise<RecoveryReport> {
  const restores = await services.backups.recoverRestores();
  const runs = await services.updates.recoverRuns();
  const report = {
    recovered: runs.recovered,
    restores: restores.touched,
    busy: [
      ...restores.busy.map((b): InProgress => ({
        component: b.component,
        kind: 'restore',
        pid: b.pid,
        run_id: b.run_id,
        step: null,
      })),
      ...runs.busy.map((b): InProgress => ({
        component: b.component,
        kind: b.kind,
        pid: b.pid,
        run_id: b.run_id,
        step: b.step,
      })),
    ],
    // runs.failed holds the damaged run journals too (engine/recovery.ts).
    failed: [...restores.failed, ...runs.failed].map((f) => ({ component: f.component, error: f.error })),
  };
  logFailures(report.failed);
  return report;
}

const log = logger('recovery');
/** Failures already in the host log: recovery runs before every call, and each failure is written once per process. */
const logged = new Set<string>();

function logFailures(failed: RecoveryReport['failed']): void {
  for (const f of failed) {
    if (logged.has(f.error.message)) continue;
    logged.add(f.error.message);
    log.error('an interrupted run or restore could not be recovered; it is kept as found', {
      component: f.component,
      code: f.error.code,
      message: f.error.message,
      ...(f.error.details ? { details: f.error.details } : {}),
    });
  }
}

/** The first failed recovery as an error to throw (its message says what to do; the others follow it). */
export function recoveryFailure(report: RecoveryReport): UpkeepError | null {
  const [first, ...rest] = report.failed;
  if (!first) return null;
  const more = rest.length ? ` (${rest.length} more: ${rest.map((f) => f.component).join(', ')})` : '';
  return new UpkeepError(
    'RECOVERY_FAILED',
    `${first.error.message}${more}`,
    { ...first.error.details, components: report.failed.map((f) => f.component) },
    first.error.action ? { action: first.error.action } : undefined,
  );
}

/** One line for people: who holds a component now. */
export function describeInProgress(b: InProgress): string {
  const what = b.kind === 'restore' ? 'restore' : b.kind === 'rollback' ? 'rollback' : 'update';
  const by = b.pid !== null ? ` by pid ${b.pid}` : ' by another Upkeep process';
  const at = b.step ? `, at step ${b.step}` : '';
  return `${what} in progress${by}${b.run_id ? ` (run ${b.run_id}${at})` : ''}`;
}

/** The answer for a component a live process is updating or restoring: busy, never its half state. */
export function busyError(b: InProgress): ErrorShape {
  return {
    code: 'UPDATE_IN_PROGRESS',
    message: `${b.component}: ${describeInProgress(b)}. Its folder is being changed, so what is installed is not known until that ${b.kind} ends; ask again then.`,
    details: {
      component: b.component,
      kind: b.kind,
      ...(b.pid !== null ? { pid: b.pid } : {}),
      ...(b.run_id ? { run_id: b.run_id } : {}),
    },
  };
}

/** Lines for people about what the recovery did and what is in progress (the CLI prints them on stderr). */
export function recoveryNotes(report: RecoveryReport): string[] {
  return [
    ...report.recovered.map(
      (r) =>
        `finished an interrupted run of ${r.id} (run ${r.run_id ?? '?'}): ${r.status}${r.status === 'rolled_back' ? `, ${r.from ?? 'the previous version'} is installed again` : r.status === 'succeeded' ? `, ${r.to ?? 'the new version'} is installed` : r.error ? `: ${r.error.message}` : ''}`,
    ),
    ...report.restores.map((folder) => `finished an interrupted restore of ${folder}`),
    ...report.busy.map(
      (b) => `${b.component}: ${describeInProgress(b)}; what is shown for it may change when that ends`,
    ),
  ];
}
