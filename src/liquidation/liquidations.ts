/**
 * Liquidation rounds, as the core plans and executes them: position prices, the plan, the log of an
 * execution, deficit records, the insurance funds and the conservation ledger, read from the core's
 * columns and records (docs/FORMULAS.md, "Liquidation").
 */
import { toCount, toI64 } from '../atoms.js';
import { KIND_NAMES, NO_ISOLATED, NO_MARKET } from '../abi/codes.js';
import { Column } from '../abi/columns.js';
import type { EngineInternals } from '../abi/internals.js';
import type { Raw } from '../abi/raw.js';
import { i128, i64, split128, u32 } from '../abi/records.js';
import type { AtomsInput } from '../types.js';
import { policyBytes, stagePolicy, type LiquidationPolicy } from './policy.js';

/** "No such price": the condition holds at no price in 1..2^62. */
export const PRICE_NEVER = 0n;
/** "No such price": the condition holds at every price in 1..2^62. */
export const PRICE_ALWAYS = -1n;
/** "No price": the group's figures leave i64 (check() refuses it with Overflow), so the formulas define none. */
export const PRICE_UNDEFINED = -2n;

export type LiquidationKind = (typeof KIND_NAMES)[number];

/**
 * The plan of a round, as zero-copy views of the caller's copy of it. `sizeBase` and `priceQuote`
 * may be edited before execution; execution refuses a row whose other columns were (PlanEdited).
 */
export interface LiquidationPlanView {
  accountId: Uint32Array;
  /** NO_MARKET for a settlement row. */
  marketId: Uint16Array;
  /** NO_ISOLATED for cross rows. */
  isolatedId: Uint32Array;
  /** 0 close, 1 transfer, 2 settle (KIND_NAMES). */
  kind: Uint8Array;
  /** Signed trade delta (reduces the position); for a transfer, minus the size moved. */
  sizeBase: BigInt64Array;
  /** Execution price; the mark by default. */
  priceQuote: BigInt64Array;
}

export interface LiquidationPlan {
  rows: number;
  /** Groups (cross accounts and isolated positions) with at least one row. */
  groups: number;
  /** False when the plan area filled up: the rest waits for the next round. */
  complete: boolean;
  view: LiquidationPlanView;
}

export interface LiquidationLogView extends LiquidationPlanView {
  realizedPnlQuote: BigInt64Array;
  fundingQuote: BigInt64Array;
  liquidatorFeeQuote: BigInt64Array;
  fundFeeQuote: BigInt64Array;
  surplusQuote: BigInt64Array;
  deficitQuote: BigInt64Array;
  transferQuote: BigInt64Array;
}

export interface LiquidationRecord {
  accountId: number;
  marketId: number | null;
  isolatedId: number | null;
  kind: LiquidationKind;
  sizeBase: bigint;
  priceQuote: bigint;
  realizedPnlQuote: bigint;
  fundingQuote: bigint;
  liquidatorFeeQuote: bigint;
  fundFeeQuote: bigint;
  surplusQuote: bigint;
  deficitQuote: bigint;
  transferQuote: bigint;
}

/** Totals of one execution. */
export interface ExecutionSummary {
  rows: number;
  closes: number;
  transfers: number;
  settlements: number;
  groups: number;
  /** Sum of floor(|d| * price / D) over closes. */
  closedNotionalQuote: bigint;
  realizedPnlQuote: bigint;
  fundingQuote: bigint;
  liquidatorFeeQuote: bigint;
  fundFeeQuote: bigint;
  surplusQuote: bigint;
  deficitQuote: bigint;
  transferQuote: bigint;
}

export interface DeficitRecord { accountId: number; marketId: number | null; amountQuote: bigint }

export interface PositionPrices {
  accountId: number;
  marketId: number;
  isolatedId: number | null;
  sizeBase: bigint;
  /** A price, PRICE_NEVER, PRICE_ALWAYS, or PRICE_UNDEFINED (both prices) when the group's figures leave i64. */
  liquidationPriceQuote: bigint;
  bankruptcyPriceQuote: bigint;
}

export interface PositionPricesView {
  accountId: Uint32Array;
  marketId: Uint16Array;
  isolatedId: Uint32Array;
  sizeBase: BigInt64Array;
  liquidationPriceQuote: BigInt64Array;
  bankruptcyPriceQuote: BigInt64Array;
  /** First account not covered by this chunk (accountCount when done). */
  nextAccountId: number;
}

