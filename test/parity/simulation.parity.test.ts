/**
 * Parity of the stress simulation (docs/SIMULATION.md) with itself and with the engine's public API:
 *
 * - skipping: every path run with and without skipping accounts far from liquidation gives the same
 *   PathResult (except the work count `accountsChecked`) and leaves the same book, on calm, crash and
 *   shock-grid paths, and on sweeps of margins, ADL rankings and waterfalls with haircuts;
 * - composition: the core's step loop against the same loop written in TypeScript from the document
 *   with the engine's public calls only (test/support/simulation.ts runStepLoop), on identical books;
 * - workers and shards: the report does not depend on the number of workers or on sharding;
 * - progress and cancellation.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import {
  buildReport, CRASH_SCENARIO, STEP_METRICS, DEFAULT_IMPACT, DEFAULT_SCENARIO, generateBook, mergeShards, RiskEngine, simulate, Simulator, WATERFALL_PRESETS,
  type LiquidationPolicy, type MonteCarloScenario, type PathResult, type ShardResult, type SimulationConfig, type SimulationProgress, type SimulationReport, type StepMetric, type WaterfallConfig,
} from '../../dist/src/node.js';
import { setWorkerHost, type WorkerPort } from '../../dist/src/simulation/run.js';
import type { WorkerReply } from '../../dist/src/simulation/worker-core.js';
import { bookState, floorDivB, lastPathPrices, runStepLoop } from '../support/simulation.js';

interface RunInput { everySteps: number; probabilityPpm: number; bankRunPpm: number }

const show = (x: unknown): string => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}` : v));
const sumB = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);
/** Total over the path of one metric. */
const total = (r: PathResult, name: StepMetric): bigint => sumB(r.metrics[STEP_METRICS.indexOf(name)]!);
const withoutWork = (r: PathResult): Omit<PathResult, 'accountsChecked'> => { const { accountsChecked: _, ...rest } = r; return rest; };

// ------------------------------------------------------------------------------------------------

