/**
 * Pooled steps of the waterfall (docs/WATERFALL.md): the funding-index bump across open interest,
 * pro-rata haircuts of gains, deposits and vault shares, and the clearing-house default fund and
 * assessments. Each assigns the records their parts of the step's capacity in record order
 * (`assignPooled`), then splits the total once among its payers (prorata.ts), in payer id order.
 */
import { AMOUNT_LIMIT, INDEX_LIMIT, mulDivRounded, OVERFLOWED } from '../math/fixed';
import { col, Column, ISOLATED_TAG, M_D, M_FUND_LONG, M_FUND_SHORT, M_MARK, M_OI_LONG, M_OI_SHORT } from '../layout';
import { accountCount, nextEpoch, NONE, SCRATCH } from './state';
import { ACCOUNT_ACTIVE } from './book';
import { marketPtr } from './position';
import { split, WEIGHT_LIMIT } from './prorata';
import { add128, BALANCES, memberCount, memberPtr, providerAccount, providerCount, providerShares, vaultAccount } from './parties';
import { gatherHolders, tagAccount } from './adl';
import { addResidue, assignPooled, cover, defMarket, emit, i64At, openOf, Role, RUN_RECORD, serves, stepPtr, u32At } from './waterfall';

// @ts-ignore: decorator
@inline function setPayer(i: u32, id: u32, weight: i64, cap: i64): void {
  store<u32>(u32At(Column.PayId, i), id);
  store<i64>(i64At(Column.PayWeight, i), weight);
  store<i64>(i64At(Column.PayCap, i), cap);
}
// @ts-ignore: decorator
@inline function shareOf(i: u32): i64 { return load<i64>(i64At(Column.PayWork, i)); }

/** Sums weights and caps of payers 0..n (saturating at 2^62 + 1: too heavy to split exactly). */
function totals(n: u32): i64 {
  let w: i64 = 0, c: i64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    w += load<i64>(i64At(Column.PayWeight, i));
    c += load<i64>(i64At(Column.PayCap, i));
    if (w > WEIGHT_LIMIT || c > WEIGHT_LIMIT) return -1;
  }
  return c;
}

/** Takes each payer's share out of its collateral (cross account, or isolated row), with a pay record. */
function takeFromCollateral(j: u32, n: u32, market: u32): void {
  const ids = col(Column.PayId), shares = col(Column.PayWork);
  for (let i: u32 = 0; i < n; i++) {
    const h = load<i64>(shares + (<usize>i << 3));
    if (h <= 0) continue;
    const id = load<u32>(ids + (<usize>i << 2));
    const iso = (id & ISOLATED_TAG) != 0;
    const p = iso ? i64At(Column.IsoCollateral, id & ~ISOLATED_TAG) : i64At(Column.AccCollateral, id);
    store<i64>(p, load<i64>(p) - h);
    const m = iso ? <u32>load<u16>(col(Column.IsoMarket) + (<usize>(id & ~ISOLATED_TAG) << 1)) : market;
    emit(NONE, j, Role.Pay, tagAccount(id), m, h, 0, 0);
  }
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
  const stamp = nextEpoch();
  for (let k0: u32 = 0; k0 < n; k0++) {
    if (!serves(k0, w)) continue;
    const m = defMarket(k0);
    if (m == NONE || !firstVisit(m, stamp)) continue;
    const mk = marketPtr(m);
    const oi = load<i64>(mk, M_OI_LONG) + load<i64>(mk, M_OI_SHORT);
    if (oi <= 0) continue;
    let X: i64 = 0;
    for (let k = k0; k < n; k++) if (serves(k, w) && defMarket(k) == m) X += openOf(k);
    if (X > AMOUNT_LIMIT) X = AMOUNT_LIMIT;
    const count = gatherHolders(m, 0);
    const D = load<i64>(mk, M_D);
    const delta = mulDivRounded(X + <i64>count, D, oi, true, SCRATCH);
    const iL = load<i64>(mk, M_FUND_LONG), iS = load<i64>(mk, M_FUND_SHORT);
    if (delta == OVERFLOWED || iL + delta > INDEX_LIMIT || iS - delta < -INDEX_LIMIT) continue;
    // What the positions will owe, exactly, once they settle.
    let A: i64 = 0;
    let ok = true;
    const ids = col(Column.AdlId), pos = col(Column.AdlPos);
    for (let i: u32 = 0; i < count && ok; i++) {
      const tag = load<u32>(ids + (<usize>i << 2));
      const p = <usize>load<u32>(pos + (<usize>i << 2));
      const s = load<i64>(p);
      const snap = (tag & ISOLATED_TAG) != 0 ? load<i64>(p - col(Column.IsoSize) + col(Column.IsoSnap)) : load<i64>(p - col(Column.PosSize) + col(Column.PosSnap));
      const idx = s > 0 ? iL : iS, idx2 = s > 0 ? iL + delta : iS - delta;
      const before = mulDivRounded(s, idx - snap, D, true, SCRATCH), after = mulDivRounded(s, idx2 - snap, D, true, SCRATCH);
      if (before == OVERFLOWED || after == OVERFLOWED) ok = false;
      else A += after - before;
      if (A > AMOUNT_LIMIT) ok = false;
    }
    if (!ok || A < X) continue;
    store<i64>(mk + M_FUND_LONG, iL + delta);
    store<i64>(mk + M_FUND_SHORT, iS - delta);
    for (let k = k0; k < n; k++) {
      if (serves(k, w) && defMarket(k) == m) cover(k, j, NONE, openOf(k), delta, 0);
    }
    add128(BALANCES + 32, A);
    store<i64>(RUN_RECORD + 56, load<i64>(RUN_RECORD, 56) + A);
    emit(NONE, j, Role.Pay, NONE, m, A, delta, oi);
    addResidue(j, NONE, m, A - X, NONE);
  }
}

