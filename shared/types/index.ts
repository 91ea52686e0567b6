import type { ErrorCode, ErrorShape } from '../errors';
import type { CheckType, ComponentConfig, UpdateMethod } from '../schemas/component';
import type { Settings } from '../schemas/settings';

export type { ComponentConfig, CheckType, UpdateMethod, CompareScheme, VersionFrom, BranchSpec } from '../schemas/component';
export type { Settings, SettingKey, SettingsPatch } from '../schemas/settings';
export type { ErrorShape, ErrorCode } from '../errors';

/** Where a component's definition came from: the settings store, or a drop-in file (read-only). */
export type ComponentSource = { kind: 'settings' } | { kind: 'drop-in'; file: string };

export interface Component {
  id: string;
  name: string;
  type: CheckType;
  method: UpdateMethod | null;
  channel: string;
  source: ComponentSource;
  config: ComponentConfig;
}

/** A drop-in file or component that could not be loaded; the rest still load. */
export interface ConfigProblem {
  file: string;
  component?: string;
  code: ErrorShape['code'];
  message: string;
}

export interface ChannelOption {
  id: string;
  label: string;
}

export interface AppInfo {
  version: string;
  home: string;
  host: 'desktop' | 'http' | 'cli';
  platform: string;
  read_only: boolean;
}

export interface SettingsView {
  settings: Settings;
  /** Whether a GitHub token is stored; the token itself is never sent back. */
  github_token_set: boolean;
  /** How secrets are kept: `os` (encrypted with the OS keychain) or `file` (a 0600 plain-text file). */
  secret_storage?: 'os' | 'file';
  /** Shown in Settings when secrets are not encrypted at rest. */
  secret_storage_warning?: string | null;
}

/** A release asset as the checkers report it (GitHub/Gitea/GitLab links). */
export interface ReleaseAsset {
  name: string;
  url: string;
  size?: number;
  /** `sha256:<hex>` when the host publishes it (GitHub's `digest`). */
  digest?: string | null;
  /**
   * The API's endpoint for the asset (GitHub's `url`, `…/releases/assets/ID`): used instead of `url`
   * when the download carries a credential for its origin (private repositories).
   */
  api_url?: string;
}

/** Release notes of one version between installed and latest (Markdown, never HTML to execute). */
export interface ReleaseNote {
  version: string;
  name?: string | null;
  body: string;
  published_at?: string | null;
  url?: string | null;
}

/** What an update would install: enough for the updaters to fetch and verify it. */
export interface UpdateTarget {
  /** Display version (tag without a leading v, package version, commit sha …). */
  version: string;
  tag?: string;
  commit?: string;
  published_at?: string | null;
  tarball_url?: string | null;
  assets?: ReleaseAsset[];
  notes?: ReleaseNote[];
  /** Environment components (pip_env, npm_env, apt): every outdated package, for the updater. */
  packages?: PackageUpdate[];
}

/** A risk flag on a pending update: it fixes a known vulnerability, or it may break things. */
export type RiskFlag = 'security' | 'breaking';

/** A published vulnerability the installed version has and the new one fixes. */
export interface Advisory {
  /** GHSA-…, PYSEC-…, CVE-…, an npm advisory number, a Debian security suite. */
  id: string;
  source: 'pypi' | 'npm' | 'release_notes' | 'apt';
  aliases?: string[];
  title?: string | null;
  severity?: string | null;
  url?: string | null;
  /** Versions that fix it (PyPI `fixed_in`), or the vulnerable range (npm `vulnerable_versions`). */
  fixed_in?: string[];
  vulnerable_versions?: string | null;
}

/**
 * A risk flag that could not be decided because its source could not be read (an advisory
 * endpoint that answers 405, 500, garbage or nothing): neither set nor cleared — unknown.
 */
export interface UnknownRisk {
  flag: RiskFlag;
  /** The failure's stable code (NETWORK, UPSTREAM_ERROR, PARSE_ERROR, NOT_FOUND …). */
  code: ErrorCode;
  /** What could not be read, for people. */
  message: string;
}