describe('simulation parity: skipping accounts far from liquidation changes nothing', () => {
  const book = (seed: number) => ({ accounts: 3_000, markets: 12, seed });
  const HAIRCUTS: WaterfallConfig = { steps: [{ kind: 'insuranceFund' }, { kind: 'haircutGains', scope: 'all', maxHaircutPpm: 300_000 }, { kind: 'haircutDeposits' }] };
  const CASES: { name: string; config: SimulationConfig; calm?: boolean; expect?: (rs: PathResult[]) => void }[] = [
    { name: 'calm (DEFAULT_SCENARIO), seed 1', config: { book: book(1), seed: 1, scenario: DEFAULT_SCENARIO, paths: 3, steps: 48 }, calm: true },
    { name: 'calm (DEFAULT_SCENARIO), seed 2', config: { book: book(2), seed: 2, scenario: DEFAULT_SCENARIO, paths: 3, steps: 48 }, calm: true },
    { name: 'crash (CRASH_SCENARIO), seed 3', config: { book: book(3), seed: 3, scenario: CRASH_SCENARIO, paths: 3, steps: 24, insuranceFundQuote: '2000', vaultQuote: '2000' } },
    { name: 'crash, no correlation, jumps per market, seed 4', config: { book: book(4), seed: 4, scenario: { ...(CRASH_SCENARIO as MonteCarloScenario), correlationPpm: 0, jumpsTogether: false }, paths: 2, steps: 24 } },
    {
      name: 'crash with a backstop step paid by accounts of the book, seed 6',
      config: { book: book(6), seed: 6, scenario: CRASH_SCENARIO, paths: 2, steps: 24, insuranceFundQuote: '500', waterfall: { steps: [
        { kind: 'insuranceFund' }, { kind: 'backstopVault', providers: [{ accountId: 10, capacityQuote: '100000' }, { accountId: 11, capacityQuote: '100000' }] },
      ] } },
      expect: (rs) => expect(sumB(rs.map((r) => total(r, 'coveredBackstopVault'))), 'the providers paid').toBeGreaterThan(0n),
    },
    { name: 'shock grid 15 %, seed 5', config: { book: book(5), seed: 5, scenario: { kind: 'shockGrid', scanRangePpm: 150_000 }, steps: 8 } },
    {
      name: 'crash with volume, fees, a split to the vault and stakers, settles every 2 steps, seed 8',
      config: {
        book: book(8), seed: 8, scenario: CRASH_SCENARIO, paths: 2, steps: 24, insuranceFundQuote: '2000', vaultQuote: '2000',
        economics: {
          fees: { makerPpm: -50, takerPpm: 600 }, turnoverPpm: 5_000, revenueEverySteps: 2, stakedPpm: 400_000, staking: { settlePeriodSec: 60 },
          split: { tradingFees: { insuranceFund: 250_000, backstopVault: 250_000, stakers: 250_000, treasury: 250_000 }, liquidationFees: { backstopVault: 500_000, treasury: 500_000 } },
        },
      },
      expect: (rs) => {
        expect(sumB(rs.map((r) => total(r, 'feeRevenueQuote'))), 'fees').toBeGreaterThan(0n);
        expect(rs.every((r) => r.start.stakerValueQuote > 0n), 'stakers').toBe(true);
      },
    },
    {
      name: 'crash with sweeps of margins, ADL rankings and waterfalls (ftx, drift, eurex, exchange), seed 7',
      config: {
        book: book(7), seed: 7, scenario: CRASH_SCENARIO, paths: 2, steps: 24, insuranceFundQuote: '2000', vaultQuote: '2000',
        sweep: { marginScalePpm: [700_000, 1_000_000], adlRanking: ['pnl', 'hyperliquid'], waterfall: ['ftx', 'drift', 'eurex', 'exchange'] },
      },
      // Not vacuous: ADL, the funding bump, members' fund, assessments and the haircut of gains all moved money.
      expect: (rs) => {
        for (const k of ['coveredAdl', 'coveredSocializeFunding', 'coveredMembersFund', 'coveredAssessments', 'coveredHaircutGains'] as const) expect(sumB(rs.map((r) => total(r, k))), k).toBeGreaterThan(0n);
      },
    },
    {
      name: 'crash with a withdrawal run, the realizable rule and the capacity swept, seed 10',
      config: {
        book: book(10), seed: 10, scenario: CRASH_SCENARIO, paths: 2, steps: 24, insuranceFundQuote: '2000', vaultQuote: '2000',
        economics: {
          fees: { makerPpm: 0, takerPpm: 800 }, turnoverPpm: 10_000, revenueEverySteps: 2,
          split: { tradingFees: { insuranceFund: 500_000, pnlPool: 500_000 } },
          withdrawals: { everySteps: 2, probabilityPpm: 50_000, bankRunPpm: 800_000 },
        },
        sweep: { realizable: ['all', 'pnlPool', 'residualRatio'], withdrawalCapacity: [null, { periodSec: 600, ppmOfTotal: 5_000, lossCharge: true }] },
      },
      // Not vacuous: winners were paid, and under the capacity some requests queued.
      expect: (rs) => {
        expect(sumB(rs.map((r) => r.withdrawals.receivedQuote)), 'received').toBeGreaterThan(0n);
        expect(rs.reduce((n, r) => n + r.withdrawals.queuedRequests, 0), 'queued').toBeGreaterThan(0);
      },
    },
    {
      name: 'crash with gains and deposit haircuts, margins swept, seed 9',
      config: { book: book(9), seed: 9, scenario: CRASH_SCENARIO, paths: 2, steps: 24, insuranceFundQuote: '2000', vaultQuote: '0', waterfall: HAIRCUTS, sweep: { marginScalePpm: [800_000, 1_200_000] } },
      expect: (rs) => expect(sumB(rs.map((r) => total(r, 'coveredHaircutGains'))), 'haircut of gains').toBeGreaterThan(0n),
    },
  ];

  it.each(CASES)('$name', async ({ config, calm, expect: extra }) => {
    const skipping = await Simulator.create({ ...config, skip: true });
    const exact = await Simulator.create({ ...config, skip: false });
    try {
      expect(skipping.settledGroups).toBe(exact.settledGroups);
      let checkedSkip = 0, checkedExact = 0;
      const all: PathResult[] = [];
      for (let p = 0; p < skipping.pathCount; p++) {
        const a = skipping.runPath(p), b = exact.runPath(p);
        expect(a.map(withoutWork), `path ${p}`).toEqual(b.map(withoutWork));
        // The book each leaves (the last variant's): compared after a fresh full check.
        expect(bookState(skipping.engine) === bookState(exact.engine), `path ${p}: the final books differ`).toBe(true);
        checkedSkip += a.reduce((n, r) => n + r.accountsChecked, 0);
        checkedExact += b.reduce((n, r) => n + r.accountsChecked, 0);
        all.push(...a);
      }
      // Something happened: liquidations on every scenario but the calm one's paths may be quiet.
      if (!calm) expect(sumB(all.map((r) => total(r, 'closes'))), 'closes').toBeGreaterThan(0n);
      extra?.(all);
      expect(checkedSkip).toBeLessThanOrEqual(checkedExact);
      // On calm paths most accounts are never re-checked: skipping must actually skip.
      if (calm) expect(checkedSkip * 5, `skipping checked ${checkedSkip} accounts, without ${checkedExact}`).toBeLessThan(checkedExact);
    } finally {
      skipping.dispose();
      exact.dispose();
    }
  });
});

