import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invokeMethod } from '../../shared/contract';
import type { CheckResult, UpdateAvailable } from '../../shared/types';
import { createApi } from '../../electron/core/api';
import { toNotification } from '../../electron/core/notify/messages';
import { createServices } from '../../electron/core/services';
import { environmentChoice } from '../../electron/core/schedule/env-packages';
import { policyOf } from '../../electron/core/schedule/policy';
import { FakeNpmRegistry, FakePypi } from '../fixtures/servers';
import type { Fault } from '../fixtures/servers/http-fixture';
import { makeNpmTarball, makeVenv, makeWheel } from '../fixtures/packages/packages';
import { buildCli, repoRoot, upkeep } from '../helpers/cli';
import { tempDir } from '../helpers/temp';
import { httpTransport } from '../contract/transports';
import { scheduleSetup } from '../unit/schedule/schedule-fixture';
import { CLI, envHome, type EnvHome } from '../unit/envs/env-setup';

/**
 * Unknown is not "no": when the advisory source of a pending update cannot be read, the check
 * stands but says `security: null` with the failure in `risk_unknown` — through the real checkers
 * against real local servers answering like the npm registry and PyPI, the CLI, the HTTP host and
 * the scheduler — never `security: false`.
 */

const BULK = '/-/npm/v1/security/advisories/bulk';

/** Ways an advisory source fails, with the stable code each must be reported with. */
const FAULTS: { name: string; fault: Fault; code: string }[] = [
  {
    name: '405 Method Not Allowed (a mirror without the audit endpoint)',
    fault: { kind: 'status', status: 405, body: '{"error":"Method Not Allowed"}' },
    code: 'UPSTREAM_ERROR',
  },
  { name: '500 Internal Server Error', fault: { kind: 'status', status: 500, body: 'oops' }, code: 'UPSTREAM_ERROR' },
  {
    name: '503 with an HTML page',
    fault: { kind: 'status', status: 503, body: '<html>maintenance</html>', headers: { 'content-type': 'text/html' } },
    code: 'UPSTREAM_ERROR',
  },
  { name: 'malformed JSON', fault: { kind: 'malformed', body: '{"widget": [ {"id": 1,' }, code: 'PARSE_ERROR' },
  {
    name: 'a JSON array instead of an object',
    fault: { kind: 'status', status: 200, body: '[]' },
    code: 'PARSE_ERROR',
  },
  { name: 'connection reset (no answer)', fault: { kind: 'hangup' }, code: 'NETWORK' },
];

type Public = {
  security: boolean | null;
  breaking: boolean | null;
  risk_flags: string[];
  risk_unknown: { flag: string; code: string; message: string }[];
  error: { code: string } | null;
  update_available: boolean;
};

let h: EnvHome | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await h?.services.checks.close();
  h?.cleanup();
  h = undefined;
});

async function npmRegistry(): Promise<FakeNpmRegistry> {
  const npm = await FakeNpmRegistry.start();
  closers.push(() => npm.close());
  npm.publish('widget', '1.2.0');
  npm.publish('widget', '1.3.0');
  return npm;
}

async function pypiIndex(): Promise<FakePypi> {
  const pypi = await FakePypi.start();
  closers.push(() => pypi.close());
  pypi.addRelease('webtool', '1.0.0', { vulnerabilities: [] });
  pypi.addRelease('webtool', '1.1.0');
  return pypi;
}

async function checkOne(id: string): Promise<CheckResult> {
  const [r] = (await (h as EnvHome).api.checkComponents({ ids: [id], force: true }, CLI)).components;
  return r as CheckResult;
}

/** The pending update stands; security is unknown with the failure's code, not false. */
function expectSecurityUnknown(r: CheckResult, code: string): void {
  expect(r.error, JSON.stringify(r.error)).toBeNull();
  expect(r.update_available).toBe(true);
  expect(r.security).toBeNull();
  expect(r.security).not.toBe(false);
  expect(r.breaking).toBe(false);
  expect(r.risk_flags).toEqual([]);
  expect(r.risk_unknown).toEqual([{ flag: 'security', code, message: expect.any(String) }]);
  expect(r.risk?.reasons.join('\n')).toMatch(/could not be read, so security is unknown/);
}

