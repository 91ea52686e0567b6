import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateComponent } from '../../../electron/core/config/validate';
import { discoverGitCheckouts, githubRepoOf } from '../../../electron/core/discovery/git-checkouts';
import { UpkeepError } from '../../../shared/errors';
import { git } from '../../fixtures/git/git-remote';
import { tempDir } from '../../helpers/temp';

/** A real clone of a real bare remote, on `branch`. */
function cloneInto(root: string, target: string, branch = 'main'): string {
  const remote = path.join(root, `${path.basename(target)}-remote.git`);
  const seed = path.join(root, `${path.basename(target)}-seed`);
  git(root, 'init', '-q', '--bare', '--initial-branch', branch, remote);
  git(root, 'init', '-q', '--initial-branch', branch, seed);
  writeFileSync(path.join(seed, 'README'), 'hello\n');
  git(seed, 'add', 'README');
  git(seed, 'commit', '-q', '-m', 'first');
  git(seed, 'push', '-q', remote, branch);
  mkdirSync(path.dirname(target), { recursive: true });
  git(root, 'clone', '-q', '--branch', branch, remote, target);
  return remote;
}

describe('git checkouts under a folder', () => {
  it('finds real clones with their branch, commit and remote; GitHub remotes give user/repo', async () => {
    const root = tempDir();
    const apps = path.join(root, 'apps');
    cloneInto(root, path.join(apps, 'bot'), 'main');
    cloneInto(root, path.join(apps, 'team', 'Web.App'), 'stable');
    // A checkout whose origin is on github.com (no network is used: discovery only reads the config).
    git(path.join(apps, 'bot'), 'remote', 'set-url', 'origin', 'git@github.com:acme/chat-bot.git');

    const { candidates, errors } = await discoverGitCheckouts(apps);
    expect(errors).toEqual([]);
    const byFolder = Object.fromEntries(candidates.map((c) => [c.config.folder, c]));
    expect(Object.keys(byFolder).sort()).toEqual([path.join(apps, 'bot'), path.join(apps, 'team', 'Web.App')]);

    const bot = byFolder[path.join(apps, 'bot')];
    expect(bot?.config).toEqual({
      name: 'bot',
      type: 'git_commit',
      folder: path.join(apps, 'bot'),
      method: 'git',
      branch: 'main',
    });
    expect(bot?.github).toEqual({ user: 'acme', repo: 'chat-bot' });
    expect(bot?.note).toContain('GitHub: acme/chat-bot');
    expect(bot?.installed).toBe(git(path.join(apps, 'bot'), 'rev-parse', '--short=12', 'HEAD'));

    const web = byFolder[path.join(apps, 'team', 'Web.App')];
    expect(web?.config.branch).toBe('stable');
    expect(web?.baseId).toBe('web-app');
    expect(web?.github).toBeUndefined();
    expect(web?.note).toMatch(/remote .*Web\.App-remote\.git/);
    for (const c of candidates) expect(() => validateComponent(c.baseId, c.config)).not.toThrow();
  });

  it('skips node_modules, virtualenvs and folders below the depth limit; does not descend into a checkout', async () => {
    const root = tempDir();
    const scan = path.join(root, 'scan');
    cloneInto(root, path.join(scan, 'app'));
    cloneInto(root, path.join(scan, 'app', 'vendor', 'inner')); // inside a checkout: the outer one owns it
    cloneInto(root, path.join(scan, 'node_modules', 'dep'));
    mkdirSync(path.join(scan, 'env', 'lib'), { recursive: true });
    writeFileSync(path.join(scan, 'env', 'pyvenv.cfg'), 'home = /usr/bin\n');
    cloneInto(root, path.join(scan, 'env', 'lib', 'src-checkout'));
    cloneInto(root, path.join(scan, 'a', 'b', 'c', 'deep'));

    const found = async (maxDepth?: number) =>
      (await discoverGitCheckouts(scan, maxDepth === undefined ? {} : { maxDepth })).candidates
        .map((c) => path.relative(scan, c.config.folder as string))
        .sort();
    expect(await found()).toEqual(['a/b/c/deep', 'app']);
    expect(await found(2)).toEqual(['app']);
  });

  it('survives symlink loops and finds a checkout once even when two links lead to it', async () => {
    const root = tempDir();
    const scan = path.join(root, 'scan');
    cloneInto(root, path.join(scan, 'real', 'tool'));
    symlinkSync(scan, path.join(scan, 'real', 'loop')); // scan/real/loop -> scan
    symlinkSync(path.join(scan, 'real'), path.join(scan, 'again'));
    symlinkSync(path.join(root, 'missing'), path.join(scan, 'dangling'));
    const { candidates, errors } = await discoverGitCheckouts(scan, { maxDepth: 10 });
    expect(errors).toEqual([]);
    expect(candidates).toHaveLength(1);
    expect(candidates[0]?.config.folder).toBe(path.join(scan, 'again', 'tool'));
  });

  it('a detached HEAD gets no branch and a note saying to set one', async () => {
    const root = tempDir();
    const checkout = path.join(root, 'scan', 'pinned');
    cloneInto(root, checkout);
    git(checkout, 'checkout', '-q', '--detach', 'HEAD');
    const [found] = (await discoverGitCheckouts(path.join(root, 'scan'))).candidates;
    expect(found?.config.branch).toBeUndefined();
    expect(found?.note).toMatch(/detached HEAD/);
    expect(() => validateComponent('pinned', found?.config)).not.toThrow();
  });

  it('a folder typed as ~/… is under the home folder', async () => {
    const home = tempDir();
    cloneInto(home, path.join(home, 'apps', 'tool'));
    const saved = process.env.HOME;
    process.env.HOME = home; // os.homedir() reads HOME on POSIX
    try {
      const { candidates } = await discoverGitCheckouts('~/apps');
      expect(candidates.map((c) => c.config.folder)).toEqual([path.join(home, 'apps', 'tool')]);
    } finally {
      process.env.HOME = saved;
    }
  });

  it('reads each checkout even when GIT_DIR points somewhere else in the environment', async () => {
    const root = tempDir();
    cloneInto(root, path.join(root, 'scan', 'one'), 'one-branch');
    const other = path.join(root, 'elsewhere');
    cloneInto(root, other, 'other-branch');
    const saved = process.env.GIT_DIR;
    process.env.GIT_DIR = path.join(other, '.git');
    try {
      const [found] = (await discoverGitCheckouts(path.join(root, 'scan'))).candidates;
      expect(found?.config.branch).toBe('one-branch');
    } finally {
      if (saved === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = saved;
    }
  });

  it('the folder itself can be the checkout', async () => {
    const root = tempDir();
    cloneInto(root, path.join(root, 'solo'));
    const { candidates } = await discoverGitCheckouts(path.join(root, 'solo'));
    expect(candidates.map((c) => c.config.folder)).toEqual([path.join(root, 'solo')]);
  });

  it('a folder that does not exist is NOT_FOUND; a file is INVALID_REQUEST', async () => {
    const root = tempDir();
    const missing = path.join(root, 'nope');
    const error = await discoverGitCheckouts(missing).catch((e: unknown) => e as UpkeepError);
    expect(error).toBeInstanceOf(UpkeepError);
    expect((error as UpkeepError).code).toBe('NOT_FOUND');
    expect((error as UpkeepError).message).toContain(`The folder ${missing} does not exist`);
    writeFileSync(path.join(root, 'file'), '');
    expect(((await discoverGitCheckouts(path.join(root, 'file')).catch((e: unknown) => e)) as UpkeepError).code).toBe(
      'INVALID_REQUEST',
    );
  });

  it('a scan over the folder limit stops and says to choose a narrower folder', async () => {
    const root = tempDir();
    for (let i = 0; i < 12; i++) mkdirSync(path.join(root, 'wide', `d${i}`), { recursive: true });
    const { errors } = await discoverGitCheckouts(path.join(root, 'wide'), { maxDirs: 5 });
    expect(errors).toEqual([
      expect.objectContaining({
        source: 'git',
        code: 'RESPONSE_TOO_LARGE',
        message: expect.stringMatching(/narrower folder/),
      }),
    ]);
  });

  it('a broken checkout is reported by folder; the others are still proposed', async () => {
    const root = tempDir();
    cloneInto(root, path.join(root, 'scan', 'good'));
    mkdirSync(path.join(root, 'scan', 'broken'), { recursive: true });
    writeFileSync(path.join(root, 'scan', 'broken', '.git'), 'gitdir: /nonexistent/upkeep/worktree\n');
    const { candidates, errors } = await discoverGitCheckouts(path.join(root, 'scan'));
    expect(candidates.map((c) => c.config.name)).toEqual(['good']);
    expect(errors).toEqual([
      expect.objectContaining({ source: 'git', code: 'COMMAND_FAILED', path: path.join(root, 'scan', 'broken') }),
    ]);
  });

  it('reads user/repo from every GitHub remote form and nothing from other hosts', () => {
    expect(githubRepoOf('https://github.com/OctoPrint/OctoPrint.git')).toEqual({
      user: 'OctoPrint',
      repo: 'OctoPrint',
    });
    expect(githubRepoOf('https://token@github.com/a/b')).toEqual({ user: 'a', repo: 'b' });
    expect(githubRepoOf('ssh://git@github.com/a/b.git')).toEqual({ user: 'a', repo: 'b' });
    expect(githubRepoOf('git@github.com:a/b.c.git')).toEqual({ user: 'a', repo: 'b.c' });
    expect(githubRepoOf('git+https://github.com/upkeep-app/upkeep.git')).toEqual({
      user: 'upkeep-app',
      repo: 'upkeep',
    });
    expect(githubRepoOf('https://gitlab.com/a/b.git')).toBeNull();
    expect(githubRepoOf('https://github.com.evil.example/a/b')).toBeNull();
  });
});
