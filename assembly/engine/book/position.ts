/**
 * One position's contribution to its margin group: value, funding owed, IM and MM.
 *
 *   valueQuote  = floor(size * mark / D) + quoteBalance
 *   fundingOwed = ceil(size * (index(side) - snapshot) / D)
 *   IM          = ceil(|size| * mark * max(imf, floorPpm) / (D * 10^6))
 *   MM          = ceil(|size| * mark * mmf / (D * 10^6)) - deduction
 *
 * with (imf, mmf, deduction) from the market's curve at this size. Each amount is rounded once from
 * the exact rational (math/fixed.ts). `groupSums` sums a group's positions on locals in one loop
 * (the batch loop inlines it); positions beyond the fast range go through `evaluateExact`, whose
 * results come back in four file-private globals; a group's sums and a position's terms, which other
 * files read, come back in the named records SUMS and TERMS (wasm has no multi-value return here).
 *
 * The fractions come from the market record's base fields (premultiplied by the mark) unless the
 * size reaches the market's base limit: the next tier's size, or for the size premium the size at
 * which it can bind (markets.ts), or the account's floor is above the base imf.
 */
import { addOverflowBits, FAST_LIMIT, mulDivCeilFast, mulDivExact, mulDivFloorFast, OVERFLOWED, requirementCeilExact } from '../../math/fixed';
import { PREMIUM_SLOW, sizePremiumPpm, sizePremiumPpmQuick, withSizePremium } from '../../math/curves';
import { absU } from '../../math/wide';
import { col, Column, marketPtr, tierPtr } from '../../abi/layout';
import { CurveKind } from '../../abi/status';
import { SCRATCH } from '../state';
import { MarketRecord, TierRecord } from '../../abi/records';

/** One position's amounts from the exact (128-bit) path, `evaluateExact` (read in this file only). */
let valueQuote: i64 = 0;
let fundingOwedQuote: i64 = 0;
let imQuote: i64 = 0;
let mmQuote: i64 = 0;

/**
 * The curve's fractions at this |size|, packed: imf in bits 0..20, mmf in bits 21..41, and in bits
 * 42..63 the tier record index + 1 whose maintenance deduction applies (0: no deduction).
 */
/** curveFractions in quick mode could not decide without a call (a huge size-premium product). */
export const FRACTIONS_SLOW: u64 = u64.MAX_VALUE;

// Inlined with `quick` constant: the batch loop's copy makes no call, so nothing it holds in
// registers has to be spilled around one (V8's wasm calls have no callee-saved registers).
// @ts-ignore: decorator
@inline export function curveFractions(mkt: usize, sizeAbs: i64, quick: bool): u64 {
  const kind = load<u8>(mkt, MarketRecord.kind);
  if (kind == CurveKind.Flat) return <u64>load<u32>(mkt, MarketRecord.imf) | (<u64>load<u32>(mkt, MarketRecord.mmf) << 21);
  if (kind == CurveKind.Tiers) {
    // Tier j is the last whose size limit |size| reaches; limits are refreshed with the mark.
    const first = load<u32>(mkt, MarketRecord.tierFirst);
    const tiers = col(Column.Tiers);
    let j = first;
    const last = first + load<u32>(mkt, MarketRecord.tierCount) - 1;
    while (j < last && sizeAbs >= load<i64>(tiers + <usize>(j + 1) * TierRecord.BYTES, TierRecord.sizeLimit)) j++;
    const t = tiers + <usize>j * TierRecord.BYTES;
    return <u64>load<u32>(t, TierRecord.imf) | (<u64>load<u32>(t, TierRecord.mmf) << 21) | (<u64>(j + 1) << 42);
  }
  if (kind == CurveKind.SizePremium) {
    let premium: u64;
    if (quick) {
      premium = sizePremiumPpmQuick(<u64>sizeAbs, load<u32>(mkt, MarketRecord.premium), load<u64>(mkt, MarketRecord.d));
      if (premium == PREMIUM_SLOW) return FRACTIONS_SLOW;
    } else {
      premium = sizePremiumPpm(<u64>sizeAbs, load<u32>(mkt, MarketRecord.premium), load<u64>(mkt, MarketRecord.d), SCRATCH);
    }
    return withSizePremium(load<u32>(mkt, MarketRecord.imf), premium) | (withSizePremium(load<u32>(mkt, MarketRecord.mmf), premium) << 21);
  }
  return <u64>load<u32>(mkt, MarketRecord.imfEff) | (<u64>load<u32>(mkt, MarketRecord.mmf) << 21);
}

