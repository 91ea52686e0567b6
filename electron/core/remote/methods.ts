import type { ApiImplementation } from '../../../shared/contract';
import { toErrorShape } from '../../../shared/errors';
import type { Services } from '../services';
import { addHost, findHost, readHosts, removeHost } from './hosts';
import { connectHost } from './pool';
import { sshArgv } from './ssh';

type HostMethods = Pick<ApiImplementation, 'listHosts' | 'addHost' | 'removeHost' | 'testHost'>;

/** The contract methods for remote hosts (spread into createApi): the registry lives in the local data directory. */
export function hostMethods(services: Pick<Services, 'layout'>): HostMethods {
  const home = services.layout.home;
  return {
    async listHosts() {
      return { hosts: (await readHosts(home)).map((h) => ({ ...h, argv: sshArgv(h) })) };
    },
    async addHost({ replace, ...host }) {
      return addHost(home, host, { replace: replace === true });
    },
    async removeHost({ name }) {
      await removeHost(home, name);
      return { removed: name };
    },
    async testHost({ name }) {
      const connection = connectHost(await findHost(home, name));
      try {
        const hello = await connection.connect();
        return { name, ok: true, upkeep: hello.upkeep, hostname: hello.host, protocol: hello.protocol };
      } catch (error) {
        return { name, ok: false, error: toErrorShape(error) };
      } finally {
        await connection.close();
      }
    },
  };
}
