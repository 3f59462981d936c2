/**
 * Pooled steps of the waterfall (docs/WATERFALL.md): the funding-index bump across open interest,
 * pro-rata haircuts of gains, deposits and vault shares, and the clearing-house default fund and
 * assessments. Each assigns the records their parts of the step's capacity in record order
 * (`assignPooled`), then splits the total once among its payers (prorata.ts), in payer id order.
 */
import { addAmount, AMOUNT_LIMIT, amountOf, INDEX_LIMIT, mulDivRounded, OVERFLOWED, SHARE_LIMIT, sumStart } from '../math/fixed';
import { addWide } from '../math/wide';
import { col, Column, ISOLATED_TAG, M_D, M_FUND_LONG, M_FUND_SHORT, M_MARK, M_OI_LONG, M_OI_SHORT } from '../layout';
import { accountCount, isolatedLive, isolatedTop, nextEpoch, NONE, pendingCount, positionLive, SCRATCH } from './state';
import { ACCOUNT_ACTIVE } from './book';
import { marketPtr } from './position';
import { split, splitAt, WEIGHT_LIMIT } from './prorata';
import { add128, BALANCES, memberCount, memberPtr, providerAccount, providerCount, providerShares, vaultAccount } from './parties';
import { gatherHolders, tagAccount } from './candidates';
import { addResidue, addRunTotal, assignPooled, beginPays, cover, defMarket, emit, endPays, heavyAdd, i64At, openOf, pay, Role, serves, stepPtr, u32At } from './waterfall';

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
 * What a payer of a haircut or an assessment can pay out of its collateral (cross account, or an
 * isolated row for a tagged id) without taking it below -2^62, the supported range.
 */
function collateralRoom(id: u32): i64 {
  const c = (id & ISOLATED_TAG) == 0 ? load<i64>(i64At(Column.AccCollateral, id)) : load<i64>(i64At(Column.IsoCollateral, id & ~ISOLATED_TAG));
  return c + AMOUNT_LIMIT; // collateral >= -2^62: 0 ..= 2^63
}

/** min(cap, room) for a cap >= 0. */
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
      pay(tagAccount(id), <u32>load<u16>(col(Column.IsoMarket) + (<usize>r << 1)), h);
    }
  }
  endPays();
}

/** Marks market m as seen by this step (MarketStamp); false if it was already. */
function firstVisit(m: u32, stamp: u32): bool {
  const p = col(Column.MarketStamp) + (<usize>m << 2);
  if (load<u32>(p) == stamp) return false;
  store<u32>(p, stamp);
  return true;
}

// ---- Funding-index bump (Drift, Mango) -----------------------------------------------------------

