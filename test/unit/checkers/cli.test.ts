import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../electron/cli/main';
import { FakeGitHub } from '../../fixtures/servers/github';

/** Run the CLI in-process, capturing what it prints. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads untyped CLI JSON
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string; json: () => any }> {
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
  const stdout = out.join('');
  return { code, stdout, stderr: err.join(''), json: () => JSON.parse(stdout) };
}

let gh: FakeGitHub;
let root: string;
let home: string;

beforeAll(async () => {
  gh = await FakeGitHub.start();
  gh.addRelease('OctoPrint', 'OctoPrint', { tag_name: '1.2.15', target_commitish: 'master' });
  gh.addRelease('OctoPrint', 'OctoPrint', {
    tag_name: '1.2.16rc2',
    prerelease: true,
    target_commitish: 'rc/maintenance',
  });
  root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-cli-check-'));
  home = path.join(root, 'home');
  const file = path.join(root, 'components.yaml');
  writeFileSync(
    file,
    [
      'components:',
      '  octoprint:',
      '    displayName: OctoPrint',
      '    type: github_release',
      '    user: OctoPrint',
      '    repo: OctoPrint',
      `    api_base: "${gh.apiBase}"`,
      '    current: 1.2.14',
      '    prerelease_branches:',
      '      - { name: Maintenance RCs, branch: rc/maintenance, commitish: [rc/maintenance, master] }',
      '  broken:',
      '    type: github_release',
      '    user: OctoPrint',
      '    repo: Missing',
      `    api_base: "${gh.apiBase}"`,
    ].join('\n'),
  );
  expect((await cli(['--home', home, 'component', 'add', '--file', file])).code).toBe(0);
});

afterAll(async () => {
  await gh.close();
  rmSync(root, { recursive: true, force: true });
});

describe('upkeep check and upkeep channel', () => {
  it('check --json prints the shape the README documents', async () => {
    const r = await cli(['--home', home, '--json', 'check', 'octoprint']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [entry] = r.json().components;
    for (const key of ['id', 'name', 'installed', 'latest', 'update_available', 'channel', 'checked_at', 'error'])
      expect(entry).toHaveProperty(key);
    expect(entry).toMatchObject({
      id: 'octoprint',
      name: 'OctoPrint',
      installed: '1.2.14',
      latest: '1.2.15',
      update_available: true,
      channel: 'stable',
      error: null,
      explanation: '1.2.15 > 1.2.14 by PEP 440',
    });
  });

  it('a failing component makes the exit code 1 and carries {code, message}', async () => {
    const r = await cli(['--home', home, '--json', 'check']);
    expect(r.code).toBe(1);
    const broken = r.json().components.find((c: { id: string }) => c.id === 'broken');
    expect(broken.error).toEqual({ code: 'NOT_FOUND', message: expect.any(String) });
  });

  it('uses the cache unless --force', async () => {
    await cli(['--home', home, 'check', 'octoprint']);
    const before = gh.requests.length;
    await cli(['--home', home, 'check', 'octoprint']);
    expect(gh.requests.length).toBe(before);
    const forced = await cli(['--home', home, 'check', 'octoprint', '--force']);
    expect(forced.stdout).toContain('1.2.15 > 1.2.14 by PEP 440');
    expect(gh.requests.length).toBe(before + 1);
  });

  it('channel shows and sets the release channel', async () => {
    const shown = await cli(['--home', home, '--json', 'channel', 'octoprint']);
    expect(shown.json()).toEqual({
      id: 'octoprint',
      channel: 'stable',
      channels: [
        { id: 'stable', label: 'Stable' },
        { id: 'rc/maintenance', label: 'Maintenance RCs' },
      ],
    });
    const set = await cli(['--home', home, '--json', 'channel', 'octoprint', 'rc/maintenance']);
    expect(set.json()).toEqual({ id: 'octoprint', channel: 'rc/maintenance' });
    const checked = await cli(['--home', home, '--json', 'check', 'octoprint']);
    expect(checked.json().components[0]).toMatchObject({ channel: 'rc/maintenance', latest: '1.2.16rc2' });
    const bad = await cli(['--home', home, 'channel', 'octoprint', 'rc/nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('stable, rc/maintenance');
  });

  it('an unknown id is bad usage (exit 2)', async () => {
    const r = await cli(['--home', home, 'check', 'ghost']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No component "ghost"');
  });
});
