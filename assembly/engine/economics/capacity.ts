/**
 * Venue withdrawal capacity and the queue (docs/ECONOMICS.md, "Venue withdrawal capacity and the
 * queue"): dYdX's rate limit (x/ratelimit/util/capacity.go) and its gating after a bankrupt account,
 * and Paradex's socialized-loss charge on withdrawals.
 *
 *   TV (total value)  = min(2^62, max(0, collateral of every account: cross and live isolated)),
 *                       the ledger's collateral term, clamped
 *   baseline B        = max(minQuote, floor(TV * ppm / 10^6))
 *   refresh at t      : dt = t - capacitySec; L = max(B, capacity - B);
 *                       diff = floor(L * dt / period) (dt >= period: diff = L);
 *                       |capacity - B| <= diff -> capacity = B, else capacity moves by diff toward B
 *   gate              : a call that sees a bankrupt account or isolated position in the book-wide
 *                       tallies (as the last checks left them) sets gatedUntil = max(gatedUntil, t + gateSec);
 *                       while t < gatedUntil nothing is paid
 *   a payment of p    : leaves the account's collateral; counts p against the capacity; with the loss
 *                       charge on and uncovered losses S = min(2^62, uncovered) > 0,
 *                       charge = min(p, S, ceil(p * S / TV)) (TV = 0: min(p, S)) stays in the venue:
 *                       it covers uncovered losses (uncovered -= charge, covered += charge)
 *
 * The queue is a ring of QUEUE_ROWS QueuedRecords served first in, first out; a request that finds
 * a non-empty queue or a closed gate queues whole. A queued amount stays in the account's
 * collateral: at request time the account's queued total plus the new amount must be allowed; when
 * the head is served it is re-checked and cut to what is allowed then (the cut is dropped). A queued
 * request records what its account has received from it (payments net of loss charges).
 *
 * What an account may withdraw is `maxAllowed` (the one place the rule lives).
 */
import { AMOUNT_LIMIT, mulDivRounded, OVERFLOWED } from '../../math/fixed';
import { addWide } from '../../math/wide';
import { col, Column, i64At, QUEUE_ROWS } from '../../abi/layout';
import { BalancesRecord, EconomicsRecord, ErrorRecord, FLOW_ROWS, I128_HI, QueuedRecord } from '../../abi/records';
import { Field, FlowKind, Health, Status, WithdrawLimit } from '../../abi/status';
import { bookChanged, clearError, ERROR_RECORD, fail, NONE, SCRATCH, tallyPtr } from '../state';
import { addFlow, BALANCES, clearFlows, ECONOMICS, ledgerCheck, ledgerMark } from '../funds';
import { ACCOUNT_CLOSED, checkAccount } from '../book/book';
import { holdWithdrawTerms, lastCutByWithdrawable, lastWithdrawLimit, releaseWithdrawTerms, termsJoin, termsLeave, withdrawableFromCollateral, withdrawTermsHeld } from './withdraw';
import { moveTotalValue, refreshTotalValue, totalValue } from './total-value';

const PPM: i64 = 1_000_000;
/** The longest period and gate: 366 days. */
export const MAX_CAPACITY_SEC: i64 = 366 * 86_400;
const NO_CODE: u32 = 255;
/** Flow rows one payment writes (a withdrawal and a loss charge). */
const ROWS_PER_PAYMENT: u32 = 2;

// ---- What an account may withdraw -------------------------------------------------------------

/**
 * The most account a may withdraw now (>= 0): its withdrawable amount under the withdrawal rules
 * (withdraw.ts: realizable gains, initial margin, the transfer floor), and no more than its
 * collateral (a queued withdrawal is paid out of collateral: unsettled gains are settled first with
 * settlePnl); 0 for a closed account or one whose figures leave range. The one place the rule lives.
 */
export function maxAllowed(a: u32): i64 { return withdrawableFromCollateral(a); }

/** The refusal of a request above what is allowed: as `withdraw` (BelowInitialMargin where margin binds), else AboveWithdrawable. */
function refusalCode(): i32 {
  const limit = lastWithdrawLimit();
  return lastCutByWithdrawable() && (limit == WithdrawLimit.InitialMargin || limit == WithdrawLimit.Equity) ? Status.BelowInitialMargin : Status.AboveWithdrawable;
}

/**
 * Whether account a may withdraw `amount` (1..2^62) on top of what it has queued: Ok, the refusal
 * (recorded), or the error of figures out of range.
 */
