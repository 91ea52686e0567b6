import type { ErrorShape } from '../../../shared/errors';
import type { CheckType, ComponentConfig, CompareScheme } from '../../../shared/schemas/component';
import type { Advisory, ChannelOption, PackageUpdate, ReleaseNote, RiskInfo, UpdateTarget } from '../../../shared/types';
import type { HttpClient } from '../net/http-client';
import type { PrefetchLookup } from './lib/github-batch';

/** What a checker gets: the component's config and channel, the HTTP client, and the installed version. */
export interface CheckContext {
  id: string;
  config: ComponentConfig;
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

export interface Checker {
  readonly type: CheckType;
  /** The scheme used when `release_compare` is not set. */
  readonly defaultCompare: CompareScheme;
  /** True when the checker reads the installed version itself (no `current`/`version_from` needed). */
  readonly readsInstalled: boolean;
  /**
   * Versions are identifiers (commit ids, header values), not versions to compare or tidy: the
   * checker decides with `decide` (or in its outcome when it reads the installed side itself).
   */
  readonly opaqueVersions?: boolean;
  check(ctx: CheckContext): Promise<CheckOutcome>;
  /** Decide against the live installed value (a cached latest may predate an update). */
  decide?(installed: string | null, latest: string, config: ComponentConfig): { update: boolean; explanation: string };
  /** Release channels the user may choose; absent means only `stable`. */
  channels?(ctx: CheckContext): Promise<ChannelOption[]>;
}
