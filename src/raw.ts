/**
 * The one file that touches the core's exports: their types, the column ids of assembly/layout.ts,
 * and typed-array views over wasm memory.
 *
 * Memory is laid out when the engine is created; afterwards only a simulation area can grow it (the
 * first `simPrepare` on an engine created without `reserveSimulation`, or one needing a larger area),
 * so `view()` re-creates a view whenever the buffer identity changes.
 */
import { RiskCoreError } from './errors.js';

/** Mirrors `Column` in assembly/layout.ts (append-only; a test checks the two agree). */
export const Column = {
  Markets: 0, Tiers: 1,
  AccCollateral: 2, AccPosStart: 3, AccPosLen: 4, AccPosCap: 5, AccFloorPpm: 6, AccFlags: 7,
  AccIsoHead: 8, AccStamp: 9, AccEquity: 10, AccIm: 11, AccMm: 12, AccFree: 13, AccHealth: 14,
  PosSize: 15, PosQuote: 16, PosSnap: 17, PosMarket: 18, PosAccount: 19,
  IsoAccount: 20, IsoMarket: 21, IsoNext: 22, IsoFlags: 23, IsoSize: 24, IsoQuote: 25, IsoSnap: 26,
  IsoCollateral: 27, IsoEquity: 28, IsoIm: 29, IsoMm: 30, IsoFree: 31, IsoHealth: 32,
  IndexStart: 33, IndexEntries: 34, PendingMarket: 35, PendingHolder: 36, Queue: 37, IsoQueue: 38,
  SortIdsA: 39, SortIdsB: 40, SortKeysA: 41, SortKeysB: 42, SortCounts: 43,
  IoU32: 44, IoI64A: 45, IoI64B: 46, MarketStamp: 47, IndexFill: 48,
  AccScratch: 49, FundBalance: 50,
  LogAccount: 51, LogMarket: 52, LogIso: 53, LogKind: 54, LogSize: 55, LogPrice: 56, LogRealized: 57, LogFunding: 58,
  LogLiqFee: 59, LogFundFee: 60, LogSurplus: 61, LogDeficit: 62, LogTransfer: 63,
  DefAccount: 64, DefMarket: 65, DefAmount: 66,
  PriceAccount: 67, PriceMarket: 68, PriceIso: 69, PriceSize: 70, PriceLiq: 71, PriceBank: 72,
  GroupKey: 73, GroupSlot: 74, FundScratch: 75, IsoStamp: 76,
  DefSize: 77, DefPrice: 78, DefOpen: 79, PayId: 80, PayWeight: 81, PayCap: 82, PayWork: 83,
  AuditDeficit: 84, AuditStep: 85, AuditRole: 86, AuditAccount: 87, AuditMarket: 88, AuditAmount: 89, AuditPrice: 90, AuditSize: 91,
  MarketFund: 92, MarketWaterfall: 93, FundWindow: 94, MarketPaid: 95, AdlKey: 96, AdlId: 97, AdlSize: 98, AdlSums: 99, AdlPos: 100, AdlGroups: 101, AdlGroupOf: 102,
  PubAccEquity: 103, PubAccIm: 104, PubAccMm: 105, PubAccFree: 106, PubAccHealth: 107,
  PubIsoAccount: 108, PubIsoMarket: 109, PubIsoEquity: 110, PubIsoIm: 111, PubIsoMm: 112, PubIsoFree: 113, PubIsoHealth: 114,
  AccDirty: 115, IsoDirty: 116,
  PlanAccount: 117, PlanMarket: 118, PlanIso: 119, PlanKind: 120, PlanSize: 121, PlanPrice: 122,
  AdlInputs: 123,
} as const;
export type Column = (typeof Column)[keyof typeof Column];

/** ABI version this wrapper speaks (assembly/engine/lifecycle.ts ABI_VERSION). */
export const ABI_VERSION = 6;

/** Byte size of one market record and its field offsets (exported by layout.ts as M_*). */
export const MARKET_RECORD = 192;
export const MarketField = { ownFund: 75, step: 184, mark: 0, fundingLong: 8, fundingShort: 16, d: 24, imf: 64, mmf: 68, kind: 72, decimals: 73, active: 74, imfEff: 76, premium: 80, tierCount: 84, tierFirst: 88, lower: 96, upper: 104, oiLong: 112, oiShort: 120 } as const;

