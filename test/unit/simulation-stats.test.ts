/**
 * Simulation statistics by hand: floor means, nearest-rank percentiles, expected shortfall, fans,
 * the report's independence from result order, and the merge of shards.
 */
import { describe, expect, it } from 'vitest';
import {
  buildReport, canonicalJson, configHash, deserializePathResult, distribution, fan, floorDiv, fnv1a64, mergeShards,
  serializePathResult, type ReportInput,
} from '../../src/simulation/stats.js';
import { STEP_METRICS, type PathResult, type ShardResult, type StepMetric } from '../../src/simulation/types.js';
import { caught } from '../support/engine.js';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => BigInt(from + i));
/** A deterministic shuffle (a fixed permutation stride), so no test depends on Math.random. */
const shuffled = <T>(xs: readonly T[]): T[] => xs.map((_, i) => xs[(i * 7 + 3) % xs.length]!);

/** A path result with the given metrics (bigint per step) and every other metric 0. */
function pathResult(path: number, variant: number, steps: number, m: Partial<Record<StepMetric, number[]>>, extra: Partial<PathResult> = {}): PathResult {
  return {
    path, variant,
    metrics: STEP_METRICS.map((k) => (m[k] ?? Array<number>(steps).fill(0)).map(BigInt)),
    prefundedQuote: 10n, cover1Quote: 0n, cover2Quote: 0n, fundExhausted: false, accountsChecked: 10, positionSteps: 7,
    start: { stakerValueQuote: 0n, vaultNavQuote: 0n, treasuryQuote: 0n },
    withdrawals: { winners: 0, wantedQuote: 0n, receivedQuote: 0n, shortWinners: 0, queuedRequests: 0, stillQueued: 0, chargedQuote: 0n },
    ...extra,
  };
}

describe('simulation stats: distributions', () => {
  it('mean rounds toward -infinity, not toward zero', () => {
    // sum = -1 - 1 + 0 = -2 atoms over 3 paths = -0.67 -> floor -1 atom (truncation would say 0).
    expect(distribution([-1n, -1n, 0n], 2).mean).toBe('-0.01');
    expect(floorDiv(-7n, 2n)).toBe(-4n);
    expect(floorDiv(7n, 2n)).toBe(3n);
    expect(floorDiv(-6n, 2n)).toBe(-3n);
  });

  it('20 values: p95 is rank 19, p99 rank 20, ES99 the single worst', () => {
    // 1..20: p95 rank ceil(0.95 * 20) = 19 -> 19; p99 rank ceil(19.8) = 20 -> 20;
    // ES99 worst max(1, ceil(20 / 100)) = 1 value -> 20; mean 210 / 20 = 10.5 -> 10.
    expect(distribution(shuffled(range(1, 20)), 0)).toEqual({ mean: '10', p95: '19', p99: '20', expectedShortfall99: '20', max: '20' });
  });

  it('100 values: p95 = 95, p99 = 99, ES99 = the worst one', () => {
    // 1..100: ranks ceil(95) = 95 and ceil(99) = 99; worst ceil(100 / 100) = 1 -> 100; mean 5050 / 100 = 50.5 -> 50.
    expect(distribution(shuffled(range(1, 100)), 0)).toEqual({ mean: '50', p95: '95', p99: '99', expectedShortfall99: '100', max: '100' });
  });

  it('250 values: ES99 is the mean of the worst 3, rounded down', () => {
    // 1..249 and 251: worst ceil(250 / 100) = 3 -> (248 + 249 + 251) / 3 = 249.33 -> 249;
    // p95 rank ceil(237.5) = 238 -> 238; p99 rank ceil(247.5) = 248 -> 248; mean (31375 + 1) / 250 = 125.504 -> 125.
    const values = [...range(1, 249), 251n];
    expect(distribution(shuffled(values), 0)).toEqual({ mean: '125', p95: '238', p99: '248', expectedShortfall99: '249', max: '251' });
    // The same in quote units with 6 decimals: 125 atoms = 0.000125.
    expect(distribution(values, 6).mean).toBe('0.000125');
  });

  it('no values: every figure is "0"', () => {
    expect(distribution([], 6)).toEqual({ mean: '0', p95: '0', p99: '0', expectedShortfall99: '0', max: '0' });
  });

  it('fan: nearest-rank p5..p95 at each step', () => {
    // Step 0 sorted 10, 20, 30: ranks p5 ceil(0.15) = 1, p25 ceil(0.75) = 1, p50 ceil(1.5) = 2, p75 ceil(2.25) = 3, p95 ceil(2.85) = 3.
    // Step 1 sorted -5, 0, 5: the same ranks. 1 decimal: 10 atoms = "1.0".
    expect(fan([[10n, -5n], [30n, 0n], [20n, 5n]], 1)).toEqual({
      p5: ['1.0', '-0.5'], p25: ['1.0', '-0.5'], p50: ['2.0', '0.0'], p75: ['3.0', '0.5'], p95: ['3.0', '0.5'],
    });
    expect(fan([], 0, 2)).toEqual({ p5: ['0', '0'], p25: ['0', '0'], p50: ['0', '0'], p75: ['0', '0'], p95: ['0', '0'] });
  });
});

