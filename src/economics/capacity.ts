/**
 * Venue withdrawal capacity and the queue (docs/ECONOMICS.md, "Venue withdrawal capacity and the
 * queue"): dYdX's rate limit and gating, Paradex's loss charge on withdrawals. The core
 * (assembly/engine/economics/capacity.ts) owns every number; this module validates the caller's
 * inputs, makes the calls, drains the flow journal after each and reads the answers back.
 */
import type { EngineInternals } from '../abi/internals.js';
import { secondsOf } from './time.js';
import { i64, u32 } from '../abi/records.js';
import { atomsOf, knownKeys, orDefault, toCount, toI64, toRecord } from '../atoms.js';
import { describeValue, inputError } from '../errors.js';
import type { AtomsInput } from '../types.js';
import type { FlowLog } from './flows.js';

/** The longest capacity period and gate: 366 days, in seconds. */
export const MAX_CAPACITY_SEC = 366 * 86_400;
const AMOUNT_LIMIT = 1n << 62n;

/** The capacity's configuration (`setWithdrawalCapacity`). */
export interface WithdrawalCapacityConfig {
  /** Seconds over which the capacity returns to its baseline; 0: unlimited capacity. */
  periodSec: number;
  /** The baseline's minimum (quote atoms or a decimal string in quote units); default 0. */
  minQuote?: AtomsInput;
  /** The baseline's share of total value (all accounts' collateral), ppm; default 0. */
  ppmOfTotal?: number;
  /** Seconds withdrawals stay gated after a bankrupt account is seen; default 0 (no gate). */
  gateSec?: number;
  /** Charge withdrawals the socialized-loss factor while losses are uncovered (Paradex); default false. */
  lossCharge?: boolean;
}

/** What a withdrawal request did (quote atoms). */
export interface WithdrawalRequest {
  /** The request's id (0, 1, 2, ...; every request gets one, queued or not). */
  requestId: number;
  /** Paid now, out of the account's collateral (the loss charge included). */
  paidQuote: bigint;
  /** The loss charge in paidQuote (stays in the venue, covering uncovered losses). */
  chargeQuote: bigint;
  /** What left the venue: paidQuote - chargeQuote. */
  receivedQuote: bigint;
  /** Queued (0 when paid in full). */
  queuedQuote: bigint;
}

/** One payment of a queued request by `serveWithdrawals`. */
export interface ServedWithdrawal {
  requestId: number;
  accountId: number;
  /** Paid out of the account's collateral (the loss charge included). */
  paidQuote: bigint;
  chargeQuote: bigint;
  /** Seconds since the request was made. */
  waitedSec: bigint;
  /** The request left the queue (false: its remainder stays at the head). */
  complete: boolean;
}

/** What a serve did (quote atoms). */
export interface ServeReport {
  paidQuote: bigint;
  chargeQuote: bigint;
  receivedQuote: bigint;
  /** Queued amounts cut because their accounts may no longer withdraw them. */
  droppedQuote: bigint;
  stillQueuedQuote: bigint;
  /** The payments, in queue order. */
  served: ServedWithdrawal[];
}

/** One waiting request. */
export interface QueuedWithdrawal {
  requestId: number;
  accountId: number;
  /** What is still owed. */
  amountQuote: bigint;
  sinceSec: bigint;
  /** What the account has received from this request while it queued: partial payments, net of loss charges. */
  receivedQuote: bigint;
}

/** The capacity, the gate and the queue (copies). */
export interface WithdrawalState {
  periodSec: number;
  minQuote: bigint;
  ppmOfTotal: number;
  gateSec: number;
  lossCharge: boolean;
  /** The capacity as last refreshed (null: unlimited). */
  capacityQuote: bigint | null;
  /** The second it was refreshed (null: not timed yet: the next request or serve starts it full). */
  capacitySec: bigint | null;
  /** The baseline at the book as it is now (null: unlimited). */
  baselineQuote: bigint | null;
  /** Paying is gated while the caller's second is below this. */
  gatedUntilSec: bigint;
  queuedQuote: bigint;
  /** The waiting requests, head first. */
  queue: QueuedWithdrawal[];
  nextRequestId: number;
}

