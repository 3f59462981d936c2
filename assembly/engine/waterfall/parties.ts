/**
 * The parties of the waterfall besides accounts and insurance funds: the backstop vault's liquidity
 * providers (shares at net asset value), clearing members' default-fund contributions, the
 * operator's capital layers. Their records are stored with the funds (engine/funds.ts BALANCES,
 * MEMBERS, PROVIDERS); this file moves them.
 *
 * The vault is an ordinary account of the book whose collateral and positions belong to providers
 * through shares; its net asset value is its equity at the current marks. Deposits and withdrawals,
 * with the vault's terms (lock-up, profit share, slippage), are the economics' (economics/vault.ts).
 *
 * Balances (collateral, contributions, commitments, operator capital, shares) stay within 0 ..= 2^62
 * (collateral: -2^62 ..= 2^62): a call that would take one past it is refused with Overflow, the
 * sum checked with `addAmount`, which also sees a sum that leaves i64.
 */
import { addAmount, addOverflowBits, AMOUNT_LIMIT, OVERFLOWED } from '../../math/fixed';
import { Column, i64At } from '../../abi/layout';
import { Field, Status } from '../../abi/status';
import { BalancesRecord, MAX_MEMBERS, MemberRecord, ProviderRecord } from '../../abi/records';
import { accountCount, fail, NONE } from '../state';
import { BALANCES, memberCount, memberPtr, PROVIDERS, operatorLayerPtr } from '../funds';
import { checkAccount } from '../book/book';
import { evaluateCross } from '../margin/check';
import { SUMS } from '../book/position';

// ---- Vault ------------------------------------------------------------------------------------

export function backstopVaultAccount(): u32 { return load<u32>(BALANCES, BalancesRecord.vaultAccount); }
export function totalShares(): i64 { return load<i64>(BALANCES, BalancesRecord.totalShares); }
export function providerCount(): u32 { return load<u32>(BALANCES, BalancesRecord.providers); }
/** Provider record i (ProviderRecord). */
// @ts-ignore: decorator
@inline export function providerPtr(i: u32): usize { return PROVIDERS + <usize>i * ProviderRecord.BYTES; }
// @ts-ignore: decorator
@inline export function providerAccount(i: u32): u32 { return load<u32>(providerPtr(i), ProviderRecord.account); }
// @ts-ignore: decorator
@inline export function providerShares(i: u32): i64 { return load<i64>(providerPtr(i), ProviderRecord.shares); }

/** Names the vault account. Refused once shares exist (they are claims on this account). */
export function setVaultAccount(a: u32): i32 {
  const st = checkAccount(a, -1);
  if (st != Status.Ok) return st;
  if (totalShares() != 0 && a != backstopVaultAccount()) return fail(Status.InvalidWaterfall, Field.AccountId, -1);
  store<u32>(BALANCES, a, BalancesRecord.vaultAccount);
  return Status.Ok;
}

/** The vault's net asset value: its cross equity (OVERFLOWED on overflow). */
export function vaultNav(): i64 {
  const v = backstopVaultAccount();
  if (v == NONE) return 0;
  if (!evaluateCross(v, load<i64>(i64At(Column.AccCollateral, v)))) return OVERFLOWED;
  return SUMS.equityQuote;
}

/** The provider record of account a, or NONE. */
export function providerIndex(a: u32): u32 {
  const n = providerCount();
  for (let i: u32 = 0; i < n; i++) if (providerAccount(i) == a) return i;
  return NONE;
}

// ---- Clearing members and operator capital --------------------------------------------------


export function memberIndex(a: u32): u32 {
  const n = memberCount();
  for (let i: u32 = 0; i < n; i++) if (load<u32>(memberPtr(i), MemberRecord.account) == a) return i;
  return NONE;
}

/** Adds `amount` (from outside the book) to account a's default-fund contribution and commitment. */
export function addContribution(a: u32, amount: i64): i32 {
  if (a >= accountCount) return fail(Status.UnknownAccount, Field.AccountId, -1);
  if (amount <= 0 || amount > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  let i = memberIndex(a);
  if (i == NONE) {
    i = memberCount();
    if (i == MAX_MEMBERS) return fail(Status.CapacityExceeded, Field.Capacity, -1);
    memory.fill(memberPtr(i), 0, MemberRecord.BYTES);
    store<u32>(memberPtr(i), a, MemberRecord.account);
    store<u32>(BALANCES, i + 1, BalancesRecord.members);
  }
  const p = memberPtr(i);
  const fund = addAmount(load<i64>(p, MemberRecord.fund), amount), committed = addAmount(load<i64>(p, MemberRecord.committed), amount);
  if (fund == OVERFLOWED || committed == OVERFLOWED) return fail(Status.Overflow, Field.AmountQuote, -1);
  store<i64>(p, fund, MemberRecord.fund);
  store<i64>(p, committed, MemberRecord.committed);
  return Status.Ok;
}

/** Starts a new assessment period: every member's assessed total goes back to 0. */
export function resetAssessments(): void {
  const n = memberCount();
  for (let i: u32 = 0; i < n; i++) store<i64>(memberPtr(i), 0, MemberRecord.assessed);
}

/** Adds `amount` (from outside the book) to the operator's capital layer 1 or 2. */
export function addOperatorCapital(layer: u32, amount: i64): i32 {
  if (layer < 1 || layer > 2) return fail(Status.OutOfRange, Field.FundId, -1);
  if (amount <= 0 || amount > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  const p = operatorLayerPtr(layer);
  const after = addAmount(load<i64>(p), amount);
  if (after == OVERFLOWED) return fail(Status.Overflow, Field.AmountQuote, -1);
  store<i64>(p, after);
  return Status.Ok;
}

/** Sum of default-fund contributions, OVERFLOWED past i64 (1,024 members of up to 2^62 each can pass it). */
export function defaultFundSum(): i64 {
  let s: i64 = 0, bits: i64 = 0;
  const n = memberCount();
  for (let i: u32 = 0; i < n; i++) {
    const f = load<i64>(memberPtr(i), MemberRecord.fund), t = s + f;
    bits |= addOverflowBits(s, f, t);
    s = t;
  }
  return bits < 0 ? OVERFLOWED : s;
}

