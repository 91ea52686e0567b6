import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverNpmGlobal, npmCommand } from '../../../electron/core/discovery/npm-global';
import { validateComponent } from '../../../electron/core/config/validate';
import { UpkeepError } from '../../../shared/errors';
import { tempDir } from '../../helpers/temp';
import { installGlobal, packNpmPackage } from './local-packages';

// One real global prefix for the file: two packages packed with `npm pack` and installed with `npm install -g`.
let root: string;
let prefix: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-npm-'));
  prefix = path.join(root, 'prefix');
  const plain = packNpmPackage(root, 'upkeep-probe-cli', '2.3.4');
  const scoped = packNpmPackage(root, '@upkeep-probe/scoped-tool', '0.9.0-beta.1');
  installGlobal(prefix, [plain, scoped]);
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('global npm packages', () => {
  it('proposes every globally installed package as npm_release + npm (global) with its installed version', async () => {
    const candidates = await discoverNpmGlobal({ env: { NPM_CONFIG_PREFIX: prefix } });
    const byName = Object.fromEntries(candidates.map((c) => [c.config.package, c]));
    expect(Object.keys(byName).sort()).toEqual(['@upkeep-probe/scoped-tool', 'upkeep-probe-cli']);
    const cli = byName['upkeep-probe-cli'];
    expect(cli?.installed).toBe('2.3.4');
    expect(cli?.baseId).toBe('upkeep-probe-cli');
    expect(cli?.config).toEqual({
      name: 'upkeep-probe-cli',
      type: 'npm_release',
      package: 'upkeep-probe-cli',
      method: 'npm',
      global: true,
      version_from: { npm: 'upkeep-probe-cli', global: true },
    });
    expect(byName['@upkeep-probe/scoped-tool']?.baseId).toBe('upkeep-probe-scoped-tool');
    expect(byName['@upkeep-probe/scoped-tool']?.installed).toBe('0.9.0-beta.1');
    for (const c of candidates) expect(() => validateComponent(c.baseId, c.config)).not.toThrow();
  });

  it('leaves out packages linked from a local folder (npm link)', async () => {
    const dir = tempDir();
    const linkPrefix = path.join(dir, 'prefix');
    const tarball = packNpmPackage(dir, 'upkeep-probe-real', '1.0.0');
    installGlobal(linkPrefix, [tarball]);
    const work = path.join(dir, 'work');
    mkdirSync(work);
    writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'upkeep-probe-linked', version: '0.0.1' }));
    const { execFileSync } = await import('node:child_process');
    execFileSync('npm', ['link', '--no-audit', '--no-fund'], {
      cwd: work,
      env: { ...process.env, NPM_CONFIG_PREFIX: linkPrefix },
      stdio: 'ignore',
    });
    const names = (await discoverNpmGlobal({ env: { NPM_CONFIG_PREFIX: linkPrefix } })).map((c) => c.config.package);
    expect(names).toEqual(['upkeep-probe-real']);
  });

  it('an empty global prefix is an empty list, not an error', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'empty-prefix'));
    expect(await discoverNpmGlobal({ env: { NPM_CONFIG_PREFIX: path.join(dir, 'empty-prefix') } })).toEqual([]);
    expect(await discoverNpmGlobal({ env: { NPM_CONFIG_PREFIX: path.join(dir, 'no-such-prefix') } })).toEqual([]);
  });

  it('a failing npm is a COMMAND_FAILED error that says what to run', async () => {
    const dir = tempDir();
    const notADir = path.join(dir, 'prefix-is-a-file');
    writeFileSync(notADir, 'x');
    const error = await discoverNpmGlobal({ env: { NPM_CONFIG_PREFIX: notADir } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpkeepError);
    expect((error as UpkeepError).code).toBe('COMMAND_FAILED');
    expect((error as UpkeepError).message).toMatch(/npm ls -g/);
  });

  it('npm that is not installed is NOT_FOUND', async () => {
    const error = await discoverNpmGlobal({ npm: [path.join(tempDir(), 'no-such-npm')] }).catch((e: unknown) => e);
    expect((error as UpkeepError).code).toBe('NOT_FOUND');
  });

  it('runs npm as argv on POSIX and refuses a PATH without npm on Windows', () => {
    expect(npmCommand('linux')).toEqual(['npm']);
    expect(() => npmCommand('win32', { PATH: tempDir() })).toThrow(/npm was not found/);
  });
});
