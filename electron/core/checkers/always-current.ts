import { extraString } from './lib/config';
import { defineChecker } from './types';

/** OctoPrint's always_current (for trying the update machinery): never an update. */
export const alwaysCurrentChecker = defineChecker<'always_current'>({
  type: 'always_current',
  defaultCompare: 'unequal',
  readsInstalled: true,

  async check(ctx) {
    const version = extraString(ctx.config, 'current_version') ?? ctx.installed ?? '1.0.0';
    return {
      installed: version,
      latest: version,
      decision: { update: false, explanation: `${version} is always current (always_current)` },
      target: null,
    };
  },
});
