// bench/check: version checks of 1,000 github_release components against a local GitHub-like
// server that adds 20 ms to every answer. Upkeep (bounded concurrency 8, ETag cache, version cache)
// against a one-at-a-time baseline (sequential, no caches — OctoPrint's way), in the same run:
// cold (empty caches), warm within the TTL (zero requests), and warm after the TTL (all 304s).
// The server runs on a thread of its own (server-thread.ts), so its work is not the client's time.
// Run: npm run bench -- check   (writes bench/results/check.json and bench/results/check.md)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { createCheckService } from '../../electron/core/checkers/service';
import { validateComponentsMapping } from '../../electron/core/config/validate';
import { HttpClient } from '../../electron/core/net/http-client';
import { createServices } from '../../electron/core/services';
import { orderVersions } from '../../electron/core/versions/compare';
import { RemoteGitHub } from './remote-github';

const COMPONENTS = Number(process.env.BENCH_COMPONENTS ?? 1000);
/** The token scenario: this many components checked with a GitHub token (GraphQL batches). */
const TOKEN_COMPONENTS = Number(process.env.BENCH_TOKEN_COMPONENTS ?? 300);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);
/** Releases per repository (BENCH_RELEASES: 100 is the worst shape for a GraphQL batch, a full page of notes each). */
const RELEASES_PER_REPO = Number(process.env.BENCH_RELEASES ?? 3);
const UPKEEP_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Phase {
  wall_ms: number;
  requests: number;
  not_modified: number;
  updates_found: number;
  errors: number;
}

const round = (x: number) => Math.round(x * 10) / 10;

/** The baseline: one component at a time, a plain GET of the releases list, newest version by PEP 440. */
async function baseline(
  apiBase: string,
  repos: string[],
  dispatcher: Agent,
): Promise<{ latest: string[]; requests: number }> {
  const latest: string[] = [];
  let requests = 0;
  for (const repo of repos) {
    requests++;
    const res = await request(`${apiBase}/repos/bench/${repo}/releases`, {
      headers: { 'user-agent': 'baseline', accept: 'application/vnd.github+json' },
      dispatcher,
    });
    const releases = (await res.body.json()) as { tag_name: string; draft: boolean; prerelease: boolean }[];
    let best: string | undefined;
    for (const r of releases)
      if (!r.draft && !r.prerelease && (best === undefined || (orderVersions(r.tag_name, best) ?? 0) > 0))
        best = r.tag_name;
    latest.push(best ?? '');
  }
  return { latest, requests };
}

