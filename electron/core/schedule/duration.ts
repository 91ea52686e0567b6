import { UpkeepError } from '../../../shared/errors';

const UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const PART = /(\d+(?:\.\d+)?)\s*(w|d|h|m|s)/giy;

/**
 * `3d`, `12h`, `2h30m`, `90m`, `1w` → milliseconds. A bare number is refused: `3` could mean
 * hours or days, and guessing wrong would install a release days too early.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const src = text.trim().toLowerCase();
  if (src === '0') return 0;
  let total = 0;
  let matched = 0;
  PART.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (src.length > 0 && (m = PART.exec(src)) !== null) {
    const unit = UNITS[(m[2] ?? '').toLowerCase()];
    if (unit === undefined) break;
    total += Number(m[1]) * unit;
    matched = PART.lastIndex;
    while (src[matched] === ' ') matched++;
    PART.lastIndex = matched;
  }
  if (src.length === 0 || matched !== src.length || !Number.isFinite(total)) {
    throw new UpkeepError(
      'INVALID_CONFIG',
      `Invalid ${what} "${text}". Write a number with a unit: 30m, 12h, 3d, 1w, or combined like 2h30m.`,
      { value: text },
    );
  }
  return Math.round(total);
}

/** 93_600_000 → `1d 2h`: short, for messages. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'forever';
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))}s`;
  const parts: string[] = [];
  let rest = Math.round(ms / 60_000);
  const days = Math.floor(rest / 1440);
  rest -= days * 1440;
  const hours = Math.floor(rest / 60);
  const minutes = rest - hours * 60;
  if (days) parts.push(`${days}d`);
  if (hours) parts.push(`${hours}h`);
  if (minutes && days === 0) parts.push(`${minutes}m`);
  return parts.join(' ') || '0m';
}
