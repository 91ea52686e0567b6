import type { InitiatedBy } from '../../../shared/contract';
import { toErrorShape, UpkeepError } from '../../../shared/errors';
import type {
  CancelResult,
  Component,
  HistoryEntry,
  UpdateResult,
  UpdateRunInfo,
  UpdateStatus,
} from '../../../shared/types';
import type { VersionChoice } from '../config/version-choices';
import { withRunLog } from '../lib/log';
import { UPDATERS } from '../updaters/registry';
import type { Updater, UpdaterRegistry } from '../updaters/types';
import { AttentionStore, openAttention } from './attention';
import { HistoryStore } from './history';
import { JournalStore, type RunJournal } from './journal';
import { acquireLock, type HeldLock } from './lock';
import { finishRun } from './outcome';
import { RunRecoverer } from './recovery';
import { runRollback } from './rollback';
import { newRunId, RunKit } from './run-kit';
import { readRunLog, type RunLog } from './run-log';
import { runUpdate } from './run-update';
import { SELF_COMPONENT_ID, type RunRecovery, type UpdateEngineDeps, type UpdateOptions } from './types';

// The engine's parts, each in its own module; these re-exports keep `engine/engine` the one import.
export { newRunId } from './run-kit';
export { SELF_COMPONENT_ID } from './types';
export type {
  EngineBackups,
  EngineChecks,
  RunInProgress,
  RunRecovery,
  RunRecoveryFailure,
  UpdateEngineDeps,
  UpdateOptions,
} from './types';

/**
 * The one update sequencer (ARCHITECTURE.md §4) and the only writer of a run's state:
 * preflight → backup → download → verify → apply → install → migrate → restart → health → commit,
 * or roll back. Each step is journaled (fsynced) before it starts, under a cross-process lock.
 * The sequence is run-update.ts, its steps preflight.ts, backup-step.ts and rollback.ts, the
 * outcome outcome.ts and crash recovery recovery.ts; this class is their public face.
 */
export class UpdateEngine {
  readonly history: HistoryStore;
  private readonly attention: AttentionStore;
  readonly journals: JournalStore;
  private readonly updaters: UpdaterRegistry;
  private readonly kit: RunKit;
  private readonly recoverer: RunRecoverer;

  constructor(private readonly deps: UpdateEngineDeps) {
    this.history = new HistoryStore(deps.layout.history);
    this.attention = new AttentionStore(deps.layout.attention);
    this.journals = new JournalStore(deps.layout.journal);
    this.updaters = deps.updaters ?? UPDATERS;
    this.kit = new RunKit(deps, this.journals, this.history, this.updaters);
    this.recoverer = new RunRecoverer(this.kit);
  }

  // ───────────────────────────── public API ─────────────────────────────

  /** Update several components one after another; Upkeep's own entry goes last. */
  async updateComponents(ids: string[] | undefined, options: UpdateOptions): Promise<UpdateResult[]> {
    await this.recoverInterruptedRuns();
    if (options.packages && new Set(ids ?? []).size !== 1) {
      throw new UpkeepError(
        'INVALID_REQUEST',
        'Choosing packages needs exactly one component id: the environment whose packages they are.',
      );
    }
    let targets: string[];
    if (ids && ids.length > 0) targets = [...new Set(ids)];
    else
      targets = this.deps.components
        .list()
        .components.filter((c) => c.method !== null)
        .map((c) => c.id);
    targets.sort((a, b) => Number(a === SELF_COMPONENT_ID) - Number(b === SELF_COMPONENT_ID));
    const results: UpdateResult[] = [];
    for (const id of targets) {
      // Cancelling everything (Ctrl+C) starts no further component.
      if (this.kit.cancels.stopped) break;
      const result = await this.updateOne(id, options, ids === undefined || ids.length === 0);
      results.push(result);
      options.onResult?.(result);
      if (options.stopOnFailure && (result.status === 'failed' || result.status === 'rolled_back')) break;
    }
    return results;
  }

