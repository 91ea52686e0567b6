import { UpkeepError } from '../../../../shared/errors';
import type { PackageUpdate } from '../../../../shared/types';
import type { UpdaterContext } from '../types';

const norm = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

/**
 * The packages this run upgrades: the chosen ones (`packages` of the update request), else every
 * package the check found that can move. Unknown or held-back names are refused before anything changes.
 */
export function selectedPackages(ctx: Pick<UpdaterContext, 'packages' | 'target' | 'component'>): PackageUpdate[] {
  const all = ctx.target.packages ?? [];
  const movable = all.filter((p) => p.target !== p.installed);
  if (!ctx.packages) {
    if (movable.length === 0)
      throw new UpkeepError(
        'NO_UPDATE',
        `${ctx.component.name} has no package that can be updated. Check it again, asking upstream rather than the cache.`,
        { id: ctx.component.id },
        { action: 'check_again' },
      );
    return movable;
  }
  const byName = new Map(all.map((p) => [norm(p.name), p]));
  const unknown = ctx.packages.filter((n) => !byName.has(norm(n)));
  if (unknown.length) {
    throw new UpkeepError(
      'INVALID_REQUEST',
      `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not among the outdated packages of ${ctx.component.name}. Outdated: ${all.map((p) => p.name).join(', ') || 'none'}.`,
      { unknown },
    );
  }
  const chosen = [...new Set(ctx.packages.map(norm))].flatMap((n) => byName.get(n) ?? []);
  const held = chosen.filter((p) => p.target === p.installed);
  if (held.length) {
    throw new UpkeepError(
      'INVALID_REQUEST',
      `${held.map((p) => `${p.name} (latest ${p.latest})`).join(', ')} cannot move: pins or ranges hold ${held.length === 1 ? 'it' : 'them'} at the installed version. Change the pin (or set cross_ranges for npm) first.`,
      { held: held.map((p) => p.name) },
    );
  }
  return chosen;
}
