import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../lib/fs-atomic';
import { keepCorruptCopy, readStateFileSync, stateCorrupt } from '../lib/state-file';

/** One component's choices: a version to skip, and a hold at the installed version. */
export interface VersionChoice {
  skip_version?: string;
  skipped_at?: string;
  held?: { version: string | null; at: string };
}

interface ChoicesFile {
  format: number;
  components: Record<string, VersionChoice>;
}

const FORMAT = 1;

const choicesFileSchema = z.object({
  format: z.literal(FORMAT),
  components: z.record(
    z.string(),
    z.object({
      skip_version: z.string().optional(),
      skipped_at: z.string().optional(),
      held: z.object({ version: z.string().nullable(), at: z.string() }).optional(),
    }),
  ),
}) satisfies z.ZodType<ChoicesFile>;

/** What the check service, the engine and the scheduler read. */
export interface VersionChoiceLookup {
  get(id: string): VersionChoice | undefined;
}

/**
 * The user's skip and hold choices, in `<home>/holds.json`. A state file rather than component
 * config keys: drop-in components are read-only but can still be held, the choices are not part of
 * what a check asks upstream (so the version cache stays valid), and they never leak into exported
 * configs. Read from disk on every lookup (a few hundred bytes) so the CLI, the headless host and
 * the desktop app see each other's choices at once; written atomically, writes serialized.
 */
export class VersionChoiceStore implements VersionChoiceLookup {
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  /** Damaged files this process already copied aside (one copy each, not one per lookup). */
  private readonly copied = new Map<string, string | null>();

  /**
   * The choices on disk; none when the file does not exist yet. A damaged file is STATE_CORRUPT on
   * every read and write until a person repairs or removes it: which components are held is then
   * unknown, and unknown must not read as "not held" (an auto-update would pass a hold).
   */
  private read(): ChoicesFile {
    const got = readStateFileSync(this.file, choicesFileSchema);
    if (got.status === 'ok') return got.value;
    if (got.status === 'missing') return { format: FORMAT, components: {} };
    if (!this.copied.has(got.reason)) this.copied.set(got.reason, keepCorruptCopy(this.file));
    throw stateCorrupt(
      'The holds and skipped versions file',
      this.file,
      got.reason,
      'Until it is fixed Upkeep cannot tell which components are held, so it refuses updates and new holds that depend on it: repair the file, or delete it and set your holds and skips again.',
      this.copied.get(got.reason) ?? null,
    );
  }

  get(id: string): VersionChoice | undefined {
    return this.read().components[id];
  }

  setSkip(id: string, version: string | null, now = new Date()): Promise<VersionChoice | undefined> {
    return this.change(id, (c) => {
      if (version === null) {
        delete c.skip_version;
        delete c.skipped_at;
      } else {
        c.skip_version = version;
        c.skipped_at = now.toISOString();
      }
    });
  }

  /** Drop the skip only if it is still `version` (a newer release superseded it). */
  clearSkipIf(id: string, version: string): Promise<VersionChoice | undefined> {
    return this.change(id, (c) => {
      if (c.skip_version === version) {
        delete c.skip_version;
        delete c.skipped_at;
      }
    });
  }

  setHold(id: string, hold: { version: string | null } | null, now = new Date()): Promise<VersionChoice | undefined> {
    return this.change(id, (c) => {
      if (hold === null) delete c.held;
      else c.held = { version: hold.version, at: now.toISOString() };
    });
  }

  /** Forget a removed component's choices. */
  remove(id: string): Promise<VersionChoice | undefined> {
    return this.change(id, (c) => {
      for (const key of Object.keys(c)) Reflect.deleteProperty(c, key);
    });
  }

  private change(id: string, edit: (choice: VersionChoice) => void): Promise<VersionChoice | undefined> {
    const job = this.writing.then(async () => {
      const file = this.read();
      const choice: VersionChoice = { ...(file.components[id] ?? {}) };
      edit(choice);
      if (Object.keys(choice).length === 0) delete file.components[id];
      else file.components[id] = choice;
      await writeFileAtomic(this.file, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
      return file.components[id];
    });
    this.writing = job.then(
      () => undefined,
      () => undefined,
    );
    return job;
  }
}

export function versionChoicesFile(home: string): string {
  return path.join(home, 'holds.json');
}
