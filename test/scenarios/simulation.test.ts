/**
 * The stress simulation's step loop on hand-made books (docs/SIMULATION.md), every figure worked by
 * hand. Books are built with the engine API and simulated with `Simulator.fromEngine`; replayed CSV
 * prices (one row per step) make every mark exact. After `runPath` the engine holds the path's final
 * state (until the next `runPath` restores the snapshot), so marks, funding indices and accounts are
 * read from it directly.
 *
 * The step (docs/SIMULATION.md, "A step"):
 *   mark = floor(path[t] * level / 10^9); both funding indices += floor(mark * rate / 10^6)
 *   closes: n = floor(|d| * mark / D), C = notional closed in the market this step (this close included),
 *     impact = min(maxPpm, floor(C * slopePpm / depth)), depth = floor(floor(OI * mark0 / D) * depthPpm / 10^6);
 *     a buy executes at ceil(mark * (10^6 + impact) / 10^6), a sell at floor(mark * (10^6 - impact) / 10^6)
 *   permanent: perm = floor(min(maxPpm, floor(|net| * slopePpm / depth)) * permanentPpm / 10^6),
 *     level = floor(level * (10^6 +- perm) / 10^6), from the next step on (prices form once per step)
 * Closes (docs/FORMULAS.md): cash(d) = floor(-d q / D), realized = floor(quote c / |s|) + cash(d),
 *   dE = cash(d) + floor((s + d) m / D) - floor(s m / D), S = E_slice + dE, E' = E + dE,
 *   F = ceil(|d| q fee / (D 10^6)), fee = min(F, max(S, 0), max(E', 0)), deficit = min(max(-S, 0), max(-E', 0)),
 *   C_after = C - owed + realized - fee + deficit.
 * Unless a comment says otherwise: quote decimals 0 (amounts are atoms), D = 1, flat IM 10 % / MM 5 %.
 */
import { describe, expect, it } from 'vitest';
import {
  buildReport, CRASH_SCENARIO, InputError, mergeShards, RiskCoreError, simulate, Simulator, STEP_METRICS, type LiquidationPolicy, type PathResult, type RiskEngine, type SimulationConfig,
  type StepMetric, type WaterfallConfig,
} from '../../dist/src/node.js';
import { shockGridPath } from '../../dist/src/simulation/scenarios.js';
import { caught, createEngine, rejected, stateDigest } from '../support/engine.js';
import { memoryBytes } from '../support/simulation.js';

const FLAT = { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } as const;
const FUND_ONLY: WaterfallConfig = { steps: [{ kind: 'insuranceFund' }] };
/** Close whole positions at the mark (before impact), no fee. */
const FULL: LiquidationPolicy = { close: 'full' };
/** No price impact at all. */
const NO_IMPACT = { slopePpm: 0, permanentPpm: 0 };

/** A small engine (quote decimals 0 unless given). */
function smallEngine(quoteDecimals = 0): Promise<RiskEngine> {
  return createEngine({ quoteDecimals, maxAccounts: 64, maxPositions: 256, maxIsolated: 64, maxMarkets: 8 });
}

/** Metric `name` of a path at every step. */
const series = (r: PathResult, name: StepMetric): bigint[] => r.metrics[STEP_METRICS.indexOf(name)]!;
/** Metrics of step t (1-based) as an object, only the non-zero ones. */
function stepMetrics(r: PathResult, t: number): Partial<Record<StepMetric, bigint>> {
  return Object.fromEntries(STEP_METRICS.map((k, j) => [k, r.metrics[j]![t - 1]!] as const).filter(([, v]) => v !== 0n));
}

// ------------------------------------------------------------------------------------------------

describe('simulation: funding', () => {
  it('each step moves both indices by floor(mark * rate / 10^6), and positions settle it into equity', async () => {
    // 6 quote decimals; two markets at 123.456789 USD = 123,456,789 atoms, D = 1, indices 1,000 atoms.
    const engine = await smallEngine(6);
    const mark = 123_456_789n;
    const m0 = engine.addMarket({ baseDecimals: 0, markPrice: mark, fundingIndexLong: 1_000n, fundingIndexShort: 1_000n, curve: FLAT });
    const m1 = engine.addMarket({ baseDecimals: 0, markPrice: mark, fundingIndexLong: 1_000n, fundingIndexShort: 1_000n, curve: FLAT });
    // Size 10 entered at the mark (value 0), snapshot at the index (nothing owed yet), 10,000 USD collateral.
    const C = 10_000_000_000n;
    const pos = (marketId: number, sizeBase: bigint) => ({ collateralQuote: C, positions: [{ marketId, sizeBase, quoteBalance: -sizeBase * mark, fundingSnapshot: 1_000n }] });
    const [l0, s0, l1, s1] = engine.addAccounts([pos(m0, 10n), pos(m0, -10n), pos(m1, 10n), pos(m1, -10n)]);
    // Replay: three steps; market 0 priced at its mark, market 1 has no column (it keeps its mark).
    const csv = 'step,0\n1,123.456789\n2,123.456789\n3,123.456789\n';
    const sim = Simulator.fromEngine(engine, {
      scenario: { kind: 'replay', csv }, fundingRatePpm: [100, -100], policy: FULL, waterfall: FUND_ONLY, impact: NO_IMPACT,
    });
    expect(sim.config.steps).toBe(3);
    const [r] = sim.runPath(0);
    // Market 0, +100 ppm: floor(123,456,789 * 100 / 10^6) = floor(12,345.6789) = 12,345 per step, 37,035 over 3.
    // Market 1, -100 ppm: floor(-12,345.6789) = -12,346 per step (toward -infinity), -37,038 over 3.
    expect(engine.market(m0)).toMatchObject({ markPrice: mark, fundingIndexLong: 1_000n + 37_035n, fundingIndexShort: 1_000n + 37_035n });
    expect(engine.market(m1)).toMatchObject({ markPrice: mark, fundingIndexLong: 1_000n - 37_038n, fundingIndexShort: 1_000n - 37_038n });
    // owed = ceil(size * (I - snapshot) / D):
    //   long 0: 10 * 37,035 = 370,350 (pays); short 0: -370,350 (receives)
    //   long 1: 10 * -37,038 = -370,380 (receives); short 1: +370,380 (pays)
    engine.check();
    expect(engine.account(l0!).figures.equityQuote).toBe(C - 370_350n);
    expect(engine.account(s0!).figures.equityQuote).toBe(C + 370_350n);
    expect(engine.account(l1!).figures.equityQuote).toBe(C + 370_380n);
    expect(engine.account(s1!).figures.equityQuote).toBe(C - 370_380n);
    // Nothing was liquidatable: every liquidation metric is 0 at every step.
    for (const k of ['closes', 'groups', 'deficitQuote', 'rounds'] as const) expect(series(r!, k)).toEqual([0n, 0n, 0n]);
    // Each path starts from the snapshot: a second run ends in the same place, not at 6 steps of funding.
    sim.runPath(0);
    expect(engine.market(m0).fundingIndexLong).toBe(1_000n + 37_035n);
    expect(engine.market(m1).fundingIndexShort).toBe(1_000n - 37_038n);
  });
});

