import { checkTypeFacts } from '../../../shared/descriptors/registry';
import { toErrorShape, UpkeepError } from '../../../shared/errors';
import type { ChannelOption, CheckResult, Component, Settings, VersionChoices } from '../../../shared/types';
import type { VersionChoiceStore } from '../config/version-choices';
import { tokenEnvCredential } from '../net/credentials';
import type { HttpClient } from '../net/http-client';
import { mapBounded, SingleFlight } from '../net/limiter';
import { releaseAdvisories } from '../risk/component-risk';
import { readInstalledVersion } from '../versions/installed';
import { channelsOffered, requireOfferedChannel } from './channel-choice';
import { installedForHold, withInstalledNow } from './installed-now';
import { prefetchForChecks, type PrefetchLookup } from './lib/github-batch';
import { checkerFor } from './registry';
import { buildResult, errorResult, type ResultChoices } from './result';
import type { CheckContext, CheckOutcome } from './types';
import { boundNotes, checkConfigHash, VersionCache, versionCacheFile, type CacheEntry } from './version-cache';
import type { CheckOptions, CheckServiceDeps } from './service-deps';
import { usableCachedAnswer } from './cache-freshness';
import { checksHttpClient, type CheckServiceWiring } from './wiring';

export { checkConfigHash, ERROR_TTL_MS, versionCacheFile } from './version-cache';
export type { CheckOptions, CheckServiceDeps, ComponentSource } from './service-deps';
export type { CheckServiceWiring } from './wiring';

/**
 * Version checks for every component: runs the checker of its type, compares installed and latest
 * with its scheme, keeps a per-component version cache (TTL from settings, errors for minutes),
 * refuses releases lower than the highest seen unless a downgrade is asked for, and emits
 * `check_started` / `check_result`. The update engine calls `checkOne(id, { force: true })`.
 */
export class CheckService {
  private readonly versions: VersionCache;
  private readonly flights = new SingleFlight<CheckResult>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly concurrency: number;

  private readonly choices: ResultChoices;

  constructor(private readonly deps: CheckServiceDeps) {
    this.versions = new VersionCache(deps.cacheFile);
    this.choices = { holds: deps.holds, track: (write) => this.versions.track(write) };
    this.env = deps.env ?? process.env;
    this.concurrency = deps.concurrency ?? 16;
  }

  get http(): HttpClient {
    return this.deps.http;
  }

  /** Check components (all when `ids` is empty or absent), in the order given. */
  async check(ids?: string[], options: CheckOptions = {}): Promise<CheckResult[]> {
    const all = this.deps.components.list().components;
    let selected: Component[];
    if (ids && ids.length > 0) {
      const byId = new Map(all.map((c) => [c.id, c]));
      const missing = ids.filter((id) => !byId.has(id));
      if (missing.length)
        throw new UpkeepError(
          'NOT_FOUND',
          `No component ${missing.map((m) => `"${m}"`).join(', ')}. The component list shows the ids.`,
          { ids: missing, kind: 'component' },
        );
      selected = [...new Set(ids)].flatMap((id) => byId.get(id) ?? []);
    } else {
      selected = all;
    }
    this.deps.events.emit('check_started', { ids: selected.map((c) => c.id) });
    const settings = this.deps.settings.get();
    const now = Date.now();
    const batch = await prefetchForChecks(selected, {
      http: this.deps.http,
      githubApiBase: settings.github_api_base,
      needsNetwork: (component) => options.force === true || this.freshCached(component, settings, now) === null,
    });
    this.lastBatchRequests = batch.requests;
    const results = await mapBounded(selected, this.concurrency, (component) =>
      this.checkComponent(component, options, settings, batch.lookup),
    );
    await this.flush();
    return results;
  }

  /** GraphQL requests the last `check` of several components sent before its checks (0: none). */
  lastBatchRequests = 0;

  /** Which cached answer a check may use without asking again: the error, the outcome, or none. */
  private freshCached(component: Component, settings: Settings, now: number): 'error' | 'outcome' | null {
    return usableCachedAnswer(this.versions.entries()[component.id], component, settings.cache_ttl_hours, now);
  }

