import type { Hello } from './protocol';
import type { HostConfig } from '../../../shared/schemas/host';
import { readHostsSync, unknownHost } from './hosts';
import { classifySshFailure, sshArgv } from './ssh';
import { StdioConnection, type ConnectionState } from './stdio-connection';

export interface PooledHost {
  name: string;
  ssh: string;
  state: ConnectionState;
  /** The remote Upkeep's version and hostname, once it has answered. */
  hello: Hello | null;
}

export interface HostPoolOptions {
  /** The local data directory (its hosts.json). */
  home: string;
  /** Each stderr line of a host's child once connected (its logs); before that ssh's words go into the error. */
  onStderr?: (host: string, line: string) => void;
  /** Build the connection's argv (default: ssh with sshArgv). Tests may run a local child instead. */
  argv?: (host: HostConfig) => string[];
}

/** A connection to one registered host: ssh, its failures classified, its logs passed on once connected. */
export function connectHost(
  host: HostConfig,
  options: Pick<HostPoolOptions, 'onStderr' | 'argv'> = {},
): StdioConnection {
  const connection: StdioConnection = new StdioConnection({
    argv: options.argv ? options.argv(host) : sshArgv(host),
    name: host.name,
    classify: (failure) => classifySshFailure(host, failure),
    onStderr: (line) => {
      if (connection.state === 'connected') options.onStderr?.(host.name, line);
    },
  });
  return connection;
}

/**
 * One connection per registered host, kept open once used (ssh runs once per host, not once per
 * call) and reopened on the next call after a drop. A host whose entry changed gets a new connection.
 */
export class HostPool {
  private readonly connections = new Map<string, { key: string; host: HostConfig; connection: StdioConnection }>();

  constructor(private readonly options: HostPoolOptions) {}

  get(name: string): StdioConnection {
    const host = readHostsSync(this.options.home).find((h) => h.name === name);
    if (!host) throw unknownHost(name);
    const key = JSON.stringify(host);
    const existing = this.connections.get(name);
    if (existing?.key === key) return existing.connection;
    if (existing) void existing.connection.close();
    const connection = connectHost(host, this.options);
    this.connections.set(name, { key, host, connection });
    return connection;
  }

  /** Every registered host with its connection's state ('idle' when none was opened yet). */
  list(): PooledHost[] {
    return readHostsSync(this.options.home).map((host) => {
      const open = this.connections.get(host.name);
      return {
        name: host.name,
        ssh: host.ssh,
        state: open?.connection.state ?? 'idle',
        hello: open?.connection.info ?? null,
      };
    });
  }

  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.allSettled(all.map((c) => c.connection.close()));
  }
}