// ------------------------------------------------------------------------------------------------

describe('simulation: shock grid', () => {
  // Two markets: 60,000 USD (6 quote decimals, D = 10^8) and 12,345.678901 USD; scan range 150,000 ppm,
  // 4 steps, extreme multiple 2x. price(t) = floor(mark0 * (den E E T + num range X t) / (den E E T)).
  const MARKS = [60_000_000_000n, 12_345_678_901n];
  const GRID = { kind: 'shockGrid', scanRangePpm: 150_000 } as const;

  it('shockGridPath: +1/3, -1/3 and the -extreme move, step by step', () => {
    const marks = BigInt64Array.from(MARKS);
    const rows = (p: number): bigint[][] => {
      const out = shockGridPath(GRID, marks, 4, p);
      return [0, 1, 2, 3].map((t) => [out[2 * t]!, out[2 * t + 1]!]);
    };
    // +1/3 (num 1, den 3, X = E): den E E T = 3 * 10^12 * 4 = 1.2e13, numerator 1.2e13 + 1.5e11 t:
    // the factor is 1 + 0.0125 t. Market 0: 60e9 + 750e6 t, exact. Market 1: 12,345,678,901 * 0.0125
    // = 154,320,986.2625 per step: t = 1: 12,499,999,887.2625 -> 12,499,999,887; t = 2: ...873.525 ->
    // 12,654,320,873; t = 3: ...859.7875 -> 12,808,641,859; t = 4: 12,962,962,846.05 -> 12,962,962,846.
    expect(rows(1)).toEqual([
      [60_750_000_000n, 12_499_999_887n], [61_500_000_000n, 12_654_320_873n],
      [62_250_000_000n, 12_808_641_859n], [63_000_000_000n, 12_962_962_846n],
    ]);
    // -1/3 at t = 4: factor 0.95; 12,345,678,901 - 617,283,945.05 = 11,728,394,955.95 -> floor 11,728,394,955
    // (the floor, not the nearest atom).
    expect(rows(2)[3]).toEqual([57_000_000_000n, 11_728_394_955n]);
    // -extreme (num -1, den 1, X = 2 * 10^6): 4e12 - 150,000 * 2e6 * t = 4e12 - 3e11 t, factor 1 - 0.075 t.
    // Market 0: 55.5e9, 51e9, 46.5e9, 42e9. Market 1: 925,925,917.575 per step:
    // 11,419,752,983.425; 10,493,827,065.85; 9,567,901,148.275; 8,641,975,230.7 -> floors.
    expect(rows(8)).toEqual([
      [55_500_000_000n, 11_419_752_983n], [51_000_000_000n, 10_493_827_065n],
      [46_500_000_000n, 9_567_901_148n], [42_000_000_000n, 8_641_975_230n],
    ]);
    // Path 0 (move 0) is flat.
    expect(rows(0)).toEqual([0, 1, 2, 3].map(() => MARKS));
  });

  it('a shock-grid run ends at the formula\'s last-step price; nine paths; each path restores the book', async () => {
    const engine = await smallEngine(6);
    engine.addMarket({ baseDecimals: 8, markPrice: MARKS[0]!, curve: FLAT });
    engine.addMarket({ baseDecimals: 0, markPrice: MARKS[1]!, curve: FLAT });
    // 0.01 BTC long and 1 unit short of market 1 with 10^6 USD: never near liquidation.
    engine.addAccounts([{ collateralQuote: 10n ** 12n, positions: [{ marketId: 0, sizeBase: 1_000_000n, quoteBalance: -600_000_000n }, { marketId: 1, sizeBase: -1n, quoteBalance: MARKS[1]! }] }]);
    const sim = Simulator.fromEngine(engine, { scenario: GRID, steps: 4, fundingRatePpm: 0, policy: FULL, waterfall: FUND_ONLY, impact: NO_IMPACT });
    expect(sim.pathCount).toBe(9);
    const marks = (): bigint[] => [engine.market(0).markPrice, engine.market(1).markPrice];
    sim.runPath(1); // +1/3: the t = 4 row above
    expect(marks()).toEqual([63_000_000_000n, 12_962_962_846n]);
    sim.runPath(8); // -extreme
    expect(marks()).toEqual([42_000_000_000n, 8_641_975_230n]);
    sim.runPath(7); // +extreme: factor 1.3; 12,345,678,901 * 1.3 = 16,049,382,571.3 -> 16,049,382,571
    expect(marks()).toEqual([78_000_000_000n, 16_049_382_571n]);
    sim.runPath(0); // no move: back to the marks at preparation
    expect(marks()).toEqual(MARKS);
  });

  it('a move past 2^63 atoms is clamped to the largest mark, not wrapped around', async () => {
    // docs/SIMULATION.md: the grid moves the market to mark0 * (1 + move), and step 1 clamps marks to
    // 1 .. 2^62 (the range of a valid mark). Mark 2^62 atoms (18 quote decimals: 4.61 quote units), scan range 100 %, extreme
    // multiple 3x: +extreme is mark0 * (1 + 3) = 2^64 atoms, which clamps to 2^62.
    const engine = await smallEngine(18);
    engine.addMarket({ baseDecimals: 0, markPrice: 1n << 62n, curve: FLAT });
    const sim = Simulator.fromEngine(engine, {
      scenario: { kind: 'shockGrid', scanRangePpm: 1_000_000, extremeMultiplePpm: 3_000_000 }, steps: 1, fundingRatePpm: 0,
      policy: FULL, waterfall: FUND_ONLY, impact: NO_IMPACT,
    });
    sim.runPath(7);
    expect(engine.market(0).markPrice, 'a +300 % shock of a 2^62 mark must end at the top of the price range (2^62), not wrap to a crash').toBe(1n << 62n);
  });
});

// ------------------------------------------------------------------------------------------------

