import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { validateComponent } from '../../../electron/core/config/validate';
import { createServices, type Services } from '../../../electron/core/services';
import { createGitRemote, git, type GitRemoteFixture } from '../../fixtures/git/git-remote';
import { makeNpmTarball, makeVenv, makeWheel, npmEnv, pythonImportVersion } from '../../fixtures/packages/packages';
import { treeHash } from '../../fixtures/releases/tree';
import { FakeOpenWebui } from '../../fixtures/servers';
import { tempDir } from '../../helpers/temp';

const FAIL = ['node', '-e', 'process.exit(1)'];

function servicesIn(home: string): Services {
  const s = createServices({ home, host: 'cli' });
  s.settings.set({ min_free_space_mb: 1 });
  return s;
}

describe('openwebui through the engine', () => {
  const KEY = 'sk-engine-test-key-789';
  let server: FakeOpenWebui;
  beforeAll(async () => {
    server = await FakeOpenWebui.start({ adminKey: KEY });
    process.env.UPKEEP_TEST_OWUI_ENGINE = KEY;
  });
  afterAll(async () => {
    await server.close();
    delete process.env.UPKEEP_TEST_OWUI_ENGINE;
  });

  const plugin = (v: string) =>
    `"""\ntitle: Folder Memory\nversion: ${v}\ndescription: remembers\n"""\nclass Filter:\n    pass  # ${v}\n`;

  it('deploys the new version with valves untouched; a failed health check redeploys exactly what the server had', async () => {
    const home = tempDir();
    const file = path.join(home, 'folder_memory.py');
    writeFileSync(file, plugin('2.0.0'));
    const before = server.deploy('folder_memory', plugin('1.0.0'), {
      name: 'Folder Memory (server copy)',
      valves: { depth: 3 },
    });
    const s = servicesIn(home);
    const base = {
      type: 'openwebui',
      method: 'openwebui',
      api_base: server.apiBase,
      file,
      function_id: 'folder_memory',
      api_key_env: 'UPKEEP_TEST_OWUI_ENGINE',
    };
    s.components.add({ fm: validateComponent('fm', { ...base, health: { command: FAIL } }) });
    const [failed] = await s.updates.updateComponents(['fm'], { initiatedBy: 'panel' });
    expect(failed).toMatchObject({
      status: 'rolled_back',
      from: '1.0.0',
      to: '2.0.0',
      error: { code: 'HEALTH_CHECK_FAILED' },
    });
    expect(failed?.backup_id).toMatch(/^owui-/);
    const restored = server.functions.get('folder_memory');
    expect(restored?.content).toBe(before.content);
    expect(restored?.name).toBe('Folder Memory (server copy)');
    expect(server.valves.get('folder_memory')).toEqual({ depth: 3 });

    s.components.update('fm', base);
    const [ok] = await s.updates.updateComponents(['fm'], { initiatedBy: 'panel' });
    expect(ok).toMatchObject({ status: 'succeeded', from: '1.0.0', to: '2.0.0' });
    expect(server.functions.get('folder_memory')?.meta.manifest.version).toBe('2.0.0');
    expect(server.valves.get('folder_memory')).toEqual({ depth: 3 });
    const log = readFileSync(path.join(home, 'logs', `${ok?.run_id}.log`), 'utf8');
    expect(log).not.toContain(KEY);
    // Roll back from history: the server copy comes back.
    const { result } = await s.updates.rollback({ component: 'fm', initiatedBy: 'cli' });
    expect(result.status).toBe('succeeded');
    expect(server.functions.get('folder_memory')?.content).toBe(before.content);
  });
});

