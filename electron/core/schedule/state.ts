import path from 'node:path';
import { z } from 'zod';
import type { Deferral } from '../../../shared/types';
import { writeFileAtomic } from '../lib/fs-atomic';
import { logger } from '../lib/log';
import { keepCorruptCopy, readStateFileSync } from '../lib/state-file';

const log = logger('schedule.state');
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What the scheduler remembers about one component between passes and processes. */
export interface ComponentScheduleState {
  last_checked_at?: string | null;
  installed?: string | null;
  latest?: string | null;
  update_available?: boolean;
  published_at?: string | null;
  /** The check result's risk flag, when a checker sets one; null when it does not say or it is unknown. */
  security?: boolean | null;
  /** Why `security` is unknown (the advisory source that failed); null when it is known. */
  security_unknown?: string | null;
  /** Environment components: the packages that can move, their risk flags and the unknown ones (auto-update rules apply per package). */
  packages?: { name: string; flags: string[]; unknown?: string[] }[] | null;
  check_error?: { code: string; message: string } | null;
  /** When the scheduler first saw `latest`: the cooldown's start when the release date is unknown. */
  first_seen?: { version: string; at: string } | null;
  /** The last version announced as available (update_available fires once per version). */
  announced_version?: string | null;
  deferral?: Deferral | null;
  /** An auto-update to this version failed or was rolled back: not retried automatically. */
  failed_target?: { version: string; at: string; status: string } | null;
  last_auto_update?: { at: string; to: string | null; status: string } | null;
}

export interface SchedulerState {
  version: 1;
  /** When the last background check pass ran. */
  last_check_run: string | null;
  /** When the last scheduler pass (of any kind) ran. */
  last_pass: string | null;
  components: Record<string, ComponentScheduleState>;
}

const schedulerStateSchema = z.object({
  version: z.literal(1),
  last_check_run: z.string().nullable().catch(null),
  last_pass: z.string().nullable().catch(null),
  components: z.record(z.string(), z.custom<ComponentScheduleState>(isRecord)),
}) satisfies z.ZodType<SchedulerState>;

export const emptySchedulerState = (): SchedulerState => ({
  version: 1,
  last_check_run: null,
  last_pass: null,
  components: {},
});

/**
 * `<home>/schedule-state.json`, written atomically. Losing it costs one extra check, never an
 * update: an unreadable file reads as empty.
 */
export class SchedulerStateStore {
  readonly file: string;

  constructor(home: string) {
    this.file = path.join(home, 'schedule-state.json');
  }

  private copied: string | null = null;

  /** The state; empty when there is none. A damaged file reads as empty too (logged, and copied aside once). */
  read(): SchedulerState {
    let got;
    try {
      got = readStateFileSync(this.file, schedulerStateSchema);
    } catch (error) {
      log.error('the scheduler state cannot be read; this pass starts from empty state', { file: this.file, error });
      return emptySchedulerState();
    }
    if (got.status === 'ok') return got.value;
    if (got.status === 'corrupt' && this.copied !== got.reason) {
      this.copied = got.reason;
      // Safe to go on from empty: it costs a check and repeated notices; deferrals and failed targets are in the copy.
      log.error('the scheduler state is damaged; it starts again from empty', {
        file: this.file,
        reason: got.reason,
        copy: keepCorruptCopy(this.file),
      });
    }
    return emptySchedulerState();
  }

  async write(state: SchedulerState): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(state, null, 2)}\n`);
  }
}
