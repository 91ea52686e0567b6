import { promises as fs } from 'node:fs';
import type { ErrorShape } from '../../../shared/errors';
import type { Component, UpdateResult, UpdateStatus, UpdateStep } from '../../../shared/types';
import type { Updater, UpdaterContext } from '../updaters/types';
import { takeBackup } from './backup-step';
import { checkHealth } from './health';
import type { LiveRun } from './cancel';
import type { RunJournal } from './journal';
import { finishRun } from './outcome';
import { preflightContext, recheckTarget } from './preflight';
import { runRollback } from './rollback';
import type { RunKit } from './run-kit';
import type { RunLog } from './run-log';
import type { UpdateOptions } from './types';
import { errorMessage } from '../lib/error-info';
import { logger, withRunLog } from '../lib/log';

const engineLog = logger('engine.run');

class StepFailure extends Error {
  constructor(
    readonly step: UpdateStep,
    readonly inner: unknown,
  ) {
    super('step failed');
  }
}

/**
 * One update run, under its lock (ARCHITECTURE.md §4):
 * preflight → backup → download → verify → apply → install → migrate → restart → health → commit,
 * or roll back. Each step is journaled (fsynced) before it starts.
 */
export async function runUpdate(
  kit: RunKit,
  runId: string,
  component: Component,
  updater: Updater,
  options: UpdateOptions,
  implicit: boolean,
): Promise<UpdateResult> {
  const journal = kit.newJournal(runId, 'update', component, options.initiatedBy, {
    from: null,
    to: null,
    target: null,
    force: options.force ?? false,
    noBackup: options.noBackup ?? false,
  });
  if (options.packages) journal.packages = [...options.packages];
  const log = kit.newLog(runId, component.id);
  // Records of the logger made during the run land in its run log too.
  return withRunLog(log, () => runSteps(kit, journal, component, updater, options, implicit, log));
}

/** The steps of a run and its outcome, with its journal and log made. */
async function runSteps(
  kit: RunKit,
  journal: RunJournal,
  component: Component,
  updater: Updater,
  options: UpdateOptions,
  implicit: boolean,
  log: RunLog,
): Promise<UpdateResult> {
  const runId = journal.run_id;
  // A cancel (cancel.ts) aborts this run's signal; it is checked again between steps.
  const live = await kit.cancels.start(journal, (line) => log.write(line));
  // A cancel of everything that came while this run was being set up reaches it too.
  if (kit.cancels.stopped) live.cancel('by a cancel of every update');
  const controller = live.controller;
  let ctx: UpdaterContext | undefined;
  let readBack = null as Promise<void> | null;
  // A backup written beside download, verify and stage (Updater.preparesOutside), and how it failed.
  let backupTaken = null as Promise<void> | null;
  let backupFailed = null as { error: unknown } | null;
  const step = async <T>(name: UpdateStep, body: () => Promise<T>): Promise<T> => {
    live.throwIfCancelled();
    // A backup that failed beside the steps stops the run before the next one.
    if (backupFailed) throw new StepFailure('backup', backupFailed.error);
    journal.step = name;
    await kit.journals.write(journal);
    kit.progress(journal, null);
    try {
      const value = await body();
      live.throwIfCancelled();
      return value;
    } catch (error) {
      // A failure the body already placed (the backup's read-back, awaited in apply) keeps its step.
      throw error instanceof StepFailure ? error : new StepFailure(name, error);
    }
  };

  try {
    // Preflight: re-check the target, then the machine.
    const c = await step('preflight', async () => {
      log.write(
        `${journal.kind} of ${component.name} (${component.id}) with method ${component.method}, run ${runId}, started by ${options.initiatedBy}`,
      );
      const target = await recheckTarget(kit, journal, component, options, log);
      const made = kit.newContext(journal, component, target, log, controller.signal);
      ctx = made;
      await preflightContext(kit, made, updater, log);
      return made;
    });

    if (!journal.no_backup) {
      const takeIt = async () => {
        const taken = await takeBackup(kit, c, component, updater, log);
        journal.backup = taken.backup;
        readBack = taken.readBack;
      };
      await step('backup', async () => {
        if (!updater.preparesOutside) return takeIt();
        // The release is fetched and staged outside the folder while its backup is written; the
        // run waits for the backup (and its read-back) before its first change to the folder.
        log.write('the download and staging run beside the backup');
        backupTaken = takeIt();
        backupTaken.catch((error: unknown) => {
          backupFailed = { error };
        });
      });
    } else {
      log.write(
        'warning: no pre-update backup (the update was asked to run without one); a failure cannot be rolled back',
      );
    }
    const { download, verify, stage } = updater;
    if (download) await step('download', () => download.call(updater, c));
    if (verify) await step('verify', () => verify.call(updater, c));
    await step('apply', async () => {
      // The new version is built beside the component while the backup is still read back.
      if (stage) await stage.call(updater, c);
      // Nothing in the component changes until the backup is written and has read back whole.
      if (backupTaken) {
        try {
          await backupTaken;
        } catch (error) {
          throw new StepFailure('backup', error);
        }
      }
      if (readBack) {
        try {
          await readBack;
        } catch (error) {
          throw new StepFailure('backup', error);
        }
      }
      live.throwIfCancelled();
      // A change nothing can put back (no backup, rollback off) is not interrupted by a cancel.
      if (!journal.backup || !journal.rollback_on_failure)
        live.passPointOfNoReturn(
          `has begun changing ${component.name} with no ${journal.backup ? 'automatic rollback' : 'pre-update backup'} to undo it`,
        );
      journal.touched = true;
      await kit.journals.write(journal);
      await updater.apply(c);
    });
    const folder = component.config.folder ?? updater.folder(c);
    if (component.config.install?.length) {
      await step('install', async () => {
        for (const argv of component.config.install ?? []) await c.exec(argv, folder ? { cwd: folder } : {});
      });
    }
    if (component.config.migrations?.length) {
      await step('migrate', async () => {
        for (const argv of component.config.migrations ?? []) await c.exec(argv, folder ? { cwd: folder } : {});
      });
    }
    if (component.config.restart) {
      await step('restart', async () => {
        await c.exec(component.config.restart as string[], folder ? { cwd: folder } : {});
      });
    }
    if (component.config.health) {
      await step('health', () =>
        checkHealth(
          component.config.health as NonNullable<Component['config']['health']>,
          c.exec,
          (l) => log.write(l),
          controller.signal,
        ),
      );
    }
    live.passPointOfNoReturn('has reached its commit point');
    await step('commit', async () => {
      await updater.commit?.(c);
      journal.phase = 'committed';
      await kit.journals.write(journal);
      kit.recordCurrent(component, journal.to, log);
    });
    await updater.cleanup?.(c).catch((error: unknown) => log.write(`cleanup: ${(error as Error).message}`));
    log.write(`${component.name} updated from ${journal.from ?? 'unknown'} to ${journal.to}`);
    return await finishRun(kit, journal, component, log, 'succeeded', null);
  } catch (raw) {
    // A step that failed beside the backup lets it finish first: the outcome names the backup.
    await (backupTaken as Promise<void> | null)?.catch(() => undefined);
    // The outcome reports the step that failed first; a backup that failed too is not lost from the log.
    const besideFailure = backupFailed as { error: unknown } | null;
    if (besideFailure && !(raw instanceof StepFailure && raw.step === 'backup'))
      log.write(`the backup written beside it failed too: ${errorMessage(besideFailure.error)}`);
    return await failedRun(kit, { journal, component, updater, log, implicit, ctx, live }, raw);
  } finally {
    await (backupTaken as Promise<void> | null)?.catch(() => undefined);
    // A run that ended before its backup was read back lets that reading finish (it holds the archive open).
    await readBack?.catch(() => undefined);
    kit.cancels.end(live);
    await fs.rm(kit.workDir(runId), { recursive: true, force: true }).catch((error: unknown) => {
      // The outcome is recorded already; the folder left behind is only downloads and staging under the cache folder.
      engineLog.warn('a run work folder could not be removed; it only takes space under the cache folder', {
        run_id: runId,
        folder: kit.workDir(runId),
        error,
      });
    });
  }
}

