import type { InitiatedBy } from '../../../shared/contract';
import type { ErrorShape } from '../../../shared/errors';
import type { CheckResult, Component, ReuseCounts, UpdateResult, UpdateStep } from '../../../shared/types';
import type { HomeLayout } from '../config/home';
import type { VersionChoiceLookup } from '../config/version-choices';
import type { EventBus } from '../events';
import type { UpdaterRegistry } from '../updaters/types';
import type { RunJournal } from './journal';

/** A run a live process holds: in progress, not interrupted. */
export interface RunInProgress {
  component: string;
  kind: RunJournal['kind'];
  run_id: string;
  step: UpdateStep;
  pid: number | null;
}

/** A run a killed process left whose recovery failed: kept as found (journal, folder, backup). */
export interface RunRecoveryFailure {
  component: string;
  run_id: string;
  error: ErrorShape;
}

export interface RunRecovery {
  /** Runs finished now: rolled back, or completed when they had committed. */
  recovered: UpdateResult[];
  busy: RunInProgress[];
  failed: RunRecoveryFailure[];
}

/** Upkeep's own component id: always updated last, after everything it manages. */
export const SELF_COMPONENT_ID = 'upkeep';

/** What the engine needs from the backup store (services.backups, adapted in services.ts). */
export interface EngineBackups {
  /** A full backup of `folder` before an update; returns its id. */
  createPreUpdate(
    component: Component,
    folder: string,
    info: { runId: string; version: string | null; signal?: AbortSignal },
  ): Promise<string>;
  /**
   * Put the folder back exactly as the backup has it. `reuse`: the tree the update replaced,
   * whose unchanged files may be kept instead of written from the archive (restore-reuse.ts).
   * Returns how many files came from where, when that tree was used.
   */
  restore(backupId: string, options: { safetyBackup: boolean; reuse?: string }): Promise<ReuseCounts | null>;
  /** Read the backup through as a restore would, writing nothing: null when it can be restored. */
  checkRestorable?(backupId: string): Promise<ErrorShape | null>;
}

export interface EngineChecks {
  checkOne(id: string, options: { force?: boolean; downgrade?: boolean }): Promise<CheckResult>;
  /** Forget the cached versions of a component whose installed version just changed. */
  /** What is installed changed; `installed` is what the run left, when it knows. */
  invalidate?(id: string, installed?: string | null): Promise<void>;
}

export interface UpdateEngineDeps {
  layout: HomeLayout;
  host: string;
  events: EventBus;
  components: {
    get(id: string): Component;
    list(): { components: Component[] };
    patch?(id: string, patch: Record<string, unknown>): Component;
  };
  settings: { get(): { min_free_space_mb: number; github_api_base: string; download_idle_timeout_s?: number } };
  secrets?: { get(key: string): string | undefined };
  /** Resolved lazily: the checks and backup services may be built after the engine. */
  checks: () => EngineChecks | undefined;
  backups: () => EngineBackups | undefined;
  updaters?: UpdaterRegistry;
  /** The user's holds and skipped versions: a held component is never updated unless asked for by id with force. */
  holds?: () => VersionChoiceLookup | undefined;
}

export interface UpdateOptions {
  force?: boolean;
  noBackup?: boolean;
  stopOnFailure?: boolean;
  initiatedBy: InitiatedBy;
  /** Environment components: upgrade only these packages (needs exactly one component id). */
  packages?: string[];
  /**
   * Install a release the check refuses as lower than the installed or the highest version seen
   * (what "ask for a downgrade" asks for): the preflight re-check offers it.
   */
  downgrade?: boolean;
  /** Called for each result as soon as its run ends (the CLI prints as it goes). */
  onResult?: (result: UpdateResult) => void;
}
