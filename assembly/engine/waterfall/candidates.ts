/**
 * ADL candidates (docs/WATERFALL.md, "adl"): the opposite positions of a market side, gathered in
 * account order, with their sizes and ranking keys.
 *
 * Two ways in. For one market side, its holder index: each holder's position is found by a scan of
 * the account's slots, and the key is computed on the spot. For many groups at once (a crash across
 * markets), passes over the whole book: one counts each group's candidates, then each pass fills
 * the segments of a batch of groups that fit the candidate columns, keys included, reading accounts
 * and positions in memory order instead of hopping through every market's holders.
 *
 * Keys (f64, reproducible bit for bit) come from exactly the spec's operations; the unrealized PnL
 * takes the fast exact path of math/fixed.ts when its estimates are in range.
 */
import { FAST_LIMIT, INDEX_LIMIT, mulDivCeilFast, mulDivFloorFast, mulDivRounded, OVERFLOWED } from '../../math/fixed';
import { ADL_INPUT_ROWS, col, Column, ISOLATED_TAG, i64At, u32At, marketPtr, u16At } from '../../abi/layout';
import { Field, Status } from '../../abi/status';
import { accountCount, fail, indexDirty, marketCount, NONE, pendingCount, resultsCurrent, SCRATCH } from '../state';
import { ACCOUNT_ACTIVE, findCross, fundingToSettle, sideIndex } from '../book/book';
import { buildIndex, evaluateCross, isolatedFigures } from '../margin/check';
import { SUMS } from '../book/position';

import { AdlGroupRecord, AdlInputRecord, MarketRecord } from '../../abi/records';

// ---- Candidates -----------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline export function tagAccount(tag: u32): u32 {
  return (tag & ISOLATED_TAG) != 0 ? load<u32>(u32At(Column.IsoAccount, (tag & ~ISOLATED_TAG))) : tag;
}

