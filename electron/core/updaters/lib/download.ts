import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { UpkeepError } from '../../../../shared/errors';
import { credentialHops, type ScopedCredential } from '../../net/credentials';
import { causeCode, errnoCode, errorMessage } from '../../lib/error-info';

export interface DownloadOptions {
  headers?: Record<string, string>;
  /** Refuse bodies larger than this (default 2 GiB). */
  maxBytes?: number;
  /** Expected size (GitHub asset `size`): a shorter or longer body is refused. */
  expectedSize?: number;
  /** No response headers within this long → TIMEOUT (default 30 s). */
  headersTimeoutMs?: number;
  /** No body bytes within this long → TIMEOUT (default 60 s). */
  bodyTimeoutMs?: number;
  maxRedirects?: number;
  signal?: AbortSignal;
  onProgress?: (received: number, total: number | undefined) => void;
  /**
   * Sent only to hops on its origin, and only until a redirect leaves that origin (a token must
   * never follow a redirect to storage, nor come back with one).
   */
  credential?: ScopedCredential;
  /**
   * Read local paths and file: URLs (a URL the user typed into the config). Off by default: a
   * URL that came from a release feed must never make Upkeep read a file on this machine.
   */
  allowLocal?: boolean;
  /** Attempts after a connection dropped mid-body; each restarts from byte 0 and hashes anew (default 2). */
  retries?: number;
  onRetry?: (attempt: number, error: UpkeepError) => void;
}

export interface DownloadResult {
  file: string;
  size: number;
  sha256: string;
  finalUrl: string;
}

const DEFAULT_MAX = 2 * 1024 * 1024 * 1024;

/** True for http(s) URLs; local paths and file: URLs are read from disk. */
function isHttp(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/**
 * Download to `file`, hashing while streaming, with size caps and timeouts. The file is written
 * next to its final name and renamed only when complete: a truncated download never looks whole.
 */
export async function downloadFile(url: string, file: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const retries = Math.max(0, options.retries ?? 2);
  for (let attempt = 0; ; attempt++) {
    try {
      return await downloadOnce(url, file, options);
    } catch (error) {
      // Only a connection that broke (reset, cut off) is tried again, from the start: the bytes
      // are hashed anew and verified again, so a retry can never splice two bodies together.
      const retryable = error instanceof UpkeepError && error.code === 'NETWORK' && error.details?.retryable === true;
      if (!retryable || attempt >= retries || options.signal?.aborted) throw error;
      options.onRetry?.(attempt + 1, error);
    }
  }
}

async function downloadOnce(url: string, file: string, options: DownloadOptions): Promise<DownloadResult> {
  // A known size caps the body: an endless or oversized body is cut as soon as it passes it.
  const maxBytes = Math.min(
    options.maxBytes ?? DEFAULT_MAX,
    options.expectedSize !== undefined && options.expectedSize > 0 ? options.expectedSize : Infinity,
  );
  const partial = `${file}.part`;
  const hash = createHash('sha256');
  let received = 0;
  let total: number | undefined;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received > maxBytes) {
        done(
          new UpkeepError(
            'RESPONSE_TOO_LARGE',
            `The download from ${safeUrl(url)} is larger than ${maxBytes === options.expectedSize ? `the ${maxBytes} bytes the release lists` : `the ${Math.round(maxBytes / 1048576)} MiB limit`}; refusing it.`,
          ),
        );
        return;
      }
      hash.update(chunk);
      options.onProgress?.(received, total);
      done(null, chunk);
    },
  });
  let finalUrl = url;
  try {
    if (!isHttp(url)) {
      if (!options.allowLocal) {
        throw new UpkeepError(
          'REDIRECT_REFUSED',
          `Refusing to download ${safeUrl(url)}: only http and https URLs are fetched for a release.`,
          { url: safeUrl(url) },
        );
      }
      const source = url.startsWith('file:') ? new URL(url) : url;
      const { createReadStream } = await import('node:fs');
      total = (await fs.stat(source)).size;
      await pipeInto(createReadStream(source), counter, partial);
    } else {
      const { response, current } = await openFollowingRedirects(url, options);
      finalUrl = current;
      const length = response.headers['content-length'];
      if (typeof length === 'string' && /^\d+$/.test(length)) {
        total = Number(length);
        if (total > maxBytes) {
          await response.body.dump();
          throw new UpkeepError(
            'RESPONSE_TOO_LARGE',
            `The download from ${safeUrl(current)} is ${total} bytes, over the ${Math.round(maxBytes / 1048576)} MiB limit; refusing it.`,
          );
        }
      }
      try {
        await pipeInto(response.body, counter, partial);
      } catch (error) {
        if (error instanceof UpkeepError) throw error;
        const fsError = error as NodeJS.ErrnoException;
        if (fsError.syscall && fsError.path) {
          // Writing the file failed, not the network: say which folder and why (a full disk, permissions).
          throw new UpkeepError(
            'INTERNAL',
            `Could not write the download to ${path.dirname(fsError.path)}: ${fsError.code ?? fsError.message}. ${fsError.code === 'ENOSPC' ? 'Free some disk space.' : 'Check that folder.'}`,
            { path: fsError.path },
          );
        }
        throw networkError(error, current, received);
      }
      if (total !== undefined && received !== total) {
        throw new UpkeepError(
          'NETWORK',
          `The download from ${safeUrl(current)} was cut off at ${received} of ${total} bytes. Try again.`,
          { retryable: true },
        );
      }
    }
    if (options.expectedSize !== undefined && options.expectedSize > 0 && received !== options.expectedSize) {
      throw new UpkeepError(
        'NETWORK',
        `The download from ${safeUrl(url)} has ${received} bytes but the release lists ${options.expectedSize}: it is truncated or changed. Try again.`,
      );
    }
    await fs.rename(partial, file);
  } catch (error) {
    await fs.rm(partial, { force: true });
    throw error;
  }
  return { file, size: received, sha256: hash.digest('hex'), finalUrl };
}

