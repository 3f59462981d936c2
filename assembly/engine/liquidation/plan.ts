/**
 * Liquidation planning: the policy, the outcome of one close, and the plan of a round
 * (docs/FORMULAS.md, "Executing one close" and "Planning a round").
 *
 * The plan is written to the first columns of the liquidation log (account, market, isolated row,
 * kind, size, price), each close with the amounts it will move; execute.ts validates it, executes it
 * and completes the other columns. The caller sees a copy of the plan (the Plan columns) and may edit
 * its sizes and prices in between; the log columns are the core's own.
 *
 * Planning also runs execution's first pass, the simulation, on each group right after planning it
 * (the group's memory is in the cache then, and its closes' amounts are at hand): an unedited plan
 * on an unchanged book then executes with the writing pass alone.
 */
import { AMOUNT_LIMIT, FAST_LIMIT, mulDivCeilFast, mulDivExact, mulDivFloorFast, mulDivRounded, OVERFLOWED, requirementCeilExact } from '../../math/fixed';
import { compareProducts, buildQueue } from '../margin/queue';
import { col, Column, logCapacity, M_BASE_IMF, M_BASE_LIMIT, M_BASE_MMF, M_D, M_D6, M_INV_D, M_MARK, M_MARK_OVER_D, M_MARK_OVER_D6, M_STEP, SCRATCH_SLOTS } from '../../abi/layout';
import { Field, RowKind, Status } from '../../abi/status';
import { accountCount, clearError, fail, LIQ_RECORD, NONE, SCRATCH, setPlanReady } from '../state';
import { beginSimulation, planWasSimulated, simulateRows, simulationFits, writeAmounts } from './execute';
import { marketPtr, positionTerms, positionTermsInline, sumEquity, sumIm, sumMm, termIm, termMm } from '../book/position';
import { crossFigures, isolatedFigures, resultsValid } from '../margin/check';
import { ACCOUNT_ACTIVE, sideIndex } from '../book/book';
import { equityShare } from '../margin/prices';

// ---------------------------------------------------------------------------------------------
// Policy

/** Written by JavaScript (src/liquidation.ts PolicyField), validated into the active policy by setPolicy. */
export const POLICY_RECORD: usize = memory.data(72, 8);
const ACTIVE_POLICY: usize = memory.data(72, 8);
export const P_CLOSE = 0, P_TARGET = 4, P_BUFFER = 8, P_FRACTION = 12, P_ORDER = 16, P_FEE = 20, P_SHARE = 24;
export const P_BACKSTOP = 28, P_VAULT = 32, P_MIN_CLOSE = 40, P_FRACTION_ABOVE = 48, P_MAX_NOTIONAL = 56, P_MAX_DEFICIT = 64;
const PPM: i64 = 1_000_000;

// @ts-ignore: decorator
@inline export function policyU32(offset: usize): u32 { return load<u32>(ACTIVE_POLICY + offset); }
// @ts-ignore: decorator
@inline export function policyI64(offset: usize): i64 { return load<i64>(ACTIVE_POLICY + offset); }

/**
 * Validates POLICY_RECORD and makes it the active policy (planning and execution read it). Errors:
 * InvalidPolicy naming the knob (the active policy, and a waiting plan, stay as they were).
 */
export function setPolicy(): i32 {
  const status = checkPolicy();
  if (status != Status.Ok) return status;
  memory.copy(ACTIVE_POLICY, POLICY_RECORD, 72);
  setPlanReady(false); // a waiting plan was made, and simulated, under the policy it replaces
  return Status.Ok;
}

/**
 * Validates POLICY_RECORD by setPolicy's rules without activating it (a caller that must refuse a
 * bad policy before anything else moves asks first). Errors: as setPolicy.
 */
