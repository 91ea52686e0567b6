import { defineUpdateMethod } from '../types';

/** The outdated packages of an npm project (or the global prefix) upgraded. */
export const npmEnvMethodDescriptor = defineUpdateMethod({
  method: 'npm_env',
  label: 'npm project',
  requires: [],
  requiresOneOf: [
    {
      keys: ['folder', 'global'],
      message: 'is required for method npm_env (the folder with package.json), or set global: true',
    },
  ],
  fields: [],
});