/** The conservation ledger (docs/FORMULAS.md): `totalQuote` is unchanged by every execution. */
export interface Ledger {
  collateralQuote: bigint;
  fundsQuote: bigint;
  liquidatorFeesQuote: bigint;
  /** Funding settled minus realized PnL: over executed rows, ADL closes, and gains haircuts (realized and paid out). */
  flowQuote: bigint;
  /** All deficits ever recorded by liquidation. */
  deficitsQuote: bigint;
  /**
   * The conserved quantity: collateral + funds + liquidator fees + flow - deficits + operator capital
   * and default fund + residue + covered + fee pools + PnL pools + stakers' revenue pools + treasury
   * (docs/WATERFALL.md, "Conservation"; docs/ECONOMICS.md, "Balances and the ledger").
   */
  totalQuote: bigint;
  operatorAndDefaultFundQuote: bigint;
  residueQuote: bigint;
  /** All deficits ever covered by the waterfall. */
  coveredQuote: bigint;
  /** Trading fees net of rebates not yet distributed, all markets. */
  feePoolsQuote: bigint;
  /** The markets' PnL pools. */
  pnlPoolsQuote: bigint;
  /** The insurance funds' stakers' revenue pools, waiting for a settle. */
  revenuePoolsQuote: bigint;
  treasuryQuote: bigint;
}

// ---------------------------------------------------------------------------------------------
// Reading the core's liquidation columns and records.


/**
 * The caller's copy of the plan (the Plan columns): editable in place, sizes and prices only; the
 * core checks every row against its own plan (the log columns) when the plan is executed.
 */
function planView(raw: Raw, rows: number): LiquidationPlanView {
  return {
    accountId: raw.view(Uint32Array, Column.PlanAccount, 0, rows),
    marketId: raw.view(Uint16Array, Column.PlanMarket, 0, rows),
    isolatedId: raw.view(Uint32Array, Column.PlanIso, 0, rows),
    kind: raw.view(Uint8Array, Column.PlanKind, 0, rows),
    sizeBase: raw.view(BigInt64Array, Column.PlanSize, 0, rows),
    priceQuote: raw.view(BigInt64Array, Column.PlanPrice, 0, rows),
  };
}

/** The last execution's log, copied out of the core's log columns (which hold the next plan's amounts). */
export function logView(raw: Raw, rows: number): LiquidationLogView {
  const copy64 = (c: Column): BigInt64Array => raw.view(BigInt64Array, c, 0, rows).slice();
  return {
    accountId: raw.view(Uint32Array, Column.LogAccount, 0, rows).slice(),
    marketId: raw.view(Uint16Array, Column.LogMarket, 0, rows).slice(),
    isolatedId: raw.view(Uint32Array, Column.LogIso, 0, rows).slice(),
    kind: raw.view(Uint8Array, Column.LogKind, 0, rows).slice(),
    sizeBase: copy64(Column.LogSize), priceQuote: copy64(Column.LogPrice),
    realizedPnlQuote: copy64(Column.LogRealized), fundingQuote: copy64(Column.LogFunding),
    liquidatorFeeQuote: copy64(Column.LogLiqFee), fundFeeQuote: copy64(Column.LogFundFee),
    surplusQuote: copy64(Column.LogSurplus), deficitQuote: copy64(Column.LogDeficit), transferQuote: copy64(Column.LogTransfer),
  };
}

export function logRecords(v: LiquidationLogView): LiquidationRecord[] {
  return Array.from({ length: v.accountId.length }, (_, i) => ({
    accountId: v.accountId[i]!,
    marketId: v.marketId[i] === NO_MARKET ? null : v.marketId[i]!,
    isolatedId: v.isolatedId[i] === NO_ISOLATED ? null : v.isolatedId[i]!,
    kind: KIND_NAMES[v.kind[i]!]!,
    sizeBase: v.sizeBase[i]!, priceQuote: v.priceQuote[i]!,
    realizedPnlQuote: v.realizedPnlQuote[i]!, fundingQuote: v.fundingQuote[i]!,
    liquidatorFeeQuote: v.liquidatorFeeQuote[i]!, fundFeeQuote: v.fundFeeQuote[i]!,
    surplusQuote: v.surplusQuote[i]!, deficitQuote: v.deficitQuote[i]!, transferQuote: v.transferQuote[i]!,
  }));
}


