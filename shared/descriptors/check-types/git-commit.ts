import { defineCheckType } from '../types';

/** A local git checkout against its remote branch. */
export const gitCommitDescriptor = defineCheckType({
  type: 'git_commit',
  label: 'Git checkout',
  source: 'The server',
  advisories: null,
  requires: [{ key: 'folder', message: 'is required for type git_commit (the local checkout)' }],
  channels: { kind: 'fixed', options: [{ id: 'stable', label: 'Stable' }] },
  fields: [],
});
