import { randomBytes } from 'node:crypto';
import { readFileSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import { logger } from '../lib/log';
import { parseState } from '../lib/state-file';

const log = logger('engine.lock');

/** Who holds a component lock: enough to tell a live holder from a dead one (pid reuse included). */
export interface LockHolder {
  pid: number;
  /** The holder process's start time (Linux /proc starttime ticks), to survive pid reuse. */
  process_start: string | null;
  host: string;
  run_id: string;
  acquired_at: string;
}

/** Start time of a process as the kernel records it; null where /proc is not available. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall: starttime
  } catch {
    // No /proc (not Linux) or the process is gone: liveness is decided by the pid alone.
    return null;
  }
}

export function isProcessAlive(pid: number, processStart: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: alive but someone else's.
  }
  if (processStart !== null) {
    const now = processStartTime(pid);
    if (now !== null && now !== processStart) return false;
  }
  return true;
}

const OWN_START = processStartTime(process.pid);

export interface HeldLock {
  file: string;
  holder: LockHolder;
  release(): Promise<void>;
}

function lockFile(dir: string, component: string): string {
  return path.join(dir, `${component}.lock`);
}

const lockHolderSchema = z.object({
  pid: z.number().int().positive(),
  // Only the pid decides who holds it; a lock written by an older Upkeep may lack the rest.
  process_start: z.string().nullable().default(null),
  host: z.string().default('unknown'),
  run_id: z.string().default(''),
  acquired_at: z.string().default(''),
}) satisfies z.ZodType<LockHolder>;

/**
 * The holder a lock file names; null when there is none; 'unreadable' when it is damaged (torn by a
 * crash, or not a lock): such a lock counts as held for 10 s, then as stale (a lock holds no data).
 */
async function readHolder(file: string): Promise<LockHolder | null | 'unreadable'> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    log.warn('a lock file cannot be read; it is treated as damaged', { file, error });
    return 'unreadable';
  }
  const parsed = parseState(text, lockHolderSchema);
  if (parsed.ok) return parsed.value;
  log.warn('a lock file is damaged; it is broken once it is 10 s old', { file, reason: parsed.reason });
  return 'unreadable';
}

/**
 * A cross-process lock per component in `<home>/locks/`: the desktop app, the headless host and
 * the CLI never update one component at once. The lock file appears whole (written beside, then
 * hard-linked into place, which fails if it exists); a lock whose holder process is gone is stale
 * and is broken under a second, short-lived breaker lock so two processes never both break it.
 */
export async function acquireLock(
  dir: string,
  component: string,
  info: { host: string; runId: string },
): Promise<HeldLock> {
  await fs.mkdir(dir, { recursive: true });
  const file = lockFile(dir, component);
  const holder: LockHolder = {
    pid: process.pid,
    process_start: OWN_START,
    host: info.host,
    run_id: info.runId,
    acquired_at: new Date().toISOString(),
  };
  const tmp = path.join(dir, `.${component}.${randomBytes(6).toString('hex')}.tmp`);
  await fs.writeFile(tmp, JSON.stringify(holder), { mode: 0o644, flush: true });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await fs.link(tmp, file);
        return { file, holder, release: () => releaseLock(file, holder) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = await readHolder(file);
      if (current === null) continue; // released meanwhile
      if (current !== 'unreadable' && isProcessAlive(current.pid, current.process_start)) {
        throw inProgress(component, current);
      }
      if (current === 'unreadable') {
        // Gone meanwhile (null): the loop takes the lock again.
        const st = await fs.stat(file).catch(() => null);
        if (st && Date.now() - st.mtimeMs < 10_000) throw inProgress(component, null);
      }
      await breakStale(dir, component, file, current);
    }
    throw inProgress(component, null);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

async function breakStale(
  dir: string,
  component: string,
  file: string,
  seen: LockHolder | 'unreadable',
): Promise<void> {
  const breaker = path.join(dir, `${component}.lock.break`);
  try {
    await fs.writeFile(breaker, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process is breaking it; a breaker left by a killed process is stale after 10 s.
    // Gone meanwhile (null): the other breaker finished.
    const st = await fs.stat(breaker).catch(() => null);
    if (st && Date.now() - st.mtimeMs > 10_000) await fs.rm(breaker, { force: true });
    await new Promise((r) => setTimeout(r, 50));
    return;
  }
  try {
    const again = await readHolder(file);
    const same =
      again !== null &&
      (again === 'unreadable'
        ? seen === 'unreadable'
        : seen !== 'unreadable' && again.pid === seen.pid && again.acquired_at === seen.acquired_at);
    if (same) await fs.rm(file, { force: true });
  } finally {
    await fs.rm(breaker, { force: true });
  }
}

async function releaseLock(file: string, holder: LockHolder): Promise<void> {
  const current = await readHolder(file);
  if (current && current !== 'unreadable' && current.pid === holder.pid && current.run_id === holder.run_id) {
    await fs.rm(file, { force: true });
  }
}

/** The live holder of a component's lock, if any (for status displays). */
export async function lockHolder(dir: string, component: string): Promise<LockHolder | null> {
  const current = await readHolder(lockFile(dir, component));
  if (!current || current === 'unreadable') return null;
  return isProcessAlive(current.pid, current.process_start) ? current : null;
}

function inProgress(component: string, holder: LockHolder | null): UpkeepError {
  const who = holder
    ? ` (run ${holder.run_id}, started ${holder.acquired_at} by the ${holder.host === 'cli' ? 'command line' : holder.host === 'http' ? 'headless host' : 'desktop app'}, pid ${holder.pid})`
    : '';
  return new UpkeepError(
    'UPDATE_IN_PROGRESS',
    `${component} is already being updated${who}. Wait for that run to finish, then try again.`,
    {
      component,
      ...(holder ? { run_id: holder.run_id, pid: holder.pid } : {}),
    },
  );
}