  async checkOne(id: string, options: CheckOptions = {}): Promise<CheckResult> {
    const component = this.deps.components.get(id);
    this.deps.events.emit('check_started', { ids: [id] });
    const result = await this.checkComponent(component, options, this.deps.settings.get());
    await this.flush();
    return result;
  }

  /** The last known results without touching the network (installed versions from the cache too). */
  cached(ids?: string[]): CheckResult[] {
    const cache = this.versions.entries();
    const components = this.deps.components.list().components.filter((c) => !ids?.length || ids.includes(c.id));
    const out: CheckResult[] = [];
    for (const c of components) {
      const entry = cache[c.id];
      if (!entry || entry.config_hash !== checkConfigHash(c)) continue;
      if (entry.error) {
        out.push(errorResult(c, entry.error, entry, true));
      } else if (entry.outcome) {
        out.push(
          buildResult(
            c,
            checkerFor(c.type),
            entry.outcome,
            entry.outcome.installed,
            entry,
            { from_cache: true, downgrade: false },
            this.choices,
          ).result,
        );
      }
    }
    return out;
  }

  /**
   * Skip exactly `version` of a component (null clears the skip). The version cache keeps only the
   * remote answer and choices are applied whenever a result is built, so the cached result is rebuilt
   * here (no network) and pushed as `check_result`: the panel changes at once.
   */
  async skipVersion(id: string, version: string | null): Promise<VersionChoices> {
    const component = this.deps.components.get(id);
    const holds = this.requireChoices();
    if (version !== null) {
      const current = this.cached([id])[0];
      if (current?.installed && current.installed === version) {
        throw new UpkeepError(
          'INVALID_REQUEST',
          `${version} is the version of ${component.name} that is installed; skip a newer one (the latest is ${current.latest ?? 'not known yet'}).`,
          { id, version },
        );
      }
    }
    await holds.setSkip(id, version);
    return this.choicesOf(component, true);
  }

  /** Hold a component at its installed version (or release the hold); the cached result is rebuilt and pushed. */
  async holdComponent(id: string, hold: boolean): Promise<VersionChoices> {
    const component = this.deps.components.get(id);
    const holds = this.requireChoices();
    if (hold && !holds.get(id)?.held) {
      if (component.method === null) {
        throw new UpkeepError(
          'UNSUPPORTED',
          `${component.name} has no update method, so Upkeep never updates it and there is nothing to hold. Set \`method\` in its config to let Upkeep update it.`,
          { id },
        );
      }
      await holds.setHold(id, {
        version: await installedForHold(component, this.cached([component.id])[0]?.installed, this.env),
      });
    } else if (!hold) {
      await holds.setHold(id, null);
    }
    return this.choicesOf(component, true);
  }

  /** A component's choices and its check result as they stand (rebuilt from the version cache). */
  async choicesOf(component: Component, announce = false): Promise<VersionChoices> {
    const result = this.cached([component.id])[0] ?? null;
    await this.flush();
    if (announce && result) this.deps.events.emit('check_result', { result });
    const choice = this.deps.holds?.get(component.id);
    return {
      id: component.id,
      skipped_version: choice?.skip_version ?? null,
      held: Boolean(choice?.held),
      held_version: choice?.held?.version ?? null,
      held_at: choice?.held?.at ?? null,
      result,
    };
  }

  private requireChoices(): VersionChoiceStore {
    if (!this.deps.holds)
      throw new UpkeepError(
        'INTERNAL',
        'Skipping versions and holding components needs the data directory; this host has none.',
      );
    return this.deps.holds;
  }

