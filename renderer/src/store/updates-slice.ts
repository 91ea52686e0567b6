import type { CheckResult, ComponentSchedule, ErrorShape, LogLine, UpdateOutcome, UpdateProgress, UpdateResult, UpdateStatus, UpdateStep } from '../../../shared/types';
import { toErrorShape } from '../api';
import type { SliceCreator } from './types';

/** An update (or rollback) run as the panel follows it, from the engine's progress events. */
export interface RunState {
  runId: string | null;
  component: string;
  kind: 'update' | 'rollback';
  from: string | null;
  to: string | null;
  step: UpdateStep | null;
  /** Every step this run has entered, in order. */
  steps: UpdateStep[];
  percent: number | null;
  log: LogLine[];
  /** `queued`: waiting for its turn (updates run one after another). */
  status: 'queued' | 'running' | UpdateStatus;
  error: ErrorShape | null;
  backupId: string | null;
  /** Cancel was asked for: the run is stopping and rolling back. */
  cancelling?: boolean;
}

const MAX_LOG_LINES = 2000;

export interface UpdatesSlice {
  checks: Record<string, CheckResult>;
  checking: Record<string, boolean>;
  runs: Record<string, RunState>;
  /** Update policy, maintenance window and any deferral, per component. */
  schedules: Record<string, ComponentSchedule>;
  loadSchedules(): Promise<void>;
  /** Change a component's automatic updates; resolves to the error or null. */
  saveSchedule(id: string, autoUpdate: { enabled: boolean; window: string | null; min_release_age: string | null }): Promise<ErrorShape | null>;
  /** `quiet`: a background re-check (after a rollback) that does not announce its outcome. */
  checkComponents(ids?: string[], force?: boolean, options?: { quiet?: boolean }): Promise<void>;
  /** The last results from the version cache (no network), for the first paint. */
  loadCheckResults(): Promise<void>;
  /** Update these components one after another; progress arrives as events. */
  /** `packages`: for one environment component, upgrade only these packages. */
  updateComponents(ids: string[], options?: { packages?: string[]; downgrade?: boolean }): Promise<void>;
  dismissRun(component: string): void;
  /** Cancel a running update: it stops and rolls back, and History records it as cancelled. */
  cancelRun(component: string): Promise<void>;
  /** Skip one version of a component (null: offer it again); the row changes from the rebuilt check result. */
  skipVersion(id: string, version: string | null): Promise<void>;
  /** Hold a component at its installed version (false: release it). */
  holdComponent(id: string, hold: boolean): Promise<void>;
  // Event intake (called by the subscription module only).
  checkStarted(ids: string[]): void;
  checkReceived(result: CheckResult): void;
  runProgressed(progress: UpdateProgress): void;
  runLogged(line: LogLine): void;
  runFinished(status: UpdateStatus, outcome: UpdateOutcome): void;
}

function blankRun(component: string, patch: Partial<RunState> = {}): RunState {
  return { runId: null, component, kind: 'update', from: null, to: null, step: null, steps: [], percent: null, log: [], status: 'queued', error: null, backupId: null, ...patch };
}

const OUTCOME_TEXT: Record<UpdateStatus, string> = {
  succeeded: 'updated',
  failed: 'failed to update',
  rolled_back: 'was rolled back',
  skipped: 'was skipped',
  cancelled: 'was cancelled and rolled back',
};

