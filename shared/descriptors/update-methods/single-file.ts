import { defineUpdateMethod } from '../types';

/** One file downloaded and put in place. */
export const singleFileDescriptor = defineUpdateMethod({
  method: 'single_file',
  label: 'Single file',
  requires: [
    { key: 'url', message: 'is required for method single_file (where to download the file, with {target_version})' },
  ],
  requiresOneOf: [{ keys: ['file', 'folder'], message: 'is required for method single_file (where the file lives)' }],
  fields: [],
});
