/**
 * Auto-deleveraging (docs/WATERFALL.md, "adl"): the bankrupt close is re-assigned to opposite
 * positions, which close at the bankruptcy price (paying the difference to the deficit) or at the
 * mark.
 *
 * Candidates of one market side are gathered from the market's holder index, sorted by account id
 * (LSD radix, two 16-bit digits). Ranked orders need only the prefix that the group's records can
 * consume: a size-weighted radix select finds the key threshold T at which the best candidates'
 * sizes first reach the group's total closed size, and only candidates at or above T are sorted
 * (stable, so ties stay in account order). Against a million candidates this is one pass for the
 * keys, one to four histogram passes and a sort of a few thousand entries, instead of a full sort.
 */
import { AMOUNT_LIMIT, FAST_LIMIT, INDEX_LIMIT, mulDivCeilFast, mulDivFloorFast, mulDivRounded, OVERFLOWED } from '../math/fixed';
import { col, Column, ioCapacity, ISOLATED_TAG, M_D, M_FUND_LONG, M_FUND_SHORT, M_INV_D, M_MARK, M_MARK_OVER_D, maxAccounts, maxIsolated } from '../layout';
import { accountCount, clearError, fail, indexDirty, isolatedLive, isolatedTop, LIQ_RECORD, marketCount, nextEpoch, NONE, pendingCount, positionLive, SCRATCH } from './state';
import { ACCOUNT_ACTIVE, findCross, fundingToSettle, sideIndex } from './book';
import { buildIndex } from './check';
import { applyFill } from './fills';
import { marketPtr } from './position';
import { splitAt } from './prorata';
import { add128 } from './parties';
import { addResidue, cover, defMarket, i64At, openOf, RANK_CUSTOM, RANK_LARGEST, RANK_RANDOM_WALK, RUN_RECORD, serves, stepPtr, u32At, eventId } from './waterfall';

@external("env", "adlKeys")
declare function adlKeys(step: u32, market: u32, side: i32, count: u32): void;

// ---- Candidates -----------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline export function tagAccount(tag: u32): u32 {
  return (tag & ISOLATED_TAG) != 0 ? load<u32>(col(Column.IsoAccount) + (<usize>(tag & ~ISOLATED_TAG) << 2)) : tag;
}

/** The live position behind a holder tag in market m: its size column address, or 0. */
export function positionOf(tag: u32, m: u32): usize {
  if ((tag & ISOLATED_TAG) != 0) {
    const r = tag & ~ISOLATED_TAG;
    if (load<u8>(col(Column.IsoFlags) + <usize>r) == 0 || <u32>load<u16>(col(Column.IsoMarket) + (<usize>r << 1)) != m) return 0;
    return i64At(Column.IsoSize, r);
  }
  if (load<u8>(col(Column.AccFlags) + <usize>tag) != ACCOUNT_ACTIVE) return 0;
  const s = findCross(tag, m);
  return s == NONE ? 0 : i64At(Column.PosSize, s);
}

/**
 * Gathers the holders of market m with a live position whose sign is `side` (+1, -1; 0: any; size 0
 * only `withZero`) into
 * AdlId (holder tags), AdlPos (the position's size column address) and AdlSize (|size|), sorted by
 * account id, one per account. Returns how many. Addresses stay valid until a position is closed.
 */
export function gatherHolders(m: u32, side: i32, withZero: bool = false, ranking: u32 = NONE): u32 {
  if (indexDirty) buildIndex();
  const ids = col(Column.AdlId), pos = col(Column.AdlPos);
  let n: u32 = 0;
  // Keys computed here, while each position is in cache (rankings that read only the position and
  // the check's figures, and the collateral as it is now, which is when the group starts), with the
  // level-1 counts for a selection when the market is large enough to need one.
  const withKeys = ranking <= 3;
  const mk = marketPtr(m);
  const mark = load<i64>(mk, M_MARK), d = load<i64>(mk, M_D), markOverD = load<f64>(mk, M_MARK_OVER_D);
  const idxLong = load<i64>(mk, M_FUND_LONG), idxShort = load<i64>(mk, M_FUND_SHORT), invD = load<f64>(mk, M_INV_D);
  quoteDelta = col(Column.PosQuote) - col(Column.PosSize);
  snapDelta = col(Column.PosSnap) - col(Column.PosSize);
  const keys = col(Column.AdlKey), sums = col(Column.AdlSums);
  let sorted = true, withPending = false, last: u32 = 0;
  const starts = col(Column.IndexStart), entries = col(Column.IndexEntries);
  const e0 = load<u32>(starts + (<usize>m << 2)), e1 = load<u32>(starts + (<usize>(m + 1) << 2));
  const pm = col(Column.PendingMarket), ph = col(Column.PendingHolder);
  const flags = col(Column.AccFlags), posStart = col(Column.AccPosStart), posLen = col(Column.AccPosLen);
  const posMarket = col(Column.PosMarket), posSize = col(Column.PosSize);
  const withHist = withKeys && e1 - e0 >= 4096;
  if (withHist) memory.fill(sums, 0, 65536 << 3);
  let total: u64 = 0;
  for (let e = e0; e < e1 + pendingCount; e++) {
    let tag: u32;
    if (e < e1) tag = load<u32>(entries + (<usize>e << 2));
    else {
      const k = e - e1;
      if (load<u32>(pm + (<usize>k << 2)) != m) continue;
      tag = load<u32>(ph + (<usize>k << 2));
      withPending = true;
    }
    let p: usize = 0;
    if ((tag & ISOLATED_TAG) == 0) {
      // The account's cross slots, scanned for the market (positionOf, inlined for the hot loop).
      if (load<u8>(flags + <usize>tag) != ACCOUNT_ACTIVE) continue;
      const s0 = load<u32>(posStart + (<usize>tag << 2)), s1 = s0 + load<u32>(posLen + (<usize>tag << 2));
      for (let sl = s0; sl < s1; sl++) {
        if (<u32>load<u16>(posMarket + (<usize>sl << 1)) == m) { p = posSize + (<usize>sl << 3); break; }
      }
    } else p = positionOf(tag, m);
    if (p == 0) continue;
    const s = load<i64>(p);
    if ((s == 0 && !withZero) || (side > 0 && s < 0) || (side < 0 && s > 0)) continue;
    const a = tagAccount(tag);
    if (a < last) sorted = false;
    last = a;
    store<u32>(ids + (<usize>n << 2), tag);
    store<u32>(pos + (<usize>n << 2), <u32>p);
    const size = <u64>(s < 0 ? -s : s);
    store<u64>(col(Column.AdlSize) + (<usize>n << 3), size);
    if (withKeys) {
      let key = keyOf(ranking, tag, m, p, mark, d, markOverD, idxLong, idxShort, invD);
      if (key == 0) key = 0; // -0 and +0 are one key
      store<f64>(keys + (<usize>n << 3), key);
      total = sat(total, size);
      if (withHist) {
        const sp = sums + (<usize>(bestFirstBits(key) >> 48) << 3);
        store<u64>(sp, sat(load<u64>(sp), size));
      }
    }
    n++;
  }
  // Listed from the built index, accounts come in order, once each: done (keys included).
  gatheredKeys = withKeys && sorted && !withPending;
  gatheredHist = gatheredKeys && withHist;
  gatheredTotal = total;
  if (sorted && !withPending) return n;
  if (!sorted) sortByAccount(n);
  const sizes = col(Column.AdlSize);
  // One per account: the index lists an account once per market, the pending list may repeat it.
  let u: u32 = 0;
  last = NONE;
  for (let i: u32 = 0; i < n; i++) {
    const tag = load<u32>(ids + (<usize>i << 2));
    const a = tagAccount(tag);
    if (a == last && withPending) continue;
    last = a;
    const p = load<u32>(pos + (<usize>i << 2));
    const s = load<i64>(<usize>p);
    store<u64>(sizes + (<usize>u << 3), <u64>(s < 0 ? -s : s));
    store<u32>(ids + (<usize>u << 2), tag);
    store<u32>(pos + (<usize>u << 2), p);
    u++;
  }
  return u;
}

