import { parse } from 'graphql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildQuery,
  graphqlEndpoint,
  planBatches,
  type RepoQuery,
} from '../../../electron/core/checkers/lib/github-graphql';
import { FakeGitHub } from '../../fixtures/servers/github';
import { githubSchema, measureQuery } from '../../fixtures/servers/github-graphql';
import { createHarness, type CheckHarness } from './harness';

/**
 * Checks of many GitHub repositories through GraphQL, against a local endpoint that validates and
 * executes every query with GitHub's real public schema (@octokit/graphql-schema + graphql-js).
 */
const TOKEN = 'ghp_graphqlTestToken000000000000000000';

function addRepos(gh: FakeGitHub, count: number, prefix = 'app'): string[] {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const repo = `${prefix}-${String(i).padStart(3, '0')}`;
    names.push(repo);
    gh.addRelease('acme', repo, { tag_name: 'v1.0.0', assets: [{ name: `${repo}.tar.gz`, content: `${repo} one` }] });
    gh.addRelease('acme', repo, { tag_name: 'v1.1.0-rc.1', prerelease: true, target_commitish: 'devel' });
    gh.addRelease('acme', repo, {
      tag_name: `v1.${1 + (i % 3)}.0`,
      body: `notes of ${repo}`,
      assets: [{ name: `${repo}.tar.gz`, content: `${repo} new` }],
    });
  }
  return names;
}

function components(repos: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const repo of repos) out[repo] = { type: 'github_release', user: 'acme', repo, current: '1.0.0', ...extra };
  return out;
}

/** What a check says, without the fields that name how it was read. */
function verdicts(
  results: {
    id: string;
    installed: string | null;
    latest: string | null;
    update_available: boolean;
    explanation: string | null;
    error: unknown;
  }[],
) {
  return results.map((r) => ({
    id: r.id,
    installed: r.installed,
    latest: r.latest,
    update: r.update_available,
    explanation: r.explanation,
    error: r.error,
  }));
}

