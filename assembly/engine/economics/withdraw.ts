/**
 * What a winner may withdraw (docs/ECONOMICS.md, "What a winner may withdraw"): the realizable part
 * of unrealized PnL, the transfer floor, an account's withdrawable amount (one account, or every
 * account in a batch), settling a cross position's PnL against its market's PnL pool, and the
 * withdrawal itself (moved here from margin/fills.ts: it needs the settle; the export keeps its name).
 *
 * For account a's cross book, with C its collateral and pnl_i = floor(s m / D) + quote - funding owed
 * of each cross position (exactly as the margin check sums it):
 *   U+ = sum max(pnl_i, 0)   U- = sum min(pnl_i, 0)   E, IM = the check's equity and initial margin
 *   N  = sum ceil(|s| m / D) (the cross notional)
 *   R  = U+ (All) | 0 (None) | sum_i min(max(pnl_i, 0), excess_m, pool_m) (PnlPool)
 *        | floor(U+ * h / posTot) with h = max(0, min(residual, posTot)) (ResidualRatio; U+ if posTot = 0)
 *   Q  = max(IM, ceil(N * floorPpm / 10^6))      W = max(0, C + U- + R - Q)
 * The book-wide terms (net_m, excess_m for PnlPool; posTot and residual for ResidualRatio) come from
 * one pass over the whole book (every open account's cross positions and every isolated row). A batch
 * of calls (serveWithdrawals, the simulation's withdrawal run) may hold them: one pass, then each
 * settle and payment moves them by exactly what it changes, so every call answers as it would alone.
 */
import { AMOUNT_LIMIT, FAST_LIMIT, mulDivCeilFast, mulDivExact, mulDivFloorFast, mulDivRounded, OVERFLOWED, SHARE_LIMIT, sumAdd, sumStart } from '../../math/fixed';
import { col, Column, i64At, marketPtr, u16At, u32At } from '../../abi/layout';
import { EconomicsRecord, FLOW_ROWS, I128_HI, MarketEconRecord, MarketRecord, WithdrawableRecord } from '../../abi/records';
import { Destination, Field, FlowKind, Realizable, Status, WithdrawLimit } from '../../abi/status';
import { accountCount, changed, clearError, fail, isolatedTop, marketCount, NONE, SCRATCH } from '../state';
import { addFlow, clearFlows, ECONOMICS, ledgerCheck, ledgerMark, marketEconPtr, WITHDRAWABLE } from '../funds';
import { moveTotalValue } from './total-value';
import { ACCOUNT_ACTIVE, checkAccount, findCross, inRange, sideIndex } from '../book/book';
import { isMarket } from '../book/markets';
import { GROUP_OK, groupSplitExact, groupSums, SUMS } from '../book/position';

const PPM: i64 = 1_000_000;
const NO_CODE: u32 = 255;

// ---- Configuration -------------------------------------------------------------------------

/**
 * Sets the withdrawal rules: `realizable` a Realizable code (All, None, PnlPool, ResidualRatio), the
 * transfer floor in 0..10^6 ppm of the cross book's notional. Errors: InvalidEconomics naming
 * RealizableRule or TransferFloorPpm; nothing changes on an error.
 */
export function setWithdrawalRules(realizable: u32, transferFloorPpm: u32): i32 {
  clearError();
  if (realizable > <u32>Realizable.ResidualRatio) return fail(Status.InvalidEconomics, Field.RealizableRule, -1);
  if (<i64>transferFloorPpm > PPM) return fail(Status.InvalidEconomics, Field.TransferFloorPpm, -1);
  store<u32>(ECONOMICS, realizable, EconomicsRecord.realizable);
  store<u32>(ECONOMICS, transferFloorPpm, EconomicsRecord.transferFloorPpm);
  return Status.Ok;
}

// @ts-ignore: decorator
@inline function rule(): u32 { return load<u32>(ECONOMICS, EconomicsRecord.realizable); }
// @ts-ignore: decorator
@inline function floorPpm(): i64 { return <i64>load<u32>(ECONOMICS, EconomicsRecord.transferFloorPpm); }

// ---- One position's PnL ---------------------------------------------------------------------

/**
 * pnl = floor(s m / D) + quote - ceil(s (index - snapshot) / D), exactly as the margin check sums a
 * position; OVERFLOWED when a term or the result leaves range (the check refuses such a group too).
 */
// @ts-ignore: decorator
@inline function pnlOf(market: u32, sizeBase: i64, quote: i64, snapshot: i64): i64 {
  const mkt = marketPtr(market);
  const indexDelta = select<i64>(load<i64>(mkt, MarketRecord.fundingLong), load<i64>(mkt, MarketRecord.fundingShort), sizeBase > 0) - snapshot;
  const sizeF = <f64>sizeBase;
  const valueEst = sizeF * load<f64>(mkt, MarketRecord.markOverD);
  const fundingEst = sizeF * <f64>indexDelta * load<f64>(mkt, MarketRecord.invD);
  if (Math.abs(valueEst) + Math.abs(fundingEst) <= FAST_LIMIT) {
    const d = load<i64>(mkt, MarketRecord.d);
    return mulDivFloorFast(sizeBase, load<i64>(mkt, MarketRecord.mark), d, valueEst) + quote - mulDivCeilFast(sizeBase, indexDelta, d, fundingEst);
  }
  return pnlExact(mkt, sizeBase, quote, indexDelta);
}

