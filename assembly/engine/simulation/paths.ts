/**
 * Price paths of a stress simulation (docs/SIMULATION.md, "Paths"): Monte Carlo log returns with
 * volatility, drift, an optional correlation factor and jumps, into the path table (Region.Path).
 */
import { cholesky, lowerTimes, normal, seedStream, uniform } from '../../math/random';
import { Field, Status } from '../../abi/status';
import { SimHeaderRecord } from '../../abi/records';
import { fail } from '../state';
import { Region, regionPtr } from './area';
import { simulationPrepared } from './snapshot';

let header: usize = 0, pathPrices: usize = 0, vols: usize = 0, drifts: usize = 0, factor: usize = 0;
let draws: usize = 0, cumLog: usize = 0;
let simSteps: u32 = 0, simMarkets: u32 = 0, hasFactor = false;

/** The prepared simulation's shape and arrays (simPrepare). */
export function preparePaths(steps: u32, markets: u32, withFactor: bool): void {
  header = regionPtr(Region.Header); pathPrices = regionPtr(Region.Path); vols = regionPtr(Region.Vol);
  drifts = regionPtr(Region.Drift); factor = regionPtr(Region.Factor); draws = regionPtr(Region.Draws);
  cumLog = regionPtr(Region.CumLog);
  simSteps = steps; simMarkets = markets; hasFactor = withFactor;
}

/** Factors the correlation matrix JavaScript wrote (f64, row-major, markets x markets). Errors: InvalidScenario naming the row. */
export function simFactor(): i32 {
  if (!simulationPrepared() || !hasFactor) return fail(Status.NotInitialized, Field.Correlation, -1);
  const bad = cholesky(factor, simMarkets);
  if (bad >= 0) return fail(Status.InvalidScenario, Field.Correlation, bad);
  return Status.Ok;
}

/**
 * Monte Carlo path `path` (stream `path` of the header's seed) into rows 1..steps of the path table
 * (row 0 holds the marks at preparation). Per step and market, the log return is
 * drift - vol^2/2 + vol * (L e)_m + jump; prices are p0 * exp(cumulative log return), rounded to
 * the nearest atom and kept in 1..2^62.
 */
export function simGeneratePath(path: u32): i32 {
  if (!simulationPrepared()) return fail(Status.NotInitialized, Field.Steps, -1);
  const m = simMarkets;
  seedStream(load<u64>(header, SimHeaderRecord.seed), <u64>path);
  const together = (load<u32>(header, SimHeaderRecord.flags) & 1) != 0;
  const pJump = load<f64>(header, SimHeaderRecord.jumpProbability), jMean = load<f64>(header, SimHeaderRecord.jumpMean), jStd = load<f64>(header, SimHeaderRecord.jumpStd);
  const e = draws, z = draws + (<usize>m << 3);
  memory.fill(cumLog, 0, <usize>m << 3);
  for (let t: u32 = 1; t <= simSteps; t++) {
    for (let i: u32 = 0; i < m; i++) store<f64>(e + (<usize>i << 3), normal());
    if (hasFactor) lowerTimes(factor, m, e, z);
    else memory.copy(z, e, <usize>m << 3);
    let common: f64 = 0;
    if (together && pJump > 0 && uniform() < pJump) common = jMean + jStd * normal();
    const row = pathPrices + <usize>t * m * 8;
    for (let i: u32 = 0; i < m; i++) {
      const o = <usize>i << 3;
      const vol = load<f64>(vols + o);
      let r = load<f64>(drifts + o) - 0.5 * vol * vol + vol * load<f64>(z + o);
      if (together) r += common;
      else if (pJump > 0 && uniform() < pJump) r += jMean + jStd * normal();
      const c = load<f64>(cumLog + o) + r;
      store<f64>(cumLog + o, c);
      let price = Math.round(<f64>load<i64>(pathPrices + o) * Math.exp(c));
      if (!(price >= 1.0)) price = 1.0;
      if (price > 4.0e18) price = 4.0e18;
      store<i64>(row + o, <i64>price);
    }
  }
  return Status.Ok;
}

