import type { CheckResult } from '../../../../shared/types';

/** Security updates first, then breaking ones, each group keeping its order (a stable sort). */
export function sortSecurityFirst<T extends { id: string }>(rows: readonly T[], checks: Record<string, CheckResult | undefined>): T[] {
  const rank = (id: string) => {
    const flags = checks[id]?.update_available ? (checks[id]?.risk_flags ?? []) : [];
    return flags.includes('security') ? 0 : flags.includes('breaking') ? 1 : 2;
  };
  return rows.map((row, index) => ({ row, index, rank: rank(row.id) })).sort((a, b) => a.rank - b.rank || a.index - b.index).map((x) => x.row);
}
