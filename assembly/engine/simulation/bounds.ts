/**
 * Which accounts a simulated step must check again (docs/SIMULATION.md, "Skipping").
 *
 * After an exact check, an account with slack = equity - MM > 0 (per group) cannot become
 * liquidatable while, for every market m, (|mark - mark0| + |fundingIndex - index0|) / mark0 <
 * (slack - R) / G, where G = sum over its positions of |size| * mark0 / D * (1 + mmfMax(m)) and R
 * covers the roundings (8 atoms per position): value and funding move by at most |size| * change / D,
 * MM by at most mmfMax of the notional's change. Skipped accounts keep their (healthy or below
 * initial) results; every decision reads only liquidatable groups' figures, or a full check's, so
 * a run with skipping gives the same numbers as one without (a test).
 *
 * Prices are kept per epoch (a step's marks, Region.EpochPrices); each account's bound is relative to
 * the epoch of its last check, and a new epoch computes the largest move since the epochs accounts
 * still refer to.
 */
import { absU } from '../../math/wide';
import { col, Column, marketPtr, u16At, i64At, u32At, tierPtr } from '../../abi/layout';
import { CurveKind, Status } from '../../abi/status';
import { MarketRecord, TierRecord } from '../../abi/records';
import { accountCount, NONE, setResultsCurrent } from '../state';
import { checkRange, recheckAccount } from '../margin/check';
import { ACCOUNT_ACTIVE } from '../book/book';
import { Region, regionPtr } from './area';
import { EpochPriceRecord } from '../../abi/records';

let epochPrices: usize = 0, devs: usize = 0, bound: usize = 0, boundEpoch: usize = 0, weight: usize = 0, bound0: usize = 0;
/**
 * Accounts whose bound is relative to each epoch (epochRefs), and the epochs some account still
 * refers to (liveEpochs, liveCount): a new epoch computes the move since those only, so the cost of
 * an epoch does not grow with the path's length.
 */
let epochRefs: usize = 0, liveEpochs: usize = 0, liveCount: u32 = 0;
let simMarkets: u32 = 0, epochCap: u32 = 0;
/** Epochs recorded in this path so far (the next epoch's number; not state.ts's de-duplication stamp). */
let pathEpoch: u32 = 0;
/** Accounts checked in this path (the path record's accountsChecked). */
let checked: u64 = 0;
let skipping = false;

/** The prepared simulation's arrays (simPrepare). */
export function prepareBounds(markets: u32, epochs: u32): void {
  epochPrices = regionPtr(Region.EpochPrices); devs = regionPtr(Region.Devs); bound = regionPtr(Region.Bound);
  boundEpoch = regionPtr(Region.BoundEpoch); weight = regionPtr(Region.Weight); bound0 = regionPtr(Region.Bound0);
  epochRefs = regionPtr(Region.EpochRefs); liveEpochs = regionPtr(Region.LiveEpochs);
  simMarkets = markets; epochCap = epochs;
}

/** Every account's bound at epoch 0 of the snapshot, kept with it (when the snapshot holds a check's results). */
export function boundSnapshot(): void {
  pathEpoch = 1;
  boundAll();
  memory.copy(bound0, bound, <usize>accountCount << 3);
}

/** A path starts: skipping on or off, no account checked yet. */
export function beginPathChecks(skip: bool): void {
  skipping = skip;
  checked = 0;
}

/** The path's first epoch: the prices as the path starts. */
export function firstEpoch(): void {
  pathEpoch = 0;
  liveCount = 0;
  recordEpoch();
}

/** The book as the snapshot holds it: its bounds are those computed then, at epoch 0. */
export function useSnapshotBounds(): void {
  memory.copy(bound, bound0, <usize>accountCount << 3);
  memory.fill(boundEpoch, 0, <usize>accountCount << 2);
  resetEpochRefs(0);
}

/** Accounts checked in this path. */
export function accountsChecked(): u64 { return checked; }
/** Epochs recorded in this path. */
export function epochsRecorded(): u32 { return pathEpoch; }

