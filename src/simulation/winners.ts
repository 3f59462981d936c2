/**
 * What winners could take out (docs/SIMULATION.md, "Winners' withdrawals", "Per variant"): from each
 * path's withdrawal run (PathResult.withdrawals), the per-step loss metrics and the queue's waiting
 * histogram (`queueWaits`, row w: requests that left the queue w steps after they were made), exact
 * integers throughout:
 *
 *   takenOutPpm         = floor(sum received * 10^6 / sum wanted)              (0 when nothing was wanted)
 *   lostPpm             = floor(L * 10^6 / (L + sum wanted)),  L = sum over paths and steps of
 *                         coveredAdl + socializedQuote (what ADL, haircuts and socialization took)
 *                                                                              (0 when L + wanted = 0)
 *   shortProbabilityPpm = floor(sum shortWinners * 10^6 / sum winners)         (0 when no winner)
 *   waitSteps           = over the summed histogram H (H[w] requests waited w steps, n = sum H):
 *                         mean floor(sum w * H[w] / n), p95 the nearest rank ceil(95 n / 100), max
 *                         the largest w with H[w] > 0 (all 0 when n = 0)
 *
 * Means per path round down, as everywhere in the report.
 */
import { formatAtoms } from '../atoms.js';
import { STEP_METRICS, type PathResult, type WinnersReport } from './types.js';
import { floorDiv, nearestRankOf } from './numbers.js';

const PPM = 1_000_000n;
const K = Object.fromEntries(STEP_METRICS.map((m, k) => [m, k])) as Record<(typeof STEP_METRICS)[number], number>;

/** floor(a * 10^6 / b) as a number, 0 when b is 0. */
const ppmOf = (a: bigint, b: bigint): number => (b > 0n ? Number(floorDiv(a * PPM, b)) : 0);

/** Mean, nearest-rank p95 and max of a histogram (counts by steps waited); all 0 when it is empty. */
export function histogramStats(counts: readonly bigint[]): { mean: number; p95: number; max: number; n: bigint } {
  let n = 0n, weighted = 0n, max = 0;
  counts.forEach((c, w) => { n += c; weighted += BigInt(w) * c; if (c > 0n) max = w; });
  if (n === 0n) return { mean: 0, p95: 0, max: 0, n };
  // The nearest rank of the 95th percentile, found walking up the cumulative counts.
  const rank = nearestRankOf(n, 95);
  let seen = 0n, p95 = 0;
  for (let w = 0; w < counts.length; w++) {
    seen += counts[w]!;
    if (seen >= rank) { p95 = w; break; }
  }
  return { mean: Number(floorDiv(weighted, n)), p95, max, n };
}

/** The winners' report of one variant's results; `enabled`: whether the withdrawal run was on. */
export function winners(results: readonly PathResult[], enabled: boolean, decimals: number): WinnersReport {
  let winnersN = 0n, wanted = 0n, received = 0n, short = 0n, still = 0n, charged = 0n, lost = 0n;
  const waits: bigint[] = [];
  for (const r of results) {
    const w = r.withdrawals;
    winnersN += BigInt(w.winners); wanted += w.wantedQuote; received += w.receivedQuote;
    short += BigInt(w.shortWinners); still += BigInt(w.stillQueued); charged += w.chargedQuote;
    for (const x of r.metrics[K.coveredAdl]!) lost += x;
    for (const x of r.metrics[K.socializedQuote]!) lost += x;
    r.metrics[K.queueWaits]!.forEach((c, i) => { waits[i] = (waits[i] ?? 0n) + c; });
  }
  const wait = histogramStats(waits);
  const n = BigInt(results.length || 1);
  return {
    enabled,
    takenOutPpm: ppmOf(received, wanted),
    lostPpm: ppmOf(lost, lost + wanted),
    shortProbabilityPpm: ppmOf(short, winnersN),
    waitSteps: { mean: wait.mean, p95: wait.p95, max: wait.max },
    left: Number(wait.n),
    stillQueued: Number(still),
    winners: Number(floorDiv(winnersN, n)),
    wantedQuote: formatAtoms(floorDiv(wanted, n), decimals),
    receivedQuote: formatAtoms(floorDiv(received, n), decimals),
    chargedQuote: formatAtoms(floorDiv(charged, n), decimals),
  };
}
