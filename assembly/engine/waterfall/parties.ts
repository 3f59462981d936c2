/**
 * The parties of the waterfall besides accounts and insurance funds: the backstop vault's liquidity
 * providers (shares at net asset value), clearing members' default-fund contributions, the
 * operator's capital layers; and the run-wide balances (residue, uncovered, covered).
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
import { addWide } from '../../math/wide';
import { col, Column } from '../../abi/layout';
import { Field, Status } from '../../abi/status';
import { MAX_MEMBERS, MAX_PROVIDERS } from '../../abi/records';
import { accountCount, changed, fail, NONE, SCRATCH } from '../state';
import { checkAccount } from '../book/book';
import { evaluateCross } from '../margin/check';
import { sumEquity, sumIm } from '../book/position';

const MEMBER_RECORD: u32 = 32; // account u32, pad, contribution F i64, committed K i64, assessed i64
const LP_RECORD: u32 = 16;     // account u32, pad, shares i64

/**
 * Balances: +0 residue, +16 uncovered, +32 unused, +48 covered (all-time), as signed
 * 128-bit (lo u64, hi i64); +64 operator capital layer 1, +72 layer 2, +80 deposit index (10^18 at
 * start), +88 total vault shares (i64); +96 vault account, +100 members, +104 providers (u32).
 */
export const BALANCES: usize = memory.data(112, 8);
export const MEMBERS: usize = memory.data(<i32>(MAX_MEMBERS * MEMBER_RECORD), 8);
export const PROVIDERS: usize = memory.data(<i32>(MAX_PROVIDERS * LP_RECORD), 8);

export function initParties(): void {
  memory.fill(BALANCES, 0, 112);
  store<i64>(BALANCES, 1_000_000_000_000_000_000, 80);
  store<u32>(BALANCES, NONE, 96);
}

// ---- Vault ------------------------------------------------------------------------------------

export function vaultAccount(): u32 { return load<u32>(BALANCES, 96); }
export function totalShares(): i64 { return load<i64>(BALANCES, 88); }
export function providerCount(): u32 { return load<u32>(BALANCES, 104); }
// @ts-ignore: decorator
@inline export function providerAccount(i: u32): u32 { return load<u32>(PROVIDERS + <usize>i * LP_RECORD); }
// @ts-ignore: decorator
@inline export function providerShares(i: u32): i64 { return load<i64>(PROVIDERS + <usize>i * LP_RECORD, 8); }

/** Names the vault account. Refused once shares exist (they are claims on this account). */
export function setVaultAccount(a: u32): i32 {
  const st = checkAccount(a, -1);
  if (st != Status.Ok) return st;
  if (totalShares() != 0 && a != vaultAccount()) return fail(Status.InvalidWaterfall, Field.AccountId, -1);
  store<u32>(BALANCES, a, 96);
  return Status.Ok;
}

/** The vault's net asset value: its cross equity (OVERFLOWED on overflow). */
export function vaultNav(): i64 {
  const v = vaultAccount();
  if (v == NONE) return 0;
  if (!evaluateCross(v, load<i64>(col(Column.AccCollateral) + (<usize>v << 3)))) return OVERFLOWED;
  return sumEquity;
}

function providerIndex(a: u32): u32 {
  const n = providerCount();
  for (let i: u32 = 0; i < n; i++) if (providerAccount(i) == a) return i;
  return NONE;
}

/** Moves `amount` from account a's collateral into the vault and mints shares (their number in SCRATCH). */
export function vaultDeposit(a: u32, amount: i64): i32 {
  const v = vaultAccount();
  if (v == NONE) return fail(Status.InvalidWaterfall, Field.BackstopAccountId, -1);
  let st = checkAccount(a, -1);
  if (st != Status.Ok) return st;
  if (a == v) return fail(Status.InvalidWaterfall, Field.AccountId, -1);
  if (amount <= 0 || amount > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  const collA = col(Column.AccCollateral) + (<usize>a << 3), collV = col(Column.AccCollateral) + (<usize>v << 3);
  const aAfter = addAmount(load<i64>(collA), -amount), vAfter = addAmount(load<i64>(collV), amount);
  if (aAfter == OVERFLOWED || vAfter == OVERFLOWED) return fail(Status.Overflow, Field.CollateralQuote, -1);
  // The provider must stay above initial margin, as for a withdrawal.
  if (!evaluateCross(a, aAfter)) return fail(Status.Overflow, Field.AccountId, <i32>a);
  if (sumEquity < sumIm) return fail(Status.BelowInitialMargin, Field.AmountQuote, -1);
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
    store<u32>(PROVIDERS + <usize>i * LP_RECORD, a);
    store<i64>(PROVIDERS + <usize>i * LP_RECORD, 0, 8);
    store<u32>(BALANCES, i + 1, 104);
  }
  store<i64>(collA, aAfter);
  store<i64>(collV, vAfter);
  store<i64>(PROVIDERS + <usize>i * LP_RECORD, providerShares(i) + minted, 8); // at most the total
  store<i64>(BALANCES, total + minted, 88);
  store<i64>(SCRATCH, minted);
  return changed();
}

