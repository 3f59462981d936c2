/**
 * Liquidation and bankruptcy prices of one position, from its group's figures (docs/FORMULAS.md,
 * "Prices, per position"). Pure kernels over scalars; the tier table is read through a pointer.
 *
 * Liquidation price: the root of g(N) = B_j + N (10^6 -+ mmf_j) / 10^6 in the notional N = |s| p / D,
 * piece by piece (tiers), converted to a price p = N D / |s| and rounded up for a long, down for a
 * short. Bankruptcy price: where a full close leaves the position's share of equity at zero.
 *
 * Both are ratios of products, a*b / (c*e), computed like the margin terms (math/fixed.ts): an f64
 * estimate with an exact wrapping remainder when the ratio is below 2^48 and the divisor below 2^61,
 * else 128-bit nested division (ceil(ceil(x/c)/e) = ceil(x/(c e)) for positive integers, and the same
 * for floor).
 *
 * Range. For a group the check accepts (E, M, every MM_i in i64; |v| < 2^62), T = v - E_i lies
 * within 2^63 + 2^62 and A0 = (E - v) - (M - MM_i) within 2^64 + 2^62 of zero: both can leave i64.
 * The callers take the i64 path when the subtraction does not wrap; `bankruptcyPrice` then carries T
 * as a sign and a u64 magnitude, and `liquidationPriceWide` takes A0 as a sign and a 65-bit magnitude.
 */
import { AMOUNT_LIMIT, OVERFLOWED, roundNearest } from './fixed';
import { cmpU128, divModU128, mulWideU, ptr } from './wide';
import { TierRecord } from '../abi/records';

/** The condition holds at no price in 1..2^62. */
export const PRICE_NEVER: i64 = 0;
/** The condition holds at every price in 1..2^62. */
export const PRICE_ALWAYS: i64 = -1;
/** No price: the group's figures leave i64 (the check refuses it with Overflow), so the formulas define none. */
export const PRICE_UNDEFINED: i64 = -2;
/** u64 below 2^63 to f64 through the (one-instruction) signed conversion; 2^63 itself reads as 2^63. */
// @ts-ignore: decorator
@inline function toF64(x: u64): f64 { return Math.abs(<f64><i64>x); }

/** A ratio beyond the price range (returned by ratioWithEstimate as "more than 2^62"). */
const BEYOND: u64 = <u64>AMOUNT_LIMIT + 1;
const PPM: u64 = 1_000_000;

/**
 * ceil or floor of (a*b) / (c*e) for a, b >= 0 and c, e > 0 (b, c, e below 2^63, a any u64; a*b below
 * 2^127), saturated to 2^62 + 1 when the result is above 2^62, given the caller's estimate of the
 * ratio, which must be within 2^-50 relative (at most seven correctly rounded f64 steps, conversions
 * included).
 */
// @ts-ignore: decorator
@inline export function ratioWithEstimate(a: u64, b: u64, c: u64, e: u64, est: f64, roundUp: bool, out: ptr): u64 {
  const divisorF = toF64(c) * toF64(e);
  if (est <= 281474976710656.0 && divisorF < 2305843009213693952.0) { // 2^48, 2^61
    // |a b - q c e| < 0.63 c e < 2^63: exact in wrapping arithmetic (fixed.ts header).
    const q = roundNearest(est);
    const r = <i64>(a * b) - q * <i64>(c * e);
    return <u64>(roundUp ? q + <i64>(r > 0) : q + (r >> 63));
  }
  return ratioWide(a, b, c, e, est, roundUp, out);
}

/** ratioWithEstimate beyond its fast range: 128-bit products. */
function ratioWide(a: u64, b: u64, c: u64, e: u64, est: f64, roundUp: bool, out: ptr): u64 {
  const lo = mulWideU(a, b, out);
  const hi = load<u64>(out);
  if (est <= 281474976710656.0) {
    // A small ratio over a large divisor: q = round(est) is within 0.63 of a b / (c e); one exact
    // 128-bit comparison of a b with q c e settles the rounding.
    const q = <u64>roundNearest(est);
    const l1 = mulWideU(q, c, out), h1 = load<u64>(out);
    const l2 = mulWideU(l1, e, out);
    const h2 = h1 * e + load<u64>(out); // q c e < 1.63 a b < 2^127: no carry out of the high word
    const cmp = cmpU128(hi, lo, h2, l2);
    return roundUp ? q + <u64>(cmp > 0) : q - <u64>(cmp < 0);
  }
  return divNested(hi, lo, c, e, roundUp, out);
}

