import type { CompareScheme } from '../../../shared/schemas/component';
import { cleanVersionText, comparePep440, isPrerelease, parsePep440 } from './pep440';
import {
  compareCalendar,
  compareSemantic,
  isSemanticPrerelease,
  parseCalendar,
  parseSemantic,
  semanticBase,
  semanticRefusal,
} from './semantic';
import type { Pep440Version } from './pep440';

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

export interface CompareOptions {
  /**
   * OctoPrint's `force_base` (default false, as its `get_latest` reads it): compare base versions
   * only — PEP 440's epoch and release (`1.4.0rc1` → `1.4.0`), semver's major.minor.patch, a
   * calendar version's numbers. Not for `unequal`, which compares texts.
   */
  forceBase?: boolean;
}

function pep440Base(v: Pep440Version): Pep440Version {
  return { epoch: v.epoch, release: v.release, pre: null, post: null, dev: null, local: null };
}

/** A PEP 440 reading of a text the semver reading refused to parse, unless semver refuses it outright. */
function pep440Fallback(text: string): Pep440Version | null {
  return semanticRefusal(text) === null ? parsePep440(text) : null;
}

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
export function orderVersions(
  a: string,
  b: string,
  scheme: CompareScheme = 'python',
  options: CompareOptions = {},
): number | null {
  const base = options.forceBase === true && scheme !== 'unequal';
  switch (orderingOf(scheme)) {
    case 'python': {
      const x = parsePep440(a);
      const y = parsePep440(b);
      if (!x || !y) return null;
      return base ? comparePep440(pep440Base(x), pep440Base(y)) : comparePep440(x, y);
    }
    case 'semantic': {
      const x = parseSemantic(a);
      const y = parseSemantic(b);
      if (x && y) return base ? compareSemantic(semanticBase(x), semanticBase(y)) : compareSemantic(x, y);
      // Fall back to PEP 440 for spellings semver cannot read (1.0.post1), never for what it refuses.
      const p = pep440Fallback(a);
      const q = pep440Fallback(b);
      if (!p || !q) return null;
      return base ? comparePep440(pep440Base(p), pep440Base(q)) : comparePep440(p, q);
    }
    case 'calendar': {
      const x = parseCalendar(a);
      const y = parseCalendar(b);
      if (!x || !y) return null;
      return base ? compareCalendar({ ...x, pre: [] }, { ...y, pre: [] }) : compareCalendar(x, y);
    }
  }
}

