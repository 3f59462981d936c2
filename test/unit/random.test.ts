/**
 * The Monte Carlo generator (assembly/math/random.ts, docs/SIMULATION.md "Paths"), through simulated
 * paths of books without positions (nothing is liquidated, so every mark is the path's price):
 *
 *   r[m] = drift - vol^2 / 2 + vol * z[m] + jump,  z = L e,  price[t] = round(mark0 * exp(sum of r))
 *
 * Two ways to read a path: the marks the engine holds after `runPath` (the last step's prices; with one
 * step per path that is one return per path), and the core's path table (every step of the last path;
 * test/support/simulation.ts lastPathPrices), cross-checked against each other.
 *
 * Statistical tolerances are 5 standard errors of the estimate: the seeds are fixed, so the tests are
 * deterministic, and a correct generator lands outside 5 SE with probability below 10^-6 per seed
 * (a wrong variance, a missing -vol^2/2, a broken correlation land far outside). For n samples of
 * N(mu, s^2): SE(mean) = s / sqrt(n), SE(standard deviation) ~ s / sqrt(2n), SE(correlation rho)
 * ~ (1 - rho^2) / sqrt(n). Prices are ~6e10 atoms, so rounding to an atom moves a log return by < 1e-11.
 */
import { describe, expect, it } from 'vitest';
import { InputError, Simulator, type MonteCarloScenario, type RiskCoreError, type SimulationConfig } from '../../dist/src/node.js';
import { createEngine } from '../support/engine.js';
import { lastPathPrices } from '../support/simulation.js';

const MARK0 = 60_000_000_000n; // 60,000 USD, 6 quote decimals

/** A book of `markets` markets at 60,000 USD and no accounts, simulated under `scenario`. */
async function pathSim(markets: number, scenario: MonteCarloScenario, extra: Partial<SimulationConfig> = {}): Promise<Simulator> {
  const engine = await createEngine({ release: true, maxAccounts: 16, maxPositions: 64, maxIsolated: 16, maxMarkets: markets });
  for (let i = 0; i < markets; i++) engine.addMarket({ baseDecimals: 8, markPrice: MARK0, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } });
  return Simulator.fromEngine(engine, {
    scenario, steps: 1, paths: 1, seed: 1, fundingRatePpm: 0, policy: { close: 'full' }, waterfall: { steps: [{ kind: 'insuranceFund' }] },
    impact: { slopePpm: 0, permanentPpm: 0 }, ...extra,
  });
}

/** One step per path: the log return of each market on each path (rows: paths). */
function oneStepReturns(sim: Simulator, paths = sim.pathCount): number[][] {
  const m = sim.engine.marketCount;
  return Array.from({ length: paths }, (_, p) => {
    sim.runPath(p);
    return Array.from({ length: m }, (_, i) => Math.log(Number(sim.engine.market(i).markPrice) / Number(MARK0)));
  });
}

/** Every step of path p: log returns (rows: steps), from the core's path table. */
function stepReturns(sim: Simulator, p = 0): number[][] {
  sim.runPath(p);
  const rows = lastPathPrices(sim);
  // The path's last row is the mark the engine ends at (no liquidation: level 10^9).
  expect(rows[rows.length - 1]).toEqual(Array.from({ length: sim.engine.marketCount }, (_, i) => sim.engine.market(i).markPrice));
  return rows.slice(1).map((row, t) => row.map((x, i) => Math.log(Number(x) / Number(rows[t]![i]!))));
}

const col = (rows: number[][], i: number): number[] => rows.map((r) => r[i]!);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]): number => { const m = mean(xs); return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)); };
const corr = (xs: number[], ys: number[]): number => {
  const mx = mean(xs), my = mean(ys);
  let sxy = 0, sxx = 0, syy = 0;
  for (let k = 0; k < xs.length; k++) { sxy += (xs[k]! - mx) * (ys[k]! - my); sxx += (xs[k]! - mx) ** 2; syy += (ys[k]! - my) ** 2; }
  return sxy / Math.sqrt(sxx * syy);
};
/** |x - expected| within k standard errors. */
function within(x: number, expected: number, se: number, what: string, k = 5): void {
  expect(Math.abs(x - expected), `${what}: ${x} vs ${expected} (5 SE = ${k * se})`).toBeLessThanOrEqual(k * se);
}

