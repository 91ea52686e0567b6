import { describe, expect, it } from 'vitest';
import { mapBounded } from '../../../electron/core/net/limiter';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapBounded', () => {
  it('runs at most `limit` tasks at once and keeps the input order', async () => {
    let running = 0;
    let most = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (n) => {
      most = Math.max(most, ++running);
      await tick(n);
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(most).toBe(2);
  });

  it('starts nothing after a failure and throws it once the tasks under way have ended', async () => {
    const started: number[] = [];
    const ended: number[] = [];
    const run = mapBounded([0, 1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      started.push(n);
      await tick(n === 1 ? 1 : 20);
      if (n === 1) throw new Error('task 1 failed');
      ended.push(n);
      return n;
    });
    await expect(run).rejects.toThrow('task 1 failed');
    // Tasks 0 and 2 were under way when 1 failed: both had ended before the failure came back.
    expect(started).toEqual([0, 1, 2]);
    expect(ended.sort()).toEqual([0, 2]);
  });
});