// ------------------------------------------------------------------------------------------------

describe('simulation parity: the core\'s step loop against the document, through the public API', () => {
  const POLICY: LiquidationPolicy = { close: 'partial', minCloseNotionalQuote: '10', liquidationFeePpm: 10_000, liquidatorSharePpm: 500_000 };
  const WATERFALL = WATERFALL_PRESETS.exchange;
  const SHAPE = { accounts: 400, markets: 5, seed: 21, positionsPerAccount: 3 };

  /**
   * The same book twice: the synthetic book (seed 21), an insurance fund, a backstop vault owned by
   * four providers, the waterfall, and settled (what is liquidatable at the start is liquidated with
   * the waterfall, at the waterfall clock's 0).
   */
  async function venue(fundQuote: bigint, waterfall: WaterfallConfig = WATERFALL): Promise<RiskEngine> {
    const engine = await RiskEngine.create({ maxAccounts: 512, maxPositions: 8_192, maxIsolated: 1_024, maxMarkets: SHAPE.markets });
    generateBook(engine, SHAPE);
    engine.depositInsuranceFund(fundQuote);
    const share = 500_000_000n; // 500 USD each
    const [vault, ...providers] = engine.addAccounts([{}, ...Array.from({ length: 4 }, () => ({ collateralQuote: share }))]);
    engine.setVaultAccount(vault!);
    for (const p of providers) engine.vaultDeposit(p, share);
    engine.setWaterfall(waterfall);
    engine.liquidate(POLICY, { allocate: true });
    return engine;
  }

  const config = (scenario: SimulationConfig['scenario'], extra: Partial<SimulationConfig> = {}): SimulationConfig => ({
    scenario, paths: 3, steps: 16, seed: 5, fundingRatePpm: 10, policy: POLICY, waterfall: WATERFALL, ...extra,
  });

  /** Runs path p in the Simulator and the document's loop on a fresh identical engine; compares all. */
  async function compare(sim: Simulator, p: number, fundQuote: bigint, prices?: bigint[][], waterfall: WaterfallConfig = WATERFALL,
    build: () => Promise<RiskEngine> = () => venue(fundQuote, waterfall)): Promise<PathResult> {
    const [core] = sim.runPath(p);
    const run = sim.config.economics.withdrawals;
    const path = prices ?? lastPathPrices(sim);
    const engine = await build();
    try {
      // The path starts as a variant is applied: the waterfall set (docs/SIMULATION.md, "Setting up"),
      // the economics' fees and split as the configuration gives them.
      engine.setWaterfall(waterfall);
      const c = sim.config, e = c.economics;
      if (e.fees) for (let m = 0; m < engine.marketCount; m++) engine.setMarketFees(m, e.fees);
      if (e.split) engine.setRevenueSplit(e.split);
      if (e.staking) engine.setStaking(e.staking);
      const model = runStepLoop(engine, {
        prices: path, policy: POLICY, waterfall, maxRoundsPerStep: c.maxRoundsPerStep, stepSeconds: c.stepSeconds, startSec: 0,
        fundingRatePpm: Array.from({ length: engine.marketCount }, () => BigInt(c.fundingRatePpm as number)), impact: c.impact,
        ...(e.turnoverPpm > 0 ? { economics: { turnoverPpm: BigInt(e.turnoverPpm), crashMultiplierPpm: BigInt(e.crashMultiplierPpm), revenueEverySteps: e.revenueEverySteps } } : {}),
        ...(run ? { withdrawals: { everySteps: run.everySteps!, probabilityPpm: BigInt(run.probabilityPpm!), bankRunPpm: BigInt(run.bankRunPpm!), seed: BigInt(c.seed), path: p } } : {}),
        ...(e.fundingSkimPpm > 0 ? { fundingSkimPpm: e.fundingSkimPpm } : {}),
      });
      if (e.fundingSkimPpm > 0) expect(model.skimQuote, `path ${p}: the funding skim kept something`).toBeGreaterThan(0n);
      expect(show(core!.withdrawals), `path ${p}: the withdrawal run's figures`).toBe(show(model.withdrawals));
      const steps = c.steps;
      for (let t = 1; t <= steps; t++) {
        const row = (m: bigint[][]) => m.map((s) => s[t - 1]);
        expect(show(row(core!.metrics)), `path ${p}, step ${t}: metrics (STEP_METRICS order)`).toBe(show(row(model.metrics)));
      }
      expect({ prefunded: core!.prefundedQuote, cover1: core!.cover1Quote, cover2: core!.cover2Quote, exhausted: core!.fundExhausted })
        .toEqual({ prefunded: model.prefundedQuote, cover1: model.cover1Quote, cover2: model.cover2Quote, exhausted: model.fundExhausted });
      expect(bookState(sim.engine) === bookState(engine), `path ${p}: the books the two loops leave differ`).toBe(true);
    } finally {
      engine.dispose();
    }
    return core!;
  }

  it('Monte Carlo crash paths: every step\'s metrics, Cover-1/2, exhaustion and the final book', async () => {
    const FUND = 300_000_000n; // 300 USD: the fund runs out, the vault and ADL take the rest
    const sim = Simulator.fromEngine(await venue(FUND), config(CRASH_SCENARIO));
    const results: PathResult[] = [];
    for (let p = 0; p < sim.pathCount; p++) results.push(await compare(sim, p, FUND));
    // Not vacuous: closes with price impact, deficits, the vault and ADL.
    expect(sumB(results.map((r) => total(r, 'closes')))).toBeGreaterThan(0n);
    expect(sumB(results.map((r) => total(r, 'deficitQuote')))).toBeGreaterThan(0n);
    expect(sumB(results.map((r) => total(r, 'coveredBackstopVault')))).toBeGreaterThan(0n);
    expect(sumB(results.map((r) => total(r, 'adlAccounts')))).toBeGreaterThan(0n);
    sim.dispose();
  });

  it('volume, fees, a funding skim, the revenue split and staking on crash paths: fee revenue, treasury, fund and stakers every step', async () => {
    const FUND = 300_000_000n;
    const economics = {
      fees: { makerPpm: -100, takerPpm: 700 }, turnoverPpm: 20_000, crashMultiplierPpm: 2_500_000, revenueEverySteps: 3,
      fundingSkimPpm: 250_000,
      split: {
        tradingFees: { insuranceFund: 200_000, backstopVault: 200_000, stakers: 200_000, treasury: 300_000, pnlPool: 100_000 },
        liquidationFees: { insuranceFund: 400_000, stakers: 200_000, treasury: 400_000 },
        fundingSkim: { insuranceFund: 100_000, backstopVault: 300_000, stakers: 300_000, treasury: 200_000, pnlPool: 100_000 },
      },
      staking: { settlePeriodSec: 120, maxAprPpm: 5_000_000, stakerFactorPpm: 600_000, settleFractionPpm: 500_000 },
    };
    // Three accounts of the book stake 2 USD each into the global fund before the snapshot.
    const staked = async (): Promise<RiskEngine> => {
      const engine = await venue(FUND);
      engine.check();
      const free = engine.resultsView().freeQuote;
      const stakers = Array.from({ length: engine.accountCount }, (_, a) => a).filter((a) => free[a]! > 10_000_000n).slice(0, 3);
      expect(stakers.length).toBe(3);
      for (const a of stakers) engine.stake(a, 0, 2_000_000n, 0);
      return engine;
    };
    const sim = Simulator.fromEngine(await staked(), config(CRASH_SCENARIO, { economics }));
    const results: PathResult[] = [];
    for (let p = 0; p < sim.pathCount; p++) results.push(await compare(sim, p, FUND, undefined, WATERFALL, staked));
    // Not vacuous: fees were charged, the treasury grew, stakers hold a part of the fund, and crash steps carried the multiplier.
    expect(sumB(results.map((r) => total(r, 'feeRevenueQuote')))).toBeGreaterThan(0n);
    expect(results.some((r) => r.metrics[STEP_METRICS.indexOf('treasuryQuote')]!.at(-1)! > 0n)).toBe(true);
    expect(results.every((r) => r.start.stakerValueQuote > 0n)).toBe(true);
    expect(sumB(results.map((r) => total(r, 'closes')))).toBeGreaterThan(0n);
    sim.dispose();
  });

  it('shock-grid paths (-3/3 and -extreme), prices from the document\'s formula', async () => {
    const FUND = 2_000_000_000n;
    const range = 100_000;
    const sim = Simulator.fromEngine(await venue(FUND), config({ kind: 'shockGrid', scanRangePpm: range }, { steps: 6 }));
    const marks0 = Array.from({ length: sim.engine.marketCount }, (_, i) => sim.engine.market(i).markPrice);
    const E = 1_000_000n;
    // price(t) = floor(mark0 * (den E E T + num range X t) / (den E E T)), at least 1 atom.
    const gridPrices = (num: bigint, den: bigint, x: bigint): bigint[][] => Array.from({ length: 7 }, (_, t) => marks0.map((m0) => {
      const d = den * E * E * 6n;
      const q = floorDivB(m0 * (d + num * BigInt(range) * x * BigInt(t)), d);
      return q < 1n ? 1n : q;
    }));
    const minus = await compare(sim, 6, FUND, gridPrices(-3n, 3n, E));
    expect(lastPathPrices(sim)).toEqual(gridPrices(-3n, 3n, E));
    const extreme = await compare(sim, 8, FUND, gridPrices(-1n, 1n, 2_000_000n));
    expect(lastPathPrices(sim)).toEqual(gridPrices(-1n, 1n, 2_000_000n));
    expect(total(minus, 'closes') + total(extreme, 'closes')).toBeGreaterThan(0n);
    sim.dispose();
  });

  it('a backstop step with providers of the book: the accounts that paid are checked again', async () => {
    // Accounts 10 and 11 hold positions and pay deficits out of their collateral, up to all of it
    // (their capacity is above it); what they cannot pay stays uncovered. Nothing else touches the
    // book, so only the re-check of the accounts that paid can find a provider made liquidatable.
    const PROVIDERS: WaterfallConfig = { steps: [
      { kind: 'insuranceFund' },
      { kind: 'backstopVault', providers: [{ accountId: 10, capacityQuote: '100000' }, { accountId: 11, capacityQuote: '100000' }] },
    ] };
    const FUND = 100_000_000n;
    const sim = Simulator.fromEngine(await venue(FUND, PROVIDERS), config(CRASH_SCENARIO, { waterfall: PROVIDERS }));
    const results: PathResult[] = [];
    for (let p = 0; p < sim.pathCount; p++) results.push(await compare(sim, p, FUND, undefined, PROVIDERS));
    expect(sumB(results.map((r) => total(r, 'coveredBackstopVault'))), 'the providers paid').toBeGreaterThan(0n);
    sim.dispose();
  });

  describe('the withdrawal run: turns, settles, requests under the capacity, the queue served, every step and the path record', () => {
    const RUN: RunInput = { everySteps: 2, probabilityPpm: 60_000, bankRunPpm: 800_000 };
    const FUND = 300_000_000n;
    /** Only the insurance fund: what it cannot cover stays uncovered, so loss charges apply. */
    const FUND_ONLY: WaterfallConfig = { steps: [{ kind: 'insuranceFund' }] };
    const CASES: { rule: 'all' | 'none' | 'pnlPool' | 'residualRatio'; floor: number; capacity: Parameters<RiskEngine['setWithdrawalCapacity']>[0]; waterfall?: WaterfallConfig; cooldownSec?: number }[] = [
      { rule: 'all', floor: 0, capacity: { periodSec: 600, minQuote: 20_000_000n, ppmOfTotal: 2_000, gateSec: 120, lossCharge: true }, cooldownSec: 240 },
      { rule: 'all', floor: 0, capacity: { periodSec: 600, minQuote: 200_000_000n, gateSec: 60, lossCharge: true }, waterfall: FUND_ONLY },
      { rule: 'pnlPool', floor: 100_000, capacity: { periodSec: 300, minQuote: 50_000_000n } },
      { rule: 'residualRatio', floor: 0, capacity: { periodSec: 900, ppmOfTotal: 5_000, lossCharge: true } },
      { rule: 'none', floor: 0, capacity: null },
    ];
    for (const c of CASES) {
      it(`${c.rule}, floor ${c.floor} ppm, capacity ${c.capacity ? `${c.capacity.periodSec} s` : 'unlimited'}${c.waterfall ? ', losses left uncovered' : ''}${c.cooldownSec !== undefined ? `, stakers with a ${c.cooldownSec} s cooldown` : ''}`, async () => {
        const waterfall = c.waterfall ?? WATERFALL;
        const build = async (): Promise<RiskEngine> => {
          const engine = await venue(FUND, waterfall);
          engine.setWithdrawalRules({ realizable: c.rule, transferFloorPpm: c.floor });
          engine.setWithdrawalCapacity(c.capacity);
          // Losers' payments fill the PnL pools: a few losing accounts settle before the snapshot.
          for (let a = 0; a < 60; a++) if (engine.account(a).open && engine.account(a).positions.length > 0) engine.settlePnl(a, undefined, 0);
          if (c.cooldownSec !== undefined) {
            // Twelve accounts stake 2 USD each into the global fund; they may leave in the run.
            engine.setStaking({ cooldownSec: c.cooldownSec });
            engine.check();
            const free = engine.resultsView().freeQuote;
            for (const a of Array.from({ length: engine.accountCount }, (_, i) => i).filter((i) => free[i]! > 10_000_000n).slice(0, 12)) engine.stake(a, 0, 2_000_000n, 0);
          }
          return engine;
        };
        const sim = Simulator.fromEngine(await build(), config(CRASH_SCENARIO, { steps: 16, waterfall, economics: { withdrawals: RUN } }));
        const results: PathResult[] = [];
        for (let p = 0; p < sim.pathCount; p++) results.push(await compare(sim, p, FUND, undefined, waterfall, build));
        if (c.waterfall) expect(sumB(results.map((r) => r.withdrawals.chargedQuote)), 'loss charges withheld').toBeGreaterThan(0n);
        if (c.cooldownSec !== undefined) {
          // Stakers left: the last step's holdings differ from a fund that kept them (some unstaked, paid out of the fund).
          const unstaked = sim.engine.staking(0).stakers.filter((s) => s.shares === 0n).length;
          expect(unstaked, 'the last path\'s stakers who completed an unstake').toBeGreaterThan(0);
        }
        // Not vacuous: winners acted and asked for something on every rule.
        expect(results.reduce((n, r) => n + r.withdrawals.winners, 0), 'winners').toBeGreaterThan(0);
        if (c.rule !== 'none') expect(sumB(results.map((r) => r.withdrawals.receivedQuote)), 'received').toBeGreaterThan(0n);
        // Under none only funding that the settle realized may leave: a small part of what winners want.
        else expect(sumB(results.map((r) => r.withdrawals.receivedQuote)) * 100n, 'only realized funding leaves under none').toBeLessThan(sumB(results.map((r) => r.withdrawals.wantedQuote)));
        if (c.capacity) expect(results.reduce((n, r) => n + r.withdrawals.queuedRequests, 0), 'the capacity bound').toBeGreaterThan(0);
        sim.dispose();
      });
    }
  });

  it('without permanent impact and with a strong one', async () => {
    const FUND = 300_000_000n;
    for (const impact of [{ ...DEFAULT_IMPACT, permanentPpm: 0 }, { ...DEFAULT_IMPACT, slopePpm: 200_000, permanentPpm: 1_000_000 }]) {
      const sim = Simulator.fromEngine(await venue(FUND), config(CRASH_SCENARIO, { impact, paths: 2 }));
      for (let p = 0; p < sim.pathCount; p++) await compare(sim, p, FUND);
      sim.dispose();
    }
  });
});

