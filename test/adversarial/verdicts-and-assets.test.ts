import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpdateResult } from '../../shared/types';
import { UpkeepError } from '../../shared/errors';
import { validateComponent } from '../../electron/core/config/validate';
import { compareVersions, isVersion } from '../../electron/core/versions/compare';
import { FakePypi } from '../fixtures/servers/pypi';
import { buildCli, repoRoot } from '../helpers/cli';
import { tempDir } from '../helpers/temp';
import { createHarness, type CheckHarness } from '../unit/checkers/harness';
import { OWNER, REPO, releaseFiles, releaseScenario, type Scenario } from '../unit/engine/scenario';
import { sourceTarball } from '../fixtures/releases/tree';

let s: Scenario | undefined;
let h: CheckHarness | undefined;
let pypi: FakePypi | undefined;
afterEach(async () => {
  await s?.cleanup();
  await h?.close();
  await pypi?.close();
  s = undefined;
  h = undefined;
  pypi = undefined;
});

const check = async (sc: Scenario, options: { downgrade?: boolean } = {}) =>
  (await sc.services.checks.check(['webapp'], { force: true, ...options }))[0]!;
const update = async (sc: Scenario) =>
  ((await sc.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' })) as UpdateResult[])[0]!;
const read = (sc: Scenario, rel: string) => readFileSync(path.join(sc.folder, rel), 'utf8');

/** A release tree as a real tool lays it out in `dir/top/…`. */
function writeTree(dir: string, top: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, top, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

function run(argv: string[], options: { cwd?: string; input?: Buffer } = {}): Buffer {
  const r = spawnSync(argv[0] as string, argv.slice(1), {
    cwd: options.cwd,
    input: options.input,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr?.toString()}`);
  return r.stdout;
}

/** The release as GitHub's archive/<ref>.zip has it: `git archive --format=zip --prefix=top/`. */
function gitArchiveZip(top: string, files: Record<string, string>): Buffer {
  const repo = tempDir('upkeep-zipsrc-');
  writeTree(repo, '', files);
  run(['git', 'init', '-q'], { cwd: repo });
  run(['git', '-c', 'user.email=t@example.invalid', '-c', 'user.name=t', 'add', '-A'], { cwd: repo });
  run(['git', '-c', 'user.email=t@example.invalid', '-c', 'user.name=t', 'commit', '-qm', 'release'], { cwd: repo });
  return run(['git', 'archive', '--format=zip', `--prefix=${top}/`, 'HEAD'], { cwd: repo });
}

/** A .tar.zst as `tar` and the `zstd` CLI write it: streamed from a pipe (no content size), or from a file (size declared). */
function tarZst(top: string, files: Record<string, string>, how: 'pipe' | 'file'): Buffer {
  const dir = tempDir('upkeep-zstsrc-');
  writeTree(dir, top, files);
  const tar = path.join(dir, 'release.tar');
  run(['tar', '-cf', tar, '-C', dir, top]);
  return how === 'pipe'
    ? run(['zstd', '-q', '-c', '-3'], { input: readFileSync(tar) })
    : run(['zstd', '-q', '-c', '-3', tar]);
}

describe('SemVer verdicts through a real check (GitHub-like server)', () => {
  it('a loose spelling of the installed version (VERSION holds "v 1.1.0") is not an update of 1.1.0', async () => {
    s = await releaseScenario({ config: { version_from: { file: 'VERSION' } } });
    writeFileSync(path.join(s.folder, 'VERSION'), 'v 1.1.0\n');
    const r = await check(s);
    expect(r).toMatchObject({ installed: 'v 1.1.0', latest: '1.1.0', update_available: false });
    expect(r.explanation).toBe('1.1.0 = v 1.1.0 by semantic versioning');
    for (const loose of ['=1.1.0', ' = 1.1.0', 'v=1.1.0', '1.1.0+build.7']) {
      writeFileSync(path.join(s.folder, 'VERSION'), `${loose}\n`);
      expect((await check(s)).update_available, loose).toBe(false);
    }
  });

  it('1.2.3-r2 is newer than an installed 1.2.3-r100 (identifiers with letters compare as ASCII)', async () => {
    s = await releaseScenario({ config: { version_from: { file: 'VERSION' } } });
    writeFileSync(path.join(s.folder, 'VERSION'), '1.2.3-r100\n');
    s.gh.addRelease(OWNER, REPO, {
      tag_name: 'v1.2.3-r2',
      tarball: sourceTarball(`${OWNER}-${REPO}-r2`, releaseFiles('1.2.3-r2')),
    });
    const r = await check(s);
    expect(r).toMatchObject({
      latest: '1.2.3-r2',
      update_available: true,
      explanation: '1.2.3-r2 > 1.2.3-r100 by semantic versioning',
    });
  });
});

describe("OctoPrint's *_unequal: a lower release is what was asked for", () => {
  it('python_unequal offers 1.1.0 over an installed 1.2.0, and the engine installs it', async () => {
    s = await releaseScenario({ config: { release_compare: 'python_unequal', version_from: { file: 'VERSION' } } });
    writeFileSync(path.join(s.folder, 'VERSION'), '1.2.0\n');
    const r = await check(s);
    expect(r).toMatchObject({ installed: '1.2.0', latest: '1.1.0', update_available: true });
    expect(r.explanation).toBe(
      '1.1.0 != 1.2.0 by PEP 440 inequality; offered although lower: python_unequal offers any different version',
    );
    expect(r.explanation).not.toMatch(/not offered|downgrade/);
    const result = await update(s);
    expect(result, JSON.stringify(result)).toMatchObject({ status: 'succeeded', from: '1.2.0', to: '1.1.0' });
    expect(read(s, 'VERSION')).toBe('1.1.0\n');
  });

  it('python (not unequal) still refuses the lower release without --downgrade', async () => {
    s = await releaseScenario({ config: { release_compare: 'python', version_from: { file: 'VERSION' } } });
    writeFileSync(path.join(s.folder, 'VERSION'), '1.2.0\n');
    const r = await check(s);
    expect(r).toMatchObject({ latest: '1.1.0', update_available: false, explanation: '1.1.0 < 1.2.0 by PEP 440' });
    expect((await update(s)).status).toBe('skipped');
    expect(read(s, 'VERSION')).toBe('1.2.0\n');
  });
});

describe("OctoPrint's prerelease channels", () => {
  const prereleases = (sc: Scenario) => {
    sc.gh.addRelease(OWNER, REPO, {
      tag_name: 'v1.3.0rc1',
      prerelease: true,
      target_commitish: 'rc/devel',
      tarball: sourceTarball('t', releaseFiles('1.3.0rc1')),
    });
    sc.gh.addRelease(OWNER, REPO, {
      tag_name: 'v1.2.0rc1',
      prerelease: true,
      target_commitish: 'rc/maintenance',
      tarball: sourceTarball('t', releaseFiles('1.2.0rc1')),
    });
  };

  it('prerelease: true with a prerelease_channel and no prerelease_branches offers every prerelease', async () => {
    s = await releaseScenario({
      config: { release_compare: 'python', prerelease: true, prerelease_channel: 'rc/maintenance' },
    });
    prereleases(s);
    const r = await check(s);
    expect(r).toMatchObject({ latest: '1.3.0rc1', update_available: true });
  });

  it('a prerelease_channel not among prerelease_branches is accepted and matches its own branch only', async () => {
    s = await releaseScenario({
      config: {
        release_compare: 'python',
        prerelease: true,
        prerelease_channel: 'rc/maintenance',
        prerelease_branches: [{ name: 'Devel RCs', branch: 'rc/devel', commitish: ['rc/devel'] }],
      },
    });
    prereleases(s);
    const r = await check(s);
    expect(r).toMatchObject({ channel: 'rc/maintenance', latest: '1.2.0rc1', update_available: true });
    const channels = await s.services.checks.listChannels('webapp');
    expect(channels.channels.map((c) => c.id)).toContain('rc/maintenance');
  });
});

describe('config errors say what was expected', () => {
  it('version_from: { file: VERSION } is accepted', () => {
    expect(
      validateComponent('web', { type: 'always_current', folder: '/srv/web', version_from: { file: 'VERSION' } })
        .version_from,
    ).toEqual({ file: 'VERSION' });
  });

  it('no bare "Invalid input" for any refused key', () => {
    const bad: Record<string, unknown>[] = [
      { version_from: { file: 'VERSION', regx: 'x' } },
      { version_from: 'gitt' },
      { version_from: { file: 'x', json: 5 } },
      { version_from: { pip: 'x', python: 3 } },
      { version_from: 7 },
      { health: { url: 'ftp://x' } },
      { health: 'http://x' },
      { command: 5 },
      { update_script: { run: 'x' } },
      { force_base: 'yes' },
    ];
    for (const extra of bad) {
      let error: unknown;
      try {
        validateComponent('web', { type: 'always_current', ...extra });
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(extra)).toBeInstanceOf(UpkeepError);
      const message = (error as UpkeepError).message;
      expect(message, message).not.toMatch(/Invalid input(?!:)/);
      expect(message, message).toMatch(/must be|expected|Unrecognized key|takes/);
      expect(message).toContain(`components.web.${Object.keys(extra)[0]}`);
    }
  });
});

describe('PEP 440', () => {
  it('1.0+a+ is not a version', () => {
    expect(isVersion('1.0+a+', 'python')).toBe(false);
    expect(compareVersions('1.0+a', '1.0+a+', 'python').relation).toBe('different');
  });
});

describe('PyPI requires_python against the component interpreter', () => {
  async function pypiCase(python: string): Promise<{ latest: string | null; update: boolean; explanation: string }> {
    pypi = await FakePypi.start();
    pypi.addRelease('sample', '1.0.0');
    pypi.addRelease('sample', '1.1.0', { requires_python: '>=3.7' });
    pypi.addRelease('sample', '2.0.0', { requires_python: '>=3.99' });
    h = createHarness();
    h.add({ py: { type: 'pypi_release', package: 'sample', index_url: pypi.indexUrl, current: '1.0.0', python } });
    const r = await h.one('py', { force: true });
    expect(r.error).toBeNull();
    return { latest: r.latest, update: r.update_available, explanation: r.explanation ?? '' };
  }

  it('skips a release the interpreter cannot install, and says so', async () => {
    const version = run(['python3', '-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])']).toString().trim();
    const r = await pypiCase('python3');
    expect(r).toMatchObject({ latest: '1.1.0', update: true });
    expect(r.explanation).toBe(
      `1.1.0 > 1.0.0 by PEP 440; skipped 1 newer release whose requires_python excludes Python ${version} (python3): 2.0.0 (>=3.99)`,
    );
  });

  it('an interpreter that cannot be run is unknown, not a reassuring default', async () => {
    const dir = tempDir('upkeep-py-');
    const broken = path.join(dir, 'python');
    writeFileSync(broken, '#!/bin/sh\necho "no python here" >&2\nexit 9\n');
    chmodSync(broken, 0o755);
    const r = await pypiCase(broken);
    expect(r).toMatchObject({ latest: '2.0.0', update: true });
    expect(r.explanation).toContain(
      "requires_python not checked: the Python version of the component's interpreter is unknown",
    );
    expect(r.explanation).toContain('no python here');
    const missing = await (async () => {
      await pypi?.close();
      await h?.close();
      return pypiCase(path.join(dir, 'absent', 'python'));
    })();
    expect(missing.explanation).toMatch(/interpreter is unknown \(.*absent\/python.*not found/);
  });
});

describe('release_archive with zip and .tar.zst assets (real engine, GitHub-like server)', () => {
  const installs = async (name: string, content: Buffer) => {
    s = await releaseScenario({ assets: [{ name, content }], config: { asset: name.replace('1.1.0', '{version}') } });
    const r = await check(s);
    expect(r).toMatchObject({ latest: '1.1.0', update_available: true });
    const result = await update(s);
    expect(result, JSON.stringify(result)).toMatchObject({ status: 'succeeded', to: '1.1.0' });
    expect(read(s, 'VERSION')).toBe('1.1.0\n');
    expect(read(s, 'lib/new_module.py')).toBe('new in 1.1.0\n');
    expect(read(s, '.env')).toBe('SECRET_KEY=user-secret\n'); // preserved
    expect(read(s, 'db/app.db')).toBe('precious database v1\n'); // not in the release: kept
    expect(existsSync(path.join(s.folder, 'webapp-1.1.0'))).toBe(false); // the one top folder is installed from inside
    expect(readFileSync(path.join(s.uploadsTarget, 'photo.jpg'), 'utf8')).toBe('a user photo');
  };

  it('a zip asset (git archive --format=zip, as GitHub serves archive/<ref>.zip) installs', async () => {
    await installs('webapp-1.1.0.zip', gitArchiveZip('webapp-1.1.0', releaseFiles()));
  });

  it('a .tar.zst asset written through a pipe (no content size: tar --zstd) installs on this runtime', async () => {
    await installs('webapp-1.1.0.tar.zst', tarZst('webapp-1.1.0', releaseFiles(), 'pipe'));
  });

  it('a .tar.zst asset written from a file (content size declared) installs', async () => {
    await installs('webapp-1.1.0.tar.zst', tarZst('webapp-1.1.0', releaseFiles(), 'file'));
  });

  it('the built upkeep CLI on this Node (no zstd in zlib) installs a .tar.zst asset', async () => {
    const zlib = (await import('node:zlib')) as unknown as { createZstdDecompress?: unknown };
    // On Node 20 zlib has no zstd: the asset is read by the zstd module the backups use.
    if (process.versions.node.startsWith('20.')) expect(typeof zlib.createZstdDecompress).toBe('undefined');
    buildCli();
    s = await releaseScenario({
      assets: [{ name: 'webapp-1.1.0.tar.zst', content: tarZst('webapp-1.1.0', releaseFiles(), 'pipe') }],
      config: { asset: 'webapp-{version}.tar.zst' },
    });
    // The CLI runs as its own process; this one keeps serving the GitHub-like API meanwhile.
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'bin', 'upkeep.mjs'), '--home', s.home, '--json', 'update', 'webapp', '--yes'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, out + err).toBe(0);
    expect(out).toContain('"succeeded"');
    expect(read(s, 'VERSION')).toBe('1.1.0\n');
    expect(read(s, '.env')).toBe('SECRET_KEY=user-secret\n');
  });

  it('a zip asset that climbs out with ../ is refused and nothing changes', async () => {
    const dir = tempDir('upkeep-evilzip-');
    const file = path.join(dir, 'evil.zip');
    run([
      'python3',
      '-c',
      'import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],"w")\nz.writestr("app/VERSION","6.6.6\\n")\nz.writestr("../../escaped.txt","x")\nz.close()',
      file,
    ]);
    s = await releaseScenario({
      assets: [{ name: 'webapp-1.1.0.zip', content: readFileSync(file) }],
      config: { asset: 'webapp-{version}.zip' },
    });
    const before = s.hash();
    const result = await update(s);
    // Refused while extracting into staging, before anything in the folder changed: nothing to roll back.
    expect(result.status, JSON.stringify(result)).toBe('failed');
    expect(result.error?.code).toBe('UNSAFE_ARCHIVE');
    expect(result.error?.message).toContain('climbs out with ".."');
    expect(s.hash()).toBe(before);
    expect(existsSync(path.join(s.root, 'escaped.txt'))).toBe(false);
    expect(existsSync(path.join(s.root, 'srv', 'escaped.txt'))).toBe(false);
  });
});