/** Why an update is flagged: the flags, the advisories behind `security`, one line per reason. */
export interface RiskInfo {
  flags: RiskFlag[];
  advisories: Advisory[];
  reasons: string[];
  /** Flags that are not in `flags` because their source failed, not because they are clear. */
  unknown?: UnknownRisk[];
}

/** One outdated package of an environment component (`npm outdated` / `pip list --outdated` semantics). */
export interface PackageUpdate {
  name: string;
  installed: string;
  /** The newest version the environment's ranges/pins allow (null when they allow none newer). */
  wanted: string | null;
  latest: string;
  /** What an update installs: `wanted`, or `latest` when ranges may be crossed. */
  target: string;
  /** Where it is (npm: node_modules path; pip: the dependency's requirement line; apt: the suite). */
  location?: string | null;
  risk: RiskInfo;
}

/** One component's check result: the shape of `upkeep check --json` entries, plus panel details. */
export interface CheckResult {
  id: string;
  name: string;
  installed: string | null;
  latest: string | null;
  update_available: boolean;
  channel: string;
  /** ISO time of the last successful fresh check (not a cache hit). */
  checked_at: string | null;
  /** One line, e.g. `1.3.0 > 1.2.9 by PEP 440`. */
  explanation: string | null;
  error: ErrorShape | null;
  from_cache?: boolean;
  target?: UpdateTarget | null;
  /** Risk of the pending update: `security` (with advisories) and/or `breaking`. Absent when nothing is pending. */
  risk?: RiskInfo | null;
  /**
   * Shorthands of `risk.flags` for policies and scripts (`auto_update.security_only`): true, false,
   * or null when unknown — its source could not be read (`risk_unknown` says why) or the check failed.
   */
  security?: boolean | null;
  breaking?: boolean | null;
  risk_flags?: RiskFlag[];
  /** The flags that are unknown, each with the failure behind it (`risk.unknown`). */
  risk_unknown?: UnknownRisk[];
  /** Environment components: every outdated package with its own risk. */
  packages?: PackageUpdate[];
  /** The user holds the component at its installed version: nothing updates it until released. */
  held?: boolean;
  /** The version it is held at (the installed version when the hold was set). */
  held_version?: string | null;
  /** The latest version, when the user chose to skip exactly it (the check then offers no update). */
  skipped_version?: string | null;
  /** The latest release is not offered only because it is lower than the installed or a version seen before: an update asked with `downgrade` installs it. */
  downgrade_refused?: boolean;
  /** When the check whose `error` this is failed (`checked_at` is the last success). */
  failed_at?: string;
  /** The latest version is a prerelease by its scheme (`2.0.0-rc.1`, `2.0rc1`); absent for opaque versions (commits). */
  prerelease?: boolean;
}

/** A component's skip and hold choices (skipVersion, holdComponent), with its check result rebuilt from the cache. */
export interface VersionChoices {
  id: string;
  /** The version the user skips (null: none). Superseded when a newer one is released. */
  skipped_version: string | null;
  held: boolean;
  held_version: string | null;
  /** ISO time the hold was set. */
  held_at: string | null;
  /** The check result with the choices applied (null when the component has not been checked yet). */
  result: CheckResult | null;
}

/** `cancelled`: stopped on request before its commit point and rolled back (or closed when nothing was changed). */
export type UpdateStatus = 'succeeded' | 'failed' | 'rolled_back' | 'skipped' | 'cancelled';
export type UpdateStep =
  | 'preflight'
  | 'backup'
  | 'download'
  | 'verify'
  | 'apply'
  | 'install'
  | 'migrate'
  | 'restart'
  | 'health'
  | 'commit'
  | 'rollback';

/** One line of an update run's log. */
export interface LogLine {
  run_id: string;
  component: string;
  stream: 'stdout' | 'stderr' | 'message';
  line: string;
  at: string;
}

