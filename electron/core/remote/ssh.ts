import { spawn } from 'node:child_process';
import { UpkeepError } from '../../../shared/errors';
import type { HostConfig } from '../../../shared/schemas/host';
import { lastLines, type ChildFailure } from './stdio-connection';

export const DEFAULT_REMOTE_UPKEEP = 'upkeep';

/**
 * The system's OpenSSH client, so the user's keys, agent, ~/.ssh/config and known_hosts apply and no
 * port opens on the host. Host keys are only ever checked: StrictHostKeyChecking=yes refuses an
 * unknown or changed key, UpdateHostKeys=no keeps ssh from adding keys; Upkeep never writes known_hosts.
 * BatchMode: no prompt for a password or passphrase (a key or the agent must do).
 * Reuse: one ssh process per host stays open for as long as its connection is used (the pool keeps it).
 */
export function sshArgv(
  host: HostConfig,
  options: { command?: string; verbose?: boolean } = {},
): [string, ...string[]] {
  return [
    'ssh',
    '-T',
    ...(options.verbose ? ['-v'] : []),
    '-o',
    'BatchMode=yes',
    ...(host.port !== undefined ? ['-p', String(host.port)] : []),
    ...(host.identity !== undefined ? ['-i', host.identity] : []),
    ...(host.known_hosts !== undefined ? ['-o', `UserKnownHostsFile=${host.known_hosts}`] : []),
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'UpdateHostKeys=no',
    '-o',
    'ConnectTimeout=15',
    '-o',
    'ServerAliveInterval=15',
    '-o',
    'ServerAliveCountMax=3',
    '--',
    host.ssh,
    options.command ?? `${host.remote_upkeep ?? DEFAULT_REMOTE_UPKEEP} serve --stdio`,
  ];
}

const FINGERPRINT = /(SHA256:[A-Za-z0-9+/]{43})/;

/** What ssh prints at -v before it checks the key: "Server host key: ssh-ed25519 SHA256:…". */
function serverKeyFrom(text: string): { fingerprint: string; key_type: string } | undefined {
  const m = /Server host key: (\S+) (SHA256:[A-Za-z0-9+/]{43})/.exec(text);
  return m ? { key_type: m[1] ?? 'unknown', fingerprint: m[2] ?? '' } : undefined;
}

/** Ask ssh (verbose, same options, a command that never runs) which key the server shows; nothing is written. */
export function probeHostKey(
  host: HostConfig,
  timeoutMs = 20_000,
): Promise<{ fingerprint: string; key_type: string } | undefined> {
  const [program, ...args] = sshArgv(host, { verbose: true, command: 'true' });
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-64 * 1024)));
    child.on('error', () => undefined);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(serverKeyFrom(stderr));
    });
  });
}

function where(host: HostConfig): string {
  const target = host.ssh.split('@')[1] ?? host.ssh;
  return host.port !== undefined ? `${target} port ${host.port}` : target;
}

/**
 * Why ssh ended before Upkeep's hello, as a stable code with what to do. The fingerprint of a refused
 * key is what ssh itself says (changed key) or shows at -v (unknown key): the user compares it with
 * the one on the server (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`) before trusting it.
 */
export async function classifySshFailure(
  host: HostConfig,
  failure: ChildFailure,
  probe = probeHostKey,
): Promise<UpkeepError> {
  const text = failure.stderr;
  const base = {
    host: host.name,
    ssh: host.ssh,
    ...(host.port !== undefined ? { port: host.port } : {}),
    ...(host.known_hosts !== undefined ? { known_hosts: host.known_hosts } : {}),
  };
  if (failure.spawnError) {
    const why =
      failure.spawnError.code === 'ENOENT'
        ? 'the ssh client is not installed (install OpenSSH)'
        : failure.spawnError.message;
    return new UpkeepError('HOST_UNREACHABLE', `Could not run ssh for "${host.name}": ${why}.`, {
      ...base,
      errno: failure.spawnError.code ?? null,
    });
  }
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for \S+ has changed/i.test(text)) {
    const fingerprint = FINGERPRINT.exec(text)?.[1] ?? null;
    return new UpkeepError(
      'HOST_KEY_CHANGED',
      `The host key of "${host.name}" (${where(host)}) is not the one in known_hosts: refused. ${fingerprint ? `The host now shows ${fingerprint}. ` : ''}This can be a reinstalled server or someone in between: compare it with the server's own key (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub there) and only then replace the old entry yourself (ssh-keygen -R).`,
      { ...base, fingerprint },
    );
  }
  if (/host key is known for|Host key verification failed/i.test(text)) {
    // A key that cannot be probed is said in the message ("its fingerprint could not be read").
    const key = await probe(host).catch(() => undefined);
    return new UpkeepError(
      'HOST_KEY_UNKNOWN',
      `The host key of "${host.name}" (${where(host)}) is not in known_hosts: refused, nothing was written. ${key ? `It shows ${key.key_type} ${key.fingerprint}. ` : 'Its fingerprint could not be read. '}Check that fingerprint against the server's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub there), then add the key yourself (ssh once by hand and answer yes) and test again.`,
      { ...base, fingerprint: key?.fingerprint ?? null, key_type: key?.key_type ?? null },
    );
  }
  if (/Permission denied|Too many authentication failures|no more authentication methods/i.test(text)) {
    return new UpkeepError(
      'HOST_AUTH_FAILED',
      `ssh reached "${host.name}" but no key was accepted for ${host.ssh}: ${lastLines(text, 2)}. Give the host's identity file, load the key in your ssh agent, or add its public half to the host's authorized_keys (no passwords: ssh runs in batch mode).`,
      base,
    );
  }
  if (failure.code === 127 || /command not found|No such file or directory/i.test(text)) {
    return new UpkeepError(
      'HOST_UNREACHABLE',
      `ssh reached "${host.name}" but could not start Upkeep there with "${host.remote_upkeep ?? DEFAULT_REMOTE_UPKEEP}": ${lastLines(text, 2) || `exit ${failure.code}`}. Install Upkeep on the host, or set the host's remote Upkeep command to the one that starts it.`,
      { ...base, reason: 'remote_upkeep_missing', exit_code: failure.code },
    );
  }
  const said = lastLines(text, 3);
  return new UpkeepError(
    'HOST_UNREACHABLE',
    `Could not reach "${host.name}" (${where(host)}) over ssh${said ? `: ${said}` : ` (exit ${failure.code ?? failure.signal ?? 'unknown'})`}. Check the address, the port and that the host is up.`,
    { ...base, exit_code: failure.code },
  );
}
