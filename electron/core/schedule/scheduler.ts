import { toErrorShape } from '../../../shared/errors';
import type { Settings } from '../../../shared/schemas/settings';
import type {
  CheckResult,
  Component,
  Deferral,
  HistoryEntry,
  RunDueResult,
  ScheduleView,
  UpdateOutcome,
  UpdateResult,
} from '../../../shared/types';
import type { VersionChoiceLookup } from '../config/version-choices';
import { SELF_COMPONENT_ID } from '../engine/engine';
import type { EventBus } from '../events';
import { componentView } from './component-view';
import { decide } from './decide';
import { policyOf } from './policy';
import { environmentChoice } from './env-packages';
import { iso, parseTime, recordCheck, recordUpdate } from './record';
import { SchedulerStateStore, type ComponentScheduleState, type SchedulerState } from './state';
import { windowAt } from './window';
import { systemTimeZone } from './zoned-time';

/** Time as the scheduler sees it: injected, so tests drive it with a fake clock. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** The checks service as the scheduler uses it (electron/core/checkers/service.ts). */
export interface SchedulerChecks {
  check(ids: string[], options: { force?: boolean }): Promise<CheckResult[]>;
}

/** The update engine as the scheduler uses it. */
export interface SchedulerUpdates {
  updateComponents(ids: string[], options: { initiatedBy: 'schedule'; packages?: string[] }): Promise<UpdateResult[]>;
}

export interface SchedulerDeps {
  clock: Clock;
  /** The data directory: scheduler state lives in `<home>/schedule-state.json`. */
  home: string;
  events: EventBus;
  components: { list(): { components: Component[] } };
  settings: { get(): Pick<Settings, 'check_interval_hours' | 'cache_ttl_hours'> & { time_zone?: string } };
  history: { readAll(): Promise<HistoryEntry[]> };
  /** Resolved on use: the services may be built after the scheduler. Absent: that part is skipped. */
  checks: () => SchedulerChecks | undefined;
  updates: () => SchedulerUpdates | undefined;
  /** Overrides settings.time_zone (tests pass explicit zones). */
  timeZone?: string;
  /** The user's holds: a held component is deferred with reason `held`. */
  holds?: () => VersionChoiceLookup | undefined;
}

export interface RunDueOptions {
  /** The first pass after a host starts: checks whatever the cache no longer covers. */
  startup?: boolean;
}

const HOUR = 3_600_000;

/**
 * Decides what is due and does it: background checks every `check_interval_hours` (and at start-up
 * when the cache has expired), and auto-updates of `auto` components inside their maintenance
 * windows. Passes never overlap within a process; across processes the engine's lock keeps two
 * hosts from updating the same component.
 */
export class Scheduler {
  readonly store: SchedulerStateStore;
  private chain: Promise<unknown> = Promise.resolve();
  /** Versions announced by this process, so a result seen twice (pass + event) is announced once. */
  private readonly announced = new Map<string, string>();
  /** While a pass runs its own checks, their check_result events are the pass's to record. */
  private passChecking = false;

  constructor(private readonly deps: SchedulerDeps) {
    this.store = new SchedulerStateStore(deps.home);
  }

  timeZone(): string {
    return this.deps.timeZone || this.deps.settings.get().time_zone || systemTimeZone();
  }

  private intervalMs(): number {
    return this.deps.settings.get().check_interval_hours * HOUR;
  }

  /** When a component is next checked: its last check plus the interval; now when never checked. */
  private nextCheckAt(s: ComponentScheduleState | undefined, now: number): number {
    const last = parseTime(s?.last_checked_at);
    return last === null ? now : last + this.intervalMs();
  }

  /** Resolves when queued passes and noted check results are done (hosts on shutdown, tests). */
  async idle(): Promise<void> {
    await this.chain;
  }

  /** One pass: check what is due, apply the auto-updates that may run now, record the rest. */
  runDue(options: RunDueOptions = {}): Promise<RunDueResult> {
    const pass = this.chain.then(() => this.pass(options));
    // The chain only orders passes; the caller gets this pass and its error.
    this.chain = pass.catch(() => undefined);
    return pass;
  }

  private async pass(options: RunDueOptions): Promise<RunDueResult> {
    const { clock, events } = this.deps;
    const now = clock.now();
    const tz = this.timeZone();
    const state = this.store.read();
    const components = this.deps.components.list().components;
    const touched = new Set<string>();

    // Forget components that are gone.
    for (const id of Object.keys(state.components)) {
      if (!components.some((c) => c.id === id)) {
        delete state.components[id];
        touched.add(id);
      }
    }
    const checked = await this.checkDue(state, components, options, now, tz, touched);
    const { updated, deferred } = await this.autoUpdate(state, components, tz, touched);

    state.last_pass = iso(now);
    await this.store.write(state);
    if (touched.size) events.emit('schedule_changed', { ids: [...touched].sort() });
    return {
      at: iso(now),
      checked,
      updated,
      deferred,
      next_check_at: this.globalNextCheck(state, components, clock.now()),
    };
  }

