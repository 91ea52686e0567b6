import type {
  BackupInfo,
  BackupProgress,
  BackupReason,
  BackupSince,
  BackupSort,
  BackupType,
} from '../../../shared/types';
import type { PathSets } from './select';

/** What the store needs to know about a component. */
export interface BackupComponent {
  id: string;
  folder: string | undefined;
  sets: PathSets;
  /** The installed version when known (recorded in the manifest). */
  version?: string | null;
}

export interface BackupStoreOptions {
  backupsDir: string;
  historyFile: string;
  component(id: string): BackupComponent | Promise<BackupComponent>;
  settings(): {
    backup_max_per_component: number;
    backup_max_age_days: number;
    backup_disk_budget_mb: number;
    min_free_space_mb: number;
  };
  appVersion: string;
  onProgress?(progress: BackupProgress): void;
  /** Whether a backup is still needed by a history entry; defaults to reading history.jsonl. */
  isReferenced?(backupId: string): boolean | Promise<boolean>;
  /**
   * `<home>/locks`: backup operations on a component then hold `locks/backups/<component>.lock`
   * across processes (CLI, desktop, headless host), and a restore waits for no one's update.
   */
  locksDir?: string;
  /** Reads a manifest's text; defaults to fs.readFile (tests count manifest reads through it). */
  readManifestText?(file: string): Promise<string>;
  /**
   * Upkeep's data directory (`<home>`): never archived, and a folder that is it, holds it or lies
   * within it (or `/`) is never restored or swapped, whatever a config or manifest says.
   */
  dataDir?: string;
}

export interface CreateBackupOptions {
  component: string;
  type?: BackupType;
  name?: string;
  description?: string;
  includeLogs?: boolean;
  compress?: boolean;
  reason?: BackupReason;
  pinned?: boolean;
  /** The component version to record (the engine knows it before an update). */
  version?: string | null;
  /** Back up this absolute folder instead of the component's `folder`; restores go back to it. */
  folder?: string;
  /** Stops the backup (a cancelled update): nothing is kept. */
  signal?: AbortSignal;
}

export interface RestoreBackupOptions {
  backupId: string;
  /** Restore only this type's paths (from a full backup, or the backup's own type). */
  type?: BackupType;
  /** Back up the current state first (default true). */
  safetyBackup?: boolean;
  /**
   * A full restore may take unchanged files from this tree instead of the archive: the tree a
   * failed update replaced, still beside the folder and named as the update set it aside
   * (restore-reuse.ts). The tree then becomes the restore's staging folder (and is gone from where
   * it was, even when building from it fails and the archive is used instead); where it is not
   * used (a partial restore, a mostly changed tree, another path) it is left as it was.
   */
  reuse?: string;
}

export interface ListBackupsFilter {
  component?: string;
  type?: BackupType;
  since?: BackupSince;
  limit?: number;
  /** Skip this many after filtering and sorting (paging). */
  offset?: number;
  sort?: BackupSort;
}

const SINCE_DAYS: Record<BackupSince, number | null> = { '1d': 1, '7d': 7, '30d': 30, '90d': 90, all: null };
/** The list's filter, order and page over every backup. */
export function selectBackups(all: BackupInfo[], filter: ListBackupsFilter): BackupInfo[] {
  let backups = all;
  if (filter.component) backups = backups.filter((b) => b.component === filter.component);
  if (filter.type) backups = backups.filter((b) => b.type === filter.type);
  const days = filter.since ? SINCE_DAYS[filter.since] : null;
  if (days !== null) {
    const cutoff = Date.now() - days * 86_400_000;
    backups = backups.filter((b) => Date.parse(b.created_at) >= cutoff);
  }
  const sort = filter.sort ?? 'date';
  const cmp: Record<BackupSort, (a: BackupInfo, b: BackupInfo) => number> = {
    date: (a, b) => b.created_at.localeCompare(a.created_at),
    size: (a, b) => b.size - a.size,
    name: (a, b) => a.name.localeCompare(b.name),
    type: (a, b) => a.type.localeCompare(b.type),
  };
  backups.sort((a, b) => cmp[sort](a, b) || b.created_at.localeCompare(a.created_at) || a.id.localeCompare(b.id));
  const limit = Math.min(50, Math.max(1, filter.limit ?? 20));
  const offset = Math.max(0, filter.offset ?? 0);
  return backups.slice(offset, offset + limit);
}