export function runSocializeFunding(j: u32, w: u32, n: u32): void {
  // The markets with records, in the order of their first record (AdlGroups as per-market scratch,
  // AdlGroupOf[2m] mapping a market to its entry + 1): +0 market, +8 X, +16 positions, +24 delta,
  // +32 A, +40 usable, +48 first record, +52 last record.
  let nm: u32 = 0;
  for (let k: u32 = 0; k < n; k++) {
    if (!serves(k, w)) continue;
    const m = defMarket(k);
    if (m == NONE) continue;
    const mp = col(Column.AdlGroupOf) + (<usize>(m * 2) << 2);
    let e = load<u32>(mp);
    if (e == 0) {
      e = ++nm;
      store<u32>(mp, e);
      const q = entry(e - 1);
      memory.fill(q, 0, 64);
      store<u32>(q, m);
      store<u32>(q + 48, k);
    }
    const q = entry(e - 1);
    // X past 2^62 is kept as 2^62 + 1: A <= 2^62 < X then refuses the bump (records are up to 2^63).
    const X = addAmount(load<i64>(q, 8), openOf(k));
    store<i64>(q + 8, X == OVERFLOWED ? AMOUNT_LIMIT + 1 : X);
    store<u32>(q + 52, k);
  }
  if (nm == 0) return;
  // Positions (count, then what each will owe) from one pass over the book per question when the
  // markets hold much of it, else from each market's holders.
  let bound: u64 = 0;
  for (let e: u32 = 0; e < nm; e++) bound += <u64>holdersOf(load<u32>(entry(e)));
  const sweep = bound * 4 >= <u64>(positionLive + isolatedLive);
  if (sweep) bookPass(false);
  else for (let e: u32 = 0; e < nm; e++) store<u32>(entry(e) + 16, gatherHolders(load<u32>(entry(e)), 0));
  for (let e: u32 = 0; e < nm; e++) {
    const q = entry(e);
    const mk = marketPtr(load<u32>(q));
    const oi = load<i64>(mk, M_OI_LONG) + load<i64>(mk, M_OI_SHORT);
    const delta = oi <= 0 ? OVERFLOWED : mulDivRounded(load<i64>(q, 8) + <i64>load<u32>(q, 16), load<i64>(mk, M_D), oi, true, SCRATCH);
    const iL = load<i64>(mk, M_FUND_LONG), iS = load<i64>(mk, M_FUND_SHORT);
    const usable = delta != OVERFLOWED && iL + delta <= INDEX_LIMIT && iS - delta >= -INDEX_LIMIT;
    store<i64>(q + 24, delta);
    store<u32>(q + 40, usable ? 1 : 0);
  }
  if (sweep) bookPass(true);
  else {
    for (let e: u32 = 0; e < nm; e++) {
      const q = entry(e);
      if (load<u32>(q, 40) == 0) continue;
      const m = load<u32>(q);
      const count = gatherHolders(m, 0);
      const ids = col(Column.AdlId), pos = col(Column.AdlPos);
      for (let i: u32 = 0; i < count; i++) {
        const tag = load<u32>(ids + (<usize>i << 2));
        owes(q, m, <usize>load<u32>(pos + (<usize>i << 2)), (tag & ISOLATED_TAG) != 0);
      }
    }
  }
  // Bump the usable markets, in order: covers, the market's pay record, its residue.
  for (let e: u32 = 0; e < nm; e++) {
    const q = entry(e);
    const m = load<u32>(q);
    store<u32>(col(Column.AdlGroupOf) + (<usize>(m * 2) << 2), 0);
    const X = load<i64>(q, 8), A = load<i64>(q, 32), delta = load<i64>(q, 24);
    if (load<u32>(q, 40) == 0 || A < X) continue;
    const mk = marketPtr(m);
    store<i64>(mk + M_FUND_LONG, load<i64>(mk, M_FUND_LONG) + delta);
    store<i64>(mk + M_FUND_SHORT, load<i64>(mk, M_FUND_SHORT) - delta);
    const last = load<u32>(q, 52);
    for (let k = load<u32>(q, 48); k <= last; k++) {
      if (serves(k, w) && defMarket(k) == m) cover(k, j, NONE, openOf(k), delta, 0);
    }
    add128(BALANCES + 32, A);
    addRunTotal(56, A);
    emit(NONE, j, Role.Pay, NONE, m, A, delta, load<i64>(mk, M_OI_LONG) + load<i64>(mk, M_OI_SHORT));
    addResidue(j, NONE, m, A - X, NONE);
  }
}

// @ts-ignore: decorator
@inline function entry(e: u32): usize { return col(Column.AdlGroups) + (<usize>e << 6); }

/** Index holders of market m (an upper bound of its positions, for choosing a pass). */
function holdersOf(m: u32): u32 {
  const starts = col(Column.IndexStart);
  return load<u32>(starts + (<usize>(m + 1) << 2)) - load<u32>(starts + (<usize>m << 2)) + pendingCount;
}

/**
 * One pass over every position: with `owed` false, counts each listed market's positions with a
 * size (+16); with `owed` true, adds what each will owe after the bump to its market's A (+32).
 */
