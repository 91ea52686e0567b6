import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { InitiatedBy } from '../../../shared/contract';
import { fromErrorShape, toErrorShape, UpkeepError, type ErrorShape } from '../../../shared/errors';
import type { CheckResult, Component, HistoryEntry, UpdateResult, UpdateRunInfo, UpdateStatus, UpdateStep, UpdateTarget } from '../../../shared/types';
import type { HomeLayout } from '../config/home';
import type { VersionChoiceLookup } from '../config/version-choices';
import type { EventBus } from '../events';
import { assertApartFromDataDir } from '../lib/data-dir';
import { UPDATERS } from '../updaters/registry';
import { runCommand } from '../updaters/lib/exec';
import type { ExecOptions, Updater, UpdaterContext, UpdaterRegistry } from '../updaters/types';
import { checkHealth } from './health';
import { componentCredential } from '../net/credentials';
import { AttentionStore, attentionFor, openAttention } from './attention';
import { HistoryStore } from './history';
import { JournalStore, type RunJournal } from './journal';
import { acquireLock, type HeldLock } from './lock';
import { readRunLog, RunLog } from './run-log';

/** A run a live process holds: in progress, not interrupted. */
export interface RunInProgress {
  component: string;
  kind: RunJournal['kind'];
  run_id: string;
  step: UpdateStep;
  pid: number | null;
}

/** A run a killed process left whose recovery failed: kept as found (journal, folder, backup). */
export interface RunRecoveryFailure {
  component: string;
  run_id: string;
  error: ErrorShape;
}

export interface RunRecovery {
  /** Runs finished now: rolled back, or completed when they had committed. */
  recovered: UpdateResult[];
  busy: RunInProgress[];
  failed: RunRecoveryFailure[];
}

/** Upkeep's own component id: always updated last, after everything it manages. */
export const SELF_COMPONENT_ID = 'upkeep';

/** What the engine needs from the backup store (services.backups, adapted in services.ts). */
export interface EngineBackups {
  /** A full backup of `folder` before an update; returns its id. */
  createPreUpdate(component: Component, folder: string, info: { runId: string; version: string | null }): Promise<string>;
  /** Put the folder back exactly as the backup has it. */
  restore(backupId: string, options: { safetyBackup: boolean }): Promise<void>;
  /** Read the backup through as a restore would, writing nothing: null when it can be restored. */
  checkRestorable?(backupId: string): Promise<ErrorShape | null>;
}

export interface EngineChecks {
  checkOne(id: string, options: { force?: boolean; downgrade?: boolean }): Promise<CheckResult>;
  /** Forget the cached versions of a component whose installed version just changed. */
  /** What is installed changed; `installed` is what the run left, when it knows. */
  invalidate?(id: string, installed?: string | null): Promise<void>;
}

export interface UpdateEngineDeps {
  layout: HomeLayout;
  host: string;
  events: EventBus;
  components: { get(id: string): Component; list(): { components: Component[] }; patch?(id: string, patch: Record<string, unknown>): Component };
  settings: { get(): { min_free_space_mb: number; github_api_base: string; download_idle_timeout_s?: number } };
  secrets?: { get(key: string): string | undefined };
  /** Resolved lazily: the checks and backup services may be built after the engine. */
  checks: () => EngineChecks | undefined;
  backups: () => EngineBackups | undefined;
  updaters?: UpdaterRegistry;
  /** The user's holds and skipped versions: a held component is never updated unless asked for by id with force. */
  holds?: () => VersionChoiceLookup | undefined;
}

export interface UpdateOptions {
  force?: boolean;
  noBackup?: boolean;
  stopOnFailure?: boolean;
  initiatedBy: InitiatedBy;
  /** Environment components: upgrade only these packages (needs exactly one component id). */
  packages?: string[];
  /**
   * Install a release the check refuses as lower than the installed or the highest version seen
   * (what "ask for a downgrade" asks for): the preflight re-check offers it.
   */
  downgrade?: boolean;
  /** Called for each result as soon as its run ends (the CLI prints as it goes). */
  onResult?: (result: UpdateResult) => void;
}

const UPDATE_STEPS: UpdateStep[] = ['preflight', 'backup', 'download', 'verify', 'apply', 'install', 'migrate', 'restart', 'health', 'commit'];
const MIB = 1024 * 1024;

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

class StepFailure extends Error {
  constructor(
    readonly step: UpdateStep,
    readonly inner: unknown,
  ) {
    super('step failed');
  }
}

/**
 * The one update sequencer (ARCHITECTURE.md §4) and the only writer of a run's state:
 * preflight → backup → download → verify → apply → install → migrate → restart → health → commit,
 * or roll back. Each step is journaled (fsynced) before it starts, under a cross-process lock.
 */
export class UpdateEngine {
  readonly history: HistoryStore;
  private readonly attention: AttentionStore;
  readonly journals: JournalStore;
  private readonly updaters: UpdaterRegistry;
  private recovery: Promise<RunRecovery> | undefined;
  /** Runs whose recovery failed in this process, by component: kept as found, not retried here. */
  private readonly failedRecoveries = new Map<string, RunRecoveryFailure>();

  constructor(private readonly deps: UpdateEngineDeps) {
    this.history = new HistoryStore(deps.layout.history);
    this.attention = new AttentionStore(deps.layout.attention);
    this.journals = new JournalStore(deps.layout.journal);
    this.updaters = deps.updaters ?? UPDATERS;
  }

  // ───────────────────────────── public API ─────────────────────────────