describe('npm_release: the bulk advisory endpoint fails, the packument answers', () => {
  it.each(FAULTS)('$name → security unknown ($code)', async ({ fault, code }) => {
    const npm = await npmRegistry();
    npm.fixture.fault(BULK, fault);
    h = envHome('upkeep-unknown-npm-');
    h.add('widget', { type: 'npm_release', package: 'widget', current: '1.2.0', registry: npm.registry });
    const r = await checkOne('widget');
    expect(r.latest).toBe('1.3.0');
    expectSecurityUnknown(r, code);
    // The endpoint was really asked (and the answer was the fault's).
    expect(npm.requests.some((q) => q.method === 'POST' && q.path === BULK)).toBe(true);
  });

  it('control: an endpoint that answers with no advisory makes security false, not unknown', async () => {
    const npm = await npmRegistry();
    h = envHome('upkeep-unknown-npm-');
    h.add('widget', { type: 'npm_release', package: 'widget', current: '1.2.0', registry: npm.registry });
    const r = await checkOne('widget');
    expect(r).toMatchObject({ update_available: true, security: false, risk_unknown: [] });
  });

  it('a cached unknown stays unknown, and is asked again as soon as a failed check would be (5 min), not after the cache TTL', async () => {
    const npm = await npmRegistry();
    npm.fixture.fault(BULK, { kind: 'status', status: 500 }, 1);
    h = envHome('upkeep-unknown-npm-');
    h.add('widget', { type: 'npm_release', package: 'widget', current: '1.2.0', registry: npm.registry });
    await checkOne('widget');
    const [cached] = (await h.api.checkComponents({ ids: ['widget'] }, CLI)).components;
    expect(cached?.from_cache).toBe(true);
    expect(cached?.security).toBeNull();
    expect(cached?.risk_unknown?.[0]?.code).toBe('UPSTREAM_ERROR');
    // Six minutes later (the entry in the real cache file aged), a plain check asks again and now knows.
    await h.services.checks.flush();
    const file = path.join(h.root, 'home', 'cache', 'versions.json');
    const cache = JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, { fetched_at: number }> };
    (cache.entries.widget as { fetched_at: number }).fetched_at -= 6 * 60_000;
    writeFileSync(file, JSON.stringify(cache));
    const services = createServices({ home: path.join(h.root, 'home'), host: 'cli' });
    closers.push(() => services.checks.close());
    const [again] = (await createApi(services).checkComponents({ ids: ['widget'] }, CLI)).components;
    expect(again).toMatchObject({ from_cache: false, security: false, risk_unknown: [] });
  });
});

describe('pypi_release: the installed release’s vulnerability document cannot be read', () => {
  const PYPI_FAULTS: { name: string; fault: Fault; code: string }[] = [
    ...FAULTS.filter((f) => !f.name.startsWith('a JSON array')),
    {
      name: '404: the index does not list the installed release',
      fault: { kind: 'status', status: 404, body: '{"message":"Not Found"}' },
      code: 'NOT_FOUND',
    },
    {
      name: 'an index that does not publish vulnerabilities (no field)',
      fault: { kind: 'status', status: 200, body: '{"info":{"name":"webtool","version":"1.0.0"},"urls":[]}' },
      code: 'PARSE_ERROR',
    },
  ];
  it.each(PYPI_FAULTS)('$name → security unknown ($code)', async ({ fault, code }) => {
    const pypi = await pypiIndex();
    pypi.fixture.fault('/pypi/webtool/1.0.0/json', fault);
    h = envHome('upkeep-unknown-pypi-');
    h.add('webtool', { type: 'pypi_release', package: 'webtool', current: '1.0.0', index_url: pypi.indexUrl });
    const r = await checkOne('webtool');
    expect(r.latest).toBe('1.1.0');
    expectSecurityUnknown(r, code);
  });

  it('control: a document with an empty vulnerabilities list makes security false', async () => {
    const pypi = await pypiIndex();
    h = envHome('upkeep-unknown-pypi-');
    h.add('webtool', { type: 'pypi_release', package: 'webtool', current: '1.0.0', index_url: pypi.indexUrl });
    expect(await checkOne('webtool')).toMatchObject({ update_available: true, security: false, risk_unknown: [] });
  });
});

