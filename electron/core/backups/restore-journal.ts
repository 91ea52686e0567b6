import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UpkeepError, toErrorShape, type ErrorShape } from '../../../shared/errors';
import { acquireLock, type HeldLock } from '../engine/lock';
import { DataDirGuard } from '../lib/data-dir';
import { swapState, type SwapRecord } from '../lib/dir-swap';
import { pathExists, writeFileAtomic } from '../lib/fs-atomic';
import { logger } from '../lib/log';
import { parseState } from '../lib/state-file';
import { removeTree } from '../lib/trash';

const log = logger('backups.restore-journal');

export type JournalState =
  | { kind: 'extract'; folder: string; staging: string }
  /** `new_ino`: the restored tree's inode, which tells where it is after a crash (absent in journals of older versions). */
  | {
      kind: 'full';
      folder: string;
      staging: string;
      old: string | null;
      carried: string[];
      new_ino?: number;
      phase: 'swapping' | 'committed';
    }
  | {
      kind: 'paths';
      folder: string;
      staging: string;
      pairs: { target: string; aside: string; existed: boolean }[];
      phase: 'swapping' | 'committed';
    };

const swapPhase = z.enum(['swapping', 'committed']);

/**
 * The restore journal as recovery acts on it. A journal of another shape (an unknown kind, a field
 * missing) is never acted on: recovery cannot tell what it would undo, so it is RECOVERY_FAILED,
 * kept as found — never a deletion of the staging folder it names.
 */
export const restoreJournalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('extract'), folder: z.string().min(1), staging: z.string().min(1) }),
  z.object({
    kind: z.literal('full'),
    folder: z.string().min(1),
    staging: z.string().min(1),
    old: z.string().min(1).nullable(),
    carried: z.array(z.string()),
    new_ino: z.number().optional(),
    phase: swapPhase,
  }),
  z.object({
    kind: z.literal('paths'),
    folder: z.string().min(1),
    staging: z.string().min(1),
    pairs: z.array(z.object({ target: z.string().min(1), aside: z.string().min(1), existed: z.boolean() })),
    phase: swapPhase,
  }),
]) satisfies z.ZodType<JournalState>;

/**
 * What a restore is in the middle of, written before each step that moves anything: after a
 * crash, recoverInterruptedRestores() puts every folder back to "as before" or finishes the
 * restore — never anything in between — and removes the staging folder.
 */
