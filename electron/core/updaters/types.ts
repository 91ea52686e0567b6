import { UpkeepError } from '../../../shared/errors';
import type { ComponentConfig, ConfigOfMethod, UpdateMethod } from '../../../shared/schemas/component';
import type { Component, UpdateTarget } from '../../../shared/types';
import type { HomeLayout } from '../config/home';
import type { ScopedCredential } from '../net/credentials';

export type LogStream = 'stdout' | 'stderr' | 'message';

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Kill the command after this long (default 30 minutes). */
  timeoutMs?: number;
  /** Resolve with the exit code instead of throwing COMMAND_FAILED. */
  allowFailure?: boolean;
  /** Do not echo stdout into the run log (e.g. `git diff` output saved to a file). */
  quiet?: boolean;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * What the engine hands an updater for one run. Updaters never sequence steps, write history or
 * touch the journal: they do their step and report through `log` and `progress`.
 */
export interface UpdaterContext<C extends ComponentConfig = ComponentConfig> {
  runId: string;
  component: Component;
  /** The component's config; an updater's own context holds its method's config (see defineUpdater). */
  config: C;
  target: UpdateTarget;
  /** Installed version before the run, when known. */
  from: string | null;
  force: boolean;
  /** Environment methods (pip_env, npm_env, apt): upgrade only these packages (all outdated ones when absent). */
  packages?: string[];
  home: HomeLayout;
  /** Scratch folder for this run (downloads); removed when the run ends. */
  workDir: string;
  /** Persistent per-component folder for updater bookkeeping (e.g. installed file lists). */
  stateDir: string;
  /**
   * Updater state that must survive a crash (staging paths, snapshot ids). Saved in the run's
   * journal by `saveState` before anything depends on it.
   */
  state: Record<string, unknown>;
  saveState(): Promise<void>;
  log(line: string, stream?: LogStream): void;
  /** Progress within the current step, 0–100. */
  progress(percent: number): void;
  /** Run a command as argv (never a shell), its output streamed into the run log. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Register a value that must never appear in logs or history (API keys, tokens). */
  addSecret(value: string): void;
  /**
   * What this component's downloads carry, with the one origin it may go to: its own `token_env`
   * credential (for its api_base origin), else the GitHub token (for `github_api_base`'s origin
   * only), else nothing. Throws CREDENTIAL_MISSING when `token_env` names an unset variable.
   */
  credential(): ScopedCredential | undefined;
  /** No body bytes for this long → the download fails with TIMEOUT (setting download_idle_timeout_s). */
  downloadIdleTimeoutMs?: number;
  signal: AbortSignal;
}

/** The context of one method's updater: its config is that method's. */
export type OwnContext<M extends UpdateMethod> = UpdaterContext<ConfigOfMethod<M>>;

/**
 * One update method as written: each step gets a context holding its own method's config, so the
 * keys its descriptor requires are there (defineUpdater checks it). See Updater. Optional steps are skipped by the engine when absent;
 * install, migrations, restart and health are the engine's, from the component config.
 */
export interface TypedUpdater<M extends UpdateMethod> {
  readonly method: M;
  /**
   * download, verify and stage only read the component's folder, never change it (a release
   * fetched into the run's work folder and extracted beside the component): the engine runs
   * them while the pre-update backup is still being written. Updaters that fetch into the
   * folder (git) leave this unset, so their backup is taken first.
   */
  readonly preparesOutside?: boolean;
  /** Where the component lives (backups, free space, writability); null when it has no folder. */
  folder(ctx: OwnContext<M>): string | null;
  /** Bytes the download will need, when known (free-space preflight). */
  downloadSize?(ctx: OwnContext<M>): number | undefined;
  /** Method-specific checks before anything is changed (tools present, config complete). */
  preflight?(ctx: OwnContext<M>): Promise<void>;
  download?(ctx: OwnContext<M>): Promise<void>;
  verify?(ctx: OwnContext<M>): Promise<void>;
  /**
   * Build the new version beside the component (a release extracted into staging) without changing
   * the component: it runs while the pre-update backup is still being read back, and a failure in it
   * leaves nothing to roll back. Part of the apply step.
   */
  stage?(ctx: OwnContext<M>): Promise<void>;
  /** Put the new version in place. The only step that changes the component. */
  apply(ctx: OwnContext<M>): Promise<void>;
  /** Record bookkeeping once the update is accepted (after the health check). */
  commit?(ctx: OwnContext<M>): Promise<void>;
  /**
   * After the pre-update backup was restored into the folder: rebuild what folder backups leave
   * out (npm's node_modules) from the restored files.
   */
  afterRestore?(ctx: OwnContext<M>): Promise<void>;
  /** After a failure (or a crash) in apply: put the previous tree back without the backup (see Updater.revert). */
  revert?(ctx: OwnContext<M>): Promise<boolean>;
  /** The tree the update replaced, still beside the folder as it was swapped out (see Updater.previousTree). */
  previousTree?(ctx: OwnContext<M>): Promise<string | null>;
  /** Remove scratch files (staging folders); called after success, failure and recovery. */
  cleanup?(ctx: OwnContext<M>): Promise<void>;
  /**
   * Methods whose state is not a local folder take their own pre-update backup (the Open WebUI
   * function as the server had it, a single file). Returns a backup id restorable with `restore`.
   */
  snapshot?: {
    create(ctx: OwnContext<M>): Promise<string>;
    restore(ctx: OwnContext<M>, backupId: string): Promise<void>;
  };
}

/**
 * One update method (ARCHITECTURE.md §3). Optional steps are skipped by the engine when absent;
 * install, migrations, restart and health are the engine's, from the component config.
 */
