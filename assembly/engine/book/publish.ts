/**
 * Published results: what the caller's results views show.
 *
 * The core reads its result columns (equity, IM, MM, health of every account and isolated row) as
 * inputs: planning's queue and figures, ADL ranking keys, the health tallies, a simulation's
 * skipping bounds. A view the caller can write must therefore not be those columns. The views show
 * the Pub* columns instead, a copy the core only ever writes: `publishResults` copies the rows
 * written since the last publish (marked in AccDirty / IsoDirty, one byte per row, by every writer
 * of a result row) when JavaScript asks for a view. A caller's write into a view lasts until that
 * row is published again and steers nothing.
 *
 * Cost: 33 bytes per account (and 39 per isolated row, which also publish their account and
 * market) plus one mark byte each; a publish copies the marked rows, in runs, or the whole table
 * in bulk when many rows are marked (FULL_COPY).
 */
import { col, Column, u16At, u32At } from '../../abi/layout';
import { accountCount, isolatedTop } from '../state';

/**
 * From one marked row in FULL_COPY on, the whole table is copied: a copy in bulk costs about 4 ns a
 * row, one row at a time about 140 ns when the rows are scattered (cache misses in 10 columns), as
 * measured on a 1M-account book (README, "Views").
 */
const FULL_COPY: u64 = 32;

/** Marked rows among the first n (marks are 0 or 1: a u64's popcount counts eight rows). */
function markedRows(marks: usize, n: u32): u64 {
  let count: u64 = 0, i: u32 = 0;
  for (; i + 8 <= n; i += 8) count += popcnt<u64>(load<u64>(marks + <usize>i));
  for (; i < n; i++) count += <u64>load<u8>(marks + <usize>i);
  return count;
}

/** Eight marked rows, as one u64 of marks. */
const ALL_MARKED: u64 = 0x0101010101010101;

/** Every row of the table changed (a restored snapshot): the next publish copies all of it. */
let accountsAll = true, isolatedAll = true;
/** Some row was marked since the last publish. */
let accountsMarked = false, isolatedMarked = false;

/** Account a's results (or health) changed. */
// @ts-ignore: decorator
@inline export function markAccount(a: u32): void {
  store<u8>(col(Column.AccDirty) + <usize>a, 1);
  accountsMarked = true;
}

/** Accounts [first, first + count) may have changed (a batch check marks its range at once). */
export function markAccounts(first: u32, count: u32): void {
  memory.fill(col(Column.AccDirty) + <usize>first, 1, <usize>count);
  if (count > 0) accountsMarked = true;
}

/** Isolated row r's results, health, account or market changed. */
// @ts-ignore: decorator
@inline export function markIsolated(r: u32): void {
  store<u8>(col(Column.IsoDirty) + <usize>r, 1);
  isolatedMarked = true;
}

/** Every result row changed (a simulation restored its snapshot). */
export function markAllResults(): void { accountsAll = true; isolatedAll = true; }

/** Runs shorter than this are copied row by row (a memory.copy call costs more than a few stores). */
const SHORT_RUN: u32 = 16;

/**
 * Copies rows [from, to) of the account (or isolated) result columns to their published copies and
 * clears their marks.
 */
function copyRows(isolated: bool, from: u32, to: u32): void {
  const marks = col(isolated ? Column.IsoDirty : Column.AccDirty);
  const e0 = col(isolated ? Column.IsoEquity : Column.AccEquity), p0 = col(isolated ? Column.PubIsoEquity : Column.PubAccEquity);
  const h = col(isolated ? Column.IsoHealth : Column.AccHealth), ph = col(isolated ? Column.PubIsoHealth : Column.PubAccHealth);
  const stride = col(isolated ? Column.IsoIm : Column.AccIm) - e0, pstride = col(isolated ? Column.PubIsoIm : Column.PubAccIm) - p0;
  if (to - from < SHORT_RUN) {
    for (let r = from; r < to; r++) {
      const o = <usize>r << 3;
      // Equity, IM, MM, free: four columns of one stride apart, in both tables (abi/layout.ts).
      for (let c: usize = 0; c < 4; c++) store<i64>(p0 + c * pstride + o, load<i64>(e0 + c * stride + o));
      store<u8>(ph + <usize>r, load<u8>(h + <usize>r));
      if (isolated) {
        store<u32>(u32At(Column.PubIsoAccount, r), load<u32>(u32At(Column.IsoAccount, r)));
        store<u16>(u16At(Column.PubIsoMarket, r), load<u16>(u16At(Column.IsoMarket, r)));
      }
      store<u8>(marks + <usize>r, 0);
    }
    return;
  }
  const n = <usize>(to - from);
  for (let c: usize = 0; c < 4; c++) memory.copy(p0 + c * pstride + (<usize>from << 3), e0 + c * stride + (<usize>from << 3), n << 3);
  memory.copy(ph + <usize>from, h + <usize>from, n);
  if (isolated) {
    memory.copy(u32At(Column.PubIsoAccount, from), u32At(Column.IsoAccount, from), n << 2);
    memory.copy(u16At(Column.PubIsoMarket, from), u16At(Column.IsoMarket, from), n << 1);
  }
  memory.fill(marks + <usize>from, 0, n);
}

/**
 * Publishes the account results (isolated = 0) or the isolated ones (1): the rows marked since the
 * last publish, in runs of consecutive rows (all of them after a restore), then clears the marks.
 */
export function publishResults(isolated: u32): void {
  const iso = isolated != 0;
  const n = iso ? isolatedTop : accountCount;
  const marks = col(iso ? Column.IsoDirty : Column.AccDirty);
  if ((iso ? isolatedAll : accountsAll) || ((iso ? isolatedMarked : accountsMarked) && markedRows(marks, n) * FULL_COPY >= <u64>n)) {
    copyRows(iso, 0, n);
  } else if (iso ? isolatedMarked : accountsMarked) {
    let i: u32 = 0;
    while (i < n) {
      // Eight unmarked rows at a time; a run of marked rows, eight at a time where all are.
      if (i + 8 <= n && load<u64>(marks + <usize>i) == 0) { i += 8; continue; }
      if (load<u8>(marks + <usize>i) == 0) { i++; continue; }
      let j = i + 1;
      while (j + 8 <= n && load<u64>(marks + <usize>j) == ALL_MARKED) j += 8;
      while (j < n && load<u8>(marks + <usize>j) != 0) j++;
      copyRows(iso, i, j);
      i = j;
    }
  }
  if (iso) { isolatedAll = false; isolatedMarked = false; } else { accountsAll = false; accountsMarked = false; }
}