export function checkPolicy(): i32 {
  const p = POLICY_RECORD;
  if (load<u32>(p, P_CLOSE) > 1 || load<u32>(p, P_TARGET) > 1 || load<u32>(p, P_ORDER) > 2) return fail(Status.InvalidPolicy, Field.Policy, -1);
  if (load<u32>(p, P_BUFFER) > <u32>PPM) return fail(Status.InvalidPolicy, Field.BufferPpm, -1);
  const fraction = load<u32>(p, P_FRACTION);
  if (fraction == 0 || fraction > <u32>PPM) return fail(Status.InvalidPolicy, Field.MaxCloseFractionPpm, -1);
  if (load<u32>(p, P_FEE) > <u32>PPM) return fail(Status.InvalidPolicy, Field.LiquidationFeePpm, -1);
  if (load<u32>(p, P_SHARE) > <u32>PPM) return fail(Status.InvalidPolicy, Field.LiquidatorSharePpm, -1);
  const backstop = load<u32>(p, P_BACKSTOP), vault = load<u32>(p, P_VAULT);
  if (backstop > <u32>PPM) return fail(Status.InvalidPolicy, Field.BackstopPpm, -1);
  if (backstop > 0 && (vault >= accountCount || load<u8>(col(Column.AccFlags) + <usize>vault) != ACCOUNT_ACTIVE)) return fail(Status.InvalidPolicy, Field.BackstopAccountId, -1);
  // Transfers merge into the backstop account's cross book: an isolated position of its own in a
  // market would make a transfer there impossible (one position per account and market), after a
  // cascade had already checked the book. So such an account is refused as the backstop up front.
  if (backstop > 0 && load<u32>(col(Column.AccIsoHead) + (<usize>vault << 2)) != NONE) return fail(Status.InvalidPolicy, Field.BackstopAccountId, -1);
  if (!amountOk(load<i64>(p, P_MIN_CLOSE))) return fail(Status.InvalidPolicy, Field.MinCloseNotionalQuote, -1);
  if (!amountOk(load<i64>(p, P_FRACTION_ABOVE))) return fail(Status.InvalidPolicy, Field.FractionAboveNotionalQuote, -1);
  if (!amountOk(load<i64>(p, P_MAX_NOTIONAL))) return fail(Status.InvalidPolicy, Field.MaxNotionalPerRoundQuote, -1);
  if (!amountOk(load<i64>(p, P_MAX_DEFICIT))) return fail(Status.InvalidPolicy, Field.MaxDeficitPerRoundQuote, -1);
  return Status.Ok;
}

// @ts-ignore: decorator
@inline function amountOk(x: i64): bool { return x >= 0 && x <= AMOUNT_LIMIT; }

/** The backstop account of the active policy, or NONE when the backstop is off. */
export function vaultAccount(): u32 { return policyU32(P_BACKSTOP) > 0 ? policyU32(P_VAULT) : NONE; }

// ---------------------------------------------------------------------------------------------
// One close: the outcome of closing by trade delta d at price q, for a group at (E, M)

export let outOwed: i64 = 0;       // funding settled
export let outRealized: i64 = 0;   // quoteClosed + cash(d)
export let outQuote: i64 = 0;      // quote balance after
export let outSurplus: i64 = 0;    // S (signed)
export let outFee: i64 = 0;
export let outLiqFee: i64 = 0;
export let outFundFee: i64 = 0;
export let outDeficit: i64 = 0;
export let outEquity: i64 = 0;     // the group's equity after: E' - fee + deficit
export let outMmAfter: i64 = 0;    // the position's MM and IM at its new size
export let outImAfter: i64 = 0;

// @ts-ignore: decorator
@inline function absI(x: i64): i64 { return x < 0 ? -x : x; }
// @ts-ignore: decorator
@inline function minI(a: i64, b: i64): i64 { return a < b ? a : b; }
// @ts-ignore: decorator
@inline function maxI(a: i64, b: i64): i64 { return a > b ? a : b; }

/** floor or ceil of a * b / D from an estimate made with the market's 1/D (no division). */
// @ts-ignore: decorator
@inline function overD(a: i64, b: i64, d: i64, est: f64, roundUp: bool): i64 {
  if (Math.abs(est) <= FAST_LIMIT) return roundUp ? mulDivCeilFast(a, b, d, est) : mulDivFloorFast(a, b, d, est);
  return mulDivExact(a, b, d, roundUp, SCRATCH);
}

/** floor or ceil of a * b / d (0 < b <= d, d > 0) from an estimate within 2^-50 (no division). */
// @ts-ignore: decorator
@inline function fraction(a: i64, b: i64, d: i64, est: f64, roundUp: bool): i64 {
  if (Math.abs(est) <= FAST_LIMIT) return roundUp ? mulDivCeilFast(a, b, d, est) : mulDivFloorFast(a, b, d, est);
  return mulDivExact(a, b, d, roundUp, SCRATCH, u64.MAX_VALUE);
}

/** F = ceil(c * q * feePpm / (D * 10^6)), the nominal fee of closing c at price q. */
function nominalFee(c: i64, q: i64, feePpm: u64, d6: i64, invD: f64): i64 {
  const est = <f64>c * <f64>q * invD * (<f64>feePpm * 1e-6);
  if (est <= FAST_LIMIT) return mulDivCeilFast(c, q * <i64>feePpm, d6, est);
  return requirementCeilExact(<u64>c, <u64>q, feePpm, <u64>(d6 / 1_000_000), SCRATCH);
}

