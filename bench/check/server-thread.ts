// The bench's GitHub-like server, on a thread of its own: what it spends answering (GraphQL
// validation and execution above all) is not counted in the time of the client it answers.
import { parentPort, workerData } from 'node:worker_threads';
import { FakeGitHub } from '../../test/fixtures/servers/github';
import { githubSchema } from '../../test/fixtures/servers/github-graphql';

const { latencyMs, repos, releasesPerRepo } = workerData as {
  latencyMs: number;
  repos: string[];
  releasesPerRepo: number;
};
const gh = await FakeGitHub.start({
  latencyMs,
  rateLimit: { limit: 1_000_000 },
  graphqlRateLimit: { limit: 1_000_000 },
});
for (const repo of repos) {
  // Many releases (the worst shape for a batch) carry notes of a realistic length, about 1 KB each.
  const body = (r: number) =>
    releasesPerRepo >= 50 ? `## ${repo} 1.${r}.0\n\n${'- a change worth a line in the notes\n'.repeat(28)}` : undefined;
  for (let r = 0; r < releasesPerRepo; r++)
    gh.addRelease('bench', repo, {
      tag_name: `v1.${r}.0`,
      ...(body(r) ? { body: body(r) } : {}),
      assets: [{ name: `${repo}.tar.gz`, content: `${repo}-${r}` }],
    });
}
githubSchema();
const port = parentPort;
if (!port) throw new Error('server-thread runs as a worker');
port.on('message', async (msg: { op: string; id: number }) => {
  if (msg.op === 'stats') {
    port.postMessage({ id: msg.id, statuses: gh.requests.map((q) => q.status), graphql: gh.graphql.calls.length });
  } else if (msg.op === 'no-graphql-once') {
    gh.fixture.fault(
      gh.graphqlPath,
      { kind: 'status', status: 404, body: JSON.stringify({ message: 'Not Found' }) },
      1,
    );
    port.postMessage({ id: msg.id });
  } else if (msg.op === 'close') {
    await gh.close();
    port.postMessage({ id: msg.id });
  }
});
port.postMessage({ ready: true, apiBase: gh.apiBase });
