import type { ErrorShape } from '../errors';
import type { ComponentConfig } from '../schemas/component';

// Discovery: what Upkeep proposes to track on this machine.

/** Where discovery looked: global npm packages, one Python interpreter or venv, a folder of git checkouts. */
export type DiscoverySource = 'npm_global' | 'python' | 'git';

/** One thing discovery found, as a full component config ready for addComponents. */
export interface DiscoveryProposal {
  /** Suggested id: unique among components and other proposals; the tracking component's id when already tracked. */
  id: string;
  config: ComponentConfig;
  source: DiscoverySource;
  already_tracked: boolean;
  /** The installed version the source saw (a short commit for git checkouts). */
  installed: string | null;
  /** One line for people: what it is and where (e.g. "branch main; GitHub: user/repo"). */
  note?: string;
  /** A git checkout whose remote is on github.com. */
  github?: { user: string; repo: string };
}

/** A discovery source that failed (or partly failed); the other sources still answer. */
export interface DiscoveryError {
  source: DiscoverySource;
  code: ErrorShape['code'];
  message: string;
  /** The folder or interpreter concerned, when there is one. */
  path?: string;
}

export interface DiscoverResult {
  proposals: DiscoveryProposal[];
  errors: DiscoveryError[];
}

/** Starting values for the first-run discovery form (nothing is run to find them). */
export interface DiscoveryDefaults {
  /** npm is on PATH: global packages can be listed. */
  npm: boolean;
  /** Python interpreters on PATH, absolute. */
  python: string[];
  /** Existing folders that usually hold checkouts (~/apps, ~/src, /opt, /srv …), most specific first. */
  git_dirs: string[];
}
