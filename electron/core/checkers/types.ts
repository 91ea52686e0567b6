import { UpkeepError, type ErrorShape } from '../../../shared/errors';
import type { CheckType, CompareScheme, ComponentConfig, ConfigOfType } from '../../../shared/schemas/component';
import type {
  Advisory,
  ChannelOption,
  PackageUpdate,
  ReleaseNote,
  RiskInfo,
  UpdateTarget,
} from '../../../shared/types';
import type { HttpClient } from '../net/http-client';
import type { PrefetchLookup } from './lib/github-batch';

/** What a checker gets: the component's config and channel, the HTTP client, and the installed version. */
export interface CheckContext<T extends CheckType = CheckType> {
  id: string;
  /** The config of the checker's own type: the keys its descriptor requires are there. */
  config: ConfigOfType<T>;
  /** The chosen release channel (`stable`, a prerelease branch, an npm dist-tag …). */
  channel: string;
  http: HttpClient;
  /** From `current` / `version_from`; checkers that read it themselves (git_commit …) ignore it. */
  installed: string | null;
  /** The GitHub API root from settings (for github_* types without api_base). */
  githubApiBase: string;
  /** Environment for commands and for `*_env` secrets (API keys). */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Answers read for many components at once before the checks ran (GitHub GraphQL), when there are any. */
  prefetched?: PrefetchLookup;
}

/** A checker's answer; the service compares versions, keeps notes between installed and latest, caches. */
export interface CheckOutcome {
  installed: string | null;
  latest: string | null;
  /** Set by checkers that decide themselves (commits, command_line …); otherwise the scheme decides. */
  decision?: { update: boolean; explanation: string };
  /** What the explanation adds about how `latest` was chosen (PyPI: releases skipped for requires_python). */
  note?: string;
  /** What an update would install. */
  target?: UpdateTarget | null;
  /** Notes of the versions on the channel; the service keeps those between installed and latest. */
  releases?: ReleaseNote[];
  /** Environment components: every outdated package, each with its risk. */
  packages?: PackageUpdate[];
  /** Set by checkers that judge risk themselves (environments); otherwise the service does. */
  risk?: RiskInfo;
  /**
   * Advisories of the installed version that `latest` fixes (filled by the service for pypi/npm
   * releases); `error` when they could not be read (a bare message in caches from older versions).
   */
  advisories?: { installed: string; latest: string; items: Advisory[]; error?: ErrorShape | string | null };
}

/** The checker of one check type, as written: its context holds its own type's config (see defineChecker). */
export interface TypedChecker<T extends CheckType> {
  readonly type: T;
  /** The scheme used when `release_compare` is not set. */
  readonly defaultCompare: CompareScheme;
  /** True when the checker reads the installed version itself (no `current`/`version_from` needed). */
  readonly readsInstalled: boolean;
  /**
   * Versions are identifiers (commit ids, header values), not versions to compare or tidy: the
   * checker decides with `decide` (or in its outcome when it reads the installed side itself).
   */
  readonly opaqueVersions?: boolean;
  check(ctx: CheckContext<T>): Promise<CheckOutcome>;
  /** Decide against the live installed value (a cached latest may predate an update). */
  decide?(installed: string | null, latest: string, config: ConfigOfType<T>): { update: boolean; explanation: string };
  /** The channels the source lists, for types whose descriptor says only the source knows them (dist-tags). */
  channels?(ctx: CheckContext<T>): Promise<ChannelOption[]>;
}

/**
 * A checker as the service calls it: with any component's context. Its facts (config schema,
 * channels, labels) are its type's descriptor (shared/descriptors).
 */
export interface Checker {
  readonly type: CheckType;
  readonly defaultCompare: CompareScheme;
  readonly readsInstalled: boolean;
  readonly opaqueVersions?: boolean;
  check(ctx: CheckContext): Promise<CheckOutcome>;
  decide?(installed: string | null, latest: string, config: ComponentConfig): { update: boolean; explanation: string };
  channels?(ctx: CheckContext): Promise<ChannelOption[]>;
}

function isOfType<T extends CheckType>(config: ComponentConfig, type: T): config is ConfigOfType<T> {
  return config.type === type;
}

/**
 * A checker for the registry: each call checks that the config is of the checker's own type
 * (INTERNAL otherwise), so the checker reads its required keys without casts or repeated checks.
 */
export function defineChecker<T extends CheckType>(checker: TypedChecker<T>): Checker {
  const own = (config: ComponentConfig): ConfigOfType<T> => {
    if (isOfType(config, checker.type)) return config;
    throw new UpkeepError('INTERNAL', `The ${checker.type} checker was given a ${config.type} component.`, {
      type: config.type,
    });
  };
  const { decide, channels } = checker;
  return {
    type: checker.type,
    defaultCompare: checker.defaultCompare,
    readsInstalled: checker.readsInstalled,
    ...(checker.opaqueVersions !== undefined ? { opaqueVersions: checker.opaqueVersions } : {}),
    check: (ctx) => checker.check({ ...ctx, config: own(ctx.config) }),
    ...(decide
      ? {
          decide: (installed: string | null, latest: string, config: ComponentConfig) =>
            decide(installed, latest, own(config)),
        }
      : {}),
    ...(channels ? { channels: (ctx: CheckContext) => channels({ ...ctx, config: own(ctx.config) }) } : {}),
  };
}
