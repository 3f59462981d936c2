/**
 * The book: accounts, their cross positions and their isolated positions, and the operations on
 * their storage (bulk append, slots and blocks, compaction). Fills, deposits, withdrawals and
 * closing an account, which are checked against margin, are in margin/fills.ts.
 *
 * Cross positions of account a live in slots [start, start + len) of a block of `cap` slots in the
 * position arena. A block that is full moves to the end of the arena with twice the room; when the
 * arena's end is reached, `compact` slides every live block down (positions are never lost or
 * reordered between accounts). Isolated positions are rows of their own, linked per account.
 *
 * Every operation validates all of its input before it writes anything: a call that returns an
 * error leaves the book as it was (invariant 4, atomicity).
 */
import { AMOUNT_LIMIT, INDEX_LIMIT, mulDivRounded, OVERFLOWED } from '../../math/fixed';
import { col, Column, SCRATCH_SLOT, maxAccounts, maxIsolated, maxPositions, PENDING_CAP, i64At, u32At, u16At, u8At, marketPtr } from '../../abi/layout';
import { Field, Health, Status } from '../../abi/status';
import { bookChanged, changed, addInactive, accountCount, fail, marketCount, indexDirty, isolatedLive, isolatedTop, NONE, nextEpoch, pendingCount, positionLive, positionTop, SCRATCH, setAccountCount, setIndexDirty, setIsolatedLive, setIsolatedTop, setPendingCount, setPositionLive, setPositionTop } from '../state';
import { isMarket, refreshMarket } from './markets';

import { markAccount, markIsolated } from './publish';
import { MarketRecord } from '../../abi/records';

export const ACCOUNT_ACTIVE: u8 = 1;
export const ACCOUNT_CLOSED: u8 = 2;

// @ts-ignore: decorator
@inline export function inRange(x: i64): bool { return x >= -AMOUNT_LIMIT && x <= AMOUNT_LIMIT; }

/** Checks that an account id is known and open; returns Ok or records the error for `row`. */
export function checkAccount(a: u32, row: i32): i32 {
  if (a >= accountCount) return fail(Status.UnknownAccount, Field.AccountId, row);
  if (load<u8>(u8At(Column.AccFlags, a)) != ACCOUNT_ACTIVE) return fail(Status.AccountClosed, Field.AccountId, row);
  return Status.Ok;
}

/** True when |size| * mark / D stays below 2^62 at the market's current mark. */
function notionalInRange(market: u32, sizeBase: i64): bool {
  const m = marketPtr(market);
  return mulDivRounded(sizeBase, load<i64>(m, MarketRecord.mark), load<i64>(m, MarketRecord.d), false, SCRATCH) != OVERFLOWED;
}

/** The funding index a position of this sign settles against. */
// @ts-ignore: decorator
@inline export function sideIndex(market: u32, sizeBase: i64): i64 {
  const m = marketPtr(market);
  return sizeBase >= 0 ? load<i64>(m, MarketRecord.fundingLong) : load<i64>(m, MarketRecord.fundingShort);
}

/**
 * The funding a position owes at its side's index, ceil(s * (index - snapshot) / D) (positive: it
 * pays), settled by fills and liquidations; OVERFLOWED when it reaches 2^62.
 */
export function fundingToSettle(market: u32, sizeBase: i64, snapshot: i64): i64 {
  return mulDivRounded(sizeBase, sideIndex(market, sizeBase) - snapshot, load<i64>(marketPtr(market), MarketRecord.d), true, SCRATCH);
}

/** Validates one position's fields for `row`. */
function checkPositionFields(market: u32, sizeBase: i64, quote: i64, snapshot: i64, row: i32): i32 {
  if (!isMarket(market)) return fail(Status.UnknownMarket, Field.MarketId, row);
  if (!inRange(sizeBase)) return fail(Status.OutOfRange, Field.SizeBase, row);
  if (!inRange(quote)) return fail(Status.OutOfRange, Field.QuoteBalance, row);
  if (snapshot < -INDEX_LIMIT || snapshot > INDEX_LIMIT) return fail(Status.OutOfRange, Field.FundingSnapshot, row);
  if (!notionalInRange(market, sizeBase)) return fail(Status.Overflow, Field.Notional, row);
  return Status.Ok;
}

