/**
 * The markets of a simulated step (docs/SIMULATION.md, "Marks and impact"): each step's marks (the
 * path times the market's impact level) and funding, the execution prices of a round's closes (worse
 * than the mark by the impact of the notional closed in the market this step so far), and the
 * permanent part of a round's net flow, which moves the level the next step's marks carry.
 */
import { AMOUNT_LIMIT, INDEX_LIMIT, mulDivRounded, OVERFLOWED } from '../../math/fixed';
import { absU } from '../../math/wide';
import { col, Column, marketPtr, u16At, i64At } from '../../abi/layout';
import { Field, RowKind, Status } from '../../abi/status';
import { MarketRecord, SimHeaderRecord } from '../../abi/records';
import { bookChanged, fail, SCRATCH } from '../state';
import { refreshMarket } from '../book/markets';
import { Region, regionPtr } from './area';
import { recordEpoch } from './bounds';
import { applyFundingMove, fundingMove } from '../economics/revenue';

let header: usize = 0, pathPrices: usize = 0, rates: usize = 0;
let depth: usize = 0, level: usize = 0, closed: usize = 0, net: usize = 0;
let simMarkets: u32 = 0;

/** The prepared simulation's arrays (simPrepare). */
export function prepareImpact(markets: u32): void {
  header = regionPtr(Region.Header); pathPrices = regionPtr(Region.Path); rates = regionPtr(Region.Funding);
  depth = regionPtr(Region.Depth); level = regionPtr(Region.Level); closed = regionPtr(Region.Closed); net = regionPtr(Region.Net);
  simMarkets = markets;
}

/** A path starts: every market's level at 1 (10^9), nothing closed. */
export function resetLevels(): void {
  memory.fill(closed, 0, <usize>simMarkets << 3);
  for (let i: u32 = 0; i < simMarkets; i++) store<i64>(level + (<usize>i << 3), 1_000_000_000);
}

/** A step starts: nothing closed in it yet. */
export function clearClosed(): void { memory.fill(closed, 0, <usize>simMarkets << 3); }

/** A round starts: no net flow yet. */
export function clearNet(): void { memory.fill(net, 0, <usize>simMarkets << 3); }

/** Depth of each market: depthPpm of its open interest's notional (the larger side), at least 1 atom. */
export function prepareDepths(): void {
  const ppm = load<i64>(header, SimHeaderRecord.depthPpmOfOpenInterest);
  for (let i: u32 = 0; i < simMarkets; i++) {
    const mkt = marketPtr(i);
    const oiL = load<i64>(mkt, MarketRecord.oiLong), oiS = load<i64>(mkt, MarketRecord.oiShort);
    const oi = oiL > oiS ? oiL : oiS;
    let notional = mulDivRounded(oi, load<i64>(mkt, MarketRecord.mark), load<i64>(mkt, MarketRecord.d), false, SCRATCH);
    if (notional == OVERFLOWED) notional = AMOUNT_LIMIT;
    let d = mulDivRounded(notional, ppm, 1_000_000, false, SCRATCH);
    if (d == OVERFLOWED) d = AMOUNT_LIMIT;
    store<i64>(depth + (<usize>i << 3), d < 1 ? 1 : d);
  }
}

/** Marks of step t (path times level) and one step of funding; a new epoch. */
export function movePrices(t: u32): i32 {
  const row = pathPrices + <usize>t * simMarkets * 8;
  for (let i: u32 = 0; i < simMarkets; i++) {
    const o = <usize>i << 3;
    let mark = mulDivRounded(load<i64>(row + o), load<i64>(level + o), 1_000_000_000, false, SCRATCH);
    if (mark == OVERFLOWED || mark > AMOUNT_LIMIT) mark = AMOUNT_LIMIT;
    if (mark < 1) mark = 1;
    store<i64>(marketPtr(i), mark, MarketRecord.mark);
    refreshMarket(i);
  }
  const skim = <i64>load<u32>(header, SimHeaderRecord.fundingSkimPpm);
  for (let i: u32 = 0; i < simMarkets; i++) {
    const rate = load<i64>(rates + (<usize>i << 3));
    if (rate == 0) continue;
    if (skim > 0) {
      // The receivers' index moves less and the gap enters the skim pool (economics/revenue.ts, fundingMove).
      if (fundingMove(i, rate, skim) != Status.Ok) return fail(Status.InvalidScenario, Field.FundingRatePpm, <i32>i);
      applyFundingMove(i);
      continue;
    }
    const mkt = marketPtr(i);
    // floor(mark * rate / 10^6): toward minus infinity for negative rates.
    const delta = mulDivRounded(load<i64>(mkt, MarketRecord.mark), rate, 1_000_000, false, SCRATCH);
    const l = load<i64>(mkt, MarketRecord.fundingLong) + delta, s = load<i64>(mkt, MarketRecord.fundingShort) + delta;
    if (l < -INDEX_LIMIT || l > INDEX_LIMIT || s < -INDEX_LIMIT || s > INDEX_LIMIT) return fail(Status.InvalidScenario, Field.FundingRatePpm, <i32>i);
    store<i64>(mkt, l, MarketRecord.fundingLong);
    store<i64>(mkt, s, MarketRecord.fundingShort);
  }
  bookChanged();
  recordEpoch();
  return Status.Ok;
}