/** 1 + the largest maintenance fraction a position of the market can have at any mark (see above). */
export function prepareWeights(): void {
  for (let i: u32 = 0; i < simMarkets; i++) {
    const mkt = marketPtr(i);
    const kind = <u32>load<u8>(mkt, MarketRecord.kind);
    let mmf = <u64>load<u32>(mkt, MarketRecord.mmf);
    if (kind == CurveKind.Tiers) {
      const first = load<u32>(mkt, MarketRecord.tierFirst), n = load<u32>(mkt, MarketRecord.tierCount);
      for (let j = first; j < first + n; j++) {
        const f = <u64>load<u32>(tierPtr(j), TierRecord.mmf);
        if (f > mmf) mmf = f;
      }
    } else if (kind == CurveKind.SizePremium) {
      mmf = 1_000_000;
    }
    store<f64>(weight + (<usize>i << 3), 1.0 + <f64>mmf / 1e6);
  }
}

/**
 * Records the marks and funding indices of a new epoch and, for every earlier epoch k, the largest
 * relative move since: max over markets of (|mark - mark_k| + max |index - index_k|) / mark_k.
 */
export function recordEpoch(): void {
  assert(pathEpoch < epochCap, 'epochs: 1 + steps at most');
  const m = simMarkets;
  const row = epochPrices + <usize>pathEpoch * m * EpochPriceRecord.BYTES;
  for (let i: u32 = 0; i < m; i++) {
    const mkt = marketPtr(i), q = row + <usize>i * EpochPriceRecord.BYTES;
    store<i64>(q, load<i64>(mkt, MarketRecord.mark), EpochPriceRecord.mark);
    store<i64>(q, load<i64>(mkt, MarketRecord.fundingLong), EpochPriceRecord.fundingLong);
    store<i64>(q, load<i64>(mkt, MarketRecord.fundingShort), EpochPriceRecord.fundingShort);
  }
  if (!skipping) { pathEpoch++; return; }
  // The epochs accounts refer to: the move since each, keeping the list to those still referred to.
  let kept: u32 = 0;
  for (let j: u32 = 0; j < liveCount; j++) {
    const k = load<u32>(liveEpochs + (<usize>j << 2));
    if (load<u32>(epochRefs + (<usize>k << 2)) == 0) continue;
    store<u32>(liveEpochs + (<usize>kept << 2), k);
    kept++;
    const old = epochPrices + <usize>k * m * EpochPriceRecord.BYTES;
    let dev: f64 = 0;
    for (let i: u32 = 0; i < m; i++) {
      const a = old + <usize>i * EpochPriceRecord.BYTES, b = row + <usize>i * EpochPriceRecord.BYTES;
      const mark0 = load<i64>(a, EpochPriceRecord.mark);
      const dl = <f64>absU(load<i64>(b, EpochPriceRecord.fundingLong) - load<i64>(a, EpochPriceRecord.fundingLong));
      const ds = <f64>absU(load<i64>(b, EpochPriceRecord.fundingShort) - load<i64>(a, EpochPriceRecord.fundingShort));
      const x = (<f64>absU(load<i64>(b, EpochPriceRecord.mark) - mark0) + (dl > ds ? dl : ds)) / <f64>mark0;
      if (x > dev) dev = x;
    }
    store<f64>(devs + (<usize>k << 3), dev);
  }
  store<u32>(liveEpochs + (<usize>kept << 2), pathEpoch);
  liveCount = kept + 1;
  store<u32>(epochRefs + (<usize>pathEpoch << 2), 0);
  store<f64>(devs + (<usize>pathEpoch << 3), 0);
  pathEpoch++;
}

/** Every account's bound is now relative to epoch e (after a full check, or the snapshot's). */
function resetEpochRefs(e: u32): void {
  for (let j: u32 = 0; j < liveCount; j++) store<u32>(epochRefs + (<usize>load<u32>(liveEpochs + (<usize>j << 2)) << 2), 0);
  store<u32>(epochRefs + (<usize>e << 2), accountCount);
  store<u32>(liveEpochs, e);
  liveCount = 1;
}

/** Account a's bound, relative to the current epoch. */
// @ts-ignore: decorator
@inline function setBoundNow(a: u32, b: f64, counted: bool): void {
  const ep = boundEpoch + (<usize>a << 2), now = pathEpoch - 1;
  if (counted) {
    const r0 = epochRefs + (<usize>load<u32>(ep) << 2), r1 = epochRefs + (<usize>now << 2);
    store<u32>(r0, load<u32>(r0) - 1);
    store<u32>(r1, load<u32>(r1) + 1);
  }
  store<u32>(ep, now);
  store<f64>(bound + (<usize>a << 3), b);
}

