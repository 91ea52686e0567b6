// Inputs that answered INTERNAL, or were taken without a word, each through the entry point a
// hostile user would use: the real HTTP host, the built CLI, `npm start`. Every answer must be a
// stable code with a message that says what to do, and nothing may be stored on the way.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorShape } from '../../shared/errors';
import { serveHeadless } from '../../electron/http/serve';
import type { HttpHost } from '../../electron/http/server';
import { buildCli, repoRoot, upkeep } from '../helpers/cli';
import { tempDir } from '../helpers/temp';

let host: HttpHost;
let home: string;
let token: string;

beforeAll(async () => {
  buildCli();
  // Backups are written by a worker thread from a bundle of its own.
  const worker = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs'), 'backup-worker'], {
    encoding: 'utf8',
  });
  if (worker.status !== 0) throw new Error(`backup worker build failed: ${worker.stderr}`);
  home = path.join(tempDir('upkeep-inputs-'), 'home');
  host = await serveHeadless({ home, port: 0, scheduler: false, firstRun: false });
  token = readFileSync(path.join(home, 'http-token'), 'utf8').trim();
});
afterAll(async () => {
  await host?.close();
});

interface Answer {
  status: number;
  body: { result?: unknown; error?: ErrorShape };
}

/** A raw request: the path goes on the wire exactly as written (fetch would re-encode it). */
function raw(options: {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      ...(options.headers ?? {}),
    };
    const req = http.request(
      {
        agent: false,
        host: '127.0.0.1',
        port: host.port,
        path: options.path,
        method: options.method ?? 'POST',
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let body: Answer['body'];
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'];
          } catch {
            body = {};
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body ?? '{}');
  });
}

const call = (method: string, request: unknown) => raw({ path: `/api/${method}`, body: JSON.stringify(request) });
const componentIds = async (): Promise<string[]> =>
  ((await call('listComponents', {})).body.result as { components: { id: string }[] }).components.map((c) => c.id);

/** `upkeep --json …` and its error, if any. */
function cli(
  args: string[],
  options: { input?: string } = {},
): { status: number | null; error?: ErrorShape; stderr: string; stdout: string } {
  const res = upkeep(['--home', path.join(tempDir('upkeep-inputs-cli-'), 'home'), '--json', ...args], options);
  let error: ErrorShape | undefined;
  try {
    error = (JSON.parse(res.stdout) as { error?: ErrorShape }).error;
  } catch {
    error = undefined;
  }
  return { status: res.status, error, stderr: res.stderr, stdout: res.stdout };
}

function writeTemp(name: string, text: string): string {
  const file = path.join(tempDir('upkeep-inputs-file-'), name);
  writeFileSync(file, text);
  return file;
}

/** A "billion laughs": 9^7 strings from 55 aliases, used as a component's name. */
const LAUGHS = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...['b', 'c', 'd', 'e', 'f', 'g'].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdef'[i]}`).join(',')}]`),
];
const ALIAS_BOMB = [
  ...LAUGHS,
  'components:',
  '  app:',
  '    type: always_current',
  '    current: "1.0"',
  '    name: *g',
  '',
].join('\n');
const OCTOPRINT_BOMB = [
  ...LAUGHS,
  'plugins:',
  '  softwareupdate:',
  '    checks:',
  '      app:',
  '        type: always_current',
  '        name: *g',
  '',
].join('\n');

describe('HTTP host: malformed %-escapes in the path are a 400, not a 500', () => {
  it('/api/%E0%A4%A and its kin: INVALID_REQUEST, and the host answers on', async () => {
    for (const p of ['/api/%E0%A4%A', '/api/%', '/api/%zz', '/api/getInfo%E0', '/api/%C0%AF']) {
      const res = await raw({ path: p });
      expect(res.status, p).toBe(400);
      expect(res.body.error?.code, p).toBe('INVALID_REQUEST');
      expect(res.body.error?.message, p).toMatch(/%-escape/);
    }
    const page = await raw({ path: '/%E0%A4%A', method: 'GET' });
    expect(page.status).toBe(400);
    expect((await call('getInfo', {})).status).toBe(200);
  });
});

