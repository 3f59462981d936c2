/**
 * Markets: adding one (its spec converted from decimals and checked, tiers staged in the io
 * columns), reading one, and setting marks and funding indices in batches.
 */
import { describeValue, inputError } from '../errors.js';
import { listLength, orDefault, ownCode, toCount, toI64, toRecord } from '../atoms.js';
import { CURVE_KIND } from '../abi/codes.js';
import { Column } from '../abi/columns.js';
import type { EngineInternals } from '../abi/internals.js';
import { i64, u32 } from '../abi/records.js';
import type { AtomsInput, MarginTier, MarketSpec } from '../types.js';
import { feesOf } from '../economics/revenue.js';

/** The most decimals a market's base unit has (assembly/engine/book/markets.ts MAX_BASE_DECIMALS). */
const MAX_BASE_DECIMALS = 12;

/** A market's current state (RiskEngine.market). */
export interface MarketState {
  baseDecimals: number; markPrice: bigint; fundingIndexLong: bigint; fundingIndexShort: bigint;
  openInterestLongBase: bigint; openInterestShortBase: bigint; effectiveImfPpm: number;
}

/** Adds a market (RiskEngine.addMarket) and returns its id. */
export function addMarket(x: EngineInternals, spec: MarketSpec): number {
  const raw = x.raw;
  const q = x.quoteDecimals;
  const maxTiers = raw.abi.limits.maxTiers;
  toRecord(spec, 'market', 'InvalidNumber');
  const baseDecimals = toCount(spec.baseDecimals, 'baseDecimals', -1, MAX_BASE_DECIMALS);
  const mark = toI64(spec.markPrice, q, 'markPrice');
  const fl = toI64(orDefault(spec.fundingIndexLong, 0n), q, 'fundingIndexLong');
  const fs = toI64(orDefault(spec.fundingIndexShort, 0n), q, 'fundingIndexShort');
  const curve = toRecord(spec.curve, 'curve', 'InvalidCurve');
  const kindName: unknown = curve.kind;
  const kind = ownCode(CURVE_KIND, kindName);
  if (kind === undefined) throw inputError('InvalidCurve', 'curve', -1, `unknown curve kind ${describeValue(kindName)}; one of ${Object.keys(CURVE_KIND).join(', ')}`);
  let imf = 0, mmf = 0, premium = 0, lower = 0n, upper = 0n, tierCount = 0;
  if (kind === CURVE_KIND.tiers) {
    const tiers: unknown = (curve as { tiers?: unknown }).tiers;
    if (!Array.isArray(tiers)) throw inputError('InvalidCurve', 'tierCount', -1, 'tiers: expected an array of tiers');
    tierCount = tiers.length;
    if (tierCount < 1 || tierCount > maxTiers) throw inputError('InvalidCurve', 'tierCount', -1, `1..${maxTiers} tiers`);
    // The tiers' fractions: imf in IoU32[0..maxTiers), mmf in IoU32[maxTiers..2 maxTiers); floors in IoI64A.
    const io = raw.view(Uint32Array, Column.IoU32, 0, 2 * maxTiers);
    const floors = raw.view(BigInt64Array, Column.IoI64A, 0, maxTiers);
    (tiers as MarginTier[]).forEach((t, j) => {
      toRecord(t, 'tierCount', 'InvalidCurve');
      floors[j] = toI64(t.notionalFloorQuote, q, 'notionalFloorQuote', j);
      io[j] = toCount(t.imfPpm, 'imfPpm', j);
      io[maxTiers + j] = toCount(t.mmfPpm, 'mmfPpm', j);
    });
  } else {
    const c = curve as Partial<{ imfPpm: number; mmfPpm: number; premiumPpm: number; lowerCapQuote: AtomsInput; upperCapQuote: AtomsInput }>;
    imf = toCount(c.imfPpm, 'imfPpm');
    mmf = toCount(c.mmfPpm, 'mmfPpm');
    if (kind === CURVE_KIND.sizePremium) premium = toCount(c.premiumPpm, 'premiumPpm');
    if (kind === CURVE_KIND.openInterest) {
      lower = toI64(c.lowerCapQuote!, q, 'lowerCapQuote');
      upper = toI64(c.upperCapQuote!, q, 'upperCapQuote');
    }
  }
  const step = toI64(orDefault(spec.stepBase, 1n), baseDecimals, 'stepBase');
  const given: unknown = spec.insuranceFund;
  const fund = given === undefined ? 'global' : given;
  const next = raw.marketCount();
  const pool: unknown = typeof fund === 'object' && fund !== null && !Array.isArray(fund) ? (fund as { pool?: unknown }).pool : undefined;
  if (fund !== 'global' && fund !== 'own' && !(typeof pool === 'number' && Number.isInteger(pool) && pool >= 0 && pool < next)) {
    throw inputError('OutOfRange', 'fundId', -1, `insuranceFund must be 'global', 'own' or { pool: an earlier market's id }, got ${describeValue(fund)}`);
  }
  // Fund ids: 0 the global fund, 1 + id a market's own, 1 + the pool's first market for a pool.
  const fundId = fund === 'global' ? 0 : fund === 'own' ? next + 1 : raw.view(Uint16Array, Column.MarketFund, pool as number, 1)[0] || (pool as number) + 1;
  const fees = spec.fees === undefined ? undefined : feesOf(spec.fees);
  const id = raw.addMarket(baseDecimals, mark, fl, fs, kind, imf, mmf, premium, lower, upper, tierCount, step, fundId);
  x.decimalsByMarket[id] = baseDecimals;
  if (fees) raw.setMarketFees(id, fees[0], fees[1]);
  return id;
}