// ---------------------------------------------------------------------------------------------
// Bulk append

/**
 * Makes room for a bulk append of nA accounts, nP cross positions and nI isolated positions, and
 * reports where JavaScript should write them: accounts at [accountCount, +nA), positions at
 * [positionTop, +nP), isolated rows at [isolatedTop, +nI), in the ordinary columns. Nothing is part
 * of the book until `bulkCommit` succeeds.
 */
export function bulkReserve(nA: u32, nP: u32, nI: u32): i32 {
  if (<u64>accountCount + nA > <u64>maxAccounts) return fail(Status.CapacityExceeded, Field.AccountId, -1);
  if (<u64>isolatedTop + nI > <u64>maxIsolated) return fail(Status.CapacityExceeded, Field.Capacity, -1);
  if (<u64>positionTop + nP > <u64>maxPositions) {
    if (<u64>positionLive + nP > <u64>maxPositions) return fail(Status.CapacityExceeded, Field.SizeBase, -1);
    compact();
  }
  return Status.Ok;
}

/**
 * Validates and commits a staged bulk append (see bulkReserve). Account rows carry collateral,
 * floor and their cross position count (in AccPosLen); positions follow in account order; isolated
 * rows name an account of this batch. Rows in errors are batch-relative.
 */
export function bulkCommit(nA: u32, nP: u32, nI: u32): i32 {
  if (<u64>accountCount + nA > <u64>maxAccounts || <u64>positionTop + nP > <u64>maxPositions || <u64>isolatedTop + nI > <u64>maxIsolated) {
    return fail(Status.CapacityExceeded, Field.Capacity, -1);
  }
  const a0 = accountCount, p0 = positionTop, i0 = isolatedTop;
  // Open interest added per market (longs in IoI64A, shorts in IoI64B), checked against 2^62.
  memory.fill(col(Column.IoI64A), 0, <usize>marketCount << 3);
  memory.fill(col(Column.IoI64B), 0, <usize>marketCount << 3);
  // Step 1: accounts, and each account's block of positions.
  let next: u64 = p0;
  const stamps = col(Column.MarketStamp);
  for (let k: u32 = 0; k < nA; k++) {
    const a = a0 + k;
    const coll = load<i64>(i64At(Column.AccCollateral, a));
    if (!inRange(coll)) return fail(Status.OutOfRange, Field.CollateralQuote, <i32>k);
    if (load<u32>(u32At(Column.AccFloorPpm, a)) > 1_000_000) return fail(Status.OutOfRange, Field.ImfFloorPpm, <i32>k);
    const len = load<u32>(u32At(Column.AccPosLen, a));
    if (next + len > <u64>p0 + nP) return fail(Status.CountMismatch, Field.PositionCount, <i32>k);
    const stamp = nextEpoch();
    for (let s = <u32>next; s < <u32>(next + len); s++) {
      const market = <u32>load<u16>(u16At(Column.PosMarket, s));
      const st = checkPositionFields(market, load<i64>(i64At(Column.PosSize, s)), load<i64>(i64At(Column.PosQuote, s)), load<i64>(i64At(Column.PosSnap, s)), <i32>(s - p0));
      if (st != Status.Ok) return st;
      if (load<u32>(stamps + (<usize>market << 2)) == stamp) return fail(Status.DuplicatePosition, Field.MarketId, <i32>(s - p0));
      if (!stageOpenInterest(market, load<i64>(i64At(Column.PosSize, s)))) return fail(Status.Overflow, Field.SizeBase, <i32>(s - p0));
      store<u32>(stamps + (<usize>market << 2), stamp);
    }
    store<u32>(u32At(Column.AccPosStart, a), <u32>next);
    store<u32>(u32At(Column.Queue, a), NONE); // staged isolated list head (step 2)
    next += len;
  }
  if (next != <u64>p0 + nP) return fail(Status.CountMismatch, Field.PositionCount, -1);
  // Step 2: isolated rows; duplicates against the account's cross positions and its other rows.
  for (let k: u32 = 0; k < nI; k++) {
    const r = i0 + k;
    const a = load<u32>(u32At(Column.IsoAccount, r));
    if (a < a0 || a >= a0 + nA) return fail(Status.UnknownAccount, Field.AccountId, <i32>k);
    const market = <u32>load<u16>(u16At(Column.IsoMarket, r));
    const st = checkPositionFields(market, load<i64>(i64At(Column.IsoSize, r)), load<i64>(i64At(Column.IsoQuote, r)), load<i64>(i64At(Column.IsoSnap, r)), <i32>k);
    if (st != Status.Ok) return st;
    if (!inRange(load<i64>(i64At(Column.IsoCollateral, r)))) return fail(Status.OutOfRange, Field.CollateralQuote, <i32>k);
    if (!stageOpenInterest(market, load<i64>(i64At(Column.IsoSize, r)))) return fail(Status.Overflow, Field.SizeBase, <i32>k);
    const start = load<u32>(u32At(Column.AccPosStart, a)), len = load<u32>(u32At(Column.AccPosLen, a));
    for (let s = start; s < start + len; s++) {
      if (<u32>load<u16>(u16At(Column.PosMarket, s)) == market) return fail(Status.DuplicatePosition, Field.MarketId, <i32>k);
    }
    let other = load<u32>(u32At(Column.Queue, a));
    while (other != NONE) {
      if (<u32>load<u16>(u16At(Column.IsoMarket, other)) == market) return fail(Status.DuplicatePosition, Field.MarketId, <i32>k);
      other = load<u32>(u32At(Column.IsoNext, other));
    }
    store<u32>(u32At(Column.IsoNext, r), load<u32>(u32At(Column.Queue, a)));
    store<u32>(u32At(Column.Queue, a), r);
  }

  // Step 3: validated; commit.
  for (let k: u32 = 0; k < nA; k++) {
    const a = a0 + k;
    store<u32>(u32At(Column.AccPosCap, a), load<u32>(u32At(Column.AccPosLen, a)));
    store<u8>(u8At(Column.AccFlags, a), ACCOUNT_ACTIVE);
    store<u32>(u32At(Column.AccIsoHead, a), load<u32>(u32At(Column.Queue, a)));
    store<u32>(u32At(Column.AccStamp, a), 0);
    store<u8>(u8At(Column.AccHealth, a), <u8>Health.Inactive);
    markAccount(a);
  }
  let s = p0;
  for (let k: u32 = 0; k < nA; k++) {
    const a = a0 + k, len = load<u32>(u32At(Column.AccPosLen, a));
    for (let j: u32 = 0; j < len; j++) store<u32>(u32At(Column.PosAccount, s + j), a);
    s += len;
  }
  for (let r = i0; r < i0 + nI; r++) {
    store<u8>(u8At(Column.IsoFlags, r), 1);
    store<u8>(u8At(Column.IsoHealth, r), <u8>Health.Inactive);
    markIsolated(r);
  }
  for (let m: u32 = 0; m < marketCount; m++) {
    const addLong = load<i64>(i64At(Column.IoI64A, m)), addShort = load<i64>(i64At(Column.IoI64B, m));
    if (addLong == 0 && addShort == 0) continue;
    const rec = marketPtr(m);
    store<i64>(rec, load<i64>(rec, MarketRecord.oiLong) + addLong, MarketRecord.oiLong);
    store<i64>(rec, load<i64>(rec, MarketRecord.oiShort) + addShort, MarketRecord.oiShort);
    refreshMarket(m);
  }
  setAccountCount(a0 + nA);
  setPositionTop(p0 + nP);
  setPositionLive(positionLive + nP);
  setIsolatedTop(i0 + nI);
  setIsolatedLive(isolatedLive + nI);
  addInactive(0, nA);
  addInactive(1, nI);
  setIndexDirty(true);
  return changed();
}

