/**
 * The loss waterfall (docs/WATERFALL.md): configuration, one run over the pending deficit records,
 * the audit buffer, and the steps that pay out of balances (insurance funds, backstop providers,
 * clearing-house layers). ADL lives in adl.ts, the pro-rata haircuts and the socialization over open
 * interest in socialize.ts; both use the helpers exported here.
 *
 * A run is tranche-major: each step serves every open record of its waterfall in record order before
 * the next step starts. A step that splits among many payers first assigns each record its part (up
 * to the step's capacity), then splits the step's total once, so a haircut over a million accounts
 * costs one pass however many deficits it serves.
 *
 * Solvency: a group pays no more than keeps its equity (as a check computes it, at the moment it
 * pays) at or above zero (`solventRoom`); only assessments, which members owe, may take one below,
 * and the run reports how far (`notePayment`).
 *
 * Conservation: collateral + funds + operator capital + default fund + residue + liquidator fees +
 * flows - deficits recorded + covered is unchanged by a run; the debug build
 * checks it around every run.
 */
import { addWide } from '../../math/wide';
import { AMOUNT_LIMIT, mulDivRounded, OVERFLOWED } from '../../math/fixed';
import { AUDIT_ROWS, col, Column, WINDOW_BUCKETS } from '../../abi/layout';
import { Field, Role, Status, Tranche, TRANCHE_KINDS } from '../../abi/status';
import { MAX_BACKSTOP, MAX_STEPS } from '../../abi/records';
export { MAX_BACKSTOP, MAX_STEPS };
export { Role, Tranche };
import { accountCount, bookChanged, fail, LIQ_RECORD, marketCount, nextEpoch, NONE, resultsCurrent, SCRATCH } from '../state';
import { checkAccount } from '../book/book';
import { checkRange, equityOf } from '../margin/check';
import { fundOf, LEDGER_RECORD, ledgerSum } from '../liquidation/execute';
import { split, WEIGHT_LIMIT } from './prorata';
import { BALANCES, memberPtr, memberIndex } from './parties';
import { runAdl } from './adl';
import { runAssessments, runGains, runDeposits, runMembersFund, runSocializeFunding, runVaultShares } from './socialize';

/** Step record (64 B): +0 kind u8, +1 waterfall u8, +2 mode u8, +3 ranking u8, +4 u32 fund/layer/topK,
 * +8 i64 a (maxPerDeficit | minGain | seed), +16 i64 floor, +24 i64 marketCap, +32 i64 marketCapWindowSec,
 * +40 u32 ppm (drawdown | maxHaircut | multiple), +44 u16 first provider, +46 u16 providers,
 * +48 i64 drawdownWindowSec. */
export const STEP_RECORD: u32 = 64;
/** Backstop provider record (32 B): account u32, weightPpm u32, capacity i64, left i64. */
export const BACKSTOP_RECORD: u32 = 32;
export const FUND_MARKET: u32 = 0xFFFFFFFF;
export const RANK_CUSTOM: u32 = 4, RANK_RANDOM_WALK: u32 = 5, RANK_LARGEST: u32 = 6;

/** JavaScript writes a configuration here, then calls `setWaterfall`; it becomes active only if valid. */
export const STAGE_STEPS: usize = memory.data(<i32>(MAX_STEPS * STEP_RECORD), 8);
export const STAGE_BACKSTOP: usize = memory.data(<i32>(MAX_BACKSTOP * BACKSTOP_RECORD), 8);
const STEPS: usize = memory.data(<i32>(MAX_STEPS * STEP_RECORD), 8);
const BACKSTOP: usize = memory.data(<i32>(MAX_BACKSTOP * BACKSTOP_RECORD), 8);
/** Config: +0 steps, +4 waterfalls, +8 configured (u32); +16 event u32; +24 last nowSec i64. */
export const WF_STATE: usize = memory.data(32, 8);
/** The last run: +0 deficits u32, +4 audit rows left in the buffer u32, +8 deficit total, +16 residue,
 * +24 uncovered, +32 ADL volume (base atoms), +40 ADL notional, +48 ADL accounts (i64), +56 paid
 * beyond equity (all steps); then per step j (i64 x MAX_STEPS each): covered at RUN_COVERED + 8j,
 * residue at RUN_RESIDUE + 8j, paid beyond equity at RUN_BEYOND + 8j, and the accounts that paid
 * beyond their equity at RUN_BEYOND_ACCOUNTS + 8j. The amounts are 128-bit sums (a run may serve
 * many records of up to 2^63 each): the words above are their low words (u64), each high word (i64)
 * is RUN_HI bytes further. */
