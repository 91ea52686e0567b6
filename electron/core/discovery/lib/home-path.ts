import os from 'node:os';
import path from 'node:path';

/** `~` and `~/x` as the user's home, as a shell would (people type these into the panel); else path.resolve. */
export function resolveUserPath(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '~') return os.homedir();
  if (trimmed.startsWith('~/') || trimmed.startsWith('~\\')) return path.join(os.homedir(), trimmed.slice(2));
  return path.resolve(trimmed);
}
