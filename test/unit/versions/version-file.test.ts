import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentConfig } from '../../../shared/schemas/component';
import { validateComponent } from '../../../electron/core/config/validate';
import { readInstalledVersion } from '../../../electron/core/versions/installed';

let dir: string;
const cfg = (file: string): ComponentConfig =>
  validateComponent('app', { type: 'always_current', folder: dir, version_from: { file } });

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'upkeep-versionfile-'));
  writeFileSync(path.join(dir, 'VERSION'), '2.4.1\n');
  writeFileSync(path.join(dir, 'crlf.txt'), '\uFEFF\r\n  v3.0.0-rc.1  \r\n\r\n');
  writeFileSync(path.join(dir, 'empty'), '\n \n');
  writeFileSync(path.join(dir, 'setup.cfg'), '[metadata]\nversion = 1.2.3\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('version_from: { file } (a file holding just the version)', () => {
  it('reads its one non-empty line, trimmed (BOM and CRLF too)', async () => {
    expect(await readInstalledVersion(cfg('VERSION'))).toEqual({ version: '2.4.1', source: 'VERSION' });
    expect((await readInstalledVersion(cfg('crlf.txt'))).version).toBe('v3.0.0-rc.1');
    expect((await readInstalledVersion(cfg(path.join(dir, 'VERSION')))).version).toBe('2.4.1');
  });

  it('an empty file, a file with more than a version and a missing file are errors that say what to do', async () => {
    await expect(readInstalledVersion(cfg('empty'))).rejects.toMatchObject({
      code: 'CHECK_FAILED',
      message: expect.stringContaining('is empty'),
    });
    await expect(readInstalledVersion(cfg('setup.cfg'))).rejects.toMatchObject({
      code: 'CHECK_FAILED',
      message: expect.stringContaining('give version_from a regex too'),
    });
    await expect(readInstalledVersion(cfg('MISSING'))).rejects.toMatchObject({
      code: 'CHECK_FAILED',
      message: expect.stringContaining('ENOENT'),
    });
  });

  it('still takes json and regex beside file, never both', async () => {
    expect(
      (
        await readInstalledVersion(
          validateComponent('app', {
            type: 'always_current',
            folder: dir,
            version_from: { file: 'setup.cfg', regex: 'version = (\\S+)' },
          }),
        )
      ).version,
    ).toBe('1.2.3');
    expect(() =>
      validateComponent('app', {
        type: 'always_current',
        folder: dir,
        version_from: { file: 'x.json', json: 'version', regex: 'x' },
      }),
    ).toThrow(/version_from\.regex: takes json .* or regex, not both/);
  });
});