function executionSummary(raw: Raw): ExecutionSummary {
  // Counts are i64; every amount is a 128-bit sum, its low word (u64) there and its high word HI bytes further.
  const { view: r, at } = raw.record('Exec');
  const count = (offset: number): number => Number(i64(r, offset));
  const total = (offset: number): bigint => split128(r, offset, at.HI);
  return {
    rows: count(at.rows), closes: count(at.closes), transfers: count(at.transfers), settlements: count(at.settlements), groups: count(at.groups),
    closedNotionalQuote: total(at.closedNotionalQuote), realizedPnlQuote: total(at.realizedPnlQuote), fundingQuote: total(at.fundingQuote),
    liquidatorFeeQuote: total(at.liquidatorFeeQuote), fundFeeQuote: total(at.fundFeeQuote), surplusQuote: total(at.surplusQuote),
    deficitQuote: total(at.deficitQuote), transferQuote: total(at.transferQuote),
  };
}

export function readLedger(raw: Raw): Ledger {
  raw.ledgerSum();
  const { view: r, at } = raw.record('Ledger');
  return {
    collateralQuote: i128(r, at.collateral), fundsQuote: i128(r, at.funds), liquidatorFeesQuote: i128(r, at.liquidatorFees),
    flowQuote: i128(r, at.flow), deficitsQuote: i128(r, at.deficits), totalQuote: i128(r, at.total),
    operatorAndDefaultFundQuote: i128(r, at.operatorAndDefaultFund), residueQuote: i128(r, at.residue), coveredQuote: i128(r, at.covered),
    feePoolsQuote: i128(r, at.feePools), pnlPoolsQuote: i128(r, at.pnlPools), revenuePoolsQuote: i128(r, at.revenuePools),
    treasuryQuote: i128(r, at.treasury),
  };
}

/** The pending deficit records, copied (the waterfall reads the core's records, never these). */
export function deficitsView(raw: Raw): { accountId: Uint32Array; marketId: Uint16Array; amountQuote: BigInt64Array } {
  const n = raw.pendingDeficits();
  return {
    accountId: raw.view(Uint32Array, Column.DefAccount, 0, n).slice(),
    marketId: raw.view(Uint16Array, Column.DefMarket, 0, n).slice(),
    amountQuote: raw.view(BigInt64Array, Column.DefAmount, 0, n).slice(),
  };
}

export function deficitRecords(raw: Raw): DeficitRecord[] {
  const v = deficitsView(raw);
  return Array.from({ length: v.accountId.length }, (_, i) => ({
    accountId: v.accountId[i]!, marketId: v.marketId[i] === NO_MARKET ? null : v.marketId[i]!, amountQuote: v.amountQuote[i]!,
  }));
}

function pricesView(raw: Raw): PositionPricesView {
  const { view: r, at } = raw.record('Prices');
  const rows = u32(r, at.rows);
  return {
    accountId: raw.view(Uint32Array, Column.PriceAccount, 0, rows),
    marketId: raw.view(Uint16Array, Column.PriceMarket, 0, rows),
    isolatedId: raw.view(Uint32Array, Column.PriceIso, 0, rows),
    sizeBase: raw.view(BigInt64Array, Column.PriceSize, 0, rows),
    liquidationPriceQuote: raw.view(BigInt64Array, Column.PriceLiq, 0, rows),
    bankruptcyPriceQuote: raw.view(BigInt64Array, Column.PriceBank, 0, rows),
    nextAccountId: u32(r, at.nextAccount),
  };
}

/** The totals of several executions. */
export function addSummaries(a: ExecutionSummary, b: ExecutionSummary): ExecutionSummary {
  return {
    rows: a.rows + b.rows, closes: a.closes + b.closes, transfers: a.transfers + b.transfers,
    settlements: a.settlements + b.settlements, groups: a.groups + b.groups,
    closedNotionalQuote: a.closedNotionalQuote + b.closedNotionalQuote, realizedPnlQuote: a.realizedPnlQuote + b.realizedPnlQuote,
    fundingQuote: a.fundingQuote + b.fundingQuote, liquidatorFeeQuote: a.liquidatorFeeQuote + b.liquidatorFeeQuote,
    fundFeeQuote: a.fundFeeQuote + b.fundFeeQuote, surplusQuote: a.surplusQuote + b.surplusQuote,
    deficitQuote: a.deficitQuote + b.deficitQuote, transferQuote: a.transferQuote + b.transferQuote,
  };
}

