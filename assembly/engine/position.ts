/**
 * One position's contribution to its margin group: value, funding owed, IM and MM.
 *
 *   valueQuote  = floor(size * mark / D) + quoteBalance
 *   fundingOwed = ceil(size * (index(side) - snapshot) / D)
 *   IM          = ceil(|size| * mark * max(imf, floorPpm) / (D * 10^6))
 *   MM          = ceil(|size| * mark * mmf / (D * 10^6)) - deduction
 *
 * with (imf, mmf, deduction) from the market's curve at this size. Each amount is rounded once from
 * the exact rational (math/fixed.ts). Results go to the four globals below (wasm has no multi-value
 * return here); `evaluate` returns false when an amount leaves the supported range.
 */
import { addOverflowBits, FAST_LIMIT, mulDivCeilFast, mulDivExact, mulDivFloorFast, OVERFLOWED, requirementCeilExact } from '../math/fixed';
import { sizePremiumPpm, withSizePremium } from '../math/curves';
import { absU } from '../math/wide';
import { col, Column, M_D, M_D6, M_FUND_LONG, M_FUND_SHORT, M_IMF, M_IMF_EFF, M_INV_D, M_KIND, M_MARK, M_MARK_OVER_D, M_MARK_OVER_D6, M_MMF, M_PREMIUM, M_TIER_COUNT, M_TIER_FIRST, MARKET_RECORD, T_DED, T_IMF, T_MMF, T_SIZE_LIMIT, TIER_RECORD } from '../layout';
import { CurveKind } from '../status';
import { SCRATCH } from './state';

export let valueQuote: i64 = 0;
export let fundingOwedQuote: i64 = 0;
export let imQuote: i64 = 0;
export let mmQuote: i64 = 0;

// @ts-ignore: decorator
@inline export function marketPtr(market: u32): usize {
  return col(Column.Markets) + <usize>market * MARKET_RECORD;
}

/** The curve's fractions at this |size|: imf in the return's low 32 bits, mmf in the high. */
let curveDedQuote: i64 = 0;

// @ts-ignore: decorator
@inline function curveFractions(mkt: usize, sizeAbs: i64): u64 {
  const kind = load<u8>(mkt, M_KIND);
  curveDedQuote = 0;
  if (kind == CurveKind.Flat) return load<u64>(mkt, M_IMF); // imf | mmf << 32
  if (kind == CurveKind.Tiers) {
    // Tier j is the last whose size limit |size| reaches; limits are refreshed with the mark.
    const count = load<u32>(mkt, M_TIER_COUNT);
    let t = col(Column.Tiers) + <usize>load<u32>(mkt, M_TIER_FIRST) * TIER_RECORD;
    const last = t + <usize>(count - 1) * TIER_RECORD;
    while (t < last && sizeAbs >= load<i64>(t + TIER_RECORD, T_SIZE_LIMIT)) t += TIER_RECORD;
    curveDedQuote = load<i64>(t, T_DED);
    return load<u64>(t, T_IMF);
  }
  if (kind == CurveKind.SizePremium) {
    const premium = sizePremiumPpm(<u64>sizeAbs, load<u32>(mkt, M_PREMIUM), load<u64>(mkt, M_D), SCRATCH);
    const imf = withSizePremium(load<u32>(mkt, M_IMF), premium);
    const mmf = withSizePremium(load<u32>(mkt, M_MMF), premium);
    return imf | (mmf << 32);
  }
  return <u64>load<u32>(mkt, M_IMF_EFF) | (<u64>load<u32>(mkt, M_MMF) << 32);
}

/**
 * Evaluates one position into the globals. `floorPpm` is the account's initial-fraction floor.
 * Returns false on overflow (a notional or funding amount of 2^62 or more).
 */
