import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitUpdater } from '../../../electron/core/updaters/git';
import { createGitRemote, git, type GitRemoteFixture } from '../../fixtures/git/git-remote';
import { tempDir } from '../../helpers/temp';
import { updaterContext } from './harness';

let fixture: GitRemoteFixture | undefined;
afterEach(() => fixture?.cleanup());

async function update(home: string, checkout: string, target: { version: string; tag?: string; commit?: string }) {
  const run = updaterContext(home, 'bot', { type: 'git_commit', folder: checkout, method: 'git' }, target);
  await gitUpdater.preflight?.(run.ctx);
  await gitUpdater.download?.(run.ctx);
  await gitUpdater.apply(run.ctx);
  return run;
}

describe('git updater (real repositories, local bare remote)', () => {
  it('fast-forwards the branch to the target commit', async () => {
    fixture = createGitRemote();
    const sha = fixture.pushCommit('app.txt', 'version 2\n');
    await update(tempDir(), fixture.checkout, { version: sha.slice(0, 7), commit: sha });
    expect(git(fixture.checkout, 'rev-parse', 'HEAD')).toBe(sha);
    expect(git(fixture.checkout, 'symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(readFileSync(path.join(fixture.checkout, 'app.txt'), 'utf8')).toBe('version 2\n');
  });

  it('checks out the release tag', async () => {
    fixture = createGitRemote();
    const tagged = fixture.pushCommit('app.txt', 'release 2.0\n');
    fixture.pushTag('v2.0.0');
    fixture.pushCommit('app.txt', 'unreleased work\n');
    await update(tempDir(), fixture.checkout, { version: '2.0.0', tag: 'v2.0.0' });
    expect(git(fixture.checkout, 'rev-parse', 'HEAD')).toBe(tagged);
    expect(readFileSync(path.join(fixture.checkout, 'app.txt'), 'utf8')).toBe('release 2.0\n');
  });

  it('saves a dirty tree as a patch (and in the stash) instead of throwing it away', async () => {
    fixture = createGitRemote();
    const sha = fixture.pushCommit('other.txt', 'upstream change\n');
    writeFileSync(path.join(fixture.checkout, 'app.txt'), 'my local edit\n');
    writeFileSync(path.join(fixture.checkout, 'scratch.txt'), 'untracked notes\n');
    const home = tempDir();
    const run = await update(home, fixture.checkout, { version: sha.slice(0, 7), commit: sha });
    expect(git(fixture.checkout, 'rev-parse', 'HEAD')).toBe(sha);
    const patch = run.ctx.state.patch as string;
    expect(patch.startsWith(path.join(home, 'patches', 'bot'))).toBe(true);
    const text = readFileSync(patch, 'utf8');
    expect(text).toContain('+my local edit');
    expect(text).toContain('+untracked notes');
    expect(git(fixture.checkout, 'stash', 'list')).toContain('upkeep: local changes before update');
    git(fixture.checkout, 'stash', 'pop');
    expect(readFileSync(path.join(fixture.checkout, 'app.txt'), 'utf8')).toBe('my local edit\n');
    expect(existsSync(path.join(fixture.checkout, 'scratch.txt'))).toBe(true);
  });

  it('refuses to move a branch that has diverged', async () => {
    fixture = createGitRemote();
    const sha = fixture.pushCommit('app.txt', 'upstream 2\n');
    writeFileSync(path.join(fixture.checkout, 'local.txt'), 'local commit\n');
    git(fixture.checkout, 'add', 'local.txt');
    git(fixture.checkout, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'local');
    const before = git(fixture.checkout, 'rev-parse', 'HEAD');
    await expect(update(tempDir(), fixture.checkout, { version: sha.slice(0, 7), commit: sha })).rejects.toMatchObject({
      code: 'COMMAND_FAILED',
      message: expect.stringContaining('cannot be fast-forwarded'),
    });
    expect(git(fixture.checkout, 'rev-parse', 'HEAD')).toBe(before);
  });
});
