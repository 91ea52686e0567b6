import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitRemote, git, type GitRemoteFixture } from '../../fixtures/git/git-remote';
import { FakeOpenWebui } from '../../fixtures/servers/openwebui';
import { createHarness, type CheckHarness } from './harness';

let h: CheckHarness;
let work: string;
let owui: FakeOpenWebui;
const KEY = 'sk-test-admin';

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'upkeep-local-'));
  owui = await FakeOpenWebui.start({ adminKey: KEY });
  h = createHarness({ env: { ...process.env, OWUI_KEY: KEY, WRONG_KEY: 'sk-wrong' } });
});

afterAll(async () => {
  await h.close();
  await owui.close();
  rmSync(work, { recursive: true, force: true });
});

describe('git_commit (real git, local bare remote)', () => {
  let repo: GitRemoteFixture;
  beforeAll(() => {
    repo = createGitRemote('main');
  });
  afterAll(() => repo.cleanup());

  it('is current right after cloning, and sees new commits on the remote', async () => {
    h.add({ bot: { name: 'Chat Bot', type: 'git_commit', folder: repo.checkout } });
    const [current] = await h.check(['bot'], { force: true });
    expect(current?.error).toBeNull();
    expect(current?.update_available).toBe(false);
    const head = git(repo.checkout, 'rev-parse', 'HEAD');
    expect(current?.installed).toBe(head);

    repo.pushCommit('a.txt', 'a');
    const newest = repo.pushCommit('b.txt', 'b');
    const [behind] = await h.check(['bot'], { force: true });
    expect(behind).toMatchObject({ update_available: true, installed: head, latest: newest });
    expect(behind?.explanation).toBe(`2 new commits on origin/main (${head.slice(0, 7)} → ${newest.slice(0, 7)})`);
    expect(behind?.target?.commit).toBe(newest);

    git(repo.checkout, 'pull', '-q', '--ff-only');
    const [pulled] = await h.check(['bot'], { force: true });
    expect(pulled?.update_available).toBe(false);
  });

  it('a local commit ahead of the remote is not an update', async () => {
    writeFileSync(path.join(repo.checkout, 'local.txt'), 'mine');
    git(repo.checkout, 'add', 'local.txt');
    git(repo.checkout, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '-m', 'local');
    const [r] = await h.check(['bot'], { force: true });
    expect(r?.update_available).toBe(false);
    expect(r?.explanation).toContain('1 commit ahead');
  });

  it('fails with advice on a folder that is not a checkout', async () => {
    const plain = path.join(work, 'plain');
    mkdirSync(plain);
    h.add({ notgit: { type: 'git_commit', folder: plain } });
    const [r] = await h.check(['notgit'], { force: true });
    expect(r?.error?.code).toBe('CHECK_FAILED');
    expect(r?.error?.message).toContain('git checkout');
  });
});

