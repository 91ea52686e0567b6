import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import type { HttpResponse } from './http-types';
import { causeCode, errnoCode, errorMessage } from '../lib/error-info';
import { toBuffer } from '../lib/chunk';
import { isRecord } from '../../../shared/guards';

// The HTTP client's wire-level parts (http-client.ts): headers, bodies, redirects' credentials,
// and the errors a failed request becomes.

export function lowerHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * The budget a request spends: its host's, except GitHub's GraphQL endpoint, whose rate limit is
 * counted apart from REST's (`x-ratelimit-resource: graphql`), so running out of one leaves the other.
 */
export function budgetKey(url: URL): string {
  return url.pathname.endsWith('/graphql') ? `${url.host} (GraphQL)` : url.host;
}

/** Content-Encodings API answers are decoded from (asked for with Accept-Encoding); identity passes through. */
const DECODERS: Record<string, (body: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/** A URL safe to show: no credentials, no query (tokens sometimes ride there). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    // Not a URL: shown as such, never as the raw text (it may hold a token).
    return '(invalid URL)';
  }
}

export function hostMatches(host: string, patterns: string[]): boolean {
  return patterns.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) || host === p.slice(2) : host === p));
}

/**
 * Where a redirect from `from` to `location` leads, refused with REDIRECT_REFUSED when it is not
 * http or https, goes from https to plain http, or leaves `startHost` (the first request's) for a
 * host `allowHosts` does not name. `what` is the request's kind, as the message says it.
 */
export function followRedirect(
  from: string,
  location: string,
  startHost: string,
  allowHosts: string[],
  what: 'check' | 'download',
): URL {
  const next = new URL(location, from);
  const refuse = (why: string) =>
    new UpkeepError('REDIRECT_REFUSED', `${redactUrl(from)} redirected ${why}`, { location: redactUrl(next.href) });
  if (next.protocol !== 'http:' && next.protocol !== 'https:')
    throw refuse(`to a ${next.protocol} URL; Upkeep only follows http and https.`);
  if (new URL(from).protocol === 'https:' && next.protocol === 'http:')
    throw refuse(`from https to plain http (${redactUrl(next.href)}); Upkeep does not follow a downgrade.`);
  if (next.host !== startHost && !hostMatches(next.hostname, allowHosts) && !hostMatches(next.host, allowHosts)) {
    const hint = what === 'check' ? ' If that host is right, use it as the URL directly.' : '';
    throw refuse(`to another host (${next.host}), which this ${what} does not trust.${hint}`);
  }
  return next;
}

/** The words an API's error body carries (`message`, `detail`, `error` or `error.message`); any other field of another type reads as absent. */
const words = z.string().optional().catch(undefined);
const upstreamErrorSchema = z.looseObject({
  message: words,
  detail: words,
  error: z
    .union([z.string(), z.looseObject({ message: words })])
    .optional()
    .catch(undefined),
});

function upstreamMessage(body: string): string {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    // Not JSON (an HTML error page, plain text): its text is the message.
    raw = undefined;
  }
  const parsed = upstreamErrorSchema.safeParse(raw);
  if (parsed.success) {
    const { message, detail, error } = parsed.data;
    const m = message ?? detail ?? (typeof error === 'string' ? error : error?.message);
    if (m !== undefined) return m.slice(0, 200);
  }
  return body.replace(/\s+/g, ' ').trim().slice(0, 120);
}

export function toResponse(
  url: string,
  status: number,
  headers: Record<string, string>,
  body: Buffer,
  fromCache: boolean,
): HttpResponse {
  return {
    url,
    status,
    headers,
    body,
    fromCache,
    text: () => body.toString('utf8'),
    json: <T>() => {
      try {
        return JSON.parse(body.toString('utf8')) as T;
      } catch (error) {
        throw new UpkeepError(
          'PARSE_ERROR',
          `${redactUrl(url)} answered with invalid JSON (${errorMessage(error)}). The server may be misconfigured or not the API expected; check the URL.`,
          { url: redactUrl(url) },
        );
      }
    },
  };
}

/**
 * Whether a hop may carry credentials: it is on the origin (scheme, host, port) the request started
 * on, and no hop before it left that origin (a redirect elsewhere and back never brings them along).
 */
export function startedOn(startUrl: string): (url: string) => boolean {
  const origin = new URL(startUrl).origin;
  let stayed = true;
  return (url) => {
    stayed = stayed && new URL(url).origin === origin;
    return stayed;
  };
}