/** Whole seconds in 0..2^53 (a safe integer). */
function toSeconds(value: unknown, field: string): bigint { return secondsOf(value, field, 'OutOfRange'); }

/** A configuration value that is well-typed but outside its range. */
function outOfRange(field: string, detail: string): never { throw inputError('InvalidEconomics', field, -1, detail); }

export function setWithdrawalCapacity(x: EngineInternals, config: WithdrawalCapacityConfig | null): void {
  const raw = x.raw;
  if (config === null) { raw.setWithdrawalCapacity(0n, 0n, 0, 0n, 0); return; }
  toRecord(config, 'config', 'InvalidEconomics');
  knownKeys(config, ['periodSec', 'minQuote', 'ppmOfTotal', 'gateSec', 'lossCharge'], 'config', 'InvalidEconomics');
  const periodSec = toSeconds(config.periodSec, 'capacityPeriodSec');
  if (periodSec > MAX_CAPACITY_SEC) outOfRange('capacityPeriodSec', `${periodSec} is more than 366 days`);
  const minQuote = atomsOf(orDefault<AtomsInput>(config.minQuote, 0n), x.quoteDecimals, 'capacityMinQuote');
  if (minQuote < 0n || minQuote > AMOUNT_LIMIT) outOfRange('capacityMinQuote', `${minQuote} is not in 0..2^62`);
  const ppm = config.ppmOfTotal === undefined ? 0 : toCount(config.ppmOfTotal, 'capacityPpm');
  if (ppm > 1_000_000) outOfRange('capacityPpm', `${ppm} is more than 10^6`);
  const gateSec = config.gateSec === undefined ? 0n : toSeconds(config.gateSec, 'gateSec');
  if (gateSec > MAX_CAPACITY_SEC) outOfRange('gateSec', `${gateSec} is more than 366 days`);
  const lossCharge: unknown = config.lossCharge;
  if (lossCharge !== undefined && typeof lossCharge !== 'boolean') throw inputError('InvalidEconomics', 'kind', -1, `lossCharge: ${describeValue(lossCharge)} is not true or false`);
  raw.setWithdrawalCapacity(periodSec, minQuote, ppm, gateSec, lossCharge === true ? 1 : 0);
}

export function noteNegativeEquity(x: EngineInternals, nowSec: number): void {
  const raw = x.raw;
  raw.noteNegativeEquity(toSeconds(nowSec, 'nowSec'));
}

/** The Economics record's answers of the last call. */
function answers(x: EngineInternals): [bigint, bigint, bigint] {
  const { view, at } = x.raw.record('Economics');
  return [i64(view, at.answer0), i64(view, at.answer1), i64(view, at.answer2)];
}

export function requestWithdrawal(x: EngineInternals, flows: FlowLog, accountId: number, amount: AtomsInput, nowSec: number): WithdrawalRequest {
  const raw = x.raw;
  const a = toCount(accountId, 'accountId');
  // The core checks the range (1..2^62) after the account, as for every call naming one.
  const amountQuote = toI64(amount, x.quoteDecimals, 'amountQuote');
  raw.requestWithdrawal(a, amountQuote, toSeconds(nowSec, 'nowSec'));
  flows.drain(raw);
  const [paid, queued, charge] = answers(x);
  const { view, at } = raw.record('Economics');
  return { requestId: Number(i64(view, at.nextRequestId)) - 1, paidQuote: paid, chargeQuote: charge, receivedQuote: paid - charge, queuedQuote: queued };
}

