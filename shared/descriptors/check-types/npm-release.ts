import { defineCheckType } from '../types';

/** A package on the npm registry; its channels are the package's dist-tags. */
export const npmReleaseDescriptor = defineCheckType({
  type: 'npm_release',
  label: 'npm package',
  packageIndex: 'npm',
  source: 'The registry',
  advisories: 'npm',
  requires: [{ key: 'package', message: 'is required for type npm_release' }],
  channels: { kind: 'dist_tags' },
  fields: ['package'],
});
