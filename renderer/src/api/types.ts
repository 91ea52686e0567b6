import type { Api, EventMap, EventName } from '../../../shared/contract';

export type EventHandler = <E extends EventName>(event: E, payload: EventMap[E]) => void;

/**
 * How the connection to the engine's event stream is doing; shown in the header. `refused`: the host
 * answers but refuses the access token (401), which waiting will not mend.
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'refused';

/** What the store talks to: the contract's methods, and the engine's push events. */
export interface Client {
  api: Api;
  /** The same methods, answered by a registered remote host (null: this computer). */
  forHost(host: string | null): Api;
  /** Every push event goes to `handler`; returns a function that stops listening. */
  subscribe(handler: EventHandler, onState?: (state: ConnectionState) => void): () => void;
  transport: 'ipc' | 'http';
}
