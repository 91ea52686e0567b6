import type { BackupInfo } from '../../../shared/types';
import { parseHistoryText, readHistoryText } from '../engine/history';
import { stateCorrupt } from '../lib/state-file';

export interface RetentionPolicy {
  /** Backups kept per component (settings `backup_max_per_component`). */
  maxPerComponent: number;
  /** Days after which a backup may go; 0 keeps them forever (`backup_max_age_days`). */
  maxAgeDays: number;
  /** Total size of all backups in MB; 0 means no budget (`backup_disk_budget_mb`). */
  diskBudgetMb: number;
}

export interface RetentionDecision {
  id: string;
  component: string;
  reason: 'count' | 'age' | 'budget';
}

/**
 * Which backups to delete. Never a pinned one, one still referenced (a pre-update backup an
 * update can be rolled back with), or one in `keep` (the backup just made). Among the rest the
 * oldest automatic backups (pre-update, safety) go first, manual ones only after them.
 */
export function planRetention(
  backups: BackupInfo[],
  policy: RetentionPolicy,
  options: { isReferenced: (id: string) => boolean; keep?: ReadonlySet<string>; now?: Date },
): RetentionDecision[] {
  const now = (options.now ?? new Date()).getTime();
  const deletable = (b: BackupInfo) => !b.pinned && !options.keep?.has(b.id) && !options.isReferenced(b.id);
  // Deletion order: automatic before manual, then oldest first.
  const order = (a: BackupInfo, b: BackupInfo) => {
    const am = a.reason === 'manual' ? 1 : 0;
    const bm = b.reason === 'manual' ? 1 : 0;
    return am - bm || a.created_at.localeCompare(b.created_at);
  };
  const gone = new Set<string>();
  const out: RetentionDecision[] = [];
  const drop = (b: BackupInfo, reason: RetentionDecision['reason']) => {
    gone.add(b.id);
    out.push({ id: b.id, component: b.component, reason });
  };

  if (policy.maxAgeDays > 0) {
    const cutoff = now - policy.maxAgeDays * 86_400_000;
    for (const b of backups) if (deletable(b) && Date.parse(b.created_at) < cutoff) drop(b, 'age');
  }

  const byComponent = new Map<string, BackupInfo[]>();
  for (const b of backups) {
    if (gone.has(b.id)) continue;
    const list = byComponent.get(b.component) ?? [];
    list.push(b);
    byComponent.set(b.component, list);
  }
  for (const list of byComponent.values()) {
    let count = list.length;
    for (const b of list.filter(deletable).sort(order)) {
      if (count <= policy.maxPerComponent) break;
      drop(b, 'count');
      count--;
    }
  }

  if (policy.diskBudgetMb > 0) {
    const budget = policy.diskBudgetMb * 1024 * 1024;
    let total = backups.filter((b) => !gone.has(b.id)).reduce((s, b) => s + b.compressed_size, 0);
    for (const b of backups.filter((x) => !gone.has(x.id) && deletable(x)).sort(order)) {
      if (total <= budget) break;
      drop(b, 'budget');
      total -= b.compressed_size;
    }
  }
  return out;
}

/**
 * Backups the history still needs: the pre-update backup of each component's latest successful
 * update (what `upkeep rollback ID` restores). Older entries' backups follow the normal rules.
 */
export async function referencedByHistory(historyFile: string): Promise<Set<string>> {
  const { entries, damaged } = parseHistoryText(await readHistoryText(historyFile));
  if (damaged.length) {
    // Which backups a damaged line names is unknown: retention must then delete none (unknown is not "unreferenced").
    throw stateCorrupt(
      'The update history',
      historyFile,
      `line ${damaged.slice(0, 5).join(', ')}${damaged.length > 5 ? ' …' : ''} cannot be read`,
      'Retention deletes no backup until it is repaired: fix or remove the damaged lines (a line torn by a crash at the end is fine).',
    );
  }
  const latest = new Map<string, { at: string; backup: string }>();
  for (const entry of entries) {
    if (typeof entry.backup_id !== 'string' || !entry.backup_id) continue;
    if (entry.kind !== undefined && entry.kind !== 'update') continue;
    if (entry.status !== undefined && entry.status !== 'succeeded') continue;
    const at = String(entry.finished_at ?? entry.started_at ?? '');
    const prev = latest.get(entry.component);
    if (!prev || at >= prev.at) latest.set(entry.component, { at, backup: entry.backup_id });
  }
  return new Set([...latest.values()].map((v) => v.backup));
}