  /** Cancel the running update of a component (or run id), in this process or the lock holder's (CANCEL_TOO_LATE after its commit point). */
  cancel(id: string, by: string): Promise<CancelResult> {
    return this.kit.cancels.cancel(id, by);
  }

  /** Cancel whatever this process is updating and start no further update in it (Ctrl+C in the CLI). */
  cancelAll(by: string): CancelResult[] {
    return this.kit.cancels.cancelAll(by);
  }

  /** Restore the pre-update backup of a history entry; recorded in history as kind `rollback`. */
  async rollback(request: {
    component: string;
    to?: string;
    historyId?: string;
    initiatedBy: InitiatedBy;
  }): Promise<{ result: UpdateResult; entry: HistoryEntry }> {
    await this.recoverInterruptedRuns();
    const component = this.deps.components.get(request.component);
    const entries = (await this.history.list({ component: component.id })).filter(
      (e) => e.kind === 'update' && e.backup_id && e.status === 'succeeded',
    );
    let entry: HistoryEntry | undefined;
    if (request.historyId) {
      entry = (await this.history.list({ component: component.id })).find((e) => e.id === request.historyId);
      if (!entry)
        throw new UpkeepError(
          'NOT_FOUND',
          `No history entry ${request.historyId} for ${component.id}; the component's history lists them.`,
        );
      if (!entry.backup_id)
        throw new UpkeepError(
          'BACKUP_NOT_FOUND',
          `History entry ${entry.id} has no pre-update backup (it ran without a backup); it cannot be rolled back.`,
        );
    } else if (!request.to || request.to === 'last') {
      // The last update not undone already (a second rollback of it would restore the same backup).
      const listed = await this.listHistory({ component: component.id });
      entry = entries.find((e) => !listed.find((l) => l.id === e.id)?.undone_by);
      if (!entry)
        throw new UpkeepError(
          'NOT_FOUND',
          `${component.id} has no successful update with a pre-update backup to roll back; the component's history lists its updates.`,
        );
    } else {
      entry = entries.find((e) => e.from === request.to);
      if (!entry) {
        const known = [...new Set(entries.map((e) => e.from).filter(Boolean))].join(', ') || 'none';
        throw new UpkeepError(
          'NOT_FOUND',
          `No update of ${component.id} from version ${request.to} with a backup (versions that can be restored: ${known}).`,
        );
      }
    }
    this.recoverer.refuseAfterFailedRecovery(component.id);
    const updater = this.kit.updaterFor(component);
    const runId = newRunId();
    const lock = await acquireLock(this.deps.layout.locks, component.id, { host: this.deps.host, runId });
    const journal: RunJournal = this.kit.newJournal(runId, 'rollback', component, request.initiatedBy, {
      from: entry.to,
      to: entry.from,
      target: entry.from ? { version: entry.from } : null,
      force: false,
      noBackup: false,
    });
    journal.backup = { id: entry.backup_id as string, kind: this.kit.backupKind(component, updater) };
    journal.rollback_of = entry.id;
    journal.touched = true;
    const log = this.kit.newLog(runId, component.id);
    const undoing = entry;
    try {
      return await withRunLog(log, () => this.rollbackRun(journal, component, undoing, updater, log));
    } finally {
      await lock.release();
    }
  }

  /** The rollback run itself, under its lock, with records of the logger in its run log. */
  private async rollbackRun(
    journal: RunJournal,
    component: Component,
    entry: HistoryEntry,
    updater: Updater,
    log: RunLog,
  ): Promise<{ result: UpdateResult; entry: HistoryEntry }> {
    log.write(
      `rolling ${component.id} back to ${entry.from ?? 'the version before'} from backup ${entry.backup_id} (update ${entry.id})`,
    );
    const outcome = await runRollback(this.kit, journal, component, updater, log, { safetyBackup: true });
    if (outcome.ok) this.kit.recordCurrent(component, journal.to, log);
    const result = await finishRun(
      this.kit,
      journal,
      component,
      log,
      outcome.ok ? 'succeeded' : 'failed',
      outcome.error,
    );
    const history = (await this.history.get(journal.run_id)) as HistoryEntry;
    return { result, entry: history };
  }

