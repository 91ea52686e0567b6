import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventName } from '../../shared/contract';
import type { CancelResult, LogLine, UpdateProgress, UpdateResult } from '../../shared/types';
import { toErrorShape } from '../../shared/errors';
import { validateComponent } from '../../electron/core/config/validate';
import { createServices, type Services } from '../../electron/core/services';
import { runCommand } from '../../electron/core/updaters/lib/exec';
import { createGitRemote, git, type GitRemoteFixture } from '../fixtures/git/git-remote';
import { sourceTarball, treeHash } from '../fixtures/releases/tree';
import { buildCli, repoRoot } from '../helpers/cli';
import { tempDir } from '../helpers/temp';
import { OWNER, REPO, releaseFiles, releaseScenario, type Scenario } from '../unit/engine/scenario';
import { serve, trickle, type Served } from './servers';
import { trashSettled } from '../../electron/core/lib/trash';

/**
 * Cancelling a running update: at every step before the commit point the run stops promptly,
 * rolls back, ends as `cancelled` in history with the folder and the user's data as before and the
 * lock released; after the commit point a cancel is refused (CANCEL_TOO_LATE) and the update
 * finishes. Real servers, real git repositories, real child processes, the real built CLI.
 */

let s: Scenario | undefined;
let extra: Served | undefined;
let gitFixture: GitRemoteFixture | undefined;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await extra?.close();
  extra = undefined;
  await s?.cleanup();
  s = undefined;
  gitFixture?.cleanup();
  gitFixture = undefined;
});

beforeAll(() => buildCli());

/** A pid that no longer runs (gone, or a zombie waiting for a parent that is gone too). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false;
  } catch {
    return true;
  }
}

async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** Start the update; when `when` first matches an engine event, cancel it through the engine (as the API does). */
async function updateCancelledWhen(
  services: Services,
  id: string,
  when: (event: EventName, payload: unknown) => boolean,
): Promise<{ result: UpdateResult; cancel: Promise<CancelResult> | null; cancelledAt: number; endedAt: number }> {
  let cancel: Promise<CancelResult> | null = null;
  let cancelledAt = 0;
  const stop = services.events.onAny((event, payload) => {
    if (cancel || !when(event, payload)) return;
    cancelledAt = Date.now();
    cancel = services.updates.cancel(id, 'by the test');
    cancel.catch(() => undefined);
  });
  try {
    const [result] = await services.updates.updateComponents([id], { initiatedBy: 'panel' });
    return { result: result as UpdateResult, cancel, cancelledAt, endedAt: Date.now() };
  } finally {
    stop();
  }
}

/**
 * A health check that passes at once on the old release (the check after a rollback) and, on the
 * new one, says `health-waiting` and waits a minute. The marker is built at run time, so the
 * command line the log echoes does not contain it.
 */
const ONLY_NEW = `if(require('fs').readFileSync('VERSION','utf8').trim()!=='1.1.0')process.exit(0);`;
const WAITING = `console.log('health-'+'waiting');setTimeout(()=>{},60000);`;

const logged = (text: string) => (event: EventName, payload: unknown) =>
  event === 'update_log' && (payload as LogLine).line.includes(text);
const entered = (step: UpdateProgress['step']) => (event: EventName, payload: unknown) =>
  event === 'update_progress' && (payload as UpdateProgress).step === step;

/** What every cancelled run leaves: the folder as it was, history `cancelled`, no lock, no journal. */
async function expectCancelledAndOld(
  scenario: Scenario,
  result: UpdateResult,
  before: string,
  uploads: string,
): Promise<void> {
  expect(result.status).toBe('cancelled');
  expect(result.error?.code).toBe('CANCELLED');
  expect(scenario.hash()).toBe(before);
  expect(scenario.uploadsHash()).toBe(uploads);
  expect(readFileSync(path.join(scenario.folder, '.env'), 'utf8')).toBe('SECRET_KEY=user-secret\n');
  const [entry] = await scenario.services.updates.listHistory({ component: 'webapp' });
  expect(entry).toMatchObject({ id: result.run_id, status: 'cancelled', error: { code: 'CANCELLED' } });
  expect(existsSync(path.join(scenario.services.layout.locks, 'webapp.lock'))).toBe(false);
  expect(readdirSync(scenario.services.layout.journal).filter((n) => n.endsWith('.json'))).toEqual([]);
  expect(scenario.events.some((e) => e.event === 'update_cancelled')).toBe(true);
  // No staging folder is left beside the component, once the background removal of the trees set aside ends.
  await trashSettled();
  expect(readdirSync(path.dirname(scenario.folder)).filter((n) => n.includes('upkeep-'))).toEqual([]);
}

