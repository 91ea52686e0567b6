import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UpkeepError, type ErrorShape } from '../../../shared/errors';
import type { CancelResult, UpdateStep } from '../../../shared/types';
import { z } from 'zod';
import { writeFileAtomic } from '../lib/fs-atomic';
import { logger } from '../lib/log';
import { parseState } from '../lib/state-file';
import type { HistoryStore } from './history';
import type { JournalStore, RunJournal } from './journal';
import { lockHolder } from './lock';

/**
 * Cancelling a running update (issue: cancel at any step before commit).
 *
 * In the process that runs the update, a cancel aborts the run's AbortSignal: downloads, archive
 * extraction, the pre-update backup and child processes (killed as a process group) stop, and the
 * engine rolls back as after a failure, recording the run as `cancelled`. Once the run reaches its
 * commit point (or changes a component it could not restore: no backup, rollback_on_failure off),
 * a cancel is refused with CANCEL_TOO_LATE and the run finishes.
 *
 * From another process (the CLI while the desktop app runs the update), the request goes through
 * the component's lock: the requester writes `<locks>/<component>.cancel.json` naming the run the
 * lock holder runs, the holder polls for that file every CANCEL_POLL_MS, takes it, and writes its
 * answer (accepted or too late) into the run's journal, where the requester reads it.
 */

export const CANCEL_POLL_MS = 200;
/** Run ids and component ids: nothing else names a journal or a request file. */
const RUN_ID = /^[A-Za-z0-9_-]{1,100}$/;
/** How long a requester waits for the lock holder to answer before saying it did not. */
const ANSWER_WAIT_MS = 5_000;

/** A request in the lock folder from another process. */
const cancelRequestSchema = z.object({
  request_id: z.string(),
  run_id: z.string(),
  pid: z.number(),
  requested_at: z.string(),
});
type CancelRequest = z.infer<typeof cancelRequestSchema>;

const log = logger('engine.cancel');

/** The holder's answer, kept in the run's journal. */
export interface CancelAnswer {
  request_id: string;
  answer: 'accepted' | 'too_late';
  /** The step the run was in when the request reached it. */
  step: UpdateStep;
  at: string;
}

export function cancelRequestFile(locksDir: string, component: string): string {
  return path.join(locksDir, `${component}.cancel.json`);
}

function tooLate(journal: Pick<RunJournal, 'component' | 'run_id'>, why: string): UpkeepError {
  return new UpkeepError(
    'CANCEL_TOO_LATE',
    `The update of ${journal.component} (run ${journal.run_id}) ${why}, so it can no longer be cancelled; it is finishing. See its result in History.`,
    {
      component: journal.component,
      run_id: journal.run_id,
    },
  );
}

/** One update this process runs, as cancel sees it. */
export class LiveRun {
  readonly controller = new AbortController();
  /** Set at the commit point, or when the run changed what it cannot put back: cancel answers too late. */
  private noReturn: string | null = null;
  private rollingBack = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly requestFile: string;

  constructor(
    readonly journal: RunJournal,
    private readonly deps: {
      locksDir: string;
      saveJournal(journal: RunJournal): Promise<void>;
      log(line: string): void;
    },
  ) {
    this.requestFile = cancelRequestFile(deps.locksDir, journal.component);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A cancel reached this run before its point of no return. */
  get cancelled(): boolean {
    return this.controller.signal.aborted;
  }

  /** Start watching for requests from other processes (a request left by an earlier run is dropped). */
  async watch(): Promise<void> {
    await fs.rm(this.requestFile, { force: true });
    this.timer = setInterval(() => void this.poll(), CANCEL_POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Cancel now, or throw CANCEL_TOO_LATE when the run is past its point of no return. */
  cancel(by: string): CancelResult {
    if (this.noReturn !== null) throw tooLate(this.journal, this.noReturn);
    if (!this.cancelled && !this.rollingBack) {
      this.deps.log(`cancel requested (${by}) at step ${this.journal.step}; stopping and rolling back`);
      this.controller.abort(new UpkeepError('CANCELLED', 'The update was cancelled.'));
    }
    return {
      run_id: this.journal.run_id,
      component: this.journal.component,
      step: this.journal.step,
      holder: 'this_process',
      pid: process.pid,
    };
  }

  /** Throw CANCELLED between steps when a cancel came in. */
  throwIfCancelled(): void {
    if (this.cancelled) throw new UpkeepError('CANCELLED', 'The update was cancelled.');
  }

  /** From here on a cancel is refused (the commit point; a change that cannot be put back). */
  passPointOfNoReturn(why: string): void {
    this.throwIfCancelled();
    this.noReturn = why;
  }

  /** The run is rolling back (after a failure or a cancel): further cancels change nothing. */
  markRollingBack(): void {
    this.rollingBack = true;
  }

  /** The error the run ends with when it was cancelled at `step`. */
  error(step: UpdateStep): ErrorShape {
    return { code: 'CANCELLED', message: `The update was cancelled at step ${step}.` };
  }

  private polling = false;
  /** A lock folder that cannot be read is said once, not every poll. */
  private warned = false;

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const request = await readRequest(this.requestFile);
      if (!request || request.run_id !== this.journal.run_id) return;
      await fs.rm(this.requestFile, { force: true });
      let answer: CancelAnswer['answer'] = 'accepted';
      const step = this.journal.step;
      try {
        this.cancel(`by process ${request.pid}`);
      } catch {
        // Past its point of no return: the run finishes, and the asker is told it is too late.
        answer = 'too_late';
      }
      this.journal.cancel = { request_id: request.request_id, answer, step, at: new Date().toISOString() };
      await this.deps.saveJournal(this.journal);
    } catch (error) {
      if (!this.warned)
        this.deps.log(
          `reading a cancel request failed (cancels from other processes cannot reach this run): ${(error as Error).message}`,
        );
      this.warned = true;
    } finally {
      this.polling = false;
    }
  }
}

async function readRequest(file: string): Promise<CancelRequest | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = parseState(text, cancelRequestSchema);
  if (parsed.ok) return parsed.value;
  // Torn or foreign: dropped, and said (the process that asked times out and says so).
  log.warn('a cancel request that cannot be read was dropped', { file, reason: parsed.reason });
  await fs.rm(file, { force: true });
  return null;
}

