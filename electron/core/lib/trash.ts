import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fsyncDir } from './fs-atomic';
import { errnoCode } from './error-info';
import { logger } from './log';

const log = logger('lib.trash');

/** The infix of a tree that nothing needs any more, waiting beside a folder to be removed. */
const TRASH = '.upkeep-trash-';

const removing = new Set<Promise<void>>();

/**
 * Move a tree nothing needs any more (the previous release after an accepted update) out of the
 * way under a trash name beside `folder` — one rename — and remove it in the background, off the
 * update's critical path. A process that dies mid-removal leaves the trash name, which
 * sweepTrash removes before the folder's next update: nothing under it is ever read again.
 */
export async function discardTree(tree: string, folder: string, tag: string): Promise<void> {
  const trash = path.join(path.dirname(folder), `.${path.basename(folder)}${TRASH}${tag}`);
  try {
    await fs.rename(tree, trash);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  await fsyncDir(path.dirname(folder));
  const job = removeTree(trash).catch((error: unknown) => {
    // The next update of the folder sweeps it (sweepTrash); until then it only takes space.
    log.warn('a replaced tree could not be removed; the next update of the folder removes it', { tree: trash, error });
  });
  removing.add(job);
  void job.finally(() => removing.delete(job));
}

const RM = '/bin/rm';

/**
 * Remove a tree in a process of its own where the system has rm (argv, no shell): Node's own
 * recursive removal queues an unlink per file on the thread pool this process's journal and
 * history writes need, and made the end of an update wait for it. Elsewhere, fs.rm.
 */
export async function removeTree(tree: string): Promise<void> {
  if (process.platform === 'win32' || !existsSync(RM)) return fs.rm(tree, { recursive: true, force: true });
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(RM, ['-rf', '--', tree], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-2000)));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stderr: err }));
  });
  if (code !== 0) throw new Error(`rm -rf ${tree} exited with ${code}: ${stderr.trim()}`);
}

/** Remove what an earlier discardTree of `folder` left behind (a process that died mid-removal). */
export async function sweepTrash(folder: string): Promise<string[]> {
  const parent = path.dirname(folder);
  const prefix = `.${path.basename(folder)}${TRASH}`;
  let names: string[];
  try {
    names = await fs.readdir(parent);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const swept: string[] = [];
  for (const tree of names.filter((n) => n.startsWith(prefix)).map((n) => path.join(parent, n))) {
    try {
      await removeTree(tree);
      swept.push(tree);
    } catch (error) {
      // Nothing reads a trash tree: one that cannot be removed only takes space, and must not stop an update.
      log.warn('a replaced tree left by an earlier update could not be removed; the next update tries again', {
        tree,
        error,
      });
    }
  }
  return swept;
}

/** Resolves once every tree discarded in this process is removed (tests, benches, a host that exits). */
export async function trashSettled(): Promise<void> {
  while (removing.size) await Promise.all([...removing]);
}
