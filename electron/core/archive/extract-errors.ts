/** What a failed extraction means for the user, as an UpkeepError with a stable code and what to do. */
import path from 'node:path';
import { UpkeepError, type ErrorCode } from '../../../shared/errors';
import { sha256File } from '../lib/hash';
import { WriterStopped } from './entry-writer';
import type { ExtractOptions } from './extract-types';
import { Refusal } from './refusal';
import { TarFormatError } from './tar-format';
import { errnoCode, errnoPath, errorMessage } from '../lib/error-info';
import { logger } from '../lib/log';

const log = logger('archive.extract');

export async function explain(
  error: unknown,
  options: ExtractOptions,
  archiveName: string,
  damaged: ErrorCode,
): Promise<Error> {
  // The writer's own failure is its owner's to report (see WriterStopped).
  if (error instanceof WriterStopped) return error;
  // A backup whose bytes are not what its manifest recorded is damaged, whatever else went wrong.
  // (Also with archiveHash 'by-caller': the archive is hashed again here, on this error path.)
  const recorded = options.expect?.archiveSha256;
  if (recorded && !(error instanceof UpkeepError && error.code === 'CANCELLED')) {
    const actual = await sha256File(options.archive).catch((hashError: unknown) => {
      // An archive that cannot be read again has no checksum to compare: taken as not matching (damaged).
      log.warn('a backup archive could not be read to check its checksum', {
        archive: options.archive,
        error: hashError,
      });
      return null;
    });
    if (actual !== recorded) {
      const why = error instanceof Error ? error.message : String(error);
      return new UpkeepError(
        'BACKUP_CORRUPT',
        `Backup archive ${archiveName} is damaged: its checksum does not match the manifest (${why}). Restore a different backup.`,
        // `unreadable`: no bytes were compared, so nothing is known about them (not kept as damage, see verification.ts).
        { archive: options.archive, ...(actual === null ? { unreadable: true } : {}) },
        { cause: error },
      );
    }
  }
  if (error instanceof Refusal) {
    const what =
      error.code === 'BACKUP_CORRUPT'
        ? `Backup archive ${archiveName} is damaged: ${error.reason}. Nothing was changed; restore a different backup.`
        : error.code === 'ARCHIVE_TOO_LARGE'
          ? `Refused archive ${archiveName}: ${error.reason}. Nothing was extracted outside the staging folder; if the archive is genuine, raise the limit.`
          : `Refused archive ${archiveName}: ${error.reason}. Nothing was extracted outside the staging folder; the archive is damaged or malicious — do not use it.`;
    return new UpkeepError(
      error.code,
      what,
      { archive: options.archive, ...(error.entry !== null ? { entry: error.entry } : {}), reason: error.reason },
      { cause: error },
    );
  }
  if (error instanceof TarFormatError) {
    return new UpkeepError(
      damaged,
      damaged === 'BACKUP_CORRUPT'
        ? `Backup archive ${archiveName} is damaged: ${error.message}. Restore a different backup.`
        : `Refused archive ${archiveName}: ${error.message}. Nothing was extracted outside the staging folder; download it again.`,
      { archive: options.archive, reason: error.message },
      { cause: error },
    );
  }
  if (error instanceof UpkeepError) return error;
  const code = errnoCode(error);
  const message = errorMessage(error);
  if (
    code &&
    (code.startsWith('Z_') ||
      code === 'ERR_ZLIB' ||
      /unexpected end of file|incorrect header check|invalid/i.test(message))
  ) {
    return new UpkeepError(
      damaged,
      damaged === 'BACKUP_CORRUPT'
        ? `Backup archive ${archiveName} is damaged (${message}). Restore a different backup.`
        : `Refused archive ${archiveName}: it is damaged or truncated (${message}). Download it again.`,
      { archive: options.archive, reason: message },
      { cause: error },
    );
  }
  return explainWriteError(error, options.archive);
}

/**
 * What a failed write during an extraction means for the user (the disk filled up, a permission,
 * a collision), as an UpkeepError; anything else is INTERNAL.
 */
export function explainWriteError(error: unknown, archive: string): UpkeepError {
  if (error instanceof UpkeepError) return error;
  const archiveName = path.basename(archive);
  const e = { code: errnoCode(error), path: errnoPath(error) };
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') {
    return new UpkeepError(
      'INSUFFICIENT_SPACE',
      `The disk filled up while extracting ${archiveName}. Free some space and try again; nothing was changed.`,
      { archive },
      { cause: error },
    );
  }
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    return new UpkeepError(
      'FORBIDDEN',
      `Permission denied while extracting ${archiveName} (${e.path ?? ''}). Upkeep needs write access to the folder that holds the destination, where it extracts first; nothing was changed.`,
      { archive, path: e.path },
      { cause: error },
    );
  }
  if (e.code === 'EEXIST') {
    return new UpkeepError(
      'UNSAFE_ARCHIVE',
      `Refused archive ${archiveName}: an entry collides with another one (${e.path ?? ''}). Nothing was extracted outside the staging folder.`,
      { archive },
      { cause: error },
    );
  }
  return new UpkeepError(
    'INTERNAL',
    `Extracting ${archiveName} failed: ${errorMessage(error)}.`,
    { archive },
    { cause: error },
  );
}
