/**
 * RiskEngine: one book in one wasm instance, and the synchronous API over it.
 *
 * Create with `await RiskEngine.create(...)` (compiles once per process, instantiates per engine);
 * every method after that is synchronous. An engine MUST be disposed (`dispose()` or `using`) to
 * release its memory promptly.
 *
 * Views returned by `...View()` methods are zero-copy windows on wasm memory (or copies, where they
 * say so) that the core never takes as input unless it validates them where it consumes them
 * (README, "Views"). Code the engine calls (ranking functions, onDeficits, an interrupt check) may
 * not call back into it: every member then refuses with EngineError Reentrant. After `dispose()`
 * every member refuses with EngineError Disposed.
 */
import { checkColumns, claimBatch, copyColumns, reserveBatch, spendBatch, type BookColumnsInput, type BulkBatch, type BulkCounts } from './bulk.js';
import { describeValue, EngineError, inputError, RiskCoreError, StatusCode } from './errors.js';
import { listLength, orDefault, ownCode, toCount, toFlag, toI64, toRecord } from './atoms.js';
import { compileSource, instantiateCore, type ModuleFetcher, type WasmSource } from './loader.js';
import { Column, MarketField, Raw, type CoreHooks } from './raw.js';
import { Health, type AccountSpec, type AtomsInput, type MarginFigures, type MarginTier, type MarketSpec, type PositionSpec } from './types.js';
import {
  addSummaries, cascadeOptions, deficitRecords, deficitsView, EMPTY_SUMMARY, executionSummary, logRecords, logView, NO_ISOLATED,
  planView, policyBytes, PolicyField, POLICY_RECORD, pricesView, readLedger,
  type CascadeOptions, type CascadeReport, type DeficitRecord, type ExecutionSummary, type Ledger, type LiquidationLogView, type LiquidationPlan,
  type LiquidationPolicy, type LiquidationRecord, type PositionPrices, type PositionPricesView,
} from './liquidation.js';
import {
  adlRanks, allocationTime, auditChunk, copyKeys, encodeWaterfall, indicatorKeys, keysFor, pendingDeficits, readBalances, readMembers, readVault, runKeys, runReport,
  type AdlRank, type AdlRankingFunction, type AdlRankingName, type AllocateOptions, type AllocationReport, type ClearingMember,
  type EncodedWaterfall, type PresetKeys, type WaterfallBalances, type WaterfallConfig,
} from './waterfall.js';
import { AuditLog } from './audit.js';
import { checkSimulationReserve } from './simulation/validate.js';

export interface EngineOptions {
  /** Capacity of the instance; memory for all of it is laid out once, at creation. */
  maxAccounts?: number;
  maxPositions?: number;
  maxIsolated?: number;
  maxMarkets?: number;
  /** Decimals of the quote unit, for decimal-string inputs (default 6). */
  quoteDecimals?: number;
  /** The wasm: a URL, a Response, bytes or a compiled module. Defaults to the file next to the package. */
  wasm?: WasmSource;
  /** Use the debug build (assertions on; slower). Ignored when `wasm` is given. */
  debug?: boolean;
  /**
   * Lays out the simulation area at creation, for simulations of up to `steps` steps and
   * `maxRoundsPerStep` rounds per step (default 4) over up to `maxMarkets` markets, correlated or
   * not: preparing such a simulation (`Simulator.fromEngine`) then never grows memory, so views taken
   * before it stay valid. Without it the first simulation prepared on the engine grows memory once
   * (README, Limits). InputError(InvalidScenario) naming the key if malformed.
   */
  reserveSimulation?: { steps: number; correlated?: boolean };
}

/** Host hooks supplied by the Node and browser entry points. */
export interface Host {
  defaultWasm(debug: boolean): URL;
  fetchModule: ModuleFetcher;
}

let host: Host | undefined;
/** Installed by `node.ts` / `browser.ts`. */
export function setHost(h: Host): void { host = h; }

/** Counts per health code. */
export interface HealthCounts { healthy: number; belowInitial: number; liquidatable: number; bankrupt: number; inactive: number }

export interface CheckSummary {
  /** Rows this call checked, by health. */
  checked: { accounts: HealthCounts; isolated: HealthCounts };
  /** The whole book after this call, by health (unchecked and closed rows are `inactive`). */
  book: { accounts: HealthCounts; isolated: HealthCounts };
}

export interface FillInput {
  accountId: number;
  marketId: number;
  /** Signed size change in base atoms (or a decimal string in whole base units). */
  sizeDeltaBase: AtomsInput;
  /** Execution price, quote atoms per whole base unit (or a decimal string). */
  priceQuote: AtomsInput;
  /** Trade the account's isolated position in this market. */
  isolated?: boolean;
  /** For isolated fills: quote atoms moved from cross collateral into the position first. */
  isolatedMarginQuote?: AtomsInput;
}

export interface PreTradeResult extends MarginFigures {
  ok: boolean;
  /** Why not, when `ok` is false. */
  reason: 'belowInitialMargin' | null;
}

export interface AccountInput extends AccountSpec {
  positions?: Omit<PositionSpec, 'accountId' | 'isolatedCollateralQuote'>[];
  isolated?: (Omit<PositionSpec, 'accountId' | 'isolatedCollateralQuote'> & { collateralQuote?: AtomsInput })[];
}

export interface AccountResultsView {
  equityQuote: BigInt64Array;
  imQuote: BigInt64Array;
  mmQuote: BigInt64Array;
  freeQuote: BigInt64Array;
  health: Uint8Array;
}

export interface IsolatedResultsView extends AccountResultsView {
  accountId: Uint32Array;
  marketId: Uint16Array;
}

const CURVE_KIND = { flat: 0, tiers: 1, sizePremium: 2, openInterest: 3 } as const;

const MAX_TIERS = 16;
/** The most decimals a market's base unit has (assembly/engine/markets.ts MAX_BASE_DECIMALS). */
const MAX_BASE_DECIMALS = 12;

export class RiskEngine implements Disposable {
  private raw: Raw | null;
  readonly quoteDecimals: number;
  private readonly decimalsByMarket: number[] = [];
  /** Rows of the last execution's log (0 after a new plan). */
  private logRows = 0;
  /** The active waterfall, the audit history and the ranking an ADL indicator call uses. */
  private waterfall: EncodedWaterfall | null = null;
  private readonly audit = new AuditLog();
  private event = 0;
  /** The batch of the latest successful reserve(); the only one commit() accepts. */
  private staged: BulkBatch | null = null;
  /** Keys of the caller's ranking functions for the call in progress (the core's adlKeys hook copies them). */
  private presetKeys: PresetKeys | null = null;
  /** Above 0 while code the engine calls is running: every member refuses (Reentrant) meanwhile. */
  private callbackDepth = 0;

