import type { ErrorCode } from '../../../shared/errors';

/** A refusal: the archive broke a rule. Names the entry so a person can see what was wrong. */
export class Refusal extends Error {
  constructor(
    readonly code: Extract<ErrorCode, 'UNSAFE_ARCHIVE' | 'ARCHIVE_TOO_LARGE' | 'BACKUP_CORRUPT'>,
    readonly entry: string | null,
    readonly reason: string,
  ) {
    super(reason);
  }
}
