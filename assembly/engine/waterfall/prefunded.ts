/**
 * The waterfall steps that pay out of prefunded resources (docs/WATERFALL.md): insurance funds
 * (with drawdown floors and market caps over time windows), backstop providers, and the
 * clearing-house layers (defaulter's fund contribution, operator capital). Pro-rata haircuts and
 * the socialization over open interest are in socialize.ts, ADL in adl.ts.
 */
import { AMOUNT_LIMIT, mulDivRounded } from '../../math/fixed';
import { col, Column, i64At, u32At } from '../../abi/layout';
import { Status, Tranche } from '../../abi/status';
import { BackstopRecord, BalancesRecord, MemberRecord, StepRecord, WINDOW_BUCKETS, WindowBucketRecord, WindowRecord } from '../../abi/records';
import { marketCount, NONE, SCRATCH } from '../state';
import { checkAccount } from '../book/book';
import { equityOf } from '../margin/check';
import { BALANCES, fundOf, memberPtr, operatorLayerPtr } from '../funds';
import { split, WEIGHT_LIMIT } from './prorata';
import { backstopVaultAccount, memberIndex } from './parties';
import { backstopPtr, FUND_MARKET, nowSec, stepPtr } from './config';
import { cover, defMarket, heavyAdd, openOf, serves, solventRoom } from './steps';

// ---- Time windows -------------------------------------------------------------------------------

/** A window record: +0 bucket length (s), +8 all-time total, then WINDOW_BUCKETS (bucket i64, value i64). */
function windowReset(p: usize, windowSec: i64): void {
  const len = (windowSec + 15) / 16;
  if (load<i64>(p, WindowRecord.bucketSec) != len) {
    store<i64>(p, len, WindowRecord.bucketSec);
    for (let s: u32 = 0; s < WINDOW_BUCKETS; s++) { const q = p + WindowRecord.buckets + <usize>s * WindowBucketRecord.BYTES; store<i64>(q, -1, WindowBucketRecord.bucket); store<i64>(q, 0, WindowBucketRecord.value); }
  }
}
function bucketSlot(p: usize, now: i64, make: bool): usize {
  const b = now / load<i64>(p, WindowRecord.bucketSec);
  const q = p + WindowRecord.buckets + <usize>(b % WINDOW_BUCKETS) * WindowBucketRecord.BYTES;
  if (make && load<i64>(q, WindowBucketRecord.bucket) != b) { store<i64>(q, b, WindowBucketRecord.bucket); store<i64>(q, 0, WindowBucketRecord.value); }
  return q;
}
/**
 * Largest (max) or total (sum) value over buckets b-16 ..= b. Values are 0 ..= 2^62; a sum
 * saturates at 2^62 (what it is compared with, a market cap, is at most 2^62).
 */
function windowValue(p: usize, now: i64, max: bool): i64 {
  const b = now / load<i64>(p, WindowRecord.bucketSec);
  let v: i64 = 0;
  for (let s: u32 = 0; s < WINDOW_BUCKETS; s++) {
    const q = p + WindowRecord.buckets + <usize>s * WindowBucketRecord.BYTES;
    const qb = load<i64>(q, WindowBucketRecord.bucket);
    if (qb < 0 || qb < b - 16 || qb > b) continue;
    const x = load<i64>(q, WindowBucketRecord.value);
    v = max ? (x > v ? x : v) : saturatingAdd(v, x);
  }
  return v;
}

/** a + b for 0 <= a, b <= 2^62, saturated at 2^62 (compared first: 2^62 + 2^62 would wrap). */
// @ts-ignore: decorator
@inline function saturatingAdd(a: i64, b: i64): i64 { return a > AMOUNT_LIMIT - b ? AMOUNT_LIMIT : a + b; }

// ---- Insurance funds ------------------------------------------------------------------------------

function fundFor(j: u32, k: u32): u32 {
  const f = load<u32>(stepPtr(j), StepRecord.param);
  if (f != FUND_MARKET) return f;
  const m = defMarket(k);
  return m == NONE ? 0 : fundOf(m);
}

/**
 * At the start of a run, each fund a step with a drawdown rule can draw from records its balance in
 * the current bucket: the step's fund, or (`market`) the funds of the markets its waterfall serves,
 * and the global fund for the default waterfall's settle records.
 */