/**
 * Adds a staged position's size to its market's pending open interest (IoI64A longs, IoI64B
 * shorts); false if the market's open interest on that side would pass 2^62.
 */
function stageOpenInterest(market: u32, sizeBase: i64): bool {
  // The staged sum and open interest are 0 ..= 2^62 while this holds, |size| <= 2^62: compared
  // before adding, nothing wraps.
  const rec = marketPtr(market);
  const long = sizeBase > 0;
  const p = long ? i64At(Column.IoI64A, market) : i64At(Column.IoI64B, market);
  const add = long ? sizeBase : -sizeBase;
  const room = AMOUNT_LIMIT - (long ? load<i64>(rec, MarketRecord.oiLong) : load<i64>(rec, MarketRecord.oiShort)) - load<i64>(p);
  if (add > room) return false;
  store<i64>(p, load<i64>(p) + add);
  return true;
}

/** True if moving a position of this market from `before` to `after` keeps open interest <= 2^62. */
export function openInterestFits(market: u32, before: i64, after: i64): bool {
  // Open interest and |sizes| are 0 ..= 2^62: `after` is compared with the room left once `before`
  // is removed, so no sum can wrap (2^62 + 2^62 would).
  const rec = marketPtr(market);
  let oiLong = load<i64>(rec, MarketRecord.oiLong), oiShort = load<i64>(rec, MarketRecord.oiShort);
  if (before > 0) oiLong -= before; else oiShort += before;
  return after > 0 ? after <= AMOUNT_LIMIT - oiLong : -after <= AMOUNT_LIMIT - oiShort;
}