  /** A pass's checks: of what is due, recorded in the state. */
  private async checkDue(
    state: SchedulerState,
    components: Component[],
    options: RunDueOptions,
    now: number,
    tz: string,
    touched: Set<string>,
  ): Promise<RunDueResult['checked']> {
    const settings = this.deps.settings.get();
    // 1. Checks: what the interval (or, at start-up, the cache lifetime) says is stale, plus auto
    //    components whose window has opened since their last check (fresh facts before updating).
    //    The version cache answers when it is younger than the interval; a window opening, or a
    //    cache kept longer than the interval, asks upstream (conditional requests keep that cheap).
    const startupThreshold = Math.min(this.intervalMs(), settings.cache_ttl_hours * HOUR);
    const cacheOutlivesInterval = settings.cache_ttl_hours * HOUR > this.intervalMs();
    const toCheck: Component[] = [];
    const forced = new Set<string>();
    for (const c of components) {
      const s = state.components[c.id];
      const last = parseTime(s?.last_checked_at);
      let due =
        last === null ||
        now - last >= this.intervalMs() ||
        (options.startup === true && now - last >= startupThreshold);
      if (due && last !== null && cacheOutlivesInterval) forced.add(c.id);
      const policy = policyOf(c.config);
      if (policy.enabled && policy.window && last !== null) {
        const w = windowAt(policy.window, now, tz, 0);
        if (w.open && last < w.start) {
          due = true;
          forced.add(c.id);
        }
      }
      if (due) toCheck.push(c);
    }
    const checked: RunDueResult['checked'] = [];
    const checks = toCheck.length ? this.deps.checks() : undefined;
    if (checks) {
      const results: CheckResult[] = [];
      let failure: ReturnType<typeof toErrorShape> | null = null;
      const groups = [toCheck.filter((c) => !forced.has(c.id)), toCheck.filter((c) => forced.has(c.id))];
      this.passChecking = true;
      try {
        for (const [i, group] of groups.entries()) {
          if (group.length === 0) continue;
          try {
            results.push(
              ...(await checks.check(
                group.map((c) => c.id),
                { force: i === 1 },
              )),
            );
          } catch (error) {
            failure = toErrorShape(error);
          }
        }
      } finally {
        this.passChecking = false;
      }
      for (const c of toCheck) {
        const s = (state.components[c.id] ??= {});
        touched.add(c.id);
        const result = results.find((r) => r.id === c.id);
        if (!result) {
          const shape = failure ?? { code: 'CHECK_FAILED' as const, message: `No check result for ${c.id}.` };
          s.last_checked_at = iso(now);
          s.check_error = { code: shape.code, message: shape.message };
          checked.push({
            id: c.id,
            installed: s.installed ?? null,
            latest: s.latest ?? null,
            update_available: false,
            error: shape,
          });
          continue;
        }
        recordCheck(c, s, result, now, this.announced, this.deps.events);
        checked.push({
          id: c.id,
          installed: result.installed,
          latest: result.latest,
          update_available: result.update_available,
          error: result.error,
        });
      }
      state.last_check_run = iso(now);
    }
    return checked;
  }

