/**
 * The withdrawal run of a simulated path (docs/SIMULATION.md, "Winners' withdrawals"): every
 * `withdrawEverySteps` steps, accounts whose turn has come take out their gains through the engine's
 * own withdrawal rules (economics/withdraw.ts: what they may withdraw and the settle) and capacity
 * (economics/capacity.ts: the request and the queue), then the queue is served.
 *
 * Turns. Each account acts at most once per path, in the path's order: turn k is account
 * (o + k * g) mod A, a permutation of the A accounts (gcd(g, A) = 1) drawn from the seed and the
 * path. The share of accounts that have had their turn follows the chance per run step,
 * p_t = min(10^6, probabilityPpm + floor(bankRunPpm * drawdownPpm / 10^6)), through the survival
 * S = prod(1 - p) kept on a 2^32 scale: after step t the turns 0 .. floor((2^32 - S) * A / 2^32) - 1
 * have come.
 *
 * Per account the path keeps what it is still owed (Region.Owed): what it wanted less what it has
 * received, cleared again at the path's end for the accounts whose turn came. The engine's stakers
 * leave with the same chance (stakers.ts).
 */
import { addAmount, mulDivRounded, OVERFLOWED } from '../../math/fixed';
import { col, Column, i64At, QUEUE_ROWS } from '../../abi/layout';
import { EconomicsRecord, ErrorRecord, QueuedRecord, SimHeaderRecord, WithdrawableRecord } from '../../abi/records';
import { Field, Metric, METRICS, Status } from '../../abi/status';
import { accountCount, clearError, ERROR_RECORD, fail, SCRATCH } from '../state';
import { ECONOMICS, WITHDRAWABLE } from '../funds';
import { ACCOUNT_ACTIVE } from '../book/book';
import { splitmix64 } from '../waterfall/adl';
import { backstopVaultAccount } from '../waterfall/parties';
import { holdWithdrawTerms, releaseWithdrawTerms, settleAccountPnl, withdrawableOf } from '../economics/withdraw';
import { maxAllowed, requestWithdrawal, serveWithdrawals, totalValueRead } from '../economics/capacity';
import { holdTotalValue, releaseTotalValue } from '../economics/total-value';
import { recheck } from './bounds';
import { markDirty } from './snapshot';
import { Region, regionPtr } from './area';
import { beginPathStakers, stakersStep } from './stakers';

const PPM: i64 = 1_000_000;
const SCALE: u64 = 1 << 32;

let header: usize = 0, metrics: usize = 0, owed: usize = 0;
/** The path's order (offset, stride), the survival, the turns taken, the funds at the start. */
let offset: u64 = 0, stride: u64 = 0, survival: u64 = SCALE, turns: u64 = 0, fundsAtStart: i64 = 0, pathHash: u64 = 0;
/** Requests from this id on are the path's own. */
let firstRequest: i64 = 0;
let winners: u64 = 0, wanted: i64 = 0, charged: i64 = 0, queuedRequests: u64 = 0;
/** Whether Region.Owed may hold a failed path's entries (it is cleared whole at the next start). */
let owedStale = false;

function gcd(a: u64, b: u64): u64 {
  while (b != 0) { const t = a % b; a = b; b = t; }
  return a;
}

/** Starts a path's run: its order, the survival, the counters. `funds` is the funds' balance now. */
export function beginPathWithdrawals(funds: i64): void {
  header = regionPtr(Region.Header); metrics = regionPtr(Region.Metrics); owed = regionPtr(Region.Owed);
  if (owedStale) { memory.fill(owed, 0, <usize>accountCount << 3); owedStale = false; }
  survival = SCALE; turns = 0; fundsAtStart = funds;
  winners = 0; wanted = 0; charged = 0; queuedRequests = 0;
  firstRequest = load<i64>(ECONOMICS, EconomicsRecord.nextRequestId);
  beginPathStakers();
  const h = splitmix64(load<u64>(header, SimHeaderRecord.seed) + splitmix64(<u64>load<u32>(header, SimHeaderRecord.path)));
  pathHash = h;
  const a = <u64>accountCount;
  if (a == 0 || load<u32>(header, SimHeaderRecord.withdrawEverySteps) == 0) { offset = 0; stride = 1; return; }
  offset = h % a;
  let g = 1 + splitmix64(h) % a;
  while (gcd(g, a) != 1) g = g >= a ? 1 : g + 1;
  stride = g;
  owedStale = true; // until the path ends cleanly
}

