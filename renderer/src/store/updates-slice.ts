import type {
  CheckResult,
  ComponentSchedule,
  ErrorShape,
  LogLine,
  UpdateOutcome,
  UpdateProgress,
  UpdateStatus,
  UpdateStep,
} from '../../../shared/types';
import { toErrorShape } from '../api';
import { blankRun, runEventIntake, runPatchers } from './run-events';
import { scheduleActions, versionChoiceActions } from './update-choices';
import type { SliceCreator } from './types';
import { checkAnnouncement, updatesAnnouncement } from './update-announcements';

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

export interface UpdatesSlice {
  checks: Record<string, CheckResult>;
  checking: Record<string, boolean>;
  runs: Record<string, RunState>;
  /** Update policy, maintenance window and any deferral, per component. */
  schedules: Record<string, ComponentSchedule>;
  loadSchedules(): Promise<void>;
  /** Change a component's automatic updates; resolves to the error or null. */
  saveSchedule(
    id: string,
    autoUpdate: { enabled: boolean; window: string | null; min_release_age: string | null },
  ): Promise<ErrorShape | null>;
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

export const createUpdatesSlice: SliceCreator<UpdatesSlice> =
  ({ api }) =>
  (set, get) => {
    const patchers = runPatchers(set);
    const { patchRun, applyResult } = patchers;

    return {
      checks: {},
      checking: {},
      runs: {},
      schedules: {},
      ...runEventIntake(set, get, patchers),
      ...scheduleActions(api, set, get),
      ...versionChoiceActions(api, get),

      async checkComponents(ids, force = false, options = {}) {
        const targets = ids ?? get().components.map((c) => c.id);
        if (targets.length === 0) return;
        get().checkStarted(targets);
        if (!options.quiet)
          get().announce(
            targets.length === 1 ? 'Checking for updates…' : `Checking ${targets.length} components for updates…`,
          );
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
          const { sentence, tone } = checkAnnouncement(components, targets, Object.values(get().checks));
          if (!options.quiet) get().announce(sentence, tone);
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
          const { results } = await api.updateComponents({
            ids,
            ...(options?.packages ? { packages: options.packages } : {}),
            ...(options?.downgrade ? { downgrade: true } : {}),
          });
          for (const r of results) applyResult(r);
          const { sentence, tone } = updatesAnnouncement(results, nameOf);
          get().announce(sentence, tone);
        } catch (error) {
          const shape = toErrorShape(error);
          for (const id of ids) {
            if (get().runs[id]?.status === 'queued' || get().runs[id]?.status === 'running')
              patchRun(id, { status: 'failed', error: shape });
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
    };
  };
