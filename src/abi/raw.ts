/**
 * The one file that uses the core's exports (`CoreExports`): a typed method per export used, which
 * turns a non-zero status into the typed error, typed-array views over the core's columns, and
 * readers of its records through the layout the core's ABI table gives (records.ts).
 *
 * Memory is laid out when the engine is created; afterwards only a simulation area can grow it (the
 * first `simPrepare` on an engine created without `reserveSimulation`, or one needing a larger area),
 * so views are re-created whenever the buffer identity changes.
 */
import { RiskCoreError } from '../errors.js';
import { Column } from './columns.js';
import { readString, type WasmExports, type WasmMemory } from './loader.js';
import { parseAbi, type Abi, type RecordLayout, type RecordName } from './records.js';

/** ABI version this wrapper speaks (assembly/engine/lifecycle.ts ABI_VERSION). */
export const ABI_VERSION = 8;

/** The core's exports, typed. i64 parameters are BigInt at the boundary. */
export interface CoreExports {
  memory: WasmMemory;
  abiVersion(): number;
  abiTable(): number;
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
  applyFill(account: number, market: number, sizeDelta: bigint, price: bigint, isolated: number, marginIn: bigint, liquidity: number): number;
  preTrade(account: number, market: number, sizeDelta: bigint, price: bigint, isolated: number, marginIn: bigint, liquidity: number): number;
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
  vaultDeposit(account: number, amount: bigint, nowSec: bigint): number;
  vaultWithdraw(account: number, shares: bigint, nowSec: bigint): number;
  setVaultTerms(lockupSec: bigint, profitSharePpm: number, slippagePpm: number, operator: number): number;
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
  setMarketFees(market: number, makerPpm: number, takerPpm: number): number;
  setRevenueSplit(source: number, fund: number, vault: number, stakers: number, treasury: number, pnlPool: number): number;
  distributeRevenue(first: number, nowSec: bigint): number;
  collectFees(market: number, amount: bigint, nowSec: bigint): number;
  accrueFunding(market: number, ratePpm: number, skimPpm: number, nowSec: bigint): number;
  setWithdrawalCapacity(periodSec: bigint, minQuote: bigint, ppm: number, gateSec: bigint, lossCharge: number): number;
  noteNegativeEquity(nowSec: bigint): number;
  requestWithdrawal(account: number, amount: bigint, nowSec: bigint): number;
  serveWithdrawals(nowSec: bigint): number;
  capacityBaseline(): bigint;
  setStaking(settlePeriodSec: bigint, maxAprPpm: bigint, stakerFactorPpm: number, settleFractionPpm: number, cooldownSec: bigint): number;
  stake(account: number, fund: number, amount: bigint, nowSec: bigint): number;
  requestUnstake(account: number, fund: number, shares: bigint, nowSec: bigint): number;
  cancelUnstake(account: number, fund: number, nowSec: bigint): number;
  unstake(account: number, fund: number, nowSec: bigint): number;
  settleStakingRevenue(first: number, nowSec: bigint): number;
  economicsPtr(): number;
  stakersPtr(): number;
  flowsPtr(): number;
  withdrawablePtr(): number;
  setWithdrawalRules(realizable: number, transferFloorPpm: number): number;
  withdrawableOf(account: number): number;
  withdrawableAll(): number;
  settlePnl(account: number, market: number, nowSec: bigint): number;
  settleAccountPnl(account: number, nowSec: bigint): number;
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
type ViewCtor<T> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };

/** A record of the core: a DataView over it (`count` records for an array) and its layout. */
export interface RecordView<R extends RecordName> {
  view: DataView;
  at: RecordLayout<R>;
}

/** Raw access to one instance: calls that throw on a non-zero status, memory views and records. */
export class Raw {
  private readonly x: CoreExports;
  /** The core's ABI table: record layouts, enums, limits. */
  readonly abi: Abi;
  private buffer: ArrayBuffer;
  private readonly columnPtrs: number[] = [];
  private errorView: Int32Array;
  /** Single records' views, kept while the memory stays (the simulation header's is not: its area may move). */
  private readonly kept: Record<RecordName, { view: DataView; at: unknown } | null>;
  private readonly recordPtr: { readonly [R in RecordName]: () => number };
  /** What the core's `simInterrupted` import answers (a simulation worker reads a shared flag). */
  interrupt: () => number = () => 0;

