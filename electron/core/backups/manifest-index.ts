import { promises as fs, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import type { BackupProblem } from '../../../shared/types';
import { errorMessage } from '../lib/error-info';
import { logger } from '../lib/log';
import { pathExists } from '../lib/fs-atomic';
import { mapBounded } from '../net/limiter';
import {
  BACKUP_ID_PATTERN,
  manifestSummarySchema,
  parseManifest,
  type BackupManifest,
  type ManifestSummary,
} from './manifest';
import {
  archiveFileOf,
  readVerification,
  sameArchiveFile,
  VERIFICATION_SUFFIX,
  verificationFile,
  type ArchiveFile,
  type VerificationRecord,
} from './verification';

const log = logger('backups.store');

/** How long the last whole manifest read is kept (see ManifestIndex.lastRead). */
const LAST_READ_MS = 2 * 60 * 1000;

/** Manifests read at once when the summary cache is cold (each may be megabytes of text). */
const MANIFEST_READS_AT_ONCE = 8;

/** A manifest's summary, or why it is not a valid one, as read from the file with this identity. */
interface CachedSummary {
  stamp: FileStamp;
  result: SummaryResult;
}
type SummaryResult = { summary: ManifestSummary; error?: undefined } | { summary?: undefined; error: string };
/** What tells a rewritten or replaced file from the one read: nanosecond mtime and ctime, size, inode, device. */
type FileStamp = readonly [bigint, bigint, bigint, bigint, bigint];
const stampOf = (st: BigIntStats): FileStamp => [st.mtimeNs, st.ctimeNs, st.size, st.ino, st.dev];
const sameStamp = (a: FileStamp, b: FileStamp) => a.every((x, i) => x === b[i]);

/**
 * The manifests in the backups folder, read for listing: summaries by manifest path, each valid
 * while a stat of the file shows the identity it was read with, so a list reads only manifests that
 * are new or changed since the last scan. Never the per-file entries (megabytes for a large backup).
 */
/** A backup found by id or name: its full manifest, its archive and manifest paths. */
export interface FoundBackup {
  manifest: BackupManifest;
  archive: string;
  manifestPath: string;
  /** The last whole check of this archive (verification.ts), null when none is known. */
  verification: VerificationRecord | null;
}

export class ManifestIndex {
  private readonly summaries = new Map<string, CachedSummary>();
  /** Verification records (verification.ts) by file, each valid while the file keeps its identity. */
  private readonly verifications = new Map<
    string,
    { stamp: FileStamp; sha256: string; archive: ArchiveFile | null; record: VerificationRecord | null }
  >();
  /** Bumped by the store's own manifest writes and deletions: a read begun before one is not cached. */
  private writes = 0;
  /**
   * The last whole manifest read, while its file is unchanged and for LAST_READ_MS at most: an
   * update reads its pre-update backup back and, when its health check fails, restores that same
   * backup — the second read of a 30,000-entry manifest took ~0.1 s. One only, and dropped after a
   * while, so a long-running app does not hold megabytes of per-file lists.
   */
  private lastRead: { file: string; stamp: FileStamp; manifest: BackupManifest; writes: number } | null = null;
  private lastReadTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly backupsDir: string,
    /** Reads a manifest's text; defaults to fs.readFile (tests count manifest reads through it). */
    private readonly readText?: (file: string) => Promise<string>,
  ) {}

  private readManifestText(file: string): Promise<string> {
    return this.readText ? this.readText(file) : fs.readFile(file, 'utf8');
  }

  async readManifest(file: string): Promise<BackupManifest> {
    const writes = this.writes;
    const stamp = await fs.stat(file, { bigint: true }).then(stampOf, () => null);
    const last = this.lastRead;
    if (stamp && last && last.file === file && last.writes === writes && sameStamp(last.stamp, stamp))
      return last.manifest;
    const text = await this.readManifestText(file);
    // Frozen (its lists too): the same object may go to the next caller (see lastRead).
    const manifest = Object.freeze(parseManifest(JSON.parse(text)));
    Object.freeze(manifest.entries);
    if (manifest.skipped) Object.freeze(manifest.skipped);
    // Kept only when nothing wrote a manifest meanwhile and the file is still the one stat'ed before the read.
    const after = await fs.stat(file, { bigint: true }).then(stampOf, () => null);
    if (stamp && after && sameStamp(stamp, after) && this.writes === writes) this.remember(file, stamp, manifest);
    return manifest;
  }

  private remember(file: string, stamp: FileStamp, manifest: BackupManifest): void {
    this.lastRead = { file, stamp, manifest, writes: this.writes };
    if (this.lastReadTimer) clearTimeout(this.lastReadTimer);
    this.lastReadTimer = setTimeout(() => {
      this.lastRead = null;
      this.lastReadTimer = null;
    }, LAST_READ_MS);
    this.lastReadTimer.unref();
  }

  /** Everything but the per-file list, which listing never needs (checked in full by find/verify/restore). */
  private async readManifestSummary(file: string): Promise<ManifestSummary> {
    const text = await this.readManifestText(file);
    // The parsed per-file list is dropped here: the summary (what is cached) never holds it.
    const { entries: _entries, ...summary } = manifestSummarySchema.parse(JSON.parse(text));
    return summary;
  }

  /** After this store wrote, replaced or removed a manifest: its cached summary goes, and reads in flight are not cached. */
  forget(manifestPath: string): void {
    this.writes += 1;
    this.summaries.delete(manifestPath);
    if (this.lastRead?.file === manifestPath) this.lastRead = null;
  }

  /** The summary of one manifest: from the cache while the file is the one read, else read now. */
  private async summaryOf(file: string): Promise<SummaryResult> {
    const writes = this.writes;
    let stamp: FileStamp;
    try {
      stamp = stampOf(await fs.stat(file, { bigint: true }));
    } catch (error) {
      this.summaries.delete(file);
      return { error: (error as Error).message.split('\n')[0] ?? 'unreadable' };
    }
    const cached = this.summaries.get(file);
    if (cached && sameStamp(cached.stamp, stamp)) return cached.result;
    let result: SummaryResult;
    try {
      result = { summary: await this.readManifestSummary(file) };
    } catch (error) {
      result = { error: (error as Error).message.split('\n')[0] ?? 'unreadable' };
    }
    // Stamped before reading: a change that lands during the read leaves a stamp the next stat no longer matches.
    if (writes === this.writes) this.summaries.set(file, { stamp, result });
    return result;
  }

  /**
   * The verification record beside a backup (see verification.ts), from the cache while the
   * record's file, the manifest's sha256 and the archive file are the ones it was read for.
   */
  private async verificationOf(
    file: string,
    manifest: ManifestSummary,
    archivePath: string,
  ): Promise<VerificationRecord | null> {
    const [stamp, archive] = await Promise.all([
      fs.stat(file, { bigint: true }).then(stampOf, () => null),
      archiveFileOf(archivePath),
    ]);
    if (!stamp) {
      this.verifications.delete(file);
      return null;
    }
    const cached = this.verifications.get(file);
    if (
      cached &&
      cached.sha256 === manifest.sha256 &&
      sameArchiveFile(cached.archive, archive) &&
      sameStamp(cached.stamp, stamp)
    )
      return cached.record;
    const record = await readVerification(file, manifest, archive);
    this.verifications.set(file, { stamp, sha256: manifest.sha256, archive, record });
    return record;
  }

  /** Every backup with a valid manifest, and every file that is not one (reported). */
  async scan(): Promise<{
    manifests: { manifest: ManifestSummary; archive: string; verification: VerificationRecord | null }[];
    problems: BackupProblem[];
  }> {
    const manifests: { manifest: ManifestSummary; archive: string; verification: VerificationRecord | null }[] = [];
    const problems: BackupProblem[] = [];
    const checks: { listed: (typeof manifests)[number]; file: string }[] = [];
    let components: string[];
    try {
      components = (await fs.readdir(this.backupsDir, { withFileTypes: true }))
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
    } catch {
      // No backups folder (or not readable): no backups are listed.
      this.summaries.clear();
      return { manifests, problems };
    }
    const seen = new Set<string>();
    for (const component of components) {
      const dir = path.join(this.backupsDir, component);
      // Gone meanwhile: it lists none.
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      const set = new Set(names);
      const claimed = new Set<string>();
      const manifestNames = names.filter((name) => name.endsWith('.json') && !name.startsWith('.'));
      const read = await mapBounded(manifestNames, MANIFEST_READS_AT_ONCE, (name) =>
        this.summaryOf(path.join(dir, name)),
      );
      for (const [i, name] of manifestNames.entries()) {
        const file = `${component}/${name}`;
        seen.add(path.join(dir, name));
        try {
          const { summary: manifest, error } = read[i] as SummaryResult;
          if (!manifest) throw new Error(error);
          if (`${manifest.id}.json` !== name || manifest.component !== component)
            throw new Error('its id or component does not match its location');
          claimed.add(manifest.archive);
          if (!set.has(manifest.archive)) {
            problems.push({
              file,
              component,
              code: 'BACKUP_NOT_FOUND',
              message: `Backup ${manifest.id}: its archive ${manifest.archive} is missing. Delete the backup.`,
            });
            continue;
          }
          const checked = `${manifest.id}${VERIFICATION_SUFFIX}`;
          const archive = path.join(dir, manifest.archive);
          const listed = { manifest, archive, verification: null as VerificationRecord | null };
          manifests.push(listed);
          if (set.has(checked)) checks.push({ listed, file: path.join(dir, checked) });
        } catch (error) {
          problems.push({
            file,
            component,
            code: 'BACKUP_CORRUPT',
            message: `${file} is not a valid backup manifest (${(error as Error).message.split('\n')[0]}). Its archive cannot be listed or restored; move it away or delete it.`,
          });
          claimed
            .add(name.replace(/\.json$/, '.tar.zst'))
            .add(name.replace(/\.json$/, '.tar.gz'))
            .add(name.replace(/\.json$/, '.tar'));
        }
      }
      for (const name of names) {
        // A check's record whose backup is gone (a crash between the two removals): nothing to report.
        if (name.endsWith(VERIFICATION_SUFFIX) && !set.has(`${name.slice(0, -VERIFICATION_SUFFIX.length)}.json`))
          await fs
            .rm(path.join(dir, name), { force: true })
            .catch((error: unknown) =>
              log.warn('a check record whose backup is gone could not be removed', { file: name, error }),
            );
        if (name.startsWith('.') || claimed.has(name) || !/\.tar(\.gz|\.zst)?$/.test(name)) continue;
        problems.push({
          file: `${component}/${name}`,
          component,
          code: 'BACKUP_CORRUPT',
          message: `${component}/${name} has no manifest beside it, so it cannot be verified or restored. It may be left from an interrupted backup; delete it or restore it by hand.`,
        });
      }
    }
    // The records of the checks kept beside backups, read as the manifests were (several at once).
    await mapBounded(checks, MANIFEST_READS_AT_ONCE, async ({ listed, file }) => {
      listed.verification = await this.verificationOf(file, listed.manifest, listed.archive);
    });
    // Manifests gone from disk leave the cache.
    for (const file of this.summaries.keys()) if (!seen.has(file)) this.summaries.delete(file);
    for (const file of this.verifications.keys())
      if (!seen.has(file.slice(0, -VERIFICATION_SUFFIX.length) + '.json')) this.verifications.delete(file);
    return { manifests, problems };
  }

  /** A backup by id (or, failing that, by its unique name). */
  async find(idOrName: string): Promise<FoundBackup> {
    if (BACKUP_ID_PATTERN.test(idOrName)) {
      // No backups folder yet: there are no backups.
      const dirs = await fs.readdir(this.backupsDir).catch(() => [] as string[]);
      for (const component of dirs) {
        const manifestPath = path.join(this.backupsDir, component, `${idOrName}.json`);
        if (!(await pathExists(manifestPath))) continue;
        let manifest: BackupManifest;
        try {
          manifest = await this.readManifest(manifestPath);
        } catch (error) {
          throw new UpkeepError(
            'BACKUP_CORRUPT',
            `The manifest of backup ${idOrName} is damaged (${errorMessage(error).split('\n')[0]}); it cannot be verified or restored.`,
            { id: idOrName },
          );
        }
        const dir = path.join(this.backupsDir, component);
        const archive = path.join(dir, manifest.archive);
        const verification = await this.verificationOf(verificationFile(dir, manifest.id), manifest, archive);
        return { manifest, archive, manifestPath, verification };
      }
    }
    const { manifests } = await this.scan();
    const byName = manifests.filter((m) => m.manifest.name === idOrName);
    if (byName.length === 1) {
      const m = byName[0] as (typeof manifests)[number];
      return this.find(m.manifest.id);
    }
    if (byName.length > 1)
      throw new UpkeepError(
        'INVALID_REQUEST',
        `${byName.length} backups are named "${idOrName}"; use the backup id (the backup list shows them).`,
        { name: idOrName },
      );
    throw new UpkeepError('BACKUP_NOT_FOUND', `No backup "${idOrName}"; the backup list shows the ids.`, {
      id: idOrName,
    });
  }
}
