import { findPipOutdated } from '../envs/pip-outdated';
import { quietRun } from '../envs/run';
import { environmentOutcome } from './lib/env-outcome';
import type { Checker } from './types';

/**
 * A Python interpreter or virtualenv: every installed distribution that the index (`index_url`,
 * PyPI by default) has a newer release of, bounded by the `requirements`/`constraints` pins.
 */
export const pipEnvChecker: Checker = {
  type: 'pip_env',
  defaultCompare: 'python',
  readsInstalled: true,
  opaqueVersions: true,

  async check(ctx) {
    const result = await findPipOutdated({ config: ctx.config, channel: ctx.channel, http: ctx.http, run: quietRun(ctx.env, ctx.signal), ...(ctx.signal ? { signal: ctx.signal } : {}) });
    return environmentOutcome('Python', result.installed_count, result.packages);
  },

  async channels() {
    return [
      { id: 'stable', label: 'Stable releases' },
      { id: 'prerelease', label: 'Prereleases too' },
    ];
  },
};
