import semver from 'semver';
import { UpkeepError } from '../../../shared/errors';
import type { Advisory } from '../../../shared/types';
import { z } from 'zod';
import type { HttpClient } from '../net/http-client';
import { parseAs } from '../net/remote-json';

/** An entry of the bulk advisory endpoint's answer (what `npm audit` reads). */
export interface NpmBulkAdvisory {
  id?: number | string;
  url?: string;
  title?: string;
  severity?: string;
  vulnerable_versions?: string;
  cwe?: string[];
}

export type NpmBulkAnswer = Record<string, NpmBulkAdvisory[]>;

/**
 * What an advisory is judged by (its id and vulnerable range) must be what npm sends, or the whole
 * answer is unknown — a range of another type must never read as "not affected". The words shown
 * beside it may be anything: another type reads as absent.
 */
const npmBulkAdvisorySchema = z.looseObject({
  id: z.union([z.number(), z.string()]).optional(),
  vulnerable_versions: z.string().optional(),
  url: z.string().optional().catch(undefined),
  title: z.string().optional().catch(undefined),
  severity: z.string().optional().catch(undefined),
  cwe: z.array(z.string()).optional().catch(undefined),
});
const npmBulkAnswerSchema = z.record(z.string(), z.array(npmBulkAdvisorySchema)) satisfies z.ZodType<NpmBulkAnswer>;

export function npmRegistryRoot(registry: string | undefined): string {
  return (registry ?? 'https://registry.npmjs.org').replace(/\/+$/, '');
}

function inRange(version: string, range: string): boolean {
  try {
    return semver.satisfies(version, range, { includePrerelease: true, loose: true });
  } catch {
    // A range semver cannot read: not counted as affected (the advisory still lists it).
    return false;
  }
}

/** The advisories that affect `installed` and not `target`: the ones the update fixes. */
export function fixedAdvisories(
  advisories: readonly NpmBulkAdvisory[] | undefined,
  installed: string,
  target: string,
): Advisory[] {
  const out: Advisory[] = [];
  for (const a of advisories ?? []) {
    const range = a.vulnerable_versions;
    if (a.id === undefined || !range) continue;
    if (!inRange(installed, range) || inRange(target, range)) continue;
    const ghsa = a.url ? /GHSA(?:-[a-z0-9]{4}){3}/i.exec(a.url)?.[0] : undefined;
    out.push({
      id: ghsa ?? String(a.id),
      source: 'npm',
      aliases: ghsa ? [String(a.id)] : [],
      title: a.title ?? null,
      severity: a.severity ?? null,
      url: a.url ?? null,
      vulnerable_versions: range,
    });
  }
  return out;
}

/** A refused audit request says what to do: the endpoint may simply not exist on a mirror. */
function withAuditHint(error: unknown, root: string): unknown {
  if (!(error instanceof UpkeepError) || typeof error.details?.status !== 'number') return error;
  const status = error.details.status;
  const hint =
    status === 404 || status === 405 || status === 501
      ? `${root} does not offer npm's bulk advisory endpoint (it answered ${status}), so whether an update fixes a vulnerability is unknown. Point \`registry\` at a registry that supports npm audit, or read the package's advisories yourself.`
      : `${error.message} Whether an update fixes a vulnerability stays unknown until the advisories can be read.`;
  return new UpkeepError(error.code, hint, error.details);
}

/**
 * Ask the registry's bulk advisory endpoint (`POST {registry}/-/npm/v1/security/advisories/bulk`,
 * as `npm audit` does) about the given package versions. Packages without advisories are absent.
 */
export async function npmBulkAdvisories(
  http: HttpClient,
  registry: string | undefined,
  versions: Record<string, string[]>,
  signal?: AbortSignal,
): Promise<NpmBulkAnswer> {
  if (Object.keys(versions).length === 0) return {};
  const root = npmRegistryRoot(registry);
  const url = `${root}/-/npm/v1/security/advisories/bulk`;
  let response: Awaited<ReturnType<HttpClient['request']>>;
  try {
    response = await http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(versions),
      conditional: false,
      maxBytes: 32 * 1024 * 1024,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    throw withAuditHint(error, root);
  }
  let data: unknown;
  try {
    data = response.json();
  } catch {
    throw new UpkeepError(
      'PARSE_ERROR',
      `${root} did not answer the npm bulk advisory request with JSON. Check registry (it must support npm audit).`,
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UpkeepError(
      'PARSE_ERROR',
      `${root} answered the npm bulk advisory request with something other than an object of advisories.`,
    );
  }
  const parsed = parseAs(data, npmBulkAnswerSchema);
  if (!parsed.ok) {
    throw new UpkeepError(
      'PARSE_ERROR',
      `${root} answered the npm bulk advisory request with advisories of another shape (${parsed.reason}), so whether an update fixes a vulnerability is unknown.`,
    );
  }
  return parsed.value;
}