export const RUN_COVERED: usize = 64;
export const RUN_RESIDUE: usize = RUN_COVERED + <usize>MAX_STEPS * 8;
export const RUN_BEYOND: usize = RUN_RESIDUE + <usize>MAX_STEPS * 8;
export const RUN_BEYOND_ACCOUNTS: usize = RUN_BEYOND + <usize>MAX_STEPS * 8;
export const RUN_HI: usize = RUN_BEYOND_ACCOUNTS + <usize>MAX_STEPS * 8;
export const RUN_RECORD: usize = memory.data(<i32>(<u32>RUN_HI * 2), 8);

/** Adds v to the run total at offset `off` of RUN_RECORD (low word there, high word RUN_HI further). */
export function addRunTotal(off: usize, v: i64): void {
  const p = RUN_RECORD + off, lo = load<u64>(p), sum = lo + <u64>v;
  store<u64>(p, sum);
  store<i64>(p + RUN_HI, load<i64>(p + RUN_HI) + (v >> 63) + <i64>(sum < lo));
}

@external("env", "auditDrain")
declare function auditDrain(rows: u32): void;

// @ts-ignore: decorator
@inline export function stepPtr(j: u32): usize { return STEPS + <usize>j * STEP_RECORD; }
// @ts-ignore: decorator
@inline export function i64At(c: Column, i: u32): usize { return col(c) + (<usize>i << 3); }
// @ts-ignore: decorator
@inline export function u32At(c: Column, i: u32): usize { return col(c) + (<usize>i << 2); }
// @ts-ignore: decorator
@inline export function defMarket(k: u32): u32 {
  const m = <u32>load<u16>(col(Column.DefMarket) + (<usize>k << 1));
  return m == 0xFFFF ? NONE : m;
}
// @ts-ignore: decorator
@inline export function openOf(k: u32): i64 { return load<i64>(i64At(Column.DefAmount, k)); }
// @ts-ignore: decorator
@inline export function waterfallOf(k: u32): u32 {
  const m = defMarket(k);
  return m == NONE ? 0 : <u32>load<u8>(col(Column.MarketWaterfall) + <usize>m);
}
export function deficitCount(): u32 { return load<u32>(LIQ_RECORD); }
export function eventId(): u32 { return load<u32>(WF_STATE, 16); }
export function nowSec(): i64 { return load<i64>(WF_STATE, 24); }

// ---- Audit buffer -------------------------------------------------------------------------------

let auditRows: u32 = 0;
/** Full audit buffers go to JavaScript; a simulation turns this off and the buffer wraps instead. */
let auditToHost = true;
export function setAuditToHost(on: bool): void { auditToHost = on; }
/**
 * A simulation checks the book only when a ranked ADL step is about to serve open records (the
 * figures are then those of the book as earlier steps left it), instead of requiring a check before
 * every run: most runs end at the insurance fund.
 */
let figuresOnDemand = false;
export function setFiguresOnDemand(on: bool): void { figuresOnDemand = on; }
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
  store<u16>(aMarket + (i << 1), market == NONE ? 0xFFFF : <u16>market);
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
  store<u16>(aMarket + (i << 1), market == NONE ? 0xFFFF : <u16>market);
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
  addRunTotal(RUN_COVERED + (<usize>j << 3), x);
  addWide(BALANCES + 48, x);
  emit(k, j, Role.Cover, account, defMarket(k), x, price, size);
}

