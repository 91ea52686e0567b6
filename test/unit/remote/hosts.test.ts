import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { invokeMethod, type MethodName, type RequestOf, type ResponseOf } from '../../../shared/contract';
import { createApi } from '../../../electron/core/api';
import { hostsFile } from '../../../electron/core/remote/hosts';
import { HostPool } from '../../../electron/core/remote/pool';
import { sshArgv } from '../../../electron/core/remote/ssh';
import { createServices } from '../../../electron/core/services';
import { buildCli } from '../../helpers/cli';
import { UPKEEP_BIN } from '../../helpers/remote';
import { tempDir } from '../../helpers/temp';

function engine(home: string) {
  const api = createApi(createServices({ home, host: 'cli' }));
  return <M extends MethodName>(method: M, request: RequestOf<M>) =>
    invokeMethod(api, method, request, { initiatedBy: 'cli', readOnly: false }) as Promise<ResponseOf<M>>;
}

describe('the host registry (hosts.json) and the ssh command', () => {
  it('adds, lists and removes hosts; refuses a duplicate and an unknown name with stable codes', async () => {
    const home = tempDir();
    const call = engine(home);
    expect((await call('listHosts', {})).hosts).toEqual([]);
    await call('addHost', {
      name: 'pi',
      ssh: 'pi@raspberrypi.local',
      port: 2222,
      identity: '/home/me/.ssh/id_ed25519',
    });
    await expect(call('addHost', { name: 'pi', ssh: 'x@y' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await call('addHost', { name: 'pi', ssh: 'pi@10.0.0.5', replace: true });
    const { hosts } = await call('listHosts', {});
    expect(hosts).toEqual([{ name: 'pi', ssh: 'pi@10.0.0.5', argv: sshArgv({ name: 'pi', ssh: 'pi@10.0.0.5' }) }]);
    expect(statSync(hostsFile(home)).mode & 0o777).toBe(0o600);
    await expect(call('removeHost', { name: 'vps' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { kind: 'host' },
    });
    await call('removeHost', { name: 'pi' });
    expect((await call('listHosts', {})).hosts).toEqual([]);
  });

  it('refuses what could become an ssh option or a second command', async () => {
    const call = engine(tempDir());
    const refused = [
      { name: 'a', ssh: '-oProxyCommand=touch /tmp/pwned@x' },
      { name: 'a', ssh: 'user@-oProxyCommand=x' },
      { name: 'a', ssh: 'no-at-sign' },
      { name: 'a', ssh: 'u@h; rm -rf /' },
      { name: '-a', ssh: 'u@h' },
      { name: 'a', ssh: 'u@h', identity: 'relative/key' },
      { name: 'a', ssh: 'u@h', known_hosts: '/tmp/k\nProxyCommand x' },
      { name: 'a', ssh: 'u@h', remote_upkeep: 'upkeep\nreboot' },
      { name: 'a', ssh: 'u@h', port: 70000 },
      // `local` is this computer in routed calls and rollouts.
      { name: 'local', ssh: 'u@h' },
      { name: 'LOCAL', ssh: 'u@h' },
    ];
    for (const request of refused) {
      await expect(call('addHost', request), JSON.stringify(request)).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
    }
  });

  it('a damaged hosts.json is INVALID_CONFIG naming the file, and is never overwritten', async () => {
    const home = tempDir();
    const call = engine(home);
    writeFileSync(hostsFile(home), '{"version":1,"hosts":[{"name":"pi"');
    const before = readFileSync(hostsFile(home), 'utf8');
    await expect(call('listHosts', {})).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining(hostsFile(home)),
    });
    await expect(call('addHost', { name: 'vps', ssh: 'root@vps' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    expect(readFileSync(hostsFile(home), 'utf8')).toBe(before);
  });

  it('sshArgv: the system ssh in batch mode, strict host keys, never updating known_hosts, options before "--"', () => {
    const argv = sshArgv({
      name: 'pi',
      ssh: 'pi@pi.lan',
      port: 2222,
      identity: '/k/id',
      known_hosts: '/k/known',
      remote_upkeep: 'node /opt/upkeep/bin/upkeep.mjs',
    });
    expect(argv.slice(0, 2)).toEqual(['ssh', '-T']);
    const dash = argv.indexOf('--');
    expect(argv.slice(dash)).toEqual(['--', 'pi@pi.lan', 'node /opt/upkeep/bin/upkeep.mjs serve --stdio']);
    const options = argv.slice(0, dash).join(' ');
    for (const o of [
      '-o BatchMode=yes',
      '-p 2222',
      '-i /k/id',
      '-o UserKnownHostsFile=/k/known',
      '-o StrictHostKeyChecking=yes',
      '-o UpdateHostKeys=no',
    ])
      expect(options).toContain(o);
    expect(sshArgv({ name: 'a', ssh: 'u@h' }).at(-1)).toBe('upkeep serve --stdio');
  });
});

describe('HostPool', () => {
  beforeAll(() => buildCli());

  it('keeps one connection per host, opens a new one when its entry changes, and lists each state', async () => {
    const home = tempDir();
    const remote = tempDir();
    const call = engine(home);
    await call('addHost', { name: 'one', ssh: 'u@h' });
    // A local child instead of ssh: the pool's bookkeeping, not the transport, is under test here.
    const pool = new HostPool({
      home,
      argv: () => [process.execPath, UPKEEP_BIN, 'serve', '--stdio', '--data-dir', remote],
    });
    try {
      expect(() => pool.get('two')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
      const first = pool.get('one');
      expect(pool.get('one')).toBe(first);
      expect(pool.list()).toEqual([{ name: 'one', ssh: 'u@h', state: 'idle', hello: null }]);
      expect((await first.call('getInfo', {})).home).toBe(remote);
      expect(pool.list()[0]).toMatchObject({ state: 'connected', hello: { protocol: 1 } });
      await call('addHost', { name: 'one', ssh: 'u@other', replace: true });
      const second = pool.get('one');
      expect(second).not.toBe(first);
      expect(pool.list()[0]).toMatchObject({ ssh: 'u@other', state: 'idle' });
    } finally {
      await pool.closeAll();
    }
  });
});