/** `upkeep update --json` result entries. */
export interface UpdateResult {
  id: string;
  from: string | null;
  to: string | null;
  status: UpdateStatus;
  backup_id: string | null;
  error: ErrorShape | null;
  run_id?: string;
}

/** One line of history.jsonl: the rollback history the panel shows. */
export interface HistoryEntry {
  id: string;
  component: string;
  kind: 'update' | 'rollback' | 'restore';
  from: string | null;
  to: string | null;
  status: UpdateStatus;
  started_at: string;
  finished_at: string;
  backup_id: string | null;
  error: ErrorShape | null;
  duration_ms: number;
  initiated_by: 'panel' | 'cli' | 'schedule';
  /** A rollback: the update it undid. */
  rollback_of?: string | null;
  /** An update undone since: the rollback that restored its backup (listHistory fills it in). */
  undone_by?: string | null;
  /** Where its pre-update backup lives: the backup list (`store`) or the method's own snapshot (Open WebUI, single files). */
  backup_kind?: 'store' | 'snapshot' | null;
  /** The run changed the component and could not put it back: why, and what a person should do. */
  needs_attention?: { reason: string; action: string } | null;
  /** listHistory: this run's attention is still open (its component's newest run, not resolved since). */
  attention_open?: boolean;
}

export type BackupType = 'full' | 'database' | 'config' | 'data';

/** A backup as listed (from its manifest). */
export interface BackupInfo {
  id: string;
  component: string;
  type: BackupType;
  name: string;
  description: string;
  created_at: string;
  component_version: string | null;
  /** `manual`, `pre-update`, `safety` (before a restore). */
  reason: 'manual' | 'pre-update' | 'safety';
  pinned: boolean;
  file_count: number;
  size: number;
  compressed_size: number;
  compressed: boolean;
  sha256: string;
  archive: string;
  /** Whether log files were included (`--include-logs`). */
  include_logs?: boolean;
  /** Paths that could not be archived (sockets, FIFOs, unportable names, files gone mid-backup). */
  skipped?: string[];
}

export type BackupReason = BackupInfo['reason'];
export type BackupSort = 'date' | 'size' | 'name' | 'type';
export type BackupSince = '1d' | '7d' | '30d' | '90d' | 'all';

/** A file in the backups folder that is not a usable backup: reported, never silently ignored. */
export interface BackupProblem {
  /** Path relative to `<home>/backups`. */
  file: string;
  component: string | null;
  code: ErrorShape['code'];
  message: string;
}

export interface BackupList {
  backups: BackupInfo[];
  problems: BackupProblem[];
}

/** `upkeep backup verify`: archive sha256, every entry read, every file's sha256 compared. */
export interface BackupVerifyResult {
  id: string;
  ok: boolean;
  files: number;
  bytes: number;
  error: ErrorShape | null;
}

/** Where a backup or restore is: `backup_progress` events. */
export type BackupPhase = 'scanning' | 'copying-databases' | 'archiving' | 'verifying' | 'extracting' | 'safety-backup' | 'swapping' | 'done';

export interface BackupProgress {
  backup_id?: string;
  component: string;
  phase: BackupPhase;
  /** File bytes done so far. */
  bytes: number;
  files: number;
  total_bytes?: number;
  total_files?: number;
}

export interface BackupRestoreResult {
  restored: BackupInfo;
  /** What the folder held just before the restore (null when asked not to, or nothing was there). */
  safety_backup: BackupInfo | null;
  /** What was restored: the whole folder (`full`) or one type's paths. */
  type: BackupType;
  files: number;
}

/** An update run as the panel follows it: from its journal while it runs, then from history. */
export interface UpdateRunInfo {
  run_id: string;
  component: string;
  kind: 'update' | 'rollback';
  status: 'running' | 'rolling_back' | UpdateStatus;
  step: UpdateStep | null;
  from: string | null;
  to: string | null;
  started_at: string;
  finished_at: string | null;
  backup_id: string | null;
  error: ErrorShape | null;
  initiated_by: 'panel' | 'cli' | 'schedule';
}

