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
 *
 * This class is a facade: each stage lives in its own module (book/, liquidation/, waterfall/), and
 * src/abi/ is the only room that touches the wasm.
 */
import { checkColumns, claimBatch, copyColumns, reserveBatch, spendBatch, type BookColumnsInput, type BulkBatch, type BulkCounts } from './bulk.js';
import { toCount, toRecord } from './atoms.js';
import { EngineInternals, registerInternals } from './abi/internals.js';
import { bindHooks } from './hooks.js';
import { openCore, type EngineOptions } from './host.js';
import type { AtomsInput, MarketSpec } from './types.js';
import * as accounts from './book/accounts.js';
import * as margin from './book/margin.js';
import * as markets from './book/markets.js';
import { liquidate, type CascadeOptions, type CascadeReport } from './liquidation/cascade.js';
import type { LiquidationPolicy } from './liquidation/policy.js';
import {
  deficitRecords, deficitsView, logRecords, Liquidations, readLedger,
  type DeficitRecord, type ExecutionSummary, type Ledger, type LiquidationLogView, type LiquidationPlan, type LiquidationRecord,
  type PositionPrices, type PositionPricesView,
} from './liquidation/liquidations.js';
import type { AuditLog } from './waterfall/audit.js';
import type { AdlRankingFunction, AdlRankingName, AllocateOptions, AllocationReport, WaterfallConfig } from './waterfall/config.js';
import * as parties from './waterfall/parties.js';
import { readBalances, type WaterfallBalances } from './waterfall/report.js';
import { Losses, type AdlRank } from './waterfall/run.js';
import { FlowLog } from './economics/flows.js';
import * as revenue from './economics/revenue.js';
import * as capacity from './economics/capacity.js';
import * as staking from './economics/staking.js';
import * as vaults from './economics/vault.js';
import * as withdrawals from './economics/withdrawals.js';

export type { AccountInput, FillInput, FillResult, PreTradeResult } from './book/accounts.js';
export type { AccountResultsView, CheckSummary, HealthCounts, IsolatedResultsView } from './book/margin.js';
export { setHost, type EngineOptions, type Host } from './host.js';

/*
 * `using engine = await RiskEngine.create()` needs `Symbol.dispose`, which TypeScript declares only
 * in its esnext.disposable lib (and @types/node in its own copy). The same declarations here, merged
 * with theirs when present, let the engine's declarations type-check in a project that has neither
 * (a browser tsconfig of lib es2022 and dom) while `using` keeps working in one that has them.
 */
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
  interface Disposable {
    [Symbol.dispose](): void;
  }
}

export class RiskEngine implements Disposable {
  private readonly x: EngineInternals;
  readonly quoteDecimals: number;
  private readonly liquidations: Liquidations;
  /** The active waterfall, the audit history and the ranking an ADL indicator call uses. */
  private readonly losses: Losses;
  /** The economics' journal: every amount fees, revenue, staking, vault terms and withdrawals moved. */
  private readonly flows = new FlowLog();
  /** The default second of the staking calls: the latest one a staking call took. */
  private readonly stakingClock = new staking.StakingClock();
  /** The batch of the latest successful reserve(); the only one commit() accepts. */
  private staged: BulkBatch | null = null;

  private constructor(x: EngineInternals) {
    this.x = x;
    this.quoteDecimals = x.quoteDecimals;
    this.liquidations = new Liquidations(x);
    this.losses = new Losses(x);
    registerInternals(this, x);
  }

  /** Compiles (once per process and source) and instantiates an engine with the given capacities. */
  static async create(options: EngineOptions = {}): Promise<RiskEngine> {
    const { raw, hooks, quoteDecimals } = await openCore(options);
    const engine = new RiskEngine(new EngineInternals(raw, quoteDecimals));
    bindHooks(hooks, raw, engine.x, engine.losses);
    return engine;
  }

  /** Releases the instance (its memory goes with the last reference). Idempotent; refused (Reentrant) from a callback. */
  dispose(): void { this.x.dispose(); }
  [Symbol.dispose](): void { this.dispose(); }

  get capacity(): { accounts: number; positions: number; isolated: number; markets: number } {
    const raw = this.x.raw;
    return { accounts: raw.maxAccounts(), positions: raw.maxPositions(), isolated: raw.maxIsolated(), markets: raw.maxMarkets() };
  }