describe('HTTP host: only application/json is JSON', () => {
  it('types that merely start with application/json are refused (415); parameters and case are fine', async () => {
    for (const type of [
      'application/jsonfoo',
      'application/json5',
      'application/jsonp',
      'application/json-seq',
      'application/json/x',
      'application/jsonfoo; charset=utf-8',
    ]) {
      const res = await raw({ path: '/api/getInfo', headers: { 'content-type': type } });
      expect(res.status, type).toBe(415);
      expect(res.body.error?.code, type).toBe('INVALID_REQUEST');
    }
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/json ; charset=UTF-8',
    ]) {
      expect((await raw({ path: '/api/getInfo', headers: { 'content-type': type } })).status, type).toBe(200);
    }
  });
});

describe('YAML alias bombs and self-containing aliases are INVALID_CONFIG', () => {
  it('the CLI: component add and import octoprint exit 2 with INVALID_CONFIG', () => {
    const bomb = writeTemp('bomb.yaml', ALIAS_BOMB);
    const added = cli(['component', 'add', '--file', bomb]);
    expect(added.status, added.stderr).toBe(2);
    expect(added.error?.code).toBe('INVALID_CONFIG');
    expect(added.error?.message).toMatch(/aliases/);
    const octo = writeTemp('config.yaml', OCTOPRINT_BOMB);
    const imported = cli(['import', 'octoprint', octo]);
    expect(imported.status, imported.stdout).toBe(2);
    expect(imported.error?.code).toBe('INVALID_CONFIG');
    const cycle = writeTemp(
      'cycle.yaml',
      'components:\n  app: &x\n    type: always_current\n    current: "1.0"\n    extra: [*x]\n',
    );
    const cyclic = cli(['component', 'add', '--file', cycle]);
    expect(cyclic.status, cyclic.stdout).toBe(2);
    expect(cyclic.error?.code).toBe('INVALID_CONFIG');
    expect(cyclic.error?.message).toMatch(/contains itself/);
  });

  it('the HTTP host: addComponents and importOctoprint answer 400 INVALID_CONFIG; nothing is added', async () => {
    for (const text of [ALIAS_BOMB, 'components: &x\n  app: *x\n', '&x [*x]']) {
      const res = await call('addComponents', { text });
      expect(res.status, text.slice(0, 40)).toBe(400);
      expect(res.body.error?.code, text.slice(0, 40)).toBe('INVALID_CONFIG');
    }
    const octo = await call('importOctoprint', { text: OCTOPRINT_BOMB });
    expect(octo.status).toBe(400);
    expect(octo.body.error?.code).toBe('INVALID_CONFIG');
    expect(await componentIds()).toEqual([]);
  });

  it('a drop-in file with a bomb is a listed problem that names the aliases; other commands go on', () => {
    const dir = path.join(tempDir('upkeep-inputs-dropin-'), 'home');
    mkdirSync(path.join(dir, 'components.d'), { recursive: true });
    writeFileSync(path.join(dir, 'components.d', 'bomb.yaml'), ALIAS_BOMB);
    const res = upkeep(['--home', dir, '--json', 'component', 'list']);
    expect(res.status, res.stderr).toBe(0);
    const { problems } = res.json() as { problems: { file: string; code: string; message: string }[] };
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'bomb.yaml',
        code: 'INVALID_CONFIG',
        message: expect.stringMatching(/aliases/) as unknown,
      }),
    ]);
  });
});