/** The maintenance deduction selected by `curveFractions` (quote atoms). */
// @ts-ignore: decorator
@inline export function deductionOf(fractions: u64): i64 {
  const tier = fractions >> 42;
  return tier == 0 ? 0 : load<i64>(tierPtr(<u32>(tier - 1)), TierRecord.deduction);
}

/** Scratch market record for a position whose fractions are not its market's base ones. */
const SIZED_RECORD: usize = memory.data(MarketRecord.BYTES, 16);

/**
 * Writes the fractions for this size and account floor (imf, mmf, deduction) and their products
 * with the mark to the scratch record's base fields, and returns the scratch record; in quick mode
 * returns 0 when the fractions need the slow path.
 */
// @ts-ignore: decorator
@inline function sizedFractions(mkt: usize, sizeAbs: i64, floorPpm: u64, quick: bool): usize {
  const fractions = curveFractions(mkt, sizeAbs, quick);
  if (quick && fractions == FRACTIONS_SLOW) return 0;
  let imf = <i64>(fractions & 0x1FFFFF);
  const mmf = <i64>((fractions >> 21) & 0x1FFFFF);
  if (<i64>floorPpm > imf) imf = <i64>floorPpm;
  const mark = load<i64>(mkt, MarketRecord.mark), markOverD6 = load<f64>(mkt, MarketRecord.markOverD6);
  const r = SIZED_RECORD;
  store<u32>(r, <u32>imf, MarketRecord.baseImf);
  store<u32>(r, <u32>mmf, MarketRecord.baseMmf);
  store<i64>(r, mark * imf, MarketRecord.markImf);
  store<i64>(r, mark * mmf, MarketRecord.markMmf);
  store<f64>(r, markOverD6 * <f64>imf, MarketRecord.estImf);
  store<f64>(r, markOverD6 * <f64>mmf, MarketRecord.estMmf);
  store<i64>(r, deductionOf(fractions), MarketRecord.baseDeduction);
  return r;
}

/**
 * Sums one margin group: collateral plus the positions in slots [start, start + len) of the
 * position arena. (Isolated positions and hypothetical books are copied to scratch slots first.)
 *
 * The per-position arithmetic runs on locals; the results go to the record SUMS once
 * per group. Two modes, chosen by the constant `careful`:
 * - quick (the batch loop): no calls; returns GROUP_RETRY when a position needs the 128-bit path or
 *   the magnitude bound cannot rule out an i64 overflow of some partial sum;
 * - careful: the exact path for every amount and a checked add for every sum; GROUP_OVERFLOW when
 *   an amount or a sum leaves its range.
 */
