import type { StoreApi } from 'zustand';
import type { UpdateResult } from '../../../shared/types';
import type { AppState } from './types';
import type { RunState, UpdatesSlice } from './updates-slice';

// How the updates slice keeps its runs: the run patchers its actions share, and the intake of the
// engine's events (progress, log lines, outcomes) that the subscription module calls.

type SetState = StoreApi<AppState>['setState'];
type GetState = StoreApi<AppState>['getState'];

const MAX_LOG_LINES = 2000;

export function blankRun(component: string, patch: Partial<RunState> = {}): RunState {
  return {
    runId: null,
    component,
    kind: 'update',
    from: null,
    to: null,
    step: null,
    steps: [],
    percent: null,
    log: [],
    status: 'queued',
    error: null,
    backupId: null,
    ...patch,
  };
}

export interface RunPatchers {
  patchRun(component: string, patch: Partial<RunState> | ((run: RunState) => Partial<RunState>)): void;
  markInstalled(component: string, version: string | null): void;
  applyResult(r: UpdateResult): void;
}

export function runPatchers(set: SetState): RunPatchers {
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

  return { patchRun, markInstalled, applyResult };
}

/** The event intake: what the subscription module calls as the engine's events arrive. */
export function runEventIntake(
  set: SetState,
  get: GetState,
  { patchRun, markInstalled }: RunPatchers,
): Pick<UpdatesSlice, 'dismissRun' | 'checkStarted' | 'checkReceived' | 'runProgressed' | 'runLogged' | 'runFinished'> {
  return {
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
      patchRun(line.component, (run) => ({
        log: run.log.length >= MAX_LOG_LINES ? [...run.log.slice(-MAX_LOG_LINES + 1), line] : [...run.log, line],
      }));
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
      if (status === 'succeeded' && get().runs[o.component]?.kind === 'update')
        markInstalled(o.component, o.to_version);
      // After a rollback (the engine reports a finished one as rolled back) the older version is back,
      // so its update is pending again: re-check quietly.
      if (get().runs[o.component]?.kind === 'rollback')
        void get().checkComponents([o.component], false, { quiet: true });
    },
  };
}
