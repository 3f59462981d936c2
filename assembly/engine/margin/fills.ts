/**
 * Fills, deposits, pre-trade checks and closing an account.
 *
 * A fill of `sizeDelta` base atoms at `price` (docs/FORMULAS.md, "Fills"):
 *   1. settle the position's funding: collateral -= ceil(size * (index - snapshot) / D);
 *   2. cash(d) = floor(-d * price / D), rounded against the trader;
 *   3. increase: quote += cash(d); reduce by c: quoteClosed = floor(quote * c / |size|),
 *      collateral += quoteClosed + cash(d), quote -= quoteClosed; flip: close all, open the rest;
 *   4. a position reaching size 0 moves its quote to collateral and is removed;
 *   5. the trading fee (docs/ECONOMICS.md): a taker's or maker's fee leaves the collateral for the
 *      market's fee pool (a maker rebate comes out of the pool).
 * Withdrawals are in economics/withdraw.ts (they settle PnL first when they need to).
 * `planFill` computes the outcome without writing; `applyFill` writes it; `preTrade` evaluates
 * the account as if it had been written. Isolated positions realize into their own collateral.
 */
import { AMOUNT_LIMIT, amountOf, mulDivRounded, OVERFLOWED, SHARE_LIMIT, sumAdd, sumStart } from '../../math/fixed';
import { col, Column, ISOLATED_TAG, i64At, marketPtr, maxIsolated, u32At, u16At } from '../../abi/layout';
import { CurveKind, Field, Health, PreTradeReason, Status } from '../../abi/status';
import { changed, addInactive, fail, isolatedFreeHead, isolatedLive, isolatedTop, NONE, PRETRADE_RECORD, retally, SCRATCH, setIsolatedFreeHead, setIsolatedLive, setIsolatedTop, untally } from '../state';
import { addOpenInterest, isMarket, refreshMarket, validPrice } from '../book/markets';
import { evaluateCross, evaluateCrossWith, evaluateIsolated, healthOf } from './check';
import { freeQuote, SUMS } from '../book/position';
import { ACCOUNT_CLOSED, addCrossSlot, canAddCross, checkAccount, fundingToSettle, releaseBlock, findCross, findIsolated, inRange, noteHolder, openInterestFits, removeCrossSlot, sideIndex } from '../book/book';
import { markAccount, markIsolated } from '../book/publish';
import { BalancesRecord, EconomicsRecord, MarketEconRecord, MarketRecord, PreTradeRecord, ProviderRecord, StakerRecord } from '../../abi/records';
import { addFlow, BALANCES, clearFlows, ECONOMICS, marketEconPtr, PROVIDERS, stakerPtr } from '../funds';
import { FlowKind, Liquidity } from '../../abi/status';

// Outcome of planFill.
let planSlot: u32 = NONE;       // existing slot (cross) or row (isolated), NONE if new
let planSizeBefore: i64 = 0;
let planSize: i64 = 0;
let planQuote: i64 = 0;
let planSnap: i64 = 0;
let planCollateral: i64 = 0;    // the group's collateral after the fill (cross or isolated)
let planFee: i64 = 0;           // the trading fee (> 0) or rebate (< 0) in planCollateral

/** Scratch for a collateral summed from its terms (sumStart / sumAdd / amountOf). */
const SUM: usize = memory.data(16, 8);

/**
 * cash(d) = floor(-d * price / D); OVERFLOWED outside i64. A trade's cash may be 2^62 or more (a price
 * far from the mark): the quote balance and collateral it lands in are range-checked instead.
 */
function cashFor(market: u32, sizeDelta: i64, price: i64): i64 {
  return mulDivRounded(-sizeDelta, price, load<i64>(marketPtr(market), MarketRecord.d), false, SCRATCH, SHARE_LIMIT);
}

/**
 * Computes the outcome of a fill on account a's cross position (isolated = false) or isolated
 * position in `market`, with `collateral` the group's collateral before the fill.
 * Returns Ok or an error (recorded); writes nothing to the book.
 */