// ------------------------------------------------------------------------------------------------

describe('random: the distribution of returns', () => {
  it('vol 10,000 ppm, one path of 4,000 steps: mean -vol^2/2, standard deviation vol', async () => {
    const sim = await pathSim(1, { kind: 'monteCarlo', volatilityPpm: 10_000 }, { steps: 4_000 });
    const r = col(stepReturns(sim), 0);
    expect(r.length).toBe(4_000);
    // vol = 0.01: mean -5e-5 with SE 0.01 / sqrt(4,000) = 1.58e-4 (the correction is below the noise
    // at this volatility: the next test resolves it); sd 0.01 with SE 0.01 / sqrt(8,000) = 1.12e-4.
    within(mean(r), -0.5 * 0.01 ** 2, 0.01 / Math.sqrt(4_000), 'mean');
    within(sd(r), 0.01, 0.01 / Math.sqrt(8_000), 'standard deviation');
    // Consecutive steps are independent: lag-1 autocorrelation 0 +- 5 / sqrt(4,000) = 0.079.
    within(corr(r.slice(1), r.slice(0, -1)), 0, 1 / Math.sqrt(4_000), 'lag-1 autocorrelation');
  });

  it('vol 10^6 ppm (100 % per step), 4,000 one-step paths: the -vol^2/2 correction, sd 1, a martingale', async () => {
    const sim = await pathSim(1, { kind: 'monteCarlo', volatilityPpm: 1_000_000 }, { paths: 4_000 });
    const r = col(oneStepReturns(sim), 0);
    // mean -0.5 with SE 1 / sqrt(4,000) = 0.0158 (5 SE = 0.079: far from 0, so the correction is there);
    within(mean(r), -0.5, 1 / Math.sqrt(4_000), 'mean');
    // sd 1 with SE 1 / sqrt(8,000) = 0.0112;
    within(sd(r), 1, 1 / Math.sqrt(8_000), 'standard deviation');
    // E[exp(r)] = 1 (the price is a martingale); sd of exp(r) = sqrt(e - 1) = 1.31, SE 0.0207.
    within(mean(r.map(Math.exp)), 1, Math.sqrt(Math.E - 1) / Math.sqrt(4_000), 'mean of exp(r)');
  });

  it('drift 5,000 ppm moves the mean to drift - vol^2/2', async () => {
    // 1,000 steps (the path ends near exp(5) = 148x its start, far from the 4e18-atom clamp).
    const sim = await pathSim(1, { kind: 'monteCarlo', volatilityPpm: 10_000, driftPpm: 5_000 }, { steps: 1_000 });
    const r = col(stepReturns(sim), 0);
    // mean 0.005 - 0.00005 with SE 0.01 / sqrt(1,000) = 3.2e-4 (5 SE = 1.6e-3, a third of the drift).
    within(mean(r), 0.005 - 0.5 * 0.01 ** 2, 0.01 / Math.sqrt(1_000), 'mean');
    within(sd(r), 0.01, 0.01 / Math.sqrt(2_000), 'standard deviation');
  });

  it('100 steps per path: the path\'s log return has mean -100 vol^2/2 and sd 10 vol (the steps add up)', async () => {
    const sim = await pathSim(1, { kind: 'monteCarlo', volatilityPpm: 10_000 }, { steps: 100, paths: 800 });
    const r = col(oneStepReturns(sim), 0);
    // Over 100 steps: mean -0.005, sd 0.1 (not 1.0 as perfectly correlated steps would give), 800 paths:
    // SE(mean) = 0.1 / sqrt(800) = 0.0035, SE(sd) = 0.1 / sqrt(1,600) = 0.0025.
    within(mean(r), -0.005, 0.1 / Math.sqrt(800), 'mean');
    within(sd(r), 0.1, 0.1 / Math.sqrt(1_600), 'standard deviation');
  });

  it('three markets with correlationPpm 600,000: sample correlations 0.6', async () => {
    const sim = await pathSim(3, { kind: 'monteCarlo', volatilityPpm: 10_000, correlationPpm: 600_000 }, { steps: 4_000 });
    const r = stepReturns(sim);
    // SE(rho) ~ (1 - 0.36) / sqrt(4,000) = 0.0101: 0.6 +- 0.051.
    for (const [i, j] of [[0, 1], [0, 2], [1, 2]] as const) within(corr(col(r, i), col(r, j)), 0.6, 0.64 / Math.sqrt(4_000), `corr(${i}, ${j})`);
    for (const i of [0, 1, 2]) within(sd(col(r, i)), 0.01, 0.01 / Math.sqrt(8_000), `sd ${i}`);
  });

  it('without a correlation the markets are independent', async () => {
    const sim = await pathSim(3, { kind: 'monteCarlo', volatilityPpm: 10_000 }, { steps: 4_000 });
    const r = stepReturns(sim);
    for (const [i, j] of [[0, 1], [0, 2], [1, 2]] as const) within(corr(col(r, i), col(r, j)), 0, 1 / Math.sqrt(4_000), `corr(${i}, ${j})`);
  });
});

