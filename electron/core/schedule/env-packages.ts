import type { AutoUpdateDecision, AutoUpdatePolicy } from './policy';

/** What the scheduler keeps of an environment's check: the packages that can move, with their risk flags. */
export interface EnvPackageState {
  name: string;
  flags: string[];
  /** Flags whose source failed: neither set nor clear (never taken for clear). */
  unknown?: string[];
}

const isUnknown = (p: EnvPackageState, flag: string) => p.unknown?.includes(flag) === true;

/**
 * For environment components (pip_env, npm_env, apt), the auto-update rules apply per package:
 * security_only keeps the packages whose update fixes an advisory, and without allow_major the
 * breaking ones (a new major version) stay for a person. Returns the packages to update, or the
 * deferral when none is left. The component-wide rules (window, cooldown) still follow.
 */
export function environmentChoice(
  policy: AutoUpdatePolicy,
  packages: readonly EnvPackageState[],
): { packages: string[] } | Extract<AutoUpdateDecision, { action: 'defer' }> {
  let chosen = [...packages];
  if (policy.securityOnly) chosen = chosen.filter((p) => p.flags.includes('security'));
  if (chosen.length === 0) {
    const unknown = packages.filter((p) => isUnknown(p, 'security'));
    if (policy.securityOnly && unknown.length) {
      const names = unknown.map((p) => p.name).join(', ');
      return {
        action: 'defer',
        reason: 'security_unknown',
        message: `security_only is set and whether ${unknown.length === packages.length ? 'the' : `${unknown.length} of the`} ${packages.length} package update(s) fix a vulnerability is unknown (their advisories could not be read: ${names}); unknown is not taken for safe, so they wait for a check that can read them, or for you.`,
        until: null,
      };
    }
    return {
      action: 'defer',
      reason: 'not_security',
      message: `security_only is set and none of the ${packages.length} package update(s) is flagged as a security fix; they wait for you to update them.`,
      until: null,
    };
  }
  // A new major version, or one whose breaking flag could not be decided, stays for a person.
  const safe = policy.allowMajor
    ? chosen
    : chosen.filter((p) => !p.flags.includes('breaking') && !isUnknown(p, 'breaking'));
  if (safe.length === 0) {
    return {
      action: 'defer',
      reason: 'major_version',
      message: `Every package update on offer is a new major version (${chosen.map((p) => p.name).join(', ')}); automatic updates stay within a major version. Update them yourself, or allow major versions in its schedule.`,
      until: null,
    };
  }
  return { packages: safe.map((p) => p.name) };
}

/** The component-wide rules for an environment: the per-package ones were applied by environmentChoice. */
export function environmentPolicy(policy: AutoUpdatePolicy): AutoUpdatePolicy {
  return { ...policy, allowMajor: true, securityOnly: false };
}