export interface CancelDeps {
  locksDir: string;
  journals: JournalStore;
  history: HistoryStore;
  /** Component ids, to tell a component id from a run id. */
  isComponent(id: string): boolean;
}

/** The runs of this process, and cancels of runs other processes hold. */
export class CancelRegistry {
  private readonly live = new Map<string, LiveRun>();
  /** Set by cancelAll (Ctrl+C in the CLI): this process starts no further update. */
  stopped = false;

  constructor(private readonly deps: CancelDeps) {}

  async start(journal: RunJournal, log: (line: string) => void): Promise<LiveRun> {
    const run = new LiveRun(journal, {
      locksDir: this.deps.locksDir,
      saveJournal: (j) => this.deps.journals.write(j),
      log,
    });
    this.live.set(journal.run_id, run);
    await run.watch();
    return run;
  }

  end(run: LiveRun): void {
    run.stop();
    this.live.delete(run.journal.run_id);
  }

  /** Cancel every run of this process and start no more (Ctrl+C in the CLI); runs past their commit point finish. */
  cancelAll(by: string): CancelResult[] {
    this.stopped = true;
    const out: CancelResult[] = [];
    for (const run of this.live.values()) {
      try {
        out.push(run.cancel(by));
      } catch {
        // Past its point of no return: it finishes.
      }
    }
    return out;
  }

  /** Cancel the running update of a component (or the run with this id), wherever it runs. */
  async cancel(id: string, by: string): Promise<CancelResult> {
    const own = [...this.live.values()].find((r) => r.journal.run_id === id || r.journal.component === id);
    if (own) return own.cancel(by);
    const journal = await this.findJournal(id);
    const component = journal?.component ?? (this.deps.isComponent(id) ? id : null);
    if (!component) throw await this.notRunning(id);
    const holder = await lockHolder(this.deps.locksDir, component);
    if (!holder || !journal || holder.run_id !== journal.run_id) throw await this.notRunning(id, component);
    if (journal.kind !== 'update')
      throw new UpkeepError(
        'UNSUPPORTED',
        `Run ${journal.run_id} restores a backup of ${component} (a rollback); a rollback is not cancelled, it finishes.`,
        { component, run_id: journal.run_id },
      );
    if (journal.phase === 'committed' || journal.phase === 'finished')
      throw tooLate(journal, 'is past its commit point');
    return this.askHolder(journal, holder.pid);
  }

  /** Nothing to cancel: a run that finished already (too late), else none running. */
  private async notRunning(id: string, component?: string): Promise<UpkeepError> {
    const finished = await this.deps.history.get(id);
    if (finished)
      return tooLate(
        { component: finished.component, run_id: finished.id },
        `has already finished (${finished.status})`,
      );
    return new UpkeepError(
      'NOT_FOUND',
      `No update of ${component ?? id} is running, so there is nothing to cancel. The history shows finished runs.`,
      { id },
    );
  }

  private async findJournal(id: string): Promise<RunJournal | null> {
    const direct = RUN_ID.test(id) ? await this.deps.journals.read(id) : null;
    if (direct) return direct;
    const open = (await this.deps.journals.list()).filter((j) => j.component === id && j.phase !== 'finished');
    return open[open.length - 1] ?? null;
  }

  /** Leave a request for the lock holder and wait for its answer in the run's journal. */
  private async askHolder(journal: RunJournal, pid: number): Promise<CancelResult> {
    const request: CancelRequest = {
      request_id: randomBytes(8).toString('hex'),
      run_id: journal.run_id,
      pid: process.pid,
      requested_at: new Date().toISOString(),
    };
    await writeFileAtomic(cancelRequestFile(this.deps.locksDir, journal.component), JSON.stringify(request), {
      mode: 0o600,
    });
    const deadline = Date.now() + ANSWER_WAIT_MS;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, CANCEL_POLL_MS / 2));
      const now = await this.deps.journals.read(journal.run_id);
      const answer = now?.cancel;
      if (answer && answer.request_id === request.request_id) {
        if (answer.answer === 'too_late') throw tooLate(journal, 'is past its commit point');
        return {
          run_id: journal.run_id,
          component: journal.component,
          step: answer.step,
          holder: 'other_process',
          pid,
        };
      }
      if (!now) {
        // Finished before answering: what history says is the answer.
        const entry = await this.deps.history.get(journal.run_id);
        if (entry?.status === 'cancelled')
          return {
            run_id: journal.run_id,
            component: journal.component,
            step: journal.step,
            holder: 'other_process',
            pid,
          };
        throw tooLate(journal, `has already finished (${entry?.status ?? 'unknown'})`);
      }
    }
    throw new UpkeepError(
      'TIMEOUT',
      `The process running the update of ${journal.component} (pid ${pid}) did not answer the cancel request within ${ANSWER_WAIT_MS / 1000} s. The request stays in place and applies to this run only; check the run in History.`,
      { component: journal.component, run_id: journal.run_id, pid },
    );
  }
}
