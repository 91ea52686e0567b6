import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../shared/types';
import { runCli } from '../../../electron/cli/main';
import { FakeGitHub } from '../../fixtures/servers/github';
import { FakePypi } from '../../fixtures/servers/pypi';

/** Run the CLI in-process (the servers answer from this process), capturing what it prints. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  let code: number;
  try {
    code = await runCli(args);
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

let gh: FakeGitHub;
let pypi: FakePypi;
let root: string;
let home: string;
let imported: { added: string[]; replaced: string[]; skipped: { id: string; reason: string }[] };
const python = spawnSync('python3', ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
  encoding: 'utf8',
}).stdout.trim();

/** An OctoPrint config.yaml with a check in each shape the import must keep the meaning of. */
function configYaml(api: string, index: string, folder: string): string {
  return `
plugins:
  softwareupdate:
    checks:
      force_base_on:
        displayName: Base only
        type: github_release
        user: acme
        repo: plugin
        api_base: "${api}"
        current: 1.4.0rc1
        release_compare: python
        force_base: true
      force_base_default:
        type: github_release
        user: acme
        repo: plugin
        api_base: "${api}"
        current: 1.4.0rc1
        release_compare: python
      unequal_lower:
        type: github_release
        user: acme
        repo: plugin
        api_base: "${api}"
        current: 2.0.0
        release_compare: python_unequal
      semantic_unequal_lower:
        type: github_release
        user: acme
        repo: plugin
        api_base: "${api}"
        current: 2.0.0
        release_compare: semantic_unequal
      every_prerelease:
        type: github_release
        user: acme
        repo: rcs
        api_base: "${api}"
        current: 1.0.0
        prerelease: true
        prerelease_channel: rc/maintenance
      unlisted_channel:
        type: github_release
        user: acme
        repo: rcs
        api_base: "${api}"
        current: 1.0.0
        prerelease: true
        prerelease_channel: rc/maintenance
        prerelease_branches:
          - name: Devel RCs
            branch: rc/devel
            commitish: [rc/devel]
      pypi_plugin:
        type: pypi_release
        package: octoprint-sample
        index_url: "${index}"
        python: python3
        current: 1.0.0
        pip: "octoprint-sample=={target_version}"
      version_file:
        type: github_release
        user: acme
        repo: plugin
        api_base: "${api}"
        folder: "${folder}"
        version_from:
          file: VERSION
      bad_version_from:
        type: github_release
        user: acme
        repo: plugin
        version_from: { file: VERSION, regx: "(.*)" }
      bad_health:
        type: github_release
        user: acme
        repo: plugin
        health: 42
`;
}

