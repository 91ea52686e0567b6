// The HTTP client's options, requests and answers (http-client.ts), apart so that its parts share them.

export interface GithubAuth {
  /** The GitHub API root the token belongs to (default https://api.github.com); read per request. */
  apiBase: string | (() => string);
  /** Read on every request so a token set in Settings applies at once. */
  token: () => string | undefined;
}

export interface HttpClientOptions {
  userAgent?: string;
  /** Folder for the persistent ETag/Last-Modified cache (`<home>/cache/http`); null keeps it in memory. */
  cacheDir?: string | null;
  connectTimeoutMs?: number;
  /** Longest silence while waiting for headers or between body chunks. */
  idleTimeoutMs?: number;
  /** Overall deadline of one request, redirects and body included. */
  deadlineMs?: number;
  maxResponseBytes?: number;
  /** Requests in flight at once, across all hosts. */
  concurrency?: number;
  github?: GithubAuth;
  /** Rate-limit waits up to this long are waited out; longer ones fail with RATE_LIMITED. */
  maxRateLimitWaitMs?: number;
  /** One line per request; never carries headers or credentials. */
  log?: (line: string) => void;
}

export type HttpAuth =
  { bearer: string } | { basic: { user: string; password: string } } | { header: string; value: string };

export interface HttpRequestOptions {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  /** Credentials for this request's origin only; dropped on any redirect to another origin, and after it. */
  auth?: HttpAuth;
  /** Use and fill the ETag/Last-Modified cache (default: true for GET). */
  conditional?: boolean;
  maxBytes?: number;
  deadlineMs?: number;
  /** Hosts (exact, or `*.example.org`) a redirect may lead to besides the request's own host. */
  allowRedirectHosts?: string[];
  /** Statuses handed back as data instead of thrown (e.g. 404 for "no release"). */
  acceptStatus?: number[];
  signal?: AbortSignal;
}

export interface HttpResponse {
  /** The final URL after redirects. */
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The body came from the cache after a 304 Not Modified. */
  fromCache: boolean;
  text(): string;
  json<T = unknown>(): T;
}

export interface HttpStats {
  requests: number;
  notModified: number;
  bytes: number;
}