  constructor(exports: WasmExports) {
    const x = exports as unknown as CoreExports;
    this.x = x;
    const version = x.abiVersion();
    if (version !== ABI_VERSION) {
      throw new Error(`riskcore: wasm core from an incompatible build (expected abi ${ABI_VERSION}, got ${version})`);
    }
    this.abi = parseAbi(readString(x.memory, x.abiTable() >>> 0));
    this.buffer = x.memory.buffer;
    this.errorView = this.errorRecord();
    this.kept = Object.fromEntries(Object.keys(this.abi.records).map((name) => [name, null])) as Raw['kept'];
    this.recordPtr = {
      Error: () => x.errorRecordPtr(), Tally: () => x.tallyRecordPtr(), PreTrade: () => x.preTradeRecordPtr(),
      Market: () => this.columnPtrs[Column.Markets]!, Policy: () => x.policyRecordPtr(), Plan: () => x.planRecordPtr(),
      Prices: () => x.pricesRecordPtr(), Liq: () => x.liqRecordPtr(), Exec: () => x.execRecordPtr(), Ledger: () => x.ledgerRecordPtr(),
      Step: () => x.waterfallStagePtr(), Backstop: () => x.backstopStagePtr(), Run: () => x.runRecordPtr(), Balances: () => x.balancesPtr(),
      Member: () => x.membersPtr(), Provider: () => x.providersPtr(), SimHeader: () => x.simPtr(this.abi.enums.SimArray.Header),
      AdlInput: () => this.columnPtrs[Column.AdlInputs]!,
      MarketEcon: () => this.columnPtrs[Column.MarketEcon]!, FundStake: () => this.columnPtrs[Column.FundStake]!,
      Staker: () => x.stakersPtr(), Economics: () => x.economicsPtr(), Withdrawable: () => x.withdrawablePtr(),
      Queued: () => this.columnPtrs[Column.WithdrawQueue]!, Flow: () => x.flowsPtr(),
    };
  }

  private errorRecord(): Int32Array {
    return new Int32Array(this.buffer, this.x.errorRecordPtr(), this.abi.records.Error.BYTES / Int32Array.BYTES_PER_ELEMENT);
  }

  /** The core's memory (its buffer is replaced when the memory grows). */
  get memory(): WasmMemory { return this.x.memory; }

  /** Throws the core's recorded error if `status` is not Ok. */
  check(status: number): void {
    if (status === 0) return;
    const e = this.errors(), at = this.abi.records.Error, I32 = Int32Array.BYTES_PER_ELEMENT;
    const [code, field, row] = [e[at.code / I32]!, e[at.field / I32]!, e[at.row / I32]!];
    throw RiskCoreError.fromRecord(status, code === status ? field : 0, code === status ? row : -1);
  }

  /** The error record (code, field, row); valid right after a failed call. */
  private errors(): Int32Array {
    if (this.errorView.buffer !== this.x.memory.buffer) this.refresh();
    return this.errorView;
  }

  /** The error record's row: after a successful call, the id it made (addMarket). */
  private lastRow(): number { return this.errors()[this.abi.records.Error.row / Int32Array.BYTES_PER_ELEMENT]!; }

  private refresh(): void {
    this.buffer = this.x.memory.buffer;
    this.errorView = this.errorRecord();
  }

  /** Resolves column pointers after `init` (layout is fixed from then on). */
  loadLayout(): void {
    // Pointers are u32 in wasm but arrive as signed i32: above 2 GiB they must be reinterpreted.
    for (const c of Object.values(Column)) this.columnPtrs[c] = this.x.columnPtr(c) >>> 0;
  }

  /** A view of `length` elements of a column starting at element `first`. Zero-copy. */
  view<T>(ctor: ViewCtor<T>, column: Column, first: number, length: number): T {
    const buffer = this.x.memory.buffer;
    if (buffer !== this.buffer) this.refresh();
    return new ctor(buffer as ArrayBuffer, this.columnPtrs[column]! + first * ctor.BYTES_PER_ELEMENT, length);
  }

