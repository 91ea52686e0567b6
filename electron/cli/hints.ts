import type { ErrorAction, ErrorShape } from '../../shared/errors';
import type { Deferral } from '../../shared/types';

/**
 * The command line's words for what resolves an error or a deferral. Core messages speak of
 * actions ("force the update", "release the hold") and carry an action id; each host words it: here
 * the command and flag, in the panel the button (docs/ARCHITECTURE.md, "Logging and errors").
 */
const ACTION_COMMANDS: Record<ErrorAction, (id: string, details: Record<string, unknown>) => string> = {
  force_update: (id) => `upkeep update ${id} --force`,
  release_hold: (id) => `upkeep hold ${id} --release`,
  unskip_version: (id) => `upkeep skip ${id} --clear`,
  roll_back: (id) => `upkeep rollback ${id} --yes`,
  restore_backup: (_id, d) =>
    `upkeep backup restore ${typeof d.backup_id === 'string' ? d.backup_id : 'BACKUP_ID'} --yes`,
  update_without_backup: (id) => `upkeep update ${id} --no-backup`,
  check_again: (id) => `upkeep check ${id} --force`,
  set_github_token: () => 'upkeep settings set github_token TOKEN',
  replace_component: () => 'upkeep component add --file FILE --replace',
  add_host: (_id, d) => `upkeep host add ${hostOf(d)} --ssh USER@HOST`,
  host_history: (_id, d) => `upkeep --on ${hostOf(d)} history`,
};

const DEFERRAL_COMMANDS: Partial<Record<Deferral['reason'], (id: string) => string>> = {
  held: (id) => `upkeep hold ${id} --release`,
  invalid_window: (id) => `upkeep schedule ${id} --window SPEC (or --min-age 3d)`,
  major_version: (id) => `upkeep schedule ${id} --allow-major`,
  check_failed: (id) => `upkeep check ${id}`,
};

function hostOf(details: Record<string, unknown>): string {
  for (const key of ['host', 'name']) if (typeof details[key] === 'string') return details[key];
  return 'NAME';
}

function idOf(details: Record<string, unknown>, fallback: string | undefined): string {
  for (const key of ['id', 'component']) if (typeof details[key] === 'string') return details[key];
  return fallback ?? 'ID';
}

/** The command for an error's action, or null when it names none. */
export function cliCommandFor(shape: Pick<ErrorShape, 'action' | 'details'>, id?: string): string | null {
  if (!shape.action) return null;
  const details = shape.details ?? {};
  return ACTION_COMMANDS[shape.action](idOf(details, id), details);
}

/** The error with the CLI's command appended to its message (`… (upkeep update app --force)`). */
export function withCliHint<T extends Pick<ErrorShape, 'message' | 'action' | 'details'>>(shape: T, id?: string): T {
  const command = cliCommandFor(shape, id);
  return command ? { ...shape, message: `${shape.message} (\`${command}\`)` } : shape;
}

/** A deferral's message with the command that lifts it, when there is one. */
export function deferralText(deferral: Pick<Deferral, 'reason' | 'message'>, id: string): string {
  const command = DEFERRAL_COMMANDS[deferral.reason]?.(id);
  return command ? `${deferral.message} (\`${command}\`)` : deferral.message;
}
