import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UpkeepError } from '../../../shared/errors';
import { processStartTime } from '../../../electron/core/engine/lock';
import { backupWorld } from './setup';

/** A real other process to hold a lock, and a lock file naming it. */
async function otherProcessHolds(lockFile: string): Promise<() => Promise<void>> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const pid = child.pid as number;
  mkdirSync(path.dirname(lockFile), { recursive: true });
  writeFileSync(
    lockFile,
    JSON.stringify({
      pid,
      process_start: processStartTime(pid),
      host: 'cli',
      run_id: 'other-run',
      acquired_at: new Date().toISOString(),
    }),
  );
  return async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
}

async function rejection(p: Promise<unknown>): Promise<UpkeepError> {
  const e = await p.then(
    () => null,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(UpkeepError);
  return e as UpkeepError;
}

describe('backups across processes', () => {
  it('a backup waits for no one: another live process holding the component refuses it clearly; a dead holder is stale', async () => {
    const { folder, services, home } = backupWorld();
    writeFileSync(path.join(folder, 'app.txt'), 'app');
    const release = await otherProcessHolds(path.join(home, 'locks', 'backups', 'demo.lock'));
    const e = await rejection(services.backups.create({ component: 'demo' }));
    expect(e.code).toBe('UPDATE_IN_PROGRESS');
    expect(e.message).toContain('another Upkeep process');
    await release();
    const backup = await services.backups.create({ component: 'demo' });
    expect(backup.file_count).toBe(1);
  });

  it('a restore is refused while another process updates the component', async () => {
    const { folder, services, home } = backupWorld();
    writeFileSync(path.join(folder, 'app.txt'), 'v1');
    const backup = await services.backups.create({ component: 'demo' });
    writeFileSync(path.join(folder, 'app.txt'), 'v2');
    const release = await otherProcessHolds(path.join(home, 'locks', 'demo.lock'));
    const e = await rejection(services.backups.restore({ backupId: backup.id }));
    expect(e.code).toBe('UPDATE_IN_PROGRESS');
    expect(e.message).toContain('being updated');
    await release();
    await services.backups.restore({ backupId: backup.id });
  });
});