  /**
   * A record the core shares (`count` of them for an array: members, providers, steps...), with its
   * layout. A single record's view is kept while the memory stays (records other than the
   * simulation header never move once the engine is laid out).
   */
  record<R extends RecordName>(name: R, count = 1): RecordView<R> {
    const buffer = this.x.memory.buffer;
    const kept = this.kept[name];
    if (count === 1 && kept !== null && kept.view.buffer === buffer) return kept as RecordView<R>;
    const at = this.abi.records[name] as RecordLayout<R>;
    const view = { view: new DataView(buffer, this.recordPtr[name]() >>> 0, at.BYTES * count), at };
    if (count === 1 && name !== 'SimHeader') this.kept[name] = view;
    return view;
  }

  /** One market's record. */
  marketRecord(id: number): RecordView<'Market'> {
    const at = this.abi.records.Market;
    return { view: new DataView(this.x.memory.buffer, this.columnPtrs[Column.Markets]! + id * at.BYTES, at.BYTES), at };
  }

  /** One market's economics record (fees, fee pool, PnL pool, liquidation revenue). */
  marketEcon(id: number): RecordView<'MarketEcon'> {
    const at = this.abi.records.MarketEcon;
    return { view: new DataView(this.x.memory.buffer, this.columnPtrs[Column.MarketEcon]! + id * at.BYTES, at.BYTES), at };
  }

  /** One insurance fund's staking record (0 global, 1 + market). */
  fundStake(fund: number): RecordView<'FundStake'> {
    const at = this.abi.records.FundStake;
    return { view: new DataView(this.x.memory.buffer, this.columnPtrs[Column.FundStake]! + fund * at.BYTES, at.BYTES), at };
  }

  /** Market m's fee pool (quote atoms; negative while rebates lead). */
  feePool(market: number): bigint {
    const { view, at } = this.marketEcon(market);
    return view.getBigInt64(at.feePool, true);
  }

  /** Writes a staged record (the policy) whole. */
  writeRecord(name: RecordName, bytes: Uint8Array): void {
    const { view } = this.record(name);
    new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(bytes);
  }

  /** A view of `length` elements of one of the simulation area's arrays (SimArray), from element `first`. */
  simArray<T>(ctor: ViewCtor<T>, name: keyof Abi['enums']['SimArray'], first: number, length: number): T {
    return new ctor(this.x.memory.buffer as ArrayBuffer, this.x.simPtr(this.abi.enums.SimArray[name]) + first * ctor.BYTES_PER_ELEMENT, length);
  }

  /** Deficit records waiting for the loss waterfall (the liquidation totals record's count). */
  pendingDeficits(): number {
    const { view, at } = this.record('Liq');
    return view.getUint32(at.deficits, true);
  }

  /** The i64 the last vault call left in the scratch word. */
  private scratch(): bigint { return new BigInt64Array(this.x.memory.buffer, this.x.scratchPtr(), 1)[0]!; }

  // ---- Lifecycle and capacities ----------------------------------------------------------------
  init(accounts: number, positions: number, isolated: number, markets: number): void { this.check(this.x.init(accounts, positions, isolated, markets)); }
  maxAccounts(): number { return this.x.maxAccounts(); }
  maxPositions(): number { return this.x.maxPositions(); }
  maxIsolated(): number { return this.x.maxIsolated(); }
  maxMarkets(): number { return this.x.maxMarkets(); }
  ioCapacity(): number { return this.x.ioCapacity(); }
  accountCount(): number { return this.x.accountCount(); }
  marketCount(): number { return this.x.marketCount(); }
  positionTop(): number { return this.x.positionTop(); }
  isolatedTop(): number { return this.x.isolatedTop(); }
  bookVersion(): number { return this.x.bookVersion(); }
  compact(): void { this.x.compact(); }

