/**
 * Execution of a liquidation plan (docs/FORMULAS.md, "Executing one close", "Backstop transfer",
 * "Execution and conservation"), and its rehearsal.
 *
 * A plan runs twice through the same code: first rehearsed (nothing written to the book; every check
 * that could fail is made, with the collateral an earlier row would have changed kept in scratch and
 * each close's amounts kept in its log row), then for real, applying those amounts. So a plan is
 * executed whole or not at all. Planning rehearses each group right after planning it; execution
 * then skips the rehearsal for an unedited plan on an unchanged book.
 *
 * Conservation (funds.ts): the ledger is unchanged by every execution; the debug build recomputes
 * it around every execution and aborts if it moved.
 */
import { AMOUNT_LIMIT, amountOf, OVERFLOWED, sumAdd, sumStart } from '../../math/fixed';
import { addWide } from '../../math/wide';
import { divModU128, mulWideU } from '../../math/wide';
import { col, Column, logCapacity, maxPositions, i64At, u32At, marketPtr, u16At, NO_MARKET } from '../../abi/layout';
import { Field, RowKind, Status } from '../../abi/status';
import { accountCount, fail, isolatedTop, LIQ_RECORD, marketCount, nextEpoch, NONE, planReady, planRehearsed, positionLive, SCRATCH, bookChanged, setPlanRehearsed } from '../state';
import { positionTerms, SUMS, TERMS } from '../book/position';
import { evaluateCross, isolatedFigures } from '../margin/check';
import { ACCOUNT_ACTIVE, addCrossSlot, findCross, findIsolated, fundingToSettle, inRange, noteHolder, removeCrossSlot, sideIndex } from '../book/book';
import { addOpenInterest, isMarket, refreshOpenInterestMarkets, validPrice } from '../book/markets';
import { releaseIsolatedRow } from '../margin/fills';
import { policyBackstopAccount, policyU32 } from './policy';
import { closeOutcome, CloseOutcome, staticCloseOutcome } from './close';
import { PLAN_RECORD, writeAmounts } from './log';
import { fundOf, LEDGER_RECORD, ledgerSum, marketEconPtr } from '../funds';
import { compareProducts } from '../margin/queue';
import { ExecRecord, I128_HI, LedgerRecord, LiqRecord, MarketEconRecord, MarketRecord, PlanRecord, PolicyRecord } from '../../abi/records';

/** The last execution (ExecRecord): counts, then 128-bit totals (low words; each high word
 * ExecRecord.HI bytes further, so a sum of many amounts of up to 2^63 is exact). */
export const EXEC_RECORD: usize = memory.data(ExecRecord.BYTES, 8);
/** Scratch for a balance summed from its terms (sumStart / sumAdd / amountOf). */
const SUM: usize = memory.data(16, 8);

// Rehearsal scratch: cross collateral of touched accounts (AccScratch, valid when AccStamp = epoch
// or epoch + 1, the latter also meaning "its cross group ran"), the backstop account's positions
// (IoI64A size, IoI64B quote, valid when IoU32[market] = epoch), isolated groups seen (IsoStamp), fund
// balances (FundScratch).
let epochA: u32 = 0;
let writing = false;
/** The active policy's backstop account (takes transfers), NONE when the backstop is off. */
let backstopAccount: u32 = NONE;
/** The outcome of the close being rehearsed. */
const CLOSE: CloseOutcome = staticCloseOutcome();
let newDeficits: u32 = 0, newSlots: u32 = 0;

function crossCollateral(a: u32): i64 {
  if (!writing && load<u32>(u32At(Column.AccStamp, a)) - epochA <= 1) return load<i64>(i64At(Column.AccScratch, a));
  return load<i64>(i64At(Column.AccCollateral, a));
}
function setCrossCollateral(a: u32, v: i64): void {
  if (writing) { store<i64>(i64At(Column.AccCollateral, a), v); return; }
  store<i64>(i64At(Column.AccScratch, a), v);
  const st = u32At(Column.AccStamp, a);
  if (load<u32>(st) - epochA > 1) store<u32>(st, epochA);
}

