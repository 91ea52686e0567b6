import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpdateResult } from '../../shared/types';
import { releaseScenario, type Scenario } from '../unit/engine/scenario';
import { runCrashDriver } from './crash-points';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

describe('two hosts update the same component at once (two real processes)', () => {
  it('one wins, the other gets UPDATE_IN_PROGRESS; the folder is the new version, once', async () => {
    // The install step takes a while so the two runs overlap.
    s = await releaseScenario({
      config: {
        install: [['node', '-e', 'setTimeout(() => require("fs").appendFileSync("installs.log", "x"), 4000)']],
      },
    });
    const [a, b] = await Promise.all([
      runCrashDriver(s.home, 'update', 'webapp', 0),
      runCrashDriver(s.home, 'update', 'webapp', 0),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const results = [a, b].map((r) => (JSON.parse(r.stdout) as { results: UpdateResult[] }).results[0]!);
    const statuses = results.map((r) => r.status).sort();
    const codes = results.map((r) => r.error?.code ?? null).sort();
    expect(statuses).toEqual(['failed', 'succeeded']);
    expect(codes).toEqual(['UPDATE_IN_PROGRESS', null]);
    expect(readFileSync(path.join(s.folder, 'VERSION'), 'utf8')).toBe('1.1.0\n');
    expect(readFileSync(path.join(s.folder, 'installs.log'), 'utf8')).toBe('x');
    expect(readdirSync(path.join(s.home, 'journal'))).toEqual([]);
    const loser = results.find((r) => r.status === 'failed')!;
    expect(loser.error?.message).toMatch(/already|in progress|another/i);
  });
});
