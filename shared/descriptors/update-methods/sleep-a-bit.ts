import { defineUpdateMethod } from '../types';

/** OctoPrint's test method: waits, changes nothing. */
export const sleepABitDescriptor = defineUpdateMethod({
  method: 'sleep_a_bit',
  label: 'Sleep a bit',
  requires: [],
  fields: [],
});
