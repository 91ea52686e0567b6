import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { invokeMethod } from '../../../shared/contract';
import { FakeNpmRegistry } from '../../fixtures/servers';
import { makeNpmTarball } from '../../fixtures/packages/packages';
import { scheduleSetup } from '../schedule/schedule-fixture';

const savedCache = process.env.npm_config_cache;
afterEach(() => {
  if (savedCache === undefined) delete process.env.npm_config_cache;
  else process.env.npm_config_cache = savedCache;
});

/**
 * auto_update on an environment: the rules apply per package. security_only upgrades only the
 * package whose update fixes an advisory; the rest wait, and say why.
 */
describe('auto_update of an environment', () => {
  it('security_only upgrades only the flagged package, then holds back the others', async () => {
    const s = await scheduleSetup();
    process.env.npm_config_cache = path.join(s.root, 'npm-cache');
    const registry = await FakeNpmRegistry.start();
    try {
      const packs = path.join(s.root, 'packs');
      mkdirSync(packs, { recursive: true });
      const publish = (name: string, v: string) =>
        registry.publish(name, v, { tarball: readFileSync(makeNpmTarball(packs, name, v)) });
      for (const name of ['tiny-a', 'tiny-b']) publish(name, '1.0.0');
      const project = path.join(s.root, 'project');
      mkdirSync(project, { recursive: true });
      writeFileSync(
        path.join(project, 'package.json'),
        JSON.stringify({
          name: 'p',
          version: '1.0.0',
          private: true,
          dependencies: { 'tiny-a': '^1.0.0', 'tiny-b': '^1.0.0' },
        }),
      );
      await promisify(execFile)('npm', ['install', '--no-audit', '--no-fund', '--registry', registry.registry], {
        cwd: project,
      });
      publish('tiny-a', '1.0.1');
      publish('tiny-b', '1.1.0');
      registry.advise('tiny-a', {
        id: 7,
        url: 'https://github.com/advisories/GHSA-7777-8888-9999',
        title: 'RCE',
        severity: 'critical',
        vulnerable_versions: '<1.0.1',
      });
      await invokeMethod(
        s.api,
        'updateComponent',
        {
          id: 'webapp',
          config: {
            name: 'Project packages',
            type: 'npm_env',
            method: 'npm_env',
            folder: project,
            registry: registry.registry,
            auto_update: { enabled: true, window: 'always', security_only: true },
          },
        },
        { initiatedBy: 'cli', readOnly: false },
      );
      const version = (name: string) =>
        (
          JSON.parse(readFileSync(path.join(project, 'node_modules', name, 'package.json'), 'utf8')) as {
            version: string;
          }
        ).version;

      const first = await s.scheduler.runDue();
      expect(first.updated).toMatchObject([{ id: 'webapp', status: 'succeeded', to: 'tiny-a 1.0.1' }]);
      expect(version('tiny-a')).toBe('1.0.1');
      expect(version('tiny-b')).toBe('1.0.0');

      s.clock.advance(24 * 3_600_000);
      const second = await s.scheduler.runDue();
      expect(second.updated).toEqual([]);
      expect(second.deferred).toMatchObject([{ component: 'webapp', reason: 'not_security' }]);
      expect(version('tiny-b')).toBe('1.0.0');
    } finally {
      await registry.close();
    }
  }, 180_000);
});
