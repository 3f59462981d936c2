/**
 * Pooled steps of the waterfall (docs/WATERFALL.md): socialization over open interest, pro-rata
 * haircuts of gains, deposits and vault shares, and the clearing-house default fund and assessments.
 * Each assigns the records their parts of the step's capacity in record order (`assignPooled`), then
 * splits the total once among its payers (prorata.ts), in payer id order.
 *
 * Solvency: a payer's cap includes max(0, E), its group's equity when the pool forms, so no step
 * here takes a solvent group below zero; assessments alone (members owe them) may, and report it.
 */
import { AMOUNT_LIMIT, amountOf, mulDivRounded, OVERFLOWED, SHARE_LIMIT, sumStart } from '../../math/fixed';
import { addWide } from '../../math/wide';
import { col, Column, ISOLATED_TAG, i64At, u32At, marketPtr, u16At } from '../../abi/layout';
import { accountCount, indexDirty, isolatedLive, LIQ_RECORD, nextEpoch, NONE, pendingCount, positionLive, SCRATCH } from '../state';
import { ACCOUNT_ACTIVE, findCross } from '../book/book';
import { buildIndex, collateralOf, equityOf, equityWith, unrealizedOf } from '../margin/check';

import { split, splitAt, WEIGHT_LIMIT } from './prorata';
import { providerAccount, providerCount, providerShares, backstopVaultAccount } from './parties';
import { BALANCES, memberCount, memberPtr } from '../funds';
import { gatherHolders, tagAccount } from './candidates';
import { assignPooled, beginPays, defMarket, emit, endPays, heavyAdd, notePayment, pay, serves, solventRoom } from './steps';
import { stepPtr } from './config';
import { Role } from '../../abi/status';
import { BalancesRecord, I128_HI, LiqRecord, MarketRecord, MemberRecord, StepRecord } from '../../abi/records';

// @ts-ignore: decorator
@inline function setPayer(i: u32, id: u32, weight: i64, cap: i64): void {
  store<u32>(u32At(Column.PayId, i), id);
  store<i64>(i64At(Column.PayWeight, i), weight);
  store<i64>(i64At(Column.PayCap, i), cap);
}
// @ts-ignore: decorator
@inline function shareOf(i: u32): i64 { return load<i64>(i64At(Column.PayWork, i)); }

/** Sums weights and caps (each >= 0) of payers 0..n: -1 past 2^62 (too heavy to split exactly), else Σ caps. */
function totals(n: u32): i64 {
  let w: i64 = 0, c: i64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    w = heavyAdd(w, load<i64>(i64At(Column.PayWeight, i)));
    c = heavyAdd(c, load<i64>(i64At(Column.PayCap, i)));
    if (w > WEIGHT_LIMIT || c > WEIGHT_LIMIT) return -1;
  }
  return c;
}

/**
 * What a payer can pay out of its collateral (cross account, or an isolated row for a tagged id)
 * without taking it below -2^62, the supported range.
 */
function collateralRoom(id: u32): i64 {
  const c = (id & ISOLATED_TAG) == 0 ? load<i64>(i64At(Column.AccCollateral, id)) : load<i64>(i64At(Column.IsoCollateral, id & ~ISOLATED_TAG));
  return c + AMOUNT_LIMIT; // collateral >= -2^62: 0 ..= 2^63
}

/** min(cap, room) for a cap >= 0 and a room in 0 ..= 2^63 (compared unsigned). */
// @ts-ignore: decorator
@inline function capWithin(cap: i64, room: i64): i64 { return <u64>cap < <u64>room ? cap : room; }

