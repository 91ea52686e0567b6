import type { InitiatedBy } from '../../../shared/contract';
import { toErrorShape } from '../../../shared/errors';
import type { BackupRestoreResult, HistoryEntry } from '../../../shared/types';
import { newRunId } from '../engine/engine';
import type { Services } from '../services';
import type { RestoreBackupRequest } from './service';

/**
 * A restore, recorded in History like an update or rollback (succeeded or failed, from what to
 * what, which backup), and the check's installed side brought up to date after it, so every view
 * shows the version the folder holds now.
 */
export async function restoreWithHistory(
  services: Services,
  request: RestoreBackupRequest,
  initiatedBy: InitiatedBy,
): Promise<BackupRestoreResult> {
  const backup = await services.backups.get(request.backupId);
  const before = services.checks.cached([backup.component])[0]?.installed ?? null;
  const started = new Date();
  const entry = (status: HistoryEntry['status'], to: string | null, error: HistoryEntry['error']): HistoryEntry => {
    const finished = new Date();
    return {
      id: newRunId(),
      component: backup.component,
      kind: 'restore',
      from: before,
      to,
      status,
      started_at: started.toISOString(),
      finished_at: finished.toISOString(),
      backup_id: backup.id,
      error,
      duration_ms: finished.getTime() - started.getTime(),
      initiated_by: initiatedBy,
    };
  };
  let result: BackupRestoreResult;
  try {
    result = await services.backups.restore(request);
  } catch (error) {
    await services.updates.history.append(entry('failed', null, toErrorShape(error)));
    services.events.emit('components_changed', { ids: [backup.component] });
    throw error;
  }
  // A partial restore (database, config, data) may leave the version where it was: read it again.
  const restoredVersion = result.type === 'full' ? result.restored.component_version : undefined;
  await services.checks.invalidate(backup.component, restoredVersion);
  const now = services.checks.cached([backup.component])[0]?.installed ?? restoredVersion ?? null;
  await services.updates.history.append(entry('succeeded', now, null));
  services.events.emit('components_changed', { ids: [backup.component] });
  return result;
}
