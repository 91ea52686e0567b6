import { toErrorShape, UpkeepError, type ErrorShape } from '../../../shared/errors';
import type { Component, UpdateResult } from '../../../shared/types';
import type { RunJournal } from './journal';
import { acquireLock, type HeldLock } from './lock';
import { finishRun } from './outcome';
import { runRollback } from './rollback';
import type { RunKit } from './run-kit';
import type { RunRecovery, RunRecoveryFailure } from './types';

/**
 * Finishing the runs a killed process left behind (ARCHITECTURE.md §4): roll back what may have
 * been changed, close what was not, record each in history. A run whose recovery failed keeps its
 * journal and is not tried again by this process; its component is refused new runs meanwhile.
 */
export class RunRecoverer {
  private recovery: Promise<RunRecovery> | undefined;
  /** Runs whose recovery failed in this process, by component: kept as found, not retried here. */
  private readonly failedRecoveries = new Map<string, RunRecoveryFailure>();

  constructor(private readonly kit: RunKit) {}

  /** One recovery at a time: a call waits for the one before it, then looks again. */
  recoverRuns(): Promise<RunRecovery> {
    const previous = this.recovery ?? Promise.resolve(null);
    const run = previous.then(() => this.recoverNow());
    this.recovery = run.catch(() => ({ recovered: [], busy: [], failed: [] }));
    return run;
  }

  /** Refuse to start a run over one whose recovery failed (its journal would be overwritten in effect). */
  refuseAfterFailedRecovery(component: string): void {
    const failed = this.failedRecoveries.get(component);
    if (failed) throw new UpkeepError(failed.error.code, failed.error.message, failed.error.details);
  }

  private async recoverNow(): Promise<RunRecovery> {
    const kit = this.kit;
    const report: RunRecovery = { recovered: [], busy: [], failed: [] };
    const transient: RunRecoveryFailure[] = [];
    for (const journal of await kit.journals.list()) {
      if (this.failedRecoveries.has(journal.component)) continue;
      let lock: HeldLock;
      try {
        lock = await acquireLock(kit.deps.layout.locks, journal.component, { host: kit.deps.host, runId: `recover-${journal.run_id}` });
      } catch (error) {
        const shape = toErrorShape(error);
        if (shape.code === 'UPDATE_IN_PROGRESS') {
          // A live process owns this run: it is in progress, not interrupted.
          const details = shape.details as { pid?: number } | undefined;
          report.busy.push({ component: journal.component, kind: journal.kind, run_id: journal.run_id, step: journal.step, pid: details?.pid ?? null });
        } else {
          // The lock itself could not be taken (permissions, a full disk): nothing was touched; asked again next time.
          transient.push(this.recoveryFailed(journal, error));
        }
        continue;
      }
      try {
        const again = await kit.journals.read(journal.run_id);
        if (!again) continue; // finished by its owner meanwhile
        report.recovered.push(await recoverOne(kit, again));
      } catch (error) {
        // One broken run must not block the others; it stays as found for a later start.
        const failure = this.recoveryFailed(journal, error);
        this.failedRecoveries.set(journal.component, failure);
      } finally {
        await lock.release();
      }
    }
    report.failed = [...this.failedRecoveries.values(), ...transient];
    return report;
  }

  private recoveryFailed(journal: RunJournal, error: unknown): RunRecoveryFailure {
    const cause = error instanceof Error ? error.message : String(error);
    const backup = journal.backup
      ? ` Its pre-update backup ${journal.backup.id} is kept; once the cause is fixed, \`upkeep backup restore ${journal.backup.id}\` puts the previous version back by hand.`
      : '';
    return {
      component: journal.component,
      run_id: journal.run_id,
      error: {
        code: 'RECOVERY_FAILED',
        message:
          `The ${journal.kind} of ${journal.component} (run ${journal.run_id}) was interrupted at step ${journal.step} and finishing it failed: ${cause}. ` +
          `Its journal (${this.kit.journals.file(journal.run_id)}) and the folder are kept as they are, and ${journal.component} is not updated again until this is resolved.${backup} ` +
          'Fix the cause (free space, permissions, a missing drive), then run any upkeep command or restart Upkeep: it tries again.',
        details: { component: journal.component, run_id: journal.run_id, step: journal.step, ...(journal.backup ? { backup_id: journal.backup.id } : {}) },
      },
    };
  }
}

/** Finish one interrupted run, under its lock: complete it when it had committed, else roll back or close it. */
async function recoverOne(kit: RunKit, journal: RunJournal): Promise<UpdateResult> {
  const log = kit.newLog(journal.run_id, journal.component);
  let component: Component;
  try {
    component = kit.deps.components.get(journal.component);
  } catch {
    // The component was removed since: close the run as it stands.
    component = { id: journal.component, name: journal.component, type: 'always_current', method: journal.method, channel: 'stable', source: { kind: 'settings' }, config: { type: 'always_current' } };
  }
  const updater = kit.updaters[journal.method];
  const ctx = kit.newContext(journal, component, journal.target ?? { version: journal.to ?? '' }, log, new AbortController().signal);
  log.write(`found run ${journal.run_id} interrupted at ${journal.step} (phase ${journal.phase}); finishing it`);
  if (journal.phase === 'finished') {
    const status = journal.finished_status ?? 'failed';
    return finishRun(kit, journal, component, log, status, journal.error);
  }
  if (journal.phase === 'committed') {
    await updater.commit?.(ctx);
    await updater.cleanup?.(ctx).catch(() => undefined);
    kit.recordCurrent(component, journal.to, log);
    return finishRun(kit, journal, component, log, 'succeeded', null);
  }
  const interrupted: ErrorShape = {
    code: 'CANCELLED',
    message: `The ${journal.kind} was interrupted at step ${journal.step} (Upkeep was stopped or crashed).`,
  };
  journal.error = journal.error ?? interrupted;
  if (journal.kind === 'rollback') {
    const outcome = await runRollback(kit, journal, component, updater, log, { safetyBackup: false }, ctx);
    await updater.cleanup?.(ctx).catch(() => undefined);
    return finishRun(kit, journal, component, log, outcome.ok ? 'succeeded' : 'failed', outcome.ok ? null : outcome.error);
  }
  if (journal.touched && journal.backup && journal.rollback_on_failure) {
    const outcome = await runRollback(kit, journal, component, updater, log, { safetyBackup: false }, ctx);
    await updater.cleanup?.(ctx).catch(() => undefined);
    if (outcome.ok) return finishRun(kit, journal, component, log, 'rolled_back', { ...journal.error, message: `${journal.error.message} The previous version was restored.` });
    return finishRun(kit, journal, component, log, 'failed', { ...journal.error, message: `${journal.error.message} Restoring backup ${journal.backup.id} failed: ${outcome.error?.message}` });
  }
  await updater.cleanup?.(ctx).catch(() => undefined);
  const note = !journal.touched
    ? ' Nothing had been changed yet.'
    : !journal.backup
      ? ` There was no pre-update backup, so ${component.name} may be partly updated; check it by hand.`
      : ` rollback_on_failure is off; backup ${journal.backup.id} can be restored with \`upkeep rollback\`.`;
  return finishRun(kit, journal, component, log, 'failed', { ...journal.error, message: `${journal.error.message}${note}` });
}
