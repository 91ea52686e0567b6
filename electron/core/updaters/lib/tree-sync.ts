import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../../shared/errors';
import { assertApartFromDataDir } from '../../lib/data-dir';
import { sha256File } from '../../lib/hash';

export const DEFAULT_PRESERVE = ['.env', 'uploads/', 'database_backups/'];

/** `uploads/` matches the folder and everything in it; `.env` matches that path (and below, if it is a folder). */
export function isPreserved(rel: string, preserve: readonly string[]): boolean {
  for (const raw of preserve) {
    const p = raw.replace(/^\.\//, '').replace(/\\/g, '/');
    const base = p.endsWith('/') ? p.slice(0, -1) : p;
    if (!base) continue;
    if (rel === base || rel.startsWith(`${base}/`)) return true;
  }
  return false;
}

export interface TreeEntry {
  rel: string;
  kind: 'dir' | 'file' | 'symlink';
  mode: number;
  size: number;
  target?: string;
}

/** Every entry under `root` (relative POSIX paths, parents before children). Does not follow links. */
export async function walkTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const visit = async (dir: string, prefix: string) => {
    const names = (await fs.readdir(dir)).sort();
    for (const name of names) {
      const abs = path.join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      const st = await fs.lstat(abs);
      if (st.isSymbolicLink()) out.push({ rel, kind: 'symlink', mode: st.mode & 0o777, size: 0, target: await fs.readlink(abs) });
      else if (st.isDirectory()) {
        out.push({ rel, kind: 'dir', mode: st.mode & 0o777, size: 0 });
        await visit(abs, rel);
      } else if (st.isFile()) out.push({ rel, kind: 'file', mode: st.mode & 0o777, size: st.size });
    }
  };
  await visit(root, '');
  return out;
}

export interface SyncOptions {
  /** Root of the new release (already extracted and checked). */
  staging: string;
  folder: string;
  preserve: readonly string[];
  /** Files and links the installed release had (from its manifest); null when unknown: nothing is removed. */
  previousFiles: readonly string[] | null;
  /**
   * What each of those held as the release shipped it (sha256, or `link:<target>`). A file is only
   * removed while it still holds exactly that: one the user changed (a database the release once
   * shipped empty) is kept.
   */
  previousHashes?: Readonly<Record<string, string>>;
  onProgress?: (done: number, total: number) => void;
  log?: (line: string) => void;
  /** Upkeep's data directory: a folder that is, holds or lies within it (or `/`) is refused before anything is written. */
  dataDir?: string;
}

export interface SyncResult {
  /** Files and links of the new release, for its manifest. */
  files: string[];
  /** sha256 of each new file (`link:<target>` for links), for its manifest. */
  hashes: Record<string, string>;
  /** Old-release files kept because they were changed since that release shipped them. */
  kept: string[];
  written: number;
  unchanged: number;
  removed: number;
}

/**
 * Make `folder` hold the new release, like `rsync -a --exclude <preserve>` plus removal of files
 * only the previous release had. Preserved paths are never read, written or followed (a
 * symlinked `uploads/` stays a symlink). Each file is replaced by rename, so a file is always
 * whole; the folder as a whole is protected by the engine's pre-update backup.
 */
