import type { ErrorShape } from '../errors';
import type { EventListener, EventName, Unsubscribe } from './events';
import type { MethodName, RequestOf, ResponseOf } from './index';

/**
 * What crosses the IPC bridge. Errors lose their fields when thrown across contextBridge, so every
 * call resolves to an envelope and the renderer's IPC client unwraps it into a result or a thrown error.
 */
export type Envelope<T> = { ok: true; result: T } | { ok: false; error: ErrorShape };

/** Where a call goes: this computer's engine when `host` is absent, else that registered remote host. */
export interface CallTarget {
  host?: string;
}

/** `window.upkeep` in the desktop app: exactly the contract's methods, plus event subscription. */
export type Bridge = {
  [M in MethodName]: (request: RequestOf<M>, target?: CallTarget) => Promise<Envelope<ResponseOf<M>>>;
} & {
  on<E extends EventName>(event: E, listener: EventListener<E>): Unsubscribe;
};

export const IPC_INVOKE_CHANNEL = 'upkeep:invoke';
export const IPC_EVENT_CHANNEL = 'upkeep:event';
