import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UpkeepError, toErrorShape, type ErrorShape } from '../../../shared/errors';
import type {
  BackupInfo,
  BackupList,
  BackupPhase,
  BackupProgress,
  BackupRestoreResult,
  BackupVerifyResult,
  VerifyAskedBy,
} from '../../../shared/types';
import { DataDirGuard } from '../lib/data-dir';
import { isOldTreeOf } from '../lib/dir-swap';
import { fsyncDir, pathExists, writeFileAtomic } from '../lib/fs-atomic';
import { logger } from '../lib/log';
import { ensureFreeSpace } from './disk-space';
import { warmBackupWorker } from './in-worker';
import { toBackupInfo } from './manifest';
import { hex, newBackupId } from './new-backup';
import { planRetention, referencedByHistory, type RetentionDecision, type RetentionPolicy } from './retention';
import { ManifestIndex, type FoundBackup } from './manifest-index';
import {
  RestoreJournal,
  recoverRestoreJournals,
  rmTree,
  sweepAllLeftovers,
  sweepLeftovers,
  type RestoreRecovery,
  type RestoreRecoveryFailure,
} from './restore-journal';
import { swapPaths, swapWholeFolder } from './restore-swap';
import { Matcher } from './select';
import { afterFailedRestore, extractVerified, restoreRoots, restoredFileCount } from './restore-steps';
import { restoreFromPrevious, type ReuseSummary } from './restore-reuse';
import { refuseDuringUpdate, underBackupLock } from './store-locks';
import { checkBackupSource, writeBackup } from './write-backup';
import {
  archiveFileOf,
  recordVerification,
  trustedVerification,
  verificationFile,
  type VerificationRecord,
} from './verification';
import {
  selectBackups,
  type BackupComponent,
  type BackupStoreOptions,
  type CreateBackupOptions,
  type ListBackupsFilter,
  type RestoreBackupOptions,
} from './store-options';

const log = logger('backups.store');

export {
  recoverInterruptedRestores,
  recoverRestoreJournals,
  type RestoreInProgress,
  type RestoreRecovery,
  type RestoreRecoveryFailure,
} from './restore-journal';

export type { BackupPhase, BackupProgress };
export type {
  BackupComponent,
  BackupStoreOptions,
  CreateBackupOptions,
  ListBackupsFilter,
  RestoreBackupOptions,
} from './store-options';

/**
 * Backups on disk: `<backups>/<component>/<id>.tar.zst` (older ones `.tar.gz`) with `<id>.json` beside it. The manifests
 * are the index: nothing else needs to survive for the list to be right.
 */
export class BackupStore {
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Removals of the trees answered restores replaced, still going on (see restore). */
  private readonly finishing = new Set<Promise<void>>();
  /** The manifests as read (their summaries cached while unchanged). */
  private readonly index: ManifestIndex;

  constructor(private readonly options: BackupStoreOptions) {
    this.index = new ManifestIndex(options.backupsDir, options.readManifestText);
  }

  /** Every backup with a valid manifest, and every file that is not one (reported). */
  scan(): ReturnType<ManifestIndex['scan']> {
    return this.index.scan();
  }

  get backupsDir(): string {
    return this.options.backupsDir;
  }

  /** What no backup may archive and no restore may replace: the data directory, the backups, the history. */
  private get protectedPaths(): string[] {
    return [...(this.options.dataDir ? [this.options.dataDir] : []), this.options.backupsDir, this.options.historyFile];
  }

  /**
   * Refuse, with INVALID_CONFIG naming the data directory, a folder that is `/`, the data directory
   * or inside it; for a restore also one that holds it (the swap would move it aside and delete
   * it). A backup of a folder holding it goes on without it (the scan skips it).
   */
  private refuseProtectedFolder(folder: string, component: string, operation: 'backup' | 'restore'): void {
    for (const guarded of this.protectedPaths) {
      const guard = new DataDirGuard(guarded);
      if (operation === 'backup' && guard.conflict(folder) === 'contains') continue;
      const what = `The folder of "${component}" cannot be ${operation === 'backup' ? 'backed up' : 'restored'}`;
      const error = guard.error(folder, { what, component, field: `components.${component}.folder` });
      if (error) throw error;
    }
  }