  /** Update several components one after another; Upkeep's own entry goes last. */
  async updateComponents(ids: string[] | undefined, options: UpdateOptions): Promise<UpdateResult[]> {
    await this.recoverInterruptedRuns();
    if (options.packages && new Set(ids ?? []).size !== 1) {
      throw new UpkeepError('INVALID_REQUEST', 'Choosing packages needs exactly one component id: the environment whose packages they are.');
    }
    let targets: string[];
    if (ids && ids.length > 0) targets = [...new Set(ids)];
    else targets = this.deps.components.list().components.filter((c) => c.method !== null).map((c) => c.id);
    targets.sort((a, b) => Number(a === SELF_COMPONENT_ID) - Number(b === SELF_COMPONENT_ID));
    const results: UpdateResult[] = [];
    for (const id of targets) {
      const result = await this.updateOne(id, options, ids === undefined || ids.length === 0);
      results.push(result);
      options.onResult?.(result);
      if (options.stopOnFailure && (result.status === 'failed' || result.status === 'rolled_back')) break;
    }
    return results;
  }

  /** Restore the pre-update backup of a history entry; recorded in history as kind `rollback`. */
  async rollback(request: { component: string; to?: string; historyId?: string; initiatedBy: InitiatedBy }): Promise<{ result: UpdateResult; entry: HistoryEntry }> {
    await this.recoverInterruptedRuns();
    const component = this.deps.components.get(request.component);
    const entries = (await this.history.list({ component: component.id })).filter((e) => e.kind === 'update' && e.backup_id && e.status === 'succeeded');
    let entry: HistoryEntry | undefined;
    if (request.historyId) {
      entry = (await this.history.list({ component: component.id })).find((e) => e.id === request.historyId);
      if (!entry) throw new UpkeepError('NOT_FOUND', `No history entry ${request.historyId} for ${component.id}. Run \`upkeep history ${component.id}\` to see them.`);
      if (!entry.backup_id) throw new UpkeepError('BACKUP_NOT_FOUND', `History entry ${entry.id} has no pre-update backup (it ran with --no-backup); it cannot be rolled back.`);
    } else if (!request.to || request.to === 'last') {
      // The last update not undone already (a second rollback of it would restore the same backup).
      const listed = await this.listHistory({ component: component.id });
      entry = entries.find((e) => !listed.find((l) => l.id === e.id)?.undone_by);
      if (!entry) throw new UpkeepError('NOT_FOUND', `${component.id} has no successful update with a pre-update backup to roll back. Run \`upkeep history ${component.id}\`.`);
    } else {
      entry = entries.find((e) => e.from === request.to);
      if (!entry) {
        const known = [...new Set(entries.map((e) => e.from).filter(Boolean))].join(', ') || 'none';
        throw new UpkeepError('NOT_FOUND', `No update of ${component.id} from version ${request.to} with a backup (versions that can be restored: ${known}).`);
      }
    }
    this.refuseAfterFailedRecovery(component.id);
    const updater = this.updaterFor(component);
    const runId = newRunId();
    const lock = await acquireLock(this.deps.layout.locks, component.id, { host: this.deps.host, runId });
    const journal: RunJournal = this.newJournal(runId, 'rollback', component, request.initiatedBy, {
      from: entry.to,
      to: entry.from,
      target: entry.from ? { version: entry.from } : null,
      force: false,
      noBackup: false,
    });
    journal.backup = { id: entry.backup_id as string, kind: this.backupKind(component, updater) };
    journal.rollback_of = entry.id;
    journal.touched = true;
    const log = this.newLog(runId, component.id);
    try {
      log.write(`rolling ${component.id} back to ${entry.from ?? 'the version before'} from backup ${entry.backup_id} (update ${entry.id})`);
      const outcome = await this.runRollback(journal, component, updater, log, { safetyBackup: true });
      if (outcome.ok) this.recordCurrent(component, journal.to, log);
      const result = await this.finish(journal, component, log, outcome.ok ? 'succeeded' : 'failed', outcome.error);
      const history = (await this.history.get(runId)) as HistoryEntry;
      return { result, entry: history };
    } finally {
      await lock.release();
    }
  }

  async listHistory(options: { component?: string; limit?: number } = {}): Promise<HistoryEntry[]> {
    // A run a killed process left behind belongs in the history the panel shows: finish it first.
    await this.recoverInterruptedRuns();
    const entries = await this.history.list(options);
    // Undone: a later successful rollback restored this update's backup (older rollbacks name no
    // rollback_of, but they restore the update's own backup id).
    const all = options.limit === undefined ? entries : await this.history.list(options.component !== undefined ? { component: options.component } : {});
    const open = openAttention(all, (id) => this.attention.resolvedRun(id));
    const marked = entries.map((e) => (open.get(e.component)?.id === e.id ? { ...e, attention_open: true } : e));
    const rollbacks = all.filter((e) => e.kind === 'rollback' && e.status === 'succeeded');
    return marked.map((e) => {
      if (e.kind !== 'update' || e.status !== 'succeeded' || !e.backup_id) return e;
      const undo = rollbacks.find((r) => r.component === e.component && r.started_at > e.started_at && (r.rollback_of === e.id || (!r.rollback_of && r.backup_id === e.backup_id)));
      return { ...e, undone_by: undo?.id ?? null, backup_kind: this.backupKindOf(e.component) };
    });
  }

  /** What needs a person, by component: the open attention of each component's newest run. */
  async attentionOpen(): Promise<Map<string, HistoryEntry>> {
    return openAttention(await this.history.list({}), (id) => this.attention.resolvedRun(id));
  }

