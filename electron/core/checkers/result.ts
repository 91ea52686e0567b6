import type { ErrorShape } from '../../../shared/errors';
import type { CompareScheme } from '../../../shared/schemas/component';
import type { CheckResult, Component, ReleaseNote, UpdateTarget } from '../../../shared/types';
import type { VersionChoiceStore } from '../config/version-choices';
import { failedRiskFields, pendingRisk, riskFields } from '../risk/component-risk';
import {
  compareVersions,
  displayVersion,
  isPrereleaseVersion,
  isUnequalScheme,
  orderVersions,
  type VersionComparison,
} from '../versions/compare';
import { notesNewestFirst } from './lib/pick-release';
import { checkerFor } from './registry';
import type { Checker, CheckOutcome } from './types';
import type { CacheEntry } from './version-cache';

/** What a result needs of the user's version choices: the store, and where to hand the writes it starts. */
export interface ResultChoices {
  holds?: VersionChoiceStore | undefined;
  track(write: Promise<unknown> | undefined): void;
}

/**
 * A check result from a checker's outcome: the decision (the checker's, or the scheme's comparison),
 * downgrades refused unless asked, the user's skip and hold applied, notes between installed and
 * latest, and the risk fields. Also returns the highest version seen, to be remembered.
 */
export function buildResult(
  component: Component,
  checker: Checker,
  outcome: CheckOutcome,
  installed: string | null,
  entry: CacheEntry,
  flags: { from_cache: boolean; downgrade: boolean },
  choices: ResultChoices,
): { result: CheckResult; highest: string | null } {
  const scheme: CompareScheme = component.config.release_compare ?? checker.defaultCompare;
  const latest = outcome.latest;
  let decision: { update: boolean; explanation: string };
  let comparison: VersionComparison | undefined;
  if (checker.readsInstalled && outcome.decision) {
    decision = outcome.decision;
  } else if (checker.decide && latest !== null) {
    decision = checker.decide(installed, latest, component.config);
  } else {
    comparison = compareVersions(installed, latest, scheme, { forceBase: component.config.force_base === true });
    decision = { update: comparison.update, explanation: comparison.explanation };
    if (outcome.note) decision = { ...decision, explanation: `${decision.explanation}; ${outcome.note}` };
  }

  // Refuse releases lower than the installed or the highest version seen, unless asked. The
  // `*_unequal` schemes ask for any different version, lower ones included: nothing to veto.
  let highest = entry.highest_seen ?? null;
  let downgradeRefused = false;
  if (comparison && latest !== null) {
    const allowDowngrade = flags.downgrade || component.config.allow_downgrade === true;
    if (decision.update && isUnequalScheme(scheme) && comparison.relation === 'older') {
      decision = {
        ...decision,
        explanation: `${decision.explanation}; offered although lower: ${scheme} offers any different version`,
      };
    } else if (decision.update && !allowDowngrade && !isUnequalScheme(scheme)) {
      if (comparison.relation === 'older') {
        decision = {
          update: false,
          explanation: `${comparison.explanation}; not offered: it is lower than the installed version (ask for a downgrade to install it)`,
        };
        downgradeRefused = true;
      } else if (highest !== null && (orderVersions(latest, highest, scheme) ?? 0) < 0) {
        decision = {
          update: false,
          explanation: `${comparison.explanation}; not offered: lower than ${displayVersion(highest)}, seen before on this channel (ask for a downgrade to install it)`,
        };
        downgradeRefused = true;
      }
    }
    for (const v of [latest, installed]) {
      if (
        v !== null &&
        (highest === null || (orderVersions(v, highest, scheme) ?? 0) > 0) &&
        orderVersions(v, v, scheme) !== null
      )
        highest = v;
    }
  }

  const choice = choices.holds?.get(component.id);
  let skippedVersion: string | null = null;
  if (choice?.skip_version && latest !== null) {
    const skip = choice.skip_version;
    const shown = checker.opaqueVersions ? latest : displayVersion(latest);
    if (shown === skip || latest === skip) {
      if (decision.update) {
        decision = { update: false, explanation: `${shown} skipped (you chose to skip this version)` };
        skippedVersion = skip;
      }
    } else if (
      (orderVersions(latest, skip, scheme) ?? 1) > 0 ||
      (installed !== null && (orderVersions(installed, skip, scheme) ?? -1) >= 0)
    ) {
      // A newer release (or an installed version at or past the skipped one) supersedes the skip.
      choices.track(choices.holds?.clearSkipIf(component.id, skip));
    }
  }
  if (choice?.held && decision.update) {
    decision = {
      ...decision,
      explanation: `${decision.explanation}; held at ${choice.held.version ?? 'the installed version'} (release the hold to update)`,
    };
  }

  let target: UpdateTarget | null = outcome.target ?? null;
  if (target && decision.update && outcome.releases && latest !== null) {
    target = { ...target, notes: notesBetween(outcome.releases, installed, latest, scheme) };
  }
  const result: CheckResult = {
    id: component.id,
    name: component.name,
    installed: installed === null || checker.opaqueVersions ? installed : displayVersion(installed),
    latest: latest === null || checker.opaqueVersions ? latest : displayVersion(latest),
    update_available: decision.update,
    channel: component.channel,
    checked_at: entry.last_success_at ?? null,
    explanation: decision.explanation,
    error: null,
    from_cache: flags.from_cache,
    target,
  };
  if (decision.update) {
    const known =
      outcome.advisories && outcome.advisories.installed === installed && outcome.advisories.latest === latest
        ? outcome.advisories
        : null;
    Object.assign(
      result,
      riskFields(
        outcome.risk ??
          pendingRisk({
            installed,
            latest,
            notes: target?.notes ?? [],
            advisories: known?.items ?? [],
            advisoryError: known?.error ?? null,
            opaque: checker.opaqueVersions === true,
          }),
      ),
    );
  } else {
    Object.assign(result, riskFields(null));
  }
  if (outcome.packages) result.packages = outcome.packages;
  result.held = Boolean(choice?.held);
  result.held_version = choice?.held?.version ?? null;
  result.skipped_version = skippedVersion;
  if (downgradeRefused) result.downgrade_refused = true;
  if (latest !== null && !checker.opaqueVersions) result.prerelease = isPrereleaseVersion(latest, scheme);
  return { result, highest };
}

