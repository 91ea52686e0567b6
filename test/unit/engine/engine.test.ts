import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  invokeMethod,
  type CallContext,
  type MethodName,
  type RequestOf,
  type ResponseOf,
} from '../../../shared/contract';
import { UpkeepError } from '../../../shared/errors';
import { createApi } from '../../../electron/core/api';
import { installedTarballUrl } from '../../../electron/core/updaters/release-archive';
import { trashSettled } from '../../../electron/core/lib/trash';
import { sourceTarball } from '../../fixtures/releases/tree';
import { OWNER, REPO, releaseFiles, releaseScenario, type Scenario } from './scenario';

let s: Scenario | undefined;

/** Through the contract, as a host calls it: the request is validated, the caller set by the host. */
function caller(api: ReturnType<typeof createApi>) {
  return <M extends MethodName>(method: M, request: RequestOf<M>, ctx: CallContext) =>
    invokeMethod(api, method, request, ctx) as Promise<ResponseOf<M>>;
}
afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

describe('update engine: the release_archive flow end to end', () => {
  it('keeps a symlinked uploads/ a symlink and what it points to untouched', async () => {
    s = await releaseScenario({ uploads: 'symlink' });
    const uploads = s.uploadsHash();
    // The sync itself, without the backup store (see the next test for what a backup adds).
    const [r] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli', noBackup: true });
    expect(r).toMatchObject({ status: 'succeeded', error: null });
    expect(lstatSync(path.join(s.folder, 'uploads')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(s.folder, 'uploads'))).toBe(s.uploadsTarget);
    expect(s.uploadsHash()).toBe(uploads);
    expect(existsSync(path.join(s.uploadsTarget, 'README'))).toBe(false);
  });

  it('with a symlinked uploads/, a failing update never leaves the folder half-updated', async () => {
    s = await releaseScenario({ uploads: 'symlink', config: { install: [['node', '-e', 'process.exit(1)']] } });
    const before = s.hash();
    const [r] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
    // Rolled back, or — when the backup cannot be read back for a restore — refused before any change.
    expect(['rolled_back', 'failed']).toContain(r?.status);
    if (r?.status === 'failed') expect(r.error?.code).toBe('BACKUP_CORRUPT');
    expect(s.hash()).toBe(before);
    expect(lstatSync(path.join(s.folder, 'uploads')).isSymbolicLink()).toBe(true);
  });

  it('removes a replaced tree a killed process left beside the folder before the next update', async () => {
    s = await releaseScenario();
    const left = path.join(path.dirname(s.folder), '.webapp.upkeep-trash-20261201T000000Z-dead-old');
    mkdirSync(path.join(left, 'lib'), { recursive: true });
    writeFileSync(path.join(left, 'lib', 'old.js'), 'left by a process killed mid-removal');
    const [r] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
    expect(r).toMatchObject({ status: 'succeeded', error: null });
    await trashSettled();
    expect(existsSync(left)).toBe(false);
    expect(readdirSync(path.dirname(s.folder)).filter((n) => n.includes('upkeep-'))).toEqual([]);
    const log = readFileSync(path.join(s.services.layout.logs, `${r?.run_id}.log`), 'utf8');
    expect(log).toContain(`removed ${left}, left over from an earlier update`);
  });

  it('reads the backup back beside the download and the extraction, and changes nothing when it does not read back (BACKUP_CORRUPT)', async () => {
    s = await releaseScenario();
    const before = s.hash();
    const backups = s.services.backups;
    const create = backups.create.bind(backups);
    backups.create = async (request) => {
      const made = await create(request);
      // A disk that gives back other bytes than were written: the middle of the archive is flipped.
      const bytes = readFileSync(made.archive);
      const from = Math.floor(bytes.length / 2);
      for (let i = from; i < Math.min(bytes.length, from + 64); i++) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
      writeFileSync(made.archive, bytes);
      return made;
    };
    const [r] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
    expect(r).toMatchObject({ status: 'failed', error: { code: 'BACKUP_CORRUPT' } });
    expect(r?.error?.message).toContain('Nothing was changed');
    expect(s.hash()).toBe(before);
    await trashSettled();
    expect(readdirSync(path.dirname(s.folder)).filter((n) => n.includes('upkeep-'))).toEqual([]);
    const log = readFileSync(path.join(s.services.layout.logs, `${r?.run_id}.log`), 'utf8');
    // The release was downloaded and extracted into staging while the backup was read back; nothing was swapped in.
    expect(log).toMatch(/downloaded \d+ bytes/);
    expect(log).toContain('extracting into');
    expect(log).toContain('backup failed');
    expect(log).not.toContain('swapped in');
    expect(log).not.toContain('reads back completely');
    expect(log).not.toContain('restoring backup');
  });

  it('tells the panel the download began while the backup was still being written and read back', async () => {
    s = await releaseScenario();
    const [r] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
    expect(r).toMatchObject({ status: 'succeeded' });
    // The events a run card is drawn from, in the order they came.
    const order = s.events.map((e) => {
      const p = e.payload as { step?: string; phase?: string; backup_id?: string };
      if (e.event === 'update_progress') return `step ${p.step}`;
      if (e.event === 'backup_progress' && p.backup_id === r?.backup_id) return `backup ${p.phase}`;
      return null;
    });
    const downloadAt = order.indexOf('step download');
    const backupDone = order.indexOf('backup done');
    const verifyDone = order.lastIndexOf('backup done');
    expect(downloadAt).toBeGreaterThan(order.indexOf('step backup'));
    // The download step began before the backup was written; the read-back came after it, and ended.
    expect(backupDone).toBeGreaterThan(downloadAt);
    expect(order.indexOf('backup verifying')).toBeGreaterThan(backupDone);
    expect(verifyDone).toBeGreaterThan(order.indexOf('backup verifying'));
  });

  it('downloads and stages the release beside the backup; a backup that fails stops the run before any change', async () => {
    s = await releaseScenario();
    const before = s.hash();
    const backups = s.services.backups;
    let downloadedWhileBackingUp = false;
    backups.create = async () => {
      // The backup is still being written when the download finishes (the release is small).
      const logs = s!.services.layout.logs;
      for (let i = 0; i < 200 && !downloadedWhileBackingUp; i++) {
        await new Promise((r) => setTimeout(r, 20));
        downloadedWhileBackingUp = readdirSync(logs).some((f) =>
          /downloaded \d+ bytes/.test(readFileSync(path.join(logs, f), 'utf8')),
        );
      }
      throw new UpkeepError('FORBIDDEN', 'Cannot read /srv/webapp/private: permission denied.');
    };
    const [r] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
    expect(downloadedWhileBackingUp).toBe(true);
    expect(r).toMatchObject({ status: 'failed', backup_id: null, error: { code: 'FORBIDDEN' } });
    expect(s.hash()).toBe(before);
    await trashSettled();
    expect(readdirSync(path.dirname(s.folder)).filter((n) => n.includes('upkeep-'))).toEqual([]);
    const log = readFileSync(path.join(s.services.layout.logs, `${r?.run_id}.log`), 'utf8');
    expect(log).toContain('the download and staging run beside the backup');
    expect(log).toContain('backup failed');
    expect(log).not.toContain('swapped in');
    expect(log).not.toContain('restoring backup');
  });

  it('updates, keeps user data, records history and events, and a rollback restores the exact old tree', async () => {
    s = await releaseScenario({
      config: {
        install: [['node', '-e', 'require("fs").writeFileSync("installed.marker", "ok")']],
        health: { command: ['node', '-e', 'process.exit(0)'] },
      },
    });
    const before = s.hash();
    const uploads = s.uploadsHash();
    const api = createApi(s.services);
    const call = caller(api);
    const { results } = await call('updateComponents', { ids: ['webapp'] }, { initiatedBy: 'panel', readOnly: false });
    expect(results).toHaveLength(1);
    const r = results[0]!;
    expect(r.error).toBeNull();
    expect(r).toMatchObject({ status: 'succeeded', from: '1.0.0', to: '1.1.0' });
    expect(r.backup_id).toBeTruthy();

    const read = (rel: string) => readFileSync(path.join(s!.folder, rel), 'utf8');
    expect(read('VERSION')).toBe('1.1.0\n');
    expect(read('lib/new_module.py')).toBe('new in 1.1.0\n');
    expect(read('installed.marker')).toBe('ok');
    expect(read('.env')).toBe('SECRET_KEY=user-secret\n');
    expect(read('db/app.db')).toBe('precious database v1\n');
    expect(read('database_backups/backup_before_update_manual.db')).toBe('old db copy');
    expect(existsSync(path.join(s.folder, 'database_backups', 'README'))).toBe(false);
    expect(s.uploadsHash()).toBe(uploads);
    // The file list of 1.0.0 was read from its own tarball: its dropped module is gone, while the
    // database it shipped empty and the user filled since is kept.
    expect(existsSync(path.join(s.folder, 'lib', 'old_module.py'))).toBe(false);
    expect(read('db/app.db')).toBe('precious database v1\n');
    expect(readFileSync(path.join(s.markers, 'restarts.log'), 'utf8')).toBe('restart\n');

    const { entries } = await call('listHistory', { component: 'webapp' }, { initiatedBy: 'panel', readOnly: true });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      id: r.run_id,
      component: 'webapp',
      kind: 'update',
      from: '1.0.0',
      to: '1.1.0',
      status: 'succeeded',
      backup_id: r.backup_id,
      error: null,
      initiated_by: 'panel',
    });
    expect(typeof entries[0]!.duration_ms).toBe('number');
    const names = s.events.map((e) => e.event);
    expect(names).toContain('update_progress');
    expect(names).toContain('update_log');
    expect(s.events.find((e) => e.event === 'update_succeeded')?.payload).toMatchObject({
      component: 'webapp',
      from_version: '1.0.0',
      to_version: '1.1.0',
    });
    const steps = s.events
      .filter((e) => e.event === 'update_progress')
      .map((e) => (e.payload as { step: string }).step);
    expect([...new Set(steps)]).toEqual([
      'preflight',
      'backup',
      'download',
      'verify',
      'apply',
      'install',
      'restart',
      'health',
      'commit',
    ]);
    const logText = readFileSync(path.join(s.home, 'logs', `${r.run_id}.log`), 'utf8');
    expect(logText).toContain('swapping it with');
    expect(logText).not.toContain('\u001b[');
    expect(readdirSync(path.join(s.home, 'journal'))).toEqual([]);
    const run = await call('getRun', { run_id: r.run_id as string }, { initiatedBy: 'panel', readOnly: true });
    expect(run.status).toBe('succeeded');
    const log = await call('getRunLog', { run_id: r.run_id as string }, { initiatedBy: 'panel', readOnly: true });
    expect(log.lines.some((l) => l.stream === 'stdout' || l.stream === 'message')).toBe(true);

    // Roll the update back: the folder is byte-identical to before it, and that is history too.
    const rolled = await call(
      'rollbackUpdate',
      { component: 'webapp', to: 'last' },
      { initiatedBy: 'cli', readOnly: false },
    );
    expect(rolled.result).toMatchObject({ status: 'succeeded', error: null });
    expect(s.hash()).toBe(before);
    expect(rolled.entry).toMatchObject({
      kind: 'rollback',
      from: '1.1.0',
      to: '1.0.0',
      backup_id: r.backup_id,
      initiated_by: 'cli',
    });
  });

  it('removes files that the previous release had and the new one lacks', async () => {
    s = await releaseScenario();
    const first = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
    expect(first[0]?.status).toBe('succeeded');
    const files = releaseFiles('1.2.0');
    delete files['static/asset-07.css'];
    delete files['lib/new_module.py'];
    s.gh.addRelease(OWNER, REPO, { tag_name: 'v1.2.0', tarball: sourceTarball(`${OWNER}-${REPO}-ccc333`, files) });
    writeFileSync(path.join(s.folder, 'static', 'user-added.css'), 'mine');
    const second = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
    expect(second[0]).toMatchObject({ status: 'succeeded', from: '1.1.0', to: '1.2.0' });
    expect(existsSync(path.join(s.folder, 'static', 'asset-07.css'))).toBe(false);
    expect(existsSync(path.join(s.folder, 'lib', 'new_module.py'))).toBe(false);
    expect(existsSync(path.join(s.folder, 'static', 'user-added.css'))).toBe(true);
    expect(readFileSync(path.join(s.folder, '.env'), 'utf8')).toBe('SECRET_KEY=user-secret\n');
  });

  it('keeps files when the installed release cannot be read (no file list known)', async () => {
    s = await releaseScenario();
    s.gh.removeRelease(OWNER, REPO, 'v1.0.0');
    s.gh.fixture.fault('/_codeload/acme/webapp/tar.gz/v1.0.0', { kind: 'status', status: 404 });
    const [r] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
    expect(r).toMatchObject({ status: 'succeeded' });
    expect(existsSync(path.join(s.folder, 'lib', 'old_module.py'))).toBe(true);
  });

  it('derives the installed release tarball from the target tag', () => {
    expect(installedTarballUrl('https://api.github.com/repos/o/r/tarball/v1.1.0', 'v1.1.0', '1.1.0', '1.0.0')).toBe(
      'https://api.github.com/repos/o/r/tarball/v1.0.0',
    );
    expect(
      installedTarballUrl(
        'https://api.github.com/repos/o/r/tarball/release%2Fv1.2.6',
        'release/v1.2.6',
        '1.2.6',
        '1.2.3',
      ),
    ).toBe('https://api.github.com/repos/o/r/tarball/release%2Fv1.2.3');
    expect(installedTarballUrl('https://x/tarball/abc', 'abc', '2.0', '1.0')).toBeNull();
    expect(installedTarballUrl('https://x/tarball/v2', 'v2', '2', null)).toBeNull();
  });

  it('skips a component that is up to date unless forced', async () => {
    s = await releaseScenario();
    writeFileSync(path.join(s.folder, 'VERSION'), '1.1.0\n');
    const before = s.hash();
    const [skipped] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
    expect(skipped).toMatchObject({ status: 'skipped', error: { code: 'NO_UPDATE' } });
    expect(s.hash()).toBe(before);
    const [forced] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli', force: true });
    expect(forced).toMatchObject({ status: 'succeeded', to: '1.1.0' });
  });
});

describe('force never downgrades', () => {
  it('refuses to install a lower version than the one running, leaving the folder as it is', async () => {
    s = await releaseScenario();
    writeFileSync(path.join(s.folder, 'VERSION'), '2.0.0\n');
    const before = s.hash();
    const [result] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli', force: true });
    expect(result).toMatchObject({ status: 'failed', error: { code: 'DOWNGRADE_REFUSED' } });
    expect(s.hash()).toBe(before);
  });
});
