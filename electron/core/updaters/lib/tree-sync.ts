import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../../shared/errors';
import { assertApartFromDataDir } from '../../lib/data-dir';
import { fsyncDir } from '../../lib/fs-atomic';
import { oldTreeBeside, swapIn, swapState, treeInode, type SwapRecord, type SwapWay } from '../../lib/dir-swap';
import { sha256File } from '../../lib/hash';

export const DEFAULT_PRESERVE = ['.env', 'uploads/', 'database_backups/'];

/**
 * A test for `preserve` paths, made once: `uploads/` matches the folder and everything in it;
 * `.env` matches that path (and below, if it is a folder). Asked of every entry of a 30,000-file
 * tree twice per update, so the list is normalized here and not per entry.
 */
export function preservedBy(preserve: readonly string[]): (rel: string) => boolean {
  const bases = preserve
    .map((raw) => raw.replace(/^\.\//, '').replace(/\\/g, '/'))
    .map((p) => (p.endsWith('/') ? p.slice(0, -1) : p))
    .filter((base) => base !== '');
  return (rel) => {
    for (const base of bases) {
      if (rel.startsWith(base) && (rel.length === base.length || rel.charCodeAt(base.length) === 0x2f)) return true;
    }
    return false;
  };
}

/** See preservedBy. */
export function isPreserved(rel: string, preserve: readonly string[]): boolean {
  return preservedBy(preserve)(rel);
}

export interface TreeEntry {
  rel: string;
  kind: 'dir' | 'file' | 'symlink';
  target?: string;
}

/** Name order by code unit, as Array.prototype.sort orders strings (no locale tables). */
const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** How many entries are looked at together (links read, files hashed) on the thread pool. */
const BATCH = 256;

/**
 * Every entry under `root` (relative POSIX paths, parents before children, in name order). Does
 * not follow links. Kinds come from the folder listing itself (d_type; Node looks at an entry
 * whose listing does not say), so a walk of 30,000 files makes no call per file but readlink.
 * Anything else (a socket, a device) is left out.
 */
export async function walkTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const visit = async (dir: string, prefix: string) => {
    const dirents = (await fs.readdir(dir, { withFileTypes: true })).sort(byName);
    const links = dirents.filter((d) => d.isSymbolicLink());
    const targets = new Map<string, string>();
    for (let at = 0; at < links.length; at += BATCH) {
      const batch = links.slice(at, at + BATCH);
      const read = await Promise.all(batch.map((d) => fs.readlink(path.join(dir, d.name))));
      batch.forEach((d, i) => targets.set(d.name, read[i] as string));
    }
    for (const d of dirents) {
      const rel = prefix ? `${prefix}/${d.name}` : d.name;
      if (d.isSymbolicLink()) out.push({ rel, kind: 'symlink', target: targets.get(d.name) as string });
      else if (d.isDirectory()) {
        out.push({ rel, kind: 'dir' });
        await visit(path.join(dir, d.name), rel);
      } else if (d.isFile()) out.push({ rel, kind: 'file' });
    }
  };
  await visit(root, '');
  return out;
}

export interface SwapTreeOptions {
  /** Root of the new release (already extracted and checked); becomes the folder. */
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
  /** sha256 of the release's files as the extractor computed them (paths relative to `staging`); others are hashed here. */
  releaseHashes?: ReadonlyMap<string, string>;
  /**
   * The release tree as prepareRelease left it (walked, checked, its `preserve` paths removed):
   * done while the pre-update backup is still being read back. Walked here when absent.
   */
  prepared?: PreparedRelease;
  /** Where the folder's previous tree goes (beside the folder); `.<name>.upkeep-old-<random>` by default. */
  old?: string;
  /** Called once the plan is made and before anything in the folder moves: journal it (a crash from then on is undone from it). */
  record?(record: TreeSwapRecord): Promise<void>;
  /** Tests only: false takes the two-rename way. */
  exchange?: boolean;
  log?: (line: string) => void;
  /** Upkeep's data directory: a folder that is, holds or lies within it (or `/`) is refused before anything is written. */
  dataDir?: string;
}

/** A swap of a release tree into a folder, as journaled: where everything is, and what was carried into the new tree. */
export interface TreeSwapRecord extends SwapRecord {
  /** Paths (relative, top-most) moved from the folder into the new tree: `preserve` paths and files the user owns. */
  carried: string[];
}

export interface SwapTreeResult {
  /** Files and links of the new release, for its manifest. */
  files: string[];
  /** sha256 of each new file (`link:<target>` for links), for its manifest. */
  hashes: Record<string, string>;
  /** Old-release files kept because they were changed since that release shipped them. */
  kept: string[];
  /** Old-release files left behind in the old tree (the new release no longer has them). */
  removed: number;
  /** Top-most paths carried over from the folder by rename. */
  carried: number;
  way: SwapWay;
  record: TreeSwapRecord;
}

/**
 * Make `folder` hold the new release in one step: the new tree is finished in staging — the release
 * (without its `preserve` paths), plus the folder's `preserve` paths and the files the previous
 * release did not ship (or shipped and the user changed), carried over by rename — then exchanged
 * with the folder (see swapIn). Preserved paths are never read, written or followed (a symlinked
 * `uploads/` is moved as the link it is). The folder's previous tree ends at `record.old`: the
 * source of a revert, removed once the update is accepted. The carrying happens last, right before
 * the exchange, and is journaled first: revertTreeSwap puts everything back from any point.
 */
export async function swapTree(options: SwapTreeOptions): Promise<SwapTreeResult> {
  const { staging, folder, preserve } = options;
  if (options.dataDir)
    assertApartFromDataDir(folder, options.dataDir, { what: `Syncing a release into ${folder} is refused` });
  const folderStat = await fs.stat(folder);
  if (folderStat.dev !== (await fs.stat(path.dirname(folder))).dev || folderStat.dev !== (await fs.stat(staging)).dev) {
    throw new UpkeepError(
      'UNSUPPORTED',
      `${folder} is a mount point (or its staging folder is on another disk): an update builds the new tree beside the folder and swaps the two, which needs both on one filesystem. Mount the disk one level up (the folder inside it), then update again. Nothing was changed.`,
      { folder },
    );
  }
  const release = options.prepared ?? (await prepareRelease(staging, preserve, options.releaseHashes));
  const plan = await planCarry(folder, release.kinds, options);
  await fs.chmod(staging, folderStat.mode & 0o7777);
  const old = options.old ?? oldTreeBeside(folder, randomBytes(4).toString('hex'));
  const record: TreeSwapRecord = { folder, staging, old, new_ino: await treeInode(staging), carried: plan.carry };
  await options.record?.(record);
  await carryInto(record);
  let way: SwapWay;
  try {
    way = await swapIn(record, options.exchange === false ? { exchange: false } : {});
  } catch (error) {
    await revertTreeSwap(record).catch(() => undefined);
    throw error;
  }
  return {
    files: release.files,
    hashes: release.hashes,
    kept: plan.kept,
    removed: plan.removed,
    carried: plan.carry.length,
    way,
    record,
  };
}

/** A release tree in staging, ready to be swapped in (see prepareRelease). */
export interface PreparedRelease {
  kinds: Map<string, TreeEntry['kind']>;
  files: string[];
  hashes: Record<string, string>;
}

/**
 * The release as extracted, without its `preserve` paths (removed from staging: the folder's own
 * go there), its links checked. Touches staging only, never the folder.
 */
export async function prepareRelease(
  staging: string,
  preserve: readonly string[],
  known?: ReadonlyMap<string, string>,
): Promise<PreparedRelease> {
  const kinds = new Map<string, TreeEntry['kind']>();
  const files: string[] = [];
  const hashes: Record<string, string> = {};
  const preserved = preservedBy(preserve);
  for (const entry of await walkTree(staging)) {
    if (preserved(entry.rel)) {
      if (!preserved(path.posix.dirname(entry.rel)))
        await fs.rm(path.join(staging, ...entry.rel.split('/')), { recursive: true, force: true });
      continue;
    }
    kinds.set(entry.rel, entry.kind);
    if (entry.kind === 'dir') continue;
    files.push(entry.rel);
    if (entry.kind === 'symlink') {
      const target = entry.target as string;
      const resolved = path.resolve(staging, path.dirname(entry.rel), target);
      if (path.isAbsolute(target) || !isInside(staging, resolved)) {
        throw new UpkeepError(
          'UNSAFE_ARCHIVE',
          `The release contains a link ${entry.rel} → ${target} that points outside the folder; refusing it.`,
        );
      }
      hashes[entry.rel] = `link:${target}`;
    } else {
      hashes[entry.rel] = known?.get(entry.rel) ?? (await sha256File(path.join(staging, ...entry.rel.split('/'))));
    }
  }
  return { kinds, files, hashes };
}

interface CarryPlan {
  carry: string[];
  kept: string[];
  removed: number;
}

/**
 * What of the folder goes into the new tree: its `preserve` paths, and whatever the new release
 * does not have unless the previous release shipped it and it still holds what was shipped (that
 * is removed, i.e. left in the old tree). A path the new release has is the release's. Folders
 * holding nothing the previous release shipped are carried whole (one rename).
 */
async function planCarry(
  folder: string,
  release: ReadonlyMap<string, TreeEntry['kind']>,
  options: SwapTreeOptions,
): Promise<CarryPlan> {
  const previous = options.previousFiles ? new Set(options.previousFiles.filter(isSafeRel)) : null;
  const previousDirs = new Set([...(previous ?? [])].flatMap((rel) => ancestors(path.posix.dirname(rel))));
  const plan: CarryPlan = { carry: [], kept: [], removed: 0 };
  const preserved = preservedBy(options.preserve);
  // Files the previous release shipped and the new one lacks, in walk order: hashed together below.
  const shipped: { abs: string; rel: string; at: number }[] = [];
  // What the walk meets, in walk order: a path to carry, or a shipped file to compare. Folders
  // are listed side by side (the thread pool lists several at once) and their findings joined
  // in order: one listing after another, a 30,000-file tree took ~0.3 s of the swap step.
  type Found = { rel: string; abs?: string };
  const visit = async (relDir: string): Promise<Found[]> => {
    const dir = relDir ? path.join(folder, ...relDir.split('/')) : folder;
    const parts: (Found | Promise<Found[]>)[] = [];
    for (const d of (await fs.readdir(dir, { withFileTypes: true })).sort(byName)) {
      const rel = relDir ? `${relDir}/${d.name}` : d.name;
      const kind = release.get(rel);
      if (preserved(rel)) parts.push({ rel });
      else if (d.isDirectory() && kind === 'dir') parts.push(visit(rel));
      else if (kind !== undefined) continue;
      else if (d.isDirectory()) parts.push(previousDirs.has(rel) ? visit(rel) : { rel });
      else if (!previous?.has(rel)) parts.push({ rel });
      else parts.push({ rel, abs: path.join(dir, d.name) });
    }
    const done = await Promise.all(parts);
    return done.flat();
  };
  for (const found of await visit('')) {
    if (found.abs === undefined) plan.carry.push(found.rel);
    else shipped.push({ abs: found.abs, rel: found.rel, at: plan.carry.length });
  }
  // What each holds now, a batch at a time (the thread pool hashes several at once); the kept ones
  // join the carry list where the walk met them.
  const kept: { rel: string; at: number }[] = [];
  for (let at = 0; at < shipped.length; at += BATCH) {
    const batch = shipped.slice(at, at + BATCH);
    const now = await Promise.all(batch.map((f) => contentOf(f.abs)));
    for (const [i, f] of batch.entries()) {
      const was = options.previousHashes?.[f.rel];
      if (was && now[i] === was) {
        plan.removed++;
        options.log?.(`removed ${f.rel} (not in the new release)`);
        continue;
      }
      kept.push(f);
      plan.kept.push(f.rel);
      options.log?.(
        `kept ${f.rel}: the new release no longer has it, but it ${was ? 'was changed since it was installed' : 'cannot be compared with what the old release shipped'}`,
      );
    }
  }
  // Inserted from the last so each `at` (a position in the walk's own list) still holds.
  for (const f of kept.reverse()) plan.carry.splice(f.at, 0, f.rel);
  return plan;
}

/** What a path holds, as a release manifest records it: sha256 of a file, `link:<target>` of a link, null otherwise. */
async function contentOf(abs: string): Promise<string | null> {
  const st = await fs.lstat(abs);
  if (st.isSymbolicLink()) return `link:${await fs.readlink(abs)}`;
  return st.isFile() ? sha256File(abs) : null;
}

/** Move the carried paths from the folder into the new tree (parents made as needed). */
async function carryInto(record: TreeSwapRecord): Promise<void> {
  const done: string[] = [];
  try {
    for (const rel of record.carried) {
      const to = path.join(record.staging, ...rel.split('/'));
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.rename(path.join(record.folder, ...rel.split('/')), to);
      done.push(rel);
    }
  } catch (error) {
    await moveBack(done, record.staging, record.folder);
    throw error;
  }
}

async function moveBack(carried: readonly string[], from: string, to: string): Promise<void> {
  for (const rel of [...carried].reverse()) {
    const src = path.join(from, ...rel.split('/'));
    const dst = path.join(to, ...rel.split('/'));
    if (!(await lstatOrNull(src)) || (await lstatOrNull(dst))) continue;
    await fs.mkdir(path.dirname(dst), { recursive: true });
    await fs.rename(src, dst);
  }
}

/**
 * Put the folder's previous tree back, with everything carried out of it, from any point of a
 * swapTree (or after it): before the swap the carried paths go back from staging; between the two
 * renames the old tree is renamed back first; after the swap the trees are exchanged back.
 * Returns false when the previous tree is gone (removed after an accepted update, or by a restore).
 */
export async function revertTreeSwap(record: TreeSwapRecord, options: { exchange?: boolean } = {}): Promise<boolean> {
  const state = await swapState(record);
  if (!state.oldAt) return false;
  if (state.swapped) {
    // The new tree goes back to staging's name: a crash during this revert then reads as "not swapped".
    await swapIn({ folder: record.folder, staging: state.oldAt, old: record.staging }, options);
  } else if (state.oldAt !== record.folder) {
    await fs.rename(state.oldAt, record.folder);
    await fsyncDir(path.dirname(record.folder));
  }
  const newAt = state.swapped ? record.staging : state.newAt;
  if (newAt) {
    await moveBack(record.carried, newAt, record.folder);
    await fsyncDir(record.folder);
  }
  return true;
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

async function lstatOrNull(p: string) {
  try {
    return await fs.lstat(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
