/**
 * Margin curves as pure functions of scalars: tier thresholds as size limits, the Drift size
 * premium, and the dYdX open-interest scaling of the initial fraction. See docs/FORMULAS.md.
 * All of them round against the trader (a larger fraction, a smaller size threshold).
 */
import { ceilDivU } from './fixed';
import { ceilSqrtU, cmpU128, divModU128, mulWideU, ptr } from './wide';

export const PPM: u64 = 1_000_000;
/** Size limit meaning "never reached": greater than any accepted |size| (2^62). */
export const SIZE_NEVER: i64 = i64.MAX_VALUE;

/**
 * Smallest |size| (base atoms) whose notional |size|*mark/d reaches `notionalQuote`:
 * ceil(notionalQuote * d / mark). Tier membership is then an exact i64 comparison per position.
 */
export function tierSizeLimit(notionalQuote: u64, d: u64, mark: u64, out: ptr): i64 {
  const lo = mulWideU(notionalQuote, d, out);
  const hi = load<u64>(out);
  const qLo = divModU128(hi, lo, mark, out);
  const qHi = load<u64>(out);
  const limit = qLo + <u64>(load<u64>(out, 8) != 0);
  // Sizes reach 2^62 at most: a limit above that is never reached.
  if (qHi != 0 || limit < qLo || limit > <u64>0x4000000000000000) return SIZE_NEVER;
  return <i64>limit;
}

/**
 * Drift's size premium in ppm: ceil(k * sqrt(sizeAbs / d)) = ceilSqrt(ceil(k^2 * sizeAbs / d)).
 * Saturates at 2_000_001 (any premium above 10^6 caps the fraction at 100 % anyway).
 */
export function sizePremiumPpm(sizeAbs: u64, kPpm: u64, d: u64, out: ptr): u64 {
  if (kPpm == 0 || sizeAbs == 0) return 0;
  const lo = mulWideU(kPpm * kPpm, sizeAbs, out);
  const hi = load<u64>(out);
  let y: u64;
  if (hi == 0) {
    y = ceilDivU(lo, d);
  } else {
    // y > 4e12 means the premium exceeds 2e6: saturate without dividing.
    const capLo = mulWideU(4_000_000_000_000, d, out);
    const capHi = load<u64>(out);
    if (cmpU128(hi, lo, capHi, capLo) > 0) return 2_000_001;
    const qLo = divModU128(hi, lo, d, out);
    y = qLo + <u64>(load<u64>(out, 8) != 0);
  }
  if (y > 4_000_000_000_000) return 2_000_001;
  return ceilSqrtU(y);
}

/** min(10^6, max(basePpm, ceil(4*basePpm/5) + premiumPpm)): Drift's size-adjusted fraction. */
// @ts-ignore: decorator
@inline export function withSizePremium(basePpm: u64, premiumPpm: u64): u64 {
  const scaled = ceilDivU(basePpm * 4, 5) + premiumPpm;
  const f = scaled > basePpm ? scaled : basePpm;
  return f < PPM ? f : PPM;
}

/**
 * dYdX's open-interest scaled initial fraction, with OIN = ceil(oiBase * mark / d):
 *   upper == 0 or OIN <= lower: basePpm;  OIN >= upper: 10^6;
 *   else basePpm + ceil((10^6 - basePpm) * (OIN - lower) / (upper - lower)).
 */
export function openInterestImfPpm(basePpm: u64, oiBase: u64, mark: u64, d: u64, lower: u64, upper: u64, out: ptr): u64 {
  if (upper == 0) return basePpm;
  const lo = mulWideU(oiBase, mark, out);
  const hi = load<u64>(out);
  const qLo = divModU128(hi, lo, d, out);
  const qHi = load<u64>(out);
  if (qHi != 0) return PPM;
  const oin = qLo + <u64>(load<u64>(out, 8) != 0);
  if (oin <= lower) return basePpm;
  if (oin >= upper) return PPM;
  const pLo = mulWideU(PPM - basePpm, oin - lower, out);
  const pHi = load<u64>(out);
  const span = upper - lower;
  const addLo = divModU128(pHi, pLo, span, out);
  const add = addLo + <u64>(load<u64>(out, 8) != 0);
  return basePpm + add;
}

/** sizePremiumPpmQuick could not decide without 128-bit arithmetic. */
export const PREMIUM_SLOW: u64 = u64.MAX_VALUE;

/**
 * sizePremiumPpm without calls, for the batch loop: exact whenever k^2 * sizeAbs stays below
 * 2^63 (checked with an f64 estimate that has margin), else PREMIUM_SLOW.
 */
// @ts-ignore: decorator
@inline export function sizePremiumPpmQuick(sizeAbs: u64, kPpm: u64, d: u64): u64 {
  const k2 = kPpm * kPpm; // <= 10^12
  if (<f64>k2 * <f64>sizeAbs >= 8.0e18) return PREMIUM_SLOW;
  const product = k2 * sizeAbs;
  const q = product / d;
  const y = q + <u64>(product - q * d != 0);
  if (y > 4_000_000_000_000) return 2_000_001;
  // ceilSqrt(y) for y <= 4e12: the f64 root is within one unit; fix it exactly.
  let n = <u64>roundNearestU(Math.sqrt(<f64>y));
  if (n * n < y) n++;
  if (n > 0 && (n - 1) * (n - 1) >= y) n--;
  return n;
}

/** round-to-nearest of 0 <= x < 2^51 without the slow f64 -> integer truncation. */
// @ts-ignore: decorator
@inline function roundNearestU(x: f64): u64 {
  return reinterpret<u64>(x + 6755399441055744.0) - 0x4338000000000000;
}
