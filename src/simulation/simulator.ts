/**
 * One engine instance running simulated paths: it builds the book, sets up the venue, prepares the
 * core's simulation area (snapshot, scenario parameters) and runs paths one at a time, each variant
 * of the sweep on the same path. Workers each hold one Simulator; so does a single-threaded run.
 */
import { RiskEngine, type EngineOptions } from '../engine.js';
import { atomsOf } from '../atoms.js';
import { describeValue, inputError } from '../errors.js';
import { Column } from '../abi/columns.js';
import { internalsOf } from '../abi/internals.js';
import type { WasmSource } from '../abi/loader.js';
import type { Raw } from '../abi/raw.js';
import { generateBook } from '../synth.js';
import { policyBytes, stagePolicy } from '../liquidation/policy.js';
import { allSteps, checkWaterfallConfig, type WaterfallConfig } from '../waterfall/config.js';
import { checkMarketLists, expandSweep, resolveConfig, variantWaterfall, type ResolvedConfig } from './config.js';
import { setUpLossAbsorbers } from './venue.js';
import { i64, u32, u64 } from '../abi/records.js';
import { correlationMatrix, perMarket, replayPath, shockGridPath } from './scenarios.js';
import type { RealizableRule } from '../economics/withdrawals.js';
import type { WithdrawalCapacityConfig } from '../economics/capacity.js';
import { STEP_METRICS, type PathResult, type SimulationConfig, type SweepVariant } from './types.js';

/** What a book module (`book: { module }`) exports. */
interface BookBuilder {
  capacity: EngineOptions;
  build(engine: RiskEngine): void | Promise<void>;
}

export interface SimulatorOptions {
  wasm?: WasmSource;
  debug?: boolean;
  onBookProgress?: (accountsDone: number, accountsTotal: number) => void;
}

/** Simulator's attach for this module (handed over by a static block): the paths top the fund up to `fundTargetQuote`. */
let attachTo: (engine: RiskEngine, config: ResolvedConfig, variants: Simulator['variants'], settle: boolean, fundTargetQuote?: bigint) => Simulator;

export class Simulator {
  static {
    attachTo = (engine, config, variants, settle, fundTargetQuote) => {
      const sim = Simulator.attach(engine, config, variants, settle);
      if (fundTargetQuote !== undefined) sim.fundTargetQuote = fundTargetQuote;
      return sim;
    };
  }

  readonly config: ResolvedConfig;
  readonly variants: { name: string; variant: SweepVariant }[];
  readonly engine: RiskEngine;
  /** Cross and isolated positions of the book (position-steps = positions x steps). */
  readonly positions: number;
  private readonly fundBaseQuote: bigint;
  /**
   * Paths top the global fund up by (their variant's fund, or this) - fundBaseQuote: the fund the
   * snapshot was taken with holds fundBaseQuote less what settling the book used.
   */
  private fundTargetQuote: bigint;
  private readonly fixedPaths: BigInt64Array[] | null;
  /** Groups liquidated to settle the book before the snapshot. */
  readonly settledGroups: number;

  private constructor(config: ResolvedConfig, variants: Simulator['variants'], engine: RiskEngine, positions: number, fundBaseQuote: bigint, fixedPaths: BigInt64Array[] | null, settledGroups: number) {
    this.config = config;
    this.variants = variants;
    this.engine = engine;
    this.positions = positions;
    this.fundBaseQuote = fundBaseQuote;
    this.fundTargetQuote = fundBaseQuote;
    this.fixedPaths = fixedPaths;
    this.settledGroups = settledGroups;
  }

  /** Builds the configuration's synthetic book and venue in a new engine (disposed with the Simulator). */
  static async create(input: SimulationConfig, options: SimulatorOptions = {}): Promise<Simulator> {
    const config = resolveConfig(input);
    checkMarketLists(config); // before the sweep, so that a configuration wrong in both names its market lists
    return createSimulator(config, expandSweep(input), options);
  }