export function serveWithdrawals(x: EngineInternals, flows: FlowLog, nowSec: number): ServeReport {
  const raw = x.raw;
  const now = toSeconds(nowSec, 'nowSec');
  const econ = raw.record('Economics');
  const queuedBefore = i64(econ.view, econ.at.queuedQuote);
  const flowRows = raw.abi.limits.flowRows;
  const report: ServeReport = { paidQuote: 0n, chargeQuote: 0n, receivedQuote: 0n, droppedQuote: 0n, stillQueuedQuote: 0n, served: [] };
  // A serve stops when its flow rows are full (two per payment): go on at the same second.
  for (;;) {
    const q = raw.record('Economics');
    const head = u32(q.view, q.at.queueHead), waiting = u32(q.view, q.at.queued);
    raw.serveWithdrawals(now);
    const from = flows.length;
    const rows = u32(econ.view, econ.at.flows);
    flows.drain(raw);
    const [paid, still, charge] = answers(x);
    report.paidQuote += paid; report.chargeQuote += charge; report.stillQueuedQuote = still;
    collectServed(x, flows, from, now, head, waiting, report.served);
    if (rows + 2 <= flowRows || u32(econ.view, econ.at.queued) === 0) break;
  }
  report.receivedQuote = report.paidQuote - report.chargeQuote;
  report.droppedQuote = queuedBefore - report.paidQuote - report.stillQueuedQuote;
  return report;
}

/**
 * The payments of the flows from `from` on, by request, in order. A flow names its request by id (low
 * 32 bits); the request's row is one of the `waiting` rows from queue row `head` the serve started with.
 */
function collectServed(x: EngineInternals, flows: FlowLog, from: number, now: bigint, head: number, waiting: number, out: ServedWithdrawal[]): void {
  const raw = x.raw;
  const rows = raw.abi.limits.queueRows;
  const q = raw.record('Queued', rows);
  const rowOf = new Map<number, number>();
  for (let k = 0; k < waiting; k++) {
    const row = (head + k) % rows;
    rowOf.set(Number(i64(q.view, row * q.at.BYTES + q.at.id) & 0xffffffffn), row);
  }
  const byRow = new Map<number, ServedWithdrawal>();
  for (const f of flows.records(from)) {
    if ((f.kind !== 'withdrawal' && f.kind !== 'lossCharge') || f.id === null) continue;
    const row = rowOf.get(f.id);
    if (row === undefined) continue; // not a queued request of this serve
    let s = byRow.get(row);
    if (!s) {
      const base = row * q.at.BYTES;
      s = {
        requestId: Number(i64(q.view, base + q.at.id)), accountId: u32(q.view, base + q.at.account), paidQuote: 0n, chargeQuote: 0n,
        waitedSec: now - i64(q.view, base + q.at.sinceSec), complete: i64(q.view, base + q.at.amountQuote) === 0n,
      };
      byRow.set(row, s);
      out.push(s);
    }
    s.paidQuote += f.amountQuote;
    if (f.kind === 'lossCharge') s.chargeQuote += f.amountQuote;
  }
}

export function withdrawalState(x: EngineInternals): WithdrawalState {
  const raw = x.raw;
  const { view, at } = raw.record('Economics');
  const periodSec = Number(i64(view, at.capacityPeriodSec));
  const capacitySec = i64(view, at.capacitySec);
  const head = u32(view, at.queueHead), n = u32(view, at.queued), rows = raw.abi.limits.queueRows;
  const q = raw.record('Queued', rows);
  const queue: QueuedWithdrawal[] = [];
  for (let k = 0; k < n; k++) {
    const base = ((head + k) % rows) * q.at.BYTES;
    queue.push({
      requestId: Number(i64(q.view, base + q.at.id)), accountId: u32(q.view, base + q.at.account),
      amountQuote: i64(q.view, base + q.at.amountQuote), sinceSec: i64(q.view, base + q.at.sinceSec),
      receivedQuote: i64(q.view, base + q.at.paidQuote),
    });
  }
  const unlimited = periodSec === 0;
  return {
    periodSec, minQuote: i64(view, at.capacityMinQuote), ppmOfTotal: u32(view, at.capacityPpm),
    gateSec: Number(i64(view, at.gateSec)), lossCharge: u32(view, at.lossCharge) === 1,
    capacityQuote: unlimited ? null : i64(view, at.capacityQuote),
    capacitySec: capacitySec < 0n ? null : capacitySec,
    baselineQuote: unlimited ? null : raw.capacityBaseline(),
    gatedUntilSec: i64(view, at.gatedUntilSec), queuedQuote: i64(view, at.queuedQuote), queue,
    nextRequestId: Number(i64(view, at.nextRequestId)),
  };
}