// ---------------------------------------------------------------------------------------------
// Position slots

/** The slot of account a's cross position in `market`, or NONE. */
export function findCross(a: u32, market: u32): u32 {
  const start = load<u32>(u32At(Column.AccPosStart, a)), len = load<u32>(u32At(Column.AccPosLen, a));
  for (let s = start; s < start + len; s++) {
    if (<u32>load<u16>(u16At(Column.PosMarket, s)) == market) return s;
  }
  return NONE;
}

/** The isolated row of account a in `market`, or NONE. */
export function findIsolated(a: u32, market: u32): u32 {
  let r = load<u32>(u32At(Column.AccIsoHead, a));
  while (r != NONE) {
    if (<u32>load<u16>(u16At(Column.IsoMarket, r)) == market) return r;
    r = load<u32>(u32At(Column.IsoNext, r));
  }
  return NONE;
}

/**
 * True if a new cross slot for account a can be had: spare room in its block, room at the arena's
 * end for the block plus one, or, after compaction, one free slot anywhere.
 */
export function canAddCross(a: u32): bool {
  const len = load<u32>(u32At(Column.AccPosLen, a)), cap = load<u32>(u32At(Column.AccPosCap, a));
  if (len < cap) return true;
  return <u64>positionTop + len + 1 <= <u64>maxPositions || <u64>positionLive + 1 <= <u64>maxPositions;
}

// @ts-ignore: decorator
@inline function newCapacity(cap: u32): u32 { return cap < 2 ? 4 : cap * 2; }

/**
 * Appends an empty slot to account a's block (call canAddCross first). A full block moves to the
 * arena's end with up to twice the room; if the end is reached, the arena is compacted with this
 * block placed last, where it can grow into all the free room.
 */
export function addCrossSlot(a: u32): u32 {
  const len = load<u32>(u32At(Column.AccPosLen, a)), cap = load<u32>(u32At(Column.AccPosCap, a));
  if (len == cap) {
    if (<u64>positionTop + len + 1 > <u64>maxPositions) {
      compactPlacingLast(a);
    } else {
      const to = positionTop;
      moveSlots(load<u32>(u32At(Column.AccPosStart, a)), to, len);
      store<u32>(u32At(Column.AccPosStart, a), to);
    }
    const start = load<u32>(u32At(Column.AccPosStart, a));
    const want = min(newCapacity(cap), maxPositions - start);
    store<u32>(u32At(Column.AccPosCap, a), want);
    setPositionTop(start + want);
  }
  const slot = load<u32>(u32At(Column.AccPosStart, a)) + len;
  store<u32>(u32At(Column.AccPosLen, a), len + 1);
  store<u32>(u32At(Column.PosAccount, slot), a);
  setPositionLive(positionLive + 1);
  return slot;
}

/** Removes a slot from account a's block by moving the block's last slot into it. */
export function removeCrossSlot(a: u32, slot: u32): void {
  const start = load<u32>(u32At(Column.AccPosStart, a)), len = load<u32>(u32At(Column.AccPosLen, a));
  const last = start + len - 1;
  if (slot != last) moveSlots(last, slot, 1);
  store<u32>(u32At(Column.AccPosLen, a), len - 1);
  setPositionLive(positionLive - 1);
}

