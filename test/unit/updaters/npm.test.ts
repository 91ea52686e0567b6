import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmUpdater } from '../../../electron/core/updaters/npm';
import { makeNpmTarball, npmEnv } from '../../fixtures/packages/packages';
import { tempDir } from '../../helpers/temp';
import { updaterContext } from './harness';

const saved: Record<string, string | undefined> = {};
beforeAll(() => {
  // The updater runs the real npm; these keep it off the network.
  for (const [k, v] of Object.entries({
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
});

describe('npm updater (real npm, local tarballs, no network)', () => {
  it('installs the target version of a package into the component folder', async () => {
    const dir = tempDir();
    const packs = path.join(dir, 'packs');
    mkdirSync(packs);
    makeNpmTarball(packs, 'tiny-upkeep-pkg', '1.0.0');
    makeNpmTarball(packs, 'tiny-upkeep-pkg', '1.1.0');
    const folder = path.join(dir, 'app');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: 'app', version: '0.0.0', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', path.join(packs, 'tiny-upkeep-pkg-1.0.0.tgz')], {
      cwd: folder,
      env: npmEnv(),
      stdio: 'ignore',
    });
    const run = updaterContext(
      dir,
      'tiny',
      {
        type: 'npm_release',
        package: 'tiny-upkeep-pkg',
        method: 'npm',
        folder,
        url: path.join(packs, 'tiny-upkeep-pkg-{target_version}.tgz'),
      },
      { version: '1.1.0' },
    );
    expect(npmUpdater.folder(run.ctx)).toBe(folder);
    await npmUpdater.preflight?.(run.ctx);
    await npmUpdater.apply(run.ctx);
    const installed = JSON.parse(
      readFileSync(path.join(folder, 'node_modules', 'tiny-upkeep-pkg', 'package.json'), 'utf8'),
    ) as { version: string };
    expect(installed.version).toBe('1.1.0');
  });

  it('fails with COMMAND_FAILED when the version does not exist', async () => {
    const dir = tempDir();
    const folder = path.join(dir, 'app');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: 'app', version: '0.0.0', private: true }));
    const run = updaterContext(
      dir,
      'tiny',
      {
        type: 'npm_release',
        package: 'tiny-upkeep-pkg',
        method: 'npm',
        folder,
        url: path.join(dir, 'missing-{target_version}.tgz'),
      },
      { version: '9.9.9' },
    );
    await expect(npmUpdater.apply(run.ctx)).rejects.toMatchObject({ code: 'COMMAND_FAILED' });
  });
});
