import type { ErrorShape, HistoryEntry, LogLine } from '../../../shared/types';
import { toErrorShape } from '../api';
import type { LoadStatus, SliceCreator } from './types';

export interface HistorySlice {
  history: HistoryEntry[];
  historyStatus: LoadStatus;
  historyComponent: string;
  setHistoryComponent(id: string): void;
  loadHistory(): Promise<void>;
  /** Log lines of finished runs, by run id (the history entry's id). */
  runLogs: Record<string, { lines: LogLine[]; total: number; error: ErrorShape | null }>;
  loadRunLog(runId: string): Promise<void>;
  /** Restore the backup taken before this update. */
  rollback(entry: HistoryEntry): Promise<ErrorShape | null>;
  /** A person looked after a component its last run left needing attention. */
  resolveAttention(id: string): Promise<void>;
}

export const createHistorySlice: SliceCreator<HistorySlice> =
  ({ api }) =>
  (set, get) => ({
    history: [],
    historyStatus: 'idle',
    historyComponent: 'all',
    runLogs: {},
    async loadRunLog(runId) {
      try {
        const { lines, total } = await api.getRunLog({ run_id: runId, limit: 5000 });
        set((s) => ({ runLogs: { ...s.runLogs, [runId]: { lines, total, error: null } } }));
      } catch (error) {
        set((s) => ({ runLogs: { ...s.runLogs, [runId]: { lines: [], total: 0, error: toErrorShape(error) } } }));
      }
    },
    setHistoryComponent: (historyComponent) => set({ historyComponent }),

    async loadHistory() {
      if (get().historyStatus === 'idle') set({ historyStatus: 'loading' });
      try {
        const { entries } = await api.listHistory({ limit: 10_000 });
        set({ history: entries, historyStatus: 'ready' });
      } catch (error) {
        set({ historyStatus: 'error' });
        get().reportError('Could not load the history', toErrorShape(error));
      }
    },

    async resolveAttention(id) {
      const name = get().components.find((c) => c.id === id)?.name ?? id;
      try {
        await api.resolveAttention({ id });
        get().announce(`${name} is marked resolved.`, 'success');
        await get().loadHistory();
      } catch (error) {
        get().reportError(`Could not mark ${name} resolved`, toErrorShape(error));
      }
    },

    async rollback(entry) {
      const name = get().components.find((c) => c.id === entry.component)?.name ?? entry.component;
      get().announce(`Rolling back ${name} to ${entry.from ?? 'the backup'}…`);
      try {
        const { result } = await api.rollbackUpdate({ component: entry.component, history_id: entry.id });
        if (result.status === 'succeeded')
          get().announce(`Rolled back ${name} to ${result.to ?? entry.from ?? 'the backup'}.`, 'success');
        else
          get().announce(
            `Roll back of ${name} ${result.status.replace('_', ' ')}${result.error ? `: ${result.error.message} (${result.error.code})` : ''}`,
            'error',
          );
        await Promise.all([get().loadHistory(), get().loadComponents()]);
        return result.error;
      } catch (error) {
        const shape = toErrorShape(error);
        get().reportError(`Could not roll back ${name}`, shape);
        return shape;
      }
    },
  });
