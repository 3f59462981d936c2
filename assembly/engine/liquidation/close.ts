/**
 * The close kernel (docs/FORMULAS.md, "Executing one close"): the outcome of closing one position by
 * a trade delta at a price, for its group at equity E and maintenance margin M, computed without
 * writing anything but the CloseOutcome the caller passes in.
 *
 * Planning probes many sizes of one position: closeSetup once (what does not depend on the size),
 * then closeBy per size. Execution's rehearsal computes one close per row (closeOutcome). This runs
 * once per probe and liquidated position: no division on the fast path (estimates from the market's
 * 1/D, exact 128-bit arithmetic only when an estimate is not decisive).
 */
import { FAST_LIMIT, mulDivCeilFast, mulDivExact, mulDivFloorFast, OVERFLOWED, requirementCeilExact } from '../../math/fixed';
import { marketPtr } from '../../abi/layout';
import { MarketRecord } from '../../abi/records';
import { SCRATCH } from '../state';
import { positionTermsInline, TERMS } from '../book/position';
import { sideIndex } from '../book/book';
import { equityShare } from '../margin/prices';
import { PPM } from './policy';

/** What one close moves, in quote atoms (i64 each). */
@unmanaged export class CloseOutcome {
  /** Funding settled. */
  owedQuote: i64;
  /** quoteClosed + cash(d). */
  realizedQuote: i64;
  /** The position's quote balance after. */
  quoteAfter: i64;
  /** S, signed. */
  surplusQuote: i64;
  feeQuote: i64;
  liqFeeQuote: i64;
  fundFeeQuote: i64;
  deficitQuote: i64;
  /** The group's equity after: E' - fee + deficit. */
  equityAfterQuote: i64;
  /** The position's MM and IM at its new size. */
  mmAfterQuote: i64;
  imAfterQuote: i64;
}

/** A CloseOutcome in static memory (each caller keeps its own). */
// @ts-ignore: decorator
@inline export function staticCloseOutcome(): CloseOutcome { return changetype<CloseOutcome>(memory.data(offsetof<CloseOutcome>(), 8)); }

// @ts-ignore: decorator
@inline export function absI(x: i64): i64 { return x < 0 ? -x : x; }
// @ts-ignore: decorator
@inline export function minI(a: i64, b: i64): i64 { return a < b ? a : b; }
// @ts-ignore: decorator
@inline export function maxI(a: i64, b: i64): i64 { return a > b ? a : b; }

/** floor or ceil of a * b / D from an estimate made with the market's 1/D (no division). */
// @ts-ignore: decorator
@inline function overD(a: i64, b: i64, d: i64, est: f64, roundUp: bool): i64 {
  if (Math.abs(est) <= FAST_LIMIT) return roundUp ? mulDivCeilFast(a, b, d, est) : mulDivFloorFast(a, b, d, est);
  return mulDivExact(a, b, d, roundUp, SCRATCH);
}

/** floor or ceil of a * b / d (0 < b <= d, d > 0) from an estimate within 2^-50 (no division). */
// @ts-ignore: decorator
@inline function fraction(a: i64, b: i64, d: i64, est: f64, roundUp: bool): i64 {
  if (Math.abs(est) <= FAST_LIMIT) return roundUp ? mulDivCeilFast(a, b, d, est) : mulDivFloorFast(a, b, d, est);
  return mulDivExact(a, b, d, roundUp, SCRATCH, u64.MAX_VALUE);
}

/** F = ceil(c * q * feePpm / (D * 10^6)), the nominal fee of closing c at price q. */
function nominalFee(c: i64, q: i64, feePpm: u64, d6: i64, invD: f64): i64 {
  const est = <f64>c * <f64>q * invD * (<f64>feePpm * 1e-6);
  if (est <= FAST_LIMIT) return mulDivCeilFast(c, q * <i64>feePpm, d6, est);
  return requirementCeilExact(<u64>c, <u64>q, feePpm, <u64>(d6 / 1_000_000), SCRATCH);
}

/**
 * Computes the outcome of a close (docs/FORMULAS.md, "Executing one close") without writing:
 * `mmPosQuote` is the position's MM now, `equityQuote` and `mmGroupQuote` the group's. Fills `out`;
 * false on overflow. Requires 0 < |dBase| <= |sizeBase| with the opposite sign, and a valid price.
 */
export function closeOutcome(out: CloseOutcome, market: u32, sizeBase: i64, quote: i64, snap: i64, dBase: i64, priceQuote: i64, equityQuote: i64, mmGroupQuote: i64, mmPosQuote: i64, floorPpm: u64, feePpm: u64, sharePpm: i64): bool {
  return closeSetup(market, sizeBase, quote, snap, equityQuote, mmGroupQuote, mmPosQuote) && closeBy(out, dBase, priceQuote, equityQuote, floorPpm, feePpm, sharePpm);
}

