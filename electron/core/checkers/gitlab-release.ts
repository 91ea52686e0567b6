import { UpkeepError } from '../../../shared/errors';
import { isRecord } from '../../../shared/guards';
import type { ReleaseNote } from '../../../shared/types';
import type { HttpResponse } from '../net/http-client';
import { displayVersion, isPrereleaseVersion } from '../versions/compare';
import { apiBaseOf, tokenEnvAuth } from './lib/config';
import { joinUrl, parseLinkHeader, sameOrigin } from './lib/links';
import { pickNewest } from './lib/pick-release';
import { defineChecker } from './types';

interface GitlabRelease {
  tag_name?: string;
  name?: string;
  description?: string | null;
  released_at?: string;
  upcoming_release?: boolean;
  commit?: { id?: string };
  _links?: { self?: string };
  assets?: { sources?: { format: string; url: string }[]; links?: { name: string; url: string; direct_asset_url?: string }[] };
}

type TaggedRelease = GitlabRelease & { tag_name: string };

/** A release with a tag (GitLab lists only those, but the answer is read as it comes). */
function isTaggedRelease(value: unknown): value is TaggedRelease {
  return isRecord(value) && typeof value.tag_name === 'string';
}

const MAX_PAGES = 50;

/**
 * GitLab releases (`/projects/{user%2Frepo}/releases`, all pages). GitLab has no prerelease flag:
 * channel `stable` skips tags that are pre-release versions, `prerelease` admits them. Upcoming
 * releases (released_at in the future) are skipped. `token_env` names a PRIVATE-TOKEN variable, sent to the
 * api_base origin only (and to release downloads there).
 */
export const gitlabReleaseChecker = defineChecker<'gitlab_release'>({
  type: 'gitlab_release',
  defaultCompare: 'python',
  readsInstalled: false,

  async check(ctx) {
    const user = ctx.config.user;
    const repo = ctx.config.repo;
    const apiBase = apiBaseOf(ctx.config, 'https://gitlab.com/api/v4');
    const scheme = ctx.config.release_compare ?? 'python';
    // PRIVATE-TOKEN from token_env, for the api_base origin only (CREDENTIAL_MISSING when unset).
    const auth = tokenEnvAuth(ctx);
    const project = encodeURIComponent(`${user}/${repo}`);
    let url: string | undefined = joinUrl(apiBase, `projects/${project}/releases?per_page=100`);
    const all: TaggedRelease[] = [];
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const { data, response }: { data: unknown; response: HttpResponse } = await ctx.http.getJson<unknown>(url, { signal: ctx.signal, ...(auth ? { auth } : {}) });
      if (!Array.isArray(data)) throw new UpkeepError('PARSE_ERROR', `${apiBase} did not answer with a list of releases for ${user}/${repo}. Check api_base (it ends in /api/v4).`);
      all.push(...data.filter(isTaggedRelease));
      const next: string | undefined = parseLinkHeader(response.headers.link).next;
      const nextPage = response.headers['x-next-page'];
      url = next && sameOrigin(next, apiBase) ? next : nextPage ? joinUrl(apiBase, `projects/${project}/releases?per_page=100&page=${encodeURIComponent(nextPage)}`) : undefined;
    }
    const admitted = all.filter((r) => !r.upcoming_release && (ctx.channel === 'prerelease' || !isPrereleaseVersion(r.tag_name, scheme)));
    const newest = pickNewest(admitted, (r) => r.tag_name, scheme);
    if (!newest) throw new UpkeepError('CHECK_FAILED', `${user}/${repo} has no release${all.length ? ` on channel "${ctx.channel}"` : ''} whose tag is a version. Check user/repo and the channel.`);
    const tag = newest.tag_name;
    const tarball = newest.assets?.sources?.find((s) => s.format === 'tar.gz')?.url ?? null;
    const notes: ReleaseNote[] = admitted.map((r) => ({ version: displayVersion(r.tag_name), name: r.name ?? null, body: r.description ?? '', published_at: r.released_at ?? null, url: r._links?.self ?? null }));
    return {
      installed: ctx.installed,
      latest: tag,
      target: {
        version: displayVersion(tag),
        tag,
        ...(newest.commit?.id ? { commit: newest.commit.id } : {}),
        published_at: newest.released_at ?? null,
        tarball_url: tarball,
        assets: (newest.assets?.links ?? []).map((l) => ({ name: l.name, url: l.direct_asset_url ?? l.url })),
      },
      releases: notes,
    };
  },
});