/** Rounding that made payers pay more than the records needed. */
export function addResidue(j: u32, account: u32, market: u32, amount: i64, k: u32): void {
  if (amount <= 0) return;
  addWide(BALANCES, amount);
  addRunTotal(16, amount);
  addRunTotal(RUN_RESIDUE + (<usize>j << 3), amount);
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
  addRunTotal(56, beyond);
  addRunTotal(RUN_BEYOND + (<usize>j << 3), beyond);
  addRunTotal(RUN_BEYOND_ACCOUNTS + (<usize>j << 3), 1);
}

/** What a group with this equity can pay without going below zero: max(0, E); 0 if E overflowed. */
// @ts-ignore: decorator
@inline export function solventRoom(equity: i64): i64 { return equity == OVERFLOWED || equity < 0 ? 0 : equity; }

// ---- Configuration --------------------------------------------------------------------------------

/**
 * Validates the staged configuration (nSteps step records, nBackstop provider records, the market ->
 * waterfall map in IoU32[0..marketCount)) and makes it active. Errors (InvalidWaterfall unless noted,
 * row = step index): unknown kind, a step repeated in one waterfall, amounts out of 0..2^62, ppm above
 * 10^6, unknown fund, provider or market (UnknownAccount, UnknownMarket), a waterfall without steps.
 */
export function setWaterfall(nSteps: u32, nWaterfalls: u32, nBackstop: u32): i32 {
  const status = checkWaterfall(nSteps, nWaterfalls, nBackstop);
  if (status != Status.Ok) return status;
  const io = col(Column.IoU32);
  memory.copy(STEPS, STAGE_STEPS, <usize>nSteps * STEP_RECORD);
  memory.copy(BACKSTOP, STAGE_BACKSTOP, <usize>nBackstop * BACKSTOP_RECORD);
  for (let i: u32 = 0; i < nBackstop; i++) store<i64>(BACKSTOP + <usize>i * BACKSTOP_RECORD, load<i64>(BACKSTOP + <usize>i * BACKSTOP_RECORD, 8), 16);
  for (let m: u32 = 0; m < marketCount; m++) store<u8>(col(Column.MarketWaterfall) + <usize>m, <u8>load<u32>(io + (<usize>m << 2)));
  store<u32>(WF_STATE, nSteps);
  store<u32>(WF_STATE, nWaterfalls, 4);
  store<u32>(WF_STATE, 1, 8);
  return Status.Ok;
}

/**
 * Validates the staged configuration by setWaterfall's rules without activating it (the active
 * waterfall stays), so that a caller can refuse a bad configuration before anything else moves.
 * Errors: as setWaterfall.
 */