function planFill(a: u32, market: u32, sizeDelta: i64, price: i64, isolated: bool, marginIn: i64, liquidity: u32): i32 {
  const known = checkAccount(a, -1);
  if (known != Status.Ok) return known;
  if (!isMarket(market)) return fail(Status.UnknownMarket, Field.MarketId, -1);
  if (sizeDelta == 0 || !inRange(sizeDelta)) return fail(Status.OutOfRange, Field.SizeBase, -1);
  if (!validPrice(price)) return fail(Status.InvalidPrice, Field.PriceQuote, -1);
  if (marginIn < 0 || !inRange(marginIn)) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  let size: i64 = 0, quote: i64 = 0, snap: i64 = 0, collateral: i64;
  if (isolated) {
    if (findCross(a, market) != NONE) return fail(Status.DuplicatePosition, Field.MarketId, -1);
    planSlot = findIsolated(a, market);
    if (planSlot != NONE) {
      size = load<i64>(i64At(Column.IsoSize, planSlot));
      quote = load<i64>(i64At(Column.IsoQuote, planSlot));
      snap = load<i64>(i64At(Column.IsoSnap, planSlot));
      collateral = load<i64>(i64At(Column.IsoCollateral, planSlot));
    } else {
      collateral = 0;
    }
  } else {
    if (marginIn != 0) return fail(Status.OutOfRange, Field.AmountQuote, -1);
    if (findIsolated(a, market) != NONE) return fail(Status.DuplicatePosition, Field.MarketId, -1);
    planSlot = findCross(a, market);
    if (planSlot != NONE) {
      size = load<i64>(i64At(Column.PosSize, planSlot));
      quote = load<i64>(i64At(Column.PosQuote, planSlot));
      snap = load<i64>(i64At(Column.PosSnap, planSlot));
    }
    collateral = load<i64>(i64At(Column.AccCollateral, a));
  }
  planSizeBefore = size;
  // The collateral's terms (each up to 2^62, a quote closed with its cash up to 2^63) are summed in
  // 128 bits and range-checked once at the end: no intermediate can wrap.
  sumStart(SUM, collateral);
  sumAdd(SUM, marginIn);
  // Step 1: settle funding.
  if (size != 0) {
    const owed = fundingToSettle(market, size, snap);
    if (owed == OVERFLOWED) return fail(Status.Overflow, Field.FundingSnapshot, -1);
    sumAdd(SUM, -owed);
  }
  // Steps 2-3.
  const after = size + sizeDelta;
  if (!inRange(after)) return fail(Status.OutOfRange, Field.SizeBase, -1);
  if (size == 0 || (size > 0) == (sizeDelta > 0)) {
    const cash = cashFor(market, sizeDelta, price);
    if (cash == OVERFLOWED) return fail(Status.Overflow, Field.Notional, -1);
    quote += cash;
  } else if (absI(sizeDelta) <= absI(size)) {
    // |closed| <= |quote| <= 2^62 (2^62 itself when the whole quote is closed).
    const closed = mulDivRounded(quote, absI(sizeDelta), absI(size), false, SCRATCH, SHARE_LIMIT);
    const cash = cashFor(market, sizeDelta, price);
    if (closed == OVERFLOWED || cash == OVERFLOWED) return fail(Status.Overflow, Field.Notional, -1);
    sumAdd(SUM, closed);
    sumAdd(SUM, cash);
    quote -= closed;
  } else {
    const closeCash = cashFor(market, -size, price);
    const openCash = cashFor(market, after, price);
    if (closeCash == OVERFLOWED || openCash == OVERFLOWED) return fail(Status.Overflow, Field.Notional, -1);
    sumAdd(SUM, quote);
    sumAdd(SUM, closeCash);
    quote = openCash;
  }
  // Step 4.
  if (after == 0) {
    sumAdd(SUM, quote);
    quote = 0;
  }
  // Step 5.
  if (liquidity > <u32>Liquidity.NoFee) return fail(Status.OutOfRange, Field.Kind, -1);
  const fee = liquidity == <u32>Liquidity.NoFee ? 0 : fillFee(market, absI(sizeDelta), price, load<i64>(marketPtr(market), MarketRecord.d), liquidity == <u32>Liquidity.Maker);
  if (fee == OVERFLOWED) return fail(Status.Overflow, Field.Notional, -1);
  if (!feePoolTakes(market, fee)) return fail(Status.Overflow, Field.AmountQuote, -1);
  sumAdd(SUM, -fee);
  planFee = fee;
  collateral = amountOf(SUM);
  if (!inRange(quote)) return fail(Status.Overflow, Field.QuoteBalance, -1);
  if (collateral == OVERFLOWED) return fail(Status.Overflow, Field.CollateralQuote, -1);
  if (after != 0 && mulDivRounded(after, load<i64>(marketPtr(market), MarketRecord.mark), load<i64>(marketPtr(market), MarketRecord.d), false, SCRATCH) == OVERFLOWED) {
    return fail(Status.Overflow, Field.Notional, -1);
  }
  if (!openInterestFits(market, size, after)) return fail(Status.Overflow, Field.SizeBase, -1);
  planSize = after;
  planQuote = quote;
  planSnap = sideIndex(market, after);
  planCollateral = collateral;
  return Status.Ok;
}