/** ceil or floor of (hi:lo) / (c e) by nested division (exact for positive integers), BEYOND above 2^62. */
function divNested(hi: u64, lo: u64, c: u64, e: u64, roundUp: bool, out: ptr): u64 {
  let q = divModU128(hi, lo, c, out);
  let qHi = load<u64>(out);
  if (roundUp && load<u64>(out, 8) != 0) { q++; if (q == 0) qHi++; }
  q = divModU128(qHi, q, e, out);
  qHi = load<u64>(out);
  if (roundUp && load<u64>(out, 8) != 0) { q++; if (q == 0) qHi++; }
  return qHi != 0 || q > <u64>AMOUNT_LIMIT ? BEYOND : q;
}

/** (mHi:mLo) * k for mHi <= 1 and k < 2^63: returns the low word, writes the high word to out. */
// @ts-ignore: decorator
@inline function mulWide65(mHi: u64, mLo: u64, k: u64, out: ptr): u64 {
  const lo = mulWideU(mLo, k, out);
  store<u64>(out, load<u64>(out) + mHi * k);
  return lo;
}

/**
 * Sign of x1*y1 - x2*y2 for unsigned operands: decided in f64 unless the two are within 2^-40 of
 * each other (each f64 product is within 2^-52 of the exact one), then exactly in 128 bits.
 */
// @ts-ignore: decorator
@inline function compareProducts(x1: u64, y1: u64, x2: u64, y2: u64, out: ptr): i32 {
  const p1 = toF64(x1) * toF64(y1), p2 = toF64(x2) * toF64(y2);
  if (p1 > p2 * 1.0000000000009095) return 1;
  if (p2 > p1 * 1.0000000000009095) return -1;
  const l1 = mulWideU(x1, y1, out), h1 = load<u64>(out);
  const l2 = mulWideU(x2, y2, out), h2 = load<u64>(out);
  return cmpU128(h1, l1, h2, l2);
}

/**
 * Liquidation price of a position of |size| `sizeAbs` (long or short), given
 * A0 = (E - v_i) - (M - MM_i) and its curve: one piece `mmf` (tierCount = 0), or the `tierCount`
 * tier records at `tiers` (floor, mmf, deduction). `d6` = D * 10^6, `invSize` = 1 / |size| in f64
 * (one division per position serves both prices). OVERFLOWED if a B_j leaves i64.
 */
// @ts-ignore: decorator
@inline export function liquidationPrice(a0: i64, sizeAbs: u64, long: bool, d6: u64, mmf: u64, tiers: usize, tierCount: u32, invSize: f64, out: ptr): i64 {
  if (tierCount != 0) {
    // Most roots lie in the first tier (no deduction): then it is the one-piece case with its mmf.
    mmf = <u64>load<u32>(tiers, TierRecord.mmf);
    if (tierCount > 1 && !rootInFirstTier(a0, long, mmf, load<i64>(tiers + TierRecord.BYTES, TierRecord.floor), out)) {
      return liquidationPriceTiers(a0, sizeAbs, long, d6, tiers, tierCount, invSize, out);
    }
  }
  // One piece (flat, size premium, open interest; or the first tier): the root in closed form.
  if (long) {
    if (a0 >= 0) return PRICE_NEVER;
    if (mmf >= PPM) return PRICE_ALWAYS; // g is flat below 0
    const k = PPM - mmf, magnitude = <u64>(-a0);
    const p = ratioWithEstimate(magnitude, d6, sizeAbs, k, toF64(magnitude) * toF64(d6) * invSize / <f64><i64>k, true, out);
    return p > <u64>AMOUNT_LIMIT ? PRICE_ALWAYS : <i64>p;
  }
  if (a0 <= 0) return PRICE_ALWAYS;
  const k = PPM + mmf;
  const p = ratioWithEstimate(<u64>a0, d6, sizeAbs, k, <f64>a0 * toF64(d6) * invSize / <f64><i64>k, false, out);
  return p == 0 ? PRICE_ALWAYS : (p > <u64>AMOUNT_LIMIT ? PRICE_NEVER : <i64>p);
}

