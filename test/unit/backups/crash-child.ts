/**
 * A restore in its own process, for the crash test: prints each progress phase on a line of its
 * own so the parent can SIGKILL it in the middle of the swap.
 */
import path from 'node:path';
import { BackupStore } from '../../../electron/core/backups/store';

const [home, folder, backupId, type] = process.argv.slice(2) as [string, string, string, string];
const store = new BackupStore({
  backupsDir: path.join(home, 'backups'),
  historyFile: path.join(home, 'history.jsonl'),
  appVersion: 'test',
  component: (id) => ({ id, folder, sets: { config: ['config/'], data: ['data/'] } }),
  settings: () => ({
    backup_max_per_component: 100,
    backup_max_age_days: 0,
    backup_disk_budget_mb: 0,
    min_free_space_mb: 0,
  }),
  onProgress: (p) => process.stdout.write(`${p.phase}\n`),
});
await store.restore({ backupId, safetyBackup: false, ...(type !== 'all' ? { type: type as 'config' } : {}) });
process.stdout.write('finished\n');
