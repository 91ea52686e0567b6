import { describe, expect, it } from 'vitest';
import { decideAutoUpdate, policyOf, type UpdateCandidate } from '../../../electron/core/schedule/policy';

const NOW = Date.parse('2026-06-10T01:30:00Z'); // 03:30 in Berlin
const ctx = { now: NOW, timeZone: 'Europe/Berlin', estimateMs: 10 * 60_000, estimateBasis: 'a default' };
const candidate = (over: Partial<UpdateCandidate> = {}): UpdateCandidate => ({
  installed: '1.0.0',
  latest: '1.1.0',
  publishedAt: null,
  firstSeenAt: NOW,
  security: null,
  ...over,
});
const policy = (auto: Record<string, unknown>) =>
  policyOf({ type: 'never_current', auto_update: { enabled: true, ...auto } } as never);

describe('decideAutoUpdate', () => {
  it('updates inside the window and reports when the window ends', () => {
    expect(decideAutoUpdate(policy({ window: 'daily 03:00 for 2h' }), candidate(), ctx)).toEqual({
      action: 'update',
      windowEnd: Date.parse('2026-06-10T03:00:00Z'),
    });
  });

  it('uses daily 03:00 for 2h when no window is given', () => {
    expect(policy({}).windowText).toBe('daily 03:00');
    expect(decideAutoUpdate(policy({}), candidate(), ctx).action).toBe('update');
  });

  it('security_only: a flagged release goes, an unflagged or unknown one waits', () => {
    const p = policy({ window: 'always', security_only: true });
    expect(decideAutoUpdate(p, candidate({ security: true }), ctx).action).toBe('update');
    expect(decideAutoUpdate(p, candidate({ security: false }), ctx)).toMatchObject({
      action: 'defer',
      reason: 'not_security',
    });
    expect(decideAutoUpdate(p, candidate({ security: null }), ctx)).toMatchObject({
      action: 'defer',
      reason: 'not_security',
    });
  });

  it('a cooldown that ends outside the window names the window after it', () => {
    const p = policy({ window: 'daily 03:00 for 1h', min_release_age: '12h' });
    // Released 2 h ago: ripe at 13:30 Berlin; the next window is the next day at 03:00.
    const d = decideAutoUpdate(p, candidate({ publishedAt: NOW - 2 * 3_600_000 }), ctx);
    expect(d).toMatchObject({ action: 'defer', reason: 'too_new', until: Date.parse('2026-06-11T01:00:00Z') });
  });

  it('an unreadable window or cooldown defers with the fix, never updates', () => {
    expect(decideAutoUpdate(policy({ window: 'nightly' }), candidate(), ctx)).toMatchObject({
      action: 'defer',
      reason: 'invalid_window',
      message: expect.stringMatching(/Fix the component's maintenance window\.$/),
    });
    // Core speaks of the action; the CLI adds its flag (test/unit/hosts/cli-hints.test.ts).
    expect(decideAutoUpdate(policy({ window: 'nightly' }), candidate(), ctx)).not.toMatchObject({
      message: expect.stringMatching(/upkeep|--/),
    });
    expect(decideAutoUpdate(policy({ window: 'always', min_release_age: 'soon' }), candidate(), ctx)).toMatchObject({
      action: 'defer',
      reason: 'invalid_window',
    });
  });

  it('commits and unparseable versions are not treated as major bumps; calendar versions never are', () => {
    const p = policy({ window: 'always' });
    expect(decideAutoUpdate(p, candidate({ installed: 'a1b2c3d', latest: 'e4f5a6b' }), ctx).action).toBe('update');
    expect(
      decideAutoUpdate(p, candidate({ installed: '2025.12.1', latest: '2026.1.0', scheme: 'calendar' }), ctx).action,
    ).toBe('update');
    expect(decideAutoUpdate(p, candidate({ installed: '2025.12.1', latest: '2026.1.0' }), ctx)).toMatchObject({
      reason: 'major_version',
    });
  });
});
