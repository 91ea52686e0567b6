import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { releaseScenario, type Scenario } from './scenario';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..');
const entry = path.join(repoRoot, 'electron', 'cli', 'index.ts');

let s: Scenario | undefined;
afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

/** The real `upkeep` command in its own process (from source through tsx), stdin closed. */
function upkeep(
  home: string,
  ...args: string[]
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped CLI JSON
): Promise<{ code: number | null; stdout: string; stderr: string; json: () => any }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry, '--home', home, ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) }));
  });
}

describe('upkeep update / rollback / history', () => {
  it('speak the JSON shapes the README documents with the exit codes', async () => {
    s = await releaseScenario();
    const before = s.hash();

    const refused = await upkeep(s.home, '--json', 'update', 'webapp');
    expect(refused.code).toBe(2);
    expect(refused.json()).toMatchObject({
      error: { code: 'INVALID_REQUEST', message: expect.stringContaining('--yes') },
    });

    const updated = await upkeep(s.home, '--json', 'update', 'webapp', '--yes');
    expect(updated.code, updated.stderr).toBe(0);
    const { results } = updated.json();
    expect(results).toEqual([
      {
        id: 'webapp',
        from: '1.0.0',
        to: '1.1.0',
        status: 'succeeded',
        backup_id: expect.any(String),
        error: null,
        run_id: expect.any(String),
      },
    ]);

    const history = await upkeep(s.home, '--json', 'history', 'webapp', '--limit', '5');
    expect(history.code).toBe(0);
    expect(history.json().entries).toEqual([
      expect.objectContaining({
        id: results[0].run_id,
        component: 'webapp',
        kind: 'update',
        from: '1.0.0',
        to: '1.1.0',
        status: 'succeeded',
        backup_id: results[0].backup_id,
        error: null,
        initiated_by: 'cli',
      }),
    ]);

    const rolled = await upkeep(s.home, '--json', 'rollback', 'webapp', '--to', '1.0.0', '--yes');
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.json()).toMatchObject({
      result: { status: 'succeeded', from: '1.1.0', to: '1.0.0', backup_id: results[0].backup_id },
      entry: { kind: 'rollback' },
    });
    expect(s.hash()).toBe(before);

    const after = await upkeep(s.home, '--json', 'history');
    expect(after.json().entries.map((e: { kind: string }) => e.kind)).toEqual(['rollback', 'update']);

    const unknown = await upkeep(s.home, '--json', 'rollback', 'webapp', '--to', '0.0.1', '--yes');
    expect(unknown.code).toBe(1);
    expect(unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('exit 1 with status rolled_back when an update fails, and people see the log on stderr', async () => {
    s = await releaseScenario({
      config: { install: [['node', '-e', 'console.error("\\u001b[31minstall broke\\u001b[0m"); process.exit(1)']] },
    });
    const before = s.hash();
    const failed = await upkeep(s.home, 'update', 'webapp', '--yes');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/webapp\s+1\.0\.0\s+1\.1\.0\s+rolled_back/);
    expect(failed.stderr).toContain('[webapp] install broke');
    expect(failed.stderr).not.toContain('\u001b[');
    expect(s.hash()).toBe(before);
  });
});