  private recovery: Promise<RestoreRecovery> | undefined;
  private swept: Promise<void> | undefined;
  /** Restores whose recovery failed in this process: kept as found, never retried here (see recoverRestoreJournals). */
  private readonly failedRecoveries = new Map<string, RestoreRecoveryFailure>();

  /**
   * Finish or undo restores a crash interrupted (each under its component's backup lock, so a
   * restore another process is running is left alone), then, once per process, remove what
   * interrupted backups left in the backups folder. Runs before every operation; cheap when no
   * restore journal is there. Returns the folders touched.
   */
  async recoverInterrupted(): Promise<string[]> {
    return (await this.recoverRestores()).touched;
  }

  /** recoverInterrupted() with what it could not do: restores a live process is running, and recoveries that failed. */
  recoverRestores(): Promise<RestoreRecovery> {
    const previous = this.recovery ?? Promise.resolve(null);
    const run = previous.then(async () => {
      // This process's own restores still removing the trees they replaced hold their locks: not a crash.
      await this.settled();
      const report = await recoverRestoreJournals(this.options.backupsDir, {
        ...(this.options.locksDir ? { locksDir: path.join(this.options.locksDir, 'backups') } : {}),
        skip: new Set(this.failedRecoveries.keys()),
        protect: this.protectedPaths,
      });
      for (const failure of report.failed) this.failedRecoveries.set(failure.component, failure);
      this.swept ??= this.sweepAllLeftovers().catch((error: unknown) => {
        // Leftovers of killed backups only take space; the next start sweeps them again.
        log.warn('leftovers of interrupted backups could not be swept', { error });
      });
      await this.swept;
      return { ...report, failed: [...this.failedRecoveries.values(), ...report.unlocked], unlocked: [] };
    });
    // The caller gets this recovery's error; the chain only needs it settled so the next call can start.
    this.recovery = run.catch(() => ({ touched: [], busy: [], failed: [], unlocked: [] }));
    return run;
  }

  /**
   * A backup killed part-way leaves `.<id>.tar.zst.partial` (up to the size of the folder) and
   * `.<id>.work/` (its database copies) in the component's backups folder. Each folder is swept
   * under its component's lock, so a backup another process is writing right now is left alone.
   */
  private async sweepAllLeftovers(): Promise<void> {
    await sweepAllLeftovers(this.options.backupsDir, (component, fn) => this.crossProcess(component, fn));
  }