function allowedWithQueued(a: u32, amount: i64): i32 {
  const m = maxAllowed(a);
  if (m == OVERFLOWED) return load<i32>(ERROR_RECORD, ErrorRecord.code); // the terms or the account's figures left range
  if (amount > m) return fail(refusalCode(), Field.AmountQuote, -1);
  return queuedOf(a) <= m - amount ? Status.Ok : fail(refusalCode(), Field.AmountQuote, -1);
}

// ---- Total value, baseline, refresh --------------------------------------------------------------

/** B = max(minQuote, floor(TV * ppm / 10^6)) for the tracked sum (<= 2^62). */
function baselineNow(): i64 {
  const share = mulDivRounded(totalValue(), <i64>load<u32>(ECONOMICS, EconomicsRecord.capacityPpm), PPM, false, SCRATCH, <u64>AMOUNT_LIMIT + 1);
  const min = load<i64>(ECONOMICS, EconomicsRecord.capacityMinQuote);
  return share > min ? share : min;
}

/** The current baseline (a reader: sums the collateral now). */
export function capacityBaseline(): i64 {
  refreshTotalValue();
  return baselineNow();
}

/**
 * The capacity at `now` from `capacity` at `since` toward baseline `b` over `period` (> 0):
 * dYdX's capacity.go in integers (the step rounded against the withdrawers; never past the baseline).
 */
export function refreshed(capacity: i64, since: i64, now: i64, b: i64, period: i64): i64 {
  if (since < 0) return b; // not timed yet: starts full at the baseline
  const gap = capacity - b;
  const l = gap > b ? gap : b;
  const dt = now - since;
  // Rounded against the withdrawers: down on the way up to B, up on the way down to it.
  const diff = dt >= period ? l : mulDivRounded(l, dt, period, gap > 0, SCRATCH, <u64>AMOUNT_LIMIT + 1);
  const distance = gap < 0 ? -gap : gap;
  if (distance <= diff) return b;
  return gap < 0 ? capacity + diff : capacity - diff;
}

// ---- Call state ----------------------------------------------------------------------------------

/** The capacity (i64.MAX_VALUE: unlimited) and whether paying is gated, as the call's start left them. */
let capacityNow: i64 = 0, gatedUntilNow: i64 = 0;
let gatedNow = false;

/** Validates `nowSec` for a timed call: 0..2^62 and not before the capacity's second. */
function checkNow(nowSec: i64): i32 {
  if (nowSec < 0 || nowSec > AMOUNT_LIMIT || nowSec < load<i64>(ECONOMICS, EconomicsRecord.capacitySec)) return fail(Status.OutOfRange, Field.NowSec, -1);
  return Status.Ok;
}

/** Whether the book-wide tallies hold a bankrupt account or isolated position. */
function bankruptSeen(): bool {
  return load<u32>(tallyPtr(0, Health.Bankrupt)) != 0 || load<u32>(tallyPtr(1, Health.Bankrupt)) != 0;
}

/** Computes the call's capacity and gate at `now` into capacityNow / gatedNow (writes nothing). */
/** Whether a call reads the total value: a capacity's baseline or the loss charge does. */
export function totalValueRead(): bool {
  return load<i64>(ECONOMICS, EconomicsRecord.capacityPeriodSec) != 0 || load<u32>(ECONOMICS, EconomicsRecord.lossCharge) != 0;
}

function planState(now: i64): void {
  if (totalValueRead()) refreshTotalValue();
  const period = load<i64>(ECONOMICS, EconomicsRecord.capacityPeriodSec);
  capacityNow = period == 0
    ? i64.MAX_VALUE
    : refreshed(load<i64>(ECONOMICS, EconomicsRecord.capacityQuote), load<i64>(ECONOMICS, EconomicsRecord.capacitySec), now, baselineNow(), period);
  let until = load<i64>(ECONOMICS, EconomicsRecord.gatedUntilSec);
  const gate = load<i64>(ECONOMICS, EconomicsRecord.gateSec);
  if (gate > 0 && bankruptSeen() && now + gate > until) until = now + gate;
  gatedUntilNow = until;
  gatedNow = now < until;
}

