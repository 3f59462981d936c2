/**
 * Test support: a simulation report made by hand for the summary's layout tests, every figure chosen
 * (three variants by default, of the kind the CLI's default sweep makes).
 */
import type { Distribution, ReturnStats, SimulationReport, VariantReport } from '../../dist/src/node.js';

const dist = (mean: string, p95: string, p99: string, es: string, max: string): Distribution => ({ mean, p95, p99, expectedShortfall99: es, max });
// The mean return over the run is a tenth of the annualized one here (a hand-made figure, not a horizon's).
const returns = (annualizedReturnPpm: number, lossProbability: number, p95Ppm: number): ReturnStats => ({
  startQuote: '10000000', meanReturnPpm: annualizedReturnPpm / 10, annualizedReturnPpm, p5ReturnPpm: 0, lossProbability, maxDrawdown: { meanPpm: 0, p95Ppm },
});

/**
 * Who covered what on which of the 12 paths (quote units; every other path 0), by the waterfall a
 * variant's name says ("waterfall bitmex"; exchange otherwise), before the variant's scale k. Tranches
 * in each waterfall's order (src/waterfall/config.ts); the expected summaries in
 * test/unit/cli-parts.test.ts are worked from these by hand.
 */
const COVERS: Record<string, [tranche: string, covers: [path: number, quote: string][]][]> = {
  exchange: [
    ['insuranceFund', [[2, '6000000'], [7, '4000000.5']]],
    ['backstopVault', [[7, '1200000']]],
    ['adl', [[7, '300000.000007']]],
    ['socializeFunding', [[7, '1234.56']]],
  ],
  bitmex: [
    ['insuranceFund', [[1, '2000000']]],
    ['adl', [[1, '500000'], [5, '100000']]],
  ],
  // As buildReport lists them: the waterfall's own kinds only (no insurance fund in Hyperliquid's).
  hyperliquid: [
    ['backstopVault', [[4, '3000000']]],
    ['adl', [[4, '2000000'], [9, '400000.4']]],
  ],
};

/** Quote units (6 decimals) times k, exactly. */
const times = (quote: string, k: number): string => {
  const [whole, frac = ''] = quote.split('.');
  const atoms = BigInt(whole! + frac.padEnd(6, '0')) * BigInt(k);
  const digits = atoms.toString().padStart(7, '0');
  return `${digits.slice(0, -6)}.${digits.slice(-6)}`;
};

/** A variant named `name` whose losses scale with `k`. */
export function variant(name: string, k: number): VariantReport {
  const m = (x: number): string => String(x * k);
  const waterfall = /waterfall (\w+)/.exec(name)?.[1];
  const covers = COVERS[waterfall ?? 'exchange']!.map(([tranche, at]) => ({
    tranche, coveredQuote: Array.from({ length: 12 }, (_, p) => times(at.find(([q]) => q === p)?.[1] ?? '0', k)),
  }));
  const zeros = Array.from({ length: 12 }, () => '0');
  const sum = (column: string[]): bigint => column.reduce((a, x) => a + BigInt(x.replace('.', '')), 0n);
  const quote = (atoms: bigint): string => times(`${atoms / 1_000_000n}.${String(atoms % 1_000_000n).padStart(6, '0')}`, 1);
  return {
    name, variant: waterfall === undefined ? {} : { waterfall }, paths: 12, fundExhaustedPaths: k, fundExhaustedProbability: k / 12,
    socialized: dist(m(1_234_567), m(2_000_000), m(3_500_000), m(3_600_000.5), m(4_000_000)),
    uncovered: dist('0.0002', '0', '0', '0', '0'),
    deficits: dist('0', '0', '0', '0', '0'),
    cover1: dist('0', '0', '0', '0', m(812_345)), cover2: dist('0', '0', '0', '0', m(1_500_000)),
    prefundedQuote: '40000000', cover2BreachPaths: k, liquidations: { closes: m(12_345), notionalQuote: m(98_765_432) },
    adl: { notionalQuote: '0', accounts: '0' },
    tranches: [...covers.map((c) => ({ tranche: c.tranche, meanQuote: quote(sum(c.coveredQuote) / 12n), totalQuote: quote(sum(c.coveredQuote)) })),
      { tranche: 'uncovered', meanQuote: '0.000200', totalQuote: '0.002400' }],
    // The uncovered 0.0024 on path 3: a mean of 0.0002 a path, as `uncovered.mean` says.
    pathTotals: {
      path: Array.from({ length: 12 }, (_, p) => p), deficitQuote: zeros, socializedQuote: zeros,
      uncoveredQuote: zeros.map((z, p) => (p === 3 ? '0.002400' : z)), cover1Quote: zeros, cover2Quote: zeros, tranches: covers,
    },
    riskTakers: {
      stakers: returns(-125_000 * k, 0.1 * k, 0), vaultDepositors: returns(48_000, 0.5, 0), combined: returns(0, 0, 310_000),
      feeRevenueQuote: '1234567.891', treasuryGainQuote: '246913.5', winnersHitProbability: k / 12,
    },
    winners: {
      enabled: true, takenOutPpm: 987_654, lostPpm: 12_345 * k, shortProbabilityPpm: 100_000, waitSteps: { mean: 3, p95: 9, max: 20 },
      left: 40, stillQueued: 1234 * k, winners: 2500, wantedQuote: '0', receivedQuote: '0', chargedQuote: '0',
    },
    byStep: { insuranceFund: { p5: [], p25: [], p50: [], p75: [], p95: [] }, stakerValue: { p5: [], p25: [], p50: [], p75: [], p95: [] },
      vaultNav: { p5: [], p25: [], p50: [], p75: [], p95: [] }, queuedQuote: { p5: [], p25: [], p50: [], p75: [], p95: [] },
      liquidatedNotionalMean: [], liquidatedNotional: { p5: [], p25: [], p50: [], p75: [], p95: [] }, deficitMean: [] },
  };
}

/** `stepSeconds` sets the horizon (100 steps): of 60 s (the default), 100 min, returns over the run; of a day, 100 days, a year. */
export function summaryReport(names = ['waterfall exchange', 'waterfall bitmex', 'waterfall hyperliquid'], stepSeconds?: number): SimulationReport {
  return {
    format: 'riskcore-simulation-report', version: 1, configHash: '0123456789abcdef', config: stepSeconds === undefined ? {} : { stepSeconds }, paths: 12, steps: 100, quoteDecimals: 6,
    variants: names.map((n, k) => variant(n, k + 1)),
    work: { accountsChecked: 123_456_789, positionSteps: 9_876_543_210, elapsedMs: 61_500 },
  };
}
