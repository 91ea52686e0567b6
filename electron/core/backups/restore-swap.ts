import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import { oldTreeBeside, swapIn, swapState, treeInode } from '../lib/dir-swap';
import { fsyncDir, pathExists } from '../lib/fs-atomic';
import { walkDirs } from '../lib/walk-dirs';
import { SQLITE_COMPANIONS } from './folder-archive';
import { rmTree, type RestoreJournal } from './restore-journal';
import { SQLITE_NAME, type Matcher } from './select';
import { logger } from '../lib/log';

const log = logger('backups.restore-swap');

const hex = (n: number) => randomBytes(n).toString('hex');

/** Whether `child` (resolved) is `parent` or inside it. */
function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Full restore: the staging tree becomes the folder, exchanged with it in one step where the
 * system allows (see swapIn). What the backup excluded (node_modules, a venv, logs) is moved over
 * from the current folder first, so a restore never deletes it. The old tree is kept until the new
 * one is in place (and the journal says so); any failure puts everything back. Returns where the
 * old tree is, for the caller to remove once the swap is durable (off the critical path), or null.
 */
export async function swapWholeFolder(
  folder: string,
  staging: string,
  exclude: Matcher,
  journal: RestoreJournal,
): Promise<string | null> {
  // No folder (null): the restore creates it.
  const folderStat = await fs.lstat(folder).catch(() => null);
  if (folderStat && !folderStat.isDirectory()) {
    throw new UpkeepError('INVALID_CONFIG', `${folder} is not a folder; move it away before restoring into it.`, {
      folder,
    });
  }
  const carried: string[] = [];
  const parent = path.dirname(folder);
  const old = oldTreeBeside(folder, hex(4));
  const newIno = await treeInode(staging);
  let swapped = false;
  try {
    const keep = folderStat ? await toCarry(folder, staging, exclude) : [];
    if (folderStat) await fs.chmod(staging, folderStat.mode & 0o7777);
    // Recorded before anything moves: a crash from here on is undone (or finished) by recover().
    await journal.write({
      kind: 'full',
      folder,
      staging,
      old: folderStat ? old : null,
      carried: keep,
      new_ino: newIno,
      phase: 'swapping',
    });
    for (const rel of keep) {
      const dst = path.join(staging, ...rel.split('/'));
      await fs.mkdir(path.dirname(dst), { recursive: true });
      await fs.rename(path.join(folder, ...rel.split('/')), dst);
      carried.push(rel);
    }
    if (folderStat) await swapIn({ folder, staging, old });
    else {
      await fs.rename(staging, folder);
      await fsyncDir(parent);
    }
    swapped = true;
  } catch (error) {
    // Put back what moved.
    if (!swapped && folderStat) {
      const state = await swapState({ folder, staging, old, new_ino: newIno });
      // Each undo step that fails is logged and the next is tried; the journal stays when the folder is not back (below), so recovery finishes it.
      if (state.swapped && state.oldAt)
        await swapIn({ folder, staging: state.oldAt, old: staging }).catch((undo: unknown) =>
          log.error('undoing a failed restore: the swap back failed', { folder, error: undo }),
        );
      else if (!(await pathExists(folder)) && (await pathExists(old))) await fs.rename(old, folder);
      for (const rel of carried.reverse()) {
        await fs
          .rename(path.join(staging, ...rel.split('/')), path.join(folder, ...rel.split('/')))
          .catch((undo: unknown) =>
            log.error('undoing a failed restore: a carried path could not be moved back; it is in the staging folder', {
              folder,
              staging,
              path: rel,
              error: undo,
            }),
          );
      }
      await fsyncDir(parent).catch((undo: unknown) =>
        log.warn('undoing a failed restore: the parent folder could not be synced', { folder, error: undo }),
      );
    }
    if (!swapped) await journal.clear();
    throw error;
  }
  await journal.write({
    kind: 'full',
    folder,
    staging,
    old: folderStat ? old : null,
    carried,
    new_ino: newIno,
    phase: 'committed',
  });
  // The journal stays 'committed' until the caller has removed the old tree and staging too.
  return folderStat ? old : null;
}

/** What of the current folder a full restore carries into the new tree: what the backup excluded and staging lacks. */
async function toCarry(folder: string, staging: string, exclude: Matcher): Promise<string[]> {
  const keep: string[] = [];
  for (const rel of await findExcluded(folder, exclude)) {
    // Bytecode caches belong to the code being replaced: carried over, a .pyc compiled from the
    // newer source would still be used when its recorded mtime and size match the restored file.
    if (isDerivedCache(rel)) continue;
    if (!(await pathExists(path.join(staging, ...rel.split('/'))))) keep.push(rel);
  }
  return keep;
}

/**
 * Caches derived from the folder's code, which a restore drops rather than carries over: Python
 * bytecode (a `__pycache__/` anywhere, or `.pyc`/`.pyo` files a custom exclude left out).
 */
function isDerivedCache(rel: string): boolean {
  return rel.split('/').includes('__pycache__') || /\.py[co]$/.test(rel);
}

/**
 * After a restore of single files: the bytecode Python cached for a replaced `.py` would be
 * taken for the restored source when its recorded mtime and size match. Best effort; never
 * follows a `__pycache__` that is a link.
 */