// ------------------------------------------------------------------------------------------------

/** The report without its wall-clock time. */
function reportOf(shards: ShardResult[]): Omit<SimulationReport, 'work'> & { work: Omit<SimulationReport['work'], 'elapsedMs'> } {
  const { work: { elapsedMs: _, ...work }, ...rest } = buildReport(mergeShards(shards));
  return { ...rest, work };
}

describe('simulation parity: the debug build', () => {
  it('checks its invariants (conservation around every execution and waterfall run, settle, withdrawal and unstake, the epoch bound) on crash paths and gives the release build\'s results', async () => {
    const config: SimulationConfig = {
      book: { accounts: 2_000, markets: 8, seed: 9 }, seed: 9, scenario: CRASH_SCENARIO, paths: 2, steps: 24, waterfall: 'ftx', insuranceFundQuote: '5000', vaultQuote: '5000',
      economics: { withdrawals: { everySteps: 3, probabilityPpm: 30_000, realizable: 'residualRatio', capacity: { periodSec: 900, ppmOfTotal: 3_000, lossCharge: true } } },
    };
    const debug = await Simulator.create(config, { debug: true });
    const release = await Simulator.create(config);
    try {
      for (let p = 0; p < 2; p++) {
        const d = debug.runPath(p), r = release.runPath(p);
        expect(show(d)).toBe(show(r));
        expect(sumB(d.flatMap((x) => x.metrics[STEP_METRICS.indexOf('deficitQuote')]!)), 'the crash makes deficits, so the waterfall ran under the asserts').toBeGreaterThan(0n);
        expect(d.reduce((n, x) => n + x.withdrawals.winners, 0), 'winners settled and asked under the asserts').toBeGreaterThan(0);
      }
    } finally {
      debug.dispose();
      release.dispose();
    }
  }, 60_000);
});

