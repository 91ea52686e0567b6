import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName } from '../../shared/contract';
import { addHost } from '../../electron/core/remote/hosts';
import { connectHost } from '../../electron/core/remote/pool';
import { FakeGitHub } from '../fixtures/servers';
import { startSshd, type Sshd } from '../fixtures/servers/sshd';
import { buildCli, upkeepAsync } from '../helpers/cli';
import {
  UPKEEP_BIN,
  addSampleReleases,
  installedVersion,
  sampleAppComponent,
  sshHost,
  userKnownHosts,
  withLocalUpkeep,
} from '../helpers/remote';
import { tempDir } from '../helpers/temp';
import { appFiles, installApp } from '../e2e/helpers/sample-app';

/**
 * Remote hosts against a real OpenSSH server: a host key Upkeep does not know or that changed is
 * refused with the fingerprint to check and never written anywhere; a connection killed in the middle
 * of an update leaves the update running to its end on the host, and the next connection shows it.
 */
describe('remote hosts: host keys and dropped connections (real sshd)', () => {
  let sshd: Sshd;
  let gh: FakeGitHub;
  let local: string;
  let remote: string;

  beforeAll(async () => {
    buildCli();
    sshd = await startSshd();
    gh = await FakeGitHub.start();
    local = tempDir('upkeep-local-');
    remote = tempDir('upkeep-remote-');
  }, 60_000);

  afterAll(async () => {
    await sshd?.stop();
    await gh?.close();
  });

  const testHost = async (name: string) => {
    const r = await upkeepAsync(['--home', local, 'host', 'test', name, '--json']);
    return {
      code: r.code,
      error: (r.json() as { error: { code: string; message: string; details: Record<string, unknown> } }).error,
    };
  };

  it('an unknown host key is refused with HOST_KEY_UNKNOWN and the fingerprint; known_hosts is left untouched', async () => {
    const empty = sshd.file('known_hosts_empty', '');
    const before = statSync(empty).mtimeMs;
    const userFile = userKnownHosts();
    await addHost(local, sshHost(sshd, 'stranger', remote, { known_hosts: empty }));
    const { code, error } = await testHost('stranger');
    expect(code).toBe(1);
    expect(error.code).toBe('HOST_KEY_UNKNOWN');
    expect(error.details.fingerprint).toBe(sshd.fingerprint);
    expect(error.message).toContain(sshd.fingerprint);
    expect(error.message).toMatch(/nothing was written/);
    expect(readFileSync(empty, 'utf8')).toBe('');
    expect(statSync(empty).mtimeMs).toBe(before);
    expect(userKnownHosts()).toBe(userFile);
    // --on a host with an unknown key runs nothing there either.
    const on = await upkeepAsync(['--home', local, '--on', 'stranger', 'component', 'list', '--json']);
    expect(on.code).toBe(1);
    expect(on.json()).toMatchObject({ error: { code: 'HOST_KEY_UNKNOWN' } });
    expect(readFileSync(empty, 'utf8')).toBe('');
  }, 60_000);

  it('a changed host key is refused with HOST_KEY_CHANGED and the fingerprint the host now shows', async () => {
    const other = sshd.newKey('old_host_key');
    const [type, blob] = other.public.split(' ');
    const stale = sshd.file('known_hosts_stale', `[127.0.0.1]:${sshd.port} ${type} ${blob}\n`);
    const content = readFileSync(stale, 'utf8');
    await addHost(local, sshHost(sshd, 'moved', remote, { known_hosts: stale }));
    const { code, error } = await testHost('moved');
    expect(code).toBe(1);
    expect(error.code).toBe('HOST_KEY_CHANGED');
    expect(error.details.fingerprint).toBe(sshd.fingerprint);
    expect(error.message).toContain(sshd.fingerprint);
    expect(readFileSync(stale, 'utf8')).toBe(content);
  }, 60_000);

  it('a key the host does not accept is HOST_AUTH_FAILED; a closed port HOST_UNREACHABLE; no Upkeep there says so', async () => {
    const stranger = sshd.newKey('unauthorized_key');
    await addHost(local, sshHost(sshd, 'locked', remote, { identity: stranger.private }));
    expect((await testHost('locked')).error.code).toBe('HOST_AUTH_FAILED');
    await addHost(local, sshHost(sshd, 'down', remote, { port: 1 }));
    expect((await testHost('down')).error).toMatchObject({
      code: 'HOST_UNREACHABLE',
      message: expect.stringContaining('refused'),
    });
    await addHost(local, sshHost(sshd, 'bare', remote, { remote_upkeep: '/nonexistent/bin/upkeep' }));
    expect((await testHost('bare')).error).toMatchObject({
      code: 'HOST_UNREACHABLE',
      details: { reason: 'remote_upkeep_missing' },
    });
  }, 60_000);

  it('the ssh client killed mid-update: the update runs to its end on the host, and a new connection shows the outcome', async () => {
    const files = tempDir('upkeep-remote-files-');
    const folder = path.join(files, 'slow');
    installApp(folder, '1.0.0');
    addSampleReleases(gh, 'slow', appFiles);
    // The health check takes a few seconds, then passes: the connection is killed while it runs.
    const marker = path.join(files, 'health-ran');
    const health = [
      process.execPath,
      '-e',
      `setTimeout(() => { require('fs').writeFileSync(${JSON.stringify(marker)}, 'ok'); }, 4000)`,
    ];
    await withLocalUpkeep(remote, async (c) => {
      await c.call('setSettings', { patch: { github_api_base: gh.apiBase, min_free_space_mb: 1 } });
      await c.call('addComponents', { components: { slow: sampleAppComponent(gh, 'slow', folder, health) } });
    });
    const host = sshHost(sshd, 'flaky', remote);
    await addHost(local, host);
    const connection = connectHost(host);
    const events: EventName[] = [];
    let killed = false;
    connection.onEvent((event, payload) => {
      events.push(event);
      // Killed the moment the health check starts: the new version is in place, not yet confirmed.
      if (!killed && event === 'update_progress' && (payload as { step?: string }).step === 'health') {
        killed = true;
        process.kill(connection.pid as number, 'SIGKILL');
      }
    });
    await connection.connect();
    const sshPid = connection.pid;
    const update = connection.call('updateComponents', { ids: ['slow'] });
    await expect(update).rejects.toMatchObject({ code: 'HOST_DISCONNECTED' });
    expect(killed).toBe(true);
    expect(connection.state).toBe('disconnected');
    expect(events).toContain('update_progress');
    // Reconnect on demand (a new ssh) and wait for the outcome the host reports.
    let entries: { component: string; status: string; to: string | null }[] = [];
    for (let i = 0; i < 60; i++) {
      entries = (await connection.call('listHistory', { component: 'slow' })).entries as typeof entries;
      if (entries.length > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(connection.pid).not.toBe(sshPid);
    expect(entries[0]).toMatchObject({ component: 'slow', status: 'succeeded', to: '1.1.0' });
    expect(readFileSync(marker, 'utf8')).toBe('ok');
    expect(installedVersion(folder)).toBe('1.1.0');
    const status = await connection.call('getStatus', {});
    expect(JSON.stringify(status)).toContain('slow');
    await connection.close();
    expect(connection.state).toBe('idle');
  }, 120_000);

  it('serve --stdio told to go mid-update (stdin ended, SIGHUP, its stdout closed): it finishes the update, then exits 0', async () => {
    const files = tempDir('upkeep-stdio-files-');
    const home = tempDir('upkeep-stdio-home-');
    const folder = path.join(files, 'hup');
    installApp(folder, '1.0.0');
    addSampleReleases(gh, 'hup', appFiles);
    const health = [process.execPath, '-e', 'setTimeout(() => console.log("still healthy"), 3000)'];
    await withLocalUpkeep(home, async (c) => {
      await c.call('setSettings', { patch: { github_api_base: gh.apiBase, min_free_space_mb: 1 } });
      await c.call('addComponents', { components: { hup: sampleAppComponent(gh, 'hup', folder, health) } });
    });
    const child = spawn(process.execPath, [UPKEEP_BIN, 'serve', '--stdio', '--data-dir', home], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    let buffered = '';
    let hungUp = false;
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      if (!hungUp && buffered.includes('"step":"health"')) {
        hungUp = true;
        // Everything a vanished client and its ssh session do at once.
        child.stdin.end();
        child.kill('SIGHUP');
        child.stdout.destroy();
        child.stderr.destroy();
      }
    });
    child.stdin.write(
      `${JSON.stringify({ type: 'request', id: '1', method: 'updateComponents', params: { ids: ['hup'] } })}\n`,
    );
    const { code, signal } = await exited;
    expect(hungUp).toBe(true);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(installedVersion(folder)).toBe('1.1.0');
    const entries = await withLocalUpkeep(
      home,
      async (c) => (await c.call('listHistory', { component: 'hup' })).entries,
    );
    expect(entries[0]).toMatchObject({ component: 'hup', status: 'succeeded', to: '1.1.0' });
  }, 120_000);
});
