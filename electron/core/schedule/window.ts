import { UpkeepError } from '../../../shared/errors';
import { formatDuration, parseDuration } from './duration';
import {
  addDays,
  daysInMonth,
  instantOf,
  offsetAt,
  wallAsUtc,
  weekdayOf,
  zonedParts,
  type WallTime,
} from './zoned-time';
import { errorMessage } from '../lib/error-info';

/**
 * Maintenance windows: when auto-updates may run. Specs, in the user's time zone:
 *   daily 03:00 · weekly sun 03:00 · weekly mon,thu 04:00 · monthly 1 03:00 · monthly last 03:00
 *   a 5-field cron expression (`30 2 * * 0`, `@daily`) · always
 * each optionally followed by `for <duration>` (default 2h): `daily 03:00 for 90m`.
 */

export const DEFAULT_WINDOW = 'daily 03:00';
export const DEFAULT_WINDOW_MS = 2 * 3_600_000;
const MAX_WINDOW_MS = 31 * 86_400_000;

interface CronFields {
  minutes: number[];
  hours: number[];
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** Vixie cron: when both day fields are restricted, a day matching either one counts. */
  domRestricted: boolean;
  dowRestricted: boolean;
  /** Every matching minute of a matching day (hour × 60 + minute), ascending. */
  times: number[];
}

export type Recurrence =
  | { kind: 'always' }
  | { kind: 'daily'; hour: number; minute: number }
  | { kind: 'weekly'; days: number[]; hour: number; minute: number }
  /** `day: 31` in a 30-day month means its last day: a monthly window never silently skips a month. */
  | { kind: 'monthly'; day: number | 'last'; hour: number; minute: number }
  | { kind: 'cron'; fields: CronFields };

export interface WindowSpec {
  /** The text as the user wrote it. */
  spec: string;
  recurrence: Recurrence;
  durationMs: number;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const CRON_ALIASES: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
};

const HELP =
  'Write one of: "daily 03:00", "weekly sun 03:00", "monthly 1 03:00", "monthly last 03:00", a cron expression like "30 2 * * 0", or "always"; optionally add "for 2h".';

function invalid(spec: string, why: string): UpkeepError {
  return new UpkeepError('INVALID_CONFIG', `Invalid maintenance window "${spec}": ${why}. ${HELP}`, { window: spec });
}

function parseClock(spec: string, text: string | undefined): { hour: number; minute: number } {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text ?? '');
  if (!m) throw invalid(spec, `"${text ?? ''}" is not a time like 03:00`);
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  if (hour > 23 || minute > 59) throw invalid(spec, `"${text}" is not a time of day (00:00–23:59)`);
  return { hour, minute };
}

const DAY_NAMES_FULL = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function parseDayName(spec: string, text: string): number {
  const lower = text.toLowerCase();
  const i = DAY_NAMES.includes(lower) ? DAY_NAMES.indexOf(lower) : DAY_NAMES_FULL.indexOf(lower);
  if (i < 0) throw invalid(spec, `"${text}" is not a day of the week (sun, mon, … or sunday, monday, …)`);
  return i;
}

/** `sun`, `mon,thu`, `mon-fri` → weekday numbers. */
function parseDays(spec: string, text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [a, b, extra] = part.split('-');
    if (extra !== undefined || a === undefined || a === '')
      throw invalid(spec, `"${part}" is not a day or a range of days`);
    const lo = parseDayName(spec, a);
    if (b === undefined) {
      out.add(lo);
      continue;
    }
    const hi = parseDayName(spec, b);
    for (let d = lo; ; d = (d + 1) % 7) {
      out.add(d);
      if (d === hi) break;
    }
  }
  return [...out].sort((x, y) => x - y);
}

