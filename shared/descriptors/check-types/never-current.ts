import { defineCheckType } from '../types';

/** OctoPrint's never_current: always an update. */
export const neverCurrentDescriptor = defineCheckType({
  type: 'never_current',
  label: 'Never current',
  source: null,
  advisories: null,
  requires: [],
  channels: { kind: 'fixed', options: [{ id: 'stable', label: 'Stable' }] },
  fields: [],
});
