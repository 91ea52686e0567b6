/** Narrowing checks for values read from outside (JSON, YAML, thrown values), instead of casts. */

/** A plain object (not null, not an array): its keys can be read as unknowns. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A list of strings. */
export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
