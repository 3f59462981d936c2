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
import { addOverflowBits, FAST_LIMIT, mulDivCeilFast, mulDivExact, mulDivExactI64, mulDivFloorFast, OVERFLOWED, requirementCeilExact } from '../math/fixed';
import { sizePremiumPpm, withSizePremium } from '../math/curves';
import { absU } from '../math/wide';
import { col, Column, MARKET_RECORD, M_BASE_IMF, M_BASE_LIMIT, M_BASE_MMF, M_EST_IMF, M_EST_MMF, M_MARK_IMF, M_MARK_MMF, M_D, M_D6, M_FUND_LONG, M_FUND_SHORT, M_IMF, M_IMF_EFF, M_INV_D, M_KIND, M_MARK, M_MARK_OVER_D, M_MARK_OVER_D6, M_MMF, M_PREMIUM, M_TIER_COUNT, M_TIER_FIRST, T_DED, T_IMF, T_MMF, T_SIZE_LIMIT, TIER_RECORD } from '../layout';
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

/**
 * The curve's fractions at this |size|, packed: imf in bits 0..20, mmf in bits 21..41, and in bits
 * 42..63 the tier record index + 1 whose maintenance deduction applies (0: no deduction).
 */
// Not inlined: the batch loop takes this path rarely, and inlining it costs registers in the common path.
export function curveFractions(mkt: usize, sizeAbs: i64): u64 {
  const kind = load<u8>(mkt, M_KIND);
  if (kind == CurveKind.Flat) return <u64>load<u32>(mkt, M_IMF) | (<u64>load<u32>(mkt, M_MMF) << 21);
  if (kind == CurveKind.Tiers) {
    // Tier j is the last whose size limit |size| reaches; limits are refreshed with the mark.
    const first = load<u32>(mkt, M_TIER_FIRST);
    const tiers = col(Column.Tiers);
    let j = first;
    const last = first + load<u32>(mkt, M_TIER_COUNT) - 1;
    while (j < last && sizeAbs >= load<i64>(tiers + <usize>(j + 1) * TIER_RECORD, T_SIZE_LIMIT)) j++;
    const t = tiers + <usize>j * TIER_RECORD;
    return <u64>load<u32>(t, T_IMF) | (<u64>load<u32>(t, T_MMF) << 21) | (<u64>(j + 1) << 42);
  }
  if (kind == CurveKind.SizePremium) {
    const premium = sizePremiumPpm(<u64>sizeAbs, load<u32>(mkt, M_PREMIUM), load<u64>(mkt, M_D), SCRATCH);
    return withSizePremium(load<u32>(mkt, M_IMF), premium) | (withSizePremium(load<u32>(mkt, M_MMF), premium) << 21);
  }
  return <u64>load<u32>(mkt, M_IMF_EFF) | (<u64>load<u32>(mkt, M_MMF) << 21);
}

/** The maintenance deduction selected by `curveFractions` (quote atoms). */
// @ts-ignore: decorator
@inline export function deductionOf(fractions: u64): i64 {
  const tier = fractions >> 42;
  return tier == 0 ? 0 : load<i64>(col(Column.Tiers) + <usize>(tier - 1) * TIER_RECORD, T_DED);
}

/**
 * Sums one margin group: collateral plus the positions in slots [start, start + len) of the
 * position arena. (Isolated positions and hypothetical books are copied to scratch slots first.)
 *
 * The per-position arithmetic runs on locals; the results go to sumEquity, sumIm, sumMm and
 * overflowBits once per group. Returns false if a position is out of range (overflow).
 */