function notesBetween(
  releases: ReleaseNote[],
  installed: string | null,
  latest: string,
  scheme: CompareScheme,
): ReleaseNote[] {
  const keep = releases.filter((r) => {
    const upToLatest = (orderVersions(r.version, latest, scheme) ?? 1) <= 0;
    if (!upToLatest) return false;
    if (installed === null) return (orderVersions(r.version, latest, scheme) ?? 1) === 0;
    const aboveInstalled = orderVersions(r.version, installed, scheme);
    return aboveInstalled !== null && aboveInstalled > 0;
  });
  return notesNewestFirst(keep, scheme);
}

/** The result of a failed check: the error, what is known of the installed side, every risk flag unknown. */
export function errorResult(
  component: Component,
  error: ErrorShape,
  entry: CacheEntry | undefined,
  fromCache: boolean,
  installed: string | null = null,
): CheckResult {
  const last = entry?.outcome;
  return {
    id: component.id,
    name: component.name,
    // What is installed is known locally even when the source cannot be reached.
    installed: installed ?? last?.installed ?? null,
    latest: last?.latest
      ? checkerFor(component.type).opaqueVersions
        ? last.latest
        : displayVersion(last.latest)
      : null,
    update_available: false,
    channel: component.channel,
    checked_at: entry?.last_success_at ?? null,
    failed_at: new Date(entry?.error === error && entry.error_at ? entry.error_at : Date.now()).toISOString(),
    explanation: null,
    error,
    from_cache: fromCache,
    target: null,
    ...failedRiskFields(),
  };
}
