/**
 * Insurance-fund staking (docs/ECONOMICS.md, "Insurance-fund staking"): accounts of the book own an
 * insurance fund (fund 0 the global one, 1 + market a market's own; its balance is Column.FundBalance)
 * through shares, beside the treasury's shares. FundStakeRecord per fund, StakerRecord per (account,
 * fund) in STAKERS.
 *
 *   stake:      n = floor(amount * total / balance) shares for `amount` of the account's cross
 *               collateral (n = amount for an empty fund without shares; the treasury first owns a
 *               balance nobody holds shares of: total = balance);
 *   request:    req shares and their value then, floor(balance * req / total);
 *   cancel:     a request whose shares gained forfeits req - floor(value * (total - req) / (balance - value));
 *   unstake:    after the cooldown, min(floor(balance * req / total), value at request) into the
 *               account's collateral, req shares burned: losses during the cooldown are the staker's,
 *               gains the other holders';
 *   settle:     once per period (aligned to multiples of it), t = floor(pool * fraction / 10^6), capped
 *               by the APR when stakers hold shares, from the stakers' revenue pool into the fund; the
 *               treasury's part floor(t * (10^6 - stakers' factor) / 10^6) is minted as its shares at
 *               the price before the settle.
 *
 * Every amount and share count stays within 0 ..= 2^62; a call that would take one past it is
 * refused with Overflow. Every call validates everything before it moves anything.
 */
import { addAmount, AMOUNT_LIMIT, mulDivRounded, OVERFLOWED, SHARE_LIMIT } from '../../math/fixed';
import { Column, i64At } from '../../abi/layout';
import { EconomicsRecord, FLOW_ROWS, FundStakeRecord, MAX_STAKERS, StakerRecord } from '../../abi/records';
import { Field, FlowKind, Status } from '../../abi/status';
import { changed, clearError, fail, marketCount, NONE, SCRATCH, setPlanRehearsed } from '../state';
import { addFlow, clearFlows, ECONOMICS, fundOf, fundStakePtr, ledgerCheck, ledgerMark, stakerPtr } from '../funds';
import { checkAccount } from '../book/book';
import { evaluateCross } from '../margin/check';
import { SUMS } from '../book/position';

const PPM: i64 = 1_000_000;
/** The longest settle period and cooldown: 366 days. */
const MAX_PERIOD_SEC: i64 = 366 * 86_400;
/** The largest max APR: 10^9 ppm (100,000 %). */
const MAX_APR_PPM: i64 = 1_000_000_000;
/** Seconds in a 365-day year (Drift's ONE_YEAR). */
const YEAR_SEC: i64 = 31_536_000;
const NO_CODE: u32 = 255;

// ---- Configuration ----------------------------------------------------------------------------

/**
 * Sets the staking parameters: settle period 0 (never settles) ..= 366 days, max APR 0 ..= 10^9 ppm,
 * stakers' factor 0 ..= 10^6 ppm, settle fraction 1 ..= 10^6 ppm, cooldown 0 ..= 366 days.
 * Errors: InvalidEconomics naming the first bad field.
 */
export function setStaking(settlePeriodSec: i64, maxAprPpm: i64, stakerFactorPpm: u32, settleFractionPpm: u32, cooldownSec: i64): i32 {
  clearError();
  clearFlows();
  if (settlePeriodSec < 0 || settlePeriodSec > MAX_PERIOD_SEC) return fail(Status.InvalidEconomics, Field.SettlePeriodSec, -1);
  if (maxAprPpm < 0 || maxAprPpm > MAX_APR_PPM) return fail(Status.InvalidEconomics, Field.MaxAprPpm, -1);
  if (<i64>stakerFactorPpm > PPM) return fail(Status.InvalidEconomics, Field.StakerFactorPpm, -1);
  if (settleFractionPpm == 0 || <i64>settleFractionPpm > PPM) return fail(Status.InvalidEconomics, Field.SettleFractionPpm, -1);
  if (cooldownSec < 0 || cooldownSec > MAX_PERIOD_SEC) return fail(Status.InvalidEconomics, Field.CooldownSec, -1);
  store<i64>(ECONOMICS, settlePeriodSec, EconomicsRecord.settlePeriodSec);
  store<i64>(ECONOMICS, maxAprPpm, EconomicsRecord.maxAprPpm);
  store<u32>(ECONOMICS, stakerFactorPpm, EconomicsRecord.stakerFactorPpm);
  store<u32>(ECONOMICS, settleFractionPpm, EconomicsRecord.settleFractionPpm);
  store<i64>(ECONOMICS, cooldownSec, EconomicsRecord.cooldownSec);
  return Status.Ok;
}