describe('simulation parity: workers and shards', () => {
  const CONFIG: SimulationConfig = {
    book: { accounts: 2_000, markets: 8, seed: 4 }, scenario: CRASH_SCENARIO, paths: 6, steps: 12, seed: 13,
    insuranceFundQuote: '3000', sweep: { marginScalePpm: [900_000, 1_100_000] },
  };

  it('workers 0, 1 and 3 and two merged shards give the same report', async () => {
    const here = await simulate(CONFIG, { workers: 0 });
    const one = await simulate(CONFIG, { workers: 1 });
    const three = await simulate(CONFIG, { workers: 3 });
    const shards = [await simulate(CONFIG, { workers: 2, pathFrom: 2, pathTo: 6 }), await simulate(CONFIG, { workers: 0, pathFrom: 0, pathTo: 2 })];
    const report = reportOf([here]);
    expect(report.paths).toBe(6);
    expect(report.variants.map((v) => v.paths)).toEqual([6, 6]);
    // Something to compare: liquidations happened.
    expect(report.variants.some((v) => v.liquidations.closes !== '0')).toBe(true);
    expect(reportOf([one])).toEqual(report);
    expect(reportOf([three])).toEqual(report);
    expect(reportOf(shards)).toEqual(report);
    // The shards' results are the single run's, path for path.
    expect([...shards[1]!.results, ...shards[0]!.results].sort((a, b) => a.variant - b.variant || a.path - b.path)).toEqual(here.results);
  });

  it('a book of your own (a module every worker builds) gives the same report on workers 0 and 2', async () => {
    const module = new URL('../../examples/book-module.mjs', import.meta.url).href;
    const config: SimulationConfig = {
      book: { module }, scenario: CRASH_SCENARIO, paths: 4, steps: 20, seed: 11, insuranceFundQuote: '2000', vaultQuote: '2000',
    };
    const here = reportOf([await simulate(config, { workers: 0 })]);
    const workers = reportOf([await simulate(config, { workers: 2 })]);
    expect(show(workers)).toBe(show(here));
    // The module's book: 60 accounts x 2 positions x 20 steps x 4 paths, and a crash liquidates some.
    expect(here.work.positionSteps).toBe(120 * 20 * 4);
    expect(BigInt(here.variants[0]!.liquidations.closes)).toBeGreaterThan(0n);
    await expect(simulate({ ...config, book: { module: './relative.mjs' } }, { workers: 0 })).rejects.toMatchObject({ code: 115, field: 'book.module' });
  });

  it('path p of a run is path p of the shard [p, p + 1)', async () => {
    const full = await simulate(CONFIG, { workers: 0 });
    for (const p of [0, 4]) {
      const shard = await simulate(CONFIG, { workers: 0, pathFrom: p, pathTo: p + 1 });
      expect(shard.results).toEqual(full.results.filter((r) => r.path === p));
    }
  });
});

