import type { ApiImplementation } from '../../../shared/contract';
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
export function fleetMethods(services: Services, api: () => ApiImplementation): Pick<ApiImplementation, 'startRollout'> {
  return {
    async startRollout(request, ctx) {
      const hosts = fleetHosts(services);
      return runRollout({ fleet: fleetFor(services, api()), events: services.events, hostNames: () => hosts.names() }, request, ctx);
    },
  };
}

/** The registered hosts and their pooled connections (electron/core/remote). */
function fleetHosts(services: Services): FleetHosts {
  void services;
  throw new Error('remote hosts: wired once electron/core/remote lands');
}
