import type { CheckResult, UpdateResult, UpdateStatus } from '../../../shared/types';
import type { Announcement } from './ui-slice';

// What the panel announces when a check or a batch of updates ends (updates-slice.ts).

export interface Spoken {
  sentence: string;
  tone: Announcement['tone'];
}

const OUTCOME_TEXT: Record<UpdateStatus, string> = {
  succeeded: 'updated',
  failed: 'failed to update',
  rolled_back: 'was rolled back',
  skipped: 'was skipped',
  cancelled: 'was cancelled and rolled back',
};

/** The sentence for a check of `targets` that returned `components`; `known` is every result the panel holds. */
export function checkAnnouncement(components: CheckResult[], targets: string[], known: CheckResult[]): Spoken {
  // A held component still has a newer version, but it is not waiting to be installed.
  const available = components.filter((r) => r.update_available && !r.held);
  const failed = components.filter((r) => r.error);
  // "Everything is up to date" only when every check got through and nothing else is pending;
  // a failed check knows nothing, and a check of some components says nothing of the others.
  const pendingElsewhere = known.some((r) => r.update_available && !r.held && !targets.includes(r.id));
  const upToDate = components.length - failed.length - available.length;
  const parts =
    available.length > 0
      ? [
          available.length === 1
            ? `1 update available (${available[0]!.name} ${available[0]!.latest})`
            : `${available.length} updates available`,
        ]
      : failed.length === 0 && !pendingElsewhere && components.length > 1
        ? ['Everything is up to date']
        : failed.length === 0 && components.length === 1
          ? [`${components[0]!.name} is up to date`]
          : upToDate > 0
            ? [`${upToDate} up to date`]
            : [];
  if (failed.length)
    parts.push(
      `${failed.length} ${failed.length === 1 ? 'check' : 'checks'} failed${failed.length === 1 ? `: ${failed[0]!.error!.message} (${failed[0]!.error!.code})` : ''}`,
    );
  const sentence = parts.join('; ');
  return {
    sentence: `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}${sentence.endsWith('.') ? '' : '.'}`,
    tone: failed.length ? 'error' : available.length ? 'info' : 'success',
  };
}

/** The sentence for a batch of update results: one component by name, several by count. */
export function updatesAnnouncement(results: UpdateResult[], nameOf: (id: string) => string): Spoken {
  const counts = results.reduce<Record<string, number>>(
    (acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }),
    {},
  );
  if (results.length === 1) {
    const r = results[0]!;
    const tail = r.error ? `: ${r.error.message} (${r.error.code})` : r.to ? ` to ${r.to}` : '';
    return {
      sentence: `${nameOf(r.id)} ${OUTCOME_TEXT[r.status]}${tail}`,
      tone: r.status === 'succeeded' ? 'success' : r.status === 'skipped' ? 'info' : 'error',
    };
  }
  const parts = (['succeeded', 'rolled_back', 'failed', 'cancelled', 'skipped'] as const)
    .filter((k) => counts[k])
    .map((k) => `${counts[k]} ${k.replace('_', ' ')}`);
  return {
    sentence: `Updates finished: ${parts.join(', ')}.`,
    tone: counts.failed || counts.rolled_back ? 'error' : 'success',
  };
}