/** A release 1.1.0 with `count` more files, so extracting it takes a while. */
function bigRelease(count: number): Buffer {
  const files = releaseFiles();
  for (let i = 0; i < count; i++)
    files[`vendor/pkg-${Math.floor(i / 100)}/file-${i}.js`] = `module.exports = ${i}; // ${'x'.repeat(200)}\n`;
  return sourceTarball(`${OWNER}-${REPO}-bbb222`, files);
}

describe('cancel: release_archive at each step before commit', () => {
  it('preflight: nothing was changed, no backup taken', async () => {
    s = await releaseScenario();
    const before = s.hash();
    const uploads = s.uploadsHash();
    const { result, cancel } = await updateCancelledWhen(s.services, 'webapp', entered('preflight'));
    await expect(cancel).resolves.toMatchObject({ component: 'webapp', step: 'preflight', holder: 'this_process' });
    await expectCancelledAndOld(s, result, before, uploads);
    expect(result.backup_id).toBeNull();
    expect(result.error?.message).toContain('Nothing had been changed');
  });

  it('backup: the archive being written is stopped and nothing of it is kept', async () => {
    // Enough incompressible data that the backup is still archiving when the cancel comes.
    s = await releaseScenario();
    mkdirSync(path.join(s.folder, 'media'));
    for (let i = 0; i < 40; i++)
      writeFileSync(path.join(s.folder, 'media', `clip-${i}.bin`), randomBytes(2 * 1024 * 1024));
    const before = s.hash();
    const uploads = s.uploadsHash();
    const { result, cancel, cancelledAt, endedAt } = await updateCancelledWhen(
      s.services,
      'webapp',
      (event, payload) =>
        event === 'backup_progress' &&
        (payload as { phase: string; files: number }).phase === 'archiving' &&
        (payload as { files: number }).files > 0,
    );
    // A release is downloaded and staged beside its backup: the run may be at any of those steps.
    const { step } = (await cancel) as { step: string };
    expect(['backup', 'download', 'verify', 'apply']).toContain(step);
    await expectCancelledAndOld(s, result, before, uploads);
    expect(result.backup_id).toBeNull();
    const { backups } = await s.services.backups.list({ component: 'webapp' });
    expect(backups).toEqual([]);
    const dir = path.join(s.home, 'backups', 'webapp');
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
    expect(endedAt - cancelledAt).toBeLessThan(5000);
  });

  it('download from a slow upstream: the transfer is aborted mid-body', async () => {
    const tarball = sourceTarball(`${OWNER}-${REPO}-bbb222`, releaseFiles());
    s = await releaseScenario({
      assets: [{ name: 'webapp-1.1.0.tar.gz', content: tarball }],
      config: { asset: 'webapp-{version}.tar.gz' },
    });
    // The asset comes from a server that sends one byte every 20 ms (about a minute for the file).
    let served = 0;
    extra = await serve(async (_req, res) => {
      served++;
      await trickle(res, tarball, 20);
    });
    const release = s.gh.releases(OWNER, REPO).find((r) => r.tag_name === 'v1.1.0');
    release!.assets[0]!.browser_download_url = `${extra.origin}/webapp-1.1.0.tar.gz`;
    const before = s.hash();
    const uploads = s.uploadsHash();
    const { result, cancel, cancelledAt, endedAt } = await updateCancelledWhen(
      s.services,
      'webapp',
      (event, payload) =>
        event === 'update_progress' &&
        (payload as UpdateProgress).step === 'download' &&
        ((payload as UpdateProgress).step_percent ?? 0) > 0,
    );
    await expect(cancel).resolves.toMatchObject({ step: 'download' });
    await expectCancelledAndOld(s, result, before, uploads);
    expect(served).toBe(1);
    // Stopped in well under the minute the body would take.
    expect(endedAt - cancelledAt).toBeLessThan(5000);
    const log = readFileSync(path.join(s.home, 'logs', `${result.run_id}.log`), 'utf8');
    expect(log).not.toContain('downloaded ');
  });

  it('extract: the extraction into staging stops part way; nothing had been changed, so nothing is restored', async () => {
    s = await releaseScenario({ tarball: bigRelease(4000) });
    const before = s.hash();
    const uploads = s.uploadsHash();
    const { result, cancel } = await updateCancelledWhen(s.services, 'webapp', logged('extracting into'));
    await expect(cancel).resolves.toMatchObject({ step: 'apply' });
    await expectCancelledAndOld(s, result, before, uploads);
    const log = readFileSync(path.join(s.home, 'logs', `${result.run_id}.log`), 'utf8');
    // The extraction never reported all its files: it was stopped, not run to the end.
    expect(log).not.toMatch(/extracted \d+ files/);
    // The folder was never touched: no swap back, no restore of the backup.
    expect(result.error?.message).toContain('Nothing had been changed');
    expect(log).not.toContain('restoring backup');
  });

  it('apply (the swap into the folder) before commit: the previous tree is swapped back, exactly as it was', async () => {
    s = await releaseScenario();
    const before = s.hash();
    const uploads = s.uploadsHash();
    const { result, cancel } = await updateCancelledWhen(s.services, 'webapp', logged('building the new tree in'));
    await expect(cancel).resolves.toMatchObject({ step: 'apply' });
    const log = readFileSync(path.join(s.home, 'logs', `${result.run_id}.log`), 'utf8');
    // The swap finished, then the cancel took the previous tree back by swapping, not from the backup.
    expect(log).toMatch(/swapped in by/);
    expect(log).toMatch(/back in place \(swapped back, nothing copied\)/);
    await expectCancelledAndOld(s, result, before, uploads);
    expect(result.backup_id).toBeTruthy();
  });

  it('health check before commit: the check command and what it started are killed (process group), then rolled back', async () => {
    const pids = tempDir();
    // The check starts a grandchild in its own process group and waits: only a group kill stops both.
    const script = `${ONLY_NEW}const {spawn}=require('child_process');const fs=require('fs');const g=spawn(process.execPath,['-e','setTimeout(()=>{},60000)'],{stdio:'inherit'});fs.writeFileSync(${JSON.stringify(path.join(pids, 'pids'))}, process.pid+' '+g.pid);${WAITING}`;
    s = await releaseScenario({ config: { health: { command: ['node', '-e', script], timeout: 120 } } });
    const before = s.hash();
    const uploads = s.uploadsHash();
    const { result, cancel, cancelledAt, endedAt } = await updateCancelledWhen(
      s.services,
      'webapp',
      logged('health-waiting'),
    );
    await expect(cancel).resolves.toMatchObject({ step: 'health' });
    await expectCancelledAndOld(s, result, before, uploads);
    expect(endedAt - cancelledAt).toBeLessThan(10_000);
    const [check, grandchild] = readFileSync(path.join(pids, 'pids'), 'utf8').split(' ').map(Number);
    expect(await eventually(() => gone(check!))).toBe(true);
    expect(await eventually(() => gone(grandchild!))).toBe(true);
    // Rolled back like a failure: the restart ran again after the restore.
    expect(readFileSync(path.join(s.markers, 'restarts.log'), 'utf8')).toBe('restart\nrestart\n');
  });

  it('after the commit point: CANCEL_TOO_LATE, and the update finishes', async () => {
    s = await releaseScenario();
    const { result, cancel } = await updateCancelledWhen(s.services, 'webapp', entered('commit'));
    const refused = await cancel!.then(
      () => null,
      (error: unknown) => toErrorShape(error),
    );
    expect(refused?.code).toBe('CANCEL_TOO_LATE');
    expect(refused?.message).toContain('finishing');
    expect(result).toMatchObject({ status: 'succeeded', to: '1.1.0', error: null });
    expect(readFileSync(path.join(s.folder, 'VERSION'), 'utf8')).toBe('1.1.0\n');
    const [entry] = await s.services.updates.listHistory({ component: 'webapp' });
    expect(entry?.status).toBe('succeeded');
  });

  it('nothing running: NOT_FOUND; a finished run: CANCEL_TOO_LATE', async () => {
    s = await releaseScenario();
    await expect(s.services.updates.cancel('webapp', 'by the test')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const [done] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
    expect(done?.status).toBe('succeeded');
    await expect(s.services.updates.cancel(done!.run_id!, 'by the test')).rejects.toMatchObject({
      code: 'CANCEL_TOO_LATE',
    });
  });
});

describe('cancel: git through the engine', () => {
  it('cancelled during install after the fast-forward: HEAD and the tree come back', async () => {
    gitFixture = createGitRemote();
    const newSha = gitFixture.pushCommit('app.txt', 'version 2\n');
    const oldSha = git(gitFixture.checkout, 'rev-parse', 'HEAD');
    const fetchState = (rel: string) =>
      rel === '.git/FETCH_HEAD' ||
      rel.startsWith('.git/objects') ||
      rel.startsWith('.git/logs') ||
      rel.startsWith('.git/refs/remotes') ||
      rel === '.git/packed-refs';
    const hash = () => treeHash(gitFixture!.checkout, { ignore: fetchState });
    const before = hash();
    const home = tempDir();
    const services = createServices({ home, host: 'cli' });
    services.settings.set({ min_free_space_mb: 1 });
    services.components.add({
      bot: validateComponent('bot', {
        type: 'git_commit',
        folder: gitFixture.checkout,
        method: 'git',
        install: [['node', '-e', 'console.log("installing-"+"deps");setTimeout(()=>{},60000)']],
      }),
    });
    const { result, cancel, cancelledAt, endedAt } = await updateCancelledWhen(
      services,
      'bot',
      logged('installing-deps'),
    );
    await expect(cancel).resolves.toMatchObject({ component: 'bot', step: 'install' });
    expect(result).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    expect(endedAt - cancelledAt).toBeLessThan(10_000);
    expect(git(gitFixture.checkout, 'rev-parse', 'HEAD')).toBe(oldSha);
    expect(git(gitFixture.checkout, 'rev-parse', 'HEAD')).not.toBe(newSha);
    expect(hash()).toBe(before);
    const [entry] = await services.updates.listHistory({ component: 'bot' });
    expect(entry?.status).toBe('cancelled');
    expect(existsSync(path.join(services.layout.locks, 'bot.lock'))).toBe(false);
  });
});

describe('cancel: commands stop with everything they started', () => {
  it('an aborted command is killed with its process group, promptly', async () => {
    const dir = tempDir();
    const pidFile = path.join(dir, 'pid');
    // The grandchild keeps the output pipe open: killing only the direct child would leave the run waiting a minute.
    const script = `const {spawn}=require('child_process');const g=spawn(process.execPath,['-e','setTimeout(()=>{},60000)'],{stdio:'inherit'});require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(g.pid));setTimeout(()=>{},60000);`;
    const controller = new AbortController();
    const started = Date.now();
    const running = runCommand(['node', '-e', script], () => undefined, { signal: controller.signal });
    expect(await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').length > 0)).toBe(true);
    controller.abort();
    const outcome = await running.then(
      () => null,
      (error: unknown) => toErrorShape(error),
    );
    expect(outcome?.code).toBe('CANCELLED');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await eventually(() => gone(Number(readFileSync(pidFile, 'utf8'))))).toBe(true);
  });
});

/** The real CLI as a child process leading its own process group, as a terminal runs it. */
function cliChild(args: string[]): {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  exit: Promise<number | null>;
  waitFor(text: string, ms?: number): Promise<void>;
} {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'upkeep.mjs'), ...args], {
    env: { ...process.env, UPKEEP_HOME: '' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const waitFor = async (text: string, ms = 30_000) => {
    if (!(await eventually(() => out.stderr.includes(text) || out.stdout.includes(text), ms)))
      throw new Error(`"${text}" never appeared; stderr: ${out.stderr}`);
  };
  return { child, out, exit, waitFor };
}

describe('cancel: the command line', () => {
  it('Ctrl+C during `upkeep update` cancels, a second Ctrl+C says it is still rolling back, exit 130 with the folder old', async () => {
    // The restart takes a second, so the rollback (restore, restart) is still going when the second Ctrl+C comes.
    const markers = tempDir();
    s = await releaseScenario({
      config: {
        health: {
          command: [
            'node',
            '-e',
            `${ONLY_NEW}require('fs').writeFileSync(${JSON.stringify(path.join(markers, 'health-pid'))}, String(process.pid));${WAITING}`,
          ],
          timeout: 120,
        },
        restart: ['node', '-e', 'setTimeout(()=>{},1000)'],
      },
    });
    const before = s.hash();
    const uploads = s.uploadsHash();
    const cli = cliChild(['--home', s.home, 'update', 'webapp', '--yes']);
    await cli.waitFor('health-waiting');
    // A terminal sends Ctrl+C to the whole foreground process group.
    process.kill(-cli.child.pid!, 'SIGINT');
    await cli.waitFor('cancelling the update of webapp');
    process.kill(-cli.child.pid!, 'SIGINT');
    await cli.waitFor('still cancelling');
    const code = await cli.exit;
    expect(code).toBe(130);
    expect(s.hash()).toBe(before);
    expect(s.uploadsHash()).toBe(uploads);
    expect(cli.out.stdout).toMatch(/webapp .*cancelled/);
    const [entry] = await s.services.updates.listHistory({ component: 'webapp' });
    expect(entry).toMatchObject({ status: 'cancelled', initiated_by: 'cli' });
    expect(existsSync(path.join(s.services.layout.locks, 'webapp.lock'))).toBe(false);
    expect(readdirSync(s.services.layout.journal).filter((n) => n.endsWith('.json'))).toEqual([]);
    expect(await eventually(() => gone(Number(readFileSync(path.join(markers, 'health-pid'), 'utf8'))))).toBe(true);
    // History as the CLI shows it, in text and in --json.
    const history = cliChild(['--home', s.home, 'history', 'webapp', '--json']);
    expect(await history.exit).toBe(0);
    expect((JSON.parse(history.out.stdout) as { entries: { status: string }[] }).entries[0]?.status).toBe('cancelled');
    const text = cliChild(['--home', s.home, 'history', 'webapp']);
    expect(await text.exit).toBe(0);
    expect(text.out.stdout).toContain('cancelled');
  });

  it('`upkeep cancel ID` from a second process cancels the update this process runs (through the lock holder)', async () => {
    s = await releaseScenario({
      config: { health: { command: ['node', '-e', `${ONLY_NEW}${WAITING}`], timeout: 120 } },
    });
    const before = s.hash();
    const uploads = s.uploadsHash();
    let second: ReturnType<typeof cliChild> | undefined;
    const stop = s.services.events.onAny((event, payload) => {
      if (!second && logged('health-waiting')(event, payload))
        second = cliChild(['--home', s!.home, '--json', 'cancel', 'webapp']);
    });
    const [result] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'panel' });
    stop();
    expect(second).toBeDefined();
    expect(await second!.exit).toBe(0);
    expect(JSON.parse(second!.out.stdout)).toMatchObject({
      component: 'webapp',
      run_id: result?.run_id,
      step: 'health',
      holder: 'other_process',
      pid: process.pid,
    });
    await expectCancelledAndOld(s, result!, before, uploads);
    const log = readFileSync(path.join(s.home, 'logs', `${result!.run_id}.log`), 'utf8');
    expect(log).toContain(`cancel requested (by process ${second!.child.pid})`);
  });

  it('`upkeep cancel` after the commit point: CANCEL_TOO_LATE and exit 1; nothing running: NOT_FOUND', async () => {
    s = await releaseScenario({ config: { restart: ['node', '-e', 'setTimeout(()=>{},60000)'] } });
    const idle = cliChild(['--home', s.home, '--json', 'cancel', 'webapp']);
    expect(await idle.exit).toBe(1);
    expect(JSON.parse(idle.out.stdout)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    // A run that is past its commit point in another process: the journal says `committed`.
    const journalDir = s.services.layout.journal;
    mkdirSync(journalDir, { recursive: true });
    const holder = spawn(process.execPath, ['-e', 'setTimeout(()=>{},60000)'], { stdio: 'ignore' });
    children.push(holder);
    const runId = '20261207T000000Z-0badc0de';
    writeFileSync(
      path.join(journalDir, `${runId}.json`),
      JSON.stringify({
        version: 1,
        run_id: runId,
        kind: 'update',
        component: 'webapp',
        method: 'release_archive',
        from: '1.0.0',
        to: '1.1.0',
        target: { version: '1.1.0' },
        force: false,
        no_backup: false,
        initiated_by: 'panel',
        host: 'desktop',
        pid: holder.pid,
        started_at: new Date().toISOString(),
        step: 'commit',
        phase: 'committed',
        backup: null,
        touched: true,
        rollback_on_failure: true,
        error: null,
        state: {},
      }),
    );
    mkdirSync(s.services.layout.locks, { recursive: true });
    const start = readFileSync(`/proc/${holder.pid}/stat`, 'utf8');
    const processStart = start.slice(start.lastIndexOf(')') + 2).split(' ')[19];
    writeFileSync(
      path.join(s.services.layout.locks, 'webapp.lock'),
      JSON.stringify({
        pid: holder.pid,
        process_start: processStart,
        host: 'desktop',
        run_id: runId,
        acquired_at: new Date().toISOString(),
      }),
    );
    const late = cliChild(['--home', s.home, '--json', 'cancel', 'webapp']);
    expect(await late.exit).toBe(1);
    expect(JSON.parse(late.out.stdout)).toMatchObject({ error: { code: 'CANCEL_TOO_LATE' } });
    expect(existsSync(path.join(s.services.layout.locks, 'webapp.cancel.json'))).toBe(false);
  });
});