interface FailedRun {
  journal: RunJournal;
  component: Component;
  updater: Updater;
  log: RunLog;
  implicit: boolean;
  ctx: UpdaterContext | undefined;
  live: LiveRun;
}

/** A step failed: skipped when the preflight found nothing to install, else rolled back when it can be, and recorded. */
async function failedRun(kit: RunKit, run: FailedRun, raw: unknown): Promise<UpdateResult> {
  const { journal, component, updater, log, implicit } = run;
  const runId = journal.run_id;
  const failedStep = raw instanceof StepFailure ? raw.step : journal.step;
  const error = raw instanceof StepFailure ? raw.inner : raw;
  // A cancel is what ended the run, whatever error the interrupted step reported.
  const cancelled = run.live.cancelled;
  run.live.markRollingBack();
  const shape = cancelled ? run.live.error(failedStep) : kit.cleanError(error, log);
  if (shape.code === 'NO_UPDATE' && failedStep === 'preflight') {
    log.write(shape.message);
    await kit.journals.remove(runId);
    return {
      id: component.id,
      from: journal.from,
      to: journal.to,
      status: 'skipped',
      backup_id: null,
      error: implicit ? null : shape,
      run_id: runId,
    };
  }
  journal.error = shape;
  log.write(`${failedStep} failed: ${shape.message}`);
  // After a cancel the rollback runs with a signal of its own: its restart and health check must not be aborted.
  const c =
    run.ctx && !cancelled
      ? run.ctx
      : kit.newContext(
          journal,
          component,
          journal.target ?? { version: journal.to ?? '' },
          log,
          cancelled ? new AbortController().signal : run.live.signal,
        );
  let status: UpdateStatus = 'failed';
  let finalError: ErrorShape = shape;
  if (cancelled && !journal.touched) {
    status = 'cancelled';
    finalError = { ...shape, message: `${shape.message} Nothing had been changed.` };
  }
  if (journal.touched && journal.backup && journal.rollback_on_failure) {
    const outcome = await runRollback(kit, journal, component, updater, log, { safetyBackup: false }, c);
    if (outcome.ok) status = cancelled ? 'cancelled' : 'rolled_back';
    if (outcome.ok && cancelled)
      finalError = { ...shape, message: `${shape.message} The previous version was restored.` };
    else if (!outcome.ok)
      finalError = {
        ...shape,
        message: `${shape.message} The automatic rollback also failed: ${outcome.error?.message ?? 'unknown error'}`,
        details: { ...(shape.details ?? {}), rollback_error: outcome.error },
      };
  } else if (journal.touched && !journal.backup) {
    finalError = {
      ...shape,
      message: `${shape.message} There is no pre-update backup (the update ran without one), so ${component.name} may be partly updated; check it by hand.`,
    };
  } else if (journal.touched && !journal.rollback_on_failure) {
    finalError = {
      ...shape,
      message: `${shape.message} rollback_on_failure is off, so ${component.name} was left as it is; rolling it back restores backup ${journal.backup?.id}.`,
      action: 'roll_back',
    };
  }
  await updater.cleanup?.(c).catch((e: unknown) => log.write(`cleanup: ${(e as Error).message}`));
  return await finishRun(kit, journal, component, log, status, finalError);
}
