/**
 * The fake GitHub in a process of its own, for tests that run the real `upkeep` bin with spawnSync
 * (which blocks the test's own event loop). Prints its API base on the first line; each line on
 * stdin `OWNER REPO TAG` publishes a release and is answered with `ok TAG`.
 */
import { createInterface } from 'node:readline';
import { FakeGitHub } from '../../fixtures/servers';

const gh = await FakeGitHub.start();
process.stdout.write(`${gh.apiBase}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [owner, repo, tag] = line.trim().split(/\s+/);
  if (!owner || !repo || !tag) return;
  gh.addRelease(owner, repo, { tag_name: tag });
  process.stdout.write(`ok ${tag}\n`);
});
lines.on('close', () => void gh.close().then(() => process.exit(0)));
