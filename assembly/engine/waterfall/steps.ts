/**
 * What every waterfall step shares (docs/WATERFALL.md): the deficit records it serves, the run record
 * it adds to (RunRecord), the audit buffer it writes, and covering a record. The steps (prefunded.ts,
 * adl.ts, socialize.ts) import these; the dispatcher (run.ts) sits above them all.
 *
 * Solvency: a group pays no more than keeps its equity (as a check computes it, at the moment it
 * pays) at or above zero (`solventRoom`); only assessments, which members owe, may take one below,
 * and the run reports how far (`notePayment`).
 */
import { addWide } from '../../math/wide';
import { AMOUNT_LIMIT, OVERFLOWED } from '../../math/fixed';
import { AUDIT_ROWS, col, Column, i64At, u16At, u8At, NO_MARKET } from '../../abi/layout';
import { Role } from '../../abi/status';
import { BalancesRecord, LiqRecord, RunRecord } from '../../abi/records';
import { LIQ_RECORD, NONE } from '../state';
import { WEIGHT_LIMIT } from './prorata';
import { BALANCES } from '../funds';

/** The last run (RunRecord): counts, then 128-bit totals, low words here and high words RunRecord.HI further. */
export const RUN_RECORD: usize = memory.data(RunRecord.BYTES, 8);

/** Adds v to the run total at offset `off` of RUN_RECORD (low word there, high word RunRecord.HI further). */
export function addRunTotal(off: usize, v: i64): void {
  const p = RUN_RECORD + off, lo = load<u64>(p), sum = lo + <u64>v;
  store<u64>(p, sum);
  store<i64>(p + RunRecord.HI, load<i64>(p + RunRecord.HI) + (v >> 63) + <i64>(sum < lo));
}

@external("env", "auditDrain")
declare function auditDrain(rows: u32): void;

// ---- Deficit records ------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline export function defMarket(k: u32): u32 {
  const m = <u32>load<u16>(u16At(Column.DefMarket, k));
  return m == NO_MARKET ? NONE : m;
}
// @ts-ignore: decorator
@inline export function openOf(k: u32): i64 { return load<i64>(i64At(Column.DefAmount, k)); }
// @ts-ignore: decorator
@inline export function waterfallOf(k: u32): u32 {
  const m = defMarket(k);
  return m == NONE ? 0 : <u32>load<u8>(u8At(Column.MarketWaterfall, m));
}
export function deficitCount(): u32 { return load<u32>(LIQ_RECORD, LiqRecord.deficits); }

/** Records of waterfall w with an open amount, in record order, are those k with this test. */
// @ts-ignore: decorator
@inline export function serves(k: u32, w: u32): bool { return openOf(k) > 0 && waterfallOf(k) == w; }

// ---- Audit buffer -------------------------------------------------------------------------------

let auditRows: u32 = 0;
/** Full audit buffers go to JavaScript; a simulation turns this off and the buffer wraps instead. */
let auditToHost = true;
export function setAuditToHost(on: bool): void { auditToHost = on; }
// The audit columns' addresses, cached for the hot loops (set at the start of every run).
let aDeficit: usize = 0, aStep: usize = 0, aRole: usize = 0, aAccount: usize = 0, aMarket: usize = 0;
let aAmount: usize = 0, aPrice: usize = 0, aSize: usize = 0;

function cacheAuditColumns(): void {
  aDeficit = col(Column.AuditDeficit); aStep = col(Column.AuditStep); aRole = col(Column.AuditRole);
  aAccount = col(Column.AuditAccount); aMarket = col(Column.AuditMarket); aAmount = col(Column.AuditAmount);
  aPrice = col(Column.AuditPrice); aSize = col(Column.AuditSize);
}

/** Appends one audit record; a full buffer is handed to JavaScript first. */
// @ts-ignore: decorator
@inline export function emit(deficit: u32, step: u32, role: Role, account: u32, market: u32, amount: i64, price: i64, size: i64): void {
  if (auditRows == AUDIT_ROWS) { if (auditToHost) auditDrain(auditRows); auditRows = 0; }
  const i = <usize>auditRows;
  auditRows++;
  store<u32>(aDeficit + (i << 2), deficit);
  store<u16>(aStep + (i << 1), <u16>step);
  store<u8>(aRole + i, <u8>role);
  store<u32>(aAccount + (i << 2), account);
  store<u16>(aMarket + (i << 1), market == NONE ? NO_MARKET : <u16>market);
  store<i64>(aAmount + (i << 3), amount);
  store<i64>(aPrice + (i << 3), price);
  store<i64>(aSize + (i << 3), size);
}