describe('command_line (OctoPrint contract)', () => {
  function script(name: string, body: string): string {
    const file = path.join(work, name);
    writeFileSync(file, `#!/usr/bin/env node\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  }

  it('exit 0 = update available; last line remote, the line before local', async () => {
    const file = script(
      'check-update.js',
      "console.log('checking…'); console.log('1.0.0'); console.log('1.1.0'); process.exit(0);",
    );
    h.add({ cl: { type: 'command_line', command: file } });
    const [r] = await h.check(['cl'], { force: true });
    expect(r).toMatchObject({ update_available: true, installed: '1.0.0', latest: '1.1.0' });
  });

  it('exit 1 = current; argv items are not interpreted by a shell', async () => {
    const file = script(
      'no-update.js',
      "console.log(process.argv.slice(2).join('|')); console.log('2.0.0'); process.exit(1);",
    );
    h.add({ cl: { type: 'command_line', command: [file, '$(rm -rf /)', 'a b;c'] } });
    const [r] = await h.check(['cl'], { force: true });
    expect(r).toMatchObject({ update_available: false, installed: '$(rm -rf /)|a b;c', latest: '2.0.0' });
  });

  it('any other exit code is a failed check', async () => {
    const file = script('broken.js', "console.error('cannot reach server'); process.exit(3);");
    h.add({ cl: { type: 'command_line', command: `${file} --verbose` } });
    const [r] = await h.check(['cl'], { force: true });
    expect(r?.error?.code).toBe('CHECK_FAILED');
    expect(r?.error?.message).toContain('cannot reach server');
  });

  it('a missing program is reported as COMMAND_FAILED', async () => {
    h.add({ cl: { type: 'command_line', command: [path.join(work, 'nope')] } });
    const [r] = await h.check(['cl'], { force: true });
    expect(r?.error?.code).toBe('COMMAND_FAILED');
  });
});

describe('openwebui', () => {
  const plugin = (version: string) =>
    `"""\ntitle: Async Context Compression\nversion: ${version}\n"""\nclass Filter:\n    pass\n`;

  it('compares the deployed version with the local file', async () => {
    const folder = path.join(work, 'owui');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'acc.py'), plugin('1.2.0'));
    owui.deploy('async_context_compression', plugin('1.1.0'));
    h.add({
      acc: {
        type: 'openwebui',
        api_base: owui.apiBase,
        folder,
        file: 'acc.py',
        function_id: 'async_context_compression',
        api_key_env: 'OWUI_KEY',
      },
    });
    const [r] = await h.check(['acc'], { force: true });
    expect(r).toMatchObject({
      installed: '1.1.0',
      latest: '1.2.0',
      update_available: true,
      explanation: '1.2.0 > 1.1.0 by PEP 440',
    });
    expect(owui.requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);

    owui.deploy('async_context_compression', plugin('1.2.0'));
    const [same] = await h.check(['acc'], { force: true });
    expect(same?.update_available).toBe(false);
  });

  it('an id the server does not know (401 "could not find") is not deployed yet', async () => {
    writeFileSync(path.join(work, 'new.py'), plugin('0.1.0'));
    h.add({
      fresh: {
        type: 'openwebui',
        api_base: owui.apiBase,
        file: path.join(work, 'new.py'),
        function_id: 'brand_new',
        api_key_env: 'OWUI_KEY',
      },
    });
    const [r] = await h.check(['fresh'], { force: true });
    expect(r).toMatchObject({ installed: null, latest: '0.1.0', update_available: true });
    expect(r?.explanation).toContain('not deployed');
  });

  it('a wrong key is UNAUTHORIZED, a missing one says which variable to set', async () => {
    writeFileSync(path.join(work, 'k.py'), plugin('0.1.0'));
    h.add({
      wrong: {
        type: 'openwebui',
        api_base: owui.apiBase,
        file: path.join(work, 'k.py'),
        function_id: 'x',
        api_key_env: 'WRONG_KEY',
      },
      unset: {
        type: 'openwebui',
        api_base: owui.apiBase,
        file: path.join(work, 'k.py'),
        function_id: 'x',
        api_key_env: 'UNSET_KEY_VAR',
      },
    });
    const [wrong, unset] = await h.check(['wrong', 'unset'], { force: true });
    expect(wrong?.error?.code).toBe('UNAUTHORIZED');
    expect(unset?.error?.code).toBe('UNAUTHORIZED');
    expect(unset?.error?.message).toContain('UNSET_KEY_VAR');
  });
});

describe('always_current and never_current', () => {
  it('answer as OctoPrint does', async () => {
    h.add({
      a: { type: 'always_current', current_version: '3.0.0' },
      n: { type: 'never_current', local_version: '1.0.0', remote_version: '1.0.1' },
    });
    const [a, n] = await h.check(['a', 'n'], { force: true });
    expect(a).toMatchObject({ installed: '3.0.0', latest: '3.0.0', update_available: false });
    expect(n).toMatchObject({ installed: '1.0.0', latest: '1.0.1', update_available: true });
  });
});