  /** A pass's auto-updates: run those whose policy allows it now, defer the rest with why. */
  private async autoUpdate(
    state: SchedulerState,
    components: Component[],
    tz: string,
    touched: Set<string>,
  ): Promise<Pick<RunDueResult, 'updated' | 'deferred'>> {
    // 2. Auto-updates, one at a time; the clock is read again before each, so a long first update
    //    cannot push a later one past its window.
    const { clock } = this.deps;
    const entries = await this.deps.history.readAll();
    const updated: UpdateResult[] = [];
    const deferred: Deferral[] = [];
    // Upkeep's own entry last, as the engine orders a batch: it may restart the process.
    const inOrder = [...components].sort(
      (a, b) => Number(a.id === SELF_COMPONENT_ID) - Number(b.id === SELF_COMPONENT_ID),
    );
    for (const c of inOrder) {
      const s = state.components[c.id];
      const policy = policyOf(c.config);
      if (!policy.enabled || !s?.update_available || !s.latest) {
        if (s?.deferral) {
          s.deferral = null;
          touched.add(c.id);
        }
        continue;
      }
      const at = clock.now();
      const decision = decide(c, s, entries, at, tz, this.deps.holds?.());
      if (decision.action === 'defer') {
        const deferral: Deferral = {
          component: c.id,
          target: s.latest,
          reason: decision.reason,
          message: decision.message,
          until: decision.until !== null ? iso(decision.until) : null,
          at: iso(at),
        };
        // The same deferral pass after pass is no news: the panel hears only of changes.
        const before = s.deferral;
        if (
          !before ||
          before.reason !== deferral.reason ||
          before.until !== deferral.until ||
          before.target !== deferral.target
        )
          touched.add(c.id);
        s.deferral = deferral;
        deferred.push(deferral);
        continue;
      }
      touched.add(c.id);
      const updates = this.deps.updates();
      if (!updates) continue;
      s.deferral = null;
      let result: UpdateResult;
      try {
        const envChoice = s.packages ? environmentChoice(policy, s.packages) : null;
        const results = await updates.updateComponents([c.id], {
          initiatedBy: 'schedule',
          ...(envChoice && 'packages' in envChoice ? { packages: envChoice.packages } : {}),
        });
        result = results[0] ?? {
          id: c.id,
          from: s.installed ?? null,
          to: s.latest,
          status: 'skipped',
          backup_id: null,
          error: null,
        };
      } catch (error) {
        result = {
          id: c.id,
          from: s.installed ?? null,
          to: s.latest,
          status: 'failed',
          backup_id: null,
          error: toErrorShape(error),
        };
      }
      if (result.error?.code === 'UPDATE_HELD') {
        // Held between the decision and the run (by another process): not a failure.
        const deferral: Deferral = {
          component: c.id,
          target: s.latest,
          reason: 'held',
          message: result.error.message,
          until: null,
          at: iso(clock.now()),
        };
        s.deferral = deferral;
        deferred.push(deferral);
        continue;
      }
      if (result.error?.code === 'UPDATE_IN_PROGRESS') {
        // Another process holds the component's lock: not a failure, just not now.
        const deferral: Deferral = {
          component: c.id,
          target: s.latest,
          reason: 'update_in_progress',
          message: `${result.error.message} The scheduler tries again on its next pass.`,
          until: null,
          at: iso(clock.now()),
        };
        s.deferral = deferral;
        deferred.push(deferral);
        continue;
      }
      updated.push(result);
      recordUpdate(s, result, clock.now());
    }
    return { updated, deferred };
  }

  /**
   * A check made outside a pass (the panel's "Check for updates", `upkeep check`): remember what it
   * found, so the schedule shows it and an update it reveals is announced once.
   */
  noteCheckResult(result: CheckResult): Promise<void> {
    if (this.passChecking) return Promise.resolve();
    const job = this.chain.then(async () => {
      const component = this.deps.components.list().components.find((c) => c.id === result.id);
      if (!component) return;
      const state = this.store.read();
      const s = (state.components[result.id] ??= {});
      recordCheck(component, s, result, this.deps.clock.now(), this.announced, this.deps.events);
      await this.store.write(state);
      this.deps.events.emit('schedule_changed', { ids: [result.id] });
    });
    // The chain only orders jobs; the caller gets this job and its error.
    this.chain = job.catch(() => undefined);
    return job;
  }

  /**
   * An update succeeded (from the panel, the CLI or a pass): what the component now has.
   * Queued after the check results the run itself produced (the engine re-checks before updating),
   * so those cannot bring a just-installed update back as pending.
   */
  noteUpdateSucceeded(outcome: UpdateOutcome): Promise<void> {
    const job = this.chain.then(async () => {
      const state = this.store.read();
      const s = state.components[outcome.component];
      if (!s) return;
      s.installed = outcome.to_version;
      if (!s.latest || s.latest === outcome.to_version) {
        s.update_available = false;
        s.deferral = null;
      }
      await this.store.write(state);
      this.deps.events.emit('schedule_changed', { ids: [outcome.component] });
    });
    // The chain only orders jobs; the caller gets this job and its error.
    this.chain = job.catch(() => undefined);
    return job;
  }

  private globalNextCheck(state: SchedulerState, components: Component[], now: number): string | null {
    if (components.length === 0) return null;
    return iso(Math.min(...components.map((c) => this.nextCheckAt(state.components[c.id], now))));
  }

  /** Schedules as the panel and `upkeep schedule` show them. */
  async view(now = this.deps.clock.now(), onlyId?: string): Promise<ScheduleView> {
    const tz = this.timeZone();
    const state = this.store.read();
    const all = this.deps.components.list().components;
    const entries = await this.deps.history.readAll();
    const components = all
      .filter((c) => onlyId === undefined || c.id === onlyId)
      .map((c) =>
        componentView(c, state.components[c.id], entries, now, tz, this.nextCheckAt(state.components[c.id], now)),
      );
    return {
      time_zone: tz,
      check_interval_hours: this.deps.settings.get().check_interval_hours,
      last_check_run: state.last_check_run,
      next_check_at: this.globalNextCheck(state, all, now),
      components,
    };
  }
}
