import { z } from 'zod';
import { UpkeepError, toErrorShape, type ErrorShape } from '../../../../shared/errors';
import type { HttpClient } from '../../net/http-client';
import type { GithubRelease } from './github-api';
import { joinUrl } from './links';

/**
 * GitHub's GraphQL API reads the releases (or a branch head) of about a hundred repositories in one
 * request, aliasing one `repository(owner:, name:)` field per repository. The check service asks
 * here first for the github_release and github_commit components it is about to check with a
 * token; what cannot be read this way falls back to REST per component (ARCHITECTURE.md §3).
 */

/** Releases read per repository, newest first (REST's page size); past these the check reads REST's pages. */
export const RELEASES_PER_REPO = 100;
/**
 * Assets are read for the repository's latest release only: asking them of every release would
 * cost GitHub a connection per release (a point per hundred), fifty times this query's price. The
 * other releases' assets stay unknown in the check; the update re-reads its release over REST.
 */
export const ASSETS_OF_LATEST = 50;
/** GitHub refuses a query that could return more than 500,000 nodes. */
const NODE_LIMIT = 500_000;
/** Aliased repositories per request ("about a hundred", as Renovate batches). */
const MAX_REPOS_PER_QUERY = 100;
/** Answers hold release notes: up to 100 repositories × 100 releases of them. */
const MAX_ANSWER_BYTES = 128 * 1024 * 1024;

export type RepoWant = { kind: 'releases' } | { kind: 'head'; branch: string | null };

export interface RepoQuery {
  owner: string;
  name: string;
  want: RepoWant;
}

export interface PrefetchedReleases {
  kind: 'releases';
  /**
   * In REST's shape, newest first. Only the latest release carries `assets` (without `digest`:
   * GraphQL has none); on the others `assets` is absent — unknown, not empty.
   */
  releases: GithubRelease[];
  /** False when the repository has more releases than were read. */
  complete: boolean;
}

export interface PrefetchedHead {
  kind: 'head';
  branch: string;
  /** Null when the branch does not exist. */
  sha: string | null;
}

export type Prefetched = { ok: PrefetchedReleases | PrefetchedHead } | { error: ErrorShape };

export interface PrefetchReport {
  answers: Map<string, Prefetched>;
  /** GraphQL requests sent. */
  requests: number;
  /** The last `rateLimit` GitHub reported. */
  rateLimit: { cost: number; remaining: number; resetAt: string } | null;
}

export function repoKey(q: RepoQuery): string {
  const want = q.want.kind === 'releases' ? 'releases' : `head:${q.want.branch ?? ''}`;
  return `${q.owner.toLowerCase()}/${q.name.toLowerCase()}#${want}`;
}

/** `<api>/graphql` for api.github.com; GitHub Enterprise serves REST at /api/v3 and GraphQL at /api/graphql. */
export function graphqlEndpoint(apiBase: string): string {
  const base = apiBase.replace(/\/+$/, '');
  return /\/api\/v3$/.test(base) ? `${base.slice(0, -'/v3'.length)}/graphql` : joinUrl(base, 'graphql');
}

/** The nodes a repository's part of the query may return, as GitHub counts them. */
export function nodesPerRepo(want: RepoWant): number {
  return want.kind === 'releases' ? RELEASES_PER_REPO + 1 + ASSETS_OF_LATEST : 1;
}

/** Split queries into batches that stay under GraphQL's node limit and the alias count. */
export function planBatches(queries: readonly RepoQuery[]): RepoQuery[][] {
  const batches: RepoQuery[][] = [];
  let current: RepoQuery[] = [];
  let nodes = 0;
  for (const q of queries) {
    const n = nodesPerRepo(q.want);
    if (current.length > 0 && (current.length >= MAX_REPOS_PER_QUERY || nodes + n > NODE_LIMIT)) {
      batches.push(current);
      current = [];
      nodes = 0;
    }
    current.push(q);
    nodes += n;
  }
  if (current.length) batches.push(current);
  return batches;
}

const RELEASE_FIELDS = `releases(first: ${RELEASES_PER_REPO}, orderBy: {field: CREATED_AT, direction: DESC}) {
      pageInfo { hasNextPage }
      nodes { tagName name description isDraft isPrerelease createdAt publishedAt url }
    }
    latestRelease { tagName releaseAssets(first: ${ASSETS_OF_LATEST}) { pageInfo { hasNextPage } nodes { name size downloadUrl } } }`;

