import { CHECK_TYPE_DESCRIPTORS, UPDATE_METHOD_DESCRIPTORS } from '../../../../shared/descriptors/registry';
import type { CheckType, UpdateMethod } from '../../../../shared/types';

// The descriptor registry is plain data (no zod): the panel lists what the engine accepts.
export const CHECK_TYPES: readonly CheckType[] = CHECK_TYPE_DESCRIPTORS.map((d) => d.type);
export const UPDATE_METHODS: readonly UpdateMethod[] = UPDATE_METHOD_DESCRIPTORS.map((d) => d.method);