// @ts-ignore: decorator
@inline export function evaluate(mkt: usize, sizeBase: i64, quote: i64, snapshot: i64, floorPpm: u64): bool {
  if (sizeBase == 0) {
    valueQuote = quote; fundingOwedQuote = 0; imQuote = 0; mmQuote = 0;
    return true;
  }
  const mark = load<i64>(mkt, M_MARK);
  const d = load<i64>(mkt, M_D);
  const index = sizeBase > 0 ? load<i64>(mkt, M_FUND_LONG) : load<i64>(mkt, M_FUND_SHORT);
  const indexDelta = index - snapshot;
  const sizeAbs = <i64>absU(sizeBase);
  const fractions = curveFractions(mkt, sizeAbs);
  let imf = fractions & 0xFFFFFFFF;
  const mmf = fractions >> 32;
  if (floorPpm > imf) imf = floorPpm;

  const sizeF = <f64>sizeBase;
  const valueEst = sizeF * load<f64>(mkt, M_MARK_OVER_D);
  const fundingEst = sizeF * <f64>indexDelta * load<f64>(mkt, M_INV_D);
  if (Math.abs(valueEst) <= FAST_LIMIT && Math.abs(fundingEst) <= FAST_LIMIT) {
    valueQuote = mulDivFloorFast(sizeBase, mark, d, valueEst) + quote;
    fundingOwedQuote = mulDivCeilFast(sizeBase, indexDelta, d, fundingEst);
    const d6 = load<i64>(mkt, M_D6);
    const reqEst = load<f64>(mkt, M_MARK_OVER_D6) * <f64>sizeAbs;
    imQuote = mulDivCeilFast(sizeAbs, mark * <i64>imf, d6, reqEst * <f64>imf);
    mmQuote = mulDivCeilFast(sizeAbs, mark * <i64>mmf, d6, reqEst * <f64>mmf) - curveDedQuote;
    return true;
  }
  return evaluateExact(mark, d, sizeBase, sizeAbs, quote, indexDelta, imf, mmf);
}

/** The slow, always-exact path for positions beyond the fast path's range (notional above 2^48). */
function evaluateExact(mark: i64, d: i64, sizeBase: i64, sizeAbs: i64, quote: i64, indexDelta: i64, imf: u64, mmf: u64): bool {
  const floorValue = mulDivExact(sizeBase, mark, d, false, SCRATCH);
  const funding = mulDivExact(sizeBase, indexDelta, d, true, SCRATCH);
  const im = requirementCeilExact(<u64>sizeAbs, <u64>mark, imf, <u64>d, SCRATCH);
  const mm = requirementCeilExact(<u64>sizeAbs, <u64>mark, mmf, <u64>d, SCRATCH);
  if (floorValue == OVERFLOWED || funding == OVERFLOWED || im == OVERFLOWED || mm == OVERFLOWED) return false;
  valueQuote = floorValue + quote;
  fundingOwedQuote = funding;
  imQuote = im;
  mmQuote = mm - curveDedQuote;
  return true;
}

/**
 * Running sums of one margin group. `overflowBits` collects the sign bits of every wrapped add,
 * so one test at the end catches an overflow anywhere in the group.
 */
export let sumEquity: i64 = 0;
export let sumIm: i64 = 0;
export let sumMm: i64 = 0;
export let overflowBits: i64 = 0;

// @ts-ignore: decorator
@inline export function beginGroup(collateral: i64): void {
  sumEquity = collateral; sumIm = 0; sumMm = 0; overflowBits = 0;
}

/** Adds the last evaluated position to the running sums (contribution = value - funding). */
// @ts-ignore: decorator
@inline export function accumulate(): void {
  const contribution = valueQuote - fundingOwedQuote;
  // a - b overflows iff a and b differ in sign and the result's sign differs from a's.
  let bits = (valueQuote ^ fundingOwedQuote) & (valueQuote ^ contribution);
  const e = sumEquity + contribution;
  bits |= addOverflowBits(sumEquity, contribution, e);
  const im = sumIm + imQuote;
  bits |= addOverflowBits(sumIm, imQuote, im);
  const mm = sumMm + mmQuote;
  bits |= addOverflowBits(sumMm, mmQuote, mm);
  sumEquity = e; sumIm = im; sumMm = mm;
  overflowBits |= bits;
}

/** Marks the group as overflowed (used when a position itself is out of range). */
export function markOverflow(): void { overflowBits = -1; }

/** free = equity - IM; returns the free amount and records its overflow. */
// @ts-ignore: decorator
@inline export function freeQuote(): i64 {
  const free = sumEquity - sumIm;
  overflowBits |= (sumEquity ^ sumIm) & (sumEquity ^ free);
  return free;
}
