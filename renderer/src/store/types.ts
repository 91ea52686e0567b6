import type { StateCreator } from 'zustand';
import type { Client } from '../api';
import type { BackupsSlice } from './backups-slice';
import type { ComponentsSlice } from './components-slice';
import type { EnvironmentsSlice } from './environments-slice';
import type { HistorySlice } from './history-slice';
import type { HostsSlice } from './hosts-slice';
import type { SettingsSlice } from './settings-slice';
import type { UiSlice } from './ui-slice';
import type { UpdatesSlice } from './updates-slice';

/** The one store: every slice's state and actions side by side. */
export type AppState = ComponentsSlice &
  UpdatesSlice &
  BackupsSlice &
  HistorySlice &
  SettingsSlice &
  UiSlice &
  EnvironmentsSlice &
  HostsSlice;

/** A slice sees the whole store (to call another slice's action) and the client it acts through. */
export type SliceCreator<S> = (client: Client) => StateCreator<AppState, [], [], S>;

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';
