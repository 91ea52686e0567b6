import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fsyncDir } from './fs-atomic';

/**
 * Swapping a prepared tree into a folder's place in one step.
 *
 * On Linux, renameat2(RENAME_EXCHANGE) exchanges two paths atomically: at every instant the
 * folder's name points at the old tree or the new one. Node has no binding for it, so it is
 * called through the system Python's ctypes (a fixed interpreter path, run as argv without a
 * shell, without site packages: about 10 ms). A compiled helper would start faster but needs a
 * compiler on every machine or a binary per architecture in the package; Python 3 is part of
 * nearly every Linux base system, and where it is missing (or the filesystem or kernel refuses the
 * flag: EINVAL, ENOSYS) the swap is two renames instead, with the caller's journal covering the
 * moment between them.
 */

/**
 * Where a folder's previous tree waits beside it after a swap, `.<name>.upkeep-old-<suffix>`: the
 * one name the updaters, the restores and the rollback's reuse of that tree agree on.
 */
export function oldTreeBeside(folder: string, suffix: string): string {
  return path.join(path.dirname(folder), `.${path.basename(folder)}.upkeep-old-${suffix}`);
}

/** Whether `tree` is one of `folder`'s previous trees, beside it (see oldTreeBeside). */
export function isOldTreeOf(tree: string, folder: string): boolean {
  return (
    path.dirname(tree) === path.dirname(folder) &&
    path.basename(tree).startsWith(`.${path.basename(folder)}.upkeep-old-`)
  );
}

/** How a swap was made: one exchange, or two renames (the folder was briefly absent). */
export type SwapWay = 'exchange' | 'renames';

/** Set (to 1) by tests only: the exchange counts as unavailable, so the two-rename way is taken. */
export const NO_EXCHANGE_ENV = 'UPKEEP_TEST_NO_RENAME_EXCHANGE';

const PYTHONS = ['/usr/bin/python3', '/usr/local/bin/python3', '/bin/python3'];
/** Exit 3: the exchange is not available here (no renameat2, EINVAL, ENOSYS, ENOTSUP); 1: a real error. */
const EXCHANGE_SCRIPT = [
  'import ctypes, errno, os, sys',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'f = getattr(libc, "renameat2", None)',
  'if f is None: sys.exit(3)',
  'f.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]',
  'if f(-100, os.fsencode(sys.argv[1]), -100, os.fsencode(sys.argv[2]), 2) == 0: sys.exit(0)',
  'e = ctypes.get_errno()',
  'sys.stderr.write(errno.errorcode.get(e, str(e)))',
  'sys.exit(3 if e in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP) else 1)',
].join('\n');

let python: string | null | undefined;

function pythonPath(): string | null {
  if (python === undefined) python = process.platform === 'linux' ? (PYTHONS.find((p) => existsSync(p)) ?? null) : null;
  return python;
}

/**
 * Exchange `a` and `b` (both must exist) in one step. Resolves true when exchanged, false when
 * the exchange is unavailable here (nothing was changed); rejects with the errno code otherwise.
 * A helper that died without an answer (killed) is judged by the inodes: exchanged, or nothing
 * changed (then false: the caller's other way is safe).
 */
export async function exchangePaths(a: string, b: string, options: { exchange?: boolean } = {}): Promise<boolean> {
  const py = pythonPath();
  if (!py || options.exchange === false || process.env[NO_EXCHANGE_ENV] === '1') return false;
  const before = await Promise.all([fs.lstat(a), fs.lstat(b)]);
  const answer = await new Promise<{ exit: unknown; stderr: string }>((resolve) => {
    execFile(
      py,
      ['-I', '-S', '-c', EXCHANGE_SCRIPT, a, b],
      { encoding: 'utf8', timeout: 30_000 },
      (error, _stdout, stderr) => {
        resolve({ exit: error ? ((error as { code?: unknown }).code ?? null) : 0, stderr });
      },
    );
  });
  if (answer.exit === 0) return true;
  if (answer.exit === 3) return false;
  if (typeof answer.exit !== 'number') {
    // A path that cannot be read now counts as neither tree: the swap is then judged not to have happened as a whole.
    const after = await Promise.all([fs.lstat(a).catch(() => null), fs.lstat(b).catch(() => null)]);
    if (after[0]?.ino === before[1].ino && after[1]?.ino === before[0].ino) return true;
    if (after[0]?.ino === before[0].ino && after[1]?.ino === before[1].ino) return false;
  }
  const code = typeof answer.exit === 'number' ? answer.stderr.trim() || 'EIO' : 'EIO';
  throw Object.assign(new Error(`${code}: exchanging ${a} and ${b} failed`), { code });
}

export interface SwapPaths {
  /** The live folder. */
  folder: string;
  /** The prepared tree (beside the folder, same filesystem). */
  staging: string;
  /** Where the previous tree ends up (beside the folder). */
  old: string;
}

/**
 * Make `staging` the folder and move the folder's previous tree to `old`. With the exchange the
 * folder is never absent; with two renames it is absent between them (the caller's journal,
 * written before this, records `old` and the new tree's inode so recovery can tell the states
 * apart: see swapState). Both ways end with the parent fsynced.
 */
export async function swapIn(paths: SwapPaths, options: { exchange?: boolean } = {}): Promise<SwapWay> {
  const parent = path.dirname(paths.folder);
  if (await exchangePaths(paths.staging, paths.folder, options)) {
    await fsyncDir(parent);
    // The previous tree now has staging's name; it moves to `old`, the name the journal gave it.
    if (paths.staging !== paths.old) await fs.rename(paths.staging, paths.old);
    await fsyncDir(path.dirname(paths.old));
    return 'exchange';
  }
  await fs.rename(paths.folder, paths.old);
  await fs.rename(paths.staging, paths.folder);
  await fsyncDir(parent);
  if (path.dirname(paths.staging) !== parent) await fsyncDir(path.dirname(paths.staging));
  return 'renames';
}

/** What a journal records before a swap: the paths and the inode of the new tree's root. */
export interface SwapRecord extends SwapPaths {
  new_ino: number;
}

/** Where each tree is after a swap was interrupted anywhere. */
export interface SwapState {
  /** The folder holds the new tree. */
  swapped: boolean;
  /** Where the previous tree is now (the folder, `old`, or staging after an exchange), or null. */
  oldAt: string | null;
  /** Where the new tree is now, or null. */
  newAt: string | null;
}

async function inodeOf(p: string): Promise<number | null> {
  // Absent (or unreadable): no tree there, which the callers read as such.
  const st = await fs.lstat(p).catch(() => null);
  return st?.isDirectory() ? st.ino : null;
}

/** Read the state of a swap from the disk alone (the new tree is known by its inode, which renames keep). */
export async function swapState(record: SwapRecord): Promise<SwapState> {
  const [folder, staging, old] = await Promise.all([
    inodeOf(record.folder),
    inodeOf(record.staging),
    inodeOf(record.old),
  ]);
  if (folder === record.new_ino)
    return {
      swapped: true,
      newAt: record.folder,
      oldAt: old !== null ? record.old : staging !== null ? record.staging : null,
    };
  if (folder !== null)
    return { swapped: false, oldAt: record.folder, newAt: staging === record.new_ino ? record.staging : null };
  // Between the two renames: the folder is absent.
  return {
    swapped: false,
    oldAt: old !== null ? record.old : null,
    newAt: staging === record.new_ino ? record.staging : null,
  };
}

/** Inode of a directory about to be swapped in (recorded in the journal first). */
export async function treeInode(dir: string): Promise<number> {
  return (await fs.lstat(dir)).ino;
}