describe('GitHub checks through GraphQL', () => {
  let gh: FakeGitHub;
  let h: CheckHarness;
  beforeEach(async () => {
    gh = await FakeGitHub.start();
  });
  afterEach(async () => {
    await h?.close();
    await gh.close();
  });

  const harness = (token: string | undefined) => {
    h = createHarness(token ? { githubToken: token } : {});
    h.services.settings.set({ github_api_base: gh.apiBase });
    return h;
  };

  it("checks 250 repositories in 3 requests, every query valid against GitHub's schema, with the verdicts REST gives", async () => {
    const repos = addRepos(gh, 250);
    harness(TOKEN).add(components(repos));
    const viaGraphql = await h.check();
    expect(gh.graphql.calls).toHaveLength(3);
    expect(gh.graphql.calls.map((c) => c.repositories)).toEqual([100, 100, 50]);
    for (const call of gh.graphql.calls) {
      expect(call.errors).toEqual([]);
      expect(call.nodes).toBeLessThanOrEqual(500_000);
    }
    expect(gh.requestsTo('/repos/')).toHaveLength(0);
    expect(h.checks.lastBatchRequests).toBe(3);
    expect(viaGraphql.every((r) => r.error === null)).toBe(true);
    expect(viaGraphql.filter((r) => r.update_available)).toHaveLength(250);

    // The same components over REST (no token): the same verdicts, one request each.
    const rest = createHarness({});
    rest.services.settings.set({ github_api_base: gh.apiBase });
    rest.add(components(repos));
    const viaRest = await rest.check();
    await rest.close();
    expect(gh.graphql.calls).toHaveLength(3);
    expect(gh.requestsTo('/repos/')).toHaveLength(250);
    expect(verdicts(viaGraphql)).toEqual(verdicts(viaRest));
    // The notes between installed and latest come through as well.
    expect(viaGraphql[1]?.target?.notes?.map((n) => n.version)).toEqual(
      viaRest[1]?.target?.notes?.map((n) => n.version),
    );
    expect(viaGraphql[1]?.target?.notes?.[0]?.body).toBe('notes of app-001');
    // The latest release's assets are read; GraphQL has no digest, so none is claimed.
    expect(viaGraphql[0]?.target?.assets?.map((a) => a.name)).toEqual(['app-000.tar.gz']);
    expect(viaGraphql[0]?.target?.assets?.[0]?.digest).toBeUndefined();
  });

  it("fails only the component whose repository does not resolve, with GitHub's message", async () => {
    const repos = addRepos(gh, 5);
    harness(TOKEN).add({
      ...components(repos),
      gone: { type: 'github_release', user: 'acme', repo: 'no-such-repo', current: '1.0.0' },
    });
    const results = await h.check();
    expect(gh.graphql.calls).toHaveLength(1);
    expect(gh.graphql.calls[0]?.errors).toEqual([expect.objectContaining({ type: 'NOT_FOUND', path: ['r5'] })]);
    const gone = results.find((r) => r.id === 'gone');
    expect(gone?.error?.code).toBe('NOT_FOUND');
    expect(gone?.error?.message).toContain("Could not resolve to a Repository with the name 'acme/no-such-repo'");
    expect(results.filter((r) => r.id !== 'gone').every((r) => r.error === null && r.update_available)).toBe(true);
    expect(gh.requestsTo('/repos/')).toHaveLength(0);
  });

  it('falls back to REST for what GraphQL cannot express: commitish channels and repositories past 100 releases', async () => {
    const repos = addRepos(gh, 4);
    for (let i = 0; i < 105; i++) gh.addRelease('acme', 'busy', { tag_name: `v0.${i}.0` });
    harness(TOKEN).add({
      ...components(repos.slice(0, 2)),
      ...components(repos.slice(2), {
        prerelease_branches: [{ branch: 'devel', name: 'Devel', commitish: ['devel'] }],
        channel: 'devel',
      }),
      busy: { type: 'github_release', user: 'acme', repo: 'busy', current: '0.1.0' },
    });
    const results = await h.check();
    expect(gh.graphql.calls).toHaveLength(1);
    expect(gh.graphql.calls[0]?.repositories).toBe(3);
    // The devel channel needs target_commitish (not on GraphQL's Release): REST, and it sees the rc.
    expect(gh.requestsTo('/repos/acme/app-002/releases')).toHaveLength(1);
    expect(results.find((r) => r.id === 'app-002')?.latest).toBe('1.3.0');
    // 105 releases: GraphQL read 100, so the check read REST's pages and found the newest of all.
    expect(gh.requestsTo('/repos/acme/busy/releases').length).toBeGreaterThanOrEqual(2);
    expect(results.find((r) => r.id === 'busy')?.latest).toBe('0.104.0');
    expect(gh.requestsTo('/repos/acme/app-000')).toHaveLength(0);
  });

  it('stops asking GraphQL when its budget is spent and checks the rest over REST', async () => {
    await gh.close();
    // Each batch of 100 costs 2 points (100 releases connections + 100 latest-release asset lists).
    gh = await FakeGitHub.start({ graphqlRateLimit: { limit: 5000, remaining: 3 } });
    const repos = addRepos(gh, 150);
    harness(TOKEN).add(components(repos));
    const results = await h.check();
    expect(gh.graphql.calls).toHaveLength(1);
    expect(gh.graphql.calls[0]?.cost).toBe(2);
    expect(gh.requestsTo('/repos/')).toHaveLength(50);
    expect(results.every((r) => r.error === null && r.update_available)).toBe(true);
  });

  it('checks everything over REST when GraphQL answers RATE_LIMITED at once', async () => {
    await gh.close();
    gh = await FakeGitHub.start({ graphqlRateLimit: { limit: 5000, remaining: 0 } });
    const repos = addRepos(gh, 12);
    harness(TOKEN).add(components(repos));
    const results = await h.check();
    expect(gh.graphql.calls).toHaveLength(1);
    expect(gh.graphql.calls[0]?.errors[0]?.type).toBe('RATE_LIMITED');
    expect(gh.requestsTo('/repos/')).toHaveLength(12);
    expect(results.every((r) => r.error === null)).toBe(true);
  });

  it('sends nothing to GraphQL without a token, and answers a refused token once for all', async () => {
    const repos = addRepos(gh, 6);
    harness(undefined).add(components(repos));
    await h.check();
    expect(gh.graphql.calls).toHaveLength(0);
    expect(gh.requestsTo(gh.graphqlPath)).toHaveLength(0);
    expect(gh.requestsTo('/repos/')).toHaveLength(6);
    await h.close();

    // A wrong token: one refusal, and every component says so — no request per component.
    gh.acceptedToken = TOKEN;
    harness('ghp_wrong').add(components(repos));
    const before = gh.requests.length;
    const results = await h.check(undefined, { force: true });
    expect(gh.requests.length - before).toBe(1);
    expect(results.every((r) => r.error?.code === 'UNAUTHORIZED')).toBe(true);
  });

  it('reads branch heads of github_commit components in the same batch', async () => {
    const main = gh.setBranch('acme', 'bot', 'main');
    gh.setBranch('acme', 'bot', 'next');
    const next = gh.setBranch('acme', 'tool', 'next');
    gh.setBranch('acme', 'tool', 'main');
    harness(TOKEN).add({
      bot: { type: 'github_commit', user: 'acme', repo: 'bot', current: main },
      tool: { type: 'github_commit', user: 'acme', repo: 'tool', branch: 'next', current: '0000000' },
      lost: { type: 'github_commit', user: 'acme', repo: 'tool', branch: 'gone' },
    });
    const results = await h.check();
    expect(gh.graphql.calls).toHaveLength(1);
    expect(gh.graphql.calls[0]?.errors).toEqual([]);
    expect(gh.requestsTo('/repos/')).toHaveLength(0);
    expect(results.find((r) => r.id === 'bot')).toMatchObject({ latest: main, update_available: false, error: null });
    expect(results.find((r) => r.id === 'tool')).toMatchObject({ latest: next, update_available: true, error: null });
    expect(results.find((r) => r.id === 'lost')?.error?.code).toBe('CHECK_FAILED');
  });

  it('keeps the version cache: a second check within the TTL sends nothing', async () => {
    const repos = addRepos(gh, 20);
    harness(TOKEN).add(components(repos));
    await h.check();
    const before = gh.requests.length;
    const again = await h.check();
    expect(gh.requests.length).toBe(before);
    expect(again.every((r) => r.from_cache)).toBe(true);
  });
});

