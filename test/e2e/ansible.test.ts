import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../fixtures/servers';
import { startSshd, type Sshd } from '../fixtures/servers/sshd';
import { buildCli, repoRoot } from '../helpers/cli';
import {
  UPKEEP_BIN,
  addSampleReleases,
  installedVersion,
  sampleAppComponent,
  withLocalUpkeep,
} from '../helpers/remote';
import { tempDir } from '../helpers/temp';
import { appFiles, installApp } from './helpers/sample-app';

const PLAYBOOK = path.join(repoRoot, 'contrib', 'ansible', 'upkeep.yml');
const HEALTHY = [process.execPath, '-e', 'process.exit(0)'];
const BROKEN = [process.execPath, '-e', 'console.error("health: port 8080 refused"); process.exit(3)'];

/** Debian's ansible-playbook against the real sshd, each "host" an Upkeep with its own data directory. */
function ansiblePlaybook(args: string[], dir: string): Promise<{ code: number | null; output: string }> {
  const env = {
    ...process.env,
    ANSIBLE_HOME: path.join(dir, 'ansible-home'),
    ANSIBLE_LOCAL_TEMP: path.join(dir, 'ansible-local'),
    ANSIBLE_REMOTE_TEMP: path.join(dir, 'ansible-remote'),
    // No ControlPersist master left behind after the test.
    ANSIBLE_SSH_ARGS: '-o ControlMaster=no',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_PIPELINING: '1',
  };
  return new Promise((resolve, reject) => {
    const child = spawn('ansible-playbook', args, { cwd: dir, env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('contrib/ansible: the playbook against a real sshd', () => {
  let sshd: Sshd;
  let gh: FakeGitHub;

  beforeAll(async () => {
    buildCli();
    sshd = await startSshd();
    gh = await FakeGitHub.start();
    addSampleReleases(gh, 'app', appFiles);
  }, 60_000);

  afterAll(async () => {
    await sshd?.stop();
    await gh?.close();
  });

  /** Hosts (in batch order), each an Upkeep data directory tracking the sample app at 1.0.0 with the given health check. */
  async function fleet(hosts: { name: string; health: string[] }[]) {
    const dir = tempDir('upkeep-ansible-');
    const inventoryHosts: Record<string, unknown> = {};
    const folders: Record<string, string> = {};
    for (const host of hosts) {
      const home = path.join(dir, `${host.name}-home`);
      const folder = path.join(dir, `${host.name}-app`);
      installApp(folder, '1.0.0');
      folders[host.name] = folder;
      await withLocalUpkeep(home, async (c) => {
        await c.call('setSettings', { patch: { github_api_base: gh.apiBase, min_free_space_mb: 1 } });
        await c.call('addComponents', { components: { app: sampleAppComponent(gh, 'app', folder, host.health) } });
      });
      inventoryHosts[host.name] = {
        ansible_host: '127.0.0.1',
        ansible_port: sshd.port,
        ansible_user: os.userInfo().username,
        ansible_ssh_private_key_file: sshd.identity,
        ansible_ssh_common_args: `-o UserKnownHostsFile=${sshd.knownHosts} -o StrictHostKeyChecking=yes`,
        upkeep_command: [process.execPath, UPKEEP_BIN, '--data-dir', home],
      };
    }
    const inventory = path.join(dir, 'inventory.yml');
    // JSON is YAML: no quoting to get wrong.
    writeFileSync(inventory, JSON.stringify({ upkeep: { hosts: inventoryHosts } }, null, 2));
    return { dir, inventory, folders };
  }

  it('updates every host, one batch at a time, when the health checks pass', async () => {
    const { dir, inventory, folders } = await fleet([
      { name: 'alpha', health: HEALTHY },
      { name: 'beta', health: HEALTHY },
    ]);
    const run = await ansiblePlaybook(['-i', inventory, PLAYBOOK, '-e', 'upkeep_serial=1'], dir);
    expect(run.output).toMatch(/alpha\s*:\s*ok=\d+\s+changed=1\s+unreachable=0\s+failed=0/);
    expect(run.output).toMatch(/beta\s*:\s*ok=\d+\s+changed=1\s+unreachable=0\s+failed=0/);
    expect(run.output).toContain('app: 1.0.0 -> 1.1.0 succeeded');
    expect(run.code).toBe(0);
    expect(installedVersion(folders.alpha as string)).toBe('1.1.0');
    expect(installedVersion(folders.beta as string)).toBe('1.1.0');
    // A second run: nothing to update, nothing changed.
    const again = await ansiblePlaybook(['-i', inventory, PLAYBOOK], dir);
    expect(again.code).toBe(0);
    expect(again.output).toMatch(/alpha\s*:\s*ok=\d+\s+changed=0\s+unreachable=0\s+failed=0/);
  }, 240_000);

  it('a failed health check fails its batch and stops the play: later batches are left alone', async () => {
    const { dir, inventory, folders } = await fleet([
      { name: 'canary', health: BROKEN },
      { name: 'rest1', health: HEALTHY },
      { name: 'rest2', health: HEALTHY },
    ]);
    const run = await ansiblePlaybook(['-i', inventory, PLAYBOOK, '-e', 'upkeep_serial=1'], dir);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/canary.*app rolled_back \(HEALTH_CHECK_FAILED/s);
    expect(run.output).toMatch(/canary\s*:\s*ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=1/);
    // The later batches never ran.
    expect(run.output).not.toMatch(/rest1\s*:\s*ok=/);
    expect(run.output).not.toMatch(/rest2\s*:\s*ok=/);
    // Rolled back on the canary (its backup restored), untouched on the others.
    expect(installedVersion(folders.canary as string)).toBe('1.0.0');
    expect(installedVersion(folders.rest1 as string)).toBe('1.0.0');
    expect(installedVersion(folders.rest2 as string)).toBe('1.0.0');
  }, 240_000);
});
