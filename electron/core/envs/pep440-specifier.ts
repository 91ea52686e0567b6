import { comparePep440, isPrerelease, parsePep440, type Pep440Version } from '../versions/pep440';
import { isOneOf } from '../../../shared/guards';

/** One clause of a PEP 440 specifier set (`>=1.2`, `==1.*`, `~=2.1`, `!=1.3.4`). */
const OPS = ['==', '!=', '<=', '>=', '<', '>', '~=', '==='] as const;
interface Clause {
  op: (typeof OPS)[number];
  version: string;
}

function parseClauses(spec: string): Clause[] | null {
  const out: Clause[] = [];
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const m = /^(===|==|!=|<=|>=|~=|<|>)\s*([0-9A-Za-z][^\s,]*)$/.exec(part);
    const [, op, version] = m ?? [];
    if (!isOneOf(op, OPS) || version === undefined) return null;
    const clause: Clause = { op, version };
    // Every version but `===`'s must be a PEP 440 version (a trailing .* only for == and !=).
    if (clause.op !== '===' && !parsePep440(clause.version.replace(/\.\*$/, ''))) return null;
    if (clause.version.endsWith('.*') && clause.op !== '==' && clause.op !== '!=') return null;
    out.push(clause);
  }
  return out;
}

/** Same release numbers, shorter ones padded with zeros (`2` = `2.0.0`). */
function sameRelease(a: number[], b: number[]): boolean {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return false;
  return true;
}

function prefixMatch(v: Pep440Version, prefix: string): boolean {
  const p = parsePep440(prefix.replace(/\.\*$/, ''));
  if (!p) return false;
  if (v.epoch !== p.epoch) return false;
  return p.release.every((n, i) => (v.release[i] ?? 0) === n);
}

function clauseHolds(v: Pep440Version, text: string, c: Clause): boolean {
  if (c.op === '===') return text.trim() === c.version;
  if ((c.op === '==' || c.op === '!=') && c.version.endsWith('.*')) {
    const hit = prefixMatch(v, c.version);
    return c.op === '==' ? hit : !hit;
  }
  const w = parsePep440(c.version);
  if (!w) return false;
  const order = comparePep440(v, w);
  switch (c.op) {
    case '==':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<=':
      return order <= 0;
    case '>=':
      return order >= 0;
    // Exclusive comparisons do not admit pre-releases of the given version (PEP 440).
    case '<':
      return order < 0 && !(isPrerelease(v) && !isPrerelease(w) && sameRelease(v.release, w.release));
    case '>':
      return order > 0 && !(v.post !== null && w.post === null && sameRelease(v.release, w.release));
    case '~=': {
      if (order < 0 || w.release.length < 2) return false;
      const prefix = w.release.slice(0, -1);
      return prefix.every((n, i) => (v.release[i] ?? 0) === n);
    }
    default:
      return false;
  }
}

/** Whether `version` satisfies the specifier set (an empty set admits everything); null when either cannot be read. */
export function satisfiesPep440(version: string, specifier: string): boolean | null {
  const v = parsePep440(version);
  const clauses = parseClauses(specifier);
  if (!v || !clauses) return null;
  return clauses.every((c) => clauseHolds(v, version, c));
}
