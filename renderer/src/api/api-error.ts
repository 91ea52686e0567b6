import type { ErrorCode, ErrorShape } from '../../../shared/errors';

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
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

/** Anything thrown by a client call, as the error shape the panel renders. */
export function toErrorShape(error: unknown): ErrorShape {
  if (error instanceof ApiError) return error.toShape();
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    const e = error as { code: unknown; message: unknown; details?: unknown };
    if (typeof e.code === 'string' && typeof e.message === 'string') {
      const shape: ErrorShape = { code: e.code as ErrorCode, message: e.message };
      if (typeof e.details === 'object' && e.details !== null) shape.details = e.details as Record<string, unknown>;
      return shape;
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'NETWORK', message: `Could not reach Upkeep: ${message}` };
}

/** `details.fields` of an INVALID_CONFIG / INVALID_REQUEST error, e.g. `components.web.user`. */
export function errorFields(error: ErrorShape | null | undefined): string[] {
  const fields = error?.details?.fields;
  return Array.isArray(fields) ? fields.filter((f): f is string => typeof f === 'string') : [];
}