/** What the last gather computed besides the list: keys, the level-1 counts, the total size. */
let gatheredKeys = false, gatheredHist = false;
let gatheredTotal: u64 = 0;

/** Stable LSD radix sort of (AdlId, AdlPos)[0..n) by account id (SortIdsA, SortIdsB as second buffers). */
function sortByAccount(n: u32): void {
  let src = col(Column.AdlId), dst = col(Column.SortIdsA), srcP = col(Column.AdlPos), dstP = col(Column.SortIdsB);
  const counts = col(Column.SortCounts);
  // 8-bit digits for short lists (a 16-bit histogram costs more to clear than to use), 16-bit else.
  const bits: u32 = n < 4096 ? 8 : 16, radix: u32 = 1 << bits, mask = radix - 1;
  let top: u32 = 0;
  for (let i: u32 = 0; i < n; i++) top |= tagAccount(load<u32>(src + (<usize>i << 2)));
  for (let shift: u32 = 0; shift < 32 && (top >> shift) != 0; shift += bits) {
    memory.fill(counts, 0, <usize>radix << 2);
    for (let i: u32 = 0; i < n; i++) {
      const c = counts + (<usize>((tagAccount(load<u32>(src + (<usize>i << 2))) >> shift) & mask) << 2);
      store<u32>(c, load<u32>(c) + 1);
    }
    let sum: u32 = 0;
    for (let d: u32 = 0; d < radix; d++) { const c = counts + (<usize>d << 2); const v = load<u32>(c); store<u32>(c, sum); sum += v; }
    for (let i: u32 = 0; i < n; i++) {
      const tag = load<u32>(src + (<usize>i << 2));
      const c = counts + (<usize>((tagAccount(tag) >> shift) & mask) << 2);
      const at = load<u32>(c);
      store<u32>(c, at + 1);
      store<u32>(dst + (<usize>at << 2), tag);
      store<u32>(dstP + (<usize>at << 2), load<u32>(srcP + (<usize>i << 2)));
    }
    let t = src; src = dst; dst = t;
    t = srcP; srcP = dstP; dstP = t;
  }
  if (src != col(Column.AdlId)) {
    memory.copy(col(Column.AdlId), src, <usize>n << 2);
    memory.copy(col(Column.AdlPos), srcP, <usize>n << 2);
  }
}

// ---- Ranking --------------------------------------------------------------------------------------

/**
 * The current group's candidates start at this row of the candidate columns (AdlId, AdlPos, AdlKey,
 * AdlSize): 0 when gathered from the index, the group's segment when swept. Segments of a batch are
 * served in place: a later group's segment may lie before an earlier one's (a market's two sides
 * share one region), so none may be moved.
 */
let candBase: u32 = 0;
// @ts-ignore: decorator
@inline function candIds(): usize { return col(Column.AdlId) + (<usize>candBase << 2); }
// @ts-ignore: decorator
@inline function candPos(): usize { return col(Column.AdlPos) + (<usize>candBase << 2); }
// @ts-ignore: decorator
@inline function candKeys(): usize { return col(Column.AdlKey) + (<usize>candBase << 3); }
// @ts-ignore: decorator
@inline function candSizes(): usize { return col(Column.AdlSize) + (<usize>candBase << 3); }

/** Group figures of a holder tag from the last check: equity, MM; and its collateral. */
// @ts-ignore: decorator
@inline function groupCol(tag: u32, cross: Column, iso: Column): i64 {
  return (tag & ISOLATED_TAG) != 0 ? load<i64>(i64At(iso, tag & ~ISOLATED_TAG)) : load<i64>(i64At(cross, tag));
}
// @ts-ignore: decorator
@inline function quoteOf(tag: u32, m: u32, sizeAt: usize): i64 {
  // PosQuote / IsoQuote sit at the same row as the size.
  return (tag & ISOLATED_TAG) != 0 ? load<i64>(sizeAt - col(Column.IsoSize) + col(Column.IsoQuote)) : load<i64>(sizeAt - col(Column.PosSize) + col(Column.PosQuote));
}
// @ts-ignore: decorator
@inline function snapOf(tag: u32, sizeAt: usize): i64 {
  return (tag & ISOLATED_TAG) != 0 ? load<i64>(sizeAt - col(Column.IsoSize) + col(Column.IsoSnap)) : load<i64>(sizeAt - col(Column.PosSize) + col(Column.PosSnap));
}

/**
 * Unrealized PnL v = floor(s m / D) + quote - fundingOwed of the position at size address p (of
 * holder tag), with N = floor(|s| m / D) into SCRATCH+8; OVERFLOWED if out of range.
 */
