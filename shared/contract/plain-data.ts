/**
 * Checks on data from outside (a request, a parsed YAML document) that schemas cannot make: zod
 * drops a `__proto__` key without a word, and YAML aliases can make a value contain itself.
 */
export type UnsafeKind = 'proto_key' | 'cycle' | 'nul';

export interface UnsafeValue {
  kind: UnsafeKind;
  /** Keys from the root to the offending value. */
  path: string[];
}

interface Visit {
  value: unknown;
  key: string | undefined;
  parent: Visit | undefined;
  leaving?: boolean;
}

function pathOf(visit: Visit): string[] {
  const keys: string[] = [];
  for (let v: Visit | undefined = visit; v?.key !== undefined; v = v.parent) keys.unshift(v.key);
  return keys;
}

/**
 * The first `__proto__` key (with `protoKeys`), string with a NUL character (with `nul`) or value
 * that contains itself. Walks without recursion, so any depth is fine.
 */
export function findUnsafeValue(root: unknown, options: { protoKeys?: boolean; nul?: boolean } = {}): UnsafeValue | undefined {
  const onPath = new Set<object>();
  const stack: Visit[] = [{ value: root, key: undefined, parent: undefined }];
  for (let visit = stack.pop(); visit; visit = stack.pop()) {
    const { value } = visit;
    if (typeof value === 'string') {
      if (options.nul && value.includes('\0')) return { kind: 'nul', path: pathOf(visit) };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (visit.leaving) {
      onPath.delete(value);
      continue;
    }
    if (onPath.has(value)) return { kind: 'cycle', path: pathOf(visit) };
    onPath.add(value);
    stack.push({ ...visit, leaving: true });
    for (const key of Object.keys(value)) {
      const child: Visit = { value: (value as Record<string, unknown>)[key], key, parent: visit };
      if (options.protoKeys && key === '__proto__') return { kind: 'proto_key', path: pathOf(child) };
      if (options.nul && key.includes('\0')) return { kind: 'nul', path: pathOf(child) };
      stack.push(child);
    }
  }
  return undefined;
}

/** `field: what is wrong and what to do`, for an error message. */
export function describeUnsafe(unsafe: UnsafeValue, prefix?: string, rootName = '(request)'): { field: string; message: string } {
  const field = [prefix, ...unsafe.path].filter((p) => p !== undefined && p !== '').join('.') || rootName;
  const shown = field.replaceAll('\0', '\\0');
  const why: Record<UnsafeKind, string> = {
    proto_key: '"__proto__" is not allowed as a key; remove it',
    cycle: 'contains itself (a YAML alias inside the node it names); write the value out instead',
    nul: 'contains a NUL character, which no path, command or name may hold; remove it',
  };
  return { field, message: `${shown}: ${why[unsafe.kind]}` };
}