  private constructor(raw: Raw, quoteDecimals: number) {
    this.raw = raw;
    this.quoteDecimals = quoteDecimals;
  }

  /** Compiles (once per process and source) and instantiates an engine with the given capacities. */
  static async create(options: EngineOptions = {}): Promise<RiskEngine> {
    toRecord(options, 'options');
    const maxAccounts = toCount(orDefault(options.maxAccounts, 100_000), 'maxAccounts');
    const maxPositions = toCount(orDefault(options.maxPositions, maxAccounts * 10), 'maxPositions');
    const maxIsolated = toCount(orDefault(options.maxIsolated, Math.max(1024, Math.ceil(maxAccounts / 10))), 'maxIsolated');
    const maxMarkets = toCount(orDefault(options.maxMarkets, 1024), 'maxMarkets', -1, 65535);
    const quoteDecimals = toCount(orDefault(options.quoteDecimals, 6), 'quoteDecimals', -1, 18);
    const reserve = options.reserveSimulation === undefined ? undefined : checkSimulationReserve(options.reserveSimulation);
    if (!host) throw new Error('riskcore: no host; import from "riskcore" (Node or browser entry), not from src/engine');
    const source = options.wasm ?? host.defaultWasm(toFlag(options.debug, 'debug'));
    let module: WebAssembly.Module;
    try {
      module = await compileSource(source, host.fetchModule);
    } catch (e) {
      throw new Error(`riskcore: create() failed to load the wasm core (${String(e)}); you may retry`, { cause: e });
    }
    const hooks: CoreHooks = { auditDrain: () => {}, adlKeys: () => {}, simInterrupted: () => 0 };
    const raw = new Raw(await instantiateCore(module, hooks));
    raw.check(raw.exports.init(maxAccounts, maxPositions, maxIsolated, maxMarkets));
    if (reserve) raw.check(raw.exports.simReserve(reserve.steps, reserve.correlated ? 1 : 0));
    raw.loadLayout();
    const engine = new RiskEngine(raw, quoteDecimals);
    // During a waterfall run the core hands over full audit buffers and asks for the keys of a
    // ranking given by the caller, computed before the run (engine.ts is the only place these hooks
    // are bound). No caller code runs inside the core except a simulation's interrupt check, which
    // runs as a callback: a throw there stops the path.
    hooks.auditDrain = (rows) => engine.audit.append(engine.event, auditChunk(raw, rows), rows, true);
    hooks.adlKeys = (step, market, side, count) => copyKeys(raw, engine.presetKeys?.get(keysFor(step, market, side)), count);
    hooks.simInterrupted = () => {
      try { return engine.callOut(() => raw.interrupt()) ? 1 : 0; } catch { return 1; }
    };
    return engine;
  }

  private get core(): Raw {
    if (!this.raw) throw new EngineError(StatusCode.Disposed, '', -1);
    if (this.callbackDepth > 0) throw new EngineError(StatusCode.Reentrant, '', -1);
    return this.raw;
  }

  /**
   * Runs code the engine calls (a ranking function, onDeficits, an interrupt check): while it runs,
   * every member of this engine refuses with EngineError Reentrant and changes nothing.
   */
  private readonly callOut = <T>(fn: () => T): T => {
    this.callbackDepth++;
    try { return fn(); } finally { this.callbackDepth--; }
  };

  /** Releases the instance (its memory goes with the last reference). Idempotent; refused (Reentrant) from a callback. */
  dispose(): void {
    if (this.callbackDepth > 0) throw new EngineError(StatusCode.Reentrant, '', -1);
    this.raw = null;
  }
  [Symbol.dispose](): void { this.dispose(); }

  get capacity(): { accounts: number; positions: number; isolated: number; markets: number } {
    const x = this.core.exports;
    return { accounts: x.maxAccounts(), positions: x.maxPositions(), isolated: x.maxIsolated(), markets: x.maxMarkets() };
  }

  /** Number of accounts ever added (ids are 0..accountCount-1; closed accounts keep their id). */
  get accountCount(): number { return this.core.exports.accountCount(); }
  get marketCount(): number { return this.core.exports.marketCount(); }

  // ------------------------------------------------------------------------------------------
  // Markets

  /** Adds a market and returns its id (0, 1, ...). Decimal strings: prices in quote units. */
  addMarket(spec: MarketSpec): number {
    const raw = this.core;
    const q = this.quoteDecimals;
    toRecord(spec, 'market', 'InvalidNumber');
    const baseDecimals = toCount(spec.baseDecimals, 'baseDecimals', -1, MAX_BASE_DECIMALS);
    const mark = toI64(spec.markPrice, q, 'markPrice');
    const fl = toI64(orDefault(spec.fundingIndexLong, 0n), q, 'fundingIndexLong');
    const fs = toI64(orDefault(spec.fundingIndexShort, 0n), q, 'fundingIndexShort');
    const curve = toRecord(spec.curve, 'curve', 'InvalidCurve');
    const kindName: unknown = curve.kind;
    const kind = ownCode(CURVE_KIND, kindName);
    if (kind === undefined) throw inputError('InvalidCurve', 'curve', -1, `unknown curve kind ${describeValue(kindName)}; one of ${Object.keys(CURVE_KIND).join(', ')}`);
    let imf = 0, mmf = 0, premium = 0, lower = 0n, upper = 0n, tierCount = 0;
    if (kind === CURVE_KIND.tiers) {
      const tiers: unknown = (curve as { tiers?: unknown }).tiers;
      if (!Array.isArray(tiers)) throw inputError('InvalidCurve', 'tierCount', -1, 'tiers: expected an array of tiers');
      tierCount = tiers.length;
      if (tierCount < 1 || tierCount > MAX_TIERS) throw inputError('InvalidCurve', 'tierCount', -1, `1..${MAX_TIERS} tiers`);
      const io = raw.view(Uint32Array, Column.IoU32, 0, 32);
      const floors = raw.view(BigInt64Array, Column.IoI64A, 0, MAX_TIERS);
      (tiers as MarginTier[]).forEach((t, j) => {
        toRecord(t, 'tierCount', 'InvalidCurve');
        floors[j] = toI64(t.notionalFloorQuote, q, 'notionalFloorQuote', j);
        io[j] = toCount(t.imfPpm, 'imfPpm', j);
        io[16 + j] = toCount(t.mmfPpm, 'mmfPpm', j);
      });
    } else {
      const c = curve as Partial<{ imfPpm: number; mmfPpm: number; premiumPpm: number; lowerCapQuote: AtomsInput; upperCapQuote: AtomsInput }>;
      imf = toCount(c.imfPpm, 'imfPpm');
      mmf = toCount(c.mmfPpm, 'mmfPpm');
      if (kind === CURVE_KIND.sizePremium) premium = toCount(c.premiumPpm, 'premiumPpm');
      if (kind === CURVE_KIND.openInterest) {
        lower = toI64(c.lowerCapQuote!, q, 'lowerCapQuote');
        upper = toI64(c.upperCapQuote!, q, 'upperCapQuote');
      }
    }
    const step = toI64(orDefault(spec.stepBase, 1n), baseDecimals, 'stepBase');
    const given: unknown = spec.insuranceFund;
    const fund = given === undefined ? 'global' : given;
    const next = raw.exports.marketCount();
    const pool: unknown = typeof fund === 'object' && fund !== null && !Array.isArray(fund) ? (fund as { pool?: unknown }).pool : undefined;
    if (fund !== 'global' && fund !== 'own' && !(typeof pool === 'number' && Number.isInteger(pool) && pool >= 0 && pool < next)) {
      throw inputError('OutOfRange', 'fundId', -1, `insuranceFund must be 'global', 'own' or { pool: an earlier market's id }, got ${describeValue(fund)}`);
    }
    // Fund ids: 0 the global fund, 1 + id a market's own, 1 + the pool's first market for a pool.
    const fundId = fund === 'global' ? 0 : fund === 'own' ? next + 1 : raw.view(Uint16Array, Column.MarketFund, pool as number, 1)[0] || (pool as number) + 1;
    raw.check(raw.exports.addMarket(baseDecimals, mark, fl, fs, kind, imf, mmf, premium, lower, upper, tierCount, step, fundId));
    const id = raw.errors()[2]!;
    this.decimalsByMarket[id] = baseDecimals;
    return id;
  }

