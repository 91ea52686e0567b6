import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ErrorShape } from '../../../shared/errors';
import type { InitiatedBy } from '../../../shared/contract';
import type { UpdateMethod } from '../../../shared/schemas/component';
import type { UpdateStep, UpdateTarget } from '../../../shared/types';
import { writeFileAtomic } from '../lib/fs-atomic';
import type { CancelAnswer } from './cancel';

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

export class JournalStore {
  constructor(private readonly dir: string) {}

  file(runId: string): string {
    return path.join(this.dir, `${runId}.json`);
  }

  async write(journal: RunJournal): Promise<void> {
    await writeFileAtomic(this.file(journal.run_id), `${JSON.stringify(journal, null, 2)}\n`, { mode: 0o600 });
  }

  async read(runId: string): Promise<RunJournal | null> {
    try {
      return JSON.parse(await fs.readFile(this.file(runId), 'utf8')) as RunJournal;
    } catch {
      return null;
    }
  }

  async remove(runId: string): Promise<void> {
    await fs.rm(this.file(runId), { force: true });
  }

  /** Every journal left in the folder (unfinished or not yet cleaned up). Unreadable ones are skipped. */
  async list(): Promise<RunJournal[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const out: RunJournal[] = [];
    for (const name of names.sort()) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const j = await this.read(name.slice(0, -'.json'.length));
      if (j && j.version === 1 && typeof j.run_id === 'string') out.push(j);
    }
    return out;
  }
}
