/**
 * Liquidation planning: the plan of a round (docs/FORMULAS.md, "Planning a round"), each close sized
 * with the close kernel (close.ts) under the active policy (policy.ts).
 *
 * The plan is written to the first columns of the liquidation log (log.ts: account, market, isolated
 * row, kind, size, price), each close with the amounts it will move; execute.ts validates it, executes
 * it and completes the other columns. The caller sees a copy of the plan (the Plan columns) and may
 * edit its sizes and prices in between; the log columns are the core's own.
 *
 * Planning also runs execution's first pass, the rehearsal, on each group right after planning it
 * (the group's memory is in the cache then, and its closes' amounts are at hand): an unedited plan
 * on an unchanged book then executes with the writing pass alone.
 */
import { AMOUNT_LIMIT, mulDivExact, mulDivRounded, OVERFLOWED, requirementCeilExact } from '../../math/fixed';
import { compareProducts, buildQueue } from '../margin/queue';
import { col, Column, logCapacity, SCRATCH_SLOTS, marketPtr, u16At, i64At, u32At, NO_MARKET } from '../../abi/layout';
import { Field, RowKind, Status } from '../../abi/status';
import { LiqRecord, MarketRecord, PlanRecord, PolicyRecord } from '../../abi/records';
import { clearError, fail, LIQ_RECORD, NONE, resultsValid, SCRATCH, setPlanReady } from '../state';
import { positionTerms, SUMS, TERMS } from '../book/position';
import { crossFigures, isolatedFigures } from '../margin/check';
import { PPM, policyBackstopAccount, policyI64, policyU32 } from './policy';
import { absI, closeBy, CloseOutcome, closeSetup, maxI, minI, staticCloseOutcome } from './close';
import { PLAN_RECORD, publishPlan, writeAmounts, writePlanRow } from './log';
import { beginRehearsal, planWasRehearsed, rehearsalFits, rehearseRows } from './execute';

/** The outcome of the last probe (closeAt) of the position being sized. */
const CLOSE: CloseOutcome = staticCloseOutcome();

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
  room = logCapacity - load<u32>(LIQ_RECORD, LiqRecord.deficits);
  // Each group's rows are rehearsed as execution's first pass would, right after they are planned
  // (the group is in the cache then); unless the plan is edited, execution skips that pass.
  beginRehearsal();
  rehearsed = true;
  let groups: u32 = 0, complete: u32 = 1;
  const backstopAccount = policyBackstopAccount();
  const nAccounts = buildQueue(false);
  // The account queue is read while planning; the isolated queue is built after (its own column).
  for (let i: u32 = 0; i < nAccounts; i++) {
    const a = load<u32>(u32At(Column.Queue, i));
    if (a == backstopAccount) continue;
    const off = <usize>a << 2;
    const len = load<u32>(col(Column.AccPosLen) + off);
    if (rows + max(len, 1) > room) { complete = 0; break; }
    if (!crossFigures(a, load<i64>(i64At(Column.AccCollateral, a)))) return fail(Status.Overflow, Field.AccountId, <i32>a);
    if (SUMS.equityQuote >= SUMS.mmQuote) continue;
    const before = rows;
    if (!planGroup(a, NONE, load<u32>(col(Column.AccPosStart) + off), len)) return fail(Status.Overflow, Field.AccountId, <i32>a);
    if (rows > before) { groups++; rehearse(before); }
  }
  if (complete) {
    const nIso = buildQueue(true);
    for (let i: u32 = 0; i < nIso; i++) {
      const r = load<u32>(u32At(Column.IsoQueue, i));
      const a = load<u32>(u32At(Column.IsoAccount, r));
      if (a == backstopAccount) continue;
      if (rows + 1 > room) { complete = 0; break; }
      if (!isolatedFigures(a, r)) return fail(Status.Overflow, Field.AccountId, <i32>a);
      if (SUMS.equityQuote >= SUMS.mmQuote) continue;
      const before = rows;
      if (!planGroup(a, r, 0, 1)) return fail(Status.Overflow, Field.AccountId, <i32>a);
      if (rows > before) { groups++; rehearse(before); }
    }
  }
  publishPlan(rows);
  store<u32>(PLAN_RECORD, rows, PlanRecord.rows);
  store<u32>(PLAN_RECORD, groups, PlanRecord.groups);
  store<u32>(PLAN_RECORD, complete, PlanRecord.complete);
  if (rehearsed && rehearsalFits() == Status.Ok) planWasRehearsed(rows);
  clearError(); // a rehearsal that failed left its error; execution will meet it again
  setPlanReady(true);
  return Status.Ok;
}

/** Whether every group planned so far rehearsed without error. */
let rehearsed = false;