export async function syncTree(options: SyncOptions): Promise<SyncResult> {
  const { staging, folder, preserve } = options;
  if (options.dataDir) assertApartFromDataDir(folder, options.dataDir, { what: `Syncing a release into ${folder} is refused` });
  const entries = (await walkTree(staging)).filter((e) => !isPreserved(e.rel, preserve));
  const files = entries.filter((e) => e.kind !== 'dir').map((e) => e.rel);
  const total = entries.length + (options.previousFiles?.length ?? 0);
  let done = 0;
  let written = 0;
  let unchanged = 0;
  let removed = 0;
  const hashes: Record<string, string> = {};
  const kept: string[] = [];
  const tick = () => options.onProgress?.(++done, total);

  for (const entry of entries) {
    const dest = path.join(folder, ...entry.rel.split('/'));
    await assertRealParents(folder, entry.rel);
    const existing = await lstatOrNull(dest);
    if (entry.kind === 'dir') {
      if (existing && !existing.isDirectory()) await fs.rm(dest, { recursive: true, force: true });
      if (!existing || !existing.isDirectory()) await fs.mkdir(dest, { mode: entry.mode | 0o700 });
      else if ((existing.mode & 0o777) !== entry.mode) await fs.chmod(dest, entry.mode | 0o700);
      tick();
      continue;
    }
    if (entry.kind === 'symlink') {
      const target = entry.target as string;
      const resolved = path.resolve(path.dirname(dest), target);
      if (path.isAbsolute(target) || !isInside(folder, resolved)) {
        throw new UpkeepError('UNSAFE_ARCHIVE', `The release contains a link ${entry.rel} → ${target} that points outside the folder; refusing it.`);
      }
      hashes[entry.rel] = `link:${target}`;
      if (existing?.isSymbolicLink() && (await fs.readlink(dest)) === target) {
        unchanged++;
      } else {
        const tmp = tempBeside(dest);
        await fs.symlink(target, tmp);
        if (existing?.isDirectory()) await fs.rm(dest, { recursive: true, force: true });
        await fs.rename(tmp, dest);
        written++;
      }
      tick();
      continue;
    }
    const source = path.join(staging, ...entry.rel.split('/'));
    hashes[entry.rel] = await sha256File(source);
    if (existing?.isFile() && existing.size === entry.size && (existing.mode & 0o777) === entry.mode && (await sameBytes(source, dest))) {
      unchanged++;
    } else {
      const tmp = tempBeside(dest);
      await fs.copyFile(source, tmp);
      await fs.chmod(tmp, entry.mode);
      if (existing?.isDirectory()) await fs.rm(dest, { recursive: true, force: true });
      await fs.rename(tmp, dest);
      written++;
    }
    tick();
  }

  if (options.previousFiles) {
    const now = new Set(files);
    const emptied = new Set<string>();
    for (const rel of options.previousFiles) {
      if (now.has(rel) || isPreserved(rel, preserve) || !isSafeRel(rel)) {
        tick();
        continue;
      }
      const dest = path.join(folder, ...rel.split('/'));
      const st = await lstatOrNull(dest);
      if (st && !st.isDirectory()) {
        await assertRealParents(folder, rel);
        const shipped = options.previousHashes?.[rel];
        const now = st.isSymbolicLink() ? `link:${await fs.readlink(dest)}` : st.isFile() ? await sha256File(dest) : null;
        if (!shipped || now !== shipped) {
          kept.push(rel);
          options.log?.(`kept ${rel}: the new release no longer has it, but it ${shipped ? 'was changed since it was installed' : 'cannot be compared with what the old release shipped'}`);
          tick();
          continue;
        }
        await fs.unlink(dest);
        removed++;
        options.log?.(`removed ${rel} (not in the new release)`);
        const parent = path.posix.dirname(rel);
        if (parent !== '.') emptied.add(parent);
      }
      tick();
    }
    // Folders the old release had and that are now empty go too; preserved or non-empty ones stay.
    const dirs = [...emptied].flatMap((d) => ancestors(d)).filter((d, i, a) => a.indexOf(d) === i).sort((a, b) => b.length - a.length);
    for (const dir of dirs) {
      if (isPreserved(dir, preserve) || entries.some((e) => e.rel === dir)) continue;
      await fs.rmdir(path.join(folder, ...dir.split('/'))).catch(() => undefined);
    }
  }
  return { files, hashes, kept, written, unchanged, removed };
}

function ancestors(rel: string): string[] {
  const out: string[] = [];
  let cur = rel;
  while (cur && cur !== '.') {
    out.push(cur);
    cur = path.posix.dirname(cur);
  }
  return out;
}

function isSafeRel(rel: string): boolean {
  return !path.posix.isAbsolute(rel) && !rel.split('/').includes('..');
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Never write through a link: every parent of `rel` inside the folder must be a real folder. */
async function assertRealParents(folder: string, rel: string): Promise<void> {
  const parts = rel.split('/');
  let cur = folder;
  for (const part of parts.slice(0, -1)) {
    cur = path.join(cur, part);
    const st = await lstatOrNull(cur);
    if (st && !st.isDirectory()) {
      throw new UpkeepError('UNSAFE_ARCHIVE', `${path.relative(folder, cur)} in ${folder} is a ${st.isSymbolicLink() ? 'link' : 'file'} where the release has a folder; refusing to write through it. Add it to preserve, or move it away.`);
    }
  }
}

async function lstatOrNull(p: string) {
  try {
    return await fs.lstat(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function tempBeside(dest: string): string {
  return path.join(path.dirname(dest), `.${path.basename(dest)}.upkeep-${randomBytes(4).toString('hex')}`);
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  const st = await fs.stat(a);
  if (st.size > 16 * 1024 * 1024) return false;
  const [x, y] = await Promise.all([fs.readFile(a), fs.readFile(b)]);
  return x.equals(y);
}
