import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JournalStore, type RunJournal } from '../../electron/core/engine/journal';
import { recoverInterrupted } from '../../electron/core/recovery';
import { singleFileUpdater } from '../../electron/core/updaters/single-file';
import { updaterContext } from '../unit/updaters/harness';
import { releaseScenario, type Scenario } from '../unit/engine/scenario';
import { tempDir } from '../helpers/temp';

/**
 * Damaged state met by the engine itself (the scheduler's path, which does not pass through the
 * contract's recovery gate): a run journal that cannot be read refuses its component's updates
 * instead of letting a new run go over a folder in an unknown state; a holds file that cannot be
 * read refuses each component of an update-all instead of failing the whole call unanswered.
 */

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.cleanup();
  scenario = undefined;
});

function journalText(runId: string): string {
  const journal = {
    version: 1,
    run_id: runId,
    kind: 'update',
    component: 'webapp',
    method: 'release_archive',
    from: '1.0.0',
    to: '1.1.0',
    target: { version: '1.1.0' },
    force: false,
    no_backup: false,
    initiated_by: 'schedule',
    host: 'cli',
    pid: 999999,
    started_at: '2026-12-07T00:00:00.000Z',
    step: 'apply',
    phase: 'running',
    backup: { id: 'webapp-x', kind: 'store' },
    touched: true,
    rollback_on_failure: true,
    error: null,
    state: {},
  };
  return JSON.stringify(journal, null, 2);
}

describe('a damaged run journal met by the engine', () => {
  it('is a failed recovery of its component: the engine refuses to update it (RECOVERY_FAILED), keeps the journal, and updates once it is moved away', async () => {
    const s = (scenario = await releaseScenario());
    const file = path.join(s.home, 'journal', '20261207T000000Z-deadbeef.json');
    mkdirSync(path.dirname(file), { recursive: true });
    const text = journalText('20261207T000000Z-deadbeef').slice(0, 300);
    writeFileSync(file, text);
    const before = s.hash();

    const recovery = await s.services.updates.recoverRuns();
    expect(recovery.failed).toEqual([
      expect.objectContaining({ component: 'webapp', error: expect.objectContaining({ code: 'RECOVERY_FAILED' }) }),
    ]);
    // The hosts' report names it once (not once from the engine and again from the journal folder).
    expect((await recoverInterrupted(s.services)).failed.filter((f) => f.component === 'webapp')).toHaveLength(1);

    const [refused] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'schedule' });
    expect(refused).toMatchObject({ id: 'webapp', status: 'failed', error: { code: 'RECOVERY_FAILED' } });
    expect(refused?.error?.message).toContain(file);
    expect(s.hash()).toBe(before);
    expect(readFileSync(file, 'utf8')).toBe(text);

    // A person looked and moved it away: the next call reads the folder again and the update runs.
    renameSync(file, path.join(s.root, 'moved-journal.json'));
    const [updated] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'schedule' });
    expect(updated).toMatchObject({ id: 'webapp', status: 'succeeded', to: '1.1.0' });
  }, 60_000);
});

describe('a damaged holds file met by an update of everything', () => {
  it('refuses each component with STATE_CORRUPT (whether it is held is unknown) and answers with the results, changing nothing', async () => {
    const s = (scenario = await releaseScenario());
    writeFileSync(path.join(s.home, 'holds.json'), '{"format": 1, "components": {"webapp": {"held"');
    const before = s.hash();
    const seen: string[] = [];
    const results = await s.services.updates.updateComponents(undefined, {
      initiatedBy: 'schedule',
      onResult: (r) => seen.push(r.id),
    });
    expect(results).toEqual([
      expect.objectContaining({
        id: 'webapp',
        status: 'failed',
        error: expect.objectContaining({ code: 'STATE_CORRUPT' }),
      }),
    ]);
    expect(seen).toEqual(['webapp']);
    expect(s.hash()).toBe(before);
    expect(await s.services.updates.history.list({})).toEqual([]);
  }, 60_000);
});