// ---- Records ----------------------------------------------------------------------------------

function stakerCount(): u32 { return load<u32>(ECONOMICS, EconomicsRecord.stakers); }

/** The index of account a's record in fund f, or NONE. */
function stakerIndex(a: u32, f: u32): u32 {
  const n = stakerCount();
  for (let i: u32 = 0; i < n; i++) {
    const p = stakerPtr(i);
    if (load<u32>(p, StakerRecord.account) == a && load<u32>(p, StakerRecord.fund) == f) return i;
  }
  return NONE;
}

// @ts-ignore: decorator
@inline function fundBalance(f: u32): i64 { return load<i64>(i64At(Column.FundBalance, f)); }
// @ts-ignore: decorator
@inline function totalOf(f: u32): i64 { return load<i64>(fundStakePtr(f), FundStakeRecord.totalShares); }

/** floor(x * n / d) for 0 <= x, n and 0 < d, all within 2^62, with n <= d or a result known to fit. */
// @ts-ignore: decorator
@inline function proportion(x: i64, n: i64, d: i64): i64 { return mulDivRounded(x, n, d, false, SCRATCH, SHARE_LIMIT); }

/** The checks every call shares, in the API's order: the account, the fund, the second. */
function checkCall(a: u32, f: u32, nowSec: i64): i32 {
  const st = checkAccount(a, -1);
  if (st != Status.Ok) return st;
  if (f > marketCount) return fail(Status.UnknownMarket, Field.FundId, -1);
  if (nowSec < 0 || nowSec > AMOUNT_LIMIT || nowSec < stakingSec()) return fail(Status.OutOfRange, Field.NowSec, -1);
  return Status.Ok;
}

/**
 * The latest second a staking call took: staking refuses an earlier one, so an unstake request can
 * never be dated before a call already made (its cooldown cannot be shortened by an old second).
 */
// @ts-ignore: decorator
@inline function stakingSec(): i64 { return load<i64>(ECONOMICS, EconomicsRecord.stakingSec); }
// @ts-ignore: decorator
@inline function tookSecond(nowSec: i64): void { store<i64>(ECONOMICS, nowSec, EconomicsRecord.stakingSec); }

/**
 * Whether fund f backs some market: the global fund always; fund 1 + m only when a market pays into
 * it (its own or its pool's). A stake in a fund no market uses would earn nothing and cover nothing.
 */
function fundInUse(f: u32): bool {
  if (f == 0) return true;
  for (let m: u32 = 0; m < marketCount; m++) if (fundOf(m) == f) return true;
  return false;
}

/** Burns `shares` of staker i in fund f (the staker's, the stakers' and the total). */
function burn(i: u32, f: u32, shares: i64): void {
  const p = stakerPtr(i), s = fundStakePtr(f);
  store<i64>(p, load<i64>(p, StakerRecord.shares) - shares, StakerRecord.shares);
  store<i64>(s, load<i64>(s, FundStakeRecord.stakerShares) - shares, FundStakeRecord.stakerShares);
  store<i64>(s, load<i64>(s, FundStakeRecord.totalShares) - shares, FundStakeRecord.totalShares);
}

/** Clears staker i's request. */
function clearRequest(i: u32): void {
  const p = stakerPtr(i);
  store<i64>(p, 0, StakerRecord.requestShares);
  store<i64>(p, 0, StakerRecord.requestValue);
  store<i64>(p, 0, StakerRecord.requestSec);
}

// ---- Stake, request, cancel, unstake -----------------------------------------------------------

/**
 * Moves `amount` (1 ..= 2^62) of account a's cross collateral into fund f and mints its shares;
 * answer0 = shares minted. Errors: UnknownAccount / AccountClosed; UnknownMarket FundId; OutOfRange
 * NowSec; OutOfRange AmountQuote (amount, or no whole share); UnstakeRequestPending;
 * FundDepleted (balance 0 with shares); Overflow (shares, fund or collateral past 2^62);
 * BelowInitialMargin (equity after the stake below IM); CapacityExceeded (MAX_STAKERS records).
 */
