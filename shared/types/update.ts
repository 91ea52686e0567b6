import type { ErrorShape } from '../errors';

// Update runs: their steps, results, history entries, and the progress and outcome events.

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
