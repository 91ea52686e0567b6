import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../shared/types';
import { HistoryStore } from '../../../electron/core/engine/history';
import { JournalStore } from '../../../electron/core/engine/journal';
import { readRunLog, RunLog } from '../../../electron/core/engine/run-log';
import { tempDir } from '../../helpers/temp';

function entry(id: string, component: string, finished: string): HistoryEntry {
  return {
    id,
    component,
    kind: 'update',
    from: '1',
    to: '2',
    status: 'succeeded',
    started_at: finished,
    finished_at: finished,
    backup_id: null,
    error: null,
    duration_ms: 1,
    initiated_by: 'cli',
  };
}

describe('history.jsonl', () => {
  it('lists newest first, per component, with a limit; a line torn by a crash is skipped and does not swallow the next', async () => {
    const file = path.join(tempDir(), 'history.jsonl');
    const store = new HistoryStore(file);
    await store.append(entry('a', 'web', '2026-01-01T00:00:00.000Z'));
    appendFileSync(file, '{"id":"torn","comp');
    await store.append(entry('b', 'bot', '2026-01-02T00:00:00.000Z'));
    await store.append(entry('c', 'web', '2026-01-03T00:00:00.000Z'));
    expect((await store.list()).map((e) => e.id)).toEqual(['c', 'b', 'a']);
    expect((await store.list({ component: 'web' })).map((e) => e.id)).toEqual(['c', 'a']);
    expect((await store.list({ limit: 1 })).map((e) => e.id)).toEqual(['c']);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(4);
  });
});

describe('run log', () => {
  it('writes every line with its stream, strips ANSI, redacts secrets, and reads back', async () => {
    const dir = tempDir();
    const seen: string[] = [];
    const log = new RunLog(dir, 'run-1', 'web', (l) => seen.push(`${l.stream}:${l.line}`));
    log.addSecret('hunter2-secret');
    log.write('\u001b[1mbold\u001b[0m line\nsecond with hunter2-secret', 'stdout');
    log.write('a message');
    expect(seen).toEqual(['stdout:bold line', 'stdout:second with ***', 'message:a message']);
    const { lines, total } = await readRunLog(dir, 'run-1', 'web', { offset: 1 });
    expect(total).toBe(3);
    expect(lines.map((l) => [l.stream, l.line])).toEqual([
      ['stdout', 'second with ***'],
      ['message', 'a message'],
    ]);
    expect(readFileSync(path.join(dir, 'run-1.log'), 'utf8')).not.toContain('hunter2');
  });
});

describe('run journals', () => {
  it("removing a finished run's journal also removes the temp files of writes to it a killed process left, and no other", async () => {
    const dir = tempDir();
    const journals = new JournalStore(dir);
    const runId = '20261207T180606Z-70d67a28';
    writeFileSync(path.join(dir, `${runId}.json`), '{}');
    // A write killed between creating its temp file and renaming it (see writeFileAtomic).
    writeFileSync(path.join(dir, `.${runId}.json.7470f586d931.tmp`), '{"half":');
    // Another run's, still being written by its live process.
    writeFileSync(path.join(dir, '.20261207T180607Z-11111111.json.0123456789ab.tmp'), '{');
    await journals.remove(runId);
    expect(readdirSync(dir)).toEqual(['.20261207T180607Z-11111111.json.0123456789ab.tmp']);
  });
});
