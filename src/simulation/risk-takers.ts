/**
 * What the risk-takers made (docs/SIMULATION.md, "Revenue and risk-takers"): per class (the insurance
 * funds' stakers, the backstop vault's depositors, both together), from each path's holdings at the
 * start and at every step's end, exact integers throughout:
 *
 *   return r     = floor((V_end - V_0) * 10^6 / V_0) ppm (0 when V_0 = 0)
 *   annualized   = floor(r * 31,536,000 / (steps * stepSeconds)) (simple, not compounded)
 *   drawdown     = max over steps of floor((peak_t - V_t) * 10^6 / peak_t), peak_t = max(V_0, V_1..V_t)
 *   loss         = V_end < V_0
 *
 * Means over paths round down; percentiles are nearest-rank, as everywhere in the report.
 */
import { formatAtoms } from '../atoms.js';
import { STEP_METRICS, type PathResult, type ReturnStats, type RiskTakersReport } from './types.js';
import { ascending, floorDiv, nearestRank } from './numbers.js';

const YEAR_SEC = 31_536_000n;
const PPM = 1_000_000n;

const K = Object.fromEntries(STEP_METRICS.map((m, k) => [m, k])) as Record<(typeof STEP_METRICS)[number], number>;
const WINNER_TRANCHES = ['coveredAdl', 'coveredSocializeFunding', 'coveredHaircutGains', 'coveredHaircutDeposits'] as const;

/** Nearest-rank percentile q (0..100) of ascending bigints (0 for none). */
const percentile = (sorted: readonly bigint[], q: number): bigint => (sorted.length === 0 ? 0n : nearestRank(sorted, q));

/** One class's statistics from each path's start value and per-step values. */
function returnStats(paths: readonly { start: bigint; values: readonly bigint[] }[], horizonSec: bigint, decimals: number): ReturnStats {
  const n = BigInt(paths.length);
  const returns: bigint[] = [], drawdowns: bigint[] = [];
  let losses = 0;
  for (const { start, values } of paths) {
    const end = values.length ? values[values.length - 1]! : start;
    returns.push(start > 0n ? floorDiv((end - start) * PPM, start) : 0n);
    if (end < start) losses++;
    let peak = start, worst = 0n;
    for (const v of values) {
      if (v > peak) peak = v;
      if (peak > 0n) { const dd = floorDiv((peak - v) * PPM, peak); if (dd > worst) worst = dd; }
    }
    drawdowns.push(worst);
  }
  const mean = (xs: bigint[]): bigint => (xs.length ? floorDiv(xs.reduce((a, b) => a + b, 0n), n) : 0n);
  const meanReturn = mean(returns);
  return {
    startQuote: formatAtoms(paths[0]?.start ?? 0n, decimals),
    meanReturnPpm: Number(meanReturn),
    annualizedReturnPpm: Number(horizonSec > 0n ? floorDiv(meanReturn * YEAR_SEC, horizonSec) : 0n),
    p5ReturnPpm: Number(percentile([...returns].sort(ascending), 5)),
    lossProbability: paths.length ? losses / paths.length : 0,
    maxDrawdown: { meanPpm: Number(mean(drawdowns)), p95Ppm: Number(percentile([...drawdowns].sort(ascending), 95)) },
  };
}

/** The risk-takers' report of one variant's results, over a horizon of `horizonSec` seconds. */
export function riskTakers(results: readonly PathResult[], horizonSec: number, decimals: number): RiskTakersReport {
  const h = BigInt(horizonSec);
  const stakers = results.map((r) => ({ start: r.start.stakerValueQuote, values: r.metrics[K.stakerValueQuote]! }));
  const vault = results.map((r) => ({ start: r.start.vaultNavQuote, values: r.metrics[K.vaultNavQuote]! }));
  const combined = results.map((r, i) => ({ start: stakers[i]!.start + vault[i]!.start, values: stakers[i]!.values.map((v, t) => v + vault[i]!.values[t]!) }));
  const n = BigInt(results.length || 1);
  const fees = results.reduce((a, r) => a + r.metrics[K.feeRevenueQuote]!.reduce((x, y) => x + y, 0n), 0n);
  const treasury = results.reduce((a, r) => {
    const series = r.metrics[K.treasuryQuote]!;
    return a + (series.length ? series[series.length - 1]! : r.start.treasuryQuote) - r.start.treasuryQuote;
  }, 0n);
  const hit = results.filter((r) => WINNER_TRANCHES.some((m) => r.metrics[K[m]]!.some((x) => x > 0n))).length;
  return {
    stakers: returnStats(stakers, h, decimals),
    vaultDepositors: returnStats(vault, h, decimals),
    combined: returnStats(combined, h, decimals),
    feeRevenueQuote: formatAtoms(floorDiv(fees, n), decimals),
    treasuryGainQuote: formatAtoms(floorDiv(treasury, n), decimals),
    winnersHitProbability: results.length ? hit / results.length : 0,
  };
}
