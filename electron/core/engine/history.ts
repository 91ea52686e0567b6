import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { HistoryEntry } from '../../../shared/types';
import { fsyncDir } from '../lib/fs-atomic';
import { logger } from '../lib/log';
import { parseState, stateCorrupt } from '../lib/state-file';

const log = logger('engine.history');

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One history line: what every reader relies on (an id and a component); older lines may lack later fields. */
const historyLineSchema = z.custom<HistoryEntry>(
  (v) => isRecord(v) && typeof v.id === 'string' && v.id !== '' && typeof v.component === 'string',
  'must be a history entry with an id and a component',
);

export interface HistoryText {
  entries: HistoryEntry[];
  /** 1-based numbers of lines that are not entries, except torn ones (a crash mid-append: expected, and the run's recovery writes it again). */
  damaged: number[];
}

/** A line a crash cut short: the start of a JSON object whose end never reached the disk. */
const isTorn = (line: string) => line.trimStart().startsWith('{') && !line.trimEnd().endsWith('}');

/** Parse `history.jsonl` text: the entries, and which lines are damaged (never quietly dropped: callers log or refuse). */
export function parseHistoryText(text: string): HistoryText {
  const out: HistoryText = { entries: [], damaged: [] };
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const parsed = parseState(line, historyLineSchema);
    if (parsed.ok) out.entries.push(parsed.value);
    else if (!isTorn(line)) out.damaged.push(i + 1);
  });
  return out;
}

/** The history file's text; '' when there is none yet. Unreadable (permissions, a folder) is STATE_CORRUPT, never "no history". */
export async function readHistoryText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw stateCorrupt(
      'The update history',
      file,
      `it cannot be read (${(error as Error).message})`,
      'Fix its permissions (or move what is in its place), then try again.',
    );
  }
}

/**
 * `history.jsonl`: one line per finished run, appended and fsynced. Appends of one line are
 * atomic enough for readers that skip a torn last line (a crash mid-append), which `read` does.
 */
export class HistoryStore {
  constructor(private readonly file: string) {}

  async append(entry: HistoryEntry): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const existed = await fs.stat(this.file).then(
      () => true,
      () => false,
    );
    // A torn last line from a crash must not swallow this entry: start on a fresh line.
    let prefix = '';
    if (existed) {
      const handle = await fs.open(this.file, 'r');
      try {
        const { size } = await handle.stat();
        if (size > 0) {
          const last = Buffer.alloc(1);
          await handle.read(last, 0, 1, size - 1);
          if (last[0] !== 0x0a) prefix = '\n';
        }
      } finally {
        await handle.close();
      }
    }
    const handle = await fs.open(this.file, 'a', 0o644);
    try {
      await handle.write(`${prefix}${JSON.stringify(entry)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (!existed) await fsyncDir(path.dirname(this.file));
  }

  /** Damaged files already logged by this process, by size (one line each, not one per read). */
  private loggedAt = -1;

  /** All entries, oldest first. Damaged lines are skipped and logged; the file itself is never rewritten. */
  async readAll(): Promise<HistoryEntry[]> {
    const text = await readHistoryText(this.file);
    const { entries, damaged } = parseHistoryText(text);
    if (damaged.length && this.loggedAt !== text.length) {
      this.loggedAt = text.length;
      log.error('history lines are damaged; they are skipped, and kept in the file as found', {
        file: this.file,
        lines: damaged.slice(0, 20),
        count: damaged.length,
      });
    }
    return entries;
  }

  /** Newest first, optionally for one component. */
  async list(options: { component?: string; limit?: number } = {}): Promise<HistoryEntry[]> {
    const all = (await this.readAll()).filter((e) => !options.component || e.component === options.component);
    all.sort((a, b) => (a.finished_at < b.finished_at ? 1 : a.finished_at > b.finished_at ? -1 : 0));
    return options.limit !== undefined ? all.slice(0, options.limit) : all;
  }

  async get(id: string): Promise<HistoryEntry | undefined> {
    return (await this.readAll()).find((e) => e.id === id);
  }
}