/** Takes each payer's share out of its collateral (cross account, or isolated row), with a pay record. */
function takeFromCollateral(j: u32, n: u32, market: u32): void {
  const ids = col(Column.PayId), shares = col(Column.PayWork), coll = col(Column.AccCollateral);
  beginPays(j);
  for (let i: u32 = 0; i < n; i++) {
    const h = load<i64>(shares + (<usize>i << 3));
    if (h <= 0) continue;
    const id = load<u32>(ids + (<usize>i << 2));
    if ((id & ISOLATED_TAG) == 0) {
      const p = coll + (<usize>id << 3);
      store<i64>(p, load<i64>(p) - h);
      pay(id, market, h);
    } else {
      const r = id & ~ISOLATED_TAG;
      const p = i64At(Column.IsoCollateral, r);
      store<i64>(p, load<i64>(p) - h);
      pay(tagAccount(id), <u32>load<u16>(u16At(Column.IsoMarket, r)), h);
    }
  }
  endPays();
}

/** Marks market m as seen by this step (MarketStamp); false if it was already. */
function firstVisit(m: u32, stamp: u32): bool {
  const p = u32At(Column.MarketStamp, m);
  if (load<u32>(p) == stamp) return false;
  store<u32>(p, stamp);
  return true;
}

// ---- Socialization over open interest (Drift, Mango) ----------------------------------------------

/**
 * Per market with records (in the order of its first record): every position of the market with a
 * size pays the same per unit of size, as the venues' funding-index bump charges it, but applied at
 * once and exactly: split(X, weights |s|, caps max(0, E)), out of its group's collateral. E is read
 * when the market's pool forms, so a group holding several of the step's markets pays each out of
 * what the earlier ones left (and no collateral goes below -2^62, the supported range).
 */
export function runSocializeFunding(j: u32, w: u32, n: u32): void {
  // The markets with records: when they hold much of the book, every account's unrealized part is
  // kept for the step (one pass; only collateral moves here, so equity = collateral + it).
  let stamp = nextEpoch();
  let bound: u64 = 0;
  for (let k0: u32 = 0; k0 < n; k0++) {
    if (!serves(k0, w)) continue;
    const m = defMarket(k0);
    if (m != NONE && firstVisit(m, stamp)) bound += <u64>holdersOf(m);
  }
  const kept = bound * 4 >= <u64>(positionLive + isolatedLive);
  if (kept) keepUnrealized();
  stamp = nextEpoch();
  for (let k0: u32 = 0; k0 < n; k0++) {
    if (!serves(k0, w)) continue;
    const m = defMarket(k0);
    if (m == NONE || !firstVisit(m, stamp)) continue;
    const count = gatherHolders(m, 0);
    const ids = col(Column.AdlId), pos = col(Column.AdlPos);
    for (let i: u32 = 0; i < count; i++) {
      // PayId aliases AdlPos (and PayCap AdlSize): payer i is written after candidate i is read.
      const tag = load<u32>(ids + (<usize>i << 2));
      const s = load<i64>(<usize>load<u32>(pos + (<usize>i << 2)));
      const e = kept && (tag & ISOLATED_TAG) == 0 ? equityWith(collateralOf(tag), load<i64>(i64At(Column.AccScratch, tag))) : equityOf(tag);
      setPayer(i, tag, s < 0 ? -s : s, capWithin(solventRoom(e), collateralRoom(tag)));
    }
    finishPool(j, w, n, count, m);
  }
}

/** Index holders of market m (an upper bound of its positions, for choosing a pass). */
function holdersOf(m: u32): u32 {
  if (indexDirty) buildIndex();
  const starts = col(Column.IndexStart);
  return load<u32>(starts + (<usize>(m + 1) << 2)) - load<u32>(starts + (<usize>m << 2)) + pendingCount;
}

/** Every open account's unrealized part into AccScratch (OVERFLOWED where it is out of range). */
function keepUnrealized(): void {
  const flags = col(Column.AccFlags), keep = col(Column.AccScratch);
  for (let a: u32 = 0; a < accountCount; a++) {
    if (load<u8>(flags + <usize>a) == ACCOUNT_ACTIVE) store<i64>(keep + (<usize>a << 3), unrealizedOf(a));
  }
}

