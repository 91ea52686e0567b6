import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { UpkeepError } from '../../../../shared/errors';
import type { z } from 'zod';
import { writeFileAtomic } from '../../lib/fs-atomic';
import { logger } from '../../lib/log';
import { readStateFile } from '../../lib/state-file';
import type { UpdaterContext } from '../types';
import { errorMessage } from '../../lib/error-info';

/**
 * Pre-update backups of state that is not a local folder (a function on an Open WebUI server, a
 * single file): one JSON document per backup in `<home>/snapshots/<component>/<id>.json`.
 */
export function snapshotFile(ctx: Pick<UpdaterContext, 'home' | 'component'>, id: string): string {
  if (!/^[a-z0-9][a-z0-9_-]{0,127}$/.test(id))
    throw new UpkeepError('BACKUP_NOT_FOUND', `"${id}" is not a valid backup id.`);
  return path.join(ctx.home.home, 'snapshots', ctx.component.id, `${id}.json`);
}

export function newSnapshotId(kind: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-').toLowerCase();
  return `${kind}-${stamp}-${randomBytes(3).toString('hex')}`;
}

export async function writeSnapshot(
  ctx: Pick<UpdaterContext, 'home' | 'component'>,
  id: string,
  value: unknown,
): Promise<void> {
  await writeFileAtomic(snapshotFile(ctx, id), JSON.stringify(value), { mode: 0o600 });
}

const log = logger('updaters.snapshots');

/** A snapshot parsed with its method's schema: missing is BACKUP_NOT_FOUND, unreadable or of another shape BACKUP_CORRUPT (never restored from). */
export async function readSnapshot<S extends z.ZodType>(
  ctx: Pick<UpdaterContext, 'home' | 'component'>,
  id: string,
  schema: S,
): Promise<z.output<S>> {
  const file = snapshotFile(ctx, id);
  let reason: string;
  try {
    const got = await readStateFile(file, schema);
    if (got.status === 'ok') return got.value;
    if (got.status === 'missing')
      throw new UpkeepError(
        'BACKUP_NOT_FOUND',
        `The pre-update backup ${id} of ${ctx.component.id} no longer exists; it cannot be restored.`,
        { backup_id: id },
      );
    reason = got.reason;
  } catch (error) {
    if (error instanceof UpkeepError) throw error;
    reason = `unreadable (${errorMessage(error)})`;
  }
  log.error('a pre-update snapshot is damaged; it is not restored from', {
    component: ctx.component.id,
    backup_id: id,
    file,
    reason,
  });
  throw new UpkeepError(
    'BACKUP_CORRUPT',
    `The pre-update backup ${id} of ${ctx.component.id} cannot be read: ${reason}. It is kept as found (${file}); nothing was restored from it.`,
    { backup_id: id, file },
  );
}
