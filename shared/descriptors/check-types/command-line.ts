import { defineCheckType } from '../types';

/** A command that says whether an update is available (OctoPrint's contract). */
export const commandLineDescriptor = defineCheckType({
  type: 'command_line',
  label: 'Command',
  source: null,
  advisories: null,
  requires: [{ key: 'command', message: 'is required for type command_line' }],
  channels: { kind: 'fixed', options: [{ id: 'stable', label: 'Stable' }] },
  fields: [],
});