describe('simulation: price impact', () => {
  /**
   * Market 0 and market 1 at 1,000 atoms. Two longs in market 0 and a short in market 1, each of 100
   * entered at 1,000 (value 0); B takes the other sides with 10^6 collateral.
   *   A2: long 100, collateral 11,000   A: long 100, collateral 12,000   S: short 100, collateral 12,000
   * At the start (1,000): equity 11,000 / 12,000 / 12,000 >= IM 10,000: healthy.
   * Step 1 (900 in market 0, 1,100 in market 1):
   *   A2: E = 11,000 + 90,000 - 100,000 = 1,000, MM = ceil(90,000 * 5 %) = 4,500: liquidatable (ratio 0.22)
   *   A : E = 2,000, MM 4,500 (ratio 0.44);  S: E = 12,000 - 110,000 + 100,000 = 2,000, MM 5,500 (0.36)
   * Risk order A2, S, A; in market 0 A2 closes first.
   * Depth at the start: market 0 OI = 200 (both sides), floor(200 * 1,000) = 200,000, 10 % -> 20,000;
   * market 1 OI = 100 -> 100,000 -> 10,000.
   */
  async function impactBook(): Promise<{ engine: RiskEngine; a2: number; a: number; s: number }> {
    const engine = await smallEngine();
    engine.addMarket({ baseDecimals: 0, markPrice: 1_000n, curve: FLAT });
    engine.addMarket({ baseDecimals: 0, markPrice: 1_000n, curve: FLAT });
    const [a2, a, s] = engine.addAccounts([
      { collateralQuote: 11_000n, positions: [{ marketId: 0, sizeBase: 100n, quoteBalance: -100_000n }] },
      { collateralQuote: 12_000n, positions: [{ marketId: 0, sizeBase: 100n, quoteBalance: -100_000n }] },
      { collateralQuote: 12_000n, positions: [{ marketId: 1, sizeBase: -100n, quoteBalance: 100_000n }] },
      { collateralQuote: 1_000_000n, positions: [{ marketId: 0, sizeBase: -200n, quoteBalance: 200_000n }, { marketId: 1, sizeBase: 100n, quoteBalance: -100_000n }] },
    ]);
    engine.depositInsuranceFund(100_000n);
    return { engine, a2: a2!, a: a!, s: s! };
  }
  const config = (csv: string, maxPpm = 50_000): SimulationConfig => ({
    scenario: { kind: 'replay', csv }, fundingRatePpm: 0, policy: FULL, waterfall: FUND_ONLY,
    impact: { depthPpmOfOpenInterest: 100_000, slopePpm: 1_000, permanentPpm: 500_000, maxPpm },
  });

  it('closes execute worse than the mark by the step\'s cumulative impact; the levels carry the permanent part', async () => {
    const { engine, a2, a, s } = await impactBook();
    const sim = Simulator.fromEngine(engine, config('step,0,1\n1,900,1100\n2,1000,1000\n'));
    const [r] = sim.runPath(0);
    // Market 0, A2 first: n = 100 * 900 = 90,000, C = 90,000, impact = floor(90,000 * 1,000 / 20,000) = 4,500 ppm;
    //   a sell: floor(900 * 995,500 / 10^6) = floor(895.95) = 895.
    //   cash = 89,500, realized = -100,000 + 89,500 = -10,500; dE = 89,500 - 90,000 = -500, S = 1,000 - 500 = 500 >= 0:
    //   no deficit, no fee; collateral 11,000 - 10,500 = 500.
    // Then A: C = 180,000, impact = floor(180,000 * 1,000 / 20,000) = 9,000; floor(900 * 991,000 / 10^6) = floor(891.9) = 891.
    //   realized = -100,000 + 89,100 = -10,900; S = 2,000 - 900 = 1,100; collateral 12,000 - 10,900 = 1,100.
    // Market 1, S (a buy): n = 110,000, impact = floor(110,000 * 1,000 / 10,000) = 11,000;
    //   ceil(1,100 * 1,011,000 / 10^6) = ceil(1,112.1) = 1,113; cash = -111,300, realized = 100,000 - 111,300 = -11,300;
    //   dE = -111,300 + 110,000 = -1,300, S = 2,000 - 1,300 = 700; collateral 12,000 - 11,300 = 700.
    expect([a2, a, s].map((id) => engine.account(id).collateralQuote)).toEqual([500n, 1_100n, 700n]);
    expect([a2, a, s].map((id) => engine.account(id).positions.length)).toEqual([0, 0, 0]);
    // Closed notional at the execution prices: 100 * 895 + 100 * 891 + 100 * 1,113 = 289,900.
    expect(stepMetrics(r!, 1)).toEqual({ closes: 3n, groups: 3n, closedNotionalQuote: 289_900n, insuranceFundQuote: 100_000n, rounds: 1n });
    expect(stepMetrics(r!, 2)).toEqual({ insuranceFundQuote: 100_000n });
    // Permanent impact of the round: market 0 net -180,000: min(50,000, 9,000) * 500,000 / 10^6 = 4,500,
    //   level = floor(10^9 * 995,500 / 10^6) = 995,500,000; market 1 net +110,000: 11,000 / 2 = 5,500, level 1,005,500,000.
    // Step 2 (1,000 and 1,000): floor(1,000 * 0.9955) = 995, floor(1,000 * 1.0055) = 1,005.5 -> 1,005.
    expect([engine.market(0).markPrice, engine.market(1).markPrice]).toEqual([995n, 1_005n]);
    // A second run restores the book and gives the same numbers.
    const [again] = sim.runPath(0);
    expect(again).toEqual(r);
    expect([a2, a, s].map((id) => engine.account(id).collateralQuote)).toEqual([500n, 1_100n, 700n]);
  });

  it('within a step every round sees the same marks; the level moves the next step\'s marks only', async () => {
    const { engine } = await impactBook();
    const sim = Simulator.fromEngine(engine, config('step,0,1\n1,900,1100\n'));
    sim.runPath(0);
    // "prices form once per step": the levels moved in round 1 (995,500,000 and 1,005,500,000) but
    // the marks of step 1 stay floor(900 * 10^9 / 10^9) = 900 and 1,100.
    expect([engine.market(0).markPrice, engine.market(1).markPrice]).toEqual([900n, 1_100n]);
  });

  it('maxPpm caps the impact of each close and of the permanent move', async () => {
    const { engine, a2, a, s } = await impactBook();
    const sim = Simulator.fromEngine(engine, config('step,0,1\n1,900,1100\n2,900,1100\n', 5_000));
    sim.runPath(0);
    // maxPpm 5,000: A2 4,500 (under the cap) -> 895, collateral 500 as before;
    //   A min(5,000, 9,000) = 5,000: floor(900 * 995,000 / 10^6) = floor(895.5) = 895; realized -100,000 + 89,500 = -10,500 -> 1,500;
    //   S min(5,000, 11,000) = 5,000: ceil(1,100 * 1,005,000 / 10^6) = ceil(1,105.5) = 1,106; realized 100,000 - 110,600 -> 1,400.
    expect([a2, a, s].map((id) => engine.account(id).collateralQuote)).toEqual([500n, 1_500n, 1_400n]);
    // Permanent: 5,000 * 500,000 / 10^6 = 2,500 both ways: levels 997,500,000 and 1,002,500,000;
    // step 2 (900 and 1,100 again): floor(900 * 0.9975) = floor(897.75) = 897, floor(1,100 * 1.0025) = floor(1,102.75) = 1,102.
    expect([engine.market(0).markPrice, engine.market(1).markPrice]).toEqual([897n, 1_102n]);
  });
});