// ------------------------------------------------------------------------------------------------

describe('random: the Cholesky factor', () => {
  /**
   * A hand-worked factor. The configuration takes correlations (unit diagonal), so instead of
   * [[4,2,2],[2,5,3],[2,3,6]] -> [[2,0,0],[1,2,0],[1,1,2]] the matrix is chosen with a factor of round
   * numbers (rows of unit length):
   *   R = [[1, 0.6, 0.48], [0.6, 1, 0.576], [0.48, 0.576, 1]]
   *   L11 = sqrt(1) = 1
   *   L21 = 0.6 / 1 = 0.6,   L22 = sqrt(1 - 0.36) = 0.8
   *   L31 = 0.48 / 1 = 0.48, L32 = (0.576 - 0.48 * 0.6) / 0.8 = 0.288 / 0.8 = 0.36,
   *   L33 = sqrt(1 - 0.2304 - 0.1296) = sqrt(0.64) = 0.8
   * The same seed draws the same normals e whether or not there is a factor (the market normals come
   * first in each step), so a run without correlation shows e and one with R shows z = L e:
   * e_m = (r_m + vol^2/2) / vol from each return.
   */
  const R = [[1_000_000, 600_000, 480_000], [600_000, 1_000_000, 576_000], [480_000, 576_000, 1_000_000]];
  const L = [[1, 0, 0], [0.6, 0.8, 0], [0.48, 0.36, 0.8]];

  it('z = L e with the hand-worked L, path by path', async () => {
    const vol = 0.1;
    const plain = await pathSim(3, { kind: 'monteCarlo', volatilityPpm: 100_000 }, { paths: 40 });
    const correlated = await pathSim(3, { kind: 'monteCarlo', volatilityPpm: 100_000, correlationPpm: R }, { paths: 40 });
    const normals = (rows: number[][]): number[][] => rows.map((r) => r.map((x) => (x + vol * vol / 2) / vol));
    const e = normals(oneStepReturns(plain)), z = normals(oneStepReturns(correlated));
    for (let p = 0; p < 40; p++) {
      for (let i = 0; i < 3; i++) {
        const lz = L[i]!.reduce((s, l, k) => s + l * e[p]![k]!, 0);
        // Rounding prices to an atom (6e10 atoms) moves a normal by < 1e-9.
        expect(Math.abs(z[p]![i]! - lz), `path ${p}, market ${i}: z ${z[p]![i]} vs (L e) ${lz}`).toBeLessThan(1e-8);
      }
    }
    // And e are not all the same draws (the test would be vacuous otherwise).
    expect(new Set(e.map((r) => r[1]!.toFixed(6))).size).toBe(40);
  });

  it('a matrix that is not positive definite is rejected, naming the first row without a positive pivot', async () => {
    // [[1, .9, .9], [.9, 1, -.9], [.9, -.9, 1]]: L11 = 1; L21 = .9, L22 = sqrt(.19) = .4359;
    // L31 = .9, L32 = (-.9 - .81) / .4359 = -3.923; pivot 3: 1 - .81 - 15.39 < 0 -> row 2.
    // [[1, 1, 0], [1, 1, 0], [0, 0, 1]]: pivot 2 = 1 - 1 = 0, not positive -> row 1.
    const cases: [number[][], number][] = [
      [[[1_000_000, 900_000, 900_000], [900_000, 1_000_000, -900_000], [900_000, -900_000, 1_000_000]], 2],
      [[[1_000_000, 1_000_000, 0], [1_000_000, 1_000_000, 0], [0, 0, 1_000_000]], 1],
    ];
    for (const [matrix, row] of cases) {
      let error: unknown;
      try { await pathSim(3, { kind: 'monteCarlo', volatilityPpm: 10_000, correlationPpm: matrix }); } catch (x) { error = x; }
      expect(error, `matrix ${JSON.stringify(matrix)}`).toBeInstanceOf(InputError);
      expect({ code: (error as RiskCoreError).code, codeName: (error as RiskCoreError).codeName, field: (error as RiskCoreError).field, row: (error as RiskCoreError).row })
        .toEqual({ code: 115, codeName: 'InvalidScenario', field: 'correlation', row });
    }
    // The same matrix through Simulator.create on a synthetic book.
    let error: unknown;
    try {
      await Simulator.create({ book: { accounts: 50, markets: 3 }, scenario: { kind: 'monteCarlo', volatilityPpm: 10_000, correlationPpm: cases[0]![0] } });
    } catch (x) { error = x; }
    expect(error).toMatchObject({ code: 115, field: 'correlation', row: 2 });
  });

  it('a matrix that is not symmetric, not of unit diagonal, or of the wrong size: InvalidScenario naming correlationPpm', async () => {
    const bad: [number[][], number][] = [
      [[[1_000_000, 500_000, 0], [400_000, 1_000_000, 0], [0, 0, 1_000_000]], 0],
      [[[1_000_000, 0, 0], [0, 900_000, 0], [0, 0, 1_000_000]], 1],
      [[[1_000_000, 0], [0, 1_000_000]], 0],
    ];
    for (const [matrix, row] of bad) {
      let error: unknown;
      try { await pathSim(3, { kind: 'monteCarlo', volatilityPpm: 10_000, correlationPpm: matrix }); } catch (x) { error = x; }
      expect(error, JSON.stringify(matrix)).toMatchObject({ code: 115, field: 'correlationPpm', row });
    }
  });
});

