import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import type { BackupProgress, BackupType } from '../../../shared/types';
import { fsyncDir, pathExists, writeFileAtomic } from '../lib/fs-atomic';
import { archiveFolderIsolated } from './in-worker';
import type { BackupManifest } from './manifest';
import { newManifest } from './new-backup';
import { includePatterns } from './select';
import type { BackupComponent, CreateBackupOptions } from './store-options';

/**
 * What a backup of `component` would hold, refused before anything is written: a folder that is
 * missing or not a folder is NOT_FOUND, a partial backup type without paths INVALID_CONFIG.
 * Returns the include patterns (null for a full backup).
 */
export async function checkBackupSource(
  component: BackupComponent & { folder: string },
  type: BackupType,
): Promise<string[] | null> {
  // Missing or unreadable: answered just below as NOT_FOUND naming the folder.
  const folderStat = await fs.stat(component.folder).catch(() => null);
  if (!folderStat?.isDirectory()) {
    throw new UpkeepError(
      'NOT_FOUND',
      `The folder of "${component.id}" (${component.folder}) does not exist or is not a folder. Fix \`folder\` in its config.`,
      { component: component.id, folder: component.folder },
    );
  }
  const includes = includePatterns(type, component.sets);
  if (includes && includes.length === 0) {
    throw new UpkeepError(
      'INVALID_CONFIG',
      `Component "${component.id}" has no \`backup.${type}\` paths, so a ${type} backup has nothing to hold. Add them to its config, e.g. backup: { ${type}: [${type === 'config' ? '.env, config/' : 'uploads/'}] }.`,
      { component: component.id, type },
    );
  }
  return includes;
}

export interface WriteBackupInput {
  id: string;
  now: Date;
  type: BackupType;
  component: BackupComponent & { folder: string };
  options: CreateBackupOptions;
  /** From checkBackupSource: named in the error when they match nothing. */
  includes: string[] | null;
  includeLogs: boolean;
  compress: boolean;
  /** The component's backups folder (exists, and holds no leftovers of an earlier attempt). */
  dir: string;
  /** Folders the archive never holds (Upkeep's own data). */
  skipAbsolute: string[];
  reserveMb: number;
  appVersion: string;
  progress: (p: BackupProgress) => void;
}

/**
 * Archive the folder into `<dir>/<id>.tar.zst` (`.tar.gz` where zstd could not be loaded, `.tar`
 * uncompressed) and write its manifest beside it. The archive is written as a `.partial` and
 * renamed; the manifest is written last, so a backup is listed only once both are durable. On
 * failure nothing of it is left.
 */
export async function writeBackup(
  input: WriteBackupInput,
): Promise<{ manifest: Omit<BackupManifest, 'entries'>; archivePath: string }> {
  const { id, type, component, dir, compress } = input;
  const work = path.join(dir, `.${id}.work`);
  let archiveName = `${id}.tar${compress ? '.zst' : ''}`;
  let archivePath = path.join(dir, archiveName);
  const partial = path.join(dir, `.${archiveName}.partial`);
  const manifestPath = path.join(dir, `${id}.json`);
  try {
    let lastEmit = 0;
    const folderResult = await archiveFolderIsolated(
      {
        folder: component.folder,
        select: { type, sets: component.sets, includeLogs: input.includeLogs, skipAbsolute: input.skipAbsolute },
        output: partial,
        work,
        compress,
        freeSpace: { dir, reserveMb: input.reserveMb, what: `back up ${component.id}` },
      },
      (p) => {
        if (p.phase === 'archiving') {
          const t = Date.now();
          if (t - lastEmit < 100) return;
          lastEmit = t;
        }
        input.progress({ backup_id: id, component: component.id, ...p });
      },
      input.options.signal,
    );
    const result = folderResult.archive;
    if (folderResult.empty || !result) {
      throw new UpkeepError(
        'INVALID_CONFIG',
        `The ${type} paths of "${component.id}" (${(input.includes ?? []).join(', ')}) match nothing in ${component.folder}. Check \`backup.${type}\` in its config.`,
        { component: component.id, type },
      );
    }
    if (result.format === 'gzip') {
      archiveName = `${id}.tar.gz`;
      archivePath = path.join(dir, archiveName);
    }
    await fs.rename(partial, archivePath);
    await fsyncDir(dir);
    const head = newManifest({
      id,
      now: input.now,
      type,
      component,
      options: input.options,
      archiveName,
      result,
      includeLogs: input.includeLogs,
      compress,
      roots: folderResult.roots,
      skipped: folderResult.skipped,
      appVersion: input.appVersion,
    });
    // The archiver's records are the manifest's entries (path, type, size, mode, mtime, sha256,
    // linkpath), spliced in as the JSON text they came as.
    const text = `${JSON.stringify(head).slice(0, -1)},"entries":${folderResult.entriesJson}}\n`;
    await writeFileAtomic(manifestPath, text, { mode: 0o600 });
    return { manifest: head, archivePath };
  } catch (error) {
    await fs.rm(partial, { force: true });
    if (!(await pathExists(manifestPath))) await fs.rm(archivePath, { force: true });
    throw error;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