  /**
   * Simulates a book the caller built (an exchange's own book, a hand-made test book): the engine's
   * funds, vault and members are used as they are; the configuration's scenario, policy, waterfall,
   * impact and funding apply (its book, fund and vault amounts do not: a variant's
   * `insuranceFundQuote` tops the global fund up from its balance now). With `settle`, what is
   * liquidatable now is liquidated before the snapshot. The Simulator takes the engine over.
   */
  static fromEngine(engine: RiskEngine, input: SimulationConfig, options: { settle?: boolean } = {}): Simulator {
    if (!(engine instanceof RiskEngine)) throw inputError('InvalidScenario', 'engine', -1, 'expected a RiskEngine');
    if (typeof options !== 'object' || options === null) throw inputError('InvalidScenario', 'options', -1, 'expected an object');
    const settle: unknown = options.settle;
    if (settle !== undefined && typeof settle !== 'boolean') throw inputError('InvalidScenario', 'settle', -1, `${describeValue(settle)} is not true or false`);
    const config = resolveConfig(input);
    // Stakers of their own are staked on a book the Simulator builds; on the caller's, the caller stakes.
    if (config.economics.stakers) throw inputError('InvalidScenario', 'economics.stakers', -1, 'stakers are set up on a built book: stake on your engine instead');
    return Simulator.attach(engine, config, expandSweep(input), settle ?? false);
  }

  private static attach(engine: RiskEngine, config: ResolvedConfig, variants: Simulator['variants'], settle: boolean): Simulator {
    const d = engine.quoteDecimals;
    const fundBase = engine.insuranceFund();
    // Step 1: everything that can be refused is checked before the engine changes: the variants'
    // funds, the scenario's inputs (paths, per-market lists, the correlation's factor), the policy
    // and every waterfall by the core's own rules (checked, not set: the engine's stay active).
    for (const v of variants) {
      const f = v.variant.insuranceFundQuote;
      if (f !== undefined && atomsOf(f, d, 'insuranceFundQuote') < fundBase) throw inputError('InvalidScenario', 'insuranceFundQuote', -1, `a variant's fund (${f}) is below the fund the book starts with`);
    }
    if (engine.marketCount === 0) throw inputError('InvalidScenario', 'marketId', -1, 'the book has no markets');
    const inputs = scenarioInputs(engine, config);
    const raw = internalsOf(engine).raw;
    const policy = policyBytes(raw.abi.records.Policy, config.policy, d);
    stagePolicy(raw, policy, false);
    for (const v of variants) if (v.variant.waterfall !== undefined || v.variant.adlRanking !== undefined) checkWaterfallConfig(raw, variantWaterfall(config.waterfall, v.variant), d);
    checkWaterfallConfig(raw, config.waterfall, d);
    // The withdrawal capacities' minimums in the engine's atoms, in the engine's range (their shape
    // was checked with the configuration), so that setting them below cannot be refused.
    const run = config.economics.withdrawals;
    if (run?.capacity) capacityMinimum(run.capacity, d, 'economics.withdrawals.capacity.minQuote', -1);
    variants.forEach((v, i) => { if (v.variant.withdrawalCapacity) capacityMinimum(v.variant.withdrawalCapacity, d, 'sweep.withdrawalCapacity.minQuote', i); });
    // The book must check (a group whose sums leave range: Overflow), summed without writing results;
    // and the simulation area must fit: it is made as large as the preparation below needs (memory
    // grows, if it must, only once nothing else can be refused), so that preparing cannot fail.
    raw.checkInRange();
    raw.simReserveFor(config.steps, inputs.correlation !== null);
    // Step 2: act. Nothing above is refused again. (Settling runs liquidation and the waterfall on
    // the book; a group their moves took out of range would make the check after them refuse.)
    stagePolicy(raw, policy, true);
    engine.setWaterfall(config.waterfall);
    // The economics: every market's fees (when the configuration gives them), the split, staking and
    // the withdrawal run's rules and capacity. They stay the engine's (as its waterfall does); a
    // variant's own are set after each restore, and the next restore puts these back.
    const { fees, split, staking } = config.economics;
    if (fees) for (let m = 0; m < engine.marketCount; m++) engine.setMarketFees(m, fees);
    if (split) engine.setRevenueSplit(split);
    if (staking) engine.setStaking(staking);
    if (run) applyWithdrawals(engine, run.realizable, run.transferFloorPpm, run.capacity);
    let settledGroups = 0;
    if (settle) {
      // Paths start from a settled book: what is liquidatable at the start is liquidated first.
      settledGroups = engine.liquidate(config.policy, { allocate: true }).totals.groups;
      engine.auditLog.clear();
    }
    engine.check();
    prepareCore(raw, engine, config, inputs);
    return new Simulator(config, variants, engine, positionCount(engine), fundBase, inputs.fixedPaths, settledGroups);
  }

