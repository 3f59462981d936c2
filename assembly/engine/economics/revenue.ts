/**
 * Trading fees and the revenue split (docs/ECONOMICS.md, "Trading fees and the revenue split").
 *
 * Fees are charged on fills (margin/fills.ts, fillFee) into the market's fee pool: a taker fee, or a maker fee
 * that may be negative (a rebate, paid out of the pool). `distributeRevenue` empties each market's
 * positive fee pool through the trading-fee row of the split, and re-routes the fund fees of its
 * liquidations (already in the insurance fund: the liquidation-revenue marker says how much) through
 * the liquidation-fee row:
 *
 *   share_d = floor(pool * split[source][d] / 10^6)     for each destination d
 *   insurance fund  -> the fund the market pays into (its balance; every share holder gains)
 *   backstop vault  -> the vault account's collateral (its NAV; the treasury when there is no vault)
 *   stakers         -> the fund's stakers' revenue pool (settled into the fund per period, capped)
 *   treasury        -> the venue's treasury
 *   PnL pool        -> the market's PnL pool (what settled winners are paid from)
 *
 * Trading fees: what the floors leave (pool - sum of shares, < 5 atoms) goes to the residue balance.
 * The funding skim (accrueFunding: what the receivers' index does not move, times the smaller side's
 * open interest) is distributed exactly like trading fees, through its own row, from the skim pool.
 * Liquidation fees: the shares other than the insurance fund's move out of the fund; the fund keeps
 * its share and the floors' remainder; the marker counts at most the fund's balance (a fund the
 * waterfall drew on re-routes only what is left).
 */
import { addAmount, AMOUNT_LIMIT, INDEX_LIMIT, mulDivRounded, OVERFLOWED } from '../../math/fixed';
import { addWide } from '../../math/wide';
import { Column, i64At, marketPtr, u8At } from '../../abi/layout';
import { BalancesRecord, EconomicsRecord, FLOW_ROWS, FundStakeRecord, MarketEconRecord, MarketRecord } from '../../abi/records';
import { Destination, DESTINATIONS, Field, FlowKind, RevenueSource, SOURCES, Status } from '../../abi/status';
import { accountCount, changed, clearError, fail, marketCount, NONE, SCRATCH, setPlanRehearsed } from '../state';
import { addFlow, BALANCES, clearFlows, ECONOMICS, fundOf, fundStakePtr, ledgerCheck, ledgerMark, marketEconPtr, splitPtr } from '../funds';
import { isMarket } from '../book/markets';
import { ACCOUNT_ACTIVE } from '../book/book';
import { backstopVaultAccount } from '../waterfall/parties';

const PPM: i64 = 1_000_000;
/** Flow rows one market's distribution may write: every destination of every source, and two remainders. */
const ROWS_PER_MARKET: u32 = SOURCES * DESTINATIONS + 2;
const NO_CODE: u32 = 255;

/**
 * Sets market m's fees: taker in 0..10^6 ppm, maker in -taker..10^6 (a rebate at most the taker fee,
 * so a matched pair never pays out more than it brings in). Errors: UnknownMarket; InvalidEconomics
 * naming TakerFeePpm or MakerFeePpm.
 */
export function setMarketFees(m: u32, makerPpm: i32, takerPpm: i32): i32 {
  clearError();
  if (!isMarket(m)) return fail(Status.UnknownMarket, Field.MarketId, -1);
  if (takerPpm < 0 || <i64>takerPpm > PPM) return fail(Status.InvalidEconomics, Field.TakerFeePpm, -1);
  if (makerPpm < -takerPpm || <i64>makerPpm > PPM) return fail(Status.InvalidEconomics, Field.MakerFeePpm, -1);
  store<i32>(marketEconPtr(m), makerPpm, MarketEconRecord.makerFeePpm);
  store<i32>(marketEconPtr(m), takerPpm, MarketEconRecord.takerFeePpm);
  return Status.Ok;
}

/**
 * Sets one source's row of the split (ppm to the insurance fund, the backstop vault, the stakers, the
 * treasury, the PnL pool), which must sum to 10^6. Errors: InvalidEconomics naming RevenueSource (an
 * unknown source) or SplitPpm (row: the source) when a share passes 10^6 or the row does not sum.
 */