  // ---- Markets ---------------------------------------------------------------------------------
  /** Adds a market (tiers staged in the io columns); returns its id. */
  addMarket(baseDecimals: number, mark: bigint, fundingLong: bigint, fundingShort: bigint, kind: number, imf: number, mmf: number, premium: number, lower: bigint, upper: bigint, tierCount: number, stepBase: bigint, fund: number): number {
    this.check(this.x.addMarket(baseDecimals, mark, fundingLong, fundingShort, kind, imf, mmf, premium, lower, upper, tierCount, stepBase, fund));
    return this.lastRow();
  }
  setMarks(count: number): void { this.check(this.x.setMarks(count)); }
  setFundingIndices(count: number): void { this.check(this.x.setFundingIndices(count)); }

  // ---- Accounts --------------------------------------------------------------------------------
  bulkReserve(accounts: number, positions: number, isolated: number): void { this.check(this.x.bulkReserve(accounts, positions, isolated)); }
  bulkCommit(accounts: number, positions: number, isolated: number): void { this.check(this.x.bulkCommit(accounts, positions, isolated)); }
  applyFill(account: number, market: number, sizeDelta: bigint, price: bigint, isolated: number, marginIn: bigint, liquidity: number): void {
    this.check(this.x.applyFill(account, market, sizeDelta, price, isolated, marginIn, liquidity));
  }
  /** Evaluates a fill into the PreTrade record. */
  preTrade(account: number, market: number, sizeDelta: bigint, price: bigint, isolated: number, marginIn: bigint, liquidity: number): void {
    this.check(this.x.preTrade(account, market, sizeDelta, price, isolated, marginIn, liquidity));
  }  setMarketFees(market: number, makerPpm: number, takerPpm: number): void { this.check(this.x.setMarketFees(market, makerPpm, takerPpm)); }
  setRevenueSplit(source: number, fund: number, vault: number, stakers: number, treasury: number, pnlPool: number): void {
    this.check(this.x.setRevenueSplit(source, fund, vault, stakers, treasury, pnlPool));
  }
  collectFees(market: number, amount: bigint, nowSec: bigint): void { this.check(this.x.collectFees(market, amount, nowSec)); }
  /** One funding accrual with a skim; returns the long and short indices' moves and the skim. */
  accrueFunding(market: number, ratePpm: number, skimPpm: number, nowSec: bigint): [bigint, bigint, bigint] {
    this.check(this.x.accrueFunding(market, ratePpm, skimPpm, nowSec));
    const { view, at } = this.record('Economics');
    return [view.getBigInt64(at.answer0, true), view.getBigInt64(at.answer1, true), view.getBigInt64(at.answer2, true)];
  }
  /** Distributes markets from `first` on, as many as the flow rows hold; returns the next market. */
  distributeRevenue(first: number, nowSec: bigint): number {
    this.check(this.x.distributeRevenue(first, nowSec));
    const { view, at } = this.record('Economics');
    return Number(view.getBigInt64(at.answer0, true));
  }

