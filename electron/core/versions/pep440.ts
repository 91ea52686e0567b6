/**
 * PEP 440 versions: parse, normalize, compare. Tolerant in the ways real tags need: a leading `v`,
 * stray whitespace, a lone trailing `+` (`1.0+` = `1.0`; `1.0+a+` is not a version), and
 * `git describe` output (`1.3.0-5-gabc1234` → `1.3.0.post5+gabc1234`).
 */

export interface Pep440Version {
  epoch: number;
  release: number[];
  pre: { label: 'a' | 'b' | 'rc'; number: number } | null;
  post: number | null;
  dev: number | null;
  local: (string | number)[] | null;
}

const PRE_LABELS: Record<string, 'a' | 'b' | 'rc'> = {
  a: 'a',
  alpha: 'a',
  b: 'b',
  beta: 'b',
  c: 'rc',
  rc: 'rc',
  pre: 'rc',
  preview: 'rc',
};

// The regex of PEP 440 Appendix B (packaging's VERSION_PATTERN), case-insensitive.
const PATTERN = new RegExp(
  '^v?' +
    '(?:(?<epoch>[0-9]+)!)?' +
    '(?<release>[0-9]+(?:\\.[0-9]+)*)' +
    '(?<pre>[-_.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pre_n>[0-9]+)?)?' +
    '(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_.]?(?<post_l>post|rev|r)[-_.]?(?<post_n2>[0-9]+)?))?' +
    '(?<dev>[-_.]?(?<dev_l>dev)[-_.]?(?<dev_n>[0-9]+)?)?' +
    '(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?' +
    '$',
  'i',
);

/** Clean what tags and version files carry before parsing. */
export function cleanVersionText(text: string): string {
  let s = text.trim();
  s = s.replace(/^(?:version|release|rel)[\s:=_-]*/i, '');
  s = s.replace(/^v(?=\d)/i, '');
  // Only an empty local label is forgiven: `1.0+a+` has a second `+` and stays invalid.
  if (/^[^+]*\+$/.test(s)) s = s.slice(0, -1);
  // git describe: 1.3.0-5-gabc1234 (optionally -dirty)
  const describe = /^(.+?)-(\d+)-g([0-9a-f]{4,40})(-dirty)?$/i.exec(s);
  if (describe) s = `${describe[1]}.post${describe[2]}+g${describe[3]}${describe[4] ? '.dirty' : ''}`;
  return s;
}

export function parsePep440(text: string): Pep440Version | null {
  const m = PATTERN.exec(cleanVersionText(text));
  if (!m?.groups) return null;
  const g = m.groups;
  const release = (g.release ?? '').split('.').map(Number);
  const label = g.pre_l ? PRE_LABELS[g.pre_l.toLowerCase()] : undefined;
  const pre = label ? { label, number: Number(g.pre_n ?? 0) } : null;
  const post = g.post ? Number(g.post_n1 ?? g.post_n2 ?? 0) : null;
  const dev = g.dev ? Number(g.dev_n ?? 0) : null;
  const local = g.local
    ? g.local
        .toLowerCase()
        .split(/[-_.]/)
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p))
    : null;
  return { epoch: Number(g.epoch ?? 0), release, pre, post, dev, local };
}

export function isPep440(text: string): boolean {
  return parsePep440(text) !== null;
}

export function formatPep440(v: Pep440Version): string {
  let s = v.epoch ? `${v.epoch}!` : '';
  s += v.release.join('.');
  if (v.pre) s += `${v.pre.label}${v.pre.number}`;
  if (v.post !== null) s += `.post${v.post}`;
  if (v.dev !== null) s += `.dev${v.dev}`;
  if (v.local) s += `+${v.local.join('.')}`;
  return s;
}

export function isPrerelease(v: Pep440Version): boolean {
  return v.pre !== null || v.dev !== null;
}

const PRE_ORDER = { a: 0, b: 1, rc: 2 } as const;

function compareRelease(a: number[], b: number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Sort key pieces as in packaging's _cmpkey, compared piecewise. */
function preKey(v: Pep440Version): [number, number, number] {
  // A dev release with no pre/post sorts before any pre-release of the same release.
  if (v.pre === null && v.post === null && v.dev !== null) return [-1, 0, 0];
  if (v.pre === null) return [1, 0, 0];
  return [0, PRE_ORDER[v.pre.label], v.pre.number];
}

function compareLocal(a: (string | number)[] | null, b: (string | number)[] | null): number {
  if (a === null && b === null) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return Math.sign(x - y);
    } else if (typeof x === 'number') {
      return 1; // numeric segments sort after alphanumeric ones
    } else if (typeof y === 'number') {
      return -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

export interface Pep440CompareOptions {
  /** Ignore local version labels (`+g1014712`): a local build of 1.3.0 is 1.3.0. Default true. */
  ignoreLocal?: boolean;
}

/** -1, 0 or 1, in PEP 440 order. */
export function comparePep440(a: Pep440Version, b: Pep440Version, options: Pep440CompareOptions = {}): number {
  if (a.epoch !== b.epoch) return Math.sign(a.epoch - b.epoch);
  const r = compareRelease(a.release, b.release);
  if (r !== 0) return r;
  const pa = preKey(a);
  const pb = preKey(b);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return Math.sign((pa[i] ?? 0) - (pb[i] ?? 0));
  const posta = a.post ?? -1;
  const postb = b.post ?? -1;
  if (posta !== postb) return Math.sign(posta - postb);
  const deva = a.dev ?? Number.POSITIVE_INFINITY;
  const devb = b.dev ?? Number.POSITIVE_INFINITY;
  if (deva !== devb) return deva < devb ? -1 : 1;
  if (options.ignoreLocal ?? true) return 0;
  return compareLocal(a.local, b.local);
}
