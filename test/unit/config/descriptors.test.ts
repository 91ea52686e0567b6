import { describe, expect, it } from 'vitest';
import { CHECKERS } from '../../../electron/core/checkers/registry';
import { validateComponent } from '../../../electron/core/config/validate';
import { UPDATERS } from '../../../electron/core/updaters/registry';
import { CHECK_TYPE_DESCRIPTORS, UPDATE_METHOD_DESCRIPTORS } from '../../../shared/descriptors/registry';
import { CHECK_TYPES, UPDATE_METHODS } from '../../../shared/schemas/component';

/** A value for a required key: a list for keys the schema wants as argv, true for flags, else text. */
function valueFor(key: string): unknown {
  if (key === 'command' || key === 'update_script') return ['run-me'];
  if (key === 'global') return true;
  return `x-${key}`;
}

/** A config that meets every requirement of a descriptor (the first key of each one-of). */
function complete(d: {
  requires: readonly { key: string }[];
  requiresOneOf?: readonly { keys: readonly string[] }[];
}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of d.requires) out[r.key] = valueFor(r.key);
  for (const r of d.requiresOneOf ?? []) out[r.keys[0] ?? ''] = valueFor(r.keys[0] ?? '');
  return out;
}

function problems(config: Record<string, unknown>): string {
  try {
    validateComponent('c', config);
    return '';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe('descriptor registries', () => {
  it('are the axes of the config schema: its type and method names are exactly the descriptors', () => {
    expect([...CHECK_TYPES]).toEqual(CHECK_TYPE_DESCRIPTORS.map((d) => d.type));
    expect([...UPDATE_METHODS]).toEqual(UPDATE_METHOD_DESCRIPTORS.map((d) => d.method));
    expect(new Set(CHECK_TYPES).size).toBe(CHECK_TYPES.length);
    expect(new Set(UPDATE_METHODS).size).toBe(UPDATE_METHODS.length);
    expect(problems({ type: 'no_such_type' })).toContain(`must be one of: ${CHECK_TYPES.join(', ')}`);
  });

  it('pair every descriptor with its checker or updater, and nothing else', () => {
    expect(Object.keys(CHECKERS).sort()).toEqual([...CHECK_TYPES].sort());
    expect(Object.keys(UPDATERS).sort()).toEqual([...UPDATE_METHODS].sort());
    for (const type of CHECK_TYPES) expect(CHECKERS[type].type).toBe(type);
    for (const method of UPDATE_METHODS) expect(UPDATERS[method].method).toBe(method);
  });

  it('a check type config with what its descriptor requires is valid; each requirement left out is reported with its message', () => {
    for (const d of CHECK_TYPE_DESCRIPTORS) {
      const config: Record<string, unknown> = { type: d.type, ...complete(d) };
      expect(problems(config), d.type).toBe('');
      for (const r of d.requires) {
        const { [r.key]: _left, ...rest } = config;
        expect(problems(rest), `${d.type} without ${r.key}`).toContain(`components.c.${r.key}: ${r.message}`);
      }
      for (const r of d.requiresOneOf ?? []) {
        const rest = Object.fromEntries(Object.entries(config).filter(([k]) => !r.keys.includes(k)));
        expect(problems(rest), `${d.type} without ${r.keys.join('/')}`).toContain(`${r.keys[0]}: ${r.message}`);
      }
    }
  });

  it('an update method config with what its descriptor requires is valid; each requirement left out is reported with its message', () => {
    for (const d of UPDATE_METHOD_DESCRIPTORS) {
      const config: Record<string, unknown> = { type: 'always_current', method: d.method, ...complete(d) };
      expect(problems(config), d.method).toBe('');
      for (const r of d.requires) {
        const { [r.key]: _left, ...rest } = config;
        expect(problems(rest), `${d.method} without ${r.key}`).toContain(`components.c.${r.key}: ${r.message}`);
      }
      for (const r of d.requiresOneOf ?? []) {
        const rest = Object.fromEntries(Object.entries(config).filter(([k]) => !r.keys.includes(k)));
        expect(problems(rest), `${d.method} without ${r.keys.join('/')}`).toContain(`${r.keys[0]}: ${r.message}`);
      }
    }
  });

  it('every descriptor has a label, and a source unless its check never leaves the machine', () => {
    for (const d of CHECK_TYPE_DESCRIPTORS) {
      expect(d.label.trim(), d.type).not.toBe('');
      if (d.source === null) expect(['always_current', 'never_current', 'command_line']).toContain(d.type);
    }
    for (const d of UPDATE_METHOD_DESCRIPTORS) expect(d.label.trim(), d.method).not.toBe('');
  });
});
