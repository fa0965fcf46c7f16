/**
 * Summaries the benchmarks share, all by one rule, the nearest rank: the p-th percentile is the
 * smallest measured value with at least p% of the values at or below it. Every summary is then a
 * value that was measured, and the median (p = 50) of an even count is the lower middle.
 * Internal to bench/.
 */

/** Where the p-th percentile (0–100) sits among `count` sorted values. */
function nearestRank(count: number, p: number): number {
  return Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1));
}

/** The p-th percentile (0–100) of `values`, in any order; NaN for none. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  return Float64Array.from(values).sort()[nearestRank(values.length, p)]!;
}

/** The median: the 50th percentile (the lower middle for an even count); NaN for none. */
export function median(values: ArrayLike<number>): number {
  return percentile(values, 50);
}

/** The item whose `key` is the median of the keys (e.g. the run to report); undefined for none. */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T | undefined {
  if (items.length === 0) return undefined;
  return [...items].sort((a, b) => key(a) - key(b))[nearestRank(items.length, 50)];
}
