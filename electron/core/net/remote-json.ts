import type { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import { redactUrl, type HttpClient, type HttpRequestOptions, type HttpResponse } from './http-client';

/**
 * A JSON answer parsed with a schema, like every state file: an answer of another shape is
 * PARSE_ERROR naming what was expected and where it differs, never a value typed by assertion.
 * Schemas are loose objects (unknown fields pass) and tolerate optional fields of another type
 * with `.catch`, so only what the caller relies on can fail a check.
 */
export async function getJsonAs<S extends z.ZodType>(
  http: HttpClient,
  url: string,
  schema: S,
  expected: string,
  options: Omit<HttpRequestOptions, 'method' | 'body'> = {},
  advice = "Check the component's URL settings.",
): Promise<{ data: z.output<S>; response: HttpResponse }> {
  const { data, response } = await http.getJson<unknown>(url, options);
  const parsed = parseAs(data, schema);
  if (parsed.ok) return { data: parsed.value, response };
  throw new UpkeepError(
    'PARSE_ERROR',
    `${redactUrl(url)} did not answer with ${expected} (${parsed.reason}). ${advice}`,
    { url: redactUrl(url) },
  );
}

/** An answer already read as JSON (a POST, an answer with an accepted error status) checked with a schema: its value, or why not. */
export function parseAs<S extends z.ZodType>(
  data: unknown,
  schema: S,
): { ok: true; value: z.output<S> } | { ok: false; reason: string } {
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, reason: `${issue?.message ?? 'unexpected shape'}${where}` };
}