/** Writes the planned capacity and gate (the call's point of no return). */
function applyState(now: i64): void {
  if (capacityNow != i64.MAX_VALUE) store<i64>(ECONOMICS, capacityNow, EconomicsRecord.capacityQuote);
  store<i64>(ECONOMICS, now, EconomicsRecord.capacitySec);
  store<i64>(ECONOMICS, gatedUntilNow, EconomicsRecord.gatedUntilSec);
}

/** Uncovered losses S = min(2^62, uncovered) (0 when none). */
function shortfall(): i64 {
  const lo = load<u64>(BALANCES + BalancesRecord.uncovered), hi = load<i64>(BALANCES + BalancesRecord.uncovered + I128_HI);
  if (hi < 0) return 0;
  if (hi > 0 || lo >= <u64>AMOUNT_LIMIT) return AMOUNT_LIMIT;
  return <i64>lo;
}

/** The loss charge on a payment of p (> 0) at the tracked TV: min(p, S, ceil(p * S / TV)). */
function chargeOn(p: i64): i64 {
  if (load<u32>(ECONOMICS, EconomicsRecord.lossCharge) == 0) return 0;
  const s = shortfall();
  if (s == 0) return 0;
  const cap = p < s ? p : s;
  const tv = totalValue();
  if (tv == 0) return cap;
  const c = mulDivRounded(p, s, tv, true, SCRATCH, u64.MAX_VALUE);
  return c == OVERFLOWED || c > cap ? cap : c;
}

/**
 * Pays p (> 0) of account a's collateral now: the charge covers uncovered losses, the rest leaves
 * the venue; flow rows Withdrawal (what left) and LossCharge, each naming the request (its id, the
 * low 32 bits). Returns the charge.
 */
function pay(a: u32, p: i64, request: i64, now: i64): i64 {
  const charge = chargeOn(p);
  const c = i64At(Column.AccCollateral, a);
  termsLeave(a);
  store<i64>(c, load<i64>(c) - p);
  termsJoin(a);
  moveTotalValue(-p);
  if (charge > 0) {
    addWide(BALANCES + BalancesRecord.uncovered, -charge);
    addWide(BALANCES + BalancesRecord.covered, charge);
  }
  if (p > charge) addFlow(FlowKind.Withdrawal, NO_CODE, NO_CODE, a, <u32>request, p - charge, now);
  if (charge > 0) addFlow(FlowKind.LossCharge, NO_CODE, NO_CODE, a, <u32>request, charge, now);
  return charge;
}

// @ts-ignore: decorator
@inline function queuedPtr(row: u32): usize { return col(Column.WithdrawQueue) + <usize>row * QueuedRecord.BYTES; }

/** Account a's queued total (Column.AccQueued: every change to a queued amount moves it alike). */
// @ts-ignore: decorator
@inline function queuedOf(a: u32): i64 { return load<i64>(i64At(Column.AccQueued, a)); }

/** Moves account a's queued total by x. */
// @ts-ignore: decorator
@inline function addQueued(a: u32, x: i64): void { const p = i64At(Column.AccQueued, a); store<i64>(p, load<i64>(p) + x); }

// ---- Calls -----------------------------------------------------------------------------------------

/**
 * Configures the capacity: period 0 (unlimited, the default) or 1..366 days in seconds; minQuote
 * 0..2^62; ppm of total value 0..10^6; gate 0..366 days in seconds; loss charge 0 or 1. The capacity
 * starts full at the baseline (timed from the next request or serve); the queue and the gate stay.
 * Errors (nothing changed): InvalidEconomics naming CapacityPeriodSec, CapacityMinQuote, CapacityPpm,
 * GateSec or Kind.
 */
export function setWithdrawalCapacity(periodSec: i64, minQuote: i64, ppm: u32, gateSec: i64, lossCharge: u32): i32 {
  clearError();
  clearFlows();
  if (periodSec < 0 || periodSec > MAX_CAPACITY_SEC) return fail(Status.InvalidEconomics, Field.CapacityPeriodSec, -1);
  if (minQuote < 0 || minQuote > AMOUNT_LIMIT) return fail(Status.InvalidEconomics, Field.CapacityMinQuote, -1);
  if (<i64>ppm > PPM) return fail(Status.InvalidEconomics, Field.CapacityPpm, -1);
  if (gateSec < 0 || gateSec > MAX_CAPACITY_SEC) return fail(Status.InvalidEconomics, Field.GateSec, -1);
  if (lossCharge > 1) return fail(Status.InvalidEconomics, Field.Kind, -1);
  store<i64>(ECONOMICS, periodSec, EconomicsRecord.capacityPeriodSec);
  store<i64>(ECONOMICS, minQuote, EconomicsRecord.capacityMinQuote);
  store<u32>(ECONOMICS, ppm, EconomicsRecord.capacityPpm);
  store<i64>(ECONOMICS, gateSec, EconomicsRecord.gateSec);
  store<u32>(ECONOMICS, lossCharge, EconomicsRecord.lossCharge);
  store<i64>(ECONOMICS, periodSec == 0 ? 0 : capacityBaseline(), EconomicsRecord.capacityQuote);
  store<i64>(ECONOMICS, -1, EconomicsRecord.capacitySec);
  return Status.Ok;
}

