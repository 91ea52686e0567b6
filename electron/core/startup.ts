import type { UpdateResult } from '../../shared/types';
import { ensureFirstRun } from './discovery/first-run';
import { sweepStaleTemps } from './lib/fs-atomic';
import { startScheduler, type StartSchedulerOptions } from './schedule/wiring';
import type { Services } from './services';

export interface BackgroundOptions {
  /** Add Upkeep itself on a data directory's first start (default true). */
  firstRun?: boolean;
  /** Run background checks, auto-updates and webhooks in this process (default true). */
  scheduler?: boolean;
  schedulerOptions?: StartSchedulerOptions;
}

export interface Background {
  /** Runs an earlier process left unfinished, now rolled back (or completed) from their journals. */
  recovered: UpdateResult[];
  stop(): Promise<void>;
}

/**
 * What every long-lived host (desktop app, `upkeep serve`) does at start, in this order: finish or
 * roll back runs and restores a killed process left behind (so no folder stays half-updated), first-run set-up,
 * then the scheduler. One function so the hosts cannot drift apart.
 */
export async function startBackground(services: Services, options: BackgroundOptions = {}): Promise<Background> {
  const recovered = await services.updates.recoverInterruptedRuns();
  // A backup restore a killed process left mid-swap is finished or undone now, not at the first
  // backup operation: until then the component's folder could be missing.
  await services.backups.recoverInterrupted();
  // Temp files of atomic writes a killed process left (journal, settings, caches): an hour old.
  await sweepStaleTemps(services.layout.home).catch(() => undefined);
  if (options.firstRun !== false) await ensureFirstRun(services);
  const stopScheduler = options.scheduler === false ? undefined : startScheduler(services, options.schedulerOptions);
  return {
    recovered,
    async stop() {
      await stopScheduler?.();
    },
  };
}