  /** The engine's core, asked for at every use: a disposed engine refuses (Disposed), so does a callback (Reentrant). */
  private get raw(): Raw { return internalsOf(this.engine).raw; }

  /** Paths this configuration has (Monte Carlo: as configured; the shock grid: 9; a replay: 1). */
  get pathCount(): number { return this.config.paths; }

  /** Runs path `path` for every variant, on the same prices. */
  runPath(path: number): PathResult[] {
    const raw = this.raw;
    const { steps } = this.config;
    const m = this.engine.marketCount;
    if (!Number.isInteger(path) || path < 0 || path >= this.config.paths) throw new RangeError(`path ${path} is not in 0..${this.config.paths - 1}`);
    // Row 0 of the path table holds the marks at preparation; a fixed path fills rows 1..steps.
    if (this.fixedPaths) raw.simArray(BigInt64Array, 'Path', m, steps * m).set(this.fixedPaths[path]!);
    else raw.simGeneratePath(path);
    const out: PathResult[] = [];
    const d = this.engine.quoteDecimals;
    for (let v = 0; v < this.variants.length; v++) {
      const variant = this.variants[v]!.variant;
      raw.simRestore();
      const target = variant.insuranceFundQuote !== undefined ? atomsOf(variant.insuranceFundQuote, d, 'insuranceFundQuote') : this.fundTargetQuote;
      const fund = target - this.fundBaseQuote;
      if (fund > 0n) this.engine.depositInsuranceFund(fund);
      if (variant.marginScalePpm !== undefined && variant.marginScalePpm !== 1_000_000) raw.scaleMargins(variant.marginScalePpm);
      this.engine.setWaterfall(variantWaterfall(this.config.waterfall, variant));
      if (variant.revenueSplit !== undefined) this.engine.setRevenueSplit(variant.revenueSplit);
      if (variant.stakingMaxAprPpm !== undefined) this.engine.setStaking({ maxAprPpm: variant.stakingMaxAprPpm });
      if (variant.stakingCooldownSec !== undefined) this.engine.setStaking({ cooldownSec: variant.stakingCooldownSec });
      applyWithdrawals(this.engine, variant.realizable, undefined, variant.withdrawalCapacity);
      // The path's index orders who acts first in the withdrawal run (the same on every variant).
      const { view: h, at } = raw.record('SimHeader');
      h.setUint32(at.path, path, true);
      raw.simRunPath(this.config.skip);
      out.push(this.readPath(path, v));
    }
    return out;
  }

