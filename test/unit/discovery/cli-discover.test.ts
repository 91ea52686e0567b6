import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoverResult } from '../../../shared/types';
import { git } from '../../fixtures/git/git-remote';
import { buildCli, upkeep } from '../../helpers/cli';
import { tempDir } from '../../helpers/temp';
import { installGlobal, packNpmPackage } from './local-packages';

let root: string;
let prefix: string;
let apps: string;
beforeAll(() => {
  buildCli();
  root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-cli-discover-'));
  prefix = path.join(root, 'prefix');
  installGlobal(prefix, [packNpmPackage(root, 'upkeep-cli-probe', '1.0.0')]);
  apps = path.join(root, 'apps');
  git(root, 'init', '-q', '--initial-branch', 'main', path.join(apps, 'site'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('upkeep discover', () => {
  it('--json prints the proposals; --add tracks every one not yet tracked', async () => {
    const home = tempDir();
    const env = { NPM_CONFIG_PREFIX: prefix };
    const listed = upkeep(['--home', home, '--json', 'discover', '--npm-global', '--git', apps], { env });
    expect(listed.status).toBe(0);
    const result = listed.json() as DiscoverResult;
    expect(result.proposals.map((p) => [p.id, p.source, p.already_tracked])).toEqual([
      ['upkeep-cli-probe', 'npm_global', false],
      ['site', 'git', false],
    ]);
    const list = () =>
      (
        upkeep(['--home', home, '--json', 'component', 'list']).json() as { components: { id: string }[] }
      ).components.map((c) => c.id);
    expect(list()).toEqual([]);

    const added = upkeep(['--home', home, '--json', 'discover', '--npm-global', '--git', apps, '--add'], { env });
    expect(added.status).toBe(0);
    expect((added.json() as { added: string[] }).added).toEqual(['upkeep-cli-probe', 'site']);
    expect(list().sort()).toEqual(['site', 'upkeep-cli-probe']);

    const again = upkeep(['--home', home, 'discover', '--npm-global', '--git', apps, '--add'], { env });
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/upkeep-cli-probe\s+npm_global\s+npm_release\s+npm\s+1\.0\.0\s+yes/);
    expect(again.stdout).toContain('Nothing new to add.');
  });

  it('a source that fails is printed with its code and exits 1; the rest is still shown', () => {
    const home = tempDir();
    const missing = path.join(root, 'missing-dir');
    const run = upkeep(['--home', home, 'discover', '--npm-global', '--git', missing], {
      env: { NPM_CONFIG_PREFIX: prefix },
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('upkeep-cli-probe');
    expect(run.stdout).toContain(`error (git): The folder ${missing} does not exist`);
    expect(run.stdout).toContain('[NOT_FOUND]');
  });

  it('without a source it is a usage error (exit 2) that lists the options', () => {
    const run = upkeep(['--home', tempDir(), 'discover']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--npm-global, --pip PYTHON .*--git DIR/);
  });
});
