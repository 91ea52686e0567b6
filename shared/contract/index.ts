import { z } from 'zod';
import type { AppInfo, Component, ConfigProblem, SettingsView } from '../types';
import type { CancelResult, HistoryEntry, LogLine, UpdateResult, UpdateRunInfo } from '../types';
import { componentIdSchema } from '../schemas/component';
import { settingsPatchSchema } from '../schemas/settings';
import type { DiscoverResult, DiscoveryDefaults } from '../types';
import type { ComponentTemplate } from '../templates';
import type { BackupInfo, BackupList, BackupRestoreResult, BackupVerifyResult } from '../types';
import type { ChannelOption, CheckResult, VersionChoices } from '../types';
import type { ComponentSchedule, RunDueResult, ScheduleView, StatusView, WebhookDelivery } from '../types';
import { hostConfigSchema, hostNameSchema, type HostConfig, type HostTestResult, type HostView } from '../schemas/host';
import type { RolloutResult } from '../types/fleet';

/**
 * The one API every host speaks (ARCHITECTURE.md §2). Each method takes one object and returns a Promise.
 * `mutates` marks methods that change state: read-only callers (a read-only HTTP token) may not call them.
 * Adding an operation: add it here (request schema + response type) and in createApi; the compiler finds the rest.
 */
interface MethodDef<Req extends z.ZodType> {
  request: Req;
  mutates: boolean;
}
const def = <Req extends z.ZodType>(request: Req, opts: { mutates: boolean }): MethodDef<Req> => ({ request, ...opts });

/** The largest document (YAML or JSON text) a request may carry: config files are a few kilobytes. */
export const MAX_TEXT = 1024 * 1024;
const noArgs = z.strictObject({});
const backupTypeSchema = z.enum(['full', 'database', 'config', 'data']);
/** A host in a rollout: a registered host's name, or `local` for this computer. */
const rolloutHostSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a host name from listHosts, or local');
/** A backup id (or a backup's unique name). */
const backupIdSchema = z.string().trim().min(1).max(200);

