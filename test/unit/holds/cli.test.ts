import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, repoRoot, upkeep } from '../../helpers/cli';
import { tempDir } from '../../helpers/temp';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads untyped CLI JSON
type Json = any;

let server: ChildProcessWithoutNullStreams;
let apiBase: string;
const replies: string[] = [];
let waiters: (() => void)[] = [];

function nextReply(): Promise<string> {
  return new Promise((resolve) => {
    const take = () => (replies.length ? resolve(replies.shift() as string) : waiters.push(take));
    take();
  });
}

/** Publish a release on the fake GitHub (in its own process) and wait until it is there. */
async function publish(tag: string): Promise<void> {
  server.stdin.write(`acme webapp ${tag}\n`);
  expect(await nextReply()).toBe(`ok ${tag}`);
}

beforeAll(async () => {
  buildCli();
  server = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'github-process.ts')], {
    cwd: repoRoot,
  });
  let buffered = '';
  server.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      replies.push(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    }
  });
  apiBase = await nextReply();
  await publish('v1.0.0');
  await publish('v1.1.0');
});

afterAll(() => {
  server.stdin.end();
});

function setupHome(): string {
  const root = tempDir('upkeep-holds-cli-');
  const home = path.join(root, 'home');
  const file = path.join(root, 'c.yaml');
  writeFileSync(
    file,
    [
      'components:',
      '  webapp:',
      '    name: Web App',
      '    type: github_release',
      '    user: acme',
      '    repo: webapp',
      `    api_base: "${apiBase}"`,
      '    release_compare: semantic',
      '    current: 1.0.0',
      '    method: sleep_a_bit',
      '    duration: 0',
    ].join('\n'),
  );
  const added = upkeep(['--home', home, 'component', 'add', '--file', file]);
  expect(added.status, added.stderr).toBe(0);
  return home;
}

const check = (home: string, ...extra: string[]): Json => {
  const r = upkeep(['--home', home, '--json', 'check', ...extra]);
  expect(r.status, r.stderr).toBe(0);
  return (r.json() as Json).components[0];
};

describe('upkeep skip', () => {
  it('skips the latest version, reports it in check --json, and a newer release is offered again', async () => {
    const home = setupHome();
    expect(check(home)).toMatchObject({
      id: 'webapp',
      installed: '1.0.0',
      latest: '1.1.0',
      update_available: true,
      held: false,
      skipped_version: null,
    });

    const skip = upkeep(['--home', home, '--json', 'skip', 'webapp']);
    expect(skip.status, skip.stderr).toBe(0);
    expect(skip.json()).toEqual({
      id: 'webapp',
      skipped_version: '1.1.0',
      held: false,
      held_version: null,
      held_at: null,
    });

    const skipped = check(home);
    expect(skipped).toMatchObject({
      latest: '1.1.0',
      update_available: false,
      skipped_version: '1.1.0',
      explanation: '1.1.0 skipped (you chose to skip this version)',
    });
    const text = upkeep(['--home', home, 'check']);
    expect(text.stdout).toMatch(/webapp\s+1\.0\.0\s+1\.1\.0\s+stable\s+up to date \(1\.1\.0 skipped\)/);

    const refused = upkeep(['--home', home, '--json', 'update', 'webapp', '--yes']);
    expect(refused.json()).toMatchObject({
      results: [
        {
          status: 'skipped',
          error: { code: 'NO_UPDATE', message: expect.stringContaining('upkeep skip webapp --clear') },
        },
      ],
    });

    await publish('v1.2.0');
    expect(check(home, '--force')).toMatchObject({ latest: '1.2.0', update_available: true, skipped_version: null });
  });

  it('--clear undoes a skip; a bad combination is a usage error (exit 2)', () => {
    const home = setupHome();
    const { latest } = check(home) as { latest: string };
    expect(upkeep(['--home', home, 'skip', 'webapp', latest]).status).toBe(0);
    expect(check(home)).toMatchObject({ update_available: false, skipped_version: latest });
    const cleared = upkeep(['--home', home, '--json', 'skip', 'webapp', '--clear']);
    expect(cleared.json()).toMatchObject({ skipped_version: null });
    expect(check(home)).toMatchObject({ update_available: true, skipped_version: null });
    const both = upkeep(['--home', home, 'skip', 'webapp', '1.2.0', '--clear']);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/either a VERSION to skip or --clear/);
  });
});

describe('upkeep hold', () => {
  it('holds at the installed version: update without ids leaves it, by id is refused (exit 1) unless --force; --release undoes it', () => {
    const home = setupHome();
    const { latest } = check(home) as { latest: string };
    const hold = upkeep(['--home', home, '--json', 'hold', 'webapp']);
    expect(hold.status, hold.stderr).toBe(0);
    expect(hold.json()).toMatchObject({ id: 'webapp', held: true, held_version: '1.0.0' });
    expect(check(home)).toMatchObject({ held: true, update_available: true, latest });

    const all = upkeep(['--home', home, '--json', 'update', '--yes']);
    expect(all.status, all.stderr).toBe(0);
    expect(all.json()).toMatchObject({
      results: [{ id: 'webapp', status: 'skipped', error: { code: 'UPDATE_HELD' } }],
    });

    const byId = upkeep(['--home', home, '--json', 'update', 'webapp', '--yes']);
    expect(byId.status).toBe(1);
    expect(byId.json()).toMatchObject({
      results: [
        {
          id: 'webapp',
          status: 'failed',
          error: {
            code: 'UPDATE_HELD',
            message: expect.stringMatching(
              /^Web App is held at 1\.0\.0; release the hold first.*\(`upkeep hold webapp --release`\)$/,
            ),
          },
        },
      ],
    });
    expect(check(home)).toMatchObject({ installed: '1.0.0' });

    const forced = upkeep(['--home', home, '--json', 'update', 'webapp', '--force', '--yes']);
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.json()).toMatchObject({ results: [{ status: 'succeeded', from: '1.0.0', to: latest }] });

    const released = upkeep(['--home', home, '--json', 'hold', 'webapp', '--release']);
    expect(released.json()).toMatchObject({ held: false, held_version: null });
    expect(check(home)).toMatchObject({ held: false });
  });
});