/** Check of the whole book (the batch loop); with skipping, every account's bound is refreshed after. */
export function fullCheck(): i32 {
  checked += accountCount;
  const st = checkRange(0, accountCount);
  if (st != Status.Ok || !skipping) return st;
  boundAll();
  return Status.Ok;
}

/** Every account's bound from its current results, at the current epoch. */
function boundAll(): void {
  const flags = col(Column.AccFlags);
  for (let a: u32 = 0; a < accountCount; a++) {
    setBoundNow(a, load<u8>(flags + <usize>a) == ACCOUNT_ACTIVE ? boundOf(a) : Infinity, false);
  }
  resetEpochRefs(pathEpoch - 1);
}

/**
 * The step's check: everything, or only accounts whose bound the prices may have crossed (closed
 * accounts have an infinite bound). Reads 12 bytes per account and a small table per epoch.
 */
export function checkStep(): i32 {
  if (!skipping) {
    checked += accountCount;
    return checkRange(0, accountCount);
  }
  const now = pathEpoch - 1;
  for (let a: u32 = 0; a < accountCount; a++) {
    const k = load<u32>(boundEpoch + (<usize>a << 2));
    if (k == now || load<f64>(devs + (<usize>k << 3)) * 1.000001 < load<f64>(bound + (<usize>a << 3))) continue;
    if (!recheck(a)) return Status.Overflow;
  }
  setResultsCurrent(false); // skipped accounts' figures are from earlier epochs
  return Status.Ok;
}

/** Account a checked again after a round changed it (its bound refreshed when skipping). */
export function recheck(a: u32): bool {
  if (load<u8>(col(Column.AccFlags) + <usize>a) != ACCOUNT_ACTIVE) {
    if (skipping) setBoundNow(a, Infinity, true);
    return true;
  }
  if (!recheckAccount(a)) return false;
  checked++;
  if (skipping) setBoundNow(a, boundOf(a), true);
  return true;
}

/**
 * The account's bound from its fresh results: min over its groups of (slack - 8 atoms per position - 8)
 * / G (module comment); 0 when a group has no slack (never skipped), +infinity without positions.
 */
function boundOf(a: u32): f64 {
  const o8 = <usize>a << 3, o4 = <usize>a << 2;
  const start = load<u32>(col(Column.AccPosStart) + o4), len = load<u32>(col(Column.AccPosLen) + o4);
  let g: f64 = 0;
  for (let s = start; s < start + len; s++) {
    const mk = <u32>load<u16>(u16At(Column.PosMarket, s));
    g += <f64>absU(load<i64>(i64At(Column.PosSize, s))) * load<f64>(marketPtr(mk), MarketRecord.markOverD) * load<f64>(weight + (<usize>mk << 3));
  }
  let b = groupBound(load<i64>(col(Column.AccEquity) + o8), load<i64>(col(Column.AccMm) + o8), len, g);
  let r = load<u32>(col(Column.AccIsoHead) + o4);
  while (r != NONE) {
    const r8 = <usize>r << 3;
    const mk = <u32>load<u16>(u16At(Column.IsoMarket, r));
    const gi = <f64>absU(load<i64>(col(Column.IsoSize) + r8)) * load<f64>(marketPtr(mk), MarketRecord.markOverD) * load<f64>(weight + (<usize>mk << 3));
    const bi = groupBound(load<i64>(col(Column.IsoEquity) + r8), load<i64>(col(Column.IsoMm) + r8), 1, gi);
    if (bi < b) b = bi;
    r = load<u32>(u32At(Column.IsoNext, r));
  }
  return b;
}

// @ts-ignore: decorator
@inline function groupBound(equity: i64, mm: i64, positions: u32, g: f64): f64 {
  // equity and MM are results of a successful check: |equity| < 2^63 and 0 <= MM < 2^62, so the
  // comparison below cannot wrap, and past it slack - allowance is positive.
  const allowance = 8 * <i64>positions + 8;
  if (equity < mm || equity - mm <= allowance) return 0;
  if (g == 0) return Infinity;
  return <f64>(equity - mm - allowance) / (g * 1.000001);
}

