import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { UpkeepError, type ErrorAction } from '../../../shared/errors';
import { HostBudget } from './host-budget';
import type { HttpAuth, HttpClientOptions, HttpRequestOptions, HttpResponse, HttpStats } from './http-types';
import {
  budgetKey,
  discard,
  formatBytes,
  followRedirect,
  lowerHeaders,
  readBody,
  redactUrl,
  sleepWithSignal,
  startedOn,
  statusError,
  toResponse,
  transportError,
} from './http-wire';
import { Semaphore, SingleFlight } from './limiter';
import { keptHeaders, ResponseCache, type CachedResponse } from './response-cache';
import { toBuffer } from '../lib/chunk';

// The client's types and wire-level helpers live in http-types.ts and http-wire.ts; this module
// re-exports them so `net/http-client` stays the one import.
export type {
  GithubAuth,
  HttpAuth,
  HttpClientOptions,
  HttpRequestOptions,
  HttpResponse,
  HttpStats,
} from './http-types';
export { redactUrl } from './http-wire';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * Upkeep's HTTP client (undici): connect/idle timeouts and an overall deadline, response-size caps,
 * redirects only to http(s) on the same or allowed hosts, a persistent ETag/Last-Modified cache
 * (a 304 reuses the cached answer), a per-host budget honouring rate-limit headers, Retry-After and
 * GitHub's secondary limits, the GitHub token sent only to its own API host and never logged,
 * bounded concurrency, and single-flight for identical GETs.
 */
export class HttpClient {
  readonly budget: HostBudget;
  readonly cache: ResponseCache;
  readonly stats: HttpStats = { requests: 0, notModified: 0, bytes: 0 };
  private readonly dispatcher: Agent;
  private readonly semaphore: Semaphore;
  private readonly flights = new SingleFlight<HttpResponse>();
  private readonly opts: Required<Omit<HttpClientOptions, 'github' | 'log' | 'cacheDir'>> &
    Pick<HttpClientOptions, 'github' | 'log'>;

  constructor(options: HttpClientOptions = {}) {
    this.opts = {
      userAgent: options.userAgent ?? 'Upkeep (https://github.com/upkeep)',
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      deadlineMs: options.deadlineMs ?? 60_000,
      maxResponseBytes: options.maxResponseBytes ?? 32 * 1024 * 1024,
      concurrency: options.concurrency ?? 8,
      maxRateLimitWaitMs: options.maxRateLimitWaitMs ?? 10_000,
      github: options.github,
      log: options.log,
    };
    this.dispatcher = new Agent({
      connect: { timeout: this.opts.connectTimeoutMs },
      headersTimeout: this.opts.idleTimeoutMs,
      bodyTimeout: this.opts.idleTimeoutMs,
      keepAliveTimeout: 4_000,
      connections: Math.max(this.opts.concurrency, 8),
    });
    this.semaphore = new Semaphore(this.opts.concurrency);
    this.budget = new HostBudget();
    this.cache = new ResponseCache(options.cacheDir ?? null);
  }

