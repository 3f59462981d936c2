/**
 * The market table: parameters, marks and funding indices, and everything derived from the mark
 * once per price change rather than once per position (tier size limits, f64 scale factors, the
 * open-interest scaled initial fraction).
 *
 * A market's curve is fixed when it is added; marks and funding indices change in batches. Every
 * batch is validated whole before anything is written, so a rejected batch changes nothing.
 */
import { AMOUNT_LIMIT, ceilDivU, INDEX_LIMIT } from '../../math/fixed';
import { openInterestImfPpm, PPM, SIZE_NEVER, tierSizeLimit } from '../../math/curves';
import { col, Column, MAX_TIERS, maxMarkets, maxTiers, marketPtr, u16At, tierPtr } from '../../abi/layout';
import { CurveKind, Field, Status } from '../../abi/status';
import { divModU128, mulWideU, REMAINDER } from '../../math/wide';
import { changed, fail, marketCount, SCRATCH, setMarketCount, setTierTop, tierTop } from '../state';

import { MarketRecord, TierRecord } from '../../abi/records';

/** The largest base-decimals value: keeps D * 10^6 <= 10^18 < 2^63. */
export const MAX_BASE_DECIMALS: u32 = 12;

// @ts-ignore: decorator
@inline function pow10(n: u32): i64 {
  let v: i64 = 1;
  for (let i: u32 = 0; i < n; i++) v *= 10;
  return v;
}

// @ts-ignore: decorator
@inline export function isMarket(m: u32): bool {
  return m < marketCount && load<u8>(marketPtr(m), MarketRecord.active) != 0;
}

// @ts-ignore: decorator
@inline export function validPrice(p: i64): bool {
  return p > 0 && p <= AMOUNT_LIMIT;
}

// @ts-ignore: decorator
@inline export function validIndex(x: i64): bool {
  return x >= -INDEX_LIMIT && x <= INDEX_LIMIT;
}

function checkFractions(imf: u32, mmf: u32): i32 {
  if (imf == 0 || imf > <u32>PPM) return fail(Status.InvalidCurve, Field.ImfPpm, -1);
  if (mmf == 0 || mmf > imf) return fail(Status.InvalidCurve, Field.MmfPpm, -1);
  return Status.Ok;
}

/**
 * Maintenance deductions of a tier table in the io area (floors L_j in IoI64A, mmf_j in IoU32[16+j]):
 *   ded_j = sum_{i=1..j} L_i * (mmf_i - mmf_{i-1}) / 10^6,
 * accumulated exactly in 128 bits. Writes each ded_j to the tier records at `tiers` when it is not 0.
 * Returns the first tier whose deduction is not a whole number of quote atoms (or does not fit
 * 2^62), or -1 when all are whole.
 */
function tierDeductions(count: u32, tiers: usize): i32 {
  const io = col(Column.IoU32), floors = col(Column.IoI64A);
  let hi: u64 = 0, lo: u64 = 0;
  for (let j: u32 = 0; j < count; j++) {
    if (j > 0) {
      const step = <u64>(load<u32>(io + ((16 + j) << 2)) - load<u32>(io + ((15 + j) << 2)));
      const pLo = mulWideU(<u64>load<i64>(floors + (j << 3)), step, SCRATCH);
      const sum = lo + pLo;
      hi += load<u64>(SCRATCH) + <u64>(sum < lo);
      lo = sum;
    }
    const dedLo = divModU128(hi, lo, PPM, SCRATCH);
    if (load<u64>(SCRATCH, REMAINDER) != 0 || load<u64>(SCRATCH) != 0 || dedLo > <u64>AMOUNT_LIMIT) return <i32>j;
    if (tiers != 0) store<i64>(tiers + <usize>j * TierRecord.BYTES, <i64>dedLo, TierRecord.deduction);
  }
  return -1;
}

/**
 * Adds a market. Tiers (kind Tiers) are read from the io area: floors in IoI64A, imf in IoU32[j],
 * mmf in IoU32[16 + j]. Returns Ok with the id in the error record's row slot, or an error.
 *
 * Returns an error if:
 * - the table is full (TooManyMarkets);
 * - baseDecimals > 12, the mark is not in 1..2^62, a funding index exceeds 2^61 (OutOfRange, InvalidPrice);
 * - stepBase is not in 1..2^62 (OutOfRange);
 * - the fractions are not 0 < mmf <= imf <= 10^6, tiers are not increasing from 0, mmf decreases
 *   across tiers, or a maintenance deduction is not a whole number of quote atoms (InvalidCurve).
 */