  async listHistory(options: { component?: string; limit?: number } = {}): Promise<HistoryEntry[]> {
    // A run a killed process left behind belongs in the history the panel shows: finish it first.
    await this.recoverInterruptedRuns();
    const entries = await this.history.list(options);
    // Undone: a later successful rollback restored this update's backup (older rollbacks name no
    // rollback_of, but they restore the update's own backup id).
    const all =
      options.limit === undefined
        ? entries
        : await this.history.list(options.component !== undefined ? { component: options.component } : {});
    const open = openAttention(all, (id) => this.attention.resolvedRun(id));
    const marked = entries.map((e) => (open.get(e.component)?.id === e.id ? { ...e, attention_open: true } : e));
    const rollbacks = all.filter((e) => e.kind === 'rollback' && e.status === 'succeeded');
    return marked.map((e) => {
      if (e.kind !== 'update' || e.status !== 'succeeded' || !e.backup_id) return e;
      const undo = rollbacks.find(
        (r) =>
          r.component === e.component &&
          r.started_at > e.started_at &&
          (r.rollback_of === e.id || (!r.rollback_of && r.backup_id === e.backup_id)),
      );
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
    if (!entry)
      throw new UpkeepError('NOT_FOUND', `${id} does not need attention: its last run left nothing to resolve.`, {
        id,
      });
    await this.attention.resolve(id, entry.id);
    this.deps.events.emit('components_changed', { ids: [id] });
    return entry;
  }

  /** The kind of pre-update backup a component's method takes; null when it is gone. */
  private backupKindOf(id: string): 'store' | 'snapshot' | null {
    try {
      const component = this.deps.components.get(id);
      return this.kit.backupKind(component, this.kit.updaterFor(component));
    } catch {
      // The component was removed since that run: its entry names no backup kind.
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
    if (!entry)
      throw new UpkeepError('NOT_FOUND', `No update run ${runId}. It may have been refused before it started.`);
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
    return this.recoverer.recoverRuns();
  }

  // ───────────────────────────── one update ─────────────────────────────

  private async updateOne(id: string, options: UpdateOptions, implicit: boolean): Promise<UpdateResult> {
    const refused = (
      error: unknown,
      status: UpdateStatus = 'failed',
      from: string | null = null,
      to: string | null = null,
    ): UpdateResult => ({
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
      return refused(
        new UpkeepError(
          'UNSUPPORTED',
          `${id} has no update method; Upkeep can only report its new versions. Set \`method\` in its config to update it.`,
        ),
        'skipped',
      );
    }
    let held: VersionChoice['held'];
    try {
      held = this.deps.holds?.()?.get(id)?.held;
    } catch (error) {
      // A holds file that cannot be read (STATE_CORRUPT): whether this component is held is unknown,
      // so it is refused; the other components of an update-all go on.
      return refused(error);
    }
    if (held && (implicit || !options.force)) {
      const at = held.version ?? 'its installed version';
      const error = implicit
        ? new UpkeepError(
            'UPDATE_HELD',
            `${component.name} is held at ${at}, so updating everything leaves it alone. Release the hold first.`,
            { id, held_version: held.version },
            { action: 'release_hold' },
          )
        : new UpkeepError(
            'UPDATE_HELD',
            `${component.name} is held at ${at}; release the hold first, or force the update of it by id.`,
            { id, held_version: held.version },
            { action: 'release_hold' },
          );
      return refused(error, implicit ? 'skipped' : 'failed', held.version);
    }
    try {
      this.recoverer.refuseAfterFailedRecovery(id);
    } catch (error) {
      return refused(error);
    }
    const updater = this.kit.updaterFor(component);
    const runId = newRunId();
    let lock: HeldLock;
    try {
      lock = await acquireLock(this.deps.layout.locks, id, { host: this.deps.host, runId });
    } catch (error) {
      return refused(error);
    }
    try {
      return await runUpdate(this.kit, runId, component, updater, options, implicit);
    } finally {
      await lock.release();
    }
  }
}