  private readPath(path: number, variant: number): PathResult {
    const raw = this.raw;
    const { steps } = this.config;
    const k = STEP_METRICS.length;
    const table = raw.simArray(BigInt64Array, 'Metrics', 0, steps * k);
    const metrics = STEP_METRICS.map((_, j) => Array.from({ length: steps }, (_, t) => table[t * k + j]!));
    const { view: h, at } = raw.record('SimHeader');
    return {
      path, variant, metrics,
      prefundedQuote: i64(h, at.prefundedQuote),
      cover1Quote: i64(h, at.cover1Quote),
      cover2Quote: i64(h, at.cover2Quote),
      fundExhausted: u32(h, at.fundExhausted) !== 0,
      start: { stakerValueQuote: i64(h, at.startStakerValue), vaultNavQuote: i64(h, at.startVaultNav), treasuryQuote: i64(h, at.startTreasury) },
      withdrawals: {
        winners: Number(u64(h, at.winners)), wantedQuote: i64(h, at.wantedQuote), receivedQuote: i64(h, at.receivedQuote),
        shortWinners: Number(u64(h, at.shortWinners)), queuedRequests: Number(u64(h, at.queuedRequests)), stillQueued: Number(u64(h, at.stillQueued)),
        chargedQuote: i64(h, at.chargedQuote),
      },
      accountsChecked: Number(u64(h, at.accountsChecked)),
      positionSteps: this.positions * steps,
    };
  }

  /**
   * `interrupted()` is asked at every step; when it answers non-zero (or throws) the path stops
   * (EngineError Interrupted). It runs inside the path: calls into the engine from it are refused
   * (EngineError Reentrant).
   */
  setInterrupt(interrupted: () => number): void { this.raw.interrupt = interrupted; }

  dispose(): void { this.engine.dispose(); }
}

/**
 * `Simulator.create` from a configuration resolved once, its market lists checked (`simulate`
 * resolves and checks it, and its workers receive it so). Not exported by the package.
 */