/**
 * Executes the plan as the caller left it in the Plan columns (planLiquidations().view in
 * JavaScript). The caller may edit sizes and prices only: every row must still name the account,
 * market, isolated row and kind it was planned with, else PlanEdited naming the row and the column
 * (nothing is taken in). Sizes and prices are then taken into the log's plan columns, where
 * execution validates them as it validates any plan; an edit voids planning's rehearsal (found by
 * comparing, not by a fingerprint a crafted edit could match). Errors: as executePlan, and PlanEdited.
 */
export function executeCallerPlan(): i32 {
  if (!planReady) return fail(Status.NoPlan, Field.None, -1);
  const n = load<u32>(PLAN_RECORD, PlanRecord.rows);
  // Step 1: identity, every row, before anything is taken in.
  for (let i: u32 = 0; i < n; i++) {
    if (load<u32>(u32At(Column.PlanAccount, i)) != load<u32>(u32At(Column.LogAccount, i))) return fail(Status.PlanEdited, Field.AccountId, <i32>i);
    if (load<u16>(u16At(Column.PlanMarket, i)) != load<u16>(u16At(Column.LogMarket, i))) return fail(Status.PlanEdited, Field.MarketId, <i32>i);
    if (load<u32>(u32At(Column.PlanIso, i)) != load<u32>(u32At(Column.LogIso, i))) return fail(Status.PlanEdited, Field.IsolatedId, <i32>i);
    if (load<u8>(col(Column.PlanKind) + <usize>i) != load<u8>(col(Column.LogKind) + <usize>i)) return fail(Status.PlanEdited, Field.Kind, <i32>i);
  }
  // Step 2: sizes and prices.
  for (let i: u32 = 0; i < n; i++) {
    const d = load<i64>(i64At(Column.PlanSize, i)), price = load<i64>(i64At(Column.PlanPrice, i));
    if (d == load<i64>(i64At(Column.LogSize, i)) && price == load<i64>(i64At(Column.LogPrice, i))) continue;
    store<i64>(i64At(Column.LogSize, i), d);
    store<i64>(i64At(Column.LogPrice, i), price);
    setPlanRehearsed(false);
  }
  return executePlan();
}

/**
 * Executes the plan in the log columns. Errors (nothing changed): NoPlan; UnknownAccount,
 * AccountClosed; UnknownMarket; InvalidPrice (priceQuote); NoPosition (sizeBase: no such position,
 * or d does not reduce it, or a transfer is not the whole position); PlanOutOfOrder (a position twice,
 * or a group's rows apart); NotLiquidatable (a group at or above its MM, or a transfer's group at or
 * above the backstop fraction of it); AccountHasPositions (a settle row on an account with
 * positions); DuplicatePosition (the backstop account holds the market isolated); CapacityExceeded;
 * Overflow.
 */
export function executePlan(): i32 {
  if (!planReady) return fail(Status.NoPlan, Field.None, -1);
  const n = load<u32>(PLAN_RECORD, PlanRecord.rows);
  // Pass 1, the rehearsal, unless planning already ran it on these very rows (the plan is not
  // edited: same fingerprint) and the book has not changed since (planReady).
  if (!planRehearsed || planFingerprint(n) != rehearsedFingerprint) {
    beginRehearsal();
    let st = run(0, n);
    if (st == Status.Ok) st = rehearsalFits();
    if (st != Status.Ok) return st;
  }
  let before: u64 = 0, beforeHi: i64 = 0;
  if (!ASC_NO_ASSERT) { ledgerSum(); before = load<u64>(LEDGER_RECORD + LedgerRecord.total); beforeHi = load<i64>(LEDGER_RECORD + LedgerRecord.total + I128_HI); }
  // Pass 2: the writing pass applies the amounts the rehearsal left in the log.
  writing = true;
  epochA = nextEpoch(); nextEpoch();
  gAccount = NONE; gIso = NONE;
  memory.fill(EXEC_RECORD, 0, ExecRecord.BYTES);
  const st = run(0, n);
  assert(st == Status.Ok, 'a validated plan executes');
  refreshOpenInterestMarkets(); // open interest moved row by row; the scaled imf once at the end
  bookChanged();
  setPlanRehearsed(false);
  if (!ASC_NO_ASSERT) {
    ledgerSum();
    assert(load<u64>(LEDGER_RECORD + LedgerRecord.total) == before && load<i64>(LEDGER_RECORD + LedgerRecord.total + I128_HI) == beforeHi, 'conservation: the ledger is unchanged by an execution');
  }
  return Status.Ok;
}

