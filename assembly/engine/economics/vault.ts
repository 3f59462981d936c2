/**
 * The backstop vault's depositor terms (docs/ECONOMICS.md, "Vault depositors"): a lock-up from each
 * provider's last deposit, a profit share to the vault's operator on gains above the provider's
 * high-water mark, and a withdrawal slippage that stays in the vault. The vault itself (its account,
 * NAV and shares) is the waterfall's (waterfall/parties.ts).
 *
 * A deposit of `amount` moves collateral from the provider to the vault account, mints
 * floor(amount * total / NAV) shares (one per atom for the first), raises the provider's high-water
 * mark by `amount` and sets its last deposit second to max(last, now).
 *
 * A withdrawal of `shares` (refused with VaultLocked while now < last deposit + lock-up):
 *   value       = floor(shares * NAV / total)                 (0 when NAV <= 0)
 *   basis       = floor(hwm * shares / held)                  (all of hwm when every share goes)
 *   gain        = max(0, value - basis)
 *   profitShare = ceil(gain * profitSharePpm / 10^6)          vault -> operator's collateral
 *   slippage    = ceil((value - profitShare) * slippagePpm / 10^6)  stays in the vault
 *   paid        = value - profitShare - slippage              vault -> provider's collateral
 *   hwm        -= basis
 * The vault must stay at or above initial margin after paying paid + profitShare out of its
 * collateral. Money stays inside the book: the ledger's total does not move.
 */
import { addAmount, AMOUNT_LIMIT, mulDivRounded, OVERFLOWED, SHARE_LIMIT } from '../../math/fixed';
import { Column, i64At, u8At } from '../../abi/layout';
import { BalancesRecord, EconomicsRecord, MAX_PROVIDERS, ProviderRecord } from '../../abi/records';
import { Field, FlowKind, Status } from '../../abi/status';
import { accountCount, changed, clearError, fail, NONE, SCRATCH } from '../state';
import { addFlow, BALANCES, clearFlows, ECONOMICS, ledgerCheck, ledgerMark } from '../funds';
import { ACCOUNT_ACTIVE, checkAccount } from '../book/book';
import { SUMS } from '../book/position';
import { evaluateCross } from '../margin/check';
import { backstopVaultAccount, providerCount, providerIndex, providerPtr, providerShares, totalShares, vaultNav } from '../waterfall/parties';

const PPM: i64 = 1_000_000;
const NO_CODE: u32 = 255;
/** The longest lock-up: 366 days. */
export const MAX_LOCKUP_SEC: i64 = 366 * 86_400;
/** The largest withdrawal slippage: half of what is withdrawn. */
export const MAX_SLIPPAGE_PPM: u32 = 500_000;

// @ts-ignore: decorator
@inline function openAccount(a: u32): bool { return a < accountCount && load<u8>(u8At(Column.AccFlags, a)) == ACCOUNT_ACTIVE; }

/**
 * Sets the vault's terms: lock-up 0..366 days, profit share 0..10^6 ppm, slippage 0..500,000 ppm,
 * the operator account (NONE: none; else an open account other than the vault's, required when the
 * profit share is above 0). They apply to every provider from the next call on. Errors:
 * InvalidEconomics naming LockupSec, ProfitSharePpm, SlippagePpm or OperatorAccountId.
 */
export function setVaultTerms(lockupSec: i64, profitSharePpm: u32, slippagePpm: u32, operator: u32): i32 {
  clearError();
  if (lockupSec < 0 || lockupSec > MAX_LOCKUP_SEC) return fail(Status.InvalidEconomics, Field.LockupSec, -1);
  if (<i64>profitSharePpm > PPM) return fail(Status.InvalidEconomics, Field.ProfitSharePpm, -1);
  if (slippagePpm > MAX_SLIPPAGE_PPM) return fail(Status.InvalidEconomics, Field.SlippagePpm, -1);
  if (operator != NONE && (!openAccount(operator) || operator == backstopVaultAccount())) return fail(Status.InvalidEconomics, Field.OperatorAccountId, -1);
  if (profitSharePpm > 0 && operator == NONE) return fail(Status.InvalidEconomics, Field.OperatorAccountId, -1);
  store<i64>(ECONOMICS, lockupSec, EconomicsRecord.lockupSec);
  store<u32>(ECONOMICS, profitSharePpm, EconomicsRecord.profitSharePpm);
  store<u32>(ECONOMICS, slippagePpm, EconomicsRecord.slippagePpm);
  store<u32>(ECONOMICS, operator, EconomicsRecord.operatorAccount);
  return Status.Ok;
}

