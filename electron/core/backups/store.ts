import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UpkeepError, toErrorShape } from '../../../shared/errors';
import type {
  BackupInfo,
  BackupList,
  BackupPhase,
  BackupProgress,
  BackupRestoreResult,
  BackupVerifyResult,
} from '../../../shared/types';
import { acquireLock, lockHolder, type HeldLock } from '../engine/lock';
import { DataDirGuard } from '../lib/data-dir';
import { fsyncDir, pathExists, writeFileAtomic } from '../lib/fs-atomic';
import { errorMessage } from '../lib/error-info';
import { logger } from '../lib/log';
import { readStateFile } from '../lib/state-file';
import { ensureFreeSpace } from './disk-space';
import { archiveFolderIsolated, extractArchiveIsolated, warmBackupWorker } from './in-worker';
import { BACKUP_ID_PATTERN, toBackupInfo, type BackupManifest } from './manifest';
import { hex, newBackupId, newManifest } from './new-backup';
import { planRetention, referencedByHistory, type RetentionDecision, type RetentionPolicy } from './retention';
import { ManifestIndex } from './manifest-index';
import {
  RestoreJournal,
  recoverRestoreJournals,
  restoreJournalSchema,
  rmTree,
  sweepAllLeftovers,
  sweepLeftovers,
  type RestoreRecovery,
  type RestoreRecoveryFailure,
} from './restore-journal';
import { swapPaths, swapWholeFolder } from './restore-swap';
import { Matcher, includePatterns, rootsWithin } from './select';
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

  private async crossProcess<T>(component: string, fn: () => Promise<T>): Promise<T> {
    const dir = this.options.locksDir;
    if (!dir) return fn();
    let held: HeldLock;
    try {
      held = await acquireLock(path.join(dir, 'backups'), component, {
        host: 'backup',
        runId: `backup-${process.pid}`,
      });
    } catch (error) {
      if (error instanceof UpkeepError && error.code === 'UPDATE_IN_PROGRESS') {
        const pid = (error.details as { pid?: number } | undefined)?.pid;
        throw new UpkeepError(
          'UPDATE_IN_PROGRESS',
          `A backup or restore of ${component} is already running in another Upkeep process${pid ? ` (pid ${pid})` : ''}. Wait for it to finish, then try again.`,
          { component, ...(pid ? { pid } : {}) },
        );
      }
      throw error;
    }
    try {
      return await fn();
    } finally {
      await held.release();
    }
  }

  /** A restore never runs under another process's update of the same component. */
  private async refuseDuringUpdate(component: string): Promise<void> {
    const dir = this.options.locksDir;
    if (!dir) return;
    const holder = await lockHolder(dir, component);
    if (holder && holder.pid !== process.pid) {
      throw new UpkeepError(
        'UPDATE_IN_PROGRESS',
        `${component} is being updated by another Upkeep process (run ${holder.run_id}, pid ${holder.pid}). Restore it once that update has finished.`,
        { component, run_id: holder.run_id, pid: holder.pid },
      );
    }
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
    const includeLogs = options.includeLogs ?? false;
    const compress = options.compress ?? true;
    this.refuseProtectedFolder(component.folder, component.id, 'backup');
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
    const now = new Date();
    const id = newBackupId(component.id, now);
    this.progress({ backup_id: id, component: component.id, phase: 'scanning', bytes: 0, files: 0 });
    const settings = this.options.settings();
    const dir = path.join(this.options.backupsDir, component.id);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    // What an interrupted backup left here would count against the free space (this one holds the lock).
    await sweepLeftovers(dir);

    const work = path.join(dir, `.${id}.work`);
    // The name says what was written: `.tar.zst`, `.tar.gz` where zstd could not be loaded, `.tar`.
    let archiveName = `${id}.tar${compress ? '.zst' : ''}`;
    let archivePath = path.join(dir, archiveName);
    const partial = path.join(dir, `.${archiveName}.partial`);
    try {
      let lastEmit = 0;
      const folderResult = await archiveFolderIsolated(
        {
          folder: component.folder,
          // Upkeep's own data directory is never backed up into itself.
          select: {
            type,
            sets: component.sets,
            includeLogs,
            skipAbsolute: [...this.protectedPaths, path.dirname(this.options.backupsDir)],
          },
          output: partial,
          work,
          compress,
          freeSpace: { dir, reserveMb: settings.min_free_space_mb, what: `back up ${component.id}` },
        },
        (p) => {
          if (p.phase === 'archiving') {
            const t = Date.now();
            if (t - lastEmit < 100) return;
            lastEmit = t;
          }
          this.progress({ backup_id: id, component: component.id, ...p });
        },
        options.signal,
      );
      const result = folderResult.archive;
      if (folderResult.empty || !result) {
        throw new UpkeepError(
          'INVALID_CONFIG',
          `The ${type} paths of "${component.id}" (${(includes ?? []).join(', ')}) match nothing in ${component.folder}. Check \`backup.${type}\` in its config.`,
          { component: component.id, type },
        );
      }
      if (result.format === 'gzip') {
        archiveName = `${id}.tar.gz`;
        archivePath = path.join(dir, archiveName);
      }
      await fs.rename(partial, archivePath);
      await fsyncDir(dir);
      const manifest = newManifest({
        id,
        now,
        type,
        component,
        options,
        archiveName,
        result,
        includeLogs,
        compress,
        roots: folderResult.roots,
        skipped: folderResult.skipped,
        appVersion: this.options.appVersion,
      });
      // The archiver's records are the manifest's entries (path, type, size, mode, mtime, sha256,
      // linkpath), spliced in as the JSON text they came as.
      const head = JSON.stringify(manifest);
      await writeFileAtomic(
        path.join(dir, `${id}.json`),
        `${head.slice(0, -1)},"entries":${folderResult.entriesJson}}\n`,
        { mode: 0o600 },
      );
      this.index.forget(path.join(dir, `${id}.json`));
      this.progress({
        backup_id: id,
        component: component.id,
        phase: 'done',
        bytes: result.bytes,
        files: result.fileCount,
        total_bytes: result.bytes,
        total_files: result.fileCount,
      });
      const info = toBackupInfo(manifest, archivePath);
      await this.applyRetentionUnlocked(new Set([id, ...keep])).catch((error: unknown) => {
        // The backup is made and kept; retention (which refuses with STATE_CORRUPT when the history cannot be read) deletes nothing now and runs again after the next backup.
        log.warn('retention did not run after a backup; older backups are kept', {
          component: component.id,
          backup_id: id,
          error,
        });
      });
      return info;
    } catch (error) {
      await fs.rm(partial, { force: true });
      if (!(await pathExists(path.join(dir, `${id}.json`)))) await fs.rm(archivePath, { force: true });
      throw error;
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }

  // ------------------------------------------------------------------------------------------
  // Read

  async list(filter: ListBackupsFilter = {}): Promise<BackupList> {
    const { manifests, problems } = await this.scan();
    const backups = selectBackups(
      manifests.map((m) => toBackupInfo(m.manifest, m.archive)),
      filter,
    );
    return {
      backups,
      problems: filter.component ? problems.filter((p) => p.component === filter.component) : problems,
    };
  }

  /** A backup by id (or, failing that, by its unique name). */
  async find(idOrName: string): Promise<{ manifest: BackupManifest; archive: string; manifestPath: string }> {
    if (BACKUP_ID_PATTERN.test(idOrName)) {
      // No backups folder yet: there are no backups.
      const dirs = await fs.readdir(this.options.backupsDir).catch(() => [] as string[]);
      for (const component of dirs) {
        const manifestPath = path.join(this.options.backupsDir, component, `${idOrName}.json`);
        if (!(await pathExists(manifestPath))) continue;
        let manifest: BackupManifest;
        try {
          manifest = await this.index.readManifest(manifestPath);
        } catch (error) {
          throw new UpkeepError(
            'BACKUP_CORRUPT',
            `The manifest of backup ${idOrName} is damaged (${(error as Error).message.split('\n')[0]}); it cannot be verified or restored.`,
            { id: idOrName },
          );
        }
        return { manifest, archive: path.join(this.options.backupsDir, component, manifest.archive), manifestPath };
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

  async get(idOrName: string): Promise<BackupInfo> {
    const found = await this.find(idOrName);
    if (!(await pathExists(found.archive)))
      throw new UpkeepError(
        'BACKUP_NOT_FOUND',
        `The archive of backup ${found.manifest.id} is missing (${found.archive}). Delete the backup.`,
        { id: found.manifest.id },
      );
    return toBackupInfo(found.manifest, found.archive);
  }

  // ------------------------------------------------------------------------------------------
  // Verify, delete, pin

  async verify(idOrName: string): Promise<BackupVerifyResult> {
    warmBackupWorker();
    const found = await this.find(idOrName);
    const id = found.manifest.id;
    try {
      if (!(await pathExists(found.archive)))
        throw new UpkeepError('BACKUP_NOT_FOUND', `The archive of backup ${id} is missing (${found.archive}).`, { id });
      const result = await this.extractVerified(found, null);
      return { id, ok: true, files: result.files, bytes: result.bytes, error: null };
    } catch (error) {
      return { id, ok: false, files: 0, bytes: 0, error: toErrorShape(error) };
    }
  }

  private extractVerified(found: { manifest: BackupManifest; archive: string }, dest: string | null) {
    const m = found.manifest;
    let last = 0;
    return extractArchiveIsolated({
      archive: found.archive,
      dest,
      expect: { archiveSha256: m.sha256, entries: m.entries },
      // Upkeep's own backups bring back the links the folder had, as recorded (a venv's python).
      outwardLinks: 'as-recorded',
      damagedCode: 'BACKUP_CORRUPT',
      ownZstdFrames: true,
      // The manifest bounds the expansion; the ratio check is for unknown archives.
      limits: { maxTotalBytes: m.size, maxEntries: m.entries.length + 1, maxRatio: Number.POSITIVE_INFINITY },
      allowEmpty: m.entries.length === 0,
      onProgress: (p) => {
        const t = Date.now();
        if (t - last < 100) return;
        last = t;
        this.progress({
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

  async delete(idOrName: string): Promise<{ deleted: string }> {
    const found = await this.find(idOrName);
    return this.locked(found.manifest.component, async () => {
      // Manifest first: a crash in between leaves an archive reported as orphaned, never a listed backup without data.
      await fs.rm(found.manifestPath, { force: true });
      this.index.forget(found.manifestPath);
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
      return toBackupInfo(manifest, found.archive);
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
      if (m) await fs.rm(m.archive, { force: true });
    }
    return plan;
  }

  // ------------------------------------------------------------------------------------------
  // Restore

  async restore(options: RestoreBackupOptions): Promise<BackupRestoreResult> {
    warmBackupWorker();
    const found = await this.find(options.backupId);
    await this.refuseDuringUpdate(found.manifest.component);
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

  private async restoreUnlocked(
    found: { manifest: BackupManifest; archive: string },
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
    if (type !== m.type && m.type !== 'full') {
      throw new UpkeepError(
        'INVALID_REQUEST',
        `Backup ${m.id} is a ${m.type} backup; it can only restore ${m.type} (or restore without a type).`,
        { id: m.id, type },
      );
    }
    // What to replace: the whole folder, or only some paths.
    let roots: { path: string; kind: 'file' | 'dir' }[] | null;
    if (type === 'full') roots = null;
    else if (m.type === type) roots = m.roots;
    else {
      roots = rootsWithin(m.entries, type, component.sets);
      if (roots.length === 0)
        throw new UpkeepError(
          'INVALID_REQUEST',
          `Backup ${m.id} holds nothing that matches the component's ${type} paths.`,
          { id: m.id, type },
        );
    }
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
    try {
      const extracted = await this.extractVerified(found, staging);
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
      const restoredFiles =
        roots === null
          ? extracted.files
          : m.entries.filter(
              (e) => e.type === 'file' && roots.some((r) => e.path === r.path || e.path.startsWith(`${r.path}/`)),
            ).length;
      swapped = true;
      const value = { restored: toBackupInfo(m, found.archive), safety_backup: safety, type, files: restoredFiles };
      // The journal stays 'committed' until the replaced tree and staging are gone: a kill meanwhile is finished by recovery.
      const finish = async () => {
        await Promise.all([rmTree(staging), ...(old ? [rmTree(old)] : [])]);
        await journal.clear();
      };
      return { value, finish };
    } finally {
      if (!swapped) await this.afterFailedRestore(staging, journal);
    }
  }

  /** A restore that failed: its staging goes, and its journal unless the swap failed part-way through its own undo. */
  private async afterFailedRestore(staging: string, journal: RestoreJournal): Promise<void> {
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
}