// ---- Gains haircut (Vega, OKX 2018, Deribit; VMGH) -----------------------------------------------

/** The 128-bit sums a gain is added up in: one position's (GAIN), a cross payer's (TOTAL). */
const GAIN: usize = memory.data(16, 8);
const TOTAL: usize = memory.data(16, 8);
/** A gain beyond 2^62: as a payer's weight it makes its pool too heavy to split (the pool pays nothing). */
const GAIN_BEYOND: i64 = AMOUNT_LIMIT + 1;

/**
 * Adds the unrealized PnL v = floor(s m / D) + quote - fundingOwed of the position behind a size
 * column address p to the 128-bit sum at `acc`. False (nothing added) if its value or funding term
 * is out of range (a notional of 2^62 or more).
 */
function addPnl(acc: usize, p: usize, m: u32, iso: bool): bool {
  const s = load<i64>(p);
  const mk = marketPtr(m);
  const D = load<i64>(mk, MarketRecord.d);
  const quote = load<i64>(quoteAt(p, iso));
  const snap = iso ? load<i64>(p - col(Column.IsoSize) + col(Column.IsoSnap)) : load<i64>(p - col(Column.PosSize) + col(Column.PosSnap));
  const idx = s > 0 ? load<i64>(mk, MarketRecord.fundingLong) : load<i64>(mk, MarketRecord.fundingShort);
  const value = mulDivRounded(s, load<i64>(mk, MarketRecord.mark), D, false, SCRATCH);
  const owed = s == 0 ? 0 : mulDivRounded(s, idx - snap, D, true, SCRATCH);
  if (value == OVERFLOWED || owed == OVERFLOWED) return false;
  addWide(acc, value - owed); // both below 2^62 in magnitude: fits i64
  addWide(acc, quote);
  return true;
}

/** The gain at `acc` as a payer's weight: itself within ±2^62, GAIN_BEYOND above, OVERFLOWED below (no gain). */
function gainWeight(acc: usize): i64 {
  const g = amountOf(acc);
  return g != OVERFLOWED ? g : (load<i64>(acc, I128_HI) >= 0 ? GAIN_BEYOND : OVERFLOWED);
}

/** dst += src, both 128-bit sums. */
// @ts-ignore: decorator
@inline function addAcc(dst: usize, src: usize): void {
  const lo = load<u64>(dst), sum = lo + load<u64>(src);
  store<u64>(dst, sum);
  store<i64>(dst, load<i64>(dst, I128_HI) + load<i64>(src, I128_HI) + <i64>(sum < lo), I128_HI);
}

/** One position's gain v as gainWeight reads it (OVERFLOWED if its terms are out of range or v < -2^62). */
function positionGain(p: usize, m: u32, iso: bool): i64 {
  sumStart(GAIN, 0);
  return addPnl(GAIN, p, m, iso) ? gainWeight(GAIN) : OVERFLOWED;
}

/** The quote balance cell of the position behind size address p. */
// @ts-ignore: decorator
@inline function quoteAt(p: usize, iso: bool): usize {
  return iso ? p - col(Column.IsoSize) + col(Column.IsoQuote) : p - col(Column.PosSize) + col(Column.PosQuote);
}

/**
 * How much of a position's gain v > 0 a haircut can take: v, but no more than keeps its quote
 * balance within the supported range (quote - h >= -2^62): room quote + 2^62 is 0 ..= 2^63.
 */
// @ts-ignore: decorator
@inline function gainRoom(v: i64, quote: i64): i64 { return capWithin(v, quote + AMOUNT_LIMIT); }

/** floor(g * ppm / 10^6) for 0 < g <= 2^62 (any result, 2^62 included, is a share). */
// @ts-ignore: decorator
@inline function haircutCap(g: i64, ppm: i64): i64 { return mulDivRounded(g, ppm, 1_000_000, false, SCRATCH, SHARE_LIMIT); }

