import { realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';

/**
 * How a folder Upkeep would back up, restore or write into stands to Upkeep's own data directory
 * (config.json, backups, history): `root` is `/` (or a drive root), `is` the data directory itself,
 * `contains` holds it, `inside` lies within it. Each one would let a restore or an update
 * replace or delete that data, so none of them is ever a component's folder.
 */
export type DataDirConflict = 'root' | 'is' | 'contains' | 'inside';

/**
 * Where a path really leads: every step that exists resolved as the kernel resolves it (links
 * followed, a `..` taken from the real parent), the part that does not exist yet appended as written.
 */
export function physicalPath(p: string): string {
  const abs = path.isAbsolute(p) ? p : `${process.cwd()}${path.sep}${p}`;
  const { root } = path.parse(abs);
  const parts = abs
    .slice(root.length)
    .split(/[\\/]+/)
    .filter((s) => s !== '' && s !== '.');
  let current = root;
  for (const [i, part] of parts.entries()) {
    if (part === '..') {
      current = path.dirname(current);
      continue;
    }
    const next = path.join(current, part);
    try {
      current = realpathSync.native(next);
    } catch {
      // The rest does not exist yet: resolved as written from the last real parent.
      return path.resolve(next, ...parts.slice(i + 1));
    }
  }
  return current;
}

function expandTilde(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

/**
 * Every place a configured path may lead: with `~` expanded (as version reads and checks do)
 * and as written (as backups and updaters resolve it), each with `..` taken lexically (as
 * path.resolve does) and physically (as the kernel does).
 */
export function pathReadings(configured: string): string[] {
  const forms = new Set([expandTilde(configured), configured]);
  const out = new Set<string>();
  for (const form of forms) {
    out.add(physicalPath(form));
    out.add(physicalPath(path.resolve(form)));
  }
  return [...out];
}

function isWithin(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** device:inode of an existing folder (a bind mount or any other alias has the same one). */
function identity(p: string): string | null {
  try {
    const st = statSync(p, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch {
    // Missing: it cannot be the same file as anything.
    return null;
  }
}

/** The identities of `real` and of each folder above it. */
function chain(real: string): string[] {
  const out: string[] = [];
  let current = real;
  for (;;) {
    const id = identity(current);
    if (id) out.push(id);
    const up = path.dirname(current);
    if (up === current) return out;
    current = up;
  }
}

const SEVERITY: DataDirConflict[] = ['root', 'is', 'contains', 'inside'];

function describe(conflict: DataDirConflict, shown: string, dataDir: string): string {
  switch (conflict) {
    case 'root':
      return `${shown} is the root folder, which holds everything on this machine, Upkeep's data directory (${dataDir}) too`;
    case 'is':
      return `${shown} is Upkeep's data directory (${dataDir})`;
    case 'contains':
      return `${shown} contains Upkeep's data directory (${dataDir})`;
    case 'inside':
      return `${shown} is inside Upkeep's data directory (${dataDir})`;
  }
}

export interface DataDirContext {
  /** What the path is, for the message: `components.web.folder`, `The folder of web cannot be restored`. */
  what: string;
  component?: string;
  /** The config field to point at (`components.web.folder`), for the panel. */
  field?: string;
}

/**
 * The data directory as it is now (its real path, its identity and those of the folders above
 * it), read once, so that many paths can be compared with it cheaply (every component of a list).
 */
export class DataDirGuard {
  private readonly real: string;
  private readonly id: string | null;
  private readonly above: Set<string>;

  constructor(readonly dataDir: string) {
    this.real = physicalPath(path.resolve(dataDir));
    this.id = identity(this.real);
    this.above = new Set(chain(this.real));
  }

  /** How `target` (a folder or file as configured) stands to the data directory under any reading of it; null when apart. */
  conflict(target: string): DataDirConflict | null {
    const found = new Set<DataDirConflict>();
    for (const reading of pathReadings(target)) {
      const conflict = this.conflictOfReal(reading);
      if (conflict) found.add(conflict);
    }
    return SEVERITY.find((c) => found.has(c)) ?? null;
  }

  private conflictOfReal(target: string): DataDirConflict | null {
    if (path.parse(target).root === target) return 'root';
    if (target === this.real) return 'is';
    if (isWithin(target, this.real)) return 'contains';
    if (isWithin(this.real, target)) return 'inside';
    // Aliases the paths do not show (a bind mount): the same device and inode.
    const targetId = identity(target);
    if (targetId && targetId === this.id) return 'is';
    if (targetId && this.above.has(targetId)) return 'contains';
    if (this.id && chain(target).includes(this.id)) return 'inside';
    return null;
  }

  /** The INVALID_CONFIG error for a path that conflicts with the data directory, or null when it does not. */
  error(target: string, context: DataDirContext): UpkeepError | null {
    const conflict = this.conflict(target);
    if (!conflict) return null;
    const { dataDir } = this;
    const message =
      `${context.what}: ${describe(conflict, target, dataDir)}. A restore, a rollback or an update of it would replace or delete ` +
      `Upkeep's config.json, backups and history, so Upkeep refuses it. Point it at the component's own folder outside ${dataDir}` +
      `${conflict === 'inside' ? '' : ", or keep Upkeep's data elsewhere (--home DIR or UPKEEP_HOME)"}.`;
    return new UpkeepError('INVALID_CONFIG', message, {
      ...(context.component !== undefined ? { component: context.component } : {}),
      ...(context.field !== undefined ? { fields: [context.field] } : {}),
      data_dir: dataDir,
      path: target,
      conflict,
    });
  }
}

/** How `target` stands to the data directory under any reading of it; null when apart. */
export function dataDirConflict(target: string, dataDir: string): DataDirConflict | null {
  return new DataDirGuard(dataDir).conflict(target);
}

/** The INVALID_CONFIG error for a path that conflicts with the data directory, or null when it does not. */
export function dataDirError(target: string, dataDir: string, context: DataDirContext): UpkeepError | null {
  return new DataDirGuard(dataDir).error(target, context);
}

/** Throw INVALID_CONFIG naming the data directory when `target` is, holds or lies within it (or is `/`). */
export function assertApartFromDataDir(target: string, dataDir: string, context: DataDirContext): void {
  const error = dataDirError(target, dataDir, context);
  if (error) throw error;
}
