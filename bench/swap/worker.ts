/**
 * One Upkeep operation in its own process (see run.ts), printing one JSON line:
 * - `worker update HOME FOLDER V1_TGZ V2_TGZ ok|fail`: a real update through the engine (check,
 *   pre-update backup read back, download from a local GitHub-like server, verify, extract, swap,
 *   commit); with `fail` the health check fails and the engine rolls back (restores the backup).
 *   Reports the whole run and, for `fail`, the rollback alone (from entering the rollback step to
 *   the end of the run).
 * - `worker update-known …` (same arguments): the folder is first updated by Upkeep from 0.9.0 to
 *   1.0.0 (untimed), so Upkeep knows the installed release's file list, as after any update it
 *   made; then the timed update to 1.1.0. Without it the update is the first under Upkeep, which
 *   reads the installed release's file list from its tarball.
 * - `worker restore HOME FOLDER BACKUP_ID`: BackupStore.restore of that backup into the folder
 *   (safety backup off, like the shell way); `ms` until the answer, `settled_ms` once the replaced
 *   tree is removed too. The update read the backup back whole, so the restore checks the
 *   archive's sha256 and every entry, not each file's digest again (as in the app).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BackupStore } from '../../electron/core/backups/store';
import { appPackage } from '../../electron/core/lib/app-version';
import { validateComponent } from '../../electron/core/config/validate';
import { createServices } from '../../electron/core/services';
import { trashSettled } from '../../electron/core/lib/trash';
import { FakeGitHub } from '../../test/fixtures/servers';

const [op, home, folder, a, b, health] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string | undefined,
  string | undefined,
];
const now = () => Number(process.hrtime.bigint()) / 1e6;

async function update(known: boolean): Promise<Record<string, unknown>> {
  if (known) writeFileSync(path.join(folder, 'VERSION'), '0.9.0\n');
  const gh = await FakeGitHub.start();
  try {
    gh.addRelease('acme', 'webapp', { tag_name: 'v1.0.0', tarball: readFileSync(a) });
    if (!known) gh.addRelease('acme', 'webapp', { tag_name: 'v1.1.0', tarball: readFileSync(b as string) });
    const services = createServices({ home, host: 'cli' });
    services.settings.set({ github_api_base: gh.apiBase, min_free_space_mb: 1 });
    const config = validateComponent('webapp', {
      name: 'Web App',
      type: 'github_release',
      user: 'acme',
      repo: 'webapp',
      api_base: gh.apiBase,
      release_compare: 'semantic',
      folder,
      version_from: { file: 'VERSION', regex: '(\\S+)' },
      method: 'release_archive',
      // The backup holds what tar czf gets: nothing excluded.
      backup: { exclude: [] },
      health: { command: [process.execPath, '-e', `process.exit(${health === 'fail' ? 1 : 0})`] },
    });
    services.components.add({ webapp: config });
    let rollbackStart: number | null = null;
    services.events.on('update_progress', (p) => {
      if (p.step === 'rollback' && rollbackStart === null) rollbackStart = now();
    });
    if (known) {
      // Installed by Upkeep: an update from 0.9.0 to 1.0.0 first (untimed), which records 1.0.0's file list.
      const [first] = await services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
      if (first?.status !== 'succeeded') throw new Error(`the untimed update to 1.0.0: ${JSON.stringify(first)}`);
      await trashSettled();
      // What that update wrote and removed is flushed first, as the bench does before every timed run.
      spawnSync('sync');
      gh.addRelease('acme', 'webapp', { tag_name: 'v1.1.0', tarball: readFileSync(b as string) });
    }
    const start = now();
    const [result] = await services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
    const end = now();
    await services.backups.settled?.();
    // The replaced tree is removed in the background after the answer (lib/trash.ts).
    await trashSettled();
    return {
      status: result?.status,
      backup_id: result?.backup_id,
      ms: Math.round(end - start),
      settled_ms: Math.round(now() - start),
      rollback_ms: rollbackStart === null ? null : Math.round(end - rollbackStart),
    };
  } finally {
    await gh.close();
  }
}

async function restore(): Promise<Record<string, unknown>> {
  const store = new BackupStore({
    backupsDir: path.join(home, 'backups'),
    historyFile: path.join(home, 'history.jsonl'),
    // The Upkeep that made and read back the backup (a restore relies on that read-back, see verification.ts).
    appVersion: appPackage().version,
    component: (id) => ({ id, folder, sets: { exclude: [] } }),
    settings: () => ({
      backup_max_per_component: 1000,
      backup_max_age_days: 0,
      backup_disk_budget_mb: 0,
      min_free_space_mb: 0,
    }),
  });
  const start = now();
  const r = await store.restore({ backupId: a, safetyBackup: false });
  const answered = now();
  await store.settled();
  return { files: r.files, ms: Math.round(answered - start), settled_ms: Math.round(now() - start) };
}

const result =
  op === 'update' || op === 'update-known'
    ? await update(op === 'update-known')
    : op === 'restore'
      ? await restore()
      : null;
if (!result) throw new Error(`unknown op ${op}`);
process.stdout.write(`${JSON.stringify({ op, ...result })}\n`);