  /** Number of accounts ever added (ids are 0..accountCount-1; closed accounts keep their id). */
  get accountCount(): number { return this.x.raw.accountCount(); }
  get marketCount(): number { return this.x.raw.marketCount(); }

  // ------------------------------------------------------------------------------------------
  // Markets

  /** Adds a market and returns its id (0, 1, ...). Decimal strings: prices in quote units. */
  addMarket(spec: MarketSpec): number { return markets.addMarket(this.x, spec); }

  /** A market's current state, as a plain object (copies). */
  market(id: number): markets.MarketState { return markets.market(this.x, id); }

  /** Sets mark prices of some markets at once (all or nothing). Prices: quote atoms per base unit. */
  setMarks(marketIds: ArrayLike<number>, prices: ArrayLike<AtomsInput>): void { markets.setMarks(this.x, marketIds, prices); }

  /** Sets cumulative funding indices (longs and shorts) of some markets (all or nothing). */
  setFundingIndices(marketIds: ArrayLike<number>, longIndices: ArrayLike<AtomsInput>, shortIndices: ArrayLike<AtomsInput>): void {
    markets.setFundingIndices(this.x, marketIds, longIndices, shortIndices);
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
    const raw = this.x.raw;
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
    const raw = this.x.raw;
    const r = claimBatch(raw, this, batch, this.staged);
    raw.bulkCommit(r.counts.accounts, r.counts.positions, r.counts.isolated);
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
    const raw = this.x.raw;
    const checked = checkColumns(columns, { accounts: raw.maxAccounts(), positions: raw.maxPositions(), isolated: raw.maxIsolated() });
    const batch = this.reserve(checked.counts);
    copyColumns(batch, checked);
    return this.commit(batch);
  }

  /**
   * Adds accounts from plain objects (decimal strings or numbers allowed) with their positions;
   * returns their ids. All or nothing. For a handful of accounts; bulk loads use `reserve`. Given a
   * list written out, the ids are typed as a tuple of its length (`const [alice, bob] =` gives
   * numbers, also under noUncheckedIndexedAccess).
   */
  addAccounts<const T extends readonly accounts.AccountInput[]>(specs: T): { -readonly [K in keyof T]: number } {
    const { first, count, columns } = accounts.accountColumns(this.x, specs);
    this.appendColumns(columns);
    return Array.from({ length: count }, (_, k) => first + k) as { -readonly [K in keyof T]: number };
  }

  /** Applies a fill to an account's position (docs/FORMULAS.md, "Fills"). All or nothing. */
  applyFill(fill: accounts.FillInput): accounts.FillResult {
    const result = accounts.applyFill(this.x, fill);
    this.flows.drain(this.x.raw);
    return result;
  }

  /**
   * Would the account stay at or above initial margin after this fill? Evaluates without changing
   * anything. Throws only for invalid input (unknown account, bad price...).
   */
  preTrade(fill: accounts.FillInput): accounts.PreTradeResult { return accounts.preTrade(this.x, fill); }

  /** Adds collateral (quote atoms or a decimal string in quote units). */
  deposit(accountId: number, amount: AtomsInput): void { accounts.deposit(this.x, accountId, amount); }

  /**
   * Withdraws collateral, refused (MarginRefusedError) above `withdrawable(accountId).amountQuote`:
   * BelowInitialMargin when initial margin (or equity) bound it, AboveWithdrawable when the transfer
   * floor or the realizable rule did. An amount above the collateral first settles the account's
   * PnL (`settlePnl`) and is refused (AboveWithdrawable, nothing changed) if the collateral still
   * falls short. docs/ECONOMICS.md, "What a winner may withdraw".
   */
  withdraw(accountId: number, amount: AtomsInput): void {
    accounts.withdraw(this.x, accountId, amount);
    this.flows.drain(this.x.raw);
  }

  /** Closes an account with no positions and returns the collateral paid out. */
  closeAccount(accountId: number): bigint { return accounts.closeAccount(this.x, accountId); }

  /** An account's state and latest results as a plain object (copies). */
  account(accountId: number): accounts.AccountState { return accounts.account(this.x, accountId); }

  // ------------------------------------------------------------------------------------------
  // Margin checks

  /**
   * Checks margin: all accounts (default), a range `{ from, count }`, or a list `{ accounts }`;
   * each account's isolated positions are checked with it. Results: `resultsView()`,
   * `isolatedResultsView()`, `account(id)`, `riskOrderView()`. A scope naming both a range and a
   * list is refused (OutOfRange, field `scope`); a refused check (an unknown account) changes
   * nothing, the summary's `checked` tallies included.
   */
  check(scope?: margin.CheckScope): margin.CheckSummary { return margin.check(this.x, scope); }

