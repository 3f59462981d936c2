/**
 * The book's snapshot for a stress simulation (docs/SIMULATION.md): `simPrepare` takes it, `simRestore`
 * puts it back so that every path starts from the same book.
 *
 * The snapshot (Region.Snapshot) holds the counters, the static records, the book's columns
 * (markets, tiers, accounts, positions, isolated rows, index), the fund balances, the waterfall's
 * per-market state, the economics' per-market and per-fund records, the withdrawal queue's rows
 * (its head and length are in the economics record, static data) and each account's queued total. A restore copies back the
 * position slots of the accounts the last path changed only (markDirty), unless everything may
 * have moved (markAllDirty: the waterfall touched the book, a path failed, or the book changed
 * outside a path).
 */
import { col, Column, columnBytes, maxAccounts } from '../../abi/layout';
import { Field, Status } from '../../abi/status';
import { bookChanged, bookVersion, fail, loadCounters, saveCounters } from '../state';
import { indexBuilds, setResultsValid } from '../state';
import { markAllResults } from '../book/publish';
import { Region, regionPtr, SNAP_COUNTERS } from './area';

let prepared = false;
let snapshot: usize = 0;
let dirtyStamp: usize = 0, dirtyList: usize = 0, dirtyCount: u32 = 0, allDirty = true;
/** indexBuilds when the index last equalled the snapshot's. */
let versionAfterPath: u32 = 0, indexBuildsClean: u32 = 0;
/** The book as restored, untouched since (bookVersion), has the snapshot's check results and bounds. */
let restoredVersion: u32 = 0;

/** Snapshots the book as it is now into the laid-out area (simPrepare). */
export function prepareSnapshot(): void {
  snapshot = regionPtr(Region.Snapshot);
  dirtyStamp = regionPtr(Region.DirtyStamp);
  dirtyList = regionPtr(Region.DirtyList);
  takeSnapshot();
  dirtyCount = 0;
  allDirty = false;
  nextDirtyStamp();
  versionAfterPath = bookVersion;
  prepared = true;
}

/** A simulation was prepared (simPrepare succeeded once). */
export function simulationPrepared(): bool { return prepared; }

/** Every account's slots go back at the next restore. */
export function markAllDirty(): void { allDirty = true; }

/** A path ended: changes to the book from now on are made outside a path. */
export function pathEnded(): void { versionAfterPath = bookVersion; }

/** The book is as the last restore left it (nothing changed it since). */
export function bookAsRestored(): bool { return bookVersion == restoredVersion; }

function takeSnapshot(): void {
  let p = snapshot;
  saveCounters(p); p += SNAP_COUNTERS;
  const r0 = col(Column.Markets);
  memory.copy(p, 0, r0); p += r0;
  const r1 = col(Column.Queue) - r0;
  memory.copy(p, r0, r1); p += r1;
  memory.copy(p, col(Column.FundBalance), columnBytes(Column.FundBalance)); p += columnBytes(Column.FundBalance);
  memory.copy(p, col(Column.MarketFund), col(Column.MarketPaid) + columnBytes(Column.MarketPaid) - col(Column.MarketFund));
  p += col(Column.MarketPaid) + columnBytes(Column.MarketPaid) - col(Column.MarketFund);
  // The economics' per-market and per-fund records (fee and PnL pools, staking); the rest of the
  // economics (the record, the stakers) is static data, restored with it.
  memory.copy(p, col(Column.MarketEcon), columnBytes(Column.MarketEcon)); p += columnBytes(Column.MarketEcon);
  memory.copy(p, col(Column.FundStake), columnBytes(Column.FundStake)); p += columnBytes(Column.FundStake);
  memory.copy(p, col(Column.WithdrawQueue), columnBytes(Column.WithdrawQueue)); p += columnBytes(Column.WithdrawQueue);
  memory.copy(p, col(Column.AccQueued), columnBytes(Column.AccQueued));
  indexBuildsClean = indexBuilds;
}

