import { findPipOutdated } from '../envs/pip-outdated';
import { quietRun } from '../envs/run';
import { environmentOutcome } from './lib/env-outcome';
import { defineChecker } from './types';

/**
 * A Python interpreter or virtualenv: every installed distribution that the index (`index_url`,
 * PyPI by default) has a newer release of, bounded by the `requirements`/`constraints` pins.
 */
export const pipEnvChecker = defineChecker<'pip_env'>({
  type: 'pip_env',
  defaultCompare: 'python',
  readsInstalled: true,
  opaqueVersions: true,

  async check(ctx) {
    const result = await findPipOutdated({
      config: ctx.config,
      channel: ctx.channel,
      http: ctx.http,
      run: quietRun(ctx.env, ctx.signal),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    return environmentOutcome('Python', result.installed_count, result.packages);
  },
});