/**
 * One row of the ADL candidates' ranking inputs (AdlInputs, assembly/layout.ts ADL_INPUT_RECORD):
 * byte offsets of the holder tag (u32), account (u32), signed size, v, N, Q, E, M, C (i64 each).
 */
export const ADL_INPUT_RECORD = 64;
export const AdlInputField = { tag: 0, account: 4, size: 8, pnl: 16, notional: 24, entry: 32, equity: 40, mm: 48, collateral: 56 } as const;

/** The core's exports, typed. i64 parameters are BigInt at the boundary. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  abiVersion(): number;
  errorRecordPtr(): number;
  tallyRecordPtr(): number;
  preTradeRecordPtr(): number;
  accountCount(): number;
  positionTop(): number;
  isolatedTop(): number;
  marketCount(): number;
  resultsValid(): number;
  clearLastError(): void;
  init(accounts: number, positions: number, isolated: number, markets: number): number;
  columnPtr(column: number): number;
  maxAccounts(): number;
  maxPositions(): number;
  maxIsolated(): number;
  maxMarkets(): number;
  ioCapacity(): number;
  addMarket(baseDecimals: number, mark: bigint, fundingLong: bigint, fundingShort: bigint, kind: number, imf: number, mmf: number, premium: number, lower: bigint, upper: bigint, tierCount: number, stepBase: bigint, fund: number): number;
  setMarks(count: number): number;
  setFundingIndices(count: number): number;
  bulkReserve(accounts: number, positions: number, isolated: number): number;
  bulkCommit(accounts: number, positions: number, isolated: number): number;
  compact(): void;
  applyFill(account: number, market: number, sizeDelta: bigint, price: bigint, isolated: number, marginIn: bigint): number;
  preTrade(account: number, market: number, sizeDelta: bigint, price: bigint, isolated: number, marginIn: bigint): number;
  deposit(account: number, amount: bigint): number;
  withdraw(account: number, amount: bigint): number;
  closeAccount(account: number): number;
  checkRange(first: number, count: number): number;
  checkInRange(): number;
  checkList(count: number): number;
  checkMarkets(count: number): number;
  buildIndex(): void;
  buildQueue(isolated: number): number;
  pricesRange(first: number, count: number): number;
  setPolicy(): number;
  planLiquidations(): number;
  executeCallerPlan(): number;
  depositFund(fund: number, amount: bigint): number;
  clearDeficits(): void;
  ledgerSum(): void;
  policyRecordPtr(): number;
  planRecordPtr(): number;
  pricesRecordPtr(): number;
  liqRecordPtr(): number;
  execRecordPtr(): number;
  ledgerRecordPtr(): number;
  logCapacity(): number;
  setWaterfall(steps: number, waterfalls: number, backstop: number): number;
  allocate(nowSec: bigint): number;
  auditPending(): number;
  adlRanks(market: number, side: number, ranking: number): number;
  adlCandidates(market: number, side: number): number;
  adlCandidateInputs(from: number, count: number, current: number): number;
  adlInputRows(): number;
  publishResults(isolated: number): void;
  setVaultAccount(account: number): number;
  vaultDeposit(account: number, amount: bigint): number;
  vaultWithdraw(account: number, shares: bigint): number;
  vaultNav(): bigint;
  addContribution(account: number, amount: bigint): number;
  resetAssessments(): void;
  addOperatorCapital(layer: number, amount: bigint): number;
  waterfallStagePtr(): number;
  backstopStagePtr(): number;
  waterfallStatePtr(): number;
  runRecordPtr(): number;
  balancesPtr(): number;
  membersPtr(): number;
  providersPtr(): number;
  scratchPtr(): number;
  resultsCurrent(): number;
  lastNowSec(): bigint;
  eventCount(): number;
  simPrepare(steps: number, maxRounds: number, withFactor: number): number;
  simReserve(steps: number, withFactor: number): number;
  simReserveFor(steps: number, withFactor: number): number;
  simRestore(): number;
  simFactor(): number;
  simGeneratePath(path: number): number;
  simRunPath(skip: number): number;
  simPtr(array: number): number;
  scaleMargins(scalePpm: number): number;
  checkPolicy(): number;
  checkWaterfall(steps: number, waterfalls: number, backstop: number): number;
  bookVersion(): number;
}

/** Calls the core makes into JavaScript during a waterfall run (set per engine). */
export interface CoreHooks {
  /** The audit buffer holds `rows` records: copy them out (the core reuses the buffer). */
  auditDrain(rows: number): void;
  /**
   * Fill AdlKey[0..count) for the candidates (AdlId) of market / side with step's ranking (0xFFFFFFFF:
   * the indicator's), from keys computed before the call that runs it: no caller code runs here.
   */
  adlKeys(step: number, market: number, side: number, count: number): void;
  /** Asked at every simulated step: non-zero stops the path (status Interrupted). */
  simInterrupted(): number;
}

