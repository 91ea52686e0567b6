import { z } from 'zod';
import type { BackupInfo } from '../../../shared/types';
import { isRecord } from '../../../shared/guards';
import { toBackupVerification, type VerificationRecord } from './verification';

export const BACKUP_TYPES = ['full', 'database', 'config', 'data'] as const;
export const BACKUP_REASONS = ['manual', 'pre-update', 'safety'] as const;
export const MANIFEST_FORMAT = 1;

/** `<component>-<yyyymmdd>-<hhmmss>-<4 hex>`: sortable, unique, safe as a file name. */
export const BACKUP_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}-\d{8}-\d{6}-[0-9a-f]{4}$/;

const relPath = z
  .string()
  .min(1)
  .max(4096)
  .refine(
    (p) => !p.startsWith('/') && !p.includes('\0') && !p.split('/').includes('..'),
    'must be a relative path inside the folder',
  );

export const manifestEntrySchema = z.strictObject({
  path: relPath,
  type: z.enum(['file', 'directory', 'symlink']),
  size: z.number().int().min(0),
  mode: z.number().int().min(0).max(0o777),
  mtime: z.number(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  linkpath: z.string().optional(),
});
export type ManifestEntry = z.infer<typeof manifestEntrySchema>;

/** The JSON beside each archive: the source of truth for the backup list (ARCHITECTURE.md §5). */
export const manifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  id: z.string().regex(BACKUP_ID_PATTERN),
  component: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/),
  type: z.enum(BACKUP_TYPES),
  name: z.string().max(200),
  description: z.string().max(2000),
  created_at: z.string().datetime({ offset: true }),
  component_version: z.string().nullable(),
  reason: z.enum(BACKUP_REASONS),
  pinned: z.boolean(),
  compressed: z.boolean(),
  /** The archive's file name, beside the manifest. */
  archive: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}-\d{8}-\d{6}-[0-9a-f]{4}\.tar(\.gz|\.zst)?$/),
  file_count: z.number().int().min(0),
  size: z.number().int().min(0),
  compressed_size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  include_logs: z.boolean(),
  /** The component folder when the backup was made (for people; restores go to the current folder). */
  folder: z.string(),
  /** The folder was given explicitly (not the component's `folder`): restores go back to it. */
  folder_override: z.boolean().optional(),
  /** Exclude patterns in force: a full restore keeps what they matched from the current folder. */
  exclude: z.array(z.string()),
  /** The paths a partial backup covers; empty for full. */
  roots: z.array(z.strictObject({ path: relPath, kind: z.enum(['file', 'dir']) })),
  entries: z.array(manifestEntrySchema),
  /** Upkeep version that wrote it. */
  created_by: z.string(),
  /** What could not be archived: sockets, FIFOs, devices, names no system can restore safely, files gone mid-backup. */
  skipped: z.array(z.string()).optional(),
});
export type BackupManifest = z.infer<typeof manifestSchema>;

/** The manifest with its per-file list only checked to be a list: what the backup list reads. */
export const manifestSummarySchema = manifestSchema.extend({ entries: z.array(z.unknown()) });

const ENTRY_KEYS = new Set(['path', 'type', 'size', 'mode', 'mtime', 'sha256', 'linkpath']);

/** Whether a '/'-separated path has a `..` name. */
function climbs(p: string): boolean {
  return p === '..' || p.startsWith('../') || p.endsWith('/..') || p.includes('/../');
}

/** /^[0-9a-f]{64}$/ without a regular expression (30,000 of them before a restore starts). */
function isSha256Hex(s: string): boolean {
  if (s.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = s.charCodeAt(i);
    if ((c < 48 || c > 57) && (c < 97 || c > 102)) return false;
  }
  return true;
}

const entryError = (i: number, why: string) => new Error(`entries[${i}]: ${why}`);

/**
 * manifestEntrySchema's rules, checked by hand: a 10,000-file manifest is 10,000 entries, which
 * zod took 30–65 ms to walk at the start of every restore and verify; this takes a few (no
 * closure, array or regular expression per entry: 40 ms → 17 ms for 30,000 entries, the first
 * time, as a restore runs it). test/unit/backups/manifest.test.ts holds both to the same verdicts.
 */
export function checkManifestEntries(entries: unknown[]): ManifestEntry[] {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (!isRecord(e)) throw entryError(i, 'not an object');
    // Keys and the path read in place: no array per entry.
    for (const key in e)
      if (Object.hasOwn(e, key) && !ENTRY_KEYS.has(key)) throw entryError(i, `unknown key ${JSON.stringify(key)}`);
    const p = e.path;
    if (typeof p !== 'string' || p.length < 1 || p.length > 4096)
      throw entryError(i, 'path must be a string of 1–4096 characters');
    if (p.charCodeAt(0) === 47 || p.includes('\0') || (p.includes('..') && climbs(p)))
      throw entryError(i, 'path must be a relative path inside the folder');
    if (e.type !== 'file' && e.type !== 'directory' && e.type !== 'symlink')
      throw entryError(i, 'type must be file, directory or symlink');
    if (typeof e.size !== 'number' || !Number.isSafeInteger(e.size) || e.size < 0)
      throw entryError(i, 'size must be a whole number ≥ 0');
    if (typeof e.mode !== 'number' || !Number.isSafeInteger(e.mode) || e.mode < 0 || e.mode > 0o777)
      throw entryError(i, 'mode must be a whole number 0–511');
    if (typeof e.mtime !== 'number' || !Number.isFinite(e.mtime)) throw entryError(i, 'mtime must be a number');
    if (e.sha256 !== undefined && (typeof e.sha256 !== 'string' || !isSha256Hex(e.sha256)))
      throw entryError(i, 'sha256 must be 64 lowercase hex digits');
    if (e.linkpath !== undefined && typeof e.linkpath !== 'string') throw entryError(i, 'linkpath must be a string');
  }
  return entries as ManifestEntry[];
}

/** A whole manifest: the summary through zod, the per-file list through checkManifestEntries. */
export function parseManifest(raw: unknown): BackupManifest {
  const summary = manifestSummarySchema.parse(raw);
  return { ...summary, entries: checkManifestEntries(summary.entries) };
}

/** A manifest without its per-file list: everything the backup list shows. */
export type ManifestSummary = Omit<BackupManifest, 'entries'>;

export function toBackupInfo(
  manifest: ManifestSummary,
  archivePath: string,
  verification: VerificationRecord | null = null,
): BackupInfo {
  return {
    id: manifest.id,
    component: manifest.component,
    type: manifest.type,
    name: manifest.name,
    description: manifest.description,
    created_at: manifest.created_at,
    component_version: manifest.component_version,
    reason: manifest.reason,
    pinned: manifest.pinned,
    file_count: manifest.file_count,
    size: manifest.size,
    compressed_size: manifest.compressed_size,
    compressed: manifest.compressed,
    sha256: manifest.sha256,
    archive: archivePath,
    include_logs: manifest.include_logs,
    ...(manifest.skipped?.length ? { skipped: manifest.skipped } : {}),
    verification: toBackupVerification(verification),
  };
}
