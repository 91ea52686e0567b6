import { createContext, createElement, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Client } from '../api';
import { createBackupsSlice } from './backups-slice';
import { createComponentsSlice } from './components-slice';
import { createEnvironmentsSlice } from './environments-slice';
import { createHistorySlice } from './history-slice';
import { createSettingsSlice } from './settings-slice';
import type { AppState } from './types';
import { createUiSlice } from './ui-slice';
import { createUpdatesSlice } from './updates-slice';

export type { AppState } from './types';
export type AppStore = StoreApi<AppState>;

/** One store composed of typed slices (zustand's slices pattern); the client is injected, never imported by views. */
export function createAppStore(client: Client): AppStore {
  return createStore<AppState>()((...a) => ({
    ...createComponentsSlice(client)(...a),
    ...createUpdatesSlice(client)(...a),
    ...createBackupsSlice(client)(...a),
    ...createHistorySlice(client)(...a),
    ...createSettingsSlice(client)(...a),
    ...createUiSlice(client)(...a),
    ...createEnvironmentsSlice(client)(...a),
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