function pnlOf(tag: u32, m: u32, p: usize): i64 {
  const s = load<i64>(p);
  const mk = marketPtr(m);
  const mark = load<i64>(mk, M_MARK), d = load<i64>(mk, M_D);
  // floor(s m / D): the fast path with the estimate s * (m / D) (relative error under 2^-50).
  const est = <f64>s * load<f64>(mk, M_MARK_OVER_D);
  const value = Math.abs(est) <= FAST_LIMIT ? mulDivFloorFast(s, mark, d, est) : mulDivRounded(s, mark, d, false, SCRATCH);
  if (value == OVERFLOWED) return OVERFLOWED;
  const snap = snapOf(tag, p);
  const owed = sideIndex(m, s) == snap ? 0 : fundingToSettle(m, s, snap);
  if (owed == OVERFLOWED) return OVERFLOWED;
  // N = floor(|s| m / D): the value itself for a long; for a short -value, less one if inexact
  // (the remainder s m - value D, formed in wrapping arithmetic, is exact: it lies in [0, D)).
  // Stored last: the funding above uses the same scratch.
  store<i64>(SCRATCH, s >= 0 ? value : -value - <i64>(s * mark - value * d != 0), 8);
  return value + quoteOf(tag, m, p) - owed;
}

/**
 * f64 ranking key of candidate tag at size address p (docs/WATERFALL.md: exactly these operations).
 * Inlined into the ranking loop: the unrealized PnL takes the fast floor path when the funding
 * snapshot is current (the common case), else the general one (pnlOf).
 */
// @ts-ignore: decorator
@inline function keyOf(ranking: u32, tag: u32, m: u32, p: usize, mark: i64, d: i64, markOverD: f64, idxLong: i64, idxShort: i64, invD: f64): f64 {
  const iso = (tag & ISOLATED_TAG) != 0;
  const sz = load<i64>(p);
  const qi = iso ? load<i64>(p - col(Column.IsoSize) + col(Column.IsoQuote)) : load<i64>(p + quoteDelta);
  const snap = iso ? load<i64>(p - col(Column.IsoSize) + col(Column.IsoSnap)) : load<i64>(p + snapDelta);
  const est = <f64>sz * markOverD;
  // Funding owed, ceil(s (I - snap) / D): 0 when the snapshot is current, else the fast path.
  const di = (sz > 0 ? idxLong : idxShort) - snap;
  const estOwed = <f64>sz * <f64>di * invD;
  let vi: i64, Ni: i64;
  if (Math.abs(est) <= FAST_LIMIT && Math.abs(estOwed) <= FAST_LIMIT && di > -INDEX_LIMIT * 2 && di < INDEX_LIMIT * 2) {
    const value = mulDivFloorFast(sz, mark, d, est);
    const owed = di == 0 ? 0 : mulDivCeilFast(sz, di, d, estOwed);
    Ni = sz >= 0 ? value : -value - <i64>(sz * mark - value * d != 0);
    vi = value + qi - owed;
  } else {
    vi = pnlOf(tag, m, p);
    Ni = load<i64>(SCRATCH, 8);
  }
  if (vi == OVERFLOWED) return -Infinity;
  const v = <f64>vi, N = <f64>Ni;
  const Q = <f64>(qi < 0 ? -qi : qi);
  const E = <f64>groupCol(tag, Column.AccEquity, Column.IsoEquity);
  if (ranking == 0) return v;
  // One division per key: the venues' products of ratios, written over a common denominator.
  if (ranking == 1) {
    // BitMEX: PnL% x effective leverage = (v / Q) (N / E); losers PnL% / leverage = (v / Q) / (N / E).
    return v > 0 ? (v * N) / (Math.max(1, Q) * Math.max(1, E)) : (v * Math.max(1, E)) / (Math.max(1, Q) * Math.max(1, N));
  }
  if (ranking == 2) {
    // Binance: PnL% x margin ratio = (max(0, v) / C) (M / E), 0 when E <= 0.
    const C = <f64>groupCol(tag, Column.AccCollateral, Column.IsoCollateral), M = <f64>groupCol(tag, Column.AccMm, Column.IsoMm);
    return E > 0 ? (Math.max(0, v) * M) / (Math.max(1, C) * E) : 0;
  }
  // Hyperliquid: (mark / entry) (notional / equity), the price ratio in the position's favour.
  return sz > 0 ? (N * N) / (Math.max(1, Q) * Math.max(1, E)) : (Q * N) / (Math.max(1, N) * Math.max(1, E));
}

/** rankedOrder's caller has the level-1 counts and total already (a gather that computed them). */
let histReady = false;

// Offsets from a cross position's size cell to its quote and snapshot cells (set per ranking).
let quoteDelta: usize = 0, snapDelta: usize = 0;

/** Order-preserving u64 of -key (smaller is better; NaN never occurs: keys of non-finite inputs are -inf). */
// @ts-ignore: decorator
@inline function bestFirstBits(x: f64): u64 {
  const b = reinterpret<u64>(x);
  return ~((b >> 63) != 0 ? ~b : b | 0x8000000000000000);
}

/**
 * Computes every candidate's key (unless the caller's function did) into AdlKey, with the total
 * size, and when `select`, the level-1 size counts by the keys' top 16 bits into AdlSums.
 */