export function addMarket(
  baseDecimals: u32, mark: i64, fundingLong: i64, fundingShort: i64,
  kind: u32, imf: u32, mmf: u32, premiumPpm: u32, lowerCap: i64, upperCap: i64, tierCount: u32,
  stepBase: i64, fund: u32,
): i32 {
  if (marketCount >= maxMarkets) return fail(Status.TooManyMarkets, Field.MarketId, <i32>marketCount);
  if (baseDecimals > MAX_BASE_DECIMALS) return fail(Status.OutOfRange, Field.BaseDecimals, -1);
  if (!validPrice(mark)) return fail(Status.InvalidPrice, Field.MarkPrice, -1);
  if (!validIndex(fundingLong)) return fail(Status.OutOfRange, Field.FundingIndexLong, -1);
  if (!validIndex(fundingShort)) return fail(Status.OutOfRange, Field.FundingIndexShort, -1);
  if (kind > <u32>CurveKind.OpenInterest) return fail(Status.InvalidCurve, Field.CurveKind, -1);
  if (stepBase < 1 || stepBase > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.StepBase, -1);
  // fund: 0 the global fund, 1 + id its own, 1 + an earlier market's id that market's (a pool).
  if (fund > marketCount + 1) return fail(Status.UnknownMarket, Field.FundId, -1);
  const io = col(Column.IoU32);
  const floors = col(Column.IoI64A);
  if (kind == CurveKind.Tiers) {
    if (tierCount == 0 || tierCount > MAX_TIERS) return fail(Status.InvalidCurve, Field.TierCount, -1);
    if (tierTop + tierCount > maxTiers) return fail(Status.CapacityExceeded, Field.TierCount, -1);
    if (load<i64>(floors) != 0) return fail(Status.InvalidCurve, Field.NotionalFloorQuote, 0);
    for (let j: u32 = 0; j < tierCount; j++) {
      const tImf = load<u32>(io + (j << 2)), tMmf = load<u32>(io + ((16 + j) << 2));
      if (tImf == 0 || tImf > <u32>PPM) return fail(Status.InvalidCurve, Field.ImfPpm, <i32>j);
      if (tMmf == 0 || tMmf > tImf) return fail(Status.InvalidCurve, Field.MmfPpm, <i32>j);
      if (j > 0) {
        const floor = load<i64>(floors + (j << 3));
        if (floor <= load<i64>(floors + ((j - 1) << 3)) || floor > AMOUNT_LIMIT) return fail(Status.InvalidCurve, Field.NotionalFloorQuote, <i32>j);
        if (tMmf < load<u32>(io + ((15 + j) << 2))) return fail(Status.InvalidCurve, Field.MmfPpm, <i32>j);
      }
    }
    const bad = tierDeductions(tierCount, 0);
    if (bad >= 0) return fail(Status.InvalidCurve, Field.NotionalFloorQuote, bad);
  } else {
    const st = checkFractions(imf, mmf);
    if (st != Status.Ok) return st;
    if (kind == CurveKind.SizePremium && premiumPpm > <u32>PPM) return fail(Status.InvalidCurve, Field.PremiumPpm, -1);
    if (kind == CurveKind.OpenInterest) {
      if (lowerCap < 0 || lowerCap > AMOUNT_LIMIT) return fail(Status.InvalidCurve, Field.LowerCapQuote, -1);
      if (upperCap < 0 || upperCap > AMOUNT_LIMIT || (upperCap != 0 && upperCap <= lowerCap)) return fail(Status.InvalidCurve, Field.UpperCapQuote, -1);
    }
  }

  // Validated: write the record.
  const id = marketCount;
  const m = marketPtr(id);
  memory.fill(m, 0, MarketRecord.BYTES);
  const d = pow10(baseDecimals);
  store<i64>(m, mark, MarketRecord.mark);
  store<i64>(m, fundingLong, MarketRecord.fundingLong);
  store<i64>(m, fundingShort, MarketRecord.fundingShort);
  store<i64>(m, d, MarketRecord.d);
  store<i64>(m, d * 1_000_000, MarketRecord.d6);
  store<f64>(m, 1.0 / <f64>d, MarketRecord.invD);
  store<u8>(m, <u8>kind, MarketRecord.kind);
  store<u8>(m, <u8>baseDecimals, MarketRecord.decimals);
  store<u8>(m, 1, MarketRecord.active);
  store<u8>(m, fund != 0 ? 1 : 0, MarketRecord.ownFund);
  store<u16>(u16At(Column.MarketFund, id), <u16>fund);
  store<i64>(m, stepBase, MarketRecord.step);
  store<u32>(m, premiumPpm, MarketRecord.premium);
  store<i64>(m, lowerCap, MarketRecord.lower);
  store<i64>(m, upperCap, MarketRecord.upper);
  if (kind == CurveKind.Tiers) {
    store<u32>(m, load<u32>(io), MarketRecord.imf);
    store<u32>(m, load<u32>(io + 64), MarketRecord.mmf);
    store<u32>(m, tierCount, MarketRecord.tierCount);
    store<u32>(m, tierTop, MarketRecord.tierFirst);
    for (let j: u32 = 0; j < tierCount; j++) {
      const t = tierPtr(tierTop + j);
      store<i64>(t, load<i64>(floors + (j << 3)), TierRecord.floor);
      store<u32>(t, load<u32>(io + (j << 2)), TierRecord.imf);
      store<u32>(t, load<u32>(io + ((16 + j) << 2)), TierRecord.mmf);
    }
    tierDeductions(tierCount, tierPtr(tierTop));
    setTierTop(tierTop + tierCount);
  } else {
    store<u32>(m, imf, MarketRecord.imf);
    store<u32>(m, mmf, MarketRecord.mmf);
  }
  setMarketCount(id + 1);
  refreshMarket(id);
  fail(Status.Ok, Field.MarketId, <i32>id);
  return changed();
}