// Variant 0 ("base"), 4 paths of 2 steps, quote decimals 0 (amounts are atoms):
//   path 0: deficits 5, 3; the fund covers 5 then socialized funding 3; fund 5, 5; closes 1, 1 of notional 100, 50; exhausted
//   path 1: nothing happens; fund 10, 10
//   path 2: deficit 12 at step 1: the fund covers 10, 2 uncovered; fund 10, 0; closes 0, 2 of notional 0, 300; exhausted
//   path 3: deficit 1 at step 0, covered by the fund; fund 9, 9; close 1 of notional 40
// Variant 1 ("quiet"): the same 4 paths with nothing happening.
const STEPS = 2;
const BASE: PathResult[] = [
  pathResult(0, 0, STEPS, {
    deficitQuote: [5, 3], coveredInsuranceFund: [5, 0], coveredSocializeFunding: [0, 3], socializedQuote: [0, 3],
    insuranceFundQuote: [5, 5], closes: [1, 1], closedNotionalQuote: [100, 50],
  }, { cover1Quote: 4n, cover2Quote: 6n, fundExhausted: true }),
  pathResult(1, 0, STEPS, { insuranceFundQuote: [10, 10] }),
  pathResult(2, 0, STEPS, {
    deficitQuote: [0, 12], coveredInsuranceFund: [0, 10], uncoveredQuote: [0, 2], insuranceFundQuote: [10, 0],
    closes: [0, 2], closedNotionalQuote: [0, 300],
  }, { cover1Quote: 8n, cover2Quote: 12n, fundExhausted: true }),
  pathResult(3, 0, STEPS, { deficitQuote: [1, 0], coveredInsuranceFund: [1, 0], insuranceFundQuote: [9, 9], closes: [1, 0], closedNotionalQuote: [40, 0] },
    { cover1Quote: 1n, cover2Quote: 1n }),
];
const QUIET = [0, 1, 2, 3].map((p) => pathResult(p, 1, STEPS, { insuranceFundQuote: [10, 10] }));
const VARIANTS = [{ name: 'base', variant: {} }, { name: 'quiet', variant: { insuranceFundQuote: '10' } }];
const CONFIG = { paths: 4, steps: STEPS, seed: 7, scenario: { kind: 'monteCarlo' as const, volatilityPpm: 20_000 } };
const INPUT: ReportInput = {
  config: CONFIG, configHash: configHash(CONFIG), variants: VARIANTS, results: [...BASE, ...QUIET], quoteDecimals: 0, steps: STEPS, elapsedMs: 12,
};