// ------------------------------------------------------------------------------------------------

describe('simulation: progress and cancellation', () => {
  const SMALL: SimulationConfig = { book: { accounts: 1_000, markets: 6, seed: 2 }, scenario: CRASH_SCENARIO, paths: 5, steps: 8 };
  /** Long enough that a run which is not cancelled takes many seconds. */
  const LONG: SimulationConfig = { book: { accounts: 3_000, markets: 12, seed: 2 }, scenario: CRASH_SCENARIO, paths: 100_000, steps: 200 };

  it.each([0, 2])('workers %i: the paths phase counts up to done === total', async (workers) => {
    const events: SimulationProgress[] = [];
    await simulate(SMALL, { workers, onProgress: (e) => events.push(e) });
    const paths = events.filter((e) => e.phase === 'paths');
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.every((e) => e.total === 5)).toBe(true);
    const done = paths.map((e) => e.done);
    expect(done[done.length - 1]).toBe(5);
    // Never backwards, never past the total.
    expect(done.every((d, i) => d <= 5 && (i === 0 || d >= done[i - 1]!))).toBe(true);
    // The book phase (when reported) comes first.
    const firstPaths = events.findIndex((e) => e.phase === 'paths');
    expect(events.slice(firstPaths).every((e) => e.phase === 'paths')).toBe(true);
  });

  it('workers 0: an abort after the first progress event rejects with an AbortError, promptly', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const error = await simulate(LONG, { workers: 0, signal: ac.signal, onProgress: () => ac.abort() }).then(() => null, (e: unknown) => e);
    expect((error as Error | null)?.name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  /** Workers spawned through a host that records them (the same worker script as the Node entry's). */
  const spawned: { worker: Worker; exited: Promise<number> }[] = [];
  afterAll(async () => { for (const s of spawned) await s.worker.terminate(); });

  it('workers 2: an abort after the first progress event rejects with an AbortError and stops every worker', async () => {
    const script = new URL('../../dist/src/simulation/worker-node.js', import.meta.url);
    setWorkerHost((): WorkerPort => {
      const worker = new Worker(script);
      const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
      spawned.push({ worker, exited });
      return {
        post: (message) => worker.postMessage(message),
        listen: (onMessage, onError) => {
          worker.on('message', (m: WorkerReply) => onMessage(m));
          worker.on('error', onError);
        },
        // As the Node entry's: ask the worker to close, and wait until it is gone.
        stop: () => { worker.postMessage({ type: 'close' }); return exited.then(() => undefined); },
      };
    }, 2, true);
    for (const phase of ['book', 'paths'] as const) {
      spawned.length = 0;
      const ac = new AbortController();
      const started = Date.now();
      const error = await simulate(LONG, { workers: 2, signal: ac.signal, onProgress: (e) => { if (e.phase === phase) ac.abort(); } })
        .then(() => null, (e: unknown) => e);
      expect((error as Error | null)?.name, `abort in the ${phase} phase`).toBe('AbortError');
      expect(spawned.length).toBe(2);
      // Every worker has exited (asked to close, it stops within a step) by the rejection.
      const exits = await Promise.race([Promise.all(spawned.map((s) => s.exited)), new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
      expect(exits, `a worker was still running after the abort in the ${phase} phase`).not.toBeNull();
      expect(Date.now() - started).toBeLessThan(15_000);
    }
  });
});
