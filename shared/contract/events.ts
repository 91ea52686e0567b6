import type { BackupProgress, LogLine, UpdateAvailable, UpdateOutcome, UpdateProgress } from '../types';
import type { CheckResult } from '../types';
import type { HostStateEvent, RolloutProgress } from '../types/fleet';

/** The engine's own events, as every Upkeep emits them. */
export interface EngineEventMap {
  components_changed: { ids: string[] };
  settings_changed: Record<string, never>;
  /** A run entered a step or moved on within one. */
  update_progress: UpdateProgress;
  /** One line of a run's log (stdout, stderr of its commands, or a message), ANSI stripped. */
  update_log: LogLine;
  update_succeeded: UpdateOutcome;
  update_failed: UpdateOutcome;
  update_rolled_back: UpdateOutcome;
  /** An update was cancelled on request and rolled back (or closed before anything was changed). */
  update_cancelled: UpdateOutcome;
  /** A backup or restore moved on (bytes and files done; at most ~10 a second). */
  backup_progress: BackupProgress;
  /** A check found a version not announced before (once per version, for notifications). */
  update_available: UpdateAvailable;
  /** Schedules, deferrals or the scheduler's last pass changed: re-read getSchedule / getStatus. */
  schedule_changed: { ids: string[] };
  /** A version check of these components began. */
  check_started: { ids: string[] };
  /** One component's check finished (fresh or from the version cache). */
  check_result: { result: CheckResult };
}

/** One engine event from a remote host, relayed by the panel's host with the host's name. */
export type HostEvent = {
  [E in keyof EngineEventMap]: { host: string; event: E; payload: EngineEventMap[E] };
}[keyof EngineEventMap];

/** Push events from the engine to every host's clients (IPC `on`, HTTP SSE). */
export interface EventMap extends EngineEventMap {
  /** An event of a remote host (`upkeep host add`), tagged with its name. */
  host_event: HostEvent;
  /** A remote host's connection changed state (connected, failed with why …). */
  host_state: HostStateEvent;
  /** A staged rollout (startRollout) moved on. */
  rollout_progress: RolloutProgress;
}

export type EventName = keyof EventMap;
export const EVENT_NAMES: readonly EventName[] = [
  'components_changed',
  'settings_changed',
  'update_progress',
  'update_log',
  'update_succeeded',
  'update_failed',
  'update_rolled_back',
  'update_cancelled',
  'backup_progress',
  'update_available',
  'schedule_changed',
  'check_started',
  'check_result',
  'host_event',
  'host_state',
  'rollout_progress',
] as const satisfies readonly EventName[];

export interface EventEnvelope<E extends EventName = EventName> {
  event: E;
  payload: EventMap[E];
}

export type Unsubscribe = () => void;
export type EventListener<E extends EventName> = (payload: EventMap[E]) => void;