// @ts-ignore: decorator
@inline export function groupSums(start: u32, len: u32, floorPpm: u64, collateral: i64, careful: bool): i32 {
  const sizeCol = col(Column.PosSize), quoteCol = col(Column.PosQuote), snapCol = col(Column.PosSnap);
  const marketCol = col(Column.PosMarket), markets = col(Column.Markets);
  let equity = collateral, im: i64 = 0, mm: i64 = 0, bits: i64 = 0;
  // Quick mode bounds every partial sum at once: |collateral| + sum |quote| + 2^50 per position.
  let magnitude: f64 = Math.abs(<f64>collateral);
  for (let s = start; s < start + len; s++) {
    const market = <u32>load<u16>(marketCol + (<usize>s << 1));
    const sizeBase = load<i64>(sizeCol + (<usize>s << 3));
    const quote = load<i64>(quoteCol + (<usize>s << 3));
    const snapshot = load<i64>(snapCol + (<usize>s << 3));
    // No branch on size 0: every term below is then exactly 0 (a 0 estimate, a 0 remainder).
    let value: i64 = quote, funding: i64 = 0, posIm: i64 = 0, posMm: i64 = 0;
    {
      const mkt = markets + <usize>market * MARKET_RECORD;
      const mark = load<i64>(mkt, M_MARK);
      const d = load<i64>(mkt, M_D);
      // Branch-free side selection: signs are random, a branch here mispredicts half the time.
      const indexDelta = select<i64>(load<i64>(mkt, M_FUND_LONG), load<i64>(mkt, M_FUND_SHORT), sizeBase > 0) - snapshot;
      const sizeAbs = <i64>absU(sizeBase);
      // Fractions: the market's base ones (precomputed with the mark) unless the size reaches the
      // next tier, the curve is the size premium, or the account's floor is above the base imf.
      let markImf: i64, markMmf: i64, estImf: f64, estMmf: f64, dedQuote: i64 = 0;
      let imf: i64, mmf: i64;
      if (sizeAbs < load<i64>(mkt, M_BASE_LIMIT) && <i64>floorPpm <= <i64>load<u32>(mkt, M_BASE_IMF)) {
        imf = <i64>load<u32>(mkt, M_BASE_IMF); mmf = <i64>load<u32>(mkt, M_BASE_MMF);
        markImf = load<i64>(mkt, M_MARK_IMF); markMmf = load<i64>(mkt, M_MARK_MMF);
        estImf = load<f64>(mkt, M_EST_IMF); estMmf = load<f64>(mkt, M_EST_MMF);
      } else {
        const fractions = curveFractions(mkt, sizeAbs);
        imf = <i64>(fractions & 0x1FFFFF);
        mmf = <i64>((fractions >> 21) & 0x1FFFFF);
        if (<i64>floorPpm > imf) imf = <i64>floorPpm;
        dedQuote = deductionOf(fractions);
        markImf = mark * imf; markMmf = mark * mmf;
        const markOverD6 = load<f64>(mkt, M_MARK_OVER_D6);
        estImf = markOverD6 * <f64>imf; estMmf = markOverD6 * <f64>mmf;
      }
      const sizeF = <f64>sizeBase;
      const valueEst = sizeF * load<f64>(mkt, M_MARK_OVER_D);
      const fundingEst = sizeF * <f64>indexDelta * load<f64>(mkt, M_INV_D);
      if (Math.abs(valueEst) <= FAST_LIMIT && Math.abs(fundingEst) <= FAST_LIMIT) {
        value += mulDivFloorFast(sizeBase, mark, d, valueEst);
        funding = mulDivCeilFast(sizeBase, indexDelta, d, fundingEst);
        const d6 = load<i64>(mkt, M_D6);
        const sizeAbsF = <f64>sizeAbs;
        posIm = mulDivCeilFast(sizeAbs, markImf, d6, sizeAbsF * estImf);
        posMm = mulDivCeilFast(sizeAbs, markMmf, d6, sizeAbsF * estMmf) - dedQuote;
      } else {
        // Beyond the fast range: exact 128-bit path, and full overflow tracking for this group.
        if (!careful) return GROUP_RETRY;
        if (!evaluateExact(mark, d, sizeBase, sizeAbs, quote, indexDelta, <u64>imf, <u64>mmf, dedQuote)) return GROUP_OVERFLOW;
        value = valueQuote; funding = fundingOwedQuote; posIm = imQuote; posMm = mmQuote;
      }
    }
    const contribution = value - funding;
    const e = equity + contribution;
    const i2 = im + posIm;
    const m2 = mm + posMm;
    if (careful) {
      // a - b overflows iff a, b differ in sign and a, result differ; a + b iff both differ from the sum.
      bits |= (value ^ funding) & (value ^ contribution);
      bits |= addOverflowBits(equity, contribution, e);
      bits |= addOverflowBits(im, posIm, i2);
      bits |= addOverflowBits(mm, posMm, m2);
    } else {
      magnitude += Math.abs(<f64>quote);
    }
    equity = e; im = i2; mm = m2;
  }
  if (!careful) {
    // Fast-path terms are below 2^48 each (value, funding, IM, MM); with the quotes and collateral
    // the bound covers every partial sum, and free = equity - IM, with room for f64 rounding.
    magnitude += <f64>(len + 1) * 1125899906842624.0; // 2^50 per position
    if (magnitude >= 2305843009213693952.0) return GROUP_RETRY; // 2^61
  } else {
    // free = equity - IM is an account figure too.
    bits |= (equity ^ im) & (equity ^ (equity - im));
    if (bits < 0) return GROUP_OVERFLOW;
  }
  sumEquity = equity; sumIm = im; sumMm = mm;
  return GROUP_OK;
}

