import { defineCheckType } from '../types';

/** The head commit of a GitHub branch. */
export const githubCommitDescriptor = defineCheckType({
  type: 'github_commit',
  label: 'GitHub commit',
  source: 'GitHub',
  advisories: null,
  requires: [
    { key: 'user', message: 'is required for type github_commit (the repository owner)' },
    { key: 'repo', message: 'is required for type github_commit (the repository name)' },
  ],
  channels: { kind: 'fixed', options: [{ id: 'stable', label: 'Stable' }] },
  fields: ['user', 'repo'],
});