/**
 * Gates withdrawals from `nowSec` for the configured gate (a negative-equity account seen outside
 * the book's tallies): gatedUntil = max(gatedUntil, nowSec + gateSec). Errors: OutOfRange (NowSec:
 * not in 0..2^62).
 */
export function noteNegativeEquity(nowSec: i64): i32 {
  clearError();
  clearFlows();
  if (nowSec < 0 || nowSec > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.NowSec, -1);
  const until = nowSec + load<i64>(ECONOMICS, EconomicsRecord.gateSec);
  if (until > load<i64>(ECONOMICS, EconomicsRecord.gatedUntilSec)) store<i64>(ECONOMICS, until, EconomicsRecord.gatedUntilSec);
  return Status.Ok;
}

/**
 * Account a asks to withdraw `amount` at `nowSec`. The capacity is refreshed to nowSec and the gate
 * observed; paid now = min(amount, capacity) unless the gate is closed or the queue is not empty
 * (then 0); the rest queues as one request. answer0 = paid now (out of the collateral), answer1 =
 * queued, answer2 = the loss charge in what was paid; the request's id is nextRequestId - 1.
 * Errors (nothing changed): UnknownAccount, AccountClosed; OutOfRange (AmountQuote: not in 1..2^62;
 * NowSec: not in 0..2^62 or before the capacity's second); BelowInitialMargin (AmountQuote: the
 * amount plus the account's queued total is more than it may withdraw); Overflow (AmountQuote: the
 * queued total would pass 2^62); CapacityExceeded (Capacity: the queue is full).
 */
