/**
 * Exact integer statistics shared by the report (stats.ts) and the risk-takers' figures
 * (risk-takers.ts): a floor division and the nearest-rank percentile.
 */

/** floor(a / b) for b > 0 (bigint division truncates toward zero; a mean of losses must not round up). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

export const ascending = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** The nearest-rank percentile `pct` (integer percent) of an ascending, non-empty list. */
export function nearestRank(sorted: readonly bigint[], pct: number): bigint {
  const rank = Math.max(1, Math.ceil((pct * sorted.length) / 100));
  return sorted[rank - 1]!;
}

/**
 * The 1-based rank of the nearest-rank percentile `pct` among `n` > 0 values, max(1, ceil(pct * n /
 * 100)), as `nearestRank` takes it; for counts too many to list (a histogram's).
 */
export function nearestRankOf(n: bigint, pct: number): bigint {
  const r = (BigInt(pct) * n + 99n) / 100n;
  return r < 1n ? 1n : r;
}
