/**
 * Engine-wide state: the counters that describe the book, the error record, health tallies, the
 * liquidation totals and the flags every stage reads (a waiting plan, current results). Other
 * files keep only their own stage's private state; the columns are laid out in abi/layout.ts.
 */
import { Field, Health, Status } from '../abi/status';
import { CountersRecord, ErrorRecord, LiqRecord, PreTradeRecord, TallyRecord } from '../abi/records';

/** Error record read by JavaScript after a failed call (ErrorRecord): code, field, row. */
export const ERROR_RECORD: usize = memory.data(ErrorRecord.BYTES);
/** Tallies (TallyRecord): u32 counts by Health, book-wide accounts, book-wide isolated rows, this
 * call's accounts, this call's isolated rows (slots 0..3 of 5 counts each). */
export const TALLY_RECORD: usize = memory.data(TallyRecord.BYTES);
/** 16 bytes of scratch for two-word math results (math/wide.ts `out` parameters). */
export const SCRATCH: usize = memory.data(16);
/** Pre-trade answer (PreTradeRecord): equity, IM, MM, free, health, reason. */
export const PRETRADE_RECORD: usize = memory.data(PreTradeRecord.BYTES);

/** Liquidation totals (LiqRecord): pending deficit records; all-time 128-bit totals of liquidator
 * fees, deficits recorded and flow (funding - realized). */
export const LIQ_RECORD: usize = memory.data(LiqRecord.BYTES, 8);

export const NONE: u32 = 0xFFFFFFFF;

export let initialized = false;
export let accountCount: u32 = 0;
/** First free slot at the end of the position arena. */
export let positionTop: u32 = 0;
/** Cross positions held by open accounts (the arena's size after compaction). */
export let positionLive: u32 = 0;
export let isolatedTop: u32 = 0;
export let isolatedFreeHead: u32 = NONE;
export let isolatedLive: u32 = 0;
export let marketCount: u32 = 0;
export let tierTop: u32 = 0;
/** The market index must be rebuilt before the next incremental check. */
export let indexDirty = true;
export let pendingCount: u32 = 0;
/** A liquidation plan waits to be executed; any change to the book discards it. */
export let planReady = false;
export function setPlanReady(ready: bool): void { planReady = ready; }
/**
 * Planning rehearsed the waiting plan's rows (execution's first pass, liquidation/execute.ts) on the
 * book as it is, so execution may skip that pass for the unedited plan; a fund deposit, an edit or an
 * execution voids it.
 */
export let planRehearsed = false;
export function setPlanRehearsed(rehearsed: bool): void { planRehearsed = rehearsed; }
/** Times the market index was built (a simulation restores the index only if it was rebuilt). */
export let indexBuilds: u32 = 0;
export function noteIndexBuilt(): void { indexBuilds++; }

/**
 * False when a check failed (overflow) and no full check has succeeded since: the result columns are
 * not valid. Not the same as `resultsCurrent` (below): valid means every row holds the figures of
 * a check that succeeded (no row was left half-written by an overflow), which planning needs to order
 * groups by risk; current means, in addition, that those figures are of the book as it is now (a
 * full check succeeded and nothing changed since), so they may be read instead of summed again.
 */
export let resultsValid = true;
/** Set by the checks (margin/check.ts), and by a simulation that restored a snapshot taken after one. */
export function setResultsValid(valid: bool): void { resultsValid = valid; }
/**
 * The result columns hold every group's figures for the book as it is: a full check succeeded and
 * nothing changed since. Prices, planning and execution then read a group's equity and MM instead
 * of summing its positions again (the same sums, so the same numbers). Stronger than `resultsValid`
 * (above), which only says no row was left half-written by a failed check.
 */
export let resultsCurrent = false;
export function setResultsCurrent(current: bool): void { resultsCurrent = current; }
/** A check failed (overflow): the result columns are neither valid nor current until a full check succeeds. */
export function invalidateResults(): void { resultsValid = false; resultsCurrent = false; }
/** Every operation that changes the book calls this: a waiting plan is discarded, results go stale. */
export function bookChanged(): void { planReady = false; resultsCurrent = false; bookVersion++; }
/** Counts the calls that changed the book (a simulation tells a restored book from a touched one). */
export let bookVersion: u32 = 0;
/** `return changed()` ends a successful call that changed the book (a refused one changes nothing). */
export function changed(): i32 { bookChanged(); return 0; }
/** Stamp for de-duplicating accounts within one call. */
export let epoch: u32 = 0;

export function setInitialized(): void { initialized = true; }