// ------------------------------------------------------------------------------------------------

describe('simulation: metrics of a step', () => {
  /**
   * Market at 1,000, step 1 at 900; fee 1 % with half to the liquidator; no impact; fund 100,000.
   *   L: long 100 entered at 1,000, collateral 12,000: at 900 E = 2,000 < MM 4,500, liquidatable.
   *      Full close at 900: cash 90,000, dE = 0, S = 2,000, E' = 2,000; F = ceil(90,000 * 1 %) = 900,
   *      fee = min(900, 2,000, 2,000) = 900: 450 to the liquidator, 450 to the fund; collateral
   *      12,000 - 10,000 - 900 = 1,100.
   *   K: long 100, collateral 7,000: E = -3,000, bankrupt. S = E' = -3,000: fee 0, deficit 3,000, collateral 0.
   *   X: short 200 with 10^6 collateral.
   * The fund: 100,000 + 450 - 3,000 (the deficit, covered by the fund) = 97,450 at the end of the step.
   */
  const POLICY: LiquidationPolicy = { close: 'full', liquidationFeePpm: 10_000, liquidatorSharePpm: 500_000 };
  async function book(): Promise<{ engine: RiskEngine; l: number; k: number }> {
    const engine = await smallEngine();
    engine.addMarket({ baseDecimals: 0, markPrice: 1_000n, curve: FLAT });
    const [l, k] = engine.addAccounts([
      { collateralQuote: 12_000n, positions: [{ marketId: 0, sizeBase: 100n, quoteBalance: -100_000n }] },
      { collateralQuote: 7_000n, positions: [{ marketId: 0, sizeBase: 100n, quoteBalance: -100_000n }] },
      { collateralQuote: 1_000_000n, positions: [{ marketId: 0, sizeBase: -200n, quoteBalance: 200_000n }] },
    ]);
    engine.depositInsuranceFund(100_000n);
    engine.setWaterfall(FUND_ONLY);
    return { engine, l: l!, k: k! };
  }

  it('closes, closed notional, groups, deficit, fund balance at the end of the step, cover', async () => {
    const { engine, l, k } = await book();
    const sim = Simulator.fromEngine(engine, { scenario: { kind: 'replay', csv: 'step,0\n1,900\n2,900\n' }, fundingRatePpm: 0, policy: POLICY, waterfall: FUND_ONLY, impact: NO_IMPACT });
    const [r] = sim.runPath(0);
    expect(stepMetrics(r!, 1)).toEqual({
      closes: 2n, groups: 2n, closedNotionalQuote: 180_000n, deficitQuote: 3_000n, insuranceFundQuote: 97_450n, rounds: 1n, coveredInsuranceFund: 3_000n,
    });
    // Step 2: nothing is liquidatable any more; the fund balance is still reported.
    expect(stepMetrics(r!, 2)).toEqual({ insuranceFundQuote: 97_450n });
    expect(r).toMatchObject({ prefundedQuote: 100_000n, cover1Quote: 3_000n, cover2Quote: 3_000n, fundExhausted: false });
    expect([engine.account(l).collateralQuote, engine.account(k).collateralQuote]).toEqual([1_100n, 0n]);
  });

  it('settle: what is liquidatable when the simulation is set up is liquidated first; paths start from there', async () => {
    const { engine, l, k } = await book();
    engine.setMarks([0], [900n]);
    // The same liquidations as above, before the snapshot: the fund holds 97,450 when paths start.
    const sim = Simulator.fromEngine(engine, { scenario: { kind: 'replay', csv: 'step,0\n1,900\n' }, fundingRatePpm: 0, policy: POLICY, waterfall: FUND_ONLY, impact: NO_IMPACT }, { settle: true });
    expect(sim.settledGroups).toBe(2);
    const [r] = sim.runPath(0);
    expect(stepMetrics(r!, 1)).toEqual({ insuranceFundQuote: 97_450n });
    expect(r).toMatchObject({ prefundedQuote: 97_450n, cover1Quote: 0n, fundExhausted: false });
    expect([engine.account(l).collateralQuote, engine.account(k).collateralQuote]).toEqual([1_100n, 0n]);
  });

  it('variants: margins scaled per variant on the same path (marginScalePpm)', async () => {
    // Long 100 entered at 1,000 with collateral 16,000: at 900, E = 16,000 - 10,000 = 6,000.
    //   as is: MM = ceil(90,000 * 5 %) = 4,500 <= 6,000: not liquidatable;
    //   x1.5: MM fraction 75,000 ppm, MM = ceil(90,000 * 7.5 %) = 6,750 > 6,000: liquidatable, closed whole
    //   at 900 (no impact): S = 6,000, fee = min(ceil(90,000 * 1 %) = 900, 6,000, 6,000) = 900.
    // At the start (1,000) x1.5: E = 16,000 >= IM 15 % * 100,000 = 15,000: healthy in both variants.
    const engine = await smallEngine();
    engine.addMarket({ baseDecimals: 0, markPrice: 1_000n, curve: FLAT });
    const [acc] = engine.addAccounts([
      { collateralQuote: 16_000n, positions: [{ marketId: 0, sizeBase: 100n, quoteBalance: -100_000n }] },
      { collateralQuote: 1_000_000n, positions: [{ marketId: 0, sizeBase: -100n, quoteBalance: 100_000n }] },
    ]);
    const sim = Simulator.fromEngine(engine, {
      scenario: { kind: 'replay', csv: 'step,0\n1,900\n' }, fundingRatePpm: 0, policy: POLICY, waterfall: FUND_ONLY, impact: NO_IMPACT,
      sweep: { marginScalePpm: [1_000_000, 1_500_000] },
    });
    expect(sim.variants.map((v) => v.name)).toEqual(['margin x1', 'margin x1.5']);
    const [asIs, scaled] = sim.runPath(0);
    expect(stepMetrics(asIs!, 1)).toEqual({});
    // The fund gets 450 of the 900 fee.
    expect(stepMetrics(scaled!, 1)).toEqual({ closes: 1n, groups: 1n, closedNotionalQuote: 90_000n, insuranceFundQuote: 450n, rounds: 1n });
    // The book is the last variant's: collateral 16,000 - 10,000 - 900 = 5,100.
    expect(engine.account(acc!).collateralQuote).toBe(5_100n);
  });

  it('the same figures as the engine\'s own cascade on an identical book at 900', async () => {
    const { engine } = await book();
    engine.setMarks([0], [900n]);
    const report = engine.liquidate(POLICY, { allocate: true });
    expect(report.totals).toMatchObject({ closes: 2, groups: 2, closedNotionalQuote: 180_000n, deficitQuote: 3_000n, fundFeeQuote: 450n, liquidatorFeeQuote: 450n });
    expect(engine.insuranceFund()).toBe(97_450n);
  });
});

