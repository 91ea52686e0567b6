import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isErrorShape, toErrorShape, UpkeepError, type ErrorShape } from '../../../shared/errors';
import type { CompareScheme } from '../../../shared/schemas/component';
import type { ChannelOption, CheckResult, Component, ReleaseNote, Settings, UpdateTarget, VersionChoices } from '../../../shared/types';
import type { VersionChoiceStore } from '../config/version-choices';
import type { EventBus } from '../events';
import { writeFileAtomic } from '../lib/fs-atomic';
import { logger } from '../lib/log';
import { readStateFileSync } from '../lib/state-file';
import { tokenEnvCredential } from '../net/credentials';
import { mapBounded, SingleFlight } from '../net/limiter';
import { HttpClient as HttpClientImpl, type HttpClient } from '../net/http-client';
import { appPackage } from '../lib/app-version';
import { compareVersions, displayVersion, isPrereleaseVersion, isUnequalScheme, orderVersions, type VersionComparison } from '../versions/compare';
import { readInstalledVersion } from '../versions/installed';
import { sameCommit } from './lib/config';
import { prefetchForChecks, type PrefetchLookup } from './lib/github-batch';
import { isKnownChannel } from './lib/github-channels';
import { notesNewestFirst } from './lib/pick-release';
import { failedRiskFields, pendingRisk, releaseAdvisories, riskFields } from '../risk/component-risk';
import { npmReleaseChecker } from './npm-release';
import { checkerFor } from './registry';
import type { CheckContext, CheckOutcome, Checker } from './types';

/** Errors are cached this long (minutes, not the full TTL): a flaky network should heal quickly. */
export const ERROR_TTL_MS = 5 * 60_000;
const CACHE_FORMAT = 1;
const log = logger('checks.service');

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

/** What the version cache keeps per component: the remote side of the last check. */
interface CacheEntry {
  config_hash: string;
  /** Epoch ms of the fresh check this entry holds. */
  fetched_at: number;
  outcome?: CheckOutcome;
  error?: ErrorShape;
  /** Highest version seen for this config (installed or offered): releases below it are refused. */
  highest_seen?: string | null;
  /** ISO time of the last successful fresh check (kept across failures). */
  last_success_at?: string | null;
  /** The error was this machine's (the installed version could not be read): kept to be shown, never served instead of checking. */
  error_local?: boolean;
  /** Epoch ms of the failure `error` records. */
  error_at?: number;
}

interface CacheFile {
  format: number;
  entries: Record<string, CacheEntry>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const cacheEntrySchema = z.object({
  config_hash: z.string(),
  fetched_at: z.number(),
  outcome: z.custom<CheckOutcome>(isRecord).optional(),
  error: z.custom<ErrorShape>(isErrorShape).optional(),
  highest_seen: z.string().nullable().optional(),
  last_success_at: z.string().nullable().optional(),
  error_local: z.boolean().optional(),
  error_at: z.number().optional(),
}) satisfies z.ZodType<CacheEntry>;
// Entries are checked one by one below: one damaged entry costs that component a fresh check, not the whole cache.
const cacheFileSchema = z.object({ format: z.literal(CACHE_FORMAT), entries: z.record(z.string(), z.unknown()) });

/** The version cache on disk; empty when missing or damaged (a cache: rebuilt by checking again; logged). */
function readVersionCache(file: string): CacheFile {
  let got;
  try {
    got = readStateFileSync(file, cacheFileSchema);
  } catch (error) {
    log.warn('the version cache cannot be read; every component is checked again', { file, error });
    return { format: CACHE_FORMAT, entries: {} };
  }
  if (got.status === 'missing') return { format: CACHE_FORMAT, entries: {} };
  if (got.status === 'corrupt') {
    log.warn('the version cache is damaged; every component is checked again', { file, reason: got.reason });
    return { format: CACHE_FORMAT, entries: {} };
  }
  const entries: Record<string, CacheEntry> = {};
  const dropped: string[] = [];
  for (const [id, raw] of Object.entries(got.value.entries)) {
    const entry = cacheEntrySchema.safeParse(raw);
    if (entry.success) entries[id] = entry.data;
    else dropped.push(id);
  }
  if (dropped.length) log.warn('version cache entries are damaged; those components are checked again', { file, components: dropped.slice(0, 20) });
  return { format: CACHE_FORMAT, entries };
}

/** Keys that do not change what a check asks upstream. */
const KEYS_OUTSIDE_HASH = new Set(['name', 'current', 'method', 'pip', 'python', 'update_script', 'asset', 'checksum', 'require_checksum', 'signature', 'public_key', 'preserve', 'install', 'migrations', 'restart', 'health', 'backup', 'auto_update', 'rollback_on_failure']);

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as Record<string, unknown>).sort().map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The version cache key: a hash of the check config, channel included. */
export function checkConfigHash(component: Component): string {
  const relevant: Record<string, unknown> = {};
  // A pip_env check asks its `python` what is installed, a pypi_release check which Python it runs
  // (requires_python): there it is part of the check.
  for (const [k, v] of Object.entries(component.config)) if (!KEYS_OUTSIDE_HASH.has(k) || (k === 'python' && (component.type === 'pip_env' || component.type === 'pypi_release'))) relevant[k] = v;
  relevant.channel = component.channel;
  return createHash('sha256').update(stableStringify(relevant)).digest('hex').slice(0, 32);
}