export const createUpdatesSlice: SliceCreator<UpdatesSlice> = ({ api }) => (set, get) => {
  const patchRun = (component: string, patch: Partial<RunState> | ((run: RunState) => Partial<RunState>)) =>
    set((s) => {
      const current = s.runs[component] ?? blankRun(component);
      const next = typeof patch === 'function' ? patch(current) : patch;
      return { runs: { ...s.runs, [component]: { ...current, ...next } } };
    });

  /** After a successful update the installed version is the target: the row says Up to date without a new check. */
  const markInstalled = (component: string, version: string | null) =>
    set((s) => {
      const check = s.checks[component];
      if (!check || !version) return {};
      return { checks: { ...s.checks, [component]: { ...check, installed: version, update_available: false } } };
    });

  const applyResult = (r: UpdateResult) => {
    patchRun(r.id, (run) => ({
      status: r.status,
      from: r.from ?? run.from,
      to: r.to ?? run.to,
      error: r.error,
      backupId: r.backup_id,
      runId: r.run_id ?? run.runId,
      step: r.status === 'succeeded' ? 'commit' : run.step,
      percent: r.status === 'succeeded' ? 100 : run.percent,
    }));
    if (r.status === 'succeeded') markInstalled(r.id, r.to);
  };

  return {
    checks: {},
    checking: {},
    runs: {},
    schedules: {},

    async loadSchedules() {
      try {
        const view = await api.getSchedule({});
        set({ schedules: Object.fromEntries(view.components.map((c) => [c.id, c])) });
      } catch {
        // Without schedules rows simply do not show "Held".
      }
    },

    async saveSchedule(id, autoUpdate) {
      try {
        const schedule = await api.setSchedule({ id, auto_update: autoUpdate });
        set((s) => ({ schedules: { ...s.schedules, [id]: schedule } }));
        get().announce(`${schedule.name}: ${schedule.policy === 'auto' ? `updates install automatically (${schedule.window_description})` : 'updates wait for you'}.`, 'success');
        return null;
      } catch (error) {
        const shape = toErrorShape(error);
        get().announce(`Schedule not saved: ${shape.message} (${shape.code})`, 'error');
        return shape;
      }
    },

    async checkComponents(ids, force = false, options = {}) {
      const targets = ids ?? get().components.map((c) => c.id);
      if (targets.length === 0) return;
      get().checkStarted(targets);
      if (!options.quiet) get().announce(targets.length === 1 ? 'Checking for updates…' : `Checking ${targets.length} components for updates…`);
      try {
        const { components } = await api.checkComponents({ ...(ids ? { ids } : {}), force });
        set((s) => {
          const checks = { ...s.checks };
          const checking = { ...s.checking };
          for (const r of components) {
            checks[r.id] = r;
            checking[r.id] = false;
          }
          for (const id of targets) checking[id] = false;
          return { checks, checking };
        });
        // A held component still has a newer version, but it is not waiting to be installed.
        const available = components.filter((r) => r.update_available && !r.held);
        const failed = components.filter((r) => r.error);
        // "Everything is up to date" only when every check got through and nothing else is pending;
        // a failed check knows nothing, and a check of some components says nothing of the others.
        const pendingElsewhere = Object.values(get().checks).some((r) => r.update_available && !r.held && !targets.includes(r.id));
        const upToDate = components.length - failed.length - available.length;
        const parts =
          available.length > 0
            ? [available.length === 1 ? `1 update available (${available[0]!.name} ${available[0]!.latest})` : `${available.length} updates available`]
            : failed.length === 0 && !pendingElsewhere && components.length > 1
              ? ['Everything is up to date']
              : failed.length === 0 && components.length === 1
                ? [`${components[0]!.name} is up to date`]
                : upToDate > 0
                  ? [`${upToDate} up to date`]
                  : [];
        if (failed.length) parts.push(`${failed.length} ${failed.length === 1 ? 'check' : 'checks'} failed${failed.length === 1 ? `: ${failed[0]!.error!.message} (${failed[0]!.error!.code})` : ''}`);
        const sentence = parts.join('; ');
        if (!options.quiet) get().announce(`${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}${sentence.endsWith('.') ? '' : '.'}`, failed.length ? 'error' : available.length ? 'info' : 'success');
      } catch (error) {
        set((s) => ({ checking: { ...s.checking, ...Object.fromEntries(targets.map((id) => [id, false])) } }));
        get().reportError('Could not check for updates', toErrorShape(error));
      }
    },

    async loadCheckResults() {
      try {
        const { components } = await api.getCheckResults({});
        set((s) => {
          const checks = { ...s.checks };
          // Keep anything fresher that arrived meanwhile (events, a check).
          for (const r of components) if (!checks[r.id]) checks[r.id] = r;
          return { checks };
        });
      } catch {
        // Cached results only speed up the first paint; without them rows say "Not checked".
      }
    },

    async updateComponents(ids, options) {
      if (ids.length === 0) return;
      const nameOf = (id: string) => get().components.find((c) => c.id === id)?.name ?? id;
      for (const id of ids) {
        const check = get().checks[id];
        patchRun(id, { ...blankRun(id), from: check?.installed ?? null, to: check?.latest ?? null });
      }
      get().announce(ids.length === 1 ? `Updating ${nameOf(ids[0]!)}…` : `Updating ${ids.length} components…`);
      try {
        const { results } = await api.updateComponents({ ids, ...(options?.packages ? { packages: options.packages } : {}), ...(options?.downgrade ? { downgrade: true } : {}) });
        for (const r of results) applyResult(r);
        const counts = results.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
        if (results.length === 1) {
          const r = results[0]!;
          const tail = r.error ? `: ${r.error.message} (${r.error.code})` : r.to ? ` to ${r.to}` : '';
          get().announce(`${nameOf(r.id)} ${OUTCOME_TEXT[r.status]}${tail}`, r.status === 'succeeded' ? 'success' : r.status === 'skipped' ? 'info' : 'error');
        } else {
          const parts = (['succeeded', 'rolled_back', 'failed', 'cancelled', 'skipped'] as const).filter((k) => counts[k]).map((k) => `${counts[k]} ${k.replace('_', ' ')}`);
          get().announce(`Updates finished: ${parts.join(', ')}.`, counts.failed || counts.rolled_back ? 'error' : 'success');
        }
      } catch (error) {
        const shape = toErrorShape(error);
        for (const id of ids) {
          if (get().runs[id]?.status === 'queued' || get().runs[id]?.status === 'running') patchRun(id, { status: 'failed', error: shape });
        }
        get().reportError(ids.length === 1 ? `Could not update ${nameOf(ids[0]!)}` : 'Could not update', shape);
      }
      void get().loadHistory();
      void get().loadBackups();
    },

    async cancelRun(component) {
      const name = get().components.find((c) => c.id === component)?.name ?? component;
      patchRun(component, { cancelling: true });
      try {
        await api.cancelUpdate({ id: component });
        get().announce(`Cancelling the update of ${name}: it is being rolled back.`, 'info');
      } catch (error) {
        patchRun(component, { cancelling: false });
        get().reportError(`Could not cancel the update of ${name}`, toErrorShape(error));
      }
    },

    async skipVersion(id, version) {
      const name = get().components.find((c) => c.id === id)?.name ?? id;
      const before = get().checks[id]?.skipped_version ?? null;
      try {
        const choices = await api.skipVersion({ id, version });
        if (choices.result) get().checkReceived(choices.result);
        get().announce(
          version === null
            ? `${name}: ${before ?? 'the latest version'} is no longer skipped${choices.result?.update_available ? ' and is offered again' : ''}.`
            : `${name}: ${version} skipped. A newer version will be offered again.`,
          'success',
        );
      } catch (error) {
        get().reportError(version === null ? `Could not unskip ${name}` : `Could not skip ${version} of ${name}`, toErrorShape(error));
      }
    },

    async holdComponent(id, hold) {
      const name = get().components.find((c) => c.id === id)?.name ?? id;
      try {
        const choices = await api.holdComponent({ id, hold });
        if (choices.result) get().checkReceived(choices.result);
        get().announce(
          hold ? `${name} is held at ${choices.held_version ?? 'its installed version'}: Update all and automatic updates leave it alone.` : `${name} is released: its updates install again.`,
          'success',
        );
      } catch (error) {
        get().reportError(hold ? `Could not hold ${name}` : `Could not release ${name}`, toErrorShape(error));
      }
    },

    dismissRun: (component) =>
      set((s) => {
        const runs = { ...s.runs };
        delete runs[component];
        return { runs };
      }),

    checkStarted(ids) {
      set((s) => ({ checking: { ...s.checking, ...Object.fromEntries(ids.map((id) => [id, true])) } }));
    },

    checkReceived(result) {
      set((s) => ({ checks: { ...s.checks, [result.id]: result }, checking: { ...s.checking, [result.id]: false } }));
    },

    runProgressed(p) {
      patchRun(p.component, (run) => ({
        // A new run id means a new run (e.g. a rollback after an update): start its log afresh.
        ...(run.runId && run.runId !== p.run_id ? { log: [], error: null, backupId: null, steps: [] } : {}),
        runId: p.run_id,
        kind: p.kind,
        step: p.step,
        steps: (() => {
          const steps = run.runId && run.runId !== p.run_id ? [] : run.steps;
          return steps.includes(p.step) ? steps : [...steps, p.step];
        })(),
        percent: p.percent,
        status: 'running',
      }));
    },

    runLogged(line) {
      patchRun(line.component, (run) => ({ log: run.log.length >= MAX_LOG_LINES ? [...run.log.slice(-MAX_LOG_LINES + 1), line] : [...run.log, line] }));
    },

    runFinished(status, o) {
      patchRun(o.component, (run) => ({
        status,
        runId: o.run_id,
        from: o.from_version ?? run.from,
        to: o.to_version ?? run.to,
        error: o.error,
        percent: status === 'succeeded' ? 100 : run.percent,
        cancelling: false,
      }));
      if (status === 'succeeded' && get().runs[o.component]?.kind === 'update') markInstalled(o.component, o.to_version);
      // After a rollback (the engine reports a finished one as rolled back) the older version is back,
      // so its update is pending again: re-check quietly.
      if (get().runs[o.component]?.kind === 'rollback') void get().checkComponents([o.component], false, { quiet: true });
    },
  };
};
