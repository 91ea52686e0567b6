import { UpkeepError } from '../../../shared/errors';
import { expandHome } from '../versions/installed';
import { runArgv } from '../versions/run-argv';
import { shortSha } from './lib/config';
import { defineChecker, type CheckContext } from './types';

function git(ctx: CheckContext<'git_commit'>, folder: string, args: string[]) {
  // Never prompt for credentials: a check runs unattended.
  const env = {
    ...ctx.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'echo',
    GIT_SSH_COMMAND: ctx.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
    LC_ALL: 'C',
  };
  return runArgv(['git', ...args], { cwd: folder, env, timeoutMs: 120_000, signal: ctx.signal });
}

async function gitOut(ctx: CheckContext<'git_commit'>, folder: string, args: string[], what: string): Promise<string> {
  const r = await git(ctx, folder, args);
  if (r.exitCode !== 0) {
    const said = r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${r.exitCode}`;
    throw new UpkeepError('CHECK_FAILED', `git ${args[0]} failed in ${folder} while ${what}: ${said}.`, { folder });
  }
  return r.stdout.trim();
}

/**
 * A local git checkout against its remote, with the git CLI (argv, no shell): fetch, then count
 * the commits the remote branch has that HEAD lacks. `branch` picks `origin/<branch>`; otherwise the
 * checkout's upstream (`@{upstream}`).
 */
export const gitCommitChecker = defineChecker<'git_commit'>({
  type: 'git_commit',
  defaultCompare: 'unequal',
  readsInstalled: true,
  opaqueVersions: true,

  async check(ctx) {
    const folder = expandHome(ctx.config.folder);
    const head = await gitOut(ctx, folder, ['rev-parse', 'HEAD'], 'reading HEAD (is the folder a git checkout?)');
    let upstream: string;
    if (ctx.config.branch) {
      upstream = `origin/${ctx.config.branch}`;
      await gitOut(
        ctx,
        folder,
        ['fetch', '--quiet', '--no-tags', 'origin', ctx.config.branch],
        `fetching ${ctx.config.branch} from origin`,
      );
    } else {
      const u = await git(ctx, folder, ['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}']);
      if (u.exitCode !== 0 || !u.stdout.trim()) {
        throw new UpkeepError(
          'CHECK_FAILED',
          `The checkout in ${folder} has no upstream branch. Set branch in the config, or run git branch --set-upstream-to there.`,
          { folder },
        );
      }
      upstream = u.stdout.trim();
      const remote = upstream.split('/')[0] ?? 'origin';
      await gitOut(ctx, folder, ['fetch', '--quiet', '--no-tags', remote], `fetching from ${remote}`);
    }
    const remoteHead = await gitOut(ctx, folder, ['rev-parse', `${upstream}^{commit}`], `reading ${upstream}`);
    const counts = await gitOut(
      ctx,
      folder,
      ['rev-list', '--left-right', '--count', `HEAD...${upstream}`],
      'comparing with the remote',
    );
    const [ahead = 0, behind = 0] = counts.split(/\s+/).map(Number);
    let explanation: string;
    if (behind > 0)
      explanation = `${behind} new commit${behind === 1 ? '' : 's'} on ${upstream} (${shortSha(head)} → ${shortSha(remoteHead)})`;
    else if (ahead > 0)
      explanation = `${shortSha(head)} is ${ahead} commit${ahead === 1 ? '' : 's'} ahead of ${upstream}; nothing to pull`;
    else explanation = `${shortSha(head)} = ${upstream}`;
    return {
      installed: head,
      latest: remoteHead,
      decision: { update: behind > 0, explanation },
      target: { version: remoteHead, commit: remoteHead },
    };
  },
});