type ViewCtor<T> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };

/** Raw access to one instance: calls that throw on a non-zero status, and memory views. */
export class Raw {
  readonly exports: CoreExports;
  private buffer: ArrayBuffer;
  private readonly columnPtrs: number[] = [];
  private errorView: Int32Array;
  private preTradeView: BigInt64Array;
  /** What the core's `simInterrupted` import answers (a simulation worker reads a shared flag). */
  interrupt: () => number = () => 0;

  constructor(exports: WebAssembly.Exports) {
    this.exports = exports as unknown as CoreExports;
    const version = this.exports.abiVersion();
    if (version !== ABI_VERSION) {
      throw new Error(`riskcore: wasm core from an incompatible build (expected abi ${ABI_VERSION}, got ${version})`);
    }
    this.buffer = this.exports.memory.buffer;
    this.errorView = new Int32Array(this.buffer, this.exports.errorRecordPtr(), 3);
    this.preTradeView = new BigInt64Array(this.buffer, this.exports.preTradeRecordPtr(), 5);
  }

  /** The pre-trade record: equity, IM, MM, free, then health (low 32 bits) and reason (high). */
  preTradeRecord(): BigInt64Array {
    if (this.preTradeView.buffer !== this.exports.memory.buffer) this.refresh();
    return this.preTradeView;
  }

  /** Throws the core's recorded error if `status` is not Ok. */
  check(status: number): void {
    if (status === 0) return;
    const e = this.errors();
    throw RiskCoreError.fromRecord(status, e[0] === status ? e[1]! : 0, e[0] === status ? e[2]! : -1);
  }

  /** The error record (code, field, row); valid right after a failed call. */
  errors(): Int32Array {
    if (this.errorView.buffer !== this.exports.memory.buffer) this.refresh();
    return this.errorView;
  }

  private refresh(): void {
    this.buffer = this.exports.memory.buffer;
    this.errorView = new Int32Array(this.buffer, this.exports.errorRecordPtr(), 3);
    this.preTradeView = new BigInt64Array(this.buffer, this.exports.preTradeRecordPtr(), 5);
  }

  /** Resolves column pointers after `init` (layout is fixed from then on). */
  loadLayout(): void {
    // Pointers are u32 in wasm but arrive as signed i32: above 2 GiB they must be reinterpreted.
    for (const c of Object.values(Column)) this.columnPtrs[c] = this.exports.columnPtr(c) >>> 0;
  }

  /** A view of `length` elements of a column starting at element `first`. Zero-copy. */
  view<T>(ctor: ViewCtor<T>, column: Column, first: number, length: number): T {
    const buffer = this.exports.memory.buffer;
    if (buffer !== this.buffer) this.refresh();
    return new ctor(buffer as ArrayBuffer, this.columnPtrs[column]! + first * ctor.BYTES_PER_ELEMENT, length);
  }

  /** A view at a raw byte address (records exported by the core). */
  at<T>(ctor: ViewCtor<T>, byteOffset: number, length: number): T {
    return new ctor(this.exports.memory.buffer as ArrayBuffer, byteOffset, length);
  }

  /** A DataView over a record the core exports (policy, plan, execution...). */
  record(byteOffset: number, length: number): DataView {
    return new DataView(this.exports.memory.buffer, byteOffset >>> 0, length);
  }

  /** A DataView over one market's record. */
  marketRecord(id: number): DataView {
    return new DataView(this.exports.memory.buffer, this.columnPtrs[Column.Markets]! + id * MARKET_RECORD, MARKET_RECORD);
  }
}