function moveSlots(from: u32, to: u32, n: u32): void {
  if (n == 1) {
    // One slot (removing a position): plain loads and stores beat five memory.copy calls.
    store<i64>(i64At(Column.PosSize, to), load<i64>(i64At(Column.PosSize, from)));
    store<i64>(i64At(Column.PosQuote, to), load<i64>(i64At(Column.PosQuote, from)));
    store<i64>(i64At(Column.PosSnap, to), load<i64>(i64At(Column.PosSnap, from)));
    store<u16>(u16At(Column.PosMarket, to), load<u16>(u16At(Column.PosMarket, from)));
    store<u32>(u32At(Column.PosAccount, to), load<u32>(u32At(Column.PosAccount, from)));
    return;
  }
  memory.copy(i64At(Column.PosSize, to), i64At(Column.PosSize, from), <usize>n << 3);
  memory.copy(i64At(Column.PosQuote, to), i64At(Column.PosQuote, from), <usize>n << 3);
  memory.copy(i64At(Column.PosSnap, to), i64At(Column.PosSnap, from), <usize>n << 3);
  memory.copy(u16At(Column.PosMarket, to), u16At(Column.PosMarket, from), <usize>n << 1);
  memory.copy(u32At(Column.PosAccount, to), u32At(Column.PosAccount, from), <usize>n << 2);
}

/**
 * Slides every live block to the front of the arena, in address order, trimming spare capacity.
 * A slot starts a live block iff its owner is open and the owner's start is that slot.
 */
export function compact(): void {
  bookChanged();
  compactPlacingLast(NONE);
}

/**
 * Compaction that leaves account `last`'s block (if not NONE) at the end of the packed arena, so
 * that it can grow; the block waits in the scratch slots while the others slide.
 */
function compactPlacingLast(last: u32): void {
  let parked: u32 = 0;
  if (last != NONE) {
    parked = load<u32>(u32At(Column.AccPosLen, last));
    moveSlots(load<u32>(u32At(Column.AccPosStart, last)), SCRATCH_SLOT, parked);
  }
  let w: u32 = 0;
  let i: u32 = 0;
  while (i < positionTop) {
    const a = load<u32>(u32At(Column.PosAccount, i));
    if (a != last && a < accountCount && load<u8>(u8At(Column.AccFlags, a)) == ACCOUNT_ACTIVE && load<u32>(u32At(Column.AccPosStart, a)) == i) {
      const len = load<u32>(u32At(Column.AccPosLen, a));
      if (len > 0) {
        if (w != i) moveSlots(i, w, len);
        store<u32>(u32At(Column.AccPosStart, a), w);
        store<u32>(u32At(Column.AccPosCap, a), len);
        w += len;
        i += len;
        continue;
      }
    }
    i++;
  }
  for (let a: u32 = 0; a < accountCount; a++) {
    if (a != last && load<u32>(u32At(Column.AccPosLen, a)) == 0) {
      store<u32>(u32At(Column.AccPosCap, a), 0);
      store<u32>(u32At(Column.AccPosStart, a), w);
    }
  }
  if (last != NONE) {
    moveSlots(SCRATCH_SLOT, w, parked);
    for (let k: u32 = 0; k < parked; k++) store<u32>(u32At(Column.PosAccount, w + k), last);
    store<u32>(u32At(Column.AccPosStart, last), w);
    store<u32>(u32At(Column.AccPosCap, last), parked);
    w += parked;
  }
  setPositionTop(w);
  setPositionLive(w);
}

/** Records that `holder` now holds a position in `market`, for incremental checks. */
export function noteHolder(market: u32, holder: u32): void {
  if (indexDirty) return;
  if (pendingCount >= PENDING_CAP) { setIndexDirty(true); return; }
  store<u32>(u32At(Column.PendingMarket, pendingCount), market);
  store<u32>(u32At(Column.PendingHolder, pendingCount), holder);
  setPendingCount(pendingCount + 1);
}

/** Frees account a's (empty) block when the account closes. */
export function releaseBlock(a: u32): void {
  store<u32>(u32At(Column.AccPosCap, a), 0);
}
