import type { Component } from '../../../shared/types';
import { checkConfigHash, ERROR_TTL_MS, errorTtlMs, hasUnknownRisk, type CacheEntry } from './version-cache';

/**
 * Which cached answer a check may use without asking again: the error, the outcome, or none
 * (`ttlHours`: the cache lifetime in settings). An entry for another check config is none.
 */
export function usableCachedAnswer(
  entry: CacheEntry | undefined,
  component: Component,
  ttlHours: number,
  now: number,
): 'error' | 'outcome' | null {
  if (!entry || entry.config_hash !== checkConfigHash(component)) return null;
  const ttlMs = ttlHours * 3_600_000;
  const age = now - entry.fetched_at;
  if (entry.error) return !entry.error_local && age < errorTtlMs(entry.error, entry.fetched_at, ttlMs) ? 'error' : null;
  if (!entry.outcome || age >= ttlMs) return null;
  // An answer with a flag left unknown (advisories that could not be read) is asked again as soon as a failed check would be.
  return hasUnknownRisk(entry.outcome) && age >= Math.min(ERROR_TTL_MS, ttlMs) ? null : 'outcome';
}
