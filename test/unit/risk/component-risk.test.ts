import { afterEach, describe, expect, it } from 'vitest';
import { invokeMethod } from '../../../shared/contract';
import { FakeGitHub, FakeNpmRegistry, FakePypi } from '../../fixtures/servers';
import { scheduleSetup } from '../schedule/schedule-fixture';
import { CLI, envHome, type EnvHome } from '../envs/env-setup';

let h: EnvHome | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await h?.services.checks.close();
  h?.cleanup();
  h = undefined;
});

describe('risk flags on release components', () => {
  it('pypi_release: security when the new release fixes a vulnerability of the installed one', async () => {
    const pypi = await FakePypi.start();
    closers.push(() => pypi.close());
    pypi.addRelease('webtool', '1.0.0', {
      vulnerabilities: [
        { id: 'PYSEC-2025-7', aliases: ['CVE-2025-7777'], summary: 'path traversal', fixed_in: ['1.0.1'] },
      ],
    });
    pypi.addRelease('webtool', '1.0.1');
    h = envHome('upkeep-risk-');
    h.add('webtool', { type: 'pypi_release', package: 'webtool', current: '1.0.0', index_url: pypi.indexUrl });
    const [r] = (await h.api.checkComponents({ ids: ['webtool'], force: true }, CLI)).components;
    expect(r).toMatchObject({ update_available: true, security: true, breaking: false, risk_flags: ['security'] });
    expect(r?.risk?.advisories).toEqual([
      expect.objectContaining({ id: 'PYSEC-2025-7', source: 'pypi', aliases: ['CVE-2025-7777'], fixed_in: ['1.0.1'] }),
    ]);
    // The installed release's document, not the project's (which covers only the newest).
    expect(pypi.requests.some((q) => q.path === '/pypi/webtool/1.0.0/json')).toBe(true);
  });

  it('npm_release: security from the bulk advisory endpoint, breaking from the major version', async () => {
    const npm = await FakeNpmRegistry.start();
    closers.push(() => npm.close());
    npm.publish('widget', '1.2.0');
    npm.publish('widget', '2.0.0');
    npm.advise('widget', {
      id: 42,
      url: 'https://github.com/advisories/GHSA-2222-3333-4444',
      title: 'ReDoS',
      severity: 'moderate',
      vulnerable_versions: '>=1.0.0 <2.0.0',
    });
    h = envHome('upkeep-risk-');
    h.add('widget', { type: 'npm_release', package: 'widget', current: '1.2.0', registry: npm.registry });
    const [r] = (await h.api.checkComponents({ ids: ['widget'], force: true }, CLI)).components;
    expect(r?.risk_flags).toEqual(['security', 'breaking']);
    expect(r?.risk?.advisories.map((a) => [a.id, a.severity])).toEqual([['GHSA-2222-3333-4444', 'moderate']]);
    const bulk = npm.requests.find((q) => q.method === 'POST');
    expect(bulk?.path).toBe('/-/npm/v1/security/advisories/bulk');
  });

  it('github_release: flags from the release notes between installed and latest, with the CVE they name', async () => {
    const gh = await FakeGitHub.start();
    closers.push(() => gh.close());
    gh.addRelease('acme', 'app', { tag_name: 'v1.4.0', body: 'first' });
    gh.addRelease('acme', 'app', { tag_name: 'v1.5.0', body: '- Security fix: CVE-2025-31337 in the login form' });
    gh.addRelease('acme', 'app', { tag_name: 'v1.6.0', body: '### ⚠️ Breaking changes\n- the API moved to /v2' });
    h = envHome('upkeep-risk-');
    h.add('app', { type: 'github_release', user: 'acme', repo: 'app', current: '1.4.0', api_base: gh.apiBase });
    const [r] = (await h.api.checkComponents({ ids: ['app'], force: true }, CLI)).components;
    expect(r?.latest).toBe('1.6.0');
    expect(r?.risk_flags).toEqual(['security', 'breaking']);
    expect(r?.risk?.advisories.map((a) => [a.id, a.source])).toEqual([['CVE-2025-31337', 'release_notes']]);
    expect(r?.risk?.reasons).toContain('the release notes of 1.6.0 mark breaking changes');
  });

  it('is absent when nothing is pending', async () => {
    const pypi = await FakePypi.start();
    closers.push(() => pypi.close());
    pypi.addRelease('calm', '3.0.0');
    h = envHome('upkeep-risk-');
    h.add('calm', { type: 'pypi_release', package: 'calm', current: '3.0.0', index_url: pypi.indexUrl });
    const [r] = (await h.api.checkComponents({ ids: ['calm'], force: true }, CLI)).components;
    expect(r).toMatchObject({ update_available: false, security: false, breaking: false, risk_flags: [], risk: null });
  });
});

describe('auto_update.security_only', () => {
  it('installs a release flagged as a security fix, and holds back one that is not', async () => {
    const s = await scheduleSetup({ autoUpdate: { window: 'always', security_only: true } });
    const pypi = await FakePypi.start();
    closers.push(() => pypi.close());
    pypi.addRelease('webapp', '1.0.0', { vulnerabilities: [{ id: 'PYSEC-2026-1', fixed_in: ['1.1.0'] }] });
    pypi.addRelease('webapp', '1.1.0');
    const component = s.services.components.get('webapp');
    const { jsondata: _feed, ...rest } = component.config as Record<string, unknown>;
    await invokeMethod(
      s.api,
      'updateComponent',
      { id: 'webapp', config: { ...rest, type: 'pypi_release', package: 'webapp', index_url: pypi.indexUrl } },
      { initiatedBy: 'cli', readOnly: false },
    );
    const ran = await s.scheduler.runDue();
    expect(ran.updated).toMatchObject([{ id: 'webapp', to: '1.1.0', status: 'succeeded' }]);
    expect(s.installed()).toBe('1.1.0');

    pypi.addRelease('webapp', '1.2.0');
    s.clock.advance(24 * 3_600_000);
    const held = await s.scheduler.runDue();
    expect(held.updated).toEqual([]);
    expect(held.deferred).toMatchObject([{ reason: 'not_security', target: '1.2.0' }]);
    expect(s.installed()).toBe('1.1.0');
  });
});
