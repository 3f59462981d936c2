/**
 * Risk order of the liquidatable and bankrupt rows: lowest equity/MM first, compared exactly by
 * cross multiplication (a before b iff a.equity * b.MM < b.equity * a.MM, in 128 bits), ties by id.
 *
 * Step 1: collect the rows and an f64 key equity/MM (-inf when MM = 0), in id order.
 * Step 2: stable LSD radix sort on the key's order-preserving bit pattern (8- or 16-bit digits).
 * Step 3: an insertion pass with the exact comparator, consulted only for keys too close for f64
 *         to order with certainty. The f64 order can differ from the exact order only between keys
 *         within a few ulps, so this pass moves few elements.
 */
import { col, Column } from '../../abi/layout';
import { Health } from '../../abi/status';
import { absU, cmpU128, mulWideU } from '../../math/wide';
import { accountCount, isolatedTop, SCRATCH } from '../state';

/** Sign-aware comparison of x1*y1 with x2*y2 for y1, y2 >= 0, exact: -1, 0, 1. */
export function compareProducts(x1: i64, y1: i64, x2: i64, y2: i64): i32 {
  const s1 = y1 == 0 || x1 == 0 ? 0 : (x1 < 0 ? -1 : 1);
  const s2 = y2 == 0 || x2 == 0 ? 0 : (x2 < 0 ? -1 : 1);
  if (s1 != s2) return s1 < s2 ? -1 : 1;
  if (s1 == 0) return 0;
  const lo1 = mulWideU(absU(x1), <u64>y1, SCRATCH); const hi1 = load<u64>(SCRATCH);
  const lo2 = mulWideU(absU(x2), <u64>y2, SCRATCH); const hi2 = load<u64>(SCRATCH);
  const c = cmpU128(hi1, lo1, hi2, lo2);
  return s1 > 0 ? c : -c;
}

/** True if row a is strictly riskier than row b (or equally risky with a smaller id). */
// @ts-ignore: decorator
@inline function before(eq: usize, mm: usize, a: u32, b: u32): bool {
  const c = compareProducts(load<i64>(eq + (<usize>a << 3)), load<i64>(mm + (<usize>b << 3)), load<i64>(eq + (<usize>b << 3)), load<i64>(mm + (<usize>a << 3)));
  return c < 0 || (c == 0 && a < b);
}

/**
 * Stable LSD radix sort of k (id u32, key u64) pairs by key, `bits` (8 or 16) per digit. An even
 * number of passes: the sorted pairs end in (ids, keys); (ids2, keys2) are scratch.
 */
export function sortPairs(k: u32, ids: usize, keys: usize, ids2: usize, keys2: usize, bits: u64): void {
  const buckets = <i32>(1 << <i32>bits), mask = <u64>buckets - 1;
  const counts = col(Column.SortCounts);
  for (let shift: u64 = 0; shift < 64; shift += bits) {
    memory.fill(counts, 0, <usize>buckets << 2);
    for (let i: u32 = 0; i < k; i++) {
      const p = counts + (<usize>((load<u64>(keys + (<usize>i << 3)) >> shift) & mask) << 2);
      store<u32>(p, load<u32>(p) + 1);
    }
    let sum: u32 = 0;
    for (let d = 0; d < buckets; d++) {
      const p = counts + (<usize>d << 2);
      const c = load<u32>(p);
      store<u32>(p, sum);
      sum += c;
    }
    for (let i: u32 = 0; i < k; i++) {
      const key = load<u64>(keys + (<usize>i << 3));
      const p = counts + (<usize>((key >> shift) & mask) << 2);
      const dst = load<u32>(p);
      store<u32>(p, dst + 1);
      store<u64>(keys2 + (<usize>dst << 3), key);
      store<u32>(ids2 + (<usize>dst << 2), load<u32>(ids + (<usize>i << 2)));
    }
    const ti = ids; ids = ids2; ids2 = ti;
    const tk = keys; keys = keys2; keys2 = tk;
  }
}

/** Inverse of sortableBits. */
// @ts-ignore: decorator
@inline function keyOf(bits: u64): f64 {
  return reinterpret<f64>((bits >> 63) != 0 ? bits & 0x7FFFFFFFFFFFFFFF : ~bits);
}

// @ts-ignore: decorator
@inline function sortableBits(x: f64): u64 {
  const b = reinterpret<u64>(x);
  return (b >> 63) != 0 ? ~b : b | 0x8000000000000000;
}

/**
 * Writes the risk-ordered ids of rows whose health is Liquidatable or Bankrupt to the Queue
 * (isolated = false) or IsoQueue column; returns how many.
 */
export function buildQueue(isolated: bool): u32 {
  const n = isolated ? isolatedTop : accountCount;
  const health = col(isolated ? Column.IsoHealth : Column.AccHealth);
  const eq = col(isolated ? Column.IsoEquity : Column.AccEquity);
  const mm = col(isolated ? Column.IsoMm : Column.AccMm);
  const out = col(isolated ? Column.IsoQueue : Column.Queue);
  const ids = col(Column.SortIdsA), keys = col(Column.SortKeysA);
  const ids2 = col(Column.SortIdsB), keys2 = col(Column.SortKeysB);
  // Step 1.
  let k: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const h = load<u8>(health + <usize>i);
    if (h != Health.Liquidatable && h != Health.Bankrupt) continue;
    const e = load<i64>(eq + (<usize>i << 3)), m = load<i64>(mm + (<usize>i << 3));
    const key = m == 0 ? -Infinity : <f64>e / <f64>m;
    store<u32>(ids + (<usize>k << 2), i);
    store<u64>(keys + (<usize>k << 3), sortableBits(key));
    k++;
  }
  // Step 2: 16-bit digits for long queues; 8-bit ones when the queue is short next to 65,536 buckets.
  if (k > 64) sortPairs(k, ids, keys, ids2, keys2, k > 1 << 18 ? 16 : 8);
  // Step 3. Two keys more than 2^-40 apart (relative) are in the right order for certain: each key
  // is within a few ulps (2^-52) of its exact ratio. Only closer pairs are compared exactly.
  for (let i: u32 = 0; i < k; i++) {
    const id = load<u32>(ids + (<usize>i << 2));
    const key = keyOf(load<u64>(keys + (<usize>i << 3)));
    let j = i;
    while (j > 0) {
      const prev = load<u32>(out + (<usize>(j - 1) << 2));
      const prevKey = load<f64>(keys2 + (<usize>(j - 1) << 3));
      if (prevKey < key - Math.abs(key) * 9.094947017729282e-13) break; // 2^-40
      if (!before(eq, mm, id, prev)) break;
      store<u32>(out + (<usize>j << 2), prev);
      store<f64>(keys2 + (<usize>j << 3), prevKey);
      j--;
    }
    store<u32>(out + (<usize>j << 2), id);
    store<f64>(keys2 + (<usize>j << 3), key);
  }
  return k;
}
