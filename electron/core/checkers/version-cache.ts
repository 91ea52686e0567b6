import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isErrorShape, type ErrorShape } from '../../../shared/errors';
import type { CompareScheme } from '../../../shared/schemas/component';
import type { Component } from '../../../shared/types';
import { writeFileAtomic } from '../lib/fs-atomic';
import { logger } from '../lib/log';
import { readStateFileSync } from '../lib/state-file';
import { notesNewestFirst } from './lib/pick-release';
import type { CheckOutcome } from './types';

/** Errors are cached this long (minutes, not the full TTL): a flaky network should heal quickly. */
export const ERROR_TTL_MS = 5 * 60_000;
const CACHE_FORMAT = 1;
const log = logger('checks.service');

/** What the version cache keeps per component: the remote side of the last check. */
export interface CacheEntry {
  config_hash: string;
  /** Epoch ms of the fresh check this entry holds. */
  fetched_at: number;
  outcome?: CheckOutcome;
  error?: ErrorShape;
  /** Highest version seen for this config (installed or offered): releases below it are refused. */
  highest_seen?: string | null;
  /** ISO time of the last successful fresh check (kept across failures). */
  last_success_at?: string | null;
  /** The error was this machine's (the installed version could not be read): kept to be shown, never served instead of checking. */
  error_local?: boolean;
  /** Epoch ms of the failure `error` records. */
  error_at?: number;
}

interface CacheFile {
  format: number;
  entries: Record<string, CacheEntry>;
}

