import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkTypeFacts } from '../../../shared/descriptors/registry';
import { defaultChannelOf } from '../../../shared/descriptors/types';
import { UpkeepError } from '../../../shared/errors';
import type { ComponentConfig } from '../../../shared/schemas/component';
import type { Component, ConfigProblem } from '../../../shared/types';
import { DataDirGuard } from '../lib/data-dir';
import { componentPython, venvRoot } from '../updaters/lib/python';
import { logger } from '../lib/log';
import type { KeyValueStore } from './store';
import { parseComponentsDocument, validateComponent } from './validate';
import { errnoCode, errorMessage } from '../lib/error-info';
import { isRecord } from '../../../shared/guards';

const STORE_KEY = 'components';
const DROP_IN_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const MAX_DROP_IN_BYTES = 1024 * 1024;

/** The channel a component is on when the user has not chosen one. */

const log = logger('config.components');
export function defaultChannel(config: ComponentConfig): string {
  return defaultChannelOf(checkTypeFacts(config.type).channels);
}

export function toComponent(id: string, config: ComponentConfig, source: Component['source']): Component {
  return {
    id,
    name: config.name ?? id,
    type: config.type,
    method: config.method ?? null,
    channel: config.channel ?? defaultChannel(config),
    source,
    config,
  };
}

/**
 * The paths of a component that Upkeep backs up, restores, swaps or writes: its folder; the venv
 * the pip method backs up; the file the single_file method replaces.
 */
export function writtenPaths(config: ComponentConfig): { key: string; path: string }[] {
  const out: { key: string; path: string }[] = [];
  if (config.folder) out.push({ key: 'folder', path: config.folder });
  if (config.method === 'pip') {
    const venv = venvRoot(componentPython(config));
    if (venv) out.push({ key: config.python ? 'python' : 'folder', path: venv });
  }
  if (config.method === 'single_file' && config.file) {
    out.push({
      key: 'file',
      path: path.isAbsolute(config.file) || !config.folder ? config.file : path.join(config.folder, config.file),
    });
  }
  return out;
}

/** The first path of a component that is, holds or lies within the data directory (or is `/`), as INVALID_CONFIG. */
export function dataDirProblem(
  id: string,
  config: ComponentConfig,
  guard: DataDirGuard,
  source: string,
): UpkeepError | null {
  for (const { key, path: target } of writtenPaths(config)) {
    const field = `components.${id}.${key}`;
    const error = guard.error(target, { what: `${source}: ${field}`, component: id, field });
    if (error) return error;
  }
  return null;
}

/**
 * Components from the settings store plus drop-in files in `<home>/components.d/` (read-only here:
 * the software that dropped them owns them). A broken drop-in is reported by name; the rest load.
 */
export class ComponentRegistry {
  constructor(
    private readonly store: KeyValueStore,
    private readonly dropInDir: string,
    /** Upkeep's data directory: no component may live in it, be it, or hold it. */
    private readonly dataDir: string = path.dirname(dropInDir),
  ) {}

  /** Refuse a component whose folder (or file, or venv) would put Upkeep's own data at stake. */
  private refuseDataDir(id: string, config: ComponentConfig, source: string): void {
    const error = dataDirProblem(id, config, new DataDirGuard(this.dataDir), source);
    if (error) throw error;
  }

  private stored(): Record<string, unknown> {
    const value = this.store.get(STORE_KEY);
    return isRecord(value) ? value : {};
  }