/** A market's current state, from its record (copies). */
export function market(x: EngineInternals, id: number): MarketState {
  const raw = x.raw; // refused first after dispose() and from a callback
  x.baseDecimals(id); // a known market id (UnknownMarket otherwise)
  const { view: r, at } = raw.marketRecord(id);
  return {
    baseDecimals: r.getUint8(at.decimals),
    markPrice: i64(r, at.mark),
    fundingIndexLong: i64(r, at.fundingLong),
    fundingIndexShort: i64(r, at.fundingShort),
    openInterestLongBase: i64(r, at.oiLong),
    openInterestShortBase: i64(r, at.oiShort),
    effectiveImfPpm: u32(r, at.imfEff),
  };
}

/** Sets mark prices of some markets at once (all or nothing). */
export function setMarks(x: EngineInternals, marketIds: ArrayLike<number>, prices: ArrayLike<AtomsInput>): void {
  const raw = x.raw;
  const n = listLength(marketIds, 'marketId');
  if (listLength(prices, 'markPrice') !== n) throw inputError('CountMismatch', 'markPrice', -1, 'one price per market id');
  if (n > raw.abi.limits.ioSmall) throw inputError('OutOfRange', 'marketId', -1, `at most ${raw.abi.limits.ioSmall.toLocaleString('en-US')} marks per call`);
  const ids = raw.view(Uint32Array, Column.IoU32, 0, n);
  const px = raw.view(BigInt64Array, Column.IoI64A, 0, n);
  for (let i = 0; i < n; i++) {
    ids[i] = toCount(marketIds[i], 'marketId', i);
    px[i] = toI64(prices[i]!, x.quoteDecimals, 'markPrice', i);
  }
  raw.setMarks(n);
}

/** Sets cumulative funding indices (longs and shorts) of some markets (all or nothing). */
export function setFundingIndices(x: EngineInternals, marketIds: ArrayLike<number>, longIndices: ArrayLike<AtomsInput>, shortIndices: ArrayLike<AtomsInput>): void {
  const raw = x.raw;
  const n = listLength(marketIds, 'marketId');
  if (listLength(longIndices, 'fundingIndexLong') !== n || listLength(shortIndices, 'fundingIndexShort') !== n) throw inputError('CountMismatch', 'fundingIndexLong', -1, 'one index pair per market id');
  if (n > raw.abi.limits.ioSmall) throw inputError('OutOfRange', 'marketId', -1, `at most ${raw.abi.limits.ioSmall.toLocaleString('en-US')} markets per call`);
  const ids = raw.view(Uint32Array, Column.IoU32, 0, n);
  const lo = raw.view(BigInt64Array, Column.IoI64A, 0, n);
  const sh = raw.view(BigInt64Array, Column.IoI64B, 0, n);
  for (let i = 0; i < n; i++) {
    ids[i] = toCount(marketIds[i], 'marketId', i);
    lo[i] = toI64(longIndices[i]!, x.quoteDecimals, 'fundingIndexLong', i);
    sh[i] = toI64(shortIndices[i]!, x.quoteDecimals, 'fundingIndexShort', i);
  }
  raw.setFundingIndices(n);
}