/**
 * Recomputes what depends on the mark or the open interest: f64 scale factors, tier size limits,
 * and the open-interest scaled initial fraction.
 */
export function refreshMarket(id: u32): void {
  const m = marketPtr(id);
  const mark = load<i64>(m, MarketRecord.mark);
  const d = load<i64>(m, MarketRecord.d);
  store<f64>(m, <f64>mark / <f64>d, MarketRecord.markOverD);
  store<f64>(m, <f64>mark / <f64>(d * 1_000_000), MarketRecord.markOverD6);
  const kind = load<u8>(m, MarketRecord.kind);
  if (kind == CurveKind.Tiers) {
    const first = load<u32>(m, MarketRecord.tierFirst), count = load<u32>(m, MarketRecord.tierCount);
    for (let j: u32 = 0; j < count; j++) {
      const t = tierPtr(first + j);
      store<i64>(t, tierSizeLimit(<u64>load<i64>(t, TierRecord.floor), <u64>d, <u64>mark, SCRATCH), TierRecord.sizeLimit);
    }
  } else if (kind == CurveKind.OpenInterest) {
    const oiLong = load<i64>(m, MarketRecord.oiLong), oiShort = load<i64>(m, MarketRecord.oiShort);
    const oi = oiLong > oiShort ? oiLong : oiShort;
    const imf = openInterestImfPpm(load<u32>(m, MarketRecord.imf), <u64>oi, <u64>mark, <u64>d, <u64>load<i64>(m, MarketRecord.lower), <u64>load<i64>(m, MarketRecord.upper), SCRATCH);
    store<u32>(m, <u32>imf, MarketRecord.imfEff);
  } else {
    store<u32>(m, load<u32>(m, MarketRecord.imf), MarketRecord.imfEff);
  }
  // The base fractions and their products with the mark, for the per-position fast path.
  let limit: i64 = SIZE_NEVER, baseImf: u32 = load<u32>(m, MarketRecord.imfEff), baseMmf: u32 = load<u32>(m, MarketRecord.mmf);
  if (kind == CurveKind.SizePremium) {
    limit = premiumBindingSize(baseImf, baseMmf, load<u32>(m, MarketRecord.premium), <u64>d);
  }
  if (kind == CurveKind.Tiers) {
    const t = tierPtr(load<u32>(m, MarketRecord.tierFirst));
    baseImf = load<u32>(t, TierRecord.imf);
    baseMmf = load<u32>(t, TierRecord.mmf);
    if (load<u32>(m, MarketRecord.tierCount) > 1) limit = load<i64>(t + TierRecord.BYTES, TierRecord.sizeLimit);
  }
  store<i64>(m, limit, MarketRecord.baseLimit);
  store<u32>(m, baseImf, MarketRecord.baseImf);
  store<u32>(m, baseMmf, MarketRecord.baseMmf);
  store<i64>(m, mark * <i64>baseImf, MarketRecord.markImf);
  store<i64>(m, mark * <i64>baseMmf, MarketRecord.markMmf);
  const markOverD6 = load<f64>(m, MarketRecord.markOverD6);
  store<f64>(m, markOverD6 * <f64>baseImf, MarketRecord.estImf);
  store<f64>(m, markOverD6 * <f64>baseMmf, MarketRecord.estMmf);
}

