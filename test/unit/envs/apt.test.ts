import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAptUpgradable } from '../../../electron/core/envs/apt';
import { buildCli, repoRoot, upkeep } from '../../helpers/cli';
import { tempDir } from '../../helpers/temp';

const hasApt = spawnSync('apt', ['--version']).status === 0;

interface CheckJson {
  components: {
    id: string;
    error: unknown;
    update_available: boolean;
    risk_flags: string[];
    packages?: {
      name: string;
      installed: string;
      target: string;
      risk_flags: string[];
      advisories: { id: string; source: string }[];
    }[];
  }[];
}

/** Debian packages of this very machine: read with `apt list --upgradable`, never installed here. */
describe.skipIf(!hasApt)('apt', () => {
  beforeAll(() => buildCli(), 120_000);

  function homeWithApt(owner?: number): string {
    const root = tempDir('upkeep-apt-');
    const home = path.join(root, 'home');
    mkdirSync(home, { recursive: true });
    const file = path.join(root, 'apt.yaml');
    writeFileSync(file, 'components:\n  host-packages:\n    name: Host packages\n    type: apt\n    method: apt\n');
    const added = upkeep(['--home', home, 'component', 'add', '--file', file]);
    expect(added.status, added.stderr).toBe(0);
    if (owner !== undefined)
      for (const p of [root, home, ...execFileSync('find', [home], { encoding: 'utf8' }).split('\n').filter(Boolean)])
        chownSync(p, owner, owner);
    return home;
  }

  it('upkeep check --json lists what apt can upgrade on this machine, security suites flagged', () => {
    const home = homeWithApt();
    const expected = parseAptUpgradable(
      execFileSync('apt', ['list', '--upgradable'], {
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: 'C' },
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    const run = upkeep(['--home', home, 'check', 'host-packages', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const [c] = (run.json() as CheckJson).components;
    expect(c?.error).toBeNull();
    expect(c?.update_available).toBe(expected.length > 0);
    expect((c?.packages ?? []).map((p) => [p.name, p.installed, p.target]).sort()).toEqual(
      expected.map((u) => [u.name, u.installed, u.version]).sort(),
    );
    for (const p of c?.packages ?? []) {
      const fromSecurity =
        expected.find((u) => u.name === p.name)?.suites.some((s) => s.endsWith('-security')) ?? false;
      expect(p.risk_flags.includes('security'), p.name).toBe(fromSecurity);
      if (fromSecurity) expect(p.advisories[0]?.source).toBe('apt');
    }
    expect(c?.risk_flags.includes('security')).toBe(
      expected.some((u) => u.suites.some((s) => s.endsWith('-security'))),
    );
  });

  it('refuses to install without root, saying what to do, and changes nothing', () => {
    const home = homeWithApt(65534);
    const check = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        path.join(repoRoot, 'bin', 'upkeep.mjs'),
        '--home',
        home,
        'check',
        'host-packages',
        '--json',
      ],
      { encoding: 'utf8', env: { ...process.env, UPKEEP_HOME: '', HOME: home } },
    );
    const pkgs = (JSON.parse(check.stdout) as CheckJson).components[0]?.packages ?? [];
    if (pkgs.length === 0) return; // nothing upgradable here: there is no install to refuse
    const first = pkgs[0]!;
    const before = execFileSync('dpkg-query', ['-W', '-f=${Version}', first.name], { encoding: 'utf8' });
    const run = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        path.join(repoRoot, 'bin', 'upkeep.mjs'),
        '--home',
        home,
        'update',
        'host-packages',
        '--package',
        first.name,
        '--yes',
        '--json',
      ],
      { encoding: 'utf8', env: { ...process.env, UPKEEP_HOME: '', HOME: home } },
    );
    expect(run.status).toBe(1);
    const [r] = (JSON.parse(run.stdout) as { results: { status: string; error: { code: string; message: string } }[] })
      .results;
    expect(r?.status).toBe('failed');
    expect(r?.error.code).toBe('FORBIDDEN');
    expect(r?.error.message).toMatch(/needs root.*sudo apt-get install --only-upgrade/);
    expect(execFileSync('dpkg-query', ['-W', '-f=${Version}', first.name], { encoding: 'utf8' })).toBe(before);
  });
});