describe('simulation stats: report', () => {
  it('per variant: distributions over path totals, P(exhausted), Cover-2 breaches, totals', () => {
    const r = buildReport(INPUT);
    expect(r.paths).toBe(4);
    expect(r.work).toEqual({ accountsChecked: 80, positionSteps: 56, elapsedMs: 12 }); // 8 results x 10 and x 7
    const v = r.variants[0]!;
    expect(v.paths).toBe(4);
    expect(v.fundExhaustedPaths).toBe(2);
    expect(v.fundExhaustedProbability).toBe(0.5); // 2 of 4 paths
    // Socialized per path 3, 0, 0, 0: mean 3 / 4 -> 0; p95 rank ceil(3.8) = 4 -> 3.
    expect(v.socialized).toEqual({ mean: '0', p95: '3', p99: '3', expectedShortfall99: '3', max: '3' });
    // Uncovered per path 0, 0, 2, 0: mean 0.5 -> 0.
    expect(v.uncovered).toEqual({ mean: '0', p95: '2', p99: '2', expectedShortfall99: '2', max: '2' });
    // Deficits per path 8, 0, 12, 1: mean 21 / 4 = 5.25 -> 5.
    expect(v.deficits).toEqual({ mean: '5', p95: '12', p99: '12', expectedShortfall99: '12', max: '12' });
    // Cover-1 4, 0, 8, 1: mean 13 / 4 -> 3; Cover-2 6, 0, 12, 1: mean 19 / 4 -> 4; only 12 > 10 prefunded.
    expect(v.cover1.mean).toBe('3');
    expect(v.cover2).toEqual({ mean: '4', p95: '12', p99: '12', expectedShortfall99: '12', max: '12' });
    expect(v.prefundedQuote).toBe('10');
    expect(v.cover2BreachPaths).toBe(1);
    // Closes 2 + 0 + 2 + 1 = 5 of notional 150 + 0 + 300 + 40 = 490.
    expect(v.liquidations).toEqual({ closes: '5', notionalQuote: '490' });
    expect(v.adl).toEqual({ notionalQuote: '0', accounts: '0' });
  });

  it('tranches: every step of the (default exchange) waterfall in its order, one that paid nothing too, uncovered last; means round down', () => {
    const [base, quiet] = buildReport(INPUT).variants;
    // Fund 5 + 10 + 1 = 16 -> 16 / 4 = 4; socialized funding 3 -> 0.75 -> 0; uncovered 2 -> 0.5 -> 0.
    expect(base!.tranches).toEqual([
      { tranche: 'insuranceFund', meanQuote: '4', totalQuote: '16' },
      { tranche: 'backstopVault', meanQuote: '0', totalQuote: '0' },
      { tranche: 'adl', meanQuote: '0', totalQuote: '0' },
      { tranche: 'socializeFunding', meanQuote: '0', totalQuote: '3' },
      { tranche: 'uncovered', meanQuote: '0', totalQuote: '2' },
    ]);
    expect(quiet!.tranches.map((t) => t.tranche)).toEqual(['insuranceFund', 'backstopVault', 'adl', 'socializeFunding', 'uncovered']);
    expect(quiet!.tranches.every((t) => t.totalQuote === '0')).toBe(true);
  });

  it('tranches: each variant in its own waterfall\'s order, only the kinds it has (groups\' steps after, each kind once)', () => {
    // One path, one step: every covered* metric set to a distinct amount, so a tranche listed from the
    // wrong metric or in the wrong place shows.
    const covered = Object.fromEntries(STEP_METRICS.filter((m) => m.startsWith('covered')).map((m, k) => [m, [k + 1]]));
    const variants = [
      { name: 'eurex', variant: { waterfall: 'eurex' } },
      { name: 'hyperliquid', variant: { waterfall: 'hyperliquid' } },
      { name: 'ftx', variant: { waterfall: 'ftx' } },
      {
        name: 'grouped', variant: {
          waterfall: {
            steps: [{ kind: 'adl' as const, ranking: 'bitmex' as const }, { kind: 'operatorCapital' as const, layer: 1 as const }, { kind: 'operatorCapital' as const, layer: 2 as const }],
            groups: [{ markets: [0], steps: [{ kind: 'insuranceFund' as const }, { kind: 'adl' as const, ranking: 'bitmex' as const }] }],
          },
        },
      },
    ];
    const config = { paths: 1, steps: 1, seed: 7, scenario: { kind: 'monteCarlo' as const, volatilityPpm: 20_000 } };
    const results = variants.map((_, v) => pathResult(0, v, 1, { ...covered, uncoveredQuote: [100] }));
    const r = buildReport({ config, configHash: configHash(config), variants, results, quoteDecimals: 0, steps: 1, elapsedMs: 0 });
    const at = (kind: string) => String(STEP_METRICS.filter((m) => m.startsWith('covered')).findIndex((m) => m.toLowerCase() === `covered${kind}`.toLowerCase()) + 1);
    const expected = (kinds: string[]) => [...kinds.map((k) => ({ tranche: k, meanQuote: at(k), totalQuote: at(k) })), { tranche: 'uncovered', meanQuote: '100', totalQuote: '100' }];
    expect(r.variants.map((v) => v.tranches)).toEqual([
      expected(['defaulterFund', 'operatorCapital', 'membersFund', 'assessments', 'haircutGains']),
      expected(['backstopVault', 'adl']),
      expected(['backstopVault', 'adl', 'insuranceFund', 'haircutGains']),
      expected(['adl', 'operatorCapital', 'insuranceFund']),
    ]);
    // The per-path columns follow the same order.
    for (const v of r.variants) expect(v.pathTotals.tranches.map((t) => t.tranche)).toEqual(v.tranches.slice(0, -1).map((t) => t.tranche));
  });

  it('per-path totals: columns in path order, each tranche\'s cover summed over the path', () => {
    const [base, quiet] = buildReport({ ...INPUT, results: shuffled(INPUT.results) }).variants;
    // Path 0: deficits 5 + 3, the fund 5, socialized funding 3; path 2: deficit 12, the fund 10, 2 uncovered; path 3: 1 by the fund.
    expect(base!.pathTotals).toEqual({
      path: [0, 1, 2, 3],
      deficitQuote: ['8', '0', '12', '1'], socializedQuote: ['3', '0', '0', '0'], uncoveredQuote: ['0', '0', '2', '0'],
      cover1Quote: ['4', '0', '8', '1'], cover2Quote: ['6', '0', '12', '1'],
      tranches: [{ tranche: 'insuranceFund', coveredQuote: ['5', '0', '10', '1'] }, { tranche: 'backstopVault', coveredQuote: ['0', '0', '0', '0'] },
        { tranche: 'adl', coveredQuote: ['0', '0', '0', '0'] }, { tranche: 'socializeFunding', coveredQuote: ['3', '0', '0', '0'] }],
    });
    // The columns' tranches are the report's, uncovered left out (it is its own column).
    expect(base!.pathTotals.tranches.map((t) => t.tranche)).toEqual(base!.tranches.slice(0, -1).map((t) => t.tranche));
    expect(quiet!.pathTotals.tranches.map((t) => t.tranche)).toEqual(['insuranceFund', 'backstopVault', 'adl', 'socializeFunding']);
  });

  it('by step: fund fan, liquidated notional mean and fan, deficit mean', () => {
    const s = buildReport(INPUT).variants[0]!.byStep;
    // Fund at step 0 sorted 5, 9, 10, 10 (ranks p5 1, p25 1, p50 2, p75 3, p95 ceil(3.8) = 4); step 1 sorted 0, 5, 9, 10.
    expect(s.insuranceFund).toEqual({ p5: ['5', '0'], p25: ['5', '0'], p50: ['9', '5'], p75: ['10', '9'], p95: ['10', '10'] });
    // Notional: step 0 (100 + 0 + 0 + 40) / 4 = 35; step 1 (50 + 0 + 300 + 0) / 4 = 87.5 -> 87.
    expect(s.liquidatedNotionalMean).toEqual(['35', '87']);
    // Sorted 0, 0, 40, 100 and 0, 0, 50, 300.
    expect(s.liquidatedNotional).toEqual({ p5: ['0', '0'], p25: ['0', '0'], p50: ['0', '0'], p75: ['40', '50'], p95: ['100', '300'] });
    // Deficits: (5 + 0 + 0 + 1) / 4 = 1.5 -> 1; (3 + 0 + 12 + 0) / 4 = 3.75 -> 3.
    expect(s.deficitMean).toEqual(['1', '3']);
  });

  it('the report is the same JSON whatever the order of the results', () => {
    const a = JSON.stringify(buildReport(INPUT));
    expect(JSON.stringify(buildReport({ ...INPUT, results: shuffled(INPUT.results) }))).toBe(a);
    expect(JSON.stringify(buildReport({ ...INPUT, results: [...INPUT.results].reverse() }))).toBe(a);
  });

  it('a variant without results reports zeros; bad results are refused', () => {
    const r = buildReport({ ...INPUT, results: BASE });
    expect(r.variants[1]).toMatchObject({ paths: 0, fundExhaustedProbability: 0, prefundedQuote: '0', socialized: { mean: '0' } });
    expect(r.variants[1]!.byStep.deficitMean).toEqual(['0', '0']);
    // Refusals are InputError(InvalidShard) naming the field and the result's row.
    const refused = (input: unknown) => caught(() => buildReport(input as never));
    expect(refused({ ...INPUT, results: [...BASE, BASE[1]!] })).toMatchObject({ name: 'InputError', codeName: 'InvalidShard', field: 'results.path', message: expect.stringMatching(/path 1 of variant 0 appears twice/) });
    expect(refused({ ...INPUT, results: [pathResult(0, 2, STEPS, {})] })).toMatchObject({ codeName: 'InvalidShard', field: 'results.variant', row: 0, message: expect.stringMatching(/2 is not an integer in 0\.\.1/) });
    expect(refused({ ...INPUT, results: [pathResult(0, 0, 3, {})] })).toMatchObject({ codeName: 'InvalidShard', field: `results.metrics.${STEP_METRICS[0]}`, row: 0, message: expect.stringMatching(/a list of 2 steps/) });
    expect(refused({ ...INPUT, results: null })).toMatchObject({ codeName: 'InvalidShard', field: 'results' });
    expect(refused(null)).toMatchObject({ codeName: 'InvalidShard', field: '' });
  });

  it('path results survive serialization exactly', () => {
    const big = { ...BASE[0]!, cover2Quote: 2n ** 80n, prefundedQuote: -(2n ** 70n) };
    const s = serializePathResult(big);
    expect(s.cover2Quote).toBe('1208925819614629174706176');
    expect(deserializePathResult(JSON.parse(JSON.stringify(s)))).toEqual(big);
    expect(() => deserializePathResult({ ...s, cover1Quote: '1.5' })).toThrow(/path 0 of variant 0: cover1Quote/);
  });
});

