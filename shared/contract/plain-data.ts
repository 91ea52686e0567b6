/**
 * Checks on data from outside (a request, a parsed YAML document) that schemas cannot make: zod
 * drops a `__proto__` key without a word, YAML aliases can make a value contain itself, and the
 * nesting of a 4 MiB body is bounded only by its size.
 */
export type UnsafeKind = 'proto_key' | 'cycle' | 'nul' | 'too_deep';

export interface UnsafeValue {
  kind: UnsafeKind;
  /** Keys from the root to the offending value. */
  path: string[];
}

/** Far beyond any request or config (they nest a few levels); keeps the walk's recursion short. */
export const MAX_DEPTH = 256;

/**
 * The first `__proto__` key (with `protoKeys`), string with a NUL character (with `nul`), value
 * that contains itself, or value nested deeper than MAX_DEPTH.
 */
export function findUnsafeValue(
  root: unknown,
  options: { protoKeys?: boolean; nul?: boolean } = {},
): UnsafeValue | undefined {
  const ancestors: object[] = [];
  const path: string[] = [];
  const keyProblem = (key: string): UnsafeKind | undefined => {
    if (options.protoKeys && key === '__proto__') return 'proto_key';
    if (options.nul && key.includes('\0')) return 'nul';
    return undefined;
  };
  const walk = (value: unknown): UnsafeKind | undefined => {
    if (typeof value === 'string') return options.nul && value.includes('\0') ? 'nul' : undefined;
    if (typeof value !== 'object' || value === null) return undefined;
    if (ancestors.includes(value)) return 'cycle';
    if (ancestors.length >= MAX_DEPTH) return 'too_deep';
    ancestors.push(value);
    const keys = Array.isArray(value) ? undefined : Object.keys(value);
    const count = keys ? keys.length : (value as unknown[]).length;
    for (let i = 0; i < count; i++) {
      const key = keys ? (keys[i] as string) : i;
      const child = (value as Record<string | number, unknown>)[key];
      // An array's numbers and booleans hold nothing to check: a million of them cost no path entries.
      if (!keys && (typeof child !== 'object' || child === null) && !(options.nul && typeof child === 'string'))
        continue;
      path.push(String(key));
      const found = (typeof key === 'string' ? keyProblem(key) : undefined) ?? walk(child);
      if (found) return found;
      path.pop();
    }
    ancestors.pop();
    return undefined;
  };
  const kind = walk(root);
  return kind ? { kind, path } : undefined;
}

/** `field: what is wrong and what to do`, for an error message. */
export function describeUnsafe(
  unsafe: UnsafeValue,
  prefix?: string,
  rootName = '(request)',
): { field: string; message: string } {
  const field = [prefix, ...unsafe.path].filter((p) => p !== undefined && p !== '').join('.') || rootName;
  const shown = field.replaceAll('\0', '\\0');
  const why: Record<UnsafeKind, string> = {
    proto_key: '"__proto__" is not allowed as a key; remove it',
    cycle: 'contains itself (in YAML: an alias inside the node it names); write the value out instead',
    nul: 'contains a NUL character, which no path, command or name may hold; remove it',
    too_deep: `is nested more than ${MAX_DEPTH} levels deep; no request or config needs that`,
  };
  return { field, message: `${shown}: ${why[unsafe.kind]}` };
}
