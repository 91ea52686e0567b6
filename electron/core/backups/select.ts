import { lstatSync, promises as fs, readdirSync, readlinkSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import type { BackupType } from '../../../shared/types';
import { errnoCode } from '../lib/error-info';

/**
 * Which files a backup holds. Patterns are globs relative to the component's folder:
 * `*` and `?` stay within one name, `**` crosses folders, a trailing `/` means a folder and
 * everything in it. Include sets (database/config/data) are anchored at the folder; exclude
 * patterns without a slash match a name at any depth, like .gitignore (`node_modules/`).
 */
export interface PathSets {
  database?: string[];
  config?: string[];
  data?: string[];
  exclude?: string[];
}

/** Excluded from every backup unless the component lists its own `backup.exclude`: all rebuildable. */
export const DEFAULT_EXCLUDES = ['node_modules/', '__pycache__/', '.venv/'];
/** Log files: left out unless include_logs. */
export const LOG_PATTERNS = ['*.log', '*.log.[0-9]*', 'logs/', 'log/'];
/** A database backup without `backup.database`: every SQLite file. */
export const DEFAULT_DATABASE_PATTERNS = ['**/*.db', '**/*.sqlite', '**/*.sqlite3'];
export const SQLITE_NAME = /\.(db|sqlite|sqlite3)$/i;
/** Upkeep's own staging and swap leftovers never go into a backup. */
const UPKEEP_TEMP = /^\..*\.upkeep-(old|restore|new)-[0-9a-f]+$/;

interface CompiledPattern {
  regex: RegExp;
  dirOnly: boolean;
  anchored: boolean;
  source: string;
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) out += '\\[';
      else {
        out += `[${glob.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return out;
}

export function compilePattern(pattern: string, mode: 'include' | 'exclude'): CompiledPattern {
  let p = pattern.trim().replace(/\\/g, '/');
  const dirOnly = p.endsWith('/');
  p = p.replace(/^\.\//, '').replace(/\/+$/, '');
  const hadLeadingSlash = p.startsWith('/');
  p = p.replace(/^\/+/, '');
  const anchored = mode === 'include' || hadLeadingSlash || p.includes('/');
  const body = globToRegex(p);
  return { regex: new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`), dirOnly, anchored, source: pattern };
}

export class Matcher {
  private readonly patterns: CompiledPattern[];
  constructor(patterns: string[], mode: 'include' | 'exclude') {
    this.patterns = patterns.filter((p) => p.trim() !== '').map((p) => compilePattern(p, mode));
  }
  get empty(): boolean {
    return this.patterns.length === 0;
  }
  /** Whether this path (relative, `/` separators) itself matches. */
  matches(rel: string, isDir: boolean): boolean {
    return this.patterns.some((p) => (!p.dirOnly || isDir) && p.regex.test(rel));
  }
}

export interface WalkedEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  mtime: number;
  size: number;
  linkpath?: string;
}

export interface Selection {
  entries: WalkedEntry[];
  /** The top-most selected paths (what a partial restore replaces); empty for a full backup. */
  roots: { path: string; kind: 'file' | 'dir' }[];
  /** Paths left out (excluded folders are listed once, not their contents). */
  excluded: string[];
  /** Sockets, FIFOs, devices: cannot be archived. */
  skipped: string[];
  bytes: number;
}

export interface SelectOptions {
  type: BackupType;
  sets: PathSets;
  includeLogs: boolean;
  /**
   * Folders never to enter (Upkeep's own data directory when it sits inside the folder): known by
   * path and by device and inode, so a folder reached through a link or a bind mount is skipped too.
   */
  skipAbsolute?: string[];
  /**
   * Blocking readdir/lstat calls: for a thread of its own (the backup worker), where 10,000
   * lstat calls through libuv's thread pool cost several times the calls themselves.
   */
  sync?: boolean;
}

/**
 * Names the extractor refuses as unsafe on some system (a backslash, a drive-letter prefix):
 * a backup cannot hold them and restore them everywhere, so they are left out and reported.
 */
