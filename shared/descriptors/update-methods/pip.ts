import { defineUpdateMethod } from '../types';

/** pip installs the requirement named by `pip` into the component's interpreter. */
export const pipDescriptor = defineUpdateMethod({
  method: 'pip',
  label: 'pip install',
  packageIndex: 'pypi',
  requires: [{ key: 'pip', message: 'is required for method pip (what to install, e.g. "mypkg=={target_version}")' }],
  fields: [],
});
