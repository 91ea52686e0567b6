import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { HistoryEntry } from '../../../shared/types';
import { fsyncDir } from '../lib/fs-atomic';

/**
 * `history.jsonl`: one line per finished run, appended and fsynced. Appends of one line are
 * atomic enough for readers that skip a torn last line (a crash mid-append), which `read` does.
 */
export class HistoryStore {
  constructor(private readonly file: string) {}

  async append(entry: HistoryEntry): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const existed = await fs.stat(this.file).then(() => true, () => false);
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

  /** All entries, oldest first. */
  async readAll(): Promise<HistoryEntry[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch {
      return [];
    }
    const out: HistoryEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const value = JSON.parse(line) as HistoryEntry;
        if (value && typeof value.id === 'string' && typeof value.component === 'string') out.push(value);
      } catch {
        // A line torn by a crash: skip it.
      }
    }
    return out;
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
