import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ComponentStatus, HistoryEntry, StatusView } from '../../../shared/types';
import type { Scheduler } from './scheduler';
import { lastUpdate, runStats } from './history-stats';

const DAY = 86_400_000;

/** Bytes and files under a folder (not following links); 0 when it does not exist. */
export async function folderUsage(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  const stack = [dir];
  let current: string | undefined;
  while ((current = stack.pop()) !== undefined) {
    let entries;
    try {
      entries = await fs.readdir(current, { withFileTypes: true });
    } catch {
      // A folder removed or unreadable while sizing backups: the total counts what could be read.
      continue;
    }
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) stack.push(full);
      else if (entry.isFile()) {
        try {
          bytes += (await fs.lstat(full)).size;
          files++;
        } catch {
          // Removed while we looked (retention): skip it.
        }
      }
    }
  }
  return { bytes, files };
}

/** Free and total bytes of the filesystem holding `dir`; null where statfs is unavailable. */
export async function diskSpace(dir: string): Promise<StatusView['disk']> {
  try {
    const s = await fs.statfs(dir);
    return { path: dir, free_bytes: s.bavail * s.bsize, total_bytes: s.blocks * s.bsize };
  } catch {
    // statfs unsupported or the folder gone: free space is unknown (null), never a guess.
    return null;
  }
}

export interface StatusDeps {
  scheduler: Scheduler;
  history: { readAll(): Promise<HistoryEntry[]> };
  layout: { home: string; backups: string };
  /** What this process knows of the GitHub API's budget; null when it has not asked it anything. */
  githubBudget: () => StatusView['github_rate_limit'];
  now: number;
}

/** `upkeep status` and the panel's status view. */
export async function buildStatus(deps: StatusDeps): Promise<StatusView> {
  const { now } = deps;
  const [schedule, entries, backups, disk] = await Promise.all([
    deps.scheduler.view(now),
    deps.history.readAll(),
    folderUsage(deps.layout.backups),
    diskSpace(deps.layout.home),
  ]);
  const state = deps.scheduler.store.read();
  const components: ComponentStatus[] = schedule.components.map((c) => {
    const last = lastUpdate(entries, c.id);
    let nextRun: ComponentStatus['next_run'] = c.next_check_at ? { at: c.next_check_at, kind: 'check' } : null;
    if (c.policy === 'auto' && c.pending) {
      // A deferral without a date (major version, failed before …) waits for the user, not the clock.
      const at = c.deferral ? c.deferral.until : c.window_open ? new Date(now).toISOString() : c.next_window_at;
      if (at) nextRun = { at, kind: 'auto_update' };
    }
    return {
      id: c.id,
      name: c.name,
      policy: c.policy,
      installed: state.components[c.id]?.installed ?? null,
      last_update: last
        ? { at: last.finished_at, from: last.from, to: last.to, status: last.status, initiated_by: last.initiated_by }
        : null,
      last_7d: runStats(entries, c.id, now, 7 * DAY),
      last_30d: runStats(entries, c.id, now, 30 * DAY),
      next_run: nextRun,
      pending_update: c.pending ? { installed: c.pending.installed, latest: c.pending.latest } : null,
      deferral: c.deferral,
    };
  });
  return {
    at: new Date(now).toISOString(),
    time_zone: schedule.time_zone,
    components,
    backups: { ...backups, path: deps.layout.backups },
    disk,
    github_rate_limit: deps.githubBudget(),
    scheduler: {
      last_check_run: state.last_check_run,
      last_pass: state.last_pass,
      next_check_at: schedule.next_check_at,
    },
  };
}
