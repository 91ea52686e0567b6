import type { CompareScheme } from '../../../../shared/schemas/component';
import type { ReleaseNote } from '../../../../shared/types';
import { displayVersion, isVersion, orderVersions } from '../../versions/compare';

/**
 * The newest of `items` by version (never by date: hosts list by creation time). Items whose
 * version text is not a version under the scheme (`nightly`, `latest-build`) are skipped; when none
 * is a version, the first item (the host's newest) is taken, for `unequal` comparisons.
 */
export function pickNewest<T>(
  items: readonly T[],
  versionOf: (item: T) => string,
  scheme: CompareScheme,
): T | undefined {
  let best: T | undefined;
  for (const item of items) {
    const v = versionOf(item);
    if (!isVersion(v, scheme)) continue;
    if (best === undefined || (orderVersions(v, versionOf(best), scheme) ?? 0) > 0) best = item;
  }
  if (best !== undefined) return best;
  return scheme === 'unequal' ? items[0] : undefined;
}

/** Release notes newest first, by version. */
export function notesNewestFirst(notes: ReleaseNote[], scheme: CompareScheme): ReleaseNote[] {
  return [...notes].sort((a, b) => orderVersions(b.version, a.version, scheme) ?? 0);
}

export { displayVersion };
