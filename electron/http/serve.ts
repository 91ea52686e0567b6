import path from 'node:path';
import { createApi } from '../core/api';
import { appPackage } from '../core/lib/app-version';
import { closeFleet, fleetFor } from '../core/fleet';
import { installHostLog } from '../core/host-log';
import { createServices, type Services } from '../core/services';
import { startBackground } from '../core/startup';
import { startHttpHost, type HttpHost } from './server';
import { loadOrCreateToken } from './token';
import { errorMessage } from '../core/lib/error-info';

export interface ServeOptions {
  home: string;
  host?: string;
  port?: number;
  /** Run background checks, auto-updates and webhooks in this process (default true), as `upkeep run-due` does. */
  scheduler?: boolean;
  /** Add Upkeep itself on a data directory's first start (default true). */
  firstRun?: boolean;
  /** Runs once the services exist, before anything starts (the demo writes its components here). */
  prepare?: (services: Services) => Promise<void>;
}

/** Build the services and the API for this data directory and serve them with the panel. */
export async function serveHeadless(options: ServeOptions): Promise<HttpHost & { recovered: number }> {
  const services = createServices({ home: options.home, host: 'http' });
  // <home>/logs/upkeep.log, and warnings on stderr for whoever runs the service.
  installHostLog(services, { stderr: 'warn' });
  await options.prepare?.(services);
  const background = await startBackground(services, {
    firstRun: options.firstRun ?? true,
    scheduler: options.scheduler ?? true,
    schedulerOptions: {
      onError: (error) => process.stderr.write(`upkeep: scheduler pass failed: ${errorMessage(error)}\n`),
    },
    onRecoveryFailed: (error) => process.stderr.write(`upkeep: ${error.message} [${error.code}]\n`),
  });
  const token = await loadOrCreateToken(services.layout.httpToken);
  // The read-only token (<home>/http-token-readonly, 0600): for people who may see, not change.
  const readOnlyToken = await loadOrCreateToken(services.layout.httpTokenReadOnly);
  const api = createApi(services);
  let host: HttpHost;
  try {
    host = await startHttpHost({
      api,
      fleet: fleetFor(services, api),
      events: services.events,
      token,
      readOnlyToken,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 7380,
      rendererDir: path.join(appPackage().root, 'dist', 'renderer'),
    });
  } catch (error) {
    // Nothing serves: the scheduler must not go on in a process that is about to report and exit.
    await background.stop();
    throw error;
  }
  return {
    ...host,
    recovered: background.recovered.length,
    async close() {
      await background.stop();
      await host.close();
      await closeFleet(services);
    },
  };
}