// ------------------------------------------------------------------------------------------------

describe('random: seeds and streams', () => {
  const SCENARIO: MonteCarloScenario = { kind: 'monteCarlo', volatilityPpm: 20_000, correlationPpm: 300_000, jumpProbabilityPpm: 100_000, jumpMeanPpm: -30_000, jumpStdPpm: 10_000 };

  it('the same seed gives the same path; another seed, or another path, a different one', async () => {
    const tables = async (seed: number): Promise<bigint[][][]> => {
      const sim = await pathSim(2, SCENARIO, { seed, steps: 50, paths: 4 });
      return [0, 1, 2, 3].map((p) => { sim.runPath(p); return lastPathPrices(sim); });
    };
    const a = await tables(7), b = await tables(7), c = await tables(8);
    expect(b).toEqual(a);
    for (let p = 0; p < 4; p++) {
      expect(c[p], `seed 8 path ${p} equals seed 7's`).not.toEqual(a[p]);
      for (let q = 0; q < p; q++) expect(a[p], `paths ${q} and ${p} of one seed are equal`).not.toEqual(a[q]);
    }
  });

  it('path p is the same whether it runs alone or after other paths (stream p of the seed)', async () => {
    const all = await pathSim(2, SCENARIO, { seed: 3, steps: 30, paths: 10 });
    const seen = Array.from({ length: 10 }, (_, p) => { all.runPath(p); return lastPathPrices(all); });
    for (const p of [9, 4, 0]) {
      const alone = await pathSim(2, SCENARIO, { seed: 3, steps: 30, paths: 10 });
      alone.runPath(p);
      expect(lastPathPrices(alone), `path ${p}`).toEqual(seen[p]);
    }
    // Running a path again (after others) gives it again.
    all.runPath(4);
    expect(lastPathPrices(all)).toEqual(seen[4]);
  });
});

