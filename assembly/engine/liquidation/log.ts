/**
 * The liquidation log's plan columns (docs/FORMULAS.md, "Planning a round"): planning writes a plan
 * row per close, transfer or settlement (account, market, isolated row, kind, size, price) with the
 * amounts it will move, execution completes the amount columns; the caller sees and may edit a copy
 * (the Plan columns). PLAN_RECORD counts the waiting plan's rows and groups.
 */
import { col, Column, i64At, u8At, u16At, u32At } from '../../abi/layout';
import { RowKind } from '../../abi/status';
import { PlanRecord } from '../../abi/records';

/** The waiting plan (PlanRecord): rows, groups, complete. */
export const PLAN_RECORD: usize = memory.data(PlanRecord.BYTES);

/** Plan row `row` of the log: who and what, the trade delta and the price. */
export function writePlanRow(row: u32, account: u32, market: u32, iso: u32, kind: RowKind, dBase: i64, priceQuote: i64): void {
  store<u32>(u32At(Column.LogAccount, row), account);
  store<u16>(u16At(Column.LogMarket, row), <u16>market);
  store<u32>(u32At(Column.LogIso, row), iso);
  store<u8>(u8At(Column.LogKind, row), <u8>kind);
  store<i64>(i64At(Column.LogSize, row), dBase);
  store<i64>(i64At(Column.LogPrice, row), priceQuote);
}

/**
 * Copies the plan's rows to the caller's plan columns (what planLiquidations().view shows): the
 * caller edits that copy; execution compares it with these rows (execute.ts executeCallerPlan).
 */
export function publishPlan(n: u32): void {
  const k = <usize>n;
  memory.copy(col(Column.PlanAccount), col(Column.LogAccount), k << 2);
  memory.copy(col(Column.PlanMarket), col(Column.LogMarket), k << 1);
  memory.copy(col(Column.PlanIso), col(Column.LogIso), k << 2);
  memory.copy(col(Column.PlanKind), col(Column.LogKind), k);
  memory.copy(col(Column.PlanSize), col(Column.LogSize), k << 3);
  memory.copy(col(Column.PlanPrice), col(Column.LogPrice), k << 3);
}

/** The amount columns of log row i. */
// @ts-ignore: decorator
@inline export function writeAmounts(i: u32, realizedQuote: i64, fundingQuote: i64, liqFeeQuote: i64, fundFeeQuote: i64, surplusQuote: i64, deficitQuote: i64, transferQuote: i64): void {
  store<i64>(i64At(Column.LogRealized, i), realizedQuote);
  store<i64>(i64At(Column.LogFunding, i), fundingQuote);
  store<i64>(i64At(Column.LogLiqFee, i), liqFeeQuote);
  store<i64>(i64At(Column.LogFundFee, i), fundFeeQuote);
  store<i64>(i64At(Column.LogSurplus, i), surplusQuote);
  store<i64>(i64At(Column.LogDeficit, i), deficitQuote);
  store<i64>(i64At(Column.LogTransfer, i), transferQuote);
}