export function requestWithdrawal(a: u32, amount: i64, nowSec: i64): i32 {
  clearError();
  clearFlows();
  const known = checkAccount(a, -1);
  if (known != Status.Ok) return known;
  if (amount <= 0 || amount > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  const st = checkNow(nowSec);
  if (st != Status.Ok) return st;
  const allowed = allowedWithQueued(a, amount);
  if (allowed != Status.Ok) return allowed;
  planState(nowSec);
  const n = load<u32>(ECONOMICS, EconomicsRecord.queued);
  let paid: i64 = 0;
  if (!gatedNow && n == 0) paid = amount < capacityNow ? amount : capacityNow;
  const rest = amount - paid;
  const queuedTotal = load<i64>(ECONOMICS, EconomicsRecord.queuedQuote);
  if (rest > 0) {
    if (rest > AMOUNT_LIMIT - queuedTotal) return fail(Status.Overflow, Field.AmountQuote, -1);
    if (n >= QUEUE_ROWS) return fail(Status.CapacityExceeded, Field.Capacity, -1);
  }
  // Everything is checked: from here the call changes state.
  ledgerMark();
  applyState(nowSec);
  const id = load<i64>(ECONOMICS, EconomicsRecord.nextRequestId);
  store<i64>(ECONOMICS, id + 1, EconomicsRecord.nextRequestId);
  let charge: i64 = 0;
  if (paid > 0) {
    charge = pay(a, paid, id, nowSec);
    if (capacityNow != i64.MAX_VALUE) store<i64>(ECONOMICS, capacityNow - paid, EconomicsRecord.capacityQuote);
    bookChanged();
  }
  if (rest > 0) {
    const p = queuedPtr((load<u32>(ECONOMICS, EconomicsRecord.queueHead) + n) % QUEUE_ROWS);
    store<u32>(p, a, QueuedRecord.account);
    store<i64>(p, rest, QueuedRecord.amountQuote);
    store<i64>(p, nowSec, QueuedRecord.sinceSec);
    store<i64>(p, id, QueuedRecord.id);
    store<i64>(p, 0, QueuedRecord.paidQuote);
    store<u32>(ECONOMICS, n + 1, EconomicsRecord.queued);
    store<i64>(ECONOMICS, queuedTotal + rest, EconomicsRecord.queuedQuote);
    addQueued(a, rest);
  }
  store<i64>(ECONOMICS, paid, EconomicsRecord.answer0);
  store<i64>(ECONOMICS, rest, EconomicsRecord.answer1);
  store<i64>(ECONOMICS, charge, EconomicsRecord.answer2);
  ledgerCheck(charge - paid, 'conservation: a withdrawal leaves the venue net of its loss charge');
  return Status.Ok;
}

/**
 * Serves the queue at `nowSec`: refreshes the capacity, observes the gate, then (gate open) pays the
 * head first, in order, while capacity lasts; each head is first cut to what its account may
 * withdraw now (the cut is dropped); a partly paid head keeps its remainder at the head. Stops when
 * the flow rows are full (FLOW_ROWS / 2 payments): call again at the same second to go on.
 * answer0 = paid (out of collateral), answer1 = still queued, answer2 = loss charges in what was paid.
 * Errors (nothing changed): OutOfRange (NowSec: not in 0..2^62 or before the capacity's second).
 */
export function serveWithdrawals(nowSec: i64): i32 {
  clearError();
  clearFlows();
  const st = checkNow(nowSec);
  if (st != Status.Ok) return st;
  // The withdrawal rule's book-wide terms, held through the serve (a book out of range refuses it).
  const outerHold = withdrawTermsHeld();
  if (load<u32>(ECONOMICS, EconomicsRecord.queued) != 0) {
    const terms = holdWithdrawTerms();
    if (terms != Status.Ok) return terms;
  }
  planState(nowSec);
  ledgerMark();
  applyState(nowSec);
  let paid: i64 = 0, charges: i64 = 0, capacity = capacityNow;
  let head = load<u32>(ECONOMICS, EconomicsRecord.queueHead), n = load<u32>(ECONOMICS, EconomicsRecord.queued);
  let queuedTotal = load<i64>(ECONOMICS, EconomicsRecord.queuedQuote);
  while (!gatedNow && n > 0 && load<u32>(ECONOMICS, EconomicsRecord.flows) + ROWS_PER_PAYMENT <= FLOW_ROWS) {
    const p = queuedPtr(head);
    const a = load<u32>(p, QueuedRecord.account);
    let rest = load<i64>(p, QueuedRecord.amountQuote);
    // Step 1: cut the head to what its account may withdraw now (an account whose own figures leave
    // range stops the serve there: its request stays at the head).
    const m = maxAllowed(a);
    if (m == OVERFLOWED) { clearError(); break; }
    if (rest > m) { queuedTotal -= rest - m; addQueued(a, m - rest); rest = m; }
    // Step 2: pay what the capacity allows.
    if (rest > 0) {
      if (capacity == 0) { store<i64>(p, rest, QueuedRecord.amountQuote); break; }
      const x = rest < capacity ? rest : capacity;
      const charge = pay(a, x, load<i64>(p, QueuedRecord.id), nowSec);
      charges += charge;
      store<i64>(p, load<i64>(p, QueuedRecord.paidQuote) + x - charge, QueuedRecord.paidQuote);
      paid += x; rest -= x; queuedTotal -= x;
      addQueued(a, -x);
      if (capacity != i64.MAX_VALUE) capacity -= x;
    }
    store<i64>(p, rest, QueuedRecord.amountQuote);
    if (rest > 0) break;
    head = (head + 1) % QUEUE_ROWS; n--;
  }
  store<u32>(ECONOMICS, head, EconomicsRecord.queueHead);
  store<u32>(ECONOMICS, n, EconomicsRecord.queued);
  store<i64>(ECONOMICS, queuedTotal, EconomicsRecord.queuedQuote);
  if (capacityNow != i64.MAX_VALUE) store<i64>(ECONOMICS, capacity, EconomicsRecord.capacityQuote);
  if (!outerHold) releaseWithdrawTerms();
  if (paid > 0) bookChanged();
  store<i64>(ECONOMICS, paid, EconomicsRecord.answer0);
  store<i64>(ECONOMICS, queuedTotal, EconomicsRecord.answer1);
  store<i64>(ECONOMICS, charges, EconomicsRecord.answer2);
  ledgerCheck(charges - paid, 'conservation: withdrawals leave the venue net of their loss charges');
  return Status.Ok;
}
