import { UpkeepError } from '../../../../shared/errors';
import type { HttpAuth, HttpClient, HttpResponse } from '../../net/http-client';
import { joinUrl, parseLinkHeader, sameOrigin } from './links';
import { isRecord } from '../../../../shared/guards';

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
  assets?: { name: string; size?: number; browser_download_url?: string; url?: string; digest?: string | null; state?: string }[];
}

function isRelease(value: unknown): value is GithubRelease {
  return isRecord(value) && typeof value.tag_name === 'string';
}

/**
 * Every release of a repository, all pages (`per_page=100`, following `Link: rel="next"` on the
 * same origin). OctoPrint reads only the first 30; a busy repository's stable release can be
 * further back than that.
 */
export async function fetchAllReleases(http: HttpClient, apiBase: string, user: string, repo: string, options: { signal?: AbortSignal | undefined; auth?: HttpAuth | undefined } = {}): Promise<GithubRelease[]> {
  let url: string | undefined = joinUrl(apiBase, `repos/${encodeURIComponent(user)}/${encodeURIComponent(repo)}/releases?per_page=100`);
  const out: GithubRelease[] = [];
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const { data, response }: { data: unknown; response: HttpResponse } = await http.getJson<unknown>(url, { headers: GITHUB_ACCEPT, ...(options.signal ? { signal: options.signal } : {}), ...(options.auth ? { auth: options.auth } : {}) });
    if (!Array.isArray(data)) {
      throw new UpkeepError('PARSE_ERROR', `${apiBase} did not answer with a list of releases for ${user}/${repo}. Check api_base (GitHub Enterprise uses https://HOST/api/v3).`);
    }
    for (const item of data) if (isRelease(item)) out.push(item);
    const next: string | undefined = parseLinkHeader(response.headers.link).next;
    url = next && sameOrigin(next, apiBase) ? next : undefined;
  }
  return out;
}
