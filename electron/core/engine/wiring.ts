import type { BackupInfo, CheckResult, Component, ErrorShape, ReuseCounts, VerifyAskedBy } from '../../../shared/types';
import type { HomeLayout } from '../config/home';
import type { VersionChoiceLookup } from '../config/version-choices';
import type { EventBus } from '../events';
import { UpdateEngine, type EngineBackups, type EngineChecks, type UpdateEngineDeps } from './engine';

/** The backup service as the engine uses it (services.backups). */
export interface BackupServiceLike {
  create(request: {
    component: string;
    type: 'full';
    reason: 'pre-update';
    name?: string;
    description?: string;
    folder?: string;
    version?: string | null;
    signal?: AbortSignal;
  }): Promise<BackupInfo>;
  restore(request: { backupId: string; safetyBackup?: boolean; reuse?: string }): Promise<{ reused?: ReuseCounts }>;
  verify?(id: string, by?: VerifyAskedBy): Promise<{ ok: boolean; error: ErrorShape | null }>;
}

export interface CheckServiceLike {
  checkOne(id: string, options: { force?: boolean; downgrade?: boolean }): Promise<CheckResult>;
  invalidate?(id: string, installed?: string | null): Promise<void>;
}

/** The parts of Services the engine reads; checks and backups are looked up when a run needs them. */
export interface EngineServices {
  layout: HomeLayout;
  host: string;
  events: EventBus;
  components: UpdateEngineDeps['components'];
  settings: UpdateEngineDeps['settings'];
  secrets: { get(key: string): string | undefined };
  checks?: CheckServiceLike;
  backups?: BackupServiceLike;
  holds?: VersionChoiceLookup;
}

export function adaptBackups(service: BackupServiceLike): EngineBackups {
  return {
    async createPreUpdate(component: Component, folder: string, info) {
      const request: Parameters<BackupServiceLike['create']>[0] = {
        component: component.id,
        type: 'full',
        reason: 'pre-update',
        name: `Before update${info.version ? ` from ${info.version}` : ''}`,
        description: `Taken automatically by update run ${info.runId}.`,
        version: info.version,
        ...(info.signal ? { signal: info.signal } : {}),
      };
      // Only when the updater's folder differs from the config's (a venv found from `python`).
      if (!component.config.folder || component.config.folder !== folder) request.folder = folder;
      const backup = await service.create(request);
      return backup.id;
    },
    async restore(backupId, options) {
      const result = await service.restore({
        backupId,
        safetyBackup: options.safetyBackup,
        ...(options.reuse ? { reuse: options.reuse } : {}),
      });
      return result.reused ?? null;
    },
    async checkRestorable(backupId) {
      if (!service.verify) return null;
      const result = await service.verify(backupId, 'read-back');
      return result.ok ? null : (result.error ?? { code: 'BACKUP_CORRUPT', message: 'verification failed' });
    },
  };
}

/** Build the engine over a Services object (hosts call `recoverInterruptedRuns()` on it at start). */
export function createUpdateEngine(services: EngineServices): UpdateEngine {
  return new UpdateEngine({
    layout: services.layout,
    host: services.host,
    events: services.events,
    components: services.components,
    settings: services.settings,
    secrets: services.secrets,
    checks: (): EngineChecks | undefined => services.checks,
    backups: (): EngineBackups | undefined => (services.backups ? adaptBackups(services.backups) : undefined),
    holds: () => services.holds,
  });
}