beforeAll(async () => {
  [gh, pypi] = await Promise.all([FakeGitHub.start(), FakePypi.start()]);
  gh.addRelease('acme', 'plugin', { tag_name: '1.3.0' });
  gh.addRelease('acme', 'plugin', { tag_name: '1.4.0' });
  gh.addRelease('acme', 'rcs', { tag_name: '1.0.0', target_commitish: 'main' });
  gh.addRelease('acme', 'rcs', { tag_name: '1.1.0rc1', prerelease: true, target_commitish: 'rc/maintenance' });
  gh.addRelease('acme', 'rcs', { tag_name: '1.2.0rc1', prerelease: true, target_commitish: 'rc/devel' });
  gh.addRelease('acme', 'rcs', { tag_name: '1.3.0rc1', prerelease: true, target_commitish: 'feature/x' });
  pypi.addRelease('octoprint-sample', '1.0.0');
  pypi.addRelease('octoprint-sample', '1.1.0', { requires_python: '>=3.7' });
  pypi.addRelease('octoprint-sample', '1.2.0', { requires_python: '>=3.99' });
  root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-octoprint-'));
  home = path.join(root, 'home');
  const folder = path.join(root, 'plugin');
  mkdirSync(folder);
  writeFileSync(path.join(folder, 'VERSION'), '1.3.0\n');
  const file = path.join(root, 'config.yaml');
  writeFileSync(file, configYaml(gh.apiBase, pypi.indexUrl, folder));
  const r = await cli(['--home', home, '--json', 'import', 'octoprint', file]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  imported = JSON.parse(r.stdout);
});

afterAll(async () => {
  await Promise.all([gh.close(), pypi.close()]);
  rmSync(root, { recursive: true, force: true });
});

async function check(id: string): Promise<CheckResult> {
  const r = await cli(['--home', home, '--json', 'check', id, '--force']);
  expect(r.stderr).toBe('');
  const [entry] = (JSON.parse(r.stdout) as { components: CheckResult[] }).components;
  expect(entry?.error, JSON.stringify(entry?.error)).toBeNull();
  return entry as CheckResult;
}

describe('upkeep import octoprint: every shape keeps its OctoPrint meaning', () => {
  it('imports every valid check and skips the broken ones with what was expected', () => {
    expect(imported.added.sort()).toEqual([
      'every_prerelease',
      'force_base_default',
      'force_base_on',
      'pypi_plugin',
      'semantic_unequal_lower',
      'unequal_lower',
      'unlisted_channel',
      'version_file',
    ]);
    const reasons = Object.fromEntries(imported.skipped.map((s) => [s.id, s.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['bad_health', 'bad_version_from']);
    expect(reasons.bad_version_from).toContain('components.bad_version_from.version_from: Unrecognized key: "regx"');
    expect(reasons.bad_health).toContain(
      'components.bad_health.health: must be { url, expect_status?, timeout? } or { command, timeout? }',
    );
    for (const reason of Object.values(reasons)) expect(reason).not.toMatch(/Invalid input(?!:)/);
  });

  it('force_base: true compares base versions only (1.4.0rc1 is current once 1.4.0 is out)', async () => {
    const r = await check('force_base_on');
    expect(r).toMatchObject({ installed: '1.4.0rc1', latest: '1.4.0', update_available: false });
    expect(r.explanation).toBe('1.4.0 = 1.4.0rc1 by PEP 440 (force_base: base versions only)');
  });

  it('force_base is off by default, as OctoPrint reads it', async () => {
    expect(await check('force_base_default')).toMatchObject({
      latest: '1.4.0',
      update_available: true,
      explanation: '1.4.0 > 1.4.0rc1 by PEP 440',
    });
  });

  it('python_unequal and semantic_unequal offer a lower release, not vetoed as a downgrade', async () => {
    expect(await check('unequal_lower')).toMatchObject({
      installed: '2.0.0',
      latest: '1.4.0',
      update_available: true,
      explanation:
        '1.4.0 != 2.0.0 by PEP 440 inequality; offered although lower: python_unequal offers any different version',
    });
    expect(await check('semantic_unequal_lower')).toMatchObject({ latest: '1.4.0', update_available: true });
  });

  it('prerelease: true with a prerelease_channel and no prerelease_branches offers every prerelease', async () => {
    const r = await check('every_prerelease');
    expect(r).toMatchObject({ channel: 'prerelease', latest: '1.3.0rc1', update_available: true });
  });

  it('a prerelease_channel not among prerelease_branches matches that branch only', async () => {
    const r = await check('unlisted_channel');
    expect(r).toMatchObject({ channel: 'rc/maintenance', latest: '1.1.0rc1', update_available: true });
  });

  it('pypi_release skips what the interpreter cannot install and says so', async () => {
    const r = await check('pypi_plugin');
    expect(r).toMatchObject({ latest: '1.1.0', update_available: true });
    expect(r.explanation).toBe(
      `1.1.0 > 1.0.0 by PEP 440; skipped 1 newer release whose requires_python excludes Python ${python} (python3): 1.2.0 (>=3.99)`,
    );
  });

  it('version_from: { file: VERSION } reads the file that holds just the version', async () => {
    expect(await check('version_file')).toMatchObject({ installed: '1.3.0', latest: '1.4.0', update_available: true });
  });
});