/** Rehearses the rows of the group just planned, [first, rows). */
function rehearse(first: u32): void {
  if (rehearsed) rehearsed = rehearseRows(first, rows) == Status.Ok;
}

// Position fields of the group's k-th position (cross slot, or the isolated row).
// @ts-ignore: decorator
@inline function posMarket(iso: u32, slot: u32): u32 {
  return iso == NONE ? <u32>load<u16>(u16At(Column.PosMarket, slot)) : <u32>load<u16>(u16At(Column.IsoMarket, iso));
}
// @ts-ignore: decorator
@inline function posField(iso: u32, slot: u32, cross: Column, isolated: Column): i64 {
  return iso == NONE ? load<i64>(col(cross) + (<usize>slot << 3)) : load<i64>(col(isolated) + (<usize>iso << 3));
}

/** Plans one group (sums of the group in SUMS.equityQuote/SUMS.imQuote/SUMS.mmQuote). False on overflow. */
function planGroup(a: u32, iso: u32, start: u32, len: u32): bool {
  gAccount = a; gIso = iso;
  gFloor = <u64>load<u32>(u32At(Column.AccFloorPpm, a));
  gEquity = SUMS.equityQuote; gMm = SUMS.mmQuote; gIm = SUMS.imQuote;
  gNotionalLeft = policyI64(PolicyRecord.maxNotional);
  gDeficitLeft = policyI64(PolicyRecord.maxDeficit);
  if (len == 0) {
    // No position, equity < 0: settle the negative collateral.
    writePlanRow(rows++, a, NO_MARKET, NONE, RowKind.Settle, 0, 0);
    return true;
  }
  const backstop = <i64>policyU32(PolicyRecord.backstopPpm);
  if (backstop > 0 && compareProducts(gEquity, PPM, gMm, backstop) < 0) {
    for (let k: u32 = 0; k < len; k++) {
      const slot = start + k;
      const market = posMarket(iso, slot);
      const size = posField(iso, slot, Column.PosSize, Column.IsoSize);
      writePlanRow(rows++, a, market, iso, RowKind.Transfer, -size, load<i64>(marketPtr(market), MarketRecord.mark));
    }
    return true;
  }
  // Order the positions: keys descending, ties by market id ascending (GroupKey/GroupSlot scratch).
  const order = policyU32(PolicyRecord.order);
  const keys = col(Column.GroupKey), slots = col(Column.GroupSlot);
  const n = min(len, SCRATCH_SLOTS);
  for (let k: u32 = 0; k < n; k++) {
    const slot = start + k;
    let key: i64 = 0;
    if (order != 2) {
      const market = posMarket(iso, slot), size = posField(iso, slot, Column.PosSize, Column.IsoSize);
      if (order == 0) {
        if (!positionTerms(market, size, gFloor)) return false;
        key = TERMS.mmQuote;
      } else {
        const mkt = marketPtr(market);
        key = mulDivRounded(absI(size), load<i64>(mkt, MarketRecord.mark), load<i64>(mkt, MarketRecord.d), false, SCRATCH);
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
  const mmAfter = gMm - pMm + CLOSE.mmAfterQuote;
  const imAfter = gIm - pIm + CLOSE.imAfterQuote;
  const base = policyU32(PolicyRecord.target) == 0 ? mmAfter : imAfter;
  const buffer = <u64>policyU32(PolicyRecord.bufferPpm);
  const target = buffer == 0 ? base : requirementCeilExact(<u64>base, 1, <u64>PPM + buffer, 1, SCRATCH);
  return target != OVERFLOWED && CLOSE.equityAfterQuote >= target;
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
  if (gEquity <= 0 || sizeAbs >= load<i64>(mkt, MarketRecord.baseLimit) || <i64>gFloor > <i64>load<u32>(mkt, MarketRecord.baseImf)) return false;
  sMarkOverD6 = load<f64>(mkt, MarketRecord.markOverD6);
  sMmf = <f64>load<u32>(mkt, MarketRecord.baseMmf);
  sImf = <f64>load<u32>(mkt, MarketRecord.baseImf);
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
  const fee = Math.min(c * sMarkOverD6 * <f64>policyU32(PolicyRecord.feePpm), Math.min(Math.max(sShare * c / <f64>sizeAbs, 0), equity));
  const base = policyU32(PolicyRecord.target) == 0
    ? <f64>(gMm - pMm) + rest * sMarkOverD6 * sMmf
    : <f64>(gIm - pIm) + rest * sMarkOverD6 * sImf;
  const target = base * (1.0 + <f64>policyU32(PolicyRecord.bufferPpm) / 1e6);
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
  pMark = load<i64>(mkt, MarketRecord.mark);
  pStep = load<i64>(mkt, MarketRecord.step);
  const dScale = load<i64>(mkt, MarketRecord.d);
  if (!positionTerms(pMarket, pSize, gFloor)) return PLAN_OVERFLOW;
  pMm = TERMS.mmQuote; pIm = TERMS.imQuote;
  // Every probe below closes this position from the same state: set up what does not depend on c.
  if (!closeSetup(pMarket, pSize, pQuote, pSnap, gEquity, gMm, pMm)) return PLAN_OVERFLOW;
  lastClose = -1;
  const sizeAbs = absI(pSize);
  if (sizeAbs == 0) {
    // A bare quote balance: a close of 0 moves it to collateral and removes the position.
    if (!closeAt(0)) return PLAN_OVERFLOW;
    writeCloseRow(0);
    gEquity = CLOSE.equityAfterQuote;
    return PLAN_NEXT;
  }
  // 1. Per-position cap.
  let capFrac = sizeAbs;
  const fraction = <i64>policyU32(PolicyRecord.maxFractionPpm);
  if (fraction < PPM && mulDivRounded(sizeAbs, pMark, dScale, false, SCRATCH) > policyI64(PolicyRecord.fractionAbove)) {
    const part = mulDivRounded(sizeAbs, fraction, PPM, false, SCRATCH);
    capFrac = maxI(pStep, (part / pStep) * pStep);
  }
  let minSize: i64 = 0;
  const minClose = policyI64(PolicyRecord.minCloseNotional);
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
  if (policyU32(PolicyRecord.close) == 1) {
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
  if (policyI64(PolicyRecord.maxNotional) > 0) {
    const closing = mulDivRounded(c, pMark, dScale, false, SCRATCH);
    if (closing > gNotionalLeft) {
      const within = mulDivExact(gNotionalLeft, dScale, pMark, false, SCRATCH, u64.MAX_VALUE);
      if (within != OVERFLOWED) c = minI(c, (within / pStep) * pStep);
    }
  }
  if (c > 0 && policyI64(PolicyRecord.maxDeficit) > 0) {
    if (!closeAt(c)) return PLAN_OVERFLOW;
    if (CLOSE.deficitQuote > gDeficitLeft) {
      // Largest k with deficit(c_k) <= Q: the first k whose deficit exceeds Q, minus one.
      const kMax = (c + pStep - 1) / pStep;
      let lo: i64 = 1, hi = kMax;
      while (lo < hi) {
        const mid = lo + ((hi - lo) >> 1);
        if (!closeAt(minI(mid * pStep, c))) return PLAN_OVERFLOW;
        if (CLOSE.deficitQuote > gDeficitLeft) hi = mid; else lo = mid + 1;
      }
      c = (lo - 1) * pStep;
      // Rounding makes the deficit dip by an atom here and there: step down until it fits Q.
      while (c > 0) {
        if (!closeAt(c)) return PLAN_OVERFLOW;
        if (CLOSE.deficitQuote <= gDeficitLeft) break;
        c -= pStep;
      }
    }
  }
  if (c <= 0) return PLAN_DONE;
  // 5. The row; the group moves on as execution at the mark would move it. (The outcome of closing c
  // may be at hand already: the last probe closed exactly c.)
  if (lastClose != c && !closeAt(c)) return PLAN_OVERFLOW;
  writeCloseRow(pSize > 0 ? -c : c);
  gEquity = CLOSE.equityAfterQuote;
  gMm = gMm - pMm + CLOSE.mmAfterQuote;
  gIm = gIm - pIm + CLOSE.imAfterQuote;
  if (policyI64(PolicyRecord.maxNotional) > 0) gNotionalLeft -= mulDivRounded(c, pMark, dScale, false, SCRATCH);
  gDeficitLeft -= CLOSE.deficitQuote;
  return done ? PLAN_DONE : PLAN_NEXT;
}

/**
 * Writes the close row of the position being sized, with the amounts of its last closeBy (the
 * outcome execution computes for this row unless the plan is edited: the rehearsal takes them).
 */
function writeCloseRow(d: i64): void {
  const row = rows++;
  writePlanRow(row, gAccount, pMarket, gIso, RowKind.Close, d, pMark);
  writeAmounts(row, CLOSE.realizedQuote, CLOSE.owedQuote, CLOSE.liqFeeQuote, CLOSE.fundFeeQuote, CLOSE.surplusQuote > 0 ? CLOSE.surplusQuote : 0, CLOSE.deficitQuote, CLOSE.quoteAfter);
}

/** closeOutcome of closing c base atoms at the mark. */
function closeAt(c: i64): bool {
  lastClose = c;
  return closeBy(CLOSE, pSize > 0 ? -c : c, pMark, gEquity, gFloor, <u64>policyU32(PolicyRecord.feePpm), <i64>policyU32(PolicyRecord.sharePpm));
}

/** The size of the last closeAt for the position being sized (-1: none yet). */
let lastClose: i64 = -1;
