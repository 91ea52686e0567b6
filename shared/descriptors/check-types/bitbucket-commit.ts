import { defineCheckType } from '../types';

/** The head commit of a Bitbucket Cloud branch. */
export const bitbucketCommitDescriptor = defineCheckType({
  type: 'bitbucket_commit',
  label: 'Bitbucket commit',
  source: 'The server',
  advisories: null,
  requires: [
    { key: 'user', message: 'is required for type bitbucket_commit (the repository owner)' },
    { key: 'repo', message: 'is required for type bitbucket_commit (the repository name)' },
  ],
  channels: { kind: 'fixed', options: [{ id: 'stable', label: 'Stable' }] },
  fields: ['user', 'repo'],
});