/** Keys that do not change what a check asks upstream. */
const KEYS_OUTSIDE_HASH = new Set([
  'name',
  'current',
  'method',
  'pip',
  'python',
  'update_script',
  'asset',
  'checksum',
  'require_checksum',
  'signature',
  'public_key',
  'preserve',
  'install',
  'migrations',
  'restart',
  'health',
  'backup',
  'auto_update',
  'rollback_on_failure',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The version cache key: a hash of the check config, channel included. */
export function checkConfigHash(component: Component): string {
  const relevant: Record<string, unknown> = {};
  // A pip_env check asks its `python` what is installed, a pypi_release check which Python it runs
  // (requires_python): there it is part of the check.
  for (const [k, v] of Object.entries(component.config))
    if (
      !KEYS_OUTSIDE_HASH.has(k) ||
      (k === 'python' && (component.type === 'pip_env' || component.type === 'pypi_release'))
    )
      relevant[k] = v;
  relevant.channel = component.channel;
  return createHash('sha256').update(stableStringify(relevant)).digest('hex').slice(0, 32);
}

/** How stale the version cache may be before the file is looked at again (another process's write). */
const STAMP_INTERVAL_MS = 200;

/** Identifies one version of a file: an atomic write (rename) gives a new inode. */
function fileStamp(file: string): string {
  try {
    const st = statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    // Missing (or unreadable): the cache is read again once it appears.
    return 'missing';
  }
}

const cacheEntrySchema = z.object({
  config_hash: z.string(),
  fetched_at: z.number(),
  outcome: z.custom<CheckOutcome>(isRecord).optional(),
  error: z.custom<ErrorShape>(isErrorShape).optional(),
  highest_seen: z.string().nullable().optional(),
  last_success_at: z.string().nullable().optional(),
  error_local: z.boolean().optional(),
  error_at: z.number().optional(),
}) satisfies z.ZodType<CacheEntry>;
// Entries are checked one by one below: one damaged entry costs that component a fresh check, not the whole cache.
const cacheFileSchema = z.object({ format: z.literal(CACHE_FORMAT), entries: z.record(z.string(), z.unknown()) });

/** The version cache on disk; empty when missing or damaged (a cache: rebuilt by checking again; logged). */
function readVersionCache(file: string): CacheFile {
  let got;
  try {
    got = readStateFileSync(file, cacheFileSchema);
  } catch (error) {
    log.warn('the version cache cannot be read; every component is checked again', { file, error });
    return { format: CACHE_FORMAT, entries: {} };
  }
  if (got.status === 'missing') return { format: CACHE_FORMAT, entries: {} };
  if (got.status === 'corrupt') {
    log.warn('the version cache is damaged; every component is checked again', { file, reason: got.reason });
    return { format: CACHE_FORMAT, entries: {} };
  }
  const entries: Record<string, CacheEntry> = {};
  const dropped: string[] = [];
  for (const [id, raw] of Object.entries(got.value.entries)) {
    const entry = cacheEntrySchema.safeParse(raw);
    if (entry.success) entries[id] = entry.data;
    else dropped.push(id);
  }
  if (dropped.length)
    log.warn('version cache entries are damaged; those components are checked again', {
      file,
      components: dropped.slice(0, 20),
    });
  return { format: CACHE_FORMAT, entries };
}

/**
 * The version cache file, `<home>/cache/versions.json`: read again whenever another process (the
 * CLI, another host) replaced it since — its entries win, except those this process changed and has
 * not written yet — and written atomically, writes serialized.
 */
export class VersionCache {
  private cache: CacheFile | undefined;
  /** The cache file as last read or written (inode, size, mtime): another process's write changes it. */
  private loadedStamp = '';
  private stampedAt = 0;
  private readonly touched = new Set<string>();
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private pendingWrites: Promise<unknown>[] = [];

  constructor(private readonly file: string) {}

  /** A write a result started (a superseded skip cleared): flush waits for it. */
  track(write: Promise<unknown> | undefined): void {
    // A skip that could not be cleared stays (the next check clears it again); flush must not fail on it.
    if (write)
      this.pendingWrites.push(
        write.catch((error: unknown) => log.warn('a superseded skip could not be cleared', { error })),
      );
  }

  /** An entry this process changed: kept over the disk's copy when the file is read again. */
  mark(id: string): void {
    this.touched.add(id);
    this.dirty = true;
  }

  /** The entries as they stand (the file is read again when another process replaced it). */
  entries(): Record<string, CacheEntry> {
    return this.load().entries;
  }

  private load(): CacheFile {
    // Looked at once every 200 ms at most: a check of 1,000 components reads the cache thousands of times.
    const now = Date.now();
    if (this.cache && now - this.stampedAt < STAMP_INTERVAL_MS) return this.cache;
    this.stampedAt = now;
    const stamp = fileStamp(this.file);
    if (this.cache && stamp === this.loadedStamp) return this.cache;
    const disk = readVersionCache(this.file);
    if (this.cache) {
      for (const id of this.touched) {
        const mine = this.cache.entries[id];
        if (mine) disk.entries[id] = mine;
      }
    }
    this.cache = disk;
    this.loadedStamp = stamp;
    return this.cache;
  }

  /** Write the cache if it changed (atomically; writes are serialized). */
  async flush(): Promise<void> {
    if (this.pendingWrites.length) await Promise.all(this.pendingWrites.splice(0));
    if (!this.dirty) return this.writing;
    this.dirty = false;
    const cache = this.load();
    const written = new Map([...this.touched].map((id) => [id, cache.entries[id]]));
    const snapshot = JSON.stringify(cache);
    this.writing = this.writing.then(() =>
      writeFileAtomic(this.file, snapshot, { mode: 0o600 }).then(
        () => {
          // Ours on disk now: only entries changed again since the snapshot stay marked.
          for (const [id, entry] of written) if (this.cache?.entries[id] === entry) this.touched.delete(id);
          if (this.touched.size === 0) this.loadedStamp = fileStamp(this.file);
        },
        // A cache that cannot be written is rebuilt by the next check; the answers stand.
        (error: unknown) =>
          log.warn('the version cache could not be written; the next check asks again', { file: this.file, error }),
      ),
    );
    return this.writing;
  }
}

const MAX_NOTES = 500;
const MAX_NOTE_CHARS = 20_000;

/** Keep the version cache small: the newest 500 release notes, each at most 20,000 characters. */
export function boundNotes(outcome: CheckOutcome, scheme: CompareScheme): CheckOutcome {
  if (
    !outcome.releases ||
    (outcome.releases.length <= MAX_NOTES && outcome.releases.every((r) => r.body.length <= MAX_NOTE_CHARS))
  )
    return outcome;
  const releases = notesNewestFirst(outcome.releases, scheme)
    .slice(0, MAX_NOTES)
    .map((r) =>
      r.body.length > MAX_NOTE_CHARS
        ? { ...r, body: `${r.body.slice(0, MAX_NOTE_CHARS)}\n\n… (shortened; see the release page)` }
        : r,
    );
  return { ...outcome, releases };
}

/** Whether a cached answer left a risk flag unknown (its advisory source failed). */
export function hasUnknownRisk(outcome: CheckOutcome): boolean {
  return Boolean(outcome.advisories?.error) || (outcome.risk?.unknown?.length ?? 0) > 0;
}

/**
 * How long an error stays cached: minutes, except a rate limit, which is kept until the host said it
 * would accept requests again (asking earlier only spends a refused request), never beyond the TTL.
 */
export function errorTtlMs(error: ErrorShape, fetchedAt: number, ttlMs: number): number {
  const retryAt =
    error.code === 'RATE_LIMITED' && typeof error.details?.retry_at === 'string'
      ? Date.parse(error.details.retry_at)
      : Number.NaN;
  const until = Number.isFinite(retryAt) ? Math.max(ERROR_TTL_MS, retryAt - fetchedAt) : ERROR_TTL_MS;
  return Math.min(until, ttlMs);
}

/** The version cache file inside `<home>/cache`. */
export function versionCacheFile(cacheDir: string): string {
  return path.join(cacheDir, 'versions.json');
}
