import { statSync } from 'node:fs';
import { UpkeepError, type ErrorCode } from '../../../shared/errors';
import { errnoCode, errorMessage } from './error-info';

/**
 * Why a program could not be started, in words that point at the cause. Node reports a missing
 * working folder as ENOENT for the program itself, which reads as "git is not installed" when git
 * is there and the component's folder is what is missing: the folder is checked first.
 */
export function spawnError(
  program: string,
  error: unknown,
  cwd: string | undefined,
  code: ErrorCode,
  details: Record<string, unknown> = {},
): UpkeepError {
  const errno = errnoCode(error);
  if (cwd !== undefined && (errno === 'ENOENT' || errno === 'ENOTDIR')) {
    let folder: 'missing' | 'not-a-folder' | 'ok';
    try {
      folder = statSync(cwd).isDirectory() ? 'ok' : 'not-a-folder';
    } catch {
      // stat failed: the working folder is missing, which is what the message says.
      folder = 'missing';
    }
    if (folder !== 'ok') {
      const what = folder === 'missing' ? 'does not exist' : 'is not a folder';
      return new UpkeepError(
        'NOT_FOUND',
        `The folder ${cwd} ${what}, so ${program} could not run in it. Check the component's folder (or create it).`,
        { ...details, folder: cwd, program },
      );
    }
  }
  if (errno === 'ENOENT')
    return new UpkeepError(code, `${program} was not found. Install it or give its full path.`, {
      ...details,
      program,
    });
  if (errno === 'EACCES')
    return new UpkeepError(
      code,
      `${program} could not be run: permission denied. Check that it is executable by this user.`,
      { ...details, program },
    );
  return new UpkeepError(
    code,
    `Could not run ${program}: ${errno ?? errorMessage(error)}. Check the program's path and permissions.`,
    { ...details, program },
  );
}
