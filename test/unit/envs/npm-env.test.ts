import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNpmRegistry } from '../../fixtures/servers';
import { makeNpmTarball } from '../../fixtures/packages/packages';
import { CLI, envHome, readJson, type EnvHome } from './env-setup';

const GHSA = 'GHSA-j8xg-fqg3-53r7';

/**
 * A real npm project installed from `npm pack` tarballs served by an npm-registry-like server,
 * which then publishes newer versions and an advisory:
 *   tiny-a ^1.0.0 at 1.0.0 → 1.0.1 (fixes the advisory on <1.0.1), latest 2.0.0
 *   tiny-b ~1.0.0 at 1.0.0 → 1.0.2, latest 1.1.0
 *   tiny-c  1.0.0 exact    → held; latest 2.0.0
 */
describe('npm_env', () => {
  let h: EnvHome;
  let registry: FakeNpmRegistry;
  let project: string;
  let lockBefore: string;
  const savedCache = process.env.npm_config_cache;

  const installedVersion = (name: string) =>
    readJson<{ version: string }>(path.join(project, 'node_modules', name, 'package.json')).version;

  beforeAll(async () => {
    h = envHome('upkeep-npm-env-');
    // npm's cache for this test only: the rollback must be served from it.
    process.env.npm_config_cache = path.join(h.root, 'npm-cache');
    const packs = path.join(h.root, 'packs');
    mkdirSync(packs, { recursive: true });
    registry = await FakeNpmRegistry.start();
    const publish = (name: string, version: string) =>
      registry.publish(name, version, { tarball: readFileSync(makeNpmTarball(packs, name, version)) });
    for (const name of ['tiny-a', 'tiny-b', 'tiny-c']) publish(name, '1.0.0');
    project = path.join(h.root, 'app');
    mkdirSync(project, { recursive: true });
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify(
        {
          name: 'app',
          version: '1.0.0',
          private: true,
          dependencies: { 'tiny-a': '^1.0.0', 'tiny-b': '~1.0.0', 'tiny-c': '1.0.0' },
        },
        null,
        2,
      ),
    );
    // Asynchronously: the registry answers from this very process.
    await promisify(execFile)('npm', ['install', '--no-audit', '--no-fund', '--registry', registry.registry], {
      cwd: project,
      env: process.env,
    });
    lockBefore = readFileSync(path.join(project, 'package-lock.json'), 'utf8');
    publish('tiny-a', '1.0.1');
    publish('tiny-a', '2.0.0');
    publish('tiny-b', '1.0.2');
    publish('tiny-b', '1.1.0');
    publish('tiny-c', '2.0.0');
    registry.advise('tiny-a', {
      id: 1100001,
      url: `https://github.com/advisories/${GHSA}`,
      title: 'Prototype pollution in tiny-a',
      severity: 'high',
      vulnerable_versions: '<1.0.1',
    });
    registry.advise('tiny-b', {
      id: 1100002,
      url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
      title: 'Fixed only in 2.x',
      severity: 'low',
      vulnerable_versions: '<2.0.0',
    });
    h.add('app-deps', {
      name: 'App dependencies',
      type: 'npm_env',
      method: 'npm_env',
      folder: project,
      registry: registry.registry,
    });
    h.add('app-deps-cross', {
      name: 'App dependencies (any version)',
      type: 'npm_env',
      folder: project,
      registry: registry.registry,
      cross_ranges: true,
    });
  }, 120_000);

  afterAll(async () => {
    if (savedCache === undefined) delete process.env.npm_config_cache;
    else process.env.npm_config_cache = savedCache;
    await registry?.close();
    h?.cleanup();
  });

  it('lists outdated packages within the ranges package.json allows, with advisories from the bulk endpoint', async () => {
    const { components } = await h.api.checkComponents({ ids: ['app-deps'], force: true }, CLI);
    const r = components[0];
    expect(r?.error).toBeNull();
    const byName = Object.fromEntries((r?.packages ?? []).map((p) => [p.name, p]));
    expect(byName['tiny-a']).toMatchObject({ installed: '1.0.0', wanted: '1.0.1', latest: '2.0.0', target: '1.0.1' });
    expect(byName['tiny-a']?.risk.flags).toEqual(['security']);
    expect(byName['tiny-a']?.risk.advisories).toEqual([
      expect.objectContaining({
        id: GHSA,
        source: 'npm',
        severity: 'high',
        vulnerable_versions: '<1.0.1',
        aliases: ['1100001'],
      }),
    ]);
    // 1.0.2 is still inside tiny-b's vulnerable range: the update does not fix it, so no flag.
    expect(byName['tiny-b']).toMatchObject({ installed: '1.0.0', wanted: '1.0.2', latest: '1.1.0', target: '1.0.2' });
    expect(byName['tiny-b']?.risk.flags).toEqual([]);
    expect(byName['tiny-c']).toMatchObject({ installed: '1.0.0', wanted: '1.0.0', latest: '2.0.0', target: '1.0.0' });
    expect(r?.risk_flags).toEqual(['security']);
    const bulk = registry.requests.filter(
      (q) => q.method === 'POST' && q.path === '/-/npm/v1/security/advisories/bulk',
    );
    expect(bulk.length).toBeGreaterThan(0);
  });

  it('crosses the ranges only when told to, and flags the major versions as breaking', async () => {
    const { components } = await h.api.checkComponents({ ids: ['app-deps-cross'], force: true }, CLI);
    const byName = Object.fromEntries((components[0]?.packages ?? []).map((p) => [p.name, p]));
    expect(byName['tiny-c']).toMatchObject({ target: '2.0.0' });
    expect(byName['tiny-c']?.risk.flags).toEqual(['breaking']);
    expect(byName['tiny-a']?.risk.flags).toEqual(['security', 'breaking']);
    expect(components[0]?.risk_flags).toEqual(['security', 'breaking']);
  });

  it("updates a chosen subset within its range, then rolls back to the exact lock file from npm's cache with the registry gone", async () => {
    const [result] = (await h.api.updateComponents({ ids: ['app-deps'], packages: ['tiny-a'] }, CLI)).results;
    expect(result?.error).toBeNull();
    expect(result?.status).toBe('succeeded');
    expect(installedVersion('tiny-a')).toBe('1.0.1');
    expect(installedVersion('tiny-b')).toBe('1.0.0');
    expect(
      readJson<{ dependencies: Record<string, string> }>(path.join(project, 'package.json')).dependencies['tiny-a'],
    ).toBe('^1.0.0');
    expect(readFileSync(path.join(project, 'package-lock.json'), 'utf8')).not.toBe(lockBefore);

    await registry.close();
    const rolled = await h.api.rollbackUpdate({ component: 'app-deps' }, CLI);
    expect(rolled.result.error).toBeNull();
    expect(rolled.result.status).toBe('succeeded');
    expect(readFileSync(path.join(project, 'package-lock.json'), 'utf8')).toBe(lockBefore);
    expect(installedVersion('tiny-a')).toBe('1.0.0');
    expect(installedVersion('tiny-b')).toBe('1.0.0');
    const { lines } = await h.api.getRunLog({ run_id: rolled.result.run_id as string }, CLI);
    expect(lines.some((l) => l.line.includes('npm ci') && l.line.includes('--offline'))).toBe(true);
    expect(lines.some((l) => l.line.includes('asking the registry'))).toBe(false);
  }, 180_000);
});
