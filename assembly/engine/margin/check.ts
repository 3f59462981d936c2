/**
 * Batch margin checks.
 *
 * For every account in scope: equity, IM, MM and free collateral of its cross book, and its
 * health; the same for each of its isolated positions. Results go to the result columns indexed
 * by account id (isolated row id), book-wide tallies per health code are kept current, and the
 * liquidatable and bankrupt rows can be put in risk order on demand.
 *
 *   healthy       equity >= IM
 *   belowInitial  MM <= equity < IM
 *   liquidatable  0 <= equity < MM
 *   bankrupt      equity < 0
 *
 * Invariant (asserted in debug builds): IM >= MM >= 0 for every group, since every position's
 * imf >= mmf and each tier's deduction keeps MM non-negative.
 *
 * A group whose sums leave i64 makes the call fail with Overflow naming the account; results of a
 * failed call are not valid (JavaScript refuses to read them until a check succeeds).
 */
import { addOverflowBits, OVERFLOWED } from '../../math/fixed';
import { col, Column, ISOLATED_TAG, SCRATCH_SLOT, u16At, i64At, u32At } from '../../abi/layout';
import { Field, Health, Status } from '../../abi/status';
import { accountCount, clearCallTallies, countCall, fail, noteIndexBuilt, resultsCurrent, setResultsValid, setResultsCurrent, indexDirty, isolatedTop, marketCount, nextEpoch, NONE, pendingCount, retally, setIndexDirty, setPendingCount, invalidateResults } from '../state';
import { freeQuote, GROUP_OK, GROUP_RETRY, groupSums, groupSumsCareful, groupSumsExact, setSums, SUMS } from '../book/position';
import { ACCOUNT_ACTIVE } from '../book/book';
import { markAccount, markAccounts, markIsolated } from '../book/publish';

// @ts-ignore: decorator
@inline export function healthOf(equity: i64, im: i64, mm: i64): u32 {
  // Branch-free: bankrupt if equity < 0, else liquidatable if < MM, below initial if < IM.
  return equity < 0 ? Health.Bankrupt : (equity < mm ? Health.Liquidatable : (equity < im ? Health.BelowInitial : Health.Healthy));
}


/** Evaluates account a's cross book with the given collateral into the group sums. False on overflow. */
export function evaluateCross(a: u32, collateral: i64): bool {
  const off = <usize>a << 2;
  return groupSumsExact(load<u32>(col(Column.AccPosStart) + off), load<u32>(col(Column.AccPosLen) + off), <u64>load<u32>(col(Column.AccFloorPpm) + off), collateral);
}

/**
 * Evaluates account a's cross book as it would be with its position in `market` replaced by
 * (size, quote, snap), added if it holds none, dropped if size is 0: the book is copied to the
 * scratch slots past the arena's end and summed there. False on overflow.
 */
export function evaluateCrossWith(a: u32, collateral: i64, market: u32, size: i64, quote: i64, snap: i64): bool {
  const off = <usize>a << 2;
  const start = load<u32>(col(Column.AccPosStart) + off), len = load<u32>(col(Column.AccPosLen) + off);
  let n: u32 = 0;
  for (let s = start; s < start + len; s++) {
    if (<u32>load<u16>(u16At(Column.PosMarket, s)) == market) continue;
    copySlot(s, SCRATCH_SLOT + n++);
  }
  if (size != 0) writeSlot(SCRATCH_SLOT + n++, market, size, quote, snap);
  return groupSumsExact(SCRATCH_SLOT, n, <u64>load<u32>(col(Column.AccFloorPpm) + off), collateral);
}

/**
 * Account a's cross figures with the given collateral into the group sums: read from the results when
 * they are current (equity moves with collateral one for one), else summed. False on overflow.
 */
export function crossFigures(a: u32, collateral: i64): bool {
  if (!resultsCurrent) return evaluateCross(a, collateral);
  const o8 = <usize>a << 3;
  const delta = collateral - load<i64>(col(Column.AccCollateral) + o8); // both within 2^62
  const equity = load<i64>(col(Column.AccEquity) + o8), e = equity + delta;
  if (((equity ^ e) & (delta ^ e)) < 0) return false;
  setSums(e, load<i64>(col(Column.AccIm) + o8), load<i64>(col(Column.AccMm) + o8));
  return true;
}

