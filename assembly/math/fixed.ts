/**
 * Exact fixed-point products and quotients: floor(a*b/d) and ceil(a*b/d).
 *
 * Fast path. For |a*b/d| <= 2^48 the caller supplies an f64 estimate `est` with relative error at
 * most 2^-50 (at most five correctly rounded f64 operations). Then q = round(est) satisfies
 * |q - a*b/d| < 0.63, so floor(a*b/d) is q or q - 1, and the exact remainder r = a*b - q*d lies in
 * (-d, d). Because |r| < 2^63, r is computed exactly in wrapping i64 arithmetic even though a*b
 * itself does not fit: only the product modulo 2^64 is needed, so `b` may itself be a wrapped
 * product (mark * fraction). The sign of r then fixes the rounding:
 *   floor = q - (r < 0),   ceil = q + (r > 0).
 * No step rounds twice; the result equals the exact rational rounded once.
 *
 * Slow path. `mulDivExact` uses 128-bit products (wide.ts) for any operands, and reports results
 * whose magnitude reaches AMOUNT_LIMIT as OVERFLOWED.
 */
import { absU, addWide, divModU128, mulWideU, ptr, wideWithin } from './wide';

/** Largest magnitude of any amount, size or price the engine accepts: 2^62. */
export const AMOUNT_LIMIT: i64 = 0x4000000000000000;
/** Largest magnitude of a funding index or snapshot: 2^61, so that differences fit in i64. */
export const INDEX_LIMIT: i64 = 0x2000000000000000;
/** Sentinel for a result outside (-AMOUNT_LIMIT, AMOUNT_LIMIT]. */
export const OVERFLOWED: i64 = i64.MIN_VALUE;
/** The fast path is valid while |estimate| <= 2^48. */
export const FAST_LIMIT: f64 = 281474976710656.0;

/** 1.5 * 2^52: adding it leaves round-to-nearest(x) in the low mantissa bits, for |x| < 2^51. */
const MAGIC: f64 = 6755399441055744.0;
const MAGIC_BITS: i64 = 0x4338000000000000;

/** round-to-nearest of x for |x| < 2^51, without the slow f64->i64 truncation. */
// @ts-ignore: decorator
@inline export function roundNearest(x: f64): i64 {
  return reinterpret<i64>(x + MAGIC) - MAGIC_BITS;
}

/** floor(a*b/d) from an estimate (see the header for the contract on `est`; `b` may be wrapped). */
// @ts-ignore: decorator
@inline export function mulDivFloorFast(a: i64, b: i64, d: i64, est: f64): i64 {
  const q = roundNearest(est);
  const r = a * b - q * d;
  return q + (r >> 63);
}

/** ceil(a*b/d) from an estimate (see the header for the contract on `est`; `b` may be wrapped). */
// @ts-ignore: decorator
@inline export function mulDivCeilFast(a: i64, b: i64, d: i64, est: f64): i64 {
  const q = roundNearest(est);
  const r = a * b - q * d;
  return q + <i64>(r > 0);
}

/**
 * Exact a*b/d, rounded down (roundUp = false) or up, for any i64 a, b and 0 < d < 2^63.
 * Returns OVERFLOWED when |a*b/d| truncated reaches `truncLimit` (by default AMOUNT_LIMIT, the
 * notional bound; u64.MAX_VALUE for "any result that fits i64"), or when the rounded result does
 * not fit i64 (i64.MIN_VALUE itself included). `out` is 16 bytes of scratch.
 */
export function mulDivExact(a: i64, b: i64, d: i64, roundUp: bool, out: ptr, truncLimit: u64 = <u64>AMOUNT_LIMIT): i64 {
  const negative = (a ^ b) < 0 && a != 0 && b != 0;
  const lo = mulWideU(absU(a), absU(b), out);
  const hi = load<u64>(out);
  const qLo = divModU128(hi, lo, <u64>d, out);
  const qHi = load<u64>(out);
  const inexact = <u64>(load<u64>(out, 8) != 0);
  // Magnitude after rounding: rounding away from zero adds the inexact bit.
  const magnitude = qLo + ((negative ? !roundUp : roundUp) ? inexact : 0);
  if (qHi != 0 || qLo >= truncLimit || magnitude < qLo || magnitude > <u64>i64.MAX_VALUE) return OVERFLOWED;
  return negative ? -<i64>magnitude : <i64>magnitude;
}