export class RestoreJournal {
  constructor(readonly file: string) {}
  write(state: JournalState): Promise<void> {
    return writeFileAtomic(this.file, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  }
  async clear(): Promise<void> {
    await fs.rm(this.file, { force: true });
  }
}

/** Put what a full restore carried into staging back into the folder (recovery of an unfinished swap). */
async function returnCarried(carried: readonly string[], staging: string, folder: string): Promise<void> {
  for (const rel of carried) {
    const from = path.join(staging, ...rel.split('/'));
    const to = path.join(folder, ...rel.split('/'));
    if ((await pathExists(from)) && !(await pathExists(to))) {
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.rename(from, to);
    }
  }
}

/** A restore a live process is running now (its component's backup lock is held). */
export interface RestoreInProgress {
  component: string;
  pid: number | null;
  run_id: string | null;
}

/** A restore a killed process left that could not be finished or undone: its journal is kept as found. */
export interface RestoreRecoveryFailure {
  component: string;
  folder: string | null;
  error: ErrorShape;
}

export interface RestoreRecovery {
  /** Folders put back as before, or fully restored. */
  touched: string[];
  busy: RestoreInProgress[];
  /** Recoveries that failed part-way: kept as found, not tried again by this process. */
  failed: RestoreRecoveryFailure[];
  /** Journals whose component lock could not be taken (not a live holder): untouched, tried again next time. */
  unlocked: RestoreRecoveryFailure[];
}

const RESTORE_JOURNAL = /^\.restore-(.+)\.json$/;

/** Finish or undo restores a crash interrupted (see RestoreJournal). Returns the folders it touched. */
export async function recoverInterruptedRestores(backupsDir: string, locksDir?: string): Promise<string[]> {
  const report = await recoverRestoreJournals(backupsDir, locksDir ? { locksDir } : {});
  const [failure] = [...report.failed, ...report.unlocked];
  if (failure) throw new UpkeepError(failure.error.code, failure.error.message, failure.error.details);
  return report.touched;
}

/**
 * Every restore journal in the backups folder: each is finished or undone under its component's
 * backup lock (`locksDir`), or reported as running (a live process holds the lock) or as failed.
 * A failed one keeps its journal and everything it names exactly as found; the steps are
 * idempotent, so the next process may try again, but nothing else may start a restore over it.
 */
export async function recoverRestoreJournals(
  backupsDir: string,
  options: { locksDir?: string; skip?: ReadonlySet<string>; protect?: readonly string[] } = {},
): Promise<RestoreRecovery> {
  const report: RestoreRecovery = { touched: [], busy: [], failed: [], unlocked: [] };
  let names: string[];
  try {
    names = (await fs.readdir(backupsDir)).filter((n) => RESTORE_JOURNAL.test(n));
  } catch {
    // No backups folder yet: no restore was ever started, so none is left to recover.
    return report;
  }
  for (const name of names) {
    const component = (RESTORE_JOURNAL.exec(name) as RegExpExecArray)[1] as string;
    if (options.skip?.has(component)) continue;
    let lock: HeldLock | null = null;
    if (options.locksDir) {
      try {
        lock = await acquireLock(options.locksDir, component, {
          host: 'backup',
          runId: `recover-restore-${process.pid}`,
        });
      } catch (error) {
        const shape = toErrorShape(error);
        if (shape.code === 'UPDATE_IN_PROGRESS') {
          const details = shape.details as { pid?: number; run_id?: string } | undefined;
          report.busy.push({ component, pid: details?.pid ?? null, run_id: details?.run_id ?? null });
        } else {
          // The lock itself could not be taken: nothing was touched; asked again next time.
          report.unlocked.push({
            component,
            folder: null,
            error: restoreRecoveryFailed(component, null, path.join(backupsDir, name), error),
          });
        }
        continue;
      }
    }
    const file = path.join(backupsDir, name);
    let folder: string | null = null;
    try {
      const done = await recoverOneRestore(file, (f) => (folder = f), options.protect ?? [backupsDir]);
      if (done) report.touched.push(done);
    } catch (error) {
      report.failed.push({ component, folder, error: restoreRecoveryFailed(component, folder, file, error) });
    } finally {
      await lock?.release();
    }
  }
  return report;
}

/**
 * A full restore's swap read from the disk (see swapState): once the restored tree is in place it
 * is finished (the old tree removed); before that, the old tree goes back, with what was carried
 * out of it. A committed journal is always finished.
 */
async function settleFullSwap(record: SwapRecord, carried: readonly string[], committed: boolean): Promise<void> {
  const state = await swapState(record);
  if (state.swapped || (committed && (await pathExists(record.folder)))) {
    if (state.oldAt && state.oldAt !== record.folder) await rmTree(state.oldAt);
    return;
  }
  if (!state.oldAt) {
    // Neither the folder nor the old tree: the verified restored tree is all there is.
    if (state.newAt && !(await pathExists(record.folder))) await fs.rename(state.newAt, record.folder);
    return;
  }
  if (state.oldAt !== record.folder) await fs.rename(state.oldAt, record.folder);
  if (state.newAt) await returnCarried(carried, state.newAt, record.folder);
}

/** Every path a restore journal would move or delete, checked against the protected ones before any step. */
function refuseProtectedJournal(state: JournalState, protect: readonly string[]): void {
  const named = [
    state.folder,
    state.staging,
    ...(state.kind === 'full'
      ? [state.old]
      : state.kind === 'paths'
        ? state.pairs.flatMap((p) => [p.target, p.aside])
        : []),
  ];
  for (const p of named) {
    if (p === null) continue;
    if (typeof p !== 'string')
      throw new Error('its journal names a path that is not text (look at it, then remove it by hand)');
    const guarded = protect.find((g) => new DataDirGuard(g).conflict(p) !== null);
    if (guarded)
      throw new Error(
        `its journal would move or delete ${p}, which is, holds or lies within Upkeep's data directory (${guarded}); recovery never does that (look at the journal, then remove it by hand)`,
      );
  }
}

function restoreRecoveryFailed(component: string, folder: string | null, journal: string, error: unknown): ErrorShape {
  const cause = error instanceof Error ? error.message : String(error);
  return {
    code: 'RECOVERY_FAILED',
    message:
      `A restore of ${component} was interrupted (Upkeep was stopped or crashed) and could not be finished or undone: ${cause}. ` +
      `Nothing more was changed: ${folder ?? 'its folder'} and the copies beside it are as the crash left them, and ${journal} records them. ` +
      'Fix the cause (free space, permissions, a missing drive), then run any command or restart Upkeep: it tries the same steps again, which never delete the previous copy.',
    details: { component, ...(folder ? { folder } : {}), journal },
  };
}

/**
 * One restore journal: finish or undo it; the folder it named, or null when it was gone or unreadable.
 * A journal naming a path that is, holds or lies within a protected one (the data directory) is
 * refused as it stands: recovery never moves or deletes Upkeep's own data.
 */
async function recoverOneRestore(
  file: string,
  named: (folder: string) => void,
  protect: readonly string[],
): Promise<string | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null; // finished by its owner meanwhile
    throw error;
  }
  const parsed = parseState(text, restoreJournalSchema);
  if (!parsed.ok)
    throw new Error(`its journal ${file} is damaged: ${parsed.reason} (look at it, then remove it by hand)`);
  const state: JournalState = parsed.value;
  const { folder, staging } = state;
  named(folder);
  refuseProtectedJournal(state, protect);
  const exists = (p: string) => pathExists(p);
  if (state.kind === 'full' && state.old !== null && typeof state.new_ino === 'number') {
    await settleFullSwap(
      { folder, staging, old: state.old, new_ino: state.new_ino },
      state.carried,
      state.phase === 'committed',
    );
  } else if (state.kind === 'full') {
    const folderExists = await exists(folder);
    const oldExists = state.old !== null && (await exists(state.old));
    if (state.phase === 'committed' || (folderExists && oldExists) || (folderExists && state.old === null)) {
      // The new folder is in place: finish.
      if (state.old && oldExists) await rmTree(state.old);
    } else if (!folderExists && oldExists && state.old) {
      // Between the two renames: the old folder goes back, and what was carried over returns to it.
      await fs.rename(state.old, folder);
      await returnCarried(state.carried, staging, folder);
    } else if (folderExists) {
      // Not swapped yet: anything carried into staging goes back.
      await returnCarried(state.carried, staging, folder);
    } else if (await exists(staging)) {
      // Neither the folder nor the old copy: the verified staging tree is all there is.
      await fs.rename(staging, folder);
    }
  } else if (state.kind === 'paths') {
    if (state.phase === 'committed') {
      for (const p of state.pairs) if (p.existed && (await exists(p.aside))) await rmTree(p.aside);
    } else {
      for (const p of [...state.pairs].reverse()) {
        if (p.existed && (await exists(p.aside))) {
          if (await exists(p.target)) await rmTree(p.target);
          await fs.rename(p.aside, p.target);
        } else if (!p.existed && (await exists(p.target))) {
          await rmTree(p.target);
        }
      }
    }
  }
  await rmTree(staging);
  await fs.rm(file, { force: true });
  return folder;
}