/** Burns `shares` of account a for floor(shares * NAV / total) out of the vault's free collateral; the amount in SCRATCH. */
export function vaultWithdraw(a: u32, shares: i64): i32 {
  const v = vaultAccount();
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
  const collV = col(Column.AccCollateral) + (<usize>v << 3), collA = col(Column.AccCollateral) + (<usize>a << 3);
  const vAfter = addAmount(load<i64>(collV), -amount), aAfter = addAmount(load<i64>(collA), amount);
  if (vAfter == OVERFLOWED || aAfter == OVERFLOWED) return fail(Status.Overflow, Field.CollateralQuote, -1);
  if (amount > 0) {
    if (!evaluateCross(v, vAfter)) return fail(Status.Overflow, Field.AccountId, <i32>v);
    if (sumEquity < sumIm) return fail(Status.BelowInitialMargin, Field.AmountQuote, -1);
  }
  store<i64>(collV, vAfter);
  store<i64>(collA, aAfter);
  store<i64>(PROVIDERS + <usize>i * LP_RECORD, providerShares(i) - shares, 8);
  store<i64>(BALANCES, totalShares() - shares, 88);
  store<i64>(SCRATCH, amount);
  return changed();
}

// ---- Clearing members and operator capital --------------------------------------------------

export function memberCount(): u32 { return load<u32>(BALANCES, 100); }
// @ts-ignore: decorator
@inline export function memberPtr(i: u32): usize { return MEMBERS + <usize>i * MEMBER_RECORD; }

export function memberIndex(a: u32): u32 {
  const n = memberCount();
  for (let i: u32 = 0; i < n; i++) if (load<u32>(memberPtr(i)) == a) return i;
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
    memory.fill(memberPtr(i), 0, MEMBER_RECORD);
    store<u32>(memberPtr(i), a);
    store<u32>(BALANCES, i + 1, 100);
  }
  const p = memberPtr(i);
  const fund = addAmount(load<i64>(p, 8), amount), committed = addAmount(load<i64>(p, 16), amount);
  if (fund == OVERFLOWED || committed == OVERFLOWED) return fail(Status.Overflow, Field.AmountQuote, -1);
  store<i64>(p, fund, 8);
  store<i64>(p, committed, 16);
  return Status.Ok;
}

/** Starts a new assessment period: every member's assessed total goes back to 0. */
export function resetAssessments(): void {
  const n = memberCount();
  for (let i: u32 = 0; i < n; i++) store<i64>(memberPtr(i), 0, 24);
}

/** Adds `amount` (from outside the book) to the operator's capital layer 1 or 2. */
export function addOperatorCapital(layer: u32, amount: i64): i32 {
  if (layer < 1 || layer > 2) return fail(Status.OutOfRange, Field.FundId, -1);
  if (amount <= 0 || amount > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  const off = 56 + (layer << 3);
  const after = addAmount(load<i64>(BALANCES + off), amount);
  if (after == OVERFLOWED) return fail(Status.Overflow, Field.AmountQuote, -1);
  store<i64>(BALANCES + off, after);
  return Status.Ok;
}

/** Sum of default-fund contributions, OVERFLOWED past i64 (1,024 members of up to 2^62 each can pass it). */
export function defaultFundSum(): i64 {
  let s: i64 = 0, bits: i64 = 0;
  const n = memberCount();
  for (let i: u32 = 0; i < n; i++) {
    const f = load<i64>(memberPtr(i), 8), t = s + f;
    bits |= addOverflowBits(s, f, t);
    s = t;
  }
  return bits < 0 ? OVERFLOWED : s;
}

/** Adds every default-fund contribution to the 128-bit sum at p (the ledger: exact at any total). */
export function addDefaultFund(p: usize): void {
  const n = memberCount();
  for (let i: u32 = 0; i < n; i++) addWide(p, load<i64>(memberPtr(i), 8));
}
