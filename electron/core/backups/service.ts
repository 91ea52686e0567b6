import type {
  BackupInfo,
  BackupList,
  BackupRestoreResult,
  BackupVerifyResult,
  VerifyAskedBy,
  Component,
  Settings,
} from '../../../shared/types';
import type { HomeLayout } from '../config/home';
import type { EventBus } from '../events';
import { appPackage } from '../lib/app-version';
import { readInstalledVersion } from '../versions/installed';
import type { RetentionDecision } from './retention';
import {
  BackupStore,
  type CreateBackupOptions,
  type ListBackupsFilter,
  type RestoreBackupOptions,
  type RestoreRecovery,
} from './store';

/**
 * `{ component, type?, name?, description?, includeLogs?, compress?, reason?, pinned?, version?, folder? }`:
 * `version` is read from the component's `version_from`/`current` when not given; `folder`
 * (absolute) backs up that folder instead of the config's, and restores go back to it.
 */
export type CreateBackupRequest = CreateBackupOptions;
/** `{ backupId, type?, safetyBackup? }`: safetyBackup defaults to true. */
export type RestoreBackupRequest = RestoreBackupOptions;
export type { ListBackupsFilter };

/** What the update engine and the API call: `services.backups`. */
export interface BackupService {
  create(request: CreateBackupRequest): Promise<BackupInfo>;
  restore(request: RestoreBackupRequest): Promise<BackupRestoreResult>;
  list(filter?: ListBackupsFilter): Promise<BackupList>;
  /** `by`: who asked (an update reading its pre-update backup back, or a person); kept with the result. */
  verify(id: string, by?: VerifyAskedBy): Promise<BackupVerifyResult>;
  delete(id: string): Promise<{ deleted: string }>;
  get(id: string): Promise<BackupInfo>;
  pin(id: string, pinned: boolean): Promise<BackupInfo>;
  applyRetention(): Promise<RetentionDecision[]>;
  /** Finish or undo restores a crash interrupted (also done before the first operation); returns the folders touched. */
  recoverInterrupted(): Promise<string[]>;
  /** The same, with the restores a live process is running and the recoveries that failed. */
  recoverRestores(): Promise<RestoreRecovery>;
  /** Resolves once every answered restore has also removed the tree it replaced (that goes on after the answer). */
  settled?(): Promise<void>;
}

export interface BackupServiceDeps {
  layout: Pick<HomeLayout, 'backups' | 'history'> & Partial<Pick<HomeLayout, 'locks' | 'home'>>;
  components: { get(id: string): Component };
  settings: { get(): Settings };
  events?: EventBus;
  /** Whether a history entry still needs a backup; defaults to reading history.jsonl. */
  isReferenced?: (backupId: string) => boolean | Promise<boolean>;
}

async function installedVersion(component: Component): Promise<string | null> {
  try {
    return (await readInstalledVersion(component.config, { timeoutMs: 10_000 })).version;
  } catch {
    return null; // the version labels a backup; it is never a reason to fail one
  }
}

export function createBackupService(deps: BackupServiceDeps): BackupService {
  const store = new BackupStore({
    backupsDir: deps.layout.backups,
    historyFile: deps.layout.history,
    ...(deps.layout.locks ? { locksDir: deps.layout.locks } : {}),
    ...(deps.layout.home ? { dataDir: deps.layout.home } : {}),
    appVersion: appPackage().version,
    settings: () => deps.settings.get(),
    component: (id) => {
      const { config } = deps.components.get(id);
      return { id, folder: config.folder, sets: config.backup ?? {} };
    },
    ...(deps.isReferenced ? { isReferenced: deps.isReferenced } : {}),
    onProgress: (p) => deps.events?.emit('backup_progress', p),
  });

  return {
    async create(request) {
      const component = deps.components.get(request.component);
      const version = request.version !== undefined ? request.version : await installedVersion(component);
      return store.create({ ...request, version });
    },
    restore: (request) => store.restore(request),
    list: (filter) => store.list(filter),
    verify: (id, by) => store.verify(id, by),
    delete: (id) => store.delete(id),
    get: (id) => store.get(id),
    pin: (id, pinned) => store.pin(id, pinned),
    applyRetention: () => store.applyRetention(),
    recoverInterrupted: () => store.recoverInterrupted(),
    recoverRestores: () => store.recoverRestores(),
    settled: () => store.settled(),
  };
}
