import { randomBytes } from 'node:crypto';
import type { BackupReason, BackupType } from '../../../shared/types';
import { MANIFEST_FORMAT, type BackupManifest } from './manifest';
import { excludePatterns } from './select';
import type { BackupComponent, CreateBackupOptions } from './store-options';

export function newBackupId(component: string, now: Date): string {
  const iso = now.toISOString(); // 2026-11-23T15:52:06.123Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
  return `${component}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** Random hex for the names of staging folders and ids. */
export const hex = (n: number) => randomBytes(n).toString('hex');

function defaultName(type: BackupType, reason: BackupReason, now: Date): string {
  const stamp = now.toISOString().slice(0, 19).replace('T', ' ');
  return reason === 'manual' ? `${type} backup ${stamp}` : `${reason} ${type} backup ${stamp}`;
}

/** What a new backup's manifest says (its per-file entries are spliced in as the archiver wrote them). */
export function newManifest(b: {
  id: string;
  now: Date;
  type: BackupType;
  component: BackupComponent & { folder: string };
  options: CreateBackupOptions;
  archiveName: string;
  result: { fileCount: number; bytes: number; archiveBytes: number; sha256: string };
  includeLogs: boolean;
  compress: boolean;
  roots: BackupManifest['roots'];
  skipped: readonly string[];
  appVersion: string;
}): Omit<BackupManifest, 'entries'> {
  const { id, now, type, component, options, archiveName, result, includeLogs, compress, roots, skipped, appVersion } =
    b;
  return {
    format: MANIFEST_FORMAT,
    id,
    component: component.id,
    type,
    name: options.name?.trim() || defaultName(type, options.reason ?? 'manual', now),
    description: options.description ?? '',
    created_at: now.toISOString(),
    component_version: options.version ?? component.version ?? null,
    reason: options.reason ?? 'manual',
    pinned: options.pinned ?? false,
    compressed: compress,
    archive: archiveName,
    file_count: result.fileCount,
    size: result.bytes,
    compressed_size: result.archiveBytes,
    sha256: result.sha256,
    include_logs: includeLogs,
    folder: component.folder,
    ...(options.folder !== undefined ? { folder_override: true } : {}),
    exclude: excludePatterns(component.sets, includeLogs),
    roots: type === 'full' ? [] : roots,
    created_by: appVersion,
    ...(skipped.length ? { skipped: skipped.slice(0, 1000) } : {}),
  };
}