export function observePeaks(nSteps: u32, now: i64): void {
  for (let j: u32 = 0; j < nSteps; j++) {
    const p = stepPtr(j);
    if (load<u8>(p, StepRecord.kind) != <u8>Tranche.InsuranceFund || load<u32>(p, StepRecord.ppm) == 0) continue;
    const f = load<u32>(p, StepRecord.param), w = <u32>load<u8>(p, StepRecord.waterfall), windowSec = load<i64>(p, StepRecord.drawdownWindowSec);
    if (f != FUND_MARKET) { observe(f, windowSec, now); continue; }
    if (w == 0) observe(0, windowSec, now);
    for (let m: u32 = 0; m < marketCount; m++) {
      if (<u32>load<u8>(col(Column.MarketWaterfall) + <usize>m) == w) observe(fundOf(m), windowSec, now);
    }
  }
}

function observe(fund: u32, windowSec: i64, now: i64): void {
  const wp = col(Column.FundWindow) + <usize>fund * WindowRecord.BYTES;
  windowReset(wp, windowSec);
  const q = bucketSlot(wp, now, true);
  const bal = load<i64>(i64At(Column.FundBalance, fund));
  if (bal > load<i64>(q, WindowBucketRecord.value)) store<i64>(q, bal, WindowBucketRecord.value);
}

export function runInsuranceFund(j: u32, w: u32, n: u32): void {
  const p = stepPtr(j);
  const maxPer = load<i64>(p, StepRecord.amount), floor = load<i64>(p, StepRecord.floor), mcap = load<i64>(p, StepRecord.marketCap), mwin = load<i64>(p, StepRecord.marketCapWindowSec);
  const dd = <i64>load<u32>(p, StepRecord.ppm);
  const now = nowSec();
  for (let k: u32 = 0; k < n; k++) {
    if (!serves(k, w)) continue;
    const f = fundFor(j, k), m = defMarket(k);
    const bp = i64At(Column.FundBalance, f);
    const bal = load<i64>(bp);
    let floorEff = floor;
    if (dd > 0) {
      const wp = col(Column.FundWindow) + <usize>f * WindowRecord.BYTES;
      let peak = windowValue(wp, now, true);
      if (peak < bal) peak = bal;
      const ddFloor = mulDivRounded(peak, 1_000_000 - dd, 1_000_000, true, SCRATCH);
      if (ddFloor > floorEff) floorEff = ddFloor;
    }
    let x = openOf(k);
    const room = bal - floorEff;
    if (room < x) x = room;
    if (maxPer > 0 && maxPer < x) x = maxPer;
    // paid(m): every insurance payment for market m counts, whether or not a cap applies now.
    const paidP: usize = m != NONE ? col(Column.MarketPaid) + <usize>m * WindowRecord.BYTES : 0;
    if (mcap > 0 && m != NONE) {
      if (mwin > 0) windowReset(paidP, mwin);
      const paid = mwin == 0 ? load<i64>(paidP, WindowRecord.total) : windowValue(paidP, now, false);
      if (mcap - paid < x) x = mcap - paid;
    }
    if (x <= 0) continue;
    store<i64>(bp, bal - x);
    if (paidP != 0) {
      // paid(m) only meets caps of at most 2^62: its totals saturate there (over all time they would
      // pass i64 as funds are refilled).
      store<i64>(paidP + WindowRecord.total, saturatingAdd(load<i64>(paidP, WindowRecord.total), x));
      if (load<i64>(paidP, WindowRecord.bucketSec) > 0) { const q = bucketSlot(paidP, now, true); store<i64>(q + WindowBucketRecord.value, saturatingAdd(load<i64>(q, WindowBucketRecord.value), x)); }
    }
    cover(k, j, NONE, x, 0, 0);
  }
}

// ---- Backstop providers ---------------------------------------------------------------------------

/**
 * The accounts backstop step j pays from: its providers (i < count), or the vault account when it
 * names none. NONE past the end.
 */
export function backstopPayer(j: u32, i: u32): u32 {
  const p = stepPtr(j);
  const count = <u32>load<u16>(p, StepRecord.providers);
  if (count == 0) return i == 0 ? backstopVaultAccount() : NONE;
  return i < count ? load<u32>(backstopPtr(<u32>load<u16>(p, StepRecord.firstProvider) + i), BackstopRecord.account) : NONE;
}