/** The query text for one batch; owners, names and branches travel as variables, never in the text. */
export function buildQuery(batch: readonly RepoQuery[]): { query: string; variables: Record<string, string> } {
  const params: string[] = [];
  const fields: string[] = [];
  const variables: Record<string, string> = {};
  batch.forEach((q, i) => {
    params.push(`$o${i}: String!`, `$n${i}: String!`);
    variables[`o${i}`] = q.owner;
    variables[`n${i}`] = q.name;
    let body: string;
    if (q.want.kind === 'releases') body = RELEASE_FIELDS;
    else if (q.want.branch === null) body = 'defaultBranchRef { name target { oid } }';
    else {
      params.push(`$b${i}: String!`);
      variables[`b${i}`] = `refs/heads/${q.want.branch}`;
      body = `ref(qualifiedName: $b${i}) { name target { oid } }`;
    }
    fields.push(`  r${i}: repository(owner: $o${i}, name: $n${i}) {\n    ${body}\n  }`);
  });
  const query = `query UpkeepChecks(${params.join(', ')}) {\n  rateLimit { cost remaining resetAt }\n${fields.join('\n')}\n}`;
  return { query, variables };
}

const assetSchema = z.object({ name: z.string(), size: z.number().int().nonnegative(), downloadUrl: z.string() });
const releaseSchema = z.object({
  tagName: z.string(),
  name: z.string().nullable(),
  description: z.string().nullable(),
  isDraft: z.boolean(),
  isPrerelease: z.boolean(),
  createdAt: z.string(),
  publishedAt: z.string().nullable(),
  url: z.string(),
});
const latestSchema = z.object({
  tagName: z.string(),
  releaseAssets: z.object({ pageInfo: z.object({ hasNextPage: z.boolean() }), nodes: z.array(assetSchema.nullable()) }),
});
const releasesRepoSchema = z.object({
  releases: z.object({ pageInfo: z.object({ hasNextPage: z.boolean() }), nodes: z.array(releaseSchema.nullable()) }),
  latestRelease: latestSchema.nullable(),
});
const refSchema = z
  .object({ name: z.string(), target: z.object({ oid: z.string().regex(/^[0-9a-f]{40,64}$/i) }).nullable() })
  .nullable();
const headRepoSchema = z.object({ defaultBranchRef: refSchema.optional(), ref: refSchema.optional() });
const rateLimitSchema = z.object({ cost: z.number(), remaining: z.number(), resetAt: z.string() });
const graphqlErrorSchema = z.object({
  type: z.string().optional(),
  message: z.string(),
  path: z.array(z.union([z.string(), z.number()])).optional(),
});
const responseSchema = z.object({
  data: z.record(z.string(), z.unknown()).nullable().optional(),
  errors: z.array(graphqlErrorSchema).optional(),
});

function toRelease(
  apiBase: string,
  q: RepoQuery,
  node: z.infer<typeof releaseSchema>,
  latest: z.infer<typeof latestSchema> | null,
): GithubRelease {
  const repoPath = `repos/${encodeURIComponent(q.owner)}/${encodeURIComponent(q.name)}`;
  const release: GithubRelease = {
    tag_name: node.tagName,
    name: node.name,
    body: node.description,
    draft: node.isDraft,
    prerelease: node.isPrerelease,
    created_at: node.createdAt,
    published_at: node.publishedAt,
    html_url: node.url,
    // The URL REST names tarball_url: the API's tarball endpoint for the tag.
    tarball_url: joinUrl(apiBase, `${repoPath}/tarball/${encodeURIComponent(node.tagName)}`),
  };
  if (latest && latest.tagName === node.tagName && !latest.releaseAssets.pageInfo.hasNextPage) {
    release.assets = latest.releaseAssets.nodes.flatMap((a) =>
      a ? [{ name: a.name, size: a.size, browser_download_url: a.downloadUrl }] : [],
    );
  }
  return release;
}

function readRepo(apiBase: string, q: RepoQuery, value: unknown): Prefetched {
  if (q.want.kind === 'releases') {
    const parsed = releasesRepoSchema.safeParse(value);
    if (!parsed.success)
      return {
        error: {
          code: 'PARSE_ERROR',
          message: `GitHub's GraphQL answer for ${q.owner}/${q.name} was not the releases asked for.`,
        },
      };
    const nodes = parsed.data.releases.nodes.filter((n): n is z.infer<typeof releaseSchema> => n !== null);
    const releases = nodes.map((n) => toRelease(apiBase, q, n, parsed.data.latestRelease));
    return { ok: { kind: 'releases', releases, complete: !parsed.data.releases.pageInfo.hasNextPage } };
  }
  const parsed = headRepoSchema.safeParse(value);
  if (!parsed.success)
    return {
      error: {
        code: 'PARSE_ERROR',
        message: `GitHub's GraphQL answer for ${q.owner}/${q.name} was not the branch asked for.`,
      },
    };
  const ref = q.want.branch === null ? parsed.data.defaultBranchRef : parsed.data.ref;
  const branch = q.want.branch ?? ref?.name ?? 'master';
  return { ok: { kind: 'head', branch, sha: ref?.target?.oid ?? null } };
}