/** Copies [from, to) of the book's columns back from the snapshot. */
// @ts-ignore: decorator
@inline function restoreRange(bookStart: usize, from: usize, to: usize): void {
  memory.copy(from, bookStart + (from - col(Column.Markets)), to - from);
}

/** The slots the snapshot gives account a, copied back in every position column. */
function restoreSlots(bookStart: usize, a: u32): void {
  const r0 = col(Column.Markets);
  const start = load<u32>(bookStart + (col(Column.AccPosStart) - r0) + (<usize>a << 2));
  const cap = load<u32>(bookStart + (col(Column.AccPosCap) - r0) + (<usize>a << 2));
  if (cap == 0) return;
  for (let c = Column.PosSize; c <= Column.PosAccount; c++) {
    const w: usize = c == Column.PosMarket ? 2 : (c == Column.PosAccount ? 4 : 8);
    const from = col(c) + <usize>start * w;
    memory.copy(from, bookStart + (from - r0), <usize>cap * w);
  }
}

/**
 * Puts the book back as `simPrepare` found it: static records, markets, tiers, accounts, isolated
 * rows, the pending index entries, funds and the waterfall's per-market state in full; the position
 * columns only for the accounts the last path changed (all of them when it is not known), the index
 * only if it was rebuilt. Errors: NotInitialized (no simulation prepared).
 */
export function simRestore(): i32 {
  if (!prepared) return fail(Status.NotInitialized, Field.Steps, -1);
  if (bookVersion != versionAfterPath) allDirty = true; // changed outside a path
  let p = snapshot;
  loadCounters(p); p += SNAP_COUNTERS;
  const r0 = col(Column.Markets);
  memory.copy(0, p, r0); p += r0;
  const book = p;
  restoreRange(book, r0, col(Column.PosSize));
  if (allDirty) restoreRange(book, col(Column.PosSize), col(Column.IsoAccount));
  else for (let i: u32 = 0; i < dirtyCount; i++) restoreSlots(book, load<u32>(dirtyList + (<usize>i << 2)));
  restoreRange(book, col(Column.IsoAccount), col(Column.IndexStart));
  if (allDirty || indexBuilds != indexBuildsClean) restoreRange(book, col(Column.IndexStart), col(Column.PendingMarket));
  restoreRange(book, col(Column.PendingMarket), col(Column.Queue));
  p += col(Column.Queue) - r0;
  memory.copy(col(Column.FundBalance), p, columnBytes(Column.FundBalance)); p += columnBytes(Column.FundBalance);
  memory.copy(col(Column.MarketFund), p, col(Column.MarketPaid) + columnBytes(Column.MarketPaid) - col(Column.MarketFund));
  p += col(Column.MarketPaid) + columnBytes(Column.MarketPaid) - col(Column.MarketFund);
  memory.copy(col(Column.MarketEcon), p, columnBytes(Column.MarketEcon)); p += columnBytes(Column.MarketEcon);
  memory.copy(col(Column.FundStake), p, columnBytes(Column.FundStake)); p += columnBytes(Column.FundStake);
  memory.copy(col(Column.WithdrawQueue), p, columnBytes(Column.WithdrawQueue)); p += columnBytes(Column.WithdrawQueue);
  memory.copy(col(Column.AccQueued), p, columnBytes(Column.AccQueued));
  indexBuildsClean = indexBuilds;
  dirtyCount = 0;
  allDirty = false;
  nextDirtyStamp();
  setResultsValid(true);
  markAllResults(); // the results columns came back from the snapshot
  bookChanged();
  restoredVersion = bookVersion;
  return Status.Ok;
}

let dirtyEpoch: u32 = 0;
function nextDirtyStamp(): void {
  if (++dirtyEpoch == 0) { memory.fill(dirtyStamp, 0, <usize>maxAccounts << 2); dirtyEpoch = 1; }
}

/** Account a's positions changed in this path. */
export function markDirty(a: u32): void {
  const s = dirtyStamp + (<usize>a << 2);
  if (load<u32>(s) == dirtyEpoch) return;
  store<u32>(s, dirtyEpoch);
  store<u32>(dirtyList + (<usize>dirtyCount << 2), a);
  dirtyCount++;
}

