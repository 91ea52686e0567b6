import { UpkeepError } from '../../../shared/errors';
import type { ReleaseAsset, ReleaseNote, UpdateTarget } from '../../../shared/types';
import { displayVersion } from '../versions/compare';
import { apiBaseOf, tokenEnvAuth } from './lib/config';
import { fetchAllReleases, type GithubRelease } from './lib/github-api';
import type { PrefetchedReleases } from './lib/github-graphql';
import { releaseFilterFor } from './lib/github-channels';
import { pickNewest } from './lib/pick-release';
import { defineChecker, type CheckContext } from './types';

/** The release's assets; undefined when the answer did not list them (a batch lists the latest release's only). */
function assetsOf(release: GithubRelease): ReleaseAsset[] | undefined {
  if (release.assets === undefined) return undefined;
  return release.assets
    .filter((a) => a.state === undefined || a.state === 'uploaded')
    .map((a) => {
      const asset: ReleaseAsset = { name: a.name, url: a.browser_download_url ?? a.url ?? '' };
      if (a.browser_download_url && a.url) asset.api_url = a.url;
      if (typeof a.size === 'number') asset.size = a.size;
      if (a.digest !== undefined) asset.digest = a.digest;
      return asset;
    });
}

function noteOf(release: GithubRelease): ReleaseNote {
  return {
    version: displayVersion(release.tag_name),
    name: release.name ?? null,
    body: release.body ?? '',
    published_at: release.published_at ?? null,
    url: release.html_url ?? null,
  };
}

/**
 * The releases read by the batch before this check, when they are every release of the repository
 * (REST reads every page; so must this). Otherwise undefined, and the check reads them over REST.
 * A batch error is this check's.
 */
function batchReleases(
  ctx: CheckContext<'github_release'>,
  apiBase: string,
  user: string,
  repo: string,
): PrefetchedReleases | undefined {
  const answer = ctx.prefetched?.(apiBase, { owner: user, name: repo, want: { kind: 'releases' } });
  if (!answer) return undefined;
  if ('error' in answer) throw new UpkeepError(answer.error.code, answer.error.message, answer.error.details);
  return answer.ok.kind === 'releases' && answer.ok.complete ? answer.ok : undefined;
}

/** GitHub (and Gitea/Forgejo, GitHub Enterprise via api_base) releases on the chosen channel. */
export const githubReleaseChecker = defineChecker<'github_release'>({
  type: 'github_release',
  defaultCompare: 'python',
  readsInstalled: false,

  async check(ctx) {
    const user = ctx.config.user;
    const repo = ctx.config.repo;
    const apiBase = apiBaseOf(ctx.config, ctx.githubApiBase);
    const scheme = ctx.config.release_compare ?? 'python';
    const batch = batchReleases(ctx, apiBase, user, repo);
    const all =
      batch?.releases ??
      (await fetchAllReleases(ctx.http, apiBase, user, repo, { signal: ctx.signal, auth: tokenEnvAuth(ctx) }));
    const admitted = all.filter(releaseFilterFor(ctx.config, ctx.channel));
    const newest = pickNewest(admitted, (r) => r.tag_name, scheme);
    if (!newest) {
      const why =
        all.length === 0
          ? 'has no releases'
          : admitted.length === 0
            ? `has no release on channel "${ctx.channel}"`
            : 'has no release whose tag is a version';
      throw new UpkeepError(
        'CHECK_FAILED',
        `${user}/${repo} ${why}. Check user/repo, the channel, or release_compare.`,
        { user, repo, channel: ctx.channel },
      );
    }
    const target: UpdateTarget = {
      version: displayVersion(newest.tag_name),
      tag: newest.tag_name,
      published_at: newest.published_at ?? null,
      tarball_url: newest.tarball_url ?? null,
    };
    const assets = assetsOf(newest);
    if (assets) target.assets = assets;
    if (newest.target_commitish && /^[0-9a-f]{40}$/i.test(newest.target_commitish))
      target.commit = newest.target_commitish;
    return { installed: ctx.installed, latest: newest.tag_name, target, releases: admitted.map(noteOf) };
  },
});
