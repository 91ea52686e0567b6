import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackupInfo } from '../../../shared/types';
import { planRetention } from '../../../electron/core/backups/retention';
import { backupWorld } from './setup';

function info(id: string, over: Partial<BackupInfo>): BackupInfo {
  return {
    id,
    component: 'demo',
    type: 'full',
    name: id,
    description: '',
    created_at: '2026-01-01T00:00:00.000Z',
    component_version: null,
    reason: 'pre-update',
    pinned: false,
    file_count: 1,
    size: 1,
    compressed_size: 1024 * 1024,
    compressed: true,
    sha256: '0'.repeat(64),
    archive: `/x/${id}.tar.gz`,
    verification: null,
    ...over,
  };
}

describe('retention plan', () => {
  const day = (d: number) => `2026-01-${String(d).padStart(2, '0')}T00:00:00.000Z`;
  const backups = [
    info('auto-1', { created_at: day(1) }),
    info('manual-2', { created_at: day(2), reason: 'manual' }),
    info('auto-3', { created_at: day(3), reason: 'safety' }),
    info('pinned-4', { created_at: day(4), pinned: true }),
    info('referenced-5', { created_at: day(5) }),
    info('auto-6', { created_at: day(6) }),
    info('manual-7', { created_at: day(7), reason: 'manual' }),
  ];
  const isReferenced = (id: string) => id === 'referenced-5';

  it('drops the oldest automatic backups first, manual ones after, never pinned or referenced ones', () => {
    const ids = (max: number) =>
      planRetention(backups, { maxPerComponent: max, maxAgeDays: 0, diskBudgetMb: 0 }, { isReferenced }).map(
        (d) => d.id,
      );
    expect(ids(7)).toEqual([]);
    expect(ids(5)).toEqual(['auto-1', 'auto-3']);
    expect(ids(4)).toEqual(['auto-1', 'auto-3', 'auto-6']);
    expect(ids(3)).toEqual(['auto-1', 'auto-3', 'auto-6', 'manual-2']);
    // Never below what must be kept: pinned, referenced.
    expect(ids(1)).toEqual(['auto-1', 'auto-3', 'auto-6', 'manual-2', 'manual-7']);
  });

  it('max age and disk budget', () => {
    const now = new Date('2026-01-08T00:00:00.000Z');
    const byAge = planRetention(
      backups,
      { maxPerComponent: 100, maxAgeDays: 5, diskBudgetMb: 0 },
      { isReferenced, now },
    );
    expect(byAge.map((d) => d.id)).toEqual(['auto-1', 'manual-2']);
    const byBudget = planRetention(
      backups,
      { maxPerComponent: 100, maxAgeDays: 0, diskBudgetMb: 4 },
      { isReferenced, keep: new Set(['auto-6']) },
    );
    expect(byBudget.map((d) => [d.id, d.reason])).toEqual([
      ['auto-1', 'budget'],
      ['auto-3', 'budget'],
      ['manual-2', 'budget'],
    ]);
  });
});

describe('retention on disk', () => {
  it('keeps the newest, the pinned, manual over automatic, and the pre-update backup history still refers to', async () => {
    const { folder, services, home } = backupWorld();
    writeFileSync(path.join(folder, 'app.txt'), 'app');
    services.settings.set({ backup_max_per_component: 3 });
    const referenced = await services.backups.create({ component: 'demo', reason: 'pre-update' });
    appendFileSync(
      path.join(home, 'history.jsonl'),
      `${JSON.stringify({ id: 'run-1', component: 'demo', kind: 'update', from: '1.0', to: '1.1', status: 'succeeded', started_at: '2026-01-01T00:00:00Z', finished_at: '2026-01-01T00:01:00Z', backup_id: referenced.id, error: null })}\n`,
    );
    const pinned = await services.backups.create({ component: 'demo', reason: 'pre-update', pinned: true });
    const manual = await services.backups.create({ component: 'demo', reason: 'manual' });
    const auto1 = await services.backups.create({ component: 'demo', reason: 'pre-update' });
    // 4 > 3: the new one stays, pinned and referenced ones stay: the manual one is what may go.
    let ids = (await services.backups.list()).backups.map((b) => b.id);
    expect(ids.sort()).toEqual([referenced.id, pinned.id, auto1.id].sort());
    expect(existsSync(manual.archive)).toBe(false);
    const auto2 = await services.backups.create({ component: 'demo', reason: 'safety' });
    // 4 > 3 again: the oldest automatic one that may go is auto1.
    ids = (await services.backups.list()).backups.map((b) => b.id);
    expect(ids.sort()).toEqual([referenced.id, pinned.id, auto2.id].sort());
    expect(existsSync(auto1.archive)).toBe(false);
    // A manual backup outlives the older automatic one.
    const manual2 = await services.backups.create({ component: 'demo', reason: 'manual' });
    ids = (await services.backups.list()).backups.map((b) => b.id);
    expect(ids.sort()).toEqual([referenced.id, pinned.id, manual2.id].sort());
    expect(existsSync(referenced.archive)).toBe(true);
    expect(JSON.parse(readFileSync(path.join(home, 'backups/demo', `${pinned.id}.json`), 'utf8')).pinned).toBe(true);
  });
});
