import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderVersions } from '../../electron/core/versions/compare';
import { createHarness, type CheckHarness } from '../unit/checkers/harness';

// Against the real npm registry (https://registry.npmjs.org): `npm run test:online`.
let h: CheckHarness;

const installedVersion = (pkg: string) =>
  (
    JSON.parse(readFileSync(path.join('node_modules', ...pkg.split('/'), 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

beforeAll(() => {
  h = createHarness();
  h.add({
    semver: { type: 'npm_release', package: 'semver', current: installedVersion('semver') },
    'types-node': { type: 'npm_release', package: '@types/node', current: '20.0.0' },
    typescript: { type: 'npm_release', package: 'typescript', current: installedVersion('typescript') },
    'no-such': { type: 'npm_release', package: 'upkeep-surely-no-such-package-7f3a9c' },
  });
});

afterAll(() => h.close());

describe('npm_release against the real registry', () => {
  it('finds the latest version of semver, at least the one installed here', async () => {
    const [r] = await h.check(['semver']);
    expect(r?.error).toBeNull();
    expect(r?.latest).toMatch(/^\d+\.\d+\.\d+/);
    expect(orderVersions(r?.latest as string, installedVersion('semver'), 'semantic')).toBeGreaterThanOrEqual(0);
    expect(r?.target?.tarball_url).toMatch(/^https:\/\/registry\.npmjs\.org\/semver\/-\/semver-.+\.tgz$/);
  });

  it('reads a scoped package (@types/node) and offers an update from 20.0.0', async () => {
    const [r] = await h.check(['types-node']);
    expect(r?.error).toBeNull();
    expect(r?.update_available).toBe(true);
    expect(r?.explanation).toMatch(/ > 20\.0\.0 by semantic versioning$/);
  });

  it("lists typescript's dist-tags as channels, and each channel resolves to its tag's version", async () => {
    const { channels, current } = await h.checks.listChannels('typescript');
    expect(current).toBe('latest');
    expect(channels[0]?.id).toBe('latest');
    // Every dist-tag the registry publishes (npmjs.org has next, beta …; some mirrors only latest).
    for (const channel of channels.slice(0, 4)) {
      const version = /\((.+)\)$/.exec(channel.label)?.[1];
      await h.checks.setChannel('typescript', channel.id);
      const [r] = await h.check(['typescript']);
      expect(r?.error).toBeNull();
      expect(r?.channel).toBe(channel.id);
      expect(r?.latest).toBe(version);
    }
  });

  it('reports a package that does not exist as NOT_FOUND', async () => {
    const [r] = await h.check(['no-such']);
    expect(r?.error?.code).toBe('NOT_FOUND');
  });

  it('answers from the version cache the second time', async () => {
    const [r] = await h.check(['semver']);
    expect(r?.from_cache).toBe(true);
  });
});
