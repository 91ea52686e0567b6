import type { ErrorShape } from '../../../shared/errors';
import type { Component, HistoryEntry, UpdateResult, UpdateStatus } from '../../../shared/types';
import { attentionFor } from './attention';
import type { RunJournal } from './journal';
import { redactShape, type RunKit } from './run-kit';
import type { RunLog } from './run-log';

/**
 * Record how a run ended: the history entry (with the attention it leaves), the journal closed and
 * removed, the cached versions told what is installed now, and the events the hosts show.
 */
export async function finishRun(
  kit: RunKit,
  journal: RunJournal,
  component: Component,
  log: RunLog,
  status: UpdateStatus,
  error: ErrorShape | null,
): Promise<UpdateResult> {
  const finishedAt = new Date().toISOString();
  const finalError = error ?? (status === 'rolled_back' || status === 'cancelled' ? journal.error : null);
  const entry: HistoryEntry = {
    id: journal.run_id,
    component: component.id,
    kind: journal.kind,
    from: journal.from,
    to: journal.to,
    status,
    started_at: journal.started_at,
    finished_at: finishedAt,
    backup_id: journal.backup?.id ?? null,
    ...(journal.kind === 'rollback' && journal.rollback_of ? { rollback_of: journal.rollback_of } : {}),
    error: finalError ? redactShape(finalError, log) : null,
    duration_ms: Math.max(0, Date.parse(finishedAt) - Date.parse(journal.started_at)),
    initiated_by: journal.initiated_by,
  };
  const attention = attentionFor(entry, journal.touched);
  if (attention) entry.needs_attention = attention;
  journal.phase = 'finished';
  journal.finished_status = status === 'skipped' ? 'failed' : status;
  journal.finished_at = finishedAt;
  journal.error = entry.error;
  await kit.journals.write(journal);
  if (!(await kit.history.get(entry.id))) await kit.history.append(entry);
  await kit.journals.remove(journal.run_id);
  // What the run left installed: the target when it succeeded, the old version when it was rolled
  // back or never touched the component; unknown when a touched component's rollback failed.
  const left =
    status === 'succeeded'
      ? journal.to
      : status === 'rolled_back' || status === 'cancelled' || !journal.touched
        ? journal.from
        : undefined;
  await kit.deps
    .checks()
    ?.invalidate?.(component.id, left)
    .catch((error: unknown) => {
      // The outcome is recorded; the cached versions are only stale until the next forced check.
      log.write(
        `note: the cached versions of ${component.id} could not be refreshed (${(error as Error).message}); the next check asks upstream`,
      );
    });
  log.write(`finished: ${status}${entry.error ? ` — ${entry.error.message}` : ''}`);
  kit.progress(journal, 100, true);
  emitOutcome(kit, journal, component, status, entry);
  return {
    id: component.id,
    from: entry.from,
    to: entry.to,
    status,
    backup_id: entry.backup_id,
    error: entry.error,
    run_id: journal.run_id,
  };
}

function emitOutcome(
  kit: RunKit,
  journal: RunJournal,
  component: Component,
  status: UpdateStatus,
  entry: HistoryEntry,
): void {
  const events = kit.deps.events;
  const outcome = {
    component: component.id,
    from_version: journal.from,
    to_version: journal.to,
    run_id: journal.run_id,
    error: entry.error,
  };
  if (journal.kind === 'update') {
    if (status === 'succeeded') events.emit('update_succeeded', outcome);
    else if (status === 'rolled_back') events.emit('update_rolled_back', outcome);
    else if (status === 'cancelled') events.emit('update_cancelled', outcome);
    else events.emit('update_failed', outcome);
  } else if (status === 'succeeded') events.emit('update_rolled_back', outcome);
  else events.emit('update_failed', outcome);
  events.emit('components_changed', { ids: [component.id] });
}
