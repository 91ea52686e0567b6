import { cleanVersionText } from './pep440';

/**
 * Semantic versions with SemVer 2.0.0 §11 precedence, read the way npm's `semver` reads them in
 * loose mode: any run of `v`, `=` and spaces before the version (`=1.2.3`, `v 1.2.3`, ` = 1.2.3`),
 * an optional hyphen before the pre-release (`1.0.0rc1`), leading zeros in numbers. Upkeep also
 * takes what real tags carry: a `version`/`release` word in front, a `V`, a lone trailing `+`,
 * missing minor or patch (`1.2` = `1.2.0`) and a fourth number.
 *
 * Precedence is the spec's: pre-release identifiers made only of digits compare as numbers, any
 * other identifier compares as an ASCII string, case-sensitively (`1.2.3-r2` > `1.2.3-r100`,
 * `-Foo` < `-foo`), numeric ones before the others, a shorter set before a longer one it starts;
 * build metadata is ignored. Like npm's `semver`, texts over 256 characters and numbers past
 * Number.MAX_SAFE_INTEGER are refused (not versions).
 */
export interface SemanticVersion {
  numbers: number[];
  /** Pre-release identifiers: numbers for digit-only ones, else the text as written. */
  pre: (string | number)[];
  build: string | null;
}

/** npm `semver`'s MAX_LENGTH. */
export const MAX_SEMANTIC_LENGTH = 256;

const IDENT = '[0-9A-Za-z-]+';
const IDENTS = `${IDENT}(?:\\.${IDENT})*`;
const PATTERN = new RegExp(
  `^(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?(?:\\.(\\d+))?` +
    // A hyphen, or none before an identifier that does not start with a digit (1.0.0rc1; npm's
    // loose mode reads `1.2.3-` as the identifier "-").
    `(?:-(${IDENTS})|([A-Za-z-][0-9A-Za-z-]*(?:\\.${IDENT})*))?` +
    `(?:\\+(${IDENTS}))?$`,
);

/** Why the text can never be a semantic version here (too long, a number past the safe range), or null. */
export function semanticRefusal(text: string): string | null {
  if (text.length > MAX_SEMANTIC_LENGTH) return `it is longer than ${MAX_SEMANTIC_LENGTH} characters`;
  for (const digits of text.match(/\d+/g) ?? []) {
    if (Number(digits) > Number.MAX_SAFE_INTEGER)
      return `${digits.length > 24 ? `${digits.slice(0, 20)}…` : digits} is larger than ${Number.MAX_SAFE_INTEGER}`;
  }
  return null;
}

/** What npm's loose mode and real tags put around a version: prefix words, v/=/spaces, a lone trailing +. */
function stripLoose(text: string): string {
  let s = text.trim();
  s = s.replace(/^(?:version|release|rel)(?=[\s:=_-]*[vV=\s]*\d)[\s:=_-]*/i, '');
  s = s.replace(/^[vV=\s]*/, '');
  if (/^[^+]*[0-9A-Za-z]\+$/.test(s)) s = s.slice(0, -1);
  return s;
}

/** A digit-only identifier as a number (NaN past the safe range, which refuses the version). */
function identifier(part: string): string | number {
  if (!/^\d+$/.test(part)) return part;
  const n = Number(part);
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

export function parseSemantic(text: string): SemanticVersion | null {
  if (text.length > MAX_SEMANTIC_LENGTH) return null;
  const m = PATTERN.exec(stripLoose(text));
  if (!m) return null;
  const numbers = [m[1], m[2], m[3], m[4]].filter((x): x is string => x !== undefined).map(Number);
  if (numbers.some((n) => !Number.isSafeInteger(n))) return null;
  while (numbers.length < 3) numbers.push(0);
  const preText = m[5] ?? m[6];
  const pre = preText ? preText.split('.').map(identifier) : [];
  if (pre.some((p) => Number.isNaN(p))) return null;
  return { numbers, pre, build: m[7] ?? null };
}

export function isSemantic(text: string): boolean {
  return parseSemantic(text) !== null;
}

function compareIdentifiers(x: string | number, y: string | number): number {
  const xNum = typeof x !== 'string';
  const yNum = typeof y !== 'string';
  if (xNum && yNum) return x < y ? -1 : x > y ? 1 : 0;
  if (xNum) return -1; // numeric identifiers have lower precedence than alphanumeric ones
  if (yNum) return 1;
  return x < y ? -1 : x > y ? 1 : 0; // ASCII order, case-sensitive
}

/** -1, 0 or 1 in SemVer 2.0.0 §11 precedence (build metadata ignored). */
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
    const c = compareIdentifiers(x, y);
    if (c !== 0) return c;
  }
  return 0;
}

/** The version without pre-release or build (major.minor.patch[.fourth]), for `force_base`. */
export function semanticBase(v: SemanticVersion): SemanticVersion {
  return { numbers: v.numbers, pre: [], build: null };
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
  if (!m?.[1]) return null;
  const numbers = m[1].split(/[.\-_]/).map(Number);
  const pre = m[2]
    ? (m[2].match(/\d+|[A-Za-z]+/g) ?? []).map((p) => (/^\d+$/.test(p) ? Number(p) : p.toLowerCase()))
    : [];
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
