/**
 * Exact 128-bit integer helpers built from 64-bit wasm operations.
 *
 * Wasm has no usable 64x64->128 multiply (AssemblyScript 0.28 exposes none and Node 20 rejects
 * `i64.mul_wide_s`), so products are assembled from 32-bit halves. These functions are the slow,
 * always-exact path; the hot path in `fixed.ts` uses them only when its fast estimate is out of range.
 *
 * Functions return the low word and write the high word (or a remainder) through an output pointer.
 */

/** Output scratch for two-word results. Each call that takes `out` writes 16 bytes there. */
export type ptr = usize;

/** Unsigned a*b as 128 bits: returns the low word, writes the high word to `out`. */
export function mulWideU(a: u64, b: u64, out: ptr): u64 {
  const aLo = a & 0xFFFFFFFF, aHi = a >> 32;
  const bLo = b & 0xFFFFFFFF, bHi = b >> 32;
  const ll = aLo * bLo, lh = aLo * bHi, hl = aHi * bLo, hh = aHi * bHi;
  const mid = (ll >> 32) + (lh & 0xFFFFFFFF) + (hl & 0xFFFFFFFF);
  store<u64>(out, hh + (lh >> 32) + (hl >> 32) + (mid >> 32));
  return (mid << 32) | (ll & 0xFFFFFFFF);
}

/** Where divModU128 writes the remainder in `out` (the quotient's high word is at +0). */
export const REMAINDER: u32 = 8;

/**
 * Unsigned (hi:lo) / d for 0 < d < 2^63. Returns the low word of the quotient; writes the high word
 * of the quotient to out[0] and the remainder to out[REMAINDER].
 */
export function divModU128(hi: u64, lo: u64, d: u64, out: ptr): u64 {
  if (hi == 0) {
    // The common case: a 64-bit dividend, one hardware division.
    store<u64>(out, 0);
    store<u64>(out, lo % d, REMAINDER);
    return lo / d;
  }
  // High word first; then (r:lo) / d with r < d has a 64-bit quotient.
  const qHi = hi / d;
  const q = divLong(hi % d, lo, d, out);
  store<u64>(out, qHi);
  return q;
}

/**
 * (u1:u0) / v for u1 < v (so the quotient fits 64 bits): the two-digit long division of Hacker's
 * Delight (divlu), in 32-bit digits with the divisor normalized so that each digit's estimate from
 * the top divisor digit is at most two too large. Writes the remainder to out[8].
 */
function divLong(u1: u64, u0: u64, v: u64, out: ptr): u64 {
  const b: u64 = 0x100000000;
  const s = clz(v);
  const vn = v << s;
  const vn1 = vn >> 32, vn0 = vn & 0xFFFFFFFF;
  // Shifting by 64 is a no-op in wasm: guard s == 0.
  const un32 = (u1 << s) | (s == 0 ? 0 : u0 >> (64 - s));
  const un10 = u0 << s;
  const un1 = un10 >> 32, un0 = un10 & 0xFFFFFFFF;
  let q1 = un32 / vn1;
  let rhat = un32 - q1 * vn1;
  while (q1 >= b || q1 * vn0 > b * rhat + un1) {
    q1--;
    rhat += vn1;
    if (rhat >= b) break;
  }
  const un21 = un32 * b + un1 - q1 * vn; // wrapping: the true value is below vn
  let q0 = un21 / vn1;
  rhat = un21 - q0 * vn1;
  while (q0 >= b || q0 * vn0 > b * rhat + un0) {
    q0--;
    rhat += vn1;
    if (rhat >= b) break;
  }
  store<u64>(out, (un21 * b + un0 - q0 * vn) >> s, REMAINDER);
  return q1 * b + q0;
}

/** Unsigned comparison of (aHi:aLo) with (bHi:bLo): -1, 0 or 1. */
// @ts-ignore: decorator
@inline export function cmpU128(aHi: u64, aLo: u64, bHi: u64, bLo: u64): i32 {
  if (aHi != bHi) return aHi < bHi ? -1 : 1;
  if (aLo != bLo) return aLo < bLo ? -1 : 1;
  return 0;
}

/** |x| as unsigned; correct for i64.MIN_VALUE too. */
// @ts-ignore: decorator
@inline export function absU(x: i64): u64 {
  const m = x >> 63;
  return <u64>((x ^ m) - m);
}

/** Smallest n with n*n >= x (exact). */
export function ceilSqrtU(x: u64): u64 {
  if (x == 0) return 0;
  let n = <u64>Math.sqrt(<f64>x);
  // The f64 estimate is within a few units of the true root; walk to the exact answer.
  while (n > 0 && (n - 1) * (n - 1) >= x) n--;
  while (n * n < x) n++;
  return n;
}

/**
 * Adds v to the signed 128-bit value at p (low word u64 at p, high word i64 at p + 8): sums of many
 * i64 amounts (report totals, a balance's terms before its range check) that must not wrap.
 */
// @ts-ignore: decorator
@inline export function addWide(p: ptr, v: i64): void {
  const lo = load<u64>(p), sum = lo + <u64>v;
  store<u64>(p, sum);
  store<i64>(p, load<i64>(p, 8) + (v >> 63) + <i64>(sum < lo), 8);
}

/** The signed 128-bit value at p when it lies within [-limit, limit] (limit >= 0), else i64.MIN_VALUE. */
// @ts-ignore: decorator
@inline export function wideWithin(p: ptr, limit: i64): i64 {
  const lo = <i64>load<u64>(p), hi = load<i64>(p, 8);
  return hi == (lo >> 63) && lo >= -limit && lo <= limit ? lo : i64.MIN_VALUE;
}