describe('a run journal as the cancel of another process leaves it', () => {
  it("keeps the holder's answer to a cancel and a cancelled outcome (neither is damage)", async () => {
    const dir = path.join(tempDir('upkeep-journal-'), 'journal');
    const store = new JournalStore(dir);
    const journal = JSON.parse(journalText('20261207T000000Z-cafe0001')) as RunJournal;
    journal.cancel = { request_id: 'abc', answer: 'accepted', step: 'apply', at: '2026-12-07T00:00:01.000Z' };
    journal.phase = 'finished';
    journal.finished_status = 'cancelled';
    await store.write(journal);
    const read = await store.read(journal.run_id);
    expect(read?.cancel).toEqual(journal.cancel);
    expect(read?.finished_status).toBe('cancelled');
    expect(await store.damaged()).toEqual([]);
    expect(existsSync(store.file(journal.run_id))).toBe(true);
  });
});

describe('a pre-update snapshot of another shape', () => {
  it('is BACKUP_CORRUPT naming the file, kept as found; nothing is restored from it', async () => {
    const dir = tempDir('upkeep-snapshot-');
    const file = path.join(dir, 'plugin.py');
    writeFileSync(file, '# plugin v1\n');
    const run = updaterContext(
      path.join(dir, 'home'),
      'plug',
      { type: 'always_current', current: '1', method: 'single_file', url: 'https://example.invalid/plugin.py', file },
      { version: '2' },
    );
    const id = await singleFileUpdater.snapshot?.create(run.ctx);
    const snapshots = path.join(dir, 'home', 'snapshots', 'plug');
    const [name] = readdirSync(snapshots);
    const snapshotFile = path.join(snapshots, name as string);
    // The content is gone from the record (a hand edit, another version's format): not a backup that can be trusted.
    const damaged = JSON.stringify({ kind: 'single-file', file, mode: 420 });
    writeFileSync(snapshotFile, damaged);
    writeFileSync(file, '# plugin v2\n');

    await expect(singleFileUpdater.snapshot?.restore(run.ctx, id as string)).rejects.toMatchObject({
      code: 'BACKUP_CORRUPT',
      message: expect.stringContaining(snapshotFile),
    });
    expect(readFileSync(file, 'utf8')).toBe('# plugin v2\n');
    expect(readFileSync(snapshotFile, 'utf8')).toBe(damaged);
  });
});

describe('records of the core logger during a run', () => {
  it("land in that run's log, so a person reading the run sees them (a damaged version cache met by its preflight)", async () => {
    const s = (scenario = await releaseScenario());
    mkdirSync(path.join(s.home, 'cache'), { recursive: true });
    writeFileSync(path.join(s.home, 'cache', 'versions.json'), '{"entries": {"webapp": ');
    const [result] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
    expect(result).toMatchObject({ status: 'succeeded', to: '1.1.0' });
    const { lines } = await s.services.updates.getRunLog(result?.run_id as string);
    expect(lines.map((l) => l.line)).toContainEqual(
      expect.stringMatching(/^warn checks\.service: the version cache is damaged/),
    );
  }, 60_000);
});

describe('a restore journal of an unknown kind at start-up', () => {
  it('is RECOVERY_FAILED, kept as found with the staging folder it names — never taken for one to clean up', async () => {
    const s = (scenario = await releaseScenario());
    const staging = path.join(s.root, 'srv', '.webapp.upkeep-staging-20261207');
    mkdirSync(staging, { recursive: true });
    writeFileSync(path.join(staging, 'only-copy.txt'), 'what a newer version was moving\n');
    const journal = path.join(s.home, 'backups', '.restore-webapp.json');
    mkdirSync(path.dirname(journal), { recursive: true });
    const text = `${JSON.stringify({ kind: 'exchange', folder: s.folder, staging, phase: 'swapping' })}\n`;
    writeFileSync(journal, text);
    const before = s.hash();

    const report = await recoverInterrupted(s.services);
    expect(report.failed).toEqual([
      expect.objectContaining({
        component: 'webapp',
        error: expect.objectContaining({ code: 'RECOVERY_FAILED', message: expect.stringContaining(journal) }),
      }),
    ]);
    expect(readFileSync(journal, 'utf8')).toBe(text);
    expect(readFileSync(path.join(staging, 'only-copy.txt'), 'utf8')).toBe('what a newer version was moving\n');
    expect(s.hash()).toBe(before);
  }, 60_000);
});