/** `cancelUpdate`: the run a cancel reached; it rolls back and ends in history as `cancelled`. */
export interface CancelResult {
  run_id: string;
  component: string;
  /** The step the run was in when the cancel reached it. */
  step: UpdateStep;
  /** This process runs it, or another one (the desktop app, the headless host, a CLI) whose pid is given. */
  holder: 'this_process' | 'other_process';
  pid: number;
}

/** `update_progress`: the step a run is in and its overall percent (0–100). */
export interface UpdateProgress {
  run_id: string;
  component: string;
  kind: 'update' | 'rollback';
  step: UpdateStep;
  percent: number;
  /** Progress within the step when the step reports it (downloads, file sync). */
  step_percent: number | null;
}

/** `update_succeeded` / `update_failed` / `update_rolled_back`: for notifications. */
export interface UpdateOutcome {
  component: string;
  from_version: string | null;
  to_version: string | null;
  run_id: string;
  error: ErrorShape | null;
}

/** Where discovery looked: global npm packages, one Python interpreter or venv, a folder of git checkouts. */
export type DiscoverySource = 'npm_global' | 'python' | 'git';

/** One thing discovery found, as a full component config ready for addComponents. */
export interface DiscoveryProposal {
  /** Suggested id: unique among components and other proposals; the tracking component's id when already tracked. */
  id: string;
  config: ComponentConfig;
  source: DiscoverySource;
  already_tracked: boolean;
  /** The installed version the source saw (a short commit for git checkouts). */
  installed: string | null;
  /** One line for people: what it is and where (e.g. "branch main; GitHub: user/repo"). */
  note?: string;
  /** A git checkout whose remote is on github.com. */
  github?: { user: string; repo: string };
}

/** A discovery source that failed (or partly failed); the other sources still answer. */
export interface DiscoveryError {
  source: DiscoverySource;
  code: ErrorShape['code'];
  message: string;
  /** The folder or interpreter concerned, when there is one. */
  path?: string;
}

export interface DiscoverResult {
  proposals: DiscoveryProposal[];
  errors: DiscoveryError[];
}

/** Starting values for the first-run discovery form (nothing is run to find them). */
export interface DiscoveryDefaults {
  /** npm is on PATH: global packages can be listed. */
  npm: boolean;
  /** Python interpreters on PATH, absolute. */
  python: string[];
  /** Existing folders that usually hold checkouts (~/apps, ~/src, /opt, /srv …), most specific first. */
  git_dirs: string[];
}

// ───────────── schedules, notifications, status (electron/core/schedule, electron/core/notify) ─────────────

/** Why a scheduled auto-update did not run (yet); the panel shows `message`. */
export type DeferralReason =
  | 'outside_window'
  | 'would_overrun_window'
  | 'too_new'
  | 'major_version'
  | 'not_security'
  /** security_only is set and whether the update fixes a vulnerability is unknown (the advisory source failed). */
  | 'security_unknown'
  | 'failed_before'
  | 'invalid_window'
  | 'check_failed'
  | 'no_method'
  /** Another host or the CLI is updating the component right now; tried again next pass. */
  | 'update_in_progress'
  /** The user holds the component at its installed version (released with `upkeep hold ID --release`). */
  | 'held';

export interface Deferral {
  component: string;
  /** The version that would be installed. */
  target: string | null;
  reason: DeferralReason;
  /** For people: what held the update back and when it will be tried. */
  message: string;
  /** When it may run, when known (next window, end of the cooldown). */
  until: string | null;
  /** When this was decided. */
  at: string;
}

export type UpdatePolicy = 'notify' | 'auto';