function rankKeys(ranking: u32, m: u32, n: u32, select: bool, keysReady: bool): u64 {
  if (keysReady && histReady) return gatheredTotal;
  const ids = candIds(), keys = candKeys(), pos = candPos();
  // Size-weighted selection of the best prefix whose sizes reach `need` (every candidate at or above
  // the threshold is then sorted exactly): level 1 counts sizes by the keys' top 16 bits (sign,
  // exponent, 4 mantissa bits; best first), level 2 by the next 16 among the crossing digit's
  // candidates only. Keys, totals and the level-1 counts share one pass over the candidates.
  const sizes = candSizes(), counts = col(Column.SortCounts), sums = col(Column.AdlSums);
  if (select) memory.fill(sums, 0, 65536 << 3);
  let total: u64 = 0;
  const mk = marketPtr(m);
  const mark = load<i64>(mk, M_MARK), d = load<i64>(mk, M_D), markOverD = load<f64>(mk, M_MARK_OVER_D);
  const idxLong = load<i64>(mk, M_FUND_LONG), idxShort = load<i64>(mk, M_FUND_SHORT);
  quoteDelta = col(Column.PosQuote) - col(Column.PosSize);
  snapDelta = col(Column.PosSnap) - col(Column.PosSize);
  for (let i: u32 = 0; i < n; i++) {
    let key: f64;
    if (keysReady) key = load<f64>(keys + (<usize>i << 3));
    else if (ranking == RANK_CUSTOM) {
      key = load<f64>(keys + (<usize>i << 3));
      if (key == 0) { key = 0; store<f64>(keys + (<usize>i << 3), 0); } // -0 and +0 are one key
    } else {
      key = keyOf(ranking, load<u32>(ids + (<usize>i << 2)), m, <usize>load<u32>(pos + (<usize>i << 2)), mark, d, markOverD, idxLong, idxShort, load<f64>(mk, M_INV_D));
      if (key == 0) key = 0;
      store<f64>(keys + (<usize>i << 3), key);
    }
    const size = load<u64>(sizes + (<usize>i << 3));
    total = sat(total, size);
    if (select) {
      const sp = sums + (<usize>(bestFirstBits(key) >> 48) << 3);
      store<u64>(sp, sat(load<u64>(sp), size));
    }
  }
  return total;
}

/** Collects the selected candidates (index, best-first bits) into SortIdsA/SortKeysA; returns how many. */
function selectPrefix(n: u32, need: u64, total: u64, select: bool): u32 {
  const keys = candKeys(), sizes = candSizes(), sums = col(Column.AdlSums);
  let a = col(Column.SortIdsA), ka = col(Column.SortKeysA), b = col(Column.SortIdsB), kb = col(Column.SortKeysB);
  let k: u32 = 0;
  if (!select || total <= need) {
    for (let i: u32 = 0; i < n; i++) {
      store<u32>(a + (<usize>k << 2), i);
      store<u64>(ka + (<usize>k << 3), bestFirstBits(load<f64>(keys + (<usize>i << 3))));
      k++;
    }
  } else {
    let left = need;
    let d1: u64 = 0;
    for (; d1 < 65535; d1++) { const s = load<u64>(sums + (<usize>d1 << 3)); if (s >= left) break; left -= s; }
    // Better digits are in; the crossing digit's candidates go to a list (b, kb) for level 2.
    let listLen: u32 = 0;
    memory.fill(sums, 0, 65536 << 3);
    for (let i: u32 = 0; i < n; i++) {
      const bits = bestFirstBits(load<f64>(keys + (<usize>i << 3)));
      const top = bits >> 48;
      if (top < d1) {
        store<u32>(a + (<usize>k << 2), i); store<u64>(ka + (<usize>k << 3), bits); k++;
      } else if (top == d1) {
        store<u32>(b + (<usize>listLen << 2), i); store<u64>(kb + (<usize>listLen << 3), bits); listLen++;
        const sp = sums + (<usize>((bits >> 32) & 0xFFFF) << 3);
        store<u64>(sp, sat(load<u64>(sp), load<u64>(sizes + (<usize>i << 3))));
      }
    }
    let d2: u64 = 0;
    for (; d2 < 65535; d2++) { const s = load<u64>(sums + (<usize>d2 << 3)); if (s >= left) break; left -= s; }
    // Equal keys share their top bits, so they are all in one part: appending keeps ties in order.
    for (let j: u32 = 0; j < listLen; j++) {
      const bits = load<u64>(kb + (<usize>j << 3));
      if (((bits >> 32) & 0xFFFF) > d2) continue;
      store<u32>(a + (<usize>k << 2), load<u32>(b + (<usize>j << 2))); store<u64>(ka + (<usize>k << 3), bits); k++;
    }
  }
  return k;
}

/** Stable LSD radix sort of the k selected (SortIdsA/SortKeysA) by their bits; the order ends in SortIdsA and SortIdsB. */
function sortSelected(k: u32): void {
  let a = col(Column.SortIdsA), ka = col(Column.SortKeysA), b = col(Column.SortIdsB), kb = col(Column.SortKeysB);
  const counts = col(Column.SortCounts);
  const bits: u64 = k < 4096 ? 8 : 16, radix: u32 = 1 << <u32>bits, mask: u64 = <u64>radix - 1;
  for (let shift: u64 = 0; shift < 64; shift += bits) {
    memory.fill(counts, 0, <usize>radix << 2);
    for (let i: u32 = 0; i < k; i++) {
      const c = counts + (<usize>((load<u64>(ka + (<usize>i << 3)) >> shift) & mask) << 2);
      store<u32>(c, load<u32>(c) + 1);
    }
    let sum: u32 = 0;
    for (let d: u32 = 0; d < radix; d++) { const c = counts + (<usize>d << 2); const v = load<u32>(c); store<u32>(c, sum); sum += v; }
    for (let i: u32 = 0; i < k; i++) {
      const key = load<u64>(ka + (<usize>i << 3));
      const c = counts + (<usize>((key >> shift) & mask) << 2);
      const at = load<u32>(c);
      store<u32>(c, at + 1);
      store<u32>(b + (<usize>at << 2), load<u32>(a + (<usize>i << 2)));
      store<u64>(kb + (<usize>at << 3), key);
    }
    let t = a; a = b; b = t; t = ka; ka = kb; kb = t;
  }
  // An even number of passes: the order is back in SortIdsA.
  memory.copy(col(Column.SortIdsB), col(Column.SortIdsA), <usize>k << 2);
}

/**
 * Orders the n candidates in AdlId by key (best first, ties by account): writes candidate indices
 * to SortIdsB[0..returned). Only the best prefix whose sizes reach `need` is ordered.
 */
function rankedOrder(ranking: u32, m: u32, side: i32, n: u32, need: u64, step: u32, keysReady: bool = false, hist: bool = false): u32 {
  histReady = hist;
  const ids = candIds(), keys = candKeys(), pos = candPos();
  if (ranking == RANK_CUSTOM && !keysReady) {
    // The caller's function reads v (SortKeysA), N (SortKeysB) and |quote| (PayWork) per candidate.
    const v = col(Column.SortKeysA), nq = col(Column.SortKeysB), q = col(Column.PayWork);
    for (let i: u32 = 0; i < n; i++) {
      const tag = load<u32>(ids + (<usize>i << 2)), p = <usize>load<u32>(pos + (<usize>i << 2));
      store<i64>(v + (<usize>i << 3), pnlOf(tag, m, p));
      store<i64>(nq + (<usize>i << 3), load<i64>(SCRATCH, 8));
      const qi = quoteOf(tag, m, p);
      store<i64>(q + (<usize>i << 3), qi < 0 ? -qi : qi);
    }
    adlKeys(step, m, side, n);
  }
  const select = n >= 4096;
  const total = rankKeys(ranking, m, n, select, keysReady);
  const k = selectPrefix(n, need, total, select);
  sortSelected(k);
  return k;
}

