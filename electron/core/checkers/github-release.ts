import { UpkeepError } from '../../../shared/errors';
import type { ReleaseAsset, ReleaseNote, UpdateTarget } from '../../../shared/types';
import { displayVersion } from '../versions/compare';
import { apiBaseOf, requireKey } from './lib/config';
import { fetchAllReleases, type GithubRelease } from './lib/github-api';
import { githubChannelOptions, releaseFilterFor } from './lib/github-channels';
import { pickNewest } from './lib/pick-release';
import type { Checker } from './types';

function assetsOf(release: GithubRelease): ReleaseAsset[] {
  return (release.assets ?? [])
    .filter((a) => a.state === undefined || a.state === 'uploaded')
    .map((a) => {
      const asset: ReleaseAsset = { name: a.name, url: a.browser_download_url ?? a.url ?? '' };
      if (typeof a.size === 'number') asset.size = a.size;
      if (a.digest !== undefined) asset.digest = a.digest;
      return asset;
    });
}

function noteOf(release: GithubRelease): ReleaseNote {
  return { version: displayVersion(release.tag_name), name: release.name ?? null, body: release.body ?? '', published_at: release.published_at ?? null, url: release.html_url ?? null };
}

/** GitHub (and Gitea/Forgejo, GitHub Enterprise via api_base) releases on the chosen channel. */
export const githubReleaseChecker: Checker = {
  type: 'github_release',
  defaultCompare: 'python',
  readsInstalled: false,

  async check(ctx) {
    const user = requireKey(ctx.config, 'user', 'for type github_release (the repository owner)');
    const repo = requireKey(ctx.config, 'repo', 'for type github_release (the repository name)');
    const apiBase = apiBaseOf(ctx.config, ctx.githubApiBase);
    const scheme = ctx.config.release_compare ?? 'python';
    const all = await fetchAllReleases(ctx.http, apiBase, user, repo, ctx.signal);
    const admitted = all.filter(releaseFilterFor(ctx.config, ctx.channel));
    const newest = pickNewest(admitted, (r) => r.tag_name, scheme);
    if (!newest) {
      const why = all.length === 0 ? 'has no releases' : admitted.length === 0 ? `has no release on channel "${ctx.channel}"` : 'has no release whose tag is a version';
      throw new UpkeepError('CHECK_FAILED', `${user}/${repo} ${why}. Check user/repo, the channel, or release_compare.`, { user, repo, channel: ctx.channel });
    }
    const target: UpdateTarget = {
      version: displayVersion(newest.tag_name),
      tag: newest.tag_name,
      published_at: newest.published_at ?? null,
      tarball_url: newest.tarball_url ?? null,
      assets: assetsOf(newest),
    };
    if (newest.target_commitish && /^[0-9a-f]{40}$/i.test(newest.target_commitish)) target.commit = newest.target_commitish;
    return { installed: ctx.installed, latest: newest.tag_name, target, releases: admitted.map(noteOf) };
  },

  async channels(ctx) {
    return githubChannelOptions(ctx.config, ctx.channel);
  },
};
