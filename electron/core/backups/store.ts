import { randomBytes } from 'node:crypto';
import { promises as fs, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { UpkeepError, toErrorShape, type ErrorShape } from '../../../shared/errors';
import type {
  BackupInfo,
  BackupList,
  BackupPhase,
  BackupProblem,
  BackupProgress,
  BackupReason,
  BackupRestoreResult,
  BackupSince,
  BackupSort,
  BackupType,
  BackupVerifyResult,
} from '../../../shared/types';
import { acquireLock, lockHolder, type HeldLock } from '../engine/lock';
import { DataDirGuard } from '../lib/data-dir';
import { fsyncDir, pathExists, writeFileAtomic } from '../lib/fs-atomic';
import { ensureFreeSpace } from './disk-space';
import { SQLITE_COMPANIONS } from './folder-archive';
import { archiveFolderIsolated, extractArchiveIsolated, warmBackupWorker } from './in-worker';
import { BACKUP_ID_PATTERN, MANIFEST_FORMAT, manifestSummarySchema, parseManifest, toBackupInfo, type BackupManifest, type ManifestSummary } from './manifest';
import { planRetention, referencedByHistory, type RetentionDecision, type RetentionPolicy } from './retention';
import { Matcher, SQLITE_NAME, excludePatterns, includePatterns, rootsWithin, type PathSets } from './select';

export type { BackupPhase, BackupProgress };

/** What the store needs to know about a component. */
export interface BackupComponent {
  id: string;
  folder: string | undefined;
  sets: PathSets;
  /** The installed version when known (recorded in the manifest). */
  version?: string | null;
}

export interface BackupStoreOptions {
  backupsDir: string;
  historyFile: string;
  component(id: string): BackupComponent | Promise<BackupComponent>;
  settings(): { backup_max_per_component: number; backup_max_age_days: number; backup_disk_budget_mb: number; min_free_space_mb: number };
  appVersion: string;
  onProgress?(progress: BackupProgress): void;
  /** Whether a backup is still needed by a history entry; defaults to reading history.jsonl. */
  isReferenced?(backupId: string): boolean | Promise<boolean>;
  /**
   * `<home>/locks`: backup operations on a component then hold `locks/backups/<component>.lock`
   * across processes (CLI, desktop, headless host), and a restore waits for no one's update.
   */
  locksDir?: string;
  /** Reads a manifest's text; defaults to fs.readFile (tests count manifest reads through it). */
  readManifestText?(file: string): Promise<string>;
  /**
   * Upkeep's data directory (`<home>`): never archived, and a folder that is it, holds it or lies
   * within it (or `/`) is never restored or swapped, whatever a config or manifest says.
   */
  dataDir?: string;
}

export interface CreateBackupOptions {
  component: string;
  type?: BackupType;
  name?: string;
  description?: string;
  includeLogs?: boolean;
  compress?: boolean;
  reason?: BackupReason;
  pinned?: boolean;
  /** The component version to record (the engine knows it before an update). */
  version?: string | null;
  /** Back up this absolute folder instead of the component's `folder`; restores go back to it. */
  folder?: string;
  /** Stops the backup (a cancelled update): nothing is kept. */
  signal?: AbortSignal;
}

export interface RestoreBackupOptions {
  backupId: string;
  /** Restore only this type's paths (from a full backup, or the backup's own type). */
  type?: BackupType;
  /** Back up the current state first (default true). */
  safetyBackup?: boolean;
}

export interface ListBackupsFilter {
  component?: string;
  type?: BackupType;
  since?: BackupSince;
  limit?: number;
  /** Skip this many after filtering and sorting (paging). */
  offset?: number;
  sort?: BackupSort;
}

const SINCE_DAYS: Record<BackupSince, number | null> = { '1d': 1, '7d': 7, '30d': 30, '90d': 90, all: null };
const hex = (n: number) => randomBytes(n).toString('hex');
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

/** `fn` over `items`, at most `limit` at a time; results in the order of `items`. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function newBackupId(component: string, now: Date): string {
  const iso = now.toISOString(); // 2026-11-23T15:52:06.123Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
  return `${component}-${stamp}-${hex(2)}`;
}

/** Whether `child` (resolved) is `parent` or inside it. */
function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Backups on disk: `<backups>/<component>/<id>.tar.zst` (older ones `.tar.gz`) with `<id>.json` beside it. The manifests
 * are the index: nothing else needs to survive for the list to be right.
 */
export class BackupStore {
  private readonly locks = new Map<string, Promise<unknown>>();
  /**
   * Manifest summaries by manifest path, each valid while a stat of the file shows the identity
   * it was read with: the list then reads only manifests that are new or changed since the last
   * scan. Never the per-file entries (megabytes for a large backup).
   */
  private readonly summaries = new Map<string, CachedSummary>();
  /** Bumped by this store's own manifest writes and deletions: a read begun before one is not cached. */
  private writes = 0;

  constructor(private readonly options: BackupStoreOptions) {}

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
      const report = await recoverRestoreJournals(this.options.backupsDir, {
        ...(this.options.locksDir ? { locksDir: path.join(this.options.locksDir, 'backups') } : {}),
        skip: new Set(this.failedRecoveries.keys()),
        protect: this.protectedPaths,
      });
      for (const failure of report.failed) this.failedRecoveries.set(failure.component, failure);
      this.swept ??= this.sweepAllLeftovers().catch(() => undefined);
      await this.swept;
      return { ...report, failed: [...this.failedRecoveries.values(), ...report.unlocked], unlocked: [] };
    });
    this.recovery = run.catch(() => ({ touched: [], busy: [], failed: [], unlocked: [] }));
    return run;
  }

  /**
   * A backup killed part-way leaves `.<id>.tar.zst.partial` (up to the size of the folder) and
   * `.<id>.work/` (its database copies) in the component's backups folder. Each folder is swept
   * under its component's lock, so a backup another process is writing right now is left alone.
   */
  private async sweepAllLeftovers(): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(this.options.backupsDir);
    } catch {
      return;
    }
    for (const component of names) {
      if (component.startsWith('.')) continue;
      const dir = path.join(this.options.backupsDir, component);
      if (!(await hasLeftovers(dir))) continue;
      try {
        await this.crossProcess(component, () => sweepLeftovers(dir));
      } catch {
        // held by another process: its own next backup sweeps it
      }
    }
  }

  /** One operation per component at a time (create, restore, delete), in this process and across processes. */
  private async locked<T>(component: string, fn: () => Promise<T>): Promise<T> {
    await this.recoverInterrupted();
    // A restore whose recovery failed keeps its journal: a new operation would overwrite it.
    const failed = this.failedRecoveries.get(component);
    if (failed) throw new UpkeepError(failed.error.code, failed.error.message, failed.error.details);
    const prev = this.locks.get(component) ?? Promise.resolve();
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
      held = await acquireLock(path.join(dir, 'backups'), component, { host: 'backup', runId: `backup-${process.pid}` });
    } catch (error) {
      if (error instanceof UpkeepError && error.code === 'UPDATE_IN_PROGRESS') {
        const pid = (error.details as { pid?: number } | undefined)?.pid;
        throw new UpkeepError('UPDATE_IN_PROGRESS', `A backup or restore of ${component} is already running in another Upkeep process${pid ? ` (pid ${pid})` : ''}. Wait for it to finish, then try again.`, { component, ...(pid ? { pid } : {}) });
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
      throw new UpkeepError('UPDATE_IN_PROGRESS', `${component} is being updated by another Upkeep process (run ${holder.run_id}, pid ${holder.pid}). Restore it once that update has finished.`, { component, run_id: holder.run_id, pid: holder.pid });
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
      if (!path.isAbsolute(folderOverride)) throw new UpkeepError('INVALID_REQUEST', `The folder to back up must be an absolute path, not "${folderOverride}".`);
      return { ...component, folder: path.resolve(folderOverride) };
    }
    if (!component.folder) {
      throw new UpkeepError('INVALID_CONFIG', `Component "${id}" has no folder, so there is nothing to back up. Set \`folder\` in its config (the directory it lives in).`, { component: id });
    }
    return { ...component, folder: path.resolve(component.folder) };
  }

  // ------------------------------------------------------------------------------------------
  // Create

  async create(options: CreateBackupOptions): Promise<BackupInfo> {
    return this.locked(options.component, () => this.createUnlocked(options));
  }

  /** `keep`: backups retention must not touch now (the one a restore is reading). */
  private async createUnlocked(options: CreateBackupOptions, keep: ReadonlySet<string> = new Set()): Promise<BackupInfo> {
    const component = await this.resolveComponent(options.component, options.folder);
    const type = options.type ?? 'full';
    const includeLogs = options.includeLogs ?? false;
    const compress = options.compress ?? true;
    this.refuseProtectedFolder(component.folder, component.id, 'backup');
    const folderStat = await fs.stat(component.folder).catch(() => null);
    if (!folderStat?.isDirectory()) {
      throw new UpkeepError('NOT_FOUND', `The folder of "${component.id}" (${component.folder}) does not exist or is not a folder. Fix \`folder\` in its config.`, { component: component.id, folder: component.folder });
    }
    const includes = includePatterns(type, component.sets);
    if (includes && includes.length === 0) {
      throw new UpkeepError('INVALID_CONFIG', `Component "${component.id}" has no \`backup.${type}\` paths, so a ${type} backup has nothing to hold. Add them to its config, e.g. backup: { ${type}: [${type === 'config' ? '.env, config/' : 'uploads/'}] }.`, { component: component.id, type });
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
          select: { type, sets: component.sets, includeLogs, skipAbsolute: [...this.protectedPaths, path.dirname(this.options.backupsDir)] },
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
        throw new UpkeepError('INVALID_CONFIG', `The ${type} paths of "${component.id}" (${(includes ?? []).join(', ')}) match nothing in ${component.folder}. Check \`backup.${type}\` in its config.`, { component: component.id, type });
      }
      if (result.format === 'gzip') {
        archiveName = `${id}.tar.gz`;
        archivePath = path.join(dir, archiveName);
      }
      await fs.rename(partial, archivePath);
      await fsyncDir(dir);
      const notArchived = folderResult.skipped;
      const manifest: Omit<BackupManifest, 'entries'> = {
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
        roots: type === 'full' ? [] : folderResult.roots,
        created_by: this.options.appVersion,
        ...(notArchived.length ? { skipped: notArchived.slice(0, 1000) } : {}),
      };
      // The archiver's records are the manifest's entries (path, type, size, mode, mtime, sha256,
      // linkpath), spliced in as the JSON text they came as.
      const head = JSON.stringify(manifest);
      await writeFileAtomic(path.join(dir, `${id}.json`), `${head.slice(0, -1)},"entries":${folderResult.entriesJson}}\n`, { mode: 0o600 });
      this.forget(path.join(dir, `${id}.json`));
      this.progress({ backup_id: id, component: component.id, phase: 'done', bytes: result.bytes, files: result.fileCount, total_bytes: result.bytes, total_files: result.fileCount });
      const info = toBackupInfo(manifest, archivePath);
      await this.applyRetentionUnlocked(new Set([id, ...keep])).catch(() => undefined);
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

  private readManifestText(file: string): Promise<string> {
    return this.options.readManifestText ? this.options.readManifestText(file) : fs.readFile(file, 'utf8');
  }

  private async readManifest(file: string): Promise<BackupManifest> {
    const text = await this.readManifestText(file);
    return parseManifest(JSON.parse(text));
  }

  /** Everything but the per-file list, which listing never needs (checked in full by find/verify/restore). */
  private async readManifestSummary(file: string): Promise<ManifestSummary> {
    const text = await this.readManifestText(file);
    // The parsed per-file list is dropped here: the summary (what is cached) never holds it.
    const { entries: _entries, ...summary } = manifestSummarySchema.parse(JSON.parse(text));
    return summary;
  }

  /** After this store wrote, replaced or removed a manifest: its cached summary goes, and reads in flight are not cached. */
  private forget(manifestPath: string): void {
    this.writes += 1;
    this.summaries.delete(manifestPath);
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

  /** Every backup with a valid manifest, and every file that is not one (reported). */
  async scan(): Promise<{ manifests: { manifest: ManifestSummary; archive: string }[]; problems: BackupProblem[] }> {
    const manifests: { manifest: ManifestSummary; archive: string }[] = [];
    const problems: BackupProblem[] = [];
    let components: string[];
    try {
      components = (await fs.readdir(this.options.backupsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    } catch {
      this.summaries.clear();
      return { manifests, problems };
    }
    const seen = new Set<string>();
    for (const component of components) {
      const dir = path.join(this.options.backupsDir, component);
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      const set = new Set(names);
      const claimed = new Set<string>();
      const manifestNames = names.filter((name) => name.endsWith('.json') && !name.startsWith('.'));
      const read = await mapLimited(manifestNames, MANIFEST_READS_AT_ONCE, (name) => this.summaryOf(path.join(dir, name)));
      for (const [i, name] of manifestNames.entries()) {
        const file = `${component}/${name}`;
        seen.add(path.join(dir, name));
        try {
          const { summary: manifest, error } = read[i] as SummaryResult;
          if (!manifest) throw new Error(error);
          if (`${manifest.id}.json` !== name || manifest.component !== component) throw new Error('its id or component does not match its location');
          claimed.add(manifest.archive);
          if (!set.has(manifest.archive)) {
            problems.push({ file, component, code: 'BACKUP_NOT_FOUND', message: `Backup ${manifest.id}: its archive ${manifest.archive} is missing. Delete the backup (upkeep backup delete ${manifest.id} --yes).` });
            continue;
          }
          manifests.push({ manifest, archive: path.join(dir, manifest.archive) });
        } catch (error) {
          problems.push({ file, component, code: 'BACKUP_CORRUPT', message: `${file} is not a valid backup manifest (${(error as Error).message.split('\n')[0]}). Its archive cannot be listed or restored; move it away or delete it.` });
          claimed.add(name.replace(/\.json$/, '.tar.zst')).add(name.replace(/\.json$/, '.tar.gz')).add(name.replace(/\.json$/, '.tar'));
        }
      }
      for (const name of names) {
        if (name.startsWith('.') || claimed.has(name) || !/\.tar(\.gz|\.zst)?$/.test(name)) continue;
        problems.push({ file: `${component}/${name}`, component, code: 'BACKUP_CORRUPT', message: `${component}/${name} has no manifest beside it, so it cannot be verified or restored. It may be left from an interrupted backup; delete it or restore it by hand.` });
      }
    }
    // Manifests gone from disk leave the cache.
    for (const file of this.summaries.keys()) if (!seen.has(file)) this.summaries.delete(file);
    return { manifests, problems };
  }

  async list(filter: ListBackupsFilter = {}): Promise<BackupList> {
    const { manifests, problems } = await this.scan();
    let backups = manifests.map((m) => toBackupInfo(m.manifest, m.archive));
    if (filter.component) backups = backups.filter((b) => b.component === filter.component);
    if (filter.type) backups = backups.filter((b) => b.type === filter.type);
    const days = filter.since ? SINCE_DAYS[filter.since] : null;
    if (days !== null) {
      const cutoff = Date.now() - days * 86_400_000;
      backups = backups.filter((b) => Date.parse(b.created_at) >= cutoff);
    }
    const sort = filter.sort ?? 'date';
    const cmp: Record<BackupSort, (a: BackupInfo, b: BackupInfo) => number> = {
      date: (a, b) => b.created_at.localeCompare(a.created_at),
      size: (a, b) => b.size - a.size,
      name: (a, b) => a.name.localeCompare(b.name),
      type: (a, b) => a.type.localeCompare(b.type),
    };
    backups.sort((a, b) => cmp[sort](a, b) || b.created_at.localeCompare(a.created_at) || a.id.localeCompare(b.id));
    const limit = Math.min(50, Math.max(1, filter.limit ?? 20));
    const offset = Math.max(0, filter.offset ?? 0);
    return { backups: backups.slice(offset, offset + limit), problems: filter.component ? problems.filter((p) => p.component === filter.component) : problems };
  }

  /** A backup by id (or, failing that, by its unique name). */
  async find(idOrName: string): Promise<{ manifest: BackupManifest; archive: string; manifestPath: string }> {
    if (BACKUP_ID_PATTERN.test(idOrName)) {
      const dirs = await fs.readdir(this.options.backupsDir).catch(() => [] as string[]);
      for (const component of dirs) {
        const manifestPath = path.join(this.options.backupsDir, component, `${idOrName}.json`);
        if (!(await pathExists(manifestPath))) continue;
        let manifest: BackupManifest;
        try {
          manifest = await this.readManifest(manifestPath);
        } catch (error) {
          throw new UpkeepError('BACKUP_CORRUPT', `The manifest of backup ${idOrName} is damaged (${(error as Error).message.split('\n')[0]}); it cannot be verified or restored.`, { id: idOrName });
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
    if (byName.length > 1) throw new UpkeepError('INVALID_REQUEST', `${byName.length} backups are named "${idOrName}"; use the backup id (upkeep backup list).`, { name: idOrName });
    throw new UpkeepError('BACKUP_NOT_FOUND', `No backup "${idOrName}". Run \`upkeep backup list\` to see the ids.`, { id: idOrName });
  }

  async get(idOrName: string): Promise<BackupInfo> {
    const found = await this.find(idOrName);
    if (!(await pathExists(found.archive))) throw new UpkeepError('BACKUP_NOT_FOUND', `The archive of backup ${found.manifest.id} is missing (${found.archive}). Delete the backup.`, { id: found.manifest.id });
    return toBackupInfo(found.manifest, found.archive);
  }

  // ------------------------------------------------------------------------------------------
  // Verify, delete, pin

  async verify(idOrName: string): Promise<BackupVerifyResult> {
    warmBackupWorker();
    const found = await this.find(idOrName);
    const id = found.manifest.id;
    try {
      if (!(await pathExists(found.archive))) throw new UpkeepError('BACKUP_NOT_FOUND', `The archive of backup ${id} is missing (${found.archive}).`, { id });
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
        this.progress({ backup_id: m.id, component: m.component, phase: dest ? 'extracting' : 'verifying', bytes: p.bytes, files: p.files, total_bytes: m.size, total_files: m.file_count });
      },
    });
  }

  async delete(idOrName: string): Promise<{ deleted: string }> {
    const found = await this.find(idOrName);
    return this.locked(found.manifest.component, async () => {
      // Manifest first: a crash in between leaves an archive reported as orphaned, never a listed backup without data.
      await fs.rm(found.manifestPath, { force: true });
      this.forget(found.manifestPath);
      await fs.rm(found.archive, { force: true });
      await fsyncDir(path.dirname(found.manifestPath));
      return { deleted: found.manifest.id };
    });
  }

  async pin(idOrName: string, pinned: boolean): Promise<BackupInfo> {
    const found = await this.find(idOrName);
    return this.locked(found.manifest.component, async () => {
      const manifest = { ...(await this.readManifest(found.manifestPath)), pinned };
      await writeFileAtomic(found.manifestPath, `${JSON.stringify(manifest)}\n`, { mode: 0o600 });
      this.forget(found.manifestPath);
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
    const policy: RetentionPolicy = { maxPerComponent: s.backup_max_per_component, maxAgeDays: s.backup_max_age_days, diskBudgetMb: s.backup_disk_budget_mb };
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
      this.forget(path.join(dir, `${d.id}.json`));
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
    return this.locked(found.manifest.component, () => this.restoreUnlocked(found, options));
  }

  private async restoreUnlocked(found: { manifest: BackupManifest; archive: string }, options: RestoreBackupOptions): Promise<BackupRestoreResult> {
    const m = found.manifest;
    if (!(await pathExists(found.archive))) throw new UpkeepError('BACKUP_NOT_FOUND', `The archive of backup ${m.id} is missing (${found.archive}); it cannot be restored.`, { id: m.id });
    // A backup of an explicitly given folder goes back to that folder.
    const component = await this.resolveComponent(m.component, m.folder_override ? m.folder : undefined);
    const folder = component.folder;
    // Before anything is extracted beside it: a swap of a folder holding the data directory would delete it.
    this.refuseProtectedFolder(folder, m.component, 'restore');
    const type = options.type ?? m.type;
    if (type !== m.type && m.type !== 'full') {
      throw new UpkeepError('INVALID_REQUEST', `Backup ${m.id} is a ${m.type} backup; it can only restore ${m.type} (or give no --type).`, { id: m.id, type });
    }
    // What to replace: the whole folder, or only some paths.
    let roots: { path: string; kind: 'file' | 'dir' }[] | null;
    if (type === 'full') roots = null;
    else if (m.type === type) roots = m.roots;
    else {
      roots = rootsWithin(m.entries, type, component.sets);
      if (roots.length === 0) throw new UpkeepError('INVALID_REQUEST', `Backup ${m.id} holds nothing that matches the component's ${type} paths.`, { id: m.id, type });
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
    try {
      const extracted = await this.extractVerified(found, staging);
      // 2. A safety backup of what is there now.
      const folderExists = await fs.stat(folder).then((s) => s.isDirectory(), () => false);
      if ((options.safetyBackup ?? true) && folderExists) {
        this.progress({ backup_id: m.id, component: m.component, phase: 'safety-backup', bytes: 0, files: 0 });
        try {
          safety = await this.createUnlocked({ component: m.component, ...(m.folder_override ? { folder } : {}), type, reason: 'safety', name: `Before restoring ${m.name}`.slice(0, 200), description: `Taken automatically before restoring backup ${m.id}.`, includeLogs: m.include_logs }, new Set([m.id]));
        } catch (error) {
          if (!(error instanceof UpkeepError && error.code === 'INVALID_CONFIG')) throw error; // nothing to back up is fine
        }
      }
      // 3. Swap into place (asked again: the folder may have become a link or moved since).
      this.refuseProtectedFolder(folder, m.component, 'restore');
      this.progress({ backup_id: m.id, component: m.component, phase: 'swapping', bytes: extracted.bytes, files: extracted.files });
      if (roots === null) await swapWholeFolder(folder, staging, new Matcher(m.exclude, 'exclude'), journal);
      else await swapPaths(folder, staging, roots, journal);
      this.progress({ backup_id: m.id, component: m.component, phase: 'done', bytes: extracted.bytes, files: extracted.files, total_bytes: m.size, total_files: m.file_count });
      const restoredFiles = roots === null ? extracted.files : m.entries.filter((e) => e.type === 'file' && roots.some((r) => e.path === r.path || e.path.startsWith(`${r.path}/`))).length;
      return { restored: toBackupInfo(m, found.archive), safety_backup: safety, type, files: restoredFiles };
    } finally {
      await rmTree(staging);
      // The journal goes only once staging is gone too: a kill before this point is finished by
      // recovery (a committed swap only needs its leftovers removed). A swap still marked
      // 'swapping' here failed part-way through its own undo: recovery must see it.
      const phase = await fs.readFile(journal.file, 'utf8').then((t) => (JSON.parse(t) as { phase?: string }).phase, () => undefined);
      if (phase === undefined || phase === 'committed') await journal.clear();
    }
  }
}

/** What create() writes before a backup is complete: `.<id>.tar[.zst|.gz].partial` and `.<id>.work/`. */
const LEFTOVER = /^\.[A-Za-z0-9._-]+\.(?:tar(?:\.gz|\.zst)?\.partial|work)$/;

async function hasLeftovers(dir: string): Promise<boolean> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return names.some((n) => LEFTOVER.test(n));
}

async function sweepLeftovers(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!LEFTOVER.test(name)) continue;
    await fs.rm(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

type JournalState =
  | { kind: 'extract'; folder: string; staging: string }
  | { kind: 'full'; folder: string; staging: string; old: string | null; carried: string[]; phase: 'swapping' | 'committed' }
  | { kind: 'paths'; folder: string; staging: string; pairs: { target: string; aside: string; existed: boolean }[]; phase: 'swapping' | 'committed' };

/**
 * What a restore is in the middle of, written before each step that moves anything: after a
 * crash, recoverInterruptedRestores() puts every folder back to "as before" or finishes the
 * restore — never anything in between — and removes the staging folder.
 */
class RestoreJournal {
  constructor(readonly file: string) {}
  write(state: JournalState): Promise<void> {
    return writeFileAtomic(this.file, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  }
  async clear(): Promise<void> {
    await fs.rm(this.file, { force: true });
  }
}

/** Put what a full restore carried into staging back into the folder (recovery of an unfinished swap). */
async function returnCarried(carried: readonly string[], staging: string, folder: string): Promise<void> {
  for (const rel of carried) {
    const from = path.join(staging, ...rel.split('/'));
    const to = path.join(folder, ...rel.split('/'));
    if ((await pathExists(from)) && !(await pathExists(to))) {
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.rename(from, to);
    }
  }
}

/** A restore a live process is running now (its component's backup lock is held). */
export interface RestoreInProgress {
  component: string;
  pid: number | null;
  run_id: string | null;
}

/** A restore a killed process left that could not be finished or undone: its journal is kept as found. */
export interface RestoreRecoveryFailure {
  component: string;
  folder: string | null;
  error: ErrorShape;
}

export interface RestoreRecovery {
  /** Folders put back as before, or fully restored. */
  touched: string[];
  busy: RestoreInProgress[];
  /** Recoveries that failed part-way: kept as found, not tried again by this process. */
  failed: RestoreRecoveryFailure[];
  /** Journals whose component lock could not be taken (not a live holder): untouched, tried again next time. */
  unlocked: RestoreRecoveryFailure[];
}

const RESTORE_JOURNAL = /^\.restore-(.+)\.json$/;

/** Finish or undo restores a crash interrupted (see RestoreJournal). Returns the folders it touched. */
export async function recoverInterruptedRestores(backupsDir: string, locksDir?: string): Promise<string[]> {
  const report = await recoverRestoreJournals(backupsDir, locksDir ? { locksDir } : {});
  const [failure] = [...report.failed, ...report.unlocked];
  if (failure) throw new UpkeepError(failure.error.code, failure.error.message, failure.error.details);
  return report.touched;
}

/**
 * Every restore journal in the backups folder: each is finished or undone under its component's
 * backup lock (`locksDir`), or reported as running (a live process holds the lock) or as failed.
 * A failed one keeps its journal and everything it names exactly as found; the steps are
 * idempotent, so the next process may try again, but nothing else may start a restore over it.
 */
export async function recoverRestoreJournals(backupsDir: string, options: { locksDir?: string; skip?: ReadonlySet<string>; protect?: readonly string[] } = {}): Promise<RestoreRecovery> {
  const report: RestoreRecovery = { touched: [], busy: [], failed: [], unlocked: [] };
  let names: string[];
  try {
    names = (await fs.readdir(backupsDir)).filter((n) => RESTORE_JOURNAL.test(n));
  } catch {
    return report;
  }
  for (const name of names) {
    const component = (RESTORE_JOURNAL.exec(name) as RegExpExecArray)[1] as string;
    if (options.skip?.has(component)) continue;
    let lock: HeldLock | null = null;
    if (options.locksDir) {
      try {
        lock = await acquireLock(options.locksDir, component, { host: 'backup', runId: `recover-restore-${process.pid}` });
      } catch (error) {
        const shape = toErrorShape(error);
        if (shape.code === 'UPDATE_IN_PROGRESS') {
          const details = shape.details as { pid?: number; run_id?: string } | undefined;
          report.busy.push({ component, pid: details?.pid ?? null, run_id: details?.run_id ?? null });
        } else {
          // The lock itself could not be taken: nothing was touched; asked again next time.
          report.unlocked.push({ component, folder: null, error: restoreRecoveryFailed(component, null, path.join(backupsDir, name), error) });
        }
        continue;
      }
    }
    const file = path.join(backupsDir, name);
    let folder: string | null = null;
    try {
      const done = await recoverOneRestore(file, (f) => (folder = f), options.protect ?? [backupsDir]);
      if (done) report.touched.push(done);
    } catch (error) {
      report.failed.push({ component, folder, error: restoreRecoveryFailed(component, folder, file, error) });
    } finally {
      await lock?.release();
    }
  }
  return report;
}

/** Every path a restore journal would move or delete, checked against the protected ones before any step. */
function refuseProtectedJournal(state: JournalState, protect: readonly string[]): void {
  const named = [state.folder, state.staging, ...(state.kind === 'full' ? [state.old] : state.kind === 'paths' ? state.pairs.flatMap((p) => [p.target, p.aside]) : [])];
  for (const p of named) {
    if (p === null) continue;
    if (typeof p !== 'string') throw new Error('its journal names a path that is not text (look at it, then remove it by hand)');
    const guarded = protect.find((g) => new DataDirGuard(g).conflict(p) !== null);
    if (guarded) throw new Error(`its journal would move or delete ${p}, which is, holds or lies within Upkeep's data directory (${guarded}); recovery never does that (look at the journal, then remove it by hand)`);
  }
}

function restoreRecoveryFailed(component: string, folder: string | null, journal: string, error: unknown): ErrorShape {
  const cause = error instanceof Error ? error.message : String(error);
  return {
    code: 'RECOVERY_FAILED',
    message:
      `A restore of ${component} was interrupted (Upkeep was stopped or crashed) and could not be finished or undone: ${cause}. ` +
      `Nothing more was changed: ${folder ?? 'its folder'} and the copies beside it are as the crash left them, and ${journal} records them. ` +
      'Fix the cause (free space, permissions, a missing drive), then run any upkeep command or restart Upkeep: it tries the same steps again, which never delete the previous copy.',
    details: { component, ...(folder ? { folder } : {}), journal },
  };
}

/**
 * One restore journal: finish or undo it; the folder it named, or null when it was gone or unreadable.
 * A journal naming a path that is, holds or lies within a protected one (the data directory) is
 * refused as it stands: recovery never moves or deletes Upkeep's own data.
 */
async function recoverOneRestore(file: string, named: (folder: string) => void, protect: readonly string[]): Promise<string | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null; // finished by its owner meanwhile
    throw error;
  }
  let state: JournalState;
  try {
    state = JSON.parse(text) as JournalState;
  } catch {
    throw new Error(`its journal ${file} is not readable JSON (look at it, then remove it by hand)`);
  }
  const { folder, staging } = state;
  named(folder);
  refuseProtectedJournal(state, protect);
  const exists = (p: string) => pathExists(p);
  if (state.kind === 'full') {
    const folderExists = await exists(folder);
    const oldExists = state.old !== null && (await exists(state.old));
    if (state.phase === 'committed' || (folderExists && oldExists) || (folderExists && state.old === null)) {
      // The new folder is in place: finish.
      if (state.old && oldExists) await rmTree(state.old);
    } else if (!folderExists && oldExists && state.old) {
      // Between the two renames: the old folder goes back, and what was carried over returns to it.
      await fs.rename(state.old, folder);
      await returnCarried(state.carried, staging, folder);
    } else if (folderExists) {
      // Not swapped yet: anything carried into staging goes back.
      await returnCarried(state.carried, staging, folder);
    } else if (await exists(staging)) {
      // Neither the folder nor the old copy: the verified staging tree is all there is.
      await fs.rename(staging, folder);
    }
  } else if (state.kind === 'paths') {
    if (state.phase === 'committed') {
      for (const p of state.pairs) if (p.existed && (await exists(p.aside))) await rmTree(p.aside);
    } else {
      for (const p of [...state.pairs].reverse()) {
        if (p.existed && (await exists(p.aside))) {
          if (await exists(p.target)) await rmTree(p.target);
          await fs.rename(p.aside, p.target);
        } else if (!p.existed && (await exists(p.target))) {
          await rmTree(p.target);
        }
      }
    }
  }
  await rmTree(staging);
  await fs.rm(file, { force: true });
  return folder;
}

function defaultName(type: BackupType, reason: BackupReason, now: Date): string {
  const stamp = now.toISOString().slice(0, 19).replace('T', ' ');
  return reason === 'manual' ? `${type} backup ${stamp}` : `${reason} ${type} backup ${stamp}`;
}

/** rm -rf that can also remove folders extracted without write permission. */
async function rmTree(target: string): Promise<void> {
  try {
    await fs.rm(target, { recursive: true, force: true });
  } catch {
    await makeWritable(target).catch(() => undefined);
    await fs.rm(target, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function makeWritable(dir: string): Promise<void> {
  const st = await fs.lstat(dir);
  if (!st.isDirectory()) return;
  await fs.chmod(dir, (st.mode & 0o777) | 0o700);
  for (const name of await fs.readdir(dir)) await makeWritable(path.join(dir, name));
}

/**
 * Full restore: the staging tree becomes the folder. What the backup excluded (node_modules, a
 * venv, logs) is moved over from the current folder first, so a restore never deletes it. The
 * old folder is kept until the new one is in place; any failure puts everything back.
 */
async function swapWholeFolder(folder: string, staging: string, exclude: Matcher, journal: RestoreJournal): Promise<void> {
  const folderStat = await fs.lstat(folder).catch(() => null);
  if (folderStat && !folderStat.isDirectory()) {
    throw new UpkeepError('INVALID_CONFIG', `${folder} is not a folder; move it away before restoring into it.`, { folder });
  }
  const carried: string[] = [];
  const parent = path.dirname(folder);
  const old = path.join(parent, `.${path.basename(folder)}.upkeep-old-${hex(4)}`);
  let swapped = false;
  try {
    const keep: string[] = [];
    if (folderStat) {
      await fs.chmod(staging, folderStat.mode & 0o7777);
      for (const rel of await findExcluded(folder, exclude)) {
        // Bytecode caches belong to the code being replaced: carried over, a .pyc compiled from the
        // newer source would still be used when its recorded mtime and size match the restored file.
        if (isDerivedCache(rel)) continue;
        if (!(await pathExists(path.join(staging, ...rel.split('/'))))) keep.push(rel);
      }
    }
    // Recorded before anything moves: a crash from here on is undone (or finished) by recover().
    await journal.write({ kind: 'full', folder, staging, old: folderStat ? old : null, carried: keep, phase: 'swapping' });
    if (folderStat) {
      for (const rel of keep) {
        const dst = path.join(staging, ...rel.split('/'));
        await fs.mkdir(path.dirname(dst), { recursive: true });
        await fs.rename(path.join(folder, ...rel.split('/')), dst);
        carried.push(rel);
      }
      await fs.rename(folder, old);
    }
    await fs.rename(staging, folder);
    swapped = true;
    await fsyncDir(parent);
  } catch (error) {
    // Put back what moved.
    if (!swapped && folderStat) {
      if (!(await pathExists(folder)) && (await pathExists(old))) await fs.rename(old, folder);
      for (const rel of carried.reverse()) {
        await fs.rename(path.join(staging, ...rel.split('/')), path.join(folder, ...rel.split('/'))).catch(() => undefined);
      }
      await fsyncDir(parent).catch(() => undefined);
    }
    if (!swapped) await journal.clear();
    throw error;
  }
  await journal.write({ kind: 'full', folder, staging, old: folderStat ? old : null, carried, phase: 'committed' });
  if (folderStat) await rmTree(old);
  // The journal stays 'committed' until the caller has removed staging too.
}

/**
 * Caches derived from the folder's code, which a restore drops rather than carries over: Python
 * bytecode (a `__pycache__/` anywhere, or `.pyc`/`.pyo` files a custom exclude left out).
 */
function isDerivedCache(rel: string): boolean {
  return rel.split('/').includes('__pycache__') || /\.py[co]$/.test(rel);
}

/**
 * After a restore of single files: the bytecode Python cached for a replaced `.py` would be
 * taken for the restored source when its recorded mtime and size match. Best effort; never
 * follows a `__pycache__` that is a link.
 */
async function dropBytecodeOf(file: string): Promise<void> {
  if (!file.endsWith('.py')) return;
  const cache = path.join(path.dirname(file), '__pycache__');
  const st = await fs.lstat(cache).catch(() => null);
  if (!st?.isDirectory()) return;
  const stem = `${path.basename(file, '.py')}.`;
  for (const name of await fs.readdir(cache).catch(() => [] as string[])) {
    if (name.startsWith(stem) && /\.py[co]$/.test(name)) await fs.rm(path.join(cache, name), { force: true }).catch(() => undefined);
  }
}

/** Top-most paths in `folder` the exclude patterns match (what a full backup left out). */
async function findExcluded(folder: string, exclude: Matcher): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string) => {
    const dir = rel ? path.join(folder, ...rel.split('/')) : folder;
    for (const d of await fs.readdir(dir, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      const isDir = d.isDirectory();
      if (exclude.matches(childRel, isDir)) out.push(childRel);
      else if (isDir) await visit(childRel);
    }
  };
  if (!exclude.empty) await visit('');
  return out;
}

/** Create `folder/…parts` one level at a time, refusing any step that resolves outside the folder. */
async function ensureDirInside(realFolder: string, folder: string, parts: string[], what: string): Promise<void> {
  let current = folder;
  for (const part of parts) {
    current = path.join(current, part);
    const st = await fs.lstat(current).catch(() => null);
    if (!st) {
      await fs.mkdir(current);
      continue;
    }
    const real = await fs.realpath(current);
    if (!isInside(realFolder, real)) {
      throw new UpkeepError('FORBIDDEN', `Restoring ${what} would write outside ${folder} (through the link ${current} → ${real}). Replace the link with a folder, or restore the whole backup instead.`, { path: what });
    }
    if (!(await fs.stat(current)).isDirectory()) {
      throw new UpkeepError('INVALID_REQUEST', `Restoring ${what} needs ${current} to be a folder, but it is a file. Move it away or restore the whole backup.`, { path: what });
    }
  }
}

/**
 * Partial restore: each root (a file, or a folder with everything in it) is replaced by its copy
 * from staging. The current one is renamed aside first and deleted only once every root is in
 * place; on any failure all roots are put back. SQLite WAL/journal files of a replaced database
 * are set aside with it (a stale WAL beside a restored database would corrupt it).
 */
async function swapPaths(folder: string, staging: string, roots: { path: string; kind: 'file' | 'dir' }[], journal: RestoreJournal): Promise<void> {
  await fs.mkdir(folder, { recursive: true });
  const realFolder = await fs.realpath(folder);
  const asideOf = (target: string) => path.join(path.dirname(target), `.${path.basename(target)}.upkeep-old-${hex(4)}`);
  // Plan every move first and record it: a crash part-way is then undone by recover().
  const plan: { target: string; aside: string; existed: boolean; from: string | null }[] = [];
  for (const root of roots) {
    const parts = root.path.split('/');
    const target = path.join(folder, ...parts);
    await ensureDirInside(realFolder, folder, parts.slice(0, -1), root.path);
    const names = [path.basename(target), ...(root.kind === 'file' && SQLITE_NAME.test(root.path) ? SQLITE_COMPANIONS.map((x) => `${path.basename(target)}${x}`) : [])];
    for (const name of names) {
      const current = path.join(path.dirname(target), name);
      const existed = await pathExists(current);
      if (!existed && name !== names[0]) continue;
      plan.push({ target: current, aside: asideOf(current), existed, from: name === names[0] ? path.join(staging, ...parts) : null });
    }
  }
  await journal.write({ kind: 'paths', folder, staging, pairs: plan.map(({ target, aside, existed }) => ({ target, aside, existed })), phase: 'swapping' });
  const done: typeof plan = [];
  try {
    for (const step of plan) {
      if (step.existed) await fs.rename(step.target, step.aside);
      done.push(step);
      if (step.from) await fs.rename(step.from, step.target);
      await fsyncDir(path.dirname(step.target));
    }
  } catch (error) {
    for (const d of [...done].reverse()) {
      if (d.from && (await pathExists(d.target)) && (!d.existed || (await pathExists(d.aside)))) await rmTree(d.target).catch(() => undefined);
      if (d.existed) await fs.rename(d.aside, d.target).catch(() => undefined);
    }
    await journal.clear();
    throw error;
  }
  await journal.write({ kind: 'paths', folder, staging, pairs: plan.map(({ target, aside, existed }) => ({ target, aside, existed })), phase: 'committed' });
  for (const d of plan) if (d.existed) await rmTree(d.aside);
  for (const root of roots) if (root.kind === 'file') await dropBytecodeOf(path.join(folder, ...root.path.split('/')));
  // The journal stays 'committed' until the caller has removed staging too.
}