  /** A person looked at a component its last run left needing attention: it no longer says so. */
  async resolveAttention(id: string): Promise<HistoryEntry> {
    this.deps.components.get(id);
    const entry = (await this.attentionOpen()).get(id);
    if (!entry) throw new UpkeepError('NOT_FOUND', `${id} does not need attention: its last run left nothing to resolve.`, { id });
    await this.attention.resolve(id, entry.id);
    this.deps.events.emit('components_changed', { ids: [id] });
    return entry;
  }

  /** The kind of pre-update backup a component's method takes; null when it is gone. */
  private backupKindOf(id: string): 'store' | 'snapshot' | null {
    try {
      const component = this.deps.components.get(id);
      return this.backupKind(component, this.updaterFor(component));
    } catch {
      return null;
    }
  }

  async getRun(runId: string): Promise<UpdateRunInfo> {
    const journal = await this.journals.read(runId);
    if (journal && journal.phase !== 'finished') {
      return {
        run_id: journal.run_id,
        component: journal.component,
        kind: journal.kind,
        status: journal.phase === 'rolling_back' ? 'rolling_back' : 'running',
        step: journal.step,
        from: journal.from,
        to: journal.to,
        started_at: journal.started_at,
        finished_at: null,
        backup_id: journal.backup?.id ?? null,
        error: journal.error,
        initiated_by: journal.initiated_by,
      };
    }
    const entry = await this.history.get(runId);
    if (!entry) throw new UpkeepError('NOT_FOUND', `No update run ${runId}. It may have been refused before it started.`);
    return {
      run_id: entry.id,
      component: entry.component,
      kind: entry.kind === 'update' ? 'update' : 'rollback',
      status: entry.status,
      step: null,
      from: entry.from,
      to: entry.to,
      started_at: entry.started_at,
      finished_at: entry.finished_at,
      backup_id: entry.backup_id,
      error: entry.error,
      initiated_by: entry.initiated_by,
    };
  }

  async getRunLog(runId: string, options: { offset?: number; limit?: number } = {}) {
    const journal = await this.journals.read(runId);
    const component = journal?.component ?? (await this.history.get(runId))?.component ?? null;
    return readRunLog(this.deps.layout.logs, runId, component, options);
  }

  /**
   * Finish every run a killed process left behind: roll back what may have been changed, close
   * what was not, record each in history. Runs whose lock a live process holds are left alone.
   * Hosts call this at start; update methods call it first too. Safe to call repeatedly.
   */
  async recoverInterruptedRuns(): Promise<UpdateResult[]> {
    return (await this.recoverRuns()).recovered;
  }

  /**
   * recoverInterruptedRuns() with what it could not do: runs a live process holds (in progress,
   * not interrupted) and recoveries that failed. A failed one keeps its journal and is not tried
   * again by this process; the component is refused new updates and rollbacks until a later
   * start finishes it.
   */
  recoverRuns(): Promise<RunRecovery> {
    const previous = this.recovery ?? Promise.resolve(null);
    const run = previous.then(() => this.recoverNow());
    this.recovery = run.catch(() => ({ recovered: [], busy: [], failed: [] }));
    return run;
  }

  /** Refuse to start a run over one whose recovery failed (its journal would be overwritten in effect). */
  private refuseAfterFailedRecovery(component: string): void {
    const failed = this.failedRecoveries.get(component);
    if (failed) throw new UpkeepError(failed.error.code, failed.error.message, failed.error.details);
  }

  // ───────────────────────────── one update ─────────────────────────────

  private async updateOne(id: string, options: UpdateOptions, implicit: boolean): Promise<UpdateResult> {
    const refused = (error: unknown, status: UpdateStatus = 'failed', from: string | null = null, to: string | null = null): UpdateResult => ({
      id,
      from,
      to,
      status,
      backup_id: null,
      error: toErrorShape(error),
    });
    let component: Component;
    try {
      component = this.deps.components.get(id);
    } catch (error) {
      return refused(error);
    }
    if (!component.method) {
      return refused(new UpkeepError('UNSUPPORTED', `${id} has no update method; Upkeep can only report its new versions. Set \`method\` in its config to update it.`), 'skipped');
    }
    const held = this.deps.holds?.()?.get(id)?.held;
    if (held && (implicit || !options.force)) {
      const at = held.version ?? 'its installed version';
      const error = implicit
        ? new UpkeepError('UPDATE_HELD', `${component.name} is held at ${at}, so updating everything leaves it alone. Release the hold first (\`upkeep hold ${id} --release\`).`, { id, held_version: held.version })
        : new UpkeepError('UPDATE_HELD', `${component.name} is held at ${at}; release the hold first (\`upkeep hold ${id} --release\`, or Release hold in the panel), or update it by id with --force.`, { id, held_version: held.version });
      return refused(error, implicit ? 'skipped' : 'failed', held.version);
    }
    try {
      this.refuseAfterFailedRecovery(id);
    } catch (error) {
      return refused(error);
    }
    const updater = this.updaterFor(component);
    const runId = newRunId();
    let lock: HeldLock;
    try {
      lock = await acquireLock(this.deps.layout.locks, id, { host: this.deps.host, runId });
    } catch (error) {
      return refused(error);
    }
    try {
      return await this.runUpdate(runId, component, updater, options, implicit);
    } finally {
      await lock.release();
    }
  }