describe('git through the engine', () => {
  let fixture: GitRemoteFixture | undefined;
  afterEach(() => fixture?.cleanup());

  it('install failure after the fast-forward: the checkout, .git and the dirty tree come back byte-identical', async () => {
    fixture = createGitRemote();
    const newSha = fixture.pushCommit('app.txt', 'version 2\n');
    writeFileSync(path.join(fixture.checkout, 'app.txt'), 'local edit\n');
    // The git_commit check fetches into the checkout before the backup (that is how it sees new
    // commits), and the backup store keeps logs/ folders as they are: compare all the rest.
    const fetchState = (rel: string) =>
      rel === '.git/FETCH_HEAD' ||
      rel.startsWith('.git/objects') ||
      rel.startsWith('.git/logs') ||
      rel.startsWith('.git/refs/remotes') ||
      rel === '.git/packed-refs';
    const hash = () => treeHash(fixture!.checkout, { ignore: fetchState });
    const before = hash();
    const home = tempDir();
    const s = servicesIn(home);
    s.components.add({
      bot: validateComponent('bot', { type: 'git_commit', folder: fixture.checkout, method: 'git', install: [FAIL] }),
    });
    const [result] = await s.updates.updateComponents(['bot'], { initiatedBy: 'cli' });
    expect(result).toMatchObject({ status: 'rolled_back', error: { code: 'COMMAND_FAILED' } });
    expect(hash()).toBe(before);
    expect(git(fixture.checkout, 'stash', 'list')).toBe('');
    expect(readFileSync(path.join(fixture.checkout, 'app.txt'), 'utf8')).toBe('local edit\n');
    expect(git(fixture.checkout, 'rev-parse', 'HEAD')).not.toBe(newSha);
  });
});

