import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, repoRoot, upkeep } from '../../helpers/cli';
import { tempDir } from '../../helpers/temp';

beforeAll(buildCli);

describe('upkeep CLI', () => {
  it('adds the example file and lists it as JSON (the README quick start)', () => {
    const home = tempDir();
    const add = upkeep(['--home', home, 'component', 'add', '--file', 'example.yaml']);
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toContain('Added otrs-web');
    const list = upkeep(['--home', home, 'component', 'list', '--json']);
    expect(list.status).toBe(0);
    const doc = list.json() as { components: { id: string; type: string }[]; problems: unknown[] };
    expect(doc.components.map((c) => c.id).sort()).toEqual([
      'async-context-compression',
      'bot-packages',
      'chat-bot',
      'cleanup-plugin',
      'otrs-web',
      'requests',
      'typescript',
    ]);
    expect(doc.problems).toEqual([]);
    const text = upkeep(['--home', home, 'component', 'list']);
    expect(text.stdout).toMatch(/otrs-web\s+OTRS Web\s+github_release\s+release_archive\s+stable/);
  });

  it('takes the data directory from UPKEEP_HOME', () => {
    const home = tempDir();
    expect(
      upkeep(['component', 'add', '--file', '-'], {
        input: 'components:\n  a: { type: always_current }\n',
        env: { UPKEEP_HOME: home },
      }).status,
    ).toBe(0);
    expect(JSON.parse(readFileSync(path.join(home, 'config.json'), 'utf8')).components.a.type).toBe('always_current');
  });

  it('exits 2 with a clear message for bad config, naming the key', () => {
    const home = tempDir();
    const file = path.join(home, 'bad.yaml');
    writeFileSync(file, 'components:\n  web:\n    type: github_release\n    repo: r\n');
    const result = upkeep(['--home', home, 'component', 'add', '--file', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('components.web.user: is required for type github_release');
    expect(result.stderr).toContain('[INVALID_CONFIG]');
    const json = upkeep(['--home', home, '--json', 'component', 'add', '--file', file]);
    expect(json.status).toBe(2);
    expect(json.json()).toMatchObject({ error: { code: 'INVALID_CONFIG' } });
  });

  it('exits 2 for unknown commands and options, 1 when the operation fails', () => {
    const home = tempDir();
    const unknown = upkeep(['--home', home, 'frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
    const option = upkeep(['--home', home, 'component', 'list', '--bogus']);
    expect(option.status).toBe(2);
    expect(option.stderr).toContain("'--bogus'");
    const missing = upkeep(['--home', home, 'component', 'remove', 'nope']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('No component "nope"');
    const unreadable = upkeep(['--home', home, 'component', 'add', '--file', path.join(home, 'missing.yaml')]);
    expect(unreadable.status).toBe(2);
    expect(unreadable.stderr).toContain('ENOENT');
  });

  it('prints help and version', () => {
    const help = upkeep(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('upkeep component add --file FILE');
    expect(help.stdout).toContain('upkeep serve');
    const version = upkeep(['--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version);
    const bare = upkeep([]);
    expect(bare.status).toBe(2);
  });

  it('imports an OctoPrint config and manages settings without echoing secrets', () => {
    const home = tempDir();
    const imported = upkeep([
      '--home',
      home,
      '--json',
      'import',
      'octoprint',
      path.join(repoRoot, 'test', 'fixtures', 'octoprint', 'config.yaml'),
    ]);
    expect(imported.status).toBe(0);
    expect((imported.json() as { added: string[] }).added.sort()).toEqual([
      'firmwarecheck',
      'my_checkout',
      'octoprint',
    ]);
    expect(upkeep(['--home', home, 'settings', 'set', 'cache_ttl_hours', '6']).stdout.trim()).toBe(
      'cache_ttl_hours = 6',
    );
    expect(upkeep(['--home', home, 'settings', 'get', 'cache_ttl_hours']).stdout.trim()).toBe('6');
    expect(upkeep(['--home', home, 'settings', 'set', 'cache_ttl_hours', 'soon']).status).toBe(2);
    expect(upkeep(['--home', home, 'settings', 'set', 'github_token', 'ghp_verysecret']).status).toBe(0);
    const all = upkeep(['--home', home, 'settings', 'get']);
    expect(all.stdout).toContain('github_token = (set)');
    expect(all.stdout).not.toContain('ghp_verysecret');
    expect(upkeep(['--home', home, 'settings', 'get', 'nope']).status).toBe(2);
  });

  it('serve prints the panel URL with its token on a line of its own and answers the API', async () => {
    const home = tempDir();
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'bin', 'upkeep.mjs'), '--home', home, 'serve', '--port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const match = /^(http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+)$/m.exec(out);
          if (match?.[1]) resolve(match[1]);
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
      });
      const url = new URL(line);
      const token = url.hash.slice('#token='.length);
      const tokenFile = readFileSync(path.join(home, 'http-token'), 'utf8').trim();
      expect(token).toBe(tokenFile);
      const res = await fetch(new URL('/api/getInfo', url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: '{}',
      });
      expect(((await res.json()) as { result: { host: string } }).result.host).toBe('http');
      expect(
        (
          await fetch(new URL('/api/getInfo', url), {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: '{}',
          })
        ).status,
      ).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