// ---------------------------------------------------------------------------------------------
// The rehearsal (pass 1), also run by planning group by group while each group is in the cache.

/** When planning rehearsed its rows (planRehearsed, state.ts), the plan columns had this fingerprint. */
let rehearsedFingerprint: u64 = 0;

/** Starts a rehearsal: fresh epochs and scratch. */
export function beginRehearsal(): void {
  backstopAccount = policyBackstopAccount();
  epochA = nextEpoch(); nextEpoch();
  writing = false;
  newDeficits = 0; newSlots = 0;
  gAccount = NONE; gIso = NONE;
  setPlanRehearsed(false);
  memory.copy(col(Column.FundScratch), col(Column.FundBalance), <usize>(marketCount + 1) << 3);
}

/**
 * Rehearses plan rows [first, end) that planning just wrote: whole groups, after the rows before them,
 * with each close's amounts already in its log row (planning computed them for this very state).
 */
export function rehearseRows(first: u32, end: u32): i32 {
  precomputed = true;
  const st = run(first, end);
  precomputed = false;
  return st;
}

/** The close rows' amounts are in the log already (planning's rehearsal): no closeOutcome again. */
let precomputed = false;

/** After the whole plan was rehearsed: room for its deficit records and the backstop's new slots. */
export function rehearsalFits(): i32 {
  if (load<u32>(LIQ_RECORD, LiqRecord.deficits) + newDeficits > logCapacity) return fail(Status.CapacityExceeded, Field.Capacity, -1);
  if (<u64>positionLive + newSlots > <u64>maxPositions) return fail(Status.CapacityExceeded, Field.Capacity, -1);
  return Status.Ok;
}

/** Planning rehearsed all n rows successfully: remember the plan as it is now. */
export function planWasRehearsed(n: u32): void {
  setPlanRehearsed(true);
  rehearsedFingerprint = planFingerprint(n);
}

/** FNV-1a (64-bit) over the plan columns of rows [0, n): any edit changes it. */
function planFingerprint(n: u32): u64 {
  let h: u64 = 0xcbf29ce484222325;
  const prime: u64 = 0x100000001b3;
  for (let i: u32 = 0; i < n; i++) {
    h = (h ^ <u64>load<u32>(u32At(Column.LogAccount, i))) * prime;
    h = (h ^ <u64>load<u16>(u16At(Column.LogMarket, i))) * prime;
    h = (h ^ <u64>load<u32>(u32At(Column.LogIso, i))) * prime;
    h = (h ^ <u64>load<u8>(col(Column.LogKind) + <usize>i)) * prime;
    h = (h ^ <u64>load<i64>(i64At(Column.LogSize, i))) * prime;
    h = (h ^ <u64>load<i64>(i64At(Column.LogPrice, i))) * prime;
  }
  return h ^ <u64>n;
}

// The group being executed.
let gAccount: u32 = NONE, gIso: u32 = NONE, gFloor: u64 = 0;
let gCollateral: i64 = 0, gEquity: i64 = 0, gMm: i64 = 0;
let gLeft: u32 = 0;    // positions left in the group
let gStamp: u32 = 0;   // MarketStamp value of the group's positions