describe('pip through the engine', () => {
  it('a failing health check after pip install restores the venv (site-packages byte-identical)', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-pip-engine-'));
    try {
      const venv = path.join(root, 'venv');
      // A default venv: bin/python3 is an absolute symlink to the base interpreter, which the
      // restore brings back as the backup's manifest recorded it.
      const python = makeVenv(venv);
      const wheels = path.join(root, 'wheels');
      makeWheel(wheels, 'tinypkg', '1.0.0');
      makeWheel(wheels, 'tinypkg', '2.0.0');
      execFileSync(
        python,
        [
          '-m',
          'pip',
          'install',
          '--no-index',
          '--disable-pip-version-check',
          path.join(wheels, 'tinypkg-1.0.0-py3-none-any.whl'),
        ],
        { stdio: 'ignore' },
      );
      // Caches are not state: compare everything but bytecode.
      const hash = () => treeHash(venv, { ignore: (rel) => rel.split('/').includes('__pycache__') });
      const before = hash();
      const s = servicesIn(path.join(root, 'home'));
      s.components.add({
        tiny: validateComponent('tiny', {
          type: 'never_current',
          method: 'pip',
          python,
          pip: path.join(wheels, 'tinypkg-{target_version}-py3-none-any.whl'),
          health: { command: FAIL },
        }),
      });
      // never_current offers 1.0.1; the wheel for it is 2.0.0 under that name.
      execFileSync('cp', [
        path.join(wheels, 'tinypkg-2.0.0-py3-none-any.whl'),
        path.join(wheels, 'tinypkg-1.0.1-py3-none-any.whl'),
      ]);
      const [result] = await s.updates.updateComponents(['tiny'], { initiatedBy: 'cli' });
      expect(result?.error, JSON.stringify(result?.error)).toMatchObject({ code: 'HEALTH_CHECK_FAILED' });
      expect(result?.status, JSON.stringify(result)).toBe('rolled_back');
      expect(pythonImportVersion(python, 'tinypkg')).toBe('1.0.0');
      expect(hash()).toBe(before);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('npm through the engine', () => {
  it('a failed update is rolled back and node_modules rebuilt from the restored lock file', async () => {
    const saved = { offline: process.env.npm_config_offline, audit: process.env.npm_config_audit };
    process.env.npm_config_offline = 'true';
    process.env.npm_config_audit = 'false';
    const root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-npm-engine-'));
    try {
      const packs = path.join(root, 'packs');
      execFileSync('mkdir', ['-p', packs]);
      makeNpmTarball(packs, 'tiny-upkeep-pkg', '1.0.0');
      makeNpmTarball(packs, 'tiny-upkeep-pkg', '1.0.1');
      const folder = path.join(root, 'app');
      execFileSync('mkdir', ['-p', folder]);
      writeFileSync(
        path.join(folder, 'package.json'),
        JSON.stringify({ name: 'app', version: '0.0.0', private: true }),
      );
      execFileSync('npm', ['install', '--no-audit', '--no-fund', path.join(packs, 'tiny-upkeep-pkg-1.0.0.tgz')], {
        cwd: folder,
        env: npmEnv(),
        stdio: 'ignore',
      });
      const installed = () =>
        JSON.parse(readFileSync(path.join(folder, 'node_modules', 'tiny-upkeep-pkg', 'package.json'), 'utf8'))
          .version as string;
      const manifests = () => [
        readFileSync(path.join(folder, 'package.json'), 'utf8'),
        readFileSync(path.join(folder, 'package-lock.json'), 'utf8'),
      ];
      const before = manifests();
      const s = servicesIn(path.join(root, 'home'));
      s.components.add({
        tiny: validateComponent('tiny', {
          type: 'never_current',
          method: 'npm',
          package: 'tiny-upkeep-pkg',
          folder,
          url: path.join(packs, 'tiny-upkeep-pkg-{target_version}.tgz'),
          health: { command: FAIL },
        }),
      });
      const [result] = await s.updates.updateComponents(['tiny'], { initiatedBy: 'cli' });
      expect(result?.status, JSON.stringify(result)).toBe('rolled_back');
      expect(manifests()).toEqual(before);
      expect(installed()).toBe('1.0.0');
    } finally {
      rmSync(root, { recursive: true, force: true });
      for (const [k, v] of Object.entries({ npm_config_offline: saved.offline, npm_config_audit: saved.audit }))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  }, 120_000);
});

describe('single_file and update_script through the engine', () => {
  it('single_file: a failed health check puts the previous file back', async () => {
    const { HttpFixture, sendBytes } = await import('../../fixtures/servers');
    const server = await new HttpFixture((_req, res) => sendBytes(res, 200, Buffer.from('# plugin 1.0.1\n'))).start();
    try {
      const home = tempDir();
      // Beside the data directory, not in it (a file in it is never replaced).
      const file = path.join(tempDir(), 'plugin.py');
      writeFileSync(file, '# plugin 1.0.0\n');
      const s = servicesIn(home);
      s.components.add({
        plug: validateComponent('plug', {
          type: 'never_current',
          method: 'single_file',
          url: `${server.origin}/plugin-{target_version}.py`,
          file,
          health: { command: FAIL },
        }),
      });
      const [result] = await s.updates.updateComponents(['plug'], { initiatedBy: 'cli' });
      expect(result, JSON.stringify(result?.error)).toMatchObject({
        status: 'rolled_back',
        backup_id: expect.stringMatching(/^file-/),
      });
      expect(readFileSync(file, 'utf8')).toBe('# plugin 1.0.0\n');
      expect(server.requests[0]?.path).toBe('/plugin-1.0.1.py');
    } finally {
      await server.close();
    }
  });

  it('update_script: a script that fails halfway is rolled back to the folder as it was', async () => {
    const home = tempDir();
    const folder = path.join(home, 'app');
    execFileSync('mkdir', ['-p', folder]);
    writeFileSync(path.join(folder, 'version.txt'), '1.0.0\n');
    const before = treeHash(folder);
    const s = servicesIn(path.join(home, 'data'));
    s.components.add({
      scripted: validateComponent('scripted', {
        type: 'never_current',
        method: 'update_script',
        folder,
        update_script: [
          'node',
          '-e',
          'const fs=require("fs");fs.writeFileSync("version.txt", process.argv[1]);fs.writeFileSync("half.txt","x");process.exit(3)',
          '{target}',
        ],
      }),
    });
    const [result] = await s.updates.updateComponents(['scripted'], { initiatedBy: 'cli' });
    expect(result).toMatchObject({ status: 'rolled_back', error: { code: 'COMMAND_FAILED' } });
    expect(treeHash(folder)).toBe(before);
  });

  it('--no-backup: a failure cannot be rolled back and says so', async () => {
    const home = tempDir();
    const folder = path.join(home, 'app');
    execFileSync('mkdir', ['-p', folder]);
    writeFileSync(path.join(folder, 'version.txt'), '1.0.0\n');
    const s = servicesIn(path.join(home, 'data'));
    const events: string[] = [];
    s.events.onAny((e) => void events.push(e));
    s.components.add({
      scripted: validateComponent('scripted', {
        type: 'never_current',
        method: 'update_script',
        folder,
        update_script: ['node', '-e', 'require("fs").writeFileSync("version.txt","broken");process.exit(1)'],
      }),
    });
    const [result] = await s.updates.updateComponents(['scripted'], { initiatedBy: 'cli', noBackup: true });
    expect(result).toMatchObject({
      status: 'failed',
      backup_id: null,
      error: { message: expect.stringContaining('no pre-update backup') },
    });
    expect(readFileSync(path.join(folder, 'version.txt'), 'utf8')).toBe('broken');
    expect(events).toContain('update_failed');
    expect((await s.backups.list({ component: 'scripted' })).backups).toEqual([]);
  });
});

describe('npm global through the engine', () => {
  it('without a folder, the backup is the installed version: a failed update reinstalls it', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-npm-global-'));
    const saved = { prefix: process.env.npm_config_prefix, offline: process.env.npm_config_offline };
    process.env.npm_config_prefix = path.join(root, 'prefix');
    process.env.npm_config_offline = 'true';
    try {
      const packs = path.join(root, 'packs');
      execFileSync('mkdir', ['-p', packs]);
      makeNpmTarball(packs, 'tiny-upkeep-pkg', '1.0.0');
      makeNpmTarball(packs, 'tiny-upkeep-pkg', '1.0.1');
      execFileSync(
        'npm',
        ['install', '--global', '--no-audit', '--no-fund', path.join(packs, 'tiny-upkeep-pkg-1.0.0.tgz')],
        { env: { ...npmEnv(), npm_config_prefix: process.env.npm_config_prefix }, stdio: 'ignore' },
      );
      const installed = () =>
        JSON.parse(
          readFileSync(path.join(root, 'prefix', 'lib', 'node_modules', 'tiny-upkeep-pkg', 'package.json'), 'utf8'),
        ).version as string;
      const s = servicesIn(path.join(root, 'home'));
      s.components.add({
        tiny: validateComponent('tiny', {
          type: 'never_current',
          method: 'npm',
          package: 'tiny-upkeep-pkg',
          global: true,
          url: path.join(packs, 'tiny-upkeep-pkg-{target_version}.tgz'),
          health: { command: FAIL },
        }),
      });
      const [failed] = await s.updates.updateComponents(['tiny'], { initiatedBy: 'cli' });
      expect(failed, JSON.stringify(failed?.error)).toMatchObject({ status: 'rolled_back', backup_id: 'npm-1.0.0' });
      expect(installed()).toBe('1.0.0');
      s.components.update('tiny', {
        type: 'never_current',
        method: 'npm',
        package: 'tiny-upkeep-pkg',
        global: true,
        url: path.join(packs, 'tiny-upkeep-pkg-{target_version}.tgz'),
      });
      const [ok] = await s.updates.updateComponents(['tiny'], { initiatedBy: 'cli' });
      expect(ok).toMatchObject({ status: 'succeeded' });
      expect(installed()).toBe('1.0.1');
    } finally {
      rmSync(root, { recursive: true, force: true });
      for (const [k, v] of Object.entries({ npm_config_prefix: saved.prefix, npm_config_offline: saved.offline }))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  }, 120_000);
});
