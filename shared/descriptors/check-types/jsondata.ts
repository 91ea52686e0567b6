import { defineCheckType } from '../types';

/** A JSON document that names the version. */
export const jsondataDescriptor = defineCheckType({
  type: 'jsondata',
  label: 'JSON document',
  source: 'The server',
  advisories: null,
  requires: [{ key: 'jsondata', message: 'is required for type jsondata (the URL of the JSON document)' }],
  channels: { kind: 'fixed', options: [{ id: 'stable', label: 'Stable' }] },
  fields: [],
});
