/**
 * A backup's work from the folder to the archive in one call, so that it runs in one place (the
 * backup worker, see in-worker.ts): scan the folder, check the free space, copy live SQLite
 * databases consistently, write the archive. The per-file list comes back as JSON text, ready
 * for the manifest: the host thread never holds 10,000 entry objects (on a 300 MB folder they and
 * their copies were ~15 MB of its peak memory and ~0.1 s of its time).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  createTarArchive,
  startArchiveHelpers,
  tarBytesOf,
  type ArchiveInputEntry,
  type CreateArchiveResult,
} from '../archive';
import { ensureFreeSpace } from './disk-space';
import { SQLITE_NAME, selectEntries, type SelectOptions } from './select';
import { copySqliteConsistent, isSqliteFile } from './sqlite-copy';

/** Files beside a SQLite database that belong to it (left out: the consistent copy stands for all). */
export const SQLITE_COMPANIONS = ['-wal', '-shm', '-journal'];

export interface FolderArchiveRequest {
  folder: string;
  select: SelectOptions;
  /** The archive to write (a temp name beside the final one). */
  output: string;
  /** A folder for the database copies (created when needed; the caller removes it). */
  work: string;
  compress: boolean;
  /** Refuse before writing when the archive could not fit (see ensureFreeSpace). */
  freeSpace: { dir: string; reserveMb: number; what: string };
}

export type FolderArchiveProgress =
  | { phase: 'copying-databases'; bytes: 0; files: 0 }
  | { phase: 'archiving'; bytes: number; files: number; total_bytes: number; total_files: number };

export interface FolderArchiveResult {
  /** Nothing matched the type's paths (nothing was written). */
  empty: boolean;
  roots: { path: string; kind: 'file' | 'dir' }[];
  /** Not archived: sockets, devices, unportable names, files gone since the scan. */
  skipped: string[];
  archive: Omit<CreateArchiveResult, 'files'> | null;
  /** The manifest's per-file records, as a JSON array. */
  entriesJson: string;
}

export interface FolderArchiveOptions {
  onProgress?: (p: FolderArchiveProgress) => void;
  /** Blocking file system calls: only on a thread of its own (the backup worker). */
  blocking?: boolean;
  reclaim?: () => void;
  /** Stops the archive between entries (a cancelled update, when no worker runs it). */
  signal?: AbortSignal;
}

export async function archiveFolder(
  request: FolderArchiveRequest,
  options: FolderArchiveOptions = {},
): Promise<FolderArchiveResult> {
  // Compression threads load while the folder is scanned; closed whatever happens (twice is harmless).
  const helpers = request.compress ? startArchiveHelpers() : undefined;
  try {
    return await archiveSelected(request, options, helpers);
  } finally {
    await (await helpers?.catch(() => null))?.close();
  }
}

async function archiveSelected(
  request: FolderArchiveRequest,
  options: FolderArchiveOptions,
  helpers: ReturnType<typeof startArchiveHelpers> | undefined,
): Promise<FolderArchiveResult> {
  const { folder } = request;
  const selection = await selectEntries(folder, { ...request.select, sync: options.blocking === true });
  if (request.select.type !== 'full' && selection.entries.length === 0) {
    return { empty: true, roots: [], skipped: selection.skipped, archive: null, entriesJson: '[]' };
  }
  // At most the tar stream stored as it is (headers, padding), a few frame bytes per entry and a
  // margin; the database copies are about their files' size.
  let tarBytes = 1024 * 1024;
  for (const e of selection.entries) tarBytes += tarBytesOf(e.size) + 512;
  await ensureFreeSpace(request.freeSpace.dir, tarBytes, request.freeSpace.reserveMb, request.freeSpace.what);

  // Live SQLite databases are copied through the backup API first; their WAL/journal files are then left out.
  const entries: ArchiveInputEntry[] = [];
  const sqliteCopied = new Set<string>();
  let fileCount = 0;
  for (const e of selection.entries) {
    if (e.type === 'file') fileCount++;
    if (e.type === 'file' && SQLITE_NAME.test(e.path) && (await isSqliteFile(path.join(folder, e.path)))) {
      if (sqliteCopied.size === 0) {
        await fs.mkdir(request.work, { recursive: true, mode: 0o700 });
        options.onProgress?.({ phase: 'copying-databases', bytes: 0, files: 0 });
      }
      const copy = path.join(request.work, `db-${sqliteCopied.size}`);
      await copySqliteConsistent(path.join(folder, e.path), copy);
      sqliteCopied.add(e.path);
      entries.push({ path: e.path, type: 'file', mode: e.mode, mtime: e.mtime, source: copy });
    } else {
      entries.push({
        path: e.path,
        type: e.type,
        mode: e.mode,
        mtime: e.mtime,
        ...(e.type === 'file' ? { source: path.join(folder, e.path), size: e.size } : {}),
        ...(e.linkpath !== undefined ? { linkpath: e.linkpath } : {}),
      });
    }
  }
  const companions = new Set([...sqliteCopied].flatMap((p) => SQLITE_COMPANIONS.map((s) => `${p}${s}`)));
  const archiveEntries = companions.size ? entries.filter((e) => !companions.has(e.path)) : entries;
  const totalBytes = selection.bytes;
  // One list alive at a time (peak memory).
  selection.entries = [];

  const { files, ...result } = await createTarArchive({
    entries: archiveEntries,
    output: request.output,
    compress: request.compress,
    format: 'zstd',
    ...(helpers ? { helpers } : {}),
    ...(options.blocking ? { syncSmallReads: true } : {}),
    ...(options.reclaim ? { reclaim: options.reclaim } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: ({ files: done, bytes }) =>
      options.onProgress?.({ phase: 'archiving', bytes, files: done, total_bytes: totalBytes, total_files: fileCount }),
  });
  const skipped = new Set(result.skipped);
  return {
    empty: false,
    roots: selection.roots.filter((r) => !skipped.has(r.path)),
    skipped: [...selection.skipped, ...result.skipped],
    archive: result,
    entriesJson: JSON.stringify(files),
  };
}