// @ts-ignore: decorator
@inline function absI(x: i64): i64 { return x < 0 ? -x : x; }

/**
 * The fee of a fill of |size| base atoms at `price` in market m, for a taker (`maker` false) or a
 * maker: > 0 charged to the trader, ceil(ceil(|size| * price / D) * ppm / 10^6); < 0 a rebate paid to
 * the maker, -floor(floor(|size| * price / D) * |ppm| / 10^6); OVERFLOWED when the notional passes
 * 2^62 (the fill is refused anyway). Rounding is against the trader both ways.
 */
function fillFee(m: u32, sizeAbs: i64, price: i64, d: i64, maker: bool): i64 {
  const e = marketEconPtr(m);
  const ppm = <i64>(maker ? load<i32>(e, MarketEconRecord.makerFeePpm) : load<i32>(e, MarketEconRecord.takerFeePpm));
  if (ppm == 0) return 0;
  const notional = mulDivRounded(sizeAbs, price, d, ppm > 0, SCRATCH, AMOUNT_LIMIT);
  return notional == OVERFLOWED ? OVERFLOWED : feeOnNotional(notional, ppm);
}

/**
 * The fee at `ppm` on a notional (0 ..= 2^62), rounded against the trader: ceil(notional * ppm /
 * 10^6) charged for ppm >= 0, -floor(notional * |ppm| / 10^6) paid for a rebate (|ppm| <= 10^6, so
 * it stays within the notional). Fills charge it on their notional; a simulated path on its volume.
 */
export function feeOnNotional(notional: i64, ppm: i64): i64 {
  if (ppm >= 0) return mulDivRounded(notional, ppm, PPM, true, SCRATCH, AMOUNT_LIMIT);
  return -mulDivRounded(notional, -ppm, PPM, false, SCRATCH, AMOUNT_LIMIT);
}

/** Whether market m's fee pool can take `fee` (|pool| stays within 2^62). */
export function feePoolTakes(m: u32, fee: i64): bool {
  const after = load<i64>(marketEconPtr(m), MarketEconRecord.feePool) + fee;
  return after >= -AMOUNT_LIMIT && after <= AMOUNT_LIMIT;
}

const PPM: i64 = 1_000_000;

/**
 * Applies a fill. For an isolated fill, `marginIn` quote atoms move from cross collateral into the
 * isolated position first (refused if the cross book would fall below initial margin).
 * Returns an error if: the account or market is unknown or closed; the size delta is 0 or out of
 * range; the price is not in 1..2^62; the account holds the market the other way (cross vs
 * isolated: DuplicatePosition); an amount leaves the supported range (Overflow); there is no
 * room for a new position (CapacityExceeded); the margin transfer is refused (BelowInitialMargin).
 */