function parseCronField(
  spec: string,
  field: string,
  min: number,
  max: number,
  names: string[] | null,
  label: string,
): { values: number[]; restricted: boolean } {
  const out = new Set<number>();
  const value = (text: string): number => {
    const lower = text.toLowerCase();
    if (names) {
      const i = names.indexOf(lower);
      if (i >= 0) return i + (label === 'month' ? 1 : 0);
    }
    if (!/^\d+$/.test(text)) throw invalid(spec, `"${text}" in the ${label} field is not a number`);
    const n = Number(text);
    if (n < min || n > max) throw invalid(spec, `${n} in the ${label} field is outside ${min}–${max}`);
    return n;
  };
  for (const part of field.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '')
      throw invalid(spec, `"${part}" in the ${label} field`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw invalid(spec, `step "${stepText}" in the ${label} field`);
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = min;
      hi = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      lo = value(a ?? '');
      hi = value(b ?? '');
      if (hi < lo) throw invalid(spec, `range "${range}" in the ${label} field runs backwards`);
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return { values: [...out].sort((a, b) => a - b), restricted: !field.startsWith('*') };
}

function parseCron(spec: string, expr: string): CronFields {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5)
    throw invalid(
      spec,
      `a cron expression has 5 fields (minute hour day-of-month month day-of-week), this has ${fields.length}`,
    );
  const [mi = '', ho = '', dom = '', mo = '', dow = ''] = fields;
  const minutes = parseCronField(spec, mi, 0, 59, null, 'minute');
  const hours = parseCronField(spec, ho, 0, 23, null, 'hour');
  const doms = parseCronField(spec, dom, 1, 31, null, 'day-of-month');
  const months = parseCronField(spec, mo, 1, 12, MONTH_NAMES, 'month');
  const dows = parseCronField(spec, dow, 0, 7, DAY_NAMES, 'day-of-week');
  return {
    minutes: minutes.values,
    hours: hours.values,
    daysOfMonth: new Set(doms.values),
    months: new Set(months.values),
    daysOfWeek: new Set(dows.values.map((d) => d % 7)),
    domRestricted: doms.restricted,
    dowRestricted: dows.restricted,
    times: hours.values.flatMap((h) => minutes.values.map((m) => h * 60 + m)),
  };
}

/** Parse a window spec; throws INVALID_CONFIG saying what to write instead. */
export function parseWindow(input: string): WindowSpec {
  const spec = input.trim();
  let body = spec;
  let durationMs = DEFAULT_WINDOW_MS;
  const forMatch = /^(.*?)\s+for\s+(\S.*)$/i.exec(spec);
  if (forMatch) {
    const [, head = '', length = ''] = forMatch;
    body = head.trim();
    try {
      durationMs = parseDuration(length, 'window length');
    } catch (error) {
      throw invalid(spec, errorMessage(error).replace(/\.$/, ''));
    }
    if (durationMs < 60_000 || durationMs > MAX_WINDOW_MS)
      throw invalid(spec, 'the length must be between 1 minute and 31 days');
  }
  const words = body.split(/\s+/);
  const head = (words[0] ?? '').toLowerCase();
  let recurrence: Recurrence;
  if (head === 'always' || head === 'anytime') {
    if (words.length !== 1 || forMatch) throw invalid(spec, '"always" takes nothing after it');
    recurrence = { kind: 'always' };
    durationMs = Number.POSITIVE_INFINITY;
  } else if (head === 'daily') {
    if (words.length !== 2) throw invalid(spec, 'daily takes a time');
    recurrence = { kind: 'daily', ...parseClock(spec, words[1]) };
  } else if (head === 'weekly') {
    if (words.length !== 3) throw invalid(spec, 'weekly takes days and a time');
    const days = parseDays(spec, words[1] ?? '');
    recurrence = { kind: 'weekly', days, ...parseClock(spec, words[2]) };
  } else if (head === 'monthly') {
    if (words.length !== 3) throw invalid(spec, 'monthly takes a day of the month and a time');
    const dayText = (words[1] ?? '').toLowerCase();
    let day: number | 'last';
    if (dayText === 'last') day = 'last';
    else if (/^\d{1,2}$/.test(dayText) && Number(dayText) >= 1 && Number(dayText) <= 31) day = Number(dayText);
    else throw invalid(spec, `"${words[1]}" is not a day of the month (1–31 or last)`);
    recurrence = { kind: 'monthly', day, ...parseClock(spec, words[2]) };
  } else if (head.startsWith('@')) {
    const expr = CRON_ALIASES[head];
    if (!expr || words.length !== 1)
      throw invalid(spec, `unknown alias "${words[0]}" (use @hourly, @daily, @weekly or @monthly)`);
    recurrence = { kind: 'cron', fields: parseCron(spec, expr) };
  } else if (/^[\d*]/.test(head)) {
    recurrence = { kind: 'cron', fields: parseCron(spec, body) };
  } else {
    throw invalid(spec, `"${words[0]}" is not a kind of window`);
  }
  return { spec, recurrence, durationMs };
}

const NONE: readonly number[] = [];

/** Minutes of the day (hour × 60 + minute) at which the window opens on a calendar day, ascending. */
function startsOnDay(
  r: Exclude<Recurrence, { kind: 'always' }>,
  date: { year: number; month: number; day: number },
): readonly number[] {
  switch (r.kind) {
    case 'daily':
      return [r.hour * 60 + r.minute];
    case 'weekly':
      return r.days.includes(weekdayOf(date.year, date.month, date.day)) ? [r.hour * 60 + r.minute] : NONE;
    case 'monthly': {
      const last = daysInMonth(date.year, date.month);
      const want = r.day === 'last' ? last : Math.min(r.day, last);
      return date.day === want ? [r.hour * 60 + r.minute] : NONE;
    }
    case 'cron': {
      const f = r.fields;
      if (!f.months.has(date.month)) return NONE;
      const domOk = f.daysOfMonth.has(date.day);
      const dowOk = f.daysOfWeek.has(weekdayOf(date.year, date.month, date.day));
      const dayOk = f.domRestricted && f.dowRestricted ? domOk || dowOk : domOk && dowOk;
      return dayOk ? f.times : NONE;
    }
  }
}