  setWithdrawalCapacity(periodSec: bigint, minQuote: bigint, ppm: number, gateSec: bigint, lossCharge: number): void {
    this.check(this.x.setWithdrawalCapacity(periodSec, minQuote, ppm, gateSec, lossCharge));
  }
  noteNegativeEquity(nowSec: bigint): void { this.check(this.x.noteNegativeEquity(nowSec)); }
  /** A withdrawal request; the answers are in the Economics record (answer0 paid, answer1 queued, answer2 charge). */
  requestWithdrawal(account: number, amount: bigint, nowSec: bigint): void { this.check(this.x.requestWithdrawal(account, amount, nowSec)); }
  /** Serves the withdrawal queue; the answers are in the Economics record (answer0 paid, answer1 still queued, answer2 charges). */
  serveWithdrawals(nowSec: bigint): void { this.check(this.x.serveWithdrawals(nowSec)); }
  /** The withdrawal capacity's baseline now (quote atoms). */
  capacityBaseline(): bigint { return this.x.capacityBaseline(); }
  // ---- Staking ---------------------------------------------------------------------------------
  setStaking(settlePeriodSec: bigint, maxAprPpm: bigint, stakerFactorPpm: number, settleFractionPpm: number, cooldownSec: bigint): void {
    this.check(this.x.setStaking(settlePeriodSec, maxAprPpm, stakerFactorPpm, settleFractionPpm, cooldownSec));
  }
  /** Returns the shares minted. */
  stake(account: number, fund: number, amount: bigint, nowSec: bigint): bigint { this.check(this.x.stake(account, fund, amount, nowSec)); return this.answer('answer0'); }
  /** Returns the request's value. */
  requestUnstake(account: number, fund: number, shares: bigint, nowSec: bigint): bigint { this.check(this.x.requestUnstake(account, fund, shares, nowSec)); return this.answer('answer0'); }
  /** Returns the shares forfeited. */
  cancelUnstake(account: number, fund: number, nowSec: bigint): bigint { this.check(this.x.cancelUnstake(account, fund, nowSec)); return this.answer('answer0'); }
  /** Returns the amount paid. */
  unstake(account: number, fund: number, nowSec: bigint): bigint { this.check(this.x.unstake(account, fund, nowSec)); return this.answer('answer0'); }
  /** Settles funds from `first` on, as many as one chunk holds; returns the amount settled and the next fund. */
  settleStakingRevenue(first: number, nowSec: bigint): { settled: bigint; next: number } {
    this.check(this.x.settleStakingRevenue(first, nowSec));
    return { settled: this.answer('answer0'), next: Number(this.answer('answer1')) };
  }
  /** One of the economics' answer slots, as the last call left it. */
  private answer(slot: 'answer0' | 'answer1' | 'answer2'): bigint {
    const { view, at } = this.record('Economics');
    return view.getBigInt64(at[slot], true);
  }
  /** Sets the realizable rule (Realizable code) and the transfer floor (ppm of notional). */
  setWithdrawalRules(realizable: number, transferFloorPpm: number): void { this.check(this.x.setWithdrawalRules(realizable, transferFloorPpm)); }
  /** One account's withdrawable amount into the Withdrawable record. */
  withdrawableOf(account: number): void { this.check(this.x.withdrawableOf(account)); }
  /** Every account's withdrawable amount and limit into the AccWithdrawable / AccWithdrawLimit columns (copy them out at once). */
  withdrawableAll(): void { this.check(this.x.withdrawableAll()); }
  /** Settles one cross position's PnL; returns the amount settled (+ paid to the account). */
  settlePnl(account: number, market: number, nowSec: bigint): bigint {
    this.check(this.x.settlePnl(account, market, nowSec));
    return this.answer0();
  }
  /** Settles every cross position's PnL of an account; returns the net amount settled. */
  settleAccountPnl(account: number, nowSec: bigint): bigint {
    this.check(this.x.settleAccountPnl(account, nowSec));
    return this.answer0();
  }
  /** Market m's PnL pool (quote atoms). */
  pnlPool(market: number): bigint {
    const { view, at } = this.marketEcon(market);
    return view.getBigInt64(at.pnlPool, true);
  }
  private answer0(): bigint { return this.answer('answer0'); }

  deposit(account: number, amount: bigint): void { this.check(this.x.deposit(account, amount)); }
  withdraw(account: number, amount: bigint): void { this.check(this.x.withdraw(account, amount)); }
  /** Closes an account; the payout is the PreTrade record's equity. */
  closeAccount(account: number): void { this.check(this.x.closeAccount(account)); }

  // ---- Margin checks ---------------------------------------------------------------------------
  checkRange(first: number, count: number): void { this.check(this.x.checkRange(first, count)); }
  checkList(count: number): void { this.check(this.x.checkList(count)); }
  checkMarkets(count: number): void { this.check(this.x.checkMarkets(count)); }
  /** Checks the whole book without writing results (Overflow if a group's sums leave range). */
  checkInRange(): void { this.check(this.x.checkInRange()); }
  resultsValid(): boolean { return this.x.resultsValid() !== 0; }
  resultsCurrent(): boolean { return this.x.resultsCurrent() !== 0; }
  publishResults(isolated: boolean): void { this.x.publishResults(isolated ? 1 : 0); }
  /** Builds the risk queue; returns its length. */
  buildQueue(isolated: boolean): number { return this.x.buildQueue(isolated ? 1 : 0); }