function bookPass(owed: bool): void {
  const flags = col(Column.AccFlags), posStart = col(Column.AccPosStart), posLen = col(Column.AccPosLen);
  const posMarket = col(Column.PosMarket), posSize = col(Column.PosSize), map = col(Column.AdlGroupOf);
  for (let a: u32 = 0; a < accountCount; a++) {
    if (load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    const s0 = load<u32>(posStart + (<usize>a << 2)), s1 = s0 + load<u32>(posLen + (<usize>a << 2));
    for (let sl = s0; sl < s1; sl++) {
      const p = posSize + (<usize>sl << 3);
      if (load<i64>(p) == 0) continue;
      const m = <u32>load<u16>(posMarket + (<usize>sl << 1));
      const e = load<u32>(map + (<usize>(m * 2) << 2));
      if (e == 0) continue;
      const q = entry(e - 1);
      if (!owed) store<u32>(q + 16, load<u32>(q, 16) + 1);
      else if (load<u32>(q, 40) != 0) owes(q, m, p, false);
    }
  }
  for (let r: u32 = 0; r < isolatedTop; r++) {
    if (load<u8>(col(Column.IsoFlags) + <usize>r) == 0) continue;
    const p = i64At(Column.IsoSize, r);
    if (load<i64>(p) == 0) continue;
    const m = <u32>load<u16>(col(Column.IsoMarket) + (<usize>r << 1));
    const e = load<u32>(map + (<usize>(m * 2) << 2));
    if (e == 0) continue;
    const q = entry(e - 1);
    if (!owed) store<u32>(q + 16, load<u32>(q, 16) + 1);
    else if (load<u32>(q, 40) != 0) owes(q, m, p, true);
  }
}

/**
 * Adds to market entry q's A what the position at size address p will owe because of the bump:
 * ceil(s (I' - snap) / D) - ceil(s (I - snap) / D); an overflow makes the market unusable.
 */
function owes(q: usize, m: u32, p: usize, iso: bool): void {
  const mk = marketPtr(m);
  const s = load<i64>(p);
  const snap = iso ? load<i64>(p - col(Column.IsoSize) + col(Column.IsoSnap)) : load<i64>(p - col(Column.PosSize) + col(Column.PosSnap));
  const delta = load<i64>(q, 24), D = load<i64>(mk, M_D);
  const idx = s > 0 ? load<i64>(mk, M_FUND_LONG) : load<i64>(mk, M_FUND_SHORT);
  const idx2 = s > 0 ? idx + delta : idx - delta;
  const before = mulDivRounded(s, idx - snap, D, true, SCRATCH), after = mulDivRounded(s, idx2 - snap, D, true, SCRATCH);
  const A = addAmount(load<i64>(q, 32), after - before); // |after|, |before| < 2^62: their difference fits
  if (before == OVERFLOWED || after == OVERFLOWED || A == OVERFLOWED) store<u32>(q + 40, 0);
  else store<i64>(q + 32, A);
}

// ---- Gains haircut (Vega, OKX 2018, Deribit; VMGH) -----------------------------------------------

/** Scratch for a group's gain, summed in 128 bits (a gain of several positions may pass i64). */
const GAIN: usize = memory.data(16, 8);
/** A gain beyond 2^62: as a payer's weight it makes its pool too heavy to split (the pool pays nothing). */
const GAIN_BEYOND: i64 = AMOUNT_LIMIT + 1;

/**
 * Adds the unrealized PnL v = floor(s m / D) + quote - fundingOwed of the position behind a size
 * column address p to the 128-bit sum at GAIN. False (nothing added) if its value or funding term
 * is out of range (a notional of 2^62 or more).
 */
function addPnl(p: usize, m: u32, iso: bool): bool {
  const s = load<i64>(p);
  const mk = marketPtr(m);
  const D = load<i64>(mk, M_D);
  const quote = iso ? load<i64>(p - col(Column.IsoSize) + col(Column.IsoQuote)) : load<i64>(p - col(Column.PosSize) + col(Column.PosQuote));
  const snap = iso ? load<i64>(p - col(Column.IsoSize) + col(Column.IsoSnap)) : load<i64>(p - col(Column.PosSize) + col(Column.PosSnap));
  const idx = s > 0 ? load<i64>(mk, M_FUND_LONG) : load<i64>(mk, M_FUND_SHORT);
  const value = mulDivRounded(s, load<i64>(mk, M_MARK), D, false, SCRATCH);
  const owed = s == 0 ? 0 : mulDivRounded(s, idx - snap, D, true, SCRATCH);
  if (value == OVERFLOWED || owed == OVERFLOWED) return false;
  addWide(GAIN, value - owed); // both below 2^62 in magnitude: fits i64
  addWide(GAIN, quote);
  return true;
}

/** The gain at GAIN as a payer's weight: itself within ±2^62, GAIN_BEYOND above, OVERFLOWED below (no gain). */
function gainWeight(): i64 {
  const g = amountOf(GAIN);
  return g != OVERFLOWED ? g : (load<i64>(GAIN, 8) >= 0 ? GAIN_BEYOND : OVERFLOWED);
}

/** A payer's cap: floor(g * maxHaircutPpm / 10^6) (g itself at 10^6, 2^62 included), within its collateral room. */
function gainCap(g: i64, ppm: i64, id: u32): i64 {
  return capWithin(mulDivRounded(g, ppm, 1_000_000, false, SCRATCH, SHARE_LIMIT), collateralRoom(id));
}

export function runGains(j: u32, w: u32, n: u32): void {
  const sp = stepPtr(j);
  const all = load<u8>(sp, 2) == 1;
  const minGain = load<i64>(sp, 8);
  const ppm = <i64>load<u32>(sp, 40);
  if (all) {
    const np = gainsAll(minGain, ppm);
    finishPool(j, w, n, np, NONE);
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
      sumStart(GAIN, 0);
      if (!addPnl(<usize>load<u32>(pos + (<usize>i << 2)), m, (tag & ISOLATED_TAG) != 0)) continue;
      const g = gainWeight();
      if (g == OVERFLOWED || g <= minGain) continue;
      setPayer(np++, tag, g, gainCap(g, ppm, tag));
    }
    finishPool(j, w, n, np, m);
  }
}

