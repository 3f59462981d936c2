/**
 * The pro-rata split with caps (docs/WATERFALL.md, "Pro rata"): water-filling with largest-remainder
 * rounding, ties to the earlier payer.
 *
 * Payers are rows 0..n of the Pay* columns, already in id order: PayId (who), PayWeight (w >= 0),
 * PayCap (c >= 0). `split` writes each payer's share into PayWork. During the rounds a payer whose
 * share is fixed at its cap carries its weight negated, so one column says active (w > 0), fixed
 * (w < 0) or out (w = 0); the weights are restored before returning.
 *
 * Exactness: t_i = floor(R w_i / W) comes from `mulDivRounded` (exact, fast when small), and the
 * remainder R w_i - t_i W is formed in wrapping i64 arithmetic, exact because the true value lies in
 * [0, W). The `R - Σ t_i` largest remainders are found without sorting: a radix select on the
 * remainders' 16-bit digits finds the threshold value T and how many payers at exactly T still get
 * one more atom (the earliest ones).
 */
import { FAST_LIMIT, mulDivFloorFast, mulDivRounded, SHARE_LIMIT } from '../../math/fixed';
import { col, Column, maxAccounts, maxIsolated } from '../../abi/layout';
import { SCRATCH } from '../state';

/** Total weight a split may have: W and every R * w_i / W stay exact in i64. */
export const WEIGHT_LIMIT: i64 = 1 << 62;

// @ts-ignore: decorator
@inline function at(c: Column, i: u32): usize { return col(c) + (<usize>i << 3); }

/**
 * Splits X among payers 0..n. Requires 0 <= X <= 2^62, X <= Σ caps and Σ weights <= WEIGHT_LIMIT
 * (the caller checks them, with sums that cannot wrap). Then R, W, every share and the fixed sum
 * (at most X: a payer is fixed at c_i <= t_i) lie in 0 ..= 2^62, and a remainder in [0, W). Returns
 * the number of rounds taken.
 *
 * A round is two passes: floor shares with a histogram of the remainders' top bits, then the extra
 * atoms (with the cap check). Only a round in which someone exceeds its cap costs more passes.
 */
export function split(n: u32, X: i64): u32 {
  return splitAt(n, X, col(Column.PayWeight), col(Column.PayCap), col(Column.PayWork));
}

/**
 * `split` over weights, caps and shares at the given addresses (i64 arrays of n; caps may be the
 * weights themselves), with the weights' total when the caller has it (else -1).
 */
export function splitAt(n: u32, X: i64, w: usize, c: usize, t: usize, total: i64 = -1): u32 {
  const counts = col(Column.SortCounts);
  let rounds: u32 = 0;
  let fixedSum: i64 = 0;
  let W: i64 = total;
  if (W < 0) {
    W = 0;
    for (let i: u32 = 0; i < n; i++) { const wi = load<i64>(w + (<usize>i << 3)); if (wi > 0) W += wi; }
  }
  while (true) {
    rounds++;
    const R = X - fixedSum;
    if (W == 0 || R == 0) {
      for (let i: u32 = 0; i < n; i++) {
        const p = <usize>i << 3;
        store<i64>(t + p, load<i64>(w + p) < 0 ? load<i64>(c + p) : 0);
      }
      break;
    }
    // Pass 1: floor shares, and the remainders' top 16 bits (below W's top bit) counted.
    const top = 64 - <i32>clz(<u64>W);
    const shift: i32 = top > 16 ? top - 16 : 0;
    memory.fill(counts, 0, 65536 << 2);
    let floorSum: i64 = 0;
    // Shares are at most R: below 2^48 the f64 estimate w * (R / W) (three roundings, relative error
    // under 2^-50) is within the fast path's contract (math/fixed.ts); else the exact path.
    const fast = R <= <i64>FAST_LIMIT;
    const ratio = <f64>R / <f64>W;
    for (let i: u32 = 0; i < n; i++) {
      const p = <usize>i << 3;
      const wi = load<i64>(w + p);
      if (wi <= 0) { if (wi == 0) store<i64>(t + p, 0); continue; }
      // t_i <= R <= 2^62: 2^62 itself is a share like any other (one payer taking all of X = 2^62).
      const ti = fast ? mulDivFloorFast(R, wi, W, <f64>wi * ratio) : mulDivRounded(R, wi, W, false, SCRATCH, SHARE_LIMIT);
      store<i64>(t + p, ti);
      floorSum += ti;
      const cp = counts + (<usize>(<u64>(R * wi - ti * W) >> shift) << 2);
      store<u32>(cp, load<u32>(cp) + 1);
    }
    // Pass 2: the extra atoms to the largest remainders; is anyone over its cap?
    const over = giveLargestRemainders(n, R, W, <u32>(R - floorSum), shift, w, c, t);
    if (!over) {
      // Payers fixed in an earlier round take their caps (0 included: no stale share stays).
      if (rounds > 1) {
        for (let i: u32 = 0; i < n; i++) {
          const p = <usize>i << 3;
          if (load<i64>(w + p) < 0) store<i64>(t + p, load<i64>(c + p));
        }
      }
      break;
    }
    for (let i: u32 = 0; i < n; i++) {
      const p = <usize>i << 3;
      const wi = load<i64>(w + p);
      if (wi > 0 && load<i64>(t + p) >= load<i64>(c + p)) {
        store<i64>(w + p, -wi);
        fixedSum += load<i64>(c + p);
        W -= wi;
      }
    }
  }
  if (rounds > 1) {
    for (let i: u32 = 0; i < n; i++) {
      const p = <usize>i << 3;
      const wi = load<i64>(w + p);
      if (wi < 0) store<i64>(w + p, -wi);
    }
  }
  return rounds;
}

