import {
  checkRequest,
  invokeMethod,
  type ApiImplementation,
  type CallContext,
  type EventName,
  type HostEvent,
} from '../../../shared/contract';
import { UpkeepError, toErrorShape, type ErrorShape } from '../../../shared/errors';
import type { HostConnectionState } from '../../../shared/types/fleet';
import type { EventBus } from '../events';

/** The name that means this computer wherever a host is named (the panel, startRollout). */
export const LOCAL_HOST = 'local';

/** What the fleet needs of one remote host's connection (remote/stdio-connection's StdioConnection). */
export interface FleetConnection {
  readonly state: HostConnectionState;
  call(method: string, params: unknown): Promise<unknown>;
  onEvent(cb: (event: EventName, payload: unknown) => void): () => void;
  onState(cb: (state: HostConnectionState) => void): () => void;
}

/** The registered hosts (remote/hosts.ts) and their reused connections (remote/pool.ts). */
export interface FleetHosts {
  names(): Promise<string[]>;
  connection(name: string): FleetConnection;
}

/** Methods about the fleet itself: this computer answers them, they are never sent on to a host. */
const LOCAL_ONLY: ReadonlySet<string> = new Set(['listHosts', 'addHost', 'removeHost', 'testHost', 'startRollout']);

/** The engine's own events (what a remote host sends); the relayed ones are never relayed again. */
const RELAYED: ReadonlySet<string> = new Set(['host_event', 'host_state', 'rollout_progress']);

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface Fleet {
  /**
   * Call a contract method on a host: this computer when `host` is absent or `local`, else the
   * registered host's connection. The request is validated here first, as for a local call.
   */
  invoke(method: unknown, request: unknown, ctx: CallContext, host?: string): Promise<unknown>;
  /** Stop relaying events. */
  close(): void;
}

/**
 * The panel's hosts (HTTP, IPC) route a call that names a host through here, and every connected
 * host's events reach the panel as `host_event` (tagged with the host) on this engine's bus, its
 * connection changes as `host_state`.
 */
export function createFleet(options: { api: ApiImplementation; events: EventBus; hosts: FleetHosts }): Fleet {
  const watched = new WeakSet<FleetConnection>();
  const lastError = new Map<string, ErrorShape | null>();
  const stops: (() => void)[] = [];

  const emitState = (host: string, state: HostConnectionState) =>
    options.events.emit('host_state', {
      host,
      state,
      error: state === 'connected' ? null : (lastError.get(host) ?? null),
    });

  const watch = (host: string, connection: FleetConnection) => {
    if (watched.has(connection)) return;
    watched.add(connection);
    stops.push(
      connection.onEvent((event, payload) => {
        if (RELAYED.has(event)) return;
        options.events.emit('host_event', { host, event, payload } as HostEvent);
      }),
      connection.onState((state) => {
        if (state === 'connected') lastError.set(host, null);
        emitState(host, state);
      }),
    );
  };

  return {
    async invoke(method, request, ctx, host) {
      if (host === undefined || host === LOCAL_HOST) return invokeMethod(options.api, method, request, ctx);
      const name = await knownHost(options.hosts, host);
      const { name: checked, params } = checkRequest(method, request, ctx);
      if (LOCAL_ONLY.has(checked)) {
        throw new UpkeepError(
          'INVALID_REQUEST',
          `"${checked}" is answered by this computer only: call it without a host.`,
          { host: name },
        );
      }
      const connection = options.hosts.connection(name);
      watch(name, connection);
      try {
        return await connection.call(checked, params);
      } catch (error) {
        const shape = toErrorShape(error);
        if (shape.code.startsWith('HOST_')) {
          lastError.set(name, shape);
          emitState(name, connection.state);
        }
        throw error;
      }
    },
    close() {
      for (const stop of stops.splice(0)) stop();
    },
  };
}

/** A host name the registry knows, or NOT_FOUND saying how to add it. */
async function knownHost(hosts: FleetHosts, host: string): Promise<string> {
  if (typeof host !== 'string' || !HOST_NAME.test(host)) {
    throw new UpkeepError(
      'INVALID_REQUEST',
      'A host name is letters, digits, ".", "_" and "-" (at most 64), as the list of hosts shows it.',
      { fields: ['host'] },
    );
  }
  if (!(await hosts.names()).includes(host)) {
    throw new UpkeepError(
      'NOT_FOUND',
      `No host named "${host}". Add the host first.`,
      { kind: 'host', host },
      { action: 'add_host' },
    );
  }
  return host;
}
