import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** Build the CLI bundle once per test file (esbuild: well under a second). */
export function buildCli(): void {
  const built = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs'), 'cli'], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`CLI build failed: ${built.stderr}`);
}

/** Run the real `upkeep` bin as a user would. */
export function upkeep(
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): SpawnSyncReturns<string> & { json: () => unknown } {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'upkeep.mjs'), ...args], {
    encoding: 'utf8',
    input: options.input,
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, UPKEEP_HOME: '', ...options.env },
    timeout: 60_000,
  });
  return Object.assign(result, { json: () => JSON.parse(result.stdout) as unknown });
}

/**
 * The real `upkeep` bin as a child process, asynchronously: for tests whose fake servers run in
 * this process (a synchronous run would block them from answering).
 */
export function upkeepAsync(
  args: string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; json: () => unknown }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'upkeep.mjs'), ...args], {
      env: { ...process.env, UPKEEP_HOME: '', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) as unknown }));
  });
}