export function runBackstop(j: u32, w: u32, n: u32): void {
  const p = stepPtr(j);
  let first = <u32>load<u16>(p, StepRecord.firstProvider), count = <u32>load<u16>(p, StepRecord.providers);
  const vault = backstopVaultAccount();
  const fallback = count == 0;
  if (fallback && vault == NONE) return;
  if (fallback) count = 1;
  const coll = col(Column.AccCollateral);
  for (let k: u32 = 0; k < n; k++) {
    if (!serves(k, w)) continue;
    // Capacities now: min(left, collateral), weights: weightPpm or the capacity. Each is 0 ..= 2^62:
    // the sums saturate just past WEIGHT_LIMIT (64 providers of 2^62 would pass i64).
    let sum: i64 = 0, wsum: i64 = 0;
    for (let i: u32 = 0; i < count; i++) {
      const b = backstopPtr(first + i);
      const a = fallback ? vault : load<u32>(b, BackstopRecord.account);
      // What it can pay: its collateral, and no more than keeps its equity at or above zero.
      let c = load<i64>(coll + (<usize>a << 3));
      if (c < 0 || checkAccount(a, -1) != Status.Ok) c = 0;
      else { const e = solventRoom(equityOf(a)); if (e < c) c = e; }
      if (!fallback && load<i64>(b, BackstopRecord.capacity) > 0 && load<i64>(b, BackstopRecord.left) < c) c = load<i64>(b, BackstopRecord.left);
      const wt = !fallback && load<u32>(b, BackstopRecord.weightPpm) > 0 ? <i64>load<u32>(b, BackstopRecord.weightPpm) : c;
      store<u32>(u32At(Column.PayId, i), a);
      store<i64>(i64At(Column.PayCap, i), c);
      store<i64>(i64At(Column.PayWeight, i), c > 0 ? wt : 0);
      sum = heavyAdd(sum, c);
      wsum = heavyAdd(wsum, c > 0 ? wt : 0);
    }
    // Too heavy to split exactly (docs/WATERFALL.md, "Limits"): this record gets nothing here.
    if (sum > WEIGHT_LIMIT || wsum > WEIGHT_LIMIT) continue;
    let x = openOf(k);
    if (sum < x) x = sum;
    if (x <= 0) continue;
    split(count, x);
    for (let i: u32 = 0; i < count; i++) {
      const share = load<i64>(i64At(Column.PayWork, i));
      if (share <= 0) continue;
      const a = load<u32>(u32At(Column.PayId, i));
      store<i64>(coll + (<usize>a << 3), load<i64>(coll + (<usize>a << 3)) - share);
      if (!fallback) {
        const b = backstopPtr(first + i);
        store<i64>(b, load<i64>(b, BackstopRecord.left) - share, BackstopRecord.left);
      }
      cover(k, j, a, share, 0, 0);
    }
  }
}

// ---- Clearing-house layers ------------------------------------------------------------------------

export function runDefaulterFund(j: u32, w: u32, n: u32): void {
  for (let k: u32 = 0; k < n; k++) {
    if (!serves(k, w)) continue;
    const a = load<u32>(u32At(Column.DefAccount, k));
    const i = memberIndex(a);
    if (i == NONE) continue;
    const mp = memberPtr(i);
    let x = openOf(k);
    const f = load<i64>(mp, MemberRecord.fund);
    if (f < x) x = f;
    if (x <= 0) continue;
    store<i64>(mp, f - x, MemberRecord.fund);
    cover(k, j, a, x, 0, 0);
  }
}

export function runOperatorCapital(j: u32, w: u32, n: u32): void {
  const p = operatorLayerPtr(load<u32>(stepPtr(j), StepRecord.param)); // the step's layer, 1 or 2
  for (let k: u32 = 0; k < n; k++) {
    if (!serves(k, w)) continue;
    const s = load<i64>(p);
    let x = openOf(k);
    if (s < x) x = s;
    if (x <= 0) continue;
    store<i64>(p, s - x);
    cover(k, j, NONE, x, 0, 0);
  }
}