  private readonly pending = new Set<Promise<void>>();

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Wait until cache entries being written are on disk. */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    await this.settle();
    await this.dispatcher.close();
  }

  /** Whether a URL is under the configured GitHub API root (the only place the token goes). */
  isGithubApi(url: string): boolean {
    const gh = this.opts.github;
    if (!gh) return false;
    try {
      const base = new URL(typeof gh.apiBase === 'function' ? gh.apiBase() : gh.apiBase);
      const u = new URL(url);
      const prefix = base.pathname.replace(/\/+$/, '');
      return (
        u.protocol === base.protocol &&
        u.host === base.host &&
        (prefix === '' || u.pathname === prefix || u.pathname.startsWith(`${prefix}/`))
      );
    } catch {
      // An unparsable URL or API root is not GitHub: no token is sent.
      return false;
    }
  }

  /** Whether a request to this URL carries the GitHub token (a token is set and the URL is where it belongs). */
  sendsGithubToken(url: string): boolean {
    return Boolean(this.opts.github?.token()) && this.isGithubApi(url);
  }

  /** A GET answered as JSON. */
  async getJson<T = unknown>(
    url: string,
    options: Omit<HttpRequestOptions, 'method' | 'body'> = {},
  ): Promise<{ data: T; response: HttpResponse }> {
    const response = await this.request(url, {
      ...options,
      headers: { accept: 'application/json', ...(options.headers ?? {}) },
    });
    return { data: response.json<T>(), response };
  }

  async request(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
    const method = options.method ?? 'GET';
    const authScope = this.authScope(url, options);
    if (method === 'GET' && options.body === undefined) {
      const key = `${authScope}|${JSON.stringify(options.headers ?? {})}|${options.maxBytes ?? ''}|${(options.acceptStatus ?? []).join(',')}|${options.conditional ?? ''}|${url}`;
      return this.flights.run(key, () => this.requestWithBudget(url, method, options, authScope));
    }
    return this.requestWithBudget(url, method, options, authScope);
  }

  /** Who is asking, for cache and single-flight keys: answers for one credential never serve another. */
  private authScope(url: string, options: HttpRequestOptions): string {
    if (options.auth)
      return `auth:${createHash('sha256').update(JSON.stringify(options.auth)).digest('hex').slice(0, 16)}`;
    return this.isGithubApi(url) && this.opts.github?.token() ? 'github-token' : 'anonymous';
  }

  private async requestWithBudget(
    url: string,
    method: string,
    options: HttpRequestOptions,
    authScope: string,
  ): Promise<HttpResponse> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UpkeepError(
        'INVALID_CONFIG',
        `"${url.slice(0, 200)}" is not a valid URL. Check the component's URL settings.`,
      );
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new UpkeepError(
        'INVALID_CONFIG',
        `Only http and https URLs can be fetched, not ${parsed.protocol} (${redactUrl(url)}).`,
      );
    }
    const deadlineMs = options.deadlineMs ?? this.opts.deadlineMs;
    const deadline = AbortSignal.timeout(deadlineMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    const conditional = options.conditional ?? method === 'GET';
    const cacheKey = conditional ? ResponseCache.key(method, url, authScope) : undefined;

    for (let attempt = 0; ; attempt++) {
      const host = budgetKey(parsed);
      const wait = this.budget.reserve(host);
      if (wait > 0) {
        if (wait > this.opts.maxRateLimitWaitMs || attempt >= 3)
          throw this.budget.rateLimitedError(host, wait, this.rateHint(url), this.rateAction(url));
        await sleepWithSignal(wait, signal, deadlineMs, url);
        continue;
      }
      let outcome: { response: HttpResponse; retryAfterMs?: number };
      try {
        outcome = await this.semaphore.run(() => this.send(url, method, options, cacheKey, signal, deadlineMs));
      } finally {
        this.budget.release(host);
      }
      if (outcome.retryAfterMs === undefined) return outcome.response;
      // Rate limited with a wait: wait it out when short, else say when to come back.
      if (outcome.retryAfterMs > this.opts.maxRateLimitWaitMs || attempt >= 2) {
        throw this.budget.rateLimitedError(host, outcome.retryAfterMs, this.rateHint(url), this.rateAction(url));
      }
    }
  }

  private rateHint(url: string): string {
    if (this.rateAction(url)) return 'Add a GitHub token in the settings for a higher limit, or check later.';
    return 'Upkeep will not ask again before then; check later.';
  }

  /** What lifts the limit: a GitHub token, when the API is GitHub's and none is set (each host words it). */
  private rateAction(url: string): ErrorAction | undefined {
    return this.isGithubApi(url) && !this.opts.github?.token() ? 'set_github_token' : undefined;
  }

  /** One request including redirects. Returns the response, or a wait when rate limited. */
  private async send(
    startUrl: string,
    method: string,
    options: HttpRequestOptions,
    cacheKey: string | undefined,
    signal: AbortSignal,
    deadlineMs: number,
  ): Promise<{ response: HttpResponse; retryAfterMs?: number }> {
    const startHost = new URL(startUrl).host;
    const onStart = startedOn(startUrl);
    const cached = cacheKey ? await this.cache.get(cacheKey) : undefined;
    let url = startUrl;
    const maxBytes = options.maxBytes ?? this.opts.maxResponseBytes;
    for (let hop = 0; ; hop++) {
      const current = new URL(url);
      // Compressed answers: an npm packument is 20 MB as JSON and under 1 MB gzipped.
      const headers: Record<string, string> = {
        'user-agent': this.opts.userAgent,
        'accept-encoding': 'gzip, br',
        ...(options.headers ?? {}),
      };
      if (onStart(url)) this.addAuth(headers, url, options.auth);
      if (hop === 0 && cached) {
        if (cached.etag) headers['if-none-match'] = cached.etag;
        if (cached.last_modified) headers['if-modified-since'] = cached.last_modified;
      }
      const started = Date.now();
      let res: Dispatcher.ResponseData;
      try {
        this.stats.requests++;
        res = await undiciRequest(url, {
          method: method as Dispatcher.HttpMethod,
          headers,
          body: options.body,
          dispatcher: this.dispatcher,
          signal,
        });
      } catch (error) {
        throw transportError(error, url, signal, deadlineMs);
      }
      const resHeaders = lowerHeaders(res.headers as Record<string, string | string[] | undefined>);
      const status = res.statusCode;

      if (REDIRECTS.has(status) && resHeaders.location) {
        // Draining a redirect body: a reset connection is irrelevant, the Location is what matters.
        await res.body.dump().catch(() => undefined);
        const next = followRedirect(url, resHeaders.location, startHost, options.allowRedirectHosts ?? [], 'check');
        if (hop >= MAX_REDIRECTS)
          throw new UpkeepError(
            'UPSTREAM_ERROR',
            `${redactUrl(startUrl)} redirected more than ${MAX_REDIRECTS} times.`,
          );
        url = next.href;
        continue;
      }

      if (status === 304 && cached) {
        // Draining a 304 body (normally empty): the cached answer is used either way.
        await res.body.dump().catch(() => undefined);
        this.stats.notModified++;
        this.budget.observe(budgetKey(current), status, resHeaders);
        this.log(`${method} ${redactUrl(url)} 304 (cached) ${Date.now() - started}ms`);
        return {
          response: toResponse(
            cached.url,
            cached.status,
            { ...cached.headers, ...resHeaders },
            Buffer.from(cached.body, 'utf8'),
            true,
          ),
        };
      }

      const body = await readBody(res, url, maxBytes, resHeaders, signal, deadlineMs);
      this.stats.bytes += body.length;
      const text = status >= 400 ? body.toString('utf8') : undefined;
      this.budget.observe(budgetKey(current), status, resHeaders, text);
      this.log(`${method} ${redactUrl(url)} ${status} ${Date.now() - started}ms`);

      if (status >= 200 && status < 300) {
        if (cacheKey && (resHeaders.etag || resHeaders['last-modified'])) {
          const entry: CachedResponse = {
            url,
            status,
            headers: keptHeaders(resHeaders),
            body: body.toString('utf8'),
            stored_at: new Date().toISOString(),
          };
          if (resHeaders.etag) entry.etag = resHeaders.etag;
          if (resHeaders['last-modified']) entry.last_modified = resHeaders['last-modified'];
          // Off the request's path: the memory copy is set at once, the disk copy follows.
          this.track(this.cache.set(cacheKey, entry));
        }
        return { response: toResponse(url, status, resHeaders, body, false) };
      }
      if (options.acceptStatus?.includes(status)) return { response: toResponse(url, status, resHeaders, body, false) };
      if (this.budget.isRateLimited(status, resHeaders, text)) {
        // Refused without a wait we could learn: retry after a second.
        const wait = this.budget.waitMs(budgetKey(current)) || 1000;
        return { response: toResponse(url, status, resHeaders, body, false), retryAfterMs: wait };
      }
      throw statusError(status, url, text ?? '');
    }
  }

  private addAuth(headers: Record<string, string>, url: string, auth: HttpAuth | undefined): void {
    if (auth) {
      if ('bearer' in auth) headers.authorization = `Bearer ${auth.bearer}`;
      else if ('basic' in auth)
        headers.authorization = `Basic ${Buffer.from(`${auth.basic.user}:${auth.basic.password}`).toString('base64')}`;
      else headers[auth.header.toLowerCase()] = auth.value;
      return;
    }
    if (this.isGithubApi(url)) {
      const token = this.opts.github?.token();
      if (token) headers.authorization = `Bearer ${token}`;
      headers['x-github-api-version'] ??= '2022-11-28';
    }
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  /**
   * Stream a download to `file`, hashing it (sha256) on the way; removes the file on failure or
   * when `expectedSha256` does not match. Redirects follow the same rules as requests.
   */
  async download(
    url: string,
    file: string,
    options: {
      maxBytes?: number;
      expectedSha256?: string;
      auth?: HttpAuth;
      allowRedirectHosts?: string[];
      headers?: Record<string, string>;
      signal?: AbortSignal;
      deadlineMs?: number;
      onProgress?: (received: number, total: number | null) => void;
    } = {},
  ): Promise<{ sha256: string; size: number; url: string }> {
    const deadlineMs = options.deadlineMs ?? 30 * 60_000;
    const deadline = AbortSignal.timeout(deadlineMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    const maxBytes = options.maxBytes ?? 2 * 1024 * 1024 * 1024;
    const startHost = new URL(url).host;
    const onStart = startedOn(url);
    let current = url;
    return this.semaphore.run(async () => {
      for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
        const headers: Record<string, string> = { 'user-agent': this.opts.userAgent, ...(options.headers ?? {}) };
        if (onStart(current)) this.addAuth(headers, current, options.auth);
        let res: Dispatcher.ResponseData;
        try {
          this.stats.requests++;
          res = await undiciRequest(current, { method: 'GET', headers, dispatcher: this.dispatcher, signal });
        } catch (error) {
          throw transportError(error, current, signal, deadlineMs);
        }
        const resHeaders = lowerHeaders(res.headers as Record<string, string | string[] | undefined>);
        if (REDIRECTS.has(res.statusCode) && resHeaders.location) {
          // Draining a redirect body: a reset connection is irrelevant, the Location is what matters.
          await res.body.dump().catch(() => undefined);
          const next = followRedirect(
            current,
            resHeaders.location,
            startHost,
            options.allowRedirectHosts ?? [],
            'download',
          );
          current = next.href;
          continue;
        }
        if (res.statusCode < 200 || res.statusCode >= 300) {
          const body = (await res.body.text().catch(() => '')).slice(0, 2000);
          throw statusError(res.statusCode, current, body);
        }
        const total = Number(resHeaders['content-length']);
        if (Number.isFinite(total) && total > maxBytes) {
          discard(res.body);
          throw new UpkeepError(
            'RESPONSE_TOO_LARGE',
            `${redactUrl(current)} is ${formatBytes(total)}, more than the ${formatBytes(maxBytes)} allowed.`,
          );
        }
        const hash = createHash('sha256');
        const out = createWriteStream(file, { mode: 0o600 });
        let size = 0;
        try {
          for await (const chunk of res.body) {
            const buf = toBuffer(chunk);
            size += buf.length;
            if (size > maxBytes)
              throw new UpkeepError(
                'RESPONSE_TOO_LARGE',
                `${redactUrl(current)} sent more than ${formatBytes(maxBytes)}; the download was stopped.`,
              );
            hash.update(buf);
            if (!out.write(buf)) await new Promise<void>((resolve) => out.once('drain', resolve));
            options.onProgress?.(size, Number.isFinite(total) ? total : null);
          }
          await new Promise<void>((resolve, reject) =>
            out.end((err?: Error | null) => (err ? reject(err) : resolve())),
          );
        } catch (error) {
          discard(res.body);
          out.destroy();
          // Removed only once closed: destroyed while still opening, the file would appear after the rm.
          if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
          await rm(file, { force: true });
          throw error instanceof UpkeepError ? error : transportError(error, current, signal, deadlineMs);
        }
        this.stats.bytes += size;
        const sha256 = hash.digest('hex');
        if (options.expectedSha256 && options.expectedSha256.toLowerCase() !== sha256) {
          await rm(file, { force: true });
          throw new UpkeepError(
            'CHECKSUM_MISMATCH',
            `The download from ${redactUrl(current)} has sha256 ${sha256}, not the expected ${options.expectedSha256.toLowerCase()}. It was deleted; try again, and report it if it persists.`,
            { expected: options.expectedSha256, actual: sha256 },
          );
        }
        return { sha256, size, url: current };
      }
      throw new UpkeepError('UPSTREAM_ERROR', `${redactUrl(url)} redirected more than ${MAX_REDIRECTS} times.`);
    });
  }
}
