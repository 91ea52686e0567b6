import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { BackupVerification } from '../../../shared/types';
import { writeFileAtomic } from '../lib/fs-atomic';
import { logger } from '../lib/log';
import type { ManifestSummary } from './manifest';

/**
 * What the last whole check of a backup found, kept beside it as `<id>.verified` so the Backups
 * list says "Verified" after a restart too, and an update's read-back is not forgotten the moment
 * it ends. A record counts only for the archive it names: its sha256 (the manifest's) and the file
 * it was (size, inode, device, modification time), so an archive replaced or rewritten since is
 * "not verified" again. Damage that leaves the file's identity alone (a bit flipped on the disk)
 * is found by the next check: a record says what a check found, and when.
 */
const recordSchema = z.strictObject({
  id: z.string(),
  /** The sha256 of the archive that was read. */
  archive_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The archive file as it was when the check began: size, inode, device, mtime in ns (decimal strings). */
  archive_file: z.strictObject({ size: z.string(), ino: z.string(), dev: z.string(), mtime_ns: z.string() }),
  ok: z.boolean(),
  /** When the check began (ISO 8601). */
  at: z.string().datetime({ offset: true }),
  files: z.number().int().min(0),
  by: z.enum(['read-back', 'verify', 'restore']),
  /** The Upkeep that read it (a restore trusts a record of its own version only, see trustedVerification). */
  app_version: z.string(),
  error: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
});
export type VerificationRecord = z.infer<typeof recordSchema>;

const log = logger('backups.store');

export const VERIFICATION_SUFFIX = '.verified';

export function verificationFile(dir: string, id: string): string {
  return path.join(dir, `${id}${VERIFICATION_SUFFIX}`);
}

export type ArchiveFile = VerificationRecord['archive_file'];

/** The archive file's identity now (null: it cannot be stat'ed). */
export async function archiveFileOf(archive: string): Promise<ArchiveFile | null> {
  const st = await fs.stat(archive, { bigint: true }).catch(() => null);
  if (!st) return null;
  return { size: String(st.size), ino: String(st.ino), dev: String(st.dev), mtime_ns: String(st.mtimeNs) };
}

/** Whether two identities are the same archive file (none is never the same). */
export const sameArchiveFile = (a: ArchiveFile | null, b: ArchiveFile | null): boolean =>
  a !== null && b !== null && a.size === b.size && a.ino === b.ino && a.dev === b.dev && a.mtime_ns === b.mtime_ns;

/**
 * The record beside a backup, or null: none, unreadable, or about another archive than this
 * one (another sha256 in the manifest, or another file at the archive's path).
 */
export async function readVerification(
  file: string,
  manifest: ManifestSummary,
  archive: ArchiveFile | null,
): Promise<VerificationRecord | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return null; // never checked (or the record is gone): "not verified", the honest answer
  }
  const parsed = recordSchema.safeParse(safeJson(text));
  if (!parsed.success) {
    log.warn('a backup verification record is damaged; the backup shows as not verified', { file });
    return null;
  }
  const r = parsed.data;
  const same = r.id === manifest.id && r.archive_sha256 === manifest.sha256;
  return same && sameArchiveFile(r.archive_file, archive) ? r : null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Keep what a whole check found. Written after the check, so a backup deleted meanwhile (its
 * manifest goes first) does not keep a record: one found without its manifest is removed again.
 * A record of a check that began later (two checks at once) is not overwritten. A record that
 * cannot be written is logged and the check's own answer stands.
 */
export async function recordVerification(dir: string, manifestPath: string, record: VerificationRecord): Promise<void> {
  const file = verificationFile(dir, record.id);
  try {
    const before = recordSchema.safeParse(safeJson(await fs.readFile(file, 'utf8').catch(() => 'null')));
    if (before.success && Date.parse(before.data.at) > Date.parse(record.at)) return;
    await writeFileAtomic(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    const still = await fs.stat(manifestPath).then(
      () => true,
      () => false,
    );
    if (!still) await fs.rm(file, { force: true });
  } catch (error) {
    log.warn('the result of a backup check could not be kept', { file, error: (error as Error).message });
  }
}

/** For the list and the panel: what was checked, when, and how it came out. */
export function toBackupVerification(r: VerificationRecord | null): BackupVerification | null {
  if (!r) return null;
  return { ok: r.ok, at: r.at, files: r.files, by: r.by, ...(r.error ? { error: r.error } : {}) };
}

/**
 * Whether a restore may rely on the archive's sha256 alone instead of hashing every file again:
 * this same Upkeep read the archive with that sha256 whole and found every file matching the
 * manifest. The restore still hashes the whole archive and refuses it, before anything is swapped
 * in, unless that sha256 is the recorded one: the same bytes decode to the same files.
 */
export function trustedVerification(r: VerificationRecord | null, appVersion: string): boolean {
  return r !== null && r.ok && r.app_version === appVersion;
}
