import { z } from 'zod';
import type { HistoryEntry } from '../../../shared/types';
import { writeFileAtomic } from '../lib/fs-atomic';
import { logger } from '../lib/log';
import { keepCorruptCopy, readStateFileSync } from '../lib/state-file';

const log = logger('engine.attention');
const resolvedSchema = z.record(z.string(), z.string());

/** Why a component needs a person, and what to do: kept on the history entry of the run that left it so. */
export interface Attention {
  reason: string;
  action: string;
}

/**
 * A run that changed a component and could not put it back (its automatic rollback failed, or
 * rollback was off): the folder may be neither the old version nor the new one.
 */
export function attentionFor(
  entry: Pick<HistoryEntry, 'kind' | 'status' | 'backup_id' | 'error'>,
  touched: boolean,
): Attention | null {
  if (entry.status !== 'failed' || !touched) return null;
  const backup = entry.backup_id
    ? `Restore its pre-update backup ${entry.backup_id} from Backups, or check its folder by hand`
    : 'Check its folder by hand (this run kept no backup)';
  return {
    reason: `${entry.kind === 'rollback' ? 'The rollback' : 'The update'} failed after changing the component${entry.error ? `: ${entry.error.message}` : ''}`,
    action: `${backup}, then mark it resolved.`,
  };
}

/**
 * `<home>/attention.json`: the runs a person marked resolved, by component. A component needs
 * attention while its newest run says so, until a later run succeeds or a person resolves it.
 */
export class AttentionStore {
  constructor(private readonly file: string) {}

  private copied: string | null = null;

  /**
   * The resolved runs. A damaged file reads as none resolved (the runs that need attention say so
   * again: the safe direction) and is copied aside once, so the next resolve never loses what it held.
   */
  private read(): Record<string, string> {
    let got;
    try {
      got = readStateFileSync(this.file, resolvedSchema);
    } catch (error) {
      log.error('the resolved-attention file cannot be read; every open attention shows again', {
        file: this.file,
        error,
      });
      return {};
    }
    if (got.status === 'ok') return got.value;
    if (got.status === 'corrupt' && this.copied !== got.reason) {
      this.copied = got.reason;
      const copy = keepCorruptCopy(this.file);
      log.error('the resolved-attention file is damaged; every open attention shows again', {
        file: this.file,
        reason: got.reason,
        copy,
      });
    }
    return {};
  }

  resolvedRun(component: string): string | undefined {
    return this.read()[component];
  }

  async resolve(component: string, runId: string): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify({ ...this.read(), [component]: runId }, null, 2)}\n`, {
      mode: 0o600,
    });
  }
}

/** The entry whose attention is still open for each component (newest first in `entries`). */
export function openAttention(
  entries: readonly HistoryEntry[],
  resolvedRun: (component: string) => string | undefined,
): Map<string, HistoryEntry> {
  const open = new Map<string, HistoryEntry>();
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.component)) continue;
    seen.add(e.component);
    if (e.needs_attention && resolvedRun(e.component) !== e.id) open.set(e.component, e);
  }
  return open;
}
