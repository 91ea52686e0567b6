import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNpmOutdated } from '../../../electron/core/envs/npm-env';
import { validateComponent } from '../../../electron/core/config/validate';
import { parseAptUpgradable } from '../../../electron/core/envs/apt';
import { satisfiesPep440 } from '../../../electron/core/envs/pep440-specifier';
import { readPins } from '../../../electron/core/envs/requirements';
import { tempDir } from '../../helpers/temp';

describe('PEP 440 specifiers', () => {
  it.each([
    ['1.4.2', '>=1.0,<2', true],
    ['2.0.0', '>=1.0,<2', false],
    ['2.0.0rc1', '<2', false],
    ['1.9.9', '<2', true],
    ['1.4.2', '~=1.4', true],
    ['2.0', '~=1.4', false],
    ['1.4.9', '~=1.4.2', true],
    ['1.5.0', '~=1.4.2', false],
    ['1.4.7', '==1.4.*', true],
    ['1.5.0', '==1.4.*', false],
    ['1.3.4', '!=1.3.4', false],
    ['1.0.0', '==1.0', true],
    ['3.11.7', '>=3.9', true],
    ['3.8.10', '>=3.9', false],
    ['1.0.0', '', true],
  ])('%s against "%s" is %s', (version, spec, expected) => {
    expect(satisfiesPep440(version, spec)).toBe(expected);
  });

  it('cannot read nonsense', () => {
    expect(satisfiesPep440('1.0', '>>1')).toBeNull();
  });
});

describe('requirements pins', () => {
  it('reads pins, ranges and markers, follows -r and -c includes, and skips URLs and options', async () => {
    const dir = tempDir('upkeep-pins-');
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(
      path.join(dir, 'requirements.txt'),
      [
        '# app',
        '--index-url https://example.org/simple',
        'Requests[socks] >= 2.31 , < 3  # http',
        'django==4.2.* ; python_version >= "3.10"',
        '-r sub/more.txt',
        '-c constraints.txt',
        'git+https://example.org/x.git#egg=x',
        'local @ file:///tmp/local',
        'long \\',
        '  >=1.0',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(dir, 'sub', 'more.txt'), 'Flask_Login~=0.6\n');
    writeFileSync(path.join(dir, 'constraints.txt'), 'requests!=2.32.0\n');
    const pins = await readPins(path.join(dir, 'requirements.txt'));
    expect([...pins.keys()].sort()).toEqual(['django', 'flask-login', 'long', 'requests']);
    expect(pins.get('requests')?.map((p) => p.specifier)).toEqual(['>=2.31,<3', '!=2.32.0']);
    expect(pins.get('django')?.[0]?.specifier).toBe('==4.2.*');
    expect(pins.get('flask-login')?.[0]?.specifier).toBe('~=0.6');
    expect(pins.get('long')?.[0]?.specifier).toBe('>=1.0');
  });

  it('says which file is missing', async () => {
    await expect(readPins('/nonexistent/requirements.txt')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('Fix `requirements`'),
    });
  });
});

describe('tool output', () => {
  it('npm outdated --json: one row per package, the top-level one when a package is in several places', () => {
    const rows = parseNpmOutdated(
      JSON.stringify({
        a: { current: '1.0.0', wanted: '1.0.1', latest: '2.0.0', location: 'node_modules/a' },
        b: [
          {
            current: '1.0.0',
            wanted: '1.0.0',
            latest: '1.1.0',
            location: 'node_modules/x/node_modules/b',
            dependent: 'x',
          },
          { current: '1.0.0', wanted: '1.1.0', latest: '1.1.0', location: 'node_modules/b', dependent: 'app' },
        ],
      }),
    );
    expect(rows.get('a')).toMatchObject({ wanted: '1.0.1' });
    expect(rows.get('b')).toMatchObject({ location: 'node_modules/b', wanted: '1.1.0' });
    expect(parseNpmOutdated('').size).toBe(0);
    expect(() => parseNpmOutdated('{"error":{"summary":"registry down"}}')).toThrow(/registry down/);
  });

  it('apt list --upgradable, with several suites and an epoch', () => {
    const rows = parseAptUpgradable(
      [
        'Listing...',
        'libc6/stable-security,stable 2.36-9+deb12u9 amd64 [upgradable from: 2.36-9+deb12u4]',
        'vim/stable 2:9.0.1378-2+deb12u2 amd64 [upgradable from: 2:9.0.1378-2]',
        'garbage line',
      ].join('\n'),
    );
    expect(rows).toEqual([
      {
        name: 'libc6',
        suites: ['stable-security', 'stable'],
        version: '2.36-9+deb12u9',
        arch: 'amd64',
        installed: '2.36-9+deb12u4',
      },
      { name: 'vim', suites: ['stable'], version: '2:9.0.1378-2+deb12u2', arch: 'amd64', installed: '2:9.0.1378-2' },
    ]);
  });
});

describe('environment component config', () => {
  it('needs the interpreter for pip_env and the folder (or global) for npm_env, naming the key', () => {
    expect(() => validateComponent('py', { type: 'pip_env', method: 'pip_env' })).toThrow(
      /python.*is required for type pip_env/,
    );
    expect(() => validateComponent('js', { type: 'npm_env' })).toThrow(/folder.*is required for type npm_env/);
    expect(validateComponent('js', { type: 'npm_env', global: true, method: 'npm_env' }).type).toBe('npm_env');
    expect(validateComponent('host', { type: 'apt', method: 'apt', only: ['openssl'] }).only).toEqual(['openssl']);
    expect(() => validateComponent('js', { type: 'npm_env', folder: '/srv/app', cross_ranges: 'yes' })).toThrow(
      /cross_ranges/,
    );
  });
});
