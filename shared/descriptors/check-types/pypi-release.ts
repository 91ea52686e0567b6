import { defineCheckType } from '../types';

/** A package on PyPI or a PyPI-compatible index. */
export const pypiReleaseDescriptor = defineCheckType({
  type: 'pypi_release',
  label: 'PyPI package',
  packageIndex: 'pypi',
  source: 'The registry',
  advisories: 'pypi',
  requires: [{ key: 'package', message: 'is required for type pypi_release' }],
  channels: {
    kind: 'fixed',
    options: [
      { id: 'stable', label: 'Stable' },
      { id: 'prerelease', label: 'Prereleases' },
    ],
  },
  fields: ['package'],
});
