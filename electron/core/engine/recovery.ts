import { fromErrorShape, toErrorShape, type ErrorShape } from '../../../shared/errors';
import type { Component, UpdateResult } from '../../../shared/types';
import { logger, withRunLog } from '../lib/log';
import type { Updater, UpdaterContext } from '../updaters/types';
import type { DamagedJournal, RunJournal } from './journal';
import { acquireLock, type HeldLock } from './lock';
import { finishRun } from './outcome';
import { runRollback } from './rollback';
import type { RunKit } from './run-kit';
import type { RunLog } from './run-log';
import type { RunRecovery, RunRecoveryFailure } from './types';

const recoveryLog = logger('engine.recovery');

/**
 * Finishing the runs a killed process left behind (ARCHITECTURE.md §4): roll back what may have
 * been changed, close what was not, record each in history. A run whose recovery failed keeps its
 * journal and is not tried again by this process; its component is refused new runs meanwhile.
 */
export class RunRecoverer {
  private recovery: Promise<RunRecovery> | undefined;
  /** Runs whose recovery failed in this process, by component: kept as found, not retried here. */
  private readonly failedRecoveries = new Map<string, RunRecoveryFailure>();
  /** Damaged journals, by the component they name: read again by every recovery (moving one away clears it). */
  private damaged = new Map<string, RunRecoveryFailure>();

  constructor(private readonly kit: RunKit) {}

  /** One recovery at a time: a call waits for the one before it, then looks again. */
  recoverRuns(): Promise<RunRecovery> {
    const previous = this.recovery ?? Promise.resolve(null);
    const run = previous.then(() => this.recoverNow());
    // The caller gets this run's error; the chain only needs it settled so the next call can start.
    this.recovery = run.catch(() => ({ recovered: [], busy: [], failed: [] }));
    return run;
  }

  /** Refuse to start a run over one whose recovery failed (its journal would be overwritten in effect). */
  refuseAfterFailedRecovery(component: string): void {
    const failed = this.failedRecoveries.get(component) ?? this.damaged.get(component);
    if (failed) throw fromErrorShape(failed.error);
  }

