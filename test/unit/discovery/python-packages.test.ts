import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateComponent } from '../../../electron/core/config/validate';
import {
  discoverPythonPackages,
  normalizePackageName,
  resolvePython,
} from '../../../electron/core/discovery/python-packages';
import { type UpkeepError } from '../../../shared/errors';
import { tempDir } from '../../helpers/temp';
import { buildWheel, makeVenv, writePythonProject } from './local-packages';

// A real venv (python3 -m venv) with two wheels built by `pip wheel` and installed offline.
let root: string;
let venv: string;
let python: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-venv-'));
  const wheels = buildWheel(root, 'upkeep-probe', '1.2.3');
  buildWheel(root, 'Upkeep.Other_Probe', '0.4.0rc1');
  venv = makeVenv(root, wheels, ['upkeep-probe', 'Upkeep.Other_Probe']);
  python = path.join(venv, 'bin', 'python');
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as UpkeepError,
  );

describe('Python packages of an interpreter or venv', () => {
  it('proposes the venv packages as pypi_release + pip in that interpreter, skipping pip/setuptools/wheel', async () => {
    const candidates = await discoverPythonPackages(python);
    const names = candidates.map((c) => c.config.package).sort();
    expect(names).toEqual(['Upkeep.Other_Probe', 'upkeep-probe'].sort());
    const probe = candidates.find((c) => c.config.package === 'upkeep-probe');
    expect(probe?.installed).toBe('1.2.3');
    expect(probe?.config).toEqual({
      name: 'upkeep-probe',
      type: 'pypi_release',
      package: 'upkeep-probe',
      method: 'pip',
      pip: 'upkeep-probe=={target_version}',
      python,
      version_from: { pip: 'upkeep-probe', python },
    });
    const other = candidates.find((c) => c.config.package === 'Upkeep.Other_Probe');
    expect(other?.baseId).toBe('upkeep-other_probe');
    expect(other?.installed).toBe('0.4.0rc1');
    for (const c of candidates) expect(() => validateComponent(c.baseId, c.config)).not.toThrow();
  });

  it('accepts the venv folder itself and resolves it to its interpreter', async () => {
    expect(resolvePython(venv)).toBe(python);
    const candidates = await discoverPythonPackages(venv);
    expect(candidates.map((c) => c.config.python)).toEqual([python, python]);
  });

  it('leaves out editable installs (working copies)', async () => {
    const editable = writePythonProject(tempDir(), 'upkeep-editable-probe', '0.0.1');
    execFileSync(python, ['-m', 'pip', 'install', '--no-index', '--disable-pip-version-check', '-q', '-e', editable], {
      stdio: 'pipe',
    });
    try {
      const list = JSON.parse(
        execFileSync(python, ['-m', 'pip', 'list', '--format=json', '--disable-pip-version-check'], {
          encoding: 'utf8',
        }),
      ) as { name: string }[];
      expect(list.map((r) => r.name)).toContain('upkeep-editable-probe');
      const names = (await discoverPythonPackages(python)).map((c) => c.config.package);
      expect(names).not.toContain('upkeep-editable-probe');
    } finally {
      execFileSync(python, ['-m', 'pip', 'uninstall', '-y', '-q', 'upkeep-editable-probe'], { stdio: 'pipe' });
    }
  });

  it('a python command on PATH is recorded as its absolute interpreter', async () => {
    const candidates = await discoverPythonPackages('python3');
    expect(candidates.length).toBeGreaterThan(0);
    const recorded = candidates[0]?.config.python as string;
    expect(path.isAbsolute(recorded)).toBe(true);
    expect(execFileSync(recorded, ['-c', 'import sys; print(sys.version_info[0])'], { encoding: 'utf8' }).trim()).toBe(
      '3',
    );
  });

  it('a python that does not exist is NOT_FOUND and says what to give instead', async () => {
    const missing = path.join(tempDir(), 'nowhere', 'bin', 'python');
    const error = await errorOf(discoverPythonPackages(missing));
    expect(error?.code).toBe('NOT_FOUND');
    expect(error?.message).toContain(missing);
    expect(error?.message).toMatch(/Give the path of a Python interpreter/);
    const byName = await errorOf(discoverPythonPackages('no-such-python-upkeep'));
    expect(byName?.code).toBe('NOT_FOUND');
  });

  it('a folder that is not a venv is NOT_FOUND naming what is missing', async () => {
    const error = await errorOf(discoverPythonPackages(tempDir()));
    expect(error?.code).toBe('NOT_FOUND');
    expect(error?.message).toMatch(/not a virtualenv/);
  });

  it('an interpreter without pip is COMMAND_FAILED with the ensurepip hint', async () => {
    const dir = tempDir();
    execFileSync('python3', ['-m', 'venv', '--without-pip', path.join(dir, 'bare')], { stdio: 'pipe' });
    const error = await errorOf(discoverPythonPackages(path.join(dir, 'bare')));
    expect(error?.code).toBe('COMMAND_FAILED');
    expect(error?.message).toMatch(/ensurepip/);
  });

  it('normalises names as PEP 503 does', () => {
    expect(normalizePackageName('Upkeep.Other_Probe')).toBe('upkeep-other-probe');
  });
});
