import Conf from 'conf';

/**
 * The settings store. The CLI and headless host use `conf`; the desktop host passes an
 * `electron-store` (built on conf, same file format) so all three share `<home>/config.json`.
 */
export interface KeyValueStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

export function createConfStore(home: string): KeyValueStore {
  const conf = new Conf<Record<string, unknown>>({
    cwd: home,
    configName: 'config',
    projectName: 'upkeep',
    accessPropertiesByDotNotation: false,
    clearInvalidConfig: false,
    watch: false,
  });
  return {
    get: (key) => conf.get(key),
    set: (key, value) => conf.set(key, value),
    delete: (key) => conf.delete(key),
  };
}

/** An in-memory store, for tests and for a dry run. */
export function createMemoryStore(initial: Record<string, unknown> = {}): KeyValueStore {
  const data = new Map(Object.entries(structuredClone(initial)));
  return {
    get: (key) => structuredClone(data.get(key)),
    set: (key, value) => void data.set(key, structuredClone(value)),
    delete: (key) => void data.delete(key),
  };
}
