import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import { errnoCode } from '../lib/error-info';

/** Free bytes for an unprivileged writer on the filesystem holding `target` (its nearest existing ancestor). */
export async function freeBytes(target: string): Promise<number | null> {
  let dir = path.resolve(target);
  for (;;) {
    try {
      const s = await fs.statfs(dir);
      return Number(s.bavail) * Number(s.bsize);
    } catch (error) {
      const parent = path.dirname(dir);
      if (errnoCode(error) !== 'ENOENT' || parent === dir) return null;
      dir = parent;
    }
  }
}

const mb = (bytes: number) => `${Math.ceil(bytes / 1024 / 1024)} MB`;

/** Refuse early, with what is needed and what to do, rather than fill the disk halfway. */
export async function ensureFreeSpace(
  target: string,
  needBytes: number,
  reserveMb: number,
  what: string,
): Promise<void> {
  const free = await freeBytes(target);
  if (free === null) return;
  const reserve = reserveMb * 1024 * 1024;
  if (free - needBytes < reserve) {
    throw new UpkeepError(
      'INSUFFICIENT_SPACE',
      `Not enough disk space to ${what}: it needs about ${mb(needBytes)} in ${target}, and only ${mb(free)} is free (Upkeep keeps ${mb(reserve)} free, setting min_free_space_mb). Free some space or delete old backups, then try again.`,
      { path: target, need_bytes: needBytes, free_bytes: free, reserve_bytes: reserve },
    );
  }
}
