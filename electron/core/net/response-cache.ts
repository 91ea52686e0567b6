import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { logger } from '../lib/log';
import { parseState } from '../lib/state-file';
import { errnoCode } from '../lib/error-info';

const log = logger('net.response-cache');

/** A cached answer with its validators; a 304 reuses it. */
export interface CachedResponse {
  url: string;
  etag?: string;
  last_modified?: string;
  status: number;
  /** The headers worth keeping (link for pagination, content-type). */
  headers: Record<string, string>;
  body: string;
  stored_at: string;
}

const cachedResponseSchema = z.object({
  url: z.string(),
  etag: z.string().optional(),
  last_modified: z.string().optional(),
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
  stored_at: z.string(),
}) satisfies z.ZodType<CachedResponse>;

const KEPT_HEADERS = ['content-type', 'link', 'x-next-page', 'x-total', 'x-total-pages'];
const MAX_CACHED_BODY = 8 * 1024 * 1024;

export function keptHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of KEPT_HEADERS) {
    const value = headers[k];
    if (value !== undefined) out[k] = value;
  }
  return out;
}

/**
 * The ETag / Last-Modified cache, in memory and (when a folder is given) on disk under
 * `<home>/cache/http/`, one file per request key, written atomically. Keys never contain
 * credentials: they are hashes of method, URL and whether the request was authenticated.
 */
export class ResponseCache {
  private readonly memory = new Map<string, CachedResponse | null>();
  private dirReady = false;

  constructor(private readonly dir: string | null) {}

  static key(method: string, url: string, authScope: string): string {
    return createHash('sha256').update(`${method} ${url} ${authScope}`).digest('hex');
  }

  private file(key: string): string | null {
    return this.dir ? path.join(this.dir, `${key}.json`) : null;
  }

  async get(key: string): Promise<CachedResponse | undefined> {
    if (this.memory.has(key)) return this.memory.get(key) ?? undefined;
    const file = this.file(key);
    if (!file) return undefined;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // Not cached (ENOENT), or unreadable: either way the request goes out without validators.
      if (errnoCode(error) !== 'ENOENT')
        log.warn('an HTTP cache entry cannot be read; the request is sent without it', { file, error });
      this.memory.set(key, null);
      return undefined;
    }
    const parsed = parseState(text, cachedResponseSchema);
    if (!parsed.ok) {
      // A cache: the answer is fetched again and the entry replaced.
      log.warn('an HTTP cache entry is damaged; the request is sent without it', { file, reason: parsed.reason });
      this.memory.set(key, null);
      return undefined;
    }
    this.memory.set(key, parsed.value);
    return parsed.value;
  }

  async set(key: string, entry: CachedResponse): Promise<void> {
    if (entry.body.length > MAX_CACHED_BODY) return;
    this.memory.set(key, entry);
    const file = this.file(key);
    if (!file) return;
    try {
      // Atomic (temp file + rename) but without fsync: a cache entry lost in a crash is refetched.
      if (!this.dirReady) {
        await mkdir(path.dirname(file), { recursive: true });
        this.dirReady = true;
      }
      const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(tmp, JSON.stringify(entry), { mode: 0o600 });
      await rename(tmp, file);
    } catch (error) {
      // The cache is an optimisation: a full disk must not fail a check.
      log.warn('an HTTP cache entry could not be written; the answer stands', { file, error });
    }
  }

  async delete(key: string): Promise<void> {
    this.memory.delete(key);
    const file = this.file(key);
    if (file) await rm(file, { force: true });
  }

  /**
   * Remove disk entries not written for `maxAgeMs` (answers for components no longer tracked, or
   * leftovers of interrupted writes). Returns how many files went.
   */
  async prune(maxAgeMs: number): Promise<number> {
    if (!this.dir) return 0;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      // No cache folder yet: nothing to prune.
      if (errnoCode(error) !== 'ENOENT')
        log.warn('the HTTP cache folder cannot be read; nothing pruned', { dir: this.dir, error });
      return 0;
    }
    const cutoff = Date.now() - maxAgeMs;
    let removed = 0;
    for (const name of names) {
      if (!name.endsWith('.json') && !name.endsWith('.tmp')) continue;
      const file = path.join(this.dir, name);
      try {
        if ((await stat(file)).mtimeMs < cutoff) {
          await rm(file, { force: true });
          this.memory.delete(name.replace(/\.json$/, ''));
          removed++;
        }
      } catch (error) {
        // Gone already (another process pruned it): nothing lost.
        if (errnoCode(error) !== 'ENOENT') log.warn('an HTTP cache entry could not be pruned', { file, error });
      }
    }
    return removed;
  }

  /** Forget the in-memory copies (the disk copies stay): used by tests and the benchmark. */
  dropMemory(): void {
    this.memory.clear();
  }
}
