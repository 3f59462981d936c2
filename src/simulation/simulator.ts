/**
 * One engine instance running simulated paths: it builds the book, sets up the venue, prepares the
 * core's simulation area (snapshot, scenario parameters) and runs paths one at a time, each variant
 * of the sweep on the same path. Workers each hold one Simulator; so does a single-threaded run.
 */
import { RiskEngine, coreOf, type EngineOptions } from '../engine.js';
import { toAtoms } from '../atoms.js';
import { describeValue, inputError } from '../errors.js';
import { Column } from '../raw.js';
import { generateBook } from '../synth.js';
import { policyBytes, POLICY_RECORD } from '../liquidation.js';
import { checkWaterfallConfig, type WaterfallConfig } from '../waterfall.js';
import type { WasmSource } from '../loader.js';
import type { Raw } from '../raw.js';
import { checkMarketLists, expandSweep, resolveConfig, variantWaterfall, type ResolvedConfig } from './config.js';
import { setUpLossAbsorbers } from './venue.js';
import { correlationMatrix, perMarket, replayPath, shockGridPath } from './scenarios.js';
import { STEP_METRICS, type PathResult, type SimulationConfig, type SweepVariant } from './types.js';

/** Arrays of the core's simulation area (assembly/engine/simulate.ts SimArray). */
const SimArray = { Header: 0, Path: 1, Vol: 2, Drift: 3, Funding: 4, Factor: 5, Metrics: 6, Depth: 7 } as const;
const HEADER_BYTES = 256;

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

export class Simulator {
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
    checkMarketLists(config);
    const variants = expandSweep(input);
    const { book } = config;
    const wasm = { ...(options.wasm !== undefined ? { wasm: options.wasm } : {}), ...(options.debug !== undefined ? { debug: options.debug } : {}) };
    let builder: BookBuilder | undefined;
    const shape = 'module' in book ? undefined : book;
    if ('module' in book) {
      try {
        builder = await import(book.module) as BookBuilder;
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
      const funds = [config.insuranceFundQuote, ...variants.map((v) => v.variant.insuranceFundQuote ?? config.insuranceFundQuote)].map((x) => toAtoms(x, d, 'insuranceFundQuote'));
      const fundBase = funds.reduce((a, b) => (b < a ? b : a));
      const waterfalls = [config.waterfall, ...variants.map((v) => variantWaterfall(config.waterfall, v.variant))];
      const union: WaterfallConfig = { steps: waterfalls.flatMap((w) => [...w.steps, ...(w.groups ?? []).flatMap((g) => g.steps)]) };
      setUpLossAbsorbers(engine, union, fundBase, toAtoms(config.vaultQuote, d, 'vaultQuote'), funds[0]!);
      const sim = Simulator.attach(engine, config, variants, true);
      sim.fundTargetQuote = funds[0]!;
      return sim;
    } catch (e) {
      engine.dispose();
      throw e;
    }
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
    return Simulator.attach(engine, resolveConfig(input), expandSweep(input), settle ?? false);
  }