export function unportableName(rel: string): boolean {
  return rel.includes('\\') || /^[A-Za-z]:/.test(rel);
}

export function excludePatterns(sets: PathSets, includeLogs: boolean): string[] {
  return [...(sets.exclude ?? DEFAULT_EXCLUDES), ...(includeLogs ? [] : LOG_PATTERNS)];
}

export function includePatterns(type: BackupType, sets: PathSets): string[] | null {
  if (type === 'full') return null;
  if (type === 'database') return sets.database?.length ? sets.database : DEFAULT_DATABASE_PATTERNS;
  const paths = sets[type];
  return paths?.length ? paths : [];
}

/**
 * Walk the folder (never following links) and pick what a backup of `type` holds.
 * Entries come sorted, each folder before what it contains.
 */
export async function selectEntries(root: string, options: SelectOptions): Promise<Selection> {
  const exclude = new Matcher(excludePatterns(options.sets, options.includeLogs), 'exclude');
  const includeList = includePatterns(options.type, options.sets);
  const include = includeList ? new Matcher(includeList, 'include') : null;
  const entries: WalkedEntry[] = [];
  const roots: Selection['roots'] = [];
  const excluded: string[] = [];
  const skipped: string[] = [];
  let bytes = 0;
  const skipAbs = new Set((options.skipAbsolute ?? []).map((p) => path.resolve(p)));
  const skipIds = new Set((options.skipAbsolute ?? []).map(folderIdentity).filter((id): id is string => id !== null));
  const io = {
    readdir: (p: string) => fs.readdir(p),
    lstat: (p: string) => fs.lstat(p),
    readlink: (p: string) => fs.readlink(p),
  };

  /**
   * Decide one listed entry: null to leave it out (recorded where the list says so), else
   * whether it is a folder and whether it is in the backup.
   */
  const consider = (
    dir: string,
    childRel: string,
    name: string,
    stat: Stats,
    inside: boolean,
  ): { isDir: boolean; selected: boolean } | null => {
    if (UPKEEP_TEMP.test(name)) return null;
    const isDir = stat.isDirectory();
    if ((skipAbs.size && skipAbs.has(path.join(dir, name))) || (isDir && skipIds.has(`${stat.dev}:${stat.ino}`)))
      return null;
    if (unportableName(childRel)) {
      skipped.push(childRel);
      return null;
    }
    if (!exclude.empty && exclude.matches(childRel, isDir)) {
      excluded.push(childRel);
      return null;
    }
    if (!isDir && !stat.isFile() && !stat.isSymbolicLink()) {
      skipped.push(childRel);
      return null;
    }
    let selected = inside || !include;
    if (!selected && include?.matches(childRel, isDir)) {
      selected = true;
      roots.push({ path: childRel, kind: isDir ? 'dir' : 'file' });
    }
    return { isDir, selected };
  };
  const add = (childRel: string, stat: Stats, isDir: boolean, linkpath: () => string | undefined): void => {
    // Seconds to the millisecond: the tar header keeps whole seconds; the manifest keeps the
    // milliseconds, by which a rollback tells a file changed since the backup (restore-reuse.ts).
    const mtime = Math.floor(stat.mtimeMs) / 1000;
    const mode = stat.mode & 0o777;
    if (isDir) entries.push({ path: childRel, type: 'directory', mode, mtime, size: 0 });
    else if (stat.isSymbolicLink())
      entries.push({ path: childRel, type: 'symlink', mode, mtime, size: 0, linkpath: linkpath() });
    else {
      entries.push({ path: childRel, type: 'file', mode, mtime, size: stat.size });
      bytes += stat.size;
    }
  };

  const visit = async (rel: string, inside: boolean): Promise<void> => {
    const dir = rel ? path.join(root, ...rel.split('/')) : root;
    const names = (await io.readdir(dir).catch(rethrowUnreadable(dir))).sort();
    const stats = await Promise.all(
      names.map(async (name) => {
        const childRel = rel ? `${rel}/${name}` : name;
        try {
          return { name, childRel, stat: await io.lstat(path.join(dir, name)) };
        } catch (error) {
          // Gone since readdir; anything else (a folder that may be listed but not entered) is no
          // reason to leave the file out of the backup without a word.
          if (errnoCode(error) === 'ENOENT') return null;
          throw cannotRead(error, path.join(dir, name));
        }
      }),
    );
    for (const item of stats) {
      if (!item) continue;
      const { name, childRel, stat } = item;
      const verdict = consider(dir, childRel, name, stat, inside);
      if (!verdict) continue;
      const linkpath =
        verdict.selected && stat.isSymbolicLink()
          ? await io.readlink(path.join(dir, name)).catch(rethrowUnreadable(path.join(dir, name)))
          : undefined;
      if (verdict.selected) add(childRel, stat, verdict.isDir, () => linkpath);
      if (verdict.isDir) await visit(childRel, verdict.selected);
    }
  };

  /** The same walk with blocking calls and no promise per entry (see SelectOptions.sync). */
  const visitSync = (rel: string, inside: boolean): void => {
    const dir = rel ? path.join(root, ...rel.split('/')) : root;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (error) {
      throw cannotRead(error, dir);
    }
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      const full = `${dir}${path.sep}${name}`;
      let stat: Stats | undefined;
      try {
        stat = lstatSync(full, { throwIfNoEntry: false });
      } catch (error) {
        throw cannotRead(error, full);
      }
      if (!stat) continue; // gone since readdir
      const verdict = consider(dir, childRel, name, stat, inside);
      if (!verdict) continue;
      if (verdict.selected)
        add(childRel, stat, verdict.isDir, () => {
          try {
            return readlinkSync(full);
          } catch (error) {
            throw cannotRead(error, full);
          }
        });
      if (verdict.isDir) visitSync(childRel, verdict.selected);
    }
  };
  if (options.sync) {
    visitSync('', false);
    return { entries, roots, excluded, skipped, bytes };
  }
  await visit('', false);
  return { entries, roots, excluded, skipped, bytes };
}

