import { defineCheckType } from '../types';

/** A plugin deployed to an Open WebUI server against its local file. */
export const openwebuiDescriptor = defineCheckType({
  type: 'openwebui',
  label: 'Open WebUI plugin',
  source: 'Open WebUI',
  advisories: null,
  requires: [
    { key: 'api_base', message: 'is required for type openwebui (the Open WebUI server, e.g. http://localhost:3000)' },
    { key: 'function_id', message: 'is required for type openwebui' },
    { key: 'file', message: 'is required for type openwebui (the local plugin file)' },
  ],
  channels: { kind: 'fixed', options: [{ id: 'stable', label: 'Stable' }] },
  fields: [],
});
