import { defineCheckType } from '../types';

/** GitHub releases of `user/repo`, with OctoPrint's release channels. */
export const githubReleaseDescriptor = defineCheckType({
  type: 'github_release',
  label: 'GitHub release',
  source: 'GitHub',
  advisories: null,
  requires: [
    { key: 'user', message: 'is required for type github_release (the repository owner)' },
    { key: 'repo', message: 'is required for type github_release (the repository name)' },
  ],
  channels: { kind: 'release_branches' },
  fields: ['user', 'repo'],
});
