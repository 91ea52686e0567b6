import type { EventMap, EventName, Unsubscribe } from '../../shared/contract';

type AnyListener = (event: EventName, payload: unknown) => void;

/** The engine's event bus: services emit, hosts forward to their clients. */
export class EventBus {
  private readonly listeners = new Set<AnyListener>();

  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event, payload);
      } catch {
        // A broken subscriber must never break the engine.
      }
    }
  }

  /** Every event, for hosts that forward them all. */
  onAny(listener: AnyListener): Unsubscribe {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): Unsubscribe {
    return this.onAny((name, payload) => {
      if (name === event) listener(payload as EventMap[E]);
    });
  }
}
