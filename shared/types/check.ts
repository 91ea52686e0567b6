import type { ErrorCode, ErrorShape } from '../errors';

// Version checks: releases, targets, advisories and risk, and what a check returns.

/** A release asset as the checkers report it (GitHub/Gitea/GitLab links). */
export interface ReleaseAsset {
  name: string;
  url: string;
  size?: number;
  /** `sha256:<hex>` when the host publishes it (GitHub's `digest`). */
  digest?: string | null;
  /**
   * The API's endpoint for the asset (GitHub's `url`, `…/releases/assets/ID`): used instead of `url`
   * when the download carries a credential for its origin (private repositories).
   */
  api_url?: string;
}

/** Release notes of one version between installed and latest (Markdown, never HTML to execute). */
export interface ReleaseNote {
  version: string;
  name?: string | null;
  body: string;
  published_at?: string | null;
  url?: string | null;
}

/** What an update would install: enough for the updaters to fetch and verify it. */
export interface UpdateTarget {
  /** Display version (tag without a leading v, package version, commit sha …). */
  version: string;
  tag?: string;
  commit?: string;
  published_at?: string | null;
  tarball_url?: string | null;
  assets?: ReleaseAsset[];
  notes?: ReleaseNote[];
  /** Environment components (pip_env, npm_env, apt): every outdated package, for the updater. */
  packages?: PackageUpdate[];
}

/** A risk flag on a pending update: it fixes a known vulnerability, or it may break things. */
export type RiskFlag = 'security' | 'breaking';

/** A published vulnerability the installed version has and the new one fixes. */
export interface Advisory {
  /** GHSA-…, PYSEC-…, CVE-…, an npm advisory number, a Debian security suite. */
  id: string;
  source: 'pypi' | 'npm' | 'release_notes' | 'apt';
  aliases?: string[];
  title?: string | null;
  severity?: string | null;
  url?: string | null;
  /** Versions that fix it (PyPI `fixed_in`), or the vulnerable range (npm `vulnerable_versions`). */
  fixed_in?: string[];
  vulnerable_versions?: string | null;
}

/**
 * A risk flag that could not be decided because its source could not be read (an advisory
 * endpoint that answers 405, 500, garbage or nothing): neither set nor cleared — unknown.
 */
export interface UnknownRisk {
  flag: RiskFlag;
  /** The failure's stable code (NETWORK, UPSTREAM_ERROR, PARSE_ERROR, NOT_FOUND …). */
  code: ErrorCode;
  /** What could not be read, for people. */
  message: string;
}

/** Why an update is flagged: the flags, the advisories behind `security`, one line per reason. */
export interface RiskInfo {
  flags: RiskFlag[];
  advisories: Advisory[];
  reasons: string[];
  /** Flags that are not in `flags` because their source failed, not because they are clear. */
  unknown?: UnknownRisk[];
}

/** One outdated package of an environment component (`npm outdated` / `pip list --outdated` semantics). */
export interface PackageUpdate {
  name: string;
  installed: string;
  /** The newest version the environment's ranges/pins allow (null when they allow none newer). */
  wanted: string | null;
  latest: string;
  /** What an update installs: `wanted`, or `latest` when ranges may be crossed. */
  target: string;
  /** Where it is (npm: node_modules path; pip: the dependency's requirement line; apt: the suite). */
  location?: string | null;
  risk: RiskInfo;
}

/** One component's check result: the shape of `upkeep check --json` entries, plus panel details. */
export interface CheckResult {
  id: string;
  name: string;
  installed: string | null;
  latest: string | null;
  update_available: boolean;
  channel: string;
  /** ISO time of the last successful fresh check (not a cache hit). */
  checked_at: string | null;
  /** One line, e.g. `1.3.0 > 1.2.9 by PEP 440`. */
  explanation: string | null;
  error: ErrorShape | null;
  from_cache?: boolean;
  target?: UpdateTarget | null;
  /** Risk of the pending update: `security` (with advisories) and/or `breaking`. Absent when nothing is pending. */
  risk?: RiskInfo | null;
  /**
   * Shorthands of `risk.flags` for policies and scripts (`auto_update.security_only`): true, false,
   * or null when unknown — its source could not be read (`risk_unknown` says why) or the check failed.
   */
  security?: boolean | null;
  breaking?: boolean | null;
  risk_flags?: RiskFlag[];
  /** The flags that are unknown, each with the failure behind it (`risk.unknown`). */
  risk_unknown?: UnknownRisk[];
  /** Environment components: every outdated package with its own risk. */
  packages?: PackageUpdate[];
  /** The user holds the component at its installed version: nothing updates it until released. */
  held?: boolean;
  /** The version it is held at (the installed version when the hold was set). */
  held_version?: string | null;
  /** The latest version, when the user chose to skip exactly it (the check then offers no update). */
  skipped_version?: string | null;
  /** The latest release is not offered only because it is lower than the installed or a version seen before: an update asked with `downgrade` installs it. */
  downgrade_refused?: boolean;
  /** When the check whose `error` this is failed (`checked_at` is the last success). */
  failed_at?: string;
  /** The latest version is a prerelease by its scheme (`2.0.0-rc.1`, `2.0rc1`); absent for opaque versions (commits). */
  prerelease?: boolean;
}

/** A component's skip and hold choices (skipVersion, holdComponent), with its check result rebuilt from the cache. */
export interface VersionChoices {
  id: string;
  /** The version the user skips (null: none). Superseded when a newer one is released. */
  skipped_version: string | null;
  held: boolean;
  held_version: string | null;
  /** ISO time the hold was set. */
  held_at: string | null;
  /** The check result with the choices applied (null when the component has not been checked yet). */
  result: CheckResult | null;
}
