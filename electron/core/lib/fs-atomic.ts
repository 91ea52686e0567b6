import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { errnoCode } from './error-info';

/** fsync a directory so a rename inside it survives a crash. Not supported on every platform; best effort there. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Write a file atomically (ARCHITECTURE.md §6): temp file in the same folder, fsync, rename, fsync the folder.
 * Readers see the old content or the new one, never a torn file.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: { mode?: number } = {},
): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}

export async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    // lstat failed: the path does not exist for our purposes (ENOENT, or a parent not a folder).
    return false;
  }
}

/** writeFileAtomic's temp files (and the lock's): `.<name>.<12 hex>.tmp`. */
const ATOMIC_TEMP = /^\..+\.[0-9a-f]{12}\.tmp$/;

/**
 * Remove the temp files of atomic writes to `file` that a killed process left: only for a file
 * nothing writes any more (a finished run's journal). Others wait for sweepStaleTemps.
 */
export async function removeTempsOf(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names)
    if (name.startsWith(prefix) && ATOMIC_TEMP.test(name) && name.length === prefix.length + 16)
      await fs.rm(path.join(dir, name), { force: true });
}

/**
 * Remove the temp files of atomic writes a killed process left under `root` (Upkeep's data
 * directory), once older than `maxAgeMs`: a live write holds its temp file for milliseconds, so
 * an hour-old one belongs to nobody. Links are never followed. Returns the paths removed.
 */
export async function sweepStaleTemps(root: string, maxAgeMs = 60 * 60 * 1000, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  const visit = async (dir: string, depth: number) => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      // A folder gone or unreadable: its temps are swept by a later start.
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < 4) await visit(p, depth + 1);
      } else if (e.isFile() && ATOMIC_TEMP.test(e.name)) {
        // Removed meanwhile (another process swept it): nothing to do.
        const st = await fs.lstat(p).catch(() => null);
        if (st && now - st.mtimeMs > maxAgeMs) {
          await fs.rm(p, { force: true });
          removed.push(p);
        }
      }
    }
  };
  await visit(root, 0);
  return removed;
}