export function checkWaterfall(nSteps: u32, nWaterfalls: u32, nBackstop: u32): i32 {
  if (nSteps == 0 || nSteps > MAX_STEPS || nWaterfalls == 0 || nWaterfalls > 255) return fail(Status.InvalidWaterfall, Field.Waterfall, -1);
  if (nBackstop > MAX_BACKSTOP) return fail(Status.InvalidWaterfall, Field.BackstopAccountId, -1);
  const io = col(Column.IoU32);
  for (let m: u32 = 0; m < marketCount; m++) {
    if (load<u32>(io + (<usize>m << 2)) >= nWaterfalls) return fail(Status.InvalidWaterfall, Field.MarketId, <i32>m);
  }
  let lastW: u32 = 0;
  for (let j: u32 = 0; j < nSteps; j++) {
    const p = STAGE_STEPS + <usize>j * STEP_RECORD;
    const kind = <u32>load<u8>(p), w = <u32>load<u8>(p, 1);
    if (kind >= TRANCHE_KINDS) return fail(Status.InvalidWaterfall, Field.Tranche, <i32>j);
    if (w >= nWaterfalls || w < lastW || w > lastW + 1) return fail(Status.InvalidWaterfall, Field.Waterfall, <i32>j);
    if (j == 0 && w != 0) return fail(Status.InvalidWaterfall, Field.Waterfall, <i32>j);
    lastW = w;
    for (let i: u32 = 0; i < j; i++) {
      const q = STAGE_STEPS + <usize>i * STEP_RECORD;
      if (<u32>load<u8>(q, 1) == w && <u32>load<u8>(q) == kind) {
        const same = (kind != Tranche.InsuranceFund && kind != Tranche.OperatorCapital) || load<u32>(q, 4) == load<u32>(p, 4);
        if (same) return fail(Status.InvalidWaterfall, Field.Tranche, <i32>j);
      }
    }
    for (let off: u32 = 8; off < 40; off += 8) {
      const v = load<i64>(p + off);
      if ((v < 0 || v > AMOUNT_LIMIT) && !(kind == Tranche.Adl && off == 8)) return fail(Status.InvalidWaterfall, Field.AmountQuote, <i32>j);
    }
    const dw = load<i64>(p, 48);
    if (dw < 0 || dw > AMOUNT_LIMIT) return fail(Status.InvalidWaterfall, Field.NowSec, <i32>j);
    const ppm = load<u32>(p, 40);
    if (kind != Tranche.Assessments && ppm > 1_000_000) return fail(Status.InvalidWaterfall, Field.Ppm, <i32>j);
    if (kind == Tranche.Assessments && (ppm == 0 || ppm > 100_000_000)) return fail(Status.InvalidWaterfall, Field.Ppm, <i32>j);
    if (kind == Tranche.InsuranceFund) {
      const f = load<u32>(p, 4);
      if (f != FUND_MARKET && f > marketCount) return fail(Status.InvalidWaterfall, Field.FundId, <i32>j);
      if (ppm > 0 && dw == 0) return fail(Status.InvalidWaterfall, Field.NowSec, <i32>j);
    }
    if (kind == Tranche.OperatorCapital) {
      const l = load<u32>(p, 4);
      if (l < 1 || l > 2) return fail(Status.InvalidWaterfall, Field.FundId, <i32>j);
    }
    if (kind == Tranche.Adl) {
      const r = <u32>load<u8>(p, 3);
      if (r > RANK_LARGEST || load<u8>(p, 2) > 1) return fail(Status.InvalidWaterfall, Field.Ranking, <i32>j);
      if (r == RANK_LARGEST && (load<u32>(p, 4) == 0 || load<u32>(p, 4) > 64)) return fail(Status.InvalidWaterfall, Field.TopK, <i32>j);
    }
    if (kind == Tranche.BackstopVault) {
      const first = <u32>load<u16>(p, 44), n = <u32>load<u16>(p, 46);
      if (first + n > nBackstop) return fail(Status.InvalidWaterfall, Field.BackstopAccountId, <i32>j);
      let weighted: u32 = 0, weightSum: u64 = 0;
      for (let i = first; i < first + n; i++) {
        const b = STAGE_BACKSTOP + <usize>i * BACKSTOP_RECORD;
        const a = load<u32>(b);
        if (a >= accountCount) return fail(Status.UnknownAccount, Field.BackstopAccountId, <i32>j);
        const cap = load<i64>(b, 8);
        if (cap < 0 || cap > AMOUNT_LIMIT) return fail(Status.InvalidWaterfall, Field.CapacityQuote, <i32>j);
        for (let i2 = first; i2 < i; i2++) {
          if (load<u32>(STAGE_BACKSTOP + <usize>i2 * BACKSTOP_RECORD) == a) return fail(Status.InvalidWaterfall, Field.BackstopAccountId, <i32>j);
        }
        const wp = load<u32>(b, 4);
        if (wp > 0) weighted++;
        weightSum += wp;
      }
      if (weighted != 0 && (weighted != n || weightSum != 1_000_000)) return fail(Status.InvalidWaterfall, Field.WeightPpm, <i32>j);
    }
  }
  if (lastW != nWaterfalls - 1) return fail(Status.InvalidWaterfall, Field.Waterfall, <i32>nWaterfalls - 1);
  return Status.Ok;
}