  private static attach(engine: RiskEngine, config: ResolvedConfig, variants: Simulator['variants'], settle: boolean): Simulator {
    const d = engine.quoteDecimals;
    const fundBase = engine.insuranceFund();
    // Step 1: everything that can be refused is checked before the engine changes: the variants'
    // funds, the scenario's inputs (paths, per-market lists, the correlation's factor), the policy
    // and every waterfall by the core's own rules (checked, not set: the engine's stay active).
    for (const v of variants) {
      const f = v.variant.insuranceFundQuote;
      if (f !== undefined && toAtoms(f, d, 'insuranceFundQuote') < fundBase) throw inputError('InvalidScenario', 'insuranceFundQuote', -1, `a variant's fund (${f}) is below the fund the book starts with`);
    }
    if (engine.marketCount === 0) throw inputError('InvalidScenario', 'marketId', -1, 'the book has no markets');
    const inputs = scenarioInputs(engine, config);
    const raw = coreOf(engine);
    const policy = policyBytes(config.policy, d);
    raw.at(Uint8Array, raw.exports.policyRecordPtr(), POLICY_RECORD).set(policy);
    raw.check(raw.exports.checkPolicy());
    for (const v of variants) if (v.variant.waterfall !== undefined || v.variant.adlRanking !== undefined) checkWaterfallConfig(raw, variantWaterfall(config.waterfall, v.variant), d);
    checkWaterfallConfig(raw, config.waterfall, d);
    // The book must check (a group whose sums leave range: Overflow), summed without writing results;
    // and the simulation area must fit: it is made as large as the preparation below needs (memory
    // grows, if it must, only once nothing else can be refused), so that preparing cannot fail.
    raw.check(raw.exports.checkInRange());
    raw.check(raw.exports.simReserveFor(config.steps, inputs.correlation ? 1 : 0));
    // Step 2: act. Nothing above is refused again. (Settling runs liquidation and the waterfall on
    // the book; a group their moves took out of range would make the check after them refuse.)
    raw.at(Uint8Array, raw.exports.policyRecordPtr(), POLICY_RECORD).set(policy);
    raw.check(raw.exports.setPolicy());
    engine.setWaterfall(config.waterfall);
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
  private get raw(): Raw { return coreOf(this.engine); }

  /** Paths this configuration has (Monte Carlo: as configured; the shock grid: 9; a replay: 1). */
  get pathCount(): number { return this.config.paths; }

  /** Runs path `path` for every variant, on the same prices. */
  runPath(path: number): PathResult[] {
    const raw = this.raw;
    const { steps } = this.config;
    const m = this.engine.marketCount;
    if (!Number.isInteger(path) || path < 0 || path >= this.config.paths) throw new RangeError(`path ${path} is not in 0..${this.config.paths - 1}`);
    if (this.fixedPaths) new BigInt64Array(raw.exports.memory.buffer, raw.exports.simPtr(SimArray.Path) + m * 8, steps * m).set(this.fixedPaths[path]!);
    else raw.check(raw.exports.simGeneratePath(path));
    const out: PathResult[] = [];
    const d = this.engine.quoteDecimals;
    for (let v = 0; v < this.variants.length; v++) {
      const variant = this.variants[v]!.variant;
      raw.check(raw.exports.simRestore());
      const target = variant.insuranceFundQuote !== undefined ? toAtoms(variant.insuranceFundQuote, d, 'insuranceFundQuote') : this.fundTargetQuote;
      const fund = target - this.fundBaseQuote;
      if (fund > 0n) this.engine.depositInsuranceFund(fund);
      if (variant.marginScalePpm !== undefined && variant.marginScalePpm !== 1_000_000) raw.check(raw.exports.scaleMargins(variant.marginScalePpm));
      this.engine.setWaterfall(variantWaterfall(this.config.waterfall, variant));
      raw.check(raw.exports.simRunPath(this.config.skip ? 1 : 0));
      out.push(this.readPath(path, v));
    }
    return out;
  }

  private readPath(path: number, variant: number): PathResult {
    const raw = this.raw;
    const { steps } = this.config;
    const k = STEP_METRICS.length;
    const table = new BigInt64Array(raw.exports.memory.buffer, raw.exports.simPtr(SimArray.Metrics), steps * k);
    const metrics = STEP_METRICS.map((_, j) => Array.from({ length: steps }, (_, t) => table[t * k + j]!));
    const h = raw.record(raw.exports.simPtr(SimArray.Header), HEADER_BYTES);
    return {
      path, variant, metrics,
      prefundedQuote: h.getBigInt64(128, true),
      cover1Quote: h.getBigInt64(136, true),
      cover2Quote: h.getBigInt64(144, true),
      fundExhausted: h.getUint32(152, true) !== 0,
      accountsChecked: Number(h.getBigUint64(160, true)),
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
  raw.check(raw.exports.simPrepare(config.steps, config.maxRoundsPerStep, inputs.correlation ? 1 : 0));
  const buffer = raw.exports.memory.buffer;
  const h = new DataView(buffer, raw.exports.simPtr(SimArray.Header), HEADER_BYTES);
  h.setBigUint64(16, BigInt(config.seed), true);
  h.setBigInt64(24, BigInt(config.stepSeconds), true);
  h.setBigInt64(32, 0n, true);
  h.setBigInt64(40, BigInt(config.impact.slopePpm), true);
  h.setBigInt64(48, BigInt(config.impact.permanentPpm), true);
  h.setBigInt64(56, BigInt(config.impact.maxPpm), true);
  h.setBigInt64(64, BigInt(config.impact.depthPpmOfOpenInterest), true);
  new BigInt64Array(buffer, raw.exports.simPtr(SimArray.Funding), m).set(inputs.fundingPpm.map(BigInt));
  if (s.kind !== 'monteCarlo') return;
  // Monte Carlo: fractions as f64 log-return units.
  h.setUint32(12, s.jumpsTogether === false ? 0 : 1, true);
  h.setFloat64(72, (s.jumpProbabilityPpm ?? 0) / 1e6, true);
  h.setFloat64(80, (s.jumpMeanPpm ?? 0) / 1e6, true);
  h.setFloat64(88, (s.jumpStdPpm ?? 0) / 1e6, true);
  new Float64Array(buffer, raw.exports.simPtr(SimArray.Vol), m).set(inputs.vol.map((x) => x / 1e6));
  new Float64Array(buffer, raw.exports.simPtr(SimArray.Drift), m).set(inputs.drift.map((x) => x / 1e6));
  if (inputs.correlation) {
    new Float64Array(buffer, raw.exports.simPtr(SimArray.Factor), m * m).set(inputs.correlation);
    raw.check(raw.exports.simFactor());
  }
}

/** Open positions of the book: cross positions of active accounts plus isolated rows. */
function positionCount(engine: RiskEngine): number {
  const raw = coreOf(engine);
  const n = engine.accountCount;
  const lens = raw.view(Uint32Array, Column.AccPosLen, 0, n), flags = raw.view(Uint8Array, Column.AccFlags, 0, n);
  let total = 0;
  for (let a = 0; a < n; a++) if (flags[a] === 1) total += lens[a]!;
  const iso = raw.view(Uint8Array, Column.IsoFlags, 0, raw.exports.isolatedTop());
  for (let r = 0; r < iso.length; r++) if (iso[r] !== 0) total++;
  return total;
}