export interface Updater {
  readonly method: UpdateMethod;
  /**
   * download, verify and stage only read the component's folder, never change it (a release
   * fetched into the run's work folder and extracted beside the component): the engine runs
   * them while the pre-update backup is still being written. Updaters that fetch into the
   * folder (git) leave this unset, so their backup is taken first.
   */
  readonly preparesOutside?: boolean;
  /** Where the component lives (backups, free space, writability); null when it has no folder. */
  folder(ctx: UpdaterContext): string | null;
  /** Bytes the download will need, when known (free-space preflight). */
  downloadSize?(ctx: UpdaterContext): number | undefined;
  /** Method-specific checks before anything is changed (tools present, config complete). */
  preflight?(ctx: UpdaterContext): Promise<void>;
  download?(ctx: UpdaterContext): Promise<void>;
  verify?(ctx: UpdaterContext): Promise<void>;
  /**
   * Build the new version beside the component (a release extracted into staging) without changing
   * the component: it runs while the pre-update backup is still being read back, and a failure in it
   * leaves nothing to roll back. Part of the apply step.
   */
  stage?(ctx: UpdaterContext): Promise<void>;
  /** Put the new version in place. The only step that changes the component. */
  apply(ctx: UpdaterContext): Promise<void>;
  /** Record bookkeeping once the update is accepted (after the health check). */
  commit?(ctx: UpdaterContext): Promise<void>;
  /**
   * After the pre-update backup was restored into the folder: rebuild what folder backups leave
   * out (npm's node_modules) from the restored files.
   */
  afterRestore?(ctx: UpdaterContext): Promise<void>;
  /**
   * After a failure (or a crash) in apply: put the previous tree back without the backup (a swap
   * back). True when the folder holds it again; false when there is nothing to swap back (then the
   * engine restores the backup).
   */
  revert?(ctx: UpdaterContext): Promise<boolean>;
  /**
   * After apply swapped the folder: where the tree it replaced waits, untouched, until the update
   * is accepted; null when there is none (not swapped, or already put back or removed). A
   * rollback restores the backup from it, keeping the files it holds unchanged (restore-reuse.ts).
   */
  previousTree?(ctx: UpdaterContext): Promise<string | null>;
  /** Remove scratch files (staging folders); called after success, failure and recovery. */
  cleanup?(ctx: UpdaterContext): Promise<void>;
  /**
   * Methods whose state is not a local folder take their own pre-update backup (the Open WebUI
   * function as the server had it, a single file). Returns a backup id restorable with `restore`.
   */
  snapshot?: {
    create(ctx: UpdaterContext): Promise<string>;
    restore(ctx: UpdaterContext, backupId: string): Promise<void>;
  };
}

function isContextOf<M extends UpdateMethod>(ctx: UpdaterContext, method: M): ctx is OwnContext<M> {
  return ctx.config.method === method;
}

/**
 * An updater for the registry: every step first checks that the context holds a config of the
 * updater's own method (INTERNAL otherwise), so steps read their required keys without casts.
 */
export function defineUpdater<M extends UpdateMethod>(updater: TypedUpdater<M>): Updater {
  const own = (ctx: UpdaterContext): OwnContext<M> => {
    if (isContextOf(ctx, updater.method)) return ctx;
    throw new UpkeepError(
      'INTERNAL',
      `The ${updater.method} updater was given ${ctx.component.id}, whose config has ${ctx.config.method ? `method ${ctx.config.method}` : 'no method'} (was it changed or removed during the run?).`,
      { component: ctx.component.id },
    );
  };
  const {
    downloadSize,
    preflight,
    download,
    verify,
    stage,
    commit,
    afterRestore,
    revert,
    previousTree,
    cleanup,
    snapshot,
  } = updater;
  return {
    method: updater.method,
    ...(updater.preparesOutside ? { preparesOutside: true } : {}),
    folder: (ctx) => updater.folder(own(ctx)),
    apply: (ctx) => updater.apply(own(ctx)),
    ...(downloadSize ? { downloadSize: (ctx: UpdaterContext) => downloadSize.call(updater, own(ctx)) } : {}),
    ...(preflight ? { preflight: (ctx: UpdaterContext) => preflight.call(updater, own(ctx)) } : {}),
    ...(download ? { download: (ctx: UpdaterContext) => download.call(updater, own(ctx)) } : {}),
    ...(verify ? { verify: (ctx: UpdaterContext) => verify.call(updater, own(ctx)) } : {}),
    ...(stage ? { stage: (ctx: UpdaterContext) => stage.call(updater, own(ctx)) } : {}),
    ...(commit ? { commit: (ctx: UpdaterContext) => commit.call(updater, own(ctx)) } : {}),
    ...(afterRestore ? { afterRestore: (ctx: UpdaterContext) => afterRestore.call(updater, own(ctx)) } : {}),
    ...(revert ? { revert: (ctx: UpdaterContext) => revert.call(updater, own(ctx)) } : {}),
    ...(previousTree ? { previousTree: (ctx: UpdaterContext) => previousTree.call(updater, own(ctx)) } : {}),
    ...(cleanup ? { cleanup: (ctx: UpdaterContext) => cleanup.call(updater, own(ctx)) } : {}),
    ...(snapshot
      ? {
          snapshot: {
            create: (ctx: UpdaterContext) => snapshot.create(own(ctx)),
            restore: (ctx: UpdaterContext, backupId: string) => snapshot.restore(own(ctx), backupId),
          },
        }
      : {}),
  };
}

export type UpdaterRegistry = Record<UpdateMethod, Updater>;