// ---- Time windows -------------------------------------------------------------------------------

/** A window record: +0 bucket length (s), +8 all-time total, then WINDOW_BUCKETS (bucket i64, value i64). */
function windowReset(p: usize, windowSec: i64): void {
  const len = (windowSec + 15) / 16;
  if (load<i64>(p) != len) {
    store<i64>(p, len);
    for (let s: u32 = 0; s < WINDOW_BUCKETS; s++) { store<i64>(p + 16 + (s << 4), -1); store<i64>(p + 24 + (s << 4), 0); }
  }
}
function bucketSlot(p: usize, now: i64, make: bool): usize {
  const b = now / load<i64>(p);
  const q = p + 16 + <usize>(b % WINDOW_BUCKETS) * 16;
  if (make && load<i64>(q) != b) { store<i64>(q, b); store<i64>(q, 0, 8); }
  return q;
}
/**
 * Largest (max) or total (sum) value over buckets b-16 ..= b. Values are 0 ..= 2^62; a sum
 * saturates at 2^62 (what it is compared with, a market cap, is at most 2^62).
 */
function windowValue(p: usize, now: i64, max: bool): i64 {
  const b = now / load<i64>(p);
  let v: i64 = 0;
  for (let s: u32 = 0; s < WINDOW_BUCKETS; s++) {
    const q = p + 16 + (s << 4);
    const qb = load<i64>(q);
    if (qb < 0 || qb < b - 16 || qb > b) continue;
    const x = load<i64>(q, 8);
    v = max ? (x > v ? x : v) : saturatingAdd(v, x);
  }
  return v;
}

/** a + b for 0 <= a, b <= 2^62, saturated at 2^62 (compared first: 2^62 + 2^62 would wrap). */
// @ts-ignore: decorator
@inline function saturatingAdd(a: i64, b: i64): i64 { return a > AMOUNT_LIMIT - b ? AMOUNT_LIMIT : a + b; }

/** a + b for 0 <= a, b, saturated at WEIGHT_LIMIT + 1 ("too heavy"); compared first, so nothing wraps. */
// @ts-ignore: decorator
@inline export function heavyAdd(a: i64, b: i64): i64 { return a > WEIGHT_LIMIT - b || b > WEIGHT_LIMIT ? WEIGHT_LIMIT + 1 : a + b; }

// ---- Run ------------------------------------------------------------------------------------------

/** Records of waterfall w with an open amount, in record order, are those k with this test. */
// @ts-ignore: decorator
@inline export function serves(k: u32, w: u32): bool { return openOf(k) > 0 && waterfallOf(k) == w; }

/**
 * Runs every pending deficit record through its waterfall at time `now` (seconds, not earlier than
 * the last run's). Errors (nothing changed): InvalidWaterfall (none configured), OutOfRange (NowSec),
 * ResultsStale (a ranked ADL step needs the figures of a check of the current book).
 */
