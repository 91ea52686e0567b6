import { UpkeepError } from '../../../shared/errors';
import { z } from 'zod';
import type { HttpAuth } from '../net/http-client';
import { getJsonAs } from '../net/remote-json';
import { apiBaseOf, commitDecision, extraString } from './lib/config';
import { joinUrl } from './lib/links';
import { defineChecker } from './types';

// A commit without a usable hash is CHECK_FAILED below (the message names user, repo and branch).
const commitSchema = z.looseObject({ hash: z.string().optional().catch(undefined) });

/**
 * The head commit of a Bitbucket Cloud branch (`/2.0/repositories/{user}/{repo}/commit/{branch}`,
 * top-level `hash`). `api_user` + `api_password` (an app password) give HTTP Basic for private
 * repositories; `api_password_env` reads the password from the environment instead.
 */
export const bitbucketCommitChecker = defineChecker<'bitbucket_commit'>({
  type: 'bitbucket_commit',
  defaultCompare: 'unequal',
  readsInstalled: false,
  opaqueVersions: true,

  decide(installed, latest, config) {
    return commitDecision(installed, latest, `${config.user}/${config.repo}@${config.branch ?? 'master'}`);
  },

  async check(ctx) {
    const user = ctx.config.user;
    const repo = ctx.config.repo;
    const branch = ctx.config.branch ?? 'master';
    const apiBase = apiBaseOf(ctx.config, 'https://api.bitbucket.org/2.0');
    const apiUser = extraString(ctx.config, 'api_user');
    const passwordEnv = extraString(ctx.config, 'api_password_env');
    const password = passwordEnv ? ctx.env[passwordEnv] : extraString(ctx.config, 'api_password');
    const auth: HttpAuth | undefined = apiUser && password ? { basic: { user: apiUser, password } } : undefined;
    const url = joinUrl(
      apiBase,
      `repositories/${encodeURIComponent(user)}/${encodeURIComponent(repo)}/commit/${encodeURIComponent(branch)}`,
    );
    const { data } = await getJsonAs(ctx.http, url, commitSchema, 'a commit', {
      signal: ctx.signal,
      ...(auth ? { auth } : {}),
    });
    if (data.hash === undefined || !/^[0-9a-f]{7,64}$/i.test(data.hash)) {
      throw new UpkeepError(
        'CHECK_FAILED',
        `Bitbucket did not return a commit for ${user}/${repo}@${branch}. Check user, repo and branch.`,
        { user, repo, branch },
      );
    }
    return {
      installed: ctx.installed,
      latest: data.hash,
      decision: commitDecision(ctx.installed, data.hash, `${user}/${repo}@${branch}`),
      target: { version: data.hash, commit: data.hash },
    };
  },
});
