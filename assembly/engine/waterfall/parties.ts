/**
 * The parties of the waterfall besides accounts and insurance funds: the backstop vault's liquidity
 * providers (shares at net asset value), clearing members' default-fund contributions, the
 * operator's capital layers. Their records are stored with the funds (engine/funds.ts BALANCES,
 * MEMBERS, PROVIDERS); this file moves them.
 *
 * The vault is an ordinary account of the book whose collateral and positions belong to providers
 * through shares; its net asset value is its equity at the current marks. A deposit moves collateral
 * from the provider's account to the vault's and mints `amount * shares / NAV` (rounded down; the
 * first deposit mints one share per atom); a withdrawal burns shares for `shares * NAV / total`
 * (rounded down), paid out of the vault's free collateral. Money stays inside the book either way.
 *
 * Balances (collateral, contributions, commitments, operator capital, shares) stay within 0 ..= 2^62
 * (collateral: -2^62 ..= 2^62): a call that would take one past it is refused with Overflow, the
 * sum checked with `addAmount`, which also sees a sum that leaves i64.
 */
import { addAmount, addOverflowBits, AMOUNT_LIMIT, mulDivRounded, OVERFLOWED, SHARE_LIMIT } from '../../math/fixed';
import { Column, i64At } from '../../abi/layout';
import { Field, Status } from '../../abi/status';
import { BalancesRecord, MAX_MEMBERS, MAX_PROVIDERS, MemberRecord, ProviderRecord } from '../../abi/records';
import { accountCount, changed, fail, NONE, SCRATCH } from '../state';
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
@inline function providerPtr(i: u32): usize { return PROVIDERS + <usize>i * ProviderRecord.BYTES; }
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

function providerIndex(a: u32): u32 {
  const n = providerCount();
  for (let i: u32 = 0; i < n; i++) if (providerAccount(i) == a) return i;
  return NONE;
}

/** Moves `amount` from account a's collateral into the vault and mints shares (their number in SCRATCH). */
export function vaultDeposit(a: u32, amount: i64): i32 {
  const v = backstopVaultAccount();
  if (v == NONE) return fail(Status.InvalidWaterfall, Field.BackstopAccountId, -1);
  let st = checkAccount(a, -1);
  if (st != Status.Ok) return st;
  if (a == v) return fail(Status.InvalidWaterfall, Field.AccountId, -1);
  if (amount <= 0 || amount > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  const collA = i64At(Column.AccCollateral, a), collV = i64At(Column.AccCollateral, v);
  const aAfter = addAmount(load<i64>(collA), -amount), vAfter = addAmount(load<i64>(collV), amount);
  if (aAfter == OVERFLOWED || vAfter == OVERFLOWED) return fail(Status.Overflow, Field.CollateralQuote, -1);
  // The provider must stay above initial margin, as for a withdrawal.
  if (!evaluateCross(a, aAfter)) return fail(Status.Overflow, Field.AccountId, <i32>a);
  if (SUMS.equityQuote < SUMS.imQuote) return fail(Status.BelowInitialMargin, Field.AmountQuote, -1);
  const total = totalShares();
  let minted: i64;
  if (total == 0) minted = amount;
  else {
    const nav = vaultNav();
    if (nav == OVERFLOWED || nav <= 0) return fail(Status.InvalidWaterfall, Field.AmountQuote, -1);
    minted = mulDivRounded(amount, total, nav, false, SCRATCH, SHARE_LIMIT);
    if (minted == OVERFLOWED || addAmount(total, minted) == OVERFLOWED) return fail(Status.Overflow, Field.AmountQuote, -1);
  }
  if (minted <= 0) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  let i = providerIndex(a);
  if (i == NONE) {
    i = providerCount();
    if (i == MAX_PROVIDERS) return fail(Status.CapacityExceeded, Field.Capacity, -1);
    store<u32>(providerPtr(i), a, ProviderRecord.account);
    store<i64>(providerPtr(i), 0, ProviderRecord.shares);
    store<u32>(BALANCES, i + 1, BalancesRecord.providers);
  }
  store<i64>(collA, aAfter);
  store<i64>(collV, vAfter);
  store<i64>(providerPtr(i), providerShares(i) + minted, ProviderRecord.shares); // at most the total
  store<i64>(BALANCES, total + minted, BalancesRecord.totalShares);
  store<i64>(SCRATCH, minted);
  return changed();
}

/** Burns `shares` of account a for floor(shares * NAV / total) out of the vault's free collateral; the amount in SCRATCH. */
export function vaultWithdraw(a: u32, shares: i64): i32 {
  const v = backstopVaultAccount();
  if (v == NONE) return fail(Status.InvalidWaterfall, Field.BackstopAccountId, -1);
  const st = checkAccount(a, -1);
  if (st != Status.Ok) return st;
  const i = providerIndex(a);
  if (i == NONE || shares <= 0 || shares > providerShares(i)) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  const nav = vaultNav();
  if (nav == OVERFLOWED) return fail(Status.Overflow, Field.AccountId, <i32>v);
  // shares <= total: the amount is at most the NAV (an i64), 2^62 itself included.
  const amount = nav <= 0 ? 0 : mulDivRounded(shares, nav, totalShares(), false, SCRATCH, SHARE_LIMIT);
  if (amount == OVERFLOWED) return fail(Status.Overflow, Field.AmountQuote, -1);
  const collV = i64At(Column.AccCollateral, v), collA = i64At(Column.AccCollateral, a);
  const vAfter = addAmount(load<i64>(collV), -amount), aAfter = addAmount(load<i64>(collA), amount);
  if (vAfter == OVERFLOWED || aAfter == OVERFLOWED) return fail(Status.Overflow, Field.CollateralQuote, -1);
  if (amount > 0) {
    if (!evaluateCross(v, vAfter)) return fail(Status.Overflow, Field.AccountId, <i32>v);
    if (SUMS.equityQuote < SUMS.imQuote) return fail(Status.BelowInitialMargin, Field.AmountQuote, -1);
  }
  store<i64>(collV, vAfter);
  store<i64>(collA, aAfter);
  store<i64>(providerPtr(i), providerShares(i) - shares, ProviderRecord.shares);
  store<i64>(BALANCES, totalShares() - shares, BalancesRecord.totalShares);
  store<i64>(SCRATCH, amount);
  return changed();
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

