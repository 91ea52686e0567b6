import { defineUpdateMethod } from '../types';

/** Debian packages upgraded with apt-get. */
export const aptMethodDescriptor = defineUpdateMethod({
  method: 'apt',
  label: 'apt upgrade',
  requires: [],
  fields: [],
});