// ------------------------------------------------------------------------------------------------

/** One market at 1,000; account 0 long and account 1 short one unit, entered at the mark; a fund of 10,000. */
async function longAndShort(): Promise<RiskEngine> {
  const engine = await smallEngine();
  engine.addMarket({ baseDecimals: 0, markPrice: 1_000n, curve: FLAT });
  engine.addAccounts([
    { collateralQuote: 1_000n, positions: [{ marketId: 0, sizeBase: 1n, quoteBalance: -1_000n }] },
    { collateralQuote: 1_000n, positions: [{ marketId: 0, sizeBase: -1n, quoteBalance: 1_000n }] },
  ]);
  engine.depositInsuranceFund(10_000n);
  return engine;
}

describe('simulation: the withdrawal run\'s settings', () => {
  it('the run\'s rules and capacity become the engine\'s; a variant\'s apply to its path only; every path reports its run', async () => {
    const engine = await longAndShort();
    const sim = Simulator.fromEngine(engine, {
      scenario: { kind: 'replay', csv: 'step,0\n1,1010\n2,1020\n' }, policy: FULL, waterfall: FUND_ONLY, impact: NO_IMPACT,
      economics: { withdrawals: { everySteps: 1, realizable: 'none', transferFloorPpm: 100_000, capacity: { periodSec: 3_600, ppmOfTotal: 10_000 } } },
      sweep: { realizable: ['all', 'pnlPool'], withdrawalCapacity: [{ periodSec: 600, minQuote: 5 }] },
    });
    try {
      expect(sim.variants.map((v) => v.name)).toEqual(['realizable all, capacity 0 % min 5 / 10m', 'realizable pnlPool, capacity 0 % min 5 / 10m']);
      // Set when the Simulator is made (the snapshot holds them): the run's own.
      expect(sim.engine.withdrawalRules()).toEqual({ realizable: 'none', transferFloorPpm: 100_000 });
      expect(sim.engine.withdrawalState()).toMatchObject({ periodSec: 3_600, ppmOfTotal: 10_000 });
      const results = sim.runPath(0);
      expect(results).toHaveLength(2);
      for (const r of results) {
        expect(Object.keys(r.withdrawals).sort()).toEqual(['chargedQuote', 'queuedRequests', 'receivedQuote', 'shortWinners', 'stillQueued', 'wantedQuote', 'winners']);
        expect(r.metrics).toHaveLength(STEP_METRICS.length);
      }
      // The last variant's settings stand until the next restore (its transfer floor is the run's).
      expect(sim.engine.withdrawalRules()).toEqual({ realizable: 'pnlPool', transferFloorPpm: 100_000 });
      expect(sim.engine.withdrawalState()).toMatchObject({ periodSec: 600, minQuote: 5n, ppmOfTotal: 0 });
    } finally {
      sim.dispose();
    }
  });
});

describe('simulation: Cover-1, Cover-2, prefunded resources, fund exhaustion', () => {
  /**
   * Markets 0 and 1 at 1,000; every loser is long 100 per market entered at 1,000; step 1: both at 500.
   * At 500 a long of 100 is worth 50,000 - 100,000 = -50,000, so E = collateral - 50,000 per position.
   *   X1: collateral 40,000 -> E = -10,000     X2: 30,000 -> -20,000     X3: 45,000 -> -5,000
   *   X4: long in both markets, 70,000 -> E = 70,000 - 100,000 = -30,000, two deficit records
   *       (each close: E_i = ceil(E * MM_i / M), 15,000 each) summing to 30,000.
   * Closed at the mark (no impact, no fee): S = E' = E_slice, deficit = -E_slice, collateral back to 0.
   * Losses per account: 10,000, 20,000, 5,000, 30,000: Cover-1 = 30,000 (X4, summed over its two
   * records), Cover-2 = 30,000 + 20,000 = 50,000; total deficit 65,000. At the start every loser is healthy
   * (X2: E = 30,000 >= IM 10,000).
   */
  async function book(fund: bigint, waterfall: WaterfallConfig = FUND_ONLY): Promise<RiskEngine> {
    const engine = await smallEngine();
    engine.addMarket({ baseDecimals: 0, markPrice: 1_000n, curve: FLAT });
    engine.addMarket({ baseDecimals: 0, markPrice: 1_000n, curve: FLAT });
    const long = (marketId: number) => ({ marketId, sizeBase: 100n, quoteBalance: -100_000n });
    engine.addAccounts([
      { collateralQuote: 40_000n, positions: [long(0)] },
      { collateralQuote: 30_000n, positions: [long(0)] },
      { collateralQuote: 45_000n, positions: [long(0)] },
      { collateralQuote: 70_000n, positions: [long(0), long(1)] },
      { collateralQuote: 100_000_000n, positions: [{ marketId: 0, sizeBase: -400n, quoteBalance: 400_000n }, { marketId: 1, sizeBase: -100n, quoteBalance: 100_000n }] },
    ]);
    if (fund > 0n) engine.depositInsuranceFund(fund);
    engine.setWaterfall(waterfall);
    return engine;
  }
  const CRASH_CSV = 'step,0,1\n1,500,500\n';

  it('a fund large enough: covers every deficit, not exhausted; a tiny one: exhausted (variants of one path)', async () => {
    const engine = await book(1_000n);
    // Variant 0 keeps the 1,000 the book has; variant 1 tops the fund up to 10^6.
    const sim = Simulator.fromEngine(engine, {
      scenario: { kind: 'replay', csv: CRASH_CSV }, fundingRatePpm: 0, policy: FULL, waterfall: FUND_ONLY, impact: NO_IMPACT,
      sweep: { insuranceFundQuote: ['1000', '1000000'] },
    });
    const [tiny, large] = sim.runPath(0);
    // Closes: 3 + 2 = 5 at 500, 50,000 each; 4 groups.
    expect(stepMetrics(large!, 1)).toEqual({
      closes: 5n, groups: 4n, closedNotionalQuote: 250_000n, deficitQuote: 65_000n, insuranceFundQuote: 935_000n, rounds: 1n, coveredInsuranceFund: 65_000n,
    });
    expect(large).toMatchObject({ prefundedQuote: 1_000_000n, cover1Quote: 30_000n, cover2Quote: 50_000n, fundExhausted: false });
    // Fund 1,000: it covers 1,000, 64,000 is uncovered (no later step), the fund ends at 0.
    expect(stepMetrics(tiny!, 1)).toEqual({
      closes: 5n, groups: 4n, closedNotionalQuote: 250_000n, deficitQuote: 65_000n, rounds: 1n, coveredInsuranceFund: 1_000n, uncoveredQuote: 64_000n,
    });
    expect(tiny).toMatchObject({ prefundedQuote: 1_000n, cover1Quote: 30_000n, cover2Quote: 50_000n, fundExhausted: true });
  });

  it('a deficit the backstop vault covers before the fund is reached does not exhaust the fund', async () => {
    // Waterfall: the backstop vault first (NAV 10^6), then the insurance fund (10^6). The vault covers all
    // 65,000; the fund is never asked. docs/SIMULATION.md: "fund exhausted: some run passed a deficit
    // beyond the insurance-fund steps (the fund was empty, at its floor or drawdown limit, or capped)" --
    // no deficit got past the fund here.
    const engine = await book(1_000_000n, { steps: [{ kind: 'backstopVault' }, { kind: 'insuranceFund' }] });
    const [vault, provider] = engine.addAccounts([{}, { collateralQuote: 1_000_000n }]);
    engine.setVaultAccount(vault!);
    engine.vaultDeposit(provider!, 1_000_000n);
    const sim = Simulator.fromEngine(engine, {
      scenario: { kind: 'replay', csv: CRASH_CSV }, fundingRatePpm: 0, policy: FULL, impact: NO_IMPACT,
      waterfall: { steps: [{ kind: 'backstopVault' }, { kind: 'insuranceFund' }] },
    });
    const [r] = sim.runPath(0);
    // Prefunded: fund 10^6 + vault NAV 10^6. The vault pays 65,000; the fund stays at 10^6.
    expect(stepMetrics(r!, 1)).toMatchObject({ deficitQuote: 65_000n, coveredBackstopVault: 65_000n, insuranceFundQuote: 1_000_000n, vaultNavQuote: 935_000n });
    expect(r).toMatchObject({ prefundedQuote: 2_000_000n, cover1Quote: 30_000n, cover2Quote: 50_000n });
    expect(r!.fundExhausted, 'the vault covered every deficit before the insurance fund step: no deficit passed beyond the fund').toBe(false);
  });
});

