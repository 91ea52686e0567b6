import type { Component } from '../../../../shared/types';
import type { HttpClient } from '../../net/http-client';
import { apiBaseOf } from './config';
import { filtersByCommitish } from './github-channels';
import { graphqlEndpoint, prefetchGithub, repoKey, type Prefetched, type RepoQuery } from './github-graphql';

/** What a checker asks of a batch read before it: the answer for its repository, if one was read. */
export type PrefetchLookup = (apiBase: string, query: RepoQuery) => Prefetched | undefined;

export interface BatchPlanOptions {
  http: HttpClient;
  /** The GitHub API root from settings (the token's origin). */
  githubApiBase: string;
  /** Whether a component's check will go to the network (its cached answer is stale or forced). */
  needsNetwork: (component: Component) => boolean;
  signal?: AbortSignal;
}

/** Fewer than this many components to read from one API: REST asks as few times, and reads asset digests. */
const MIN_BATCH = 2;

/**
 * The GraphQL query a component's check can be answered from, or null when only REST has what it
 * needs: a commitish prerelease channel needs each release's `target_commitish`, which GraphQL's
 * Release does not carry; a component that names its own credential (`token_env`) is read with it.
 */
export function batchQueryFor(component: Component): RepoQuery | null {
  const { user, repo } = component.config;
  if (typeof user !== 'string' || !user || typeof repo !== 'string' || !repo) return null;
  // A component with its own credential (token_env) is read with it, over REST: never with the GitHub token.
  if (component.config.token_env) return null;
  if (component.type === 'github_release') {
    if (filtersByCommitish(component.config, component.channel)) return null;
    return { owner: user, name: repo, want: { kind: 'releases' } };
  }
  if (component.type === 'github_commit')
    return { owner: user, name: repo, want: { kind: 'head', branch: component.config.branch ?? null } };
  return null;
}

const lookupKey = (apiBase: string, query: RepoQuery) => `${apiBase}|${repoKey(query)}`;

/**
 * Read, in as few GraphQL requests as GitHub allows, what the github_release and github_commit
 * checks about to run will need — only with a token, and only from APIs the token belongs to.
 * Returns the lookup the checkers consult and how many requests it took.
 */
export async function prefetchForChecks(
  components: readonly Component[],
  options: BatchPlanOptions,
): Promise<{ lookup: PrefetchLookup; requests: number }> {
  const groups = new Map<string, RepoQuery[]>();
  for (const component of components) {
    const query = batchQueryFor(component);
    if (!query) continue;
    // Cheapest first: without a token for this API nothing is batched, and the cache is not asked.
    const apiBase = apiBaseOf(component.config, options.githubApiBase);
    if (!options.http.sendsGithubToken(graphqlEndpoint(apiBase)) || !options.needsNetwork(component)) continue;
    const group = groups.get(apiBase) ?? [];
    group.push(query);
    groups.set(apiBase, group);
  }
  const answers = new Map<string, Prefetched>();
  let requests = 0;
  for (const [apiBase, queries] of groups) {
    if (queries.length < MIN_BATCH) continue;
    const report = await prefetchGithub(options.http, apiBase, queries, options.signal);
    requests += report.requests;
    for (const query of queries) {
      const answer = report.answers.get(repoKey(query));
      if (answer) answers.set(lookupKey(apiBase, query), answer);
    }
  }
  return { lookup: (apiBase, query) => answers.get(lookupKey(apiBase, query)), requests };
}