describe('a check that fails decides no flag', () => {
  it('security and breaking are null (not false) beside the error', async () => {
    const npm = await npmRegistry();
    npm.fixture.fault('/widget', { kind: 'status', status: 500 });
    h = envHome('upkeep-unknown-fail-');
    h.add('widget', { type: 'npm_release', package: 'widget', current: '1.2.0', registry: npm.registry });
    const r = await checkOne('widget');
    expect(r.error?.code).toBe('UPSTREAM_ERROR');
    expect(r.security).toBeNull();
    expect(r.breaking).toBeNull();
  });
});

describe('the CLI: upkeep check --json and its text', () => {
  beforeAll(() => buildCli(), 120_000);

  /** The built `upkeep` bin as a child process, without blocking this process (its servers answer it). */
  async function upkeepAsync(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [path.join(repoRoot, 'bin', 'upkeep.mjs'), ...args],
        { env: { ...process.env, UPKEEP_HOME: '' }, timeout: 60_000 },
        (error, stdout, stderr) => {
          resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
        },
      );
    });
  }

  function cliHome(registry: string): string {
    const root = tempDir('upkeep-unknown-cli-');
    const home = path.join(root, 'home');
    mkdirSync(home, { recursive: true });
    const file = path.join(root, 'widget.yaml');
    writeFileSync(
      file,
      `components:\n  widget:\n    name: Widget\n    type: npm_release\n    package: widget\n    current: 1.2.0\n    registry: ${registry}\n`,
    );
    const added = upkeep(['--home', home, 'component', 'add', '--file', file]);
    expect(added.status, added.stderr).toBe(0);
    return home;
  }

  it('405 from the bulk endpoint: security null with risk_unknown in --json, "security unknown" in the text', async () => {
    const npm = await npmRegistry();
    npm.fixture.fault(BULK, { kind: 'status', status: 405, body: '{"error":"Method Not Allowed"}' });
    const home = cliHome(npm.registry);
    const run = await upkeepAsync(['--home', home, 'check', '--force', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const [c] = (JSON.parse(run.stdout) as { components: Public[] }).components;
    expect(c).toMatchObject({ update_available: true, security: null, breaking: false, risk_flags: [], error: null });
    expect(c?.risk_unknown).toEqual([
      { flag: 'security', code: 'UPSTREAM_ERROR', message: expect.stringContaining('405') },
    ]);
    // Exactly null in the printed JSON, not a missing key a script could read as false.
    expect(run.stdout).toMatch(/"security": null/);

    const text = await upkeepAsync(['--home', home, 'check']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/update available \[security unknown\]/);
    expect(text.stdout).toMatch(/widget: .*security advisories could not be read, so security is unknown: .*405/);
  });

  it('a failed check prints security null in --json, never false', async () => {
    const npm = await npmRegistry();
    const home = cliHome(npm.registry);
    npm.fixture.fault('/widget', { kind: 'hangup' });
    const run = await upkeepAsync(['--home', home, 'check', '--force', '--json']);
    expect(run.status).toBe(1);
    const [c] = (JSON.parse(run.stdout) as { components: Public[] }).components;
    expect(c?.error?.code).toBe('NETWORK');
    expect(c?.security).toBeNull();
    expect(c?.breaking).toBeNull();
  });
});

describe('the HTTP host answers the same contract', () => {
  it('checkComponents over HTTP: security null and risk_unknown for a 405 bulk endpoint', async () => {
    const npm = await npmRegistry();
    npm.fixture.fault(BULK, { kind: 'status', status: 405 });
    const t = await httpTransport(tempDir('upkeep-unknown-http-'));
    closers.push(() => t.close());
    closers.push(() => t.services.checks.close());
    const added = await t.call('addComponents', {
      components: {
        widget: { name: 'Widget', type: 'npm_release', package: 'widget', current: '1.2.0', registry: npm.registry },
      },
    });
    expect(added.error).toBeUndefined();
    const outcome = await t.call('checkComponents', { ids: ['widget'], force: true });
    expect(outcome.error).toBeUndefined();
    const [r] = (outcome.result as { components: CheckResult[] }).components;
    expect(r).toMatchObject({
      update_available: true,
      security: null,
      risk_flags: [],
      risk_unknown: [{ flag: 'security', code: 'UPSTREAM_ERROR' }],
    });
    expect(r?.risk?.unknown).toEqual(r?.risk_unknown);
  });
});

