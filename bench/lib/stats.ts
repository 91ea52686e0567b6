/** Shared by the benchmarks (bench/run.mjs runs only folders with a run.ts, so this is not one). */

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Milliseconds to one decimal. */
export const round1 = (x: number): number => Math.round(x * 10) / 10;

/** Median, fastest and slowest of a list of timings, in ms. */
export function stats(xs: readonly number[]): { median_ms: number; min_ms: number; max_ms: number; runs: number } {
  return {
    median_ms: round1(median(xs)),
    min_ms: round1(Math.min(...xs)),
    max_ms: round1(Math.max(...xs)),
    runs: xs.length,
  };
}