/** One pass over plan rows [first, end) (rehearsal or writing). */
function run(first: u32, end: u32): i32 {
  for (let i = first; i < end; i++) {
    const a = load<u32>(u32At(Column.LogAccount, i));
    const iso = load<u32>(u32At(Column.LogIso, i));
    const kind = <u32>load<u8>(col(Column.LogKind) + <usize>i);
    if (a >= accountCount) return fail(Status.UnknownAccount, Field.AccountId, <i32>i);
    if (load<u8>(col(Column.AccFlags) + <usize>a) != ACCOUNT_ACTIVE) return fail(Status.AccountClosed, Field.AccountId, <i32>i);
    if (a == backstopAccount) return fail(Status.PlanOutOfOrder, Field.AccountId, <i32>i);
    if (kind > <u32>RowKind.Settle) return fail(Status.OutOfRange, Field.None, <i32>i);
    if (a != gAccount || iso != gIso) {
      const st = startGroup(a, iso, i);
      if (st != Status.Ok) return st;
    }
    const last = i + 1 == end || load<u32>(u32At(Column.LogAccount, i + 1)) != a || load<u32>(u32At(Column.LogIso, i + 1)) != iso;
    let st: i32;
    if (kind == RowKind.Settle) st = settleRow(i);
    else st = positionRow(i, kind == RowKind.Transfer, last);
    if (st != Status.Ok) return st;
    if (last) {
      if (gIso == NONE) setCrossCollateral(gAccount, gCollateral);
      else if (writing && gLeft > 0) store<i64>(i64At(Column.IsoCollateral, gIso), gCollateral);
    }
  }
  return Status.Ok;
}

function startGroup(a: u32, iso: u32, i: u32): i32 {
  gAccount = a; gIso = iso;
  gFloor = <u64>load<u32>(u32At(Column.AccFloorPpm, a));
  gStamp = nextEpoch();
  if (iso == NONE) {
    const stamp = u32At(Column.AccStamp, a);
    if (!writing && load<u32>(stamp) == epochA + 1) return fail(Status.PlanOutOfOrder, Field.AccountId, <i32>i);
    gCollateral = crossCollateral(a);
    if (!writing) { store<i64>(i64At(Column.AccScratch, a), gCollateral); store<u32>(stamp, epochA + 1); }
    // Summed afresh, not read from the results: the sum streams the group's positions into the cache
    // just before its rows read them one by one (measured faster at scale).
    if (!writing && !precomputed && !evaluateCross(a, gCollateral)) return fail(Status.Overflow, Field.AccountId, <i32>a);
    gLeft = load<u32>(u32At(Column.AccPosLen, a));
  } else {
    if (iso >= isolatedTop || load<u8>(col(Column.IsoFlags) + <usize>iso) == 0 || load<u32>(u32At(Column.IsoAccount, iso)) != a) {
      return fail(Status.NoPosition, Field.AccountId, <i32>i);
    }
    if (!writing) {
      const seen = u32At(Column.IsoStamp, iso);
      if (load<u32>(seen) == epochA) return fail(Status.PlanOutOfOrder, Field.AccountId, <i32>i);
      store<u32>(seen, epochA);
    }
    const o8 = <usize>iso << 3;
    gCollateral = load<i64>(col(Column.IsoCollateral) + o8);
    if (!writing && !precomputed && !isolatedFigures(a, iso)) return fail(Status.Overflow, Field.AccountId, <i32>a);
    gLeft = 1;
  }
  gEquity = SUMS.equityQuote; gMm = SUMS.mmQuote;
  // Only a liquidatable group is liquidated: E < M, and for the backstop's transfer E < backstop * M,
  // judged on the figures the rehearsal just summed (or planning's, for the same unchanged book).
  if (!writing) {
    const transfer = <u32>load<u8>(col(Column.LogKind) + <usize>i) == RowKind.Transfer;
    const below = transfer ? compareProducts(gEquity, 1_000_000, gMm, <i64>policyU32(PolicyRecord.backstopPpm)) < 0 : gEquity < gMm;
    if (!below) return fail(Status.NotLiquidatable, Field.AccountId, <i32>i);
  }
  return Status.Ok;
}

