import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../lib/fs-atomic';

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

  private read(): ChoicesFile {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as ChoicesFile;
      if (parsed.format === FORMAT && typeof parsed.components === 'object' && parsed.components !== null) return parsed;
    } catch {
      // Missing or damaged: no choices (a damaged file is replaced by the next write).
    }
    return { format: FORMAT, components: {} };
  }

  get(id: string): VersionChoice | undefined {
    const choice = this.read().components[id];
    return choice && typeof choice === 'object' ? choice : undefined;
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
      for (const key of Object.keys(c)) delete c[key as keyof VersionChoice];
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
