import { UpkeepError } from '../../../shared/errors';
import type { ReleaseNote } from '../../../shared/types';
import { z } from 'zod';
import type { HttpResponse } from '../net/http-client';
import { getJsonAs } from '../net/remote-json';
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
  assets?: {
    sources?: { format: string; url: string }[];
    links?: { name: string; url: string; direct_asset_url?: string }[];
  };
}

/** A release as read: its tag must be a string (others are skipped); any other field of another type reads as absent. */
const gitlabReleaseSchema = z.looseObject({
  tag_name: z.string(),
  name: z.string().optional().catch(undefined),
  description: z.string().nullish().catch(null),
  released_at: z.string().optional().catch(undefined),
  upcoming_release: z.boolean().optional().catch(undefined),
  commit: z.looseObject({ id: z.string().optional() }).optional().catch(undefined),
  _links: z.looseObject({ self: z.string().optional() }).optional().catch(undefined),
  assets: z
    .looseObject({
      sources: z.array(z.looseObject({ format: z.string(), url: z.string() })).optional(),
      links: z
        .array(z.looseObject({ name: z.string(), url: z.string(), direct_asset_url: z.string().optional() }))
        .optional(),
    })
    .optional()
    .catch(undefined),
}) satisfies z.ZodType<GitlabRelease>;

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
    const all: z.output<typeof gitlabReleaseSchema>[] = [];
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const { data, response }: { data: unknown[]; response: HttpResponse } = await getJsonAs(
        ctx.http,
        url,
        z.array(z.unknown()),
        `a list of releases for ${user}/${repo}`,
        { signal: ctx.signal, ...(auth ? { auth } : {}) },
        'Check api_base (it ends in /api/v4).',
      );
      for (const item of data) {
        const release = gitlabReleaseSchema.safeParse(item);
        if (release.success) all.push(release.data);
      }
      const next: string | undefined = parseLinkHeader(response.headers.link).next;
      const nextPage = response.headers['x-next-page'];
      url =
        next && sameOrigin(next, apiBase)
          ? next
          : nextPage
            ? joinUrl(apiBase, `projects/${project}/releases?per_page=100&page=${encodeURIComponent(nextPage)}`)
            : undefined;
    }
    const admitted = all.filter(
      (r) => !r.upcoming_release && (ctx.channel === 'prerelease' || !isPrereleaseVersion(r.tag_name, scheme)),
    );
    const newest = pickNewest(admitted, (r) => r.tag_name, scheme);
    if (!newest)
      throw new UpkeepError(
        'CHECK_FAILED',
        `${user}/${repo} has no release${all.length ? ` on channel "${ctx.channel}"` : ''} whose tag is a version. Check user/repo and the channel.`,
      );
    const tag = newest.tag_name;
    const tarball = newest.assets?.sources?.find((s) => s.format === 'tar.gz')?.url ?? null;
    const notes: ReleaseNote[] = admitted.map((r) => ({
      version: displayVersion(r.tag_name),
      name: r.name ?? null,
      body: r.description ?? '',
      published_at: r.released_at ?? null,
      url: r._links?.self ?? null,
    }));
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