  private async runUpdate(runId: string, component: Component, updater: Updater, options: UpdateOptions, implicit: boolean): Promise<UpdateResult> {
    const journal = this.newJournal(runId, 'update', component, options.initiatedBy, {
      from: null,
      to: null,
      target: null,
      force: options.force ?? false,
      noBackup: options.noBackup ?? false,
    });
    if (options.packages) journal.packages = [...options.packages];
    const log = this.newLog(runId, component.id);
    const controller = new AbortController();
    let ctx: UpdaterContext | undefined;
    const step = async (name: UpdateStep, body: () => Promise<void>): Promise<void> => {
      journal.step = name;
      await this.journals.write(journal);
      this.progress(journal, null);
      try {
        await body();
      } catch (error) {
        throw new StepFailure(name, error);
      }
    };

    try {
      // Preflight: re-check the target, then the machine.
      let target: UpdateTarget | undefined;
      await step('preflight', async () => {
        log.write(`${journal.kind} of ${component.name} (${component.id}) with method ${component.method}, run ${runId}, started by ${options.initiatedBy}`);
        const checks = this.deps.checks();
        if (!checks) throw new UpkeepError('INTERNAL', 'The version check service is not available, so the update target cannot be re-checked.');
        const check = await checks.checkOne(component.id, { force: true, ...(options.downgrade ? { downgrade: true } : {}) });
        if (check.error) throw fromErrorShape(check.error);
        journal.from = check.installed;
        // A skipped version is offered as no update; --force installs it all the same.
        const skippedTarget = !check.update_available && check.skipped_version != null && check.skipped_version === check.latest;
        if (skippedTarget && !options.force) {
          throw new UpkeepError('NO_UPDATE', `${check.latest} of ${component.name} is skipped (you chose to skip this version). Unskip it (\`upkeep skip ${component.id} --clear\`) or update with --force to install it.`, { skipped_version: check.skipped_version });
        }
        if (!check.update_available && !options.force) {
          throw new UpkeepError('NO_UPDATE', `${component.name} is up to date (${check.installed ?? 'unknown'}${check.latest ? `, latest ${check.latest}` : ''}). Use --force to reinstall.`);
        }
        if (!check.update_available && !skippedTarget && check.installed && check.target && check.target.version !== check.installed) {
          // --force reinstalls; it never installs a lower version than the one running.
          throw new UpkeepError('DOWNGRADE_REFUSED', `${component.name} ${check.installed} is newer than ${check.target.version} on its channel; --force reinstalls but does not downgrade. To go back, use \`upkeep rollback ${component.id} --to VERSION\`.`, { installed: check.installed, target: check.target.version });
        }
        if (!check.target) {
          throw new UpkeepError('NO_UPDATE', `The check of ${component.name} found no release to install${check.latest ? ` (latest ${check.latest})` : ''}.`);
        }
        target = check.target;
        if (journal.packages && target.packages) {
          // A chosen subset of an environment: the run installs (and history names) only those.
          const chosen = target.packages.filter((p) => journal.packages?.includes(p.name) && p.target !== p.installed);
          const names = chosen.map((p) => `${p.name} ${p.target}`);
          if (chosen.length) target = { ...target, version: names.length > 3 ? `${names.slice(0, 3).join(', ')} +${names.length - 3} more` : names.join(', ') };
        }
        journal.target = target;
        journal.to = target.version;
        log.write(`installed ${check.installed ?? 'unknown'}, target ${target.version}${check.explanation ? ` (${check.explanation})` : ''}`);
        ctx = this.newContext(journal, component, target, log, controller.signal);
        // A token_env naming an unset variable stops the run here, before anything is changed.
        ctx.credential();
        await fs.mkdir(ctx.workDir, { recursive: true });
        await updater.preflight?.(ctx);
        await this.checkMachine(ctx, updater, log);
      });
      const c = ctx as unknown as UpdaterContext;

      if (!journal.no_backup) {
        await step('backup', async () => {
          journal.backup = await this.takeBackup(c, component, updater, log);
        });
      } else {
        log.write('warning: no pre-update backup (--no-backup); a failure cannot be rolled back');
      }
      if (updater.download) await step('download', () => (updater.download as NonNullable<Updater['download']>)(c));
      if (updater.verify) await step('verify', () => (updater.verify as NonNullable<Updater['verify']>)(c));
      journal.touched = true;
      await step('apply', () => updater.apply(c));
      const folder = component.config.folder ?? updater.folder(c);
      if (component.config.install?.length) {
        await step('install', async () => {
          for (const argv of component.config.install ?? []) await c.exec(argv, folder ? { cwd: folder } : {});
        });
      }
      if (component.config.migrations?.length) {
        await step('migrate', async () => {
          for (const argv of component.config.migrations ?? []) await c.exec(argv, folder ? { cwd: folder } : {});
        });
      }
      if (component.config.restart) {
        await step('restart', async () => {
          await c.exec(component.config.restart as string[], folder ? { cwd: folder } : {});
        });
      }
      if (component.config.health) {
        await step('health', () => checkHealth(component.config.health as NonNullable<Component['config']['health']>, c.exec, (l) => log.write(l), controller.signal));
      }
      await step('commit', async () => {
        await updater.commit?.(c);
        journal.phase = 'committed';
        await this.journals.write(journal);
        this.recordCurrent(component, journal.to, log);
      });
      await updater.cleanup?.(c).catch((error: unknown) => log.write(`cleanup: ${(error as Error).message}`));
      log.write(`${component.name} updated from ${journal.from ?? 'unknown'} to ${journal.to}`);
      return await this.finish(journal, component, log, 'succeeded', null);
    } catch (raw) {
      const failedStep = raw instanceof StepFailure ? raw.step : journal.step;
      const error = raw instanceof StepFailure ? raw.inner : raw;
      const shape = this.cleanError(error, log);
      if (shape.code === 'NO_UPDATE' && failedStep === 'preflight') {
        log.write(shape.message);
        await this.journals.remove(runId);
        return { id: component.id, from: journal.from, to: journal.to, status: 'skipped', backup_id: null, error: implicit ? null : shape, run_id: runId };
      }
      journal.error = shape;
      log.write(`${failedStep} failed: ${shape.message}`);
      const c = ctx ?? this.newContext(journal, component, { version: journal.to ?? '' }, log, controller.signal);
      let status: UpdateStatus = 'failed';
      let finalError: ErrorShape = shape;
      if (journal.touched && journal.backup && journal.rollback_on_failure) {
        const outcome = await this.runRollback(journal, component, updater, log, { safetyBackup: false }, c);
        if (outcome.ok) status = 'rolled_back';
        else finalError = { ...shape, message: `${shape.message} The automatic rollback also failed: ${outcome.error?.message ?? 'unknown error'}`, details: { ...(shape.details ?? {}), rollback_error: outcome.error } };
      } else if (journal.touched && !journal.backup) {
        finalError = { ...shape, message: `${shape.message} There is no pre-update backup (--no-backup), so ${component.name} may be partly updated; check it by hand.` };
      } else if (journal.touched && !journal.rollback_on_failure) {
        finalError = { ...shape, message: `${shape.message} rollback_on_failure is off, so ${component.name} was left as it is; backup ${journal.backup?.id} can be restored with \`upkeep rollback\`.` };
      }
      await updater.cleanup?.(c).catch((e: unknown) => log.write(`cleanup: ${(e as Error).message}`));
      return await this.finish(journal, component, log, status, finalError);
    } finally {
      await fs.rm(this.workDir(runId), { recursive: true, force: true }).catch(() => undefined);
    }
  }