export interface ComponentSchedule {
  id: string;
  name: string;
  /** `auto` when auto_update.enabled; `notify` (the default) otherwise. */
  policy: UpdatePolicy;
  window: string;
  window_description: string;
  /** null when the window is valid; otherwise what is wrong with it. */
  window_error: string | null;
  min_release_age: string | null;
  allow_major: boolean;
  security_only: boolean;
  /** Whether the maintenance window is open now, and when it closes. */
  window_open: boolean;
  window_closes_at: string | null;
  next_window_at: string | null;
  last_checked_at: string | null;
  next_check_at: string | null;
  /** An update the last check found and that is not installed yet. */
  pending: { installed: string | null; latest: string; published_at: string | null } | null;
  deferral: Deferral | null;
  /** How long an update is expected to take (mean of past runs, else a default). */
  estimated_duration_ms: number;
}

export interface ScheduleView {
  /** The zone windows are read in (settings.time_zone, else this machine's). */
  time_zone: string;
  check_interval_hours: number;
  last_check_run: string | null;
  next_check_at: string | null;
  components: ComponentSchedule[];
}

/** One scheduler pass (`upkeep run-due`): what was checked, updated and held back, and why. */
export interface RunDueResult {
  at: string;
  checked: { id: string; installed: string | null; latest: string | null; update_available: boolean; error: ErrorShape | null }[];
  updated: UpdateResult[];
  deferred: Deferral[];
  next_check_at: string | null;
}

export interface RunStatsView {
  /** Update runs that did something (skipped runs left out). */
  runs: number;
  succeeded: number;
  failed: number;
  rolled_back: number;
  /** succeeded / runs, 0–1; null without runs. */
  success_rate: number | null;
  mean_duration_ms: number | null;
}

export interface ComponentStatus {
  id: string;
  name: string;
  policy: UpdatePolicy;
  installed: string | null;
  last_update: { at: string; from: string | null; to: string | null; status: UpdateStatus; initiated_by: HistoryEntry['initiated_by'] } | null;
  last_7d: RunStatsView;
  last_30d: RunStatsView;
  /** The next thing the scheduler will do for it: a check, or an auto-update when its window opens. */
  next_run: { at: string; kind: 'check' | 'auto_update' } | null;
  pending_update: { installed: string | null; latest: string } | null;
  deferral: Deferral | null;
  /** Present while a live Upkeep process updates, rolls back or restores it: what is installed may change when it ends. */
  in_progress?: { kind: 'update' | 'rollback' | 'restore'; pid: number | null; run_id: string | null; step: UpdateStep | null };
  /** Its last run changed it and could not put it back: open until a later run succeeds or a person resolves it. */
  attention?: { run_id: string; reason: string; action: string; since: string } | null;
}

export interface StatusView {
  at: string;
  time_zone: string;
  components: ComponentStatus[];
  backups: { bytes: number; files: number; path: string };
  disk: { path: string; free_bytes: number; total_bytes: number } | null;
  /** Requests left at the GitHub API in the current window, when this process has seen it answer; else null. */
  github_rate_limit: { host: string; remaining: number; reset_at: string | null } | null;
  scheduler: { last_check_run: string | null; last_pass: string | null; next_check_at: string | null };
}

/** What OS notifications and webhooks announce; `test` only when asked for (testWebhooks). */
export type NotificationKind = 'update_available' | 'update_succeeded' | 'update_failed' | 'update_rolled_back' | 'test';

/** One webhook delivery (testWebhooks): named by its `name` or host, never by its URL. */
export interface WebhookDelivery {
  /** The webhook's name, else its host: never the URL (Discord and Slack URLs carry the token). */
  webhook: string;
  event: string;
  ok: boolean;
  attempts: number;
  /** Last HTTP status, when the server answered. */
  status: number | null;
  /** Why the last attempt failed, when it did. */
  error: string | null;
}

/** `update_available`: a check found a version not announced before. */
export interface UpdateAvailable {
  component: string;
  name: string;
  from_version: string | null;
  to_version: string;
  channel: string;
  /** Whether it fixes a known vulnerability; null when that is unknown (see `security_unknown`). */
  security?: boolean | null;
  /** Why security is unknown: the advisory source that could not be read. */
  security_unknown?: string | null;
}