// @ts-ignore: decorator
@inline function turnAccount(k: u64): u32 { return <u32>((offset + k * stride) % <u64>accountCount); }
// @ts-ignore: decorator
@inline function owedPtr(a: u32): usize { return owed + (<usize>a << 3); }
// @ts-ignore: decorator
@inline function addMetric(row: u32, k: u32, v: i64): void { const p = metrics + ((<usize>row * METRICS + k) << 3); store<i64>(p, load<i64>(p) + v); }


/**
 * Step t's run, when t is a run step, at `nowSec` with the funds' balance `funds` before it: the
 * stakers (stakers.ts), the turns that have come, then the queue served. Returns a Status (the
 * pipeline's errors; Overflow naming the account whose figures leave range).
 */
export function withdrawalStep(t: u32, nowSec: i64, funds: i64): i32 {
  const every = load<u32>(header, SimHeaderRecord.withdrawEverySteps);
  if (every == 0 || t % every != 0) return Status.Ok;
  // The chance this run step, and the turns it brings.
  let drawdown: i64 = 0;
  if (fundsAtStart > 0 && funds < fundsAtStart) drawdown = mulDivRounded(fundsAtStart - funds, PPM, fundsAtStart, false, SCRATCH);
  let p = <i64>load<u32>(header, SimHeaderRecord.withdrawPpm) + <i64>load<u32>(header, SimHeaderRecord.bankRunPpm) * drawdown / PPM;
  if (p > PPM) p = PPM;
  // The stakers first (their unstakes move collateral, before the terms are held).
  let st = stakersStep(header, t, nowSec, p, pathHash);
  if (st != Status.Ok || accountCount == 0) return st;
  survival = survival * <u64>(PPM - p) / <u64>PPM;
  const due = (SCALE - survival) * <u64>accountCount >> 32;
  const queued = load<u32>(ECONOMICS, EconomicsRecord.queued);
  if (due == turns && queued == 0) return Status.Ok;
  st = holdWithdrawTerms();
  if (st != Status.Ok) return st;
  holdTotalValue(totalValueRead());
  for (; turns < due && st == Status.Ok; turns++) st = takeTurn(turnAccount(turns), t, nowSec);
  if (st == Status.Ok && load<u32>(ECONOMICS, EconomicsRecord.queued) != 0) st = serve(t, nowSec);
  releaseWithdrawTerms();
  releaseTotalValue();
  return st;
}

/**
 * Account a's turn: it settles its PnL (a loser's losses fill the pools, as keepers settle them);
 * a winner then asks for the gains the settle moved into its collateral, as far as it wants and may
 * withdraw them; it is checked again.
 */
function takeTurn(a: u32, t: u32, nowSec: i64): i32 {
  // Closed accounts, and the backstop vault's own account (its depositors' terms are the vault's), do not act.
  if (load<u8>(col(Column.AccFlags) + <usize>a) != ACCOUNT_ACTIVE || a == backstopVaultAccount()) return Status.Ok;
  let st = withdrawableOf(a);
  if (st != Status.Ok) return st;
  const e = load<i64>(WITHDRAWABLE, WithdrawableRecord.equityQuote), q = load<i64>(WITHDRAWABLE, WithdrawableRecord.requirementQuote);
  const c0 = load<i64>(i64At(Column.AccCollateral, a));
  const gain = e - c0; // |E|, |C| <= 2^62
  const headroom = e - q;
  const want = gain < headroom ? gain : headroom;
  st = settleAccountPnl(a, nowSec);
  if (st != Status.Ok) return st;
  markDirty(a);
  if (gain > 0 && want > 0) {
    winners++;
    wanted = addAmount(wanted, want);
    if (wanted == OVERFLOWED) return fail(Status.Overflow, Field.AmountQuote, <i32>a);
    st = ask(a, want, load<i64>(i64At(Column.AccCollateral, a)) - c0, t, nowSec);
    if (st != Status.Ok) return st;
  }
  return recheck(a) ? Status.Ok : fail(Status.Overflow, Field.AccountId, <i32>a);
}

