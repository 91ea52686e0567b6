import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../../shared/errors';
import { writeFileAtomic } from '../../lib/fs-atomic';
import type { UpdaterContext } from '../types';
import { errnoCode, errorMessage } from '../../lib/error-info';

/**
 * Pre-update backups of state that is not a local folder (a function on an Open WebUI server, a
 * single file): one JSON document per backup in `<home>/snapshots/<component>/<id>.json`.
 */
export function snapshotFile(ctx: Pick<UpdaterContext, 'home' | 'component'>, id: string): string {
  if (!/^[a-z0-9][a-z0-9_-]{0,127}$/.test(id)) throw new UpkeepError('BACKUP_NOT_FOUND', `"${id}" is not a valid backup id.`);
  return path.join(ctx.home.home, 'snapshots', ctx.component.id, `${id}.json`);
}

export function newSnapshotId(kind: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-').toLowerCase();
  return `${kind}-${stamp}-${randomBytes(3).toString('hex')}`;
}

export async function writeSnapshot(ctx: Pick<UpdaterContext, 'home' | 'component'>, id: string, value: unknown): Promise<void> {
  await writeFileAtomic(snapshotFile(ctx, id), JSON.stringify(value), { mode: 0o600 });
}

export async function readSnapshot<T>(ctx: Pick<UpdaterContext, 'home' | 'component'>, id: string): Promise<T> {
  try {
    return JSON.parse(await fs.readFile(snapshotFile(ctx, id), 'utf8')) as T;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      throw new UpkeepError('BACKUP_NOT_FOUND', `The pre-update backup ${id} of ${ctx.component.id} no longer exists; it cannot be restored.`, { backup_id: id });
    }
    throw new UpkeepError('BACKUP_CORRUPT', `The pre-update backup ${id} of ${ctx.component.id} cannot be read: ${errorMessage(error)}.`, { backup_id: id });
  }
}