  // ───────────────────────────── steps ─────────────────────────────

  private async checkMachine(ctx: UpdaterContext, updater: Updater, log: RunLog): Promise<void> {
    const folder = updater.folder(ctx);
    // Whatever the config says: a folder that is, holds or lies within the data directory (or is /)
    // is never backed up, written or restored by an update — before anything is changed.
    for (const [key, where] of [['folder', ctx.config.folder], [ctx.config.python ? 'python' : 'folder', folder]] as const) {
      if (where) assertApartFromDataDir(where, this.deps.layout.home, { what: `The folder of ${ctx.component.id} cannot be updated`, component: ctx.component.id, field: `components.${ctx.component.id}.${key}` });
    }
    if (folder) {
      const st = await fs.stat(folder).catch(() => null);
      if (!st?.isDirectory()) throw new UpkeepError('NOT_FOUND', `The folder ${folder} of ${ctx.component.id} does not exist. Fix \`folder\` in its config.`);
      for (const dir of [folder, path.dirname(folder)]) {
        await fs.access(dir, fs.constants.W_OK).catch(() => {
          throw new UpkeepError('FORBIDDEN', `Upkeep cannot write to ${dir}. Run it as the user that owns ${folder}, or fix the permissions.`);
        });
      }
    }
    const where = folder ?? this.deps.layout.home;
    const download = updater.downloadSize?.(ctx) ?? 0;
    const minMb = this.deps.settings.get().min_free_space_mb;
    const stat = await fs.statfs(where).catch(() => null);
    if (stat) {
      const free = Number(stat.bavail) * Number(stat.bsize);
      // The download and its extracted copy both land on this disk before anything is replaced.
      const needed = minMb * MIB + download * 2;
      if (free < needed) {
        throw new UpkeepError(
          'INSUFFICIENT_SPACE',
          `Only ${Math.floor(free / MIB)} MiB are free on the disk of ${where}; the update needs ${Math.ceil(needed / MIB)} MiB (min_free_space_mb ${minMb}${download ? ` plus twice the ${Math.ceil(download / MIB)} MiB download` : ''}). Free some space, or lower min_free_space_mb in Settings.`,
          { free_bytes: free, needed_bytes: needed },
        );
      }
      log.write(`${Math.floor(free / MIB)} MiB free on the disk of ${where}`);
    }
  }

  private backupKind(component: Component, updater: Updater): 'store' | 'snapshot' {
    const ctx = { config: component.config, component } as UpdaterContext;
    return updater.folder(ctx) && this.deps.backups() ? 'store' : 'snapshot';
  }

  private async takeBackup(ctx: UpdaterContext, component: Component, updater: Updater, log: RunLog): Promise<RunJournal['backup']> {
    const folder = updater.folder(ctx);
    const backups = this.deps.backups();
    if (folder && backups) {
      log.write(`backing up ${folder}`);
      const id = await backups.createPreUpdate(component, folder, { runId: ctx.runId, version: ctx.from });
      log.write(`pre-update backup ${id}`);
      // A backup that cannot be restored would turn any later failure into a half-updated folder:
      // find out now, while nothing has been changed.
      const problem = await backups.checkRestorable?.(id);
      if (problem) {
        throw new UpkeepError('BACKUP_CORRUPT', `The pre-update backup ${id} of ${component.name} could not be read back for a restore (${problem.message}), so a failed update could not be undone. Nothing was changed. Fix what the message names, or update with --no-backup at your own risk.`, { backup_id: id, cause: problem });
      }
      log.write(`pre-update backup ${id} reads back completely`);
      return { id, kind: 'store' };
    }
    if (updater.snapshot) {
      const id = await updater.snapshot.create(ctx);
      return { id, kind: 'snapshot' };
    }
    if (folder && !backups) throw new UpkeepError('INTERNAL', 'The backup service is not available; update with --no-backup to go on without a backup.');
    // No folder and no state of its own (a script, sleep_a_bit): there is nothing a backup could hold.
    log.write(`nothing to back up for method ${component.method} without a folder; a failure cannot be rolled back`);
    return null;
  }

