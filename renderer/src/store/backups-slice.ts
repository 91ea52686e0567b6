import type { BackupInfo, BackupType } from '../../../shared/types';
import type { LoadStatus, SliceCreator } from './types';

export type BackupSort = 'date' | 'size' | 'name' | 'type';
export type BackupRange = 'all' | '1d' | '7d' | '30d';

export interface BackupFilters {
  component: string;
  type: BackupType | 'all';
  range: BackupRange;
  sort: BackupSort;
}

export interface BackupsSlice {
  backups: BackupInfo[];
  backupsStatus: LoadStatus;
  backupFilters: BackupFilters;
  setBackupFilters(patch: Partial<BackupFilters>): void;
  loadBackups(): Promise<void>;
}

export const createBackupsSlice: SliceCreator<BackupsSlice> = () => (set) => ({
  backups: [],
  backupsStatus: 'idle',
  backupFilters: { component: 'all', type: 'all', range: 'all', sort: 'date' },
  setBackupFilters: (patch) => set((s) => ({ backupFilters: { ...s.backupFilters, ...patch } })),
  async loadBackups() {
    set({ backupsStatus: 'ready' });
  },
});
