/** Stable error codes: part of the product contract (CLI JSON, HTTP, IPC, panel). Never rename one. */
export const ERROR_CODES = [
  'INVALID_REQUEST',
  'INVALID_CONFIG',
  'UNKNOWN_METHOD',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'READ_ONLY',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'INTERNAL',
  'NETWORK',
  'TIMEOUT',
  'RATE_LIMITED',
  'UPSTREAM_ERROR',
  'PARSE_ERROR',
  'RESPONSE_TOO_LARGE',
  'CHECK_FAILED',
  'NO_UPDATE',
  'DOWNGRADE_REFUSED',
  'CHECKSUM_MISMATCH',
  'CHECKSUM_MISSING',
  'SIGNATURE_INVALID',
  'UNSAFE_ARCHIVE',
  'ARCHIVE_TOO_LARGE',
  'BACKUP_CORRUPT',
  'BACKUP_NOT_FOUND',
  'INSUFFICIENT_SPACE',
  'UPDATE_IN_PROGRESS',
  'COMMAND_FAILED',
  'HEALTH_CHECK_FAILED',
  'UNSUPPORTED',
  'CANCELLED',
  'REDIRECT_REFUSED',
  /** The component is held at its installed version: release the hold, or force the update. */
  'UPDATE_HELD',
  /** A component's `token_env` names an environment variable that is not set. */
  'CREDENTIAL_MISSING',
  /** A run or restore a killed process left could not be finished or undone; it is kept as found (the message says what to do). */
  'RECOVERY_FAILED',
  /** A remote host (`upkeep host`, `--on`) could not be reached: ssh failed, or Upkeep is not installed there. */
  'HOST_UNREACHABLE',
  /** The connection to a remote host dropped while a request was open (an update there runs on). */
  'HOST_DISCONNECTED',
  /** The host's key is not in known_hosts: check the fingerprint (details.fingerprint), then add it yourself. */
  'HOST_KEY_UNKNOWN',
  /** The host's key differs from known_hosts: refused (details.fingerprint is what the host sent). */
  'HOST_KEY_CHANGED',
  /** ssh reached the host but no key was accepted (BatchMode: no password prompts). */
  'HOST_AUTH_FAILED',
  /** A cancel came after the update's commit point: it finishes as it is (the message says so). */
  'CANCEL_TOO_LATE',
  /** A state file in the data directory (holds, history, a run journal, a cache) is damaged; kept as found or aside, never emptied (the message says what to do). */
  'STATE_CORRUPT',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The shape every error takes when it crosses a boundary (IPC, HTTP, CLI --json). */
export interface ErrorShape {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  /** What would resolve it, as an action id (`force_update`, `release_hold`, …): each host words it (the CLI its flag, the panel its button). */
  action?: ErrorAction;
}

/** Actions an error can point at; hosts map each to their own words (docs/ARCHITECTURE.md, "Logging and errors"). */
export const ERROR_ACTIONS = [
  'force_update',
  'release_hold',
  'unskip_version',
  'roll_back',
  'restore_backup',
  'update_without_backup',
  'check_again',
  'set_github_token',
  'replace_component',
  'add_host',
  'host_history',
] as const;
export type ErrorAction = (typeof ERROR_ACTIONS)[number];

export class UpkeepError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  readonly action?: ErrorAction;

  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown; action?: ErrorAction },
  ) {
    super(message, options);
    this.name = 'UpkeepError';
    this.code = code;
    if (details !== undefined) this.details = details;
    if (options?.action !== undefined) this.action = options.action;
  }

  toJSON(): ErrorShape {
    return toErrorShape(this);
  }
}

export function isErrorShape(value: unknown): value is ErrorShape {
  if (typeof value !== 'object' || value === null || !('code' in value) || !('message' in value)) return false;
  const { code, message } = value;
  return typeof code === 'string' && ERROR_CODES.some((c) => c === code) && typeof message === 'string';
}

/** Any thrown value to the wire shape. Unknown errors become INTERNAL without leaking stacks. */
export function toErrorShape(error: unknown): ErrorShape {
  if (error instanceof UpkeepError) {
    const shape: ErrorShape = { code: error.code, message: error.message };
    if (error.details !== undefined) shape.details = error.details;
    if (error.action !== undefined) shape.action = error.action;
    return shape;
  }
  if (isErrorShape(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: 'INTERNAL',
    message: `Unexpected error: ${message}. This is a bug in Upkeep; please report it with the log.`,
  };
}

/** Back from the wire shape to a throwable, for clients (renderer, CLI over HTTP). */
export function fromErrorShape(shape: ErrorShape): UpkeepError {
  return new UpkeepError(shape.code, shape.message, shape.details, shape.action ? { action: shape.action } : undefined);
}