// What a close depends on besides its size and price, from closeSetup (planning probes many sizes
// of one position: these are computed once).
let cMarket: u32 = 0, cSize: i64 = 0, cQuote: i64 = 0, cOwed: i64 = 0, cValue: i64 = 0, cShare: i64 = 0;
let cMark: i64 = 0, cScale: i64 = 0, cInvD: f64 = 0, cMarkOverD: f64 = 0, cInvSize: f64 = 0;

/** The size-independent part of a close of this position: funding owed, v_i, the equity share E_i. */
export function closeSetup(market: u32, sizeBase: i64, quote: i64, snap: i64, equityQuote: i64, mmGroupQuote: i64, mmPosQuote: i64): bool {
  const size = sizeBase;
  const mkt = marketPtr(market);
  cMarket = market; cSize = size; cQuote = quote;
  cMark = load<i64>(mkt, MarketRecord.mark); cScale = load<i64>(mkt, MarketRecord.d);
  cInvD = load<f64>(mkt, MarketRecord.invD); cMarkOverD = load<f64>(mkt, MarketRecord.markOverD);
  cInvSize = 1.0 / Math.abs(<f64>size);
  const indexDelta = sideIndex(market, size) - snap;
  cOwed = overD(size, indexDelta, cScale, <f64>size * <f64>indexDelta * cInvD, true);
  cValue = overD(size, cMark, cScale, <f64>size * cMarkOverD, false);
  cShare = equityShare(equityQuote, mmPosQuote, mmGroupQuote);
  return cOwed != OVERFLOWED && cValue != OVERFLOWED && cShare != OVERFLOWED;
}

/** The outcome of closing the set-up position by dBase at priceQuote (the group at equity E), into `out`. */
export function closeBy(out: CloseOutcome, dBase: i64, priceQuote: i64, equityQuote: i64, floorPpm: u64, feePpm: u64, sharePpm: i64): bool {
  const d = dBase, q = priceQuote, equity = equityQuote;
  const size = cSize, quote = cQuote, dScale = cScale, invD = cInvD;
  const c = absI(d), sizeAbs = absI(size);
  const after = size + d;
  const full = c == sizeAbs;
  const quoteClosed = full ? quote : fraction(quote, c, sizeAbs, <f64>quote * <f64>c * cInvSize, false);
  const cash = overD(-d, q, dScale, -<f64>d * <f64>q * invD, false);
  const vAfter = after == 0 ? 0 : overD(after, cMark, dScale, <f64>after * cMarkOverD, false);
  if (quoteClosed == OVERFLOWED || cash == OVERFLOWED || vAfter == OVERFLOWED) return false;
  // |quoteClosed|, |cash|, |v| < 2^62: these sums fit i64.
  const realized = quoteClosed + cash;
  const dE = cash + (vAfter - cValue);
  const slice = full ? cShare : fraction(cShare, c, sizeAbs, <f64>cShare * <f64>c * cInvSize, true);
  if (slice == OVERFLOWED) return false;
  const s = slice + dE, e1 = equity + dE;
  if ((((slice ^ s) & (dE ^ s)) | ((equity ^ e1) & (dE ^ e1))) < 0) return false;
  const nominal = feePpm == 0 ? 0 : nominalFee(c, q, feePpm, dScale * 1_000_000, invD);
  if (nominal == OVERFLOWED) return false;
  const fee = minI(nominal, minI(maxI(s, 0), maxI(e1, 0)));
  const liqFee = sharePpm == 0 ? 0 : fraction(fee, sharePpm, PPM, <f64>fee * <f64>sharePpm * 1e-6, false);
  // -S and -E' only matter when negative; S > i64.MIN since |slice|, |dE| < 2^63 - 2^62.
  const deficit = minI(maxI(-s, 0), maxI(-e1, 0));
  if (!positionTermsInline(cMarket, after, floorPpm, true)) return false;
  out.owedQuote = cOwed;
  out.realizedQuote = realized;
  out.quoteAfter = quote - quoteClosed;
  out.surplusQuote = s;
  out.feeQuote = fee;
  out.liqFeeQuote = liqFee;
  out.fundFeeQuote = fee - liqFee;
  out.deficitQuote = deficit;
  out.equityAfterQuote = e1 - fee + deficit;
  out.mmAfterQuote = TERMS.mmQuote;
  out.imAfterQuote = TERMS.imQuote;
  return true;
}