describe('upkeep serve on a port it cannot use', () => {
  it('a port in use: exit 2, a message naming the port and --port, no stack, not INTERNAL', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const res = upkeep([
        '--home',
        path.join(tempDir('upkeep-inputs-serve-'), 'home'),
        'serve',
        '--port',
        String(port),
      ]);
      expect(res.status, res.stderr).toBe(2);
      expect(res.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(res.stderr).toContain('--port');
      expect(res.stderr).toContain('[INVALID_REQUEST]');
      expect(res.stderr).not.toMatch(/INTERNAL|\n\s+at /);
      const json = upkeep([
        '--home',
        path.join(tempDir('upkeep-inputs-serve-'), 'home'),
        '--json',
        'serve',
        '--port',
        String(port),
      ]);
      expect(json.status).toBe(2);
      expect((json.json() as { error: ErrorShape }).error).toMatchObject({
        code: 'INVALID_REQUEST',
        details: { port, host: '127.0.0.1' },
      });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('an address that is not this machine: exit 2 naming the host and --host', () => {
    const res = upkeep([
      '--home',
      path.join(tempDir('upkeep-inputs-serve-'), 'home'),
      'serve',
      '--host',
      '203.0.113.7',
      '--port',
      '0',
    ]);
    expect(res.status, res.stderr).toBe(2);
    expect(res.stderr).toContain('203.0.113.7 is not an address of this machine');
    expect(res.stderr).toContain('--host');
  });
});

/**
 * Root reads every folder whatever its mode: as root the CLI runs as `nobody` (setpriv), so the
 * folder is really unreadable to it. Skipped only as root without setpriv.
 */
const ROOT = process.getuid?.() === 0;
const SETPRIV = spawnSync('setpriv', ['--version']).status === 0;
const NOBODY = 65534;

describe('backup create on a folder it cannot read', () => {
  it.skipIf(ROOT && !SETPRIV)(
    'FORBIDDEN naming the unreadable path (the folder itself, or a folder inside); no backup is left behind',
    () => {
      const base = tempDir('upkeep-inputs-unreadable-');
      chmodSync(base, 0o755);
      const dataHome = path.join(base, 'home');
      const folder = path.join(base, 'app');
      mkdirSync(path.join(folder, 'secret'), { recursive: true });
      writeFileSync(path.join(folder, 'secret', 'key'), 'k');
      writeFileSync(path.join(folder, 'index.txt'), 'x');
      const config = writeTemp(
        'app.yaml',
        `components:\n  app:\n    type: always_current\n    current: "1.0"\n    folder: ${folder}\n`,
      );
      expect(upkeep(['--home', dataHome, 'component', 'add', '--file', config]).status).toBe(0);
      if (ROOT)
        for (const p of [
          dataHome,
          ...readdirSync(dataHome, { recursive: true, encoding: 'utf8' }).map((n) => path.join(dataHome, n)),
        ])
          chownSync(p, NOBODY, NOBODY);
      const run = (args: string[]) => {
        const argv = [path.join(repoRoot, 'bin', 'upkeep.mjs'), '--home', dataHome, '--json', ...args];
        const res = ROOT
          ? spawnSync(
              'setpriv',
              [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, ...argv],
              { encoding: 'utf8', cwd: base, timeout: 60_000 },
            )
          : spawnSync(process.execPath, argv, { encoding: 'utf8', cwd: base, timeout: 60_000 });
        return {
          status: res.status,
          stderr: res.stderr,
          body: JSON.parse(res.stdout || '{}') as { error?: ErrorShape },
        };
      };
      for (const unreadable of [path.join(folder, 'secret'), folder]) {
        chmodSync(unreadable, ROOT ? 0o700 : 0o000);
        try {
          const res = run(['backup', 'create', 'app']);
          expect(res.status, res.stderr).toBe(1);
          expect(res.body.error?.code).toBe('FORBIDDEN');
          expect(res.body.error?.details).toEqual({ path: unreadable });
          expect(res.body.error?.message).toContain(`Cannot read ${unreadable}: permission denied`);
          const listed = run(['backup', 'list', 'app']);
          expect(listed.status, listed.stderr).toBe(0);
          expect(listed.body).toMatchObject({ backups: [], problems: [] });
        } finally {
          chmodSync(unreadable, 0o755);
        }
      }
      // Readable again: the same command succeeds.
      const ok = run(['backup', 'create', 'app']);
      expect(ok.status, JSON.stringify(ok.body)).toBe(0);
    },
    120_000,
  );
});

describe('settings: github_api_base must be an http(s) URL', () => {
  const BAD = [
    'notaurl',
    'api.github.com',
    'file:///etc/passwd',
    'ftp://example.com/',
    'javascript:alert(1)',
    'gopher://x',
  ];

  it('refused over the CLI (exit 2) and HTTP (400), naming the key; the stored value is untouched', async () => {
    for (const value of BAD) {
      const res = cli(['settings', 'set', 'github_api_base', value]);
      expect(res.status, value).toBe(2);
      expect(res.error?.code, value).toBe('INVALID_REQUEST');
      expect(res.error?.message, value).toMatch(/github_api_base: must be an http\(s\) URL/);
      const http400 = await call('setSettings', { patch: { github_api_base: value } });
      expect(http400.status, value).toBe(400);
      expect(http400.body.error?.details?.fields, value).toEqual(['patch.github_api_base']);
    }
    const settings = ((await call('getSettings', {})).body.result as { settings: { github_api_base: string } })
      .settings;
    expect(settings.github_api_base).toBe('https://api.github.com');
    for (const value of ['http://127.0.0.1:8080/api/v3', 'https://ghe.example.com/api/v3']) {
      expect((await call('setSettings', { patch: { github_api_base: value } })).status, value).toBe(200);
    }
  });

  it('a hand-edited config.json with a non-URL value is read as the default, never used', () => {
    const dir = path.join(tempDir('upkeep-inputs-edited-'), 'home');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ settings: { github_api_base: 'file:///etc/passwd', backup_max_per_component: 50 } }),
    );
    const res = upkeep(['--home', dir, '--json', 'settings', 'get']);
    expect(res.status, res.stderr).toBe(0);
    expect((res.json() as { settings: Record<string, unknown> }).settings).toMatchObject({
      github_api_base: 'https://api.github.com',
      backup_max_per_component: 50,
    });
  });
});