export function allocate(now: i64): i32 {
  if (load<u32>(WF_STATE, 8) == 0) return fail(Status.InvalidWaterfall, Field.Waterfall, -1);
  if (now < load<i64>(WF_STATE, 24) || now > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.NowSec, -1);
  const nSteps = load<u32>(WF_STATE);
  const n = deficitCount();
  for (let j: u32 = 0; j < nSteps; j++) {
    const p = stepPtr(j);
    if (load<u8>(p) == <u8>Tranche.Adl && <u32>load<u8>(p, 3) < RANK_RANDOM_WALK && !resultsCurrent && n > 0 && !figuresOnDemand) return fail(Status.ResultsStale, Field.None, -1);
  }
  if (!ASC_NO_ASSERT) ledgerSum();
  const before = !ASC_NO_ASSERT ? load<i64>(LEDGER_RECORD, 80) : 0;
  const beforeHi = !ASC_NO_ASSERT ? load<i64>(LEDGER_RECORD, 88) : 0;
  store<u32>(WF_STATE, load<u32>(WF_STATE, 16) + 1, 16);
  store<i64>(WF_STATE, now, 24);
  memory.fill(RUN_RECORD, 0, 2 * RUN_HI);
  store<u32>(RUN_RECORD, n);
  auditRows = 0;
  cacheAuditColumns();
  // Defaulters of this run: stamped (AccStamp = epoch) for the clearing-house steps.
  const epoch = nextEpoch();
  for (let k: u32 = 0; k < n; k++) {
    addRunTotal(8, load<i64>(i64At(Column.DefAmount, k)));
    store<u32>(u32At(Column.AccStamp, load<u32>(u32At(Column.DefAccount, k))), epoch);
  }
  observePeaks(nSteps, now);
  const nW = load<u32>(WF_STATE, 4);
  for (let w: u32 = 0; w < nW; w++) {
    for (let j: u32 = 0; j < nSteps; j++) {
      if (<u32>load<u8>(stepPtr(j), 1) != w) continue;
      runStep(j, w, n, epoch);
    }
  }
  for (let k: u32 = 0; k < n; k++) {
    const r = openOf(k);
    if (r <= 0) continue;
    addWide(BALANCES + 16, r);
    addRunTotal(24, r);
    emit(k, 0xFFFF, Role.Uncovered, NONE, defMarket(k), r, 0, 0);
  }
  store<u32>(LIQ_RECORD, 0);
  store<u32>(RUN_RECORD, auditRows, 4);
  bookChanged();
  if (!ASC_NO_ASSERT) {
    ledgerSum();
    assert(load<i64>(LEDGER_RECORD, 80) == before && load<i64>(LEDGER_RECORD, 88) == beforeHi, 'conservation: the ledger moved in a waterfall run');
  }
  return Status.Ok;
}

/** Hands the rest of the audit buffer to JavaScript (after a run). */
export function auditPending(): u32 { return auditRows; }

function anyOpen(w: u32, n: u32): bool {
  for (let k: u32 = 0; k < n; k++) if (serves(k, w)) return true;
  return false;
}

function runStep(j: u32, w: u32, n: u32, epoch: u32): void {
  const kind = <u32>load<u8>(stepPtr(j));
  switch (kind) {
    case Tranche.InsuranceFund: runInsuranceFund(j, w, n); break;
    case Tranche.BackstopVault: runBackstop(j, w, n); break;
    case Tranche.Adl:
      if (figuresOnDemand && !resultsCurrent && <u32>load<u8>(stepPtr(j), 3) < RANK_RANDOM_WALK && anyOpen(w, n)) {
        assert(checkRange(0, accountCount) == Status.Ok, 'a simulated book checks');
      }
      runAdl(j, w, n);
      break;
    case Tranche.SocializeFunding: runSocializeFunding(j, w, n); break;
    case Tranche.HaircutGains: runGains(j, w, n); break;
    case Tranche.HaircutDeposits: runDeposits(j, w, n); break;
    case Tranche.HaircutVaultShares: runVaultShares(j, w, n); break;
    case Tranche.DefaulterFund: runDefaulterFund(j, w, n); break;
    case Tranche.OperatorCapital: runOperatorCapital(j, w, n); break;
    case Tranche.MembersFund: runMembersFund(j, w, n, epoch); break;
    case Tranche.Assessments: runAssessments(j, w, n, epoch); break;
  }
}

// ---- Insurance funds ------------------------------------------------------------------------------

function fundFor(j: u32, k: u32): u32 {
  const f = load<u32>(stepPtr(j), 4);
  if (f != FUND_MARKET) return f;
  const m = defMarket(k);
  return m == NONE ? 0 : fundOf(m);
}

/**
 * At the start of a run, each fund a step with a drawdown rule can draw from records its balance in
 * the current bucket: the step's fund, or (`market`) the funds of the markets its waterfall serves,
 * and the global fund for the default waterfall's settle records.
 */