/** Stop reading a body; the abort it causes is expected, not an error to surface. */
export function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round(n / (1024 * 1024))} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} bytes`;
}

export async function sleepWithSignal(ms: number, signal: AbortSignal, deadlineMs: number, url: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  }).catch((reason: { name?: string }) => {
    if (reason?.name === 'TimeoutError')
      throw new UpkeepError(
        'TIMEOUT',
        `Waiting for ${redactUrl(url)}'s rate limit took longer than ${Math.round(deadlineMs / 1000)} s.`,
      );
    throw new UpkeepError('CANCELLED', `The request to ${redactUrl(url)} was cancelled.`);
  });
}

/** Read a whole answer body within the size cap, decoded (gzip, deflate, br) within the same cap. */
export async function readBody(
  res: Dispatcher.ResponseData,
  url: string,
  maxBytes: number,
  headers: Record<string, string>,
  signal: AbortSignal,
  deadlineMs: number,
): Promise<Buffer> {
  const declared = Number(headers['content-length']);
  const tooLarge = () =>
    new UpkeepError(
      'RESPONSE_TOO_LARGE',
      `${redactUrl(url)} sent more than ${formatBytes(maxBytes)}; Upkeep stopped reading. The URL may point at the wrong resource.`,
      { url: redactUrl(url), limit: maxBytes },
    );
  if (Number.isFinite(declared) && declared > maxBytes) {
    discard(res.body);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const raw of res.body) {
      const chunk = toBuffer(raw);
      size += chunk.length;
      if (size > maxBytes) {
        discard(res.body);
        throw tooLarge();
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof UpkeepError) throw error;
    throw transportError(error, url, signal, deadlineMs);
  }
  const body = Buffer.concat(chunks, size);
  const decode = DECODERS[(headers['content-encoding'] ?? '').trim().toLowerCase()];
  if (!decode) return body;
  try {
    // The size cap holds for what the body decodes to as well: a small bomb is refused as large.
    return await decode(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if (errnoCode(error) === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    throw new UpkeepError(
      'PARSE_ERROR',
      `${redactUrl(url)} sent a ${headers['content-encoding']} body that does not decode (${errorMessage(error)}). Try again later; the server or a proxy may be at fault.`,
      { url: redactUrl(url) },
    );
  }
}

/** What a failed request is, said so a person can act on it (never with credentials or a query). */
export function transportError(error: unknown, url: string, signal: AbortSignal, deadlineMs: number): UpkeepError {
  if (error instanceof UpkeepError) return error;
  const code = errnoCode(error) ?? causeCode(error);
  const where = redactUrl(url);
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (isRecord(reason) && reason.name === 'TimeoutError')
      return new UpkeepError(
        'TIMEOUT',
        `${where} did not answer completely within ${Math.round(deadlineMs / 1000)} s. The server is slow or unreachable; try again later.`,
        { url: where },
      );
    return new UpkeepError('CANCELLED', `The request to ${where} was cancelled.`, { url: where });
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new UpkeepError(
      'TIMEOUT',
      `${where} stopped responding (${code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connect' : 'idle'} timeout). Check the network or try again later.`,
      { url: where },
    );
  }
  return new UpkeepError(
    'NETWORK',
    `Cannot reach ${where}: ${code ?? (error instanceof Error ? error.message : 'network error')}. Check the network connection and the URL.`,
    { url: where, cause: code ?? (error instanceof Error ? error.name : undefined) },
  );
}

/** The error an HTTP status means, with what the server said when it said something short. */
export function statusError(status: number, url: string, body: string): UpkeepError {
  const where = redactUrl(url);
  const said = upstreamMessage(body);
  const detail = said ? ` (server said: ${said})` : '';
  if (status === 401)
    return new UpkeepError('UNAUTHORIZED', `${where} refused the credentials (401)${detail}. Check the token or key.`, {
      status,
      url: where,
    });
  if (status === 403)
    return new UpkeepError('FORBIDDEN', `${where} denied access (403)${detail}. Check the token's permissions.`, {
      status,
      url: where,
    });
  if (status === 404)
    return new UpkeepError(
      'NOT_FOUND',
      `${where} was not found (404)${detail}. Check the owner, repository or package name.`,
      { status, url: where },
    );
  if (status >= 500)
    return new UpkeepError(
      'UPSTREAM_ERROR',
      `${where} failed on the server side (${status})${detail}. Try again later.`,
      { status, url: where },
    );
  return new UpkeepError('UPSTREAM_ERROR', `${where} answered ${status}${detail}.`, { status, url: where });
}