  /** A market's current state, as a plain object (copies). */
  market(id: number): { baseDecimals: number; markPrice: bigint; fundingIndexLong: bigint; fundingIndexShort: bigint; openInterestLongBase: bigint; openInterestShortBase: bigint; effectiveImfPpm: number } {
    const raw = this.core;
    if (!Number.isInteger(id) || id < 0 || id >= raw.exports.marketCount()) throw inputError('UnknownMarket', 'marketId', -1, describeValue(id));
    const r = raw.marketRecord(id);
    return {
      baseDecimals: r.getUint8(MarketField.decimals),
      markPrice: r.getBigInt64(MarketField.mark, true),
      fundingIndexLong: r.getBigInt64(MarketField.fundingLong, true),
      fundingIndexShort: r.getBigInt64(MarketField.fundingShort, true),
      openInterestLongBase: r.getBigInt64(MarketField.oiLong, true),
      openInterestShortBase: r.getBigInt64(MarketField.oiShort, true),
      effectiveImfPpm: r.getUint32(MarketField.imfEff, true),
    };
  }

  /** A known market's base decimals; the id must be an integer in range (no string, array or property name). */
  private baseDecimals(marketId: number, field = 'marketId', row = -1): number {
    const known = Number.isInteger(marketId) && marketId >= 0 && marketId < this.decimalsByMarket.length;
    const d = known ? this.decimalsByMarket[marketId] : undefined;
    if (d === undefined) throw inputError('UnknownMarket', field, row, describeValue(marketId));
    return d;
  }

  /** Sets mark prices of some markets at once (all or nothing). Prices: quote atoms per base unit. */
  setMarks(marketIds: ArrayLike<number>, prices: ArrayLike<AtomsInput>): void {
    const raw = this.core;
    const n = listLength(marketIds, 'marketId');
    if (listLength(prices, 'markPrice') !== n) throw inputError('CountMismatch', 'markPrice', -1, 'one price per market id');
    if (n > 65536) throw inputError('OutOfRange', 'marketId', -1, 'at most 65,536 marks per call');
    const ids = raw.view(Uint32Array, Column.IoU32, 0, n);
    const px = raw.view(BigInt64Array, Column.IoI64A, 0, n);
    for (let i = 0; i < n; i++) {
      ids[i] = toCount(marketIds[i], 'marketId', i);
      px[i] = toI64(prices[i]!, this.quoteDecimals, 'markPrice', i);
    }
    raw.check(raw.exports.setMarks(n));
  }

  /** Sets cumulative funding indices (longs and shorts) of some markets (all or nothing). */
  setFundingIndices(marketIds: ArrayLike<number>, longIndices: ArrayLike<AtomsInput>, shortIndices: ArrayLike<AtomsInput>): void {
    const raw = this.core;
    const n = listLength(marketIds, 'marketId');
    if (listLength(longIndices, 'fundingIndexLong') !== n || listLength(shortIndices, 'fundingIndexShort') !== n) throw inputError('CountMismatch', 'fundingIndexLong', -1, 'one index pair per market id');
    if (n > 65536) throw inputError('OutOfRange', 'marketId', -1, 'at most 65,536 markets per call');
    const ids = raw.view(Uint32Array, Column.IoU32, 0, n);
    const lo = raw.view(BigInt64Array, Column.IoI64A, 0, n);
    const sh = raw.view(BigInt64Array, Column.IoI64B, 0, n);
    for (let i = 0; i < n; i++) {
      ids[i] = toCount(marketIds[i], 'marketId', i);
      lo[i] = toI64(longIndices[i]!, this.quoteDecimals, 'fundingIndexLong', i);
      sh[i] = toI64(shortIndices[i]!, this.quoteDecimals, 'fundingIndexShort', i);
    }
    raw.check(raw.exports.setFundingIndices(n));
  }

  // ------------------------------------------------------------------------------------------
  // Accounts and positions

  /**
   * Stages a bulk append and returns writable views of engine memory to fill (zero copy), then
   * call `commit(batch)`. Between the two, make no call that changes the book: the batch belongs
   * to this engine and this reservation, and a newer reserve() (appendColumns, addAccounts) or any
   * change to the book makes commit() refuse it.
   */
  reserve(counts: BulkCounts): BulkBatch {
    const raw = this.core;
    toRecord(counts, 'counts', 'InvalidNumber');
    const nA = toCount(counts.accounts, 'accounts'), nP = toCount(counts.positions, 'positions');
    const nI = counts.isolated === undefined ? 0 : toCount(counts.isolated, 'isolated');
    this.staged = reserveBatch(raw, this, nA, nP, nI);
    return this.staged;
  }

