import type { ErrorShape } from '../errors';

// Backups: what the store lists, verifies and restores, and its progress.

export type BackupType = 'full' | 'database' | 'config' | 'data';

/** A backup as listed (from its manifest). */
export interface BackupInfo {
  id: string;
  component: string;
  type: BackupType;
  name: string;
  description: string;
  created_at: string;
  component_version: string | null;
  /** `manual`, `pre-update`, `safety` (before a restore). */
  reason: 'manual' | 'pre-update' | 'safety';
  pinned: boolean;
  file_count: number;
  size: number;
  compressed_size: number;
  compressed: boolean;
  sha256: string;
  archive: string;
  /** Whether log files were included (`--include-logs`). */
  include_logs?: boolean;
  /** Paths that could not be archived (sockets, FIFOs, unportable names, files gone mid-backup). */
  skipped?: string[];
  /** The last whole check of this archive (null: never checked, or the archive changed since). */
  verification: BackupVerification | null;
}

/**
 * A whole check of a backup: its archive read, every entry compared with the manifest, every
 * file's sha256 checked — by the update that read it back after writing it, by a verify, or by
 * a restore of all of it.
 */
export interface BackupVerification {
  ok: boolean;
  /** When (ISO 8601). */
  at: string;
  files: number;
  by: 'read-back' | 'verify' | 'restore';
  /** Why it failed (BACKUP_CORRUPT). */
  error?: { code: string; message: string };
}

/** Who asks for a verify: a person (or the CLI), or an update reading its pre-update backup back. */
export type VerifyAskedBy = Exclude<BackupVerification['by'], 'restore'>;

export type BackupReason = BackupInfo['reason'];
export type BackupSort = 'date' | 'size' | 'name' | 'type';
export type BackupSince = '1d' | '7d' | '30d' | '90d' | 'all';

/** A file in the backups folder that is not a usable backup: reported, never silently ignored. */
export interface BackupProblem {
  /** Path relative to `<home>/backups`. */
  file: string;
  component: string | null;
  code: ErrorShape['code'];
  message: string;
}

export interface BackupList {
  backups: BackupInfo[];
  problems: BackupProblem[];
}

/** `upkeep backup verify`: archive sha256, every entry read, every file's sha256 compared. */
export interface BackupVerifyResult {
  id: string;
  ok: boolean;
  files: number;
  bytes: number;
  error: ErrorShape | null;
}

/** Where a backup or restore is: `backup_progress` events. */
export type BackupPhase =
  'scanning' | 'copying-databases' | 'archiving' | 'verifying' | 'extracting' | 'safety-backup' | 'swapping' | 'done';

export interface BackupProgress {
  backup_id?: string;
  component: string;
  phase: BackupPhase;
  /** File bytes done so far. */
  bytes: number;
  files: number;
  total_bytes?: number;
  total_files?: number;
}

/** Where a restore built from the tree an update replaced took its files (restore-reuse.ts). */
export interface ReuseCounts {
  /** Files and links of that tree kept where they were. */
  kept: number;
  /** Files found unchanged in the live folder, copied in. */
  copied: number;
  /** Files and links written from the archive. */
  extracted: number;
}

export interface BackupRestoreResult {
  restored: BackupInfo;
  /** What the folder held just before the restore (null when asked not to, or nothing was there). */
  safety_backup: BackupInfo | null;
  /** What was restored: the whole folder (`full`) or one type's paths. */
  type: BackupType;
  files: number;
  /**
   * Set when an automatic rollback built the folder from the tree its update replaced: how many
   * files and links stayed from that tree or were copied from the live folder (unchanged since the
   * backup), and how many were written from the archive.
   */
  reused?: ReuseCounts;
}
