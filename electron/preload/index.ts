import { contextBridge, ipcRenderer } from 'electron';
// Only the bridge module at run time: the contract's schemas stay out of the preload.
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, type Bridge } from '../../shared/contract/bridge';
import type { EventEnvelope, EventName } from '../../shared/contract/events';
import type { MethodName } from '../../shared/contract';

// The contract's method and event names, inlined by the build (scripts/build.mjs) from shared/contract.
declare const __UPKEEP_METHOD_NAMES__: readonly MethodName[];
declare const __UPKEEP_EVENT_NAMES__: readonly EventName[];

// Exactly the contract's methods, each forwarding one object argument; plus `on(event, cb)`.
const bridge: Record<string, unknown> = {};
for (const method of __UPKEEP_METHOD_NAMES__) {
  bridge[method] = (request: unknown, target?: { host?: unknown }) =>
    typeof target?.host === 'string'
      ? ipcRenderer.invoke(IPC_INVOKE_CHANNEL, method, request ?? {}, target.host)
      : ipcRenderer.invoke(IPC_INVOKE_CHANNEL, method, request ?? {});
}

type Listener = (payload: unknown) => void;
const listeners = new Map<EventName, Set<Listener>>();
ipcRenderer.on(IPC_EVENT_CHANNEL, (_event, envelope: EventEnvelope) => {
  for (const listener of listeners.get(envelope.event) ?? []) listener(envelope.payload);
});

bridge.on = (event: EventName, listener: Listener) => {
  if (!__UPKEEP_EVENT_NAMES__.includes(event) || typeof listener !== 'function')
    throw new Error(`Unknown event ${String(event)}`);
  const set = listeners.get(event) ?? new Set<Listener>();
  set.add(listener);
  listeners.set(event, set);
  return () => void set.delete(listener);
};

contextBridge.exposeInMainWorld('upkeep', bridge as Bridge);
