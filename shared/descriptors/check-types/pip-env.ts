import { defineCheckType } from '../types';

/** Every outdated distribution of a Python interpreter or virtualenv. */
export const pipEnvDescriptor = defineCheckType({
  type: 'pip_env',
  label: 'Python environment',
  source: 'The server',
  advisories: null,
  requires: [],
  requiresOneOf: [
    {
      keys: ['python', 'folder'],
      message:
        'is required for type pip_env (the interpreter, e.g. /srv/app/.venv/bin/python), or set folder to the venv',
    },
  ],
  channels: {
    kind: 'fixed',
    options: [
      { id: 'stable', label: 'Stable releases' },
      { id: 'prerelease', label: 'Prereleases too' },
    ],
  },
  fields: [],
});
