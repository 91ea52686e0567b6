import { defineUpdateMethod } from '../types';

/** The release tarball or zip unpacked over the folder, preserving what it names. */
export const releaseArchiveDescriptor = defineUpdateMethod({
  method: 'release_archive',
  label: 'Release archive',
  requires: [{ key: 'folder', message: 'is required for method release_archive' }],
  fields: [],
});