/** min(a, b, c). */
// @ts-ignore: decorator
@inline function min3(a: i64, b: i64, c: i64): i64 {
  const ab = a < b ? a : b;
  return ab < c ? ab : c;
}

/**
 * A gains haircut takes the gain itself: each payer's share comes out of its positions' quote
 * balances, so the gain left to haircut (in this step, a later one or a later event) is what the
 * positions still show. The share counts as realized PnL paid out (the ledger's flows fall by it).
 */
export function runGains(j: u32, w: u32, n: u32): void {
  const sp = stepPtr(j);
  const all = load<u8>(sp, StepRecord.mode) == 1;
  const minGain = load<i64>(sp, StepRecord.amount);
  const ppm = <i64>load<u32>(sp, StepRecord.ppm);
  if (all) {
    const np = gainsAll(minGain, ppm);
    if (pool(j, w, n, np, NONE)) takeGains(j, np, NONE);
    return;
  }
  const stamp = nextEpoch();
  for (let k0: u32 = 0; k0 < n; k0++) {
    if (!serves(k0, w)) continue;
    const m = defMarket(k0);
    if (m == NONE || !firstVisit(m, stamp)) continue;
    const count = gatherHolders(m, 0, true);
    const ids = col(Column.AdlId), pos = col(Column.AdlPos);
    let np: u32 = 0;
    for (let i: u32 = 0; i < count; i++) {
      // PayId aliases AdlPos: payer np <= i is written after candidate i is read.
      const tag = load<u32>(ids + (<usize>i << 2));
      const p = <usize>load<u32>(pos + (<usize>i << 2));
      const iso = (tag & ISOLATED_TAG) != 0;
      const g = positionGain(p, m, iso);
      if (g == OVERFLOWED || g <= minGain) continue;
      if (g == GAIN_BEYOND) { setPayer(np++, tag, g, 0); continue; } // too heavy: the pool pays nothing
      setPayer(np++, tag, g, min3(haircutCap(g, ppm), solventRoom(equityOf(tag)), gainRoom(g, load<i64>(quoteAt(p, iso)))));
    }
    if (pool(j, w, n, np, m)) takeGains(j, np, m);
  }
}

/**
 * Payers of scope `all`: each account's cross gain (over all its cross positions), then its
 * isolated positions by market.
 */
