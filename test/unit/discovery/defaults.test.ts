import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApi } from '../../../electron/core/api';
import { discoveryDefaults } from '../../../electron/core/discovery/defaults';
import { createServices } from '../../../electron/core/services';
import { invokeMethod } from '../../../shared/contract';
import { tempDir } from '../../helpers/temp';

const realPython = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const realNpm = execFileSync(
  'node',
  ['-e', 'process.stdout.write(require("node:path").join(require("node:path").dirname(process.execPath), "npm"))'],
  { encoding: 'utf8' },
);

describe('discovery defaults (prefills for the first-run form)', () => {
  it('offers the Python interpreters on PATH, npm when present, and the usual checkout folders that exist', () => {
    const root = tempDir();
    const bin = path.join(root, 'bin');
    mkdirSync(bin);
    symlinkSync(realPython, path.join(bin, 'python3'));
    symlinkSync(realNpm, path.join(bin, 'npm'));
    const home = path.join(root, 'home');
    mkdirSync(path.join(home, 'src'), { recursive: true });
    mkdirSync(path.join(home, 'apps'));
    const found = discoveryDefaults({ env: { PATH: `${path.join(root, 'empty')}:${bin}` }, platform: 'linux', home });
    expect(found.python).toEqual([path.join(bin, 'python3')]);
    expect(found.npm).toBe(true);
    expect(found.git_dirs.slice(0, 2)).toEqual([path.join(home, 'apps'), path.join(home, 'src')]);
    expect(found.git_dirs).toContain(home);
    expect(found.git_dirs).not.toContain(path.join(home, 'projects'));
  });

  it('an empty PATH offers no interpreter and no npm', () => {
    const found = discoveryDefaults({ env: { PATH: tempDir() }, platform: 'linux', home: tempDir() });
    expect(found.python).toEqual([]);
    expect(found.npm).toBe(false);
  });

  it('is a read-only contract method', async () => {
    const api = createApi(createServices({ home: tempDir(), host: 'http' }));
    const found = (await invokeMethod(api, 'getDiscoveryDefaults', {}, { initiatedBy: 'panel', readOnly: true })) as {
      python: string[];
    };
    expect(found.python.every((p) => path.isAbsolute(p))).toBe(true);
  });
});