export function setRevenueSplit(source: u32, fund: u32, vault: u32, stakers: u32, treasury: u32, pnlPool: u32): i32 {
  clearError();
  if (source >= SOURCES) return fail(Status.InvalidEconomics, Field.RevenueSource, -1);
  const row = <i32>source;
  if (<i64>fund > PPM || <i64>vault > PPM || <i64>stakers > PPM || <i64>treasury > PPM || <i64>pnlPool > PPM) return fail(Status.InvalidEconomics, Field.SplitPpm, row);
  if (<i64>fund + vault + stakers + treasury + pnlPool != PPM) return fail(Status.InvalidEconomics, Field.SplitPpm, row);
  store<u32>(splitPtr(source, Destination.InsuranceFund), fund);
  store<u32>(splitPtr(source, Destination.BackstopVault), vault);
  store<u32>(splitPtr(source, Destination.Stakers), stakers);
  store<u32>(splitPtr(source, Destination.Treasury), treasury);
  store<u32>(splitPtr(source, Destination.PnlPool), pnlPool);
  return Status.Ok;
}

/**
 * Adds fees the venue charged outside the engine (its matching engine's own schedule, or a
 * simulation's volume) to market m's fee pool: new money into the venue. Errors: UnknownMarket;
 * OutOfRange (AmountQuote) for an amount outside 1..2^62; Overflow when the pool would pass 2^62.
 */
