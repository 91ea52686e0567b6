import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelsFromConfig } from '../../renderer/src/store/selectors/channel-options';
import { CHECK_TYPES, type CheckType } from '../../shared/schemas/component';
import { FakeNpmRegistry } from '../fixtures/servers/npm';
import { createHarness, type CheckHarness } from '../unit/checkers/harness';

/**
 * The panel offers channels from a component's config (before the engine is asked); the engine
 * validates the channel it is told to follow. Both must say the same, for every check type: the
 * panel never offers a channel the engine refuses, and every channel the engine accepts is one the
 * panel lists, with the engine's own list of the component's channels.
 */
let npm: FakeNpmRegistry;
let h: CheckHarness;

const branches = [
  { name: 'Maintenance RCs', branch: 'rc/maintenance' },
  { name: 'Devel RCs', branch: 'rc/devel' },
];

/** A complete config per check type (a type without one fails the first test: add it here). */
function samples(registry: string): Record<CheckType, Record<string, unknown>[]> {
  return {
    github_release: [
      { type: 'github_release', user: 'o', repo: 'r', current: '1.0.0' },
      {
        type: 'github_release',
        user: 'o',
        repo: 'r',
        current: '1.0.0',
        prerelease_branches: branches,
        stable_branch: { name: 'Stable', branch: 'master' },
      },
      {
        type: 'github_release',
        user: 'o',
        repo: 'r',
        current: '1.0.0',
        prerelease: true,
        prerelease_channel: 'rc/own',
        prerelease_branches: branches,
      },
    ],
    github_commit: [{ type: 'github_commit', user: 'o', repo: 'r', current: 'abc1234' }],
    bitbucket_commit: [{ type: 'bitbucket_commit', user: 'o', repo: 'r', current: 'abc1234' }],
    // OctoPrint-style keys on a GitLab component: GitLab has no release branches, so none may be offered.
    gitlab_release: [
      { type: 'gitlab_release', user: 'o', repo: 'r', current: '1.0.0' },
      {
        type: 'gitlab_release',
        user: 'o',
        repo: 'r',
        current: '1.0.0',
        prerelease: true,
        prerelease_branches: branches,
      },
    ],
    git_commit: [{ type: 'git_commit', folder: '/srv/checkout' }],
    pypi_release: [{ type: 'pypi_release', package: 'requests', current: '1.0.0' }],
    npm_release: [{ type: 'npm_release', package: 'widget', registry, current: '1.0.0' }],
    httpheader: [{ type: 'httpheader', header_url: 'http://127.0.0.1:9/x', current: 'etag' }],
    jsondata: [{ type: 'jsondata', jsondata: 'http://127.0.0.1:9/v.json', current: '1.0.0' }],
    command_line: [{ type: 'command_line', command: ['true'] }],
    openwebui: [{ type: 'openwebui', api_base: 'http://127.0.0.1:9', function_id: 'f', file: '/srv/f.py' }],
    always_current: [{ type: 'always_current', current: '1.0.0' }],
    never_current: [{ type: 'never_current', current: '1.0.0' }],
    pip_env: [{ type: 'pip_env', python: '/usr/bin/python3' }],
    npm_env: [{ type: 'npm_env', folder: '/srv/app' }],
    apt: [{ type: 'apt' }],
  };
}

/** Channel names to try: every one a sample mentions, the usual ones, and nonsense. */
const CANDIDATES = [
  'stable',
  'prerelease',
  'latest',
  'next',
  'beta',
  'canary',
  'master',
  'rc/maintenance',
  'rc/devel',
  'rc/own',
  'nonsense',
];

async function accepted(id: string, channel: string): Promise<boolean> {
  try {
    await h.checks.setChannel(id, channel);
    return true;
  } catch (error) {
    expect(error).toMatchObject({ code: 'INVALID_REQUEST' });
    return false;
  }
}

beforeAll(async () => {
  npm = await FakeNpmRegistry.start();
  npm.publish('widget', '1.0.0');
  npm.publish('widget', '2.0.0-rc.1', {}, 'next');
  h = createHarness();
});

afterAll(async () => {
  await h.close();
  await npm.close();
});

describe('the panel and the engine agree on channels', () => {
  it('has a sample for every check type', () => {
    const table = samples(npm.registry);
    for (const type of CHECK_TYPES) expect(table[type]?.length, type).toBeGreaterThan(0);
  });

  for (const type of CHECK_TYPES) {
    it(`${type}: every channel the panel offers is accepted, and every accepted one is listed by both`, async () => {
      const configs = samples(npm.registry)[type];
      for (const [n, config] of configs.entries()) {
        const id = `${type.replace(/_/g, '-')}-${n}`;
        h.add({ [id]: config });
        const fresh = h.services.components.get(id);
        // What the panel offers before the engine was asked.
        for (const option of channelsFromConfig(fresh)) {
          h.add({ [id]: config });
          expect(await accepted(id, option.id), `${id}: the panel offers "${option.id}"`).toBe(true);
        }
        // What the engine accepts, the panel lists while the component follows it — the same list the engine gives.
        for (const channel of CANDIDATES) {
          h.add({ [id]: config });
          if (!(await accepted(id, channel))) continue;
          const following = h.services.components.get(id);
          expect(following.channel).toBe(channel);
          const engine = await h.checks.listChannels(id);
          expect(
            engine.channels.map((c) => c.id),
            `${id} on ${channel}: the engine lists it`,
          ).toContain(channel);
          const panel = channelsFromConfig(following);
          if (type === 'npm_release') {
            // Only the registry knows the dist-tags: the panel shows the engine's list once it has it.
            expect(engine.channels.map((c) => c.id)).toEqual(expect.arrayContaining(panel.map((c) => c.id)));
          } else {
            expect(panel, `${id} on ${channel}: the panel lists what the engine lists`).toEqual(engine.channels);
          }
        }
      }
    });
  }

  it('an npm dist-tag the registry does not have is refused, one it has is accepted', async () => {
    h.add({ w: { type: 'npm_release', package: 'widget', registry: npm.registry } });
    expect(await accepted('w', 'next')).toBe(true);
    expect(await accepted('w', 'beta')).toBe(false);
  });
});