  /**
   * Validates and commits a staged batch; returns the first new account id. All or nothing. Refused
   * (InputError CountMismatch, field `batch`) for anything but this engine's latest reservation,
   * committed once, with the book unchanged since.
   */
  commit(batch: BulkBatch): number {
    const raw = this.core;
    const r = claimBatch(raw, this, batch, this.staged);
    raw.check(raw.exports.bulkCommit(r.counts.accounts, r.counts.positions, r.counts.isolated));
    spendBatch(batch);
    this.staged = null;
    return r.firstAccountId;
  }

  /**
   * Appends accounts and positions from caller-owned columns (one copy): typed arrays of each
   * column's kind, or plain arrays of values that fit it. Every column's kind, length and values are
   * checked before anything is staged. Returns the first id. All or nothing.
   */
  appendColumns(columns: BookColumnsInput): number {
    const x = this.core.exports;
    const checked = checkColumns(columns, { accounts: x.maxAccounts(), positions: x.maxPositions(), isolated: x.maxIsolated() });
    const batch = this.reserve(checked.counts);
    copyColumns(batch, checked);
    return this.commit(batch);
  }

  /**
   * Adds accounts from plain objects (decimal strings or numbers allowed) with their positions;
   * returns their ids. All or nothing. For a handful of accounts; bulk loads use `reserve`.
   */
  addAccounts(specs: readonly AccountInput[]): number[] {
    const q = this.quoteDecimals;
    if (!Array.isArray(specs)) throw inputError('InvalidNumber', 'accounts', -1, 'expected an array of accounts');
    // Each account's lists are read once, then everything is converted before the engine is touched.
    const lists = specs.map((s, k) => {
      toRecord(s, 'accounts', 'InvalidNumber');
      const positions: unknown = s.positions, isolated: unknown = s.isolated;
      if (positions !== undefined && !Array.isArray(positions)) throw inputError('InvalidNumber', 'positions', k, 'expected an array of positions');
      if (isolated !== undefined && !Array.isArray(isolated)) throw inputError('InvalidNumber', 'isolated', k, 'expected an array of isolated positions');
      return { spec: s, positions: (positions ?? []) as NonNullable<AccountInput['positions']>, isolated: (isolated ?? []) as NonNullable<AccountInput['isolated']> };
    });
    const nA = lists.length;
    const nP = lists.reduce((n, l) => n + l.positions.length, 0);
    const nI = lists.reduce((n, l) => n + l.isolated.length, 0);
    const collateral = new BigInt64Array(nA), floors = new Uint32Array(nA), counts = new Uint32Array(nA);
    const pm = new Uint16Array(nP), ps = new BigInt64Array(nP), pq = new BigInt64Array(nP), pf = new BigInt64Array(nP);
    const ia = new Uint32Array(nI), im = new Uint16Array(nI), is = new BigInt64Array(nI), iq = new BigInt64Array(nI), isn = new BigInt64Array(nI), ic = new BigInt64Array(nI);
    const first = this.accountCount;
    let p = 0, r = 0;
    lists.forEach(({ spec, positions, isolated }, k) => {
      collateral[k] = toI64(orDefault(spec.collateralQuote, 0n), q, 'collateralQuote', k);
      floors[k] = toCount(orDefault(spec.imfFloorPpm, 0), 'imfFloorPpm', k);
      counts[k] = positions.length;
      for (const pos of positions) {
        toRecord(pos, 'positions', 'InvalidNumber');
        const market = toCount(pos.marketId, 'marketId', p, 65535);
        pm[p] = market;
        ps[p] = toI64(pos.sizeBase, this.baseDecimals(market, 'marketId', p), 'sizeBase', p);
        pq[p] = toI64(orDefault(pos.quoteBalance, 0n), q, 'quoteBalance', p);
        pf[p] = toI64(orDefault(pos.fundingSnapshot, 0n), q, 'fundingSnapshot', p);
        p++;
      }
      for (const iso of isolated) {
        toRecord(iso, 'isolated', 'InvalidNumber');
        const market = toCount(iso.marketId, 'marketId', r, 65535);
        ia[r] = first + k;
        im[r] = market;
        is[r] = toI64(iso.sizeBase, this.baseDecimals(market, 'marketId', r), 'sizeBase', r);
        iq[r] = toI64(orDefault(iso.quoteBalance, 0n), q, 'quoteBalance', r);
        isn[r] = toI64(orDefault(iso.fundingSnapshot, 0n), q, 'fundingSnapshot', r);
        ic[r] = toI64(orDefault(iso.collateralQuote, 0n), q, 'collateralQuote', r);
        r++;
      }
    });
    this.appendColumns({
      accounts: { collateralQuote: collateral, imfFloorPpm: floors, positionCount: counts },
      positions: { marketId: pm, sizeBase: ps, quoteBalance: pq, fundingSnapshot: pf },
      isolated: { accountId: ia, marketId: im, sizeBase: is, quoteBalance: iq, fundingSnapshot: isn, collateralQuote: ic },
    });
    return Array.from({ length: nA }, (_, k) => first + k);
  }

  private fillArgs(fill: FillInput): [number, number, bigint, bigint, number, bigint] {
    toRecord(fill, 'fill', 'InvalidNumber');
    const accountId = toCount(fill.accountId, 'accountId');
    const marketId = toCount(fill.marketId, 'marketId');
    const size = toI64(fill.sizeDeltaBase, this.baseDecimals(marketId), 'sizeDeltaBase');
    const price = toI64(fill.priceQuote, this.quoteDecimals, 'priceQuote');
    const margin = toI64(orDefault(fill.isolatedMarginQuote, 0n), this.quoteDecimals, 'isolatedMarginQuote');
    return [accountId, marketId, size, price, toFlag(fill.isolated, 'isolated') ? 1 : 0, margin];
  }

  /** Applies a fill to an account's position (docs/FORMULAS.md, "Fills"). All or nothing. */
  applyFill(fill: FillInput): void {
    const raw = this.core;
    raw.check(raw.exports.applyFill(...this.fillArgs(fill)));
  }

  /**
   * Would the account stay at or above initial margin after this fill? Evaluates without changing
   * anything. Throws only for invalid input (unknown account, bad price...).
   */
  preTrade(fill: FillInput): PreTradeResult {
    const raw = this.core;
    raw.check(raw.exports.preTrade(...this.fillArgs(fill)));
    const rec = raw.preTradeRecord();
    const packed = rec[4]!;
    const health = Number(packed & 0xffffffffn) as Health;
    const reason = Number(packed >> 32n);
    return {
      ok: reason === 0,
      reason: reason === 0 ? null : 'belowInitialMargin',
      equityQuote: rec[0]!, imQuote: rec[1]!, mmQuote: rec[2]!, freeQuote: rec[3]!, health,
    };
  }