/**
 * Execution prices of the plan's closes: worse than the mark by the impact of the notional closed in
 * the market this step so far, this close included (module comment), rounded against the account.
 */
export function priceCloses(rows: u32): i32 {
  const slope = load<i64>(header, SimHeaderRecord.impactSlopePpm), cap = load<i64>(header, SimHeaderRecord.impactMaxPpm);
  for (let i: u32 = 0; i < rows; i++) {
    if (<u32>load<u8>(col(Column.LogKind) + <usize>i) != RowKind.Close) continue;
    const d = load<i64>(i64At(Column.LogSize, i));
    if (d == 0) continue;
    const mk = <u32>load<u16>(u16At(Column.LogMarket, i));
    const mkt = marketPtr(mk), o = <usize>mk << 3;
    const mark = load<i64>(mkt, MarketRecord.mark);
    let n = mulDivRounded(<i64>absU(d), mark, load<i64>(mkt, MarketRecord.d), false, SCRATCH);
    if (n == OVERFLOWED) n = AMOUNT_LIMIT;
    let c = load<i64>(closed + o) + n;
    if (c > AMOUNT_LIMIT) c = AMOUNT_LIMIT;
    store<i64>(closed + o, c);
    const sn = load<i64>(net + o) + (d > 0 ? n : -n);
    store<i64>(net + o, sn < -AMOUNT_LIMIT ? -AMOUNT_LIMIT : (sn > AMOUNT_LIMIT ? AMOUNT_LIMIT : sn));
    const impact = impactPpm(c, load<i64>(depth + o), slope, cap);
    if (impact == 0) continue;
    // Buys (closing shorts) pay more, rounded up; sells receive less, rounded down.
    let q = mulDivRounded(mark, d > 0 ? 1_000_000 + impact : 1_000_000 - impact, 1_000_000, d > 0, SCRATCH);
    if (q == OVERFLOWED || q > AMOUNT_LIMIT) q = AMOUNT_LIMIT;
    if (q < 1) q = 1;
    store<i64>(i64At(Column.LogPrice, i), q);
  }
  return Status.Ok;
}

// @ts-ignore: decorator
@inline function impactPpm(notional: i64, depthQuote: i64, slope: i64, cap: i64): i64 {
  let x = mulDivRounded(notional, slope, depthQuote, false, SCRATCH);
  if (x == OVERFLOWED || x > cap) x = cap;
  return x;
}

/** The round's net flow moves each market's level (from the next step on) by permanentPpm of its impact. */
export function moveLevels(): void {
  const slope = load<i64>(header, SimHeaderRecord.impactSlopePpm), cap = load<i64>(header, SimHeaderRecord.impactMaxPpm), permanent = load<i64>(header, SimHeaderRecord.impactPermanentPpm);
  if (permanent == 0) return;
  for (let i: u32 = 0; i < simMarkets; i++) {
    const o = <usize>i << 3;
    const f = load<i64>(net + o);
    if (f == 0) continue;
    const perm = mulDivRounded(impactPpm(<i64>absU(f), load<i64>(depth + o), slope, cap), permanent, 1_000_000, false, SCRATCH);
    if (perm == 0) continue;
    const lv = mulDivRounded(load<i64>(level + o), f > 0 ? 1_000_000 + perm : 1_000_000 - perm, 1_000_000, false, SCRATCH);
    store<i64>(level + o, lv < 1 ? 1 : lv);
  }
}