/**
 * Version checks for every component: runs the checker of its type, compares installed and latest
 * with its scheme, keeps a per-component version cache (TTL from settings, errors for minutes),
 * refuses releases lower than the highest seen unless a downgrade is asked for, and emits
 * `check_started` / `check_result`. The update engine calls `checkOne(id, { force: true })`.
 */
export class CheckService {
  private cache: CacheFile | undefined;
  /** The cache file as last read or written (inode, size, mtime): another process's write changes it. */
  private loadedStamp = '';
  private stampedAt = 0;
  private readonly touched = new Set<string>();
  private readonly flights = new SingleFlight<CheckResult>();
  private writing: Promise<void> = Promise.resolve();
  private readonly env: NodeJS.ProcessEnv;
  private readonly concurrency: number;

  constructor(private readonly deps: CheckServiceDeps) {
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
      if (missing.length) throw new UpkeepError('NOT_FOUND', `No component ${missing.map((m) => `"${m}"`).join(', ')}. The component list shows the ids.`, { ids: missing, kind: 'component' });
      selected = [...new Set(ids)].map((id) => byId.get(id) as Component);
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
    const results = await mapBounded(selected, this.concurrency, (component) => this.checkComponent(component, options, settings, batch.lookup));
    await this.flush();
    return results;
  }

  /** GraphQL requests the last `check` of several components sent before its checks (0: none). */
  lastBatchRequests = 0;