  /** Adds collateral (quote atoms or a decimal string in quote units). */
  deposit(accountId: number, amount: AtomsInput): void {
    const raw = this.core;
    raw.check(raw.exports.deposit(toCount(accountId, 'accountId'), toI64(amount, this.quoteDecimals, 'amountQuote')));
  }

  /** Withdraws collateral; refused (MarginRefusedError) if equity would fall below initial margin. */
  withdraw(accountId: number, amount: AtomsInput): void {
    const raw = this.core;
    raw.check(raw.exports.withdraw(toCount(accountId, 'accountId'), toI64(amount, this.quoteDecimals, 'amountQuote')));
  }

  /** Closes an account with no positions and returns the collateral paid out. */
  closeAccount(accountId: number): bigint {
    const raw = this.core;
    raw.check(raw.exports.closeAccount(toCount(accountId, 'accountId')));
    return raw.preTradeRecord()[0]!;
  }

  /** An account's state and latest results as a plain object (copies). */
  account(accountId: number): {
    accountId: number; open: boolean; collateralQuote: bigint; imfFloorPpm: number;
    positions: { marketId: number; sizeBase: bigint; quoteBalance: bigint; fundingSnapshot: bigint }[];
    isolated: { isolatedId: number; marketId: number; sizeBase: bigint; quoteBalance: bigint; fundingSnapshot: bigint; collateralQuote: bigint; figures: MarginFigures }[];
    figures: MarginFigures;
  } {
    const raw = this.core;
    const a = this.knownAccount(accountId);
    const start = raw.view(Uint32Array, Column.AccPosStart, a, 1)[0]!;
    const len = raw.view(Uint32Array, Column.AccPosLen, a, 1)[0]!;
    const markets = raw.view(Uint16Array, Column.PosMarket, start, len);
    const sizes = raw.view(BigInt64Array, Column.PosSize, start, len);
    const quotes = raw.view(BigInt64Array, Column.PosQuote, start, len);
    const snaps = raw.view(BigInt64Array, Column.PosSnap, start, len);
    const positions = Array.from({ length: len }, (_, i) => ({ marketId: markets[i]!, sizeBase: sizes[i]!, quoteBalance: quotes[i]!, fundingSnapshot: snaps[i]! }));
    const isolated = [];
    const next = raw.view(Uint32Array, Column.IsoNext, 0, raw.exports.isolatedTop());
    for (let r = raw.view(Uint32Array, Column.AccIsoHead, a, 1)[0]!; r !== 0xffffffff; r = next[r]!) {
      isolated.push({
        isolatedId: r,
        marketId: raw.view(Uint16Array, Column.IsoMarket, r, 1)[0]!,
        sizeBase: raw.view(BigInt64Array, Column.IsoSize, r, 1)[0]!,
        quoteBalance: raw.view(BigInt64Array, Column.IsoQuote, r, 1)[0]!,
        fundingSnapshot: raw.view(BigInt64Array, Column.IsoSnap, r, 1)[0]!,
        collateralQuote: raw.view(BigInt64Array, Column.IsoCollateral, r, 1)[0]!,
        figures: this.figuresAt(true, r),
      });
    }
    isolated.reverse();
    return {
      accountId: a,
      open: raw.view(Uint8Array, Column.AccFlags, a, 1)[0] === 1,
      collateralQuote: raw.view(BigInt64Array, Column.AccCollateral, a, 1)[0]!,
      imfFloorPpm: raw.view(Uint32Array, Column.AccFloorPpm, a, 1)[0]!,
      positions,
      isolated,
      figures: this.figuresAt(false, a),
    };
  }

  private knownAccount(accountId: number): number {
    if (!Number.isInteger(accountId) || accountId < 0 || accountId >= this.core.exports.accountCount()) {
      throw inputError('UnknownAccount', 'accountId', -1, describeValue(accountId));
    }
    return accountId;
  }

  private figuresAt(isolated: boolean, i: number): MarginFigures {
    const v = this.resultColumns(isolated, false, i, 1);
    return { equityQuote: v.equityQuote[0]!, imQuote: v.imQuote[0]!, mmQuote: v.mmQuote[0]!, freeQuote: v.freeQuote[0]!, health: v.health[0]! as Health };
  }

  /**
   * Views of rows [first, first + n) of the account (or isolated) result columns: the core's own
   * (read here and copied, never handed out) or their published copy (`published`).
   */
  private resultColumns(isolated: boolean, published: boolean, first: number, n: number): AccountResultsView {
    const raw = this.core;
    const c = published
      ? (isolated
        ? { eq: Column.PubIsoEquity, im: Column.PubIsoIm, mm: Column.PubIsoMm, free: Column.PubIsoFree, health: Column.PubIsoHealth }
        : { eq: Column.PubAccEquity, im: Column.PubAccIm, mm: Column.PubAccMm, free: Column.PubAccFree, health: Column.PubAccHealth })
      : (isolated
        ? { eq: Column.IsoEquity, im: Column.IsoIm, mm: Column.IsoMm, free: Column.IsoFree, health: Column.IsoHealth }
        : { eq: Column.AccEquity, im: Column.AccIm, mm: Column.AccMm, free: Column.AccFree, health: Column.AccHealth });
    return {
      equityQuote: raw.view(BigInt64Array, c.eq, first, n),
      imQuote: raw.view(BigInt64Array, c.im, first, n),
      mmQuote: raw.view(BigInt64Array, c.mm, first, n),
      freeQuote: raw.view(BigInt64Array, c.free, first, n),
      health: raw.view(Uint8Array, c.health, first, n),
    };
  }

  // ------------------------------------------------------------------------------------------
  // Margin checks