// @ts-ignore: decorator
@inline function sat(a: u64, b: u64): u64 { const s = a + b; return s < a ? u64.MAX_VALUE : s; }
// @ts-ignore: decorator
@inline function sizeAbs(tag: u32, m: u32): u64 {
  const p = positionOf(tag, m);
  if (p == 0) return 0;
  const s = load<i64>(p);
  return <u64>(s < 0 ? -s : s);
}

/** ADL quantiles of market m, side (+1 long, -1 short): AdlId in rank order, quantile in PayWork; returns n. */
export function adlRanks(m: u32, side: i32, ranking: u32): i32 {
  if (m >= marketCount) return -1;
  candBase = 0;
  const n = gatherHolders(m, side);
  const ids = col(Column.AdlId);
  if (ranking == RANK_RANDOM_WALK || ranking == RANK_LARGEST) return -1;
  const k = rankedOrder(ranking, m, side, n, u64.MAX_VALUE, NONE);
  // Reorder AdlId into rank order via PayId, with the key kept in PayCap (f64 bits).
  const order = col(Column.SortIdsB), out = col(Column.PayId);
  for (let i: u32 = 0; i < k; i++) {
    const c = load<u32>(order + (<usize>i << 2));
    store<u32>(out + (<usize>i << 2), load<u32>(ids + (<usize>c << 2)));
    store<f64>(i64At(Column.PayCap, i), load<f64>(col(Column.AdlKey) + (<usize>c << 3)));
    store<i64>(i64At(Column.PayWork, i), 5 - <i64>((<u64>i * 5) / <u64>k));
  }
  return <i32>k;
}

// ---- The step -------------------------------------------------------------------------------------

/** Side of record k's closed position: +1 long, -1 short, 0 none. */
// @ts-ignore: decorator
@inline function sideOf(k: u32): i32 {
  const d = load<i64>(i64At(Column.DefSize, k));
  return d < 0 ? 1 : (d > 0 ? -1 : 0);
}

/** cash(d, p) = floor(-d p / D). */
// @ts-ignore: decorator
@inline function cash(d: i64, p: i64, D: i64): i64 { return mulDivRounded(-d, p, D, false, SCRATCH); }

let adlEpoch: u32 = 0;
/** Ranked walks: candidates before the cursor are closed out (records of a group start there). */
let cursor: u32 = 0;

// Group table (AdlGroups, 64 B per group): +0 market, +4 side (i32), +8 need (u64), +16 segment
// start, +20 segment length, +24 first record, +28 last record, +32 candidates (counted). AdlGroupOf[market * 2 + (side < 0)]
// holds a group's index + 1 during the step.
// @ts-ignore: decorator
@inline function groupPtr(g: u32): usize { return col(Column.AdlGroups) + (<usize>g << 6); }
// @ts-ignore: decorator
@inline function groupOfPtr(m: u32, side: i32): usize { return col(Column.AdlGroupOf) + (<usize>(m * 2 + <u32>(side < 0)) << 2); }

export function runAdl(j: u32, w: u32, n: u32): void {
  const ranking = <u32>load<u8>(stepPtr(j), 3);
  adlEpoch = nextEpoch();
  // The groups (market, bankrupt side), in the order of their first record, with their total size
  // and their records: listed in IoU32 by group (a counting sort) when they fit, else found by a
  // scan from the group's first record to its last.
  let ng: u32 = 0;
  for (let k: u32 = 0; k < n; k++) {
    if (!serves(k, w)) continue;
    const m = defMarket(k), side = sideOf(k);
    if (m == NONE || side == 0) continue;
    const gp = groupOfPtr(m, side);
    let g = load<u32>(gp);
    if (g == 0) {
      g = ++ng;
      store<u32>(gp, g);
      const p = groupPtr(g - 1);
      store<u32>(p, m); store<i32>(p, side, 4); store<u64>(p, 0, 8); store<u32>(p, k, 16); store<u32>(p, 0, 20);
    }
    const p = groupPtr(g - 1);
    store<u64>(p + 8, sat(load<u64>(p, 8), <u64>(-side * load<i64>(i64At(Column.DefSize, k)))));
    store<u32>(p + 20, load<u32>(p, 20) + 1);
    store<u32>(p + 28, k);
  }
  listed = n <= ioCapacity;
  if (listed) {
    // +24: the group's first entry in the list, +28: its fill, then its end.
    let at: u32 = 0;
    for (let g: u32 = 0; g < ng; g++) { const p = groupPtr(g); store<u32>(p + 24, at); store<u32>(p + 28, at); at += load<u32>(p, 20); }
    const list = col(Column.IoU32);
    for (let k: u32 = 0; k < n; k++) {
      if (!serves(k, w)) continue;
      const m = defMarket(k), side = sideOf(k);
      if (m == NONE || side == 0) continue;
      const p = groupPtr(load<u32>(groupOfPtr(m, side)) - 1);
      const e = load<u32>(p, 28);
      store<u32>(list + (<usize>e << 2), k);
      store<u32>(p + 28, e + 1);
    }
  } else {
    for (let g: u32 = 0; g < ng; g++) { const p = groupPtr(g); store<u32>(p + 24, load<u32>(p, 16)); }
  }
  if (ng == 0) return;
  if (indexDirty) buildIndex();
  // Candidates come from one pass over the book per batch of groups when the groups hold much of
  // it (sequential reads), else from each market's holder index.
  let bound: u64 = 0;
  for (let g: u32 = 0; g < ng; g++) bound += holderBound(load<u32>(groupPtr(g)));
  const sweep = bound * 4 >= <u64>(positionLive + isolatedLive) && ng > 1 && ranking != RANK_CUSTOM;
  if (sweep) sweepCounts(ng);
  const capacity = <u64>maxAccounts + <u64>maxIsolated;
  let g: u32 = 0;
  while (g < ng) {
    let h = g + 1;
    if (sweep) {
      // A batch: groups whose candidates (counted exactly) fit the candidate columns together.
      let used: u64 = 0;
      h = g;
      while (h < ng) {
        const hp = groupPtr(h);
        const c = <u64>load<u32>(hp, 32);
        if (h > g && used + c > capacity) break;
        store<u32>(hp + 16, <u32>used);
        store<u32>(hp + 20, 0);
        used += c;
        h++;
      }
      sweepBook(g, h, ranking);
    }
    for (let x = g; x < h; x++) serveGroup(j, w, n, x, ranking, sweep);
    g = h;
  }
  for (let x: u32 = 0; x < ng; x++) {
    const p = groupPtr(x);
    store<u32>(groupOfPtr(load<u32>(p), load<i32>(p, 4)), 0);
  }
}

