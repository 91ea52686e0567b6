import { describe, expect, it } from 'vitest';
import { UpkeepError } from '../../../shared/errors';
import { formatDuration, parseDuration } from '../../../electron/core/schedule/duration';
import { crossesMajor } from '../../../electron/core/schedule/version-bump';
import { nextWindowStart, parseWindow, windowAt } from '../../../electron/core/schedule/window';
import { instantOf, resolveWallTime, zonedParts } from '../../../electron/core/schedule/zoned-time';

const BERLIN = 'Europe/Berlin';
const NEW_YORK = 'America/New_York';
const Z = (s: string) => Date.parse(s);
const MIN = 60_000;
const HOUR = 3_600_000;

describe('wall time in a named zone (Intl only)', () => {
  it('reads wall clocks of an instant in the zone given, not the process zone', () => {
    expect(zonedParts(Z('2026-06-10T01:00:00Z'), BERLIN)).toMatchObject({
      year: 2026,
      month: 6,
      day: 10,
      hour: 3,
      minute: 0,
      weekday: 3,
    });
    expect(zonedParts(Z('2026-06-10T01:00:00Z'), NEW_YORK)).toMatchObject({ year: 2026, month: 6, day: 9, hour: 21 });
  });

  it('knows a wall time skipped in spring and one repeated in autumn', () => {
    const spring = resolveWallTime({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, BERLIN);
    expect(spring.kind).toBe('skipped');
    if (spring.kind === 'skipped') {
      expect(spring.gapMs).toBe(HOUR);
      expect(spring.transition).toBe(Z('2026-03-29T01:00:00Z'));
    }
    const autumn = resolveWallTime({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, BERLIN);
    expect(autumn).toEqual({ kind: 'repeated', instants: [Z('2026-10-25T00:30:00Z'), Z('2026-10-25T01:30:00Z')] });
    expect(resolveWallTime({ year: 2026, month: 7, day: 1, hour: 2, minute: 30 }, BERLIN)).toEqual({
      kind: 'exact',
      instant: Z('2026-07-01T00:30:00Z'),
    });
  });

  it('maps a skipped time forward by the gap and a repeated time to its first occurrence', () => {
    expect(instantOf({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, BERLIN)).toBe(Z('2026-03-29T01:30:00Z')); // 03:30 CEST
    expect(instantOf({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, BERLIN)).toBe(Z('2026-10-25T00:30:00Z')); // first 02:30, CEST
    expect(instantOf({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, NEW_YORK)).toBe(Z('2026-03-08T07:30:00Z')); // 03:30 EDT
    expect(instantOf({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, NEW_YORK)).toBe(Z('2026-11-01T05:30:00Z')); // first 01:30, EDT
  });

  it('refuses an unknown zone with a message naming the fix', () => {
    expect(() => zonedParts(0, 'Mars/Olympus')).toThrow(/IANA name such as Europe\/Berlin/);
  });
});

describe('window specs', () => {
  it('parses daily, weekly, monthly, cron and always, with an optional length', () => {
    expect(parseWindow('daily 03:00')).toMatchObject({
      recurrence: { kind: 'daily', hour: 3, minute: 0 },
      durationMs: 2 * HOUR,
    });
    expect(parseWindow('weekly sun 03:00 for 90m')).toMatchObject({
      recurrence: { kind: 'weekly', days: [0], hour: 3 },
      durationMs: 90 * MIN,
    });
    expect(parseWindow('weekly mon-fri 22:15').recurrence).toMatchObject({
      days: [1, 2, 3, 4, 5],
      hour: 22,
      minute: 15,
    });
    expect(parseWindow('weekly fri-mon 01:00').recurrence).toMatchObject({ days: [0, 1, 5, 6] });
    expect(parseWindow('monthly 1 03:00 for 4h')).toMatchObject({
      recurrence: { kind: 'monthly', day: 1 },
      durationMs: 4 * HOUR,
    });
    expect(parseWindow('monthly last 03:00').recurrence).toMatchObject({ kind: 'monthly', day: 'last' });
    expect(parseWindow('30 2 * * 0').recurrence.kind).toBe('cron');
    expect(parseWindow('@weekly for 1h').durationMs).toBe(HOUR);
    expect(parseWindow('always').durationMs).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([
    ['dialy 03:00', /"dialy" is not a kind of window/],
    ['daily 3', /not a time like 03:00/],
    ['daily 24:00', /not a time of day/],
    ['weekly sunnday 03:00', /not a day of the week/],
    ['monthly 32 03:00', /not a day of the month/],
    ['61 * * * *', /outside 0–59/],
    ['* * * *', /5 fields/],
    ['daily 03:00 for 3', /Write a number with a unit/],
    ['daily 03:00 for 40d', /between 1 minute and 31 days/],
  ])('refuses %s with INVALID_CONFIG and a hint', (spec, why) => {
    let error: unknown;
    try {
      parseWindow(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UpkeepError);
    expect((error as UpkeepError).code).toBe('INVALID_CONFIG');
    expect((error as UpkeepError).message).toMatch(why);
    expect((error as UpkeepError).message).toMatch(/Write one of: "daily 03:00"/);
  });

  it('parses cooldowns and refuses a bare number', () => {
    expect(parseDuration('3d')).toBe(3 * 24 * HOUR);
    expect(parseDuration('12h')).toBe(12 * HOUR);
    expect(parseDuration('2h30m')).toBe(150 * MIN);
    expect(parseDuration('1w')).toBe(7 * 24 * HOUR);
    expect(() => parseDuration('3')).toThrow(/30m, 12h, 3d/);
    expect(() => parseDuration('3 days')).toThrow(UpkeepError);
    expect(formatDuration(26 * HOUR)).toBe('1d 2h');
    expect(formatDuration(90 * MIN)).toBe('1h 30m');
  });
});

describe('window edges', () => {
  const daily = parseWindow('daily 03:00 for 2h');

  it('is closed just before the start, open from the start, closed at the end (Berlin summer)', () => {
    const start = Z('2026-06-10T01:00:00Z'); // 03:00 CEST
    expect(windowAt(daily, start - 1, BERLIN)).toEqual({ open: false, nextStart: start });
    expect(windowAt(daily, start, BERLIN)).toEqual({ open: true, start, end: start + 2 * HOUR });
    expect(windowAt(daily, start + 2 * HOUR - 1, BERLIN)).toEqual({ open: true, start, end: start + 2 * HOUR });
    expect(windowAt(daily, start + 2 * HOUR, BERLIN)).toEqual({ open: false, nextStart: start + 24 * HOUR });
  });

  it('reads the same spec in each zone given', () => {
    expect(nextWindowStart(daily, Z('2026-06-10T00:00:00Z'), NEW_YORK)).toBe(Z('2026-06-10T07:00:00Z')); // 03:00 EDT
    expect(nextWindowStart(daily, Z('2026-01-10T00:00:00Z'), NEW_YORK)).toBe(Z('2026-01-10T08:00:00Z')); // 03:00 EST
    expect(nextWindowStart(daily, Z('2026-01-10T00:00:00Z'), BERLIN)).toBe(Z('2026-01-10T02:00:00Z')); // 03:00 CET
  });

  it('weekly and monthly windows land on the right days; day 31 means the last day of shorter months', () => {
    const sunday = parseWindow('weekly sun 03:00');
    // 2026-06-10 is a Wednesday; the next Sunday is the 14th.
    expect(nextWindowStart(sunday, Z('2026-06-10T12:00:00Z'), BERLIN)).toBe(Z('2026-06-14T01:00:00Z'));
    const the31st = parseWindow('monthly 31 04:00');
    expect(nextWindowStart(the31st, Z('2026-04-01T00:00:00Z'), BERLIN)).toBe(Z('2026-04-30T02:00:00Z'));
    expect(nextWindowStart(the31st, Z('2026-05-01T00:00:00Z'), BERLIN)).toBe(Z('2026-05-31T02:00:00Z'));
    const last = parseWindow('monthly last 03:00');
    expect(nextWindowStart(last, Z('2028-02-01T00:00:00Z'), 'UTC')).toBe(Z('2028-02-29T03:00:00Z'));
  });

  it('cron: restricted day-of-month and day-of-week match either (Vixie cron), steps and names work', () => {
    const both = parseWindow('0 4 13 * fri');
    // From Monday 2026-06-08: Friday the 12th comes before the 13th.
    expect(nextWindowStart(both, Z('2026-06-08T00:00:00Z'), 'UTC')).toBe(Z('2026-06-12T04:00:00Z'));
    expect(nextWindowStart(both, Z('2026-06-12T05:00:00Z'), 'UTC')).toBe(Z('2026-06-13T04:00:00Z'));
    const every15 = parseWindow('*/15 3 * jun * for 10m');
    expect(nextWindowStart(every15, Z('2026-06-10T03:01:00Z'), 'UTC')).toBe(Z('2026-06-10T03:15:00Z'));
    expect(nextWindowStart(every15, Z('2026-05-10T03:01:00Z'), 'UTC')).toBe(Z('2026-06-01T03:00:00Z'));
  });

  it('overlapping cron starts merge into one open window', () => {
    const everyMinute = parseWindow('* 3 * * * for 5m');
    const w = windowAt(everyMinute, Z('2026-06-10T03:30:00Z'), 'UTC');
    expect(w).toEqual({ open: true, start: Z('2026-06-10T03:26:00Z'), end: Z('2026-06-10T04:04:00Z') });
  });
});

describe('daylight saving time', () => {
  it('Berlin spring forward: a 02:30 window opens at 03:30 CEST and keeps its length', () => {
    const w = parseWindow('daily 02:30 for 1h');
    const opens = Z('2026-03-29T01:30:00Z'); // 03:30 CEST
    expect(nextWindowStart(w, Z('2026-03-28T12:00:00Z'), BERLIN)).toBe(opens);
    expect(windowAt(w, opens - 1, BERLIN)).toEqual({ open: false, nextStart: opens });
    expect(windowAt(w, opens, BERLIN)).toEqual({ open: true, start: opens, end: opens + HOUR });
    // The day before and the day after, 02:30 exists again.
    expect(nextWindowStart(w, Z('2026-03-27T12:00:00Z'), BERLIN)).toBe(Z('2026-03-28T01:30:00Z')); // 02:30 CET
    expect(nextWindowStart(w, opens + 1, BERLIN)).toBe(Z('2026-03-30T00:30:00Z')); // 02:30 CEST
  });

  it('Berlin fall back: a 02:30 window opens once, in the first 02:30, not again in the repeated hour', () => {
    const w = parseWindow('daily 02:30 for 30m');
    const first = Z('2026-10-25T00:30:00Z'); // 02:30 CEST
    const repeated = Z('2026-10-25T01:30:00Z'); // 02:30 CET, the same wall time again
    expect(nextWindowStart(w, Z('2026-10-24T12:00:00Z'), BERLIN)).toBe(first);
    expect(windowAt(w, first + 10 * MIN, BERLIN)).toMatchObject({ open: true, start: first, end: first + 30 * MIN });
    expect(windowAt(w, repeated + 10 * MIN, BERLIN)).toEqual({ open: false, nextStart: Z('2026-10-26T01:30:00Z') });
  });

  it('a window length is elapsed time: a 3h window from 01:00 on the spring day closes at 05:00 CEST', () => {
    const w = parseWindow('daily 01:00 for 3h');
    const start = Z('2026-03-29T00:00:00Z'); // 01:00 CET
    expect(windowAt(w, start, BERLIN)).toEqual({ open: true, start, end: Z('2026-03-29T03:00:00Z') }); // 05:00 CEST
  });

  it('New York: spring 02:30 → 03:30 EDT, fall 01:30 → the first (EDT) one', () => {
    expect(nextWindowStart(parseWindow('daily 02:30'), Z('2026-03-07T12:00:00Z'), NEW_YORK)).toBe(
      Z('2026-03-08T07:30:00Z'),
    );
    const fall = parseWindow('daily 01:30 for 45m');
    expect(nextWindowStart(fall, Z('2026-10-31T12:00:00Z'), NEW_YORK)).toBe(Z('2026-11-01T05:30:00Z'));
    expect(windowAt(fall, Z('2026-11-01T06:40:00Z'), NEW_YORK)).toEqual({
      open: false,
      nextStart: Z('2026-11-02T06:30:00Z'),
    });
  });

  it('cron in a repeated hour fires each wall time once; in a skipped hour, right after the jump', () => {
    const cron = parseWindow('*/30 2 * * *');
    const starts = (from: number, n: number) => {
      const out: number[] = [];
      let t = from;
      for (let i = 0; i < n; i++) {
        const s = nextWindowStart(cron, t, BERLIN) as number;
        out.push(s);
        t = s + 1;
      }
      return out.map((s) => new Date(s).toISOString());
    };
    expect(starts(Z('2026-10-24T23:00:00Z'), 3)).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:00:00.000Z',
    ]);
    expect(starts(Z('2026-03-28T23:00:00Z'), 3)).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T01:30:00.000Z',
      '2026-03-30T00:00:00.000Z',
    ]);
  });
});

describe('major versions', () => {
  it.each([
    ['1.4.2', '2.0.0', undefined, true],
    ['v1.4.2', 'v1.5.0', undefined, false],
    ['0.3.1', '0.4.0', undefined, true],
    ['0.3.1', '0.3.9', undefined, false],
    ['1!1.0', '2!1.0', undefined, true],
    ['2024.1.0', '2025.1.0', 'calendar', false],
    ['abc1234', 'def5678', undefined, null],
    [null, '2.0.0', undefined, null],
  ] as const)('%s → %s (%s) crosses a major: %s', (from, to, scheme, expected) => {
    expect(crossesMajor(from, to, scheme)).toBe(expected);
  });
});