  list(): { components: Component[]; problems: ConfigProblem[] } {
    const problems: ConfigProblem[] = [];
    const byId = new Map<string, Component>();
    const guard = new DataDirGuard(this.dataDir);
    for (const [id, raw] of Object.entries(this.stored())) {
      try {
        const config = validateComponent(id, raw, 'config.json');
        byId.set(id, toComponent(id, config, { kind: 'settings' }));
        // Kept (so it can still be fixed or removed), and said: every backup, restore and update of it is refused.
        const unsafe = dataDirProblem(id, config, guard, 'config.json');
        if (unsafe) problems.push(problemOf(unsafe, 'config.json', id));
      } catch (error) {
        problems.push(problemOf(error, 'config.json', id));
      }
    }
    for (const { file, components, problem } of this.readDropIns()) {
      if (problem) {
        problems.push(problem);
        continue;
      }
      for (const [id, config] of Object.entries(components)) {
        const existing = byId.get(id);
        if (existing) {
          const owner = existing.source.kind === 'settings' ? 'the settings store' : existing.source.file;
          problems.push({
            file,
            component: id,
            code: 'ALREADY_EXISTS',
            message: `${file}: component "${id}" is already defined by ${owner}; this definition is ignored.`,
          });
          continue;
        }
        const unsafe = dataDirProblem(id, config, guard, file);
        if (unsafe) {
          problems.push(problemOf(unsafe, file, id));
          continue;
        }
        byId.set(id, toComponent(id, config, { kind: 'drop-in', file }));
      }
    }
    const components = [...byId.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    return { components, problems };
  }

  get(id: string): Component {
    // A valid stored definition wins over drop-ins (as in list()), so only it needs validating;
    // the full list (every drop-in read and checked) is needed only for the rest.
    const raw = this.stored()[id];
    if (raw !== undefined) {
      try {
        return toComponent(id, validateComponent(id, raw, 'config.json'), { kind: 'settings' });
      } catch {
        // Broken in config.json: listed as a problem; a drop-in of the same id may still stand.
      }
    }
    const { components, problems } = this.list();
    const component = components.find((c) => c.id === id);
    // A drop-in refused for its folder: say why rather than that there is no such component.
    const refused = problems.find((p) => p.component === id && p.code === 'INVALID_CONFIG' && p.file !== 'config.json');
    if (!component && refused)
      throw new UpkeepError(refused.code, refused.message, { component: id, file: refused.file });
    if (!component)
      throw new UpkeepError('NOT_FOUND', `No component "${id}". The component list shows the ids.`, {
        id,
        kind: 'component',
      });
    return component;
  }

  has(id: string): boolean {
    return this.list().components.some((c) => c.id === id);
  }

  /** Add validated components; existing ids fail unless `replace`. Drop-in components cannot be replaced here. */
  add(
    components: Record<string, ComponentConfig>,
    options: { replace?: boolean } = {},
  ): { added: string[]; replaced: string[] } {
    const stored = this.stored();
    const current = this.list().components;
    const added: string[] = [];
    const replaced: string[] = [];
    for (const [id, config] of Object.entries(components)) {
      this.refuseDataDir(id, config, 'components');
      const existing = current.find((c) => c.id === id);
      if (existing?.source.kind === 'drop-in') {
        throw new UpkeepError(
          'READ_ONLY',
          `Component "${id}" comes from ${existing.source.file}; edit that file instead.`,
          { id },
        );
      }
      if (existing && !options.replace) {
        throw new UpkeepError(
          'ALREADY_EXISTS',
          `Component "${id}" already exists. Remove it first, or replace it.`,
          { id },
          { action: 'replace_component' },
        );
      }
      (existing ? replaced : added).push(id);
    }
    this.store.set(STORE_KEY, { ...stored, ...components });
    return { added, replaced };
  }

  update(id: string, raw: unknown): Component {
    const existing = this.get(id);
    if (existing.source.kind === 'drop-in') {
      throw new UpkeepError(
        'READ_ONLY',
        `Component "${id}" comes from ${existing.source.file}; edit that file instead.`,
        { id },
      );
    }
    const config = validateComponent(id, raw);
    this.refuseDataDir(id, config, 'components');
    this.store.set(STORE_KEY, { ...this.stored(), [id]: config });
    return toComponent(id, config, { kind: 'settings' });
  }

  /** Change one key of a stored component (e.g. its channel) with full validation. */
  patch(id: string, patch: Partial<ComponentConfig>): Component {
    const existing = this.get(id);
    return this.update(id, { ...existing.config, ...patch });
  }

  remove(id: string): void {
    const existing = this.get(id);
    if (existing.source.kind === 'drop-in') {
      throw new UpkeepError(
        'READ_ONLY',
        `Component "${id}" comes from ${existing.source.file}; delete or edit that file to remove it.`,
        { id },
      );
    }
    const stored = this.stored();
    delete stored[id];
    this.store.set(STORE_KEY, stored);
  }

  private readDropIns(): { file: string; components: Record<string, ComponentConfig>; problem?: ConfigProblem }[] {
    let names: string[];
    try {
      names = readdirSync(this.dropInDir).sort();
    } catch (error) {
      // No components.d folder is the usual case; an unreadable one is logged (its components are not listed).
      if (errnoCode(error) !== 'ENOENT')
        log.error('the drop-in folder cannot be read; its components are not listed', { dir: this.dropInDir, error });
      return [];
    }
    const out: { file: string; components: Record<string, ComponentConfig>; problem?: ConfigProblem }[] = [];
    for (const name of names) {
      if (!DROP_IN_EXTENSIONS.has(path.extname(name).toLowerCase()) || name.startsWith('.')) continue;
      const file = path.join(this.dropInDir, name);
      try {
        const stat = statSync(file);
        if (!stat.isFile()) continue;
        if (stat.size > MAX_DROP_IN_BYTES)
          throw new UpkeepError(
            'INVALID_CONFIG',
            `${name}: larger than 1 MiB; a drop-in file holds component definitions only.`,
          );
        const components = parseComponentsDocument(readFileSync(file, 'utf8'), name, { allowBareMapping: true });
        out.push({ file: name, components });
      } catch (error) {
        out.push({ file: name, components: {}, problem: problemOf(error, name) });
      }
    }
    return out;
  }
}

function problemOf(error: unknown, file: string, component?: string): ConfigProblem {
  const e = error instanceof UpkeepError ? error : new UpkeepError('INVALID_CONFIG', `${file}: ${errorMessage(error)}`);
  const problem: ConfigProblem = { file, code: e.code, message: e.message };
  const named = e.details?.component;
  const id = component ?? (typeof named === 'string' ? named : undefined);
  if (id) problem.component = id;
  return problem;
}