function observePeaks(nSteps: u32, now: i64): void {
  for (let j: u32 = 0; j < nSteps; j++) {
    const p = stepPtr(j);
    if (load<u8>(p) != <u8>Tranche.InsuranceFund || load<u32>(p, 40) == 0) continue;
    const f = load<u32>(p, 4), w = <u32>load<u8>(p, 1), windowSec = load<i64>(p, 48);
    if (f != FUND_MARKET) { observe(f, windowSec, now); continue; }
    if (w == 0) observe(0, windowSec, now);
    for (let m: u32 = 0; m < marketCount; m++) {
      if (<u32>load<u8>(col(Column.MarketWaterfall) + <usize>m) == w) observe(fundOf(m), windowSec, now);
    }
  }
}

function observe(fund: u32, windowSec: i64, now: i64): void {
  const wp = col(Column.FundWindow) + <usize>fund * 288;
  windowReset(wp, windowSec);
  const q = bucketSlot(wp, now, true);
  const bal = load<i64>(i64At(Column.FundBalance, fund));
  if (bal > load<i64>(q, 8)) store<i64>(q, bal, 8);
}

function runInsuranceFund(j: u32, w: u32, n: u32): void {
  const p = stepPtr(j);
  const maxPer = load<i64>(p, 8), floor = load<i64>(p, 16), mcap = load<i64>(p, 24), mwin = load<i64>(p, 32);
  const dd = <i64>load<u32>(p, 40);
  const now = nowSec();
  for (let k: u32 = 0; k < n; k++) {
    if (!serves(k, w)) continue;
    const f = fundFor(j, k), m = defMarket(k);
    const bp = i64At(Column.FundBalance, f);
    const bal = load<i64>(bp);
    let floorEff = floor;
    if (dd > 0) {
      const wp = col(Column.FundWindow) + <usize>f * 288;
      let peak = windowValue(wp, now, true);
      if (peak < bal) peak = bal;
      const ddFloor = mulDivRounded(peak, 1_000_000 - dd, 1_000_000, true, SCRATCH);
      if (ddFloor > floorEff) floorEff = ddFloor;
    }
    let x = openOf(k);
    const room = bal - floorEff;
    if (room < x) x = room;
    if (maxPer > 0 && maxPer < x) x = maxPer;
    // paid(m): every insurance payment for market m counts, whether or not a cap applies now.
    const paidP: usize = m != NONE ? col(Column.MarketPaid) + <usize>m * 288 : 0;
    if (mcap > 0 && m != NONE) {
      if (mwin > 0) windowReset(paidP, mwin);
      const paid = mwin == 0 ? load<i64>(paidP, 8) : windowValue(paidP, now, false);
      if (mcap - paid < x) x = mcap - paid;
    }
    if (x <= 0) continue;
    store<i64>(bp, bal - x);
    if (paidP != 0) {
      // paid(m) only meets caps of at most 2^62: its totals saturate there (over all time they would
      // pass i64 as funds are refilled).
      store<i64>(paidP + 8, saturatingAdd(load<i64>(paidP, 8), x));
      if (load<i64>(paidP) > 0) { const q = bucketSlot(paidP, now, true); store<i64>(q + 8, saturatingAdd(load<i64>(q, 8), x)); }
    }
    cover(k, j, NONE, x, 0, 0);
  }
}

// ---- Backstop providers ---------------------------------------------------------------------------

/**
 * The accounts backstop step j pays from: its providers (i < count), or the vault account when it
 * names none. NONE past the end.
 */
export function backstopPayer(j: u32, i: u32): u32 {
  const p = stepPtr(j);
  const count = <u32>load<u16>(p, 46);
  if (count == 0) return i == 0 ? load<u32>(BALANCES, 96) : NONE;
  return i < count ? load<u32>(BACKSTOP + <usize>(<u32>load<u16>(p, 44) + i) * BACKSTOP_RECORD) : NONE;
}

