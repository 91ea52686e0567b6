import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock, processStartTime } from '../../../electron/core/engine/lock';
import { tempDir } from '../../helpers/temp';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..');
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

function holdInChild(dir: string, component: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'lock-holder.ts'), dir, component], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('locked')) resolve(c);
    });
    c.on('error', reject);
    c.on('close', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
}

function exited(c: ChildProcess): Promise<void> {
  return new Promise((resolve) =>
    c.exitCode !== null || c.signalCode !== null ? resolve() : c.on('close', () => resolve()),
  );
}

describe('component lock across processes', () => {
  it('refuses while another process holds it, and is free once that process is killed', async () => {
    const dir = tempDir();
    child = await holdInChild(dir, 'webapp');
    await expect(acquireLock(dir, 'webapp', { host: 'cli', runId: 'second' })).rejects.toMatchObject({
      code: 'UPDATE_IN_PROGRESS',
      message: expect.stringContaining('desktop app'),
      details: { run_id: 'held-by-child', pid: child.pid },
    });
    // Another component is not blocked.
    const other = await acquireLock(dir, 'other', { host: 'cli', runId: 'x' });
    await other.release();
    child.kill('SIGKILL');
    await exited(child);
    const lock = await acquireLock(dir, 'webapp', { host: 'cli', runId: 'after-crash' });
    expect(JSON.parse(readFileSync(lock.file, 'utf8'))).toMatchObject({ pid: process.pid, run_id: 'after-crash' });
    await lock.release();
    expect(existsSync(lock.file)).toBe(false);
  });

  it('is released when the holder lets go normally', async () => {
    const dir = tempDir();
    child = await holdInChild(dir, 'webapp');
    child.stdin?.end();
    await exited(child);
    const lock = await acquireLock(dir, 'webapp', { host: 'cli', runId: 'next' });
    await lock.release();
  });

  it('treats a lock whose pid now belongs to another process (pid reuse) as stale, and one in the same process as held', async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'webapp.lock');
    writeFileSync(
      file,
      JSON.stringify({
        pid: process.pid,
        process_start: 'not-this-process',
        host: 'cli',
        run_id: 'ghost',
        acquired_at: new Date().toISOString(),
      }),
    );
    const lock = await acquireLock(dir, 'webapp', { host: 'cli', runId: 'fresh' });
    expect(processStartTime(process.pid)).not.toBeNull();
    await expect(acquireLock(dir, 'webapp', { host: 'cli', runId: 'same-process' })).rejects.toMatchObject({
      code: 'UPDATE_IN_PROGRESS',
    });
    await lock.release();
  });
});