/** Winner a asks for min(want, realized, what it may withdraw now); what it does not receive now it is owed. */
function ask(a: u32, want: i64, realized: i64, t: u32, nowSec: i64): i32 {
  const allowed = maxAllowed(a);
  if (allowed == OVERFLOWED) return load<i32>(ERROR_RECORD, ErrorRecord.code);
  let amount = want < allowed ? want : allowed;
  if (realized < amount) amount = realized;
  let received: i64 = 0;
  if (amount > 0) {
    const st = requestWithdrawal(a, amount, nowSec);
    if (st == Status.CapacityExceeded && load<u32>(ERROR_RECORD, ErrorRecord.field) == Field.Capacity) {
      clearError(); // a full queue turns the request away: the winner stays owed
    } else if (st != Status.Ok) {
      return st;
    } else {
      const charge = load<i64>(ECONOMICS, EconomicsRecord.answer2);
      received = load<i64>(ECONOMICS, EconomicsRecord.answer0) - charge;
      charged = addAmount(charged, charge);
      if (load<i64>(ECONOMICS, EconomicsRecord.answer1) > 0) queuedRequests++;
      addMetric(t - 1, Metric.Withdrawn, received);
    }
  }
  store<i64>(owedPtr(a), want - received);
  return Status.Ok;
}

/**
 * Serves the queue at step t: the requests that left it (paid, or cut to what their accounts may
 * withdraw) add to the waits' row of their wait in steps and lower what their accounts are owed;
 * every account paid is checked again.
 */
function serve(t: u32, nowSec: i64): i32 {
  const head = load<u32>(ECONOMICS, EconomicsRecord.queueHead), before = load<u32>(ECONOMICS, EconomicsRecord.queued);
  const st = serveWithdrawals(nowSec);
  if (st != Status.Ok) return st;
  const charge = load<i64>(ECONOMICS, EconomicsRecord.answer2);
  charged = addAmount(charged, charge); // loss charges on every request served (the path's and earlier ones)
  addMetric(t - 1, Metric.Withdrawn, load<i64>(ECONOMICS, EconomicsRecord.answer0) - charge);
  const after = load<u32>(ECONOMICS, EconomicsRecord.queued), left = before - after;
  const stepSec = load<i64>(header, SimHeaderRecord.stepSeconds), steps = load<u32>(header, SimHeaderRecord.steps);
  for (let k: u32 = 0; k <= left && k < before; k++) {
    const row = col(Column.WithdrawQueue) + <usize>((head + k) % QUEUE_ROWS) * QueuedRecord.BYTES;
    const a = load<u32>(row, QueuedRecord.account);
    if (!recheck(a)) return fail(Status.Overflow, Field.AccountId, <i32>a);
    if (k == left || load<i64>(row, QueuedRecord.id) < firstRequest) continue; // the head that stays; an earlier request
    const waited = stepSec > 0 ? (nowSec - load<i64>(row, QueuedRecord.sinceSec)) / stepSec : 0;
    if (waited < <i64>steps) addMetric(<u32>waited, Metric.QueueWaits, 1);
    store<i64>(owedPtr(a), load<i64>(owedPtr(a)) - load<i64>(row, QueuedRecord.paidQuote));
  }
  return Status.Ok;
}

/**
 * Ends the path's run: the path's requests still queued count what they received so far; the
 * winners still owed are short. Writes the path record's run figures and clears what the path owed.
 */
export function endPathWithdrawals(): void {
  const head = load<u32>(ECONOMICS, EconomicsRecord.queueHead), n = load<u32>(ECONOMICS, EconomicsRecord.queued);
  let still: u64 = 0;
  for (let k: u32 = 0; k < n; k++) {
    const row = col(Column.WithdrawQueue) + <usize>((head + k) % QUEUE_ROWS) * QueuedRecord.BYTES;
    if (load<i64>(row, QueuedRecord.id) < firstRequest) continue;
    still++;
    const a = load<u32>(row, QueuedRecord.account);
    store<i64>(owedPtr(a), load<i64>(owedPtr(a)) - load<i64>(row, QueuedRecord.paidQuote));
  }
  let short: u64 = 0, owedTotal: i64 = 0;
  for (let k: u64 = 0; k < turns; k++) {
    const p = owedPtr(turnAccount(k)), o = load<i64>(p);
    if (o > 0) { short++; owedTotal += o; } // owedTotal <= wanted
    store<i64>(p, 0);
  }
  owedStale = false;
  store<u64>(header, winners, SimHeaderRecord.winners);
  store<i64>(header, wanted, SimHeaderRecord.wantedQuote);
  store<i64>(header, wanted - owedTotal, SimHeaderRecord.receivedQuote);
  store<u64>(header, short, SimHeaderRecord.shortWinners);
  store<u64>(header, queuedRequests, SimHeaderRecord.queuedRequests);
  store<u64>(header, still, SimHeaderRecord.stillQueued);
  store<i64>(header, charged, SimHeaderRecord.chargedQuote);
}