function gainsAll(minGain: i64, ppm: i64): u32 {
  let np: u32 = 0;
  const start = col(Column.AccPosStart), len = col(Column.AccPosLen), flags = col(Column.AccFlags);
  for (let a: u32 = 0; a < accountCount; a++) {
    if (load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    const s0 = load<u32>(start + (<usize>a << 2)), cnt = load<u32>(len + (<usize>a << 2));
    // g exactly (128-bit, at TOTAL); each gaining position's room, summed saturating past the split's limit.
    sumStart(TOTAL, 0);
    let room: i64 = 0;
    let bad = false;
    for (let s = s0; s < s0 + cnt; s++) {
      const p = i64At(Column.PosSize, s);
      const m = <u32>load<u16>(u16At(Column.PosMarket, s));
      sumStart(GAIN, 0);
      if (!addPnl(GAIN, p, m, false)) { bad = true; break; }
      addAcc(TOTAL, GAIN);
      const v = gainWeight(GAIN);
      if (v != OVERFLOWED && v > 0) room = heavyAdd(room, gainRoom(v, load<i64>(quoteAt(p, false))));
    }
    const g = gainWeight(TOTAL);
    if (!bad && cnt > 0 && g != OVERFLOWED && g > minGain) {
      // A gain beyond 2^62 makes the pool too heavy (it pays nothing).
      setPayer(np++, a, g, g == GAIN_BEYOND ? 0 : min3(haircutCap(g, ppm), solventRoom(equityOf(a)), room));
    }
    // Isolated rows of a, by market ascending (a short insertion pass over the linked list).
    const first = np;
    let r = load<u32>(u32At(Column.AccIsoHead, a));
    while (r != NONE) {
      const m = <u32>load<u16>(u16At(Column.IsoMarket, r));
      const p = i64At(Column.IsoSize, r);
      const v = positionGain(p, m, true);
      if (v != OVERFLOWED && v > minGain) {
        let at = np++;
        while (at > first && <u32>load<u16>(col(Column.IsoMarket) + (<usize>(load<u32>(u32At(Column.PayId, at - 1)) & ~ISOLATED_TAG) << 1)) > m) {
          setPayer(at, load<u32>(u32At(Column.PayId, at - 1)), load<i64>(i64At(Column.PayWeight, at - 1)), load<i64>(i64At(Column.PayCap, at - 1)));
          at--;
        }
        const cap = v == GAIN_BEYOND ? 0 : min3(haircutCap(v, ppm), solventRoom(equityOf(r | ISOLATED_TAG)), gainRoom(v, load<i64>(quoteAt(p, true))));
        setPayer(at, r | ISOLATED_TAG, v, cap);
      }
      r = load<u32>(u32At(Column.IsoNext, r));
    }
  }
  return np;
}

/** Takes each payer's share out of its gains (quote balances), with a pay record; flows fall by the total. */
function takeGains(j: u32, np: u32, market: u32): void {
  const ids = col(Column.PayId), shares = col(Column.PayWork);
  let total: i64 = 0;
  beginPays(j);
  for (let i: u32 = 0; i < np; i++) {
    const h = load<i64>(shares + (<usize>i << 3));
    if (h <= 0) continue;
    total += h;
    const id = load<u32>(ids + (<usize>i << 2));
    if ((id & ISOLATED_TAG) != 0) {
      const r = id & ~ISOLATED_TAG;
      const q = i64At(Column.IsoQuote, r);
      store<i64>(q, load<i64>(q) - h);
      pay(tagAccount(id), <u32>load<u16>(u16At(Column.IsoMarket, r)), h);
    } else if (market != NONE) {
      const q = i64At(Column.PosQuote, findCross(id, market));
      store<i64>(q, load<i64>(q) - h);
      pay(id, market, h);
    } else {
      takeCrossGains(id, h);
      pay(id, NONE, h);
    }
  }
  endPays();
  addWide(LIQ_RECORD + LiqRecord.flow, -total);
}

/**
 * Takes h out of account a's cross gains: from its positions with a gain, in market order, each up
 * to its room (h never exceeds the sum of the rooms: the payer's cap).
 */
function takeCrossGains(a: u32, h: i64): void {
  const s0 = load<u32>(u32At(Column.AccPosStart, a)), s1 = s0 + load<u32>(u32At(Column.AccPosLen, a));
  const markets = col(Column.PosMarket);
  let last: i32 = -1;
  while (h > 0) {
    // The next position (by market) after `last` with a gain.
    let best: u32 = NONE, bestMarket: i32 = 0x10000, bestRoom: i64 = 0;
    for (let s = s0; s < s1; s++) {
      const m = <i32>load<u16>(markets + (<usize>s << 1));
      if (m <= last || m >= bestMarket) continue;
      const p = i64At(Column.PosSize, s);
      const v = positionGain(p, <u32>m, false);
      if (v == OVERFLOWED || v <= 0) continue;
      best = s; bestMarket = m; bestRoom = gainRoom(v, load<i64>(quoteAt(p, false)));
    }
    assert(best != NONE, 'a gains haircut within the payer\'s room');
    if (best == NONE) return;
    const x = h < bestRoom ? h : bestRoom;
    const q = i64At(Column.PosQuote, best);
    store<i64>(q, load<i64>(q) - x);
    h -= x;
    last = bestMarket;
  }
}

/** Assigns the pool's capacity to the records (of market m, or all), splits and collects. */
function finishPool(j: u32, w: u32, n: u32, np: u32, market: u32): void {
  if (pool(j, w, n, np, market)) takeFromCollateral(j, np, market);
}

/**
 * The pooled step's core: the capacity of payers 0..np (their caps), assigned to the records (of
 * market, or all) in record order, then split among the payers (shares in PayWork). False when
 * nothing was assigned (no capacity, or too heavy to split exactly).
 */
function pool(j: u32, w: u32, n: u32, np: u32, market: u32): bool {
  const cap = totals(np);
  if (cap <= 0) return false;
  const X = assignPooled(j, w, n, cap, market);
  if (X <= 0) return false;
  split(np, X);
  return true;
}

// ---- Deposit haircut (Mango token bankruptcy) ------------------------------------------------------

/** Depositors (weight: the deposit) pay out of it, each no more than keeps its equity at or above zero. */
export function runDeposits(j: u32, w: u32, n: u32): void {
  let np: u32 = 0;
  const flags = col(Column.AccFlags), coll = col(Column.AccCollateral);
  const ids = col(Column.PayId), weights = col(Column.PayWeight), caps = col(Column.PayCap);
  let deposits: i64 = 0, capacity: i64 = 0;
  for (let a: u32 = 0; a < accountCount; a++) {
    const c = load<i64>(coll + (<usize>a << 3));
    if (c <= 0 || load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    const e = solventRoom(equityOf(a));
    const cap = c < e ? c : e;
    store<u32>(ids + (<usize>np << 2), a);
    store<i64>(weights + (<usize>np << 3), c);
    store<i64>(caps + (<usize>np << 3), cap);
    np++;
    deposits = heavyAdd(deposits, c); // c <= 2^62; saturates past 2^62, where nothing can wrap
    capacity += cap; // <= deposits
    if (deposits > WEIGHT_LIMIT) return; // too heavy to split exactly: pays nothing
  }
  if (capacity <= 0) return;
  const X = assignPooled(j, w, n, capacity, NONE);
  if (X <= 0) return;
  splitAt(np, X, weights, caps, col(Column.PayWork), deposits);
  takeFromCollateral(j, np, NONE);
  // The deposit index a venue haircutting every deposit by the same fraction would show:
  // idx - ceil(idx * X / deposits).
  const idx = load<i64>(BALANCES, BalancesRecord.depositIndexE18);
  const cut = mulDivRounded(idx, X, deposits, true, SCRATCH);
  if (cut != OVERFLOWED) store<i64>(BALANCES + BalancesRecord.depositIndexE18, idx - cut);
}

// ---- Vault share haircut (Synthetix) -----------------------------------------------------------------

export function runVaultShares(j: u32, w: u32, n: u32): void {
  const v = backstopVaultAccount();
  if (v == NONE) return;
  const cp = i64At(Column.AccCollateral, v);
  // Its collateral, and no more than keeps its equity (its net asset value) at or above zero.
  let cap = load<i64>(cp);
  const e = solventRoom(equityOf(v));
  if (e < cap) cap = e;
  if (cap <= 0) return;
  const X = assignPooled(j, w, n, cap, NONE);
  if (X <= 0) return;
  store<i64>(cp, load<i64>(cp) - X);
  // Who bore it: the providers, pro rata to shares (the money left the vault account).
  const np = providerCount();
  let shares: i64 = 0;
  for (let i: u32 = 0; i < np; i++) { const s = providerShares(i); setPayer(i, providerAccount(i), s, X); shares += s; }
  if (shares <= 0) { emit(NONE, j, Role.Pay, v, NONE, X, 0, 0); return; }
  split(np, X);
  for (let i: u32 = 0; i < np; i++) {
    const h = shareOf(i);
    if (h > 0) emit(NONE, j, Role.Pay, providerAccount(i), NONE, h, 0, 0);
  }
}

// ---- Clearing house: members' fund and assessments --------------------------------------------------

/** True if member i does not survive this run: a defaulter of it (its account stamped by `allocate`), or a closed account. */
// @ts-ignore: decorator
@inline function defaulted(i: u32, epoch: u32): bool {
  const a = load<u32>(memberPtr(i));
  return load<u32>(u32At(Column.AccStamp, a)) == epoch || load<u8>(col(Column.AccFlags) + <usize>a) != ACCOUNT_ACTIVE;
}

export function runMembersFund(j: u32, w: u32, n: u32, epoch: u32): void {
  const withLayer2 = load<u8>(stepPtr(j), StepRecord.mode) == 1;
  const nm = memberCount();
  let np: u32 = 0;
  for (let i: u32 = 0; i < nm; i++) {
    if (defaulted(i, epoch)) continue;
    const f = load<i64>(memberPtr(i), MemberRecord.fund);
    if (f > 0) setPayer(np++, i, f, f);
  }
  const l2 = load<i64>(BALANCES, BalancesRecord.operatorLayer2);
  if (withLayer2 && l2 > 0) setPayer(np++, NONE, l2, l2);
  if (!pool(j, w, n, np, NONE)) return;
  for (let i: u32 = 0; i < np; i++) {
    const h = shareOf(i);
    if (h <= 0) continue;
    const id = load<u32>(u32At(Column.PayId, i));
    if (id == NONE) { store<i64>(BALANCES + BalancesRecord.operatorLayer2, load<i64>(BALANCES, BalancesRecord.operatorLayer2) - h); emit(NONE, j, Role.Pay, NONE, NONE, h, 0, 0); continue; }
    const mp = memberPtr(id);
    store<i64>(mp + MemberRecord.fund, load<i64>(mp, MemberRecord.fund) - h);
    emit(NONE, j, Role.Pay, load<u32>(mp, MemberRecord.account), NONE, h, 0, 0);
  }
}

/**
 * Surviving members pay pro rata to their commitment, up to a multiple of it; taken from their cross
 * collateral, which may go below zero: the member owes it. What a member paid beyond its equity is
 * reported (per step and run).
 */
export function runAssessments(j: u32, w: u32, n: u32, epoch: u32): void {
  const multiple = <i64>load<u32>(stepPtr(j), StepRecord.ppm);
  const nm = memberCount();
  let np: u32 = 0;
  for (let i: u32 = 0; i < nm; i++) {
    if (defaulted(i, epoch)) continue;
    const mp = memberPtr(i);
    const committed = load<i64>(mp, MemberRecord.committed);
    // The limit floor(K multiple / 10^6) saturates at 2^62 (K <= 2^62, multiples up to 100x): so
    // assessed, which only grows up to the limit, stays an amount. Assessed <= 2^62: room fits.
    const limit = mulDivRounded(committed, multiple, 1_000_000, false, SCRATCH, SHARE_LIMIT);
    const room = (limit == OVERFLOWED || limit > AMOUNT_LIMIT ? AMOUNT_LIMIT : limit) - load<i64>(mp, MemberRecord.assessed);
    // A member whose room is 0 is still a payer of weight K (with a cap of 0), as the split places it.
    if (committed > 0) setPayer(np++, i, committed, room > 0 ? capWithin(room, collateralRoom(load<u32>(mp, MemberRecord.account))) : 0);
  }
  if (!pool(j, w, n, np, NONE)) return;
  for (let i: u32 = 0; i < np; i++) {
    const h = shareOf(i);
    if (h <= 0) continue;
    const mp = memberPtr(load<u32>(u32At(Column.PayId, i)));
    const a = load<u32>(mp, MemberRecord.account);
    // Members owe their assessment even beyond their equity (the clearing house's rule): counted.
    notePayment(j, equityOf(a), h);
    store<i64>(mp + MemberRecord.assessed, load<i64>(mp, MemberRecord.assessed) + h);
    const cp = i64At(Column.AccCollateral, a);
    store<i64>(cp, load<i64>(cp) - h);
    emit(NONE, j, Role.Pay, a, NONE, h, 0, 0);
  }
}
