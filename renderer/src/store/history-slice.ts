import type { HistoryEntry } from '../../../shared/types';
import type { LoadStatus, SliceCreator } from './types';

export interface HistorySlice {
  history: HistoryEntry[];
  historyStatus: LoadStatus;
  historyComponent: string;
  setHistoryComponent(id: string): void;
  loadHistory(): Promise<void>;
}

export const createHistorySlice: SliceCreator<HistorySlice> = () => (set) => ({
  history: [],
  historyStatus: 'idle',
  historyComponent: 'all',
  setHistoryComponent: (historyComponent) => set({ historyComponent }),
  async loadHistory() {
    set({ historyStatus: 'ready' });
  },
});