export async function createSimulator(config: ResolvedConfig, variants: Simulator['variants'], options: SimulatorOptions): Promise<Simulator> {
  const { book } = config;
  const wasm = { ...(options.wasm !== undefined ? { wasm: options.wasm } : {}), ...(options.debug !== undefined ? { debug: options.debug } : {}) };
  let builder: BookBuilder | undefined;
  const shape = 'module' in book ? undefined : book;
  if ('module' in book) {
    try {
      // The caller's module, at run time: bundlers are told not to resolve it at build time.
      builder = await import(/* webpackIgnore: true */ /* @vite-ignore */ book.module) as BookBuilder;
    } catch (e) {
      throw inputError('InvalidScenario', 'book.module', -1, `cannot import ${book.module}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (typeof builder.build !== 'function' || typeof builder.capacity !== 'object' || builder.capacity === null) {
      throw inputError('InvalidScenario', 'book.module', -1, `${book.module} must export capacity (RiskEngine.create options) and build(engine)`);
    }
  }
  const engine = await RiskEngine.create(!shape ? { ...builder!.capacity, ...wasm } : {
    maxAccounts: shape.accounts + 16,
    maxPositions: Math.ceil(shape.accounts * shape.positionsPerAccount * 1.2) + 1024,
    maxIsolated: Math.ceil(shape.accounts / 20) + 1024,
    maxMarkets: shape.markets,
    ...wasm,
  });
  try {
    if (shape) generateBook(engine, { ...shape, ...(options.onBookProgress ? { onProgress: options.onBookProgress } : {}) });
    else await builder!.build(engine);
    const d = engine.quoteDecimals;
    // The snapshot holds the smallest fund of any variant; each path tops it up to its variant's.
    const funds = [config.insuranceFundQuote, ...variants.map((v) => v.variant.insuranceFundQuote ?? config.insuranceFundQuote)].map((x) => atomsOf(x, d, 'insuranceFundQuote'));
    const fundBase = funds.reduce((a, b) => (b < a ? b : a));
    const waterfalls = [config.waterfall, ...variants.map((v) => variantWaterfall(config.waterfall, v.variant))];
    const union: WaterfallConfig = { steps: waterfalls.flatMap(allSteps) };
    // Stakers of their own own sharePpm of the fund the snapshot holds; the treasury's deposit is the rest.
    const stakers = config.economics.stakers;
    const staked = stakers ? fundBase * BigInt(stakers.sharePpm) / 1_000_000n : 0n;
    setUpLossAbsorbers(engine, union, fundBase - staked, atomsOf(config.vaultQuote, d, 'vaultQuote'), funds[0]!);
    if (stakers) stakeFromAccounts(engine, stakers.accounts, staked);
    return attachTo(engine, config, variants, true, funds[0]!);
  } catch (e) {
    engine.dispose();
    throw e;
  }
}

/**
 * `count` accounts of the book stake `total` into the global fund at second 0, evenly (the first
 * takes the remainder): the first accounts in id order whose free collateral covers twice their
 * stake. InvalidScenario (economics.stakers.accounts) when the book has too few.
 */
function stakeFromAccounts(engine: RiskEngine, count: number, total: bigint): void {
  const each = total / BigInt(count), first = each + total % BigInt(count);
  engine.check();
  const free = engine.resultsView().freeQuote;
  const chosen: number[] = [];
  for (let a = 0; a < engine.accountCount && chosen.length < count; a++) {
    if (free[a]! >= 2n * (chosen.length === 0 ? first : each)) chosen.push(a);
  }
  if (chosen.length < count) throw inputError('InvalidScenario', 'economics.stakers.accounts', -1, `${count} stakers wanted, ${chosen.length} accounts have free collateral for twice their stake`);
  if (each === 0n && first === 0n) return;
  chosen.forEach((a, i) => { const amount = i === 0 ? first : each; if (amount > 0n) engine.stake(a, 0, amount, 0); });
}

/** A scenario's inputs, validated against the book before anything is built. */
interface ScenarioInputs {
  /** The shock grid's or the replay's paths (steps x markets, row t = step t + 1); null for Monte Carlo. */
  fixedPaths: BigInt64Array[] | null;
  fundingPpm: number[];
  vol: number[];
  drift: number[];
  correlation: Float64Array | null;
}

function scenarioInputs(engine: RiskEngine, config: ResolvedConfig): ScenarioInputs {
  const m = engine.marketCount;
  const s = config.scenario;
  const fundingPpm = perMarket(config.fundingRatePpm, m, 'fundingRatePpm');
  if (s.kind !== 'monteCarlo') {
    const marks = BigInt64Array.from({ length: m }, (_, i) => engine.market(i).markPrice);
    const fixedPaths = s.kind === 'shockGrid'
      ? Array.from({ length: 9 }, (_, p) => shockGridPath(s, marks, config.steps, p))
      : [replayPath(s.csv, marks, engine.quoteDecimals)];
    return { fixedPaths, fundingPpm, vol: [], drift: [], correlation: null };
  }
  const withFactor = s.correlationPpm !== undefined && s.correlationPpm !== 0;
  if (withFactor && m > 1024) throw inputError('InvalidScenario', 'correlationPpm', -1, `correlated returns over at most 1,024 markets (the book has ${m})`);
  return {
    fixedPaths: null, fundingPpm,
    vol: perMarket(s.volatilityPpm, m, 'volatilityPpm'),
    drift: perMarket(s.driftPpm ?? 0, m, 'driftPpm'),
    correlation: withFactor ? correlationMatrix(s.correlationPpm!, m) : null,
  };
}

/**
 * Lays out the core's simulation area and writes the scenario: Monte Carlo parameters (paths are
 * drawn in the core), or nothing more for fixed paths (written per path). A correlation matrix that
 * is not positive definite is refused here (InvalidScenario naming its row).
 */
function prepareCore(raw: Raw, engine: RiskEngine, config: ResolvedConfig, inputs: ScenarioInputs): void {
  const m = engine.marketCount;
  const s = config.scenario;
  raw.simPrepare(config.steps, config.maxRoundsPerStep, inputs.correlation !== null);
  const { view: h, at } = raw.record('SimHeader');
  h.setBigUint64(at.seed, BigInt(config.seed), true);
  h.setBigInt64(at.stepSeconds, BigInt(config.stepSeconds), true);
  h.setBigInt64(at.startSecond, 0n, true);
  h.setBigInt64(at.impactSlopePpm, BigInt(config.impact.slopePpm), true);
  h.setBigInt64(at.impactPermanentPpm, BigInt(config.impact.permanentPpm), true);
  h.setBigInt64(at.impactMaxPpm, BigInt(config.impact.maxPpm), true);
  h.setBigInt64(at.depthPpmOfOpenInterest, BigInt(config.impact.depthPpmOfOpenInterest), true);
  const e = config.economics;
  h.setUint32(at.turnoverPpm, e.turnoverPpm, true);
  h.setUint32(at.crashMultiplierPpm, e.crashMultiplierPpm, true);
  h.setUint32(at.revenueEverySteps, e.revenueEverySteps, true);
  h.setUint32(at.stakedPpm, e.stakedPpm, true);
  h.setUint32(at.fundingSkimPpm, e.fundingSkimPpm, true);
  // The withdrawal run (every 0: none); the path's index is written before each path.
  h.setUint32(at.withdrawEverySteps, e.withdrawals?.everySteps ?? 0, true);
  h.setUint32(at.withdrawPpm, e.withdrawals?.probabilityPpm ?? 0, true);
  h.setUint32(at.bankRunPpm, e.withdrawals?.bankRunPpm ?? 0, true);
  h.setUint32(at.path, 0, true);
  raw.simArray(BigInt64Array, 'Funding', 0, m).set(inputs.fundingPpm.map(BigInt));
  if (s.kind !== 'monteCarlo') return;
  // Monte Carlo: fractions as f64 log-return units.
  h.setUint32(at.flags, s.jumpsTogether === false ? 0 : 1, true);
  h.setFloat64(at.jumpProbability, (s.jumpProbabilityPpm ?? 0) / 1e6, true);
  h.setFloat64(at.jumpMean, (s.jumpMeanPpm ?? 0) / 1e6, true);
  h.setFloat64(at.jumpStd, (s.jumpStdPpm ?? 0) / 1e6, true);
  raw.simArray(Float64Array, 'Vol', 0, m).set(inputs.vol.map((x) => x / 1e6));
  raw.simArray(Float64Array, 'Drift', 0, m).set(inputs.drift.map((x) => x / 1e6));
  if (inputs.correlation) {
    raw.simArray(Float64Array, 'Factor', 0, m * m).set(inputs.correlation);
    raw.simFactor();
  }
}

/** A capacity's minimum in atoms: 0..2^62 (setWithdrawalCapacity's range), else InvalidScenario naming `field` (row: the variant). */
function capacityMinimum(c: WithdrawalCapacityConfig, decimals: number, field: string, row: number): void {
  const min = atomsOf(c.minQuote ?? 0n, decimals, field, row);
  if (min < 0n || min > 1n << 62n) throw inputError('InvalidScenario', field, row, `${min} atoms is not in 0..2^62`);
}

/** The withdrawal rules and capacity given (undefined: the engine's stay). */
function applyWithdrawals(engine: RiskEngine, realizable: RealizableRule | undefined, transferFloorPpm: number | undefined, capacity: WithdrawalCapacityConfig | null | undefined): void {
  if (realizable !== undefined || transferFloorPpm !== undefined) {
    engine.setWithdrawalRules({ ...(realizable !== undefined ? { realizable } : {}), ...(transferFloorPpm !== undefined ? { transferFloorPpm } : {}) });
  }
  if (capacity !== undefined) engine.setWithdrawalCapacity(capacity);
}

/** Open positions of the book: cross positions of active accounts plus isolated rows. */
function positionCount(engine: RiskEngine): number {
  const raw = internalsOf(engine).raw;
  const n = engine.accountCount;
  const lens = raw.view(Uint32Array, Column.AccPosLen, 0, n), flags = raw.view(Uint8Array, Column.AccFlags, 0, n);
  let total = 0;
  for (let a = 0; a < n; a++) if (flags[a] === 1) total += lens[a]!;
  const iso = raw.view(Uint8Array, Column.IsoFlags, 0, raw.isolatedTop());
  for (let r = 0; r < iso.length; r++) if (iso[r] !== 0) total++;
  return total;
}