function settleRow(i: u32): i32 {
  if (gIso != NONE || load<u16>(u16At(Column.LogMarket, i)) != NO_MARKET) return fail(Status.PlanOutOfOrder, Field.MarketId, <i32>i);
  if (gLeft != 0) return fail(Status.AccountHasPositions, Field.AccountId, <i32>i);
  const deficit = gCollateral < 0 ? -gCollateral : 0;
  gCollateral += deficit;
  return finishRow(i, RowKind.Settle, 0, 0, 0, 0, 0, 0, deficit, 0, 0);
}

/** A close or a transfer of one position. */
function positionRow(i: u32, transfer: bool, last: bool): i32 {
  const a = gAccount, iso = gIso;
  const market = <u32>load<u16>(u16At(Column.LogMarket, i));
  if (!isMarket(market)) return fail(Status.UnknownMarket, Field.MarketId, <i32>i);
  const mstamp = u32At(Column.MarketStamp, market);
  if (load<u32>(mstamp) == gStamp) return fail(Status.PlanOutOfOrder, Field.MarketId, <i32>i);
  store<u32>(mstamp, gStamp);
  let slot = NONE, size: i64, quote: i64, snap: i64;
  if (iso == NONE) {
    slot = findCross(a, market);
    if (slot == NONE) return fail(Status.NoPosition, Field.MarketId, <i32>i);
    size = load<i64>(i64At(Column.PosSize, slot)); quote = load<i64>(i64At(Column.PosQuote, slot)); snap = load<i64>(i64At(Column.PosSnap, slot));
  } else {
    if (<u32>load<u16>(u16At(Column.IsoMarket, iso)) != market) return fail(Status.NoPosition, Field.MarketId, <i32>i);
    size = load<i64>(i64At(Column.IsoSize, iso)); quote = load<i64>(i64At(Column.IsoQuote, iso)); snap = load<i64>(i64At(Column.IsoSnap, iso));
  }
  const d = load<i64>(i64At(Column.LogSize, i));
  const price = load<i64>(i64At(Column.LogPrice, i));
  if (!validPrice(price)) return fail(Status.InvalidPrice, Field.PriceQuote, <i32>i);
  if (transfer) return transferRow(i, market, slot, size, quote, snap, d, last);
  // A close reduces the position: 0 < |d| <= |s| with the opposite sign; d = 0 only for size 0.
  if (size == 0 ? d != 0 : (d == 0 || (d > 0) == (size > 0) || (d > 0 ? d > -size : -d > size))) return fail(Status.NoPosition, Field.SizeBase, <i32>i);
  const after = size + d;
  if (!writing && !precomputed) {
    // The rehearsal from scratch: the close's amounts go to its log row for the writing pass.
    if (!positionTerms(market, size, gFloor)) return fail(Status.Overflow, Field.AccountId, <i32>a);
    const mmPos = TERMS.mmQuote;
    if (!closeOutcome(CLOSE, market, size, quote, snap, d, price, gEquity, gMm, mmPos, gFloor, <u64>policyU32(PolicyRecord.feePpm), <i64>policyU32(PolicyRecord.sharePpm))) {
      return fail(Status.Overflow, Field.AccountId, <i32>a);
    }
    gEquity = CLOSE.equityAfterQuote;
    gMm = gMm - mmPos + CLOSE.mmAfterQuote;
    writeAmounts(i, CLOSE.realizedQuote, CLOSE.owedQuote, CLOSE.liqFeeQuote, CLOSE.fundFeeQuote, CLOSE.surplusQuote > 0 ? CLOSE.surplusQuote : 0, CLOSE.deficitQuote, CLOSE.quoteAfter);
  }
  // The row's amounts, as the rehearsal (or planning) left them in the log (quote after in `transfer`).
  const owed = load<i64>(i64At(Column.LogFunding, i)), realized = load<i64>(i64At(Column.LogRealized, i));
  const liqFee = load<i64>(i64At(Column.LogLiqFee, i)), fundFee = load<i64>(i64At(Column.LogFundFee, i));
  const surplus = load<i64>(i64At(Column.LogSurplus, i)), quoteAfter = load<i64>(i64At(Column.LogTransfer, i));
  let deficit = load<i64>(i64At(Column.LogDeficit, i));
  // Terms of up to 2^63 each (realized, deficit): summed in 128 bits, then range-checked.
  sumStart(SUM, gCollateral); sumAdd(SUM, -owed); sumAdd(SUM, realized); sumAdd(SUM, -liqFee); sumAdd(SUM, -fundFee); sumAdd(SUM, deficit);
  let collateral = amountOf(SUM);
  if (!writing) {
    if (collateral == OVERFLOWED) return fail(Status.Overflow, Field.CollateralQuote, <i32>i);
    if (after == 0 && gLeft == 1 && collateral < 0) {
      // Group settlement: the group holds nothing more; the rest of its loss is a deficit too (the
      // writing pass then finds it in the row and the collateral at 0). A record is an i64 amount.
      if (deficit - collateral < deficit) return fail(Status.Overflow, Field.CollateralQuote, <i32>i); // -collateral > 0: only a wrap makes it smaller
      deficit -= collateral;
      collateral = 0;
      store<i64>(i64At(Column.LogDeficit, i), deficit);
    }
  }
  if (after == 0) gLeft--;
  gCollateral = collateral;
  const fund = fundOf(market);
  const fp = i64At(Column.FundScratch, fund);
  if (!writing) {
    const f = load<i64>(fp) + fundFee;
    if (f > AMOUNT_LIMIT) return fail(Status.Overflow, Field.FundId, <i32>i);
    store<i64>(fp, f);
  }
  if (iso != NONE && after == 0) {
    const cross = crossCollateral(a) + collateral;
    if (!inRange(cross)) return fail(Status.Overflow, Field.CollateralQuote, <i32>i);
    setCrossCollateral(a, cross);
  }
  if (writing) {
    const fb = i64At(Column.FundBalance, fund);
    store<i64>(fb, load<i64>(fb) + fundFee);
    // The market's liquidation revenue (a marker on the fund fee now in the fund, for the revenue
    // split; it never counts more than a fund can hold, so it saturates there).
    const lr = marketEconPtr(market) + MarketEconRecord.liquidationRevenue;
    store<i64>(lr, min(load<i64>(lr) + fundFee, AMOUNT_LIMIT));
    addOpenInterest(market, size, after, false);
    if (iso == NONE) {
      store<i64>(i64At(Column.AccCollateral, a), collateral);
      if (after == 0) removeCrossSlot(a, slot);
      else { store<i64>(i64At(Column.PosSize, slot), after); store<i64>(i64At(Column.PosQuote, slot), quoteAfter); store<i64>(i64At(Column.PosSnap, slot), sideIndex(market, after)); }
    } else if (after == 0) {
      releaseIsolatedRow(a, iso);
    } else {
      store<i64>(i64At(Column.IsoSize, iso), after); store<i64>(i64At(Column.IsoQuote, iso), quoteAfter); store<i64>(i64At(Column.IsoSnap, iso), sideIndex(market, after));
      store<i64>(i64At(Column.IsoCollateral, iso), collateral);
    }
  }
  if (writing) addNotional(d < 0 ? -d : d, price, load<i64>(marketPtr(market), MarketRecord.d));
  return finishRow(i, RowKind.Close, 0, realized, owed, liqFee, fundFee, surplus, deficit, 0, 1);
}

