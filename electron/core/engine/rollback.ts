import { UpkeepError, type ErrorShape } from '../../../shared/errors';
import type { Component } from '../../../shared/types';
import type { Updater, UpdaterContext } from '../updaters/types';
import { checkHealth } from './health';
import type { RunJournal } from './journal';
import type { RunKit } from './run-kit';
import type { RunLog } from './run-log';

export interface RollbackOutcome {
  ok: boolean;
  error: ErrorShape | null;
}

/** Restore the backup, rerun restart, re-check health. Journaled as rolling_back so a crash here is resumed. */
export async function runRollback(
  kit: RunKit,
  journal: RunJournal,
  component: Component,
  updater: Updater,
  log: RunLog,
  options: { safetyBackup: boolean },
  existing?: UpdaterContext,
): Promise<RollbackOutcome> {
  const backup = journal.backup;
  if (!backup) return { ok: false, error: { code: 'BACKUP_NOT_FOUND', message: 'There is no backup to restore.' } };
  // Stopped in apply: nothing has run in the new tree yet, so the previous one can be swapped back.
  const inApply = journal.kind === 'update' && journal.step === 'apply';
  journal.phase = 'rolling_back';
  journal.step = 'rollback';
  await kit.journals.write(journal);
  kit.progress(journal, null);
  const ctx =
    existing ??
    kit.newContext(
      journal,
      component,
      journal.target ?? { version: journal.to ?? '' },
      log,
      new AbortController().signal,
    );
  // A restore puts back the version the run started from.
  const rollbackCtx: UpdaterContext = journal.kind === 'update' ? ctx : { ...ctx, from: journal.to };
  try {
    log.write(`restoring backup ${backup.id}`);
    if (backup.kind === 'store' && inApply && (await updater.revert?.(rollbackCtx))) {
      log.write(`the previous tree was swapped back; backup ${backup.id} was not needed and is kept`);
    } else if (backup.kind === 'store') {
      const backups = kit.deps.backups();
      if (!backups)
        throw new UpkeepError(
          'INTERNAL',
          `The backup service is not available; restore backup ${backup.id} by hand.`,
          { backup_id: backup.id },
          { action: 'restore_backup' },
        );
      const previous = journal.kind === 'update' ? await previousTree(kit, updater, rollbackCtx, log) : null;
      const reused = await backups.restore(backup.id, {
        safetyBackup: options.safetyBackup,
        ...(previous ? { reuse: previous } : {}),
      });
      if (reused)
        log.write(
          `${reused.kept} files and links kept from the previous tree, ${reused.copied} unchanged files copied from the folder, ${reused.extracted} written from the backup`,
        );
      await updater.afterRestore?.(rollbackCtx);
    } else {
      if (!updater.snapshot)
        throw new UpkeepError('UNSUPPORTED', `Method ${component.method} cannot restore backup ${backup.id}.`);
      await updater.snapshot.restore(rollbackCtx, backup.id);
    }
    log.write(`backup ${backup.id} restored`);
  } catch (error) {
    const shape = kit.cleanError(error, log);
    log.write(`rollback failed: ${shape.message}`);
    return { ok: false, error: shape };
  }
  const problems = await restartAfterRestore(kit, component, updater, ctx, log);
  if (problems.length) {
    // The files are back; the service is not healthy — say so without calling the restore a failure.
    log.write(`warning: ${problems.join('; ')}`);
    if (journal.kind === 'update' && journal.error)
      journal.error = {
        ...journal.error,
        message: `${journal.error.message} The previous version was restored, but ${problems.join('; ')}.`,
      };
    if (journal.kind === 'rollback')
      return {
        ok: false,
        error: {
          code: 'HEALTH_CHECK_FAILED',
          message: `Backup ${backup.id} was restored, but ${problems.join('; ')}.`,
        },
      };
  }
  return { ok: true, error: null };
}

/**
 * The tree the update replaced, still beside the folder: the restore keeps its unchanged files
 * instead of writing them again. Only a shortcut: when it cannot be told, the backup is restored
 * from its archive alone.
 */
async function previousTree(kit: RunKit, updater: Updater, ctx: UpdaterContext, log: RunLog): Promise<string | null> {
  try {
    return (await updater.previousTree?.(ctx)) ?? null;
  } catch (error) {
    log.write(
      `the tree the update replaced could not be looked at (${kit.cleanError(error, log).message}); the backup is restored from its archive`,
    );
    return null;
  }
}

/** Rerun the restart command and the health check after a restore: what went wrong, if anything. */
async function restartAfterRestore(
  kit: RunKit,
  component: Component,
  updater: Updater,
  ctx: UpdaterContext,
  log: RunLog,
): Promise<string[]> {
  const folder = component.config.folder ?? updater.folder(ctx);
  const problems: string[] = [];
  if (component.config.restart) {
    try {
      await ctx.exec(component.config.restart, folder ? { cwd: folder } : {});
    } catch (error) {
      problems.push(`the restart after the rollback failed: ${kit.cleanError(error, log).message}`);
    }
  }
  if (component.config.health && problems.length === 0) {
    try {
      await checkHealth(component.config.health, ctx.exec, (l) => log.write(l), new AbortController().signal);
    } catch (error) {
      problems.push(`the health check after the rollback failed: ${kit.cleanError(error, log).message}`);
    }
  }
  return problems;
}
