import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOctoprintConfig } from '../../../electron/core/config/octoprint';
import { resolveHome } from '../../../electron/core/config/home';
import { createServices } from '../../../electron/core/services';
import { tempDir } from '../../helpers/temp';

const fixtures = path.join(import.meta.dirname, '..', '..', 'fixtures');

describe('component registry (settings store + drop-ins)', () => {
  it('stores components in <home>/config.json and lists them sorted by name', () => {
    const home = tempDir();
    const { components } = createServices({ home, host: 'cli' });
    components.add({ zeta: { type: 'always_current', name: 'Alpha' }, alpha: { type: 'never_current', name: 'Zulu' } });
    const onDisk = JSON.parse(readFileSync(path.join(home, 'config.json'), 'utf8'));
    expect(Object.keys(onDisk.components).sort()).toEqual(['alpha', 'zeta']);
    const listed = createServices({ home, host: 'cli' }).components.list();
    expect(listed.components.map((c) => c.name)).toEqual(['Alpha', 'Zulu']);
    expect(listed.problems).toEqual([]);
  });

  it('refuses to overwrite without replace', () => {
    const { components } = createServices({ home: tempDir(), host: 'cli' });
    components.add({ a: { type: 'always_current' } });
    expect(() => components.add({ a: { type: 'never_current' } })).toThrow(/already exists/);
    expect(components.add({ a: { type: 'never_current' } }, { replace: true })).toEqual({ added: [], replaced: ['a'] });
    expect(components.get('a').type).toBe('never_current');
  });

  it('reads drop-in files, reports a broken one by name and still loads the rest', () => {
    const home = tempDir();
    const dropIns = path.join(home, 'components.d');
    mkdirSync(dropIns, { recursive: true });
    createServices({ home, host: 'cli' }).components.add({ other: { type: 'never_current', name: 'Mine' } });
    writeFileSync(path.join(dropIns, '10-plugin.yaml'), 'my-plugin:\n  type: pypi_release\n  package: my-plugin\n');
    writeFileSync(
      path.join(dropIns, '20-other.json'),
      JSON.stringify({ components: { other: { type: 'always_current', name: 'Other' } } }),
    );
    writeFileSync(path.join(dropIns, '30-broken.yaml'), 'components:\n  x: { type: github_release\n');
    writeFileSync(path.join(dropIns, '40-invalid.yml'), 'components:\n  y: { type: github_release }\n');
    writeFileSync(path.join(dropIns, 'README.txt'), 'not a definition');
    const { components } = createServices({ home, host: 'cli' });
    expect(() => components.add({ 'my-plugin': { type: 'never_current' } })).toThrow(/10-plugin\.yaml/);
    const { components: list, problems } = components.list();
    expect(list.map((c) => c.id).sort()).toEqual(['my-plugin', 'other']);
    expect(list.find((c) => c.id === 'other')?.source).toEqual({ kind: 'settings' });
    expect(list.find((c) => c.id === 'my-plugin')?.source).toEqual({ kind: 'drop-in', file: '10-plugin.yaml' });
    expect(problems.map((p) => p.file)).toEqual(['20-other.json', '30-broken.yaml', '40-invalid.yml']);
    expect(problems[0]?.code).toBe('ALREADY_EXISTS');
    expect(problems[1]?.message).toMatch(/30-broken\.yaml line \d+/);
    expect(problems[2]?.message).toContain('components.y.user');
    expect(() => components.remove('my-plugin')).toThrow(/10-plugin\.yaml/);
  });

  it('sets a channel through patch with validation', () => {
    const { components } = createServices({ home: tempDir(), host: 'cli' });
    components.add({ n: { type: 'npm_release', package: 'x' } });
    expect(components.get('n').channel).toBe('latest');
    expect(components.patch('n', { channel: 'next' }).channel).toBe('next');
    expect(() => components.patch('n', { type: 'bogus' as never })).toThrow(/components\.n\.type/);
  });
});

describe('OctoPrint import', () => {
  it('maps plugins.softwareupdate.checks and lists what it skipped', () => {
    const text = readFileSync(path.join(fixtures, 'octoprint', 'config.yaml'), 'utf8');
    const { components, skipped } = importOctoprintConfig(text);
    expect(Object.keys(components).sort()).toEqual(['firmwarecheck', 'my_checkout', 'octoprint']);
    expect(components.octoprint).toMatchObject({
      name: 'OctoPrint',
      method: 'pip',
      channel: 'rc/maintenance',
      user: 'OctoPrint',
    });
    expect(components.my_checkout).toMatchObject({
      folder: '/home/pi/mycheckout',
      method: 'update_script',
      type: 'git_commit',
    });
    expect(components.firmwarecheck?.current).toBe('2021.10.11');
    expect(skipped.map((s) => s.id).sort()).toEqual(['broken_plugin', 'pi_support']);
    expect(skipped.find((s) => s.id === 'broken_plugin')?.reason).toContain('components.broken_plugin.user');
  });

  it('says where to find the file when the section is missing', () => {
    expect(() => importOctoprintConfig('server: {}\n')).toThrow(/plugins\.softwareupdate\.checks/);
  });
});

describe('data directory', () => {
  it('resolves --home, UPKEEP_HOME, Electron userData, then XDG', () => {
    const env = { HOME: '/home/u', UPKEEP_HOME: '/data/upkeep', XDG_CONFIG_HOME: '/cfg' };
    expect(resolveHome({ flag: 'rel/dir', env })).toBe(path.resolve('rel/dir'));
    expect(resolveHome({ env })).toBe('/data/upkeep');
    expect(resolveHome({ env: { HOME: '/home/u' }, electronUserData: '/ud' })).toBe('/ud');
    expect(resolveHome({ env: { HOME: '/home/u', XDG_CONFIG_HOME: '/cfg' }, platform: 'linux' })).toBe('/cfg/upkeep');
    expect(resolveHome({ env: { HOME: '/home/u' }, platform: 'linux' })).toBe('/home/u/.config/upkeep');
    expect(resolveHome({ env: { HOME: '/home/u', XDG_CONFIG_HOME: 'relative' }, platform: 'linux' })).toBe(
      '/home/u/.config/upkeep',
    );
  });
});

describe('settings and secrets', () => {
  it('validates settings and keeps the token in a 0600 file, apart from config.json', async () => {
    const home = tempDir();
    const services = createServices({ home, host: 'cli' });
    expect(services.settings.get().cache_ttl_hours).toBe(24);
    expect(services.settings.set({ cache_ttl_hours: 2 }).cache_ttl_hours).toBe(2);
    expect(() => services.settings.set({ min_free_space_mb: -1 })).toThrow(/settings\.min_free_space_mb/);
    await services.secrets.set('github_token', 'ghp_secret');
    expect(statSync(path.join(home, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(home, 'config.json'), 'utf8')).not.toContain('ghp_secret');
    expect(createServices({ home, host: 'cli' }).secrets.get('github_token')).toBe('ghp_secret');
  });

  it('falls back to defaults for a hand-damaged value instead of failing', () => {
    const home = tempDir();
    writeFileSync(
      path.join(home, 'config.json'),
      JSON.stringify({ settings: { cache_ttl_hours: 'soon', check_interval_hours: 6 } }),
    );
    const settings = createServices({ home, host: 'cli' }).settings.get();
    expect(settings.cache_ttl_hours).toBe(24);
    expect(settings.check_interval_hours).toBe(6);
  });
});