/**
 * The smallest |size| at which Drift's size premium can change a fraction; below it both fractions
 * are the base ones exactly, and positions take the batch loop's common path.
 *
 * The premium leaves f unchanged iff ceil(4f/5) + P <= f, i.e. P <= slack_f = f - ceil(4f/5).
 * With slack = min(slack_imf, slack_mmf) and P = ceilSqrt(ceil(k^2 |size| / D)):
 *   P <= slack  <=>  ceil(k^2 |size| / D) <= slack^2  <=>  |size| <= floor(slack^2 * D / k^2),
 * so the limit is floor(slack^2 * D / k^2) + 1 (SIZE_NEVER for k = 0 or beyond 2^62).
 */
function premiumBindingSize(imf: u32, mmf: u32, kPpm: u32, d: u64): i64 {
  if (kPpm == 0) return SIZE_NEVER;
  const slackImf = <u64>imf - ceilDivU(<u64>imf * 4, 5), slackMmf = <u64>mmf - ceilDivU(<u64>mmf * 4, 5);
  const slack = slackImf < slackMmf ? slackImf : slackMmf;
  const lo = mulWideU(slack * slack, d, SCRATCH); // slack <= 2e5: slack^2 <= 4e10, times D <= 1e12
  const q = divModU128(load<u64>(SCRATCH), lo, <u64>kPpm * <u64>kPpm, SCRATCH);
  if (load<u64>(SCRATCH) != 0 || q >= <u64>0x4000000000000000) return SIZE_NEVER;
  return <i64>q + 1;
}

/** Adds a signed size change to a market's open interest (longs and shorts kept apart). */
export function addOpenInterest(market: u32, sizeBefore: i64, sizeAfter: i64, refresh: bool = true): void {
  const m = marketPtr(market);
  let oiLong = load<i64>(m, MarketRecord.oiLong), oiShort = load<i64>(m, MarketRecord.oiShort);
  if (sizeBefore > 0) oiLong -= sizeBefore; else oiShort += sizeBefore;
  if (sizeAfter > 0) oiLong += sizeAfter; else oiShort -= sizeAfter;
  store<i64>(m, oiLong, MarketRecord.oiLong);
  store<i64>(m, oiShort, MarketRecord.oiShort);
  if (refresh && load<u8>(m, MarketRecord.kind) == CurveKind.OpenInterest) refreshMarket(market);
}

/** Refreshes every open-interest curve market (after a batch of deferred open-interest changes). */
export function refreshOpenInterestMarkets(): void {
  for (let id: u32 = 0; id < marketCount; id++) {
    if (load<u8>(marketPtr(id), MarketRecord.kind) == CurveKind.OpenInterest) refreshMarket(id);
  }
}

/**
 * Sets marks: market ids in IoU32[0..count), prices in IoI64A. All or nothing.
 * Returns an error if an id is unknown (UnknownMarket) or a price is not in 1..2^62 (InvalidPrice).
 */
export function setMarks(count: u32): i32 {
  const ids = col(Column.IoU32), prices = col(Column.IoI64A);
  for (let i: u32 = 0; i < count; i++) {
    if (!isMarket(load<u32>(ids + (i << 2)))) return fail(Status.UnknownMarket, Field.MarketId, <i32>i);
    if (!validPrice(load<i64>(prices + (i << 3)))) return fail(Status.InvalidPrice, Field.MarkPrice, <i32>i);
  }
  for (let i: u32 = 0; i < count; i++) {
    const id = load<u32>(ids + (i << 2));
    store<i64>(marketPtr(id), load<i64>(prices + (i << 3)), MarketRecord.mark);
    refreshMarket(id);
  }
  return changed();
}