export function stake(a: u32, f: u32, amount: i64, nowSec: i64): i32 {
  clearError();
  clearFlows();
  let st = checkCall(a, f, nowSec);
  if (st != Status.Ok) return st;
  if (!fundInUse(f)) return fail(Status.UnknownMarket, Field.FundId, -1);
  if (amount <= 0 || amount > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  let i = stakerIndex(a, f);
  if (i != NONE && load<i64>(stakerPtr(i), StakerRecord.requestShares) > 0) return fail(Status.UnstakeRequestPending, Field.FundId, -1);
  const balance = fundBalance(f);
  let total = totalOf(f);
  if (balance == 0 && total > 0) return fail(Status.FundDepleted, Field.FundId, -1);
  if (balance > 0 && total == 0) total = balance; // the treasury owns a balance nobody holds shares of
  const minted = balance == 0 ? amount : proportion(amount, total, balance);
  if (minted == OVERFLOWED || addAmount(total, minted) == OVERFLOWED) return fail(Status.Overflow, Field.Shares, -1);
  if (minted == 0) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  const fundAfter = addAmount(balance, amount);
  if (fundAfter == OVERFLOWED) return fail(Status.Overflow, Field.FundId, -1);
  const coll = i64At(Column.AccCollateral, a);
  const collAfter = addAmount(load<i64>(coll), -amount);
  if (collAfter == OVERFLOWED) return fail(Status.Overflow, Field.CollateralQuote, -1);
  // The staker must stay above initial margin, as for a withdrawal.
  if (!evaluateCross(a, collAfter)) return fail(Status.Overflow, Field.AccountId, <i32>a);
  if (SUMS.equityQuote < SUMS.imQuote) return fail(Status.BelowInitialMargin, Field.AmountQuote, -1);
  if (i == NONE && stakerCount() == MAX_STAKERS) return fail(Status.CapacityExceeded, Field.Capacity, -1);
  ledgerMark();
  if (i == NONE) {
    i = stakerCount();
    const p = stakerPtr(i);
    memory.fill(p, 0, StakerRecord.BYTES);
    store<u32>(p, a, StakerRecord.account);
    store<u32>(p, f, StakerRecord.fund);
    store<u32>(ECONOMICS, i + 1, EconomicsRecord.stakers);
  }
  const s = fundStakePtr(f), p = stakerPtr(i);
  store<i64>(coll, collAfter);
  store<i64>(i64At(Column.FundBalance, f), fundAfter);
  store<i64>(s, total + minted, FundStakeRecord.totalShares);
  store<i64>(s, load<i64>(s, FundStakeRecord.stakerShares) + minted, FundStakeRecord.stakerShares);
  store<i64>(p, load<i64>(p, StakerRecord.shares) + minted, StakerRecord.shares);
  addFlow(FlowKind.Stake, NO_CODE, NO_CODE, a, f, amount, nowSec);
  store<i64>(ECONOMICS, minted, EconomicsRecord.answer0);
  ledgerCheck(0, 'conservation: a stake moves money inside the venue');
  setPlanRehearsed(false); // a waiting plan's fund fees were checked against the old balance
  tookSecond(nowSec);
  return changed();
}

/**
 * Opens an unstake request for `shares` (1 ..= held) of account a's stake in fund f at their value
 * now, floor(balance * shares / total); answer0 = that value. Errors: those of every call;
 * OutOfRange Shares (shares <= 0); SharesNotHeld; UnstakeRequestPending.
 */
export function requestUnstake(a: u32, f: u32, shares: i64, nowSec: i64): i32 {
  clearError();
  clearFlows();
  const st = checkCall(a, f, nowSec);
  if (st != Status.Ok) return st;
  if (shares <= 0) return fail(Status.OutOfRange, Field.Shares, -1);
  const i = stakerIndex(a, f);
  if (i == NONE || shares > load<i64>(stakerPtr(i), StakerRecord.shares)) return fail(Status.SharesNotHeld, Field.Shares, -1);
  const p = stakerPtr(i);
  if (load<i64>(p, StakerRecord.requestShares) > 0) return fail(Status.UnstakeRequestPending, Field.FundId, -1);
  // shares <= held <= total, so the value is at most the balance.
  const value = proportion(fundBalance(f), shares, totalOf(f));
  store<i64>(p, shares, StakerRecord.requestShares);
  store<i64>(p, value, StakerRecord.requestValue);
  store<i64>(p, nowSec, StakerRecord.requestSec);
  store<i64>(ECONOMICS, value, EconomicsRecord.answer0);
  tookSecond(nowSec);
  return Status.Ok;
}

/** Account a's staker record in fund f when it has an open request; else NONE, NoUnstakeRequest recorded. */
function requestOf(a: u32, f: u32): u32 {
  const i = stakerIndex(a, f);
  if (i != NONE && load<i64>(stakerPtr(i), StakerRecord.requestShares) != 0) return i;
  fail(Status.NoUnstakeRequest, Field.FundId, -1);
  return NONE;
}

/**
 * Cancels account a's request in fund f. When the request's shares are now worth more than its
 * value at the request (floor(balance * req / total) > value), the staker forfeits
 * lost = req - floor(value * (total - req) / (balance - value)) shares (1 ..= req), burned; the
 * flow UnstakeForfeit carries the drop of the staker's stake value,
 * floor(balance * held / total) - floor(balance * (held - lost) / (total - lost)) (0 when no share is
 * left), which the other holders gain. answer0 = shares forfeited. Errors: those of every call;
 * NoUnstakeRequest.
 */
export function cancelUnstake(a: u32, f: u32, nowSec: i64): i32 {
  clearError();
  clearFlows();
  const st = checkCall(a, f, nowSec);
  if (st != Status.Ok) return st;
  const i = requestOf(a, f);
  if (i == NONE) return Status.NoUnstakeRequest;
  const p = stakerPtr(i);
  const req = load<i64>(p, StakerRecord.requestShares), value = load<i64>(p, StakerRecord.requestValue);
  const held = load<i64>(p, StakerRecord.shares);
  const balance = fundBalance(f), total = totalOf(f);
  let lost: i64 = 0;
  if (proportion(balance, req, total) > value) {
    // balance * req / total > value gives balance > value and a quotient below req (lost >= 1).
    lost = req - proportion(value, total - req, balance - value);
  }
  ledgerMark();
  clearRequest(i);
  if (lost > 0) {
    const before = proportion(balance, held, total);
    const after = total == lost ? 0 : proportion(balance, held - lost, total - lost);
    burn(i, f, lost);
    if (before - after > 0) addFlow(FlowKind.UnstakeForfeit, NO_CODE, NO_CODE, a, f, before - after, nowSec);
  }
  store<i64>(ECONOMICS, lost, EconomicsRecord.answer0);
  ledgerCheck(0, 'conservation: a cancelled request moves no money');
  tookSecond(nowSec);
  return Status.Ok;
}

/**
 * Completes account a's request in fund f once the cooldown is over (now - request second >=
 * cooldown): pays min(floor(balance * req / total), value at request) from the fund into the
 * account's cross collateral and burns req shares; answer0 = the amount paid. Errors: those of
 * every call; NoUnstakeRequest; CooldownNotOver (NowSec); Overflow (collateral past 2^62).
 */
export function unstake(a: u32, f: u32, nowSec: i64): i32 {
  clearError();
  clearFlows();
  const st = checkCall(a, f, nowSec);
  if (st != Status.Ok) return st;
  const i = requestOf(a, f);
  if (i == NONE) return Status.NoUnstakeRequest;
  const p = stakerPtr(i);
  if (nowSec - load<i64>(p, StakerRecord.requestSec) < load<i64>(ECONOMICS, EconomicsRecord.cooldownSec)) return fail(Status.CooldownNotOver, Field.NowSec, -1);
  const req = load<i64>(p, StakerRecord.requestShares), value = load<i64>(p, StakerRecord.requestValue);
  const balance = fundBalance(f);
  const paid = min(proportion(balance, req, totalOf(f)), value);
  const coll = i64At(Column.AccCollateral, a);
  const collAfter = addAmount(load<i64>(coll), paid);
  if (collAfter == OVERFLOWED) return fail(Status.Overflow, Field.CollateralQuote, -1);
  ledgerMark();
  store<i64>(i64At(Column.FundBalance, f), balance - paid);
  store<i64>(coll, collAfter);
  burn(i, f, req);
  clearRequest(i);
  if (paid > 0) addFlow(FlowKind.Unstake, NO_CODE, NO_CODE, a, f, paid, nowSec);
  store<i64>(ECONOMICS, paid, EconomicsRecord.answer0);
  ledgerCheck(0, 'conservation: an unstake moves money inside the venue');
  setPlanRehearsed(false);
  tookSecond(nowSec);
  return changed();
}

// ---- Settling the stakers' revenue ------------------------------------------------------------

/** What planSettle found for one fund: the amount settled and the treasury's new shares. */
let planAmount: i64 = 0, planMinted: i64 = 0;

/**
 * Plans the settle of fund f (one that is due) into planAmount / planMinted. Returns Ok, or Overflow
 * naming the fund (row) when its balance or its shares would pass 2^62.
 */
function planSettle(f: u32, period: i64): i32 {
  planAmount = 0; planMinted = 0;
  const s = fundStakePtr(f);
  const pool = load<i64>(s, FundStakeRecord.revenuePool);
  let t = proportion(pool, <i64>load<u32>(ECONOMICS, EconomicsRecord.settleFractionPpm), PPM);
  const balance = fundBalance(f), total = load<i64>(s, FundStakeRecord.totalShares);
  if (load<i64>(s, FundStakeRecord.stakerShares) > 0) {
    // floor(floor(balance * apr / 10^6) / n) = floor(balance * apr / (10^6 * n)); past 2^62 it caps nothing.
    const perYear = max(YEAR_SEC / period, 1);
    const cap = mulDivRounded(balance, load<i64>(ECONOMICS, EconomicsRecord.maxAprPpm), PPM * perYear, false, SCRATCH, <u64>AMOUNT_LIMIT);
    if (cap != OVERFLOWED && cap < t) t = cap;
  }
  if (t > 0 && addAmount(balance, t) == OVERFLOWED) return fail(Status.Overflow, Field.FundId, <i32>f);
  planAmount = t;
  if (t > 0 && total > 0 && balance > 0) {
    const treasury = proportion(t, PPM - <i64>load<u32>(ECONOMICS, EconomicsRecord.stakerFactorPpm), PPM);
    const minted = proportion(treasury, total, balance);
    if (minted == OVERFLOWED || addAmount(total, minted) == OVERFLOWED) return fail(Status.Overflow, Field.Shares, <i32>f);
    planMinted = minted;
  }
  return Status.Ok;
}

/** Whether fund f settles at nowSec: at most once per period, periods aligned to multiples of it. */
// @ts-ignore: decorator
@inline function due(f: u32, nowSec: i64, period: i64): bool {
  return nowSec / period > load<i64>(fundStakePtr(f), FundStakeRecord.lastSettleSec) / period;
}

/**
 * Settles the stakers' revenue pools of funds first, first + 1, ... into their funds, as many funds
 * as the flow rows hold and while the chunk's total stays within 2^62: answer0 = the amount settled,
 * answer1 = the next fund to settle (marketCount + 1 when done). Every fund from `first` on is checked
 * before any moves, so a refused call (Overflow naming the fund: row) changes nothing. Nothing
 * settles while the period is 0. Errors: OutOfRange NowSec; UnknownMarket FundId (first past the
 * last fund + 1); Overflow.
 */
export function settleStakingRevenue(first: u32, nowSec: i64): i32 {
  clearError();
  clearFlows();
  if (nowSec < 0 || nowSec > AMOUNT_LIMIT || nowSec < stakingSec()) return fail(Status.OutOfRange, Field.NowSec, -1);
  if (first > marketCount + 1) return fail(Status.UnknownMarket, Field.FundId, -1);
  const period = load<i64>(ECONOMICS, EconomicsRecord.settlePeriodSec);
  const funds = marketCount + 1;
  store<i64>(ECONOMICS, 0, EconomicsRecord.answer0);
  store<i64>(ECONOMICS, <i64>funds, EconomicsRecord.answer1);
  if (period == 0) { tookSecond(nowSec); return Status.Ok; }
  for (let f = first; f < funds; f++) {
    if (!due(f, nowSec, period)) continue;
    const st = planSettle(f, period);
    if (st != Status.Ok) return st;
  }
  ledgerMark();
  let settled: i64 = 0, f = first;
  for (; f < funds; f++) {
    if (!due(f, nowSec, period)) continue;
    planSettle(f, period);
    const t = planAmount;
    if (t > 0 && (load<u32>(ECONOMICS, EconomicsRecord.flows) == FLOW_ROWS || addAmount(settled, t) == OVERFLOWED)) break;
    const s = fundStakePtr(f);
    if (t > 0) {
      store<i64>(i64At(Column.FundBalance, f), fundBalance(f) + t);
      store<i64>(s, load<i64>(s, FundStakeRecord.revenuePool) - t, FundStakeRecord.revenuePool);
      store<i64>(s, load<i64>(s, FundStakeRecord.totalShares) + planMinted, FundStakeRecord.totalShares);
      addFlow(FlowKind.StakingSettle, NO_CODE, NO_CODE, NONE, f, t, nowSec);
      settled += t;
    }
    store<i64>(s, nowSec, FundStakeRecord.lastSettleSec);
  }
  store<i64>(ECONOMICS, settled, EconomicsRecord.answer0);
  store<i64>(ECONOMICS, <i64>f, EconomicsRecord.answer1);
  ledgerCheck(0, 'conservation: a settle moves money inside the venue');
  if (settled > 0) setPlanRehearsed(false);
  tookSecond(nowSec);
  return Status.Ok;
}
