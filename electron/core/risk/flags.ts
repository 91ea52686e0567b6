import { toErrorShape } from '../../../shared/errors';
import type { Advisory, ReleaseNote, RiskFlag, RiskInfo, UnknownRisk } from '../../../shared/types';

/** The leading release numbers of a version (`v2.1.0`, `2.1rc1`, Debian `1:2.36-9+deb12u4` → [2, 36]). */
export function releaseNumbers(version: string): number[] | null {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/i.exec(version.trim().replace(/^\d+:/, ''));
  return m
    ? m
        .slice(1)
        .filter((x): x is string => x !== undefined)
        .map(Number)
    : null;
}

/**
 * Whether going from `installed` to `target` crosses a major version (or, below 1.0, a minor
 * version, as semver treats 0.x), with the reason in words. Null when either is not a version.
 */
export function majorChange(installed: string | null, target: string | null): string | null {
  if (!installed || !target) return null;
  const a = releaseNumbers(installed);
  const b = releaseNumbers(target);
  if (!a || !b) return null;
  const [a0 = 0, a1 = 0] = a;
  const [b0 = 0, b1 = 0] = b;
  if (b0 > a0) return `major version ${a0} → ${b0}`;
  if (a0 === 0 && b0 === 0 && b1 > a1) return `0.x minor version 0.${a1} → 0.${b1} (breaking under semver)`;
  return null;
}

const BREAKING_NOTES =
  /\bbreaking[ -]changes?\b|\bbackwards?[- ]incompatible\b|\bnot backwards?[- ]compatible\b|⚠️\s*breaking/i;
/** `BREAKING:` / `BREAKING CHANGE` as conventional commits write it: upper case only (not "breaking news"). */
const BREAKING_MARK = /\bBREAKING\b/;
const SECURITY_NOTES =
  /\bsecurity (?:fix|release|update|issue|advisory|vulnerabilit(?:y|ies))\b|\bvulnerabilit(?:y|ies)\b|\bCVE-\d{4}-\d{4,}\b|\bGHSA(?:-[23456789cfghjmpqrvwx]{4}){3}\b/i;
const ADVISORY_IDS = /\b(CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|PYSEC-\d{4}-\d+)\b/gi;

/** What release notes say: a breaking change, and security fixes with the advisory ids they name. */
export function readNotes(notes: readonly ReleaseNote[] | undefined): {
  breaking: string | null;
  security: string | null;
  advisories: Advisory[];
} {
  let breaking: string | null = null;
  let security: string | null = null;
  const advisories = new Map<string, Advisory>();
  for (const note of notes ?? []) {
    const text = `${note.name ?? ''}\n${note.body ?? ''}`;
    if (!breaking && (BREAKING_NOTES.test(text) || BREAKING_MARK.test(text)))
      breaking = `the release notes of ${note.version} mark breaking changes`;
    if (SECURITY_NOTES.test(text)) {
      security ??= `the release notes of ${note.version} mention a security fix`;
      for (const m of text.matchAll(ADVISORY_IDS)) {
        const raw = m[1];
        if (raw === undefined) continue;
        const id = /^ghsa/i.test(raw) ? `GHSA${raw.slice(4).toLowerCase()}` : raw.toUpperCase();
        if (!advisories.has(id))
          advisories.set(id, { id, source: 'release_notes', url: note.url ?? null, fixed_in: [note.version] });
      }
    }
  }
  return { breaking, security, advisories: [...advisories.values()] };
}

/** Combine what is known about one pending update into flags, advisories and reasons. */
export function buildRisk(parts: {
  installed: string | null;
  target: string | null;
  notes?: readonly ReleaseNote[];
  advisories?: readonly Advisory[];
}): RiskInfo {
  const reasons: string[] = [];
  const flags = new Set<RiskFlag>();
  const advisories = new Map<string, Advisory>();
  for (const a of parts.advisories ?? []) advisories.set(a.id, a);
  if (advisories.size > 0) {
    flags.add('security');
    reasons.push(`fixes ${[...advisories.keys()].join(', ')}`);
  }
  const fromNotes = readNotes(parts.notes);
  if (fromNotes.security) {
    flags.add('security');
    for (const a of fromNotes.advisories) if (!advisories.has(a.id)) advisories.set(a.id, a);
    reasons.push(fromNotes.security);
  }
  const major = majorChange(parts.installed, parts.target);
  if (major) {
    flags.add('breaking');
    reasons.push(major);
  }
  if (fromNotes.breaking) {
    flags.add('breaking');
    reasons.push(fromNotes.breaking);
  }
  const order: RiskFlag[] = ['security', 'breaking'];
  return { flags: order.filter((f) => flags.has(f)), advisories: [...advisories.values()], reasons };
}

/**
 * Several packages' risks as one component's: every flag, every advisory (package-prefixed
 * reasons), and every unknown flag once (a set flag outranks another package's unknown one).
 */
export function mergeRisks(items: readonly { name: string; risk: RiskInfo }[]): RiskInfo {
  const flags = new Set<RiskFlag>();
  const advisories = new Map<string, Advisory>();
  const reasons: string[] = [];
  const unknown = new Map<string, UnknownRisk>();
  for (const { name, risk } of items) {
    for (const f of risk.flags) flags.add(f);
    for (const a of risk.advisories) if (!advisories.has(a.id)) advisories.set(a.id, a);
    for (const r of risk.reasons) reasons.push(`${name}: ${r}`);
    for (const u of risk.unknown ?? []) unknown.set(`${u.flag}\n${u.code}\n${u.message}`, u);
  }
  const order: RiskFlag[] = ['security', 'breaking'];
  const merged: RiskInfo = { flags: order.filter((f) => flags.has(f)), advisories: [...advisories.values()], reasons };
  const open = [...unknown.values()].filter((u) => !flags.has(u.flag));
  if (open.length) merged.unknown = open;
  return merged;
}

/**
 * Mark `flag` unknown on a risk because its source failed (unless the flag is already set from
 * another source), with a reason line that says so.
 */
export function markUnknown(risk: RiskInfo, flag: RiskFlag, error: unknown, what: string): RiskInfo {
  if (risk.flags.includes(flag)) return risk;
  const shape = toErrorShape(error);
  risk.unknown = [...(risk.unknown ?? []), { flag, code: shape.code, message: shape.message }];
  risk.reasons.push(`${what} could not be read, so ${flag} is unknown: ${shape.message}`);
  return risk;
}

/** A flag's state: true (set), false (decided clear) or null (unknown: its source failed). */
export function flagState(risk: RiskInfo | null | undefined, flag: RiskFlag): boolean | null {
  if (!risk) return false;
  if (risk.flags.includes(flag)) return true;
  return risk.unknown?.some((u) => u.flag === flag) ? null : false;
}

export function noRisk(): RiskInfo {
  return { flags: [], advisories: [], reasons: [] };
}
