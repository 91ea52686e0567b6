import { UpkeepError } from '../../../shared/errors';
import type { BackupProgress, BackupType } from '../../../shared/types';
import { errorMessage } from '../lib/error-info';
import { logger } from '../lib/log';
import { readStateFile } from '../lib/state-file';
import { extractArchiveIsolated } from './in-worker';
import type { BackupManifest } from './manifest';
import { restoreJournalSchema, rmTree, type RestoreJournal } from './restore-journal';
import { rootsWithin, type PathSets } from './select';

const log = logger('backups.store');

export type RestoreRoots = { path: string; kind: 'file' | 'dir' }[] | null;

/**
 * What a restore of `type` from backup `m` replaces: the whole folder (null), or the roots of the
 * paths of that type. A partial backup restores only its own type; a full one any type whose
 * paths it holds.
 */
export function restoreRoots(m: BackupManifest, type: BackupType, sets: PathSets): RestoreRoots {
  if (type !== m.type && m.type !== 'full') {
    throw new UpkeepError(
      'INVALID_REQUEST',
      `Backup ${m.id} is a ${m.type} backup; it can only restore ${m.type} (or restore without a type).`,
      { id: m.id, type },
    );
  }
  if (type === 'full') return null;
  if (m.type === type) return m.roots;
  const roots = rootsWithin(m.entries, type, sets);
  if (roots.length === 0)
    throw new UpkeepError(
      'INVALID_REQUEST',
      `Backup ${m.id} holds nothing that matches the component's ${type} paths.`,
      {
        id: m.id,
        type,
      },
    );
  return roots;
}

/** How many files a restore put back: all the archive held, or those under the roots it replaced. */
export function restoredFileCount(m: BackupManifest, roots: RestoreRoots, extractedFiles: number): number {
  if (roots === null) return extractedFiles;
  return m.entries.filter(
    (e) => e.type === 'file' && roots.some((r) => e.path === r.path || e.path.startsWith(`${r.path}/`)),
  ).length;
}

/**
 * Extract backup `found` into `dest` (null: read and check only), every file checked against the
 * manifest's sizes and digests (with `only`, every file written; the archive's sha256 covers the
 * rest); progress at most every 100 ms. With `archiveOnly` (a backup this Upkeep has read whole
 * before, see trustedVerification) the files' digests are not computed again: every entry is
 * still checked against the manifest, and nothing is used unless the archive's sha256 is the
 * recorded one.
 */
export function extractVerified(
  found: { manifest: BackupManifest; archive: string },
  dest: string | null,
  progress: (p: BackupProgress) => void,
  /** Write only these paths (see ExtractOptions.only); everything is still read and checked. */
  only?: ReadonlySet<string>,
  archiveOnly = false,
) {
  const m = found.manifest;
  let last = 0;
  return extractArchiveIsolated({
    archive: found.archive,
    dest,
    expect: {
      archiveSha256: m.sha256,
      entries: m.entries,
      ...(archiveOnly ? { fileDigests: 'archive' as const } : {}),
    },
    // Upkeep's own backups bring back the links the folder had, as recorded (a venv's python).
    outwardLinks: 'as-recorded',
    damagedCode: 'BACKUP_CORRUPT',
    ownZstdFrames: true,
    // A read-back (no destination) decodes its frames on a helper thread while it checks, for
    // archives past a few MiB: an update waits for it with a core to spare. A restore keeps
    // them on its reading thread, where a helper measured slower (docs/BENCHMARKS.md).
    zstdHelpers: dest === null && m.compressed_size >= 8 * 1024 * 1024,
    // The manifest bounds the expansion; the ratio check is for unknown archives.
    limits: { maxTotalBytes: m.size, maxEntries: m.entries.length + 1, maxRatio: Number.POSITIVE_INFINITY },
    allowEmpty: m.entries.length === 0,
    // Counts are all a restore or a verification reports.
    listEntries: false,
    ...(only ? { only } : {}),
    onProgress: (p) => {
      const t = Date.now();
      if (t - last < 100) return;
      last = t;
      progress({
        backup_id: m.id,
        component: m.component,
        phase: dest ? 'extracting' : 'verifying',
        bytes: p.bytes,
        files: p.files,
        total_bytes: m.size,
        total_files: m.file_count,
      });
    },
  });
}

/** A restore that failed: its staging goes, and its journal unless the swap failed part-way through its own undo. */
export async function afterFailedRestore(staging: string, journal: RestoreJournal): Promise<void> {
  await rmTree(staging);
  // The journal goes only once staging is gone too: a kill before this point is finished by
  // recovery (a committed swap only needs its leftovers removed). A swap still marked
  // 'swapping' here failed part-way through its own undo: recovery must see it.
  const got = await readStateFile(journal.file, restoreJournalSchema).catch((error: unknown) => ({
    status: 'corrupt' as const,
    reason: errorMessage(error),
  }));
  if (got.status === 'corrupt') {
    // Which phase it is in is unknown: the journal stays, and recovery reports it (RECOVERY_FAILED) instead of guessing.
    log.error('the journal of a failed restore cannot be read; it is kept for recovery', {
      file: journal.file,
      reason: got.reason,
    });
    return;
  }
  const phase = got.status === 'ok' && got.value.kind !== 'extract' ? got.value.phase : undefined;
  if (phase === undefined || phase === 'committed') await journal.clear();
}
