import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNpmRegistry } from '../../fixtures/servers';
import { makeNpmTarball } from '../../fixtures/packages/packages';
import { CLI, envHome, type EnvHome } from './env-setup';

/** The global prefix as an environment (`global: true`), in a temp prefix, against a local registry. */
describe('npm_env global', () => {
  let h: EnvHome;
  let registry: FakeNpmRegistry;
  let prefix: string;
  const saved = { cache: process.env.npm_config_cache, prefix: process.env.NPM_CONFIG_PREFIX };
  const globalVersion = (name: string) =>
    (
      JSON.parse(readFileSync(path.join(prefix, 'lib', 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;

  beforeAll(async () => {
    h = envHome('upkeep-npm-global-');
    prefix = path.join(h.root, 'prefix');
    process.env.npm_config_cache = path.join(h.root, 'npm-cache');
    process.env.NPM_CONFIG_PREFIX = prefix; // npm's own setting: every npm Upkeep runs sees this prefix
    const packs = path.join(h.root, 'packs');
    mkdirSync(packs, { recursive: true });
    registry = await FakeNpmRegistry.start();
    const publish = (name: string, v: string) =>
      registry.publish(name, v, { tarball: readFileSync(makeNpmTarball(packs, name, v)) });
    publish('tool-x', '1.0.0');
    publish('tool-y', '3.0.0');
    await promisify(execFile)(
      'npm',
      [
        'install',
        '--global',
        '--no-audit',
        '--no-fund',
        '--registry',
        registry.registry,
        'tool-x@1.0.0',
        'tool-y@3.0.0',
      ],
      { env: process.env },
    );
    publish('tool-x', '1.2.0');
    publish('tool-y', '4.0.0');
    h.add('global-tools', {
      name: 'Global tools',
      type: 'npm_env',
      method: 'npm_env',
      global: true,
      registry: registry.registry,
    });
  }, 120_000);

  afterAll(async () => {
    for (const [key, value] of [
      ['npm_config_cache', saved.cache],
      ['NPM_CONFIG_PREFIX', saved.prefix],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await registry?.close();
    h?.cleanup();
  });

  it('lists outdated global packages, updates one, and rolls it back from the cache with the registry gone', async () => {
    const { components } = await h.api.checkComponents({ ids: ['global-tools'], force: true }, CLI);
    const byName = Object.fromEntries((components[0]?.packages ?? []).map((p) => [p.name, p]));
    expect(components[0]?.error).toBeNull();
    expect(byName['tool-x']).toMatchObject({ installed: '1.0.0', latest: '1.2.0', target: '1.2.0' });
    expect(byName['tool-y']).toMatchObject({ installed: '3.0.0', latest: '4.0.0', target: '4.0.0' });
    expect(byName['tool-y']?.risk.flags).toEqual(['breaking']);

    const [result] = (await h.api.updateComponents({ ids: ['global-tools'], packages: ['tool-x'] }, CLI)).results;
    expect(result?.error).toBeNull();
    expect(globalVersion('tool-x')).toBe('1.2.0');
    expect(globalVersion('tool-y')).toBe('3.0.0');

    await registry.close();
    const rolled = await h.api.rollbackUpdate({ component: 'global-tools' }, CLI);
    expect(rolled.result.error).toBeNull();
    expect(globalVersion('tool-x')).toBe('1.0.0');
    expect(globalVersion('tool-y')).toBe('3.0.0');
  }, 180_000);
});
