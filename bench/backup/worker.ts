/**
 * One Upkeep backup operation in its own process, so its peak memory (VmHWM) is its own:
 * `worker create TREE HOME`, `worker restore DEST HOME BACKUP_ID` or `worker verify TREE HOME BACKUP_ID`.
 * Prints one JSON line.
 * It drives BackupStore, the code behind services.backups, with no exclusions so the archive
 * holds exactly what `tar czf` gets.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BackupStore } from '../../electron/core/backups/store';

function peakRssMb(): number | null {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return Math.round(process.memoryUsage().rss / 104857.6) / 10;
  }
}

const [op, folder, home, backupId] = process.argv.slice(2) as [string, string, string, string | undefined];
const store = new BackupStore({
  backupsDir: path.join(home, 'backups'),
  historyFile: path.join(home, 'history.jsonl'),
  appVersion: 'bench',
  component: (id) => ({ id, folder, sets: { exclude: [] } }),
  settings: () => ({
    backup_max_per_component: 1000,
    backup_max_age_days: 0,
    backup_disk_budget_mb: 0,
    min_free_space_mb: 0,
  }),
});

const started = process.hrtime.bigint();
let result: Record<string, unknown>;
if (op === 'create') {
  const info = await store.create({
    component: 'bench',
    includeLogs: true,
    compress: process.env.BENCH_NO_COMPRESS ? false : true,
  });
  result = {
    id: info.id,
    archive: info.archive,
    archive_bytes: info.compressed_size,
    files: info.file_count,
    bytes: info.size,
  };
} else if (op === 'restore') {
  const r = await store.restore({ backupId: backupId as string, safetyBackup: process.env.BENCH_SAFETY === '1' });
  result = { id: r.restored.id, files: r.files, safety_backup: r.safety_backup?.id ?? null };
} else if (op === 'verify') {
  // What an update does after its pre-update backup: read it back whole (`worker verify FOLDER HOME BACKUP_ID`).
  const r = await store.verify(backupId as string);
  if (!r.ok) throw new Error(`verify failed: ${JSON.stringify(r.error)}`);
  result = { id: r.id, files: r.files };
} else {
  throw new Error(`unknown op ${op}`);
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(`${JSON.stringify({ op, ms: Math.round(ms), peak_rss_mb: peakRssMb(), ...result })}\n`);