// ---- Gains haircut (Vega, OKX 2018, Deribit; VMGH) -----------------------------------------------

/** Unrealized PnL of the position behind a size column address p (OVERFLOWED if out of range). */
function pnlAt(p: usize, m: u32, iso: bool): i64 {
  const s = load<i64>(p);
  const mk = marketPtr(m);
  const D = load<i64>(mk, M_D);
  const quote = iso ? load<i64>(p - col(Column.IsoSize) + col(Column.IsoQuote)) : load<i64>(p - col(Column.PosSize) + col(Column.PosQuote));
  const snap = iso ? load<i64>(p - col(Column.IsoSize) + col(Column.IsoSnap)) : load<i64>(p - col(Column.PosSize) + col(Column.PosSnap));
  const idx = s > 0 ? load<i64>(mk, M_FUND_LONG) : load<i64>(mk, M_FUND_SHORT);
  const value = mulDivRounded(s, load<i64>(mk, M_MARK), D, false, SCRATCH);
  const owed = s == 0 ? 0 : mulDivRounded(s, idx - snap, D, true, SCRATCH);
  if (value == OVERFLOWED || owed == OVERFLOWED) return OVERFLOWED;
  return value + quote - owed;
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
      const g = pnlAt(<usize>load<u32>(pos + (<usize>i << 2)), m, (tag & ISOLATED_TAG) != 0);
      if (g == OVERFLOWED || g <= minGain) continue;
      setPayer(np++, tag, g, mulDivRounded(g, ppm, 1_000_000, false, SCRATCH));
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
    let g: i64 = 0;
    let bad = false;
    for (let s = s0; s < s0 + cnt; s++) {
      const v = pnlAt(i64At(Column.PosSize, s), <u32>load<u16>(col(Column.PosMarket) + (<usize>s << 1)), false);
      if (v == OVERFLOWED) { bad = true; break; }
      g += v;
    }
    if (!bad && cnt > 0 && g > minGain && g <= AMOUNT_LIMIT) setPayer(np++, a, g, mulDivRounded(g, ppm, 1_000_000, false, SCRATCH));
    // Isolated rows of a, by market ascending (a short insertion pass over the linked list).
    const first = np;
    let r = load<u32>(u32At(Column.AccIsoHead, a));
    while (r != NONE) {
      const m = <u32>load<u16>(col(Column.IsoMarket) + (<usize>r << 1));
      const v = pnlAt(i64At(Column.IsoSize, r), m, true);
      if (v != OVERFLOWED && v > minGain) {
        let at = np++;
        while (at > first && <u32>load<u16>(col(Column.IsoMarket) + (<usize>(load<u32>(u32At(Column.PayId, at - 1)) & ~ISOLATED_TAG) << 1)) > m) {
          setPayer(at, load<u32>(u32At(Column.PayId, at - 1)), load<i64>(i64At(Column.PayWeight, at - 1)), load<i64>(i64At(Column.PayCap, at - 1)));
          at--;
        }
        setPayer(at, r | ISOLATED_TAG, v, mulDivRounded(v, ppm, 1_000_000, false, SCRATCH));
      }
      r = load<u32>(u32At(Column.IsoNext, r));
    }
  }
  return np;
}

/** Assigns the pool's capacity to the records (of market m, or all), splits and collects. */
function finishPool(j: u32, w: u32, n: u32, np: u32, market: u32): void {
  const cap = totals(np);
  if (cap <= 0) return;
  const X = assignPooled(j, w, n, cap, market);
  if (X <= 0) return;
  split(np, X);
  takeFromCollateral(j, np, market);
}

// ---- Deposit haircut (Mango token bankruptcy) ------------------------------------------------------

export function runDeposits(j: u32, w: u32, n: u32): void {
  let np: u32 = 0;
  const flags = col(Column.AccFlags), coll = col(Column.AccCollateral);
  const ids = col(Column.PayId), weights = col(Column.PayWeight), caps = col(Column.PayCap);
  let cap: i64 = 0;
  for (let a: u32 = 0; a < accountCount; a++) {
    const c = load<i64>(coll + (<usize>a << 3));
    if (c <= 0 || load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    store<u32>(ids + (<usize>np << 2), a);
    store<i64>(weights + (<usize>np << 3), c);
    store<i64>(caps + (<usize>np << 3), c);
    np++;
    cap += c;
    if (cap > WEIGHT_LIMIT) return; // too heavy to split exactly: pays nothing
  }
  if (cap <= 0) return;
  const X = assignPooled(j, w, n, cap, NONE);
  if (X <= 0) return;
  split(np, X);
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
  const cap = totals(np);
  if (cap <= 0) return;
  const X = assignPooled(j, w, n, cap, NONE);
  if (X <= 0) return;
  split(np, X);
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
    const limit = mulDivRounded(committed, multiple, 1_000_000, false, SCRATCH);
    const room = limit == OVERFLOWED ? 0 : limit - load<i64>(mp, 24);
    if (room > 0 && committed > 0) setPayer(np++, i, committed, room);
  }
  const cap = totals(np);
  if (cap <= 0) return;
  const X = assignPooled(j, w, n, cap, NONE);
  if (X <= 0) return;
  split(np, X);
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