// ------------------------------------------------------------------------------------------------

describe('simulation: replay CSV errors', () => {
  async function oneMarket(): Promise<RiskEngine> {
    const engine = await smallEngine();
    engine.addMarket({ baseDecimals: 0, markPrice: 1_000n, curve: FLAT });
    engine.addMarket({ baseDecimals: 0, markPrice: 1_000n, curve: FLAT });
    return engine;
  }
  const replay = (csv: string): SimulationConfig => ({ scenario: { kind: 'replay', csv }, policy: FULL, waterfall: FUND_ONLY });
  async function csvError(csv: string): Promise<RiskCoreError> {
    const engine = await oneMarket();
    return caught(() => Simulator.fromEngine(engine, replay(csv)));
  }

  it('header: a market id out of range, twice, or not a number -> InvalidScenario naming csv row 0', async () => {
    for (const csv of ['step,0,2\n1,5,5\n', 'step,1,1\n1,5,5\n', 'step,-1\n1,5\n', 'step,btc\n1,5\n', 'step,0.5\n1,5\n']) {
      const e = await csvError(csv);
      expect(e, csv).toBeInstanceOf(InputError);
      expect({ code: e.code, codeName: e.codeName, field: e.field, row: e.row }, csv).toEqual({ code: 115, codeName: 'InvalidScenario', field: 'csv', row: 0 });
    }
  });

  it('header: a blank market column is not market 0', async () => {
    // "step," (a trailing comma) names no market; taking "" as market id 0 would silently drive market 0.
    for (const csv of ['step,\n1,5\n', 'step, ,1\n1,5,5\n']) {
      const engine = await oneMarket();
      let error: unknown;
      try { Simulator.fromEngine(engine, replay(csv)).runPath(0); } catch (e) { error = e; }
      expect(error, `${JSON.stringify(csv)} was accepted (market 0 ended at ${engine.market(0).markPrice})`).toBeInstanceOf(InputError);
      expect(error as RiskCoreError).toMatchObject({ code: 115, field: 'csv', row: 0 });
    }
  });

  it('rows: the wrong number of cells -> InvalidScenario naming the row (1-based, the header is row 0)', async () => {
    expect(await csvError('step,0,1\n1,5,5\n2,5\n')).toMatchObject({ code: 115, codeName: 'InvalidScenario', field: 'csv', row: 2 });
    expect(await csvError('step,0\n1,5,6\n')).toMatchObject({ code: 115, field: 'csv', row: 1 });
  });

  it('prices: zero or negative -> InvalidPrice naming the row', async () => {
    expect(await csvError('step,0\n1,5\n2,0\n')).toMatchObject({ code: 102, codeName: 'InvalidPrice', field: 'csv', row: 2 });
    expect(await csvError('step,1\n1,-5\n')).toMatchObject({ code: 102, codeName: 'InvalidPrice', field: 'csv', row: 1 });
  });

  it('prices: not a number -> InvalidScenario (or InvalidPrice) naming the row', async () => {
    // src/simulation/scenarios.ts replayPath: "Errors: InputError(InvalidScenario) naming the CSV row".
    for (const [csv, row] of [['step,0\n1,5\n2,abc\n', 2], ['step,0\n1,\n', 1]] as const) {
      const e = await csvError(csv);
      expect(e).toBeInstanceOf(InputError);
      expect({ field: e.field, row: e.row }).toEqual({ field: 'csv', row });
      expect(['InvalidScenario', 'InvalidPrice'], `${JSON.stringify(csv)}: ${e.message}`).toContain(e.codeName);
    }
  });

  it('a header and no rows -> InvalidScenario naming csv, before anything is built', async () => {
    const engine = await oneMarket();
    const before = stateDigest(engine), bytes = memoryBytes(engine);
    expect(caught(() => Simulator.fromEngine(engine, replay('step,0\n\n')))).toMatchObject({ code: 115, field: 'csv' });
    expect(stateDigest(engine)).toBe(before);
    expect(memoryBytes(engine)).toBe(bytes);
  });
});

// ------------------------------------------------------------------------------------------------

