/**
 * The memory of the simulation area and the regions a prepared simulation lays out in it
 * (docs/SIMULATION.md).
 *
 * The area is one region per engine, past everything `init` laid out, and the last thing in memory:
 * nothing else grows memory after `init`. It is laid out once, at the first `simReserve` or
 * `simPrepare`, and reused: a later preparation that fits lays its arrays out again in place, one
 * that does not grows the area by the pages missing. So preparing again never leaves an old area
 * behind, and memory grows at most once for simulations of one size or smaller.
 *
 *   [ ... init's layout | area: [0, used) an earlier layout's bytes | [used, bytes) as fresh (zero) ]
 */

import { col, Column, columnBytes, maxAccounts, maxMarkets } from '../../abi/layout';
import { Field, METRICS, Status } from '../../abi/status';
import { CountersRecord, EpochPriceRecord, SimHeaderRecord } from '../../abi/records';
import { fail, marketCount } from '../state';

let areaStart: usize = 0, areaBytes: u64 = 0, areaUsed: u64 = 0;

/**
 * Makes the area at least `total` bytes, growing memory only by the pages missing. Returns false,
 * changing nothing, when the area would not fit 4 GiB or memory cannot grow.
 */
function reserveArea(total: u64): bool {
  if (total <= areaBytes) return true;
  const end = <u64>memory.size() << 16;
  const start: u64 = areaBytes == 0 ? end : <u64>areaStart;
  assert(start + areaBytes == end, 'the simulation area ends memory');
  if (<f64>start + <f64>total > 4294901760.0) return false;
  const pages = <i32>((start + total - end + 0xFFFF) >> 16);
  if (memory.grow(pages) < 0) return false;
  areaStart = <usize>start;
  areaBytes = (<u64>memory.size() << 16) - start;
  return true;
}

/**
 * The start of an area of `total` bytes whose bytes are all zero, as fresh memory is (what an
 * earlier layout left is cleared), or 0 when it cannot be had (see reserveArea).
 */
function freshArea(total: u64): usize {
  if (!reserveArea(total)) return 0;
  const stale = areaUsed < total ? areaUsed : total;
  if (stale > 0) memory.fill(areaStart, 0, <usize>stale);
  if (total > areaUsed) areaUsed = total;
  return areaStart;
}

// ---- Regions ----------------------------------------------------------------------------------------

/**
 * The arrays of a prepared simulation, laid out in this order, each aligned to 16 bytes (m markets,
 * E = steps + 1 epochs, A = the engine's account capacity):
 *
 *   Header      SimHeaderRecord            Path        (steps + 1) x m marks i64 (row 0: at preparation)
 *   Vol, Drift, Funding   m f64 / f64 / i64 (rate ppm per step)   Factor   m x m f64 (if correlated)
 *   Metrics     steps x METRICS i64        Depth, Level, Closed, Net   m i64 each (impact.ts)
 *   EpochPrices E x m x (mark, fundingLong, fundingShort) i64    Devs     E f64 (bounds.ts)
 *   Bound       A f64   BoundEpoch A u32    Loss        A i64 (a path's loss per account)
 *   Weight      m f64 (1 + the largest mmf)  Draws      2 m f64   CumLog  m f64 (paths.ts)
 *   Snapshot    the book (snapshot.ts)     Bound0      A f64 (the snapshot's bounds)
 *   DirtyStamp  A u32   DirtyList A u32     EpochRefs   E u32   LiveEpochs E u32
 *   Owed        A i64 (what the withdrawal run still owes each winner: withdrawals.ts)
 *
 * The first eight regions are SimArray's (abi/status.ts), numbered alike: simPtr maps one to the other.
 */
export enum Region {
  Header = 0, Path = 1, Vol = 2, Drift = 3, Funding = 4, Factor = 5, Metrics = 6, Depth = 7, Level = 8,
  Closed = 9, Net = 10, EpochPrices = 11, Devs = 12, Bound = 13, BoundEpoch = 14, Loss = 15, Weight = 16,
  Draws = 17, CumLog = 18, Snapshot = 19, Bound0 = 20, DirtyStamp = 21, DirtyList = 22, EpochRefs = 23,
  LiveEpochs = 24, Owed = 25, Count = 26,
}

/** Counters the snapshot starts with (state.ts saveCounters). */
export const SNAP_COUNTERS: usize = CountersRecord.BYTES;

const regions = new StaticArray<usize>(Region.Count);
const sizes = new StaticArray<u64>(Region.Count);

/** The start of region r of the prepared simulation. */
export function regionPtr(r: Region): usize { return unchecked(regions[r]); }

// @ts-ignore: decorator
@inline function align(x: u64): u64 { return (x + 15) & ~15; }

/** Bytes of the book's snapshot: counters, static data and reserve, the book's columns, funds, the waterfall's per-market columns, the economics' per-market and per-fund records and the withdrawal queue. */
function snapshotBytes(): u64 {
  return <u64>SNAP_COUNTERS + <u64>col(Column.Markets) + <u64>(col(Column.Queue) - col(Column.Markets))
    + <u64>columnBytes(Column.FundBalance) + <u64>(col(Column.MarketPaid) + columnBytes(Column.MarketPaid) - col(Column.MarketFund))
    + <u64>columnBytes(Column.MarketEcon) + <u64>columnBytes(Column.FundStake) + <u64>columnBytes(Column.WithdrawQueue)
    + <u64>columnBytes(Column.AccQueued);
}

