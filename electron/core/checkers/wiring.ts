import path from 'node:path';
import type { Settings } from '../../../shared/types';
import type { VersionChoiceStore } from '../config/version-choices';
import type { EventBus } from '../events';
import { appPackage } from '../lib/app-version';
import { HttpClient as HttpClientImpl, type HttpClient } from '../net/http-client';
import type { ComponentSource } from './service-deps';

export interface CheckServiceWiring {
  layout: { cache: string };
  components: ComponentSource;
  settings: { get(): Settings };
  secrets: { get(key: string): string | undefined };
  events: EventBus;
  holds?: VersionChoiceStore;
}

/**
 * The HTTP client of a process's checks: the persistent ETag cache under `<home>/cache/http`, the
 * GitHub token from the secret store (sent only to the GitHub API root in settings).
 */
export function checksHttpClient(wiring: CheckServiceWiring): HttpClient {
  // Settings and secrets live in files read on every access; a second's memory is plenty per request.
  const apiBase = memoFor(1000, () => wiring.settings.get().github_api_base);
  const token = memoFor(1000, () => wiring.secrets.get('github_token'));
  const http = new HttpClientImpl({
    cacheDir: path.join(wiring.layout.cache, 'http'),
    userAgent: `Upkeep/${appPackage().version} (+https://github.com/upkeep)`,
    github: { apiBase, token },
  });
  // Answers nobody asked for in 90 days belong to components no longer tracked.
  void http.cache.prune(90 * 24 * 3_600_000).catch(() => undefined);
  return http;
}

/** Remember a value for `ms` (cheap reads of settings files that are parsed on every access). */
function memoFor<T>(ms: number, read: () => T): () => T {
  let value: T;
  let at = Number.NEGATIVE_INFINITY;
  return () => {
    const now = Date.now();
    if (now - at > ms) {
      value = read();
      at = now;
    }
    return value;
  };
}
