import type { Component } from '../../../shared/types';
import { logger } from '../lib/log';
import { readInstalledVersion } from '../versions/installed';
import { sameCommit } from './lib/config';
import { checkerFor } from './registry';
import type { CheckOutcome, Checker } from './types';

// The check service's scope: these moved out of it and log as before.
const log = logger('checks.service');

/** The installed version to hold at: from the last check, else read now (null when it cannot be read). */
export async function installedForHold(
  component: Component,
  known: string | null | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string | null> {
  if (known) return known;
  if (checkerFor(component.type).readsInstalled) return component.config.current ?? null;
  try {
    return (await readInstalledVersion(component.config, { env })).version;
  } catch (error) {
    // The hold is set either way; it records the configured version (or none) and says so here.
    log.warn('the installed version could not be read for a hold; the configured one is used', {
      component: component.id,
      error,
    });
    return component.config.current ?? null;
  }
}

/** A cached outcome with the installed side as it is now (see CheckService.invalidate); undefined drops it. */
export async function withInstalledNow(
  component: Component,
  checker: Checker,
  outcome: CheckOutcome,
  installed: string | null | undefined,
  env: NodeJS.ProcessEnv,
): Promise<CheckOutcome | undefined> {
  if (!checker.readsInstalled) {
    try {
      return { ...outcome, installed: (await readInstalledVersion(component.config, { env })).version };
    } catch {
      // Unreadable now: what the run left, if it says; else nothing is claimed.
      return installed !== undefined ? { ...outcome, installed } : undefined;
    }
  }
  const latest = outcome.latest;
  if (installed && latest && !outcome.packages && (installed === latest || sameCommit(installed, latest))) {
    return {
      ...outcome,
      installed,
      decision: { update: false, explanation: `${installed} is installed: the latest on record` },
    };
  }
  return undefined;
}
