import type { Component, Settings } from '../../../shared/types';
import type { VersionChoiceStore } from '../config/version-choices';
import type { EventBus } from '../events';
import type { HttpClient } from '../net/http-client';

// What the check service (service.ts) is given and asked with.

export interface CheckOptions {
  /** Ignore the version cache (`upkeep check --force`). */
  force?: boolean;
  /** Offer a release lower than the installed or highest seen version (otherwise refused). */
  downgrade?: boolean;
}

/** The parts of the component registry the service uses. */
export interface ComponentSource {
  list(): { components: Component[] };
  get(id: string): Component;
  patch(id: string, patch: { channel: string }): Component;
}

export interface CheckServiceDeps {
  components: ComponentSource;
  settings: { get(): Settings };
  events: EventBus;
  http: HttpClient;
  /** The version cache file, `<home>/cache/versions.json`. */
  cacheFile: string;
  /** Environment for commands and `*_env` secrets; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Components checked at once (HTTP requests are bounded separately by the client). */
  concurrency?: number;
  /** The user's skipped versions and holds, applied to every result built (fresh or cached). */
  holds?: VersionChoiceStore;
}
