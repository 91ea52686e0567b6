import type { BackupInfo, BackupProblem, BackupProgress, BackupType, ErrorShape } from '../../../shared/types';
import type { LoadStatus, SliceCreator } from './types';

export type BackupSortKey = 'date' | 'size' | 'name' | 'type';
export type BackupRange = 'all' | '1d' | '7d' | '30d' | '90d';

export interface BackupFilters {
  component: string;
  type: BackupType | 'all';
  range: BackupRange;
  sort: BackupSortKey;
}

export interface VerifyState {
  status: 'running' | 'ok' | 'failed';
  error: ErrorShape | null;
  files?: number;
}

/** A long backup operation in progress (create, restore), from backup_progress events. */
export interface BackupOperation {
  label: string;
  percent: number | null;
}

export interface CreateBackupRequest {
  component: string;
  type: BackupType;
  name: string;
  description: string;
  includeLogs: boolean;
  compress: boolean;
}

export interface BackupsSlice {
  backups: BackupInfo[];
  backupProblems: BackupProblem[];
  backupsStatus: LoadStatus;
  backupFilters: BackupFilters;
  verifications: Record<string, VerifyState>;
  backupOperation: BackupOperation | null;
  setBackupFilters(patch: Partial<BackupFilters>): void;
  loadBackups(): Promise<void>;
  createBackup(request: CreateBackupRequest): Promise<ErrorShape | null>;
  verifyBackup(id: string): Promise<void>;
  restoreBackup(id: string): Promise<ErrorShape | null>;
  deleteBackup(id: string): Promise<ErrorShape | null>;
  /** Event intake (subscription module only). */
  backupProgressed(progress: BackupProgress): void;
}

const PHASE_LABEL: Record<BackupProgress['phase'], string> = {
  scanning: 'Scanning files',
  'copying-databases': 'Copying databases consistently',
  archiving: 'Archiving',
  verifying: 'Verifying',
  extracting: 'Extracting',
  'safety-backup': 'Taking a safety backup',
  swapping: 'Putting files in place',
  done: 'Done',
};

const unsupported = (what: string): ErrorShape => ({ code: 'UNSUPPORTED', message: `${what} is not available in this version of the engine yet.` });

export const createBackupsSlice: SliceCreator<BackupsSlice> = () => (set, get) => ({
  backups: [],
  backupProblems: [],
  backupsStatus: 'idle',
  backupFilters: { component: 'all', type: 'all', range: 'all', sort: 'date' },
  verifications: {},
  backupOperation: null,
  setBackupFilters: (patch) => set((s) => ({ backupFilters: { ...s.backupFilters, ...patch } })),
  backupProgressed(p) {
    if (p.phase === 'done') {
      set({ backupOperation: null });
      return;
    }
    const name = get().components.find((c) => c.id === p.component)?.name ?? p.component;
    const percent = p.total_bytes ? (100 * p.bytes) / p.total_bytes : p.total_files ? (100 * p.files) / p.total_files : null;
    set({ backupOperation: { label: `${name}: ${PHASE_LABEL[p.phase]}`, percent } });
  },
  async loadBackups() {
    set({ backupsStatus: 'ready' });
  },
  async createBackup() {
    const e = unsupported('Creating backups');
    get().reportError('Create backup', e);
    return e;
  },
  async verifyBackup() {
    get().reportError('Verify', unsupported('Verifying backups'));
  },
  async restoreBackup() {
    const e = unsupported('Restoring backups');
    get().reportError('Restore', e);
    return e;
  },
  async deleteBackup() {
    const e = unsupported('Deleting backups');
    get().reportError('Delete', e);
    return e;
  },
});