  /** One operation per component at a time (create, restore, delete), in this process and across processes. */
  private async locked<T>(component: string, fn: () => Promise<T>): Promise<T> {
    await this.recoverInterrupted();
    // A restore whose recovery failed keeps its journal: a new operation would overwrite it.
    const failed = this.failedRecoveries.get(component);
    if (failed) throw new UpkeepError(failed.error.code, failed.error.message, failed.error.details);
    const prev = this.locks.get(component) ?? Promise.resolve();
    // Each caller gets its own operation's error; the queue only needs the one before settled.
    const run = prev.catch(() => undefined).then(() => this.crossProcess(component, fn));
    const tail = run.catch(() => undefined);
    this.locks.set(component, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(component) === tail) this.locks.delete(component);
    }
  }

  private crossProcess<T>(component: string, fn: () => Promise<T>): Promise<T> {
    return underBackupLock(this.options.locksDir, component, fn);
  }

  private progress(p: BackupProgress): void {
    try {
      this.options.onProgress?.(p);
    } catch {
      // A listener never breaks a backup.
    }
  }

  private async resolveComponent(id: string, folderOverride?: string): Promise<BackupComponent & { folder: string }> {
    const component = await this.options.component(id);
    if (folderOverride !== undefined) {
      if (!path.isAbsolute(folderOverride))
        throw new UpkeepError(
          'INVALID_REQUEST',
          `The folder to back up must be an absolute path, not "${folderOverride}".`,
        );
      return { ...component, folder: path.resolve(folderOverride) };
    }
    if (!component.folder) {
      throw new UpkeepError(
        'INVALID_CONFIG',
        `Component "${id}" has no folder, so there is nothing to back up. Set \`folder\` in its config (the directory it lives in).`,
        { component: id },
      );
    }
    return { ...component, folder: path.resolve(component.folder) };
  }

  // ------------------------------------------------------------------------------------------
  // Create

  async create(options: CreateBackupOptions): Promise<BackupInfo> {
    return this.locked(options.component, () => this.createUnlocked(options));
  }

  /** `keep`: backups retention must not touch now (the one a restore is reading). */
  private async createUnlocked(
    options: CreateBackupOptions,
    keep: ReadonlySet<string> = new Set(),
  ): Promise<BackupInfo> {
    const component = await this.resolveComponent(options.component, options.folder);
    const type = options.type ?? 'full';
    this.refuseProtectedFolder(component.folder, component.id, 'backup');
    const includes = await checkBackupSource(component, type);
    const now = new Date();
    const id = newBackupId(component.id, now);
    this.progress({ backup_id: id, component: component.id, phase: 'scanning', bytes: 0, files: 0 });
    const dir = path.join(this.options.backupsDir, component.id);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    // What an interrupted backup left here would count against the free space (this one holds the lock).
    await sweepLeftovers(dir);
    const { manifest, archivePath } = await writeBackup({
      id,
      now,
      type,
      component,
      options,
      includes,
      includeLogs: options.includeLogs ?? false,
      compress: options.compress ?? true,
      dir,
      // Upkeep's own data directory is never backed up into itself.
      skipAbsolute: [...this.protectedPaths, path.dirname(this.options.backupsDir)],
      reserveMb: this.options.settings().min_free_space_mb,
      appVersion: this.options.appVersion,
      progress: (p) => this.progress(p),
    });
    this.index.forget(path.join(dir, `${id}.json`));
    this.progress({
      backup_id: id,
      component: component.id,
      phase: 'done',
      bytes: manifest.size,
      files: manifest.file_count,
      total_bytes: manifest.size,
      total_files: manifest.file_count,
    });
    await this.applyRetentionUnlocked(new Set([id, ...keep])).catch((error: unknown) => {
      // The backup is made and kept; retention (which refuses with STATE_CORRUPT when the history cannot be read) deletes nothing now and runs again after the next backup.
      log.warn('retention did not run after a backup; older backups are kept', {
        component: component.id,
        backup_id: id,
        error,
      });
    });
    return toBackupInfo(manifest, archivePath);
  }

  // ------------------------------------------------------------------------------------------
  // Read

  async list(filter: ListBackupsFilter = {}): Promise<BackupList> {
    const { manifests, problems } = await this.scan();
    const backups = selectBackups(
      manifests.map((m) => toBackupInfo(m.manifest, m.archive, m.verification)),
      filter,
    );
    return {
      backups,
      problems: filter.component ? problems.filter((p) => p.component === filter.component) : problems,
    };
  }

  /** A backup by id (or, failing that, by its unique name). */
  find(idOrName: string): Promise<FoundBackup> {
    return this.index.find(idOrName);
  }

  async get(idOrName: string): Promise<BackupInfo> {
    const found = await this.find(idOrName);
    if (!(await pathExists(found.archive)))
      throw new UpkeepError(
        'BACKUP_NOT_FOUND',
        `The archive of backup ${found.manifest.id} is missing (${found.archive}). Delete the backup.`,
        { id: found.manifest.id },
      );
    return toBackupInfo(found.manifest, found.archive, found.verification);
  }

  // ------------------------------------------------------------------------------------------
  // Verify, delete, pin

  /**
   * Read the whole archive and check every entry and every file's sha256 against the manifest.
   * What it finds is kept beside the backup (verification.ts): whether it is intact, or damaged.
   */
  async verify(idOrName: string, by: VerifyAskedBy = 'verify'): Promise<BackupVerifyResult> {
    warmBackupWorker();
    const found = await this.find(idOrName);
    const id = found.manifest.id;
    const check = await this.beginCheck(found, by);
    try {
      if (!(await pathExists(found.archive)))
        throw new UpkeepError('BACKUP_NOT_FOUND', `The archive of backup ${id} is missing (${found.archive}).`, { id });
      const result = await extractVerified(found, null, (p) => this.progress(p));
      await check(result.files, null);
      return { id, ok: true, files: result.files, bytes: result.bytes, error: null };
    } catch (error) {
      const shape = toErrorShape(error);
      await check(0, shape);
      return { id, ok: false, files: 0, bytes: 0, error: shape };
    } finally {
      // Whatever came of it, the verification is over (the panel stops showing it).
      this.progress({
        backup_id: id,
        component: found.manifest.component,
        phase: 'done',
        bytes: 0,
        files: 0,
        total_bytes: found.manifest.size,
        total_files: found.manifest.file_count,
      });
    }
  }

  /** Whether a restore of `found` may check its archive's sha256 alone (see trustedVerification). */
  private archiveOnly(found: FoundBackup): boolean {
    return trustedVerification(found.verification, this.options.appVersion);
  }

  /**
   * A whole check of `found` about to begin. The function it returns keeps what the check found
   * (verification.ts) and returns the record kept: intact (no error), or damaged (BACKUP_CORRUPT
   * after its bytes were read). Anything else — a missing or unreadable archive, a cancel — says
   * nothing about the bytes and is not kept. The record names the archive file as it was when
   * the check began.
   */
  private async beginCheck(
    found: FoundBackup,
    by: VerificationRecord['by'],
  ): Promise<(files: number, error: ErrorShape | null) => Promise<VerificationRecord | null>> {
    const m = found.manifest;
    const at = new Date().toISOString();
    const archiveFile = await archiveFileOf(found.archive);
    return async (files, error) => {
      if (!archiveFile) return null;
      if (error && (error.code !== 'BACKUP_CORRUPT' || error.details?.unreadable === true)) return null;
      const record: VerificationRecord = {
        id: m.id,
        archive_sha256: m.sha256,
        archive_file: archiveFile,
        ok: error === null,
        at,
        files,
        by,
        app_version: this.options.appVersion,
        error: error ? { code: error.code, message: error.message } : null,
      };
      await recordVerification(path.dirname(found.manifestPath), found.manifestPath, record);
      return record;
    };
  }

  async delete(idOrName: string): Promise<{ deleted: string }> {
    const found = await this.find(idOrName);
    return this.locked(found.manifest.component, async () => {
      // Manifest first: a crash in between leaves an archive reported as orphaned, never a listed backup without data.
      await fs.rm(found.manifestPath, { force: true });
      this.index.forget(found.manifestPath);
      await fs.rm(verificationFile(path.dirname(found.manifestPath), found.manifest.id), { force: true });
      await fs.rm(found.archive, { force: true });
      await fsyncDir(path.dirname(found.manifestPath));
      return { deleted: found.manifest.id };
    });
  }

  async pin(idOrName: string, pinned: boolean): Promise<BackupInfo> {
    const found = await this.find(idOrName);
    return this.locked(found.manifest.component, async () => {
      const manifest = { ...(await this.index.readManifest(found.manifestPath)), pinned };
      await writeFileAtomic(found.manifestPath, `${JSON.stringify(manifest)}\n`, { mode: 0o600 });
      this.index.forget(found.manifestPath);
      return toBackupInfo(manifest, found.archive, found.verification);
    });
  }

  // ------------------------------------------------------------------------------------------
  // Retention

  async applyRetention(): Promise<RetentionDecision[]> {
    return this.applyRetentionUnlocked(new Set());
  }

  private async applyRetentionUnlocked(keep: Set<string>): Promise<RetentionDecision[]> {
    const s = this.options.settings();
    const policy: RetentionPolicy = {
      maxPerComponent: s.backup_max_per_component,
      maxAgeDays: s.backup_max_age_days,
      diskBudgetMb: s.backup_disk_budget_mb,
    };
    const { manifests } = await this.scan();
    const backups = manifests.map((m) => toBackupInfo(m.manifest, m.archive));
    const referenced = new Set<string>();
    if (this.options.isReferenced) {
      for (const b of backups) if (await this.options.isReferenced(b.id)) referenced.add(b.id);
    } else {
      for (const id of await referencedByHistory(this.options.historyFile)) referenced.add(id);
    }
    const plan = planRetention(backups, policy, { isReferenced: (id) => referenced.has(id), keep });
    for (const d of plan) {
      const dir = path.join(this.options.backupsDir, d.component);
      const m = manifests.find((x) => x.manifest.id === d.id);
      await fs.rm(path.join(dir, `${d.id}.json`), { force: true });
      this.index.forget(path.join(dir, `${d.id}.json`));
      await fs.rm(verificationFile(dir, d.id), { force: true });
      if (m) await fs.rm(m.archive, { force: true });
    }
    return plan;
  }

  // ------------------------------------------------------------------------------------------
  // Restore

  async restore(options: RestoreBackupOptions): Promise<BackupRestoreResult> {
    warmBackupWorker();
    const found = await this.find(options.backupId);
    await refuseDuringUpdate(this.options.locksDir, found.manifest.component);
    let answer: (value: BackupRestoreResult) => void = () => undefined;
    const answered = new Promise<BackupRestoreResult>((resolve) => (answer = resolve));
    // The answer goes out once the restored tree is in place and durable; the lock is held until
    // the old tree is removed too (off the critical path), so nothing starts over a half-removed one.
    const whole = this.locked(found.manifest.component, async () => {
      const { value, finish } = await this.restoreUnlocked(found, options);
      answer(value);
      // A removal that fails leaves the journal 'committed': recovery finishes it later.
      const removing = finish().catch(() => undefined);
      this.finishing.add(removing);
      await removing;
      this.finishing.delete(removing);
      return value;
    });
    whole.catch(() => undefined); // a failure before the answer is the answer (below)
    return Promise.race([answered, whole]);
  }

  /** Resolves once every restore this store answered has also removed the tree it replaced. */
  async settled(): Promise<void> {
    await Promise.all([...this.finishing]);
  }

  /**
   * Build the restore's staging folder from `tree`, the tree a failed update replaced
   * (restore-reuse.ts): null when it is not worth it or fails, and the backup is then extracted
   * whole into a fresh staging folder.
   */
  private async reusePrevious(
    found: FoundBackup,
    tree: string,
    folder: string,
    staging: string,
  ): Promise<ReuseSummary | null> {
    const m = found.manifest;
    // Only a tree an update set aside beside this folder: the tree is renamed and then changed.
    if (!isOldTreeOf(tree, folder)) {
      log.warn('a tree to restore from that is not one an update set aside is ignored', { id: m.id, tree });
      return null;
    }
    this.progress({ backup_id: m.id, component: m.component, phase: 'extracting', bytes: 0, files: 0 });
    try {
      const reused = await restoreFromPrevious({
        manifest: m,
        tree,
        live: folder,
        staging,
        extractOnly: (dest, only) =>
          extractVerified(found, dest, (p) => this.progress(p), only, this.archiveOnly(found)),
      });
      if (reused) log.info('restored from the tree the update replaced', { id: m.id, ...reused });
      return reused;
    } catch (error) {
      log.warn('the tree the update replaced could not be reused; the backup is restored whole', { id: m.id, error });
      await rmTree(staging);
      // The extraction needs the staging folder new or empty.
      if (await pathExists(staging))
        throw new UpkeepError(
          'INTERNAL',
          `The staging folder ${staging} could not be emptied after the tree the update replaced could not be reused; remove it, then restore backup ${m.id}.`,
          { id: m.id, staging },
        );
      return null;
    }
  }

  private async restoreUnlocked(
    found: FoundBackup,
    options: RestoreBackupOptions,
  ): Promise<{ value: BackupRestoreResult; finish: () => Promise<void> }> {
    const m = found.manifest;
    if (!(await pathExists(found.archive)))
      throw new UpkeepError(
        'BACKUP_NOT_FOUND',
        `The archive of backup ${m.id} is missing (${found.archive}); it cannot be restored.`,
        { id: m.id },
      );
    // A backup of an explicitly given folder goes back to that folder.
    const component = await this.resolveComponent(m.component, m.folder_override ? m.folder : undefined);
    const folder = component.folder;
    // Before anything is extracted beside it: a swap of a folder holding the data directory would delete it.
    this.refuseProtectedFolder(folder, m.component, 'restore');
    const type = options.type ?? m.type;
    // What to replace: the whole folder, or only some paths.
    const roots = restoreRoots(m, type, component.sets);
    const parent = path.dirname(folder);
    const settings = this.options.settings();
    await fs.mkdir(parent, { recursive: true });
    await ensureFreeSpace(parent, m.size + 1024 * 1024, settings.min_free_space_mb, `restore ${m.id}`);

    // 1. Extract and verify into a staging folder beside the component's folder (same filesystem: renames are atomic).
    const staging = path.join(parent, `.${path.basename(folder)}.upkeep-restore-${hex(4)}`);
    const journal = new RestoreJournal(path.join(this.options.backupsDir, `.restore-${m.component}.json`));
    await journal.write({ kind: 'extract', folder, staging });
    let safety: BackupInfo | null = null;
    let swapped = false;
    // The record this restore kept of its whole check, if it made one.
    let checked: VerificationRecord | null = null;
    try {
      const reused =
        roots === null && options.reuse ? await this.reusePrevious(found, options.reuse, folder, staging) : null;
      // A backup this Upkeep already read whole (an update's read-back, a verify) is checked by its
      // archive's sha256 alone: the same bytes decode to the files that were found intact.
      const archiveOnly = this.archiveOnly(found);
      // Every file hashed on the way is a whole check too, and damage found is kept either way.
      const check = reused ? null : await this.beginCheck(found, 'restore');
      let extracted: { files: number; bytes: number };
      try {
        extracted = reused
          ? { files: m.file_count, bytes: m.size }
          : await extractVerified(found, staging, (p) => this.progress(p), undefined, archiveOnly);
      } catch (error) {
        await check?.(0, toErrorShape(error));
        throw error;
      }
      if (check && !archiveOnly) checked = await check(extracted.files, null);
      // 2. A safety backup of what is there now.
      const folderExists = await fs.stat(folder).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if ((options.safetyBackup ?? true) && folderExists) {
        this.progress({ backup_id: m.id, component: m.component, phase: 'safety-backup', bytes: 0, files: 0 });
        try {
          safety = await this.createUnlocked(
            {
              component: m.component,
              ...(m.folder_override ? { folder } : {}),
              type,
              reason: 'safety',
              name: `Before restoring ${m.name}`.slice(0, 200),
              description: `Taken automatically before restoring backup ${m.id}.`,
              includeLogs: m.include_logs,
            },
            new Set([m.id]),
          );
        } catch (error) {
          if (!(error instanceof UpkeepError && error.code === 'INVALID_CONFIG')) throw error; // nothing to back up is fine
        }
      }
      // 3. Swap into place (asked again: the folder may have become a link or moved since).
      this.refuseProtectedFolder(folder, m.component, 'restore');
      this.progress({
        backup_id: m.id,
        component: m.component,
        phase: 'swapping',
        bytes: extracted.bytes,
        files: extracted.files,
      });
      const old =
        roots === null
          ? await swapWholeFolder(folder, staging, new Matcher(m.exclude, 'exclude'), journal)
          : (await swapPaths(folder, staging, roots, journal), null);
      this.progress({
        backup_id: m.id,
        component: m.component,
        phase: 'done',
        bytes: extracted.bytes,
        files: extracted.files,
        total_bytes: m.size,
        total_files: m.file_count,
      });
      const restoredFiles = restoredFileCount(m, roots, extracted.files);
      swapped = true;
      const value: BackupRestoreResult = {
        restored: toBackupInfo(m, found.archive, checked ?? found.verification),
        safety_backup: safety,
        type,
        files: restoredFiles,
        ...(reused ? { reused: { kept: reused.kept, copied: reused.copied, extracted: reused.extracted } } : {}),
      };
      // The journal stays 'committed' until the replaced tree and staging are gone: a kill meanwhile is finished by recovery.
      const finish = async () => {
        await Promise.all([rmTree(staging), ...(old ? [rmTree(old)] : [])]);
        await journal.clear();
      };
      return { value, finish };
    } finally {
      if (!swapped) await afterFailedRestore(staging, journal);
    }
  }
}
