import { defineCheckType } from '../types';

/** GitLab releases; GitLab has no prerelease flag, so the channel decides by the tag's version. */
export const gitlabReleaseDescriptor = defineCheckType({
  type: 'gitlab_release',
  label: 'GitLab release',
  source: 'GitLab',
  advisories: null,
  requires: [
    { key: 'user', message: 'is required for type gitlab_release (the repository owner)' },
    { key: 'repo', message: 'is required for type gitlab_release (the repository name)' },
  ],
  channels: {
    kind: 'fixed',
    options: [
      { id: 'stable', label: 'Stable' },
      { id: 'prerelease', label: 'Prereleases' },
    ],
  },
  fields: ['user', 'repo'],
});