async function dropBytecodeOf(file: string): Promise<void> {
  if (!file.endsWith('.py')) return;
  const cache = path.join(path.dirname(file), '__pycache__');
  // No __pycache__ (null): no bytecode to drop.
  const st = await fs.lstat(cache).catch(() => null);
  if (!st?.isDirectory()) return;
  const stem = `${path.basename(file, '.py')}.`;
  // Stale bytecode left behind is only rebuilt by Python (it checks the source's time); nothing depends on its removal.
  for (const name of await fs.readdir(cache).catch(() => [] as string[])) {
    if (name.startsWith(stem) && /\.py[co]$/.test(name))
      await fs.rm(path.join(cache, name), { force: true }).catch(() => undefined);
  }
}

/** Top-most paths in `folder` the exclude patterns match (what a full backup left out), in name order. */
async function findExcluded(folder: string, exclude: Matcher): Promise<string[]> {
  if (exclude.empty) return [];
  const out: string[] = [];
  // Many listings at once: this walk of the live folder lies between the extraction and the swap.
  await walkDirs(folder, (rel, entries) => {
    const subfolders: string[] = [];
    for (const d of entries) {
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      const isDir = d.isDirectory();
      if (exclude.matches(childRel, isDir)) out.push(childRel);
      else if (isDir) subfolders.push(childRel);
    }
    return subfolders;
  });
  return out.sort();
}

/** Create `folder/…parts` one level at a time, refusing any step that resolves outside the folder. */
async function ensureDirInside(realFolder: string, folder: string, parts: string[], what: string): Promise<void> {
  let current = folder;
  for (const part of parts) {
    current = path.join(current, part);
    // Missing (null): created just below.
    const st = await fs.lstat(current).catch(() => null);
    if (!st) {
      await fs.mkdir(current);
      continue;
    }
    const real = await fs.realpath(current);
    if (!isInside(realFolder, real)) {
      throw new UpkeepError(
        'FORBIDDEN',
        `Restoring ${what} would write outside ${folder} (through the link ${current} → ${real}). Replace the link with a folder, or restore the whole backup instead.`,
        { path: what },
      );
    }
    if (!(await fs.stat(current)).isDirectory()) {
      throw new UpkeepError(
        'INVALID_REQUEST',
        `Restoring ${what} needs ${current} to be a folder, but it is a file. Move it away or restore the whole backup.`,
        { path: what },
      );
    }
  }
}

/**
 * Partial restore: each root (a file, or a folder with everything in it) is replaced by its copy
 * from staging. The current one is renamed aside first and deleted only once every root is in
 * place; on any failure all roots are put back. SQLite WAL/journal files of a replaced database
 * are set aside with it (a stale WAL beside a restored database would corrupt it).
 */
export async function swapPaths(
  folder: string,
  staging: string,
  roots: { path: string; kind: 'file' | 'dir' }[],
  journal: RestoreJournal,
): Promise<void> {
  await fs.mkdir(folder, { recursive: true });
  const realFolder = await fs.realpath(folder);
  const asideOf = (target: string) => oldTreeBeside(target, hex(4));
  // Plan every move first and record it: a crash part-way is then undone by recover().
  const plan: { target: string; aside: string; existed: boolean; from: string | null }[] = [];
  for (const root of roots) {
    const parts = root.path.split('/');
    const target = path.join(folder, ...parts);
    await ensureDirInside(realFolder, folder, parts.slice(0, -1), root.path);
    const names = [
      path.basename(target),
      ...(root.kind === 'file' && SQLITE_NAME.test(root.path)
        ? SQLITE_COMPANIONS.map((x) => `${path.basename(target)}${x}`)
        : []),
    ];
    for (const name of names) {
      const current = path.join(path.dirname(target), name);
      const existed = await pathExists(current);
      if (!existed && name !== names[0]) continue;
      plan.push({
        target: current,
        aside: asideOf(current),
        existed,
        from: name === names[0] ? path.join(staging, ...parts) : null,
      });
    }
  }
  await journal.write({
    kind: 'paths',
    folder,
    staging,
    pairs: plan.map(({ target, aside, existed }) => ({ target, aside, existed })),
    phase: 'swapping',
  });
  const done: typeof plan = [];
  try {
    for (const step of plan) {
      if (step.existed) await fs.rename(step.target, step.aside);
      done.push(step);
      if (step.from) await fs.rename(step.from, step.target);
      await fsyncDir(path.dirname(step.target));
    }
  } catch (error) {
    for (const d of [...done].reverse()) {
      // Each undo step that fails is logged and the next is tried: the aside copy is never deleted here.
      if (d.from && (await pathExists(d.target)) && (!d.existed || (await pathExists(d.aside))))
        await rmTree(d.target).catch((undo: unknown) =>
          log.error('undoing a failed restore: a restored path could not be removed', { path: d.target, error: undo }),
        );
      if (d.existed)
        await fs.rename(d.aside, d.target).catch((undo: unknown) =>
          log.error('undoing a failed restore: a path could not be put back; its previous copy is beside it', {
            path: d.target,
            aside: d.aside,
            error: undo,
          }),
        );
    }
    await journal.clear();
    throw error;
  }
  await journal.write({
    kind: 'paths',
    folder,
    staging,
    pairs: plan.map(({ target, aside, existed }) => ({ target, aside, existed })),
    phase: 'committed',
  });
  for (const d of plan) if (d.existed) await rmTree(d.aside);
  for (const root of roots) if (root.kind === 'file') await dropBytecodeOf(path.join(folder, ...root.path.split('/')));
  // The journal stays 'committed' until the caller has removed staging too.
}
