import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../../electron/core/api';
import { createServices } from '../../../electron/core/services';
import { invokeMethod, type MethodName, type RequestOf, type ResponseOf } from '../../../shared/contract';
import { UpkeepError } from '../../../shared/errors';
import { COMPONENT_TEMPLATES } from '../../../shared/templates';
import { git } from '../../fixtures/git/git-remote';
import { tempDir } from '../../helpers/temp';
import { buildWheel, installGlobal, makeVenv, packNpmPackage } from './local-packages';

// Real sources for the whole file: a global npm prefix, a venv, and a folder with a real clone.
let root: string;
let prefix: string;
let venv: string;
let apps: string;
const savedPrefix = process.env.NPM_CONFIG_PREFIX;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-discover-'));
  prefix = path.join(root, 'npm-prefix');
  installGlobal(prefix, [packNpmPackage(root, 'upkeep-probe', '3.0.0')]);
  venv = makeVenv(root, buildWheel(root, 'upkeep-probe', '1.2.3'), ['upkeep-probe']);
  apps = path.join(root, 'apps');
  git(root, 'init', '-q', '--bare', '--initial-branch', 'main', path.join(root, 'remote.git'));
  git(root, 'clone', '-q', path.join(root, 'remote.git'), path.join(apps, 'upkeep-probe'));
  // discover reads the real npm global prefix from npm's own configuration variable
  process.env.NPM_CONFIG_PREFIX = prefix;
}, 120_000);
afterAll(() => {
  if (savedPrefix === undefined) delete process.env.NPM_CONFIG_PREFIX;
  else process.env.NPM_CONFIG_PREFIX = savedPrefix;
  rmSync(root, { recursive: true, force: true });
});

function apiFor(home: string, readOnly = false) {
  const api = createApi(createServices({ home, host: 'http' }));
  return <M extends MethodName>(method: M, request: RequestOf<M>) =>
    invokeMethod(api, method, request, { initiatedBy: 'panel', readOnly }) as Promise<ResponseOf<M>>;
}

describe('discover (contract method)', () => {
  it('asks every chosen source; the same name from npm, pip and git gets three distinct ids', async () => {
    const call = apiFor(tempDir());
    const { proposals, errors } = await call('discover', { npm_global: true, python: venv, git_dir: apps });
    expect(errors).toEqual([]);
    const summary = proposals.map((p) => [p.source, p.id, p.config.type, p.config.method, p.already_tracked]);
    expect(summary).toEqual([
      ['npm_global', 'upkeep-probe', 'npm_release', 'npm', false],
      ['python', 'upkeep-probe-2', 'pypi_release', 'pip', false],
      ['git', 'upkeep-probe-3', 'git_commit', 'git', false],
    ]);
    expect(proposals[0]?.installed).toBe('3.0.0');
    expect(proposals[1]?.installed).toBe('1.2.3');
    // An empty clone has no commit yet and an unborn branch: still a checkout to track.
    expect(proposals[2]?.config).toMatchObject({ folder: path.join(apps, 'upkeep-probe'), branch: 'main' });
  });

  it('adding proposals goes through addComponents; a second discovery marks them tracked under the same ids', async () => {
    const call = apiFor(tempDir());
    const first = await call('discover', { npm_global: true, python: venv, git_dir: apps });
    const mapping = Object.fromEntries(first.proposals.map((p) => [p.id, p.config]));
    expect((await call('addComponents', { components: mapping })).added.sort()).toEqual([
      'upkeep-probe',
      'upkeep-probe-2',
      'upkeep-probe-3',
    ]);
    const second = await call('discover', { npm_global: true, python: venv, git_dir: apps });
    expect(second.proposals.map((p) => [p.id, p.already_tracked])).toEqual([
      ['upkeep-probe', true],
      ['upkeep-probe-2', true],
      ['upkeep-probe-3', true],
    ]);
    const { components } = await call('listComponents', {});
    expect(components.find((c) => c.id === 'upkeep-probe-2')?.config).toEqual(first.proposals[1]?.config);
  });

  it('suggested ids never collide with an existing component that tracks something else', async () => {
    const call = apiFor(tempDir());
    await call('addComponents', {
      components: { 'upkeep-probe': { type: 'github_release', user: 'someone', repo: 'else' } },
    });
    const { proposals } = await call('discover', { npm_global: true });
    expect(proposals.map((p) => [p.id, p.already_tracked])).toEqual([['upkeep-probe-2', false]]);
  });

  it('one failing source never hides the others: each failure has its own clear error', async () => {
    const call = apiFor(tempDir());
    const missingPython = path.join(root, 'no-venv', 'bin', 'python');
    const missingDir = path.join(root, 'no-such-folder');
    const { proposals, errors } = await call('discover', {
      npm_global: true,
      python: missingPython,
      git_dir: missingDir,
    });
    expect(proposals.map((p) => p.source)).toEqual(['npm_global']);
    expect(errors).toEqual([
      {
        source: 'python',
        code: 'NOT_FOUND',
        message: expect.stringContaining(`No Python at ${missingPython}`),
        path: missingPython,
      },
      {
        source: 'git',
        code: 'NOT_FOUND',
        message: expect.stringContaining(`The folder ${missingDir} does not exist`),
        path: missingDir,
      },
    ]);
  });

  it('a failing npm is reported while pip and git still answer', async () => {
    const call = apiFor(tempDir());
    const brokenPrefix = path.join(root, 'package.json-not-a-prefix');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(brokenPrefix, '{}');
    process.env.NPM_CONFIG_PREFIX = brokenPrefix;
    try {
      const { proposals, errors } = await call('discover', { npm_global: true, python: venv, git_dir: apps });
      expect(proposals.map((p) => p.source)).toEqual(['python', 'git']);
      expect(errors).toEqual([
        expect.objectContaining({
          source: 'npm_global',
          code: 'COMMAND_FAILED',
          message: expect.stringMatching(/npm ls -g/),
        }),
      ]);
    } finally {
      process.env.NPM_CONFIG_PREFIX = prefix;
    }
  });

  it('needs at least one source, and is refused to read-only callers (it runs programs on this machine)', async () => {
    const home = tempDir();
    await expect(apiFor(home)('discover', {})).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringMatching(/at least one of npm_global, python or git_dir/),
    });
    await expect(apiFor(home)('discover', { python: '' })).rejects.toBeInstanceOf(UpkeepError);
    await expect(apiFor(home, true)('discover', { npm_global: true })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('listTemplates returns the templates for the Add dialog, also to read-only callers', async () => {
    const { templates } = await apiFor(tempDir(), true)('listTemplates', {});
    expect(templates.map((t) => t.id)).toEqual(COMPONENT_TEMPLATES.map((t) => t.id));
  });
});