/** A path the backup may not read: FORBIDDEN naming it and what to do, not an unexplained INTERNAL. */
export function cannotRead(error: unknown, target: string): unknown {
  const code = errnoCode(error);
  if (code !== 'EACCES' && code !== 'EPERM') return error;
  return new UpkeepError(
    'FORBIDDEN',
    `Cannot read ${target}: permission denied. Run Upkeep as a user who can read the component's folder, or leave that path out with the component's backup.exclude.`,
    { path: target },
    { cause: error },
  );
}

const rethrowUnreadable =
  (target: string) =>
  (error: unknown): never => {
    throw cannotRead(error, target);
  };

/** device:inode of a folder (links followed), or null when it is not one. */
function folderIdentity(p: string): string | null {
  try {
    const st = statSync(p);
    return st.isDirectory() ? `${st.dev}:${st.ino}` : null;
  } catch {
    // Not a folder, or gone: it has no identity to compare.
    return null;
  }
}

/**
 * The part of a full backup's entries that one type covers (restoring only the database from a
 * full backup): entries under the paths the type's patterns match.
 */
export function rootsWithin(
  entries: { path: string; type: string }[],
  type: BackupType,
  sets: PathSets,
): { path: string; kind: 'file' | 'dir' }[] {
  const list = includePatterns(type, sets);
  if (!list) return [];
  const include = new Matcher(list, 'include');
  const roots: { path: string; kind: 'file' | 'dir' }[] = [];
  const rootDirs: string[] = [];
  for (const e of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (rootDirs.some((d) => e.path.startsWith(`${d}/`))) continue;
    const isDir = e.type === 'directory';
    if (include.matches(e.path, isDir)) {
      roots.push({ path: e.path, kind: isDir ? 'dir' : 'file' });
      if (isDir) rootDirs.push(e.path);
    }
  }
  return roots;
}
