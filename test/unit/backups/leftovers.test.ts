import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../../electron/core/engine/lock';
import { createServices } from '../../../electron/core/services';
import { makeTree } from '../archive/fixtures';
import { backupWorld } from './setup';

/** What a backup killed part-way leaves beside the finished ones. */
function plantLeftovers(home: string): { partial: string; work: string; unrelated: string } {
  const dir = path.join(home, 'backups', 'demo');
  mkdirSync(dir, { recursive: true });
  const partial = path.join(dir, '.demo-20260101-000000-abcd.tar.gz.partial');
  writeFileSync(partial, Buffer.alloc(1024 * 1024, 7));
  const work = path.join(dir, '.demo-20260101-000000-abcd.work');
  mkdirSync(work);
  writeFileSync(path.join(work, 'db-0'), 'copy of a database');
  const unrelated = path.join(dir, 'notes.txt');
  writeFileSync(unrelated, "not Upkeep's to remove");
  return { partial, work, unrelated };
}

describe('what interrupted backups leave behind', () => {
  it('the next backup of the component removes it, and nothing else', async () => {
    const { folder, services, home } = backupWorld();
    makeTree(folder);
    const first = await services.backups.create({ component: 'demo' });
    const left = plantLeftovers(home);
    const second = await services.backups.create({ component: 'demo' });
    expect(existsSync(left.partial)).toBe(false);
    expect(existsSync(left.work)).toBe(false);
    expect(existsSync(left.unrelated)).toBe(true);
    const ids = (await services.backups.list({ component: 'demo' })).backups.map((b) => b.id);
    expect(ids).toEqual(expect.arrayContaining([first.id, second.id]));
  });

  it("a host starting up removes it, unless another process holds the component's backup lock", async () => {
    const { home } = backupWorld();
    const left = plantLeftovers(home);
    // Another process backing up `demo` right now: its partial archive is live.
    const held = await acquireLock(path.join(home, 'locks', 'backups'), 'demo', { host: 'backup', runId: 'other' });
    try {
      await createServices({ home, host: 'cli' }).backups.recoverInterrupted();
      expect(existsSync(left.partial)).toBe(true);
      expect(existsSync(left.work)).toBe(true);
    } finally {
      await held.release();
    }
    await createServices({ home, host: 'cli' }).backups.recoverInterrupted();
    expect(readdirSync(path.join(home, 'backups', 'demo'))).toEqual(['notes.txt']);
  });
});