/**
 * True if g has its root (or no root at all, for the sentinels) in the first piece [0, L_1): for a
 * long g(L_1) = A0 + L_1 (10^6 - mmf_0) / 10^6 >= 0, for a short g(L_1) <= 0 (ded_0 = 0).
 */
// @ts-ignore: decorator
@inline function rootInFirstTier(a0: i64, long: bool, mmf0: u64, floor1: i64, out: ptr): bool {
  if (long) return a0 >= 0 || (mmf0 < PPM && compareProducts(<u64>floor1, PPM - mmf0, <u64>(-a0), PPM, out) >= 0);
  return a0 <= 0 || compareProducts(<u64>a0, PPM, <u64>floor1, PPM + mmf0, out) <= 0;
}

/** liquidationPrice on a tiers curve: the pieces in ascending order until the one holding the root. */
function liquidationPriceTiers(a0: i64, sizeAbs: u64, long: bool, d6: u64, tiers: usize, tierCount: u32, invSize: f64, out: ptr): i64 {
  if (long ? a0 >= 0 : a0 <= 0) return long ? PRICE_NEVER : PRICE_ALWAYS;
  for (let j: u32 = 0; j < tierCount; j++) {
    const t = tiers + <usize>j * TierRecord.BYTES;
    const f = <u64>load<u32>(t, TierRecord.mmf);
    const nextFloor = j + 1 < tierCount ? load<i64>(t + TierRecord.BYTES, TierRecord.floor) : -1;
    const b = a0 + load<i64>(t, TierRecord.deduction); // deductions are >= 0
    if (b < a0) return OVERFLOWED;
    if (long) {
      if (f >= PPM) continue; // g is flat (below 0) in this piece
      const k = PPM - f;
      // g(L_j) < 0 (j = 0: A0 < 0; later: the previous piece ended below 0), so b < 0 here.
      const magnitude = <u64>(-b);
      // The root lies in this piece iff g(L_{j+1}) >= 0: L_{j+1} k >= |b| 10^6.
      if (nextFloor >= 0 && compareProducts(<u64>nextFloor, k, magnitude, PPM, out) < 0) continue;
      const p = ratioWithEstimate(magnitude, d6, sizeAbs, k, toF64(magnitude) * toF64(d6) * invSize / toF64(k), true, out);
      return p > <u64>AMOUNT_LIMIT ? PRICE_ALWAYS : <i64>p;
    }
    const k = PPM + f;
    // Short: the root lies in this piece iff g(L_{j+1}) <= 0: b 10^6 <= L_{j+1} k.
    if (nextFloor >= 0 && compareProducts(<u64>b, PPM, <u64>nextFloor, k, out) > 0) continue;
    const p = ratioWithEstimate(<u64>b, d6, sizeAbs, k, <f64>b * toF64(d6) * invSize / toF64(k), false, out);
    return p == 0 ? PRICE_ALWAYS : (p > <u64>AMOUNT_LIMIT ? PRICE_NEVER : <i64>p);
  }
  return long ? PRICE_ALWAYS : PRICE_NEVER;
}

/**
 * Bankruptcy price of a position of signed size `sizeBase` with value term `v` = floor(s m / D) and
 * equity share `share` = E_i: T = v - E_i; a long's BP = ceil(T D / s), a short's floor(T D / s).
 * T may leave i64 (|v| < 2^62, |E_i| < 2^63): it is then carried as its sign (that of v) and the
 * magnitude |v| + |E_i| < 2^64.
 */
// @ts-ignore: decorator
@inline export function bankruptcyPrice(v: i64, share: i64, sizeBase: i64, d: i64, invSize: f64, out: ptr): i64 {
  const t = v - share;
  if (((v ^ share) & (v ^ t)) < 0) return bankruptcyPriceWide(v, t, sizeBase, d, invSize, out);
  if (sizeBase > 0) {
    if (t <= 0) return PRICE_NEVER;
    const p = ratioWithEstimate(<u64>t, <u64>d, <u64>sizeBase, 1, <f64>t * <f64>d * invSize, true, out);
    return p > <u64>AMOUNT_LIMIT ? PRICE_ALWAYS : <i64>p;
  }
  if (t >= 0) return PRICE_ALWAYS;
  const p = ratioWithEstimate(<u64>(-t), <u64>d, <u64>(-sizeBase), 1, -(<f64>t) * <f64>d * invSize, false, out);
  return p == 0 ? PRICE_ALWAYS : (p > <u64>AMOUNT_LIMIT ? PRICE_NEVER : <i64>p);
}