describe('simulation stats: configuration hash', () => {
  it('FNV-1a 64 test vectors', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });

  it('canonical JSON sorts keys recursively and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }, undefined] })).toBe('{"a":[{"d":2},null],"b":1}');
  });

  it('stable under key order, different for different values', () => {
    const h = configHash({ a: 1, b: { c: [1, 2], d: 'x' } });
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(configHash({ b: { d: 'x', c: [1, 2] }, a: 1 })).toBe(h);
    expect(configHash({ a: 1, b: { c: [2, 1], d: 'x' } })).not.toBe(h);
    expect(configHash({ a: 2, b: { c: [1, 2], d: 'x' } })).not.toBe(h);
    expect(h).toBe(fnv1a64('{"a":1,"b":{"c":[1,2],"d":"x"}}'));
  });
});

/** The shard of paths [from, to) of INPUT, every variant. */
function shard(from: number, to: number, elapsedMs = 5): ShardResult {
  return {
    format: 'riskcore-simulation-shard', version: 1, configHash: INPUT.configHash, config: CONFIG, variants: VARIANTS,
    pathFrom: from, pathTo: to, quoteDecimals: 0, elapsedMs,
    results: INPUT.results.filter((r) => r.path >= from && r.path < to).map(serializePathResult),
  };
}