  /**
   * Checks margin: all accounts (default), a range `{ from, count }`, or a list `{ accounts }`;
   * each account's isolated positions are checked with it. Results: `resultsView()`,
   * `isolatedResultsView()`, `account(id)`, `riskOrderView()`. A scope naming both a range and a
   * list is refused (OutOfRange, field `scope`); a refused check (an unknown account) changes
   * nothing, the summary's `checked` tallies included.
   */
  check(scope?: { from: number; count: number } | { accounts: ArrayLike<number> }): CheckSummary {
    const raw = this.core;
    const list: unknown = scope === undefined ? undefined : (toRecord(scope, 'scope') as { accounts?: unknown }).accounts;
    if (list !== undefined && ((scope as { from?: unknown }).from !== undefined || (scope as { count?: unknown }).count !== undefined)) {
      throw inputError('OutOfRange', 'scope', -1, 'a scope is a range { from, count } or a list { accounts }, not both');
    }
    if (!scope) {
      raw.check(raw.exports.checkRange(0, raw.exports.accountCount()));
    } else if (list !== undefined) {
      const accounts = list as ArrayLike<number>;
      const n = listLength(accounts, 'accounts');
      if (n > raw.exports.ioCapacity()) throw inputError('OutOfRange', 'accounts', -1, 'list longer than the account capacity');
      const ids = raw.view(Uint32Array, Column.IoU32, 0, n);
      for (let i = 0; i < n; i++) ids[i] = toCount(accounts[i], 'accountId', i);
      raw.check(raw.exports.checkList(n));
    } else {
      const range = scope as { from: number; count: number };
      raw.check(raw.exports.checkRange(toCount(range.from, 'from'), toCount(range.count, 'count')));
    }
    return this.summary();
  }

  /**
   * Incremental check after marks (or funding) of these markets changed: re-checks only the
   * accounts and isolated positions that hold them.
   */
  checkMarkets(marketIds: ArrayLike<number>): CheckSummary {
    const raw = this.core;
    const n = listLength(marketIds, 'marketId');
    if (n > 65536) throw inputError('OutOfRange', 'marketId', -1, 'at most 65,536 markets per call');
    const ids = raw.view(Uint32Array, Column.IoU32, 0, n);
    for (let i = 0; i < n; i++) ids[i] = toCount(marketIds[i], 'marketId', i);
    raw.check(raw.exports.checkMarkets(n));
    return this.summary();
  }

  /** Book-wide counts per health code as of the latest checks (copies). */
  summary(): CheckSummary {
    const raw = this.core;
    const t = raw.at(Uint32Array, raw.exports.tallyRecordPtr(), 20);
    const counts = (o: number): HealthCounts => ({ healthy: t[o]!, belowInitial: t[o + 1]!, liquidatable: t[o + 2]!, bankrupt: t[o + 3]!, inactive: t[o + 4]! });
    return { book: { accounts: counts(0), isolated: counts(5) }, checked: { accounts: counts(10), isolated: counts(15) } };
  }

  private requireValid(): void {
    // Partial checks keep earlier rows valid; only a failed check (overflow) invalidates the
    // columns, until a full check succeeds.
    if (!this.core.exports.resultsValid()) throw RiskCoreError.fromRecord(StatusCode.ResultsStale, 0, -1);
  }

  /**
   * Per-account results, indexed by account id: equity, IM, MM, free collateral (quote atoms) and
   * health, as of the latest checks. @remarks zero-copy: a view of the published copy of the
   * results (the rows changed since the last call are copied in now); it shows them until the next
   * `resultsView()`. Writing it changes nothing in the engine.
   */
  resultsView(): AccountResultsView {
    this.requireValid();
    const raw = this.core;
    raw.exports.publishResults(0);
    return this.resultColumns(false, true, 0, raw.exports.accountCount());
  }

  /**
   * Per-isolated-position results, indexed by isolated id (rows whose health is `Inactive` are
   * free or unchecked), with each row's account and market. @remarks zero-copy: a view of the
   * published copy, as `resultsView()`; it shows them until the next `isolatedResultsView()`.
   */
  isolatedResultsView(): IsolatedResultsView {
    this.requireValid();
    const raw = this.core, n = raw.exports.isolatedTop();
    raw.exports.publishResults(1);
    return {
      accountId: raw.view(Uint32Array, Column.PubIsoAccount, 0, n),
      marketId: raw.view(Uint16Array, Column.PubIsoMarket, 0, n),
      ...this.resultColumns(true, true, 0, n),
    };
  }

  /**
   * Liquidatable and bankrupt accounts (or isolated positions) in risk order: lowest equity/MM
   * first, exact, ties by id. @remarks zero-copy: valid until the next call on this engine. The core
   * builds the queue afresh whenever it needs one, so writing the view changes nothing.
   */
  riskOrderView(options: { isolated?: boolean } = {}): Uint32Array {
    this.requireValid();
    const raw = this.core;
    const iso = toFlag(toRecord(options, 'options').isolated, 'isolated');
    const n = raw.exports.buildQueue(iso ? 1 : 0);
    return raw.view(Uint32Array, iso ? Column.IsoQueue : Column.Queue, 0, n);
  }

  /** Same as riskOrderView, as a copied array. @remarks copies */
  riskOrder(options: { isolated?: boolean } = {}): number[] {
    return Array.from(this.riskOrderView(options));
  }

  // ------------------------------------------------------------------------------------------
  // Liquidation (docs/FORMULAS.md, "Liquidation")

  /**
   * Liquidation and bankruptcy prices of every position of one account (cross positions, then
   * isolated), computed now from the book. Prices are quote atoms per whole base unit, or
   * PRICE_NEVER / PRICE_ALWAYS; PRICE_UNDEFINED in both for a group whose figures leave i64 (the
   * one check() refuses with Overflow). @remarks copies
   */
  positionPrices(accountId: number): PositionPrices[] {
    const raw = this.core;
    const a = this.knownAccount(accountId);
    raw.check(raw.exports.pricesRange(a, 1));
    const v = pricesView(raw);
    return Array.from({ length: v.accountId.length }, (_, i) => ({
      accountId: a, marketId: v.marketId[i]!, isolatedId: v.isolatedId[i] === NO_ISOLATED ? null : v.isolatedId[i]!,
      sizeBase: v.sizeBase[i]!, liquidationPriceQuote: v.liquidationPriceQuote[i]!, bankruptcyPriceQuote: v.bankruptcyPriceQuote[i]!,
    }));
  }

  /**
   * Prices of the positions of whole accounts from `fromAccountId` on, as many as fit one chunk
   * (131,072 rows); continue from `nextAccountId` until it reaches accountCount. A group whose
   * figures leave i64 has PRICE_UNDEFINED in its rows; the chunk goes on.
   * @remarks zero-copy: valid until the next call on this engine.
   */
  positionPricesView(fromAccountId = 0): PositionPricesView {
    const raw = this.core;
    const n = raw.exports.accountCount();
    const from = toCount(fromAccountId, 'accountId', -1, n);
    raw.check(raw.exports.pricesRange(from, n - from));
    return pricesView(raw);
  }

