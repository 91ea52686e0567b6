import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EventMap } from '../../../shared/contract';
import type { CheckResult } from '../../../shared/types';
import { createCheckService, type CheckService } from '../../../electron/core/checkers/service';
import { validateComponentsMapping } from '../../../electron/core/config/validate';
import { HttpClient, type HttpClientOptions } from '../../../electron/core/net/http-client';
import { createServices, type Services } from '../../../electron/core/services';

/**
 * A real Upkeep home in a temp folder: the real component registry, settings and event bus, and a
 * check service whose HTTP client the test may tune (short timeouts for the slow-server cases).
 */
export interface CheckHarness {
  home: string;
  services: Services;
  checks: CheckService;
  http: HttpClient;
  events: { started: EventMap['check_started'][]; results: CheckResult[] };
  add(components: Record<string, unknown>): void;
  check(ids?: string[], options?: { force?: boolean; downgrade?: boolean }): Promise<CheckResult[]>;
  one(id: string, options?: { force?: boolean; downgrade?: boolean }): Promise<CheckResult>;
  /** A second service on the same home, as after a restart. */
  restart(): CheckService;
  close(): Promise<void>;
}

export function createHarness(
  options: { http?: HttpClientOptions; env?: NodeJS.ProcessEnv; githubToken?: string } = {},
): CheckHarness {
  const home = mkdtempSync(path.join(os.tmpdir(), 'upkeep-checks-'));
  const services = createServices({ home, host: 'cli' });
  const makeHttp = () =>
    new HttpClient({
      cacheDir: path.join(services.layout.cache, 'http'),
      github: { apiBase: () => services.settings.get().github_api_base, token: () => options.githubToken },
      ...(options.http ?? {}),
    });
  const http = makeHttp();
  const env = options.env ?? process.env;
  const checks = createCheckService(services, { http, env });
  const events: CheckHarness['events'] = { started: [], results: [] };
  services.events.on('check_started', (p) => events.started.push(p));
  services.events.on('check_result', (p) => events.results.push(p.result));
  const extra: CheckService[] = [];
  return {
    home,
    services,
    checks,
    http,
    events,
    add(components) {
      services.components.add(validateComponentsMapping(components, 'test'), { replace: true });
    },
    check: (ids, opts) => checks.check(ids, opts),
    one: async (id, opts) => checks.checkOne(id, opts),
    restart() {
      const s = createCheckService(services, { http: makeHttp(), env });
      extra.push(s);
      return s;
    },
    async close() {
      await checks.close();
      await Promise.all(extra.map((s) => s.close()));
      rmSync(home, { recursive: true, force: true });
    },
  };
}
