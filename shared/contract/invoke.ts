import type { z } from 'zod';
import { UpkeepError } from '../errors';
import { methods, type ApiImplementation, type CallContext, type MethodName, type ResponseOf } from './index';
import { describeUnsafe, findUnsafeValue } from './plain-data';

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

/**
 * A union none of whose forms matched: when exactly one form got past its own top level (its
 * mistakes are in its keys), those mistakes say more than "must be one of …".
 */
function unionDetail(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || !Array.isArray(issue.errors)) return [issue];
  const nested = issue.errors.filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
  const [only] = nested;
  if (nested.length !== 1 || only === undefined) return [issue];
  return only.map((i) => ({ ...i, path: [...issue.path, ...i.path] }));
}

/** Turn zod issues into one message naming each field, e.g. `components.web.user: is required`. */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix?: string,
): { message: string; fields: string[] } {
  const parts: string[] = [];
  const fields: string[] = [];
  for (const issue of issues.flatMap(unionDetail).slice(0, 10)) {
    const field = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
    fields.push(field || '(request)');
    parts.push(field ? `${field}: ${issue.message}` : issue.message);
  }
  if (issues.length > 10) parts.push(`… and ${issues.length - 10} more`);
  return { message: parts.join('; '), fields };
}

/**
 * The one entry point every host uses: checks the method name, validates the request against its
 * schema, enforces read-only callers, then calls the implementation.
 */
export async function invokeMethod(
  api: ApiImplementation,
  method: unknown,
  request: unknown,
  ctx: CallContext,
): Promise<ResponseOf<MethodName>> {
  const { name, params } = checkRequest(method, request, ctx);
  const impl = api[name] as (req: unknown, c: CallContext) => Promise<ResponseOf<MethodName>>;
  return impl(params, ctx);
}

/**
 * What invokeMethod checks before it calls: the method name, read-only callers, unsafe values and
 * the request's schema. Returns the validated request (also what is forwarded to a remote host).
 */
export function checkRequest(
  method: unknown,
  request: unknown,
  ctx: CallContext,
): { name: MethodName; params: unknown } {
  if (!isMethodName(method)) {
    throw new UpkeepError(
      'UNKNOWN_METHOD',
      `Unknown method "${String(method).slice(0, 80)}". See shared/contract for the methods Upkeep offers.`,
    );
  }
  const def = methods[method];
  if (def.mutates && ctx.readOnly) {
    throw new UpkeepError(
      'FORBIDDEN',
      `"${method}" changes state and this connection is read-only. Use the full access token to make changes.`,
    );
  }
  // Before the schema: it would drop a `__proto__` key silently (and IPC can carry a cycle).
  const unsafe = findUnsafeValue(request, { protoKeys: true });
  if (unsafe) {
    const { field, message } = describeUnsafe(unsafe);
    throw new UpkeepError('INVALID_REQUEST', `Invalid request for ${method}: ${message}`, { fields: [field] });
  }
  const parsed = def.request.safeParse(request ?? {});
  if (!parsed.success) {
    const { message, fields } = describeIssues(parsed.error.issues);
    throw new UpkeepError('INVALID_REQUEST', `Invalid request for ${method}: ${message}`, { fields });
  }
  return { name: method, params: parsed.data };
}