describe('simulation stats: shards', () => {
  it('merges in any shard order to the same report as one run', () => {
    const one = buildReport({ ...INPUT, elapsedMs: 15 });
    for (const order of [[shard(0, 1), shard(1, 3), shard(3, 4)], [shard(3, 4), shard(0, 1), shard(1, 3)]]) {
      const merged = mergeShards(order, { paths: 4 });
      expect(merged.elapsedMs).toBe(15); // 3 shards x 5 ms
      expect(merged.steps).toBe(STEPS);
      expect(JSON.stringify(buildReport(merged))).toBe(JSON.stringify(one));
    }
  });

  it('rejects overlaps, duplicates, gaps and shards of other runs', () => {
    expect(() => mergeShards([shard(0, 2), shard(1, 4)])).toThrow('shards overlap: [0, 2) and [1, 4)');
    expect(() => mergeShards([shard(0, 2), shard(0, 2), shard(2, 4)])).toThrow('duplicate shard: paths [0, 2) appear twice');
    expect(() => mergeShards([shard(3, 4), shard(0, 2)])).toThrow('missing paths [2, 3)');
    expect(() => mergeShards([shard(1, 4)])).toThrow('missing paths [0, 1)');
    expect(() => mergeShards([shard(0, 2)], { paths: 4 })).toThrow('missing paths [2, 4)');
    expect(() => mergeShards([shard(0, 2), { ...shard(2, 4), configHash: '0000000000000000' }])).toThrow(/configuration hash 0000000000000000 differs/);
    expect(() => mergeShards([shard(0, 2), { ...shard(2, 4), variants: VARIANTS.slice(0, 1) }])).toThrow(/variants differ/);
    expect(() => mergeShards([shard(0, 2), { ...shard(2, 4), quoteDecimals: 6 }])).toThrow(/quoteDecimals 6 differs/);
    expect(() => mergeShards([])).toThrow(/no shards/);
    expect(caught(() => mergeShards(null as never))).toMatchObject({ name: 'InputError', codeName: 'InvalidShard', field: '' });
    expect(caught(() => mergeShards([shard(0, 2)], { names: 'a' } as never))).toMatchObject({ codeName: 'InvalidShard', field: 'options.names' });
  });

  it('rejects a shard whose results are not every variant of every path of its range', () => {
    const s = shard(0, 2);
    expect(() => mergeShards([{ ...s, results: s.results.slice(1) }])).toThrow('shard [0, 2): 3 results, expected 4');
    expect(() => mergeShards([{ ...s, results: [...s.results, s.results[0]!] }])).toThrow('path 0 of variant 0 appears twice');
    expect(() => mergeShards([{ ...s, results: [...s.results, shard(2, 3).results[0]!] }])).toThrow('path 2 of variant 0 is outside the shard');
  });
});