/**
 * A run of pay records (a pooled step's payers): only account, market and amount differ, so rows
 * write those three and `endPays` fills the other columns of the run in bulk.
 */
let payFrom: u32 = 0, payStep: u32 = 0;
export function beginPays(step: u32): void { payFrom = auditRows; payStep = step; }
// @ts-ignore: decorator
@inline export function pay(account: u32, market: u32, amount: i64): void {
  if (auditRows == AUDIT_ROWS) { endPays(); if (auditToHost) auditDrain(auditRows); auditRows = 0; payFrom = 0; }
  const i = <usize>auditRows;
  auditRows++;
  store<u32>(aAccount + (i << 2), account);
  store<u16>(aMarket + (i << 1), market == NONE ? NO_MARKET : <u16>market);
  store<i64>(aAmount + (i << 3), amount);
}
export function endPays(): void {
  const a = <usize>payFrom, n = <usize>(auditRows - payFrom);
  memory.fill(aDeficit + (a << 2), 0xFF, n << 2); // NONE
  memory.fill(aRole + a, <u8>Role.Pay, n);
  memory.fill(aPrice + (a << 3), 0, n << 3);
  memory.fill(aSize + (a << 3), 0, n << 3);
  for (let i = a; i < a + n; i++) store<u16>(aStep + (i << 1), <u16>payStep);
  payFrom = auditRows;
}

/** Covers `x` of record k at step j (x > 0): the open amount falls, the step's total and the ledger's covered rise. */
export function cover(k: u32, j: u32, account: u32, x: i64, price: i64, size: i64): void {
  const p = i64At(Column.DefAmount, k);
  store<i64>(p, load<i64>(p) - x);
  addRunTotal(<usize>RunRecord.stepCovered + (<usize>j << 3), x);
  addWide(BALANCES + BalancesRecord.covered, x);
  emit(k, j, Role.Cover, account, defMarket(k), x, price, size);
}

/** Rounding that made payers pay more than the records needed. */
export function addResidue(j: u32, account: u32, market: u32, amount: i64, k: u32): void {
  if (amount <= 0) return;
  addWide(BALANCES + BalancesRecord.residue, amount);
  addRunTotal(RunRecord.residueQuote, amount);
  addRunTotal(<usize>RunRecord.stepResidue + (<usize>j << 3), amount);
  emit(k, j, Role.Residue, account, market, amount, 0, 0);
}

/**
 * A payer of step j whose equity was `equity` paid `amount`: the part beyond max(0, equity) is
 * counted (a step whose rule lets it take a group below zero reports how far, per step and run).
 */
export function notePayment(j: u32, equity: i64, amount: i64): void {
  const room = equity > 0 ? equity : 0;
  if (amount <= room) return;
  const beyond = amount - room;
  addRunTotal(RunRecord.paidBeyondEquityQuote, beyond);
  addRunTotal(<usize>RunRecord.stepBeyond + (<usize>j << 3), beyond);
  addRunTotal(<usize>RunRecord.stepBeyondAccounts + (<usize>j << 3), 1);
}

/** What a group with this equity can pay without going below zero: max(0, E); 0 if E overflowed. */
// @ts-ignore: decorator
@inline export function solventRoom(equity: i64): i64 { return equity == OVERFLOWED || equity < 0 ? 0 : equity; }

/** a + b for 0 <= a, b, saturated at WEIGHT_LIMIT + 1 ("too heavy"); compared first, so nothing wraps. */
// @ts-ignore: decorator
@inline export function heavyAdd(a: i64, b: i64): i64 { return a > WEIGHT_LIMIT - b || b > WEIGHT_LIMIT ? WEIGHT_LIMIT + 1 : a + b; }

/** Starts the audit of a run: an empty buffer, the audit columns' addresses cached. */
export function beginAudit(): void {
  auditRows = 0;
  cacheAuditColumns();
}

/** Hands the rest of the audit buffer to JavaScript (after a run). */
export function auditPending(): u32 { return auditRows; }

/**
 * Assigns each open record of waterfall w (optionally only market m) its part of a pooled step's
 * capacity, in record order; returns the total. Pooled steps then split the total among payers.
 */
export function assignPooled(j: u32, w: u32, n: u32, capacity: i64, market: u32): i64 {
  let left = capacity > AMOUNT_LIMIT ? AMOUNT_LIMIT : capacity;
  let total: i64 = 0;
  for (let k: u32 = 0; k < n && left > 0; k++) {
    if (!serves(k, w)) continue;
    if (market != NONE && defMarket(k) != market) continue;
    let x = openOf(k);
    if (left < x) x = left;
    left -= x;
    total += x;
    cover(k, j, NONE, x, 0, 0);
  }
  return total;
}