async function main(): Promise<void> {
  const repos = Array.from({ length: COMPONENTS }, (_, i) => `app-${String(i).padStart(4, '0')}`);
  const gh = await RemoteGitHub.start({ latencyMs: LATENCY_MS, repos, releasesPerRepo: RELEASES_PER_REPO });
  const measure = async (
    label: string,
    fn: () => Promise<{ update_available: boolean; error: unknown }[]>,
  ): Promise<Phase> => {
    const before = (await gh.stats()).statuses.length;
    const t0 = performance.now();
    const results = await fn();
    const wall = performance.now() - t0;
    const requests = (await gh.stats()).statuses.slice(before);
    const phase: Phase = {
      wall_ms: round(wall),
      requests: requests.length,
      not_modified: requests.filter((status) => status === 304).length,
      updates_found: results.filter((r) => r.update_available).length,
      errors: results.filter((r) => r.error).length,
    };
    process.stdout.write(
      `${label.padEnd(34)} ${String(phase.wall_ms).padStart(9)} ms  ${phase.requests} requests (${phase.not_modified} × 304), ${phase.errors} errors\n`,
    );
    return phase;
  };

  /** One Upkeep round in a fresh home: cold, warm within the TTL, warm after the TTL. */
  const upkeepRound = async (round: number): Promise<{ cold: Phase; warm: Phase; revalidate: Phase }> => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'upkeep-bench-check-'));
    const services = createServices({ home, host: 'cli' });
    const mapping: Record<string, unknown> = {};
    for (const repo of repos)
      mapping[repo] = { type: 'github_release', user: 'bench', repo, api_base: gh.apiBase, current: '1.0.0' };
    services.components.add(validateComponentsMapping(mapping, 'bench'), { replace: true });
    const checks = createCheckService(services);
    // Cold: empty HTTP and version caches.
    const cold = await measure(`upkeep cold #${round}`, () => checks.check());
    // Warm within the TTL: the version cache answers; no request at all.
    const warm = await measure(`upkeep warm (within TTL) #${round}`, () => checks.check());
    // Warm after the TTL: every component asks again, with If-None-Match → 304.
    services.settings.set({ cache_ttl_hours: 0 });
    const revalidate = await measure(`upkeep warm (after TTL) #${round}`, () => checks.check());
    await checks.close();
    rmSync(home, { recursive: true, force: true });
    return { cold, warm, revalidate };
  };

  const rounds = [];
  for (let i = 1; i <= UPKEEP_ROUNDS; i++) rounds.push(await upkeepRound(i));
  const median = (phases: Phase[]): Phase =>
    [...phases].sort((a, b) => a.wall_ms - b.wall_ms)[Math.floor(phases.length / 2)] as Phase;
  const upkeepCold = median(rounds.map((r) => r.cold));
  const upkeepWarm = median(rounds.map((r) => r.warm));
  const upkeepRevalidate = median(rounds.map((r) => r.revalidate));

  /**
   * With a token: the first TOKEN_COMPONENTS repositories, cold, checked through GraphQL (Upkeep),
   * over REST with the same token (the GraphQL endpoint answering 404, as a server without one would),
   * and one at a time (below). GitHub's GraphQL requests are counted at the fake.
   */
  const tokenRound = async (label: string, graphql: boolean): Promise<Phase & { graphql_requests: number }> => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'upkeep-bench-check-token-'));
    const services = createServices({ home, host: 'cli' });
    services.settings.set({ github_api_base: gh.apiBase });
    const mapping: Record<string, unknown> = {};
    for (const repo of repos.slice(0, TOKEN_COMPONENTS))
      mapping[repo] = { type: 'github_release', user: 'bench', repo, current: '1.0.0' };
    services.components.add(validateComponentsMapping(mapping, 'bench'), { replace: true });
    const http = new HttpClient({
      cacheDir: path.join(services.layout.cache, 'http'),
      github: { apiBase: () => services.settings.get().github_api_base, token: () => 'ghp_benchToken' },
    });
    const checks = createCheckService(services, { http });
    if (!graphql) await gh.withoutGraphqlOnce();
    const callsBefore = (await gh.stats()).graphql;
    const phase = await measure(label, () => checks.check());
    await checks.close();
    rmSync(home, { recursive: true, force: true });
    return { ...phase, graphql_requests: (await gh.stats()).graphql - callsBefore };
  };
  const tokenGraphql = [];
  for (let i = 1; i <= UPKEEP_ROUNDS; i++) tokenGraphql.push(await tokenRound(`upkeep token, GraphQL #${i}`, true));
  const tokenRest = await tokenRound('upkeep token, REST only', false);
  const tokenMedian = [...tokenGraphql].sort((a, b) => a.wall_ms - b.wall_ms)[
    Math.floor(tokenGraphql.length / 2)
  ] as Phase & { graphql_requests: number };

  // Baseline in the same run and against the same server.
  const dispatcher = new Agent({ connections: 1 });
  const baseToken = await measure(`baseline one-at-a-time (${TOKEN_COMPONENTS})`, async () => {
    const { latest } = await baseline(gh.apiBase, repos.slice(0, TOKEN_COMPONENTS), dispatcher);
    return latest.map((v) => ({ update_available: v !== 'v1.0.0', error: v ? null : 'none' }));
  });
  const baseCold = await measure('baseline one-at-a-time', async () => {
    const { latest } = await baseline(gh.apiBase, repos, dispatcher);
    return latest.map((v) => ({ update_available: v !== 'v1.0.0', error: v ? null : 'none' }));
  });
  // The baseline has no caches: "warm" costs what cold does; measured again rather than assumed.
  const baseWarm = await measure('baseline again (no cache)', async () => {
    const { latest } = await baseline(gh.apiBase, repos, dispatcher);
    return latest.map((v) => ({ update_available: v !== 'v1.0.0', error: v ? null : 'none' }));
  });
  await dispatcher.close();
  await gh.close();

  const ratio = (a: number, b: number) => round(a / Math.max(b, 0.1));
  const result = {
    benchmark: 'check',
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: os.cpus().length,
    /** The machine's 1/5/15-minute load when the run ended: other work on it slows both sides. */
    load_average: os.loadavg().map((x) => round(x)),
    components: COMPONENTS,
    latency_ms: LATENCY_MS,
    upkeep: {
      cold: upkeepCold,
      warm_within_ttl: upkeepWarm,
      warm_after_ttl: upkeepRevalidate,
      concurrency: 8,
      rounds: UPKEEP_ROUNDS,
      all_rounds: rounds,
    },
    baseline: { cold: baseCold, warm: baseWarm, token_components: baseToken },
    token: {
      components: TOKEN_COMPONENTS,
      graphql: tokenMedian,
      graphql_rounds: tokenGraphql,
      rest_only: tokenRest,
      ratio_to_one_at_a_time: Math.round((tokenMedian.wall_ms / Math.max(baseToken.wall_ms, 0.1)) * 1000) / 1000,
    },
    speedup: {
      cold: ratio(baseCold.wall_ms, upkeepCold.wall_ms),
      warm_within_ttl: ratio(baseWarm.wall_ms, upkeepWarm.wall_ms),
      warm_after_ttl: ratio(baseWarm.wall_ms, upkeepRevalidate.wall_ms),
    },
  };
  const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
  const markdown = [
    `Version checks of ${COMPONENTS.toLocaleString('en-US')} github_release components against a local GitHub-like server adding ${LATENCY_MS} ms per answer (${result.platform}, Node ${process.version}, \`npm run bench -- check\`):`,
    '',
    '| Scenario | Upkeep | Requests (304s) | One-at-a-time baseline | Requests | Speed-up |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| Cold (empty caches) | ${fmt(upkeepCold.wall_ms)} | ${upkeepCold.requests} (${upkeepCold.not_modified}) | ${fmt(baseCold.wall_ms)} | ${baseCold.requests} | ${result.speedup.cold}× |`,
    `| Warm, within TTL | ${fmt(upkeepWarm.wall_ms)} | ${upkeepWarm.requests} (${upkeepWarm.not_modified}) | ${fmt(baseWarm.wall_ms)} | ${baseWarm.requests} | ${result.speedup.warm_within_ttl}× |`,
    `| Warm, after TTL | ${fmt(upkeepRevalidate.wall_ms)} | ${upkeepRevalidate.requests} (${upkeepRevalidate.not_modified}) | ${fmt(baseWarm.wall_ms)} | ${baseWarm.requests} | ${result.speedup.warm_after_ttl}× |`,
    '',
    `Upkeep: median of ${UPKEEP_ROUNDS} rounds, each in a fresh data directory; baseline: one round each. Upkeep runs at most 8 requests at once, keeps an ETag cache (304s do not count against GitHub's rate limit) and a version cache (TTL \`cache_ttl_hours\`); the baseline asks one component at a time without caches.`,
    '',
    `With a GitHub token, ${TOKEN_COMPONENTS} components, cold (each request validated and executed against GitHub's real GraphQL schema by the local server):`,
    '',
    '| Scenario | Wall | Requests | of which GraphQL | / one at a time |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| Upkeep, GraphQL batches (median of ${UPKEEP_ROUNDS}) | ${fmt(tokenMedian.wall_ms)} | ${tokenMedian.requests} | ${tokenMedian.graphql_requests} | ${result.token.ratio_to_one_at_a_time}× |`,
    `| Upkeep, REST only (no GraphQL endpoint) | ${fmt(tokenRest.wall_ms)} | ${tokenRest.requests} | ${tokenRest.graphql_requests} | ${Math.round((tokenRest.wall_ms / Math.max(baseToken.wall_ms, 0.1)) * 1000) / 1000}× |`,
    `| One at a time (REST, sequential) | ${fmt(baseToken.wall_ms)} | ${baseToken.requests} | 0 | 1× |`,
    '',
  ].join('\n');
  const outDir = path.join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'check.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'check.md'), markdown);
  process.stdout.write(`\n${markdown}\nwrote bench/results/check.json and bench/results/check.md\n`);
  if (rounds.some((r) => r.cold.errors || r.revalidate.errors || r.warm.requests !== 0)) process.exitCode = 1;
  if (tokenGraphql.some((r) => r.errors) || tokenRest.errors) process.exitCode = 1;
}

await main();
