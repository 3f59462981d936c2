/**
 * Invariants of the stress simulation (docs/SIMULATION.md) on random configurations drawn by
 * fast-check: small seeded synthetic books, Monte Carlo scenarios with random volatility, drift,
 * correlation and jumps, random impact and funding, every waterfall preset. Properties:
 * - conservation: a path moves money only between accounts, funds and the waterfall's balances, so
 *   the ledger total (docs/FORMULAS.md) after a path equals the one before it;
 * - skipping changes nothing: the same path with and without skipping accounts far from liquidation
 *   gives the same result (except the count of checks) and leaves the same ledger;
 * - bounds: Cover-1 <= Cover-2 <= 2 Cover-1; every metric that counts or sums losses is >= 0; the
 *   tranches' covers, uncovered loss and residue account for every deficit recorded (sum of covers +
 *   uncovered = deficits, per step);
 * - restore: running path p twice gives the same result;
 * - the withdrawal run (random rules, capacities and chances): the debug core, which asserts the
 *   ledger around every settle, request, serve and unstake (each moves it by exactly its money in or
 *   out: funding settled, payments net of loss charges), gives the release core's result; what
 *   accounts received (sum of withdrawnQuote) is the path's receivedQuote (no request is older than
 *   the path); received <= wanted, short winners <= winners, still queued <= queued; and every
 *   queued request either left the queue once (a count in queueWaits) or is still queued.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulator, STEP_METRICS, WATERFALL_PRESETS, type PathResult, type SimulationConfig, type StepMetric } from '../../dist/src/node.js';

const show = (x: unknown): string => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}` : v));
const at = (r: PathResult, name: StepMetric): bigint[] => r.metrics[STEP_METRICS.indexOf(name)]!;
const COVERED = STEP_METRICS.filter((m) => m.startsWith('covered'));
const NONNEGATIVE: StepMetric[] = ['closes', 'closedNotionalQuote', 'groups', 'deficitQuote', 'adlNotionalQuote', 'adlAccounts', 'uncoveredQuote', 'residueQuote', 'rounds', ...COVERED];

const configArb: fc.Arbitrary<SimulationConfig> = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  bookSeed: fc.integer({ min: 1, max: 1_000 }),
  volatilityPpm: fc.integer({ min: 500, max: 20_000 }),
  driftPpm: fc.integer({ min: -3_000, max: 1_000 }),
  correlationPpm: fc.integer({ min: 0, max: 900_000 }),
  jumpProbabilityPpm: fc.integer({ min: 0, max: 200_000 }),
  jumpMeanPpm: fc.integer({ min: -80_000, max: 20_000 }),
  slopePpm: fc.integer({ min: 0, max: 300_000 }),
  permanentPpm: fc.integer({ min: 0, max: 1_000_000 }),
  fundingRatePpm: fc.integer({ min: -50, max: 50 }),
  waterfall: fc.constantFrom(...Object.keys(WATERFALL_PRESETS)),
  policy: fc.constantFrom('partial', 'buffered', 'dydx', 'hyperliquid'),
  fund: fc.constantFrom('0', '500', '20000'),
}).map((c) => ({
  book: { accounts: 800, markets: 6, seed: c.bookSeed }, seed: c.seed, paths: 2, steps: 12,
  scenario: {
    kind: 'monteCarlo', volatilityPpm: c.volatilityPpm, driftPpm: c.driftPpm, correlationPpm: c.correlationPpm,
    jumpProbabilityPpm: c.jumpProbabilityPpm, jumpMeanPpm: c.jumpMeanPpm, jumpStdPpm: 10_000,
  },
  impact: { depthPpmOfOpenInterest: 50_000, slopePpm: c.slopePpm, permanentPpm: c.permanentPpm, maxPpm: 200_000 },
  fundingRatePpm: c.fundingRatePpm, waterfall: c.waterfall, policy: c.policy, insuranceFundQuote: c.fund, vaultQuote: c.fund,
}) as SimulationConfig);

describe('simulation invariants (fast-check)', () => {
  it('conservation, skipping, bounds and restore on random configurations', async () => {
    let withDeficits = 0, withAdl = 0;
    await fc.assert(fc.asyncProperty(configArb, async (config) => {
      const skip = await Simulator.create({ ...config, skip: true });
      const all = await Simulator.create({ ...config, skip: false });
      try {
        for (let p = 0; p < 2; p++) {
          const before = skip.engine.ledger().totalQuote;
          const [r] = skip.runPath(p);
          expect(skip.engine.ledger().totalQuote, 'the ledger after a path').toBe(before);
          const [s] = all.runPath(p);
          expect(show({ ...s!, accountsChecked: 0 }), 'skipping changes nothing').toBe(show({ ...r!, accountsChecked: 0 }));
          expect(all.engine.ledger().totalQuote).toBe(before);
          expect(r!.cover1Quote <= r!.cover2Quote && r!.cover2Quote <= 2n * r!.cover1Quote && r!.cover1Quote >= 0n).toBe(true);
          for (const m of NONNEGATIVE) expect(at(r!, m).every((x) => x >= 0n), `${m} >= 0`).toBe(true);
          if (at(r!, 'deficitQuote').some((x) => x > 0n)) withDeficits++;
          if (at(r!, 'adlAccounts').some((x) => x > 0n)) withAdl++;
          for (let t = 0; t < config.steps!; t++) {
            const covers = COVERED.reduce((a, m) => a + at(r!, m)[t]!, 0n);
            expect(covers + at(r!, 'uncoveredQuote')[t]!, `step ${t + 1}: covers + uncovered = deficits`).toBe(at(r!, 'deficitQuote')[t]!);
          }
        }
        const [again] = skip.runPath(1);
        const [first] = all.runPath(1);
        expect(show({ ...again!, accountsChecked: 0 }), 'a path run again from the snapshot').toBe(show({ ...first!, accountsChecked: 0 }));
      } finally {
        skip.dispose();
        all.dispose();
      }
    }), { numRuns: 25, seed: 20261124 });
    // Not vacuous: paths with deficits through the waterfall, some of them reaching ADL.
    expect(withDeficits).toBeGreaterThan(10);
    expect(withAdl).toBeGreaterThan(0);
  }, 120_000);

  it('the withdrawal run: the debug core\'s ledger asserts hold and it answers as the release core; the queue accounts for every request', async () => {
    let queued = 0, received = 0n, short = 0;
    const runArb = fc.record({
      config: configArb,
      rule: fc.constantFrom('all', 'none', 'pnlPool', 'residualRatio' as const),
      floorPpm: fc.constantFrom(0, 100_000),
      probabilityPpm: fc.integer({ min: 10_000, max: 400_000 }),
      capacity: fc.constantFrom(null, { periodSec: 120, ppmOfTotal: 1_000 }, { periodSec: 600, minQuote: '50', gateSec: 60, lossCharge: true }),
    });
    await fc.assert(fc.asyncProperty(runArb, async ({ config, rule, floorPpm, probabilityPpm, capacity }) => {
      const withRun: SimulationConfig = {
        ...config, economics: { withdrawals: { everySteps: 2, probabilityPpm, bankRunPpm: 600_000, realizable: rule, transferFloorPpm: floorPpm, capacity } },
      };
      const sim = await Simulator.create(withRun);
      const debug = await Simulator.create(withRun, { debug: true });
      try {
        for (let p = 0; p < 2; p++) {
          const [r] = sim.runPath(p);
          expect(show(debug.runPath(p)[0]), 'the debug core (ledger asserted in every call) answers alike').toBe(show(r));
          const w = r!.withdrawals;
          const withdrawn = at(r!, 'withdrawnQuote').reduce((a, x) => a + x, 0n);
          expect(withdrawn, 'every receipt is the path\'s own request\'s').toBe(w.receivedQuote);
          expect(w.receivedQuote <= w.wantedQuote && w.shortWinners <= w.winners && w.stillQueued <= w.queuedRequests).toBe(true);
          const left = at(r!, 'queueWaits').reduce((a, x) => a + x, 0n);
          expect(left + BigInt(w.stillQueued), 'queued requests: left once, or still queued').toBe(BigInt(w.queuedRequests));
          expect(at(r!, 'queuedQuote').every((x) => x >= 0n) && at(r!, 'withdrawnQuote').every((x) => x >= 0n)).toBe(true);
          queued += w.queuedRequests; received += w.receivedQuote; short += w.shortWinners;
        }
      } finally {
        sim.dispose();
        debug.dispose();
      }
    }), { numRuns: 20, seed: 20261206 });
    // Not vacuous: winners were paid, some were short, and capacities queued requests.
    expect(received).toBeGreaterThan(0n);
    expect(short).toBeGreaterThan(0);
    expect(queued).toBeGreaterThan(0);
  }, 120_000);
});
