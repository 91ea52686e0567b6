import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isErrorShape, type ErrorShape } from '../../../shared/errors';
import type { InitiatedBy } from '../../../shared/contract';
import { UPDATE_METHODS, type UpdateMethod } from '../../../shared/schemas/component';
import type { UpdateStep, UpdateTarget } from '../../../shared/types';
import { removeTempsOf, writeFileAtomic } from '../lib/fs-atomic';
import type { CancelAnswer } from './cancel';
import { logger } from '../lib/log';
import { readStateFile } from '../lib/state-file';

const log = logger('engine.journal');

/**
 * Where a run stands, written (and fsynced) before each step so that a run killed at any point
 * can be finished by the next start of any host: rolled back if the component may have been
 * changed, simply closed if not.
 */
export interface RunJournal {
  version: 1;
  run_id: string;
  kind: 'update' | 'rollback';
  component: string;
  method: UpdateMethod;
  from: string | null;
  to: string | null;
  target: UpdateTarget | null;
  force: boolean;
  no_backup: boolean;
  /** Environment methods: the packages chosen for this run (all when absent). */
  packages?: string[];
  initiated_by: InitiatedBy;
  host: string;
  pid: number;
  started_at: string;
  /** The step about to run (or running). */
  step: UpdateStep;
  /**
   * running: steps in progress; rolling_back: restoring the backup; committed: the update was
   * accepted, only bookkeeping is left; finished: history written, the journal can go.
   */
  phase: 'running' | 'rolling_back' | 'committed' | 'finished';
  /** The pre-update backup: a backup-store id, or an updater snapshot id. */
  backup: { id: string; kind: 'store' | 'snapshot' } | null;
  /** Set before the first step that may change the component (apply). */
  touched: boolean;
  rollback_on_failure: boolean;
  /** For kind rollback: the history entry whose backup is being restored. */
  rollback_of?: string | null;
  error: ErrorShape | null;
  /** Updater state that must survive a crash (staging folders, download paths). */
  state: Record<string, unknown>;
  finished_status?: 'succeeded' | 'failed' | 'rolled_back' | 'cancelled';
  /** The answer to a cancel request another process left in the lock folder (engine/cancel.ts). */
  cancel?: CancelAnswer;
  finished_at?: string;
}

/** An update's steps in order; `rollback` last, which a run reaches only when it fails. */
export const UPDATE_STEPS = [
  'preflight',
  'backup',
  'download',
  'verify',
  'apply',
  'install',
  'migrate',
  'restart',
  'health',
  'commit',
  'rollback',
] as const satisfies readonly UpdateStep[];
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What recovery relies on, checked before it acts on a journal (a damaged one is reported, never acted on). */
export const runJournalSchema = z.object({
  version: z.literal(1),
  run_id: z.string().min(1),
  kind: z.enum(['update', 'rollback']),
  component: z.string().min(1),
  method: z.enum(UPDATE_METHODS),
  from: z.string().nullable(),
  to: z.string().nullable(),
  target: z
    .custom<UpdateTarget>((v) => isRecord(v) && typeof v.version === 'string', 'must be a target with a version')
    .nullable(),
  force: z.boolean(),
  no_backup: z.boolean(),
  packages: z.array(z.string()).optional(),
  initiated_by: z.enum(['panel', 'cli', 'schedule']),
  host: z.string(),
  pid: z.number().int(),
  started_at: z.string(),
  step: z.enum(UPDATE_STEPS),
  phase: z.enum(['running', 'rolling_back', 'committed', 'finished']),
  backup: z.object({ id: z.string().min(1), kind: z.enum(['store', 'snapshot']) }).nullable(),
  touched: z.boolean(),
  rollback_on_failure: z.boolean(),
  rollback_of: z.string().nullable().optional(),
  error: z.custom<ErrorShape>((v) => isErrorShape(v), 'must be an error with a known code and a message').nullable(),
  state: z.record(z.string(), z.unknown()),
  finished_status: z.enum(['succeeded', 'failed', 'rolled_back', 'cancelled']).optional(),
  cancel: z
    .object({
      request_id: z.string(),
      answer: z.enum(['accepted', 'too_late']),
      step: z.enum(UPDATE_STEPS),
      at: z.string(),
    })
    .optional(),
  finished_at: z.string().optional(),
}) satisfies z.ZodType<RunJournal>;

/** A journal that could not be read: reported as a failed recovery (RECOVERY_FAILED), kept as found. */
export interface DamagedJournal {
  run_id: string;
  file: string;
  /** The component, when the damaged text still names it (a torn write usually does). */
  component: string | null;
  reason: string;
}

export class JournalStore {
  /** Damaged journals already logged by this process (recovery runs before every call; one log line each). */
  private readonly logged = new Set<string>();

  constructor(private readonly dir: string) {}

  file(runId: string): string {
    return path.join(this.dir, `${runId}.json`);
  }

  async write(journal: RunJournal): Promise<void> {
    await writeFileAtomic(this.file(journal.run_id), `${JSON.stringify(journal, null, 2)}\n`, { mode: 0o600 });
  }

  /** The journal, or null when there is none. A damaged one is null here too (logged): `damaged()` reports it. */
  async read(runId: string): Promise<RunJournal | null> {
    const got = await this.readChecked(runId);
    return got.status === 'ok' ? got.value : null;
  }

  private async readChecked(
    runId: string,
  ): Promise<{ status: 'ok'; value: RunJournal } | { status: 'missing' } | { status: 'corrupt'; reason: string }> {
    try {
      return await readStateFile(this.file(runId), runJournalSchema);
    } catch (error) {
      // Unreadable (permissions, a folder in its place): as damaged as bad JSON, and reported the same way.
      return { status: 'corrupt', reason: `unreadable (${(error as Error).message})` };
    }
  }

  /** The run's journal goes, and any temp file of a write to it that a killed process left (the run is over). */
  async remove(runId: string): Promise<void> {
    await fs.rm(this.file(runId), { force: true });
    await removeTempsOf(this.file(runId));
  }

  /** Every readable journal left in the folder (unfinished or not yet cleaned up); damaged ones are in `damaged()`. */
  async list(): Promise<RunJournal[]> {
    const out: RunJournal[] = [];
    for (const runId of await this.runIds()) {
      const got = await this.readChecked(runId);
      if (got.status === 'ok' && got.value.run_id === runId) out.push(got.value);
    }
    return out;
  }

  /**
   * Journals that cannot be read or are not the expected shape. Recovery cannot tell what such a run
   * changed, so it never acts on one and never skips it quietly: each is logged and reported.
   */
  async damaged(): Promise<DamagedJournal[]> {
    const out: DamagedJournal[] = [];
    for (const runId of await this.runIds()) {
      const got = await this.readChecked(runId);
      const reason =
        got.status === 'corrupt'
          ? got.reason
          : got.status === 'ok' && got.value.run_id !== runId
            ? `it names run ${got.value.run_id}, not ${runId}`
            : null;
      if (reason === null) continue;
      const file = this.file(runId);
      // Only to name the component in the report: unreadable text names none.
      const text = await fs.readFile(file, 'utf8').catch(() => '');
      const component = /"component"\s*:\s*"([^"\\]+)"/.exec(text)?.[1] ?? null;
      if (!this.logged.has(file))
        log.error('a run journal is damaged; its run is not recovered', { run_id: runId, file, component, reason });
      this.logged.add(file);
      out.push({ run_id: runId, file, component, reason });
    }
    return out;
  }

  private async runIds(): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (error) {
      // No journal folder yet: no run was ever journaled here.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
      .sort()
      .map((name) => name.slice(0, -'.json'.length));
  }
}