describe('GraphQL batches', () => {
  const q = (i: number, kind: 'releases' | 'head' = 'releases'): RepoQuery => ({
    owner: 'o',
    name: `r${i}`,
    want: kind === 'releases' ? { kind } : { kind, branch: i % 2 ? 'dev' : null },
  });

  it('stay under 100 repositories and 500,000 nodes as GitHub counts them', () => {
    const queries = Array.from({ length: 345 }, (_, i) => q(i, i % 5 === 0 ? 'head' : 'releases'));
    const batches = planBatches(queries);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 100, 45]);
    for (const batch of batches) {
      const { query, variables } = buildQuery(batch);
      const doc = parse(query);
      const measured = measureQuery(githubSchema(), doc, variables);
      expect(measured.repositories).toBe(batch.length);
      expect(measured.nodes).toBeLessThanOrEqual(500_000);
    }
  });

  it('carry owners, names and branches as variables, never in the query text', () => {
    const { query, variables } = buildQuery([
      { owner: 'o") { id } x: viewer { login', name: 'n', want: { kind: 'head', branch: '"; drop' } },
    ]);
    expect(query).not.toContain('viewer');
    expect(query).not.toContain('drop');
    expect(variables).toEqual({ o0: 'o") { id } x: viewer { login', n0: 'n', b0: 'refs/heads/"; drop' });
  });

  it('go to /graphql beside api.github.com and /api/graphql beside GitHub Enterprise', () => {
    expect(graphqlEndpoint('https://api.github.com')).toBe('https://api.github.com/graphql');
    expect(graphqlEndpoint('https://ghe.example.com/api/v3/')).toBe('https://ghe.example.com/api/graphql');
  });
});
