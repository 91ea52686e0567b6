import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import { defineUpdater, type OwnContext } from './types';

function folderOf(ctx: OwnContext<'git'>): string {
  return ctx.config.folder;
}

function remoteOf(ctx: OwnContext<'git'>): string {
  const remote = ctx.config.remote;
  return typeof remote === 'string' && remote ? remote : 'origin';
}

async function git(ctx: OwnContext<'git'>, args: string[], options: { quiet?: boolean; allowFailure?: boolean } = {}) {
  return ctx.exec(['git', '-C', folderOf(ctx), ...args], {
    // The stash of local changes is a commit: it needs an identity even where none is configured.
    env: {
      GIT_TERMINAL_PROMPT: '0',
      LC_ALL: 'C',
      GIT_AUTHOR_NAME: process.env.GIT_AUTHOR_NAME ?? 'Upkeep',
      GIT_AUTHOR_EMAIL: process.env.GIT_AUTHOR_EMAIL ?? 'upkeep@localhost',
      GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? 'Upkeep',
      GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? 'upkeep@localhost',
    },
    ...options,
  });
}

/**
 * A git checkout: fetch, then check out the target tag or fast-forward the branch. Local changes
 * are saved as a patch (and kept in the stash), never thrown away.
 */
export const gitUpdater = defineUpdater<'git'>({
  method: 'git',

  folder(ctx) {
    return folderOf(ctx);
  },

  async preflight(ctx) {
    const inside = await git(ctx, ['rev-parse', '--is-inside-work-tree'], { quiet: true, allowFailure: true });
    if (inside.code !== 0 || inside.stdout.trim() !== 'true') {
      throw new UpkeepError(
        'INVALID_CONFIG',
        `${folderOf(ctx)} is not a git checkout. Point \`folder\` at the checkout, or use another update method.`,
      );
    }
  },

  async download(ctx) {
    ctx.log(`fetching from ${remoteOf(ctx)}`);
    await git(ctx, ['fetch', '--tags', '--prune', '--force', remoteOf(ctx)]);
  },

  async apply(ctx) {
    const status = await git(ctx, ['status', '--porcelain', '--untracked-files=all'], { quiet: true });
    if (status.stdout.trim()) {
      const patchDir = path.join(ctx.home.home, 'patches', ctx.component.id);
      await fs.mkdir(patchDir, { recursive: true });
      const patchFile = path.join(patchDir, `${ctx.runId}.patch`);
      const message = `upkeep: local changes before update ${ctx.runId}`;
      await git(ctx, ['stash', 'push', '--include-untracked', '-m', message]);
      const patch = await git(ctx, ['stash', 'show', '-p', '--binary', '--include-untracked', 'stash@{0}'], {
        quiet: true,
        allowFailure: true,
      });
      const fallback =
        patch.code === 0 ? patch : await git(ctx, ['stash', 'show', '-p', '--binary', 'stash@{0}'], { quiet: true });
      await fs.writeFile(patchFile, fallback.stdout, { mode: 0o600 });
      ctx.state.patch = patchFile;
      await ctx.saveState();
      ctx.log(
        `local changes saved to ${patchFile} and kept in the stash ("${message}"); reapply them with \`git stash pop\` if you still need them`,
      );
    }
    const before = (await git(ctx, ['rev-parse', 'HEAD'], { quiet: true })).stdout.trim();
    const tag = ctx.target.tag;
    const hasTag = tag
      ? (
          await git(ctx, ['rev-parse', '--verify', '--quiet', `refs/tags/${tag}^{commit}`], {
            quiet: true,
            allowFailure: true,
          })
        ).code === 0
      : false;
    if (tag && hasTag) {
      await git(ctx, ['checkout', '--quiet', '--detach', `refs/tags/${tag}`]);
    } else {
      const head = await git(ctx, ['symbolic-ref', '--quiet', '--short', 'HEAD'], { quiet: true, allowFailure: true });
      const branch = head.code === 0 ? head.stdout.trim() : ctx.config.branch;
      if (!branch) {
        throw new UpkeepError(
          'INVALID_CONFIG',
          `${folderOf(ctx)} is not on a branch and the release has no tag to check out. Check out the branch to follow, or set \`branch\`.`,
        );
      }
      if (head.code !== 0) await git(ctx, ['checkout', '--quiet', branch]);
      const upstream =
        ctx.target.commit && /^[0-9a-f]{7,64}$/i.test(ctx.target.commit)
          ? ctx.target.commit
          : `${remoteOf(ctx)}/${branch}`;
      const merged = await git(ctx, ['merge', '--ff-only', upstream], { allowFailure: true });
      if (merged.code !== 0) {
        throw new UpkeepError(
          'COMMAND_FAILED',
          `Branch ${branch} in ${folderOf(ctx)} cannot be fast-forwarded to ${upstream}: it has local commits. Rebase or reset it by hand, then update again.`,
        );
      }
    }
    const after = (await git(ctx, ['rev-parse', 'HEAD'], { quiet: true })).stdout.trim();
    ctx.log(
      before === after
        ? `already at ${after.slice(0, 12)}`
        : `moved from ${before.slice(0, 12)} to ${after.slice(0, 12)}`,
    );
  },
});
