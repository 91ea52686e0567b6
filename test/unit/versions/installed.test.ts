import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentConfig } from '../../../shared/schemas/component';
import { describeToVersion, readInstalledVersion } from '../../../electron/core/versions/installed';
import { splitCommand } from '../../../electron/core/versions/run-argv';
import { createGitRemote, git } from '../../fixtures/git/git-remote';

let dir: string;
const cfg = (extra: Partial<ComponentConfig>): ComponentConfig =>
  ({ type: 'always_current', folder: dir, ...extra }) as ComponentConfig;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'upkeep-installed-'));
  mkdirSync(path.join(dir, 'config'));
  writeFileSync(path.join(dir, 'config', 'base.py'), "DEBUG = False\nAPP_VERSION = '2.4.1'\n");
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'x', version: '5.6.7', tool: { meta: { version: '9.9' } } }),
  );
  writeFileSync(path.join(dir, 'plugin.py'), '"""\ntitle: P\nversion: 0.3.2\n"""\nclass Filter: pass\n');
  writeFileSync(path.join(dir, 'noversion.py'), "'''\ntitle: P\nversion: 1.0\n'''\n");
  mkdirSync(path.join(dir, 'node_modules', '@scope', 'pkg'), { recursive: true });
  writeFileSync(
    path.join(dir, 'node_modules', '@scope', 'pkg', 'package.json'),
    JSON.stringify({ name: '@scope/pkg', version: '3.2.1' }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('installed version sources', () => {
  it('current is the static version; nothing means unknown', async () => {
    expect(await readInstalledVersion(cfg({ current: '1.0.0' }))).toEqual({ version: '1.0.0', source: 'current' });
    expect((await readInstalledVersion(cfg({}))).version).toBeNull();
  });

  it('file + regex (the OTRS example), relative to folder', async () => {
    const r = await readInstalledVersion(
      cfg({ version_from: { file: 'config/base.py', regex: 'APP_VERSION\\s*=\\s*[\'"]([^\'"]+)' } }),
    );
    expect(r.version).toBe('2.4.1');
  });

  it('file + json path', async () => {
    expect((await readInstalledVersion(cfg({ version_from: { file: 'package.json', json: 'version' } }))).version).toBe(
      '5.6.7',
    );
    expect(
      (await readInstalledVersion(cfg({ version_from: { file: 'package.json', json: 'tool.meta.version' } }))).version,
    ).toBe('9.9');
    await expect(
      readInstalledVersion(cfg({ version_from: { file: 'package.json', json: 'missing' } })),
    ).rejects.toMatchObject({ code: 'CHECK_FAILED' });
  });

  it('a missing file says which one', async () => {
    await expect(
      readInstalledVersion(cfg({ version_from: { file: 'nope.txt', regex: '(.*)' } })),
    ).rejects.toMatchObject({ code: 'CHECK_FAILED', message: expect.stringContaining('nope.txt') });
  });

  it('command argv with and without regex', async () => {
    expect(
      (
        await readInstalledVersion(
          cfg({
            version_from: {
              command: ['node', '-e', "console.log('tool v7.1.0 (build 3)')"],
              regex: 'v(\\d+\\.\\d+\\.\\d+)',
            },
          }),
        )
      ).version,
    ).toBe('7.1.0');
    expect(
      (
        await readInstalledVersion(
          cfg({ version_from: { command: ['node', '-e', "console.log('\\n 8.0.0 \\nmore')"] } }),
        )
      ).version,
    ).toBe('8.0.0');
    await expect(
      readInstalledVersion(cfg({ version_from: { command: ['node', '-e', 'process.exit(4)'] } })),
    ).rejects.toMatchObject({ code: 'CHECK_FAILED' });
  });

  it('docstring frontmatter (Open WebUI rule: line 1 is exactly """)', async () => {
    expect((await readInstalledVersion(cfg({ version_from: { frontmatter: 'plugin.py' } }))).version).toBe('0.3.2');
    await expect(readInstalledVersion(cfg({ version_from: { frontmatter: 'noversion.py' } }))).rejects.toMatchObject({
      code: 'CHECK_FAILED',
    });
  });

  it('npm: the package.json in the folder node_modules', async () => {
    expect((await readInstalledVersion(cfg({ version_from: { npm: '@scope/pkg' } }))).version).toBe('3.2.1');
  });

  it('pip: asks the interpreter (importlib.metadata)', async () => {
    const r = await readInstalledVersion(cfg({ version_from: { pip: 'pip', python: 'python3' } }));
    expect(r.version).toMatch(/^\d+\.\d+/);
    await expect(
      readInstalledVersion(cfg({ version_from: { pip: 'surely-not-installed-pkg-xyz', python: 'python3' } })),
    ).rejects.toMatchObject({ code: 'CHECK_FAILED', message: expect.stringContaining('not installed') });
  });

  it('git: describe on a tag, with distance as a post-release and local label', async () => {
    const repo = createGitRemote('main');
    try {
      repo.pushTag('v1.3.0');
      git(repo.checkout, 'fetch', '-q', '--tags');
      git(repo.checkout, 'pull', '-q');
      const tagged = await readInstalledVersion(cfg({ folder: repo.checkout, version_from: 'git' }));
      expect(tagged.version).toBe('1.3.0');
      repo.pushCommit('x.txt', 'x');
      git(repo.checkout, 'pull', '-q');
      const after = await readInstalledVersion(cfg({ folder: repo.checkout, version_from: 'git' }));
      expect(after.version).toMatch(/^1\.3\.0\.post1\+g[0-9a-f]{7,}$/);
    } finally {
      repo.cleanup();
    }
  });

  it('describeToVersion and splitCommand', () => {
    expect(describeToVersion('v1.3.0-1-g1014712')).toBe('1.3.0.post1+g1014712');
    expect(describeToVersion('v1.3.0-0-g1014712')).toBe('1.3.0');
    expect(splitCommand(`/opt/check.sh --name "a b" 'c d' e\\ f`)).toEqual([
      '/opt/check.sh',
      '--name',
      'a b',
      'c d',
      'e f',
    ]);
    expect(() => splitCommand('unclosed "quote')).toThrow(/unclosed/);
  });
});
