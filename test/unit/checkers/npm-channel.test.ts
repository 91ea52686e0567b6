import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNpmRegistry } from '../../fixtures/servers/npm';
import { buildCli, upkeep as upkeepSync, upkeepAsync } from '../../helpers/cli';
import { tempDir } from '../../helpers/temp';

/** The CLI as a child that runs while this process keeps serving the fake registry. */
const upkeep = (args: string[]) => upkeepAsync(args);

function channelOf(home: string, id: string): string | undefined {
  const list = upkeepSync(['--home', home, '--json', 'component', 'list']).json() as {
    components: { id: string; channel: string }[];
  };
  return list.components.find((c) => c.id === id)?.channel;
}

/** An npm channel is a dist-tag the package has: `upkeep channel typescript nosuch` is refused with the tags, at once. */
describe('npm release channels', () => {
  let npm: FakeNpmRegistry;
  let home: string;
  beforeAll(async () => {
    buildCli();
    npm = await FakeNpmRegistry.start();
    npm.publish('typescript', '5.9.3');
    npm.publish('typescript', '6.0.0-beta', {}, 'beta');
    npm.publish('typescript', '6.1.0-dev.20261207', {}, 'next');
    home = path.join(tempDir(), 'home');
    const add = upkeepSync(['--home', home, 'component', 'add', '--file', '-'], {
      input: JSON.stringify({
        components: {
          typescript: { type: 'npm_release', package: 'typescript', registry: npm.registry, current: '5.9.3' },
        },
      }),
    });
    expect(add.status, add.stderr).toBe(0);
  });
  afterAll(async () => {
    await npm.close();
  });

  it('refuses a tag the package does not have, naming the tags it has, and keeps the channel', async () => {
    const refused = await upkeep(['--home', home, 'channel', 'typescript', 'nosuch']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('"nosuch" is not a channel of typescript. Choose one of: latest, beta, next');
    expect(channelOf(home, 'typescript')).toBe('latest');
  });

  it('takes a tag the package has, and lists each tag once with its version', async () => {
    const chosen = await upkeep(['--home', home, 'channel', 'typescript', 'beta']);
    expect(chosen.code, chosen.stderr).toBe(0);
    const shown = (await upkeep(['--home', home, '--json', 'channel', 'typescript'])).json() as {
      channel: string;
      channels: { id: string; label: string }[];
    };
    expect(shown.channel).toBe('beta');
    expect(shown.channels).toEqual([
      { id: 'latest', label: 'latest (5.9.3)' },
      { id: 'beta', label: 'beta (6.0.0-beta)' },
      { id: 'next', label: 'next (6.1.0-dev.20261207)' },
    ]);
  });

  it('says the registry could not be asked rather than taking the tag unchecked', async () => {
    const down = path.join(tempDir(), 'home');
    const dead = 'http://127.0.0.1:9';
    upkeepSync(['--home', down, 'component', 'add', '--file', '-'], {
      input: JSON.stringify({
        components: { ts: { type: 'npm_release', package: 'typescript', registry: dead, current: '5.9.3' } },
      }),
    });
    const refused = await upkeep(['--home', down, '--json', 'channel', 'ts', 'beta']);
    expect(refused.code).toBe(1);
    expect((refused.json() as { error: { code: string } }).error.code).toBe('NETWORK');
    expect(channelOf(down, 'ts')).toBe('latest');
  });
});
