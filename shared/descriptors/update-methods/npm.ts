import { defineUpdateMethod } from '../types';

/** npm installs the package (into folder, or globally). */
export const npmDescriptor = defineUpdateMethod({
  method: 'npm',
  label: 'npm install',
  packageIndex: 'npm',
  requires: [{ key: 'package', message: 'is required for method npm' }],
  fields: ['package'],
});
