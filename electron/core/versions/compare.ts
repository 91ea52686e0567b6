import type { CompareScheme } from '../../../shared/schemas/component';
import { cleanVersionText, comparePep440, isPrerelease, parsePep440 } from './pep440';
import { compareCalendar, compareSemantic, isSemanticPrerelease, parseCalendar, parseSemantic } from './semantic';

/** How the latest version relates to the installed one. */
export type VersionRelation = 'newer' | 'equal' | 'older' | 'different' | 'unknown';

export interface VersionComparison {
  /** Whether `latest` is an update for `installed` under the scheme. */
  update: boolean;
  relation: VersionRelation;
  /** One line for the CLI and panel, e.g. `1.3.0 > 1.2.9 by PEP 440`. */
  explanation: string;
}

export const SCHEME_LABELS: Record<CompareScheme, string> = {
  python: 'PEP 440',
  semantic: 'semantic versioning',
  calendar: 'calendar versioning',
  unequal: 'inequality',
  python_unequal: 'PEP 440 inequality',
  semantic_unequal: 'semantic versioning inequality',
};

type Ordered = 'python' | 'semantic' | 'calendar';

/** The ordering behind a scheme; `unequal` orders by PEP 440 when both sides parse, for downgrade checks. */
function orderingOf(scheme: CompareScheme): Ordered {
  if (scheme === 'semantic' || scheme === 'semantic_unequal') return 'semantic';
  if (scheme === 'calendar') return 'calendar';
  return 'python';
}

/**
 * Order two versions with a scheme's ordering: -1, 0, 1, or null when either is not a version
 * under it. PEP 440 ignores local labels (`1.3.0+g1014712` = `1.3.0`).
 */
export function orderVersions(a: string, b: string, scheme: CompareScheme = 'python'): number | null {
  switch (orderingOf(scheme)) {
    case 'python': {
      const x = parsePep440(a);
      const y = parsePep440(b);
      return x && y ? comparePep440(x, y) : null;
    }
    case 'semantic': {
      const x = parseSemantic(a);
      const y = parseSemantic(b);
      if (x && y) return compareSemantic(x, y);
      // Fall back to PEP 440 for spellings semver cannot read (1.0.post1).
      const p = parsePep440(a);
      const q = parsePep440(b);
      return p && q ? comparePep440(p, q) : null;
    }
    case 'calendar': {
      const x = parseCalendar(a);
      const y = parseCalendar(b);
      return x && y ? compareCalendar(x, y) : null;
    }
  }
}

/** Whether the text is a version under the scheme's ordering (tags like `nightly` are not). */
export function isVersion(text: string, scheme: CompareScheme = 'python'): boolean {
  switch (orderingOf(scheme)) {
    case 'python':
      return parsePep440(text) !== null;
    case 'semantic':
      return parseSemantic(text) !== null || parsePep440(text) !== null;
    case 'calendar':
      return parseCalendar(text) !== null;
  }
}

/** Whether a version is a pre-release (rc, beta, dev …) under the scheme's ordering. */
export function isPrereleaseVersion(text: string, scheme: CompareScheme = 'python'): boolean {
  if (orderingOf(scheme) === 'python') {
    const v = parsePep440(text);
    return v ? isPrerelease(v) : false;
  }
  const v = orderingOf(scheme) === 'calendar' ? parseCalendar(text) : parseSemantic(text);
  if (v) return isSemanticPrerelease(v) && v.pre[0] !== 'post';
  const p = parsePep440(text);
  return p ? isPrerelease(p) : false;
}

/** Sort versions descending under a scheme; texts that are not versions go last, in input order. */
export function sortVersionsDescending<T>(items: T[], versionOf: (item: T) => string, scheme: CompareScheme = 'python'): T[] {
  const valid = items.filter((i) => isVersion(versionOf(i), scheme));
  const invalid = items.filter((i) => !isVersion(versionOf(i), scheme));
  valid.sort((a, b) => (orderVersions(versionOf(b), versionOf(a), scheme) ?? 0));
  return [...valid, ...invalid];
}

/** Display form: trimmed, without a leading `v`. */
export function displayVersion(text: string): string {
  const t = text.trim();
  return /^v\d/i.test(t) ? t.slice(1) : t;
}

/** Equal as text after cleaning (`v1.2.3 ` = `1.2.3`), or equal as versions under any ordering. */
function sameVersion(installed: string, latest: string): boolean {
  if (cleanVersionText(installed) === cleanVersionText(latest)) return true;
  const p = orderVersions(installed, latest, 'python');
  if (p === 0) return true;
  const s = orderVersions(installed, latest, 'semantic');
  return s === 0;
}

/**
 * Compare installed and latest under a `release_compare` scheme (OctoPrint semantics: `python` and
 * `semantic` offer strictly newer versions; the `*_unequal` schemes and `unequal` offer any
 * different one). Versions that are the same release spelled differently (`1.0.0-rc1` vs
 * `1.0.0rc1`, `v1.2` vs `1.2.0`) are equal under every scheme, so an update can never loop.
 */
export function compareVersions(installed: string | null, latest: string | null, scheme: CompareScheme = 'python'): VersionComparison {
  const label = SCHEME_LABELS[scheme];
  if (latest === null || latest.trim() === '') {
    return { update: false, relation: 'unknown', explanation: 'no version found on the release channel' };
  }
  const shownLatest = displayVersion(latest);
  if (installed === null || installed.trim() === '') {
    return { update: true, relation: 'unknown', explanation: `${shownLatest} available; installed version unknown` };
  }
  const shownInstalled = displayVersion(installed);
  const unequalScheme = scheme === 'unequal' || scheme === 'python_unequal' || scheme === 'semantic_unequal';

  if (sameVersion(installed, latest)) {
    return { update: false, relation: 'equal', explanation: `${shownLatest} = ${shownInstalled} by ${label}` };
  }
  const order = orderVersions(latest, installed, scheme);
  if (unequalScheme) {
    const relation: VersionRelation = order === null ? 'different' : order > 0 ? 'newer' : order < 0 ? 'older' : 'equal';
    if (relation === 'equal') return { update: false, relation, explanation: `${shownLatest} = ${shownInstalled} by ${label}` };
    return { update: true, relation, explanation: `${shownLatest} != ${shownInstalled} by ${label}` };
  }
  if (order === null) {
    // Not versions under this scheme (a branch name, a build id): any difference is an update.
    const which = orderVersions(latest, latest, scheme) === null ? shownLatest : shownInstalled;
    return { update: true, relation: 'different', explanation: `${shownLatest} != ${shownInstalled} as text ("${which}" is not a ${label} version)` };
  }
  if (order > 0) return { update: true, relation: 'newer', explanation: `${shownLatest} > ${shownInstalled} by ${label}` };
  if (order < 0) return { update: false, relation: 'older', explanation: `${shownLatest} < ${shownInstalled} by ${label}` };
  return { update: false, relation: 'equal', explanation: `${shownLatest} = ${shownInstalled} by ${label}` };
}