  /** Restore the backup, rerun restart, re-check health. Journaled as rolling_back so a crash here is resumed. */
  private async runRollback(
    journal: RunJournal,
    component: Component,
    updater: Updater,
    log: RunLog,
    options: { safetyBackup: boolean },
    existing?: UpdaterContext,
  ): Promise<{ ok: boolean; error: ErrorShape | null }> {
    const backup = journal.backup;
    if (!backup) return { ok: false, error: { code: 'BACKUP_NOT_FOUND', message: 'There is no backup to restore.' } };
    // Stopped in apply: nothing has run in the new tree yet, so the previous one can be swapped back.
    const inApply = journal.kind === 'update' && journal.step === 'apply';
    journal.phase = 'rolling_back';
    journal.step = 'rollback';
    await this.journals.write(journal);
    this.progress(journal, null);
    const ctx = existing ?? this.newContext(journal, component, journal.target ?? { version: journal.to ?? '' }, log, new AbortController().signal);
    // A restore puts back the version the run started from.
    const rollbackCtx: UpdaterContext = journal.kind === 'update' ? ctx : { ...ctx, from: journal.to };
    try {
      log.write(`restoring backup ${backup.id}`);
      if (backup.kind === 'store' && inApply && (await updater.revert?.(rollbackCtx))) {
        log.write(`the previous tree was swapped back; backup ${backup.id} was not needed and is kept`);
      } else if (backup.kind === 'store') {
        const backups = this.deps.backups();
        if (!backups) throw new UpkeepError('INTERNAL', `The backup service is not available; restore backup ${backup.id} by hand with \`upkeep backup restore ${backup.id}\`.`);
        await backups.restore(backup.id, { safetyBackup: options.safetyBackup });
        await updater.afterRestore?.(rollbackCtx);
      } else {
        if (!updater.snapshot) throw new UpkeepError('UNSUPPORTED', `Method ${component.method} cannot restore backup ${backup.id}.`);
        await updater.snapshot.restore(rollbackCtx, backup.id);
      }
      log.write(`backup ${backup.id} restored`);
    } catch (error) {
      const shape = this.cleanError(error, log);
      log.write(`rollback failed: ${shape.message}`);
      return { ok: false, error: shape };
    }
    const folder = component.config.folder ?? updater.folder(ctx);
    const problems: string[] = [];
    if (component.config.restart) {
      try {
        await ctx.exec(component.config.restart, folder ? { cwd: folder } : {});
      } catch (error) {
        problems.push(`the restart after the rollback failed: ${this.cleanError(error, log).message}`);
      }
    }
    if (component.config.health && problems.length === 0) {
      try {
        await checkHealth(component.config.health, ctx.exec, (l) => log.write(l), new AbortController().signal);
      } catch (error) {
        problems.push(`the health check after the rollback failed: ${this.cleanError(error, log).message}`);
      }
    }
    if (problems.length) {
      // The files are back; the service is not healthy — say so without calling the restore a failure.
      log.write(`warning: ${problems.join('; ')}`);
      if (journal.kind === 'update' && journal.error) journal.error = { ...journal.error, message: `${journal.error.message} The previous version was restored, but ${problems.join('; ')}.` };
      if (journal.kind === 'rollback') return { ok: false, error: { code: 'HEALTH_CHECK_FAILED', message: `Backup ${backup.id} was restored, but ${problems.join('; ')}.` } };
    }
    return { ok: true, error: null };
  }

  private async finish(journal: RunJournal, component: Component, log: RunLog, status: UpdateStatus, error: ErrorShape | null): Promise<UpdateResult> {
    const finishedAt = new Date().toISOString();
    const finalError = error ?? (status === 'rolled_back' ? journal.error : null);
    const entry: HistoryEntry = {
      id: journal.run_id,
      component: component.id,
      kind: journal.kind,
      from: journal.from,
      to: journal.to,
      status,
      started_at: journal.started_at,
      finished_at: finishedAt,
      backup_id: journal.backup?.id ?? null,
      ...(journal.kind === 'rollback' && journal.rollback_of ? { rollback_of: journal.rollback_of } : {}),
      error: finalError ? redactShape(finalError, log) : null,
      duration_ms: Math.max(0, Date.parse(finishedAt) - Date.parse(journal.started_at)),
      initiated_by: journal.initiated_by,
    };
    const attention = attentionFor(entry, journal.touched);
    if (attention) entry.needs_attention = attention;
    journal.phase = 'finished';
    journal.finished_status = status === 'skipped' ? 'failed' : status;
    journal.finished_at = finishedAt;
    journal.error = entry.error;
    await this.journals.write(journal);
    if (!(await this.history.get(entry.id))) await this.history.append(entry);
    await this.journals.remove(journal.run_id);
    // What the run left installed: the target when it succeeded, the old version when it was rolled
    // back or never touched the component; unknown when a touched component's rollback failed.
    const left = status === 'succeeded' ? journal.to : status === 'rolled_back' || !journal.touched ? journal.from : undefined;
    await this.deps.checks()?.invalidate?.(component.id, left).catch(() => undefined);
    log.write(`finished: ${status}${entry.error ? ` — ${entry.error.message}` : ''}`);
    this.progress(journal, 100, true);
    const outcome = { component: component.id, from_version: journal.from, to_version: journal.to, run_id: journal.run_id, error: entry.error };
    if (journal.kind === 'update') {
      if (status === 'succeeded') this.deps.events.emit('update_succeeded', outcome);
      else if (status === 'rolled_back') this.deps.events.emit('update_rolled_back', outcome);
      else this.deps.events.emit('update_failed', outcome);
    } else if (status === 'succeeded') this.deps.events.emit('update_rolled_back', outcome);
    else this.deps.events.emit('update_failed', outcome);
    this.deps.events.emit('components_changed', { ids: [component.id] });
    return { id: component.id, from: entry.from, to: entry.to, status, backup_id: entry.backup_id, error: entry.error, run_id: journal.run_id };
  }

