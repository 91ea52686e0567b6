import { defineUpdateMethod } from '../types';

/** The local plugin file deployed to the Open WebUI server. */
export const openwebuiMethodDescriptor = defineUpdateMethod({
  method: 'openwebui',
  label: 'Open WebUI plugin',
  requires: [
    { key: 'api_base', message: 'is required for method openwebui' },
    { key: 'function_id', message: 'is required for method openwebui' },
    { key: 'file', message: 'is required for method openwebui' },
  ],
  fields: [],
});
