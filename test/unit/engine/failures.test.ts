import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpdateResult } from '../../../shared/types';
import { HttpFixture, sendJson } from '../../fixtures/servers';
import { minisignKeys, sha256, sourceTarball } from '../../fixtures/releases/tree';
import { OWNER, REPO, releaseFiles, releaseScenario, type Scenario } from './scenario';

let s: Scenario | undefined;
let extra: HttpFixture | undefined;
afterEach(async () => {
  await s?.cleanup();
  await extra?.close();
  s = undefined;
  extra = undefined;
});

const TOP = `${OWNER}-${REPO}-bbb222`;

async function updateOnce(sc: Scenario, options: { noBackup?: boolean } = {}): Promise<UpdateResult> {
  const [result] = await sc.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli', ...options });
  return result as UpdateResult;
}

/** The component folder byte-identical to before, user data untouched, no run left behind. */
function expectUntouched(sc: Scenario, before: string, uploads: string) {
  expect(sc.hash()).toBe(before);
  expect(sc.uploadsHash()).toBe(uploads);
  expect(readFileSync(path.join(sc.folder, '.env'), 'utf8')).toBe('SECRET_KEY=user-secret\n');
  expect(readdirSync(path.join(sc.home, 'journal'))).toEqual([]);
  const staging = readdirSync(path.dirname(sc.folder)).filter((n) => n.includes('upkeep-'));
  expect(staging).toEqual([]);
}

async function failing(
  options: Parameters<typeof releaseScenario>[0],
  expected: { status: UpdateResult['status']; code: string },
  noBackup = false,
) {
  s = await releaseScenario(options);
  const before = s.hash();
  const uploads = s.uploadsHash();
  const result = await updateOnce(s, { noBackup });
  expect(result.error?.code).toBe(expected.code);
  expect(result.status).toBe(expected.status);
  expectUntouched(s, before, uploads);
  const history = await s.services.updates.listHistory({ component: 'webapp' });
  expect(history[0]).toMatchObject({ id: result.run_id, status: expected.status, error: { code: expected.code } });
  return result;
}

