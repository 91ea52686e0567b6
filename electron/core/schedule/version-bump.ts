/**
 * Whether going from one version to another crosses a major version, for the auto-update rule
 * "never across a major version unless allow_major". Semantic-versioning convention: below 1.0 a
 * minor bump is breaking (0.3 → 0.4), as npm's caret ranges treat it.
 */

interface MajorKey {
  epoch: number;
  major: number;
  minor: number | null;
}

function majorKey(version: string): MajorKey | null {
  const m = /^\s*[vV]?(?:(\d+)!)?(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return null;
  // A bare long hex string is a commit, not a version.
  if (/^[0-9a-f]{7,40}$/i.test(version.trim()) && /[a-f]/i.test(version)) return null;
  return { epoch: Number(m[1] ?? 0), major: Number(m[2]), minor: m[3] === undefined ? null : Number(m[3]) };
}

/**
 * true: a major bump; false: not one; null: cannot tell (commits, dates, free-form strings) — the
 * caller decides. Calendar versions (`release_compare: calendar`) have no major versions.
 */
export function crossesMajor(from: string | null, to: string | null, scheme?: string): boolean | null {
  if (scheme === 'calendar') return false;
  if (!from || !to) return null;
  const a = majorKey(from);
  const b = majorKey(to);
  if (!a || !b) return null;
  if (a.epoch !== b.epoch || a.major !== b.major) return true;
  if (a.major === 0 && a.minor !== null && b.minor !== null && a.minor !== b.minor) return true;
  return false;
}