  // ---- Liquidation -----------------------------------------------------------------------------
  pricesRange(first: number, count: number): void { this.check(this.x.pricesRange(first, count)); }
  setPolicy(): void { this.check(this.x.setPolicy()); }
  checkPolicy(): void { this.check(this.x.checkPolicy()); }
  planLiquidations(): void { this.check(this.x.planLiquidations()); }
  executeCallerPlan(): void { this.check(this.x.executeCallerPlan()); }
  depositFund(fund: number, amount: bigint): void { this.check(this.x.depositFund(fund, amount)); }
  clearDeficits(): void { this.x.clearDeficits(); }
  /** Sums the ledger into its record. */
  ledgerSum(): void { this.x.ledgerSum(); }

  // ---- Loss waterfall --------------------------------------------------------------------------
  setWaterfall(steps: number, waterfalls: number, backstop: number): void { this.check(this.x.setWaterfall(steps, waterfalls, backstop)); }
  checkWaterfall(steps: number, waterfalls: number, backstop: number): void { this.check(this.x.checkWaterfall(steps, waterfalls, backstop)); }
  allocate(nowSec: bigint): void { this.check(this.x.allocate(nowSec)); }
  lastNowSec(): bigint { return this.x.lastNowSec(); }
  eventCount(): number { return this.x.eventCount(); }
  auditPending(): number { return this.x.auditPending(); }
  /** Ranks one market side's ADL queue into PayId / PayCap / PayWork; returns its length. */
  adlRanks(market: number, side: number, ranking: number): number { return this.x.adlRanks(market, side, ranking); }
  /** Lists one market side's ADL candidates; returns their count (negative: no such market). */
  adlCandidates(market: number, side: number): number { return this.x.adlCandidates(market, side); }
  adlCandidateInputs(from: number, count: number, current: boolean): void { this.check(this.x.adlCandidateInputs(from, count, current ? 1 : 0)); }
  adlInputRows(): number { return this.x.adlInputRows(); }
  setVaultAccount(account: number): void { this.check(this.x.setVaultAccount(account)); }
  /** Returns the shares minted. */
  vaultDeposit(account: number, amount: bigint, nowSec: bigint): bigint { this.check(this.x.vaultDeposit(account, amount, nowSec)); return this.scratch(); }
  /** Returns the amount paid, the operator's profit share and the slippage kept by the vault. */
  vaultWithdraw(account: number, shares: bigint, nowSec: bigint): { paid: bigint; profitShare: bigint; slippage: bigint } {
    this.check(this.x.vaultWithdraw(account, shares, nowSec));
    const { view, at } = this.record('Economics');
    return { paid: view.getBigInt64(at.answer0, true), profitShare: view.getBigInt64(at.answer1, true), slippage: view.getBigInt64(at.answer2, true) };
  }
  setVaultTerms(lockupSec: bigint, profitSharePpm: number, slippagePpm: number, operator: number): void {
    this.check(this.x.setVaultTerms(lockupSec, profitSharePpm, slippagePpm, operator));
  }
  vaultNav(): bigint { return this.x.vaultNav(); }
  addContribution(account: number, amount: bigint): void { this.check(this.x.addContribution(account, amount)); }
  resetAssessments(): void { this.x.resetAssessments(); }
  addOperatorCapital(layer: number, amount: bigint): void { this.check(this.x.addOperatorCapital(layer, amount)); }

  // ---- Stress simulation -----------------------------------------------------------------------
  simReserve(steps: number, withFactor: boolean): void { this.check(this.x.simReserve(steps, withFactor ? 1 : 0)); }
  simReserveFor(steps: number, withFactor: boolean): void { this.check(this.x.simReserveFor(steps, withFactor ? 1 : 0)); }
  simPrepare(steps: number, maxRounds: number, withFactor: boolean): void { this.check(this.x.simPrepare(steps, maxRounds, withFactor ? 1 : 0)); }
  simRestore(): void { this.check(this.x.simRestore()); }
  simFactor(): void { this.check(this.x.simFactor()); }
  simGeneratePath(path: number): void { this.check(this.x.simGeneratePath(path)); }
  simRunPath(skip: boolean): void { this.check(this.x.simRunPath(skip ? 1 : 0)); }
  scaleMargins(scalePpm: number): void { this.check(this.x.scaleMargins(scalePpm)); }
}