describe('simulation stats: risk-takers', () => {
  it('returns, annualized returns, drawdowns and P(loss) per class, worked by hand', () => {
    // Two paths of 3 steps of 60 s (horizon 180 s). Stakers start at 1,000 atoms on both.
    //   path 0: 1,100, 900, 1,200 -> r = 200 * 10^6 / 1,000 = 200,000 ppm; peak 1,100 then 900:
    //           drawdown floor(200 * 10^6 / 1,100) = 181,818 ppm; no loss.
    //   path 1: 1,000, 800, 950   -> r = -50,000 ppm; drawdown floor(200 * 10^6 / 1,000) = 200,000; a loss.
    // Mean r = 75,000; annualized floor(75,000 * 31,536,000 / 180) = 13,140,000,000 ppm.
    // p5 of r (nearest rank ceil(0.05 * 2) = 1): -50,000. Drawdowns: mean floor(381,818 / 2) = 190,909; p95 rank 2: 200,000.
    // The vault starts at 0 on both paths: no return, no drawdown, no loss. Combined = stakers + vault.
    const start = { stakerValueQuote: 1_000n, vaultNavQuote: 0n, treasuryQuote: 5n };
    const results = [
      pathResult(0, 0, 3, { stakerValueQuote: [1_100, 900, 1_200], feeRevenueQuote: [10, 0, 3], treasuryQuote: [5, 9, 15] }, { start }),
      pathResult(1, 0, 3, { stakerValueQuote: [1_000, 800, 950], coveredAdl: [0, 7, 0], treasuryQuote: [5, 5, 6] }, { start }),
    ];
    const input: ReportInput = {
      config: { steps: 3, stepSeconds: 60 }, configHash: 'x', variants: [{ name: 'base', variant: {} }], results, quoteDecimals: 0, steps: 3, elapsedMs: 1,
    };
    const r = buildReport(input).variants[0]!.riskTakers;
    expect(r.stakers).toEqual({
      startQuote: '1000', meanReturnPpm: 75_000, annualizedReturnPpm: 13_140_000_000, p5ReturnPpm: -50_000, lossProbability: 0.5,
      maxDrawdown: { meanPpm: 190_909, p95Ppm: 200_000 },
    });
    expect(r.vaultDepositors).toMatchObject({ startQuote: '0', meanReturnPpm: 0, lossProbability: 0, maxDrawdown: { meanPpm: 0, p95Ppm: 0 } });
    expect(r.combined).toEqual(r.stakers);
    // Fees: (13 + 0) / 2 = 6.5 -> 6; treasury gains (15 - 5) and (6 - 5): mean floor(11 / 2) = 5.
    expect([r.feeRevenueQuote, r.treasuryGainQuote]).toEqual(['6', '5']);
    // Winners were hit (ADL covered something) on path 1 only.
    expect(r.winnersHitProbability).toBe(0.5);
  });
});