/** Adds floor(c * price / D) to the closed-notional total exactly: a 128-bit product and quotient (a
 * close at a price far from the mark can pass 2^62). */
function addNotional(c: i64, price: i64, d: i64): void {
  const lo = mulWideU(<u64>c, <u64>price, SCRATCH);
  const qLo = divModU128(load<u64>(SCRATCH), lo, <u64>d, SCRATCH), qHi = load<u64>(SCRATCH);
  const p = EXEC_RECORD + ExecRecord.closedNotionalQuote, old = load<u64>(p), sum = old + qLo;
  store<u64>(p, sum);
  store<i64>(p + ExecRecord.HI, load<i64>(p + ExecRecord.HI) + <i64>qHi + <i64>(sum < old));
}

/** Moves a whole position (and, on the group's last row, its collateral) to the backstop account. */
function transferRow(i: u32, market: u32, slot: u32, size: i64, quote: i64, snap: i64, d: i64, last: bool): i32 {
  const a = gAccount, iso = gIso;
  if (backstopAccount == NONE) return fail(Status.InvalidPolicy, Field.BackstopAccountId, <i32>i);
  if (d != -size) return fail(Status.NoPosition, Field.SizeBase, <i32>i);
  if (findIsolated(backstopAccount, market) != NONE) return fail(Status.DuplicatePosition, Field.MarketId, <i32>i);
  const owed = fundingToSettle(market, size, snap);
  if (owed == OVERFLOWED) return fail(Status.Overflow, Field.FundingSnapshot, <i32>i);
  // The backstop account's position in this market: from the book, or as earlier rows left it.
  let vSize: i64 = 0, vQuote: i64 = 0, vSnap: i64 = 0;
  const vSlot = findCross(backstopAccount, market);
  const seen = !writing && load<u32>(u32At(Column.IoU32, market)) == epochA;
  if (seen) {
    vSize = load<i64>(i64At(Column.IoI64A, market)); vQuote = load<i64>(i64At(Column.IoI64B, market)); vSnap = sideIndex(market, vSize);
  } else if (vSlot != NONE) {
    vSize = load<i64>(i64At(Column.PosSize, vSlot)); vQuote = load<i64>(i64At(Column.PosQuote, vSlot)); vSnap = load<i64>(i64At(Column.PosSnap, vSlot));
  } else if (!writing) {
    newSlots++;
  }
  const vOwed = vSize == 0 ? 0 : fundingToSettle(market, vSize, vSnap);
  if (vOwed == OVERFLOWED) return fail(Status.Overflow, Field.FundingSnapshot, <i32>i);
  const merged = vSize + size;
  let mergedQuote = vQuote + quote;
  if (!inRange(merged) || !inRange(mergedQuote)) return fail(Status.Overflow, Field.SizeBase, <i32>i);
  let realized: i64 = 0;
  if (merged == 0) { realized = mergedQuote; mergedQuote = 0; }
  // Terms of up to 2^63 (realized): the balances are summed in 128 bits, then range-checked.
  let collateral = gCollateral - owed; // both within 2^62: fits i64
  sumStart(SUM, crossCollateral(backstopAccount)); sumAdd(SUM, -vOwed); sumAdd(SUM, realized);
  let moved: i64 = 0;
  gLeft--;
  if (last) { moved = collateral; sumAdd(SUM, collateral); collateral = 0; }
  const backstopCollateral = amountOf(SUM);
  if (backstopCollateral == OVERFLOWED || !inRange(collateral)) return fail(Status.Overflow, Field.CollateralQuote, <i32>i);
  gCollateral = collateral;
  setCrossCollateral(backstopAccount, backstopCollateral);
  if (!writing) {
    store<u32>(u32At(Column.IoU32, market), epochA);
    store<i64>(i64At(Column.IoI64A, market), merged);
    store<i64>(i64At(Column.IoI64B, market), mergedQuote);
  } else {
    // Remove the position from the group.
    addOpenInterest(market, size, 0, false);
    if (iso == NONE) {
      store<i64>(i64At(Column.AccCollateral, a), collateral);
      removeCrossSlot(a, slot);
    } else {
      store<i64>(i64At(Column.IsoCollateral, iso), collateral);
      releaseIsolatedRow(a, iso);
    }
    // Merge into the backstop account's cross position.
    addOpenInterest(market, vSize, merged, false);
    let s = vSlot;
    if (s == NONE && merged != 0) {
      s = addCrossSlot(backstopAccount);
      store<u16>(u16At(Column.PosMarket, s), <u16>market);
      noteHolder(market, backstopAccount);
    }
    if (merged == 0) {
      if (s != NONE) removeCrossSlot(backstopAccount, s);
    } else {
      store<i64>(i64At(Column.PosSize, s), merged); store<i64>(i64At(Column.PosQuote, s), mergedQuote); store<i64>(i64At(Column.PosSnap, s), sideIndex(market, merged));
    }
  }
  return finishRow(i, RowKind.Transfer, 0, realized, owed + vOwed, 0, 0, 0, 0, moved, 0);
}