/**
 * The GET of a release file, redirects followed (never to another scheme than http(s), never from
 * https down to http; the credential only to the hosts it belongs to), answered 200.
 */
async function openFollowingRedirects(
  url: string,
  options: DownloadOptions,
): Promise<{ response: Dispatcher.ResponseData; current: string }> {
  let current = url;
  let response;
  const hops = credentialHops(options.credential);
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = {
      'user-agent': 'Upkeep',
      accept: 'application/octet-stream',
      ...(options.headers ?? {}),
    };
    if (options.credential && hops.carries(current)) headers[options.credential.header] = options.credential.value;
    try {
      response = await request(current, {
        method: 'GET',
        headers,
        headersTimeout: options.headersTimeoutMs ?? 30_000,
        bodyTimeout: options.bodyTimeoutMs ?? 60_000,
        signal: options.signal,
      });
    } catch (error) {
      throw networkError(error, current);
    }
    if (response.statusCode >= 300 && response.statusCode < 400 && response.headers.location) {
      await response.body.dump();
      if (hop >= (options.maxRedirects ?? 5))
        throw new UpkeepError('NETWORK', `Too many redirects downloading ${safeUrl(url)}.`);
      const next = new URL(String(response.headers.location), current);
      if (next.protocol !== 'https:' && next.protocol !== 'http:')
        throw new UpkeepError(
          'REDIRECT_REFUSED',
          `The download of ${safeUrl(url)} redirected to a ${next.protocol} URL; refusing it.`,
          { location: safeUrl(next.toString()) },
        );
      // https → http would let anyone on the path swap the file (and see the token-less URL).
      if (new URL(current).protocol === 'https:' && next.protocol === 'http:') {
        throw new UpkeepError(
          'REDIRECT_REFUSED',
          `The download of ${safeUrl(url)} redirected from https to plain http (${safeUrl(next.toString())}); refusing it.`,
          { location: safeUrl(next.toString()) },
        );
      }
      current = next.toString();
      continue;
    }
    break;
  }
  if (response.statusCode !== 200) {
    await response.body.dump();
    const code =
      response.statusCode === 401
        ? 'UNAUTHORIZED'
        : response.statusCode === 403
          ? 'FORBIDDEN'
          : response.statusCode === 404
            ? 'NOT_FOUND'
            : 'UPSTREAM_ERROR';
    throw new UpkeepError(
      code,
      `Downloading ${safeUrl(current)} failed with HTTP ${response.statusCode}. Check that the release still exists${code === 'UNAUTHORIZED' || code === 'FORBIDDEN' ? ' and the token may read it' : ''}.`,
      { status: response.statusCode },
    );
  }
  return { response, current };
}

/**
 * pipeline() into a new file, settling only once the file is closed: a source that fails while
 * the file is still being opened would otherwise leave the file to appear after the caller
 * removed it (a `.part` left behind, seen with a connection reset at once).
 */
async function pipeInto(source: NodeJS.ReadableStream, counter: Transform, file: string): Promise<void> {
  const out = createWriteStream(file);
  try {
    await pipeline(source, counter, out);
  } finally {
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
  }
}

function networkError(error: unknown, url: string, received?: number): UpkeepError {
  if (error instanceof UpkeepError) return error;
  const code = errnoCode(error) ?? causeCode(error);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new UpkeepError(
      'TIMEOUT',
      `${safeUrl(url)} stopped answering${received ? ` after ${received} bytes` : ''}. Try again later.`,
    );
  }
  if (code === 'ECONNREFUSED')
    return new UpkeepError(
      'NETWORK',
      `Could not connect to ${new URL(url).host} (connection refused). Check that the server is up.`,
    );
  if (received !== undefined) {
    return new UpkeepError(
      'NETWORK',
      `The download from ${safeUrl(url)} was cut off after ${received} bytes (${code ?? errorMessage(error)}). Try again.`,
      { retryable: true },
    );
  }
  return new UpkeepError(
    'NETWORK',
    `Could not download ${safeUrl(url)}: ${code ?? errorMessage(error)}. Check the network and the URL.`,
  );
}

/** The URL without credentials or query (signed storage URLs carry tokens in the query). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    // Not a URL: returned as given (only used in messages after redaction).
    return url;
  }
}

/** Read a small text file (a checksum list, a signature) over HTTP with the same rules. */
export async function downloadText(url: string, file: string, options: DownloadOptions = {}): Promise<string> {
  await downloadFile(url, file, { maxBytes: 1024 * 1024, ...options });
  return fs.readFile(file, 'utf8');
}