  /** Writes an encoded policy (policyBytes) into the core's policy record, then checks it or makes it active. */
  private stagePolicy(bytes: Uint8Array, activate: boolean): void {
    const raw = this.core;
    raw.at(Uint8Array, raw.exports.policyRecordPtr(), POLICY_RECORD).set(bytes);
    raw.check(activate ? raw.exports.setPolicy() : raw.exports.checkPolicy());
  }

  /**
   * Plans a round of liquidations under `policy`: liquidatable and bankrupt groups in risk order
   * (needs valid results: run check() first), each re-evaluated and sized. The plan's sizes and
   * prices may be edited through the view before `executeLiquidations()`; its other columns may not
   * (execution refuses the plan: PlanEdited). @remarks zero-copy: a view of the caller's copy of
   * the plan, valid until the next plan.
   */
  planLiquidations(policy: LiquidationPolicy = {}): LiquidationPlan {
    this.requireValid();
    this.stagePolicy(policyBytes(policy, this.quoteDecimals), true);
    return this.planRound();
  }

  /** Plans a round under the active policy (set just before). */
  private planRound(): LiquidationPlan {
    const raw = this.core;
    this.logRows = 0;
    raw.check(raw.exports.planLiquidations());
    const r = raw.record(raw.exports.planRecordPtr(), 16);
    const rows = r.getUint32(0, true);
    return { rows, groups: r.getUint32(4, true), complete: r.getUint32(8, true) === 1, view: planView(raw, rows) };
  }

  /**
   * Executes the current plan, all or nothing: closes at the plan's prices, fees to the liquidators
   * and the insurance funds, deficit records, backstop transfers. Refused (nothing changes) if a row
   * names another account, market, isolated row or kind than planned (PlanEdited), if an edited size
   * or price is invalid, or if a group is not liquidatable (NotLiquidatable). Touched accounts need
   * a check() before their results are current again.
   */
  executeLiquidations(): ExecutionSummary {
    const raw = this.core;
    raw.check(raw.exports.executeCallerPlan());
    const summary = executionSummary(raw);
    this.logRows = summary.rows;
    return summary;
  }

  /** The last execution's log. @remarks copies (the core's log columns are its own). */
  liquidationLogView(): LiquidationLogView { return logView(this.core, this.logRows); }

  /** The last execution's log as plain objects. @remarks copies */
  liquidationLog(): LiquidationRecord[] { return logRecords(this.liquidationLogView()); }

  /**
   * The cascade: check, plan, execute, re-check the touched accounts, until nothing is liquidatable,
   * nothing can be planned, or `maxRounds` (default 16) rounds ran. Closes execute at the marks.
   * Deficit records stay pending (`deficits()`) unless `allocate` runs them through the loss
   * waterfall after each round (`allocateLosses`), or `onDeficits` takes them; a round plans no
   * more closes than the pending table has room for.
   */
  liquidate(policy: LiquidationPolicy = {}, options: CascadeOptions = {}): CascadeReport {
    const raw = this.core;
    // Step 1: everything that can be refused, before the first check: the options, the time of
    // the runs and the waterfall they need, then the whole policy by the core's own rules.
    const { maxRounds, onDeficits, allocate } = cascadeOptions(options);
    if (allocate && !this.waterfall) throw inputError('InvalidWaterfall', 'waterfall', -1, 'allocate needs a waterfall (setWaterfall)');
    const runOptions: AllocateOptions | null = allocate && { nowSec: Number(allocationTime(allocate, raw.exports.lastNowSec())) };
    const bytes = policyBytes(policy, this.quoteDecimals);
    this.stagePolicy(bytes, false);
    const record = new DataView(bytes.buffer);
    const backstopAccount = record.getUint32(PolicyField.backstopPpm, true) > 0 ? record.getUint32(PolicyField.backstopAccount, true) : null;
    // Step 2: the rounds.
    const rounds: CascadeReport['rounds'] = [];
    const allocations: AllocationReport[] = [];
    let totals = EMPTY_SUMMARY;
    let summary = this.check();
    const open = (): { accounts: number; isolated: number } => ({
      accounts: summary.book.accounts.liquidatable + summary.book.accounts.bankrupt,
      isolated: summary.book.isolated.liquidatable + summary.book.isolated.bankrupt,
    });
    for (let round = 1; round <= maxRounds; round++) {
      const liquidatable = open();
      if (liquidatable.accounts + liquidatable.isolated === 0) break;
      this.requireValid();
      this.stagePolicy(bytes, true);
      const plan = this.planRound();
      if (plan.rows === 0) break;
      const touched = new Set(plan.view.accountId);
      if (backstopAccount !== null) touched.add(backstopAccount);
      const executed = this.executeLiquidations();
      rounds.push({ round, liquidatable, ...executed });
      totals = addSummaries(totals, executed);
      if (onDeficits) {
        const records = this.deficitsView();
        this.callOut(() => onDeficits(records));
        this.core.exports.clearDeficits();
      } else if (runOptions && this.deficitsView().accountId.length > 0) {
        // The waterfall may touch any account (ADL counterparties, haircut payers): check them all.
        allocations.push(this.allocateLosses(runOptions));
        summary = this.check();
        continue;
      }
      summary = this.check({ accounts: [...touched] });
    }
    return { rounds, totals, remaining: open(), allocations };
  }

  /** Balance of the insurance fund that `marketId` pays into (the global fund when omitted). */
  insuranceFund(marketId?: number): bigint {
    const raw = this.core;
    return raw.view(BigInt64Array, Column.FundBalance, this.fundOf(marketId), 1)[0]!;
  }

  /** Adds to the insurance fund that `marketId` pays into (the global fund when omitted). */
  depositInsuranceFund(amount: AtomsInput, marketId?: number): void {
    const raw = this.core;
    raw.check(raw.exports.depositFund(this.fundOf(marketId), toI64(amount, this.quoteDecimals, 'amountQuote')));
  }

  /** The fund id `marketId` pays into (0, the global fund, when omitted); the id must be a known market's. */
  private fundOf(marketId: number | undefined): number {
    if (marketId === undefined) return 0;
    this.baseDecimals(marketId);
    return this.core.view(Uint16Array, Column.MarketFund, marketId, 1)[0]!;
  }

  /** Deficit records waiting for the loss waterfall, as columns. @remarks copies (the waterfall reads the core's records). */
  deficitsView(): { accountId: Uint32Array; marketId: Uint16Array; amountQuote: BigInt64Array } { return deficitsView(this.core); }

  /** Deficit records waiting for the loss waterfall (market null: a settlement). @remarks copies */
  deficits(): DeficitRecord[] { return deficitRecords(this.core); }

