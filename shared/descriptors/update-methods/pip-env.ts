import { defineUpdateMethod } from '../types';

/** The outdated packages of an interpreter or venv upgraded with pip. */
export const pipEnvMethodDescriptor = defineUpdateMethod({
  method: 'pip_env',
  label: 'Python environment',
  requires: [],
  requiresOneOf: [
    { keys: ['python', 'folder'], message: 'is required for method pip_env (the interpreter or venv to upgrade)' },
  ],
  fields: [],
});
