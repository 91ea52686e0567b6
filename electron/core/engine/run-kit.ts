import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { InitiatedBy } from '../../../shared/contract';
import { toErrorShape, UpkeepError, type ErrorShape } from '../../../shared/errors';
import type { Component, UpdateStep, UpdateTarget } from '../../../shared/types';
import { runCommand } from '../updaters/lib/exec';
import type { ExecOptions, Updater, UpdaterContext, UpdaterRegistry } from '../updaters/types';
import { componentCredential } from '../net/credentials';
import { CancelRegistry } from './cancel';
import type { HistoryStore } from './history';
import { UPDATE_STEPS, type JournalStore, type RunJournal } from './journal';
import { RunLog } from './run-log';
import type { UpdateEngineDeps } from './types';

/** The steps a successful update goes through, for its progress fraction. */
const FORWARD_STEPS: readonly UpdateStep[] = UPDATE_STEPS.filter((step) => step !== 'rollback');

export function newRunId(): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/**
 * What every part of a run shares (ARCHITECTURE.md §4): the engine's dependencies and stores, and
 * the makers of a run's journal, log and updater context. The sequence, preflight, rollback,
 * outcome and recovery modules take one of these; the engine owns it.
 */
export class RunKit {
  /** The runs of this process a cancel can reach, and cancels of other processes' runs (cancel.ts). */
  readonly cancels: CancelRegistry;

  constructor(
    readonly deps: UpdateEngineDeps,
    readonly journals: JournalStore,
    readonly history: HistoryStore,
    readonly updaters: UpdaterRegistry,
  ) {
    this.cancels = new CancelRegistry({
      locksDir: deps.layout.locks,
      journals,
      history,
      isComponent: (id) => deps.components.list().components.some((c) => c.id === id),
    });
  }

  updaterFor(component: Component): Updater {
    const updater = component.method ? this.updaters[component.method] : undefined;
    if (!updater) throw new UpkeepError('UNSUPPORTED', `${component.id} has no update method.`);
    return updater;
  }

  backupKind(component: Component, updater: Updater): 'store' | 'snapshot' {
    const ctx = { config: component.config, component } as UpdaterContext;
    return updater.folder(ctx) && this.deps.backups() ? 'store' : 'snapshot';
  }

  newJournal(
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

  newLog(runId: string, component: string): RunLog {
    const log = new RunLog(this.deps.layout.logs, runId, component, (line) =>
      this.deps.events.emit('update_log', line),
    );
    log.addSecret(this.deps.secrets?.get('github_token'));
    return log;
  }

  workDir(runId: string): string {
    return path.join(this.deps.layout.cache, 'runs', runId);
  }

  newContext(
    journal: RunJournal,
    component: Component,
    target: UpdateTarget,
    log: RunLog,
    signal: AbortSignal,
  ): UpdaterContext {
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
        return runCommand(argv, (line, stream) => log.write(line, stream), {
          ...options,
          ...(cwd ? { cwd } : {}),
          signal,
        });
      },
      addSecret: (value) => log.addSecret(value),
      // The GitHub token goes only to github_api_base's origin, never to the component's api_base elsewhere.
      credential: () =>
        componentCredential(config, {
          githubApiBase: this.deps.settings.get().github_api_base,
          githubToken: this.deps.secrets?.get('github_token'),
          env: process.env,
        }),
      downloadIdleTimeoutMs: (this.deps.settings.get().download_idle_timeout_s ?? 60) * 1000,
      signal,
    };
  }

  progress(journal: RunJournal, stepPercent: number | null, done = false): void {
    const index = journal.kind === 'update' ? FORWARD_STEPS.indexOf(journal.step) : 0;
    const steps = journal.kind === 'update' ? FORWARD_STEPS.length : 1;
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
  recordCurrent(component: Component, version: string | null, log: RunLog): void {
    if (!version || component.config.current === undefined || component.config.current === version) return;
    if (component.source.kind !== 'settings' || !this.deps.components.patch) {
      log.write(
        `note: ${component.id} has a fixed \`current\` version in ${component.source.kind === 'drop-in' ? component.source.file : 'its config'}; set it to ${version}`,
      );
      return;
    }
    try {
      this.deps.components.patch(component.id, { current: version });
    } catch (error) {
      log.write(`note: could not record ${version} as current: ${(error as Error).message}`);
    }
  }

  /** The error as it may leave the engine: secrets redacted from the message and every detail. */
  cleanError(error: unknown, log: RunLog): ErrorShape {
    return redactShape(toErrorShape(error), log);
  }
}

export function redactShape(shape: ErrorShape, log: RunLog): ErrorShape {
  const clean = (value: unknown): unknown => {
    if (typeof value === 'string') return log.clean(value);
    if (Array.isArray(value)) return value.map(clean);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)]));
    return value;
  };
  const out: ErrorShape = { code: shape.code, message: log.clean(shape.message) };
  if (shape.details !== undefined) out.details = clean(shape.details) as Record<string, unknown>;
  if (shape.action !== undefined) out.action = shape.action;
  return out;
}