export const methods = {
  getInfo: def(noArgs, { mutates: false }),
  listComponents: def(noArgs, { mutates: false }),
  getComponent: def(z.strictObject({ id: componentIdSchema }), { mutates: false }),
  addComponents: def(
    z
      .strictObject({
        /** A YAML or JSON document with a `components:` mapping (as `upkeep component add --file`). */
        text: z.string().max(MAX_TEXT).optional(),
        /** Or the mapping itself: id → config. */
        components: z.record(z.string(), z.unknown()).optional(),
        /** Replace components that already exist instead of failing with ALREADY_EXISTS. */
        replace: z.boolean().optional(),
        /** Where `text` came from (a file name), for error messages. */
        source: z.string().min(1).max(500).optional(),
      })
      .refine((r) => (r.text === undefined) !== (r.components === undefined), {
        message: 'give exactly one of text or components',
        path: ['text'],
      }),
    { mutates: true },
  ),
  updateComponent: def(z.strictObject({ id: componentIdSchema, config: z.record(z.string(), z.unknown()) }), {
    mutates: true,
  }),
  removeComponent: def(z.strictObject({ id: componentIdSchema }), { mutates: true }),
  importOctoprint: def(z.strictObject({ text: z.string().min(1).max(MAX_TEXT), replace: z.boolean().optional() }), {
    mutates: true,
  }),
  getSettings: def(noArgs, { mutates: false }),
  setSettings: def(
    z.strictObject({
      patch: settingsPatchSchema.optional(),
      /** A new GitHub token; null removes it. Never sent back. */
      github_token: z.string().max(1000).nullable().optional(),
    }),
    { mutates: true },
  ),
  /** Update the given components (all with an update available when none are given), one after another. */
  updateComponents: def(
    z.strictObject({
      ids: z.array(componentIdSchema).max(500).optional(),
      /** Update even when no newer version is available (reinstall). */
      force: z.boolean().optional(),
      /** Skip the pre-update backup: a failure then cannot be rolled back. */
      noBackup: z.boolean().optional(),
      /** Stop at the first failure instead of going on with the rest. */
      stopOnFailure: z.boolean().optional(),
      /** Environment components (pip_env, npm_env, apt): upgrade only these packages (one component id). */
      packages: z.array(z.string().trim().min(1).max(214)).min(1).max(10_000).optional(),
      /** Install a release lower than the installed or the highest version seen (refused otherwise). */
      downgrade: z.boolean().optional(),
    }),
    { mutates: true },
  ),
  /** Restore the pre-update backup of a history entry (the last successful update by default). */
  rollbackUpdate: def(
    z.strictObject({
      component: componentIdSchema,
      /** `last` (default), or the version to go back to (the `from` of an update). */
      to: z.string().min(1).max(200).optional(),
      history_id: z.string().min(1).max(200).optional(),
    }),
    { mutates: true },
  ),
  /**
   * Cancel a running update before its commit point (by component id or run id): it rolls back and
   * is recorded as `cancelled`. After the commit point: CANCEL_TOO_LATE. Works across processes
   * through the component's lock (the run's holder picks the request up).
   */
  cancelUpdate: def(z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/) }), { mutates: true }),
  listHistory: def(
    z.strictObject({ component: componentIdSchema.optional(), limit: z.number().int().min(1).max(10_000).optional() }),
    { mutates: false },
  ),
  /** A run's state: while it runs (from its journal) and after (from history). */
  getRun: def(z.strictObject({ run_id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/) }), { mutates: false }),
  /** A run's log lines after the fact (live lines arrive as update_log events). */
  getRunLog: def(
    z.strictObject({
      run_id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/),
      offset: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(100_000).optional(),
    }),
    { mutates: false },
  ),
  /**
   * Look for software worth tracking: global npm packages, the packages of one Python interpreter or
   * venv, git checkouts under a folder. Mutating because it runs the given interpreter and walks the
   * given folder on this machine; read-only callers may not. Add chosen proposals with addComponents.
   */
  discover: def(
    z
      .strictObject({
        npm_global: z.boolean().optional(),
        /** A Python interpreter (path or command) or a virtualenv folder. */
        python: z.string().trim().min(1).max(4096).optional(),
        /** A folder to search for git checkouts (a few levels deep). */
        git_dir: z.string().trim().min(1).max(4096).optional(),
      })
      .refine((r) => r.npm_global === true || r.python !== undefined || r.git_dir !== undefined, {
        message: 'choose at least one of npm_global, python or git_dir',
        path: ['npm_global'],
      }),
    { mutates: true },
  ),
  /** Starting points for the Add dialog (shared/templates.ts). */
  listTemplates: def(noArgs, { mutates: false }),
  /** Prefills for the discovery form: Python interpreters on PATH, usual checkout folders that exist, npm present. */
  getDiscoveryDefaults: def(noArgs, { mutates: false }),
  /** Back up a component's folder (full) or one of its `backup` path sets. */
  createBackup: def(
    z.strictObject({
      component: componentIdSchema,
      type: backupTypeSchema.optional(),
      name: z.string().trim().max(200).optional(),
      description: z.string().max(2000).optional(),
      include_logs: z.boolean().optional(),
      /** zstd-compressed (default, `.tar.zst`) or a plain tar. */
      compress: z.boolean().optional(),
      /** Pinned backups are never removed by retention. */
      pinned: z.boolean().optional(),
    }),
    { mutates: true },
  ),
  /** Backups from their manifests, newest first by default; `problems` lists files that are not usable backups. */
  listBackups: def(
    z.strictObject({
      component: componentIdSchema.optional(),
      type: backupTypeSchema.optional(),
      since: z.enum(['1d', '7d', '30d', '90d', 'all']).optional(),
      limit: z.number().int().min(1).max(50).optional(),
      /** Skip this many (after filter and sort): pages through more than `limit` backups. */
      offset: z.number().int().min(0).optional(),
      sort: z.enum(['date', 'size', 'name', 'type']).optional(),
    }),
    { mutates: false },
  ),
  getBackup: def(z.strictObject({ id: backupIdSchema }), { mutates: false }),
  /** Archive sha256, a full read of every entry, every file's sha256. Never throws for a damaged backup: `ok: false`. */
  verifyBackup: def(z.strictObject({ id: backupIdSchema }), { mutates: false }),
  /** Verify, take a safety backup, then swap the folder (or one type's paths) atomically. */
  restoreBackup: def(
    z.strictObject({
      id: backupIdSchema,
      /** Restore only this type's paths (default: what the backup holds). */
      type: backupTypeSchema.optional(),
      /** Back up the current state first (default true). */
      safety_backup: z.boolean().optional(),
    }),
    { mutates: true },
  ),
  deleteBackup: def(z.strictObject({ id: backupIdSchema }), { mutates: true }),
  pinBackup: def(z.strictObject({ id: backupIdSchema, pinned: z.boolean() }), { mutates: true }),
  /** Check components for new versions (all when `ids` is absent or empty); `force` ignores the version cache. */
  checkComponents: def(
    z.strictObject({
      ids: z.array(componentIdSchema).max(10_000).optional(),
      force: z.boolean().optional(),
      /** Offer releases lower than the installed or highest seen version (refused otherwise). */
      downgrade: z.boolean().optional(),
    }),
    { mutates: false },
  ),
  /** The last check results from the version cache only (no network): for the panel's first paint. */
  getCheckResults: def(z.strictObject({ ids: z.array(componentIdSchema).max(10_000).optional() }), { mutates: false }),
  /** The release channels a component can follow (stable + prerelease branches, npm dist-tags …) and the current one. */
  listChannels: def(z.strictObject({ id: componentIdSchema }), { mutates: false }),
  /** Choose a component's release channel (`upkeep channel ID CHANNEL`). */
  setChannel: def(z.strictObject({ id: componentIdSchema, channel: z.string().trim().min(1).max(100) }), {
    mutates: true,
  }),
  /**
   * Skip one version of a component (the check then offers no update for exactly it; a newer one is
   * offered again); `version: null` clears the skip.
   */
  skipVersion: def(z.strictObject({ id: componentIdSchema, version: z.string().trim().min(1).max(200).nullable() }), {
    mutates: true,
  }),
  /**
   * Hold a component at its installed version: Update all, the scheduler and `upkeep update` without ids
   * leave it alone, and an explicit update is refused (UPDATE_HELD) unless forced. `hold: false` releases it.
   */
  holdComponent: def(z.strictObject({ id: componentIdSchema, hold: z.boolean() }), { mutates: true }),
  /** A person has looked at a component its last run left needing attention: it no longer says so. */
  resolveAttention: def(z.strictObject({ id: componentIdSchema }), { mutates: true }),
  /** Per component: last update, success rate and mean duration (7/30 days), next run, pending update; backups, disk, GitHub budget. */
  getStatus: def(noArgs, { mutates: false }),
  /** Update policies, maintenance windows and deferrals (one component with `id`). */
  getSchedule: def(z.strictObject({ id: componentIdSchema.optional() }), { mutates: false }),
  /**
   * Change a component's auto_update block (merged into what it has; null removes a key):
   * `enabled` true is the `auto` policy, false `notify`; `window` like "daily 03:00 for 2h".
   */
  setSchedule: def(
    z.strictObject({
      id: componentIdSchema,
      auto_update: z.strictObject({
        enabled: z.boolean().optional(),
        window: z.string().trim().min(1).max(200).nullable().optional(),
        min_release_age: z.string().trim().min(1).max(50).nullable().optional(),
        allow_major: z.boolean().optional(),
        security_only: z.boolean().optional(),
      }),
    }),
    { mutates: true },
  ),
  /** One scheduler pass now (`upkeep run-due`): due checks, then auto-updates allowed now; the rest deferred with a reason. */
  runDue: def(noArgs, { mutates: true }),
  /** Send a test notification to every webhook in settings (or the one at `index`) and say how each went. */
  testWebhooks: def(z.strictObject({ index: z.number().int().min(0).max(100).optional() }), { mutates: true }),
  /** Remote hosts reached over ssh (`upkeep host list`; `<home>/hosts.json`). */
  listHosts: def(noArgs, { mutates: false }),
  /** Register a host (`upkeep host add`); ALREADY_EXISTS unless `replace`. Nothing is contacted. */
  addHost: def(hostConfigSchema.extend({ replace: z.boolean().optional() }), { mutates: true }),
  removeHost: def(z.strictObject({ name: hostNameSchema }), { mutates: true }),
  /** Connect to a host over ssh and say its Upkeep version and hostname, or why not (HOST_KEY_UNKNOWN …). Runs ssh here. */
  testHost: def(z.strictObject({ name: hostNameSchema }), { mutates: true }),
  /**
   * Staged rollout of one component across hosts: update it on the canary first and, once that update
   * (health checks included) succeeded, on the other hosts one by one; the first failure stops it and
   * says where. Hosts are names from listHosts, `local` is this computer; `hosts` gives the others and
   * their order (default: this computer and every registered host that tracks the component).
   */
  startRollout: def(
    z.strictObject({
      component: componentIdSchema,
      canary: rolloutHostSchema,
      hosts: z.array(rolloutHostSchema).min(1).max(200).optional(),
      /** Update even where no newer version is offered (reinstall). */
      force: z.boolean().optional(),
    }),
    { mutates: true },
  ),
} as const;