/** groupSums results. */
export const GROUP_OK = 0, GROUP_OVERFLOW = 1, GROUP_RETRY = 2;

/** The slow, always-exact path for positions beyond the fast path's range (notional above 2^48). */
export function evaluateExact(mark: i64, d: i64, sizeBase: i64, sizeAbs: i64, quote: i64, indexDelta: i64, imf: u64, mmf: u64, dedQuote: i64): bool {
  const floorValue = mulDivExact(sizeBase, mark, d, false, SCRATCH);
  // Funding owed has no notional bound: any amount that fits i64 is reported (sums are checked).
  const funding = mulDivExactI64(sizeBase, indexDelta, d, true, SCRATCH);
  const im = requirementCeilExact(<u64>sizeAbs, <u64>mark, imf, <u64>d, SCRATCH);
  const mm = requirementCeilExact(<u64>sizeAbs, <u64>mark, mmf, <u64>d, SCRATCH);
  if (floorValue == OVERFLOWED || funding == OVERFLOWED || im == OVERFLOWED || mm == OVERFLOWED) return false;
  valueQuote = floorValue + quote;
  fundingOwedQuote = funding;
  imQuote = im;
  mmQuote = mm - dedQuote;
  return true;
}

/** Sums of the last group (see groupSums); overflowBits < 0 means an i64 sum overflowed. */
export let sumEquity: i64 = 0;
export let sumIm: i64 = 0;
export let sumMm: i64 = 0;

/**
 * Sums a group exactly: the quick pass first; a group it cannot bound (an amount beyond the fast
 * range, or sums that could approach 2^63) is summed again with every add checked.
 */
// @ts-ignore: decorator
@inline export function groupSumsExact(start: u32, len: u32, floorPpm: u64, collateral: i64): bool {
  let r = groupSums(start, len, floorPpm, collateral, false);
  if (r == GROUP_RETRY) r = groupSumsCareful(start, len, floorPpm, collateral);
  return r == GROUP_OK;
}

export function groupSumsCareful(start: u32, len: u32, floorPpm: u64, collateral: i64): i32 {
  return groupSums(start, len, floorPpm, collateral, true);
}

/** free = equity - IM of the last group; cannot overflow once groupSumsExact succeeded. */
// @ts-ignore: decorator
@inline export function freeQuote(): i64 {
  return sumEquity - sumIm;
}
