import { defineCheckType } from '../types';

/** OctoPrint's always_current: never an update. */
export const alwaysCurrentDescriptor = defineCheckType({
  type: 'always_current',
  label: 'Always current',
  source: null,
  advisories: null,
  requires: [],
  channels: { kind: 'fixed', options: [{ id: 'stable', label: 'Stable' }] },
  fields: [],
});
