import { UpkeepError } from '../../../shared/errors';
import type { Component } from '../../../shared/types';
import type { Updater, UpdaterContext } from '../updaters/types';
import type { RunJournal } from './journal';
import type { RunKit } from './run-kit';
import type { RunLog } from './run-log';

/** What the backup step took, and the read-back of a store backup still under way. */
export interface TakenBackup {
  backup: RunJournal['backup'];
  /**
   * Resolves once the store backup has been read back whole (rejects with BACKUP_CORRUPT when it
   * cannot be): it runs beside the download and verify steps, and the run awaits it before its
   * first change to the folder. Never rejects unhandled.
   */
  readBack: Promise<void> | null;
}

/** The backup step: a store backup of the folder (read back whole, see TakenBackup), an updater snapshot, or nothing to hold. */
export async function takeBackup(
  kit: RunKit,
  ctx: UpdaterContext,
  component: Component,
  updater: Updater,
  log: RunLog,
): Promise<TakenBackup> {
  const folder = updater.folder(ctx);
  const backups = kit.deps.backups();
  if (folder && backups) {
    log.write(`backing up ${folder}`);
    const id = await backups.createPreUpdate(component, folder, {
      runId: ctx.runId,
      version: ctx.from,
      signal: ctx.signal,
    });
    log.write(`pre-update backup ${id}, reading it back`);
    const readBack = readBackWhole(backups, id, component, log);
    // Awaited before the first change; until then a rejection must not count as unhandled.
    readBack.catch(() => undefined);
    return { backup: { id, kind: 'store' }, readBack };
  }
  if (updater.snapshot) {
    const id = await updater.snapshot.create(ctx);
    return { backup: { id, kind: 'snapshot' }, readBack: null };
  }
  if (folder && !backups)
    throw new UpkeepError(
      'INTERNAL',
      'The backup service is not available; update without a backup to go on without one.',
      undefined,
      { action: 'update_without_backup' },
    );
  // No folder and no state of its own (a script, sleep_a_bit): there is nothing a backup could hold.
  log.write(`nothing to back up for method ${component.method} without a folder; a failure cannot be rolled back`);
  return { backup: null, readBack: null };
}

/**
 * A backup that cannot be restored would turn any later failure into a half-updated folder: find
 * out before anything is changed.
 */
async function readBackWhole(
  backups: NonNullable<ReturnType<RunKit['deps']['backups']>>,
  id: string,
  component: Component,
  log: RunLog,
): Promise<void> {
  const problem = await backups.checkRestorable?.(id);
  if (problem) {
    throw new UpkeepError(
      'BACKUP_CORRUPT',
      `The pre-update backup ${id} of ${component.name} could not be read back for a restore (${problem.message}), so a failed update could not be undone. Nothing was changed. Fix what the message names, or update without a backup at your own risk.`,
      { backup_id: id, cause: problem },
      { action: 'update_without_backup' },
    );
  }
  log.write(`pre-update backup ${id} reads back completely`);
}
