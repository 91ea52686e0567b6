/** What a caught value says about itself, without casting it (anything can be thrown). */

/** The `code` of a Node system error (`ENOENT`, `EACCES` …); undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** An error's message (a thrown non-Error as text). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The code of the error's cause (fetch wraps the system error of a refused connection in `cause`). */
export function causeCode(error: unknown): string | undefined {
  return error instanceof Error ? errnoCode(error.cause) : undefined;
}