/** The counters that describe the book (CountersRecord; a simulation saves them with its snapshot, simulation/snapshot.ts). */
export function saveCounters(p: usize): void {
  store<u32>(p, accountCount, CountersRecord.accountCount); store<u32>(p, positionTop, CountersRecord.positionTop);
  store<u32>(p, positionLive, CountersRecord.positionLive); store<u32>(p, isolatedTop, CountersRecord.isolatedTop);
  store<u32>(p, isolatedFreeHead, CountersRecord.isolatedFreeHead); store<u32>(p, isolatedLive, CountersRecord.isolatedLive);
  store<u32>(p, marketCount, CountersRecord.marketCount); store<u32>(p, tierTop, CountersRecord.tierTop);
  store<u32>(p, pendingCount, CountersRecord.pendingCount);
  store<u8>(p, <u8>indexDirty, CountersRecord.indexDirty); store<u8>(p, <u8>resultsCurrent, CountersRecord.resultsCurrent);
}
export function loadCounters(p: usize): void {
  accountCount = load<u32>(p, CountersRecord.accountCount); positionTop = load<u32>(p, CountersRecord.positionTop);
  positionLive = load<u32>(p, CountersRecord.positionLive); isolatedTop = load<u32>(p, CountersRecord.isolatedTop);
  isolatedFreeHead = load<u32>(p, CountersRecord.isolatedFreeHead); isolatedLive = load<u32>(p, CountersRecord.isolatedLive);
  marketCount = load<u32>(p, CountersRecord.marketCount); tierTop = load<u32>(p, CountersRecord.tierTop);
  pendingCount = load<u32>(p, CountersRecord.pendingCount);
  indexDirty = load<u8>(p, CountersRecord.indexDirty) != 0; resultsCurrent = load<u8>(p, CountersRecord.resultsCurrent) != 0;
  planReady = false;
}
export function setAccountCount(n: u32): void { accountCount = n; }
export function setPositionTop(n: u32): void { positionTop = n; }
export function setPositionLive(n: u32): void { positionLive = n; }
export function setIsolatedTop(n: u32): void { isolatedTop = n; }
export function setIsolatedFreeHead(n: u32): void { isolatedFreeHead = n; }
export function setIsolatedLive(n: u32): void { isolatedLive = n; }
export function setMarketCount(n: u32): void { marketCount = n; }
export function setTierTop(n: u32): void { tierTop = n; }
export function setIndexDirty(d: bool): void { indexDirty = d; }
export function setPendingCount(n: u32): void { pendingCount = n; }
export function nextEpoch(): u32 { return ++epoch; }

/** Records an error for JavaScript and returns its code, so callers can `return fail(...)`. */
export function fail(code: Status, field: Field, row: i32): i32 {
  store<i32>(ERROR_RECORD, code, ErrorRecord.code);
  store<i32>(ERROR_RECORD, field, ErrorRecord.field);
  store<i32>(ERROR_RECORD, row, ErrorRecord.row);
  return code;
}

export function clearError(): void {
  store<i32>(ERROR_RECORD, 0, ErrorRecord.code);
  store<i32>(ERROR_RECORD, 0, ErrorRecord.field);
  store<i32>(ERROR_RECORD, -1, ErrorRecord.row);
}

// @ts-ignore: decorator
@inline export function tallyPtr(slot: u32, health: u32): usize {
  // Slot s (0 book accounts, 1 book isolated, 2 call accounts, 3 call isolated) at TallyRecord's 20 s.
  return TALLY_RECORD + ((slot * 5 + health) << 2);
}

/** Moves one row from health `from` to `to` in a book-wide tally (slot 0 accounts, 1 isolated). */
// @ts-ignore: decorator
@inline export function retally(slot: u32, from: u32, to: u32): void {
  const a = tallyPtr(slot, from), b = tallyPtr(slot, to);
  store<u32>(a, load<u32>(a) - 1);
  store<u32>(b, load<u32>(b) + 1);
}

// @ts-ignore: decorator
@inline export function countCall(slot: u32, health: u32): void {
  const p = tallyPtr(slot + 2, health);
  store<u32>(p, load<u32>(p) + 1);
}

export function clearCallTallies(): void {
  memory.fill(TALLY_RECORD + TallyRecord.callAccounts, 0, TallyRecord.BYTES - TallyRecord.callAccounts);
}

export function addInactive(slot: u32, n: u32): void {
  const p = tallyPtr(slot, Health.Inactive);
  store<u32>(p, load<u32>(p) + n);
}

/** Drops one row with this health from a book-wide tally (a row that stops existing). */
export function untally(slot: u32, health: u32): void {
  const p = tallyPtr(slot, health);
  store<u32>(p, load<u32>(p) - 1);
}