export function applyFill(a: u32, market: u32, sizeDelta: i64, price: i64, isolated: bool, marginIn: i64, liquidity: u32): i32 {
  if (liquidity > <u32>Liquidity.Maker) return fail(Status.OutOfRange, Field.Kind, -1); // NoFee is the core's own (ADL)
  return applyFillWith(a, market, sizeDelta, price, isolated, marginIn, liquidity);
}

/**
 * A fill of any liquidity, NoFee included (ADL's closes, waterfall/adl.ts); see applyFill. The fee
 * moves only once nothing can be refused any more.
 */
export function applyFillWith(a: u32, market: u32, sizeDelta: i64, price: i64, isolated: bool, marginIn: i64, liquidity: u32): i32 {
  clearFlows();
  const st = planFill(a, market, sizeDelta, price, isolated, marginIn, liquidity);
  if (st != Status.Ok) return st;
  if (isolated) {
    // Cross collateral after the transfer in, and after the position's collateral returns on a close.
    sumStart(SUM, load<i64>(i64At(Column.AccCollateral, a)));
    sumAdd(SUM, -marginIn);
    sumAdd(SUM, planSize == 0 ? planCollateral : 0);
    if (amountOf(SUM) == OVERFLOWED) return fail(Status.Overflow, Field.CollateralQuote, -1);
    if (marginIn != 0) {
      const cross = load<i64>(i64At(Column.AccCollateral, a)) - marginIn;
      if (!inRange(cross)) return fail(Status.Overflow, Field.CollateralQuote, -1);
      if (!evaluateCross(a, cross)) return fail(Status.Overflow, Field.AccountId, <i32>a);
      if (SUMS.equityQuote < SUMS.imQuote) return fail(Status.BelowInitialMargin, Field.AmountQuote, -1);
    }
    let r = planSlot;
    if (r == NONE && planSize != 0) {
      r = takeIsolatedRow();
      if (r == NONE) return fail(Status.CapacityExceeded, Field.Capacity, -1);
      store<u32>(u32At(Column.IsoAccount, r), a);
      store<u16>(u16At(Column.IsoMarket, r), <u16>market);
      store<u8>(col(Column.IsoFlags) + <usize>r, 1);
      store<u8>(col(Column.IsoHealth) + <usize>r, <u8>Health.Inactive);
      markIsolated(r);
      addInactive(1, 1);
      store<u32>(u32At(Column.IsoNext, r), load<u32>(u32At(Column.AccIsoHead, a)));
      store<u32>(u32At(Column.AccIsoHead, a), r);
      noteHolder(market, r | ISOLATED_TAG);
    }
    takeFee(a, market);
    store<i64>(i64At(Column.AccCollateral, a), load<i64>(i64At(Column.AccCollateral, a)) - marginIn);
    addOpenInterest(market, planSizeBefore, planSize);
    if (planSize == 0) {
      // Closed: the isolated collateral returns to the cross book.
      store<i64>(i64At(Column.AccCollateral, a), load<i64>(i64At(Column.AccCollateral, a)) + planCollateral);
      if (r != NONE) releaseIsolatedRow(a, r);
      return changed();
    }
    store<i64>(i64At(Column.IsoSize, r), planSize);
    store<i64>(i64At(Column.IsoQuote, r), planQuote);
    store<i64>(i64At(Column.IsoSnap, r), planSnap);
    store<i64>(i64At(Column.IsoCollateral, r), planCollateral);
    return changed();
  }
  let slot = planSlot;
  if (slot == NONE) {
    if (!canAddCross(a)) return fail(Status.CapacityExceeded, Field.Capacity, -1);
    slot = addCrossSlot(a);
    store<u16>(u16At(Column.PosMarket, slot), <u16>market);
    noteHolder(market, a);
  }
  takeFee(a, market);
  store<i64>(i64At(Column.AccCollateral, a), planCollateral);
  addOpenInterest(market, planSizeBefore, planSize);
  if (planSize == 0) {
    removeCrossSlot(a, slot);
    return changed();
  }
  store<i64>(i64At(Column.PosSize, slot), planSize);
  store<i64>(i64At(Column.PosQuote, slot), planQuote);
  store<i64>(i64At(Column.PosSnap, slot), planSnap);
  return changed();
}

