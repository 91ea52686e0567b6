import { defineCheckType } from '../types';

/** Debian/Ubuntu packages of this machine that apt can upgrade. */
export const aptDescriptor = defineCheckType({
  type: 'apt',
  label: 'apt packages',
  source: 'The server',
  advisories: null,
  requires: [],
  channels: { kind: 'fixed', options: [{ id: 'stable', label: 'Stable' }] },
  fields: [],
});