const wallOf = (date: { year: number; month: number; day: number }, minuteOfDay: number): WallTime => ({
  ...date,
  hour: Math.floor(minuteOfDay / 60),
  minute: minuteOfDay % 60,
});

/** Up to 8 years ahead: a cron expression for Feb 29 on a Monday can need that long. */
const SEARCH_DAYS = 366 * 8;

/**
 * The first instant ≥ `from` at which the window opens. Each wall time maps to one instant
 * (zoned-time's instantOf): a skipped 02:30 opens at 03:30, a repeated 02:30 opens once, the first time.
 */
export function nextWindowStart(window: WindowSpec, from: number, timeZone: string): number | null {
  const r = window.recurrence;
  if (r.kind === 'always') return from;
  const today = zonedParts(from, timeZone);
  // Start a day early: a wall time late yesterday can map past `from` only around a transition,
  // and one day before covers it.
  let date = addDays(today, -1);
  for (let i = 0; i < SEARCH_DAYS; i++, date = addDays(date, 1)) {
    const times = startsOnDay(r, date);
    if (times.length === 0) continue;
    const dayStart = wallAsUtc({ ...date, hour: 0, minute: 0 });
    const o1 = offsetAt(dayStart - offsetAt(dayStart, timeZone), timeZone);
    const o2 = offsetAt(dayStart + 86_400_000 - offsetAt(dayStart + 86_400_000, timeZone), timeZone);
    // The whole day lies before `from` (with room for any offset): nothing to find here.
    if (dayStart + 86_400_000 - Math.min(o1, o2) + 3_600_000 < from) continue;
    if (o1 === o2) {
      // Fast path, no offset change across the day: wall times in order are instants in order.
      // Binary search for the first one at or after `from`.
      let lo = 0;
      let hi = times.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (dayStart + (times[mid] ?? Number.POSITIVE_INFINITY) * 60_000 - o1 < from) lo = mid + 1;
        else hi = mid;
      }
      const first = times[lo];
      if (first === undefined) continue;
      const instant = dayStart + first * 60_000 - o1;
      // A transition exactly at midnight can fool the day-edge probe: confirm, else resolve properly.
      if (offsetAt(instant, timeZone) === o1) return instant;
    }
    // A transition day: resolve each wall time; skipped times move forward, so take the minimum.
    let best: number | null = null;
    for (const t of times) {
      const instant = instantOf(wallOf(date, t), timeZone);
      if (instant >= from && (best === null || instant < best)) best = instant;
    }
    if (best !== null) return best;
  }
  return null;
}

export type WindowState = { open: true; start: number; end: number } | { open: false; nextStart: number | null };

/**
 * Whether the window is open at `now`, and until when (overlapping occurrences merge), or when it
 * opens next. The window is [start, start + duration).
 */
export function windowAt(window: WindowSpec, now: number, timeZone: string, horizonMs = 86_400_000): WindowState {
  if (window.recurrence.kind === 'always') return { open: true, start: now, end: Number.POSITIVE_INFINITY };
  const d = window.durationMs;
  const first = nextWindowStart(window, now - d + 1, timeZone);
  if (first === null) return { open: false, nextStart: null };
  if (first > now) return { open: false, nextStart: first };
  let end = first + d;
  // Overlapping occurrences (a cron firing more often than the window is long) extend the window.
  // Only starts in (end - d, end] can extend it; stop once it reaches past the horizon.
  while (end - now < horizonMs) {
    const next = nextWindowStart(window, end - d + 1, timeZone);
    if (next === null || next > end) break;
    end = next + d;
  }
  return { open: true, start: first, end };
}

/** `daily 03:00 for 2h` → "daily at 03:00 for 2h", for people. */
export function describeWindow(window: WindowSpec): string {
  const r = window.recurrence;
  const len = `for ${formatDuration(window.durationMs)}`;
  const at = (h: number, m: number) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
  switch (r.kind) {
    case 'always':
      return 'any time';
    case 'daily':
      return `daily at ${at(r.hour, r.minute)} ${len}`;
    case 'weekly':
      return `every ${r.days.map((d) => DAY_NAMES[d]).join(', ')} at ${at(r.hour, r.minute)} ${len}`;
    case 'monthly':
      return `monthly on day ${r.day} at ${at(r.hour, r.minute)} ${len}`;
    case 'cron':
      return `cron "${window.spec.replace(/\s+for\s+.*$/i, '')}" ${len}`;
  }
}
