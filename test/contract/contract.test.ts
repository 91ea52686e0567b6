import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../shared/errors';
import { tempDir } from '../helpers/temp';
import { httpTransport, inProcessTransport, stdioTransport, type Outcome, type Transport } from './transports';

const octoprintConfig = readFileSync(
  path.join(import.meta.dirname, '..', 'fixtures', 'octoprint', 'config.yaml'),
  'utf8',
);

function ok(outcome: Outcome): unknown {
  if (outcome.error) throw new Error(`expected success, got ${outcome.error.code}: ${outcome.error.message}`);
  return outcome.result;
}
function failed(outcome: Outcome) {
  if (!outcome.error) throw new Error(`expected an error, got ${JSON.stringify(outcome.result)}`);
  expect(ERROR_CODES).toContain(outcome.error.code);
  expect(outcome.error.message.length).toBeGreaterThan(10);
  return outcome.error;
}

// The same cases against every host transport: the contract must not depend on how it is reached.
describe.each([
  ['in-process', inProcessTransport],
  ['http', httpTransport],
  ['stdio', stdioTransport],
] as const)('contract over %s', (_name, make) => {
  let transport: Transport;
  const open = async () => {
    transport = await make(tempDir());
    return transport;
  };
  afterEach(async () => transport?.close());

  it('getInfo names the host, version and data directory', async () => {
    const t = await open();
    const info = ok(await t.call('getInfo', {})) as { version: string; home: string; read_only: boolean };
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.home).toBe(t.services.layout.home);
    expect(info.read_only).toBe(false);
  });

  it('adds components from YAML text, lists and gets them, removes them', async () => {
    const t = await open();
    const text =
      'components:\n  web:\n    name: Web\n    type: github_release\n    user: o\n    repo: r\n  pkg:\n    type: npm_release\n    package: left-pad\n';
    expect(ok(await t.call('addComponents', { text }))).toEqual({ added: ['web', 'pkg'], replaced: [] });
    const list = ok(await t.call('listComponents', {})) as {
      components: { id: string; channel: string }[];
      problems: unknown[];
    };
    expect(list.components.map((c) => [c.id, c.channel])).toEqual([
      ['pkg', 'latest'],
      ['web', 'stable'],
    ]);
    expect(ok(await t.call('getComponent', { id: 'web' }))).toMatchObject({
      id: 'web',
      name: 'Web',
      type: 'github_release',
      source: { kind: 'settings' },
    });
    expect(ok(await t.call('removeComponent', { id: 'web' }))).toEqual({ removed: 'web' });
    expect(failed(await t.call('getComponent', { id: 'web' })).code).toBe('NOT_FOUND');
  });

  it('adds from a mapping and edits a component', async () => {
    const t = await open();
    ok(await t.call('addComponents', { components: { a: { type: 'always_current', name: 'A' } } }));
    const edited = ok(await t.call('updateComponent', { id: 'a', config: { type: 'never_current', name: 'A2' } }));
    expect(edited).toMatchObject({ id: 'a', name: 'A2', type: 'never_current' });
    expect(failed(await t.call('addComponents', { components: { a: { type: 'always_current' } } })).code).toBe(
      'ALREADY_EXISTS',
    );
  });

  it('bad config is INVALID_CONFIG naming the key; nothing is stored', async () => {
    const t = await open();
    const error = failed(
      await t.call('addComponents', { text: 'components:\n  web:\n    type: github_release\n    repo: r\n' }),
    );
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('components.web.user');
    expect(error.details?.fields).toEqual(['components.web.user']);
    expect((ok(await t.call('listComponents', {})) as { components: unknown[] }).components).toEqual([]);
  });

  it('bad requests are INVALID_REQUEST naming the field; unknown methods are UNKNOWN_METHOD', async () => {
    const t = await open();
    const badId = failed(await t.call('getComponent', { id: 'Not An Id' }));
    expect(badId.code).toBe('INVALID_REQUEST');
    expect(badId.details?.fields).toEqual(['id']);
    expect(failed(await t.call('getComponent', {})).message).toContain('id');
    expect(failed(await t.call('getInfo', { extra: 1 })).code).toBe('INVALID_REQUEST');
    expect(failed(await t.call('addComponents', { text: 'x', components: {} })).code).toBe('INVALID_REQUEST');
    expect(failed(await t.call('addComponents', { text: 'x'.repeat(1024 * 1024 + 1) })).code).toBe('INVALID_REQUEST');
    expect(failed(await t.call('setSettings', { patch: { cache_ttl_hours: 'a lot' } })).details?.fields).toEqual([
      'patch.cache_ttl_hours',
    ]);
    expect(failed(await t.call('dropEverything', {})).code).toBe('UNKNOWN_METHOD');
    expect(failed(await t.call('__proto__', {})).code).toBe('UNKNOWN_METHOD');
    expect(failed(await t.call('listComponents', [])).code).toBe('INVALID_REQUEST');
  });

  it('imports an OctoPrint config and reports what it skipped', async () => {
    const t = await open();
    const result = ok(await t.call('importOctoprint', { text: octoprintConfig })) as {
      added: string[];
      skipped: { id: string }[];
    };
    expect(result.added.sort()).toEqual(['firmwarecheck', 'my_checkout', 'octoprint']);
    expect(result.skipped.map((s) => s.id).sort()).toEqual(['broken_plugin', 'pi_support']);
    expect(ok(await t.call('getComponent', { id: 'octoprint' }))).toMatchObject({
      channel: 'rc/maintenance',
      method: 'pip',
    });
  });

  it('settings: patch validated, GitHub token stored but never sent back', async () => {
    const t = await open();
    const view = ok(
      await t.call('setSettings', { patch: { check_interval_hours: 6 }, github_token: 'ghp_abcdef123456' }),
    ) as Record<string, unknown>;
    expect(view).toMatchObject({ settings: { check_interval_hours: 6 }, github_token_set: true });
    expect(JSON.stringify(ok(await t.call('getSettings', {})))).not.toContain('ghp_abcdef123456');
    expect(ok(await t.call('setSettings', { github_token: null }))).toMatchObject({ github_token_set: false });
  });
});
