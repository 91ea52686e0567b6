import { UpkeepError } from '../../../shared/errors';
import { z } from 'zod';
import type { HttpAuth } from '../net/http-client';
import { getJsonAs } from '../net/remote-json';
import { apiBaseOf, commitDecision, tokenEnvAuth } from './lib/config';
import { GITHUB_ACCEPT } from './lib/github-api';
import { joinUrl } from './lib/links';
import { defineChecker, type CheckContext } from './types';

const refObjectSchema = z.looseObject({
  ref: z.string().optional().catch(undefined),
  object: z
    .looseObject({ sha: z.string().optional().catch(undefined) })
    .optional()
    .catch(undefined),
});
const refAnswerSchema = z.union([refObjectSchema, z.array(refObjectSchema)]);
const repositorySchema = z.looseObject({ default_branch: z.string().optional().catch(undefined) });

async function defaultBranch(
  ctx: CheckContext<'github_commit'>,
  apiBase: string,
  user: string,
  repo: string,
  auth: HttpAuth | undefined,
): Promise<string> {
  const { data } = await getJsonAs(
    ctx.http,
    joinUrl(apiBase, `repos/${encodeURIComponent(user)}/${encodeURIComponent(repo)}`),
    repositorySchema,
    'a repository',
    { headers: GITHUB_ACCEPT, signal: ctx.signal, ...(auth ? { auth } : {}) },
  );
  return data.default_branch || 'master';
}

/** The branch and its head as read by the batch before this check, if it was; a batch error is this check's. */
function batchHead(
  ctx: CheckContext<'github_commit'>,
  apiBase: string,
  user: string,
  repo: string,
): { branch: string; sha: string | null } | undefined {
  const answer = ctx.prefetched?.(apiBase, {
    owner: user,
    name: repo,
    want: { kind: 'head', branch: ctx.config.branch ?? null },
  });
  if (!answer) return undefined;
  if ('error' in answer) throw new UpkeepError(answer.error.code, answer.error.message, answer.error.details);
  return answer.ok.kind === 'head' ? answer.ok : undefined;
}

async function restHead(
  ctx: CheckContext<'github_commit'>,
  apiBase: string,
  user: string,
  repo: string,
): Promise<{ branch: string; sha: string | null }> {
  // The component's own credential (token_env), for its api_base only; CREDENTIAL_MISSING when unset.
  const auth = tokenEnvAuth(ctx);
  // OctoPrint assumes master; asking the repository for its default branch also fits repos on main.
  const branch = ctx.config.branch ?? (await defaultBranch(ctx, apiBase, user, repo, auth));
  const url = joinUrl(
    apiBase,
    `repos/${encodeURIComponent(user)}/${encodeURIComponent(repo)}/git/refs/heads/${branch.split('/').map(encodeURIComponent).join('/')}`,
  );
  const { data } = await getJsonAs(ctx.http, url, refAnswerSchema, 'a git ref', {
    headers: GITHUB_ACCEPT,
    signal: ctx.signal,
    ...(auth ? { auth } : {}),
  });
  // Older servers (and Gitea) answer a list of prefix matches: take the exact ref.
  const ref = Array.isArray(data) ? data.find((r) => r.ref === `refs/heads/${branch}`) : data;
  const sha = ref?.object?.sha;
  return { branch, sha: typeof sha === 'string' && /^[0-9a-f]{7,64}$/i.test(sha) ? sha : null };
}

/** The head commit of a GitHub branch (`git/refs/heads/{branch}`, as OctoPrint) against `current`. */
export const githubCommitChecker = defineChecker<'github_commit'>({
  type: 'github_commit',
  defaultCompare: 'unequal',
  readsInstalled: false,
  opaqueVersions: true,

  decide(installed, latest, config) {
    return commitDecision(
      installed,
      latest,
      `${config.user}/${config.repo}${config.branch ? `@${config.branch}` : ''}`,
    );
  },

  async check(ctx) {
    const user = ctx.config.user;
    const repo = ctx.config.repo;
    const apiBase = apiBaseOf(ctx.config, ctx.githubApiBase);
    const { branch, sha } = batchHead(ctx, apiBase, user, repo) ?? (await restHead(ctx, apiBase, user, repo));
    if (sha === null) {
      throw new UpkeepError(
        'CHECK_FAILED',
        `${user}/${repo} has no branch "${branch}" (no commit in the answer). Check branch.`,
        { user, repo, branch },
      );
    }
    const installed = ctx.installed;
    return {
      installed,
      latest: sha,
      decision: commitDecision(installed, sha, `${user}/${repo}@${branch}`),
      target: { version: sha, commit: sha, tarball_url: joinUrl(apiBase, `repos/${user}/${repo}/tarball/${sha}`) },
    };
  },
});