  /** Returns the pending deficit records and clears them (the caller allocates them). */
  takeDeficits(): DeficitRecord[] {
    const out = this.deficits();
    this.core.exports.clearDeficits();
    return out;
  }

  /** The conservation ledger: `totalQuote` is unchanged by every execution (docs/FORMULAS.md). */
  ledger(): Ledger { return readLedger(this.core); }

  // ---- Loss allocation (docs/WATERFALL.md) ------------------------------------------------------

  /** Sets the loss waterfall; a refused configuration (InvalidWaterfall, naming the step) changes nothing. */
  setWaterfall(config: WaterfallConfig): void { this.waterfall = encodeWaterfall(this.core, config, this.quoteDecimals); }

  /**
   * Runs every pending deficit record through the waterfall as one event, checking the book first
   * if a ranked ADL step needs current figures. Every amount moved is in `auditLog`. Ranking
   * functions are called first, before anything moves: one that fails refuses the run whole
   * (InputError InvalidWaterfall, field `ranking`, row: the step).
   */
  allocateLosses(options: AllocateOptions = {}): AllocationReport {
    const raw = this.core;
    const now = allocationTime(options, raw.exports.lastNowSec());
    const waterfall = this.waterfall;
    if (!waterfall) throw inputError('InvalidWaterfall', 'waterfall', -1, 'no waterfall set (setWaterfall)');
    // Ranking functions first (they see E and M as a check of the book now gives them), so that one
    // that fails refuses the run before anything changed, the figures included; then ranked ADL
    // reads the figures of a check of the current book.
    const keys = runKeys(raw, waterfall, this.callOut);
    if (waterfall.needsFigures && !raw.exports.resultsCurrent()) this.check();
    // Nothing can refuse the run now: the event opens first, so full audit buffers go straight in.
    const event = raw.exports.eventCount() + 1;
    this.audit.beginEvent(event, waterfall.steps, pendingDeficits(raw));
    this.event = event;
    this.presetKeys = keys;
    try {
      raw.check(raw.exports.allocate(now));
    } finally {
      this.presetKeys = null;
    }
    const rest = raw.exports.auditPending();
    this.audit.append(event, auditChunk(raw, rest), rest, true);
    return runReport(raw, event, waterfall.steps);
  }

  /** Every amount the waterfall moved, with queries (per account, per deficit, per tranche) and JSON. */
  get auditLog(): AuditLog {
    void this.core;
    return this.audit;
  }

  /** Residue, uncovered losses, socialized receivable, operator capital, deposit index, vault shares. */
  waterfallBalances(): WaterfallBalances { return readBalances(this.core); }

  /**
   * The ADL queue of one market side, first in line first, with each position's quantile (5: the
   * top fifth, first to be deleveraged), as venues show it. Uses the figures of the last check. A
   * ranking function is called once per candidate first; one that fails (a throw, a key that is not
   * a finite number) is an InputError InvalidWaterfall naming the field `ranking`.
   */
  adlRanking(marketId: number, side: 'long' | 'short', ranking: AdlRankingName | AdlRankingFunction): AdlRank[] {
    const raw = this.core;
    this.baseDecimals(marketId);
    if (side !== 'long' && side !== 'short') throw inputError('OutOfRange', 'side', -1, `side is long or short, got ${describeValue(side)}`);
    const code = typeof ranking === 'function' ? 4 : ['pnl', 'bitmex', 'binance', 'hyperliquid'].indexOf(ranking);
    if (code < 0) throw inputError('InvalidWaterfall', 'ranking', -1, `${describeValue(ranking)} is not pnl, bitmex, binance, hyperliquid or a function`);
    this.requireValid();
    if (typeof ranking === 'function') this.presetKeys = indicatorKeys(raw, ranking, marketId, side === 'long' ? 1 : -1, this.callOut);
    try {
      return adlRanks(raw, marketId, side, code);
    } finally {
      this.presetKeys = null;
    }
  }

  /** Names the backstop vault's account (its providers hold shares of it). */
  setVaultAccount(accountId: number): void { this.core.check(this.core.exports.setVaultAccount(this.knownAccount(accountId))); }

  /** Moves `amount` from the provider's collateral into the vault at net asset value; returns the shares minted. */
  vaultDeposit(accountId: number, amount: AtomsInput): bigint {
    const raw = this.core;
    raw.check(raw.exports.vaultDeposit(this.knownAccount(accountId), toI64(amount, this.quoteDecimals, 'amountQuote')));
    return raw.at(BigInt64Array, raw.exports.scratchPtr(), 1)[0]!;
  }

  /** Burns shares for their value at net asset value, paid from the vault's free collateral; returns the amount. */
  vaultWithdraw(accountId: number, shares: AtomsInput): bigint {
    const raw = this.core;
    raw.check(raw.exports.vaultWithdraw(this.knownAccount(accountId), toI64(shares, 0, 'amountQuote')));
    return raw.at(BigInt64Array, raw.exports.scratchPtr(), 1)[0]!;
  }

  /** The vault: its account, net asset value (its equity at the marks), shares, providers. */
  vault(): { accountId: number | null; navQuote: bigint; totalShares: bigint; providers: { accountId: number; shares: bigint }[] } {
    const raw = this.core;
    return readVault(raw);
  }

  /** Adds to a clearing member's default-fund contribution (money from outside the book). */
  addDefaultFundContribution(accountId: number, amount: AtomsInput): void {
    this.core.check(this.core.exports.addContribution(this.knownAccount(accountId), toI64(amount, this.quoteDecimals, 'amountQuote')));
  }

  clearingMembers(): ClearingMember[] { return readMembers(this.core); }

  /** Adds to the operator's own capital (skin in the game), layer 1 or 2. */
  depositOperatorCapital(layer: 1 | 2, amount: AtomsInput): void {
    if (layer !== 1 && layer !== 2) throw inputError('OutOfRange', 'layer', -1, `layer is 1 or 2, got ${describeValue(layer)}`);
    this.core.check(this.core.exports.addOperatorCapital(layer, toI64(amount, this.quoteDecimals, 'amountQuote')));
  }

  /** Starts a new assessment period (assessment caps count from here). */
  resetAssessments(): void { this.core.exports.resetAssessments(); }

  /** Compacts the position arena now (it also happens automatically when the arena's end is reached). */
  compact(): void { this.core.exports.compact(); }
}

/** The raw core of an engine, for this package's own modules (the simulation); not exported by the package. */
export function coreOf(engine: RiskEngine): Raw { return (engine as unknown as { core: Raw }).core; }
