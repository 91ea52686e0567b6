import { findNpmOutdated } from '../envs/npm-env';
import { quietRun } from '../envs/run';
import { environmentOutcome } from './lib/env-outcome';
import { defineChecker } from './types';

/**
 * An npm project folder (package.json + lock file) or the global prefix (`global: true`):
 * `npm outdated --json` semantics, within the ranges package.json allows unless `cross_ranges`.
 */
export const npmEnvChecker = defineChecker<'npm_env'>({
  type: 'npm_env',
  defaultCompare: 'semantic',
  readsInstalled: true,
  opaqueVersions: true,

  async check(ctx) {
    const result = await findNpmOutdated({
      config: ctx.config,
      http: ctx.http,
      run: quietRun(ctx.env, ctx.signal),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    return environmentOutcome('npm', result.installed_count, result.packages);
  },
});