// @ts-ignore: decorator
@inline export function groupSums(start: u32, len: u32, floorPpm: u64, collateral: i64, careful: bool, split: bool = false, caps: usize = 0): i32 {
  const sizeCol = col(Column.PosSize), quoteCol = col(Column.PosQuote), snapCol = col(Column.PosSnap);
  const marketCol = col(Column.PosMarket), markets = col(Column.Markets);
  let equity = collateral, im: i64 = 0, mm: i64 = 0, bits: i64 = 0;
  // `split` (withdrawals): also the positive and negative parts of the PnL and the notionals rounded up,
  // and with `caps` (an i64 per market) the sum of min(positive PnL, the market's cap).
  let positive: i64 = 0, negative: i64 = 0, notional: i64 = 0, capped: i64 = 0;
  // Quick mode bounds every partial sum at once: |collateral| + sum |quote| + 2^50 per position.
  let magnitude: f64 = Math.abs(<f64>collateral);
  for (let s = start; s < start + len; s++) {
    const market = <u32>load<u16>(marketCol + (<usize>s << 1));
    const sizeBase = load<i64>(sizeCol + (<usize>s << 3));
    const quote = load<i64>(quoteCol + (<usize>s << 3));
    const snapshot = load<i64>(snapCol + (<usize>s << 3));
    // No branch on size 0: every term below is then exactly 0 (a 0 estimate, a 0 remainder).
    let value: i64 = quote, funding: i64 = 0, posIm: i64 = 0, posMm: i64 = 0, posN: i64 = 0;
    {
      const mkt = markets + <usize>market * MarketRecord.BYTES;
      const mark = load<i64>(mkt, MarketRecord.mark);
      const d = load<i64>(mkt, MarketRecord.d);
      // Branch-free side selection: signs are random, a branch here mispredicts half the time.
      const indexDelta = select<i64>(load<i64>(mkt, MarketRecord.fundingLong), load<i64>(mkt, MarketRecord.fundingShort), sizeBase > 0) - snapshot;
      const sizeAbs = <i64>absU(sizeBase);
      // Fractions: the market's base ones, premultiplied by the mark in its record, unless the size
      // reaches the next tier, the curve is the size premium, or the account's floor is above the
      // base imf; then `sizedFractions` writes the same fields to a scratch record. One code path
      // reads `rec` either way (no merge of six values in registers).
      let rec = mkt;
      if (sizeAbs >= load<i64>(mkt, MarketRecord.baseLimit) || <i64>floorPpm > <i64>load<u32>(mkt, MarketRecord.baseImf)) {
        rec = sizedFractions(mkt, sizeAbs, floorPpm, !careful);
        if (rec == 0) return GROUP_RETRY;
      }
      const sizeF = <f64>sizeBase;
      const valueEst = sizeF * load<f64>(mkt, MarketRecord.markOverD);
      const fundingEst = sizeF * <f64>indexDelta * load<f64>(mkt, MarketRecord.invD);
      if (Math.abs(valueEst) + Math.abs(fundingEst) <= FAST_LIMIT) { // both within the fast range
        value += mulDivFloorFast(sizeBase, mark, d, valueEst);
        funding = mulDivCeilFast(sizeBase, indexDelta, d, fundingEst);
        const d6 = load<i64>(mkt, MarketRecord.d6);
        const sizeAbsF = <f64>sizeAbs;
        posIm = mulDivCeilFast(sizeAbs, load<i64>(rec, MarketRecord.markImf), d6, sizeAbsF * load<f64>(rec, MarketRecord.estImf));
        posMm = mulDivCeilFast(sizeAbs, load<i64>(rec, MarketRecord.markMmf), d6, sizeAbsF * load<f64>(rec, MarketRecord.estMmf)) - load<i64>(rec, MarketRecord.baseDeduction);
        if (split) posN = mulDivCeilFast(sizeAbs, mark, d, sizeAbsF * load<f64>(mkt, MarketRecord.markOverD));
      } else {
        // Beyond the fast range: exact 128-bit path, and full overflow tracking for this group.
        if (!careful) return GROUP_RETRY;
        if (!evaluateExact(mark, d, sizeBase, sizeAbs, quote, indexDelta, <u64>load<u32>(rec, MarketRecord.baseImf), <u64>load<u32>(rec, MarketRecord.baseMmf), load<i64>(rec, MarketRecord.baseDeduction))) return GROUP_OVERFLOW;
        value = valueQuote; funding = fundingOwedQuote; posIm = imQuote; posMm = mmQuote;
        if (split) {
          posN = mulDivExact(sizeAbs, mark, d, true, SCRATCH);
          if (posN == OVERFLOWED) return GROUP_OVERFLOW;
        }
      }
    }
    const contribution = value - funding;
    const e = equity + contribution;
    const i2 = im + posIm;
    const m2 = mm + posMm;
    if (split) {
      // Branch-free (signs are random); in quick mode the magnitude bound below covers these sums too.
      const up = select<i64>(contribution, 0, contribution > 0), down = contribution - up;
      const p2 = positive + up, n2 = negative + down, t2 = notional + posN;
      if (careful) bits |= addOverflowBits(positive, up, p2) | addOverflowBits(negative, down, n2) | addOverflowBits(notional, posN, t2);
      positive = p2; negative = n2; notional = t2;
      if (caps != 0) { const cap = load<i64>(caps + (<usize>market << 3)); capped += select<i64>(up, cap, up < cap); } // <= positive
    }
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
  SUMS.equityQuote = equity; SUMS.imQuote = im; SUMS.mmQuote = mm;
  if (split) { SUMS.positiveQuote = positive; SUMS.negativeQuote = negative; SUMS.notionalQuote = notional; SUMS.cappedQuote = capped; }
  return GROUP_OK;
}

/** groupSums results. */
export const GROUP_OK = 0, GROUP_OVERFLOW = 1, GROUP_RETRY = 2;

/** The slow, always-exact path for positions beyond the fast path's range (notional above 2^48). */
export function evaluateExact(mark: i64, d: i64, sizeBase: i64, sizeAbs: i64, quote: i64, indexDelta: i64, imf: u64, mmf: u64, dedQuote: i64): bool {
  const floorValue = mulDivExact(sizeBase, mark, d, false, SCRATCH);
  // Funding owed has no notional bound: any amount that fits i64 is reported (sums are checked).
  const funding = mulDivExact(sizeBase, indexDelta, d, true, SCRATCH, u64.MAX_VALUE);
  const im = requirementCeilExact(<u64>sizeAbs, <u64>mark, imf, <u64>d, SCRATCH);
  const mm = requirementCeilExact(<u64>sizeAbs, <u64>mark, mmf, <u64>d, SCRATCH);
  if (floorValue == OVERFLOWED || funding == OVERFLOWED || im == OVERFLOWED || mm == OVERFLOWED) return false;
  valueQuote = floorValue + quote;
  fundingOwedQuote = funding;
  imQuote = im;
  mmQuote = mm - dedQuote;
  return true;
}

/**
 * A group's sums: equity, IM and MM (quote atoms); with `split`, also the sums of the positions'
 * positive and negative PnL (value - funding) and of their notionals ceil(|s| m / D), and with caps
 * the sum of min(positive PnL, its market's cap) (capped, in 0..positive since every cap is >= 0).
 */
@unmanaged export class GroupSums { equityQuote: i64; imQuote: i64; mmQuote: i64; positiveQuote: i64; negativeQuote: i64; notionalQuote: i64; cappedQuote: i64; }
/** The last group summed by groupSums (valid when it returned GROUP_OK), or set by setSums. */
export const SUMS = changetype<GroupSums>(memory.data(56, 8));

/** Sets the group sums from figures already known (the last full check's, check.ts). */
export function setSums(equity: i64, im: i64, mm: i64): void { SUMS.equityQuote = equity; SUMS.imQuote = im; SUMS.mmQuote = mm; }

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

/**
 * groupSumsExact with the split sums (SUMS.positiveQuote, negativeQuote, notionalQuote, and with
 * `caps` != 0 cappedQuote); false on overflow of any sum.
 */
export function groupSplitExact(start: u32, len: u32, floorPpm: u64, collateral: i64, caps: usize): bool {
  let r = groupSums(start, len, floorPpm, collateral, false, true, caps);
  if (r == GROUP_RETRY) r = groupSums(start, len, floorPpm, collateral, true, true, caps);
  return r == GROUP_OK;
}

/** free = equity - IM of the last group; cannot overflow once groupSumsExact succeeded. */
// @ts-ignore: decorator
@inline export function freeQuote(): i64 {
  return SUMS.equityQuote - SUMS.imQuote;
}

// ---------------------------------------------------------------------------------------------
// One position's terms for liquidation: its value term v = floor(s m / D), its IM and MM at size s,
// and the curve's maintenance fraction at |s|. Results in the record TERMS (exact, any size).

/** One position's liquidation terms: v = floor(s m / D), IM and MM at its size (quote atoms), and
 * the curve's maintenance fraction at |s| (ppm). */
@unmanaged export class PositionTerms { valueQuote: i64; imQuote: i64; mmQuote: i64; mmfPpm: u64; }
/** The terms positionTerms last evaluated. */
export const TERMS = changetype<PositionTerms>(memory.data(32, 8));

/** Evaluates the terms of a position of `sizeBase` in `market` for an account floor; false on overflow. */
export function positionTerms(market: u32, sizeBase: i64, floorPpm: u64): bool {
  return positionTermsInline(market, sizeBase, floorPpm, true);
}

/**
 * positionTerms with its common case inlined (the market's base fractions, premultiplied by the mark,
 * as in groupSums); `withIm` false leaves TERMS.imQuote unset (the price loop has no use for it).
 */
// @ts-ignore: decorator
@inline export function positionTermsInline(market: u32, sizeBase: i64, floorPpm: u64, withIm: bool): bool {
  const mkt = marketPtr(market);
  const sizeAbs = <i64>absU(sizeBase);
  const valueEst = <f64>sizeBase * load<f64>(mkt, MarketRecord.markOverD);
  if (sizeBase != 0 && Math.abs(valueEst) <= FAST_LIMIT && sizeAbs < load<i64>(mkt, MarketRecord.baseLimit) && <i64>floorPpm <= <i64>load<u32>(mkt, MarketRecord.baseImf)) {
    const sizeAbsF = <f64>sizeAbs, d6 = load<i64>(mkt, MarketRecord.d6);
    TERMS.mmfPpm = <u64>load<u32>(mkt, MarketRecord.baseMmf);
    TERMS.valueQuote = mulDivFloorFast(sizeBase, load<i64>(mkt, MarketRecord.mark), load<i64>(mkt, MarketRecord.d), valueEst);
    if (withIm) TERMS.imQuote = mulDivCeilFast(sizeAbs, load<i64>(mkt, MarketRecord.markImf), d6, sizeAbsF * load<f64>(mkt, MarketRecord.estImf));
    TERMS.mmQuote = mulDivCeilFast(sizeAbs, load<i64>(mkt, MarketRecord.markMmf), d6, sizeAbsF * load<f64>(mkt, MarketRecord.estMmf));
    return true;
  }
  return positionTermsCurve(market, sizeBase, floorPpm);
}

/** positionTerms through the curve: any size, tier, size premium or account floor. */
function positionTermsCurve(market: u32, sizeBase: i64, floorPpm: u64): bool {
  if (sizeBase == 0) { TERMS.valueQuote = 0; TERMS.imQuote = 0; TERMS.mmQuote = 0; TERMS.mmfPpm = 0; return true; }
  const mkt = marketPtr(market);
  const mark = load<i64>(mkt, MarketRecord.mark), d = load<i64>(mkt, MarketRecord.d), d6 = load<i64>(mkt, MarketRecord.d6);
  const sizeAbs = <i64>absU(sizeBase);
  const valueEst = <f64>sizeBase * load<f64>(mkt, MarketRecord.markOverD);
  let fractions = curveFractions(mkt, sizeAbs, true);
  if (fractions == FRACTIONS_SLOW) fractions = curveFractions(mkt, sizeAbs, false);
  let imf = <i64>(fractions & 0x1FFFFF);
  const mmf = <i64>((fractions >> 21) & 0x1FFFFF);
  if (<i64>floorPpm > imf) imf = <i64>floorPpm;
  const ded = deductionOf(fractions);
  TERMS.mmfPpm = <u64>mmf;
  if (Math.abs(valueEst) <= FAST_LIMIT) {
    const sizeAbsF = <f64>sizeAbs, perPpm = load<f64>(mkt, MarketRecord.markOverD6);
    TERMS.valueQuote = mulDivFloorFast(sizeBase, mark, d, valueEst);
    TERMS.imQuote = mulDivCeilFast(sizeAbs, mark * imf, d6, sizeAbsF * perPpm * <f64>imf);
    TERMS.mmQuote = mulDivCeilFast(sizeAbs, mark * mmf, d6, sizeAbsF * perPpm * <f64>mmf) - ded;
    return true;
  }
  const v = mulDivExact(sizeBase, mark, d, false, SCRATCH);
  const im = requirementCeilExact(<u64>sizeAbs, <u64>mark, <u64>imf, <u64>d, SCRATCH);
  const mm = requirementCeilExact(<u64>sizeAbs, <u64>mark, <u64>mmf, <u64>d, SCRATCH);
  if (v == OVERFLOWED || im == OVERFLOWED || mm == OVERFLOWED) return false;
  TERMS.valueQuote = v; TERMS.imQuote = im; TERMS.mmQuote = mm - ded;
  return true;
}