/**
 * rm -rf that can also remove folders extracted without write permission. The tree goes in a
 * process of its own where the system has rm (see removeTree): the 30,000 removals of a replaced
 * tree then do not queue on the thread pool the rest of a run needs (a rollback's last journal
 * and history writes waited ~0.4 s behind them).
 */
export async function rmTree(target: string): Promise<void> {
  try {
    await removeTree(target);
  } catch {
    // Read-only folders (extracted as the archive had them): made writable, then removed again.
    await makeWritable(target).catch(() => undefined);
    await fs.rm(target, { recursive: true, force: true }).catch((error: unknown) => {
      // What cannot be removed is a staging or aside copy beside the folder, never the folder itself; it only takes space.
      log.warn('a copy left by a restore could not be removed', { path: target, error });
    });
  }
}

async function makeWritable(dir: string): Promise<void> {
  const st = await fs.lstat(dir);
  if (!st.isDirectory()) return;
  await fs.chmod(dir, (st.mode & 0o777) | 0o700);
  for (const name of await fs.readdir(dir)) await makeWritable(path.join(dir, name));
}

/** What create() writes before a backup is complete: `.<id>.tar[.zst|.gz].partial` and `.<id>.work/`. */
const LEFTOVER = /^\.[A-Za-z0-9._-]+\.(?:tar(?:\.gz|\.zst)?\.partial|work)$/;

export async function hasLeftovers(dir: string): Promise<boolean> {
  // No folder: no leftovers.
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return names.some((n) => LEFTOVER.test(n));
}

export async function sweepLeftovers(dir: string): Promise<string[]> {
  // No folder: nothing to sweep.
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!LEFTOVER.test(name)) continue;
    await fs.rm(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Every component's leftovers, each under its component's lock (`locked`); one held elsewhere is left for its own next backup. */
export async function sweepAllLeftovers(
  backupsDir: string,
  locked: (component: string, fn: () => Promise<unknown>) => Promise<unknown>,
): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(backupsDir);
  } catch {
    // No backups folder yet: nothing to sweep.
    return;
  }
  for (const component of names) {
    if (component.startsWith('.')) continue;
    const dir = path.join(backupsDir, component);
    if (!(await hasLeftovers(dir))) continue;
    try {
      await locked(component, () => sweepLeftovers(dir));
    } catch {
      // held by another process: its own next backup sweeps it
    }
  }
}
