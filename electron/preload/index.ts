import { contextBridge, ipcRenderer } from 'electron';
import {
  EVENT_NAMES,
  IPC_EVENT_CHANNEL,
  IPC_INVOKE_CHANNEL,
  METHOD_NAMES,
  type Bridge,
  type EventEnvelope,
  type EventName,
} from '../../shared/contract';

// Exactly the contract's methods, each forwarding one object argument; plus `on(event, cb)`.
const bridge: Record<string, unknown> = {};
for (const method of METHOD_NAMES) {
  bridge[method] = (request: unknown) => ipcRenderer.invoke(IPC_INVOKE_CHANNEL, method, request ?? {});
}

type Listener = (payload: unknown) => void;
const listeners = new Map<EventName, Set<Listener>>();
ipcRenderer.on(IPC_EVENT_CHANNEL, (_event, envelope: EventEnvelope) => {
  for (const listener of listeners.get(envelope.event) ?? []) listener(envelope.payload);
});

bridge.on = (event: EventName, listener: Listener) => {
  if (!EVENT_NAMES.includes(event) || typeof listener !== 'function') throw new Error(`Unknown event ${String(event)}`);
  const set = listeners.get(event) ?? new Set<Listener>();
  set.add(listener);
  listeners.set(event, set);
  return () => void set.delete(listener);
};

contextBridge.exposeInMainWorld('upkeep', bridge as Bridge);
