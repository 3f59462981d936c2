/**
 * Auto-deleveraging (docs/WATERFALL.md, "adl"): the bankrupt close is re-assigned to opposite
 * positions, which close at the bankruptcy price (paying the difference to the deficit) or at the
 * mark, each close lowered to what keeps its counterparty solvent.
 *
 * The step groups its records by (market, bankrupt side); each group's candidates (candidates.ts)
 * are ordered once. Ranked orders need only the prefix the group's records can consume: a
 * size-weighted radix select on the keys' bits finds where the best candidates' sizes first reach
 * the group's total closed size, and only candidates up to there are sorted (stable, so ties stay in
 * account order). Against a million candidates that is one pass for the keys and counts, one to
 * collect, and a sort of the few thousand selected, instead of a full sort.
 */
import { addWide } from '../../math/wide';
import { AMOUNT_LIMIT, mulDivRounded, OVERFLOWED, SHARE_LIMIT } from '../../math/fixed';
import { col, Column, ioCapacity, ISOLATED_TAG, maxAccounts, maxIsolated, i64At, u32At, marketPtr, u16At } from '../../abi/layout';
import { clearError, indexDirty, isolatedLive, LIQ_RECORD, marketCount, nextEpoch, NONE, positionLive, SCRATCH } from '../state';
import { fundingToSettle } from '../book/book';
import { buildIndex, equityOf } from '../margin/check';
import { applyFillWith } from '../margin/fills';

import { splitAt } from './prorata';
import { sortPairs } from '../margin/queue';
import { addResidue, addRunTotal, cover, defMarket, openOf, RUN_RECORD, serves } from './steps';
import { eventId, stepPtr } from './config';
import {
  bestFirstBits, gatherHolders, histogramGathered, keysGathered, totalGathered, groupOfPtr, groupPtr, holderBound, keyOf,
  positionOf, sat, setKeyOffsets, sizeAbs, snapOf, sweepBook, tagAccount,
} from './candidates';
import { AdlGroupRecord, LiqRecord, MarketRecord, RunRecord, StepRecord } from '../../abi/records';
import { Liquidity, Ranking } from '../../abi/status';

@external("env", "adlKeys")
declare function adlKeys(step: u32, market: u32, side: i32, count: u32): void;

// ---- Ranking --------------------------------------------------------------------------------------

/**
 * The current group's candidates start at this row of the candidate columns (AdlId, AdlPos, AdlKey,
 * AdlSize): 0 when gathered from the index, the group's segment when swept. Segments of a batch are
 * served in place: a later group's segment may lie before an earlier one's (a market's two sides
 * share one region), so none may be moved.
 */
let candBase: u32 = 0;
// @ts-ignore: decorator
@inline function candIds(): usize { return u32At(Column.AdlId, candBase); }
// @ts-ignore: decorator
@inline function candPos(): usize { return u32At(Column.AdlPos, candBase); }
// @ts-ignore: decorator
@inline function candKeys(): usize { return i64At(Column.AdlKey, candBase); }
// @ts-ignore: decorator
@inline function candSizes(): usize { return i64At(Column.AdlSize, candBase); }

/** rankedOrder's caller has the level-1 counts and total already (a gather that computed them). */
let histReady = false;

/**
 * Computes every candidate's key (unless the caller's function did) into AdlKey, with the total
 * size, and when `select`, the level-1 size counts by the keys' top 16 bits into AdlSums.
 */