function pnlExact(mkt: usize, sizeBase: i64, quote: i64, indexDelta: i64): i64 {
  const d = load<i64>(mkt, MarketRecord.d);
  const value = mulDivExact(sizeBase, load<i64>(mkt, MarketRecord.mark), d, false, SCRATCH);
  const funding = mulDivExact(sizeBase, indexDelta, d, true, SCRATCH, SHARE_LIMIT);
  if (value == OVERFLOWED || funding == OVERFLOWED) return OVERFLOWED;
  const v = value + quote; // |value| < 2^62, |quote| <= 2^62
  const p = v - funding;
  if (((v ^ funding) & (v ^ p)) < 0 || p == OVERFLOWED) return OVERFLOWED;
  return p;
}

/** The position columns' bases, read once per loop (the batch's per-position passes). */
let sizeCol: usize = 0, quoteCol: usize = 0, snapCol: usize = 0, marketCol: usize = 0;
function positionColumns(): void {
  sizeCol = col(Column.PosSize); quoteCol = col(Column.PosQuote); snapCol = col(Column.PosSnap); marketCol = col(Column.PosMarket);
}

// @ts-ignore: decorator
@inline function slotPnl(s: u32): i64 {
  const o8 = <usize>s << 3;
  return pnlOf(<u32>load<u16>(marketCol + (<usize>s << 1)), load<i64>(sizeCol + o8), load<i64>(quoteCol + o8), load<i64>(snapCol + o8));
}

// @ts-ignore: decorator
@inline function rowPnl(r: u32): i64 {
  return pnlOf(<u32>load<u16>(u16At(Column.IsoMarket, r)), load<i64>(i64At(Column.IsoSize, r)), load<i64>(i64At(Column.IsoQuote, r)), load<i64>(i64At(Column.IsoSnap, r)));
}

// ---- Book-wide terms --------------------------------------------------------------------------

/**
 * Per market m, net_m as a signed 128-bit value hi * 2^64 + lo: lo (i64, wrapping) in IoI64A[m], hi
 * (the wraps, +1 up, -1 down) in IoI64B[m]. An add costs one read and one write of lo; a wrap is rare.
 */
// @ts-ignore: decorator
@inline function netPtr(m: u32): usize { return col(Column.IoI64A) + (<usize>m << 3); }
// @ts-ignore: decorator
@inline function netHiPtr(m: u32): usize { return col(Column.IoI64B) + (<usize>m << 3); }

/** Adds v to net_m (lo at p). */
// @ts-ignore: decorator
@inline function addNet(p: usize, m: u32, v: i64): void {
  const lo = load<i64>(p), t = lo + v;
  store<i64>(p, t);
  if (((lo ^ t) & (v ^ t)) < 0) { const h = netHiPtr(m); store<i64>(h, load<i64>(h) + (v < 0 ? -1 : 1)); }
}

/**
 * PnlPool: net_m = sum of pnl over every position in m (cross and isolated, every open account), into
 * the net columns. Overflow naming the account of a position whose PnL leaves range.
 */
