import { defineCheckType } from '../types';

/** A header of a URL (ETag, Last-Modified …) as the version. */
export const httpheaderDescriptor = defineCheckType({
  type: 'httpheader',
  label: 'HTTP header',
  source: 'The server',
  advisories: null,
  requires: [],
  requiresOneOf: [{ keys: ['header_url', 'url'], message: 'is required for type httpheader (or url)' }],
  channels: { kind: 'fixed', options: [{ id: 'stable', label: 'Stable' }] },
  fields: [],
});
