/**
 * Liquidation and bankruptcy prices of every position, in chunks (docs/FORMULAS.md, "Prices, per
 * position"). Each group's equity and MM come from the last full check when nothing changed since
 * (state.ts `resultsCurrent`), else from summing its positions afresh; every position gets one row in
 * the price columns, which hold PRICE_ROWS rows: a call covers whole accounts from `first` until the
 * next account would not fit, and says where it stopped.
 *
 * Every price the formulas define is computed for a group the check accepts: A0 and T can leave
 * i64 (math/prices.ts, "Range") and are then carried in 128 bits. A group whose own figures leave
 * i64 (the check refuses it with Overflow) has no prices: its rows say PRICE_UNDEFINED, and the
 * scan goes on with the next group.
 */
import { col, Column, PRICE_ROWS, marketPtr, u16At, i64At, u32At, tierPtr } from '../../abi/layout';
import { bankruptcyPrice, liquidationPrice, liquidationPriceWide, PRICE_NEVER, PRICE_UNDEFINED } from '../../math/prices';
import { addWide } from '../../math/wide';
import { mulDivCeilFast, mulDivExact, OVERFLOWED } from '../../math/fixed';
import { CurveKind, Field, Status } from '../../abi/status';
import { accountCount, fail, NONE, SCRATCH } from '../state';
import { positionTerms, positionTermsInline, SUMS, TERMS } from '../book/position';
import { crossFigures, isolatedFigures } from './check';
import { ACCOUNT_ACTIVE } from '../book/book';
import { I128_HI, MarketRecord, PricesRecord, TierRecord } from '../../abi/records';

/** rows written (u32), next account (u32). */
export const PRICES_RECORD: usize = memory.data(PricesRecord.BYTES);
/** Scratch for A0 in 128 bits when it leaves i64. */
const WIDE_A0: usize = memory.data(16, 8);

/**
 * E_i = ceil(E * MM_i / M): the position's share of its group's equity by maintenance margin
 * (M >= MM_i > 0). Exact; |E_i| <= |E|.
 */
// @ts-ignore: decorator
@inline export function equityShare(equity: i64, mmPos: i64, mmGroup: i64): i64 {
  return equityShareWith(equity, mmPos, mmGroup, 1.0 / <f64>mmGroup);
}

/** equityShare with 1/M computed once per group. */
// @ts-ignore: decorator
@inline export function equityShareWith(equity: i64, mmPos: i64, mmGroup: i64, invGroup: f64): i64 {
  if (mmPos == mmGroup) return equity;
  const est = <f64>equity * <f64>mmPos * invGroup;
  if (Math.abs(est) <= 281474976710656.0) return mulDivCeilFast(equity, mmPos, mmGroup, est);
  return mulDivExact(equity, mmPos, mmGroup, true, SCRATCH, u64.MAX_VALUE);
}

/** Liquidation and bankruptcy price of one position of a group (E, M); the two go to the globals. */
let priceLiq: i64 = 0;
let priceBank: i64 = 0;

/**
 * The liquidation price when A0 = (E - v) - (M - MM_i) (or a tier's B_j = A0 + ded_j) leaves i64:
 * A0 in 128 bits, then the same formulas (math/prices.ts, `liquidationPriceWide`). Out of line: the
 * common path stays small.
 */
function liquidationPriceOfWideA0(equity: i64, v: i64, others: i64, sizeAbs: u64, long: bool, d6: u64, mmf: u64, tiers: usize, tierCount: u32): i64 {
  store<i64>(WIDE_A0, equity); store<i64>(WIDE_A0, equity >> 63, I128_HI);
  addWide(WIDE_A0, -v);
  addWide(WIDE_A0, -others);
  const lo = load<u64>(WIDE_A0), hi = load<u64>(WIDE_A0, I128_HI);
  const negative = <i64>hi < 0;
  const mLo = negative ? <u64>0 - lo : lo, mHi = negative ? <u64>0 - hi - <u64>(lo != 0) : hi;
  return liquidationPriceWide(negative, mHi, mLo, sizeAbs, long, d6, mmf, tiers, tierCount, SCRATCH);
}

/** Prices from a position's terms (v, MM_i, mmf at |s|) and its group's equity and MM. */
// @ts-ignore: decorator
@inline function pricesFromTerms(market: u32, sizeBase: i64, v: i64, mm: i64, mmf: u64, equity: i64, mmGroup: i64, invGroup: f64): bool {
  if (sizeBase == 0) { priceLiq = PRICE_NEVER; priceBank = PRICE_NEVER; return true; } // only a quote balance
  // A0 = (E - v) - (M - MM_i), every step checked (M >= MM_i: M - MM_i fits).
  const ev = equity - v, others = mmGroup - mm;
  const a0 = ev - others;
  const mkt = marketPtr(market);
  let tiers: usize = 0, tierCount: u32 = 0;
  if (load<u8>(mkt, MarketRecord.kind) == CurveKind.Tiers) {
    tiers = tierPtr(load<u32>(mkt, MarketRecord.tierFirst));
    tierCount = load<u32>(mkt, MarketRecord.tierCount);
  }
  const sizeAbs = sizeBase < 0 ? <u64>(-sizeBase) : <u64>sizeBase;
  const invSize = 1.0 / Math.abs(<f64>sizeBase);
  const wide = (((equity ^ v) & (equity ^ ev)) | ((ev ^ others) & (ev ^ a0))) < 0;
  priceLiq = wide ? OVERFLOWED : liquidationPrice(a0, sizeAbs, sizeBase > 0, <u64>load<i64>(mkt, MarketRecord.d6), mmf, tiers, tierCount, invSize, SCRATCH);
  if (priceLiq == OVERFLOWED) priceLiq = liquidationPriceOfWideA0(equity, v, others, sizeAbs, sizeBase > 0, <u64>load<i64>(mkt, MarketRecord.d6), mmf, tiers, tierCount);
  const share = equityShareWith(equity, mm, mmGroup, invGroup);
  priceBank = share == OVERFLOWED ? OVERFLOWED : bankruptcyPrice(v, share, sizeBase, load<i64>(mkt, MarketRecord.d), invSize, SCRATCH);
  return priceLiq != OVERFLOWED && priceBank != OVERFLOWED;
}

