import { UpkeepError } from '../../../shared/errors';
import type { Advisory } from '../../../shared/types';
import { z } from 'zod';
import type { HttpClient } from '../net/http-client';
import { parseAs } from '../net/remote-json';
import { orderVersions } from '../versions/compare';
import { isRecord } from '../../../shared/guards';

/** A PyPI JSON API `vulnerabilities` entry (OSV). */
export interface PypiVulnerability {
  id?: string;
  aliases?: string[] | null;
  summary?: string | null;
  details?: string | null;
  fixed_in?: string[] | null;
  link?: string | null;
  source?: string | null;
  withdrawn?: string | null;
}

/**
 * What a vulnerability is judged by (its id, fixing versions, withdrawal) must be what PyPI sends,
 * or the whole list is unknown — a `fixed_in` of another type must never read as "fixes nothing".
 * The words shown beside it may be anything: another type reads as absent.
 */
const pypiVulnerabilitySchema = z.looseObject({
  id: z.string().optional(),
  fixed_in: z.array(z.string()).nullish(),
  withdrawn: z.string().nullish(),
  aliases: z.array(z.string()).nullish().catch(null),
  summary: z.string().nullish().catch(null),
  details: z.string().nullish().catch(null),
  link: z.string().nullish().catch(null),
  source: z.string().nullish().catch(null),
}) satisfies z.ZodType<PypiVulnerability>;

/** The index root for the JSON API (`https://pypi.org`, never `/simple`). */
export function pypiJsonRoot(indexUrl: string | undefined): string {
  return (indexUrl ?? 'https://pypi.org').replace(/\/+$/, '').replace(/\/simple$/, '');
}

/**
 * The vulnerabilities of the installed version that `target` fixes: PyPI lists a release's known
 * vulnerabilities at `/pypi/{pkg}/{version}/json` (the project document covers only info.version),
 * each with `fixed_in`. One counts when it is not withdrawn and a fixing version is above the
 * installed one and not above the target.
 */
export function fixedByTarget(vulns: readonly PypiVulnerability[], installed: string, target: string): Advisory[] {
  const out: Advisory[] = [];
  for (const v of vulns) {
    if (!v.id || v.withdrawn) continue;
    const fixes = (v.fixed_in ?? []).filter((f) => {
      const aboveInstalled = orderVersions(f, installed, 'python');
      const upToTarget = orderVersions(f, target, 'python');
      return aboveInstalled !== null && aboveInstalled > 0 && upToTarget !== null && upToTarget <= 0;
    });
    if (fixes.length === 0) continue;
    out.push({
      id: v.id,
      source: 'pypi',
      aliases: v.aliases ?? [],
      title: v.summary ?? (v.details ? (v.details.split('\n')[0]?.slice(0, 200) ?? null) : null),
      url: v.link ?? null,
      fixed_in: v.fixed_in ?? [],
    });
  }
  return out;
}

/** Fetch the installed release's vulnerabilities and keep those `target` fixes. */
export async function pypiAdvisories(
  http: HttpClient,
  indexUrl: string | undefined,
  pkg: string,
  installed: string,
  target: string,
  signal?: AbortSignal,
): Promise<Advisory[]> {
  const root = pypiJsonRoot(indexUrl);
  const url = `${root}/pypi/${encodeURIComponent(pkg)}/${encodeURIComponent(installed)}/json`;
  const response = await http.request(url, {
    headers: { accept: 'application/json' },
    acceptStatus: [404],
    ...(signal ? { signal } : {}),
  });
  // A release the index does not know (a local build): nothing is known about it — not "no advisories".
  if (response.status === 404) {
    throw new UpkeepError(
      'NOT_FOUND',
      `${root} has no release ${installed} of ${pkg}, so its known vulnerabilities cannot be read.`,
      { package: pkg, version: installed },
    );
  }
  let doc: unknown;
  try {
    doc = response.json();
  } catch {
    throw new UpkeepError(
      'PARSE_ERROR',
      `${root} did not answer like PyPI's JSON API for ${pkg} ${installed}. Check index_url.`,
    );
  }
  // An index that does not publish vulnerabilities (no such field) says nothing about them.
  const vulns = isRecord(doc) ? doc.vulnerabilities : undefined;
  if (!Array.isArray(vulns)) {
    throw new UpkeepError(
      'PARSE_ERROR',
      `${root} does not list vulnerabilities for ${pkg} ${installed} (no "vulnerabilities" in its JSON API answer), so they are unknown.`,
    );
  }
  const parsed = parseAs(vulns, z.array(pypiVulnerabilitySchema));
  if (!parsed.ok) {
    throw new UpkeepError(
      'PARSE_ERROR',
      `${root} lists vulnerabilities for ${pkg} ${installed} in another shape (${parsed.reason}), so they are unknown.`,
    );
  }
  return fixedByTarget(parsed.value, installed, target);
}
