import { afterEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../shared/types';
import { FakeNpmRegistry, FakePypi } from '../fixtures/servers';
import { CLI, envHome, type EnvHome } from '../unit/envs/env-setup';

/**
 * Unknown is not "no", one level down: an advisory source that answers JSON of the right outer
 * shape but with the fields the verdict depends on of another type (a range that is a number, a
 * list that is a string) is *unknown* (PARSE_ERROR in risk_unknown), never read as "this update
 * fixes nothing" (security false).
 */

const BULK = '/-/npm/v1/security/advisories/bulk';

let h: EnvHome | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await h?.services.checks.close();
  h?.cleanup();
  h = undefined;
});

async function checkOne(id: string): Promise<CheckResult> {
  const [r] = (await (h as EnvHome).api.checkComponents({ ids: [id], force: true }, CLI)).components;
  return r as CheckResult;
}

function expectUnknown(r: CheckResult): void {
  expect(r.error, JSON.stringify(r.error)).toBeNull();
  expect(r.update_available).toBe(true);
  expect(r.security).toBeNull();
  expect(r.risk_unknown).toEqual([
    { flag: 'security', code: 'PARSE_ERROR', message: expect.stringMatching(/unknown/) },
  ]);
}

describe('npm bulk advisories of another shape', () => {
  const ANSWERS: { name: string; body: string }[] = [
    {
      name: 'a vulnerable range that is a number',
      body: JSON.stringify({
        widget: [
          {
            id: 1099,
            url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
            title: 'RCE',
            severity: 'high',
            vulnerable_versions: 1.2,
          },
        ],
      }),
    },
    {
      name: "a package's advisories that are a string, not a list",
      body: JSON.stringify({ widget: 'GHSA-aaaa-bbbb-cccc affects <1.3.0' }),
    },
  ];
  it.each(ANSWERS)('$name → security unknown (PARSE_ERROR), not false', async ({ body }) => {
    const npm = await FakeNpmRegistry.start();
    closers.push(() => npm.close());
    npm.publish('widget', '1.2.0');
    npm.publish('widget', '1.3.0');
    npm.fixture.fault(BULK, { kind: 'status', status: 200, body });
    h = envHome('upkeep-unknown2-npm-');
    h.add('widget', { type: 'npm_release', package: 'widget', current: '1.2.0', registry: npm.registry });
    const r = await checkOne('widget');
    expect(r.latest).toBe('1.3.0');
    expectUnknown(r);
    expect(npm.requests.some((q) => q.method === 'POST' && q.path === BULK)).toBe(true);
  });

  it('control: words of another type beside a well-formed range are read as absent; the verdict stands', async () => {
    const npm = await FakeNpmRegistry.start();
    closers.push(() => npm.close());
    npm.publish('widget', '1.2.0');
    npm.publish('widget', '1.3.0');
    npm.fixture.fault(BULK, {
      kind: 'status',
      status: 200,
      body: JSON.stringify({ widget: [{ id: 1099, title: 42, severity: ['high'], vulnerable_versions: '<1.3.0' }] }),
    });
    h = envHome('upkeep-unknown2-npm-');
    h.add('widget', { type: 'npm_release', package: 'widget', current: '1.2.0', registry: npm.registry });
    expect(await checkOne('widget')).toMatchObject({ update_available: true, security: true, risk_unknown: [] });
  });
});

describe('PyPI vulnerabilities of another shape', () => {
  it('a vulnerability whose fixed_in is a string, not a list → security unknown (PARSE_ERROR), not false', async () => {
    const pypi = await FakePypi.start();
    closers.push(() => pypi.close());
    pypi.addRelease('webtool', '1.0.0', { vulnerabilities: [] });
    pypi.addRelease('webtool', '1.1.0');
    pypi.fixture.fault('/pypi/webtool/1.0.0/json', {
      kind: 'status',
      status: 200,
      body: JSON.stringify({
        info: { name: 'webtool', version: '1.0.0' },
        urls: [],
        vulnerabilities: [{ id: 'PYSEC-2026-1', fixed_in: '1.1.0', withdrawn: null }],
      }),
    });
    h = envHome('upkeep-unknown2-pypi-');
    h.add('webtool', { type: 'pypi_release', package: 'webtool', current: '1.0.0', index_url: pypi.indexUrl });
    const r = await checkOne('webtool');
    expect(r.latest).toBe('1.1.0');
    expectUnknown(r);
  });
});
