import { z } from 'zod';
import type { HttpAuth, HttpClient, HttpResponse } from '../../net/http-client';
import { getJsonAs } from '../../net/remote-json';
import { joinUrl, parseLinkHeader, sameOrigin } from './links';

export const GITHUB_ACCEPT = { accept: 'application/vnd.github+json' };
const MAX_PAGES = 50;

export interface GithubRelease {
  id?: number;
  tag_name: string;
  name?: string | null;
  body?: string | null;
  draft?: boolean;
  prerelease?: boolean;
  target_commitish?: string;
  created_at?: string;
  published_at?: string | null;
  html_url?: string;
  tarball_url?: string | null;
  zipball_url?: string | null;
  assets?: {
    name: string;
    size?: number;
    browser_download_url?: string;
    url?: string;
    digest?: string | null;
    state?: string;
  }[];
}

/** A release as read: its tag must be a string (others are skipped); any other field of another type reads as absent. */
const githubReleaseSchema = z.looseObject({
  id: z.number().optional().catch(undefined),
  tag_name: z.string(),
  name: z.string().nullish().catch(null),
  body: z.string().nullish().catch(null),
  draft: z.boolean().optional().catch(undefined),
  prerelease: z.boolean().optional().catch(undefined),
  target_commitish: z.string().optional().catch(undefined),
  created_at: z.string().optional().catch(undefined),
  published_at: z.string().nullish().catch(null),
  html_url: z.string().optional().catch(undefined),
  tarball_url: z.string().nullish().catch(null),
  zipball_url: z.string().nullish().catch(null),
  assets: z
    .array(
      z.looseObject({
        name: z.string(),
        size: z.number().optional().catch(undefined),
        browser_download_url: z.string().optional().catch(undefined),
        url: z.string().optional().catch(undefined),
        digest: z.string().nullish().catch(null),
        state: z.string().optional().catch(undefined),
      }),
    )
    .optional()
    .catch(undefined),
}) satisfies z.ZodType<GithubRelease>;

/**
 * Every release of a repository, all pages (`per_page=100`, following `Link: rel="next"` on the
 * same origin). OctoPrint reads only the first 30; a busy repository's stable release can be
 * further back than that.
 */
export async function fetchAllReleases(
  http: HttpClient,
  apiBase: string,
  user: string,
  repo: string,
  options: { signal?: AbortSignal | undefined; auth?: HttpAuth | undefined } = {},
): Promise<GithubRelease[]> {
  let url: string | undefined = joinUrl(
    apiBase,
    `repos/${encodeURIComponent(user)}/${encodeURIComponent(repo)}/releases?per_page=100`,
  );
  const out: GithubRelease[] = [];
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const { data, response }: { data: unknown[]; response: HttpResponse } = await getJsonAs(
      http,
      url,
      z.array(z.unknown()),
      `a list of releases for ${user}/${repo}`,
      {
        headers: GITHUB_ACCEPT,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.auth ? { auth: options.auth } : {}),
      },
      'Check api_base (GitHub Enterprise uses https://HOST/api/v3).',
    );
    for (const item of data) {
      const release = githubReleaseSchema.safeParse(item);
      if (release.success) out.push(release.data);
    }
    const next: string | undefined = parseLinkHeader(response.headers.link).next;
    url = next && sameOrigin(next, apiBase) ? next : undefined;
  }
  return out;
}