/** Fills `sizes` with the bytes of each region over `m` markets; returns their total (each aligned). */
function regionSizes(steps: u32, withFactor: bool, m: u32): u64 {
  const epochs = steps + 1; // the path's start, then each step's prices
  const mm = <u64>m, accounts = <u64>maxAccounts;
  unchecked(sizes[Region.Header] = SimHeaderRecord.BYTES);
  unchecked(sizes[Region.Path] = (<u64>steps + 1) * mm * 8);
  unchecked(sizes[Region.Vol] = mm * 8);
  unchecked(sizes[Region.Drift] = mm * 8);
  unchecked(sizes[Region.Funding] = mm * 8);
  unchecked(sizes[Region.Factor] = withFactor ? mm * mm * 8 : 0);
  unchecked(sizes[Region.Metrics] = <u64>steps * METRICS * 8);
  unchecked(sizes[Region.Depth] = mm * 8);
  unchecked(sizes[Region.Level] = mm * 8);
  unchecked(sizes[Region.Closed] = mm * 8);
  unchecked(sizes[Region.Net] = mm * 8);
  unchecked(sizes[Region.EpochPrices] = <u64>epochs * mm * EpochPriceRecord.BYTES);
  unchecked(sizes[Region.Devs] = <u64>epochs * 8);
  unchecked(sizes[Region.Bound] = accounts * 8);
  unchecked(sizes[Region.BoundEpoch] = accounts * 4);
  unchecked(sizes[Region.Loss] = accounts * 8);
  unchecked(sizes[Region.Weight] = mm * 8);
  unchecked(sizes[Region.Draws] = mm * 16);
  unchecked(sizes[Region.CumLog] = mm * 8);
  unchecked(sizes[Region.Snapshot] = snapshotBytes());
  unchecked(sizes[Region.Bound0] = accounts * 8);
  unchecked(sizes[Region.DirtyStamp] = accounts * 4);
  unchecked(sizes[Region.DirtyList] = accounts * 4);
  unchecked(sizes[Region.EpochRefs] = <u64>epochs * 4);
  unchecked(sizes[Region.LiveEpochs] = <u64>epochs * 4);
  unchecked(sizes[Region.Owed] = accounts * 8);
  let total: u64 = 0;
  for (let r = 0; r < Region.Count; r++) total += align(unchecked(sizes[r]));
  return total;
}

/**
 * Lays the regions out for `steps` steps over `m` markets, all zero as fresh memory is. False when
 * the area cannot be had (it does not fit 4 GiB).
 */
export function layOutRegions(steps: u32, withFactor: bool, m: u32): bool {
  let p = freshArea(regionSizes(steps, withFactor, m));
  if (p == 0) return false;
  for (let r = 0; r < Region.Count; r++) { unchecked(regions[r] = p); p += <usize>align(unchecked(sizes[r])); }
  return true;
}

/**
 * Reserves the area for simulations of up to `steps` steps over up to `maxMarkets` markets
 * (correlated when `withFactor`), so that preparing one does not grow memory: `RiskEngine.create`
 * calls it (`reserveSimulation`) before any view is handed out. Errors: NotInitialized (before
 * `init`), InvalidScenario (steps not in 1..100,000), CapacityExceeded (it does not fit 4 GiB).
 */
export function simReserve(steps: u32, withFactor: bool): i32 {
  if (maxMarkets == 0) return fail(Status.NotInitialized, Field.Capacity, -1);
  if (steps == 0 || steps > 100_000) return fail(Status.InvalidScenario, Field.Steps, -1);
  // The factor is sized apart: it is over at most 1,024 markets, however many the engine may hold.
  const f = <u64>min<u32>(maxMarkets, 1024), factorBytes = withFactor ? align(f * f * 8) : 0;
  if (!reserveArea(regionSizes(steps, false, maxMarkets) + factorBytes)) return fail(Status.CapacityExceeded, Field.Capacity, -1);
  return Status.Ok;
}

/**
 * Makes the area as large as `simPrepare(steps, _, withFactor)` needs for the markets of the book
 * now (growing memory only by the pages missing), changing nothing else: a preparation of that size
 * then cannot fail for room. Errors (nothing changed): NotInitialized (no markets), InvalidScenario
 * (steps not in 1..100,000, a factor over more than 1,024 markets), CapacityExceeded.
 */
export function simReserveFor(steps: u32, withFactor: bool): i32 {
  const m = marketCount;
  if (m == 0) return fail(Status.NotInitialized, Field.MarketId, -1);
  if (steps == 0 || steps > 100_000) return fail(Status.InvalidScenario, Field.Steps, -1);
  if (withFactor && m > 1024) return fail(Status.InvalidScenario, Field.Correlation, -1);
  if (!reserveArea(regionSizes(steps, withFactor, m))) return fail(Status.CapacityExceeded, Field.Capacity, -1);
  return Status.Ok;
}