  private async recoverNow(): Promise<RunRecovery> {
    const kit = this.kit;
    const report: RunRecovery = { recovered: [], busy: [], failed: [] };
    const transient: RunRecoveryFailure[] = [];
    for (const journal of await kit.journals.list()) {
      if (this.failedRecoveries.has(journal.component)) continue;
      let lock: HeldLock;
      try {
        lock = await acquireLock(kit.deps.layout.locks, journal.component, {
          host: kit.deps.host,
          runId: `recover-${journal.run_id}`,
        });
      } catch (error) {
        const shape = toErrorShape(error);
        if (shape.code === 'UPDATE_IN_PROGRESS') {
          // A live process owns this run: it is in progress, not interrupted.
          const details = shape.details as { pid?: number } | undefined;
          report.busy.push({
            component: journal.component,
            kind: journal.kind,
            run_id: journal.run_id,
            step: journal.step,
            pid: details?.pid ?? null,
          });
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
    const damaged = (await kit.journals.damaged()).map(damagedJournalFailure);
    this.damaged = new Map(damaged.map((f) => [f.component, f]));
    report.failed = [...this.failedRecoveries.values(), ...transient, ...damaged];
    return report;
  }

  private recoveryFailed(journal: RunJournal, error: unknown): RunRecoveryFailure {
    const cause = error instanceof Error ? error.message : String(error);
    const backup = journal.backup
      ? ` Its pre-update backup ${journal.backup.id} is kept; once the cause is fixed, restoring it puts the previous version back by hand.`
      : '';
    return {
      component: journal.component,
      run_id: journal.run_id,
      error: {
        code: 'RECOVERY_FAILED',
        message:
          `The ${journal.kind} of ${journal.component} (run ${journal.run_id}) was interrupted at step ${journal.step} and finishing it failed: ${cause}. ` +
          `Its journal (${this.kit.journals.file(journal.run_id)}) and the folder are kept as they are, and ${journal.component} is not updated again until this is resolved.${backup} ` +
          'Fix the cause (free space, permissions, a missing drive), then run any command or restart Upkeep: it tries again.',
        details: {
          component: journal.component,
          run_id: journal.run_id,
          step: journal.step,
          ...(journal.backup ? { backup_id: journal.backup.id } : {}),
        },
        ...(journal.backup ? { action: 'restore_backup' as const } : {}),
      },
    };
  }
}

/** Finish one interrupted run, under its lock: complete it when it had committed, else roll back or close it. */
function recoverOne(kit: RunKit, journal: RunJournal): Promise<UpdateResult> {
  const log = kit.newLog(journal.run_id, journal.component);
  return withRunLog(log, () => finishInterrupted(kit, journal, log));
}

/** A journal recovery cannot read: RECOVERY_FAILED, kept as found, its component refused until a person has looked. */
function damagedJournalFailure(d: DamagedJournal): RunRecoveryFailure {
  const who = d.component ?? `the component of run ${d.run_id}`;
  return {
    component: d.component ?? d.run_id,
    run_id: d.run_id,
    error: {
      code: 'RECOVERY_FAILED',
      message:
        `The journal of run ${d.run_id} (${who}) is damaged (${d.reason}), so Upkeep cannot tell whether that run changed ${who} and did not touch it. ` +
        `Check ${who}'s folder (its pre-update backup, if the run made one, is listed under Backups and can be restored), then move ${d.file} out of the journal folder.`,
      details: {
        run_id: d.run_id,
        journal: d.file,
        reason: d.reason,
        state: 'STATE_CORRUPT',
        ...(d.component ? { component: d.component } : {}),
      },
    },
  };
}

/** Cleanup after a recovered run: what it leaves is staging under the work folder, so the outcome stands. */
async function cleanupAfter(updater: Updater, ctx: UpdaterContext): Promise<void> {
  await updater.cleanup?.(ctx).catch((error: unknown) =>
    recoveryLog.warn('cleanup after a recovered run failed; its staging files are left, the outcome stands', {
      run_id: ctx.runId,
      component: ctx.component.id,
      error,
    }),
  );
}

async function finishInterrupted(kit: RunKit, journal: RunJournal, log: RunLog): Promise<UpdateResult> {
  let component: Component;
  try {
    component = kit.deps.components.get(journal.component);
  } catch {
    // The component was removed since: close the run as it stands.
    component = {
      id: journal.component,
      name: journal.component,
      type: 'always_current',
      method: journal.method,
      channel: 'stable',
      source: { kind: 'settings' },
      config: { type: 'always_current' },
    };
  }
  const updater = kit.updaters[journal.method];
  const ctx = kit.newContext(
    journal,
    component,
    journal.target ?? { version: journal.to ?? '' },
    log,
    new AbortController().signal,
  );
  log.write(`found run ${journal.run_id} interrupted at ${journal.step} (phase ${journal.phase}); finishing it`);
  if (journal.phase === 'finished') {
    const status = journal.finished_status ?? 'failed';
    return finishRun(kit, journal, component, log, status, journal.error);
  }
  if (journal.phase === 'committed') {
    await updater.commit?.(ctx);
    await cleanupAfter(updater, ctx);
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
    await cleanupAfter(updater, ctx);
    return finishRun(
      kit,
      journal,
      component,
      log,
      outcome.ok ? 'succeeded' : 'failed',
      outcome.ok ? null : outcome.error,
    );
  }
  if (journal.touched && journal.backup && journal.rollback_on_failure) {
    const outcome = await runRollback(kit, journal, component, updater, log, { safetyBackup: false }, ctx);
    await cleanupAfter(updater, ctx);
    if (outcome.ok)
      return finishRun(kit, journal, component, log, 'rolled_back', {
        ...journal.error,
        message: `${journal.error.message} The previous version was restored.`,
      });
    return finishRun(kit, journal, component, log, 'failed', {
      ...journal.error,
      message: `${journal.error.message} Restoring backup ${journal.backup.id} failed: ${outcome.error?.message}`,
    });
  }
  await cleanupAfter(updater, ctx);
  const note = !journal.touched
    ? ' Nothing had been changed yet.'
    : !journal.backup
      ? ` There was no pre-update backup, so ${component.name} may be partly updated; check it by hand.`
      : ` rollback_on_failure is off; rolling it back restores backup ${journal.backup.id}.`;
  return finishRun(kit, journal, component, log, 'failed', {
    ...journal.error,
    message: `${journal.error.message}${note}`,
    ...(journal.touched && journal.backup ? { action: 'roll_back' as const } : {}),
  });
}