/**
 * The digit at which counts taken from `top` downwards first reach `need` (digit 0 at the latest);
 * `crossLeft` is what is left of `need` within that digit.
 */
let crossLeft: u32 = 0;
// @ts-ignore: decorator
@inline function crossing(counts: usize, top: i32, need: u32): i32 {
  let d = top;
  for (; d > 0; d--) {
    const cnt = load<u32>(counts + (<usize>d << 2));
    if (cnt >= need) break;
    need -= cnt;
  }
  crossLeft = need;
  return d;
}

/** The remainder of active payer i (w > 0), from its floor share in t. */
// @ts-ignore: decorator
@inline function remainderOf(i: u32, R: i64, W: i64, w: usize, t: usize): u64 {
  const p = <usize>i << 3;
  return <u64>(R * load<i64>(w + p) - load<i64>(t + p) * W);
}

/**
 * Adds one atom to the `k` active payers with the largest remainders (ties: earlier payer) and says
 * whether any share now exceeds its cap.
 *
 * The floor pass counted the remainders' top 16 bits below W's top bit. Remainders are spread over
 * [0, W), so the bucket where the count from the top reaches k holds few payers: this pass gives the
 * atom to every payer above that bucket and lists the bucket's payers, whose order is then settled
 * exactly on the lower bits within the list alone.
 */
function giveLargestRemainders(n: u32, R: i64, W: i64, k: u32, shift: i32, w: usize, c: usize, t: usize): bool {
  const counts = col(Column.SortCounts);
  let over = false;
  let need = k;
  let b: i32 = 65536; // nobody gets one
  if (k != 0) { b = crossing(counts, 65535, need); need = crossLeft; }
  const listLen = b < 65536 ? load<u32>(counts + (<usize>b << 2)) : 0;
  const list = col(Column.SortIdsA);
  const room = maxAccounts > maxIsolated ? maxAccounts : maxIsolated;
  let m: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const p = <usize>i << 3;
    if (load<i64>(w + p) <= 0) continue;
    let ti = load<i64>(t + p);
    const bucket = <i32>(<u64>(R * load<i64>(w + p) - ti * W) >> shift);
    if (bucket > b) store<i64>(t + p, ++ti);
    else if (bucket == b && listLen <= room) { store<u32>(list + (<usize>m << 2), i); m++; }
    if (ti > load<i64>(c + p)) over = true;
  }
  if (k == 0) return over;
  if (listLen <= room) settleBucket(list, m, need, R, W, shift, w, t);
  else settleAll(n, R, W, b, shift, need, w, t);
  // The atoms given in the bucket may push a payer over its cap too.
  if (listLen <= room) {
    for (let j: u32 = 0; j < m; j++) {
      const p = <usize>load<u32>(list + (<usize>j << 2)) << 3;
      if (load<i64>(t + p) > load<i64>(c + p)) over = true;
    }
  } else {
    for (let i: u32 = 0; i < n; i++) {
      const p = <usize>i << 3;
      if (load<i64>(w + p) > 0 && load<i64>(t + p) > load<i64>(c + p)) over = true;
    }
  }
  return over;
}

