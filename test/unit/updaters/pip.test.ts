import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { pipUpdater } from '../../../electron/core/updaters/pip';
import { makeVenv, makeWheel, pythonImportVersion } from '../../fixtures/packages/packages';
import { tempDir } from '../../helpers/temp';
import { updaterContext } from './harness';

// One venv for the file: making one takes seconds. Each test installs what it needs first.
let venv: string;
let python: string;
let wheels: string;
let root: string;
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-pip-'));
  venv = path.join(root, 'venv');
  python = makeVenv(venv);
  wheels = path.join(root, 'wheels');
  for (const v of ['1.0.0', '2.0.0']) makeWheel(wheels, 'tinypkg', v);
}, 120_000);

function install(version: string) {
  execFileSync(
    python,
    [
      '-m',
      'pip',
      'install',
      '--no-index',
      '--force-reinstall',
      '--disable-pip-version-check',
      path.join(wheels, `tinypkg-${version}-py3-none-any.whl`),
    ],
    { stdio: 'ignore' },
  );
}

describe('pip updater (real pip, local wheels, offline venv)', () => {
  it('installs the target version into the component python with {target_version} substituted', async () => {
    install('1.0.0');
    const run = updaterContext(
      tempDir(),
      'tiny',
      {
        type: 'pypi_release',
        package: 'tinypkg',
        method: 'pip',
        python,
        pip: path.join(wheels, 'tinypkg-{target_version}-py3-none-any.whl'),
      },
      { version: '2.0.0' },
    );
    expect(pipUpdater.folder(run.ctx)).toBe(venv);
    await pipUpdater.preflight?.(run.ctx);
    await pipUpdater.apply(run.ctx);
    expect(pythonImportVersion(python, 'tinypkg')).toBe('2.0.0');
    expect(run.text()).toMatch(/Successfully installed tinypkg-2\.0\.0/);
  });

  it('reinstalls the same version with --force', async () => {
    install('2.0.0');
    const run = updaterContext(
      tempDir(),
      'tiny',
      {
        type: 'pypi_release',
        package: 'tinypkg',
        method: 'pip',
        python,
        pip: path.join(wheels, 'tinypkg-{target_version}-py3-none-any.whl'),
      },
      { version: '2.0.0' },
      { force: true },
    );
    await pipUpdater.apply(run.ctx);
    expect(run.text()).toContain('--force-reinstall');
    expect(run.text()).toMatch(/Successfully installed tinypkg-2\.0\.0/);
  });

  it('fails with COMMAND_FAILED when pip cannot install the target', async () => {
    install('1.0.0');
    const run = updaterContext(
      tempDir(),
      'tiny',
      {
        type: 'pypi_release',
        package: 'tinypkg',
        method: 'pip',
        python,
        pip: path.join(wheels, 'tinypkg-{target_version}-py3-none-any.whl'),
      },
      { version: '9.9.9' },
    );
    await expect(pipUpdater.apply(run.ctx)).rejects.toMatchObject({ code: 'COMMAND_FAILED' });
    expect(pythonImportVersion(python, 'tinypkg')).toBe('1.0.0');
  });
});

describe('pip backup target', () => {
  it('is the venv the component python lives in, even inside the component folder (folder backups leave .venv/ out)', () => {
    const app = tempDir();
    const venvDir = path.join(app, '.venv');
    mkdirSync(path.join(venvDir, 'bin'), { recursive: true });
    writeFileSync(path.join(venvDir, 'pyvenv.cfg'), 'home = /usr/bin\n');
    writeFileSync(path.join(venvDir, 'bin', 'python'), '');
    const withVenv = updaterContext(
      tempDir(),
      'tiny',
      { type: 'pypi_release', package: 'tinypkg', method: 'pip', folder: app, pip: 'tinypkg=={target_version}' },
      { version: '2.0.0' },
    );
    expect(pipUpdater.folder(withVenv.ctx)).toBe(venvDir);
    const system = updaterContext(
      tempDir(),
      'tiny',
      {
        type: 'pypi_release',
        package: 'tinypkg',
        method: 'pip',
        folder: path.join(app, 'plain'),
        python: '/usr/bin/python3',
        pip: 'tinypkg',
      },
      { version: '2.0.0' },
    );
    expect(pipUpdater.folder(system.ctx)).toBe(path.join(app, 'plain'));
  });
});