export function collectFees(m: u32, amount: i64, nowSec: i64): i32 {
  clearError();
  clearFlows();
  if (!isMarket(m)) return fail(Status.UnknownMarket, Field.MarketId, -1);
  if (amount <= 0 || amount > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  if (nowSec < 0 || nowSec > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.NowSec, -1);
  const e = marketEconPtr(m);
  const pool = load<i64>(e, MarketEconRecord.feePool) + amount;
  if (pool > AMOUNT_LIMIT) return fail(Status.Overflow, Field.AmountQuote, -1);
  ledgerMark();
  store<i64>(e, pool, MarketEconRecord.feePool);
  addFlow(FlowKind.TradingFee, RevenueSource.TradingFees, NO_CODE, NONE, m, amount, nowSec);
  ledgerCheck(amount, 'conservation: collected fees enter the venue');
  return Status.Ok;
}

/** The moves of the last fundingMove: the long index's, the short index's, and the skim (quote atoms). */
export let movedLong: i64 = 0, movedShort: i64 = 0, movedSkim: i64 = 0;

/**
 * One funding accrual of market m at rate r ppm (signed, |r| <= 10^6; r > 0: longs pay) with a skim
 * of k ppm (0..10^6), computed and checked, nothing stored (docs/ECONOMICS.md, "Funding skim"):
 *   delta   = floor(mark * r / 10^6)                 (signed, toward minus infinity: the payers' move)
 *   |moveR| = floor(|delta| * (10^6 - k) / 10^6)     (the receivers' move, rounded against them)
 *   r > 0: fundingLong += delta, fundingShort += |moveR|;  r < 0: fundingShort += delta, fundingLong -= |moveR|
 *   skim    = floor(min(oiLong, oiShort) * (|delta| - |moveR|) / D)
 * into movedLong, movedShort, movedSkim. Status Ok, or Overflow when an index would leave
 * +-INDEX_LIMIT or the skim pool would pass 2^62 (the caller names the field).
 */
export function fundingMove(m: u32, rate: i64, k: i64): i32 {
  movedLong = 0; movedShort = 0; movedSkim = 0;
  if (rate == 0) return Status.Ok;
  const mkt = marketPtr(m);
  const delta = mulDivRounded(load<i64>(mkt, MarketRecord.mark), rate, PPM, false, SCRATCH);
  if (delta == OVERFLOWED) return Status.Overflow;
  const mag = delta < 0 ? -delta : delta;
  const recv = mulDivRounded(mag, PPM - k, PPM, false, SCRATCH);
  const l = rate > 0 ? delta : -recv, s = rate > 0 ? recv : delta;
  const nl = load<i64>(mkt, MarketRecord.fundingLong) + l, ns = load<i64>(mkt, MarketRecord.fundingShort) + s;
  if (nl < -INDEX_LIMIT || nl > INDEX_LIMIT || ns < -INDEX_LIMIT || ns > INDEX_LIMIT) return Status.Overflow;
  const oiL = load<i64>(mkt, MarketRecord.oiLong), oiS = load<i64>(mkt, MarketRecord.oiShort);
  const skim = mulDivRounded(oiL < oiS ? oiL : oiS, mag - recv, load<i64>(mkt, MarketRecord.d), false, SCRATCH);
  if (skim == OVERFLOWED || addAmount(load<i64>(marketEconPtr(m), MarketEconRecord.skimPool), skim) == OVERFLOWED) return Status.Overflow;
  movedLong = l; movedShort = s; movedSkim = skim;
  return Status.Ok;
}

/** Applies the last fundingMove to market m: its indices and its skim pool. */
export function applyFundingMove(m: u32): void {
  const mkt = marketPtr(m), e = marketEconPtr(m);
  store<i64>(mkt, load<i64>(mkt, MarketRecord.fundingLong) + movedLong, MarketRecord.fundingLong);
  store<i64>(mkt, load<i64>(mkt, MarketRecord.fundingShort) + movedShort, MarketRecord.fundingShort);
  store<i64>(e, load<i64>(e, MarketEconRecord.skimPool) + movedSkim, MarketEconRecord.skimPool);
}

/**
 * Accrues one period of funding in market m at rate `ratePpm` (signed; r > 0: longs pay) keeping
 * `skimPpm` of the receivers' move as revenue into the market's skim pool (fundingMove); answer0,
 * answer1 are the long and short indices' moves, answer2 the skim. Errors: UnknownMarket;
 * InvalidEconomics naming FundingRatePpm (|r| > 10^6) or SkimPpm (k outside 0..10^6); OutOfRange
 * (NowSec); Overflow naming FundingRatePpm (an index past +-2^61, or the skim pool past 2^62).
 */
export function accrueFunding(m: u32, ratePpm: i32, skimPpm: i32, nowSec: i64): i32 {
  clearError();
  clearFlows();
  if (!isMarket(m)) return fail(Status.UnknownMarket, Field.MarketId, -1);
  if (<i64>ratePpm < -PPM || <i64>ratePpm > PPM) return fail(Status.InvalidEconomics, Field.FundingRatePpm, -1);
  if (skimPpm < 0 || <i64>skimPpm > PPM) return fail(Status.InvalidEconomics, Field.SkimPpm, -1);
  if (nowSec < 0 || nowSec > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.NowSec, -1);
  const st = fundingMove(m, <i64>ratePpm, <i64>skimPpm);
  if (st != Status.Ok) return fail(st, Field.FundingRatePpm, -1);
  ledgerMark();
  applyFundingMove(m);
  if (movedSkim > 0) addFlow(FlowKind.FundingSkim, RevenueSource.FundingSkim, NO_CODE, NONE, m, movedSkim, nowSec);
  ledgerCheck(movedSkim, 'conservation: a funding skim enters the venue');
  store<i64>(ECONOMICS, movedLong, EconomicsRecord.answer0);
  store<i64>(ECONOMICS, movedShort, EconomicsRecord.answer1);
  store<i64>(ECONOMICS, movedSkim, EconomicsRecord.answer2);
  if (movedLong != 0 || movedShort != 0) return changed();
  return Status.Ok;
}

// The shares of one market's distribution, by destination (filled by planMarket, applied by applyMarket).
const TRADING = memory.data(<i32>(DESTINATIONS << 3), 8);
const LIQUIDATION = memory.data(<i32>(DESTINATIONS << 3), 8);
const SKIM = memory.data(<i32>(DESTINATIONS << 3), 8);
let tradingPool: i64 = 0, tradingRest: i64 = 0, liquidationBase: i64 = 0, skimPool: i64 = 0, skimRest: i64 = 0;

// @ts-ignore: decorator
@inline function share(table: usize, d: u32): i64 { return load<i64>(table + (<usize>d << 3)); }

/** The account the vault's shares go to: the backstop vault's while it is open, or NONE (then they go to the treasury). */
export function vaultTarget(): u32 {
  const v = backstopVaultAccount();
  return v < accountCount && load<u8>(u8At(Column.AccFlags, v)) == ACCOUNT_ACTIVE ? v : NONE;
}

/** Computes market m's shares into TRADING and LIQUIDATION and checks every destination can take them. */
function planMarket(m: u32): i32 {
  const e = marketEconPtr(m), fund = fundOf(m);
  tradingPool = load<i64>(e, MarketEconRecord.feePool);
  if (tradingPool < 0) tradingPool = 0;
  const balance = load<i64>(i64At(Column.FundBalance, fund));
  liquidationBase = min(load<i64>(e, MarketEconRecord.liquidationRevenue), balance);
  if (liquidationBase < 0) liquidationBase = 0;
  skimPool = load<i64>(e, MarketEconRecord.skimPool);
  let moved: i64 = 0, out: i64 = 0, skimmed: i64 = 0;
  for (let d: u32 = 0; d < DESTINATIONS; d++) {
    const t = mulDivRounded(tradingPool, <i64>load<u32>(splitPtr(RevenueSource.TradingFees, d)), PPM, false, SCRATCH, AMOUNT_LIMIT);
    const l = d == Destination.InsuranceFund ? 0 : mulDivRounded(liquidationBase, <i64>load<u32>(splitPtr(RevenueSource.LiquidationFees, d)), PPM, false, SCRATCH, AMOUNT_LIMIT);
    store<i64>(TRADING + (<usize>d << 3), t);
    const k = mulDivRounded(skimPool, <i64>load<u32>(splitPtr(RevenueSource.FundingSkim, d)), PPM, false, SCRATCH, AMOUNT_LIMIT);
    store<i64>(LIQUIDATION + (<usize>d << 3), l);
    store<i64>(SKIM + (<usize>d << 3), k);
    moved += t; out += l; skimmed += k;
  }
  tradingRest = tradingPool - moved;
  skimRest = skimPool - skimmed;
  // Each destination's balance after both sources' shares (a fund: + trading - liquidation moved out).
  const row = <i32>m;
  if (balance + share(TRADING, Destination.InsuranceFund) + share(SKIM, Destination.InsuranceFund) - out > AMOUNT_LIMIT) return fail(Status.Overflow, Field.FundId, row);
  const vaultAmount = share(TRADING, Destination.BackstopVault) + share(LIQUIDATION, Destination.BackstopVault) + share(SKIM, Destination.BackstopVault);
  const v = vaultTarget();
  let treasuryAmount = share(TRADING, Destination.Treasury) + share(LIQUIDATION, Destination.Treasury) + share(SKIM, Destination.Treasury);
  if (v == NONE) treasuryAmount += vaultAmount;
  else if (addAmount(load<i64>(i64At(Column.AccCollateral, v)), vaultAmount) == OVERFLOWED) return fail(Status.Overflow, Field.CollateralQuote, row);
  if (addAmount(load<i64>(ECONOMICS, EconomicsRecord.treasury), treasuryAmount) == OVERFLOWED) return fail(Status.Overflow, Field.AmountQuote, row);
  const stakers = share(TRADING, Destination.Stakers) + share(LIQUIDATION, Destination.Stakers) + share(SKIM, Destination.Stakers);
  if (addAmount(load<i64>(fundStakePtr(fund), FundStakeRecord.revenuePool), stakers) == OVERFLOWED) return fail(Status.Overflow, Field.FundId, row);
  const pnl = share(TRADING, Destination.PnlPool) + share(LIQUIDATION, Destination.PnlPool) + share(SKIM, Destination.PnlPool);
  if (addAmount(load<i64>(e, MarketEconRecord.pnlPool), pnl) == OVERFLOWED) return fail(Status.Overflow, Field.MarketId, row);
  return Status.Ok;
}

/** Moves market m's planned shares and writes their flow rows; whether anything moved. */
function applyMarket(m: u32, nowSec: i64): bool {
  const e = marketEconPtr(m), fund = fundOf(m), v = vaultTarget();
  const fb = i64At(Column.FundBalance, fund);
  for (let s: u32 = 0; s < SOURCES; s++) {
    const table = s == RevenueSource.TradingFees ? TRADING : (s == RevenueSource.LiquidationFees ? LIQUIDATION : SKIM);
    for (let d: u32 = 0; d < DESTINATIONS; d++) {
      const x = share(table, d);
      if (x == 0) continue;
      let to = d;
      if (s == RevenueSource.LiquidationFees) store<i64>(fb, load<i64>(fb) - x); // out of the fund it was paid into
      if (d == Destination.InsuranceFund) store<i64>(fb, load<i64>(fb) + x);
      else if (d == Destination.BackstopVault && v != NONE) {
        const p = i64At(Column.AccCollateral, v);
        store<i64>(p, load<i64>(p) + x);
      } else if (d == Destination.Stakers) {
        const p = fundStakePtr(fund) + FundStakeRecord.revenuePool;
        store<i64>(p, load<i64>(p) + x);
      } else if (d == Destination.PnlPool) {
        store<i64>(e, load<i64>(e, MarketEconRecord.pnlPool) + x, MarketEconRecord.pnlPool);
      } else {
        to = Destination.Treasury; // the treasury, or the vault's share when there is no vault
        store<i64>(ECONOMICS, load<i64>(ECONOMICS, EconomicsRecord.treasury) + x, EconomicsRecord.treasury);
      }
      addFlow(FlowKind.Distribution, s, to, d == Destination.BackstopVault && v != NONE ? v : NONE, m, x, nowSec);
    }
  }
  if (tradingRest > 0) {
    addWide(BALANCES + BalancesRecord.residue, tradingRest);
    addFlow(FlowKind.Rounding, RevenueSource.TradingFees, NO_CODE, NONE, m, tradingRest, nowSec);
  }
  if (skimRest > 0) {
    addWide(BALANCES + BalancesRecord.residue, skimRest);
    addFlow(FlowKind.Rounding, RevenueSource.FundingSkim, NO_CODE, NONE, m, skimRest, nowSec);
  }
  if (tradingPool > 0) store<i64>(e, load<i64>(e, MarketEconRecord.feePool) - tradingPool, MarketEconRecord.feePool);
  if (skimPool > 0) store<i64>(e, 0, MarketEconRecord.skimPool);
  store<i64>(e, 0, MarketEconRecord.liquidationRevenue);
  return tradingPool > 0 || liquidationBase > 0 || skimPool > 0;
}

/**
 * Distributes the revenue of markets first, first + 1, ... through the split, as many markets as
 * the flow rows hold; answer0 is the next market to distribute (marketCount when done). Each
 * market's distribution is all or nothing: one that would take a balance past 2^62 stops the call
 * with Overflow naming it (row: the market), after the markets before it were distributed.
 */
export function distributeRevenue(first: u32, nowSec: i64): i32 {
  clearError();
  clearFlows();
  if (first > marketCount) return fail(Status.UnknownMarket, Field.MarketId, -1);
  if (nowSec < 0 || nowSec > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.NowSec, -1);
  return distributeFrom(first, nowSec, true);
}

/**
 * Distributes markets from `first` on (all of them when `chunked` is false: a simulated path, which
 * writes no flow rows); answer0 is the next market. See distributeRevenue.
 */
export function distributeFrom(first: u32, nowSec: i64, chunked: bool): i32 {
  ledgerMark();
  let m = first, moved = false, st = Status.Ok;
  while (m < marketCount && (!chunked || load<u32>(ECONOMICS, EconomicsRecord.flows) + ROWS_PER_MARKET <= FLOW_ROWS)) {
    st = planMarket(m);
    if (st != Status.Ok) break;
    moved = applyMarket(m, nowSec) || moved;
    m++;
  }
  if (moved) {
    // A fund or the vault account changed: a waiting plan's fund fees were checked against the old
    // balances, and the vault account's results are stale.
    setPlanRehearsed(false);
    changed();
  }
  store<i64>(ECONOMICS, <i64>m, EconomicsRecord.answer0);
  ledgerCheck(0, 'conservation: a distribution moves money inside the venue');
  return st;
}

