/** Push events from the engine to every host's clients (IPC `on`, HTTP SSE). */
export interface EventMap {
  components_changed: { ids: string[] };
  settings_changed: Record<string, never>;
}

export type EventName = keyof EventMap;
export const EVENT_NAMES: readonly EventName[] = ['components_changed', 'settings_changed'] as const satisfies readonly EventName[];

export interface EventEnvelope<E extends EventName = EventName> {
  event: E;
  payload: EventMap[E];
}

export type Unsubscribe = () => void;
export type EventListener<E extends EventName> = (payload: EventMap[E]) => void;