/**
 * Among the `len` listed payers (in payer order, same top bits), the `need` with the largest
 * remainders get one atom: a radix select on the lower `shift` bits over the list, 16 bits a level.
 */
function settleBucket(list: usize, len: u32, need: u32, R: i64, W: i64, shift: i32, w: usize, t: usize): void {
  const counts = col(Column.SortCounts);
  let level = shift;
  while (level > 0 && need > 0 && need < len) {
    const bits = level >= 16 ? 16 : level;
    level -= bits;
    const mask: u64 = (<u64>1 << bits) - 1;
    memory.fill(counts, 0, <usize>(1 << bits) << 2);
    for (let j: u32 = 0; j < len; j++) {
      // Every listed payer shares the digits above this level (the list is narrowed as it goes).
      const r = remainderOf(load<u32>(list + (<usize>j << 2)), R, W, w, t);
      const cp = counts + (<usize>((r >> level) & mask) << 2);
      store<u32>(cp, load<u32>(cp) + 1);
    }
    const d = crossing(counts, (1 << bits) - 1, need);
    need = crossLeft;
    // Payers above the chosen digit at this level get their atom now and leave the list.
    let keep: u32 = 0;
    for (let j: u32 = 0; j < len; j++) {
      const i = load<u32>(list + (<usize>j << 2));
      const r = remainderOf(i, R, W, w, t);
      const digit = <i32>((r >> level) & mask);
      if (digit > d) { const p = t + (<usize>i << 3); store<i64>(p, load<i64>(p) + 1); }
      else if (digit == d) { store<u32>(list + (<usize>keep << 2), i); keep++; }
    }
    len = keep;
  }
  // The rest have equal remainders (or all get one): the earliest `need` of them.
  for (let j: u32 = 0; j < len && j < need; j++) {
    const p = t + (<usize>load<u32>(list + (<usize>j << 2)) << 3);
    store<i64>(p, load<i64>(p) + 1);
  }
}

/** Fallback when the threshold bucket is too large to list: full passes, one digit at a time. */
function settleAll(n: u32, R: i64, W: i64, topBucket: i32, shift: i32, need: u32, w: usize, t: usize): void {
  const counts = col(Column.SortCounts);
  let prefix: u64 = <u64>topBucket << shift;
  let level = shift;
  while (level > 0) {
    const bits = level >= 16 ? 16 : level;
    const hi = level;
    level -= bits;
    memory.fill(counts, 0, <usize>(1 << bits) << 2);
    for (let i: u32 = 0; i < n; i++) {
      if (load<i64>(w + (<usize>i << 3)) <= 0) continue;
      const r = remainderOf(i, R, W, w, t);
      if ((r >> hi) != (prefix >> hi)) continue;
      const cp = counts + (<usize>((r >> level) & ((<u64>1 << bits) - 1)) << 2);
      store<u32>(cp, load<u32>(cp) + 1);
    }
    const d = crossing(counts, (1 << bits) - 1, need);
    need = crossLeft;
    prefix |= <u64>d << level;
  }
  // prefix is the threshold remainder T; above it all get one, at T the earliest `need`.
  for (let i: u32 = 0; i < n; i++) {
    const p = <usize>i << 3;
    if (load<i64>(w + p) <= 0) continue;
    const r = remainderOf(i, R, W, w, t);
    if ((r >> shift) != <u64>topBucket) continue;
    if (r > prefix || (r == prefix && need > 0)) {
      if (r == prefix) need--;
      store<i64>(t + p, load<i64>(t + p) + 1);
    }
  }
}