describe('auto_update.security_only never takes unknown for safe', () => {
  it('defers with security_unknown (saying why), notifies "unknown", and installs once the advisories can be read', async () => {
    const s = await scheduleSetup({ autoUpdate: { window: 'always', security_only: true } });
    const pypi = await FakePypi.start();
    closers.push(() => pypi.close());
    pypi.addRelease('webapp', '1.0.0', { vulnerabilities: [{ id: 'PYSEC-2026-9', fixed_in: ['1.1.0'] }] });
    pypi.addRelease('webapp', '1.1.0');
    pypi.fixture.fault('/pypi/webapp/1.0.0/json', { kind: 'status', status: 500 }, 1);
    const { jsondata: _feed, ...rest } = s.services.components.get('webapp').config as Record<string, unknown>;
    await invokeMethod(
      s.api,
      'updateComponent',
      { id: 'webapp', config: { ...rest, type: 'pypi_release', package: 'webapp', index_url: pypi.indexUrl } },
      { initiatedBy: 'cli', readOnly: false },
    );

    const first = await s.scheduler.runDue();
    expect(first.updated).toEqual([]);
    expect(first.deferred).toMatchObject([{ component: 'webapp', reason: 'security_unknown', target: '1.1.0' }]);
    expect(first.deferred[0]?.message).toMatch(/unknown.*500.*not installed automatically/);
    expect(s.installed()).toBe('1.0.0');
    // The notification of the new version says that its security is unknown.
    const [event] = s.named('update_available') as UpdateAvailable[];
    expect(event).toMatchObject({
      to_version: '1.1.0',
      security: null,
      security_unknown: expect.stringContaining('500'),
    });
    expect(
      toNotification({ kind: 'update_available', payload: event as UpdateAvailable }, () => 'Web App').body,
    ).toMatch(/Security: unknown — .*500/);

    // The source answers again: the release is a known security fix and goes in.
    s.clock.advance(24 * 3_600_000);
    const second = await s.scheduler.runDue();
    expect(second.updated).toMatchObject([{ id: 'webapp', to: '1.1.0', status: 'succeeded' }]);
    expect(s.installed()).toBe('1.1.0');
  });

  it('environments: packages whose security is unknown wait, with the reason security_unknown', () => {
    const policy = policyOf({
      type: 'npm_env',
      auto_update: { enabled: true, window: 'always', security_only: true },
    } as never);
    const unknown = environmentChoice(policy, [
      { name: 'tiny-a', flags: [], unknown: ['security'] },
      { name: 'tiny-b', flags: [] },
    ]);
    expect(unknown).toMatchObject({ action: 'defer', reason: 'security_unknown' });
    expect('message' in unknown ? unknown.message : '').toMatch(/tiny-a.*not taken for safe/);
    // A known security fix goes in; the unknown one still waits.
    expect(
      environmentChoice(policy, [
        { name: 'tiny-a', flags: [], unknown: ['security'] },
        { name: 'tiny-c', flags: ['security'] },
      ]),
    ).toEqual({ packages: ['tiny-c'] });
    // Without allow_major, an unknown breaking flag is not taken for "not breaking".
    const noMajor = policyOf({ type: 'npm_env', auto_update: { enabled: true, window: 'always' } } as never);
    expect(environmentChoice(noMajor, [{ name: 'tiny-d', flags: [], unknown: ['breaking'] }])).toMatchObject({
      action: 'defer',
      reason: 'major_version',
    });
  });
});

