import type { Dirent } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Folder listings asked for at once: a walk one listing after another waits a thread-pool round trip for each. */
export const LISTINGS_AT_ONCE = 16;

/**
 * List `root` and the folders below it, `atOnce` listings at a time (never following links).
 * `onDir` gets each folder's path relative to `root` ('' for the root, '/'-separated) and its
 * entries, and returns the relative paths of the subfolders to list next. Folders are visited in
 * no particular order; the first listing that fails fails the walk.
 */
export function walkDirs(
  root: string,
  onDir: (rel: string, entries: Dirent[]) => Iterable<string>,
  atOnce = LISTINGS_AT_ONCE,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const pending: string[] = [''];
    let active = 0;
    let failed = false;
    const next = (): void => {
      while (!failed && active < atOnce && pending.length > 0) {
        const rel = pending.pop() as string;
        active++;
        const dir = rel ? path.join(root, ...rel.split('/')) : root;
        fs.readdir(dir, { withFileTypes: true }).then(
          (entries) => {
            active--;
            if (failed) return;
            try {
              for (const child of onDir(rel, entries)) pending.push(child);
            } catch (error) {
              failed = true;
              reject(error);
              return;
            }
            if (active === 0 && pending.length === 0) resolve();
            else next();
          },
          (error: unknown) => {
            active--;
            if (!failed) {
              failed = true;
              reject(error);
            }
          },
        );
      }
    };
    next();
  });
}
