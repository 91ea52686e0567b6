import { randomBytes } from 'node:crypto';
import { constants as fsConstants, lstatSync, promises as fs, readdirSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { ReuseCounts } from '../../../shared/types';
import { parentOf } from '../archive/extract-sinks';
import { discardTree } from '../lib/trash';
import { mapBounded } from '../net/limiter';
import type { BackupManifest, ManifestEntry } from './manifest';
import { SQLITE_NAME } from './select';

/** Files copied or folders set at once. */
const AT_ONCE = 32;

/** What a restore took from where. */
export interface ReuseSummary extends ReuseCounts {
  /** Paths of the previous tree the backup does not hold as they are there, moved out. */
  dropped: number;
}

/** Writes `paths` (files, links and the folders they need) of the backup into `dest`, a new folder. */
export type ExtractOnly = (dest: string, paths: ReadonlySet<string>) => Promise<unknown>;

interface Plan {
  /** Paths of the previous tree to move out: not in the backup, of another type, or changed. */
  drop: string[];
  /** Folders of the backup the previous tree lacks. */
  makeDirs: ManifestEntry[];
  /** Folders whose mode or time differ from the backup's. */
  fixDirs: Set<string>;
  /** Folders the tree has without write access for its owner (made writable first). */
  lockedDirs: ManifestEntry[];
  /** Files found unchanged in the live folder, with the inode seen. */
  fromLive: { entry: ManifestEntry; ino: number }[];
  /** Files and links only the archive has as the backup recorded them. */
  fromArchive: ManifestEntry[];
  kept: number;
  /** When the backup began (ms since the epoch). */
  began: number;
}

/** The mode a restore gives a folder (extract.ts: the owner keeps rwx, to write into it). */
const dirMode = (e: ManifestEntry) => e.mode | 0o700;

/**
 * How far before the backup began a recorded time must lie to prove a later change: file times
 * come from the kernel's coarse clock, up to a tick (1–10 ms) behind the time the backup read.
 */
const RACY_MS = 100;

/** What `unchanged` reads of a file's stat. */
export type FileStat = Pick<Stats, 'size' | 'mode' | 'mtimeMs'> & { isFile(): boolean };

/**
 * Whether the file at this stat is the one the backup recorded: same type, size, mode and
 * modification time, and that time lies before the backup began. A file changed just after the
 * backup read it could keep its recorded time with other bytes (the racy case git's index knows),
 * so a time less than RACY_MS before the backup began is never taken as unchanged. A manifest
 * records times to the millisecond; a whole-second time (a manifest from before that, a file an
 * earlier restore wrote, a filesystem that keeps 1 or 2 seconds) must end more than 2 s before
 * the backup began. A database is never taken as unchanged.
 */
export function unchanged(st: FileStat, e: ManifestEntry, beganMs: number): boolean {
  if (
    // A database's entry holds the bytes of its consistent copy (SQLite's backup API, WAL
    // included) under the live file's time: the live file can match it and still lack what its
    // WAL held. Databases always come from the archive.
    SQLITE_NAME.test(e.path) ||
    !st.isFile() ||
    st.size !== e.size ||
    (st.mode & 0o7777) !== e.mode
  )
    return false;
  const recordedMs = Math.round(e.mtime * 1000);
  if (recordedMs % 1000 !== 0) return Math.floor(st.mtimeMs) === recordedMs && recordedMs < beganMs - RACY_MS;
  // The recorded second [t, t + 1) ends 2 s (a 2-second filesystem's rounding) and RACY_MS before the start.
  return Math.floor(st.mtimeMs / 1000) === e.mtime && (e.mtime + 3) * 1000 <= beganMs - RACY_MS;
}

/** `rel` ('/'-separated, checked by the manifest's rules) inside `root`. */
const abs =
  path.sep === '/'
    ? (root: string, rel: string) => `${root}/${rel}`
    : (root: string, rel: string) => path.join(root, ...rel.split('/'));

/** How long planning runs before it lets the event loop turn (it may be the desktop app's main thread). */
const SLICE_MS = 4;

/** A long run of blocking calls cut into slices of SLICE_MS, with a turn of the event loop between them. */
class Slices {
  private start = performance.now();
  private calls = 0;

  async next(): Promise<void> {
    if (++this.calls % 32 !== 0 || performance.now() - this.start < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.start = performance.now();
  }
}

/** lstat, or null where nothing is. */
function lstatOrNull(p: string): Stats | null {
  return lstatSync(p, { throwIfNoEntry: false }) ?? null;
}

/** Whether every folder above `rel` in `root` is a real folder (no link to follow out of it). */
function realParents(root: string, rel: string, known: Map<string, boolean>): boolean {
  const parent = parentOf(rel);
  if (parent === '') return true;
  let real = known.get(parent);
  if (real === undefined) {
    real = realParents(root, parent, known) && lstatOrNull(abs(root, parent))?.isDirectory() === true;
    known.set(parent, real);
  }
  return real;
}

/**
 * Compare the previous tree with the backup's manifest: what stays, what goes, what comes from
 * where. The tree is walked with blocking calls in slices (a walk of 30,000 files with a promise
 * per call took twice as long): ~0.17 s for a node_modules tree.
 */
async function planReuse(m: BackupManifest, tree: string, live: string): Promise<Plan | null> {
  // When the backup began, to the millisecond.
  const began = Date.parse(m.created_at);
  if (!Number.isFinite(began)) return null;
  const byPath = new Map<string, ManifestEntry>();
  for (const e of m.entries) byPath.set(e.path, e);
  const slices = new Slices();
  const drop: string[] = [];
  const fromArchive: ManifestEntry[] = [];
  const fixDirs = new Set<string>();
  const lockedDirs: ManifestEntry[] = [];
  let kept = 0;
  let found = 0;
  const seen = new Set<string>();
  const pending = [''];
  while (pending.length > 0) {
    const rel = pending.pop() as string;
    for (const d of readdirSync(rel ? abs(tree, rel) : tree, { withFileTypes: true })) {
      await slices.next();
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      const e = byPath.get(childRel);
      const type = d.isDirectory() ? 'directory' : d.isFile() ? 'file' : d.isSymbolicLink() ? 'symlink' : null;
      if (!e || e.type !== type) {
        drop.push(childRel);
        continue;
      }
      seen.add(childRel);
      found++;
      const p = abs(tree, childRel);
      if (type === 'directory') {
        const st = lstatSync(p);
        if ((st.mode & 0o7777) !== dirMode(e) || Math.floor(st.mtimeMs / 1000) !== Math.floor(e.mtime))
          fixDirs.add(childRel);
        // Made writable before anything is moved in or out of it (it ends with the backup's mode).
        if ((st.mode & 0o700) !== 0o700) lockedDirs.push(e);
        pending.push(childRel);
        continue;
      }
      if (type === 'symlink' ? readlinkSync(p) === e.linkpath : unchanged(lstatSync(p), e, began)) kept++;
      else {
        // Changed since the backup: only the archive has it as it was (at this path the live
        // folder holds the new release's file, which may well match the recorded size and time).
        drop.push(childRel);
        fromArchive.push(e);
      }
    }
  }
  // What the tree lacks: folders are made; files may be in the live folder as the backup has
  // them (user files the update carried into the new tree), else they come from the archive.
  const makeDirs: ManifestEntry[] = [];
  const fromLive: Plan['fromLive'] = [];
  const liveParents = new Map<string, boolean>();
  if (found < m.entries.length)
    for (const e of m.entries) {
      if (seen.has(e.path)) continue;
      if (e.type === 'directory') {
        makeDirs.push(e);
        continue;
      }
      await slices.next();
      if (e.type === 'file' && realParents(live, e.path, liveParents)) {
        const st = lstatOrNull(abs(live, e.path));
        if (st && unchanged(st, e, began)) {
          fromLive.push({ entry: e, ino: st.ino });
          continue;
        }
      }
      fromArchive.push(e);
    }
  // Mostly changed: the archive is read and written whole anyway, which the plain restore does faster.
  const archiveBytes = fromArchive.reduce((n, e) => n + e.size, 0);
  if (archiveBytes > m.size / 2 && fromArchive.length > m.file_count / 2) return null;
  return { drop, makeDirs, fixDirs, lockedDirs, fromLive, fromArchive, kept, began };
}

/**
 * A full restore of backup `m` built from the tree its update replaced, instead of written whole
 * out of the archive. After a failed health check the previous release's tree still waits beside
 * the folder, as it was when the update swapped it out; the backup was taken from that tree
 * minutes before. Each of its files the backup holds unchanged (type, size, mode, modification
 * time: see `unchanged`) stays where it is. What it lacks — the user files the update carried
 * into the new tree — is copied from the live folder when unchanged there (a copy, not a link:
 * the failed release may still be running and writing to its files). Only the rest is written
 * from the archive, which is then read whole and checked against its sha256 as any restore
 * does; when nothing is needed from it, it is not read (the update read it back minutes before).
 * What the backup does not hold is moved out. The result holds the files, links, folders, modes
 * and times (to the second) a plain restore writes, and the caller swaps it in the same way.
 *
 * `tree` is renamed to `staging` first, so from then on it is the restore's staging folder: a
 * crash removes it with the staging (the run then restores the backup in full), and an error
 * here leaves the caller to remove it and restore in full. Returns null, with nothing moved,
 * when most of the tree changed (a plain restore is then as fast).
 */
export async function restoreFromPrevious(options: {
  manifest: BackupManifest;
  /** The previous tree, beside the folder (same filesystem). */
  tree: string;
  /** The folder as it is now (the failed new release). */
  live: string;
  /** The restore's staging folder (must not exist). */
  staging: string;
  extractOnly: ExtractOnly;
}): Promise<ReuseSummary | null> {
  const { manifest: m, tree, live, staging } = options;
  const plan = await planReuse(m, tree, live);
  if (!plan) return null;
  await fs.rename(tree, staging);
  for (const e of plan.lockedDirs) await fs.chmod(abs(staging, e.path), dirMode(e));
  const touched = new Set<string>();
  const touch = (rel: string) => touched.add(parentOf(rel));
  // Moved out in one rename each, then removed in the background with the folder they are in.
  if (plan.drop.length) {
    const out = path.join(staging, `.upkeep-drop-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(out, { mode: 0o700 });
    let n = 0;
    // Never one inside another: the walk does not go below a path it drops.
    for (const rel of plan.drop) {
      await fs.rename(abs(staging, rel), path.join(out, String(n++)));
      touch(rel);
    }
    await discardTree(out, live, `restore-drop-${randomBytes(4).toString('hex')}`);
  }
  for (const e of plan.makeDirs.sort((a, b) => a.path.length - b.path.length)) {
    await fs.mkdir(abs(staging, e.path), { recursive: true, mode: 0o700 });
    touch(e.path);
  }
  const fromArchive = [...plan.fromArchive];
  let copied = 0;
  await mapBounded(plan.fromLive, AT_ONCE, async ({ entry, ino }) => {
    const source = abs(live, entry.path);
    const target = abs(staging, entry.path);
    await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    touch(entry.path);
    // A clone where the filesystem has them, else a copy; gone or unreadable, the archive has it.
    const copiedOk = await fs.copyFile(source, target, fsConstants.COPYFILE_FICLONE | fsConstants.COPYFILE_EXCL).then(
      () => true,
      () => false,
    );
    // The live folder may have changed since it was looked at: the copy counts only if its
    // source is still that same, unchanged file (else the archive has it).
    const after = copiedOk ? await fs.lstat(source).catch(() => null) : null;
    if (after && after.ino === ino && unchanged(after, entry, plan.began)) {
      await fs.chmod(target, entry.mode);
      await fs.utimes(target, Math.floor(entry.mtime), Math.floor(entry.mtime));
      copied++;
      return;
    }
    await fs.rm(target, { force: true });
    fromArchive.push(entry);
  });
  if (fromArchive.length) {
    const fill = path.join(staging, `.upkeep-fill-${randomBytes(4).toString('hex')}`);
    const only = new Set<string>();
    for (const e of fromArchive) {
      only.add(e.path);
      for (let p = parentOf(e.path); p !== ''; p = parentOf(p)) only.add(p);
    }
    await options.extractOnly(fill, only);
    for (const e of fromArchive) {
      const target = abs(staging, e.path);
      await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await fs.rename(abs(fill, e.path), target);
      touch(e.path);
    }
    // Only the folders the files were in are left.
    await fs.rm(fill, { recursive: true, force: true });
  }
  // Folder modes and times last, deepest first, as an extraction sets them.
  const made = new Set(plan.makeDirs.map((e) => e.path));
  // A folder's time is set once nothing more is made or removed in it: the deepest level first,
  // each level's folders at once.
  const levels = new Map<number, ManifestEntry[]>();
  for (const e of m.entries) {
    if (e.type !== 'directory' || !(touched.has(e.path) || plan.fixDirs.has(e.path) || made.has(e.path))) continue;
    const depth = e.path.split('/').length;
    const level = levels.get(depth);
    if (level) level.push(e);
    else levels.set(depth, [e]);
  }
  for (const depth of [...levels.keys()].sort((a, b) => b - a))
    await mapBounded(levels.get(depth) as ManifestEntry[], AT_ONCE, async (e) => {
      const p = abs(staging, e.path);
      await fs.chmod(p, dirMode(e));
      // Whole seconds, as the archive's headers give a restore.
      await fs.utimes(p, Math.floor(e.mtime), Math.floor(e.mtime));
    });
  return { kept: plan.kept, copied, extracted: fromArchive.length, dropped: plan.drop.length };
}