/** Holders of market m in its index plus the pending ones: at least its positions' count. */
function holderBound(m: u32): u32 {
  const starts = col(Column.IndexStart);
  let b = load<u32>(starts + (<usize>(m + 1) << 2)) - load<u32>(starts + (<usize>m << 2));
  const pm = col(Column.PendingMarket);
  for (let k: u32 = 0; k < pendingCount; k++) if (load<u32>(pm + (<usize>k << 2)) == m) b++;
  return b;
}

/** Counts each group's candidates (+32) in one pass over the book, so batches can be packed exactly. */
function sweepCounts(ng: u32): void {
  for (let x: u32 = 0; x < ng; x++) store<u32>(groupPtr(x) + 32, 0);
  const flags = col(Column.AccFlags), posStart = col(Column.AccPosStart), posLen = col(Column.AccPosLen);
  const posMarket = col(Column.PosMarket), posSize = col(Column.PosSize), groupOf = col(Column.AdlGroupOf);
  for (let a: u32 = 0; a < accountCount; a++) {
    if (load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    const s0 = load<u32>(posStart + (<usize>a << 2)), s1 = s0 + load<u32>(posLen + (<usize>a << 2));
    for (let sl = s0; sl < s1; sl++) {
      const s = load<i64>(posSize + (<usize>sl << 3));
      if (s == 0) continue;
      const x = load<u32>(groupOf + (<usize>(<u32>load<u16>(posMarket + (<usize>sl << 1)) * 2 + <u32>(s > 0)) << 2));
      if (x != 0) { const p = groupPtr(x - 1) + 32; store<u32>(p, load<u32>(p) + 1); }
    }
  }
  for (let r: u32 = 0; r < isolatedTop; r++) {
    if (load<u8>(col(Column.IsoFlags) + <usize>r) == 0) continue;
    const s = load<i64>(i64At(Column.IsoSize, r));
    if (s == 0) continue;
    const x = load<u32>(groupOf + (<usize>(<u32>load<u16>(col(Column.IsoMarket) + (<usize>r << 1)) * 2 + <u32>(s > 0)) << 2));
    if (x != 0) { const p = groupPtr(x - 1) + 32; store<u32>(p, load<u32>(p) + 1); }
  }
}

/**
 * One pass over every account (ascending, cross slots then isolated rows) appending each position
 * to the segment of the group [g, h) it is a candidate of: sorted by account, as a group needs.
 */
function sweepBook(g: u32, h: u32, ranking: u32): void {
  const ids = col(Column.AdlId), pos = col(Column.AdlPos);
  const flags = col(Column.AccFlags), posStart = col(Column.AccPosStart), posLen = col(Column.AccPosLen);
  const posMarket = col(Column.PosMarket), posSize = col(Column.PosSize), isoHead = col(Column.AccIsoHead);
  const groupOf = col(Column.AdlGroupOf);
  // Keys that depend only on the position and the check's figures are computed here, while the
  // position and its account are in cache (in a later per-group pass they would be cache misses).
  // No earlier group of the step can touch a later group's candidates (another market, or the
  // other side of this one), so these are the keys the group would compute when it starts.
  const withKeys = ranking <= 3 && ranking != 2;
  quoteDelta = col(Column.PosQuote) - col(Column.PosSize);
  snapDelta = col(Column.PosSnap) - col(Column.PosSize);
  for (let a: u32 = 0; a < accountCount; a++) {
    if (load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    const s0 = load<u32>(posStart + (<usize>a << 2)), s1 = s0 + load<u32>(posLen + (<usize>a << 2));
    for (let sl = s0; sl < s1; sl++) {
      const s = load<i64>(posSize + (<usize>sl << 3));
      if (s == 0) continue;
      // A long is a candidate of the group whose bankrupt side is short (index 1), and vice versa.
      const x = load<u32>(groupOf + (<usize>(<u32>load<u16>(posMarket + (<usize>sl << 1)) * 2 + <u32>(s > 0)) << 2));
      if (x == 0 || x - 1 < g || x - 1 >= h) continue;
      const p = posSize + (<usize>sl << 3);
      const at = place(x - 1, g, a, <u32>p, ids, pos);
      store<u64>(col(Column.AdlSize) + (<usize>at << 3), <u64>(s < 0 ? -s : s));
      if (withKeys) store<f64>(col(Column.AdlKey) + (<usize>at << 3), sweptKey(ranking, a, <u32>load<u16>(posMarket + (<usize>sl << 1)), p));
    }
    let r = load<u32>(isoHead + (<usize>a << 2));
    while (r != NONE) {
      const s = load<i64>(i64At(Column.IsoSize, r));
      if (s != 0) {
        const m = <u32>load<u16>(col(Column.IsoMarket) + (<usize>r << 1));
        const x = load<u32>(groupOf + (<usize>(m * 2 + <u32>(s > 0)) << 2));
        if (x != 0 && x - 1 >= g && x - 1 < h) {
          const p = i64At(Column.IsoSize, r);
          const at = place(x - 1, g, r | ISOLATED_TAG, <u32>p, ids, pos);
          store<u64>(col(Column.AdlSize) + (<usize>at << 3), <u64>(s < 0 ? -s : s));
          if (withKeys) store<f64>(col(Column.AdlKey) + (<usize>at << 3), sweptKey(ranking, r | ISOLATED_TAG, m, p));
        }
      }
      r = load<u32>(u32At(Column.IsoNext, r));
    }
  }
}

// @ts-ignore: decorator
@inline function place(x: u32, g: u32, tag: u32, p: u32, ids: usize, pos: usize): u32 {
  const gp = groupPtr(x);
  const len = load<u32>(gp, 20);
  const at = load<u32>(gp, 16) + len;
  store<u32>(ids + (<usize>at << 2), tag);
  store<u32>(pos + (<usize>at << 2), p);
  store<u32>(gp + 20, len + 1);
  return at;
}

/** A candidate's key during the sweep (its market's constants read from the market record). */
// @ts-ignore: decorator
@inline function sweptKey(ranking: u32, tag: u32, m: u32, p: usize): f64 {
  const mk = marketPtr(m);
  const key = keyOf(ranking, tag, m, p, load<i64>(mk, M_MARK), load<i64>(mk, M_D), load<f64>(mk, M_MARK_OVER_D), load<i64>(mk, M_FUND_LONG), load<i64>(mk, M_FUND_SHORT), load<f64>(mk, M_INV_D));
  return key == 0 ? 0 : key;
}

/**
 * Serves the records of group x: its candidates (swept into its segment, or gathered now from the
 * index) move to the front of the candidate columns with their current sizes, are ordered, and
 * each record walks them. Earlier closes may have moved a candidate's cross slot (a removed slot
 * takes the account's last one): such addresses are found again.
 */
function serveGroup(j: u32, w: u32, n: u32, x: u32, ranking: u32, swept: bool): void {
  const gp = groupPtr(x);
  const m = load<u32>(gp), side = load<i32>(gp, 4);
  let count: u32;
  let keysReady = false;
  if (swept) {
    candBase = load<u32>(gp, 16);
    const len = load<u32>(gp, 20);
    keysReady = ranking <= 3 && ranking != 2;
    count = len;
    if (!keysReady && ranking != RANK_RANDOM_WALK && ranking != RANK_LARGEST) {
      // Keys that read state an earlier group may have changed (collateral): positions are found
      // again (a removed slot takes the account's last one) and ranked now.
      const ids = candIds(), pos = candPos(), sizes = candSizes();
      count = 0;
      for (let i: u32 = 0; i < len; i++) {
        const tag = load<u32>(ids + (<usize>i << 2));
        let p = <usize>load<u32>(pos + (<usize>i << 2));
        if ((tag & ISOLATED_TAG) == 0) {
          const sl = <u32>((p - col(Column.PosSize)) >> 3);
          if (<u32>load<u16>(col(Column.PosMarket) + (<usize>sl << 1)) != m || load<u32>(u32At(Column.PosAccount, sl)) != tag) p = positionOf(tag, m);
        }
        if (p == 0) continue;
        const s = load<i64>(p);
        if (s == 0 || (side > 0) == (s > 0)) continue;
        store<u32>(ids + (<usize>count << 2), tag);
        store<u32>(pos + (<usize>count << 2), <u32>p);
        store<u64>(sizes + (<usize>count << 3), <u64>(s < 0 ? -s : s));
        count++;
      }
    }
  } else {
    candBase = 0;
    count = gatherHolders(m, -side, false, ranking < RANK_CUSTOM ? ranking : NONE);
    keysReady = gatheredKeys;
  }
  let ordered = count;
  if (ranking < RANK_RANDOM_WALK) ordered = rankedOrder(ranking, m, -side, count, load<u64>(gp, 8), j, keysReady, !swept && gatheredHist);
  cursor = 0;
  if (listed) {
    const list = col(Column.IoU32);
    const end = load<u32>(gp, 28);
    for (let e = load<u32>(gp, 24); e < end; e++) serveRecord(j, load<u32>(list + (<usize>e << 2)), m, side, ranking, count, ordered);
  } else {
    const last = load<u32>(gp, 28);
    for (let k = load<u32>(gp, 24); k <= last; k++) {
      if (!serves(k, w) || defMarket(k) != m || sideOf(k) != side) continue;
      serveRecord(j, k, m, side, ranking, count, ordered);
    }
  }
}

/** The step's records are listed by group in IoU32 (else scanned). */
let listed = false;

/** The close price P of record k at this step and the per-unit offset. */
function closePrice(j: u32, k: u32, m: u32, side: i32): i64 {
  if (load<u8>(stepPtr(j), 2) == 1) return load<i64>(marketPtr(m), M_MARK);
  const q = load<i64>(i64At(Column.DefPrice, k));
  const qb = load<i64>(i64At(Column.DefSize, k));
  const dp = mulDivRounded(openOf(k), load<i64>(marketPtr(m), M_D), qb < 0 ? -qb : qb, true, SCRATCH);
  if (dp == OVERFLOWED) return side > 0 ? AMOUNT_LIMIT : 1;
  const p = side > 0 ? q + dp : q - dp;
  return p < 1 ? 1 : (p > AMOUNT_LIMIT ? AMOUNT_LIMIT : p);
}

function serveRecord(j: u32, k: u32, m: u32, side: i32, ranking: u32, count: u32, ordered: u32): void {
  const markMode = load<u8>(stepPtr(j), 2) == 1;
  const qb = load<i64>(i64At(Column.DefSize, k));
  let qLeft = qb < 0 ? -qb : qb;
  const P = closePrice(j, k, m, side);
  const q = load<i64>(i64At(Column.DefPrice, k));
  const bankrupt = load<u32>(u32At(Column.DefAccount, k));
  const ids = candIds();
  if (ranking == RANK_LARGEST) {
    serveLargest(j, k, m, side, count, P, q, bankrupt, markMode, qLeft);
    return;
  }
  const walk = ranking == RANK_RANDOM_WALK;
  const start: u32 = walk && count > 0
    ? <u32>(splitmix64(<u64>load<i64>(stepPtr(j), 8) + (<u64>eventId() << 32) + <u64>k) % <u64>count) : 0;
  const len = walk ? count : ordered;
  if (!walk) {
    while (cursor < len && sizeAbs(load<u32>(ids + (<usize>load<u32>(col(Column.SortIdsB) + (<usize>cursor << 2)) << 2)), m) == 0) cursor++;
  }
  for (let t: u32 = walk ? 0 : cursor; t < len; t++) {
    if (qLeft == 0 || (!markMode && openOf(k) == 0)) break;
    const idx = ranking == RANK_RANDOM_WALK ? (start + t) % count : load<u32>(col(Column.SortIdsB) + (<usize>t << 2));
    const tag = load<u32>(ids + (<usize>idx << 2));
    if (tagAccount(tag) == bankrupt) continue;
    const avail = sizeAbs(tag, m);
    if (avail == 0) continue;
    let c = <i64>(avail < <u64>qLeft ? avail : <u64>qLeft);
    if (!markMode) c = smallestCovering(c, side, q, P, m, openOf(k));
    if (closeAgainst(j, k, tag, m, side, c, P, q, markMode)) qLeft -= c;
  }
}

/** Lowers c to the first size (binary search over 1..c) whose payment a(c) reaches r, when a(c) > r. */
function smallestCovering(c: i64, side: i32, q: i64, P: i64, m: u32, r: i64): i64 {
  const D = load<i64>(marketPtr(m), M_D);
  if (payment(c, side, q, P, D) <= r) return c;
  let lo: i64 = 1, hi = c;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    if (payment(mid, side, q, P, D) >= r) hi = mid; else lo = mid + 1;
  }
  return lo;
}

/** a(c) = cash(dj, q) - cash(dj, P), dj = side * c. */
// @ts-ignore: decorator
@inline function payment(c: i64, side: i32, q: i64, P: i64, D: i64): i64 {
  const dj = side > 0 ? c : -c;
  return cash(dj, q, D) - cash(dj, P, D);
}

/** Closes c of candidate `tag` at P for record k; false (nothing changed) if the fill is refused. */
function closeAgainst(j: u32, k: u32, tag: u32, m: u32, side: i32, c: i64, P: i64, q: i64, markMode: bool): bool {
  const a = tagAccount(tag);
  const iso = (tag & ISOLATED_TAG) != 0;
  const r = tag & ~ISOLATED_TAG;
  const p = positionOf(tag, m);
  const size = load<i64>(p);
  const D = load<i64>(marketPtr(m), M_D);
  const owed = fundingToSettle(m, size, snapOf(tag, p));
  const pay = markMode ? 0 : payment(c, side, q, P, D);
  if (owed == OVERFLOWED || pay == OVERFLOWED || pay < 0) return false;
  const cross = i64At(Column.AccCollateral, a);
  const before = load<i64>(cross) + (iso ? load<i64>(i64At(Column.IsoCollateral, r)) : 0);
  const dj: i64 = side > 0 ? c : -c;
  if (applyFill(a, m, dj, P, iso, 0) != 0) { clearError(); return false; }
  const isoLive = iso && load<u8>(col(Column.IsoFlags) + <usize>r) != 0 && <u32>load<u32>(col(Column.IsoAccount) + (<usize>r << 2)) == a;
  const after = load<i64>(cross) + (isoLive ? load<i64>(i64At(Column.IsoCollateral, r)) : 0);
  const realized = after - before + owed;
  // Ledger: funding settled and realized PnL at the bankrupt close price are flows with the outside.
  add128(LIQ_RECORD + 40, owed - realized - pay);
  const open = openOf(k);
  const covered = pay < open ? pay : open;
  if (covered > 0) cover(k, j, a, covered, P, dj); // a close at the mark moves no money: no record
  addResidue(j, a, m, pay - covered, k);
  // Run totals: volume, notional at the mark, accounts hit.
  store<i64>(RUN_RECORD + 32, load<i64>(RUN_RECORD, 32) + c);
  const notional = mulDivRounded(c, load<i64>(marketPtr(m), M_MARK), D, false, SCRATCH);
  if (notional != OVERFLOWED) store<i64>(RUN_RECORD + 40, load<i64>(RUN_RECORD, 40) + notional);
  const stamp = i64At(Column.AccScratch, a);
  if (load<i64>(stamp) != -<i64>adlEpoch) {
    store<i64>(stamp, -<i64>adlEpoch);
    store<i64>(RUN_RECORD + 48, load<i64>(RUN_RECORD, 48) + 1);
  }
  return true;
}

/** FTX: the topK largest opposite positions share min(Qb, their total) pro rata to size. */
function serveLargest(j: u32, k: u32, m: u32, side: i32, count: u32, P: i64, q: i64, bankrupt: u32, markMode: bool, qLeft: i64): void {
  const topK = load<u32>(stepPtr(j), 4);
  const ids = candIds();
  // Top-K by |s| descending, ties by account (candidates are in account order: keep the first).
  let have: u32 = 0;
  const best = LARGEST, wts = LARGEST + 64 * 4, caps = wts + 64 * 8, shares = caps + 64 * 8;
  for (let i: u32 = 0; i < count; i++) {
    const tag = load<u32>(ids + (<usize>i << 2));
    if (tagAccount(tag) == bankrupt) continue;
    const s = sizeAbs(tag, m);
    if (s == 0) continue;
    if (have == topK && s <= <u64>load<i64>(wts + (<usize>(topK - 1) << 3))) continue;
    let at = have < topK ? have++ : topK - 1;
    while (at > 0 && <u64>load<i64>(wts + (<usize>(at - 1) << 3)) < s) {
      store<u32>(best + (<usize>at << 2), load<u32>(best + (<usize>(at - 1) << 2)));
      store<i64>(wts + (<usize>at << 3), load<i64>(wts + (<usize>(at - 1) << 3)));
      at--;
    }
    store<u32>(best + (<usize>at << 2), tag);
    store<i64>(wts + (<usize>at << 3), <i64>s);
  }
  let sum: i64 = 0;
  for (let i: u32 = 0; i < have; i++) {
    const s = load<i64>(wts + (<usize>i << 3));
    store<i64>(caps + (<usize>i << 3), s);
    sum = sum + s > AMOUNT_LIMIT ? AMOUNT_LIMIT : sum + s;
  }
  const total = qLeft < sum ? qLeft : sum;
  if (total <= 0) return;
  splitAt(have, total, wts, caps, shares);
  for (let i: u32 = 0; i < have; i++) {
    if (!markMode && openOf(k) == 0) break;
    const c = load<i64>(shares + (<usize>i << 3));
    if (c <= 0) continue;
    closeAgainst(j, k, load<u32>(best + (<usize>i << 2)), m, side, c, P, q, markMode);
  }
}

/** Scratch of the `largest` step: up to 64 candidates' tags, weights, caps and shares. */
const LARGEST: usize = memory.data(64 * 4 + 64 * 8 * 3, 8);

/** splitmix64 (Steele, Lea, Flood 2014): the seeded start of dYdX-style random walks. */
export function splitmix64(x: u64): u64 {
  let z = x + 0x9E3779B97F4A7C15;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

export { fail };
