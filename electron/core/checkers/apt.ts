import { findAptUpgradable } from '../envs/apt';
import { quietRun } from '../envs/run';
import { environmentOutcome } from './lib/env-outcome';
import { defineChecker } from './types';

/** Debian/Ubuntu packages of this machine that apt can upgrade; versions from `-security` suites are flagged. */
export const aptChecker = defineChecker<'apt'>({
  type: 'apt',
  defaultCompare: 'unequal',
  readsInstalled: true,
  opaqueVersions: true,

  async check(ctx) {
    const result = await findAptUpgradable(quietRun(ctx.env, ctx.signal), ctx.config);
    return environmentOutcome('Debian', result.installed_count, result.packages);
  },
});