function sumNets(): i32 {
  positionColumns();
  const nets = col(Column.IoI64A);
  memory.fill(col(Column.IoI64A), 0, <usize>marketCount << 3);
  memory.fill(col(Column.IoI64B), 0, <usize>marketCount << 3);
  const flags = col(Column.AccFlags);
  for (let a: u32 = 0; a < accountCount; a++) {
    if (load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    const start = load<u32>(u32At(Column.AccPosStart, a)), len = load<u32>(u32At(Column.AccPosLen, a));
    for (let s = start; s < start + len; s++) {
      const p = slotPnl(s);
      if (p == OVERFLOWED) return fail(Status.Overflow, Field.AccountId, <i32>a);
      const m = <u32>load<u16>(marketCol + (<usize>s << 1));
      addNet(nets + (<usize>m << 3), m, p);
    }
  }
  for (let r: u32 = 0; r < isolatedTop; r++) {
    if (load<u8>(col(Column.IsoFlags) + <usize>r) == 0) continue;
    const p = rowPnl(r);
    if (p == OVERFLOWED) return fail(Status.Overflow, Field.AccountId, <i32>load<u32>(u32At(Column.IsoAccount, r)));
    const m = <u32>load<u16>(u16At(Column.IsoMarket, r));
    addNet(nets + (<usize>m << 3), m, p);
  }
  return Status.Ok;
}

/** What a winner in market m can claim at most under PnlPool, min(excess_m, pool_m) (bookTerms). */
// @ts-ignore: decorator
@inline function capPtr(m: u32): usize { return col(Column.FundScratch) + (<usize>m << 3); }

/** A pool as the rules read it: never below 0. */
// @ts-ignore: decorator
@inline function poolOf(m: u32): i64 { const p = load<i64>(marketEconPtr(m), MarketEconRecord.pnlPool); return p > 0 ? p : 0; }

/**
 * excess_m = max(0, avail_m - max(net_m + shift, 0)) with avail_m = pool_m + floor(max(fee pool, 0) / 5)
 * (net_m from sumNets; `shift` is a settle's own funding, moved out of its pnl).
 */
function excessOf(m: u32, shift: i64): i64 {
  const fee = load<i64>(marketEconPtr(m), MarketEconRecord.feePool);
  const avail = poolOf(m) + (fee > 0 ? fee / 5 : 0); // both below 2^62
  // net + shift as hi * 2^64 + lo (lo signed): a positive hi means net >= 2^63 > avail, a negative one net < 0.
  const lo0 = load<i64>(netPtr(m)), lo = lo0 + shift;
  let hi = load<i64>(netHiPtr(m));
  if (((lo0 ^ lo) & (shift ^ lo)) < 0) hi += shift < 0 ? -1 : 1;
  if (hi < 0 || (hi == 0 && lo < 0)) return avail; // net < 0
  if (hi > 0) return 0;
  return avail > lo ? avail - lo : 0;
}

/** ResidualRatio: positive PnL of the book (<= 2^62) and h = max(0, min(residual, posTot)). */
let posTotal: i64 = 0, haircutNum: i64 = 0;
/** The same sums without one account (a settle tracks that account's own terms as it goes). */
let posOthers: i64 = 0, residualOthers: i64 = 0;
/** The sum of the pools (128-bit; a settle moves it). */
const POOLS: usize = memory.data(16, 8);

/** Saturating sum of non-negative terms at AMOUNT_LIMIT + 1 (only min(residual, posTot <= 2^62) is read). */
// @ts-ignore: decorator
@inline function satAdd(a: i64, b: i64): i64 { const s = a + b; return s > AMOUNT_LIMIT || s < 0 ? AMOUNT_LIMIT + 1 : s; } // a, b in 0..2^62 + 1

/** Sum of cross PnL of account a (128-bit at SUM_U); false when a position's PnL leaves range. */
const SUM_U: usize = memory.data(16, 8);
function accountPnl(a: u32): bool {
  positionColumns();
  const start = load<u32>(u32At(Column.AccPosStart, a)), len = load<u32>(u32At(Column.AccPosLen, a));
  // In i64 with overflow bits (the common case), again in 128 bits when a partial sum wraps.
  let u: i64 = 0, bits: i64 = 0;
  for (let s = start; s < start + len; s++) {
    const p = slotPnl(s);
    if (p == OVERFLOWED) return false;
    const t = u + p;
    bits |= (u ^ t) & (p ^ t);
    u = t;
  }
  sumStart(SUM_U, u);
  if (bits >= 0) return true;
  sumStart(SUM_U, 0);
  for (let s = start; s < start + len; s++) sumAdd(SUM_U, slotPnl(s));
  return true;
}

/** max(U, 0) of the 128-bit sum at p, saturated at AMOUNT_LIMIT + 1. */
function positivePart(p: usize): i64 {
  const lo = load<u64>(p), hi = load<i64>(p + I128_HI);
  if (hi < 0) return 0;
  if (hi > 0 || lo > <u64>AMOUNT_LIMIT) return AMOUNT_LIMIT + 1;
  return <i64>lo;
}

/** min(max(-U, 0), max(C, 0)) of the 128-bit sum at p and collateral c: the loss the account's collateral backs. */
function backedLoss(p: usize, c: i64): i64 {
  if (c <= 0) return 0;
  const lo = load<u64>(p), hi = load<i64>(p + I128_HI);
  if (hi >= 0) return 0; // U >= 0
  if (hi < -1 || lo < <u64>(-AMOUNT_LIMIT)) return c; // U < -2^62 <= -c
  const loss = -<i64>lo;
  return loss < c ? loss : c;
}

/**
 * ResidualRatio: posOthers = sum over open accounts b != skip of max(U_b, 0), residualOthers = the
 * same of min(max(-U_b, 0), max(C_b, 0)) (each saturated), and the sum of the pools (POOLS).
 */
function sumResidual(skip: u32): i32 {
  if (termsHeld) return heldResidual(skip);
  posOthers = 0; residualOthers = 0;
  const flags = col(Column.AccFlags);
  for (let a: u32 = 0; a < accountCount; a++) {
    if (a == skip || load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    if (!accountPnl(a)) return fail(Status.Overflow, Field.AccountId, <i32>a);
    posOthers = satAdd(posOthers, positivePart(SUM_U));
    residualOthers = satAdd(residualOthers, backedLoss(SUM_U, load<i64>(i64At(Column.AccCollateral, a))));
  }
  sumPools();
  return Status.Ok;
}

function sumPools(): void {
  sumStart(POOLS, 0);
  for (let m: u32 = 0; m < marketCount; m++) sumAdd(POOLS, poolOf(m));
}

/** posTotal and haircutNum with account a's own terms (its U at p, collateral c) added. */
function setHaircut(p: usize, c: i64): i32 {
  posTotal = satAdd(posOthers, positivePart(p));
  if (posTotal > AMOUNT_LIMIT) return fail(Status.Overflow, Field.RealizableRule, -1);
  const residual = satAdd(satAdd(residualOthers, positivePart(POOLS)), backedLoss(p, c));
  haircutNum = residual < posTotal ? residual : posTotal;
  return Status.Ok;
}

/**
 * The book-wide terms the rule needs, with every account counted (withdrawable): under PnlPool each
 * market's claimable cap min(excess_m, pool_m) (capPtr) from net_m and the pools now.
 */
function bookTerms(): i32 {
  const r = rule();
  if (r == Realizable.PnlPool) {
    if (!termsHeld) {
      const st = sumNets();
      if (st != Status.Ok) return st;
    }
    for (let m: u32 = 0; m < marketCount; m++) {
      const x = excessOf(m, 0), pool = poolOf(m);
      store<i64>(capPtr(m), x < pool ? x : pool);
    }
    return Status.Ok;
  }
  if (r == Realizable.ResidualRatio) {
    const st = sumResidual(NONE);
    if (st != Status.Ok) return st;
    sumStart(SUM_U, 0);
    return setHaircut(SUM_U, 0);
  }
  return Status.Ok;
}

/** floor(x * h / posTot): the residual ratio's share of a positive amount x (x when posTot is 0). */
// @ts-ignore: decorator
@inline function haircut(x: i64): i64 {
  return posTotal == 0 ? x : mulDivExact(x, haircutNum, posTotal, false, SCRATCH, SHARE_LIMIT);
}

// ---- Held terms ---------------------------------------------------------------------------

/**
 * Whether a batch holds the book-wide terms: under PnlPool net_m (the net columns), under
 * ResidualRatio the exact sums over every open account of max(U, 0) (HELD_POS) and of
 * min(max(-U, 0), max(C, 0)) (HELD_RES), both 128-bit.
 */
let termsHeld = false;
const HELD_POS: usize = memory.data(16, 8), HELD_RES: usize = memory.data(16, 8);

/** dst += sign * (the 128-bit value at src). */
function add128(dst: usize, src: usize, sign: i64): void {
  let lo = load<u64>(src), hi = load<i64>(src + I128_HI);
  if (sign < 0) { lo = ~lo + 1; hi = ~hi + <i64>(lo == 0); }
  const dl = load<u64>(dst), sl = dl + lo;
  store<u64>(dst, sl);
  store<i64>(dst + I128_HI, load<i64>(dst + I128_HI) + hi + <i64>(sl < dl));
}

/** A non-negative 128-bit sum saturated as satAdd does (at AMOUNT_LIMIT + 1). */
function saturated(p: usize): i64 {
  const lo = load<u64>(p), hi = load<i64>(p + I128_HI);
  if (hi < 0) return 0;
  return hi > 0 || lo > <u64>AMOUNT_LIMIT ? AMOUNT_LIMIT + 1 : <i64>lo;
}

const OWN: usize = memory.data(16, 8);
/** Adds sign * (open account a's own ResidualRatio terms) to the held sums; false when its PnL leaves range. */
function moveOwn(a: u32, sign: i64): bool {
  if (load<u8>(col(Column.AccFlags) + <usize>a) != ACCOUNT_ACTIVE) return true;
  if (!accountPnl(a)) return false;
  if (load<i64>(SUM_U + I128_HI) >= 0) add128(HELD_POS, SUM_U, sign);
  sumStart(OWN, backedLoss(SUM_U, load<i64>(i64At(Column.AccCollateral, a))));
  add128(HELD_RES, OWN, sign);
  return true;
}

/** The ResidualRatio sums without account `skip`, from the held sums. */
function heldResidual(skip: u32): i32 {
  if (skip != NONE && !moveOwn(skip, -1)) return fail(Status.Overflow, Field.AccountId, <i32>skip);
  posOthers = saturated(HELD_POS); residualOthers = saturated(HELD_RES);
  if (skip != NONE) moveOwn(skip, 1);
  sumPools();
  return Status.Ok;
}

/**
 * Holds the rule's book-wide terms (one pass over the book) until `releaseWithdrawTerms`; Ok at
 * once when they are held already. Errors as withdrawableOf (nothing is held then).
 */
export function holdWithdrawTerms(): i32 {
  if (termsHeld) return Status.Ok;
  const r = rule();
  if (r == Realizable.PnlPool) {
    const st = sumNets();
    if (st != Status.Ok) return st;
  } else if (r == Realizable.ResidualRatio) {
    sumStart(HELD_POS, 0); sumStart(HELD_RES, 0);
    for (let a: u32 = 0; a < accountCount; a++) {
      if (!moveOwn(a, 1)) return fail(Status.Overflow, Field.AccountId, <i32>a);
    }
  }
  termsHeld = true;
  return Status.Ok;
}

/** Whether the terms are held (a batch that finds them held leaves the release to its holder). */
export function withdrawTermsHeld(): bool { return termsHeld; }

/** Later calls compute the terms afresh. */
export function releaseWithdrawTerms(): void { termsHeld = false; }

/**
 * Account a's money or positions are about to change (termsLeave) or have changed (termsJoin): under
 * held ResidualRatio terms its own part leaves the sums, then joins them again. An account whose PnL
 * leaves range drops the hold (the next call computes afresh and reports it).
 */
export function termsLeave(a: u32): void {
  if (termsHeld && rule() == Realizable.ResidualRatio && !moveOwn(a, -1)) termsHeld = false;
}
export function termsJoin(a: u32): void {
  if (termsHeld && rule() == Realizable.ResidualRatio && !moveOwn(a, 1)) termsHeld = false;
}

// ---- One account's withdrawable amount --------------------------------------------------------

// The last evaluation (withdrawableOf writes them to WITHDRAWABLE).
let wAmount: i64 = 0, wEquity: i64 = 0, wRequirement: i64 = 0, wRealizable: i64 = 0, wPositive: i64 = 0;
let wLimit: u32 = WithdrawLimit.Equity;
const SUM_X: usize = memory.data(16, 8);

/**
 * Evaluates account a (open) with the book-wide terms in place. `quick`: the batch may skip the
 * per-position pass under rule All without a floor (W = max(0, E - IM) then), when the quick sums
 * bound every partial sum below 2^61 (so U+, U- and N cannot leave i64: the full pass, whose quick
 * mode has the same bound, would succeed too). Overflow names the account.
 */
function evaluate(a: u32, quick: bool): i32 {
  const c = load<i64>(i64At(Column.AccCollateral, a));
  const r = rule(), fp = floorPpm();
  const start = load<u32>(u32At(Column.AccPosStart, a)), len = load<u32>(u32At(Column.AccPosLen, a));
  if (quick && r == Realizable.All && fp == 0) {
    if (groupSums(start, len, <u64>load<u32>(u32At(Column.AccFloorPpm, a)), c, false) == GROUP_OK) {
      const e = SUMS.equityQuote, im = SUMS.imQuote;
      wEquity = e; wRequirement = im;
      wAmount = e > im ? e - im : 0;
      wLimit = im > 0 ? WithdrawLimit.InitialMargin : WithdrawLimit.Equity;
      return Status.Ok;
    }
  }
  // One pass: the check's equity and IM with U+, U- and N (book/position.ts, `split`); under PnlPool
  // also sum_i min(max(pnl_i, 0), cap_m) with cap_m = min(excess_m, pool_m) (bookTerms, capPtr).
  const caps = r == Realizable.PnlPool ? col(Column.FundScratch) : 0;
  if (!groupSplitExact(start, len, <u64>load<u32>(u32At(Column.AccFloorPpm, a)), c, caps)) return fail(Status.Overflow, Field.AccountId, <i32>a);
  const e = SUMS.equityQuote, im = SUMS.imQuote, pos = SUMS.positiveQuote, neg = SUMS.negativeQuote, notional = SUMS.notionalQuote;
  const pooled = SUMS.cappedQuote;
  let real: i64 = pos;
  if (r == Realizable.None) real = 0;
  else if (r == Realizable.PnlPool) real = pooled;
  else if (r == Realizable.ResidualRatio) real = haircut(pos);
  const floorTerm = fp == 0 ? 0 : mulDivRounded(notional, fp, PPM, true, SCRATCH, SHARE_LIMIT);
  const q = im > floorTerm ? im : floorTerm;
  // X = C + U- + R - Q <= E - IM, computed in 128 bits.
  sumStart(SUM_X, c);
  sumAdd(SUM_X, neg);
  sumAdd(SUM_X, real);
  sumAdd(SUM_X, -q);
  const xhi = load<i64>(SUM_X + I128_HI);
  const w = xhi < 0 ? 0 : load<i64>(SUM_X);
  wAmount = w < 0 ? 0 : w; wEquity = e; wRequirement = q; wRealizable = real; wPositive = pos;
  const headroom = e > q ? e - q : 0;
  if (real < pos && w < headroom) wLimit = WithdrawLimit.Realizable;
  else if (floorTerm > im) wLimit = WithdrawLimit.TransferFloor;
  else if (im > 0) wLimit = WithdrawLimit.InitialMargin;
  else wLimit = WithdrawLimit.Equity;
  return Status.Ok;
}

/** withdrawableOf without clearing the error record: book terms, then account a. */
function withdrawableFor(a: u32): i32 {
  const st = bookTerms();
  if (st != Status.Ok) return st;
  return evaluate(a, false);
}

/**
 * What account a may take out of its collateral now, for the withdrawal queue (capacity.ts):
 * min(withdrawable, collateral), at least 0 (unsettled gains are settled first with settlePnl); 0 for
 * a closed account; OVERFLOWED, with the error recorded, when the book's terms or the account's
 * figures leave range. `lastCutByWithdrawable` then says whether the withdrawable amount (not the
 * collateral) set it, and `lastWithdrawLimit` what bound that amount.
 */
export function withdrawableFromCollateral(a: u32): i64 {
  withdrawableCut = false;
  withdrawableLimit = WithdrawLimit.Equity;
  if (a >= accountCount || load<u8>(col(Column.AccFlags) + <usize>a) != ACCOUNT_ACTIVE) return 0;
  if (withdrawableFor(a) != Status.Ok) return OVERFLOWED; // the error is recorded
  const c = load<i64>(i64At(Column.AccCollateral, a));
  withdrawableLimit = wLimit;
  withdrawableCut = wAmount <= c;
  const m = wAmount < c ? wAmount : c;
  return m > 0 ? m : 0;
}
let withdrawableCut = false;
let withdrawableLimit: u32 = WithdrawLimit.Equity;
/** Whether the last withdrawableFromCollateral was set by the withdrawable amount (not the collateral). */
export function lastCutByWithdrawable(): bool { return withdrawableCut; }
/** What bound the last withdrawableFromCollateral's withdrawable amount (WithdrawLimit). */
export function lastWithdrawLimit(): u32 { return withdrawableLimit; }

/**
 * Account a's withdrawable amount, written to WITHDRAWABLE (WithdrawableRecord): amount, equity,
 * requirement, realizable and positive PnL, and what bound it. Errors: UnknownAccount,
 * AccountClosed; Overflow naming an account whose figures leave range (under PnlPool and
 * ResidualRatio any account of the book), or RealizableRule when the book's positive PnL passes 2^62.
 */
export function withdrawableOf(a: u32): i32 {
  clearError();
  const known = checkAccount(a, -1);
  if (known != Status.Ok) return known;
  const st = withdrawableFor(a);
  if (st != Status.Ok) return st;
  store<i64>(WITHDRAWABLE, wAmount, WithdrawableRecord.amountQuote);
  store<i64>(WITHDRAWABLE, wEquity, WithdrawableRecord.equityQuote);
  store<i64>(WITHDRAWABLE, wRequirement, WithdrawableRecord.requirementQuote);
  store<i64>(WITHDRAWABLE, wRealizable, WithdrawableRecord.realizableQuote);
  store<i64>(WITHDRAWABLE, wPositive, WithdrawableRecord.positivePnlQuote);
  store<u32>(WITHDRAWABLE, wLimit, WithdrawableRecord.limit);
  return Status.Ok;
}

/**
 * Every account's withdrawable amount into Column.AccWithdrawable (i64) and its limit into
 * Column.AccWithdrawLimit (u32 WithdrawLimit codes), indexed by account id; closed accounts 0 and
 * Equity. Errors as withdrawableOf (the first account whose figures leave range).
 */
export function withdrawableAll(): i32 {
  clearError();
  const st = bookTerms();
  if (st != Status.Ok) return st;
  const amounts = col(Column.AccWithdrawable), limits = col(Column.AccWithdrawLimit), flags = col(Column.AccFlags);
  for (let a: u32 = 0; a < accountCount; a++) {
    if (load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) {
      store<i64>(amounts + (<usize>a << 3), 0);
      store<u32>(limits + (<usize>a << 2), WithdrawLimit.Equity);
      continue;
    }
    const e = evaluate(a, true);
    if (e != Status.Ok) return e;
    store<i64>(amounts + (<usize>a << 3), wAmount);
    store<u32>(limits + (<usize>a << 2), wLimit);
  }
  return Status.Ok;
}

// ---- Settling PnL -----------------------------------------------------------------------------

// The running state of a settle: the account's collateral, its 128-bit cross PnL (ResidualRatio),
// the amount settled (signed), funding settled, flow rows planned.
let runC: i64 = 0, settledNet: i64 = 0, fundingTotal: i64 = 0;
let rows: u32 = 0;
const RUN_U: usize = memory.data(16, 8);

/** The terms a settle of account a needs: per-market nets, or the other accounts' residual sums. */
function settleTerms(a: u32): i32 {
  const r = rule();
  if (r == Realizable.PnlPool) return termsHeld ? Status.Ok : sumNets();
  if (r == Realizable.ResidualRatio) return sumResidual(a);
  return Status.Ok;
}

/**
 * Settles cross slot s (market m) of account a: funding into collateral, then p = floor(s m / D) +
 * quote against the pool. With `write` false it only plans (tracks the running state, checks every
 * range); the same call with `write` true then cannot fail.
 */
function settleSlot(a: u32, s: u32, m: u32, nowSec: i64, write: bool): i32 {
  const size = load<i64>(i64At(Column.PosSize, s)), quote = load<i64>(i64At(Column.PosQuote, s));
  let owed: i64 = 0;
  if (size != 0) {
    owed = mulDivRounded(size, sideIndex(m, size) - load<i64>(i64At(Column.PosSnap, s)), load<i64>(marketPtr(m), MarketRecord.d), true, SCRATCH);
    if (owed == OVERFLOWED) return fail(Status.Overflow, Field.FundingSnapshot, -1);
  }
  const c = runC - owed;
  if (!inRange(c)) return fail(Status.Overflow, Field.CollateralQuote, -1);
  runC = c;
  fundingTotal += owed;
  sumAdd(RUN_U, owed); // the position's pnl no longer carries its funding
  const mkt = marketPtr(m);
  const value = mulDivRounded(size, load<i64>(mkt, MarketRecord.mark), load<i64>(mkt, MarketRecord.d), false, SCRATCH);
  if (value == OVERFLOWED) return fail(Status.Overflow, Field.Notional, -1);
  const p = value + quote;
  const pool = poolOf(m);
  let pay: i64 = 0, newQuote = quote;
  if (p > 0) {
    const r = rule();
    let part = p;
    if (r == Realizable.None) part = 0;
    else if (r == Realizable.PnlPool) { const x = excessOf(m, owed); if (x < part) part = x; }
    else if (r == Realizable.ResidualRatio) {
      const st = setHaircut(RUN_U, runC);
      if (st != Status.Ok) return st;
      part = haircut(p);
    }
    pay = part < pool ? part : pool;
    if (pay > 0) {
      if (runC + pay > AMOUNT_LIMIT) return fail(Status.Overflow, Field.CollateralQuote, -1);
      runC += pay;
      sumAdd(POOLS, -pay);
      sumAdd(RUN_U, -pay);
      settledNet += pay;
      rows++;
      newQuote = quote - pay;
      if (write) {
        store<i64>(i64At(Column.PosQuote, s), quote - pay);
        store<i64>(marketEconPtr(m), load<i64>(marketEconPtr(m), MarketEconRecord.pnlPool) - pay, MarketEconRecord.pnlPool);
        addFlow(FlowKind.PnlPaid, NO_CODE, Destination.PnlPool, a, m, pay, nowSec);
      }
    }
  } else if (p < 0) {
    pay = runC > 0 ? (-p < runC ? -p : runC) : 0;
    if (pay > 0) {
      const after = load<i64>(marketEconPtr(m), MarketEconRecord.pnlPool) + pay;
      if (after > AMOUNT_LIMIT) return fail(Status.Overflow, Field.MarketId, <i32>m);
      runC -= pay;
      sumAdd(POOLS, pay);
      sumAdd(RUN_U, pay);
      settledNet -= pay;
      rows++;
      newQuote = quote + pay;
      if (write) {
        store<i64>(i64At(Column.PosQuote, s), quote + pay);
        store<i64>(marketEconPtr(m), after, MarketEconRecord.pnlPool);
        addFlow(FlowKind.SettlePnl, NO_CODE, Destination.PnlPool, a, m, pay, nowSec);
      }
    }
  }
  if (write) {
    store<i64>(i64At(Column.AccCollateral, a), runC);
    if (size != 0) store<i64>(i64At(Column.PosSnap, s), sideIndex(m, size));
    // Held nets move by the position's PnL change: its funding left it, its quote moved by the payment.
    if (termsHeld && rule() == Realizable.PnlPool) { addNet(netPtr(m), m, owed); addNet(netPtr(m), m, newQuote - quote); }
  }
  return Status.Ok;
}

/** p = floor(s m / D) + quote of cross slot s in market m: its sign orders an account's settles. */
// @ts-ignore: decorator
@inline function slotValue(s: u32, m: u32): i64 {
  const mkt = marketPtr(m);
  return mulDivRounded(load<i64>(i64At(Column.PosSize, s)), load<i64>(mkt, MarketRecord.mark), load<i64>(mkt, MarketRecord.d), false, SCRATCH) + load<i64>(i64At(Column.PosQuote, s));
}

/**
 * One pass over account a's cross positions: `market` one market (NONE: every position, those with
 * p <= 0 first, then p > 0, each in market-id order, as orderSlots laid them out).
 */
function settlePass(a: u32, market: u32, nowSec: i64, write: bool): i32 {
  runC = load<i64>(i64At(Column.AccCollateral, a));
  settledNet = 0; fundingTotal = 0; rows = 0;
  if (rule() == Realizable.ResidualRatio) {
    // Restart the account's own running terms from the book (a plan pass moved them).
    if (!accountPnl(a)) return fail(Status.Overflow, Field.AccountId, <i32>a);
    memory.copy(RUN_U, SUM_U, 16);
    sumPools();
  }
  if (market != NONE) return settleSlot(a, findCross(a, market), market, nowSec, write);
  if (orderLen != NONE) {
    for (let k: u32 = 0; k < orderLen; k++) {
      const o = <usize>k << 2, st = settleSlot(a, load<u32>(ORDER_SLOTS + o), load<u32>(ORDER_KEYS + o) & 0xFFFF, nowSec, write);
      if (st != Status.Ok) return st;
    }
    return Status.Ok;
  }
  const map = col(Column.IoU32);
  for (let round = 0; round < 2; round++) {
    for (let m: u32 = 0; m < marketCount; m++) {
      const s = load<u32>(map + (<usize>m << 2));
      if (s == NONE) continue;
      const winner = slotValue(s, m) > 0;
      if (winner != (round == 1)) continue;
      const st = settleSlot(a, s, m, nowSec, write);
      if (st != Status.Ok) return st;
    }
  }
  return Status.Ok;
}

/** Accounts with up to ORDER_MAX cross positions are ordered in ORDER_SLOTS, by ORDER_KEYS (u32 each). */
const ORDER_MAX: u32 = 32;
const ORDER_KEYS: usize = memory.data(ORDER_MAX * 4, 4), ORDER_SLOTS: usize = memory.data(ORDER_MAX * 4, 4);
/** Entries in ORDER_SLOTS, or NONE when the market -> slot map in IoU32 orders the account. */
let orderLen: u32 = NONE;

/**
 * Lays out the order of a whole-account settle: losers (p <= 0) first, then winners, each in
 * market-id order. Up to ORDER_MAX positions by an insertion sort on key = winner * 2^16 + market
 * (one cross position per market, so keys differ); more through the market -> slot map (mapSlots).
 */
function orderSlots(a: u32): void {
  const start = load<u32>(u32At(Column.AccPosStart, a)), len = load<u32>(u32At(Column.AccPosLen, a));
  if (len > ORDER_MAX) { orderLen = NONE; mapSlots(a); return; }
  for (let k: u32 = 0; k < len; k++) {
    const s = start + k, m = <u32>load<u16>(u16At(Column.PosMarket, s));
    const key: u32 = (slotValue(s, m) > 0 ? <u32>0x10000 : 0) | m;
    let j = k;
    for (; j > 0 && load<u32>(ORDER_KEYS + (<usize>(j - 1) << 2)) > key; j--) {
      store<u32>(ORDER_KEYS + (<usize>j << 2), load<u32>(ORDER_KEYS + (<usize>(j - 1) << 2)));
      store<u32>(ORDER_SLOTS + (<usize>j << 2), load<u32>(ORDER_SLOTS + (<usize>(j - 1) << 2)));
    }
    store<u32>(ORDER_KEYS + (<usize>j << 2), key);
    store<u32>(ORDER_SLOTS + (<usize>j << 2), s);
  }
  orderLen = len;
}

/** Fills the market -> slot map of account a's cross positions (IoU32, NONE where it holds none). */
function mapSlots(a: u32): void {
  const map = col(Column.IoU32);
  memory.fill(map, 0xFF, <usize>marketCount << 2);
  const start = load<u32>(u32At(Column.AccPosStart, a)), len = load<u32>(u32At(Column.AccPosLen, a));
  for (let s = start; s < start + len; s++) store<u32>(map + (<usize>load<u16>(u16At(Column.PosMarket, s)) << 2), s);
}

/**
 * Applies a settle that a plan pass (write false) just accepted: the pass again, writing; the held
 * terms and the tracked total value moved by what it changed; the ledger checked (funding left).
 */
function writeSettle(a: u32, market: u32, nowSec: i64): void {
  ledgerMark();
  const c0 = load<i64>(i64At(Column.AccCollateral, a));
  termsLeave(a);
  settlePass(a, market, nowSec, true);
  termsJoin(a);
  moveTotalValue(load<i64>(i64At(Column.AccCollateral, a)) - c0);
  ledgerCheck(-fundingTotal, 'conservation: a settle moves PnL between collateral and the pool, funding out');
}

/**
 * Plans, then applies, the settle of account a (one market, or NONE for all). On success answer0 is
 * the amount settled (+ paid to the account, - paid by it); nothing changes on an error.
 */
function settle(a: u32, market: u32, nowSec: i64): i32 {
  const st = settleTerms(a);
  if (st != Status.Ok) return st;
  if (market == NONE) orderSlots(a);
  const planned = settlePass(a, market, nowSec, false);
  if (planned != Status.Ok) return planned;
  if (rows > FLOW_ROWS) return fail(Status.CapacityExceeded, Field.PositionCount, <i32>a);
  writeSettle(a, market, nowSec);
  store<i64>(ECONOMICS, settledNet, EconomicsRecord.answer0);
  return Status.Ok;
}

/**
 * Settles account a's cross position in `market` against the market's PnL pool (docs/ECONOMICS.md).
 * Errors: UnknownAccount, AccountClosed, UnknownMarket, NoPosition (no cross position there),
 * Overflow (funding, collateral or the pool would leave range; a book term, as withdrawableOf).
 */
export function settlePnl(a: u32, market: u32, nowSec: i64): i32 {
  clearError();
  clearFlows();
  if (nowSec < 0 || nowSec > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.NowSec, -1);
  const known = checkAccount(a, -1);
  if (known != Status.Ok) return known;
  if (!isMarket(market)) return fail(Status.UnknownMarket, Field.MarketId, -1);
  if (findCross(a, market) == NONE) return fail(Status.NoPosition, Field.MarketId, -1);
  const st = settle(a, market, nowSec);
  if (st != Status.Ok) return st;
  return changed();
}

/** Settles every cross position of account a: losers (and flat ones) first, then winners, each in market-id order. */
export function settleAccountPnl(a: u32, nowSec: i64): i32 {
  clearError();
  clearFlows();
  if (nowSec < 0 || nowSec > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.NowSec, -1);
  const known = checkAccount(a, -1);
  if (known != Status.Ok) return known;
  const st = settle(a, NONE, nowSec);
  if (st != Status.Ok) return st;
  return changed();
}

// ---- Withdrawals -------------------------------------------------------------------------------

/**
 * Withdraws `amount` of account a's collateral, refused when it passes the withdrawable amount W:
 * BelowInitialMargin when initial margin or equity bound W (the rule before withdrawal rules
 * existed), AboveWithdrawable otherwise. An amount above the collateral first settles the
 * account's PnL (settleAccountPnl) and is refused (AboveWithdrawable) if the collateral still falls
 * short; refused (WithdrawThroughQueue) while a withdrawal capacity, gate or loss charge is set
 * (capacity.ts: requestWithdrawal); nothing changes on a refusal. The withdrawal is a flow row.
 */
export function withdraw(a: u32, amount: i64): i32 {
  clearError();
  clearFlows();
  const known = checkAccount(a, -1);
  if (known != Status.Ok) return known;
  if (amount <= 0 || !inRange(amount)) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  // A venue that limits withdrawals (capacity, gate or loss charge) takes them through its queue.
  if (load<i64>(ECONOMICS, EconomicsRecord.capacityPeriodSec) != 0 || load<i64>(ECONOMICS, EconomicsRecord.gateSec) != 0
    || load<u32>(ECONOMICS, EconomicsRecord.lossCharge) != 0) return fail(Status.WithdrawThroughQueue, Field.AmountQuote, -1);
  const st = withdrawableFor(a);
  if (st != Status.Ok) return st;
  if (amount > wAmount) {
    const code = wLimit == WithdrawLimit.InitialMargin || wLimit == WithdrawLimit.Equity ? Status.BelowInitialMargin : Status.AboveWithdrawable;
    return fail(code, Field.AmountQuote, -1);
  }
  if (amount > load<i64>(i64At(Column.AccCollateral, a))) {
    const terms = settleTerms(a);
    if (terms != Status.Ok) return terms;
    orderSlots(a);
    const planned = settlePass(a, NONE, 0, false);
    if (planned != Status.Ok) return planned;
    if (rows > FLOW_ROWS - 1) return fail(Status.CapacityExceeded, Field.PositionCount, <i32>a);
    if (runC < amount) return fail(Status.AboveWithdrawable, Field.AmountQuote, -1);
    writeSettle(a, NONE, 0);
  }
  ledgerMark();
  store<i64>(i64At(Column.AccCollateral, a), load<i64>(i64At(Column.AccCollateral, a)) - amount);
  addFlow(FlowKind.Withdrawal, NO_CODE, NO_CODE, a, NONE, amount, 0);
  ledgerCheck(-amount, 'conservation: a withdrawal leaves the venue');
  return changed();
}