describe('simulation: the withdrawal run on a live venue\'s clock', () => {
  it('a capacity last timed at a later second than the waterfall\'s starts the paths there (requests are not refused as before it)', async () => {
    const engine = await longAndShort();
    // The venue served its queue at second 10^6: a request before that second is OutOfRange.
    engine.setWithdrawalCapacity({ periodSec: 3_600, minQuote: 100n });
    engine.serveWithdrawals(1_000_000);
    expect(engine.withdrawalState().capacitySec).toBe(1_000_000n);
    // The long (account 0) settles a loss of 100 at 900: the PnL pool holds 100.
    engine.setMarks([0], [900n]);
    engine.settlePnl(0, undefined, 1_000_000);
    expect(engine.pnlPool(0)).toBe(100n);
    // At 800 the short (account 1) gains 200; with p = 10^6 both turns come at step 1 and the short,
    // the one winner, settles at least the pool's 100 and asks for it: at second 60 that would be
    // refused (OutOfRange: before the capacity's second), so the path starts at 10^6.
    const sim = Simulator.fromEngine(engine, {
      scenario: { kind: 'replay', csv: 'step,0\n1,800\n2,800\n' }, policy: FULL, waterfall: FUND_ONLY, impact: NO_IMPACT, fundingRatePpm: 0,
      economics: { withdrawals: { everySteps: 1, probabilityPpm: 1_000_000, bankRunPpm: 0 } },
    });
    try {
      const [r] = sim.runPath(0);
      expect(r!.withdrawals.winners).toBe(1);
      expect(r!.withdrawals.receivedQuote).toBeGreaterThanOrEqual(100n);
    } finally {
      sim.dispose();
    }
  });
});

describe('simulation: stakers of their own and the cooldown', () => {
  it('ten accounts stake half the fund; with no cooldown those who ask leave within the run, with 13 days none does', async () => {
    // Fund 2,000 USD, stakers' share 500,000 ppm: the treasury deposits 1,000 USD (total = balance =
    // 10^9 shares at first), then ten accounts stake 100 USD each at one share per atom: total
    // 2 * 10^9 shares, the stakers' 10^9. Settling the book before the snapshot then draws on the
    // fund, so at the start the stakers hold floor(balance * 10^9 / (2 * 10^9)) = floor(balance / 2).
    const config: SimulationConfig = {
      book: { accounts: 600, markets: 4, seed: 31 }, seed: 31, scenario: CRASH_SCENARIO, paths: 1, steps: 30, insuranceFundQuote: '2000',
      economics: { stakers: { accounts: 10, sharePpm: 500_000 }, withdrawals: { everySteps: 2, probabilityPpm: 200_000, bankRunPpm: 800_000 } },
      sweep: { stakingCooldownSec: [0, 13 * 86_400] },
    };
    const sim = await Simulator.create(config);
    try {
      expect(sim.variants.map((v) => v.name)).toEqual(['cooldown 0d', 'cooldown 13d']);
      const fund = sim.engine.staking(0);
      expect(fund.stakers).toHaveLength(10);
      expect(fund.stakers.every((s) => s.shares === 100_000_000n)).toBe(true);
      expect([fund.totalShares, fund.stakerShares]).toEqual([2_000_000_000n, 1_000_000_000n]);
      const [none, long] = sim.runPath(0);
      expect(none!.start.stakerValueQuote).toBe(fund.balanceQuote / 2n);
      expect(long!.start.stakerValueQuote).toBe(fund.balanceQuote / 2n);
      // The engine holds the last variant's (13 days) book: requests are open, no staker has left.
      const after = sim.engine.staking(0).stakers;
      expect(after.some((s) => s.request !== null)).toBe(true);
      expect(after.every((s) => s.shares === 100_000_000n)).toBe(true);
      // Run the no-cooldown variant alone: some stakers have left (their shares burned).
      const alone = await Simulator.create({ ...config, sweep: { stakingCooldownSec: [0] } });
      try {
        alone.runPath(0);
        expect(alone.engine.staking(0).stakers.some((s) => s.shares === 0n)).toBe(true);
      } finally {
        alone.dispose();
      }
    } finally {
      sim.dispose();
    }
  });
});