  /** Which cached answer a check may use without asking again: the error, the outcome, or none. */
  private freshCached(component: Component, settings: Settings, now: number): 'error' | 'outcome' | null {
    const entry = this.load().entries[component.id];
    if (!entry || entry.config_hash !== checkConfigHash(component)) return null;
    const ttlMs = settings.cache_ttl_hours * 3_600_000;
    const age = now - entry.fetched_at;
    if (entry.error) return !entry.error_local && age < errorTtlMs(entry.error, entry.fetched_at, ttlMs) ? 'error' : null;
    if (!entry.outcome || age >= ttlMs) return null;
    // An answer with a flag left unknown (advisories that could not be read) is asked again as soon as a failed check would be.
    return hasUnknownRisk(entry.outcome) && age >= Math.min(ERROR_TTL_MS, ttlMs) ? null : 'outcome';
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
    const cache = this.load();
    const components = this.deps.components.list().components.filter((c) => !ids?.length || ids.includes(c.id));
    const out: CheckResult[] = [];
    for (const c of components) {
      const entry = cache.entries[c.id];
      if (!entry || entry.config_hash !== checkConfigHash(c)) continue;
      if (entry.error) {
        out.push(this.errorResult(c, entry.error, entry, true));
      } else if (entry.outcome) {
        out.push(this.buildResult(c, checkerFor(c.type), entry.outcome, entry.outcome.installed, entry, { from_cache: true, downgrade: false }).result);
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
        throw new UpkeepError('INVALID_REQUEST', `${version} is the version of ${component.name} that is installed; skip a newer one (the latest is ${current.latest ?? 'not known yet'}).`, { id, version });
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
        throw new UpkeepError('UNSUPPORTED', `${component.name} has no update method, so Upkeep never updates it and there is nothing to hold. Set \`method\` in its config to let Upkeep update it.`, { id });
      }
      await holds.setHold(id, { version: await this.installedNow(component) });
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
    if (!this.deps.holds) throw new UpkeepError('INTERNAL', 'Skipping versions and holding components needs the data directory; this host has none.');
    return this.deps.holds;
  }

  /** The installed version to hold at: from the last check, else read now (null when it cannot be read). */
  private async installedNow(component: Component): Promise<string | null> {
    const known = this.cached([component.id])[0]?.installed;
    if (known) return known;
    if (checkerFor(component.type).readsInstalled) return component.config.current ?? null;
    try {
      return (await readInstalledVersion(component.config, { env: this.env })).version;
    } catch (error) {
      // The hold is set either way; it records the configured version (or none) and says so here.
      log.warn('the installed version could not be read for a hold; the configured one is used', { component: component.id, error });
      return component.config.current ?? null;
    }
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
    const before = this.load().entries[id];
    if (!before) return;
    const matches = before.outcome !== undefined && before.config_hash === checkConfigHash(component);
    const outcome = matches && before.outcome ? await this.withInstalledNow(component, checkerFor(component.type), before.outcome, installed) : before.outcome;
    // Written into the entry as it is now: the file may have been read again meanwhile.
    const entry = this.load().entries[id];
    if (!entry) return;
    entry.fetched_at = 0;
    if (matches) entry.outcome = outcome;
    this.mark(id);
    await this.flush();
    const result = this.cached([id])[0];
    if (result) this.deps.events.emit('check_result', { result });
  }

  /** A cached outcome with the installed side as it is now (see invalidate); undefined drops it. */
  private async withInstalledNow(component: Component, checker: Checker, outcome: CheckOutcome, installed: string | null | undefined): Promise<CheckOutcome | undefined> {
    if (!checker.readsInstalled) {
      try {
        return { ...outcome, installed: (await readInstalledVersion(component.config, { env: this.env })).version };
      } catch {
        // Unreadable now: what the run left, if it says; else nothing is claimed.
        return installed !== undefined ? { ...outcome, installed } : undefined;
      }
    }
    const latest = outcome.latest;
    if (installed && latest && !outcome.packages && (installed === latest || sameCommit(installed, latest))) {
      return { ...outcome, installed, decision: { update: false, explanation: `${installed} is installed: the latest on record` } };
    }
    return undefined;
  }

  /** An entry this process changed: kept over the disk's copy when the file is read again. */
  private mark(id: string): void {
    this.touched.add(id);
    this.dirty = true;
  }

  /** The channels a component can follow, and the one it follows. */
  async listChannels(id: string): Promise<{ channels: ChannelOption[]; current: string }> {
    const component = this.deps.components.get(id);
    const checker = checkerFor(component.type);
    // Types without channels (commits, headers, commands …) follow one line of versions: stable.
    const channels = checker.channels ? await checker.channels(this.contextFor(component, null)) : [{ id: 'stable', label: 'Stable' }];
    if (!channels.some((c) => c.id === component.channel)) channels.push({ id: component.channel, label: `${component.channel} (not offered by the source)` });
    return { channels, current: component.channel };
  }

  /** Choose a component's release channel; the version cache for it no longer matches. */
  async setChannel(id: string, channel: string): Promise<Component> {
    const component = this.deps.components.get(id);
    const valid = await this.isValidChannel(component, channel);
    if (!valid.ok) throw new UpkeepError('INVALID_REQUEST', `"${channel}" is not a channel of ${component.name}. Choose one of: ${valid.options.join(', ')}.`, { channels: valid.options });
    const updated = this.deps.components.patch(id, { channel });
    this.deps.events.emit('components_changed', { ids: [id] });
    return updated;
  }

  private async isValidChannel(component: Component, channel: string): Promise<{ ok: boolean; options: string[] }> {
    switch (component.type) {
      case 'github_release': {
        const options = [...new Set(['stable', ...(component.config.prerelease_branches ?? []).map((b) => b.branch), ...(component.config.prerelease === true && component.config.prerelease_channel ? [component.config.prerelease_channel] : []), 'prerelease'])];
        return { ok: isKnownChannel(component.config, channel), options };
      }
      case 'pypi_release':
      case 'gitlab_release':
      case 'pip_env':
        return { ok: channel === 'stable' || channel === 'prerelease', options: ['stable', 'prerelease'] };
      case 'npm_release': {
        // A dist-tag the package has: asked of the registry now (a failure to ask is its error,
        // never a yes), so a typo is refused here rather than by every check that follows.
        const tags = (await npmReleaseChecker.channels?.(this.contextFor(component, null))) ?? [];
        const options = tags.map((t) => t.id);
        return { ok: options.includes(channel) || (channel === 'stable' && options.includes('latest')), options };
      }
      default:
        return { ok: channel === 'stable', options: ['stable'] };
    }
  }

  private contextFor(component: Component, installed: string | null, settings: Settings = this.deps.settings.get(), prefetched?: PrefetchLookup): CheckContext {
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

  private checkComponent(component: Component, options: CheckOptions, settings: Settings, prefetched?: PrefetchLookup): Promise<CheckResult> {
    const key = `${component.id}|${options.force ? 'force' : ''}|${options.downgrade ? 'down' : ''}`;
    return this.flights.run(key, async () => {
      const result = await this.runCheck(component, options, settings, prefetched);
      this.deps.events.emit('check_result', { result });
      return result;
    });
  }

  private async runCheck(component: Component, options: CheckOptions, settings: Settings, prefetched?: PrefetchLookup): Promise<CheckResult> {
    const checker = checkerFor(component.type);
    const cache = this.load();
    const hash = checkConfigHash(component);
    let entry = cache.entries[component.id];
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
        const next: CacheEntry = { config_hash: hash, fetched_at: entry?.fetched_at ?? 0, error: shape, error_local: true, error_at: now, highest_seen: entry?.highest_seen ?? null, last_success_at: entry?.last_success_at ?? null };
        if (entry?.outcome) next.outcome = entry.outcome;
        this.load().entries[component.id] = next;
        this.mark(component.id);
        return this.errorResult(component, shape, next, false);
      }
    }

    const usable = options.force || !entry ? null : this.freshCached(component, settings, now);
    if (entry && usable) {
      if (usable === 'error' && entry.error) return this.errorResult(component, entry.error, entry, true, installed);
      if (usable === 'outcome' && entry.outcome) {
        const built = this.buildResult(component, checker, entry.outcome, checker.readsInstalled ? entry.outcome.installed : installed, entry, { from_cache: true, downgrade: options.downgrade ?? false });
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
      const next: CacheEntry = { config_hash: hash, fetched_at: now, error: shape, error_at: now, highest_seen: entry?.highest_seen ?? null, last_success_at: entry?.last_success_at ?? null };
      // Keep the last good answer beside the error so the panel can still show it.
      if (entry?.outcome) next.outcome = entry.outcome;
      this.load().entries[component.id] = next;
      this.mark(component.id);
      return this.errorResult(component, shape, next, false, installed);
    }
    if (!outcome.risk && !checker.opaqueVersions) {
      // Advisories are part of the remote answer: cached with it, for the installed version asked about.
      const found = await releaseAdvisories(component.type, component.config, this.deps.http, installed, outcome.latest);
      if (found) outcome = { ...outcome, advisories: { installed: installed as string, latest: outcome.latest as string, items: found.items, error: found.error } };
    }
    outcome = boundNotes(outcome, component.config.release_compare ?? checker.defaultCompare);
    const fresh: CacheEntry = { config_hash: hash, fetched_at: now, outcome, highest_seen: entry?.highest_seen ?? null, last_success_at: new Date(now).toISOString() };
    this.load().entries[component.id] = fresh;
    this.mark(component.id);
    const built = this.buildResult(component, checker, outcome, checker.readsInstalled ? outcome.installed : installed, fresh, { from_cache: false, downgrade: options.downgrade ?? false });
    this.storeHighest(component.id, hash, built.highest, fresh);
    return built.result;
  }

  private storeHighest(id: string, hash: string, highest: string | null, entry: CacheEntry): void {
    if (highest === null || highest === entry.highest_seen) return;
    const cache = this.load();
    const current = cache.entries[id];
    if (current && current.config_hash === hash) {
      current.highest_seen = highest;
      this.mark(id);
    }
  }

  private buildResult(
    component: Component,
    checker: Checker,
    outcome: CheckOutcome,
    installed: string | null,
    entry: CacheEntry,
    flags: { from_cache: boolean; downgrade: boolean },
  ): { result: CheckResult; highest: string | null } {
    const scheme: CompareScheme = component.config.release_compare ?? checker.defaultCompare;
    const latest = outcome.latest;
    let decision: { update: boolean; explanation: string };
    let comparison: VersionComparison | undefined;
    if (checker.readsInstalled && outcome.decision) {
      decision = outcome.decision;
    } else if (checker.decide && latest !== null) {
      decision = checker.decide(installed, latest, component.config);
    } else {
      comparison = compareVersions(installed, latest, scheme, { forceBase: component.config.force_base === true });
      decision = { update: comparison.update, explanation: comparison.explanation };
      if (outcome.note) decision = { ...decision, explanation: `${decision.explanation}; ${outcome.note}` };
    }

    // Refuse releases lower than the installed or the highest version seen, unless asked. The
    // `*_unequal` schemes ask for any different version, lower ones included: nothing to veto.
    let highest = entry.highest_seen ?? null;
    let downgradeRefused = false;
    if (comparison && latest !== null) {
      const allowDowngrade = flags.downgrade || (component.config as Record<string, unknown>).allow_downgrade === true;
      if (decision.update && isUnequalScheme(scheme) && comparison.relation === 'older') {
        decision = { ...decision, explanation: `${decision.explanation}; offered although lower: ${scheme} offers any different version` };
      } else if (decision.update && !allowDowngrade && !isUnequalScheme(scheme)) {
        if (comparison.relation === 'older') {
          decision = { update: false, explanation: `${comparison.explanation}; not offered: it is lower than the installed version (ask for a downgrade to install it)` };
          downgradeRefused = true;
        } else if (highest !== null && (orderVersions(latest, highest, scheme) ?? 0) < 0) {
          decision = { update: false, explanation: `${comparison.explanation}; not offered: lower than ${displayVersion(highest)}, seen before on this channel (ask for a downgrade to install it)` };
          downgradeRefused = true;
        }
      }
      for (const v of [latest, installed]) {
        if (v !== null && (highest === null || (orderVersions(v, highest, scheme) ?? 0) > 0) && orderVersions(v, v, scheme) !== null) highest = v;
      }
    }

    const choice = this.deps.holds?.get(component.id);
    let skippedVersion: string | null = null;
    if (choice?.skip_version && latest !== null) {
      const skip = choice.skip_version;
      const shown = checker.opaqueVersions ? latest : displayVersion(latest);
      if (shown === skip || latest === skip) {
        if (decision.update) {
          decision = { update: false, explanation: `${shown} skipped (you chose to skip this version)` };
          skippedVersion = skip;
        }
      } else if ((orderVersions(latest, skip, scheme) ?? 1) > 0 || (installed !== null && (orderVersions(installed, skip, scheme) ?? -1) >= 0)) {
        // A newer release (or an installed version at or past the skipped one) supersedes the skip.
        this.track(this.deps.holds?.clearSkipIf(component.id, skip));
      }
    }
    if (choice?.held && decision.update) {
      decision = { ...decision, explanation: `${decision.explanation}; held at ${choice.held.version ?? 'the installed version'} (release the hold to update)` };
    }

    let target: UpdateTarget | null = outcome.target ?? null;
    if (target && decision.update && outcome.releases && latest !== null) {
      target = { ...target, notes: this.notesBetween(outcome.releases, installed, latest, scheme) };
    }
    const result: CheckResult = {
      id: component.id,
      name: component.name,
      installed: installed === null || checker.opaqueVersions ? installed : displayVersion(installed),
      latest: latest === null || checker.opaqueVersions ? latest : displayVersion(latest),
      update_available: decision.update,
      channel: component.channel,
      checked_at: entry.last_success_at ?? null,
      explanation: decision.explanation,
      error: null,
      from_cache: flags.from_cache,
      target,
    };
    if (decision.update) {
      const known = outcome.advisories && outcome.advisories.installed === installed && outcome.advisories.latest === latest ? outcome.advisories : null;
      Object.assign(result, riskFields(outcome.risk ?? pendingRisk({ installed, latest, notes: target?.notes ?? [], advisories: known?.items ?? [], advisoryError: known?.error ?? null, opaque: checker.opaqueVersions === true })));
    } else {
      Object.assign(result, riskFields(null));
    }
    if (outcome.packages) result.packages = outcome.packages;
    result.held = Boolean(choice?.held);
    result.held_version = choice?.held?.version ?? null;
    result.skipped_version = skippedVersion;
    if (downgradeRefused) result.downgrade_refused = true;
    if (latest !== null && !checker.opaqueVersions) result.prerelease = isPrereleaseVersion(latest, scheme);
    return { result, highest };
  }

  private notesBetween(releases: ReleaseNote[], installed: string | null, latest: string, scheme: CompareScheme): ReleaseNote[] {
    const keep = releases.filter((r) => {
      const upToLatest = (orderVersions(r.version, latest, scheme) ?? 1) <= 0;
      if (!upToLatest) return false;
      if (installed === null) return (orderVersions(r.version, latest, scheme) ?? 1) === 0;
      const aboveInstalled = orderVersions(r.version, installed, scheme);
      return aboveInstalled !== null && aboveInstalled > 0;
    });
    return notesNewestFirst(keep, scheme);
  }

  private errorResult(component: Component, error: ErrorShape, entry: CacheEntry | undefined, fromCache: boolean, installed: string | null = null): CheckResult {
    const last = entry?.outcome;
    return {
      id: component.id,
      name: component.name,
      // What is installed is known locally even when the source cannot be reached.
      installed: installed ?? last?.installed ?? null,
      latest: last?.latest ? (checkerFor(component.type).opaqueVersions ? last.latest : displayVersion(last.latest)) : null,
      update_available: false,
      channel: component.channel,
      checked_at: entry?.last_success_at ?? null,
      failed_at: new Date(entry?.error === error && entry.error_at ? entry.error_at : Date.now()).toISOString(),
      explanation: null,
      error,
      from_cache: fromCache,
      target: null,
      ...failedRiskFields(),
    };
  }

  // --- persistence -------------------------------------------------------------------------

  private dirty = false;
  private pendingWrites: Promise<unknown>[] = [];

  /** A write a result started (a superseded skip cleared): flush waits for it. */
  private track(write: Promise<unknown> | undefined): void {
    // A skip that could not be cleared stays (the next check clears it again); flush must not fail on it.
    if (write) this.pendingWrites.push(write.catch((error: unknown) => log.warn('a superseded skip could not be cleared', { error })));
  }

  /**
   * The version cache, read again whenever another process (the CLI, another host) replaced the
   * file since: its entries win, except those this process changed and has not written yet.
   */
  private load(): CacheFile {
    // Looked at once every 200 ms at most: a check of 1,000 components reads the cache thousands of times.
    const now = Date.now();
    if (this.cache && now - this.stampedAt < STAMP_INTERVAL_MS) return this.cache;
    this.stampedAt = now;
    const stamp = fileStamp(this.deps.cacheFile);
    if (this.cache && stamp === this.loadedStamp) return this.cache;
    const disk = readVersionCache(this.deps.cacheFile);
    if (this.cache) {
      for (const id of this.touched) {
        const mine = this.cache.entries[id];
        if (mine) disk.entries[id] = mine;
      }
    }
    this.cache = disk;
    this.loadedStamp = stamp;
    return this.cache;
  }

  /** Write the version cache if it changed (atomically; writes are serialized), and the HTTP cache. */
  async flush(): Promise<void> {
    await this.deps.http.settle();
    if (this.pendingWrites.length) await Promise.all(this.pendingWrites.splice(0));
    if (!this.dirty) return this.writing;
    this.dirty = false;
    const cache = this.load();
    const written = new Map([...this.touched].map((id) => [id, cache.entries[id]]));
    const snapshot = JSON.stringify(cache);
    this.writing = this.writing.then(() =>
      writeFileAtomic(this.deps.cacheFile, snapshot, { mode: 0o600 }).then(
        () => {
          // Ours on disk now: only entries changed again since the snapshot stay marked.
          for (const [id, entry] of written) if (this.cache?.entries[id] === entry) this.touched.delete(id);
          if (this.touched.size === 0) this.loadedStamp = fileStamp(this.deps.cacheFile);
        },
        // A cache that cannot be written is rebuilt by the next check; the answers stand.
        () => undefined,
      ),
    );
    return this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.deps.http.close();
  }
}

/** How stale the version cache may be before the file is looked at again (another process's write). */
const STAMP_INTERVAL_MS = 200;

/** Identifies one version of a file: an atomic write (rename) gives a new inode. */
function fileStamp(file: string): string {
  try {
    const st = statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    // Missing (or unreadable): the cache is read again once it appears.
    return 'missing';
  }
}

const MAX_NOTES = 500;
const MAX_NOTE_CHARS = 20_000;

/** Keep the version cache small: the newest 500 release notes, each at most 20,000 characters. */
function boundNotes(outcome: CheckOutcome, scheme: CompareScheme): CheckOutcome {
  if (!outcome.releases || (outcome.releases.length <= MAX_NOTES && outcome.releases.every((r) => r.body.length <= MAX_NOTE_CHARS))) return outcome;
  const releases = notesNewestFirst(outcome.releases, scheme)
    .slice(0, MAX_NOTES)
    .map((r) => (r.body.length > MAX_NOTE_CHARS ? { ...r, body: `${r.body.slice(0, MAX_NOTE_CHARS)}\n\n… (shortened; see the release page)` } : r));
  return { ...outcome, releases };
}

/**
 * How long an error stays cached: minutes, except a rate limit, which is kept until the host said it
 * would accept requests again (asking earlier only spends a refused request), never beyond the TTL.
 */
/** Whether a cached answer left a risk flag unknown (its advisory source failed). */
function hasUnknownRisk(outcome: CheckOutcome): boolean {
  return Boolean(outcome.advisories?.error) || (outcome.risk?.unknown?.length ?? 0) > 0;
}

function errorTtlMs(error: ErrorShape, fetchedAt: number, ttlMs: number): number {
  const retryAt = error.code === 'RATE_LIMITED' && typeof error.details?.retry_at === 'string' ? Date.parse(error.details.retry_at) : Number.NaN;
  const until = Number.isFinite(retryAt) ? Math.max(ERROR_TTL_MS, retryAt - fetchedAt) : ERROR_TTL_MS;
  return Math.min(until, ttlMs);
}

/** The version cache file inside `<home>/cache`. */
export function versionCacheFile(cacheDir: string): string {
  return path.join(cacheDir, 'versions.json');
}

export interface CheckServiceWiring {
  layout: { cache: string };
  components: ComponentSource;
  settings: { get(): Settings };
  secrets: { get(key: string): string | undefined };
  events: EventBus;
  holds?: VersionChoiceStore;
}

/**
 * The check service as a process uses it: one HTTP client with the persistent ETag cache under
 * `<home>/cache/http`, the GitHub token from the secret store (sent only to the GitHub API root
 * in settings), and the version cache in `<home>/cache/versions.json`.
 */
export function createCheckService(wiring: CheckServiceWiring, options: { env?: NodeJS.ProcessEnv; http?: HttpClient } = {}): CheckService {
  // Settings and secrets live in files read on every access; a second's memory is plenty per request.
  const apiBase = memoFor(1000, () => wiring.settings.get().github_api_base);
  const token = memoFor(1000, () => wiring.secrets.get('github_token'));
  const http =
    options.http ??
    new HttpClientImpl({
      cacheDir: path.join(wiring.layout.cache, 'http'),
      userAgent: `Upkeep/${appPackage().version} (+https://github.com/upkeep)`,
      github: { apiBase, token },
    });
  // Answers nobody asked for in 90 days belong to components no longer tracked.
  void http.cache.prune(90 * 24 * 3_600_000).catch(() => undefined);
  const deps: CheckServiceDeps = { components: wiring.components, settings: wiring.settings, events: wiring.events, http, cacheFile: versionCacheFile(wiring.layout.cache) };
  if (options.env) deps.env = options.env;
  if (wiring.holds) deps.holds = wiring.holds;
  return new CheckService(deps);
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