/** The live position behind a holder tag in market m: its size column address, or 0. */
export function positionOf(tag: u32, m: u32): usize {
  if ((tag & ISOLATED_TAG) != 0) {
    const r = tag & ~ISOLATED_TAG;
    if (load<u8>(col(Column.IsoFlags) + <usize>r) == 0 || <u32>load<u16>(u16At(Column.IsoMarket, r)) != m) return 0;
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
  const mark = load<i64>(mk, MarketRecord.mark), d = load<i64>(mk, MarketRecord.d), markOverD = load<f64>(mk, MarketRecord.markOverD);
  const idxLong = load<i64>(mk, MarketRecord.fundingLong), idxShort = load<i64>(mk, MarketRecord.fundingShort), invD = load<f64>(mk, MarketRecord.invD);
  setKeyOffsets();
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
    store<u64>(i64At(Column.AdlSize, n), size);
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
/** The last gatherHolders computed the candidates' ranking keys. */
// @ts-ignore: decorator
@inline export function keysGathered(): bool { return gatheredKeys; }
/** The last gatherHolders also counted the keys' level-1 histogram (AdlSums). */
// @ts-ignore: decorator
@inline export function histogramGathered(): bool { return gatheredHist; }
/** The total size (base atoms, saturating) of the last gatherHolders' candidates. */
// @ts-ignore: decorator
@inline export function totalGathered(): u64 { return gatheredTotal; }

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

/** Group figures of a holder tag from the last check: equity, MM; and its collateral. */
// @ts-ignore: decorator
@inline export function groupCol(tag: u32, cross: Column, iso: Column): i64 {
  return (tag & ISOLATED_TAG) != 0 ? load<i64>(i64At(iso, tag & ~ISOLATED_TAG)) : load<i64>(i64At(cross, tag));
}
// @ts-ignore: decorator
@inline export function quoteOf(tag: u32, m: u32, sizeAt: usize): i64 {
  // PosQuote / IsoQuote sit at the same row as the size.
  return (tag & ISOLATED_TAG) != 0 ? load<i64>(sizeAt - col(Column.IsoSize) + col(Column.IsoQuote)) : load<i64>(sizeAt - col(Column.PosSize) + col(Column.PosQuote));
}
// @ts-ignore: decorator
@inline export function snapOf(tag: u32, sizeAt: usize): i64 {
  return (tag & ISOLATED_TAG) != 0 ? load<i64>(sizeAt - col(Column.IsoSize) + col(Column.IsoSnap)) : load<i64>(sizeAt - col(Column.PosSize) + col(Column.PosSnap));
}

/** pnlOf's second result, N, is written this many bytes into SCRATCH. */
const PNL_NOTIONAL: u32 = 8;

/**
 * Unrealized PnL v = floor(s m / D) + quote - fundingOwed of the position at size address p (of
 * holder tag), with N = floor(|s| m / D) into SCRATCH + PNL_NOTIONAL; OVERFLOWED if out of range.
 */
export function pnlOf(tag: u32, m: u32, p: usize): i64 {
  const s = load<i64>(p);
  const mk = marketPtr(m);
  const mark = load<i64>(mk, MarketRecord.mark), d = load<i64>(mk, MarketRecord.d);
  // floor(s m / D): the fast path with the estimate s * (m / D) (relative error under 2^-50).
  const est = <f64>s * load<f64>(mk, MarketRecord.markOverD);
  const value = Math.abs(est) <= FAST_LIMIT ? mulDivFloorFast(s, mark, d, est) : mulDivRounded(s, mark, d, false, SCRATCH);
  if (value == OVERFLOWED) return OVERFLOWED;
  const snap = snapOf(tag, p);
  const owed = sideIndex(m, s) == snap ? 0 : fundingToSettle(m, s, snap);
  if (owed == OVERFLOWED) return OVERFLOWED;
  // N = floor(|s| m / D): the value itself for a long; for a short -value, less one if inexact
  // (the remainder s m - value D, formed in wrapping arithmetic, is exact: it lies in [0, D)).
  // Stored last: the funding above uses the same scratch.
  store<i64>(SCRATCH, s >= 0 ? value : -value - <i64>(s * mark - value * d != 0), PNL_NOTIONAL);
  // v = (value + quote) - owed fits i64 for every position of a book the check accepted (it refuses
  // a value - funding outside i64), which ranked ADL and the indicator require.
  return value + quoteOf(tag, m, p) - owed;
}

/**
 * f64 ranking key of candidate tag at size address p (docs/WATERFALL.md: exactly these operations).
 * Inlined into the ranking loop: the unrealized PnL takes the fast floor path when the funding
 * snapshot is current (the common case), else the general one (pnlOf).
 */
// @ts-ignore: decorator
@inline export function keyOf(ranking: u32, tag: u32, m: u32, p: usize, mark: i64, d: i64, markOverD: f64, idxLong: i64, idxShort: i64, invD: f64): f64 {
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
    Ni = load<i64>(SCRATCH, PNL_NOTIONAL);
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

// Offsets from a cross position's size cell to its quote and snapshot cells (set per ranking).
let quoteDelta: usize = 0, snapDelta: usize = 0;

/** Sets the offsets keyOf reads a cross position's quote and snapshot with. */
export function setKeyOffsets(): void {
  quoteDelta = col(Column.PosQuote) - col(Column.PosSize);
  snapDelta = col(Column.PosSnap) - col(Column.PosSize);
}

/** Order-preserving u64 of -key (smaller is better; NaN never occurs: keys of non-finite inputs are -inf). */
// @ts-ignore: decorator
@inline export function bestFirstBits(x: f64): u64 {
  const b = reinterpret<u64>(x);
  return ~((b >> 63) != 0 ? ~b : b | 0x8000000000000000);
}

// @ts-ignore: decorator
@inline export function sat(a: u64, b: u64): u64 { const s = a + b; return s < a ? u64.MAX_VALUE : s; }
// @ts-ignore: decorator
@inline export function sizeAbs(tag: u32, m: u32): u64 {
  const p = positionOf(tag, m);
  if (p == 0) return 0;
  const s = load<i64>(p);
  return <u64>(s < 0 ? -s : s);
}

// Group table (AdlGroups, 64 B per group): +0 market, +4 side (i32), +8 need (u64), +16 segment
// start, +20 segment length, +24 first record, +28 last record, +32 candidates (counted). AdlGroupOf[market * 2 + (side < 0)]
// holds a group's index + 1 during the step.
// @ts-ignore: decorator
@inline export function groupPtr(g: u32): usize { return col(Column.AdlGroups) + <usize>g * AdlGroupRecord.BYTES; }
// @ts-ignore: decorator
@inline export function groupOfPtr(m: u32, side: i32): usize { return col(Column.AdlGroupOf) + (<usize>(m * 2 + <u32>(side < 0)) << 2); }

/** Holders of market m in its index plus the pending ones: at least its positions' count. */
export function holderBound(m: u32): u32 {
  const starts = col(Column.IndexStart);
  let b = load<u32>(starts + (<usize>(m + 1) << 2)) - load<u32>(starts + (<usize>m << 2));
  const pm = col(Column.PendingMarket);
  for (let k: u32 = 0; k < pendingCount; k++) if (load<u32>(pm + (<usize>k << 2)) == m) b++;
  return b;
}

/**
 * One pass over every account (ascending; cross slots, then isolated rows). `counting`: adds each
 * position to its group's candidate count (+32, zeroed first), for every group, so batches can be
 * packed exactly. Otherwise: appends each position to the segment of its group when that group is
 * in [g, h), with its size and, for the rankings computed here, its key; sorted by account, as a
 * group needs.
 */
export function sweepBook(g: u32, h: u32, ranking: u32, counting: bool): void {
  if (counting) for (let x = g; x < h; x++) store<u32>(groupPtr(x), 0, AdlGroupRecord.candidates);
  const flags = col(Column.AccFlags), posStart = col(Column.AccPosStart), posLen = col(Column.AccPosLen);
  const posMarket = col(Column.PosMarket), posSize = col(Column.PosSize), isoHead = col(Column.AccIsoHead);
  // Keys that depend only on the position and the check's figures are computed here, while the
  // position and its account are in cache (in a later per-group pass they would be cache misses).
  // No earlier group of the step can touch a later group's candidates (another market, or the
  // other side of this one), so these are the keys the group would compute when it starts.
  const withKeys = !counting && ranking <= 3 && ranking != 2;
  setKeyOffsets();
  for (let a: u32 = 0; a < accountCount; a++) {
    if (load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    const s0 = load<u32>(posStart + (<usize>a << 2)), s1 = s0 + load<u32>(posLen + (<usize>a << 2));
    for (let sl = s0; sl < s1; sl++) {
      visit(a, <u32>load<u16>(posMarket + (<usize>sl << 1)), posSize + (<usize>sl << 3), g, h, ranking, withKeys, counting);
    }
    let r = load<u32>(isoHead + (<usize>a << 2));
    while (r != NONE) {
      visit(r | ISOLATED_TAG, <u32>load<u16>(u16At(Column.IsoMarket, r)), i64At(Column.IsoSize, r), g, h, ranking, withKeys, counting);
      r = load<u32>(u32At(Column.IsoNext, r));
    }
  }
}

/** One position of the sweep (holder tag, market, size address). */
// @ts-ignore: decorator
@inline function visit(tag: u32, m: u32, p: usize, g: u32, h: u32, ranking: u32, withKeys: bool, counting: bool): void {
  const s = load<i64>(p);
  if (s == 0) return;
  // A long is a candidate of the group whose bankrupt side is short (index 1), and vice versa.
  const x = load<u32>(col(Column.AdlGroupOf) + (<usize>(m * 2 + <u32>(s > 0)) << 2));
  if (x == 0) return;
  if (counting) { const c = groupPtr(x - 1) + AdlGroupRecord.candidates; store<u32>(c, load<u32>(c) + 1); return; }
  if (x - 1 < g || x - 1 >= h) return;
  const at = place(x - 1, tag, <u32>p);
  store<u64>(i64At(Column.AdlSize, at), <u64>(s < 0 ? -s : s));
  if (withKeys) store<f64>(i64At(Column.AdlKey, at), sweptKey(ranking, tag, m, p));
}

// @ts-ignore: decorator
@inline function place(x: u32, tag: u32, p: u32): u32 {
  const gp = groupPtr(x);
  const len = load<u32>(gp, AdlGroupRecord.count);
  const at = load<u32>(gp, AdlGroupRecord.first) + len;
  store<u32>(u32At(Column.AdlId, at), tag);
  store<u32>(u32At(Column.AdlPos, at), p);
  store<u32>(gp + AdlGroupRecord.count, len + 1);
  return at;
}

/** A candidate's key during the sweep (its market's constants read from the market record). */
// @ts-ignore: decorator
@inline function sweptKey(ranking: u32, tag: u32, m: u32, p: usize): f64 {
  const mk = marketPtr(m);
  const key = keyOf(ranking, tag, m, p, load<i64>(mk, MarketRecord.mark), load<i64>(mk, MarketRecord.d), load<f64>(mk, MarketRecord.markOverD), load<i64>(mk, MarketRecord.fundingLong), load<i64>(mk, MarketRecord.fundingShort), load<f64>(mk, MarketRecord.invD));
  return key == 0 ? 0 : key;
}

// ---- A ranking given by the caller ------------------------------------------------------------------

/**
 * A ranking function is JavaScript, and JavaScript is never called in the middle of a run: before a
 * run (or the indicator) moves anything, JavaScript lists each market side's candidates here, reads
 * their inputs a chunk at a time, calls the function for each and keeps the keys; the run's
 * `adlKeys` hook then only copies them. So the function reads the candidates as they are when the
 * run starts, and one that fails refuses the run before anything moved.
 */
let inputsMarket: u32 = 0, inputsCount: u32 = 0;

/**
 * Lists the candidates of market m with a size of sign `side` (+1, -1), as a ranked ADL group
 * gathers them (account order); returns how many, or -1 for an unknown market or side. The list
 * stays valid until the next call into the core that is not adlCandidateInputs.
 */
export function adlCandidates(m: u32, side: i32): i32 {
  inputsCount = 0;
  if (m >= marketCount || (side != 1 && side != -1)) return -1;
  inputsMarket = m;
  inputsCount = gatherHolders(m, side, false, NONE);
  return <i32>inputsCount;
}

/**
 * Writes the ranking inputs of listed candidates [from, from + count) to AdlInputs rows 0..count
 * (AdlInputRecord, records.ts): the tag, account and signed size; v, N and Q as the ranking keys read them; E and M
 * of the last check (the core's own results), or with `current` != 0 as a check of the book now
 * gives them (summed here when the book changed since the last check, writing no results: a run
 * computes its keys before it checks the book, so that a failing function refuses it with nothing
 * changed); C, the group's collateral. Errors: OutOfRange (more than ADL_INPUT_ROWS, or past the
 * list); Overflow naming the account whose sums leave range (summing).
 */
export function adlCandidateInputs(from: u32, count: u32, current: i32): i32 {
  if (count > ADL_INPUT_ROWS || <u64>from + count > <u64>inputsCount) return fail(Status.OutOfRange, Field.None, -1);
  const summed = current != 0 && !resultsCurrent;
  const m = inputsMarket, out = col(Column.AdlInputs);
  for (let i: u32 = 0; i < count; i++) {
    const tag = load<u32>(u32At(Column.AdlId, (from + i)));
    const p = <usize>load<u32>(u32At(Column.AdlPos, (from + i)));
    const r = out + <usize>i * AdlInputRecord.BYTES;
    const v = pnlOf(tag, m, p);
    const N = load<i64>(SCRATCH, PNL_NOTIONAL);
    const q = quoteOf(tag, m, p);
    store<u32>(r, tag, AdlInputRecord.tag);
    store<u32>(r, tagAccount(tag), AdlInputRecord.account);
    store<i64>(r, load<i64>(p), AdlInputRecord.size);
    store<i64>(r, v, AdlInputRecord.pnl);
    store<i64>(r, N, AdlInputRecord.notional);
    store<i64>(r, q < 0 ? -q : q, AdlInputRecord.entry);
    if (summed) {
      const ok = (tag & ISOLATED_TAG) == 0 ? evaluateCross(tag, load<i64>(i64At(Column.AccCollateral, tag))) : isolatedFigures(tagAccount(tag), tag & ~ISOLATED_TAG);
      if (!ok) return fail(Status.Overflow, Field.AccountId, <i32>tagAccount(tag));
      store<i64>(r, SUMS.equityQuote, AdlInputRecord.equity);
      store<i64>(r, SUMS.mmQuote, AdlInputRecord.mm);
    } else {
      store<i64>(r, groupCol(tag, Column.AccEquity, Column.IsoEquity), AdlInputRecord.equity);
      store<i64>(r, groupCol(tag, Column.AccMm, Column.IsoMm), AdlInputRecord.mm);
    }
    store<i64>(r, groupCol(tag, Column.AccCollateral, Column.IsoCollateral), AdlInputRecord.collateral);
  }
  return Status.Ok;
}