  /**
   * Incremental check after marks (or funding) of these markets changed: re-checks only the
   * accounts and isolated positions that hold them.
   */
  checkMarkets(marketIds: ArrayLike<number>): margin.CheckSummary { return margin.checkMarkets(this.x, marketIds); }

  /** Book-wide counts per health code as of the latest checks (copies). */
  summary(): margin.CheckSummary { return margin.summary(this.x); }

  /**
   * Per-account results, indexed by account id: equity, IM, MM, free collateral (quote atoms) and
   * health, as of the latest checks. @remarks zero-copy: a view of the published copy of the
   * results (the rows changed since the last call are copied in now); it shows them until the next
   * `resultsView()`. Writing it changes nothing in the engine.
   */
  resultsView(): margin.AccountResultsView { return margin.resultsView(this.x); }

  /**
   * Per-isolated-position results, indexed by isolated id (rows whose health is `Inactive` are
   * free or unchecked), with each row's account and market. @remarks zero-copy: a view of the
   * published copy, as `resultsView()`; it shows them until the next `isolatedResultsView()`.
   */
  isolatedResultsView(): margin.IsolatedResultsView { return margin.isolatedResultsView(this.x); }

  /**
   * Liquidatable and bankrupt accounts (or isolated positions) in risk order: lowest equity/MM
   * first, exact, ties by id. @remarks zero-copy: valid until the next call on this engine. The core
   * builds the queue afresh whenever it needs one, so writing the view changes nothing.
   */
  riskOrderView(options: { isolated?: boolean } = {}): Uint32Array { return margin.riskOrderView(this.x, options); }

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
  positionPrices(accountId: number): PositionPrices[] { return this.liquidations.positionPrices(accountId); }

  /**
   * Prices of the positions of whole accounts from `fromAccountId` on, as many as fit one chunk
   * (131,072 rows); continue from `nextAccountId` until it reaches accountCount. A group whose
   * figures leave i64 has PRICE_UNDEFINED in its rows; the chunk goes on.
   * @remarks zero-copy: valid until the next call on this engine.
   */
  positionPricesView(fromAccountId = 0): PositionPricesView { return this.liquidations.positionPricesView(fromAccountId); }

  /**
   * Plans a round of liquidations under `policy`: liquidatable and bankrupt groups in risk order
   * (needs valid results: run check() first), each re-evaluated and sized. The plan's sizes and
   * prices may be edited through the view before `executeLiquidations()`; its other columns may not
   * (execution refuses the plan: PlanEdited). @remarks zero-copy: a view of the caller's copy of
   * the plan, valid until the next plan.
   */
  planLiquidations(policy: LiquidationPolicy = {}): LiquidationPlan { return this.liquidations.plan(policy); }

  /**
   * Executes the current plan, all or nothing: closes at the plan's prices, fees to the liquidators
   * and the insurance funds, deficit records, backstop transfers. Refused (nothing changes) if a row
   * names another account, market, isolated row or kind than planned (PlanEdited), if an edited size
   * or price is invalid, or if a group is not liquidatable (NotLiquidatable). Touched accounts need
   * a check() before their results are current again.
   */
  executeLiquidations(): ExecutionSummary { return this.liquidations.execute(); }

