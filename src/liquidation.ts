/**
 * Liquidation: the policy object, its presets and encoding, and the shapes of prices, plans, logs,
 * deficits and cascade reports. The formulas are normative in docs/FORMULAS.md ("Liquidation").
 */
import { describeValue, inputError } from './errors.js';
import { ownCode, ownKeysOnly, toCount, toI64, toRecord } from './atoms.js';
import type { AtomsInput } from './types.js';
import type { AllocateOptions, AllocationReport } from './waterfall.js';
import { Column, type Raw } from './raw.js';

/** "No such price": the condition holds at no price in 1..2^62. */
export const PRICE_NEVER = 0n;
/** "No such price": the condition holds at every price in 1..2^62. */
export const PRICE_ALWAYS = -1n;
/** "No price": the group's figures leave i64 (check() refuses it with Overflow), so the formulas define none. */
export const PRICE_UNDEFINED = -2n;
/** Isolated id of a cross row, and market id of a settlement row, in views. */
export const NO_ISOLATED = 0xffffffff;
export const NO_MARKET = 0xffff;

/**
 * How a round of liquidations is planned. Every knob has a default; amounts are quote atoms (or
 * decimal strings in quote units), fractions parts per million.
 */
export interface LiquidationPolicy {
  /** `full`: close each planned position up to its per-round cap. `partial` (default): the smallest close that restores the target. */
  close?: 'full' | 'partial';
  /** What a partial close restores: maintenance margin (default) or initial margin, times 1 + bufferPpm. */
  target?: 'maintenance' | 'initial';
  bufferPpm?: number;
  /** A close below this notional closes the whole position; so does a remainder below it. Default 0. */
  minCloseNotionalQuote?: AtomsInput;
  /** Largest fraction of a position closed per round (dYdX 100,000, Hyperliquid 200,000). Default 10^6. */
  maxCloseFractionPpm?: number;
  /** The fraction cap applies to positions whose notional is above this (Hyperliquid: 100,000 USD). Default 0. */
  fractionAboveNotionalQuote?: AtomsInput;
  /** Per group and round: notional closed (dYdX 100,000 USD) and deficit created (1,000,000 USD); 0 = no cap. */
  maxNotionalPerRoundQuote?: AtomsInput;
  maxDeficitPerRoundQuote?: AtomsInput;
  /** Order of positions within an account: largest maintenance margin first (default), largest notional, or book order. */
  order?: 'maintenance' | 'notional' | 'book';
  /** Liquidation fee, ppm of closed notional at the execution price, and the liquidator's share of it. */
  liquidationFeePpm?: number;
  liquidatorSharePpm?: number;
  /** Groups with equity below backstopPpm/10^6 of MM go whole to the backstop account (Hyperliquid: 666,667). 0 = off. */
  backstopPpm?: number;
  backstopAccountId?: number;
}

/** Policies modelled on real venues (mechanisms in the README). Amounts in quote units. A name finds own entries only. */
export const LIQUIDATION_PRESETS = ownKeysOnly({
  /** dYdX v4: 10 % of a position per round (at least 50 USD), 100k USD notional and 1M USD deficit per account and round, 1.5 % fee to the fund. */
  dydx: {
    close: 'full', maxCloseFractionPpm: 100_000, minCloseNotionalQuote: '50', maxNotionalPerRoundQuote: '100000',
    maxDeficitPerRoundQuote: '1000000', liquidationFeePpm: 15_000, liquidatorSharePpm: 0,
  },
  /** Hyperliquid: market close of whole positions, 20 % at a time above 100k USD notional; pass a backstop account to enable the 2/3 MM backstop. */
  hyperliquid: {
    close: 'full', maxCloseFractionPpm: 200_000, fractionAboveNotionalQuote: '100000', liquidationFeePpm: 0,
  },
} as const satisfies Record<string, LiquidationPolicy>);

export type LiquidationKind = 'close' | 'transfer' | 'settle';
export const KIND_NAMES: readonly LiquidationKind[] = ['close', 'transfer', 'settle'];

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
   * and default fund + residue + covered (docs/WATERFALL.md, "Conservation").
   */
  totalQuote: bigint;
  operatorAndDefaultFundQuote: bigint;
  residueQuote: bigint;
  /** All deficits ever covered by the waterfall. */
  coveredQuote: bigint;
}

export interface CascadeRound extends ExecutionSummary {
  round: number;
  /** Liquidatable or bankrupt groups at the start of the round. */
  liquidatable: { accounts: number; isolated: number };
}

export interface CascadeOptions {
  /** Most rounds (default 16). */
  maxRounds?: number;
  /**
   * Receives each round's deficit records (copies), which are then cleared: the hook for a loss
   * waterfall of your own. Without it they stay pending in `deficits()`. It runs after its round
   * executed and may not call into the engine (EngineError Reentrant); if it throws, the cascade
   * stops with that error and the round's records stay pending.
   */
  onDeficits?: (records: { accountId: Uint32Array; marketId: Uint16Array; amountQuote: BigInt64Array }) => void;
  /** Run each round's deficit records through the waterfall set with `setWaterfall` (and its options). */
  allocate?: boolean | AllocateOptions;
}

