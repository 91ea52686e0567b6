export { HostBudget, parseRetryAfter } from './host-budget';
export {
  HttpClient,
  redactUrl,
  type GithubAuth,
  type HttpAuth,
  type HttpClientOptions,
  type HttpRequestOptions,
  type HttpResponse,
  type HttpStats,
} from './http-client';
export { mapBounded, Semaphore, SingleFlight } from './limiter';
export { ResponseCache, type CachedResponse } from './response-cache';
