/**
 * The money outside accounts, shared by liquidation and the waterfall (both import this file; it
 * imports neither): the insurance funds, the pending deficit records' count, the waterfall's
 * balances record with the clearing members' and the vault providers' records (stored here, moved by
 * waterfall/parties.ts), and the conservation ledger over all of it (docs/FORMULAS.md, "Execution and
 * conservation"; LedgerRecord, records.ts).
 *
 * Conservation: L = collateral (cross and isolated) + funds + liquidator fees + (funding - realized
 * over executed rows) - deficits recorded + operator capital and default fund + residue + covered
 * is unchanged by every execution and every waterfall run; the debug build recomputes L around both
 * and aborts if it moved.
 */
import { addAmount, AMOUNT_LIMIT, OVERFLOWED } from '../math/fixed';
import { addWide } from '../math/wide';
import { Column, i64At, u8At, u16At } from '../abi/layout';
import { Field, Status } from '../abi/status';
import { BalancesRecord, I128_HI, LedgerRecord, LiqRecord, MAX_MEMBERS, MAX_PROVIDERS, MemberRecord, ProviderRecord } from '../abi/records';
import { accountCount, fail, isolatedTop, LIQ_RECORD, marketCount, NONE, setPlanRehearsed } from './state';

/** What the waterfall keeps besides accounts and funds (BalancesRecord). */
export const BALANCES: usize = memory.data(BalancesRecord.BYTES, 8);
export const MEMBERS: usize = memory.data(<i32>(MAX_MEMBERS * MemberRecord.BYTES), 8);
export const PROVIDERS: usize = memory.data(<i32>(MAX_PROVIDERS * ProviderRecord.BYTES), 8);

/** Empties the balances at creation: no vault, no members, the deposit index at 10^18 (1). */
export function initFunds(): void {
  memory.fill(BALANCES, 0, BalancesRecord.BYTES);
  store<i64>(BALANCES, 1_000_000_000_000_000_000, BalancesRecord.depositIndexE18);
  store<u32>(BALANCES, NONE, BalancesRecord.vaultAccount);
}

/** The operator's capital layer 1 or 2 (BalancesRecord operatorLayer1 / operatorLayer2, 8 bytes apart). */
// @ts-ignore: decorator
@inline export function operatorLayerPtr(layer: u32): usize {
  return BALANCES + BalancesRecord.operatorLayer1 + (<usize>(layer - 1) << 3);
}

export function memberCount(): u32 { return load<u32>(BALANCES, BalancesRecord.members); }
// @ts-ignore: decorator
@inline export function memberPtr(i: u32): usize { return MEMBERS + <usize>i * MemberRecord.BYTES; }

/** Adds every default-fund contribution to the 128-bit sum at p (the ledger: exact at any total). */
function addDefaultFund(p: usize): void {
  const n = memberCount();
  for (let i: u32 = 0; i < n; i++) addWide(p, load<i64>(memberPtr(i), MemberRecord.fund));
}

/** The ledger's components (LedgerRecord), each a 128-bit pair. */
export const LEDGER_RECORD: usize = memory.data(LedgerRecord.BYTES, 8);

/** The fund a market pays into: 0 (global), 1 + market (its own) or 1 + its pool's first market. */
// @ts-ignore: decorator
@inline export function fundOf(market: u32): u32 { return load<u16>(u16At(Column.MarketFund, market)); }

/** Adds to a fund: fund 0 (global) or 1 + market. Errors: unknown fund, amount not in 1..2^62, balance past 2^62. */
export function depositFund(fund: u32, amount: i64): i32 {
  if (fund > marketCount) return fail(Status.UnknownMarket, Field.FundId, -1);
  if (amount <= 0 || amount > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  const after = addAmount(load<i64>(i64At(Column.FundBalance, fund)), amount);
  if (after == OVERFLOWED) return fail(Status.Overflow, Field.AmountQuote, -1);
  store<i64>(i64At(Column.FundBalance, fund), after);
  setPlanRehearsed(false); // a waiting plan's fund fees were checked against the old balance
  return Status.Ok;
}

/** Drops the pending deficit records (the caller has taken them). */
export function clearDeficits(): void { store<u32>(LIQ_RECORD, 0, LiqRecord.deficits); }

/** Computes the ledger into LEDGER_RECORD. */
export function ledgerSum(): void {
  memory.fill(LEDGER_RECORD, 0, LedgerRecord.BYTES);
  for (let a: u32 = 0; a < accountCount; a++) addWide(LEDGER_RECORD + LedgerRecord.collateral, load<i64>(i64At(Column.AccCollateral, a)));
  for (let r: u32 = 0; r < isolatedTop; r++) {
    if (load<u8>(u8At(Column.IsoFlags, r)) != 0) addWide(LEDGER_RECORD + LedgerRecord.collateral, load<i64>(i64At(Column.IsoCollateral, r)));
  }
  for (let f: u32 = 0; f <= marketCount; f++) addWide(LEDGER_RECORD + LedgerRecord.funds, load<i64>(i64At(Column.FundBalance, f)));
  memory.copy(LEDGER_RECORD + LedgerRecord.liquidatorFees, LIQ_RECORD + LiqRecord.liquidatorFees, 16);
  memory.copy(LEDGER_RECORD + LedgerRecord.flow, LIQ_RECORD + LiqRecord.flow, 16);
  memory.copy(LEDGER_RECORD + LedgerRecord.deficits, LIQ_RECORD + LiqRecord.deficitsRecorded, 16);
  addWide(LEDGER_RECORD + LedgerRecord.operatorAndDefaultFund, load<i64>(BALANCES, BalancesRecord.operatorLayer1));
  addWide(LEDGER_RECORD + LedgerRecord.operatorAndDefaultFund, load<i64>(BALANCES, BalancesRecord.operatorLayer2));
  addDefaultFund(LEDGER_RECORD + LedgerRecord.operatorAndDefaultFund);
  memory.copy(LEDGER_RECORD + LedgerRecord.residue, BALANCES + BalancesRecord.residue, 16);
  memory.copy(LEDGER_RECORD + LedgerRecord.covered, BALANCES + BalancesRecord.covered, 16);
  // total = collateral + funds + fees + flow - deficits + operator/default fund + residue + covered
  let lo: u64 = 0, hi: i64 = 0;
  // The components are 16 bytes apart (LedgerRecord): every one but deficits (4) and total (5).
  for (let k = 0; k < 9; k++) {
    if (k == 4 || k == 5) continue;
    const l = load<u64>(LEDGER_RECORD + k * 16), s = lo + l;
    hi += load<i64>(LEDGER_RECORD + k * 16, I128_HI) + <i64>(s < lo);
    lo = s;
  }
  {
    const dl = load<u64>(LEDGER_RECORD + LedgerRecord.deficits), dh = load<i64>(LEDGER_RECORD + LedgerRecord.deficits + I128_HI);
    hi = hi - dh - <i64>(lo < dl);
    lo = lo - dl;
  }
  store<u64>(LEDGER_RECORD + LedgerRecord.total, lo);
  store<i64>(LEDGER_RECORD + LedgerRecord.total + I128_HI, hi);
}