describe('component configs: a NUL character and a __proto__ key are refused, never stored or dropped', () => {
  const base = { type: 'always_current', current: '1.0' };

  it('NUL in folder (or any path or argv item): INVALID_CONFIG naming the field, over HTTP and the CLI', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, folder: '/srv/app\u0000/../../etc' }, 'components.app.folder'],
      [{ ...base, folder: '/srv/app', restart: ['systemctl', 'restart', 'app\u0000x'] }, 'components.app.restart.2'],
      [{ ...base, folder: '/srv/app', backup: { config: ['.env\u0000'] } }, 'components.app.backup.config.0'],
    ];
    for (const [config, field] of cases) {
      const added = await call('addComponents', { components: { app: config } });
      expect(added.status, field).toBe(400);
      expect(added.body.error?.code, field).toBe('INVALID_CONFIG');
      expect(added.body.error?.details?.fields, field).toEqual([field]);
      expect(added.body.error?.message, field).toContain('NUL');
      const text = await call('addComponents', { text: JSON.stringify({ components: { app: config } }) });
      expect(text.body.error?.code, field).toBe('INVALID_CONFIG');
      const viaCli = cli([
        'component',
        'add',
        '--file',
        writeTemp('nul.json', JSON.stringify({ components: { app: config } })),
      ]);
      expect(viaCli.status, field).toBe(2);
      expect(viaCli.error?.details?.fields, field).toEqual([field]);
    }
    expect((await call('addComponents', { components: { app: { ...base, folder: '/srv/app' } } })).status).toBe(200);
    const updated = await call('updateComponent', { id: 'app', config: { ...base, folder: '/srv/\u0000' } });
    expect(updated.body.error?.code).toBe('INVALID_CONFIG');
    expect(
      ((await call('getComponent', { id: 'app' })).body.result as { config: { folder: string } }).config.folder,
    ).toBe('/srv/app');
    expect((await call('removeComponent', { id: 'app' })).status).toBe(200);
  });

  it('__proto__ inside a component config: refused naming it, from YAML, JSON text, a mapping and updateComponent', async () => {
    const yaml =
      'components:\n  app:\n    type: always_current\n    current: "1.0"\n    __proto__: { polluted: true }\n';
    const nested =
      'components:\n  app:\n    type: always_current\n    current: "1.0"\n    backup:\n      __proto__: { config: [x] }\n';
    for (const [text, field] of [
      [yaml, 'components.app.__proto__'],
      [nested, 'components.app.backup.__proto__'],
    ] as const) {
      const res = await call('addComponents', { text });
      expect(res.status, field).toBe(400);
      expect(res.body.error?.code, field).toBe('INVALID_CONFIG');
      expect(res.body.error?.details?.fields, field).toEqual([field]);
      const viaCli = cli(['component', 'add', '--file', writeTemp('proto.yaml', text)]);
      expect(viaCli.status, field).toBe(2);
      expect(viaCli.error?.message, field).toContain('"__proto__" is not allowed');
    }
    // JSON bodies: own __proto__ keys (JSON.parse keeps them), caught before the schema drops them.
    const mapping = await raw({
      path: '/api/addComponents',
      body: '{"components":{"app":{"type":"always_current","current":"1.0","__proto__":{"folder":"/"}}}}',
    });
    expect(mapping.status).toBe(400);
    expect(mapping.body.error).toMatchObject({
      code: 'INVALID_REQUEST',
      details: { fields: ['components.app.__proto__'] },
    });
    expect((await call('addComponents', { components: { app: base } })).status).toBe(200);
    const update = await raw({
      path: '/api/updateComponent',
      body: '{"id":"app","config":{"type":"always_current","current":"2.0","__proto__":{"x":1}}}',
    });
    expect(update.body.error).toMatchObject({ code: 'INVALID_REQUEST', details: { fields: ['config.__proto__'] } });
    expect(
      ((await call('getComponent', { id: 'app' })).body.result as { config: { current: string } }).config.current,
    ).toBe('1.0');
    expect((await call('removeComponent', { id: 'app' })).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a request nested deeper than 256 levels is refused before any walk goes deeper (a 4 MiB body can nest a million)', async () => {
    const deep = `{"components":{"app":{"type":"always_current","current":"1.0","x":${'['.repeat(300_000)}${']'.repeat(300_000)}}}}`;
    const res = await raw({ path: '/api/addComponents', body: deep });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('INVALID_REQUEST');
    expect(res.body.error?.message).toContain('nested more than 256 levels');
    expect(await componentIds()).toEqual([]);
  });
});