function rankKeys(ranking: u32, m: u32, n: u32, select: bool, keysReady: bool): u64 {
  if (keysReady && histReady) return totalGathered();
  const ids = candIds(), keys = candKeys(), pos = candPos();
  // Size-weighted selection of the best prefix whose sizes reach `need` (every candidate at or above
  // the threshold is then sorted exactly): level 1 counts sizes by the keys' top 16 bits (sign,
  // exponent, 4 mantissa bits; best first), level 2 by the next 16 among the crossing digit's
  // candidates only. Keys, totals and the level-1 counts share one pass over the candidates.
  const sizes = candSizes(), counts = col(Column.SortCounts), sums = col(Column.AdlSums);
  if (select) memory.fill(sums, 0, 65536 << 3);
  let total: u64 = 0;
  const mk = marketPtr(m);
  const mark = load<i64>(mk, MarketRecord.mark), d = load<i64>(mk, MarketRecord.d), markOverD = load<f64>(mk, MarketRecord.markOverD);
  const idxLong = load<i64>(mk, MarketRecord.fundingLong), idxShort = load<i64>(mk, MarketRecord.fundingShort);
  setKeyOffsets();
  for (let i: u32 = 0; i < n; i++) {
    let key: f64;
    if (keysReady) key = load<f64>(keys + (<usize>i << 3));
    else if (ranking == <u32>Ranking.Custom) {
      key = load<f64>(keys + (<usize>i << 3));
      if (key == 0) { key = 0; store<f64>(keys + (<usize>i << 3), 0); } // -0 and +0 are one key
    } else {
      key = keyOf(ranking, load<u32>(ids + (<usize>i << 2)), m, <usize>load<u32>(pos + (<usize>i << 2)), mark, d, markOverD, idxLong, idxShort, load<f64>(mk, MarketRecord.invD));
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
  sortPairs(k, col(Column.SortIdsA), col(Column.SortKeysA), col(Column.SortIdsB), col(Column.SortKeysB), k < 4096 ? 8 : 16);
  memory.copy(col(Column.SortIdsB), col(Column.SortIdsA), <usize>k << 2);
}

/**
 * Orders the n candidates in AdlId by key (best first, ties by account): writes candidate indices
 * to SortIdsB[0..returned). Only the best prefix whose sizes reach `need` is ordered.
 */
function rankedOrder(ranking: u32, m: u32, side: i32, n: u32, need: u64, step: u32, keysReady: bool = false, hist: bool = false): u32 {
  histReady = hist;
  // A caller's ranking: JavaScript computed every key before the run (candidates.ts, "A ranking
  // given by the caller"); the hook copies each candidate's into AdlKey.
  if (ranking == <u32>Ranking.Custom && !keysReady) adlKeys(step, m, side, n);
  const select = n >= 4096;
  const total = rankKeys(ranking, m, n, select, keysReady);
  const k = selectPrefix(n, need, total, select);
  sortSelected(k);
  return k;
}

/** ADL quantiles of market m, side (+1 long, -1 short): AdlId in rank order, quantile in PayWork; returns n. */
export function adlRanks(m: u32, side: i32, ranking: u32): i32 {
  if (m >= marketCount) return -1;
  candBase = 0;
  const n = gatherHolders(m, side);
  const ids = col(Column.AdlId);
  if (ranking == <u32>Ranking.RandomWalk || ranking == <u32>Ranking.Largest) return -1;
  const k = rankedOrder(ranking, m, side, n, u64.MAX_VALUE, NONE);
  // Reorder AdlId into rank order via PayId, with the key kept in PayCap (f64 bits).
  const order = col(Column.SortIdsB), out = col(Column.PayId);
  for (let i: u32 = 0; i < k; i++) {
    const c = load<u32>(order + (<usize>i << 2));
    store<u32>(out + (<usize>i << 2), load<u32>(ids + (<usize>c << 2)));
    store<f64>(i64At(Column.PayCap, i), load<f64>(i64At(Column.AdlKey, c)));
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

export function runAdl(j: u32, w: u32, n: u32): void {
  const ranking = <u32>load<u8>(stepPtr(j), StepRecord.ranking);
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
      store<u32>(p, m, AdlGroupRecord.market); store<i32>(p, side, AdlGroupRecord.side); store<u64>(p, 0, AdlGroupRecord.sizeBase); store<u32>(p, k, AdlGroupRecord.first); store<u32>(p, 0, AdlGroupRecord.count);
    }
    const p = groupPtr(g - 1);
    store<u64>(p + AdlGroupRecord.sizeBase, sat(load<u64>(p, AdlGroupRecord.sizeBase), <u64>(-side * load<i64>(i64At(Column.DefSize, k)))));
    store<u32>(p + AdlGroupRecord.count, load<u32>(p, AdlGroupRecord.count) + 1);
    store<u32>(p + AdlGroupRecord.to, k);
  }
  listed = n <= ioCapacity;
  if (listed) {
    // AdlGroupRecord.from: the group's first entry in the list, .to: its fill, then its end.
    let at: u32 = 0;
    for (let g: u32 = 0; g < ng; g++) { const p = groupPtr(g); store<u32>(p + AdlGroupRecord.from, at); store<u32>(p + AdlGroupRecord.to, at); at += load<u32>(p, AdlGroupRecord.count); }
    const list = col(Column.IoU32);
    for (let k: u32 = 0; k < n; k++) {
      if (!serves(k, w)) continue;
      const m = defMarket(k), side = sideOf(k);
      if (m == NONE || side == 0) continue;
      const p = groupPtr(load<u32>(groupOfPtr(m, side)) - 1);
      const e = load<u32>(p, AdlGroupRecord.to);
      store<u32>(list + (<usize>e << 2), k);
      store<u32>(p + AdlGroupRecord.to, e + 1);
    }
  } else {
    for (let g: u32 = 0; g < ng; g++) { const p = groupPtr(g); store<u32>(p + AdlGroupRecord.from, load<u32>(p, AdlGroupRecord.first)); }
  }
  if (ng == 0) return;
  if (indexDirty) buildIndex();
  // Candidates come from one pass over the book per batch of groups when the groups hold much of
  // it (sequential reads), else from each market's holder index.
  let bound: u64 = 0;
  for (let g: u32 = 0; g < ng; g++) bound += holderBound(load<u32>(groupPtr(g)));
  const sweep = bound * 4 >= <u64>(positionLive + isolatedLive) && ng > 1 && ranking != <u32>Ranking.Custom;
  if (sweep) sweepBook(0, ng, ranking, true);
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
        const c = <u64>load<u32>(hp, AdlGroupRecord.candidates);
        if (h > g && used + c > capacity) break;
        store<u32>(hp + AdlGroupRecord.first, <u32>used);
        store<u32>(hp + AdlGroupRecord.count, 0);
        used += c;
        h++;
      }
      sweepBook(g, h, ranking, false);
    }
    for (let x = g; x < h; x++) serveGroup(j, w, n, x, ranking, sweep);
    g = h;
  }
  for (let x: u32 = 0; x < ng; x++) {
    const p = groupPtr(x);
    store<u32>(groupOfPtr(load<u32>(p, AdlGroupRecord.market), load<i32>(p, AdlGroupRecord.side)), 0);
  }
}

