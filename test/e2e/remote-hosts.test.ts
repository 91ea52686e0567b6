import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../fixtures/servers';
import { startSshd, type Sshd } from '../fixtures/servers/sshd';
import { buildCli, repoRoot, upkeepAsync } from '../helpers/cli';
import {
  addSampleReleases,
  installedVersion,
  remoteUpkeep,
  sampleAppComponent,
  withLocalUpkeep,
} from '../helpers/remote';
import { tempDir } from '../helpers/temp';
import { appFiles, installApp } from './helpers/sample-app';

/** A health check that takes a few seconds, then passes: time to kill the connection while it runs. */
const SLOW_HEALTH = [process.execPath, '-e', 'setTimeout(() => console.log("healthy"), 4000)'];

/** The processes a process started (Linux /proc). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Keys a check result carries, recursively: what "the same output" means for JSON. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k.endsWith('_at') ? typeof v : shape(v)]));
  return value;
}

describe('remote hosts over a real OpenSSH server (CLI)', () => {
  let sshd: Sshd;
  let gh: FakeGitHub;
  let local: string;
  let remote: string;
  let webFolder: string;
  let toolFolder: string;
  let slowFolder: string;

  beforeAll(async () => {
    buildCli();
    sshd = await startSshd();
    gh = await FakeGitHub.start();
    addSampleReleases(gh, 'webapp', appFiles);
    addSampleReleases(gh, 'tool', appFiles);
    addSampleReleases(gh, 'slow', appFiles);
    local = tempDir('upkeep-local-');
    remote = tempDir('upkeep-remote-');
    const files = tempDir('upkeep-remote-files-');
    webFolder = path.join(files, 'webapp');
    toolFolder = path.join(files, 'tool');
    installApp(webFolder, '1.0.0');
    installApp(toolFolder, '1.0.0');
    slowFolder = path.join(files, 'slow');
    installApp(slowFolder, '1.0.0');
    await withLocalUpkeep(remote, async (c) => {
      await c.call('setSettings', { patch: { github_api_base: gh.apiBase, min_free_space_mb: 1 } });
      await c.call('addComponents', {
        components: {
          webapp: sampleAppComponent(gh, 'webapp', webFolder),
          tool: sampleAppComponent(gh, 'tool', toolFolder),
          slow: sampleAppComponent(gh, 'slow', slowFolder, SLOW_HEALTH),
        },
      });
    });
  }, 60_000);

  afterAll(async () => {
    await sshd?.stop();
    await gh?.close();
  });

  const cli = (args: string[]) => upkeepAsync(['--home', local, ...args]);

  it('host add, list, test and remove', async () => {
    const added = await cli([
      'host',
      'add',
      'pi',
      '--ssh',
      sshd.target,
      '--port',
      String(sshd.port),
      '--identity',
      sshd.identity,
      '--known-hosts',
      sshd.knownHosts,
      '--remote-upkeep',
      remoteUpkeep(remote),
    ]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('Added host pi');
    // The same name twice is refused, the first entry kept.
    const again = await cli(['host', 'add', 'pi', '--ssh', 'other@example.org', '--json']);
    expect(again.code).toBe(1);
    expect(again.json()).toMatchObject({ error: { code: 'ALREADY_EXISTS' } });

    const listed = await cli(['host', 'list', '--json']);
    expect(listed.code).toBe(0);
    const { hosts } = listed.json() as { hosts: { name: string; ssh: string; port: number; argv: string[] }[] };
    expect(hosts).toHaveLength(1);
    expect(hosts[0]).toMatchObject({ name: 'pi', ssh: sshd.target, port: sshd.port, known_hosts: sshd.knownHosts });
    expect(hosts[0]?.argv).toEqual(
      expect.arrayContaining([
        'ssh',
        '-T',
        'BatchMode=yes',
        'StrictHostKeyChecking=yes',
        `UserKnownHostsFile=${sshd.knownHosts}`,
      ]),
    );
    expect((await cli(['host', 'list'])).stdout).toMatch(/^pi\s+\S+@127\.0\.0\.1\s+\d+/m);

    const tested = await cli(['host', 'test', 'pi', '--json']);
    expect(tested.code).toBe(0);
    expect(tested.json()).toMatchObject({
      name: 'pi',
      ok: true,
      protocol: 1,
      upkeep: expect.stringMatching(/^\d+\.\d+\.\d+/),
      hostname: os.hostname(),
    });
    const text = await cli(['host', 'test', 'pi']);
    expect(text.stdout).toMatch(/^pi: Upkeep \d+\.\d+\.\d+ on /);

    // A second host to remove; the first stays.
    expect((await cli(['host', 'add', 'spare', '--ssh', sshd.target, '--port', String(sshd.port)])).code).toBe(0);
    const removed = await cli(['host', 'remove', 'spare']);
    expect(removed.code).toBe(0);
    expect(
      ((await cli(['host', 'list', '--json'])).json() as { hosts: { name: string }[] }).hosts.map((h) => h.name),
    ).toEqual(['pi']);
    const gone = await cli(['host', 'test', 'spare', '--json']);
    expect(gone.code).toBe(1);
    expect(gone.json()).toMatchObject({ error: { code: 'NOT_FOUND', details: { kind: 'host', name: 'spare' } } });
    // Bad input is said before anything is written.
    const bad = await cli(['host', 'add', 'x y', '--ssh', sshd.target, '--json']);
    expect(bad.code).toBe(2);
    expect(bad.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    const noKey = await cli(['host', 'add', 'nokey', '--ssh', sshd.target, '--identity', '/nonexistent/key', '--json']);
    expect(noKey.json()).toMatchObject({
      error: { code: 'INVALID_REQUEST', message: expect.stringContaining('no such file') },
    });
  }, 60_000);

  it('--on runs a command there with the same output as a local run there', async () => {
    const there = await upkeepAsync(['--data-dir', remote, 'check', '--json']);
    const viaSsh = await cli(['--on', 'pi', 'check', '--json']);
    expect(viaSsh.code).toBe(there.code);
    const a = there.json() as {
      components: { id: string; installed: string; latest: string; update_available: boolean }[];
    };
    const b = viaSsh.json() as typeof a;
    expect(shape(b)).toEqual(shape(a));
    expect(b.components.map((c) => [c.id, c.installed, c.latest, c.update_available]).sort()).toEqual([
      ['slow', '1.0.0', '1.1.0', true],
      ['tool', '1.0.0', '1.1.0', true],
      ['webapp', '1.0.0', '1.1.0', true],
    ]);
    // Text output too; and a command that only runs here is refused with --on.
    expect((await cli(['--on', 'pi', 'component', 'list'])).stdout).toContain('webapp');
    const serve = await cli(['--on', 'pi', 'serve', '--json']);
    expect(serve.code).toBe(2);
    expect(serve.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    const unknown = await cli(['--on', 'nowhere', 'check', '--json']);
    expect(unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND', details: { kind: 'host' } } });
  }, 60_000);

  it('updates over ssh: the result as a local run prints it, the run log live on stderr', async () => {
    const json = await cli(['--on', 'pi', 'update', 'webapp', '--yes', '--json']);
    expect(json.code).toBe(0);
    expect(json.json()).toMatchObject({
      results: [{ id: 'webapp', from: '1.0.0', to: '1.1.0', status: 'succeeded', backup_id: expect.any(String) }],
    });
    expect(installedVersion(webFolder)).toBe('1.1.0');

    const text = await cli(['--on', 'pi', 'update', 'tool', '--yes']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/tool\s+1\.0\.0\s+1\.1\.0\s+succeeded/);
    expect(text.stderr).toMatch(/^\[tool\] /m);
    expect(installedVersion(toolFolder)).toBe('1.1.0');
    // The host's history says so, read over ssh as locally.
    const history = await cli(['--on', 'pi', 'history', '--json']);
    expect(history.code).toBe(0);
    expect(JSON.stringify(history.json())).toContain('succeeded');
  }, 120_000);

  it('--on update with its ssh killed mid-update: the update finishes there, the command reconnects and prints the outcome', async () => {
    const child = spawn(
      process.execPath,
      [`${repoRoot}/bin/upkeep.mjs`, '--home', local, '--on', 'pi', 'update', 'slow', '--yes'],
      { env: { ...process.env, UPKEEP_HOME: '' } },
    );
    let stdout = '';
    let stderr = '';
    let killedSsh: number | undefined;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // The run has begun there (its log streams back): kill the ssh client outright.
      if (killedSsh === undefined && stderr.includes('[slow]')) {
        const ssh = childrenOf(child.pid as number).find((pid) =>
          readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('ssh\0'),
        );
        if (ssh !== undefined) {
          killedSsh = ssh;
          process.kill(ssh, 'SIGKILL');
        }
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(killedSsh).toBeDefined();
    expect(stderr).toContain('the connection to pi dropped; the update goes on there');
    expect(code).toBe(0);
    expect(stdout).toMatch(/slow\s+1\.0\.0\s+1\.1\.0\s+succeeded/);
    expect(installedVersion(slowFolder)).toBe('1.1.0');
  }, 120_000);
});