export const EMPTY_SUMMARY: ExecutionSummary = {
  rows: 0, closes: 0, transfers: 0, settlements: 0, groups: 0, closedNotionalQuote: 0n, realizedPnlQuote: 0n,
  fundingQuote: 0n, liquidatorFeeQuote: 0n, fundFeeQuote: 0n, surplusQuote: 0n, deficitQuote: 0n, transferQuote: 0n,
};

/**
 * One engine's liquidation stage: position prices, planning and executing rounds (it keeps the rows
 * of the last execution's log), deficit records, the insurance funds and the ledger. RiskEngine's
 * liquidation methods delegate here.
 */
export class Liquidations {
  /** Rows of the last execution's log (0 after a new plan). */
  private logRows = 0;

  constructor(private readonly x: EngineInternals) {}

  positionPrices(accountId: number): PositionPrices[] {
    const raw = this.x.raw;
    const a = this.x.knownAccount(accountId);
    raw.pricesRange(a, 1);
    const v = pricesView(raw);
    return Array.from({ length: v.accountId.length }, (_, i) => ({
      accountId: a, marketId: v.marketId[i]!, isolatedId: v.isolatedId[i] === NO_ISOLATED ? null : v.isolatedId[i]!,
      sizeBase: v.sizeBase[i]!, liquidationPriceQuote: v.liquidationPriceQuote[i]!, bankruptcyPriceQuote: v.bankruptcyPriceQuote[i]!,
    }));
  }

  positionPricesView(fromAccountId: number): PositionPricesView {
    const raw = this.x.raw;
    const n = raw.accountCount();
    const from = toCount(fromAccountId, 'accountId', -1, n);
    raw.pricesRange(from, n - from);
    return pricesView(raw);
  }

  /** The policy's bytes for the core's record (refused here if malformed; the core checks its ranges). */
  policyBytes(policy: LiquidationPolicy): Uint8Array {
    return policyBytes(this.x.raw.abi.records.Policy, policy, this.x.quoteDecimals);
  }

  /** Plans a round under `policy` (results must be valid). */
  plan(policy: LiquidationPolicy): LiquidationPlan {
    this.x.requireValid();
    stagePolicy(this.x.raw, this.policyBytes(policy), true);
    return this.planRound();
  }

  /** Plans a round under the active policy (set just before). */
  planRound(): LiquidationPlan {
    const raw = this.x.raw;
    this.logRows = 0;
    raw.planLiquidations();
    const { view: r, at } = raw.record('Plan');
    const rows = u32(r, at.rows);
    return { rows, groups: u32(r, at.groups), complete: u32(r, at.complete) === 1, view: planView(raw, rows) };
  }

  execute(): ExecutionSummary {
    const raw = this.x.raw;
    raw.executeCallerPlan();
    const summary = executionSummary(raw);
    this.logRows = summary.rows;
    return summary;
  }

  logView(): LiquidationLogView { return logView(this.x.raw, this.logRows); }

  insuranceFund(marketId?: number): bigint {
    return this.x.raw.view(BigInt64Array, Column.FundBalance, this.fundOf(marketId), 1)[0]!;
  }

  depositInsuranceFund(amount: AtomsInput, marketId?: number): void {
    this.x.raw.depositFund(this.fundOf(marketId), toI64(amount, this.x.quoteDecimals, 'amountQuote'));
  }

  /** The fund id `marketId` pays into (0, the global fund, when omitted); the id must be a known market's. */
  private fundOf(marketId: number | undefined): number {
    if (marketId === undefined) return 0;
    this.x.baseDecimals(marketId);
    return this.x.raw.view(Uint16Array, Column.MarketFund, marketId, 1)[0]!;
  }

  /** Returns the pending deficit records and clears them. */
  takeDeficits(): DeficitRecord[] {
    const out = deficitRecords(this.x.raw);
    this.x.raw.clearDeficits();
    return out;
  }
}