/** An error GitHub reported for one alias: NOT_FOUND fails that component alone; others fall back to REST. */
function aliasError(q: RepoQuery, error: z.infer<typeof graphqlErrorSchema>): Prefetched | undefined {
  if (error.type === 'NOT_FOUND') {
    return {
      error: {
        code: 'NOT_FOUND',
        message: `GitHub: ${error.message} Check user and repo.`,
        details: { user: q.owner, repo: q.name },
      },
    };
  }
  return undefined;
}

/** Errors for the whole batch that REST would meet just the same: answer them once, do not retry per component. */
function isFinal(error: ErrorShape): boolean {
  return (
    error.code === 'UNAUTHORIZED' || error.code === 'NETWORK' || error.code === 'TIMEOUT' || error.code === 'CANCELLED'
  );
}

type BatchOutcome = { rateLimit: PrefetchReport['rateLimit'] } | { stop: true; final?: ErrorShape };

async function runBatch(
  http: HttpClient,
  endpoint: string,
  apiBase: string,
  batch: readonly RepoQuery[],
  answers: Map<string, Prefetched>,
  signal?: AbortSignal,
): Promise<BatchOutcome> {
  const { query, variables } = buildQuery(batch);
  let body: z.infer<typeof responseSchema>;
  try {
    const response = await http.request(endpoint, {
      method: 'POST',
      body: JSON.stringify({ query, variables }),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      conditional: false,
      maxBytes: MAX_ANSWER_BYTES,
      ...(signal ? { signal } : {}),
    });
    const parsed = responseSchema.safeParse(response.json<unknown>());
    if (!parsed.success)
      throw new UpkeepError('PARSE_ERROR', `${endpoint} did not answer as GitHub's GraphQL API does.`);
    body = parsed.data;
  } catch (error) {
    const shape = toErrorShape(error);
    // Final errors are every component's answer; anything else (rate limited, refused, a proxy
    // without GraphQL) leaves the components to REST, which has its own budget.
    return isFinal(shape) ? { stop: true, final: shape } : { stop: true };
  }
  const data = body.data ?? null;
  const errors = body.errors ?? [];
  if (data === null || errors.some((e) => e.type === 'RATE_LIMITED' || e.type === 'MAX_NODE_LIMIT_EXCEEDED'))
    return { stop: true };
  batch.forEach((q, i) => {
    const alias = `r${i}`;
    const value = data[alias];
    if (value !== null && value !== undefined) {
      answers.set(repoKey(q), readRepo(apiBase, q, value));
      return;
    }
    const error = errors.find((e) => e.path?.[0] === alias);
    const answer = error ? aliasError(q, error) : undefined;
    if (answer) answers.set(repoKey(q), answer);
  });
  const rate = rateLimitSchema.safeParse(data.rateLimit);
  return { rateLimit: rate.success ? rate.data : null };
}

/**
 * Read what the queries ask for, a batch at a time (one after another, as GitHub asks of GraphQL
 * clients). A query with no answer in the map is left to REST: a batch refused as a whole, an
 * alias error other than NOT_FOUND, or every batch after GitHub reports too little budget left.
 */
export async function prefetchGithub(
  http: HttpClient,
  apiBase: string,
  queries: readonly RepoQuery[],
  signal?: AbortSignal,
): Promise<PrefetchReport> {
  const endpoint = graphqlEndpoint(apiBase);
  const answers = new Map<string, Prefetched>();
  let rateLimit: PrefetchReport['rateLimit'] = null;
  let requests = 0;
  const batches = planBatches(queries);
  for (const [index, batch] of batches.entries()) {
    if (rateLimit && rateLimit.remaining < Math.max(1, rateLimit.cost)) break;
    requests++;
    const outcome = await runBatch(http, endpoint, apiBase, batch, answers, signal);
    if ('rateLimit' in outcome) {
      rateLimit = outcome.rateLimit ?? rateLimit;
      continue;
    }
    // One cause, one answer: a bad token or a network down is every remaining component's error.
    if (outcome.final) for (const q of batches.slice(index).flat()) answers.set(repoKey(q), { error: outcome.final });
    break;
  }
  return { answers, requests, rateLimit };
}