function answer(a0: i64, a1: i64, a2: i64): void {
  store<i64>(ECONOMICS, a0, EconomicsRecord.answer0);
  store<i64>(ECONOMICS, a1, EconomicsRecord.answer1);
  store<i64>(ECONOMICS, a2, EconomicsRecord.answer2);
}

/**
 * Moves `amount` from account a's collateral into the vault and mints shares (answer0 and SCRATCH:
 * their number). Errors: InvalidWaterfall (no vault; a is the vault), UnknownAccount / AccountClosed,
 * OutOfRange naming AmountQuote (not in 1..2^62, or minting no share) or NowSec (not in 0..2^62),
 * Overflow (a balance or the high-water mark past 2^62), BelowInitialMargin (the provider would
 * fall below initial margin), CapacityExceeded (a new provider past MAX_PROVIDERS).
 */
export function vaultDeposit(a: u32, amount: i64, nowSec: i64): i32 {
  clearError();
  clearFlows();
  const v = backstopVaultAccount();
  if (v == NONE) return fail(Status.InvalidWaterfall, Field.BackstopAccountId, -1);
  const st = checkAccount(a, -1);
  if (st != Status.Ok) return st;
  if (a == v) return fail(Status.InvalidWaterfall, Field.AccountId, -1);
  if (amount <= 0 || amount > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  if (nowSec < 0 || nowSec > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.NowSec, -1);
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
  const hwmQuote = i == NONE ? 0 : load<i64>(providerPtr(i), ProviderRecord.highWaterMark);
  const hwmAfterQuote = addAmount(hwmQuote, amount);
  if (hwmAfterQuote == OVERFLOWED) return fail(Status.Overflow, Field.AmountQuote, -1);
  if (i == NONE) {
    i = providerCount();
    if (i == MAX_PROVIDERS) return fail(Status.CapacityExceeded, Field.Capacity, -1);
    memory.fill(providerPtr(i), 0, ProviderRecord.BYTES);
    store<u32>(providerPtr(i), a, ProviderRecord.account);
    store<u32>(BALANCES, i + 1, BalancesRecord.providers);
  }
  ledgerMark();
  const p = providerPtr(i);
  store<i64>(collA, aAfter);
  store<i64>(collV, vAfter);
  store<i64>(p, providerShares(i) + minted, ProviderRecord.shares); // at most the total
  store<i64>(p, hwmAfterQuote, ProviderRecord.highWaterMark);
  if (nowSec > load<i64>(p, ProviderRecord.lastDepositSec)) store<i64>(p, nowSec, ProviderRecord.lastDepositSec);
  store<i64>(BALANCES, total + minted, BalancesRecord.totalShares);
  addFlow(FlowKind.VaultDeposit, NO_CODE, NO_CODE, a, NONE, amount, nowSec);
  ledgerCheck(0, 'conservation: a vault deposit moves money inside the venue');
  store<i64>(SCRATCH, minted);
  answer(minted, 0, 0);
  return changed();
}

/**
 * Burns `shares` of account a (module header): answer0 and SCRATCH the amount paid, answer1 the
 * profit share, answer2 the slippage. Errors: InvalidWaterfall (no vault), UnknownAccount /
 * AccountClosed, OutOfRange naming AmountQuote (not a provider, shares not in 1..held) or NowSec,
 * VaultLocked naming NowSec, AccountClosed naming OperatorAccountId (a profit share is due and the
 * operator's account is closed), InvalidEconomics naming OperatorAccountId (the operator became the
 * vault account), Overflow, BelowInitialMargin (the vault would fall below initial margin).
 */
export function vaultWithdraw(a: u32, shares: i64, nowSec: i64): i32 {
  clearError();
  clearFlows();
  const v = backstopVaultAccount();
  if (v == NONE) return fail(Status.InvalidWaterfall, Field.BackstopAccountId, -1);
  const st = checkAccount(a, -1);
  if (st != Status.Ok) return st;
  const i = providerIndex(a);
  if (i == NONE || shares <= 0 || shares > providerShares(i)) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  if (nowSec < 0 || nowSec > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.NowSec, -1);
  const p = providerPtr(i);
  // lastDepositSec and lockupSec are at most 2^62 and 366 days: the sum fits.
  if (nowSec < load<i64>(p, ProviderRecord.lastDepositSec) + load<i64>(ECONOMICS, EconomicsRecord.lockupSec)) return fail(Status.VaultLocked, Field.NowSec, -1);
  const nav = vaultNav();
  if (nav == OVERFLOWED) return fail(Status.Overflow, Field.AccountId, <i32>v);
  const held = providerShares(i), total = totalShares();
  // shares <= total: the value is at most the NAV (an i64), 2^62 itself included.
  const valueQuote = nav <= 0 ? 0 : mulDivRounded(shares, nav, total, false, SCRATCH, SHARE_LIMIT);
  if (valueQuote == OVERFLOWED) return fail(Status.Overflow, Field.AmountQuote, -1);
  // The withdrawn shares' part of the mark, rounded down: a larger gain, against the withdrawer (the
  // atom stays in the remaining mark, so the bases still sum to what was paid in). hwm <= 2^62 and
  // shares <= held: basis <= hwm. The profit share and slippage are owed by the withdrawer: rounded up.
  const hwmQuote = load<i64>(p, ProviderRecord.highWaterMark);
  const basisQuote = shares == held ? hwmQuote : mulDivRounded(hwmQuote, shares, held, false, SCRATCH, SHARE_LIMIT);
  const gainQuote = valueQuote > basisQuote ? valueQuote - basisQuote : 0;
  const profitShareQuote = gainQuote == 0 ? 0 : mulDivRounded(gainQuote, <i64>load<u32>(ECONOMICS, EconomicsRecord.profitSharePpm), PPM, true, SCRATCH, SHARE_LIMIT);
  const slippageQuote = mulDivRounded(valueQuote - profitShareQuote, <i64>load<u32>(ECONOMICS, EconomicsRecord.slippagePpm), PPM, true, SCRATCH, SHARE_LIMIT);
  const paidQuote = valueQuote - profitShareQuote - slippageQuote, outQuote = paidQuote + profitShareQuote;
  const op = load<u32>(ECONOMICS, EconomicsRecord.operatorAccount);
  if (profitShareQuote > 0) {
    if (!openAccount(op)) return fail(Status.AccountClosed, Field.OperatorAccountId, -1);
    if (op == v) return fail(Status.InvalidEconomics, Field.OperatorAccountId, -1);
  }
  const collV = i64At(Column.AccCollateral, v), collA = i64At(Column.AccCollateral, a);
  const vAfter = addAmount(load<i64>(collV), -outQuote);
  const aAfter = addAmount(load<i64>(collA), op == a ? paidQuote + profitShareQuote : paidQuote);
  if (vAfter == OVERFLOWED || aAfter == OVERFLOWED) return fail(Status.Overflow, Field.CollateralQuote, -1);
  const payOp = profitShareQuote > 0 && op != a, collO = payOp ? i64At(Column.AccCollateral, op) : collA;
  let opAfter: i64 = 0;
  if (payOp) {
    opAfter = addAmount(load<i64>(collO), profitShareQuote);
    if (opAfter == OVERFLOWED) return fail(Status.Overflow, Field.OperatorAccountId, -1);
  }
  if (outQuote > 0) {
    if (!evaluateCross(v, vAfter)) return fail(Status.Overflow, Field.AccountId, <i32>v);
    if (SUMS.equityQuote < SUMS.imQuote) return fail(Status.BelowInitialMargin, Field.AmountQuote, -1);
  }
  ledgerMark();
  store<i64>(collV, vAfter);
  store<i64>(collA, aAfter);
  if (payOp) store<i64>(collO, opAfter);
  store<i64>(p, held - shares, ProviderRecord.shares);
  store<i64>(p, hwmQuote - basisQuote, ProviderRecord.highWaterMark);
  store<i64>(BALANCES, total - shares, BalancesRecord.totalShares);
  if (paidQuote > 0) addFlow(FlowKind.VaultWithdrawal, NO_CODE, NO_CODE, a, NONE, paidQuote, nowSec);
  if (profitShareQuote > 0) addFlow(FlowKind.ProfitShare, NO_CODE, NO_CODE, op, NONE, profitShareQuote, nowSec);
  if (slippageQuote > 0) addFlow(FlowKind.Slippage, NO_CODE, NO_CODE, a, NONE, slippageQuote, nowSec);
  ledgerCheck(0, 'conservation: a vault withdrawal moves money inside the venue');
  store<i64>(SCRATCH, paidQuote);
  answer(paidQuote, profitShareQuote, slippageQuote);
  return changed();
}
