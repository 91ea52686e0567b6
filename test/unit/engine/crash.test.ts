import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createServices } from '../../../electron/core/services';
import { releaseScenario, type Scenario } from './scenario';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..');
const driver = path.join(here, 'crash-driver.ts');

let s: Scenario | undefined;
afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

/** Run the driver in a child process; resolves with how it ended. */
function runDriver(
  home: string,
  killAt: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', driver, home, 'webapp', killAt], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

const WORKING = {
  install: [['node', '-e', 'require("fs").writeFileSync("installed.marker", "ok")']],
  migrations: [['node', '-e', 'require("fs").appendFileSync("db/app.db", "migrated\\n")']],
  health: { command: ['node', '-e', 'process.exit(0)'] },
};

// Until the new tree is swapped in nothing is changed (the release is extracted into staging
// beside the folder): recovery closes the run as failed. From the swap on, recovery puts the
// previous tree back (or restores the pre-update backup) and records rolled_back.
const POINTS: { killAt: string; status: 'failed' | 'rolled_back'; config?: Record<string, unknown> }[] = [
  { killAt: 'preflight', status: 'failed' },
  { killAt: 'backup', status: 'failed' },
  { killAt: 'backup-mid', status: 'failed' },
  { killAt: 'download', status: 'failed' },
  { killAt: 'verify', status: 'failed' },
  { killAt: 'apply', status: 'failed' },
  { killAt: 'apply-mid', status: 'failed' },
  { killAt: 'apply-swap', status: 'rolled_back' },
  { killAt: 'install', status: 'rolled_back' },
  { killAt: 'migrate', status: 'rolled_back' },
  { killAt: 'restart', status: 'rolled_back' },
  { killAt: 'health', status: 'rolled_back' },
  { killAt: 'commit', status: 'rolled_back' },
  // Killed while rolling back a failed update: the next start finishes the rollback.
  { killAt: 'rollback', status: 'rolled_back', config: { health: { command: ['node', '-e', 'process.exit(1)'] } } },
  { killAt: 'rollback-mid', status: 'rolled_back', config: { health: { command: ['node', '-e', 'process.exit(1)'] } } },
];

describe('SIGKILL at any point, then the next start of a host recovers (real child process)', () => {
  it.each(POINTS)('killed at $killAt → folder byte-identical, recorded $status', async ({ killAt, status, config }) => {
    s = await releaseScenario({ config: { ...WORKING, ...(config ?? {}) } });
    const before = s.hash();
    const uploads = s.uploadsHash();
    const ended = await runDriver(s.home, killAt);
    expect(ended.signal, ended.stderr).toBe('SIGKILL');
    // The run is left unfinished: a journal and a lock held by a dead process.
    expect(readdirSync(path.join(s.home, 'journal')).filter((n) => n.endsWith('.json'))).toHaveLength(1);

    const next = createServices({ home: s.home, host: 'http' });
    const recovered = await next.updates.recoverInterruptedRuns();
    expect(recovered).toHaveLength(1);
    // Killed on entering preflight, the installed version was not read yet.
    expect(recovered[0]).toMatchObject({ id: 'webapp', status, from: killAt === 'preflight' ? null : '1.0.0' });
    expect(s.hash()).toBe(before);
    expect(s.uploadsHash()).toBe(uploads);
    expect(readdirSync(path.join(s.home, 'journal'))).toEqual([]);
    // No staging folder of the update is left. (A restore killed mid-extraction leaves the backup
    // store's own `.upkeep-restore-*` staging; cleaning that up is the store's job, reported.)
    const leftovers = readdirSync(path.dirname(s.folder)).filter((n) => n.includes('upkeep-'));
    expect(leftovers.filter((n) => killAt !== 'rollback-mid' || !n.includes('.upkeep-restore-'))).toEqual([]);
    const history = await next.updates.listHistory({ component: 'webapp' });
    expect(history).toHaveLength(1);
    // The cause recorded is the interruption, or the failure the interrupted rollback was undoing.
    expect(history[0]).toMatchObject({ status, error: { code: config ? 'HEALTH_CHECK_FAILED' : 'CANCELLED' } });
    // Recovery is done once: a second call finds nothing, and the lock is free for a new update.
    expect(await next.updates.recoverInterruptedRuns()).toEqual([]);
    if (!config) {
      const [again] = await next.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
      expect(again).toMatchObject({ status: 'succeeded', to: '1.1.0' });
    }
  });

  it('killed after the commit but before history: recovery records the update as succeeded and keeps the new version', async () => {
    s = await releaseScenario({ config: WORKING });
    const ended = await runDriver(s.home, 'committed');
    expect(ended.signal, ended.stderr).toBe('SIGKILL');
    const next = createServices({ home: s.home, host: 'desktop' });
    const [recovered] = await next.updates.recoverInterruptedRuns();
    expect(recovered).toMatchObject({ status: 'succeeded', from: '1.0.0', to: '1.1.0' });
    expect(readFileSync(path.join(s.folder, 'VERSION'), 'utf8')).toBe('1.1.0\n');
    expect(existsSync(path.join(s.folder, 'installed.marker'))).toBe(true);
    expect((await next.updates.listHistory({ component: 'webapp' }))[0]).toMatchObject({
      status: 'succeeded',
      error: null,
    });
  });
});
