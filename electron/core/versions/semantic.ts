import { cleanVersionText } from './pep440';

/**
 * Semantic versions (semver 2.0 precedence), tolerant of real tags: a leading `v`, missing minor or
 * patch (`1.2` = `1.2.0`), a fourth number, and a pre-release without the hyphen (`1.0.0rc1`).
 * Pre-release identifiers are split at letter/digit boundaries, so `1.0.0-rc1`, `1.0.0-rc.1` and
 * `1.0.0rc1` are the same version: a tag and the installed package metadata that spell one
 * version differently must never look like an update forever.
 */
export interface SemanticVersion {
  numbers: number[];
  pre: (string | number)[];
  build: string | null;
}

const PATTERN = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-?([0-9A-Za-z][0-9A-Za-z.-]*?))?(?:\+([0-9A-Za-z.-]+))?$/;

export function parseSemantic(text: string): SemanticVersion | null {
  const s = cleanVersionText(text);
  const m = PATTERN.exec(s);
  if (!m) return null;
  const numbers = [m[1], m[2], m[3], m[4]].filter((x): x is string => x !== undefined).map(Number);
  while (numbers.length < 3) numbers.push(0);
  const preText = m[5];
  if (preText !== undefined && /^\d/.test(preText) && !s.includes('-')) return null; // "1.2.3.4.5" style garbage
  const pre: (string | number)[] = [];
  if (preText) {
    for (const part of preText.split(/[.-]/)) {
      if (part === '') continue;
      for (const piece of part.match(/\d+|[A-Za-z]+/g) ?? []) pre.push(/^\d+$/.test(piece) ? Number(piece) : piece.toLowerCase());
    }
  }
  return { numbers, pre, build: m[6] ?? null };
}

export function isSemantic(text: string): boolean {
  return parseSemantic(text) !== null;
}

/** -1, 0 or 1 in semver precedence (build metadata ignored). */
export function compareSemantic(a: SemanticVersion, b: SemanticVersion): number {
  const n = Math.max(a.numbers.length, b.numbers.length);
  for (let i = 0; i < n; i++) {
    const d = (a.numbers[i] ?? 0) - (b.numbers[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (a.pre.length === 0 && b.pre.length === 0) return 0;
  if (a.pre.length === 0) return 1;
  if (b.pre.length === 0) return -1;
  const m = Math.max(a.pre.length, b.pre.length);
  for (let i = 0; i < m; i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return Math.sign(x - y);
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

export function isSemanticPrerelease(v: SemanticVersion): boolean {
  return v.pre.length > 0;
}

/**
 * Calendar versions (`2024.05.1`, `24.5`, `2024-05-01`, `2024.5.1rc1`): numbers compared as
 * numbers segment by segment (leading zeros do not matter), a suffix makes a pre-release.
 */
export function parseCalendar(text: string): SemanticVersion | null {
  const s = cleanVersionText(text);
  const m = /^(\d+(?:[.\-_]\d+)*)(?:[.\-_]?([A-Za-z][0-9A-Za-z.]*))?$/.exec(s);
  if (!m) return null;
  const numbers = (m[1] as string).split(/[.\-_]/).map(Number);
  const pre = m[2] ? (m[2].match(/\d+|[A-Za-z]+/g) ?? []).map((p) => (/^\d+$/.test(p) ? Number(p) : p.toLowerCase())) : [];
  // Post-release style suffixes ("post", "final") are not pre-releases.
  if (pre[0] === 'final') pre.length = 0;
  return { numbers, pre, build: null };
}

export function compareCalendar(a: SemanticVersion, b: SemanticVersion): number {
  if (a.pre[0] === 'post' || b.pre[0] === 'post') {
    const base = compareSemantic({ ...a, pre: [] }, { ...b, pre: [] });
    if (base !== 0) return base;
    const pa = a.pre[0] === 'post' ? Number(a.pre[1] ?? 0) : -1;
    const pb = b.pre[0] === 'post' ? Number(b.pre[1] ?? 0) : -1;
    return Math.sign(pa - pb);
  }
  return compareSemantic(a, b);
}
