import { UpkeepError } from '../../../shared/errors';

/**
 * Wall-clock time in a named time zone ↔ instants, with nothing but Intl (no tz database package:
 * Node ships ICU with the zone rules). Instants are epoch milliseconds.
 */

/** A wall-clock date and time; month 1–12, weekday 0 = Sunday. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

export interface ZonedParts extends WallTime {
  second: number;
  weekday: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        weekday: 'short',
        era: 'short',
      });
    } catch {
      throw new UpkeepError(
        'INVALID_CONFIG',
        `Unknown time zone "${timeZone}". Use an IANA name such as Europe/Berlin or America/New_York (or leave time_zone empty for this machine's zone).`,
        { time_zone: timeZone },
      );
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws INVALID_CONFIG with a helpful message when the zone is unknown. */
export function assertTimeZone(timeZone: string): string {
  formatter(timeZone);
  return timeZone;
}

/** The zone this machine runs in. */
export function systemTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The wall-clock reading of an instant in a zone. */
export function zonedParts(instant: number, timeZone: string): ZonedParts {
  const parts = formatter(timeZone).formatToParts(new Date(instant));
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  let year = Number(get('year'));
  if (get('era') === 'BC' || get('era') === 'B') year = 1 - year;
  return {
    year,
    month: Number(get('month')),
    day: Number(get('day')),
    hour: Number(get('hour')) % 24,
    minute: Number(get('minute')),
    second: Number(get('second')),
    weekday: WEEKDAYS[get('weekday')] ?? 0,
  };
}

/** The wall time read as if it were UTC: a number to do arithmetic on wall clocks with. */
export function wallAsUtc(wall: WallTime, second = 0): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, second);
}

/** Offset of the zone from UTC at an instant, in ms (Berlin in summer: +7_200_000). */
export function offsetAt(instant: number, timeZone: string): number {
  const p = zonedParts(instant, timeZone);
  const floored = Math.floor(instant / 1000) * 1000;
  return wallAsUtc(p, p.second) - floored;
}

export type WallResolution =
  | { kind: 'exact'; instant: number }
  /** The wall time happens twice (clocks set back): both instants, earlier first. */
  | { kind: 'repeated'; instants: [number, number] }
  /** The wall time never happens (clocks set forward): the gap's length and where the clocks jumped. */
  | { kind: 'skipped'; gapMs: number; transition: number; offsetBefore: number };

/** Every instant at which the zone's clocks read this wall time. */
export function resolveWallTime(wall: WallTime, timeZone: string): WallResolution {
  const local = wallAsUtc(wall);
  // Offsets a day either side cover every zone's transitions (none has two within 48 hours).
  const before = offsetAt(local - DAY, timeZone);
  const after = offsetAt(local + DAY, timeZone);
  const candidates = [...new Set([before, after])]
    .map((offset) => local - offset)
    .filter((instant) => offsetAt(instant, timeZone) === local - instant)
    .sort((a, b) => a - b);
  const [first] = candidates;
  const last = candidates.at(-1);
  if (first !== undefined && last !== undefined)
    return candidates.length === 1 ? { kind: 'exact', instant: first } : { kind: 'repeated', instants: [first, last] };
  // Skipped: the clocks jumped from `before` to `after` in between. Find the jump to the minute.
  const gapMs = after - before;
  if (gapMs === 0) return { kind: 'exact', instant: local - before };
  let lo = local - DAY; // offset here is `before`
  let hi = local + DAY; // offset here is `after`
  while (hi - lo > MINUTE) {
    const mid = Math.floor((lo + hi) / 2 / MINUTE) * MINUTE;
    if (offsetAt(mid, timeZone) === before) lo = mid;
    else hi = mid;
  }
  return { kind: 'skipped', gapMs, transition: hi, offsetBefore: before };
}

/**
 * One instant for a wall time, decided deliberately for schedules (the same rule as Temporal's
 * "compatible" disambiguation, which is what people expect of an alarm clock):
 * - a repeated wall time (autumn) means its first occurrence, so a window opens once, not twice;
 * - a skipped wall time (spring) moves forward by the length of the gap: 02:30 on a day the
 *   clocks jump from 02:00 to 03:00 becomes 03:30, keeping the window's length and its place
 *   relative to the rest of the night.
 */
export function instantOf(wall: WallTime, timeZone: string): number {
  const r = resolveWallTime(wall, timeZone);
  if (r.kind === 'exact') return r.instant;
  if (r.kind === 'repeated') return r.instants[0];
  return wallAsUtc(wall) - r.offsetBefore;
}

/** Calendar helpers on plain dates (no zone involved). */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

export function addDays(
  date: { year: number; month: number; day: number },
  days: number,
): { year: number; month: number; day: number } {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** `2026-03-29 03:30 CEST`-like text for messages: the wall time and the zone's offset. */
export function formatZoned(instant: number, timeZone: string): string {
  const p = zonedParts(instant, timeZone);
  const offsetMin = Math.round(offsetAt(instant, timeZone) / MINUTE);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)} ${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)} (${timeZone})`;
}
