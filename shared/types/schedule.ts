import type { ErrorShape } from '../errors';
import type { HistoryEntry, UpdateResult, UpdateStatus, UpdateStep } from './update';

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
  checked: {
    id: string;
    installed: string | null;
    latest: string | null;
    update_available: boolean;
    error: ErrorShape | null;
  }[];
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
  last_update: {
    at: string;
    from: string | null;
    to: string | null;
    status: UpdateStatus;
    initiated_by: HistoryEntry['initiated_by'];
  } | null;
  last_7d: RunStatsView;
  last_30d: RunStatsView;
  /** The next thing the scheduler will do for it: a check, or an auto-update when its window opens. */
  next_run: { at: string; kind: 'check' | 'auto_update' } | null;
  pending_update: { installed: string | null; latest: string } | null;
  deferral: Deferral | null;
  /** Present while a live Upkeep process updates, rolls back or restores it: what is installed may change when it ends. */
  in_progress?: {
    kind: 'update' | 'rollback' | 'restore';
    pid: number | null;
    run_id: string | null;
    step: UpdateStep | null;
  };
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
export type NotificationKind =
  'update_available' | 'update_succeeded' | 'update_failed' | 'update_rolled_back' | 'test';

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
