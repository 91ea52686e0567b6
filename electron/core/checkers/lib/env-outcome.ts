import type { PackageUpdate } from '../../../../shared/types';
import { mergeRisks } from '../../risk/flags';
import type { CheckOutcome } from '../types';

/** A short name for what an environment update installs: `requests 2.32.3, urllib3 2.2.2 +3 more`. */
export function packagesSummary(packages: readonly PackageUpdate[], limit = 3): string {
  const shown = packages.slice(0, limit).map((p) => `${p.name} ${p.target}`);
  return packages.length > limit ? `${shown.join(', ')} +${packages.length - limit} more` : shown.join(', ');
}

/**
 * An environment's check as one component's: `installed` counts the packages, `latest` counts the
 * updates, the decision is whether any package can move, and the target lists every package.
 */
export function environmentOutcome(kind: string, installedCount: number, packages: PackageUpdate[]): CheckOutcome {
  const movable = packages.filter((p) => p.target !== p.installed);
  const held = packages.length - movable.length;
  const installed = `${installedCount} packages`;
  const latest = movable.length ? `${movable.length} update${movable.length === 1 ? '' : 's'}` : installed;
  const explanation = movable.length
    ? `${movable.length} of ${installedCount} ${kind} packages can be updated${held ? ` (${held} more held back by pins or ranges)` : ''}`
    : `all ${installedCount} ${kind} packages are current${held ? ` (${held} newer held back by pins or ranges)` : ''}`;
  return {
    installed,
    latest,
    decision: { update: movable.length > 0, explanation },
    packages,
    risk: mergeRisks(movable),
    target: movable.length ? { version: packagesSummary(movable), packages } : null,
  };
}