describe('environments through real npm and pip', () => {
  it('npm_env: a 405 bulk endpoint leaves every movable package security unknown, in the check and in --json', async () => {
    h = envHome('upkeep-unknown-npm-env-');
    const savedCache = process.env.npm_config_cache;
    process.env.npm_config_cache = path.join(h.root, 'npm-cache');
    closers.push(async () => {
      if (savedCache === undefined) delete process.env.npm_config_cache;
      else process.env.npm_config_cache = savedCache;
    });
    const packs = path.join(h.root, 'packs');
    mkdirSync(packs, { recursive: true });
    const registry = await FakeNpmRegistry.start();
    closers.push(() => registry.close());
    const publish = (name: string, version: string) =>
      registry.publish(name, version, { tarball: readFileSync(makeNpmTarball(packs, name, version)) });
    publish('tiny-a', '1.0.0');
    const project = path.join(h.root, 'app');
    mkdirSync(project, { recursive: true });
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { 'tiny-a': '^1.0.0' } }),
    );
    await promisify(execFile)('npm', ['install', '--no-audit', '--no-fund', '--registry', registry.registry], {
      cwd: project,
      env: process.env,
    });
    publish('tiny-a', '1.0.1');
    registry.advise('tiny-a', {
      id: 1,
      url: 'https://github.com/advisories/GHSA-2222-3333-4444',
      title: 'would be found if asked',
      severity: 'high',
      vulnerable_versions: '<1.0.1',
    });
    registry.fixture.fault(BULK, { kind: 'status', status: 405 });
    h.add('app-deps', {
      name: 'App dependencies',
      type: 'npm_env',
      method: 'npm_env',
      folder: project,
      registry: registry.registry,
    });
    const r = await checkOne('app-deps');
    expect(r.error, JSON.stringify(r.error)).toBeNull();
    expect(r.update_available).toBe(true);
    expect(r.security).toBeNull();
    expect(r.risk_unknown).toEqual([
      { flag: 'security', code: 'UPSTREAM_ERROR', message: expect.stringContaining('405') },
    ]);
    const [pkg] = r.packages ?? [];
    expect(pkg).toMatchObject({ name: 'tiny-a', installed: '1.0.0', target: '1.0.1' });
    expect(pkg?.risk.flags).toEqual([]);
    expect(pkg?.risk.unknown).toEqual([expect.objectContaining({ flag: 'security', code: 'UPSTREAM_ERROR' })]);
  }, 120_000);

  it('pip_env: one package’s vulnerability document failing leaves that package unknown, not the whole check failed', async () => {
    h = envHome('upkeep-unknown-pip-env-');
    const wheels = path.join(h.root, 'wheels');
    const pypi = await FakePypi.start();
    closers.push(() => pypi.close());
    for (const [name, versions] of Object.entries({ alpha: ['1.0.0', '1.1.0'], beta: ['1.0.0', '1.0.1'] })) {
      for (const v of versions) {
        const file = makeWheel(wheels, name, v);
        pypi.addRelease(name, v, {
          files: [{ filename: path.basename(file), content: readFileSync(file) }],
          vulnerabilities: [],
        });
      }
    }
    const python = makeVenv(path.join(h.root, 'venv'));
    execFileSync(
      python,
      ['-m', 'pip', 'install', '--quiet', '--no-index', '--find-links', wheels, 'alpha==1.0.0', 'beta==1.0.0'],
      { env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' } },
    );
    pypi.fixture.fault('/pypi/alpha/1.0.0/json', { kind: 'status', status: 500 });
    h.add('bot-env', {
      name: 'Bot packages',
      type: 'pip_env',
      method: 'pip_env',
      python,
      folder: path.join(h.root, 'venv'),
      index_url: pypi.indexUrl,
      only: ['alpha', 'beta'],
    });
    const r = await checkOne('bot-env');
    expect(r.error, JSON.stringify(r.error)).toBeNull();
    const byName = Object.fromEntries((r.packages ?? []).map((p) => [p.name, p]));
    expect(byName.alpha?.risk.unknown).toEqual([expect.objectContaining({ flag: 'security', code: 'UPSTREAM_ERROR' })]);
    expect(byName.beta?.risk.unknown ?? []).toEqual([]);
    expect(byName.beta?.risk.flags).toEqual([]);
    // One unknown package makes the component's security unknown (no other package is a known fix).
    expect(r.security).toBeNull();
  }, 120_000);
});