  /**
   * What is installed changed (an update, rollback or restore ended — in this process or another):
   * the next check asks the source again, and meanwhile the cached answer is rebuilt with the
   * installed version as it is now, so every view, after any reload, shows what is on disk. Types
   * that judge the installed side themselves keep their answer only when `installed` (what the run
   * left) is the latest they knew; otherwise their answer is dropped until the next check —
   * "not checked since", never the old verdict. Every view hears of the result.
   */
  async invalidate(id: string, installed?: string | null): Promise<void> {
    let component: Component;
    try {
      component = this.deps.components.get(id);
    } catch {
      // A removed component has no cache entry to invalidate.
      return;
    }
    const before = this.versions.entries()[id];
    if (!before) return;
    const matches = before.outcome !== undefined && before.config_hash === checkConfigHash(component);
    const outcome =
      matches && before.outcome
        ? await withInstalledNow(component, checkerFor(component.type), before.outcome, installed, this.env)
        : before.outcome;
    // Written into the entry as it is now: the file may have been read again meanwhile.
    const entry = this.versions.entries()[id];
    if (!entry) return;
    entry.fetched_at = 0;
    if (matches) entry.outcome = outcome;
    this.versions.mark(id);
    await this.flush();
    const result = this.cached([id])[0];
    if (result) this.deps.events.emit('check_result', { result });
  }

  /** The channels a component can follow (its descriptor's; a dist-tags type asks the registry), and the one it follows. */
  async listChannels(id: string): Promise<{ channels: ChannelOption[]; current: string }> {
    const component = this.deps.components.get(id);
    return { channels: channelsOffered(component, await this.sourceChannels(component)), current: component.channel };
  }

  /** Choose a component's release channel: one its descriptor offers (the one rule the panel shows too). */
  async setChannel(id: string, channel: string): Promise<Component> {
    const component = this.deps.components.get(id);
    requireOfferedChannel(component, channel, await this.sourceChannels(component));
    const updated = this.deps.components.patch(id, { channel });
    this.deps.events.emit('components_changed', { ids: [id] });
    return updated;
  }

  /**
   * The channels only the source knows (an npm package's dist-tags), asked now: a failure to ask is
   * its error, never a yes, so a typo is refused here rather than by every check that follows.
   */
  private async sourceChannels(component: Component): Promise<ChannelOption[] | undefined> {
    if (checkTypeFacts(component.type).channels.kind !== 'dist_tags') return undefined;
    return (await checkerFor(component.type).channels?.(this.contextFor(component, null))) ?? [];
  }

  private contextFor(
    component: Component,
    installed: string | null,
    settings: Settings = this.deps.settings.get(),
    prefetched?: PrefetchLookup,
  ): CheckContext {
    const ctx: CheckContext = {
      id: component.id,
      config: component.config,
      channel: component.channel,
      http: this.deps.http,
      installed,
      githubApiBase: settings.github_api_base,
      env: this.env,
    };
    if (prefetched) ctx.prefetched = prefetched;
    return ctx;
  }

  private checkComponent(
    component: Component,
    options: CheckOptions,
    settings: Settings,
    prefetched?: PrefetchLookup,
  ): Promise<CheckResult> {
    const key = `${component.id}|${options.force ? 'force' : ''}|${options.downgrade ? 'down' : ''}`;
    return this.flights.run(key, async () => {
      const result = await this.runCheck(component, options, settings, prefetched);
      this.deps.events.emit('check_result', { result });
      return result;
    });
  }