// ------------------------------------------------------------------------------------------------

describe('random: jumps', () => {
  const VOL = 10_000;

  it('a certain jump of -10 % with no deviation shifts step 1\'s returns by exactly -0.1, together or per market', async () => {
    // The market normals are drawn first, so step 1's normals are the same with or without jumps.
    const plain = oneStepReturns(await pathSim(3, { kind: 'monteCarlo', volatilityPpm: VOL }, { paths: 20 }));
    for (const jumpsTogether of [true, false]) {
      const jumped = oneStepReturns(await pathSim(3, { kind: 'monteCarlo', volatilityPpm: VOL, jumpProbabilityPpm: 1_000_000, jumpMeanPpm: -100_000, jumpStdPpm: 0, jumpsTogether }, { paths: 20 }));
      for (let p = 0; p < 20; p++) {
        for (let i = 0; i < 3; i++) expect(Math.abs(jumped[p]![i]! - plain[p]![i]! + 0.1), `together ${jumpsTogether}, path ${p}, market ${i}`).toBeLessThan(1e-9);
      }
    }
  });

  it('jumpsTogether: every market jumps or none does; otherwise each market on its own', async () => {
    // Jumps of -0.5 with probability 1/2, vol 0.001: a return below -0.25 is a jump.
    const scenario = (jumpsTogether: boolean): MonteCarloScenario => ({ kind: 'monteCarlo', volatilityPpm: 1_000, jumpProbabilityPpm: 500_000, jumpMeanPpm: -500_000, jumpStdPpm: 0, jumpsTogether });
    const n = 400;
    const together = oneStepReturns(await pathSim(3, scenario(true), { paths: n })).map((r) => r.map((x) => x < -0.25));
    expect(together.every((r) => r[0] === r[1] && r[1] === r[2]), 'a market-wide jump hits every market').toBe(true);
    // Share of jumps: 1/2 with SE sqrt(1/4 / 400) = 0.025.
    within(together.filter((r) => r[0]).length / n, 0.5, 0.025, 'share of paths with a jump');
    const apart = oneStepReturns(await pathSim(3, scenario(false), { paths: n })).map((r) => r.map((x) => x < -0.25));
    const mixed = apart.filter((r) => !(r[0] === r[1] && r[1] === r[2])).length;
    // Independent: P(not all equal) = 1 - 2/8 = 3/4, SE sqrt(3/16 / 400) = 0.0217.
    within(mixed / n, 0.75, 0.0217, 'share of paths where the markets disagree');
    for (const i of [0, 1, 2]) within(apart.filter((r) => r[i]).length / n, 0.5, 0.025, `market ${i}'s share of jumps`);
  });

  it('jumpStdPpm: the jump\'s deviation (vol 0, a certain jump of mean 0 and deviation 5 %)', async () => {
    const r = col(oneStepReturns(await pathSim(1, { kind: 'monteCarlo', volatilityPpm: 0, jumpProbabilityPpm: 1_000_000, jumpStdPpm: 50_000 }, { paths: 2_000 })), 0);
    // sd 0.05 with SE 0.05 / sqrt(4,000) = 7.9e-4; mean 0 with SE 0.05 / sqrt(2,000) = 1.1e-3.
    within(sd(r), 0.05, 0.05 / Math.sqrt(4_000), 'standard deviation');
    within(mean(r), 0, 0.05 / Math.sqrt(2_000), 'mean');
  });
});