describe('simulation: configuration errors', () => {
  const base: SimulationConfig = { scenario: { kind: 'replay', csv: 'step,0\n1,5\n' }, policy: FULL, waterfall: FUND_ONLY };
  const CASES: [string, SimulationConfig, string, number][] = [
    ['steps 0', { ...base, scenario: { kind: 'monteCarlo', volatilityPpm: 10_000 }, steps: 0 }, 'steps', -1],
    ['volatility above 10^6 ppm', { ...base, scenario: { kind: 'monteCarlo', volatilityPpm: 1_000_001 } }, 'volatilityPpm', -1],
    ['a negative volatility in a per-market list', { ...base, scenario: { kind: 'monteCarlo', volatilityPpm: [10_000, -1] } }, 'volatilityPpm', 1],
    ['an unknown waterfall preset', { ...base, waterfall: 'nope' }, 'waterfall', -1],
    ['a ranking function in the waterfall', { ...base, waterfall: { steps: [{ kind: 'insuranceFund' }, { kind: 'adl', ranking: () => 1 }] } }, 'waterfall', -1],
    ['an unknown preset in the sweep', { ...base, sweep: { waterfall: ['exchange', 'nope'] } }, 'sweep.waterfall', 1],
    ['an unknown kind of scenario', { ...base, scenario: { kind: 'garch' } as unknown as SimulationConfig['scenario'] }, 'scenario', -1],
    ['withdrawals every 0 steps', { ...base, economics: { withdrawals: { everySteps: 0 } } }, 'economics.withdrawals.everySteps', -1],
    ['a withdrawal probability above 10^6 ppm', { ...base, economics: { withdrawals: { probabilityPpm: 1_000_001 } } }, 'economics.withdrawals.probabilityPpm', -1],
    ['an unknown realizable rule', { ...base, economics: { withdrawals: { realizable: 'half' as never } } }, 'economics.withdrawals.realizable', -1],
    ['a capacity period over 366 days', { ...base, economics: { withdrawals: { capacity: { periodSec: 40_000_000 } } } }, 'economics.withdrawals.capacity.periodSec', -1],
    ['a realizable axis without a withdrawal run', { ...base, sweep: { realizable: ['all'] } }, 'sweep.realizable', -1],
    ['stakers of their own beside stakedPpm', { ...base, economics: { stakedPpm: 100_000, stakers: { accounts: 2, sharePpm: 100_000 } } }, 'economics.stakers', -1],
    ['no staker accounts', { ...base, economics: { stakers: { accounts: 0, sharePpm: 100_000 } } }, 'economics.stakers.accounts', -1],
    ['a negative cooldown in the sweep', { ...base, sweep: { stakingCooldownSec: [60, -1] } }, 'sweep.stakingCooldownSec', 1],
  ];

  it.each(CASES)('%s -> InvalidScenario naming the field; the engine is left as it was', async (_name, config, field, row) => {
    const engine = await smallEngine();
    engine.addMarket({ baseDecimals: 0, markPrice: 1_000n, curve: FLAT });
    engine.addMarket({ baseDecimals: 0, markPrice: 1_000n, curve: FLAT });
    engine.addAccounts([{ collateralQuote: 1_000n, positions: [{ marketId: 0, sizeBase: 1n, quoteBalance: -1_000n }] }]);
    const before = stateDigest(engine), bytes = memoryBytes(engine);
    const e = caught(() => Simulator.fromEngine(engine, config));
    expect(e).toBeInstanceOf(InputError);
    expect({ code: e.code, codeName: e.codeName, field: e.field, row: e.row }).toEqual({ code: 115, codeName: 'InvalidScenario', field, row });
    // Nothing built: the book, and the memory the simulation area would have grown, are untouched.
    expect(stateDigest(engine)).toBe(before);
    expect(memoryBytes(engine)).toBe(bytes);
  });

  it('stakers of their own on the caller\'s book -> InvalidScenario naming economics.stakers; nothing staked', async () => {
    const engine = await smallEngine();
    engine.addMarket({ baseDecimals: 0, markPrice: 1_000n, curve: FLAT });
    engine.addAccounts([{ collateralQuote: 1_000n }]);
    const before = stateDigest(engine);
    const e = caught(() => Simulator.fromEngine(engine, { ...base, economics: { stakers: { accounts: 1, sharePpm: 100_000 } } }));
    expect({ codeName: e.codeName, field: e.field }).toEqual({ codeName: 'InvalidScenario', field: 'economics.stakers' });
    expect(stateDigest(engine)).toBe(before);
  });

  it('too few accounts with free collateral to stake -> InvalidScenario naming economics.stakers.accounts', async () => {
    const e = await rejected(Simulator.create({ book: { accounts: 20, markets: 2, seed: 3 }, paths: 1, steps: 2, economics: { stakers: { accounts: 4096, sharePpm: 1_000_000 } } }));
    expect({ codeName: (e as InputError).codeName, field: (e as InputError).field }).toEqual({ codeName: 'InvalidScenario', field: 'economics.stakers.accounts' });
  });

  it('a capacity minimum out of the engine\'s range is refused before the engine changes (base and swept)', async () => {
    const over = '4611686018427387905'; // 2^62 + 1 atoms at 0 decimals
    const configs: [SimulationConfig, string, number][] = [
      [{ ...base, economics: { withdrawals: { capacity: { periodSec: 60, minQuote: over } } } }, 'economics.withdrawals.capacity.minQuote', -1],
      [{ ...base, economics: { withdrawals: {} }, sweep: { withdrawalCapacity: [null, { periodSec: 60, minQuote: over }] } }, 'sweep.withdrawalCapacity.minQuote', 1],
    ];
    for (const [config, field, row] of configs) {
      const engine = await smallEngine();
      engine.addMarket({ baseDecimals: 0, markPrice: 1_000n, curve: FLAT });
      engine.addAccounts([{ collateralQuote: 1_000n, positions: [{ marketId: 0, sizeBase: 1n, quoteBalance: -1_000n }] }]);
      const before = stateDigest(engine), rules = engine.withdrawalState();
      expect(caught(() => Simulator.fromEngine(engine, config))).toMatchObject({ codeName: 'InvalidScenario', field, row });
      expect(stateDigest(engine)).toBe(before);
      expect(engine.withdrawalState()).toEqual(rules);
    }
  });

  it('Simulator.create validates before it loads a core or builds a book', async () => {
    // A core that cannot be loaded: a configuration error must come first.
    const missing = new URL('./no-such-core.wasm', import.meta.url);
    for (const [, config, field] of CASES) {
      const e = await rejected(Simulator.create({ ...config, book: { accounts: 10, markets: 2 } }, { wasm: missing }));
      expect(e, String(e)).toBeInstanceOf(InputError);
      expect(e.field).toBe(field);
    }
    const e = await rejected(Simulator.create({ book: { accounts: 0 } }, { wasm: missing }));
    expect(e).toMatchObject({ code: 115, field: 'book.accounts' });
  });

  it('the replay CSV is validated before the engine is changed (its waterfall stays the caller\'s)', async () => {
    // config.ts: "Errors are InputError(InvalidScenario) naming the field ... thrown before anything is built."
    const engine = await smallEngine();
    engine.addMarket({ baseDecimals: 0, markPrice: 1_000n, curve: FLAT });
    engine.depositInsuranceFund(1_000_000n);
    engine.setWaterfall(FUND_ONLY);
    const bytes = memoryBytes(engine);
    const e = caught(() => Simulator.fromEngine(engine, { scenario: { kind: 'replay', csv: 'step,7\n1,5\n' }, waterfall: { steps: [{ kind: 'socializeFunding' }] } }));
    expect(e).toMatchObject({ code: 115, field: 'csv', row: 0 });
    // The caller's waterfall still runs a deficit: a bankrupt long (collateral -500, closed whole at the mark).
    engine.addAccounts([{ collateralQuote: -500n, positions: [{ marketId: 0, sizeBase: 10n, quoteBalance: -10_000n }] }]);
    engine.liquidate(FULL);
    const report = engine.allocateLosses();
    expect(report.steps.map((s) => s.kind), 'the failed fromEngine replaced the engine\'s waterfall').toEqual(['insuranceFund']);
    expect(memoryBytes(engine), 'the failed fromEngine grew the engine\'s memory (simulation area)').toBe(bytes);
  });
});

describe("simulation: prefunded resources are what each variant's waterfall can draw on", () => {
  it("a sweep over exchange and eurex: the book holds both venues' resources, each variant counts its own", async () => {
    // examples/book-module.mjs: 60 accounts from 2x to 46x on a 2 % maintenance margin, none below
    // it at the start, so no settle pays fees into the fund before the paths.
    // Fund 1,000; vault 2,000 (4 providers x 500); clearing members sized from the fund: 20 x 50
    // contributions = 1,000, operator capital 1,000 / 10 + 1,000 / 20 = 150.
    //   exchange (insurance fund, backstop vault, ADL, socialized funding): 1,000 + 2,000 = 3,000.
    //   eurex (defaulter's fund, operator capital, members' fund, assessments, haircut of gains):
    //   1,000 + 150 = 1,150: no fund step, no vault step.
    const module = new URL('../../examples/book-module.mjs', import.meta.url).href;
    const shard = await simulate({
      book: { module }, paths: 1, steps: 2, scenario: { kind: 'shockGrid', scanRangePpm: 10_000 },
      insuranceFundQuote: '1000', vaultQuote: '2000', sweep: { waterfall: ['exchange', 'eurex'] },
    }, { workers: 0 });
    const report = buildReport(mergeShards([shard]));
    expect(report.variants.map((v) => [v.name, v.prefundedQuote])).toEqual([
      ['waterfall exchange', '3000.000000'], ['waterfall eurex', '1150.000000'],
    ]);
  });
});
