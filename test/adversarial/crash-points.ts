import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');

/** mulberry32: a small seeded generator, so the kill points of a run can be replayed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DriverEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCrashDriver(
  home: string,
  mode: 'update' | 'restore',
  id: string,
  killAt: number,
): Promise<DriverEnd> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'crash-driver.ts'), home, mode, id, String(killAt)],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * The same driver under strace, SIGKILLed by the kernel on entering its `nth` rename(2) (rename,
 * renameat, renameat2): a kill point between two exact filesystem steps, such as the two
 * renames of a swap. One libuv thread keeps the count in one place. Null when strace is missing.
 */
export function runUnderStrace(
  home: string,
  mode: 'update' | 'restore',
  id: string,
  nth: number,
  traceFile?: string,
  injectOn = 'rename,renameat,renameat2',
): Promise<DriverEnd> | null {
  if (!hasStrace()) return null;
  const renames = 'rename,renameat,renameat2';
  const args = ['-f', '-qq', '-o', traceFile ?? '/dev/null', '-e', `trace=${renames}`];
  // Counted per process (and thread): `injectOn` 'renameat2' with nth 1 kills each exchange helper on entering its exchange.
  if (nth > 0) args.push('-e', `inject=${injectOn}:signal=SIGKILL:when=${nth}`);
  args.push(process.execPath, '--import', 'tsx', path.join(here, 'crash-driver.ts'), home, mode, id, '0');
  return new Promise((resolve, reject) => {
    const child = spawn('strace', args, {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

let straceChecked: boolean | undefined;
export function hasStrace(): boolean {
  if (straceChecked === undefined) {
    try {
      straceChecked =
        spawnSync('strace', ['-V']).status === 0 &&
        spawnSync('strace', ['-qq', '-o', '/dev/null', 'true']).status === 0;
    } catch {
      straceChecked = false;
    }
  }
  return straceChecked;
}