/** Payers of scope `all`: each account's cross gain, then its isolated positions by market. */
function gainsAll(minGain: i64, ppm: i64): u32 {
  let np: u32 = 0;
  const start = col(Column.AccPosStart), len = col(Column.AccPosLen), flags = col(Column.AccFlags);
  for (let a: u32 = 0; a < accountCount; a++) {
    if (load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    const s0 = load<u32>(start + (<usize>a << 2)), cnt = load<u32>(len + (<usize>a << 2));
    let bad = false;
    sumStart(GAIN, 0);
    for (let s = s0; s < s0 + cnt; s++) {
      if (!addPnl(i64At(Column.PosSize, s), <u32>load<u16>(col(Column.PosMarket) + (<usize>s << 1)), false)) { bad = true; break; }
    }
    const g = gainWeight();
    if (!bad && cnt > 0 && g != OVERFLOWED && g > minGain) setPayer(np++, a, g, gainCap(g, ppm, a));
    // Isolated rows of a, by market ascending (a short insertion pass over the linked list).
    const first = np;
    let r = load<u32>(u32At(Column.AccIsoHead, a));
    while (r != NONE) {
      const m = <u32>load<u16>(col(Column.IsoMarket) + (<usize>r << 1));
      sumStart(GAIN, 0);
      const v = addPnl(i64At(Column.IsoSize, r), m, true) ? gainWeight() : OVERFLOWED;
      if (v != OVERFLOWED && v > minGain) {
        let at = np++;
        while (at > first && <u32>load<u16>(col(Column.IsoMarket) + (<usize>(load<u32>(u32At(Column.PayId, at - 1)) & ~ISOLATED_TAG) << 1)) > m) {
          setPayer(at, load<u32>(u32At(Column.PayId, at - 1)), load<i64>(i64At(Column.PayWeight, at - 1)), load<i64>(i64At(Column.PayCap, at - 1)));
          at--;
        }
        setPayer(at, r | ISOLATED_TAG, v, gainCap(v, ppm, r | ISOLATED_TAG));
      }
      r = load<u32>(u32At(Column.IsoNext, r));
    }
  }
  return np;
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

export function runDeposits(j: u32, w: u32, n: u32): void {
  let np: u32 = 0;
  const flags = col(Column.AccFlags), coll = col(Column.AccCollateral);
  // Each depositor's cap is its weight (its balance): one column serves as both.
  const ids = col(Column.PayId), weights = col(Column.PayWeight);
  let cap: i64 = 0;
  for (let a: u32 = 0; a < accountCount; a++) {
    const c = load<i64>(coll + (<usize>a << 3));
    if (c <= 0 || load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    store<u32>(ids + (<usize>np << 2), a);
    store<i64>(weights + (<usize>np << 3), c);
    np++;
    cap = heavyAdd(cap, c); // c <= 2^62; saturates past 2^62, where nothing can wrap
    if (cap > WEIGHT_LIMIT) return; // too heavy to split exactly: pays nothing
  }
  if (cap <= 0) return;
  const X = assignPooled(j, w, n, cap, NONE);
  if (X <= 0) return;
  splitAt(np, X, weights, weights, col(Column.PayWork), cap);
  takeFromCollateral(j, np, NONE);
  // The deposit index a lazily indexed venue would show: idx - ceil(idx * X / deposits).
  const idx = load<i64>(BALANCES, 80);
  const cut = mulDivRounded(idx, X, cap, true, SCRATCH);
  if (cut != OVERFLOWED) store<i64>(BALANCES + 80, idx - cut);
}

// ---- Vault share haircut (Synthetix) -----------------------------------------------------------------

export function runVaultShares(j: u32, w: u32, n: u32): void {
  const v = vaultAccount();
  if (v == NONE) return;
  const cp = i64At(Column.AccCollateral, v);
  const cap = load<i64>(cp);
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

/** True if member i is a defaulter of this run (its account stamped by `allocate`). */
// @ts-ignore: decorator
@inline function defaulted(i: u32, epoch: u32): bool {
  return load<u32>(u32At(Column.AccStamp, load<u32>(memberPtr(i)))) == epoch;
}

export function runMembersFund(j: u32, w: u32, n: u32, epoch: u32): void {
  const withLayer2 = load<u8>(stepPtr(j), 2) == 1;
  const nm = memberCount();
  let np: u32 = 0;
  for (let i: u32 = 0; i < nm; i++) {
    if (defaulted(i, epoch)) continue;
    const f = load<i64>(memberPtr(i), 8);
    if (f > 0) setPayer(np++, i, f, f);
  }
  const l2 = load<i64>(BALANCES, 72);
  if (withLayer2 && l2 > 0) setPayer(np++, NONE, l2, l2);
  if (!pool(j, w, n, np, NONE)) return;
  for (let i: u32 = 0; i < np; i++) {
    const h = shareOf(i);
    if (h <= 0) continue;
    const id = load<u32>(u32At(Column.PayId, i));
    if (id == NONE) { store<i64>(BALANCES + 72, load<i64>(BALANCES, 72) - h); emit(NONE, j, Role.Pay, NONE, NONE, h, 0, 0); continue; }
    const mp = memberPtr(id);
    store<i64>(mp + 8, load<i64>(mp, 8) - h);
    emit(NONE, j, Role.Pay, load<u32>(mp), NONE, h, 0, 0);
  }
}

export function runAssessments(j: u32, w: u32, n: u32, epoch: u32): void {
  const multiple = <i64>load<u32>(stepPtr(j), 40);
  const nm = memberCount();
  let np: u32 = 0;
  for (let i: u32 = 0; i < nm; i++) {
    if (defaulted(i, epoch)) continue;
    const mp = memberPtr(i);
    const committed = load<i64>(mp, 16);
    // The limit floor(K multiple / 10^6) saturates at 2^62 (K <= 2^62, multiples up to 100x): so
    // assessed, which only grows up to the limit, stays an amount. Assessed <= 2^62: room fits.
    const limit = mulDivRounded(committed, multiple, 1_000_000, false, SCRATCH, SHARE_LIMIT);
    const room = (limit == OVERFLOWED || limit > AMOUNT_LIMIT ? AMOUNT_LIMIT : limit) - load<i64>(mp, 24);
    if (room > 0 && committed > 0) setPayer(np++, i, committed, capWithin(room, collateralRoom(load<u32>(mp))));
  }
  if (!pool(j, w, n, np, NONE)) return;
  for (let i: u32 = 0; i < np; i++) {
    const h = shareOf(i);
    if (h <= 0) continue;
    const mp = memberPtr(load<u32>(u32At(Column.PayId, i)));
    const a = load<u32>(mp);
    store<i64>(mp + 24, load<i64>(mp, 24) + h);
    const cp = i64At(Column.AccCollateral, a);
    store<i64>(cp, load<i64>(cp) - h);
    emit(NONE, j, Role.Pay, a, NONE, h, 0, 0);
  }
}
