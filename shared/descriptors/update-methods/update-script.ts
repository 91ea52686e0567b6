import { defineUpdateMethod } from '../types';

/** A command of the user's that performs the update (argv, never a shell). */
export const updateScriptDescriptor = defineUpdateMethod({
  method: 'update_script',
  label: 'Update script',
  requires: [{ key: 'update_script', message: 'is required for method update_script' }],
  fields: [],
});
