/**
 * The economics of a simulated path (docs/SIMULATION.md, "Revenue and risk-takers").
 *
 * Per step, after the step's liquidation rounds:
 *
 *   volume_m  = floor(floor(floor(oiLong_m * mark_m / D_m) * turnoverPpm / 10^6) * k / 10^6)
 *               k = crashMultiplierPpm on a step with liquidation closes, else 10^6
 *   revenue_m = ceil(volume_m * taker / 10^6) + maker fee (ceil at a positive maker fee, minus the
 *               floor of a rebate)
 *
 * enters market m's fee pool: the volume is traded by traders outside the simulated book (or by its
 * accounts flat), so it changes no position and its fees are new money into the venue. Every
 * `revenueEverySteps` steps the fee pools are distributed through the split (economics/revenue.ts)
 * and the stakers' pools settle into the funds where a settle period has passed (economics/staking.ts).
 * The step's metrics record the revenue, the treasury and the stakers' holdings at the step's end.
 *
 * With `stakedPpm` > 0 each fund is owned at the start of a path by its stakers for that share and by
 * the treasury for the rest (totalShares = the balance, stakerShares = floor(balance * stakedPpm /
 * 10^6)); without it the engine's own stakes stay.
 */
import { AMOUNT_LIMIT, mulDivRounded, OVERFLOWED } from '../../math/fixed';
import { Column, i64At, marketPtr } from '../../abi/layout';
import { EconomicsRecord, FundStakeRecord, MarketEconRecord, MarketRecord, SimHeaderRecord } from '../../abi/records';
import { Status } from '../../abi/status';
import { marketCount, SCRATCH } from '../state';
import { ECONOMICS, fundStakePtr, marketEconPtr } from '../funds';
import { distributeFrom } from '../economics/revenue';
import { feeOnNotional } from '../margin/fills';
import { settleStakingRevenue } from '../economics/staking';

const PPM: i64 = 1_000_000;

/** Sets the funds' ownership at the start of a path when the scenario gives the stakers' share. */
export function beginPathEconomics(header: usize): void {
  const staked = <i64>load<u32>(header, SimHeaderRecord.stakedPpm);
  if (staked == 0) return;
  for (let f: u32 = 0; f <= marketCount; f++) {
    const balance = load<i64>(i64At(Column.FundBalance, f)), p = fundStakePtr(f);
    store<i64>(p, balance, FundStakeRecord.totalShares);
    store<i64>(p, mulDivRounded(balance, staked, PPM, false, SCRATCH, AMOUNT_LIMIT), FundStakeRecord.stakerShares);
  }
}

/**
 * Step t's volume fees into the fee pools; returns the revenue (OVERFLOWED when a pool would pass
 * 2^62; the caller fails the path).
 */
export function chargeVolume(header: usize, crash: bool): i64 {
  const turnover = <i64>load<u32>(header, SimHeaderRecord.turnoverPpm);
  if (turnover == 0) return 0;
  const k = crash ? <i64>load<u32>(header, SimHeaderRecord.crashMultiplierPpm) : PPM;
  let revenue: i64 = 0;
  for (let m: u32 = 0; m < marketCount; m++) {
    const e = marketEconPtr(m), mp = marketPtr(m);
    const taker = <i64>load<i32>(e, MarketEconRecord.takerFeePpm), maker = <i64>load<i32>(e, MarketEconRecord.makerFeePpm);
    if (taker == 0 && maker == 0) continue;
    const oi = mulDivRounded(load<i64>(mp, MarketRecord.oiLong), load<i64>(mp, MarketRecord.mark), load<i64>(mp, MarketRecord.d), false, SCRATCH, AMOUNT_LIMIT);
    if (oi == OVERFLOWED) return OVERFLOWED;
    const scaled = mulDivRounded(oi, turnover, PPM, false, SCRATCH, AMOUNT_LIMIT);
    const volume = scaled == OVERFLOWED ? OVERFLOWED : mulDivRounded(scaled, k, PPM, false, SCRATCH, AMOUNT_LIMIT);
    if (volume == OVERFLOWED) return OVERFLOWED;
    const fees = feeOnNotional(volume, taker) + feeOnNotional(volume, maker);
    const pool = load<i64>(e, MarketEconRecord.feePool) + fees;
    if (pool > AMOUNT_LIMIT || revenue + fees > AMOUNT_LIMIT) return OVERFLOWED;
    store<i64>(e, pool, MarketEconRecord.feePool);
    revenue += fees;
  }
  return revenue;
}

/**
 * The fee pools through the split, then the stakers' revenue pools into the funds where a settle
 * period has passed (every `revenueEverySteps` steps). Returns a Status.
 */
export function distributeStep(nowSec: i64): i32 {
  let st = distributeFrom(0, nowSec, false);
  // A settle stops a chunk only before its total passes 2^62 (a simulated path writes no flow rows).
  for (let f: u32 = 0; st == Status.Ok && f <= marketCount;) {
    st = settleStakingRevenue(f, nowSec);
    f = <u32>load<i64>(ECONOMICS, EconomicsRecord.answer1);
  }
  return st;
}

/** The treasury's balance. */
export function treasuryQuote(): i64 { return load<i64>(ECONOMICS, EconomicsRecord.treasury); }

/** The stakers' holdings over every fund: sum of floor(balance * stakerShares / totalShares) (OVERFLOWED past 2^62). */
export function stakerValueQuote(): i64 {
  let v: i64 = 0;
  for (let f: u32 = 0; f <= marketCount; f++) {
    const p = fundStakePtr(f), total = load<i64>(p, FundStakeRecord.totalShares);
    if (total <= 0) continue;
    const x = mulDivRounded(load<i64>(i64At(Column.FundBalance, f)), load<i64>(p, FundStakeRecord.stakerShares), total, false, SCRATCH, AMOUNT_LIMIT);
    if (x == OVERFLOWED || v + x > AMOUNT_LIMIT) return OVERFLOWED;
    v += x;
  }
  return v;
}