/** Isolated row r's figures (its own collateral) into the group sums: the results when current. */
export function isolatedFigures(a: u32, r: u32): bool {
  const o8 = <usize>r << 3;
  if (resultsCurrent) {
    setSums(load<i64>(col(Column.IsoEquity) + o8), load<i64>(col(Column.IsoIm) + o8), load<i64>(col(Column.IsoMm) + o8));
    return true;
  }
  return evaluateIsolatedRow(a, r, load<i64>(col(Column.IsoCollateral) + o8));
}

/**
 * Evaluates isolated row r of account a as it stands, with `collateral` (its own, or 0 for its
 * unrealized part), into the group sums.
 */
// @ts-ignore: decorator
@inline function evaluateIsolatedRow(a: u32, r: u32, collateral: i64): bool {
  const o8 = <usize>r << 3;
  return evaluateIsolated(a, <u32>load<u16>(u16At(Column.IsoMarket, r)), collateral,
    load<i64>(col(Column.IsoSize) + o8), load<i64>(col(Column.IsoQuote) + o8), load<i64>(col(Column.IsoSnap) + o8));
}

/** Evaluates one isolated position (account a's floor applies) into the group sums. */
export function evaluateIsolated(a: u32, market: u32, collateral: i64, size: i64, quote: i64, snap: i64): bool {
  writeSlot(SCRATCH_SLOT, market, size, quote, snap);
  return groupSumsExact(SCRATCH_SLOT, 1, <u64>load<u32>(u32At(Column.AccFloorPpm, a)), collateral);
}

/**
 * A group's unrealized part, Σ(value - fundingOwed) over its positions (its equity less its
 * collateral), exactly as a check sums them, without writing results: a cross account (holder tag =
 * account id) or an isolated row (tag with ISOLATED_TAG). OVERFLOWED when the sums leave range.
 * The waterfall reads equity = collateral + this when a group pays, so that no step takes a solvent
 * group below zero; a step that only moves collateral may keep this part for the step.
 */
export function unrealizedOf(tag: u32): i64 {
  if ((tag & ISOLATED_TAG) == 0) return evaluateCross(tag, 0) ? SUMS.equityQuote : OVERFLOWED;
  const r = tag & ~ISOLATED_TAG;
  return evaluateIsolatedRow(load<u32>(u32At(Column.IsoAccount, r)), r, 0) ? SUMS.equityQuote : OVERFLOWED;
}

/** A group's collateral: the account's cross collateral, or the isolated row's. */
// @ts-ignore: decorator
@inline export function collateralOf(tag: u32): i64 {
  return (tag & ISOLATED_TAG) == 0 ? load<i64>(i64At(Column.AccCollateral, tag)) : load<i64>(i64At(Column.IsoCollateral, (tag & ~ISOLATED_TAG)));
}

/** collateral + unrealized: OVERFLOWED when the unrealized part is, or the sum leaves i64. */
// @ts-ignore: decorator
@inline export function equityWith(collateral: i64, unrealized: i64): i64 {
  if (unrealized == OVERFLOWED) return OVERFLOWED;
  const e = collateral + unrealized;
  return addOverflowBits(collateral, unrealized, e) < 0 ? OVERFLOWED : e;
}

/** The equity of a group as it is now (see unrealizedOf); OVERFLOWED out of range (such a group pays nothing). */
export function equityOf(tag: u32): i64 { return equityWith(collateralOf(tag), unrealizedOf(tag)); }

// @ts-ignore: decorator
@inline function copySlot(from: u32, to: u32): void {
  writeSlot(to, <u32>load<u16>(u16At(Column.PosMarket, from)), load<i64>(i64At(Column.PosSize, from)), load<i64>(i64At(Column.PosQuote, from)), load<i64>(i64At(Column.PosSnap, from)));
}