/** Sets funding indices: ids in IoU32, long indices in IoI64A, short in IoI64B. All or nothing. */
export function setFundingIndices(count: u32): i32 {
  const ids = col(Column.IoU32), longs = col(Column.IoI64A), shorts = col(Column.IoI64B);
  for (let i: u32 = 0; i < count; i++) {
    if (!isMarket(load<u32>(ids + (i << 2)))) return fail(Status.UnknownMarket, Field.MarketId, <i32>i);
    if (!validIndex(load<i64>(longs + (i << 3)))) return fail(Status.OutOfRange, Field.FundingIndexLong, <i32>i);
    if (!validIndex(load<i64>(shorts + (i << 3)))) return fail(Status.OutOfRange, Field.FundingIndexShort, <i32>i);
  }
  for (let i: u32 = 0; i < count; i++) {
    const m = marketPtr(load<u32>(ids + (i << 2)));
    store<i64>(m, load<i64>(longs + (i << 3)), MarketRecord.fundingLong);
    store<i64>(m, load<i64>(shorts + (i << 3)), MarketRecord.fundingShort);
  }
  return changed();
}

// @ts-ignore: decorator
@inline function scaledPpm(f: u32, scalePpm: u32): u32 {
  const x = (<u64>f * scalePpm + 999_999) / 1_000_000;
  return x > <u64>PPM ? <u32>PPM : (x == 0 ? 1 : <u32>x);
}

/** Writes market m's tier table, scaled, to the io area (floors IoI64A, mmf IoU32[16 + j]) for tierDeductions. */
function stageScaledTiers(m: usize, scalePpm: u32): u32 {
  const first = load<u32>(m, MarketRecord.tierFirst), count = load<u32>(m, MarketRecord.tierCount);
  const io = col(Column.IoU32), floors = col(Column.IoI64A);
  for (let j: u32 = 0; j < count; j++) {
    const t = tierPtr(first + j);
    store<i64>(floors + (j << 3), load<i64>(t, TierRecord.floor));
    store<u32>(io + ((16 + j) << 2), scaledPpm(load<u32>(t, TierRecord.mmf), scalePpm));
  }
  return count;
}

/**
 * Scales every market's initial and maintenance fractions, and every tier's, by scalePpm / 10^6
 * (rounded up, at most 10^6, so mmf <= imf and tiers stay ordered); tier deductions are recomputed.
 * All or nothing. Errors: InvalidScenario (MarginScalePpm) for a scale outside 1..10^7; InvalidCurve
 * naming the market whose scaled deductions are not whole quote atoms.
 */
export function scaleMargins(scalePpm: u32): i32 {
  if (scalePpm == 0 || scalePpm > 10_000_000) return fail(Status.InvalidScenario, Field.MarginScalePpm, -1);
  for (let id: u32 = 0; id < marketCount; id++) {
    const m = marketPtr(id);
    if (load<u8>(m, MarketRecord.kind) != <u8>CurveKind.Tiers) continue;
    if (tierDeductions(stageScaledTiers(m, scalePpm), 0) >= 0) return fail(Status.InvalidCurve, Field.MarketId, <i32>id);
  }
  for (let id: u32 = 0; id < marketCount; id++) {
    const m = marketPtr(id);
    store<u32>(m, scaledPpm(load<u32>(m, MarketRecord.imf), scalePpm), MarketRecord.imf);
    store<u32>(m, scaledPpm(load<u32>(m, MarketRecord.mmf), scalePpm), MarketRecord.mmf);
    if (load<u8>(m, MarketRecord.kind) == <u8>CurveKind.Tiers) {
      const first = load<u32>(m, MarketRecord.tierFirst);
      const count = stageScaledTiers(m, scalePpm);
      for (let j: u32 = 0; j < count; j++) {
        const t = tierPtr(first + j);
        store<u32>(t, scaledPpm(load<u32>(t, TierRecord.imf), scalePpm), TierRecord.imf);
        store<u32>(t, scaledPpm(load<u32>(t, TierRecord.mmf), scalePpm), TierRecord.mmf);
        store<i64>(t, 0, TierRecord.deduction);
      }
      tierDeductions(count, tierPtr(first));
    }
    refreshMarket(id);
  }
  return changed();
}