describe('failures leave the component byte-identical (real release server, real backups)', () => {
  it('checksum mismatch: SHA256SUMS disagrees with the asset', async () => {
    const asset = sourceTarball(TOP, releaseFiles());
    await failing(
      {
        config: { asset: 'webapp-{version}.tar.gz' },
        assets: [
          { name: 'webapp-1.1.0.tar.gz', content: asset },
          { name: 'SHA256SUMS', content: `${'0'.repeat(64)}  webapp-1.1.0.tar.gz\n` },
        ],
      },
      { status: 'failed', code: 'CHECKSUM_MISMATCH' },
    );
  });

  it('checksum mismatch: the asset digest from the release host disagrees', async () => {
    const asset = sourceTarball(TOP, releaseFiles());
    const result = await failing(
      {
        config: { asset: 'webapp-{version}.tar.gz' },
        assets: [{ name: 'webapp-1.1.0.tar.gz', content: asset, digest: `sha256:${'1'.repeat(64)}` }],
      },
      { status: 'failed', code: 'CHECKSUM_MISMATCH' },
    );
    expect(result.error?.message).toContain('asset digest');
  });

  it('an asset found by glob, verified by its <asset>.sha256 file; a wrong .sha256 is refused', async () => {
    const asset = sourceTarball(TOP, releaseFiles());
    s = await releaseScenario({
      config: { asset: 'webapp-*-linux.tar.gz', require_checksum: true },
      assets: [
        { name: 'webapp-1.1.0-linux.tar.gz', content: asset, digest: null },
        { name: 'webapp-1.1.0-linux.tar.gz.sha256', content: `${sha256(asset)}  webapp-1.1.0-linux.tar.gz\n` },
      ],
    });
    const ok = await updateOnce(s);
    expect(ok).toMatchObject({ status: 'succeeded' });
    expect(readFileSync(path.join(s.home, 'logs', `${ok.run_id}.log`), 'utf8')).toContain(
      'verified against webapp-1.1.0-linux.tar.gz.sha256',
    );
    // The asset's one top folder is where the release is installed from.
    expect(readFileSync(path.join(s.folder, 'VERSION'), 'utf8')).toBe('1.1.0\n');
    expect(existsSync(path.join(s.folder, TOP))).toBe(false);
    await s.cleanup();

    await failing(
      {
        config: { asset: 'webapp-*-linux.tar.gz' },
        assets: [
          { name: 'webapp-1.1.0-linux.tar.gz', content: asset, digest: null },
          { name: 'webapp-1.1.0-linux.tar.gz.sha256', content: `${sha256('something else')}\n` },
        ],
      },
      { status: 'failed', code: 'CHECKSUM_MISMATCH' },
    );
  });

  it('require_checksum refuses a release that publishes none', async () => {
    await failing({ config: { require_checksum: true } }, { status: 'failed', code: 'CHECKSUM_MISSING' });
  });

  it('a matching SHA256SUMS and a good minisign signature pass; a signature by another key is refused', async () => {
    const asset = sourceTarball(TOP, releaseFiles());
    const keys = minisignKeys();
    s = await releaseScenario({
      config: { asset: 'webapp-{version}.tar.gz', public_key: keys.publicKey, require_checksum: true },
      assets: [
        { name: 'webapp-1.1.0.tar.gz', content: asset },
        { name: 'SHA256SUMS', content: `${sha256(asset)}  webapp-1.1.0.tar.gz\n` },
        { name: 'webapp-1.1.0.tar.gz.minisig', content: keys.sign(asset) },
      ],
    });
    const ok = await updateOnce(s);
    expect(ok).toMatchObject({ status: 'succeeded', error: null });
    const log = readFileSync(path.join(s.home, 'logs', `${ok.run_id}.log`), 'utf8');
    expect(log).toContain('verified against');
    expect(log).toContain('minisign signature webapp-1.1.0.tar.gz.minisig verified');
    await s.cleanup();

    const other = minisignKeys();
    await failing(
      {
        config: { asset: 'webapp-{version}.tar.gz', public_key: keys.publicKey },
        assets: [
          { name: 'webapp-1.1.0.tar.gz', content: asset },
          { name: 'webapp-1.1.0.tar.gz.minisig', content: other.sign(asset) },
        ],
      },
      { status: 'failed', code: 'SIGNATURE_INVALID' },
    );
  });

  it('truncated download', async () => {
    s = await releaseScenario();
    s.gh.fixture.fault('/_codeload/', { kind: 'truncate', bytes: 100, declaredBytes: 5000 });
    const before = s.hash();
    const uploads = s.uploadsHash();
    const result = await updateOnce(s);
    expect(result).toMatchObject({
      status: 'failed',
      error: { code: 'NETWORK', message: expect.stringContaining('cut off') },
    });
    expectUntouched(s, before, uploads);
  });

  it('archive with a ../ entry', async () => {
    const result = await failing(
      { extraEntries: [{ path: `${TOP}/../../escaped.txt`, content: 'pwned' }] },
      // Refused while extracting into staging: the folder was never touched, so nothing is restored.
      { status: 'failed', code: 'UNSAFE_ARCHIVE' },
    );
    expect(existsSync(path.join(s!.root, 'escaped.txt'))).toBe(false);
    expect(existsSync(path.join(s!.root, 'srv', 'escaped.txt'))).toBe(false);
    expect(result.backup_id).toBeTruthy();
  });

  it('archive with a symlink leaving the folder, and a write through it', async () => {
    await failing(
      {
        extraEntries: [
          { path: `${TOP}/evil`, type: 'symlink', linkpath: '../../../outside' },
          { path: `${TOP}/evil/owned.txt`, content: 'pwned' },
        ],
      },
      { status: 'failed', code: 'UNSAFE_ARCHIVE' },
    );
    expect(existsSync(path.join(s!.root, 'outside'))).toBe(false);
  });

  it('install step exits 1 after writing into the folder', async () => {
    await failing(
      {
        config: {
          install: [['node', '-e', 'require("fs").writeFileSync("half-installed.txt", "junk"); process.exit(1)']],
        },
      },
      { status: 'rolled_back', code: 'COMMAND_FAILED' },
    );
    // The rollback reran the restart command.
    expect(readFileSync(path.join(s!.markers, 'restarts.log'), 'utf8')).toBe('restart\n');
  });

  it('migration fails after changing the database', async () => {
    await failing(
      {
        config: {
          migrations: [['node', '-e', 'require("fs").writeFileSync("db/app.db", "half-migrated"); process.exit(2)']],
        },
      },
      { status: 'rolled_back', code: 'COMMAND_FAILED' },
    );
    expect(readFileSync(path.join(s!.folder, 'db', 'app.db'), 'utf8')).toBe('precious database v1\n');
  });

  it('health check fails (HTTP 500): rolled back, restarted again, health re-checked', async () => {
    let healthy = false;
    extra = await new HttpFixture((_req, res) => sendJson(res, healthy ? 200 : 500, { ok: healthy })).start();
    const url = `${extra.origin}/health`;
    s = await releaseScenario({ config: { health: { url, timeout: 1 } } });
    const before = s.hash();
    const uploads = s.uploadsHash();
    // The old version answers healthy again once it is back: flip when the rollback starts.
    s.services.events.on('update_progress', (p) => {
      if (p.step === 'rollback') healthy = true;
    });
    const result = await updateOnce(s);
    expect(result).toMatchObject({ status: 'rolled_back', error: { code: 'HEALTH_CHECK_FAILED' } });
    expectUntouched(s, before, uploads);
    expect(readFileSync(path.join(s.markers, 'restarts.log'), 'utf8')).toBe('restart\nrestart\n');
    expect(s.events.find((e) => e.event === 'update_rolled_back')?.payload).toMatchObject({
      component: 'webapp',
      from_version: '1.0.0',
      to_version: '1.1.0',
    });
  });

  it('health check command fails', async () => {
    await failing(
      { config: { health: { command: ['node', '-e', 'process.exit(1)'], timeout: 5 } } },
      { status: 'rolled_back', code: 'HEALTH_CHECK_FAILED' },
    );
  });

  it('free disk space below min_free_space_mb: refused before anything, not even a backup', async () => {
    s = await releaseScenario();
    s.services.settings.set({ min_free_space_mb: 10_000_000 });
    const before = s.hash();
    const uploads = s.uploadsHash();
    const result = await updateOnce(s);
    expect(result).toMatchObject({
      status: 'failed',
      backup_id: null,
      error: { code: 'INSUFFICIENT_SPACE', message: expect.stringContaining('min_free_space_mb') },
    });
    expectUntouched(s, before, uploads);
    expect((await s.services.backups.list({ component: 'webapp' })).backups).toEqual([]);
  });

  it('a second update of the same component fails fast with UPDATE_IN_PROGRESS', async () => {
    s = await releaseScenario();
    const gateFile = path.join(s.markers, 'GATE');
    const comp = s.services.components.get('webapp');
    s.services.components.update('webapp', {
      ...comp.config,
      restart: [
        'node',
        '-e',
        'const fs=require("fs");const f=process.argv[1];const t=setInterval(()=>{if(fs.existsSync(f)){clearInterval(t)}},20)',
        gateFile,
      ],
    });
    const reachedRestart = new Promise<void>((resolve) =>
      s!.services.events.on('update_progress', (p) => p.step === 'restart' && resolve()),
    );
    const first = updateOnce(s);
    await reachedRestart;
    const second = await updateOnce(s);
    expect(second).toMatchObject({ status: 'failed', error: { code: 'UPDATE_IN_PROGRESS' } });
    writeFileSync(gateFile, 'go');
    expect(await first).toMatchObject({ status: 'succeeded' });
    // The refused request is not a run: history has only the first.
    expect((await s.services.updates.listHistory({ component: 'webapp' })).map((e) => e.status)).toEqual(['succeeded']);
  });

  it('rollback_on_failure: false leaves the failed update in place and says how to restore', async () => {
    s = await releaseScenario({ config: { rollback_on_failure: false, install: [['node', '-e', 'process.exit(1)']] } });
    const before = s.hash();
    const result = await updateOnce(s);
    expect(result).toMatchObject({
      status: 'failed',
      error: { code: 'COMMAND_FAILED', message: expect.stringContaining('rollback_on_failure is off') },
    });
    expect(s.hash()).not.toBe(before);
    expect(readFileSync(path.join(s.folder, 'VERSION'), 'utf8')).toBe('1.1.0\n');
  });

  it('secrets never reach the log or history', async () => {
    const token = 'ghp_supersecrettoken1234567890';
    s = await releaseScenario({
      config: { install: [['node', '-e', 'console.log("token is " + process.argv[1]); process.exit(1)', token]] },
    });
    await s.services.secrets.set('github_token', token);
    const result = await updateOnce(s);
    expect(result.status).toBe('rolled_back');
    const log = readFileSync(path.join(s.home, 'logs', `${result.run_id}.log`), 'utf8');
    expect(log).toContain('token is ***');
    expect(log).not.toContain(token);
    expect(readFileSync(path.join(s.home, 'history.jsonl'), 'utf8')).not.toContain(token);
    expect(JSON.stringify(s.events)).not.toContain(token);
  });
});
