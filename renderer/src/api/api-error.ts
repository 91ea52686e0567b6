import { isErrorShape, type ErrorCode, type ErrorShape } from '../../../shared/errors';
import { isRecord } from '../../../shared/guards';

/** An error from the engine, with its stable code: what the panel shows next to the message. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(shape: ErrorShape) {
    super(shape.message);
    this.name = 'ApiError';
    this.code = shape.code;
    this.details = shape.details;
  }

  toShape(): ErrorShape {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Anything thrown by a client call, as the error shape the panel renders. */
export function toErrorShape(error: unknown): ErrorShape {
  if (error instanceof ApiError) return error.toShape();
  if (isErrorShape(error)) {
    const shape: ErrorShape = { code: error.code, message: error.message };
    if ('details' in error && isRecord(error.details)) shape.details = error.details;
    return shape;
  }
  // A code this panel does not know (a host of another version): its message still shows.
  if (isRecord(error) && typeof error.code === 'string' && typeof error.message === 'string') {
    return { code: 'INTERNAL', message: error.message, details: { code: error.code } };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'NETWORK', message: `Could not reach Upkeep: ${message}` };
}

/** `details.fields` of an INVALID_CONFIG / INVALID_REQUEST error, e.g. `components.web.user`. */
export function errorFields(error: ErrorShape | null | undefined): string[] {
  const fields = error?.details?.fields;
  return Array.isArray(fields) ? fields.filter((f): f is string => typeof f === 'string') : [];
}