/**
 * Serves the records of group x: its candidates (swept into its segment, or gathered now from the
 * index) move to the front of the candidate columns with their current sizes, are ordered, and
 * each record walks them. Earlier closes may have moved a candidate's cross slot (a removed slot
 * takes the account's last one): such addresses are found again.
 */
function serveGroup(j: u32, w: u32, n: u32, x: u32, ranking: u32, swept: bool): void {
  const gp = groupPtr(x);
  const m = load<u32>(gp, AdlGroupRecord.market), side = load<i32>(gp, AdlGroupRecord.side);
  let count: u32;
  let keysReady = false;
  if (swept) {
    candBase = load<u32>(gp, AdlGroupRecord.first);
    const len = load<u32>(gp, AdlGroupRecord.count);
    keysReady = ranking <= 3 && ranking != 2;
    count = len;
    if (!keysReady && ranking != <u32>Ranking.RandomWalk && ranking != <u32>Ranking.Largest) {
      // Keys that read state an earlier group may have changed (collateral): positions are found
      // again (a removed slot takes the account's last one) and ranked now.
      const ids = candIds(), pos = candPos(), sizes = candSizes();
      count = 0;
      for (let i: u32 = 0; i < len; i++) {
        const tag = load<u32>(ids + (<usize>i << 2));
        let p = <usize>load<u32>(pos + (<usize>i << 2));
        if ((tag & ISOLATED_TAG) == 0) {
          const sl = <u32>((p - col(Column.PosSize)) >> 3);
          if (<u32>load<u16>(u16At(Column.PosMarket, sl)) != m || load<u32>(u32At(Column.PosAccount, sl)) != tag) p = positionOf(tag, m);
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
    count = gatherHolders(m, -side, false, ranking < <u32>Ranking.Custom ? ranking : NONE);
    keysReady = keysGathered();
  }
  let ordered = count;
  if (ranking < <u32>Ranking.RandomWalk) ordered = rankedOrder(ranking, m, -side, count, load<u64>(gp, AdlGroupRecord.sizeBase), j, keysReady, !swept && histogramGathered());
  cursor = 0;
  if (listed) {
    const list = col(Column.IoU32);
    const end = load<u32>(gp, AdlGroupRecord.to);
    for (let e = load<u32>(gp, AdlGroupRecord.from); e < end; e++) serveRecord(j, load<u32>(list + (<usize>e << 2)), m, side, ranking, count, ordered);
  } else {
    const last = load<u32>(gp, AdlGroupRecord.to);
    for (let k = load<u32>(gp, AdlGroupRecord.from); k <= last; k++) {
      if (!serves(k, w) || defMarket(k) != m || sideOf(k) != side) continue;
      serveRecord(j, k, m, side, ranking, count, ordered);
    }
  }
}

/** The step's records are listed by group in IoU32 (else scanned). */
let listed = false;

/** The close price P of record k at this step and the per-unit offset. */
function closePrice(j: u32, k: u32, m: u32, side: i32): i64 {
  if (load<u8>(stepPtr(j), StepRecord.mode) == 1) return load<i64>(marketPtr(m), MarketRecord.mark);
  const q = load<i64>(i64At(Column.DefPrice, k));
  const qb = load<i64>(i64At(Column.DefSize, k));
  const dp = mulDivRounded(openOf(k), load<i64>(marketPtr(m), MarketRecord.d), qb < 0 ? -qb : qb, true, SCRATCH);
  if (dp == OVERFLOWED) return side > 0 ? AMOUNT_LIMIT : 1;
  const p = side > 0 ? q + dp : q - dp;
  return p < 1 ? 1 : (p > AMOUNT_LIMIT ? AMOUNT_LIMIT : p);
}

function serveRecord(j: u32, k: u32, m: u32, side: i32, ranking: u32, count: u32, ordered: u32): void {
  const markMode = load<u8>(stepPtr(j), StepRecord.mode) == 1;
  const qb = load<i64>(i64At(Column.DefSize, k));
  let qLeft = qb < 0 ? -qb : qb;
  const P = closePrice(j, k, m, side);
  const q = load<i64>(i64At(Column.DefPrice, k));
  const bankrupt = load<u32>(u32At(Column.DefAccount, k));
  const ids = candIds();
  if (ranking == <u32>Ranking.Largest) {
    serveLargest(j, k, m, side, count, P, q, bankrupt, markMode, qLeft);
    return;
  }
  const walk = ranking == <u32>Ranking.RandomWalk;
  const start: u32 = walk && count > 0
    ? <u32>(splitmix64(<u64>load<i64>(stepPtr(j), StepRecord.amount) + (<u64>eventId() << 32) + <u64>k) % <u64>count) : 0;
  const len = walk ? count : ordered;
  if (!walk) {
    while (cursor < len && liveSize(load<u32>(ids + (<usize>load<u32>(u32At(Column.SortIdsB, cursor)) << 2)), m) == 0) cursor++;
  }
  for (let t: u32 = walk ? 0 : cursor; t < len; t++) {
    if (qLeft == 0 || (!markMode && openOf(k) == 0)) break;
    const idx = ranking == <u32>Ranking.RandomWalk ? (start + t) % count : load<u32>(u32At(Column.SortIdsB, t));
    const tag = load<u32>(ids + (<usize>idx << 2));
    if (tag == NONE || tagAccount(tag) == bankrupt) continue;
    const avail = sizeAbs(tag, m);
    if (avail == 0) continue;
    let c = <i64>(avail < <u64>qLeft ? avail : <u64>qLeft);
    if (!markMode) c = smallestCovering(c, side, q, P, m, openOf(k));
    const solvent = solventSize(tag, m, side, c, P);
    // A counterparty its equity stopped is done for the group: it leaves the walk.
    if (solvent < c) store<u32>(ids + (<usize>idx << 2), NONE);
    if (solvent == 0) continue;
    if (closeAgainst(j, k, tag, m, side, solvent, P, q, markMode)) qLeft -= solvent;
  }
}

/** |size| of a candidate still in its group's walk (0 if it left it or its position is closed). */
// @ts-ignore: decorator
@inline function liveSize(tag: u32, m: u32): u64 { return tag == NONE ? 0 : sizeAbs(tag, m); }

/** Lowers c to the first size (binary search over 1..c) whose payment a(c) reaches r, when a(c) > r. */
function smallestCovering(c: i64, side: i32, q: i64, P: i64, m: u32, r: i64): i64 {
  const D = load<i64>(marketPtr(m), MarketRecord.d);
  if (payment(c, side, q, P, D) <= r) return c;
  let lo: i64 = 1, hi = c;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    if (payment(mid, side, q, P, D) >= r) hi = mid; else lo = mid + 1;
  }
  return lo;
}

/**
 * Lowers a close of c to what keeps the counterparty's group solvent: with E its equity now and
 * dE(c) = cash(dj, P) + floor((s + dj) m / D) - floor(s m / D) the close's equity change (funding
 * settles at no change to equity), the largest c' <= c found by the specified binary search with
 * E + dE(c') >= 0; 0 when even the smallest close would not do. A group already below zero (or out
 * of range) is passed over: it is liquidation's, and closing a bankrupt isolated position would move
 * its negative collateral into the account's cross book.
 */
function solventSize(tag: u32, m: u32, side: i32, c: i64, P: i64): i64 {
  const E = equityOf(tag);
  if (E == OVERFLOWED || E < 0) return 0;
  const need: i64 = -E; // E + dE >= 0
  const mk = marketPtr(m);
  const D = load<i64>(mk, MarketRecord.d), mark = load<i64>(mk, MarketRecord.mark);
  const s = load<i64>(positionOf(tag, m));
  const before = mulDivRounded(s, mark, D, false, SCRATCH);
  if (before == OVERFLOWED) return 0;
  if (equityChangeAtLeast(c, side, s, P, mark, D, before, need)) return c;
  let lo: i64 = 0, hi = c;
  while (lo < hi) {
    const mid = lo + ((hi - lo + 1) >> 1);
    if (equityChangeAtLeast(mid, side, s, P, mark, D, before, need)) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/** dE(c) >= need for a close of c at P (false when a term leaves range). */
function equityChangeAtLeast(c: i64, side: i32, s: i64, P: i64, mark: i64, D: i64, before: i64, need: i64): bool {
  const dj: i64 = side > 0 ? c : -c;
  const cashP = cash(dj, P, D);
  const after = mulDivRounded(s + dj, mark, D, false, SCRATCH);
  if (cashP == OVERFLOWED || after == OVERFLOWED) return false;
  return cashP + (after - before) >= need;
}

/** a(c) = cash(dj, q) - cash(dj, P), dj = side * c; OVERFLOWED when either cash leaves range (such a close is not made). */
// @ts-ignore: decorator
@inline function payment(c: i64, side: i32, q: i64, P: i64, D: i64): i64 {
  const dj = side > 0 ? c : -c;
  const atQ = cash(dj, q, D), atP = cash(dj, P, D);
  return atQ == OVERFLOWED || atP == OVERFLOWED ? OVERFLOWED : atQ - atP;
}

/** Closes c of candidate `tag` at P for record k; false (nothing changed) if the fill is refused. */
function closeAgainst(j: u32, k: u32, tag: u32, m: u32, side: i32, c: i64, P: i64, q: i64, markMode: bool): bool {
  const a = tagAccount(tag);
  const iso = (tag & ISOLATED_TAG) != 0;
  const r = tag & ~ISOLATED_TAG;
  const p = positionOf(tag, m);
  const size = load<i64>(p);
  const D = load<i64>(marketPtr(m), MarketRecord.d);
  const owed = fundingToSettle(m, size, snapOf(tag, p));
  const pay = markMode ? 0 : payment(c, side, q, P, D);
  if (owed == OVERFLOWED || pay == OVERFLOWED || pay < 0) return false;
  const cross = i64At(Column.AccCollateral, a);
  const before = load<i64>(cross) + (iso ? load<i64>(i64At(Column.IsoCollateral, r)) : 0);
  const dj: i64 = side > 0 ? c : -c;
  if (applyFillWith(a, m, dj, P, iso, 0, Liquidity.NoFee) != 0) { clearError(); return false; }
  const isoLive = iso && load<u8>(col(Column.IsoFlags) + <usize>r) != 0 && <u32>load<u32>(u32At(Column.IsoAccount, r)) == a;
  const after = load<i64>(cross) + (isoLive ? load<i64>(i64At(Column.IsoCollateral, r)) : 0);
  const realized = after - before + owed;
  // Ledger: funding settled and realized PnL at the bankrupt close price are flows with the outside.
  addWide(LIQ_RECORD + LiqRecord.flow, owed - realized - pay);
  const open = openOf(k);
  const covered = pay < open ? pay : open;
  if (covered > 0) cover(k, j, a, covered, P, dj); // a close at the mark moves no money: no record
  addResidue(j, a, m, pay - covered, k);
  // Run totals: volume, notional at the mark, accounts hit.
  addRunTotal(RunRecord.adlVolumeBase, c);
  const notional = mulDivRounded(c, load<i64>(marketPtr(m), MarketRecord.mark), D, false, SCRATCH, SHARE_LIMIT);
  if (notional != OVERFLOWED) addRunTotal(RunRecord.adlNotionalQuote, notional);
  // Accounts hit, counted once per step: AccScratch holds a mark no collateral can equal.
  const stamp = i64At(Column.AccScratch, a), mark = i64.MIN_VALUE + <i64>adlEpoch;
  if (load<i64>(stamp) != mark) {
    store<i64>(stamp, mark);
    store<i64>(RUN_RECORD + RunRecord.adlAccounts, load<i64>(RUN_RECORD, RunRecord.adlAccounts) + 1);
  }
  return true;
}

/** FTX: the topK largest opposite positions share min(Qb, their total) pro rata to size. */
function serveLargest(j: u32, k: u32, m: u32, side: i32, count: u32, P: i64, q: i64, bankrupt: u32, markMode: bool, qLeft: i64): void {
  const topK = load<u32>(stepPtr(j), StepRecord.param);
  const ids = candIds();
  // Top-K by |s| descending, ties by account (candidates are in account order: keep the first);
  // candidates a solvency limit stopped earlier in the group are out.
  let have: u32 = 0;
  const best = LARGEST, wts = LARGEST + 64 * 4, caps = wts + 64 * 8, shares = caps + 64 * 8;
  for (let i: u32 = 0; i < count; i++) {
    const tag = load<u32>(ids + (<usize>i << 2));
    if (tag == NONE || tagAccount(tag) == bankrupt) continue;
    const s = sizeAbs(tag, m);
    if (s == 0) continue;
    if (have == topK && s <= <u64>load<i64>(wts + (<usize>(topK - 1) << 3))) continue;
    let at = have < topK ? have++ : topK - 1;
    while (at > 0 && <u64>load<i64>(wts + (<usize>(at - 1) << 3)) < s) {
      store<u32>(best + (<usize>at << 2), load<u32>(best + (<usize>(at - 1) << 2)));
      store<i64>(wts + (<usize>at << 3), load<i64>(wts + (<usize>(at - 1) << 3)));
      at--;
    }
    store<u32>(best + (<usize>at << 2), i);
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
    const idx = load<u32>(best + (<usize>i << 2));
    const tag = load<u32>(ids + (<usize>idx << 2));
    const c = load<i64>(shares + (<usize>i << 3));
    if (c <= 0) continue;
    const solvent = solventSize(tag, m, side, c, P);
    if (solvent < c) store<u32>(ids + (<usize>idx << 2), NONE); // done for the group (see serveRecord)
    if (solvent > 0) closeAgainst(j, k, tag, m, side, solvent, P, q, markMode);
  }
}

/** Scratch of the `largest` step: up to 64 candidates (their index in the group), weights, caps and shares. */
const LARGEST: usize = memory.data(64 * 4 + 64 * 8 * 3, 8);

/** splitmix64 (Steele, Lea, Flood 2014): the seeded start of dYdX-style random walks. */
export function splitmix64(x: u64): u64 {
  let z = x + 0x9E3779B97F4A7C15;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

