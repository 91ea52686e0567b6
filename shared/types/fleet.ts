import type { ErrorShape } from '../errors';
import type { UpdateStatus, UpdateStep } from './index';

/** How the panel's host is doing with one remote host (`upkeep host add`). */
export type HostConnectionState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'failed';

/** `host_state`: a remote host's connection changed; `error` says why it failed (HOST_KEY_UNKNOWN carries details.fingerprint). */
export interface HostStateEvent {
  host: string;
  state: HostConnectionState;
  error: ErrorShape | null;
}

/** Where a rollout is with one host. */
export type RolloutHostStatus =
  'pending' | 'checking' | 'updating' | 'succeeded' | 'up_to_date' | 'failed' | 'not_started';

export interface RolloutHostResult {
  /** A registered host's name; `local` is this computer. */
  host: string;
  canary: boolean;
  status: RolloutHostStatus;
  from: string | null;
  to: string | null;
  /** The update's own outcome on that host (rolled_back when its health check failed), when it ran. */
  update_status: UpdateStatus | null;
  /** The step the update stopped in (health, apply …), when it failed. */
  step: UpdateStep | 'connect' | 'check' | null;
  error: ErrorShape | null;
}

/** `startRollout`: the canary first, then the others in order, stopping at the first failure. */
export interface RolloutResult {
  rollout_id: string;
  component: string;
  status: 'succeeded' | 'stopped';
  /** Where it stopped: the host, the component and the step, and why. */
  stopped_at: {
    host: string;
    component: string;
    step: RolloutHostResult['step'];
    error: ErrorShape | null;
    canary: boolean;
  } | null;
  hosts: RolloutHostResult[];
}

/** `rollout_progress`: one host of a rollout moved on (and the whole rollout's state so far). */
export interface RolloutProgress {
  rollout_id: string;
  component: string;
  host: string;
  status: RolloutHostStatus;
  /** The update's step on that host while it runs. */
  step: UpdateStep | null;
  result: RolloutResult | null;
}
