import { extraString } from './lib/config';
import { defineChecker } from './types';

/** OctoPrint's never_current (for trying the update machinery): always an update. */
export const neverCurrentChecker = defineChecker<'never_current'>({
  type: 'never_current',
  defaultCompare: 'unequal',
  readsInstalled: true,

  async check(ctx) {
    const local = extraString(ctx.config, 'local_version') ?? ctx.installed ?? '1.0.0';
    const remote = extraString(ctx.config, 'remote_version') ?? '1.0.1';
    return {
      installed: local,
      latest: remote,
      decision: { update: true, explanation: `${remote} is always offered over ${local} (never_current)` },
      target: { version: remote },
    };
  },
});