  // ───────────────────────────── recovery ─────────────────────────────

  private async recoverNow(): Promise<RunRecovery> {
    const report: RunRecovery = { recovered: [], busy: [], failed: [] };
    const transient: RunRecoveryFailure[] = [];
    for (const journal of await this.journals.list()) {
      if (this.failedRecoveries.has(journal.component)) continue;
      let lock: HeldLock;
      try {
        lock = await acquireLock(this.deps.layout.locks, journal.component, { host: this.deps.host, runId: `recover-${journal.run_id}` });
      } catch (error) {
        const shape = toErrorShape(error);
        if (shape.code === 'UPDATE_IN_PROGRESS') {
          // A live process owns this run: it is in progress, not interrupted.
          const details = shape.details as { pid?: number } | undefined;
          report.busy.push({ component: journal.component, kind: journal.kind, run_id: journal.run_id, step: journal.step, pid: details?.pid ?? null });
        } else {
          // The lock itself could not be taken (permissions, a full disk): nothing was touched; asked again next time.
          transient.push(this.recoveryFailed(journal, error));
        }
        continue;
      }
      try {
        const again = await this.journals.read(journal.run_id);
        if (!again) continue; // finished by its owner meanwhile
        report.recovered.push(await this.recoverOne(again));
      } catch (error) {
        // One broken run must not block the others; it stays as found for a later start.
        const failure = this.recoveryFailed(journal, error);
        this.failedRecoveries.set(journal.component, failure);
      } finally {
        await lock.release();
      }
    }
    report.failed = [...this.failedRecoveries.values(), ...transient];
    return report;
  }

  private recoveryFailed(journal: RunJournal, error: unknown): RunRecoveryFailure {
    const cause = error instanceof Error ? error.message : String(error);
    const backup = journal.backup
      ? ` Its pre-update backup ${journal.backup.id} is kept; once the cause is fixed, \`upkeep backup restore ${journal.backup.id}\` puts the previous version back by hand.`
      : '';
    return {
      component: journal.component,
      run_id: journal.run_id,
      error: {
        code: 'RECOVERY_FAILED',
        message:
          `The ${journal.kind} of ${journal.component} (run ${journal.run_id}) was interrupted at step ${journal.step} and finishing it failed: ${cause}. ` +
          `Its journal (${this.journals.file(journal.run_id)}) and the folder are kept as they are, and ${journal.component} is not updated again until this is resolved.${backup} ` +
          'Fix the cause (free space, permissions, a missing drive), then run any upkeep command or restart Upkeep: it tries again.',
        details: { component: journal.component, run_id: journal.run_id, step: journal.step, ...(journal.backup ? { backup_id: journal.backup.id } : {}) },
      },
    };
  }

  private async recoverOne(journal: RunJournal): Promise<UpdateResult> {
    const log = this.newLog(journal.run_id, journal.component);
    let component: Component;
    try {
      component = this.deps.components.get(journal.component);
    } catch {
      // The component was removed since: close the run as it stands.
      component = { id: journal.component, name: journal.component, type: 'always_current', method: journal.method, channel: 'stable', source: { kind: 'settings' }, config: { type: 'always_current', method: journal.method } } as Component;
    }
    const updater = this.updaters[journal.method];
    const ctx = this.newContext(journal, component, journal.target ?? { version: journal.to ?? '' }, log, new AbortController().signal);
    log.write(`found run ${journal.run_id} interrupted at ${journal.step} (phase ${journal.phase}); finishing it`);
    if (journal.phase === 'finished') {
      const status = journal.finished_status ?? 'failed';
      return this.finish(journal, component, log, status, journal.error);
    }
    if (journal.phase === 'committed') {
      await updater.commit?.(ctx);
      await updater.cleanup?.(ctx).catch(() => undefined);
      this.recordCurrent(component, journal.to, log);
      return this.finish(journal, component, log, 'succeeded', null);
    }
    const interrupted: ErrorShape = {
      code: 'CANCELLED',
      message: `The ${journal.kind} was interrupted at step ${journal.step} (Upkeep was stopped or crashed).`,
    };
    journal.error = journal.error ?? interrupted;
    if (journal.kind === 'rollback') {
      const outcome = await this.runRollback(journal, component, updater, log, { safetyBackup: false }, ctx);
      await updater.cleanup?.(ctx).catch(() => undefined);
      return this.finish(journal, component, log, outcome.ok ? 'succeeded' : 'failed', outcome.ok ? null : outcome.error);
    }
    if (journal.touched && journal.backup && journal.rollback_on_failure) {
      const outcome = await this.runRollback(journal, component, updater, log, { safetyBackup: false }, ctx);
      await updater.cleanup?.(ctx).catch(() => undefined);
      if (outcome.ok) return this.finish(journal, component, log, 'rolled_back', { ...journal.error, message: `${journal.error.message} The previous version was restored.` });
      return this.finish(journal, component, log, 'failed', { ...journal.error, message: `${journal.error.message} Restoring backup ${journal.backup.id} failed: ${outcome.error?.message}` });
    }
    await updater.cleanup?.(ctx).catch(() => undefined);
    const note = !journal.touched
      ? ' Nothing had been changed yet.'
      : !journal.backup
        ? ` There was no pre-update backup, so ${component.name} may be partly updated; check it by hand.`
        : ` rollback_on_failure is off; backup ${journal.backup.id} can be restored with \`upkeep rollback\`.`;
    return this.finish(journal, component, log, 'failed', { ...journal.error, message: `${journal.error.message}${note}` });
  }