/** Moves the planned fee into market m's fee pool (a rebate out of it) and writes its flow row. The
 * collateral it came from (or went to) is written with the fill. */
function takeFee(a: u32, m: u32): void {
  if (planFee == 0) return;
  const p = marketEconPtr(m) + MarketEconRecord.feePool;
  store<i64>(p, load<i64>(p) + planFee);
  addFlow(planFee > 0 ? FlowKind.TradingFee : FlowKind.Rebate, 0, 255, a, m, planFee > 0 ? planFee : -planFee, 0);
}

function takeIsolatedRow(): u32 {
  if (isolatedFreeHead != NONE) {
    const r = isolatedFreeHead;
    setIsolatedFreeHead(load<u32>(u32At(Column.IsoNext, r)));
    setIsolatedLive(isolatedLive + 1);
    return r;
  }
  if (isolatedTop >= maxIsolated) return NONE;
  const r = isolatedTop;
  setIsolatedTop(r + 1);
  setIsolatedLive(isolatedLive + 1);
  return r;
}

/** Unlinks row r from account a's list, drops it from the tallies and puts it on the free list. */
export function releaseIsolatedRow(a: u32, r: u32): void {
  let p = u32At(Column.AccIsoHead, a);
  while (load<u32>(p) != r) p = u32At(Column.IsoNext, load<u32>(p));
  store<u32>(p, load<u32>(u32At(Column.IsoNext, r)));
  const hp = col(Column.IsoHealth) + <usize>r;
  untally(1, <u32>load<u8>(hp));
  store<u8>(hp, <u8>Health.Inactive);
  markIsolated(r);
  store<u8>(col(Column.IsoFlags) + <usize>r, 0);
  store<i64>(i64At(Column.IsoSize, r), 0);
  store<u32>(u32At(Column.IsoNext, r), isolatedFreeHead);
  setIsolatedFreeHead(r);
  setIsolatedLive(isolatedLive - 1);
}

/**
 * Pre-trade check: would account a stay at or above initial margin after this fill? Evaluates the
 * group (cross book, or the isolated position) as if the fill had been applied, including its effect
 * on an open-interest scaled curve, and writes to PRETRADE_RECORD: equity, IM, MM, free (i64),
 * health (i32), reason (i32: PreTradeReason). Errors are those of `applyFill`; nothing is written
 * to the book.
 */
export function preTrade(a: u32, market: u32, sizeDelta: i64, price: i64, isolated: bool, marginIn: i64, liquidity: u32): i32 {
  if (liquidity > <u32>Liquidity.Maker) return fail(Status.OutOfRange, Field.Kind, -1);
  const st = planFill(a, market, sizeDelta, price, isolated, marginIn, liquidity);
  if (st != Status.Ok) return st;
  // The fill moves open interest; evaluate with the market as it would be, then restore it.
  const m = marketPtr(market);
  const oiLong = load<i64>(m, MarketRecord.oiLong), oiShort = load<i64>(m, MarketRecord.oiShort);
  addOpenInterest(market, planSizeBefore, planSize);
  let ok: bool;
  if (isolated) {
    ok = evaluateIsolated(a, market, planCollateral, planSize, planQuote, planSnap);
  } else {
    ok = evaluateCrossWith(a, planCollateral, market, planSize, planQuote, planSnap);
  }
  store<i64>(m, oiLong, MarketRecord.oiLong);
  store<i64>(m, oiShort, MarketRecord.oiShort);
  // Only the open-interest curve derives anything from open interest: restore its imf and products.
  if (load<u8>(m, MarketRecord.kind) == CurveKind.OpenInterest) refreshMarket(market);
  if (!ok) return fail(Status.Overflow, Field.AccountId, <i32>a);
  const free = freeQuote();
  store<i64>(PRETRADE_RECORD, SUMS.equityQuote, PreTradeRecord.equityQuote);
  store<i64>(PRETRADE_RECORD, SUMS.imQuote, PreTradeRecord.imQuote);
  store<i64>(PRETRADE_RECORD, SUMS.mmQuote, PreTradeRecord.mmQuote);
  store<i64>(PRETRADE_RECORD, free, PreTradeRecord.freeQuote);
  store<i32>(PRETRADE_RECORD, healthOf(SUMS.equityQuote, SUMS.imQuote, SUMS.mmQuote), PreTradeRecord.health);
  store<i32>(PRETRADE_RECORD, SUMS.equityQuote >= SUMS.imQuote ? PreTradeReason.Ok : PreTradeReason.BelowInitialMargin, PreTradeRecord.reason);
  return Status.Ok;
}