// @ts-ignore: decorator
@inline function writeSlot(s: u32, market: u32, size: i64, quote: i64, snap: i64): void {
  store<u16>(u16At(Column.PosMarket, s), <u16>market);
  store<i64>(i64At(Column.PosSize, s), size);
  store<i64>(i64At(Column.PosQuote, s), quote);
  store<i64>(i64At(Column.PosSnap, s), snap);
}

/** Writes a group's results to row `i` of the account (slot 0) or isolated (slot 1) columns. */
// @ts-ignore: decorator
@inline function writeResults(slot: u32, i: u32): void {
  const free = freeQuote();
  const equity = SUMS.equityQuote, im = SUMS.imQuote, mm = SUMS.mmQuote;
  assert(im >= mm && mm >= 0, 'IM >= MM >= 0');
  const base = slot == 0 ? Column.AccEquity : Column.IsoEquity;
  const off = <usize>i << 3;
  store<i64>(col(base) + off, equity);
  store<i64>(col(base + 1) + off, im);
  store<i64>(col(base + 2) + off, mm);
  store<i64>(col(base + 3) + off, free);
  const hp = col(slot == 0 ? Column.AccHealth : Column.IsoHealth) + <usize>i;
  if (slot == 1) markIsolated(i); // accounts: marked by the callers, a range at a time in the batch loop
  const h = healthOf(equity, im, mm);
  const old = <u32>load<u8>(hp);
  store<u8>(hp, <u8>h);
  if (old != h) retally(slot, old, h);
  countCall(slot, h);
}

/** Checks account a alone (cross book and isolated rows); false (error recorded, results invalid) on overflow. */
export function recheckAccount(a: u32): bool {
  if (checkAccount(a)) return true;
  invalidateResults();
  return false;
}

/** Checks account a (cross book and isolated rows). Returns false (error recorded) on overflow. */
function checkAccount(a: u32): bool {
  if (!evaluateCross(a, load<i64>(i64At(Column.AccCollateral, a)))) {
    fail(Status.Overflow, Field.AccountId, <i32>a);
    return false;
  }
  markAccount(a);
  writeResults(0, a);
  let r = load<u32>(u32At(Column.AccIsoHead, a));
  while (r != NONE) {
    if (!checkIsolatedRow(r, a)) return false;
    r = load<u32>(u32At(Column.IsoNext, r));
  }
  return true;
}

function checkIsolatedRow(r: u32, a: u32): bool {
  if (!evaluateIsolatedRow(a, r, load<i64>(i64At(Column.IsoCollateral, r)))) {
    fail(Status.Overflow, Field.AccountId, <i32>a);
    return false;
  }
  writeResults(1, r);
  return true;
}

/**
 * The hot loop: accounts [first, first + count). Kept separate from `checkAccount` so that the
 * common case (no isolated rows) reads one account's columns and its positions, nothing else.
 */
