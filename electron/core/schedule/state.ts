import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Deferral } from '../../../shared/types';
import { writeFileAtomic } from '../lib/fs-atomic';

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

export const emptySchedulerState = (): SchedulerState => ({ version: 1, last_check_run: null, last_pass: null, components: {} });

/**
 * `<home>/schedule-state.json`, written atomically. Losing it costs one extra check, never an
 * update: an unreadable file reads as empty.
 */
export class SchedulerStateStore {
  readonly file: string;

  constructor(home: string) {
    this.file = path.join(home, 'schedule-state.json');
  }

  read(): SchedulerState {
    try {
      const value = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<SchedulerState>;
      if (!value || typeof value !== 'object' || value.version !== 1) return emptySchedulerState();
      return {
        version: 1,
        last_check_run: typeof value.last_check_run === 'string' ? value.last_check_run : null,
        last_pass: typeof value.last_pass === 'string' ? value.last_pass : null,
        components: typeof value.components === 'object' && value.components !== null ? value.components : {},
      };
    } catch {
      return emptySchedulerState();
    }
  }

  async write(state: SchedulerState): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(state, null, 2)}\n`);
  }
}