/**
 * Computes the outcome of a close (docs/FORMULAS.md, "Executing one close") without writing:
 * `mmPos` is the position's MM now, `equity` and `mmGroup` the group's. False on overflow.
 * Requires 0 < |d| <= |size| with d of the opposite sign, and a valid price.
 */
export function closeOutcome(market: u32, size: i64, quote: i64, snap: i64, d: i64, q: i64, equity: i64, mmGroup: i64, mmPos: i64, floorPpm: u64, feePpm: u64, sharePpm: i64): bool {
  return closeSetup(market, size, quote, snap, equity, mmGroup, mmPos) && closeBy(d, q, equity, floorPpm, feePpm, sharePpm);
}

// What a close depends on besides its size and price, from closeSetup (planning probes many sizes
// of one position: these are computed once).
let cMarket: u32 = 0, cSize: i64 = 0, cQuote: i64 = 0, cOwed: i64 = 0, cValue: i64 = 0, cShare: i64 = 0;
let cMark: i64 = 0, cScale: i64 = 0, cInvD: f64 = 0, cMarkOverD: f64 = 0, cInvSize: f64 = 0;

/** The size-independent part of a close of this position: funding owed, v_i, the equity share E_i. */
export function closeSetup(market: u32, size: i64, quote: i64, snap: i64, equity: i64, mmGroup: i64, mmPos: i64): bool {
  const mkt = marketPtr(market);
  cMarket = market; cSize = size; cQuote = quote;
  cMark = load<i64>(mkt, M_MARK); cScale = load<i64>(mkt, M_D);
  cInvD = load<f64>(mkt, M_INV_D); cMarkOverD = load<f64>(mkt, M_MARK_OVER_D);
  cInvSize = 1.0 / Math.abs(<f64>size);
  const indexDelta = sideIndex(market, size) - snap;
  cOwed = overD(size, indexDelta, cScale, <f64>size * <f64>indexDelta * cInvD, true);
  cValue = overD(size, cMark, cScale, <f64>size * cMarkOverD, false);
  cShare = equityShare(equity, mmPos, mmGroup);
  return cOwed != OVERFLOWED && cValue != OVERFLOWED && cShare != OVERFLOWED;
}