/** Adds collateral to account a. Returns an error if the account is unknown or closed, or the amount is not in 1..2^62 or the balance would pass 2^62. */
export function deposit(a: u32, amount: i64): i32 {
  const known = checkAccount(a, -1);
  if (known != Status.Ok) return known;
  if (amount <= 0 || !inRange(amount)) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  const after = load<i64>(i64At(Column.AccCollateral, a)) + amount;
  if (!inRange(after)) return fail(Status.Overflow, Field.CollateralQuote, -1);
  store<i64>(i64At(Column.AccCollateral, a), after);
  return changed();
}

/**
 * Whether account a holds shares of an insurance fund or of the backstop vault, or is the vault
 * account while providers hold shares of it (claims a closed account would strand).
 */
function holdsShares(a: u32): bool {
  const stakers = load<u32>(ECONOMICS, EconomicsRecord.stakers);
  for (let i: u32 = 0; i < stakers; i++) {
    if (load<u32>(stakerPtr(i), StakerRecord.account) == a && load<i64>(stakerPtr(i), StakerRecord.shares) != 0) return true;
  }
  if (a == load<u32>(BALANCES, BalancesRecord.vaultAccount) && load<i64>(BALANCES, BalancesRecord.totalShares) != 0) return true; // the vault itself
  const providers = load<u32>(BALANCES, BalancesRecord.providers);
  for (let i: u32 = 0; i < providers; i++) {
    const p = PROVIDERS + <usize>i * ProviderRecord.BYTES;
    if (load<u32>(p, ProviderRecord.account) == a && load<i64>(p, ProviderRecord.shares) != 0) return true;
  }
  return false;
}

/**
 * Closes account a, paying out its collateral (written to the pre-trade record's equityQuote). Refused if it
 * holds positions (AccountHasPositions), its collateral is negative (NegativeCollateral), or it holds
 * insurance-fund stake or vault shares (AccountHasStake: they would be held by no open account).
 */
export function closeAccount(a: u32): i32 {
  const known = checkAccount(a, -1);
  if (known != Status.Ok) return known;
  if (load<u32>(u32At(Column.AccPosLen, a)) != 0 || load<u32>(u32At(Column.AccIsoHead, a)) != NONE) return fail(Status.AccountHasPositions, Field.AccountId, <i32>a);
  if (holdsShares(a)) return fail(Status.AccountHasStake, Field.Shares, <i32>a);
  const coll = load<i64>(i64At(Column.AccCollateral, a));
  if (coll < 0) return fail(Status.NegativeCollateral, Field.CollateralQuote, <i32>a);
  store<i64>(PRETRADE_RECORD, coll, PreTradeRecord.equityQuote);
  store<i64>(i64At(Column.AccCollateral, a), 0);
  store<u8>(col(Column.AccFlags) + <usize>a, ACCOUNT_CLOSED);
  const hp = col(Column.AccHealth) + <usize>a;
  retally(0, <u32>load<u8>(hp), Health.Inactive);
  store<u8>(hp, <u8>Health.Inactive);
  markAccount(a);
  releaseBlock(a);
  return changed();
}
