import type { BackupInfo, BackupProblem, BackupProgress, BackupType, ErrorShape } from '../../../shared/types';
import { toErrorShape } from '../api';
import type { LoadStatus, SliceCreator } from './types';

export const BACKUP_SORT_KEYS = ['date', 'size', 'name', 'type'] as const;
export type BackupSortKey = (typeof BACKUP_SORT_KEYS)[number];
export const BACKUP_RANGES = ['all', '1d', '7d', '30d', '90d'] as const;
export type BackupRange = (typeof BACKUP_RANGES)[number];
export const BACKUP_TYPES = ['full', 'database', 'config', 'data'] as const satisfies readonly BackupType[];

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
  /** When this check was asked for (ISO 8601): a record kept with the backup since is newer. */
  at: string;
}

/** A long backup operation in progress (create, restore), from backup_progress events. */
export interface BackupOperation {
  label: string;
  percent: number | null;
  /** Whose backup, and what it is doing (an update's run card shows its backup beside the download). */
  component: string;
  phase: BackupProgress['phase'];
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
  /** Pinned backups are never removed by retention. */
  pinBackup(id: string, pinned: boolean): Promise<void>;
  /** Event intake (subscription module only). */
  backupProgressed(progress: BackupProgress): void;
}

export const PHASE_LABEL: Record<BackupProgress['phase'], string> = {
  scanning: 'Scanning files',
  'copying-databases': 'Copying databases consistently',
  archiving: 'Archiving',
  verifying: 'Verifying',
  extracting: 'Extracting',
  'safety-backup': 'Taking a safety backup',
  swapping: 'Putting files in place',
  done: 'Done',
};

const PAGE = 50;

export const createBackupsSlice: SliceCreator<BackupsSlice> =
  ({ api }) =>
  (set, get) => {
    const nameOf = (component: string) => get().components.find((c) => c.id === component)?.name ?? component;
    const labelOf = (id: string) => {
      const b = get().backups.find((x) => x.id === id);
      return b ? `${b.name || b.id} (${nameOf(b.component)})` : id;
    };
    return {
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
        const percent = p.total_bytes
          ? (100 * p.bytes) / p.total_bytes
          : p.total_files
            ? (100 * p.files) / p.total_files
            : null;
        set({
          backupOperation: {
            label: `${name}: ${PHASE_LABEL[p.phase]}`,
            percent,
            component: p.component,
            phase: p.phase,
          },
        });
      },
      async loadBackups() {
        if (get().backupsStatus === 'idle') set({ backupsStatus: 'loading' });
        const started = performance.now();
        try {
          // The list is filtered and sorted in the panel; the engine pages 50 at a time.
          const all: BackupInfo[] = [];
          let problems: BackupProblem[] = [];
          for (let offset = 0; ; offset += PAGE) {
            const page = await api.listBackups({ sort: 'date', limit: PAGE, offset });
            if (offset === 0) problems = page.problems;
            all.push(...page.backups);
            if (page.backups.length < PAGE) break;
          }
          set({ backups: all, backupProblems: problems, backupsStatus: 'ready' });
          // For bench/ui: how long fetching the whole list took.
          performance.measure('upkeep:backups-load', { start: started, end: performance.now() });
        } catch (error) {
          set({ backupsStatus: 'error' });
          get().reportError('Could not list backups', toErrorShape(error));
        }
      },

      async createBackup({ component, type, name, description, includeLogs, compress }) {
        try {
          const backup = await api.createBackup({
            component,
            type,
            ...(name ? { name } : {}),
            ...(description ? { description } : {}),
            include_logs: includeLogs,
            compress,
          });
          set({ backupOperation: null });
          get().announce(
            `Backup ${backup.name || backup.id} of ${nameOf(component)} created (${backup.file_count} files).`,
            'success',
          );
          await get().loadBackups();
          return null;
        } catch (error) {
          const shape = toErrorShape(error);
          set({ backupOperation: null });
          get().announce(`No backup of ${nameOf(component)}: ${shape.message} (${shape.code})`, 'error');
          return shape;
        }
      },

      async verifyBackup(id) {
        const at = new Date().toISOString();
        set((s) => ({ verifications: { ...s.verifications, [id]: { status: 'running', error: null, at } } }));
        try {
          const result = await api.verifyBackup({ id });
          set((s) => ({
            verifications: {
              ...s.verifications,
              [id]: { status: result.ok ? 'ok' : 'failed', error: result.error, files: result.files, at },
            },
          }));
          // What the check kept with the backup (the list shows it from then on).
          void get().loadBackups();
          if (result.ok) get().announce(`Backup ${labelOf(id)} verified: ${result.files} files intact.`, 'success');
          else
            get().announce(
              `Backup ${labelOf(id)} failed verification: ${result.error?.message ?? 'damaged'} (${result.error?.code ?? 'BACKUP_CORRUPT'})`,
              'error',
            );
        } catch (error) {
          const shape = toErrorShape(error);
          set((s) => ({ verifications: { ...s.verifications, [id]: { status: 'failed', error: shape, at } } }));
          get().announce(`Could not verify ${labelOf(id)}: ${shape.message} (${shape.code})`, 'error');
        }
      },

      async restoreBackup(id) {
        const label = labelOf(id);
        get().announce(`Restoring ${label}…`);
        try {
          const result = await api.restoreBackup({ id });
          set({ backupOperation: null });
          const safety = result.safety_backup
            ? ` A safety backup of what was there is kept as ${result.safety_backup.name || result.safety_backup.id}.`
            : '';
          get().announce(`Restored ${label}: ${result.files} files.${safety}`, 'success');
          await Promise.all([get().loadBackups(), get().loadHistory()]);
          // The restored files may hold another version: refresh what the row says, without a fanfare.
          const component = result.restored.component;
          if (get().checks[component]) void get().checkComponents([component], false, { quiet: true });
          return null;
        } catch (error) {
          const shape = toErrorShape(error);
          set({ backupOperation: null });
          get().announce(`Could not restore ${label}: ${shape.message} (${shape.code})`, 'error');
          return shape;
        }
      },

      async pinBackup(id, pinned) {
        try {
          const updated = await api.pinBackup({ id, pinned });
          set((s) => ({ backups: s.backups.map((b) => (b.id === id ? updated : b)) }));
          get().announce(pinned ? `Pinned ${labelOf(id)}: retention keeps it.` : `Unpinned ${labelOf(id)}.`, 'success');
        } catch (error) {
          const shape = toErrorShape(error);
          get().announce(
            `Could not ${pinned ? 'pin' : 'unpin'} ${labelOf(id)}: ${shape.message} (${shape.code})`,
            'error',
          );
        }
      },

      async deleteBackup(id) {
        const label = labelOf(id);
        try {
          await api.deleteBackup({ id });
          set((s) => ({ backups: s.backups.filter((b) => b.id !== id) }));
          get().announce(`Deleted backup ${label}.`, 'success');
          return null;
        } catch (error) {
          const shape = toErrorShape(error);
          get().announce(`Could not delete ${label}: ${shape.message} (${shape.code})`, 'error');
          return shape;
        }
      },
    };
  };