/**
 * Exact ceil(sizeAbs * mark * fPpm / (d * 10^6)) for a margin requirement, for any size and mark
 * whose notional sizeAbs*mark/d is below AMOUNT_LIMIT (else OVERFLOWED). Requires fPpm <= 10^6,
 * d <= 10^12.
 *
 * Step 1: notional = q + r/d exactly (128-bit product, 128/64 division).
 * Step 2: requirement = ceil((q*f + r*f/d) / 10^6); with t = q*f + floor(r*f/d) (128-bit) and
 *         e = (r*f mod d) != 0, that is floor(t/10^6) + 1 if (t mod 10^6 != 0 or e) else t/10^6.
 */
export function requirementCeilExact(sizeAbs: u64, mark: u64, fPpm: u64, d: u64, out: ptr): i64 {
  const lo = mulWideU(sizeAbs, mark, out);
  const hi = load<u64>(out);
  const qLo = divModU128(hi, lo, d, out);
  const qHi = load<u64>(out);
  const r = load<u64>(out, 8);
  if (qHi != 0 || qLo >= <u64>AMOUNT_LIMIT) return OVERFLOWED;
  const rf = r * fPpm; // r < d <= 10^12, f <= 10^6: below 2^60
  const add = rf / d;
  const fracInexact = rf % d != 0;
  let tLo = mulWideU(qLo, fPpm, out);
  let tHi = load<u64>(out);
  const sum = tLo + add;
  if (sum < tLo) tHi++;
  tLo = sum;
  const kLo = divModU128(tHi, tLo, 1_000_000, out);
  const inexact = fracInexact || load<u64>(out, 8) != 0;
  return <i64>kLo + <i64>inexact;
}

/** Exact ceil(a / b) for a >= 0, b > 0. */
// @ts-ignore: decorator
@inline export function ceilDivU(a: u64, b: u64): u64 {
  return a / b + <u64>(a % b != 0);
}

/** Sticky overflow accumulation: returns a + b; the caller ORs `addOverflowBits` into a flag. */
// @ts-ignore: decorator
@inline export function addOverflowBits(a: i64, b: i64, sum: i64): i64 {
  return (a ^ sum) & (b ^ sum);
}

/**
 * Exact a*b/d, rounded down or up, for any i64 operands and 0 < d < 2^62: the fast path when the
 * quotient is small, else the 128-bit path. Returns OVERFLOWED when |result| truncated reaches
 * `truncLimit`: by default AMOUNT_LIMIT (a notional, a value term: below 2^62); an amount whose
 * exact value may be 2^62 itself (a share of at most 2^62, a cap) passes `SHARE_LIMIT`.
 */
export function mulDivRounded(a: i64, b: i64, d: i64, roundUp: bool, out: ptr, truncLimit: u64 = <u64>AMOUNT_LIMIT): i64 {
  // Four correctly rounded operations: relative error below 2^-50 (see the header).
  const est = <f64>a * <f64>b / <f64>d;
  if (Math.abs(est) <= FAST_LIMIT) {
    return roundUp ? mulDivCeilFast(a, b, d, est) : mulDivFloorFast(a, b, d, est);
  }
  return mulDivExact(a, b, d, roundUp, out, truncLimit);
}

/** `truncLimit` for results that may be any i64 (2^62 included): only a result outside i64 is OVERFLOWED. */
export const SHARE_LIMIT: u64 = u64.MAX_VALUE;

/**
 * A sum of i64 terms as an amount: the terms are added into 16 bytes of scratch at `acc` as a
 * 128-bit value (no intermediate can wrap), then `amountOf` reads it back, OVERFLOWED when outside
 * [-AMOUNT_LIMIT, AMOUNT_LIMIT].
 */
// @ts-ignore: decorator
@inline export function sumStart(acc: ptr, v: i64): void { store<i64>(acc, v); store<i64>(acc, v >> 63, 8); }
// @ts-ignore: decorator
@inline export function sumAdd(acc: ptr, v: i64): void { addWide(acc, v); }
// @ts-ignore: decorator
@inline export function amountOf(acc: ptr): i64 { return wideWithin(acc, AMOUNT_LIMIT); }

/**
 * a + b when it stays within [-AMOUNT_LIMIT, AMOUNT_LIMIT] (a balance in the supported range),
 * else OVERFLOWED. Exact for any i64 operands: the sum's overflow out of i64 is detected too.
 */
// @ts-ignore: decorator
@inline export function addAmount(a: i64, b: i64): i64 {
  const sum = a + b;
  return addOverflowBits(a, b, sum) < 0 || sum > AMOUNT_LIMIT || sum < -AMOUNT_LIMIT ? OVERFLOWED : sum;
}