/** Whether the text is a version under the scheme's ordering (tags like `nightly` are not). */
export function isVersion(text: string, scheme: CompareScheme = 'python'): boolean {
  switch (orderingOf(scheme)) {
    case 'python':
      return parsePep440(text) !== null;
    case 'semantic':
      return parseSemantic(text) !== null || pep440Fallback(text) !== null;
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
  const p = pep440Fallback(text);
  return p ? isPrerelease(p) : false;
}

/** Sort versions descending under a scheme; texts that are not versions go last, in input order. */
export function sortVersionsDescending<T>(
  items: T[],
  versionOf: (item: T) => string,
  scheme: CompareScheme = 'python',
): T[] {
  const valid = items.filter((i) => isVersion(versionOf(i), scheme));
  const invalid = items.filter((i) => !isVersion(versionOf(i), scheme));
  valid.sort((a, b) => orderVersions(versionOf(b), versionOf(a), scheme) ?? 0);
  return [...valid, ...invalid];
}

/** Display form: trimmed, without a leading `v`. */
export function displayVersion(text: string): string {
  const t = text.trim();
  return /^v\d/i.test(t) ? t.slice(1) : t;
}

/** Equal as text after cleaning (`v1.2.3 ` = `1.2.3`), or equal as versions under any ordering. */
function sameVersion(installed: string, latest: string, options: CompareOptions): boolean {
  if (cleanVersionText(installed) === cleanVersionText(latest)) return true;
  if (orderVersions(installed, latest, 'python', options) === 0) return true;
  return orderVersions(installed, latest, 'semantic', options) === 0;
}

export function isUnequalScheme(scheme: CompareScheme): boolean {
  return scheme === 'unequal' || scheme === 'python_unequal' || scheme === 'semantic_unequal';
}

/** What the explanation adds: local labels PEP 440 ignored, force_base. */
function notesFor(installed: string, latest: string, scheme: CompareScheme, options: CompareOptions): string {
  const notes: string[] = [];
  if (options.forceBase && scheme !== 'unequal') notes.push('force_base: base versions only');
  if (orderingOf(scheme) === 'python') {
    const labels = [latest, installed]
      .map((t) => parsePep440(t)?.local)
      .filter((l): l is (string | number)[] => Array.isArray(l))
      .map((l) => `+${l.join('.')}`);
    if (labels.length)
      notes.push(`local version label${labels.length > 1 ? 's' : ''} ${[...new Set(labels)].join(' and ')} ignored`);
  }
  return notes.length ? ` (${notes.join('; ')})` : '';
}

/** Why a text is not a version under the scheme, for the explanation. */
function notAVersion(text: string, scheme: CompareScheme): string {
  const refusal = orderingOf(scheme) === 'semantic' && parseSemantic(text) === null ? semanticRefusal(text) : null;
  const shown = text.length > 80 ? `${displayVersion(text).slice(0, 60)}…` : displayVersion(text);
  return `"${shown}" is not a ${SCHEME_LABELS[scheme]} version${refusal ? `: ${refusal}` : ''}`;
}

/**
 * Compare installed and latest under a `release_compare` scheme (OctoPrint semantics: `python` and
 * `semantic` offer strictly newer versions; the `*_unequal` schemes and `unequal` offer any
 * different one, lower ones included). Versions that are the same release spelled differently
 * (`1.0.0-rc1` vs `1.0.0rc1`, `v1.2` vs `1.2.0`, `=1.2.3` vs `1.2.3`) are equal under every scheme,
 * so an update can never loop. PEP 440 local labels are ignored, and the explanation says so.
 */
export function compareVersions(
  installed: string | null,
  latest: string | null,
  scheme: CompareScheme = 'python',
  options: CompareOptions = {},
): VersionComparison {
  const label = SCHEME_LABELS[scheme];
  if (latest === null || latest.trim() === '') {
    return { update: false, relation: 'unknown', explanation: 'no version found on the release channel' };
  }
  const shownLatest = displayVersion(latest);
  if (installed === null || installed.trim() === '') {
    return { update: true, relation: 'unknown', explanation: `${shownLatest} available; installed version unknown` };
  }
  const shownInstalled = displayVersion(installed);
  const notes = notesFor(installed, latest, scheme, options);
  const result = (update: boolean, relation: VersionRelation, sign: string): VersionComparison => ({
    update,
    relation,
    explanation: `${shownLatest} ${sign} ${shownInstalled} by ${label}${notes}`,
  });

  if (sameVersion(installed, latest, scheme === 'unequal' ? {} : options)) return result(false, 'equal', '=');
  const order = orderVersions(latest, installed, scheme, options);
  if (isUnequalScheme(scheme)) {
    const relation: VersionRelation =
      order === null ? 'different' : order > 0 ? 'newer' : order < 0 ? 'older' : 'equal';
    if (relation === 'equal') return result(false, relation, '=');
    return result(true, relation, '!=');
  }
  if (order === null) {
    // Not versions under this scheme (a branch name, a build id): any difference is an update.
    const which = orderVersions(latest, latest, scheme) === null ? latest : installed;
    return {
      update: true,
      relation: 'different',
      explanation: `${shownLatest} != ${shownInstalled} as text (${notAVersion(which, scheme)})`,
    };
  }
  if (order > 0) return result(true, 'newer', '>');
  if (order < 0) return result(false, 'older', '<');
  return result(false, 'equal', '=');
}