  /** The last execution's log. @remarks copies (the core's log columns are its own). */
  liquidationLogView(): LiquidationLogView { return this.liquidations.logView(); }

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
    return liquidate(this.x, this.liquidations, this.losses, policy, options);
  }

  /** Balance of the insurance fund that `marketId` pays into (the global fund when omitted). */
  insuranceFund(marketId?: number): bigint { return this.liquidations.insuranceFund(marketId); }

  /** Adds to the insurance fund that `marketId` pays into (the global fund when omitted). */
  depositInsuranceFund(amount: AtomsInput, marketId?: number): void { this.liquidations.depositInsuranceFund(amount, marketId); }

  /** Deficit records waiting for the loss waterfall, as columns. @remarks copies (the waterfall reads the core's records). */
  deficitsView(): { accountId: Uint32Array; marketId: Uint16Array; amountQuote: BigInt64Array } { return deficitsView(this.x.raw); }

  /** Deficit records waiting for the loss waterfall (market null: a settlement). @remarks copies */
  deficits(): DeficitRecord[] { return deficitRecords(this.x.raw); }

  /** Returns the pending deficit records and clears them (the caller allocates them). */
  takeDeficits(): DeficitRecord[] { return this.liquidations.takeDeficits(); }

  /** The conservation ledger: `totalQuote` is unchanged by every execution (docs/FORMULAS.md). */
  ledger(): Ledger { return readLedger(this.x.raw); }

  // ---- Loss allocation (docs/WATERFALL.md) ------------------------------------------------------

  /** Sets the loss waterfall; a refused configuration (InvalidWaterfall, naming the step) changes nothing. */
  setWaterfall(config: WaterfallConfig): void { this.losses.set(config); }

  /**
   * Runs every pending deficit record through the waterfall as one event, checking the book first
   * if a ranked ADL step needs current figures. Every amount moved is in `auditLog`. Ranking
   * functions are called first, before anything moves: one that fails refuses the run whole
   * (InputError InvalidWaterfall, field `ranking`, row: the step).
   */
  allocateLosses(options: AllocateOptions = {}): AllocationReport { return this.losses.allocate(options); }

  /** Every amount the waterfall moved, with queries (per account, per deficit, per tranche) and JSON. */
  get auditLog(): AuditLog {
    void this.x.raw; // the guard every member passes: refused after dispose() and from a callback
    return this.losses.audit;
  }

  // ---- The economics (docs/ECONOMICS.md) --------------------------------------------------------

  /** Sets a market's trading fees, ppm of notional (a negative maker fee is a rebate, at most the taker fee). */
  setMarketFees(marketId: number, fees: revenue.MarketFees): void { revenue.setMarketFees(this.x, marketId, fees); }

  /** Sets rows of the revenue split (each row's shares sum to 10^6); every row is checked before any is set. */
  setRevenueSplit(split: revenue.RevenueSplit): void { revenue.setRevenueSplit(this.x, split); }

  /** Adds fees the venue charged outside the engine (its matching engine's schedule) to a market's fee pool. */
  collectFees(marketId: number, amount: AtomsInput, nowSec?: number): void { revenue.collectFees(this.x, this.flows, marketId, amount, nowSec); }

  /**
   * Accrues one period of funding in a market (both indices move; r > 0: longs pay) keeping `skimPpm` of
   * the receivers' move as revenue in the market's skim pool (docs/ECONOMICS.md, "Funding skim").
   */
  accrueFunding(marketId: number, accrual: revenue.FundingAccrual, nowSec?: number): revenue.FundingAccrualReport {
    return revenue.accrueFunding(this.x, this.flows, marketId, accrual, nowSec);
  }

  /** Empties every market's fee pool, and re-routes its liquidations' fund fees, through the split. */
  distributeRevenue(nowSec?: number): revenue.DistributionReport { return revenue.distributeRevenue(this.x, this.flows, nowSec); }

  /** Fees, pools, the split and the treasury. */
  revenue(): revenue.RevenueState { return revenue.readRevenue(this.x); }

  /** Every amount the economics moved (fees, revenue, staking, vault terms, PnL settled, withdrawals); docs/ECONOMICS.md. */
  get flowLog(): FlowLog {
    void this.x.raw;
    return this.flows;
  }

  // ---- Venue withdrawal capacity and the queue (docs/ECONOMICS.md) --------------------------------

  /**
   * Configures the venue's withdrawal capacity (dYdX's rate limit), gate and loss charge (Paradex);
   * null: unlimited, no gate, no charge (the default). Refused (InputError InvalidEconomics naming
   * the field) when a value is out of range; nothing changes then.
   */
  setWithdrawalCapacity(config: capacity.WithdrawalCapacityConfig | null): void { capacity.setWithdrawalCapacity(this.x, config); }

  /**
   * Asks to withdraw `amount` from an account's collateral at `nowSec`: paid now up to the capacity
   * when the gate is open and the queue is empty, the rest queued. Refused (MarginRefusedError
   * BelowInitialMargin or AboveWithdrawable) when the amount plus the account's queued total is more
   * than it may withdraw: min(withdrawable(accountId).amountQuote, its collateral).
   */
  requestWithdrawal(accountId: number, amount: AtomsInput, nowSec: number): capacity.WithdrawalRequest {
    return capacity.requestWithdrawal(this.x, this.flows, accountId, amount, nowSec);
  }

  /** Pays the withdrawal queue in order while the capacity lasts (nothing while gated). */
  serveWithdrawals(nowSec: number): capacity.ServeReport { return capacity.serveWithdrawals(this.x, this.flows, nowSec); }

  /** Gates withdrawals for the configured gate from `nowSec` (a negative-equity account seen elsewhere). */
  noteNegativeEquity(nowSec: number): void { capacity.noteNegativeEquity(this.x, nowSec); }

  /** The withdrawal capacity, its baseline now, the gate and the queue. @remarks copies */
  withdrawalState(): capacity.WithdrawalState { return capacity.withdrawalState(this.x); }
  // ---- Insurance-fund staking (docs/ECONOMICS.md, "Insurance-fund staking") -------------------
  // Funds by id: 0 the global fund, 1 + market a market's own. `nowSec` defaults to the latest
  // second a staking call took (0 at first).

  /** Sets staking parameters (absent keys keep their values); refused (InvalidEconomics naming the key) changes nothing. */
  setStaking(config: Partial<staking.StakingConfig>): void { staking.setStaking(this.x, config); }

  /** The staking parameters in force. */
  stakingConfig(): staking.StakingConfig { return staking.stakingConfig(this.x); }

  /** Moves `amount` of the account's cross collateral into the fund for its shares (refused below initial margin); returns the shares minted. */
  stake(accountId: number, fundId: number, amount: AtomsInput, nowSec?: number): bigint {
    const minted = staking.stake(this.x, this.stakingClock, accountId, fundId, amount, nowSec);
    this.flows.drain(this.x.raw);
    return minted;
  }

  /**
   * Opens an unstake request for `shares` of the account's stake, valued now; the unstake waits for
   * the cooldown and pays at most that value. Returns the value (quote atoms).
   */
  requestUnstake(accountId: number, fundId: number, shares: AtomsInput, nowSec?: number): bigint {
    return staking.requestUnstake(this.x, this.stakingClock, accountId, fundId, shares, nowSec);
  }

  /** Cancels the account's unstake request; shares that gained since are partly forfeited. Returns the shares forfeited. */
  cancelUnstake(accountId: number, fundId: number, nowSec?: number): bigint {
    const lost = staking.cancelUnstake(this.x, this.stakingClock, accountId, fundId, nowSec);
    this.flows.drain(this.x.raw);
    return lost;
  }

  /** Completes the account's request after the cooldown: pays min(value now, value at request) into its collateral; returns the amount paid. */
  unstake(accountId: number, fundId: number, nowSec?: number): bigint {
    const paid = staking.unstake(this.x, this.stakingClock, accountId, fundId, nowSec);
    this.flows.drain(this.x.raw);
    return paid;
  }

  /** Settles every fund's stakers' revenue pool that is due (once per period); returns the total settled. */
  settleStakingRevenue(nowSec?: number): bigint {
    return staking.settleStakingRevenue(this.x, this.stakingClock, () => this.flows.drain(this.x.raw), nowSec);
  }

  /** One insurance fund's staking state: balance, shares, revenue pool, stakers. @remarks copies */
  staking(fundId: number): staking.FundStaking { return staking.staking(this.x, fundId); }
  // ---- What a winner may withdraw (docs/ECONOMICS.md) ---------------------------------------------

  /**
   * Sets which part of unrealized gains counts toward withdrawals ('all' by default, 'none',
   * 'pnlPool' as Drift, 'residualRatio' as Percolator) and the transfer floor (ppm of the cross
   * notional that must stay behind; Hyperliquid 100_000). A field left out keeps its value; a
   * refused value (InputError InvalidEconomics) changes nothing.
   */
  setWithdrawalRules(rules: Partial<withdrawals.WithdrawalRules>): void { withdrawals.setWithdrawalRules(this.x, rules); }

  /** The withdrawal rules in force. @remarks copies */
  withdrawalRules(): withdrawals.WithdrawalRules { return withdrawals.withdrawalRules(this.x); }

  /** What an open account may withdraw now, computed from the book, and what bound it. @remarks copies */
  withdrawable(accountId: number): withdrawals.Withdrawable { return withdrawals.withdrawable(this.x, accountId); }

  /**
   * Every account's withdrawable amount and its limit code (WITHDRAW_LIMITS: 0 equity,
   * 1 initialMargin, 2 transferFloor, 3 realizable), indexed by account id; closed accounts 0 and
   * equity. Equal to `withdrawable(id)` for every open account. @remarks copies
   */
  withdrawableAll(): withdrawals.WithdrawableColumns { return withdrawals.withdrawableAll(this.x); }

  /**
   * Settles the PnL of the account's cross position in `marketId` against the market's PnL pool, or
   * of every cross position (losers first, then winners, each in market-id order) when `marketId` is
   * left out; funding is settled first. Returns the amount settled: positive when paid to the
   * account, negative when paid by it. Every amount moved is in `flowLog`.
   */
  settlePnl(accountId: number, marketId?: number, nowSec = 0): bigint {
    const settled = withdrawals.settlePnl(this.x, accountId, marketId, nowSec);
    this.flows.drain(this.x.raw);
    return settled;
  }

  /** A market's PnL pool: what settled losers paid in, what settled winners are paid from. */
  pnlPool(marketId: number): bigint { return withdrawals.pnlPool(this.x, marketId); }

  /** Residue, uncovered losses, socialized receivable, operator capital, deposit index, vault shares. */
  waterfallBalances(): WaterfallBalances { return readBalances(this.x.raw); }

  /**
   * The ADL queue of one market side, first in line first, with each position's quantile (5: the
   * top fifth, first to be deleveraged), as venues show it. Uses the figures of the last check. A
   * ranking function is called once per candidate first; one that fails (a throw, a key that is not
   * a finite number) is an InputError InvalidWaterfall naming the field `ranking`.
   */
  adlRanking(marketId: number, side: 'long' | 'short', ranking: AdlRankingName | AdlRankingFunction): AdlRank[] {
    return this.losses.adlRanking(marketId, side, ranking);
  }

  /** Names the backstop vault's account (its providers hold shares of it). */
  setVaultAccount(accountId: number): void { parties.setVaultAccount(this.x, accountId); }

  /**
   * The vault's depositor terms (docs/ECONOMICS.md, "Vault depositors"): lock-up after a deposit,
   * the operator's profit share above each provider's high-water mark, withdrawal slippage kept by
   * the vault. A field left out keeps its value; all start at 0 (no operator).
   */
  setVaultTerms(terms: vaults.VaultTermsInput): void { vaults.setVaultTerms(this.x, terms); }

  /**
   * Moves `amount` from the provider's collateral into the vault at net asset value; returns the
   * shares minted. `nowSec` (default 0) starts the provider's lock-up.
   */
  vaultDeposit(accountId: number, amount: AtomsInput, nowSec?: number): bigint {
    const minted = vaults.vaultDeposit(this.x, accountId, amount, nowSec);
    this.flows.drain(this.x.raw);
    return minted;
  }

  /**
   * Burns shares for their value at net asset value, less the operator's profit share and the
   * slippage, paid from the vault's free collateral; returns the amount paid (VaultLocked before
   * the lock-up is over at `nowSec`, default 0).
   */
  vaultWithdraw(accountId: number, shares: AtomsInput, nowSec?: number): bigint { return this.vaultWithdrawDetailed(accountId, shares, nowSec).paidQuote; }

  /** vaultWithdraw, returning the amount paid, the operator's profit share and the slippage kept. */
  vaultWithdrawDetailed(accountId: number, shares: AtomsInput, nowSec?: number): vaults.VaultWithdrawal {
    const r = vaults.vaultWithdraw(this.x, accountId, shares, nowSec);
    this.flows.drain(this.x.raw);
    return r;
  }

  /** The vault: its account, net asset value (its equity at the marks), shares, providers (with their lock-up start and high-water mark), terms. */
  vault(): parties.VaultState { return parties.readVault(this.x.raw); }

  /** Adds to a clearing member's default-fund contribution (money from outside the book). */
  addDefaultFundContribution(accountId: number, amount: AtomsInput): void { parties.addDefaultFundContribution(this.x, accountId, amount); }

  clearingMembers(): parties.ClearingMember[] { return parties.readMembers(this.x.raw); }

  /** Adds to the operator's own capital (skin in the game), layer 1 or 2. */
  depositOperatorCapital(layer: 1 | 2, amount: AtomsInput): void { parties.depositOperatorCapital(this.x, layer, amount); }

  /** Starts a new assessment period (assessment caps count from here). */
  resetAssessments(): void { this.x.raw.resetAssessments(); }

  /** Compacts the position arena now (it also happens automatically when the arena's end is reached). */
  compact(): void { this.x.raw.compact(); }
}