export interface CascadeReport {
  rounds: CascadeRound[];
  totals: ExecutionSummary;
  /** Still liquidatable or bankrupt after the last round. */
  remaining: { accounts: number; isolated: number };
  /** With `allocate`: each round's loss allocation. */
  allocations: AllocationReport[];
}

// ---------------------------------------------------------------------------------------------
// Encoding: the policy record of the core (assembly/engine/liquidation.ts, POLICY_RECORD).

/** Byte offsets of the policy record. */
export const PolicyField = {
  close: 0, target: 4, bufferPpm: 8, maxFractionPpm: 12, order: 16, feePpm: 20, sharePpm: 24,
  backstopPpm: 28, backstopAccount: 32, minCloseNotional: 40, fractionAbove: 48, maxNotional: 56, maxDeficit: 64,
} as const;
export const POLICY_RECORD = 72;

const CLOSE = { full: 0, partial: 1 } as const;
const TARGET = { maintenance: 0, initial: 1 } as const;
const ORDER = { maintenance: 0, notional: 1, book: 2 } as const;

/** A policy name's code: absent (undefined) is the default; anything but one of the table's own keys is refused. */
function choice<T extends Record<string, number>>(table: T, value: unknown, fallback: keyof T & string, field: string): number {
  const code = ownCode(table, value === undefined ? fallback : value);
  if (code === undefined) throw inputError('InvalidPolicy', field, -1, `unknown ${field} ${describeValue(value)}; one of ${Object.keys(table).join(', ')}`);
  return code;
}

/**
 * A policy (defaults filled in) as the bytes of the core's policy record; every knob is read once.
 * Refused here: a policy that is not an object, unknown names, counts and amounts that are not
 * integers of their field's size. The core checks the ranges when the record is set or checked.
 */
export function policyBytes(policy: LiquidationPolicy, quoteDecimals: number): Uint8Array {
  const bytes = new Uint8Array(POLICY_RECORD);
  encodePolicy(policy, new DataView(bytes.buffer), quoteDecimals);
  return bytes;
}

/** Writes a policy (defaults filled in) into a policy record; the core validates ranges. */
export function encodePolicy(policy: LiquidationPolicy, record: DataView, quoteDecimals: number): void {
  const p = toRecord(policy, 'policy', 'InvalidPolicy');
  record.setUint32(PolicyField.close, choice(CLOSE, p.close, 'partial', 'close'), true);
  record.setUint32(PolicyField.target, choice(TARGET, p.target, 'maintenance', 'target'), true);
  record.setUint32(PolicyField.order, choice(ORDER, p.order, 'maintenance', 'order'), true);
  // Absent (undefined) knobs take their defaults; null or any other non-number is refused.
  const count = (v: unknown, fallback: number, field: string) => (v === undefined ? fallback : toCount(v, field));
  const amount = (v: AtomsInput | undefined, field: string) => (v === undefined ? 0n : toI64(v, quoteDecimals, field));
  record.setUint32(PolicyField.bufferPpm, count(p.bufferPpm, 0, 'bufferPpm'), true);
  record.setUint32(PolicyField.maxFractionPpm, count(p.maxCloseFractionPpm, 1_000_000, 'maxCloseFractionPpm'), true);
  record.setUint32(PolicyField.feePpm, count(p.liquidationFeePpm, 0, 'liquidationFeePpm'), true);
  record.setUint32(PolicyField.sharePpm, count(p.liquidatorSharePpm, 0, 'liquidatorSharePpm'), true);
  record.setUint32(PolicyField.backstopPpm, count(p.backstopPpm, 0, 'backstopPpm'), true);
  record.setUint32(PolicyField.backstopAccount, count(p.backstopAccountId, NO_ISOLATED, 'backstopAccountId'), true);
  record.setBigInt64(PolicyField.minCloseNotional, amount(p.minCloseNotionalQuote, 'minCloseNotionalQuote'), true);
  record.setBigInt64(PolicyField.fractionAbove, amount(p.fractionAboveNotionalQuote, 'fractionAboveNotionalQuote'), true);
  record.setBigInt64(PolicyField.maxNotional, amount(p.maxNotionalPerRoundQuote, 'maxNotionalPerRoundQuote'), true);
  record.setBigInt64(PolicyField.maxDeficit, amount(p.maxDeficitPerRoundQuote, 'maxDeficitPerRoundQuote'), true);
}

// ---------------------------------------------------------------------------------------------
// Reading the core's liquidation columns and records.


/**
 * The caller's copy of the plan (the Plan columns): editable in place, sizes and prices only; the
 * core checks every row against its own plan (the log columns) when the plan is executed.
 */
