import type { ApiImplementation } from '../../../shared/contract';
import { readHosts } from '../remote/hosts';
import { HostPool } from '../remote/pool';
import type { Services } from '../services';
import { createFleet, type Fleet, type FleetHosts } from './fleet';
import { runRollout } from './rollout';

export { LOCAL_HOST, type Fleet } from './fleet';

const fleets = new WeakMap<Services, Fleet>();

/** The one fleet of a process (its hosts share it: one connection per host, one relay of its events). */
export function fleetFor(services: Services, api: ApiImplementation): Fleet {
  let fleet = fleets.get(services);
  if (!fleet) {
    fleet = createFleet({ api, events: services.events, hosts: fleetHosts(services) });
    fleets.set(services, fleet);
  }
  return fleet;
}

/** startRollout: served by this computer's engine, reaching the other hosts through the fleet. */
export function fleetMethods(
  services: Services,
  api: () => ApiImplementation,
): Pick<ApiImplementation, 'startRollout'> {
  return {
    async startRollout(request, ctx) {
      const hosts = fleetHosts(services);
      return runRollout(
        { fleet: fleetFor(services, api()), events: services.events, hostNames: () => hosts.names() },
        request,
        ctx,
      );
    },
  };
}

const pools = new WeakMap<Services, HostPool>();

/** The registered hosts (`<home>/hosts.json`) and their pooled connections: one pool per process. */
function fleetHosts(services: Services): FleetHosts {
  let pool = pools.get(services);
  if (!pool) {
    pool = new HostPool({ home: services.layout.home });
    pools.set(services, pool);
  }
  const hosts = pool;
  return {
    names: async () => (await readHosts(services.layout.home)).map((h) => h.name),
    connection: (name) => hosts.get(name),
  };
}

/** Close every remote host's connection (a host shutting down). */
export async function closeFleet(services: Services): Promise<void> {
  fleets.get(services)?.close();
  await pools.get(services)?.closeAll();
}