// @ts-ignore: decorator
@inline function writeRow(row: u32, account: u32, market: u32, iso: u32, sizeBase: i64): void {
  store<u32>(u32At(Column.PriceAccount, row), account);
  store<u16>(u16At(Column.PriceMarket, row), <u16>market);
  store<u32>(u32At(Column.PriceIso, row), iso);
  store<i64>(i64At(Column.PriceSize, row), sizeBase);
  store<i64>(i64At(Column.PriceLiq, row), priceLiq);
  store<i64>(i64At(Column.PriceBank, row), priceBank);
}

/**
 * Prices of the positions of accounts [first, first + count), as many whole accounts as fit the
 * price columns. Writes rows and the next account to PRICES_RECORD. A group whose figures leave i64
 * gets PRICE_UNDEFINED in both prices of each of its rows.
 */
export function pricesRange(first: u32, count: u32): i32 {
  if (<u64>first + count > <u64>accountCount) return fail(Status.UnknownAccount, Field.AccountId, <i32>accountCount);
  let rows: u32 = 0;
  let a = first;
  const end = first + count;
  for (; a < end; a++) {
    if (load<u8>(col(Column.AccFlags) + <usize>a) != ACCOUNT_ACTIVE) continue;
    const off = <usize>a << 2;
    const start = load<u32>(col(Column.AccPosStart) + off), len = load<u32>(col(Column.AccPosLen) + off);
    let need = len;
    for (let r = load<u32>(col(Column.AccIsoHead) + off); r != NONE; r = load<u32>(u32At(Column.IsoNext, r))) need++;
    if (rows + need > PRICE_ROWS) break;
    const floorPpm = <u64>load<u32>(col(Column.AccFloorPpm) + off);
    if (len > 0) {
      // The group's equity and MM (the last full check's when nothing changed since), then one pass
      // over its positions: terms and prices.
      const defined = crossFigures(a, load<i64>(i64At(Column.AccCollateral, a)));
      const equity = SUMS.equityQuote, mmGroup = SUMS.mmQuote;
      const invGroup = 1.0 / <f64>mmGroup;
      // Column bases in locals: the loop body then loads only data.
      const posMarket = col(Column.PosMarket), posSize = col(Column.PosSize);
      const outAccount = col(Column.PriceAccount), outMarket = col(Column.PriceMarket), outIso = col(Column.PriceIso);
      const outSize = col(Column.PriceSize), outLiq = col(Column.PriceLiq), outBank = col(Column.PriceBank);
      for (let s = start; s < start + len; s++) {
        const market = <u32>load<u16>(posMarket + (<usize>s << 1));
        const size = load<i64>(posSize + (<usize>s << 3));
        if (!defined || !positionTermsInline(market, size, floorPpm, false) || !pricesFromTerms(market, size, TERMS.valueQuote, TERMS.mmQuote, TERMS.mmfPpm, equity, mmGroup, invGroup)) {
          priceLiq = PRICE_UNDEFINED; priceBank = PRICE_UNDEFINED;
        }
        const row = <usize>rows; rows++;
        store<u32>(outAccount + (row << 2), a);
        store<u16>(outMarket + (row << 1), <u16>market);
        store<u32>(outIso + (row << 2), NONE);
        store<i64>(outSize + (row << 3), size);
        store<i64>(outLiq + (row << 3), priceLiq);
        store<i64>(outBank + (row << 3), priceBank);
      }
    }
    for (let r = load<u32>(col(Column.AccIsoHead) + off); r != NONE; r = load<u32>(u32At(Column.IsoNext, r))) {
      const market = <u32>load<u16>(u16At(Column.IsoMarket, r));
      const size = load<i64>(i64At(Column.IsoSize, r));
      if (!isolatedFigures(a, r) || !positionTerms(market, size, floorPpm) || !pricesFromTerms(market, size, TERMS.valueQuote, TERMS.mmQuote, TERMS.mmfPpm, SUMS.equityQuote, SUMS.mmQuote, 1.0 / <f64>SUMS.mmQuote)) {
        priceLiq = PRICE_UNDEFINED; priceBank = PRICE_UNDEFINED;
      }
      writeRow(rows++, a, market, r, size);
    }
  }
  store<u32>(PRICES_RECORD, rows, PricesRecord.rows);
  store<u32>(PRICES_RECORD, a, PricesRecord.nextAccount);
  return Status.Ok;
}