describe('config files over the size cap are refused at once, without reading them whole', () => {
  it('component add --file /dev/zero and import octoprint /dev/zero: exit 2 naming the 1 MiB limit', () => {
    for (const args of [
      ['component', 'add', '--file', '/dev/zero'],
      ['import', 'octoprint', '/dev/zero'],
    ]) {
      const started = Date.now();
      const res = cli(args);
      expect(res.status, res.stderr).toBe(2);
      expect(res.error).toMatchObject({
        code: 'INVALID_REQUEST',
        details: { file: '/dev/zero', limit_bytes: 1024 * 1024 },
      });
      expect(res.error?.message).toContain('larger than 1 MiB');
      expect(Date.now() - started).toBeLessThan(30_000);
    }
  });

  it('stdin that passes the cap and never ends: refused as soon as the cap is passed', async () => {
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin', 'upkeep.mjs'),
        '--home',
        path.join(tempDir('upkeep-inputs-stdin-'), 'home'),
        '--json',
        'component',
        'add',
        '--file',
        '-',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stdin.on('error', () => {});
    child.stdin.write(Buffer.alloc(1024 * 1024 + 4096, 'a'));
    // stdin stays open: a reader that waits for its end never answers.
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 20_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    child.stdin.destroy();
    expect(code).toBe(2);
    expect((JSON.parse(stdout) as { error: ErrorShape }).error).toMatchObject({
      code: 'INVALID_REQUEST',
      details: { file: '-' },
    });
  }, 30_000);
});

// ---------------------------------------------------------------------------------------------
// npm start: stopping its process stops the host it started.

/** Pids whose command line is `upkeep serve` on this data directory. */
function servePids(dataHome: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1];
      if (state !== 'Z' && argv.includes('serve') && argv.includes(dataHome)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function answers(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/api/getInfo`, { method: 'POST', signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** Start `command`, wait for the panel URL it prints, and return the port. */
async function startPanel(command: string, args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(command, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, UPKEEP_HOME: '' },
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no panel URL within 60 s: ${out}`)), 60_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const match = /http:\/\/127\.0\.0\.1:(\d+)\/#token=/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited ${code} before serving: ${out}`)));
  });
  return { child, port };
}

describe('npm start: signalling its process stops the headless host it started', () => {
  const cases: [string, NodeJS.Signals][] = [
    ['node scripts/start.mjs', 'SIGTERM'],
    ['node scripts/start.mjs', 'SIGINT'],
    ['node scripts/start.mjs', 'SIGHUP'],
    ['node scripts/start.mjs', 'SIGKILL'],
    ['npm start', 'SIGTERM'],
  ];
  for (const [how, signal] of cases) {
    it(`${how}, then ${signal} to it: the host stops answering and its process ends`, async () => {
      const dataHome = path.join(tempDir('upkeep-inputs-start-'), 'home');
      const args = ['--headless', '--home', dataHome, '--port', '0'];
      const { child, port } =
        how === 'npm start'
          ? await startPanel('npm', ['start', '--silent', '--', ...args])
          : await startPanel(process.execPath, [path.join(repoRoot, 'scripts', 'start.mjs'), ...args]);
      const hosts = servePids(dataHome);
      try {
        expect(hosts).toHaveLength(1);
        expect(await answers(port)).toBe(true);
        child.kill(signal);
        expect(await waitFor(async () => !(await answers(port)), 15_000), `port ${port} still answers`).toBe(true);
        expect(await waitFor(() => servePids(dataHome).length === 0, 15_000), 'the host process is still running').toBe(
          true,
        );
      } finally {
        for (const pid of servePids(dataHome)) process.kill(pid, 'SIGKILL');
        child.kill('SIGKILL');
      }
      expect(existsSync(dataHome)).toBe(true);
    }, 120_000);
  }
});