/** Writes a row's amounts to the log and the totals (writing pass), counts deficits (both passes). */
function finishRow(i: u32, kind: RowKind, notional: i64, realized: i64, funding: i64, liqFee: i64, fundFee: i64, surplus: i64, deficit: i64, moved: i64, closes: u32): i32 {
  if (!writing) {
    if (deficit > 0) newDeficits++;
    return Status.Ok;
  }
  writeAmounts(i, realized, funding, liqFee, fundFee, surplus, deficit, moved);
  if (deficit > 0) {
    const k = load<u32>(LIQ_RECORD, LiqRecord.deficits);
    store<u32>(u32At(Column.DefAccount, k), gAccount);
    store<u16>(u16At(Column.DefMarket, k), kind == RowKind.Settle ? NO_MARKET : load<u16>(u16At(Column.LogMarket, i)));
    store<i64>(i64At(Column.DefAmount, k), deficit);
    store<i64>(i64At(Column.DefSize, k), kind == RowKind.Settle ? 0 : load<i64>(i64At(Column.LogSize, i)));
    store<i64>(i64At(Column.DefPrice, k), kind == RowKind.Settle ? 0 : load<i64>(i64At(Column.LogPrice, i)));
    store<u32>(LIQ_RECORD, k + 1, LiqRecord.deficits);
  }
  addWide(LIQ_RECORD + LiqRecord.liquidatorFees, liqFee);
  addWide(LIQ_RECORD + LiqRecord.deficitsRecorded, deficit);
  addWide(LIQ_RECORD + LiqRecord.flow, funding);
  addWide(LIQ_RECORD + LiqRecord.flow, -realized);
  const e = EXEC_RECORD;
  store<i64>(e, load<i64>(e, ExecRecord.rows) + 1, ExecRecord.rows);
  store<i64>(e, load<i64>(e, ExecRecord.closes) + <i64>closes, ExecRecord.closes);
  store<i64>(e, load<i64>(e, ExecRecord.transfers) + <i64>(kind == RowKind.Transfer), ExecRecord.transfers);
  store<i64>(e, load<i64>(e, ExecRecord.settlements) + <i64>(kind == RowKind.Settle), ExecRecord.settlements);
  if (i == 0 || load<u32>(u32At(Column.LogAccount, i - 1)) != gAccount || load<u32>(u32At(Column.LogIso, i - 1)) != gIso) store<i64>(e, load<i64>(e, ExecRecord.groups) + 1, ExecRecord.groups);
  addTotal(ExecRecord.closedNotionalQuote, notional);
  addTotal(ExecRecord.realizedPnlQuote, realized);
  addTotal(ExecRecord.fundingQuote, funding);
  addTotal(ExecRecord.liquidatorFeeQuote, liqFee);
  addTotal(ExecRecord.fundFeeQuote, fundFee);
  addTotal(ExecRecord.surplusQuote, surplus);
  addTotal(ExecRecord.deficitQuote, deficit);
  addTotal(ExecRecord.transferQuote, moved);
  return Status.Ok;
}

/** Adds v to the execution total at `off` (128 bits: the high word ExecRecord.HI further). */
function addTotal(off: usize, v: i64): void {
  const p = EXEC_RECORD + off, lo = load<u64>(p), sum = lo + <u64>v;
  store<u64>(p, sum);
  store<i64>(p + ExecRecord.HI, load<i64>(p + ExecRecord.HI) + (v >> 63) + <i64>(sum < lo));
}