/** The outcome of closing the set-up position by d at price q (the group at equity E). */
export function closeBy(d: i64, q: i64, equity: i64, floorPpm: u64, feePpm: u64, sharePpm: i64): bool {
  const size = cSize, quote = cQuote, dScale = cScale, invD = cInvD;
  const c = absI(d), sizeAbs = absI(size);
  const after = size + d;
  const full = c == sizeAbs;
  const quoteClosed = full ? quote : fraction(quote, c, sizeAbs, <f64>quote * <f64>c * cInvSize, false);
  const cash = overD(-d, q, dScale, -<f64>d * <f64>q * invD, false);
  const vAfter = after == 0 ? 0 : overD(after, cMark, dScale, <f64>after * cMarkOverD, false);
  if (quoteClosed == OVERFLOWED || cash == OVERFLOWED || vAfter == OVERFLOWED) return false;
  // |quoteClosed|, |cash|, |v| < 2^62: these sums fit i64.
  const realized = quoteClosed + cash;
  const dE = cash + (vAfter - cValue);
  const slice = full ? cShare : fraction(cShare, c, sizeAbs, <f64>cShare * <f64>c * cInvSize, true);
  if (slice == OVERFLOWED) return false;
  const s = slice + dE, e1 = equity + dE;
  if ((((slice ^ s) & (dE ^ s)) | ((equity ^ e1) & (dE ^ e1))) < 0) return false;
  const nominal = feePpm == 0 ? 0 : nominalFee(c, q, feePpm, dScale * 1_000_000, invD);
  if (nominal == OVERFLOWED) return false;
  const fee = minI(nominal, minI(maxI(s, 0), maxI(e1, 0)));
  const liqFee = sharePpm == 0 ? 0 : fraction(fee, sharePpm, PPM, <f64>fee * <f64>sharePpm * 1e-6, false);
  // -S and -E' only matter when negative; S > i64.MIN since |slice|, |dE| < 2^63 - 2^62.
  const deficit = minI(maxI(-s, 0), maxI(-e1, 0));
  if (!positionTermsInline(cMarket, after, floorPpm, true)) return false;
  outOwed = cOwed;
  outRealized = realized;
  outQuote = quote - quoteClosed;
  outSurplus = s;
  outFee = fee;
  outLiqFee = liqFee;
  outFundFee = fee - liqFee;
  outDeficit = deficit;
  outEquity = e1 - fee + deficit;
  outMmAfter = termMm;
  outImAfter = termIm;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Planning

/** Plan rows (u32), groups (u32), complete (u32). */
export const PLAN_RECORD: usize = memory.data(16);

// @ts-ignore: decorator
@inline function logI64(c: Column, row: u32): usize { return col(c) + (<usize>row << 3); }

function writePlanRow(row: u32, account: u32, market: u32, iso: u32, kind: RowKind, d: i64, price: i64): void {
  store<u32>(col(Column.LogAccount) + (<usize>row << 2), account);
  store<u16>(col(Column.LogMarket) + (<usize>row << 1), <u16>market);
  store<u32>(col(Column.LogIso) + (<usize>row << 2), iso);
  store<u8>(col(Column.LogKind) + <usize>row, <u8>kind);
  store<i64>(logI64(Column.LogSize, row), d);
  store<i64>(logI64(Column.LogPrice, row), price);
}

/**
 * Copies the plan's rows to the caller's plan columns (what planLiquidations().view shows): the
 * caller edits that copy; execution compares it with these rows (execute.ts executeCallerPlan).
 */
function publishPlan(n: u32): void {
  const k = <usize>n;
  memory.copy(col(Column.PlanAccount), col(Column.LogAccount), k << 2);
  memory.copy(col(Column.PlanMarket), col(Column.LogMarket), k << 1);
  memory.copy(col(Column.PlanIso), col(Column.LogIso), k << 2);
  memory.copy(col(Column.PlanKind), col(Column.LogKind), k);
  memory.copy(col(Column.PlanSize), col(Column.LogSize), k << 3);
  memory.copy(col(Column.PlanPrice), col(Column.LogPrice), k << 3);
}

// The group being planned.
let gAccount: u32 = 0, gIso: u32 = NONE, gFloor: u64 = 0;
let gEquity: i64 = 0, gMm: i64 = 0, gIm: i64 = 0;
let gNotionalLeft: i64 = 0, gDeficitLeft: i64 = 0;
let rows: u32 = 0;
let room: u32 = 0;

/**
 * Plans one round over the liquidatable and bankrupt groups in risk order (the last check's results
 * must be valid). Errors: ResultsStale; Overflow naming an account.
 */
export function planLiquidations(): i32 {
  setPlanReady(false);
  if (!resultsValid) return fail(Status.ResultsStale, Field.None, -1);
  rows = 0;
  // Each row makes at most one deficit record: plan no more rows than the deficit table has room for.
  room = logCapacity - load<u32>(LIQ_RECORD);
  // Each group's rows are simulated as execution's first pass would, right after they are planned
  // (the group is in the cache then); unless the plan is edited, execution skips that pass.
  beginSimulation();
  simulated = true;
  let groups: u32 = 0, complete: u32 = 1;
  const vault = vaultAccount();
  const nAccounts = buildQueue(false);
  // The account queue is read while planning; the isolated queue is built after (its own column).
  for (let i: u32 = 0; i < nAccounts; i++) {
    const a = load<u32>(col(Column.Queue) + (<usize>i << 2));
    if (a == vault) continue;
    const off = <usize>a << 2;
    const len = load<u32>(col(Column.AccPosLen) + off);
    if (rows + max(len, 1) > room) { complete = 0; break; }
    if (!crossFigures(a, load<i64>(col(Column.AccCollateral) + (<usize>a << 3)))) return fail(Status.Overflow, Field.AccountId, <i32>a);
    if (sumEquity >= sumMm) continue;
    const before = rows;
    if (!planGroup(a, NONE, load<u32>(col(Column.AccPosStart) + off), len)) return fail(Status.Overflow, Field.AccountId, <i32>a);
    if (rows > before) { groups++; simulate(before); }
  }
  if (complete) {
    const nIso = buildQueue(true);
    for (let i: u32 = 0; i < nIso; i++) {
      const r = load<u32>(col(Column.IsoQueue) + (<usize>i << 2));
      const a = load<u32>(col(Column.IsoAccount) + (<usize>r << 2));
      if (a == vault) continue;
      if (rows + 1 > room) { complete = 0; break; }
      if (!isolatedFigures(a, r)) return fail(Status.Overflow, Field.AccountId, <i32>a);
      if (sumEquity >= sumMm) continue;
      const before = rows;
      if (!planGroup(a, r, 0, 1)) return fail(Status.Overflow, Field.AccountId, <i32>a);
      if (rows > before) { groups++; simulate(before); }
    }
  }
  publishPlan(rows);
  store<u32>(PLAN_RECORD, rows);
  store<u32>(PLAN_RECORD, groups, 4);
  store<u32>(PLAN_RECORD, complete, 8);
  if (simulated && simulationFits() == Status.Ok) planWasSimulated(rows);
  clearError(); // a simulation that failed left its error; execution will meet it again
  setPlanReady(true);
  return Status.Ok;
}

/** Whether every group planned so far simulated without error. */
let simulated = false;

/** Simulates the rows of the group just planned, [first, rows). */
function simulate(first: u32): void {
  if (simulated) simulated = simulateRows(first, rows) == Status.Ok;
}

// Position fields of the group's k-th position (cross slot, or the isolated row).
// @ts-ignore: decorator
@inline function posMarket(iso: u32, slot: u32): u32 {
  return iso == NONE ? <u32>load<u16>(col(Column.PosMarket) + (<usize>slot << 1)) : <u32>load<u16>(col(Column.IsoMarket) + (<usize>iso << 1));
}
// @ts-ignore: decorator
@inline function posField(iso: u32, slot: u32, cross: Column, isolated: Column): i64 {
  return iso == NONE ? load<i64>(col(cross) + (<usize>slot << 3)) : load<i64>(col(isolated) + (<usize>iso << 3));
}

/** Plans one group (sums of the group in sumEquity/sumIm/sumMm). False on overflow. */
function planGroup(a: u32, iso: u32, start: u32, len: u32): bool {
  gAccount = a; gIso = iso;
  gFloor = <u64>load<u32>(col(Column.AccFloorPpm) + (<usize>a << 2));
  gEquity = sumEquity; gMm = sumMm; gIm = sumIm;
  gNotionalLeft = policyI64(P_MAX_NOTIONAL);
  gDeficitLeft = policyI64(P_MAX_DEFICIT);
  if (len == 0) {
    // No position, equity < 0: settle the negative collateral.
    writePlanRow(rows++, a, 0xFFFF, NONE, RowKind.Settle, 0, 0);
    return true;
  }
  const backstop = <i64>policyU32(P_BACKSTOP);
  if (backstop > 0 && compareProducts(gEquity, PPM, gMm, backstop) < 0) {
    for (let k: u32 = 0; k < len; k++) {
      const slot = start + k;
      const market = posMarket(iso, slot);
      const size = posField(iso, slot, Column.PosSize, Column.IsoSize);
      writePlanRow(rows++, a, market, iso, RowKind.Transfer, -size, load<i64>(marketPtr(market), M_MARK));
    }
    return true;
  }
  // Order the positions: keys descending, ties by market id ascending (GroupKey/GroupSlot scratch).
  const order = policyU32(P_ORDER);
  const keys = col(Column.GroupKey), slots = col(Column.GroupSlot);
  const n = min(len, SCRATCH_SLOTS);
  for (let k: u32 = 0; k < n; k++) {
    const slot = start + k;
    let key: i64 = 0;
    if (order != 2) {
      const market = posMarket(iso, slot), size = posField(iso, slot, Column.PosSize, Column.IsoSize);
      if (order == 0) {
        if (!positionTerms(market, size, gFloor)) return false;
        key = termMm;
      } else {
        const mkt = marketPtr(market);
        key = mulDivRounded(absI(size), load<i64>(mkt, M_MARK), load<i64>(mkt, M_D), false, SCRATCH);
      }
    }
    store<i64>(keys + (<usize>k << 3), key);
    store<u32>(slots + (<usize>k << 2), slot);
  }
  if (order != 2) sortGroup(keys, slots, n, iso);
  for (let k: u32 = 0; k < n; k++) {
    const r = planPosition(load<u32>(slots + (<usize>k << 2)));
    if (r == PLAN_OVERFLOW) return false;
    if (r == PLAN_DONE) break;
  }
  return true;
}

/** Sorts (key desc, market asc): insertion sort for short books, heapsort beyond. */
function sortGroup(keys: usize, slots: usize, n: u32, iso: u32): void {
  if (n <= 32) {
    for (let i: u32 = 1; i < n; i++) {
      const key = load<i64>(keys + (<usize>i << 3)), slot = load<u32>(slots + (<usize>i << 2));
      let j = i;
      while (j > 0 && after(load<i64>(keys + (<usize>(j - 1) << 3)), load<u32>(slots + (<usize>(j - 1) << 2)), key, slot, iso)) {
        store<i64>(keys + (<usize>j << 3), load<i64>(keys + (<usize>(j - 1) << 3)));
        store<u32>(slots + (<usize>j << 2), load<u32>(slots + (<usize>(j - 1) << 2)));
        j--;
      }
      store<i64>(keys + (<usize>j << 3), key);
      store<u32>(slots + (<usize>j << 2), slot);
    }
    return;
  }
  // Heapsort into ascending order of "after" (a max-heap on the order relation).
  for (let i = <i32>(n >> 1) - 1; i >= 0; i--) siftDown(keys, slots, <u32>i, n, iso);
  for (let end = n - 1; end > 0; end--) {
    swap(keys, slots, 0, end);
    siftDown(keys, slots, 0, end, iso);
  }
}

/** True if (keyA, slotA) comes after (keyB, slotB): smaller key, or equal key and larger market. */
// @ts-ignore: decorator
@inline function after(keyA: i64, slotA: u32, keyB: i64, slotB: u32, iso: u32): bool {
  return keyA < keyB || (keyA == keyB && posMarket(iso, slotA) > posMarket(iso, slotB));
}

function siftDown(keys: usize, slots: usize, i: u32, n: u32, iso: u32): void {
  for (;;) {
    const l: u32 = 2 * i + 1;
    if (l >= n) return;
    let m = l;
    const r: u32 = l + 1;
    if (r < n && after(load<i64>(keys + (<usize>r << 3)), load<u32>(slots + (<usize>r << 2)), load<i64>(keys + (<usize>l << 3)), load<u32>(slots + (<usize>l << 2)), iso)) m = r;
    if (!after(load<i64>(keys + (<usize>m << 3)), load<u32>(slots + (<usize>m << 2)), load<i64>(keys + (<usize>i << 3)), load<u32>(slots + (<usize>i << 2)), iso)) return;
    swap(keys, slots, i, m);
    i = m;
  }
}

function swap(keys: usize, slots: usize, i: u32, j: u32): void {
  const k = load<i64>(keys + (<usize>i << 3)), s = load<u32>(slots + (<usize>i << 2));
  store<i64>(keys + (<usize>i << 3), load<i64>(keys + (<usize>j << 3)));
  store<u32>(slots + (<usize>i << 2), load<u32>(slots + (<usize>j << 2)));
  store<i64>(keys + (<usize>j << 3), k);
  store<u32>(slots + (<usize>j << 2), s);
}

const PLAN_NEXT = 0, PLAN_DONE = 1, PLAN_OVERFLOW = 2;

// The position being sized.
let pMarket: u32 = 0, pSize: i64 = 0, pQuote: i64 = 0, pSnap: i64 = 0, pMm: i64 = 0, pIm: i64 = 0;
let pMark: i64 = 0, pCap: i64 = 0, pStep: i64 = 0, pSteps: i64 = 0;

/** c_k = min(k * step, cap), for 1 <= k <= K = ceil(cap / step). */
// @ts-ignore: decorator
@inline function closeSize(k: i64): i64 { return k >= pSteps ? pCap : k * pStep; }

/** Outcome of closing c_k at the mark; false on overflow. */
function tryClose(k: i64): bool {
  return closeAt(closeSize(k));
}

/** The partial-close condition for the last tryClose: the group reaches its target. */
function restores(): bool {
  const mmAfter = gMm - pMm + outMmAfter;
  const imAfter = gIm - pIm + outImAfter;
  const base = policyU32(P_TARGET) == 0 ? mmAfter : imAfter;
  const buffer = <u64>policyU32(P_BUFFER);
  const target = buffer == 0 ? base : requirementCeilExact(<u64>base, 1, <u64>PPM + buffer, 1, SCRATCH);
  return target != OVERFLOWED && outEquity >= target;
}

const SCREEN_NO = 0, SCREEN_YES = 1, SCREEN_UNSURE = 2;
// f64 inputs of the screen, set by `screenable`.
let sMarkOverD6: f64 = 0, sMmf: f64 = 0, sImf: f64 = 0, sShare: f64 = 0;

/**
 * True when restores() can be estimated in f64 for this position: the group's equity is positive
 * and every size up to |s| takes the market's base fractions (no tier change, no size premium, no
 * account floor above the base imf), so MM and IM after a close are linear in the size closed.
 */
function screenable(mkt: usize, sizeAbs: i64): bool {
  if (gEquity <= 0 || sizeAbs >= load<i64>(mkt, M_BASE_LIMIT) || <i64>gFloor > <i64>load<u32>(mkt, M_BASE_IMF)) return false;
  sMarkOverD6 = load<f64>(mkt, M_MARK_OVER_D6);
  sMmf = <f64>load<u32>(mkt, M_BASE_MMF);
  sImf = <f64>load<u32>(mkt, M_BASE_IMF);
  sShare = <f64>gEquity * <f64>pMm / <f64>gMm; // E_i
  return true;
}

/**
 * restores() for c_k, estimated: E_after = E - fee (fee = min(F, S, E), S = E_i c / |s|; the fill
 * at the mark moves equity by 0 or -1) against the target from MM (IM) linear in the size left. Every
 * integer rounding is within an atom and every f64 product within 2^-50 relative, so outside
 * 16 atoms + 2^-40 of the magnitudes the exact answer is the estimate's.
 */
function screenRestores(k: i64, sizeAbs: i64): i32 {
  const c = <f64>closeSize(k);
  const rest = <f64>sizeAbs - c;
  const equity = <f64>gEquity;
  const fee = Math.min(c * sMarkOverD6 * <f64>policyU32(P_FEE), Math.min(Math.max(sShare * c / <f64>sizeAbs, 0), equity));
  const base = policyU32(P_TARGET) == 0
    ? <f64>(gMm - pMm) + rest * sMarkOverD6 * sMmf
    : <f64>(gIm - pIm) + rest * sMarkOverD6 * sImf;
  const target = base * (1.0 + <f64>policyU32(P_BUFFER) / 1e6);
  const slack = equity - fee - target;
  const tolerance = 16.0 + (Math.abs(equity) + Math.abs(base) * 2.0 + fee) * 9.094947017729282e-13; // 2^-40
  if (slack > tolerance) return SCREEN_YES;
  if (slack < -tolerance) return SCREEN_NO;
  return SCREEN_UNSURE;
}

/** Sizes and plans one position of the group; PLAN_DONE when the group needs nothing more. */
function planPosition(slot: u32): i32 {
  const iso = gIso;
  pMarket = posMarket(iso, slot);
  pSize = posField(iso, slot, Column.PosSize, Column.IsoSize);
  pQuote = posField(iso, slot, Column.PosQuote, Column.IsoQuote);
  pSnap = posField(iso, slot, Column.PosSnap, Column.IsoSnap);
  const mkt = marketPtr(pMarket);
  pMark = load<i64>(mkt, M_MARK);
  pStep = load<i64>(mkt, M_STEP);
  const dScale = load<i64>(mkt, M_D);
  if (!positionTerms(pMarket, pSize, gFloor)) return PLAN_OVERFLOW;
  pMm = termMm; pIm = termIm;
  // Every probe below closes this position from the same state: set up what does not depend on c.
  if (!closeSetup(pMarket, pSize, pQuote, pSnap, gEquity, gMm, pMm)) return PLAN_OVERFLOW;
  lastClose = -1;
  const sizeAbs = absI(pSize);
  if (sizeAbs == 0) {
    // A bare quote balance: a close of 0 moves it to collateral and removes the position.
    if (!closeAt(0)) return PLAN_OVERFLOW;
    writeCloseRow(0);
    gEquity = outEquity;
    return PLAN_NEXT;
  }
  // 1. Per-position cap.
  let capFrac = sizeAbs;
  const fraction = <i64>policyU32(P_FRACTION);
  if (fraction < PPM && mulDivRounded(sizeAbs, pMark, dScale, false, SCRATCH) > policyI64(P_FRACTION_ABOVE)) {
    const part = mulDivRounded(sizeAbs, fraction, PPM, false, SCRATCH);
    capFrac = maxI(pStep, (part / pStep) * pStep);
  }
  let minSize: i64 = 0;
  const minClose = policyI64(P_MIN_CLOSE);
  if (minClose > 0) {
    const raw = mulDivExact(minClose, dScale, pMark, true, SCRATCH, u64.MAX_VALUE);
    minSize = raw == OVERFLOWED || raw > AMOUNT_LIMIT ? sizeAbs : ((raw + pStep - 1) / pStep) * pStep;
  }
  pCap = minI(sizeAbs, maxI(capFrac, minSize));
  const steps = (pCap + pStep - 1) / pStep;
  pSteps = steps;
  // 2. Size.
  let k = steps;
  let done = false;
  if (policyU32(P_CLOSE) == 1) {
    if (!tryClose(steps)) return PLAN_OVERFLOW;
    if (restores()) {
      const screen = screenable(mkt, sizeAbs);
      let lo: i64 = 1, hi = steps;
      while (lo < hi) {
        const mid = lo + ((hi - lo) >> 1);
        // The probe's answer from an f64 estimate when it is far from the boundary, else exactly:
        // the same search, the same result, fewer exact probes.
        let ok = screen ? screenRestores(mid, sizeAbs) : SCREEN_UNSURE;
        // A group at equity <= 0 ends at equity <= 0 (no fee; a deficit at most fills the gap),
        // below a target of at least 1 while the position stays open: only closing it all can do.
        if (gEquity <= 0 && closeSize(mid) < sizeAbs) ok = SCREEN_NO;
        if (ok == SCREEN_UNSURE) {
          if (!tryClose(mid)) return PLAN_OVERFLOW;
          ok = restores() ? SCREEN_YES : SCREEN_NO;
        }
        if (ok == SCREEN_YES) hi = mid; else lo = mid + 1;
      }
      k = lo;
      done = true;
    }
  }
  let c = closeSize(k);
  // 3. Dust.
  if (minClose > 0 && mulDivRounded(sizeAbs - c, pMark, dScale, false, SCRATCH) < minClose) c = sizeAbs;
  // 4. Round caps per group.
  if (policyI64(P_MAX_NOTIONAL) > 0) {
    const closing = mulDivRounded(c, pMark, dScale, false, SCRATCH);
    if (closing > gNotionalLeft) {
      const within = mulDivExact(gNotionalLeft, dScale, pMark, false, SCRATCH, u64.MAX_VALUE);
      if (within != OVERFLOWED) c = minI(c, (within / pStep) * pStep);
    }
  }
  if (c > 0 && policyI64(P_MAX_DEFICIT) > 0) {
    if (!closeAt(c)) return PLAN_OVERFLOW;
    if (outDeficit > gDeficitLeft) {
      // Largest k with deficit(c_k) <= Q: the first k whose deficit exceeds Q, minus one.
      const kMax = (c + pStep - 1) / pStep;
      let lo: i64 = 1, hi = kMax;
      while (lo < hi) {
        const mid = lo + ((hi - lo) >> 1);
        if (!closeAt(minI(mid * pStep, c))) return PLAN_OVERFLOW;
        if (outDeficit > gDeficitLeft) hi = mid; else lo = mid + 1;
      }
      c = (lo - 1) * pStep;
      // Rounding makes the deficit dip by an atom here and there: step down until it fits Q.
      while (c > 0) {
        if (!closeAt(c)) return PLAN_OVERFLOW;
        if (outDeficit <= gDeficitLeft) break;
        c -= pStep;
      }
    }
  }
  if (c <= 0) return PLAN_DONE;
  // 5. The row; the group moves on as execution at the mark would move it. (The outcome of closing c
  // may be at hand already: the last probe closed exactly c.)
  if (lastClose != c && !closeAt(c)) return PLAN_OVERFLOW;
  writeCloseRow(pSize > 0 ? -c : c);
  gEquity = outEquity;
  gMm = gMm - pMm + outMmAfter;
  gIm = gIm - pIm + outImAfter;
  if (policyI64(P_MAX_NOTIONAL) > 0) gNotionalLeft -= mulDivRounded(c, pMark, dScale, false, SCRATCH);
  gDeficitLeft -= outDeficit;
  return done ? PLAN_DONE : PLAN_NEXT;
}

/**
 * Writes the close row of the position being sized, with the amounts of its last closeBy (the
 * outcome execution computes for this row unless the plan is edited: the simulation takes them).
 */
function writeCloseRow(d: i64): void {
  const row = rows++;
  writePlanRow(row, gAccount, pMarket, gIso, RowKind.Close, d, pMark);
  writeAmounts(row, outRealized, outOwed, outLiqFee, outFundFee, outSurplus > 0 ? outSurplus : 0, outDeficit, outQuote);
}

/** closeOutcome of closing c base atoms at the mark. */
function closeAt(c: i64): bool {
  lastClose = c;
  return closeBy(pSize > 0 ? -c : c, pMark, gEquity, gFloor, <u64>policyU32(P_FEE), <i64>policyU32(P_SHARE));
}

/** The size of the last closeAt for the position being sized (-1: none yet). */
let lastClose: i64 = -1;