  // ───────────────────────────── helpers ─────────────────────────────

  private updaterFor(component: Component): Updater {
    const updater = component.method ? this.updaters[component.method] : undefined;
    if (!updater) throw new UpkeepError('UNSUPPORTED', `${component.id} has no update method.`);
    return updater;
  }

  private newJournal(
    runId: string,
    kind: RunJournal['kind'],
    component: Component,
    initiatedBy: InitiatedBy,
    init: { from: string | null; to: string | null; target: UpdateTarget | null; force: boolean; noBackup: boolean },
  ): RunJournal {
    return {
      version: 1,
      run_id: runId,
      kind,
      component: component.id,
      method: component.method as RunJournal['method'],
      from: init.from,
      to: init.to,
      target: init.target,
      force: init.force,
      no_backup: init.noBackup,
      initiated_by: initiatedBy,
      host: this.deps.host,
      pid: process.pid,
      started_at: new Date().toISOString(),
      step: kind === 'update' ? 'preflight' : 'rollback',
      phase: 'running',
      backup: null,
      touched: false,
      rollback_on_failure: component.config.rollback_on_failure !== false,
      error: null,
      state: {},
    };
  }

  private newLog(runId: string, component: string): RunLog {
    const log = new RunLog(this.deps.layout.logs, runId, component, (line) => this.deps.events.emit('update_log', line));
    log.addSecret(this.deps.secrets?.get('github_token'));
    return log;
  }

  private workDir(runId: string): string {
    return path.join(this.deps.layout.cache, 'runs', runId);
  }

  private newContext(journal: RunJournal, component: Component, target: UpdateTarget, log: RunLog, signal: AbortSignal): UpdaterContext {
    const config = component.config;
    for (const envName of [config.api_key_env, config.token_env]) if (envName) log.addSecret(process.env[envName]);
    const workDir = this.workDir(journal.run_id);
    const stateDir = path.join(this.deps.layout.home, 'state', component.id);
    const defaultCwd = config.folder;
    return {
      runId: journal.run_id,
      component,
      config,
      target,
      from: journal.from,
      force: journal.force,
      ...(journal.packages ? { packages: journal.packages } : {}),
      home: this.deps.layout,
      workDir,
      stateDir,
      state: journal.state,
      saveState: () => this.journals.write(journal),
      log: (line, stream) => log.write(line, stream ?? 'message'),
      progress: (percent) => this.progress(journal, percent),
      exec: async (argv, options: ExecOptions = {}) => {
        await fs.mkdir(workDir, { recursive: true });
        log.write(`$ ${argv.join(' ')}`);
        const cwd = options.cwd ?? defaultCwd;
        return runCommand(argv, (line, stream) => log.write(line, stream), { ...options, ...(cwd ? { cwd } : {}), signal });
      },
      addSecret: (value) => log.addSecret(value),
      // The GitHub token goes only to github_api_base's origin, never to the component's api_base elsewhere.
      credential: () => componentCredential(config, { githubApiBase: this.deps.settings.get().github_api_base, githubToken: this.deps.secrets?.get('github_token'), env: process.env }),
      downloadIdleTimeoutMs: (this.deps.settings.get().download_idle_timeout_s ?? 60) * 1000,
      signal,
    };
  }

  private progress(journal: RunJournal, stepPercent: number | null, done = false): void {
    const index = journal.kind === 'update' ? UPDATE_STEPS.indexOf(journal.step) : 0;
    const steps = journal.kind === 'update' ? UPDATE_STEPS.length : 1;
    const within = stepPercent === null ? 0 : Math.max(0, Math.min(100, stepPercent)) / 100;
    const percent = done ? 100 : Math.round(((Math.max(0, index) + within) / steps) * 1000) / 10;
    this.deps.events.emit('update_progress', {
      run_id: journal.run_id,
      component: journal.component,
      kind: journal.kind,
      step: journal.step,
      percent,
      step_percent: stepPercent === null ? null : Math.round(stepPercent * 10) / 10,
    });
  }

  /** A component with a static `current` (OctoPrint) gets the new version written back. */
  private recordCurrent(component: Component, version: string | null, log: RunLog): void {
    if (!version || component.config.current === undefined || component.config.current === version) return;
    if (component.source.kind !== 'settings' || !this.deps.components.patch) {
      log.write(`note: ${component.id} has a fixed \`current\` version in ${component.source.kind === 'drop-in' ? component.source.file : 'its config'}; set it to ${version}`);
      return;
    }
    try {
      this.deps.components.patch(component.id, { current: version });
    } catch (error) {
      log.write(`note: could not record ${version} as current: ${(error as Error).message}`);
    }
  }

  /** The error as it may leave the engine: secrets redacted from the message and every detail. */
  private cleanError(error: unknown, log: RunLog): ErrorShape {
    return redactShape(toErrorShape(error), log);
  }
}

function redactShape(shape: ErrorShape, log: RunLog): ErrorShape {
  const clean = (value: unknown): unknown => {
    if (typeof value === 'string') return log.clean(value);
    if (Array.isArray(value)) return value.map(clean);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)]));
    return value;
  };
  const out: ErrorShape = { code: shape.code, message: log.clean(shape.message) };
  if (shape.details !== undefined) out.details = clean(shape.details) as Record<string, unknown>;
  return out;
}
