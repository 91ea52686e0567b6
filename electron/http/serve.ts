import path from 'node:path';
import { createApi } from '../core/api';
import { appPackage } from '../core/lib/app-version';
import { createServices } from '../core/services';
import { startScheduler } from '../core/schedule/wiring';
import { startHttpHost, type HttpHost } from './server';
import { loadOrCreateToken } from './token';

export interface ServeOptions {
  home: string;
  host?: string;
  port?: number;
  /** Run background checks, auto-updates and webhooks in this process (default true), as `upkeep run-due` does. */
  scheduler?: boolean;
}

/** Build the services and the API for this data directory and serve them with the panel. */
export async function serveHeadless(options: ServeOptions): Promise<HttpHost> {
  const services = createServices({ home: options.home, host: 'http' });
  const api = createApi(services);
  const token = await loadOrCreateToken(services.layout.httpToken);
  const host = await startHttpHost({
    api,
    events: services.events,
    token,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 7380,
    rendererDir: path.join(appPackage().root, 'dist', 'renderer'),
  });
  if (options.scheduler === false) return host;
  const stopScheduler = startScheduler(services, {
    onError: (error) => process.stderr.write(`upkeep: scheduler pass failed: ${(error as Error).message}\n`),
  });
  return {
    ...host,
    async close() {
      await stopScheduler();
      await host.close();
    },
  };
}
