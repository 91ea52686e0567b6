import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import { acquireLock, lockHolder, type HeldLock } from '../engine/lock';

/**
 * Run `fn` holding the component's backup lock in `<locksDir>/backups/` (no locks folder: just run
 * it). A lock another live process holds is UPDATE_IN_PROGRESS naming its pid.
 */
export async function underBackupLock<T>(
  locksDir: string | undefined,
  component: string,
  fn: () => Promise<T>,
): Promise<T> {
  if (!locksDir) return fn();
  let held: HeldLock;
  try {
    held = await acquireLock(path.join(locksDir, 'backups'), component, {
      host: 'backup',
      runId: `backup-${process.pid}`,
    });
  } catch (error) {
    if (error instanceof UpkeepError && error.code === 'UPDATE_IN_PROGRESS') {
      const pid = (error.details as { pid?: number } | undefined)?.pid;
      throw new UpkeepError(
        'UPDATE_IN_PROGRESS',
        `A backup or restore of ${component} is already running in another Upkeep process${pid ? ` (pid ${pid})` : ''}. Wait for it to finish, then try again.`,
        { component, ...(pid ? { pid } : {}) },
      );
    }
    throw error;
  }
  try {
    return await fn();
  } finally {
    await held.release();
  }
}

/** A restore never runs under another process's update of the same component. */
export async function refuseDuringUpdate(locksDir: string | undefined, component: string): Promise<void> {
  if (!locksDir) return;
  const holder = await lockHolder(locksDir, component);
  if (holder && holder.pid !== process.pid) {
    throw new UpkeepError(
      'UPDATE_IN_PROGRESS',
      `${component} is being updated by another Upkeep process (run ${holder.run_id}, pid ${holder.pid}). Restore it once that update has finished.`,
      { component, run_id: holder.run_id, pid: holder.pid },
    );
  }
}
