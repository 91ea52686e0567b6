import { defineCheckType } from '../types';

/** Every outdated package of an npm project or the global prefix. */
export const npmEnvDescriptor = defineCheckType({
  type: 'npm_env',
  label: 'npm project',
  source: 'The server',
  advisories: null,
  requires: [],
  requiresOneOf: [
    {
      keys: ['folder', 'global'],
      message: 'is required for type npm_env (the folder with package.json), or set global: true for the global prefix',
    },
  ],
  channels: { kind: 'fixed', options: [{ id: 'stable', label: 'Stable' }] },
  fields: [],
});