export interface Responses {
  discover: DiscoverResult;
  listTemplates: { templates: ComponentTemplate[] };
  getDiscoveryDefaults: DiscoveryDefaults;
  getInfo: AppInfo;
  listComponents: { components: Component[]; problems: ConfigProblem[] };
  getComponent: Component;
  addComponents: { added: string[]; replaced: string[] };
  updateComponent: Component;
  removeComponent: { removed: string };
  importOctoprint: { added: string[]; replaced: string[]; skipped: { id: string; reason: string }[] };
  getSettings: SettingsView;
  setSettings: SettingsView;
  updateComponents: { results: UpdateResult[] };
  rollbackUpdate: { result: UpdateResult; entry: HistoryEntry };
  cancelUpdate: CancelResult;
  listHistory: { entries: HistoryEntry[] };
  getRun: UpdateRunInfo;
  getRunLog: { lines: LogLine[]; total: number };
  createBackup: BackupInfo;
  listBackups: BackupList;
  getBackup: BackupInfo;
  verifyBackup: BackupVerifyResult;
  restoreBackup: BackupRestoreResult;
  deleteBackup: { deleted: string };
  pinBackup: BackupInfo;
  checkComponents: { components: CheckResult[] };
  getCheckResults: { components: CheckResult[] };
  listChannels: { channels: ChannelOption[]; current: string };
  setChannel: Component;
  skipVersion: VersionChoices;
  holdComponent: VersionChoices;
  resolveAttention: HistoryEntry;
  getStatus: StatusView;
  getSchedule: ScheduleView;
  setSchedule: ComponentSchedule;
  runDue: RunDueResult;
  testWebhooks: { deliveries: WebhookDelivery[] };
  listHosts: { hosts: HostView[] };
  addHost: HostConfig;
  removeHost: { removed: string };
  testHost: HostTestResult;
  startRollout: RolloutResult;
}

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export const METHOD_NAMES = Object.keys(methods) as MethodName[];

/** What a caller passes (defaults not yet applied). */
export type RequestOf<M extends MethodName> = z.input<Methods[M]['request']>;
/** What an implementation receives (validated, defaults applied). */
export type ParsedRequestOf<M extends MethodName> = z.output<Methods[M]['request']>;
export type ResponseOf<M extends MethodName> = Responses[M];

/** The API as a client sees it. */
export type Api = { [M in MethodName]: (request: RequestOf<M>) => Promise<ResponseOf<M>> };

export type InitiatedBy = 'panel' | 'cli' | 'schedule';
/** Who is calling: set by the host, never by the request. */
export interface CallContext {
  initiatedBy: InitiatedBy;
  readOnly: boolean;
}

/** The API as createApi implements it. */
export type ApiImplementation = {
  [M in MethodName]: (request: ParsedRequestOf<M>, ctx: CallContext) => Promise<ResponseOf<M>>;
};

// Every method has a response type and every response type a method.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const contractIsComplete: Exact<keyof Responses, MethodName> = true;

export * from './events';
export * from './invoke';
export * from './bridge';
