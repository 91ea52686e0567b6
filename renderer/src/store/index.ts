import { createContext, createElement, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Client } from '../api';
import { createBackupsSlice } from './backups-slice';
import { createComponentsSlice } from './components-slice';
import { createEnvironmentsSlice } from './environments-slice';
import { createHistorySlice } from './history-slice';
import { createHostsSlice, routedClient } from './hosts-slice';
import { createSettingsSlice } from './settings-slice';
import type { AppState } from './types';
import { createUiSlice } from './ui-slice';
import { createUpdatesSlice } from './updates-slice';

export type { AppState } from './types';
export type AppStore = StoreApi<AppState>;

/** One store composed of typed slices (zustand's slices pattern); the client is injected, never imported by views. */
export function createAppStore(client: Client): AppStore {
  // Every slice but the hosts' talks to the host the switcher shows; Settings → Hosts and the All
  // hosts view name their host on each call.
  const target: { host: string | null } = { host: null };
  const routed = routedClient(client, target);
  return createStore<AppState>()((...a) => ({
    ...createComponentsSlice(routed)(...a),
    ...createUpdatesSlice(routed)(...a),
    ...createBackupsSlice(routed)(...a),
    ...createHistorySlice(routed)(...a),
    ...createSettingsSlice(routed)(...a),
    ...createUiSlice(routed)(...a),
    ...createEnvironmentsSlice(routed)(...a),
    ...createHostsSlice(client, target)(...a),
  }));
}

const StoreContext = createContext<AppStore | null>(null);

export function StoreProvider({ store, children }: { store: AppStore; children: ReactNode }) {
  return createElement(StoreContext.Provider, { value: store }, children);
}

/** Read from the store with a selector (see ./selectors); re-renders only when the selection changes. */
export function useAppStore<T>(selector: (state: AppState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useAppStore outside StoreProvider');
  return useStore(store, selector);
}
