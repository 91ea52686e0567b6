import { defineUpdateMethod } from '../types';

/** The checkout moved to the target commit. */
export const gitDescriptor = defineUpdateMethod({
  method: 'git',
  label: 'git pull',
  requires: [{ key: 'folder', message: 'is required for method git' }],
  fields: [],
});