  private async runCheck(
    component: Component,
    options: CheckOptions,
    settings: Settings,
    prefetched?: PrefetchLookup,
  ): Promise<CheckResult> {
    const checker = checkerFor(component.type);
    const cache = this.versions.entries();
    const hash = checkConfigHash(component);
    let entry = cache[component.id];
    if (entry && entry.config_hash !== hash) entry = undefined;
    const now = Date.now();

    // Installed version first: it is local, and a cached remote answer is compared with the live one.
    let installed: string | null = null;
    if (!checker.readsInstalled) {
      try {
        installed = (await readInstalledVersion(component.config, { env: this.env })).version;
      } catch (error) {
        // Kept so every view, after a reload, shows this failure (not "Not checked"); the next
        // check reads the installed version again before anything else.
        const shape = toErrorShape(error);
        const next: CacheEntry = {
          config_hash: hash,
          fetched_at: entry?.fetched_at ?? 0,
          error: shape,
          error_local: true,
          error_at: now,
          highest_seen: entry?.highest_seen ?? null,
          last_success_at: entry?.last_success_at ?? null,
        };
        if (entry?.outcome) next.outcome = entry.outcome;
        this.versions.entries()[component.id] = next;
        this.versions.mark(component.id);
        return errorResult(component, shape, next, false);
      }
    }

    const usable = options.force || !entry ? null : this.freshCached(component, settings, now);
    if (entry && usable) {
      if (usable === 'error' && entry.error) return errorResult(component, entry.error, entry, true, installed);
      if (usable === 'outcome' && entry.outcome) {
        const built = buildResult(
          component,
          checker,
          entry.outcome,
          checker.readsInstalled ? entry.outcome.installed : installed,
          entry,
          { from_cache: true, downgrade: options.downgrade ?? false },
          this.choices,
        );
        this.storeHighest(component.id, hash, built.highest, entry);
        return built.result;
      }
    }

    let outcome: CheckOutcome;
    try {
      // A token_env naming an unset variable is the check's error, whatever the type reads with it.
      tokenEnvCredential(component.config, this.env, settings.github_api_base);
      outcome = await checker.check(this.contextFor(component, installed, settings, prefetched));
    } catch (error) {
      const shape = toErrorShape(error);
      const next: CacheEntry = {
        config_hash: hash,
        fetched_at: now,
        error: shape,
        error_at: now,
        highest_seen: entry?.highest_seen ?? null,
        last_success_at: entry?.last_success_at ?? null,
      };
      // Keep the last good answer beside the error so the panel can still show it.
      if (entry?.outcome) next.outcome = entry.outcome;
      this.versions.entries()[component.id] = next;
      this.versions.mark(component.id);
      return errorResult(component, shape, next, false, installed);
    }
    if (!outcome.risk && !checker.opaqueVersions) {
      // Advisories are part of the remote answer: cached with it, for the installed version asked about.
      const found = await releaseAdvisories(
        checkTypeFacts(component.type).advisories,
        component.config,
        this.deps.http,
        installed,
        outcome.latest,
      );
      if (found) outcome = { ...outcome, advisories: found };
    }
    outcome = boundNotes(outcome, component.config.release_compare ?? checker.defaultCompare);
    const fresh: CacheEntry = {
      config_hash: hash,
      fetched_at: now,
      outcome,
      highest_seen: entry?.highest_seen ?? null,
      last_success_at: new Date(now).toISOString(),
    };
    this.versions.entries()[component.id] = fresh;
    this.versions.mark(component.id);
    const built = buildResult(
      component,
      checker,
      outcome,
      checker.readsInstalled ? outcome.installed : installed,
      fresh,
      { from_cache: false, downgrade: options.downgrade ?? false },
      this.choices,
    );
    this.storeHighest(component.id, hash, built.highest, fresh);
    return built.result;
  }

  private storeHighest(id: string, hash: string, highest: string | null, entry: CacheEntry): void {
    if (highest === null || highest === entry.highest_seen) return;
    const cache = this.versions.entries();
    const current = cache[id];
    if (current && current.config_hash === hash) {
      current.highest_seen = highest;
      this.versions.mark(id);
    }
  }

  /** Write the version cache if it changed, and the HTTP cache. */
  async flush(): Promise<void> {
    await this.deps.http.settle();
    return this.versions.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    await this.deps.http.close();
  }
}

/**
 * The check service as a process uses it: one HTTP client with the persistent ETag cache under
 * `<home>/cache/http`, the GitHub token from the secret store (sent only to the GitHub API root
 * in settings), and the version cache in `<home>/cache/versions.json`.
 */
export function createCheckService(
  wiring: CheckServiceWiring,
  options: { env?: NodeJS.ProcessEnv; http?: HttpClient } = {},
): CheckService {
  const http = options.http ?? checksHttpClient(wiring);
  const deps: CheckServiceDeps = {
    components: wiring.components,
    settings: wiring.settings,
    events: wiring.events,
    http,
    cacheFile: versionCacheFile(wiring.layout.cache),
  };
  if (options.env) deps.env = options.env;
  if (wiring.holds) deps.holds = wiring.holds;
  return new CheckService(deps);
}
