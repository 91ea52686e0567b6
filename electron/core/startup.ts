import type { ErrorShape } from '../../shared/errors';
import type { UpdateResult } from '../../shared/types';
import { ensureFirstRun } from './discovery/first-run';
import { sweepStaleTemps } from './lib/fs-atomic';
import { logger } from './lib/log';
import { recoverInterrupted, type RecoveryReport } from './recovery';
import { startScheduler, type StartSchedulerOptions } from './schedule/wiring';
import type { Services } from './services';
import { trashSettled } from './lib/trash';

const log = logger('startup');

export interface BackgroundOptions {
  /** Add Upkeep itself on a data directory's first start (default true). */
  firstRun?: boolean;
  /** Run background checks, auto-updates and webhooks in this process (default true). */
  scheduler?: boolean;
  schedulerOptions?: StartSchedulerOptions;
  /** Told of each interrupted run or restore that could not be finished (the host shows or logs it). */
  onRecoveryFailed?: (error: ErrorShape) => void;
}

export interface Background {
  /** Runs an earlier process left unfinished, now rolled back (or completed) from their journals. */
  recovered: UpdateResult[];
  /** Everything the start-up recovery found: restores finished, runs in progress elsewhere, recoveries that failed. */
  recovery: RecoveryReport;
  stop(): Promise<void>;
}

/**
 * What every long-lived host (desktop app, `upkeep serve`) does at start, in this order: finish or
 * roll back runs and restores a killed process left behind (so no folder stays half-updated), first-run set-up,
 * then the scheduler. One function so the hosts cannot drift apart.
 */
export async function startBackground(services: Services, options: BackgroundOptions = {}): Promise<Background> {
  // Restores a killed process left mid-swap, then its update runs, are finished or undone now, not
  // at the first operation: until then a component's folder could be missing or half-updated.
  // A recovery that fails is kept as found and reported (the API answers RECOVERY_FAILED).
  const recovery = await recoverInterrupted(services);
  for (const failed of recovery.failed) options.onRecoveryFailed?.(failed.error);
  // Temp files of atomic writes a killed process left (journal, settings, caches): an hour old.
  await sweepStaleTemps(services.layout.home).catch((error: unknown) =>
    log.warn('stale temp files could not be swept; a later start tries again', { error }),
  );
  if (options.firstRun !== false) await ensureFirstRun(services);
  const stopScheduler = options.scheduler === false ? undefined : startScheduler(services, options.schedulerOptions);
  return {
    recovered: recovery.recovered,
    recovery,
    async stop() {
      await stopScheduler?.();
      // Trees replaced by updates are removed in the background; a host that stops lets that finish.
      await trashSettled();
    },
  };
}
