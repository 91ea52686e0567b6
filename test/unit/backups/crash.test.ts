import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackupStore, recoverInterruptedRestores } from '../../../electron/core/backups/store';
import { treeListing } from '../archive/fixtures';
import { tempDir } from '../../helpers/temp';

const here = path.dirname(new URL(import.meta.url).pathname);
const tsx = path.resolve(here, '../../../node_modules/tsx/dist/esm/index.mjs');

function storeFor(home: string, folder: string) {
  return new BackupStore({
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
  });
}

/** Run the restore in a child and SIGKILL it `delayMs` after it starts swapping. */
function restoreAndKill(home: string, folder: string, id: string, type: string, delayMs: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', tsx, path.join(here, 'crash-child.ts'), home, folder, id, type],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('swapping') && !child.killed) setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.on('exit', () => resolve(out));
  });
}

describe('a restore killed in the middle of its swap', () => {
  for (const [type, delay] of [
    ['all', 0],
    ['all', 3],
    ['config', 0],
    ['config', 5],
    ['config', 25],
  ] as const) {
    it(`leaves the folder as before or fully restored after recovery (${type}, kill ${delay} ms into the swap)`, async () => {
      const root = tempDir('upkeep-crash-');
      const home = path.join(root, 'home');
      const folder = path.join(root, 'apps', 'demo');
      // Many roots make the swap long enough to be interrupted.
      for (let i = 0; i < 150; i++) {
        mkdirSync(path.join(folder, 'config', `c${i}`), { recursive: true });
        writeFileSync(path.join(folder, 'config', `c${i}`, 'settings.ini'), `value=${i}\n`);
      }
      mkdirSync(path.join(folder, 'node_modules', 'dep'), { recursive: true });
      writeFileSync(path.join(folder, 'node_modules', 'dep', 'index.js'), 'kept');
      writeFileSync(path.join(folder, 'app.py'), 'v1');
      const store = storeFor(home, folder);
      const backup = await store.create({ component: 'demo', type: type === 'all' ? 'full' : 'config' });
      const backupState = treeListing(folder);
      // Change it all.
      for (let i = 0; i < 150; i++)
        writeFileSync(path.join(folder, 'config', `c${i}`, 'settings.ini'), `changed=${i}\n`);
      writeFileSync(path.join(folder, 'app.py'), 'v2');
      const before = treeListing(folder);

      const out = await restoreAndKill(home, folder, backup.id, type, delay);
      expect(out).toContain('swapping');
      await recoverInterruptedRestores(path.join(home, 'backups'));
      const after = treeListing(folder);
      const expectedRestored =
        type === 'all'
          ? backupState
          : backupState.map((l) =>
              l.startsWith('file app.py') ? (before.find((b) => b.startsWith('file app.py')) as string) : l,
            );
      expect([JSON.stringify(before), JSON.stringify(expectedRestored)]).toContain(JSON.stringify(after));
      // Nothing left behind: no staging, no old copies, no journal.
      expect(readdirSync(path.dirname(folder))).toEqual(['demo']);
      expect(after.some((l) => l.includes('.upkeep-old-'))).toBe(false);
      expect(readdirSync(path.join(home, 'backups')).filter((n) => n.startsWith('.restore-'))).toEqual([]);
    });
  }
});