export function checkRange(first: u32, count: u32): i32 {
  // A refused call changes nothing: the scope is validated before this call's tallies are cleared.
  if (<u64>first + count > <u64>accountCount) return fail(Status.UnknownAccount, Field.AccountId, <i32>accountCount);
  clearCallTallies();
  markAccounts(first, count); // the rows this call may write, for the published results (publish.ts)
  const flags = col(Column.AccFlags), collateral = col(Column.AccCollateral);
  const starts = col(Column.AccPosStart), lens = col(Column.AccPosLen), floors = col(Column.AccFloorPpm);
  const isoHeads = col(Column.AccIsoHead);
  for (let a = first; a < first + count; a++) {
    if (load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    const off = <usize>a << 2;
    // groupSums inlined here (the batch loop); evaluateCross is the same for single accounts.
    let r = groupSums(load<u32>(starts + off), load<u32>(lens + off), <u64>load<u32>(floors + off), load<i64>(collateral + (<usize>a << 3)), false);
    if (r == GROUP_RETRY) r = groupSumsCareful(load<u32>(starts + off), load<u32>(lens + off), <u64>load<u32>(floors + off), load<i64>(collateral + (<usize>a << 3)));
    if (r != GROUP_OK) {
      fail(Status.Overflow, Field.AccountId, <i32>a);
      invalidateResults();
      return Status.Overflow;
    }
    writeResults(0, a);
    let row = load<u32>(isoHeads + off);
    while (row != NONE) {
      if (!checkIsolatedRow(row, a)) { invalidateResults(); return Status.Overflow; }
      row = load<u32>(u32At(Column.IsoNext, row));
    }
  }
  if (first == 0 && count == accountCount) { setResultsValid(true); setResultsCurrent(true); }
  return Status.Ok;
}

/**
 * Whether a check of the whole book would succeed: every open account's cross book and isolated
 * rows summed as a check sums them, writing no results (so it changes nothing). Overflow naming the
 * first account whose sums leave range.
 */
export function checkInRange(): i32 {
  if (resultsCurrent) return Status.Ok; // a full check of the book as it is succeeded
  const flags = col(Column.AccFlags);
  for (let a: u32 = 0; a < accountCount; a++) {
    if (load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    if (!evaluateCross(a, load<i64>(i64At(Column.AccCollateral, a)))) return fail(Status.Overflow, Field.AccountId, <i32>a);
    let r = load<u32>(u32At(Column.AccIsoHead, a));
    while (r != NONE) {
      if (!evaluateIsolatedRow(a, r, load<i64>(i64At(Column.IsoCollateral, r)))) return fail(Status.Overflow, Field.AccountId, <i32>a);
      r = load<u32>(u32At(Column.IsoNext, r));
    }
  }
  return Status.Ok;
}

/** Accounts listed in IoU32[0..count). Duplicates are checked once. */
export function checkList(count: u32): i32 {
  const ids = col(Column.IoU32);
  for (let i: u32 = 0; i < count; i++) {
    if (load<u32>(ids + (<usize>i << 2)) >= accountCount) return fail(Status.UnknownAccount, Field.AccountId, <i32>i);
  }
  clearCallTallies();
  const stamp = nextEpoch();
  const stamps = col(Column.AccStamp), flags = col(Column.AccFlags);
  for (let i: u32 = 0; i < count; i++) {
    const a = load<u32>(ids + (<usize>i << 2));
    if (load<u32>(stamps + (<usize>a << 2)) == stamp) continue;
    store<u32>(stamps + (<usize>a << 2), stamp);
    if (load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    if (!checkAccount(a)) { invalidateResults(); return Status.Overflow; }
  }
  return Status.Ok;
}

/**
 * Incremental check after the markets in IoU32[0..count) moved: re-checks only the accounts (and
 * isolated rows) that hold a position in one of them, found through the market index.
 */
export function checkMarkets(count: u32): i32 {
  const ids = col(Column.IoU32);
  for (let i: u32 = 0; i < count; i++) {
    if (load<u32>(ids + (<usize>i << 2)) >= marketCount) return fail(Status.UnknownMarket, Field.MarketId, <i32>i);
  }
  clearCallTallies();
  if (indexDirty) buildIndex();
  const stamp = nextEpoch();
  const stamps = col(Column.AccStamp), flags = col(Column.AccFlags);
  const mstamps = col(Column.MarketStamp);
  const starts = col(Column.IndexStart), entries = col(Column.IndexEntries);
  for (let i: u32 = 0; i < count; i++) {
    const m = load<u32>(ids + (<usize>i << 2));
    if (load<u32>(mstamps + (<usize>m << 2)) == stamp) continue;
    store<u32>(mstamps + (<usize>m << 2), stamp);
    const end = load<u32>(starts + (<usize>(m + 1) << 2));
    for (let e = load<u32>(starts + (<usize>m << 2)); e < end; e++) {
      if (!checkHolder(load<u32>(entries + (<usize>e << 2)), stamp, stamps, flags)) { invalidateResults(); return Status.Overflow; }
    }
  }
  const pm = col(Column.PendingMarket), ph = col(Column.PendingHolder);
  for (let k: u32 = 0; k < pendingCount; k++) {
    if (load<u32>(mstamps + (<usize>load<u32>(pm + (<usize>k << 2)) << 2)) != stamp) continue;
    if (!checkHolder(load<u32>(ph + (<usize>k << 2)), stamp, stamps, flags)) { invalidateResults(); return Status.Overflow; }
  }
  return Status.Ok;
}

/**
 * Re-checks one index entry: the account it names, or the owner of the isolated row it names (tagged),
 * once per call: an account is always checked whole (cross book and isolated rows), so no row is
 * counted twice.
 */
// @ts-ignore: decorator
@inline function checkHolder(holder: u32, stamp: u32, stamps: usize, flags: usize): bool {
  let a = holder;
  if (holder & ISOLATED_TAG) {
    const r = holder & ~ISOLATED_TAG;
    if (r >= isolatedTop || load<u8>(col(Column.IsoFlags) + <usize>r) == 0) return true; // closed since
    a = load<u32>(u32At(Column.IsoAccount, r));
  }
  if (load<u32>(stamps + (<usize>a << 2)) == stamp) return true;
  store<u32>(stamps + (<usize>a << 2), stamp);
  if (load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) return true;
  return checkAccount(a);
}

/**
 * Builds the market -> holders index (CSR) from the book: every open account once per market it
 * holds cross, every isolated row once (tagged). Entries that go stale later (a position closed)
 * only cost a wasted re-check; new holders go to the pending list until the next rebuild.
 */
export function buildIndex(): void {
  noteIndexBuilt();
  const starts = col(Column.IndexStart), fill = col(Column.IndexFill), entries = col(Column.IndexEntries);
  memory.fill(fill, 0, <usize>marketCount << 2);
  const flags = col(Column.AccFlags);
  const posStart = col(Column.AccPosStart), posLen = col(Column.AccPosLen), posMarket = col(Column.PosMarket);
  // Step 1: count holders per market.
  for (let a: u32 = 0; a < accountCount; a++) {
    if (load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    const s0 = load<u32>(posStart + (<usize>a << 2)), n = load<u32>(posLen + (<usize>a << 2));
    for (let s = s0; s < s0 + n; s++) {
      const p = fill + (<usize>load<u16>(posMarket + (<usize>s << 1)) << 2);
      store<u32>(p, load<u32>(p) + 1);
    }
  }
  const isoFlags = col(Column.IsoFlags), isoMarket = col(Column.IsoMarket);
  for (let r: u32 = 0; r < isolatedTop; r++) {
    if (load<u8>(isoFlags + <usize>r) == 0) continue;
    const p = fill + (<usize>load<u16>(isoMarket + (<usize>r << 1)) << 2);
    store<u32>(p, load<u32>(p) + 1);
  }
  // Step 2: prefix sums; `fill` becomes each market's write cursor.
  let total: u32 = 0;
  for (let m: u32 = 0; m < marketCount; m++) {
    const n = load<u32>(fill + (<usize>m << 2));
    store<u32>(starts + (<usize>m << 2), total);
    store<u32>(fill + (<usize>m << 2), total);
    total += n;
  }
  store<u32>(starts + (<usize>marketCount << 2), total);
  // Step 3: place the holders.
  for (let a: u32 = 0; a < accountCount; a++) {
    if (load<u8>(flags + <usize>a) != ACCOUNT_ACTIVE) continue;
    const s0 = load<u32>(posStart + (<usize>a << 2)), n = load<u32>(posLen + (<usize>a << 2));
    for (let s = s0; s < s0 + n; s++) {
      const p = fill + (<usize>load<u16>(posMarket + (<usize>s << 1)) << 2);
      const e = load<u32>(p);
      store<u32>(entries + (<usize>e << 2), a);
      store<u32>(p, e + 1);
    }
  }
  for (let r: u32 = 0; r < isolatedTop; r++) {
    if (load<u8>(isoFlags + <usize>r) == 0) continue;
    const p = fill + (<usize>load<u16>(isoMarket + (<usize>r << 1)) << 2);
    const e = load<u32>(p);
    store<u32>(entries + (<usize>e << 2), r | ISOLATED_TAG);
    store<u32>(p, e + 1);
  }
  setPendingCount(0);
  setIndexDirty(false);
}