function runBackstop(j: u32, w: u32, n: u32): void {
  const p = stepPtr(j);
  let first = <u32>load<u16>(p, 44), count = <u32>load<u16>(p, 46);
  const vault = load<u32>(BALANCES, 96);
  const fallback = count == 0;
  if (fallback && vault == NONE) return;
  if (fallback) count = 1;
  const coll = col(Column.AccCollateral);
  for (let k: u32 = 0; k < n; k++) {
    if (!serves(k, w)) continue;
    // Capacities now: min(left, collateral), weights: weightPpm or the capacity. Each is 0 ..= 2^62:
    // the sums saturate just past WEIGHT_LIMIT (64 providers of 2^62 would pass i64).
    let sum: i64 = 0, wsum: i64 = 0;
    for (let i: u32 = 0; i < count; i++) {
      const b = BACKSTOP + <usize>(first + i) * BACKSTOP_RECORD;
      const a = fallback ? vault : load<u32>(b);
      // What it can pay: its collateral, and no more than keeps its equity at or above zero.
      let c = load<i64>(coll + (<usize>a << 3));
      if (c < 0 || checkAccount(a, -1) != Status.Ok) c = 0;
      else { const e = solventRoom(equityOf(a)); if (e < c) c = e; }
      if (!fallback && load<i64>(b, 8) > 0 && load<i64>(b, 16) < c) c = load<i64>(b, 16);
      const wt = !fallback && load<u32>(b, 4) > 0 ? <i64>load<u32>(b, 4) : c;
      store<u32>(u32At(Column.PayId, i), a);
      store<i64>(i64At(Column.PayCap, i), c);
      store<i64>(i64At(Column.PayWeight, i), c > 0 ? wt : 0);
      sum = heavyAdd(sum, c);
      wsum = heavyAdd(wsum, c > 0 ? wt : 0);
    }
    // Too heavy to split exactly (docs/WATERFALL.md, "Limits"): this record gets nothing here.
    if (sum > WEIGHT_LIMIT || wsum > WEIGHT_LIMIT) continue;
    let x = openOf(k);
    if (sum < x) x = sum;
    if (x <= 0) continue;
    split(count, x);
    for (let i: u32 = 0; i < count; i++) {
      const share = load<i64>(i64At(Column.PayWork, i));
      if (share <= 0) continue;
      const a = load<u32>(u32At(Column.PayId, i));
      store<i64>(coll + (<usize>a << 3), load<i64>(coll + (<usize>a << 3)) - share);
      if (!fallback) {
        const b = BACKSTOP + <usize>(first + i) * BACKSTOP_RECORD;
        store<i64>(b, load<i64>(b, 16) - share, 16);
      }
      cover(k, j, a, share, 0, 0);
    }
  }
}

// ---- Clearing-house layers ------------------------------------------------------------------------

function runDefaulterFund(j: u32, w: u32, n: u32): void {
  for (let k: u32 = 0; k < n; k++) {
    if (!serves(k, w)) continue;
    const a = load<u32>(u32At(Column.DefAccount, k));
    const i = memberIndex(a);
    if (i == NONE) continue;
    const mp = memberPtr(i);
    let x = openOf(k);
    const f = load<i64>(mp, 8);
    if (f < x) x = f;
    if (x <= 0) continue;
    store<i64>(mp, f - x, 8);
    cover(k, j, a, x, 0, 0);
  }
}

function runOperatorCapital(j: u32, w: u32, n: u32): void {
  const off = 56 + (load<u32>(stepPtr(j), 4) << 3);
  for (let k: u32 = 0; k < n; k++) {
    if (!serves(k, w)) continue;
    const s = load<i64>(BALANCES + off);
    let x = openOf(k);
    if (s < x) x = s;
    if (x <= 0) continue;
    store<i64>(BALANCES + off, s - x);
    cover(k, j, NONE, x, 0, 0);
  }
}

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

