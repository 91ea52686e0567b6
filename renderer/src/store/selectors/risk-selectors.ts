import type { CheckResult } from '../../../../shared/types';

/**
 * Security updates first, then those whose security is unknown (their advisories could not be
 * read: maybe a fix), then breaking ones, each group keeping its order (a stable sort).
 */
export function sortSecurityFirst<T extends { id: string }>(
  rows: readonly T[],
  checks: Record<string, CheckResult | undefined>,
): T[] {
  const rank = (id: string) => {
    const check = checks[id];
    if (!check?.update_available) return 3;
    const flags = check.risk_flags ?? [];
    if (flags.includes('security')) return 0;
    if (check.security === null) return 1;
    return flags.includes('breaking') ? 2 : 3;
  };
  return rows
    .map((row, index) => ({ row, index, rank: rank(row.id) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((x) => x.row);
}