/**
 * `bankruptcyPrice` when T = v - E_i wrapped (`t` is the wrapping difference): T has the sign of v
 * and the magnitude |v| + |E_i| < 2^64, which the wrapping difference read as u64 (or negated) is.
 * Out of line: the common path above stays small.
 */
function bankruptcyPriceWide(v: i64, t: i64, sizeBase: i64, d: i64, invSize: f64, out: ptr): i64 {
  const positive = v > 0;
  const magnitude: u64 = positive ? <u64>t : <u64>0 - <u64>t;
  const magnitudeF = <f64>magnitude;
  if (sizeBase > 0) {
    if (!positive) return PRICE_NEVER;
    const p = ratioWithEstimate(magnitude, <u64>d, <u64>sizeBase, 1, magnitudeF * <f64>d * invSize, true, out);
    return p > <u64>AMOUNT_LIMIT ? PRICE_ALWAYS : <i64>p;
  }
  if (positive) return PRICE_ALWAYS;
  const p = ratioWithEstimate(magnitude, <u64>d, <u64>(-sizeBase), 1, magnitudeF * <f64>d * invSize, false, out);
  return p == 0 ? PRICE_ALWAYS : (p > <u64>AMOUNT_LIMIT ? PRICE_NEVER : <i64>p);
}

/**
 * Liquidation price (as `liquidationPrice`) for an A0 outside i64: its sign (`negative`) and its
 * magnitude (mHi:mLo), below 2^64 + 2^62. Every piece in order (one piece of fraction `mmf` when
 * tierCount = 0), with B_j = A0 + ded_j in 128 bits: a long's |B_j| = |A0| - ded_j (A0 <= -2^63 and
 * ded_j < 2^62 keep B_j < 0), a short's B_j = A0 + ded_j. The root tests and the price are the
 * formulas' exact 128-bit products and quotients.
 */
export function liquidationPriceWide(negative: bool, mHi: u64, mLo: u64, sizeAbs: u64, long: bool, d6: u64, mmf: u64, tiers: usize, tierCount: u32, out: ptr): i64 {
  if (long ? !negative : negative) return long ? PRICE_NEVER : PRICE_ALWAYS;
  const pieces: u32 = tierCount == 0 ? 1 : tierCount;
  for (let j: u32 = 0; j < pieces; j++) {
    const t = tiers + <usize>j * TierRecord.BYTES;
    const f = tierCount == 0 ? mmf : <u64>load<u32>(t, TierRecord.mmf);
    const ded = tierCount == 0 ? <u64>0 : <u64>load<i64>(t, TierRecord.deduction);
    const nextFloor: i64 = j + 1 < tierCount ? load<i64>(t + TierRecord.BYTES, TierRecord.floor) : -1;
    // |B_j| as (bHi:bLo).
    let bLo: u64, bHi: u64;
    if (long) { bLo = mLo - ded; bHi = mHi - <u64>(mLo < ded); } else { bLo = mLo + ded; bHi = mHi + <u64>(bLo < mLo); }
    const k = long ? PPM - f : PPM + f;
    if (long && f >= PPM) continue; // g is flat (below 0) in this piece
    if (nextFloor >= 0) {
      // The root lies in this piece iff (long) L_{j+1} k >= |B_j| 10^6, (short) |B_j| 10^6 <= L_{j+1} k.
      const lLo = mulWideU(<u64>nextFloor, k, out), lHi = load<u64>(out);
      const rLo = mulWide65(bHi, bLo, PPM, out), rHi = load<u64>(out);
      if (cmpU128(lHi, lLo, rHi, rLo) < 0) continue;
    }
    const xLo = mulWide65(bHi, bLo, d6, out), xHi = load<u64>(out);
    const p = divNested(xHi, xLo, sizeAbs, k, long, out);
    if (long) return p > <u64>AMOUNT_LIMIT ? PRICE_ALWAYS : <i64>p;
    return p == 0 ? PRICE_ALWAYS : (p > <u64>AMOUNT_LIMIT ? PRICE_NEVER : <i64>p);
  }
  return long ? PRICE_ALWAYS : PRICE_NEVER;
}