export function planView(raw: Raw, rows: number): LiquidationPlanView {
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
  const i64 = (c: Column): BigInt64Array => raw.view(BigInt64Array, c, 0, rows).slice();
  return {
    accountId: raw.view(Uint32Array, Column.LogAccount, 0, rows).slice(),
    marketId: raw.view(Uint16Array, Column.LogMarket, 0, rows).slice(),
    isolatedId: raw.view(Uint32Array, Column.LogIso, 0, rows).slice(),
    kind: raw.view(Uint8Array, Column.LogKind, 0, rows).slice(),
    sizeBase: i64(Column.LogSize), priceQuote: i64(Column.LogPrice),
    realizedPnlQuote: i64(Column.LogRealized), fundingQuote: i64(Column.LogFunding),
    liquidatorFeeQuote: i64(Column.LogLiqFee), fundFeeQuote: i64(Column.LogFundFee),
    surplusQuote: i64(Column.LogSurplus), deficitQuote: i64(Column.LogDeficit), transferQuote: i64(Column.LogTransfer),
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

/** Bytes from an execution total's low word (i64 at 8k) to its high word: the amounts are 128-bit sums. */
const EXEC_HI = 104;

export function executionSummary(raw: Raw): ExecutionSummary {
  const r = raw.record(raw.exports.execRecordPtr(), 2 * EXEC_HI);
  const at = (k: number): bigint => r.getBigInt64(k * 8, true);
  const total = (k: number): bigint => (r.getBigInt64(EXEC_HI + k * 8, true) << 64n) + r.getBigUint64(k * 8, true);
  return {
    rows: Number(at(0)), closes: Number(at(1)), transfers: Number(at(2)), settlements: Number(at(3)), groups: Number(at(4)),
    closedNotionalQuote: total(5), realizedPnlQuote: total(6), fundingQuote: total(7), liquidatorFeeQuote: total(8),
    fundFeeQuote: total(9), surplusQuote: total(10), deficitQuote: total(11), transferQuote: total(12),
  };
}

/** A signed 128-bit value stored as (lo u64, hi i64). */
export function i128(r: DataView, offset: number): bigint {
  return (r.getBigInt64(offset + 8, true) << 64n) + r.getBigUint64(offset, true);
}

export function readLedger(raw: Raw): Ledger {
  raw.exports.ledgerSum();
  const r = raw.record(raw.exports.ledgerRecordPtr(), 144);
  return {
    collateralQuote: i128(r, 0), fundsQuote: i128(r, 16), liquidatorFeesQuote: i128(r, 32),
    flowQuote: i128(r, 48), deficitsQuote: i128(r, 64), totalQuote: i128(r, 80),
    operatorAndDefaultFundQuote: i128(r, 96), residueQuote: i128(r, 112), coveredQuote: i128(r, 128),
  };
}

/** The pending deficit records, copied (the waterfall reads the core's records, never these). */
export function deficitsView(raw: Raw): { accountId: Uint32Array; marketId: Uint16Array; amountQuote: BigInt64Array } {
  const n = raw.record(raw.exports.liqRecordPtr(), 4).getUint32(0, true);
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

export function pricesView(raw: Raw): PositionPricesView {
  const r = raw.record(raw.exports.pricesRecordPtr(), 8);
  const rows = r.getUint32(0, true);
  return {
    accountId: raw.view(Uint32Array, Column.PriceAccount, 0, rows),
    marketId: raw.view(Uint16Array, Column.PriceMarket, 0, rows),
    isolatedId: raw.view(Uint32Array, Column.PriceIso, 0, rows),
    sizeBase: raw.view(BigInt64Array, Column.PriceSize, 0, rows),
    liquidationPriceQuote: raw.view(BigInt64Array, Column.PriceLiq, 0, rows),
    bankruptcyPriceQuote: raw.view(BigInt64Array, Column.PriceBank, 0, rows),
    nextAccountId: r.getUint32(4, true),
  };
}

/** CascadeOptions checked, with `allocate` as the options of each round's run (null: no run). */
export interface CheckedCascadeOptions {
  maxRounds: number;
  onDeficits: CascadeOptions['onDeficits'] | null;
  allocate: AllocateOptions | null;
}

/**
 * Checks the cascade's options (every one, before the cascade starts): `maxRounds` a count,
 * `onDeficits` a function, `allocate` true, false or an options object. Absent means the default;
 * anything else is an InputError naming the option. `allocate`'s time is checked by the engine.
 */
export function cascadeOptions(options: CascadeOptions): CheckedCascadeOptions {
  const o = toRecord(options, 'options');
  const maxRounds = o.maxRounds === undefined ? 16 : toCount(o.maxRounds, 'maxRounds');
  const onDeficits: unknown = o.onDeficits;
  if (onDeficits !== undefined && typeof onDeficits !== 'function') throw inputError('OutOfRange', 'onDeficits', -1, 'expected a function');
  const allocate: unknown = o.allocate;
  if (allocate !== undefined && typeof allocate !== 'boolean') toRecord(allocate, 'allocate');
  return {
    maxRounds,
    onDeficits: (onDeficits as CascadeOptions['onDeficits']) ?? null,
    allocate: allocate === undefined || allocate === false ? null : allocate === true ? {} : (allocate as AllocateOptions),
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
