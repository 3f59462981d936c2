/**
 * Stress simulation: price paths and the step loop over the whole pipeline (docs/SIMULATION.md).
 *
 * `simPrepare` lays out the simulation area past the book's columns (once per engine, ./simarea.ts)
 * and snapshots the book: static records,
 * the book's columns (markets, tiers, accounts, positions, isolated rows, index), fund balances, the
 * waterfall's per-market state, and the counters. `simRestore` puts the snapshot back, so every path
 * starts from the same book. A path then runs, for t = 1..steps:
 *
 *   marks     path[t] times the market's impact level; funding indices += floor(mark * rate / 10^6)
 *   check     every account (or, skipping, only those prices may have made liquidatable)
 *   rounds    plan; closes execute worse than the mark (impact); deficits through the waterfall;
 *             the round's net impact moves the market's level, which the next step's marks carry
 *
 * Skipping: after an exact check, an account with slack = equity - MM > 0 (per group) cannot become
 * liquidatable while, for every market m, (|mark - mark0| + |fundingIndex - index0|) / mark0 <
 * (slack - R) / G, where G = sum over its positions of |size| * mark0 / D * (1 + mmfMax(m)) and R
 * covers the roundings (8 atoms per position): value and funding move by at most |size| * change / D,
 * MM by at most mmfMax of the notional's change. Skipped accounts keep their (healthy or below
 * initial) results; every decision reads only liquidatable groups' figures, or a full check's, so
 * a run with skipping gives the same numbers as one without (a test).
 */
import { addOverflowBits, AMOUNT_LIMIT, INDEX_LIMIT, mulDivRounded, OVERFLOWED } from '../../math/fixed';
import { absU } from '../../math/wide';
import { cholesky, lowerTimes, normal, seedStream, uniform } from '../../math/random';
import { col, Column, columnBytes, maxAccounts, maxMarkets, marketPtr } from '../../abi/layout';
import { CurveKind, Field, Health, METRICS, RowKind, SimArray, Status, Tranche } from '../../abi/status';
import { accountCount, bookChanged, bookVersion, fail, LIQ_RECORD, loadCounters, marketCount, NONE, resultsCurrent, saveCounters, SCRATCH, setResultsCurrent, tallyPtr } from '../state';
import { checkRange, indexBuilds, recheckAccount, setResultsValid } from '../margin/check';
import { ACCOUNT_ACTIVE } from '../book/book';

import { refreshMarket } from '../book/markets';
import { planLiquidations } from '../liquidation/plan';
import { PLAN_RECORD } from '../liquidation/log';
import { policyBackstopAccount } from '../liquidation/policy';
import { EXEC_RECORD, executePlan } from '../liquidation/execute';
import { allocate, setFiguresOnDemand } from '../waterfall/run';
import { RUN_RECORD, setAuditToHost } from '../waterfall/steps';
import { stepPtr, WF_STATE } from '../waterfall/config';
import { backstopPayer } from '../waterfall/balances';
import { BALANCES, defaultFundSum, vaultNav } from '../waterfall/parties';
import { freshArea, reserveArea } from './area';
import { markAllResults } from '../book/publish';
import { MAX_STEPS, MarketRecord, TierRecord } from '../../abi/records';

/** Per-step metrics (i64 each), in this order (src/simulation/types.ts STEP_METRICS). */
const MET_CLOSES = 0, MET_NOTIONAL = 1, MET_GROUPS = 2, MET_DEFICIT = 3, MET_FUND = 4, MET_VAULT = 5;
const MET_ADL_NOTIONAL = 6, MET_ADL_ACCOUNTS = 7, MET_SOCIALIZED = 8, MET_UNCOVERED = 9, MET_RESIDUE = 10;
const MET_ROUNDS = 11, MET_COVERED = 12;

/**
 * The header (JavaScript writes the inputs, reads the path record):
 *   +0 steps u32, +4 max rounds per step u32, +8 markets u32, +12 flags u32 (1: jumps together),
 *   +16 seed u64, +24 step seconds i64, +32 start second i64,
 *   +40 impact slope ppm i64, +48 permanent ppm i64, +56 max impact ppm i64, +64 depth ppm of open interest i64,
 *   +72 jump probability f64, +80 jump mean f64, +88 jump std f64 (log-return units),
 *   path record: +128 prefunded i64, +136 cover-1 i64, +144 cover-2 i64, +152 fund exhausted u32,
 *   +160 accounts checked u64, +168 epochs u32.
 */
const HEADER_BYTES: u32 = 256;

/** JavaScript's answer to "stop this path?" (a cancelled run), asked once per step. */
@external("env", "simInterrupted")
declare function simInterrupted(): i32;

// The area: pointers set by simPrepare.
let prepared = false;
let header: usize = 0, pathPrices: usize = 0, vols: usize = 0, drifts: usize = 0, rates: usize = 0, factor: usize = 0;
let metrics: usize = 0, depth: usize = 0, level: usize = 0, closed: usize = 0, net: usize = 0;
let epochPrices: usize = 0, devs: usize = 0, bound: usize = 0, boundEpoch: usize = 0, loss: usize = 0;
/**
 * Accounts whose bound is relative to each epoch (epochRefs), and the epochs some account still
 * refers to (liveEpochs, liveCount): a new epoch computes the move since those only, so the cost of
 * an epoch does not grow with the path's length.
 */
let epochRefs: usize = 0, liveEpochs: usize = 0, liveCount: u32 = 0;
let weight: usize = 0, draws: usize = 0, cumLog: usize = 0, snapshot: usize = 0, bound0: usize = 0;
/**
 * Accounts whose positions a path changed (liquidated, or the backstop account that took positions
 * over): only their slots are copied back by the next restore, unless `allDirty` (the waterfall
 * touched the book, a path failed, or the book changed outside a path).
 */
let dirtyStamp: usize = 0, dirtyList: usize = 0, dirtyCount: u32 = 0, allDirty = true;
/** indexBuilds when the index last equalled the snapshot's. */
let versionAfterPath: u32 = 0, indexBuildsClean: u32 = 0;
/** The book as restored, untouched since (bookVersion), has the snapshot's check results and bounds. */
let restoredVersion: u32 = 0;
let snapshotChecked = false;
let simSteps: u32 = 0, simMarkets: u32 = 0, epochCap: u32 = 0, hasFactor = false;

// Snapshot ranges: [0, R0) static data and reserve; the book's columns [col(Markets), col(Queue));
// fund balances; the waterfall's per-market columns (MarketFund .. MarketPaid).
const SNAP_COUNTERS: usize = 64;

export function simPtr(k: u32): usize {
  switch (k) {
    case SimArray.Header: return header;
    case SimArray.Path: return pathPrices;
    case SimArray.Vol: return vols;
    case SimArray.Drift: return drifts;
    case SimArray.Funding: return rates;
    case SimArray.Factor: return factor;
    case SimArray.Metrics: return metrics;
    case SimArray.Depth: return depth;
    default: return 0;
  }
}

// @ts-ignore: decorator
@inline function align(x: u64): u64 { return (x + 15) & ~15; }

function snapshotBytes(): u64 {
  return <u64>SNAP_COUNTERS + <u64>col(Column.Markets) + <u64>(col(Column.Queue) - col(Column.Markets))
    + <u64>columnBytes(Column.FundBalance) + <u64>(col(Column.MarketPaid) + columnBytes(Column.MarketPaid) - col(Column.MarketFund));
}

/** Bytes of each array of the area over `m` markets, in the order simPrepare places them. */
function areaSizes(steps: u32, withFactor: bool, m: u32): StaticArray<u64> {
  const epochs = steps + 1; // the path's start, then each step's prices
  const mm = <u64>m;
  return [
    HEADER_BYTES, (<u64>steps + 1) * mm * 8, mm * 8, mm * 8, mm * 8, withFactor ? mm * mm * 8 : 0,
    <u64>steps * METRICS * 8, mm * 8, mm * 8, mm * 8, mm * 8, <u64>epochs * mm * 24, <u64>epochs * 8,
    <u64>maxAccounts * 8, <u64>maxAccounts * 4, <u64>maxAccounts * 8, mm * 8, mm * 16, mm * 8, snapshotBytes(),
    <u64>maxAccounts * 8, <u64>maxAccounts * 4, <u64>maxAccounts * 4, <u64>epochs * 4, <u64>epochs * 4,
  ];
}

/** The area's bytes: each array's, aligned to 16 bytes. */
function areaTotal(sizes: StaticArray<u64>): u64 {
  let total: u64 = 0;
  for (let i = 0; i < sizes.length; i++) total += align(sizes[i]);
  return total;
}

/**
 * Reserves the area for simulations of up to `steps` steps over up to `maxMarkets` markets
 * (correlated when `withFactor`), so that preparing one does not grow memory: `RiskEngine.create`
 * calls it (`reserveSimulation`) before any view is handed out. Errors: NotInitialized (before
 * `init`), InvalidScenario (steps not in 1..100,000), CapacityExceeded (it does not fit 4 GiB).
 */
export function simReserve(steps: u32, withFactor: bool): i32 {
  if (maxMarkets == 0) return fail(Status.NotInitialized, Field.Capacity, -1);
  if (steps == 0 || steps > 100_000) return fail(Status.InvalidScenario, Field.Steps, -1);
  // The factor is sized apart: it is over at most 1,024 markets, however many the engine may hold.
  const f = <u64>min<u32>(maxMarkets, 1024), factorBytes = withFactor ? align(f * f * 8) : 0;
  if (!reserveArea(areaTotal(areaSizes(steps, false, maxMarkets)) + factorBytes)) return fail(Status.CapacityExceeded, Field.Capacity, -1);
  return Status.Ok;
}

/**
 * Makes the area as large as `simPrepare(steps, _, withFactor)` needs for the markets of the book
 * now (growing memory only by the pages missing), changing nothing else: a preparation of that size
 * then cannot fail for room. Errors (nothing changed): NotInitialized (no markets), InvalidScenario
 * (steps not in 1..100,000, a factor over more than 1,024 markets), CapacityExceeded.
 */
export function simReserveFor(steps: u32, withFactor: bool): i32 {
  const m = marketCount;
  if (m == 0) return fail(Status.NotInitialized, Field.MarketId, -1);
  if (steps == 0 || steps > 100_000) return fail(Status.InvalidScenario, Field.Steps, -1);
  if (withFactor && m > 1024) return fail(Status.InvalidScenario, Field.Correlation, -1);
  if (!reserveArea(areaTotal(areaSizes(steps, withFactor, m)))) return fail(Status.CapacityExceeded, Field.Capacity, -1);
  return Status.Ok;
}

/**
 * Lays out the simulation area for `steps` steps and `maxRounds` rounds per step, with room for a
 * correlation factor when `withFactor`, and snapshots the book as it is now. The area is reused
 * (./simarea.ts): memory grows only when no earlier preparation or reservation was as large. Errors: NotInitialized (no markets), InvalidScenario (steps not in 1..100,000, rounds not in
 * 1..64, a factor over more than 1,024 markets), CapacityExceeded (the area does not fit 4 GiB).
 */
export function simPrepare(steps: u32, maxRounds: u32, withFactor: bool): i32 {
  const m = marketCount;
  if (m == 0) return fail(Status.NotInitialized, Field.MarketId, -1);
  if (steps == 0 || steps > 100_000) return fail(Status.InvalidScenario, Field.Steps, -1);
  if (maxRounds == 0 || maxRounds > 64) return fail(Status.InvalidScenario, Field.Steps, -1);
  if (withFactor && m > 1024) return fail(Status.InvalidScenario, Field.Correlation, -1);
  const epochs = steps + 1;
  const sizes = areaSizes(steps, withFactor, m);
  // The arrays start as fresh memory does, at zero, wherever an earlier preparation put its own.
  let p = freshArea(areaTotal(sizes));
  if (p == 0) return fail(Status.CapacityExceeded, Field.Capacity, -1);
  const ptrs = new StaticArray<usize>(sizes.length);
  for (let i = 0; i < sizes.length; i++) { ptrs[i] = p; p += <usize>align(sizes[i]); }
  header = ptrs[0]; pathPrices = ptrs[1]; vols = ptrs[2]; drifts = ptrs[3]; rates = ptrs[4]; factor = ptrs[5];
  metrics = ptrs[6]; depth = ptrs[7]; level = ptrs[8]; closed = ptrs[9]; net = ptrs[10];
  epochPrices = ptrs[11]; devs = ptrs[12]; bound = ptrs[13]; boundEpoch = ptrs[14]; loss = ptrs[15];
  weight = ptrs[16]; draws = ptrs[17]; cumLog = ptrs[18]; snapshot = ptrs[19]; bound0 = ptrs[20];
  dirtyStamp = ptrs[21]; dirtyList = ptrs[22]; epochRefs = ptrs[23]; liveEpochs = ptrs[24];
  simSteps = steps; simMarkets = m; epochCap = epochs; hasFactor = withFactor;
  // The scenario's parameters (from +12 on) are JavaScript's to write (src/simulation/simulator.ts).
  store<u32>(header, steps); store<u32>(header, maxRounds, 4); store<u32>(header, m, 8);
  for (let i: u32 = 0; i < m; i++) store<i64>(pathPrices + (<usize>i << 3), load<i64>(marketPtr(i), MarketRecord.mark));
  prepareWeights();
  takeSnapshot();
  dirtyCount = 0;
  allDirty = false;
  nextDirtyStamp();
  versionAfterPath = bookVersion;
  // When the snapshot holds a check's results, every account's bound at epoch 0 is kept with it.
  snapshotChecked = resultsCurrent;
  if (snapshotChecked) {
    epoch = 1;
    boundAll();
    memory.copy(bound0, bound, <usize>accountCount << 3);
  }
  prepared = true;
  return Status.Ok;
}

/** 1 + the largest maintenance fraction a position of the market can have at any mark (see above). */
function prepareWeights(): void {
  for (let i: u32 = 0; i < simMarkets; i++) {
    const mkt = marketPtr(i);
    const kind = <u32>load<u8>(mkt, MarketRecord.kind);
    let mmf = <u64>load<u32>(mkt, MarketRecord.mmf);
    if (kind == CurveKind.Tiers) {
      const first = load<u32>(mkt, MarketRecord.tierFirst), n = load<u32>(mkt, MarketRecord.tierCount);
      for (let j = first; j < first + n; j++) {
        const f = <u64>load<u32>(col(Column.Tiers) + <usize>j * TierRecord.BYTES, TierRecord.mmf);
        if (f > mmf) mmf = f;
      }
    } else if (kind == CurveKind.SizePremium) {
      mmf = 1_000_000;
    }
    store<f64>(weight + (<usize>i << 3), 1.0 + <f64>mmf / 1e6);
  }
}

function takeSnapshot(): void {
  let p = snapshot;
  saveCounters(p); p += SNAP_COUNTERS;
  const r0 = col(Column.Markets);
  memory.copy(p, 0, r0); p += r0;
  const r1 = col(Column.Queue) - r0;
  memory.copy(p, r0, r1); p += r1;
  memory.copy(p, col(Column.FundBalance), columnBytes(Column.FundBalance)); p += columnBytes(Column.FundBalance);
  memory.copy(p, col(Column.MarketFund), col(Column.MarketPaid) + columnBytes(Column.MarketPaid) - col(Column.MarketFund));
  indexBuildsClean = indexBuilds;
}

/** Copies [from, to) of the book's columns back from the snapshot. */
// @ts-ignore: decorator
@inline function restoreRange(bookStart: usize, from: usize, to: usize): void {
  memory.copy(from, bookStart + (from - col(Column.Markets)), to - from);
}

/** The slots the snapshot gives account a, copied back in every position column. */
function restoreSlots(bookStart: usize, a: u32): void {
  const r0 = col(Column.Markets);
  const start = load<u32>(bookStart + (col(Column.AccPosStart) - r0) + (<usize>a << 2));
  const cap = load<u32>(bookStart + (col(Column.AccPosCap) - r0) + (<usize>a << 2));
  if (cap == 0) return;
  for (let c = Column.PosSize; c <= Column.PosAccount; c++) {
    const w: usize = c == Column.PosMarket ? 2 : (c == Column.PosAccount ? 4 : 8);
    const from = col(c) + <usize>start * w;
    memory.copy(from, bookStart + (from - r0), <usize>cap * w);
  }
}

/**
 * Puts the book back as `simPrepare` found it: static records, markets, tiers, accounts, isolated
 * rows, the pending index entries, funds and the waterfall's per-market state in full; the position
 * columns only for the accounts the last path changed (all of them when it is not known), the index
 * only if it was rebuilt. Errors: NotInitialized (no simulation prepared).
 */
export function simRestore(): i32 {
  if (!prepared) return fail(Status.NotInitialized, Field.Steps, -1);
  if (bookVersion != versionAfterPath) allDirty = true; // changed outside a path
  let p = snapshot;
  loadCounters(p); p += SNAP_COUNTERS;
  const r0 = col(Column.Markets);
  memory.copy(0, p, r0); p += r0;
  const book = p;
  restoreRange(book, r0, col(Column.PosSize));
  if (allDirty) restoreRange(book, col(Column.PosSize), col(Column.IsoAccount));
  else for (let i: u32 = 0; i < dirtyCount; i++) restoreSlots(book, load<u32>(dirtyList + (<usize>i << 2)));
  restoreRange(book, col(Column.IsoAccount), col(Column.IndexStart));
  if (allDirty || indexBuilds != indexBuildsClean) restoreRange(book, col(Column.IndexStart), col(Column.PendingMarket));
  restoreRange(book, col(Column.PendingMarket), col(Column.Queue));
  p += col(Column.Queue) - r0;
  memory.copy(col(Column.FundBalance), p, columnBytes(Column.FundBalance)); p += columnBytes(Column.FundBalance);
  memory.copy(col(Column.MarketFund), p, col(Column.MarketPaid) + columnBytes(Column.MarketPaid) - col(Column.MarketFund));
  indexBuildsClean = indexBuilds;
  dirtyCount = 0;
  allDirty = false;
  nextDirtyStamp();
  setResultsValid(true);
  markAllResults(); // the results columns came back from the snapshot
  bookChanged();
  restoredVersion = bookVersion;
  return Status.Ok;
}

let dirtyEpoch: u32 = 0;
function nextDirtyStamp(): void {
  if (++dirtyEpoch == 0) { memory.fill(dirtyStamp, 0, <usize>maxAccounts << 2); dirtyEpoch = 1; }
}

/** Account a's positions changed in this path. */
function markDirty(a: u32): void {
  const s = dirtyStamp + (<usize>a << 2);
  if (load<u32>(s) == dirtyEpoch) return;
  store<u32>(s, dirtyEpoch);
  store<u32>(dirtyList + (<usize>dirtyCount << 2), a);
  dirtyCount++;
}

// ---- Paths ----------------------------------------------------------------------------------------

/** Factors the correlation matrix JavaScript wrote (f64, row-major, markets x markets). Errors: InvalidScenario naming the row. */
export function simFactor(): i32 {
  if (!prepared || !hasFactor) return fail(Status.NotInitialized, Field.Correlation, -1);
  const bad = cholesky(factor, simMarkets);
  if (bad >= 0) return fail(Status.InvalidScenario, Field.Correlation, bad);
  return Status.Ok;
}

/**
 * Monte Carlo path `path` (stream `path` of the header's seed) into rows 1..steps of the path table
 * (row 0 holds the marks at preparation). Per step and market, the log return is
 * drift - vol^2/2 + vol * (L e)_m + jump; prices are p0 * exp(cumulative log return), rounded to
 * the nearest atom and kept in 1..2^62.
 */
export function simGeneratePath(path: u32): i32 {
  if (!prepared) return fail(Status.NotInitialized, Field.Steps, -1);
  const m = simMarkets;
  seedStream(load<u64>(header, 16), <u64>path);
  const together = (load<u32>(header, 12) & 1) != 0;
  const pJump = load<f64>(header, 72), jMean = load<f64>(header, 80), jStd = load<f64>(header, 88);
  const e = draws, z = draws + (<usize>m << 3);
  memory.fill(cumLog, 0, <usize>m << 3);
  for (let t: u32 = 1; t <= simSteps; t++) {
    for (let i: u32 = 0; i < m; i++) store<f64>(e + (<usize>i << 3), normal());
    if (hasFactor) lowerTimes(factor, m, e, z);
    else memory.copy(z, e, <usize>m << 3);
    let common: f64 = 0;
    if (together && pJump > 0 && uniform() < pJump) common = jMean + jStd * normal();
    const row = pathPrices + <usize>t * m * 8;
    for (let i: u32 = 0; i < m; i++) {
      const o = <usize>i << 3;
      const vol = load<f64>(vols + o);
      let r = load<f64>(drifts + o) - 0.5 * vol * vol + vol * load<f64>(z + o);
      if (together) r += common;
      else if (pJump > 0 && uniform() < pJump) r += jMean + jStd * normal();
      const c = load<f64>(cumLog + o) + r;
      store<f64>(cumLog + o, c);
      let price = Math.round(<f64>load<i64>(pathPrices + o) * Math.exp(c));
      if (!(price >= 1.0)) price = 1.0;
      if (price > 4.0e18) price = 4.0e18;
      store<i64>(row + o, <i64>price);
    }
  }
  return Status.Ok;
}

// ---- The step loop ----------------------------------------------------------------------------------

let epoch: u32 = 0;
let checked: u64 = 0;
let top1: i64 = 0, top2: i64 = 0, top1Account: u32 = NONE, top2Account: u32 = NONE;
let exhausted = false;
let skipping = false;

// @ts-ignore: decorator
@inline function metric(t: u32, k: u32): usize { return metrics + ((<usize>(t - 1) * METRICS + k) << 3); }
// @ts-ignore: decorator
@inline function addMetric(t: u32, k: u32, v: i64): void { const p = metric(t, k); store<i64>(p, load<i64>(p) + v); }

/**
 * Runs one path over the book as it is (call `simRestore` and apply the variant first): the path table
 * must hold rows 1..steps. Fills the metrics table (steps x METRICS) and the path record. With `skip`,
 * accounts far from liquidation are not re-checked (same results). Errors: those of the pipeline's
 * calls (Overflow naming an account; InvalidWaterfall when a deficit meets no waterfall), and
 * InvalidScenario naming a market whose funding index leaves its range.
 */
export function simRunPath(skip: bool): i32 {
  if (!prepared) return fail(Status.NotInitialized, Field.Steps, -1);
  if (marketCount != simMarkets) return fail(Status.InvalidScenario, Field.MarketId, <i32>marketCount);
  const steps = simSteps, m = simMarkets;
  const maxRounds = load<u32>(header, 4);
  skipping = skip;
  setAuditToHost(false);
  setFiguresOnDemand(true);
  memory.fill(metrics, 0, <usize>steps * METRICS * 8);
  memory.fill(loss, 0, <usize>accountCount << 3);
  memory.fill(closed, 0, <usize>m << 3);
  for (let i: u32 = 0; i < m; i++) store<i64>(level + (<usize>i << 3), 1_000_000_000);
  top1 = 0; top2 = 0; top1Account = NONE; top2Account = NONE; exhausted = false; checked = 0;
  prepareWeights(); // a variant may have scaled the margins
  prepareDepths();
  // Prefunded resources at the start: funds, vault, default fund, operator capital.
  let prefunded = checkedAdd(fundTotal(), vaultNav());
  prefunded = checkedAdd(checkedAdd(prefunded, defaultFundSum()), checkedAdd(load<i64>(BALANCES, 64), load<i64>(BALANCES, 72)));
  if (prefunded == OVERFLOWED) return fail(Status.Overflow, Field.FundId, -1);
  store<i64>(header, prefunded, 128);
  epoch = 0;
  liveCount = 0;
  recordEpoch();
  let st = Status.Ok;
  if (snapshotChecked && bookVersion == restoredVersion) {
    // The book as the snapshot holds it (a fund top-up or a waterfall does not change it): its
    // results are those of the check before the snapshot, its bounds those computed then.
    setResultsValid(true);
    setResultsCurrent(true);
    memory.copy(bound, bound0, <usize>accountCount << 3);
    memory.fill(boundEpoch, 0, <usize>accountCount << 2);
    resetEpochRefs(0);
  } else {
    st = fullCheck();
    if (st != Status.Ok) return finish(st);
  }
  const startSec = load<i64>(WF_STATE, 24) > load<i64>(header, 32) ? load<i64>(WF_STATE, 24) : load<i64>(header, 32);
  const stepSec = load<i64>(header, 24);
  for (let t: u32 = 1; t <= steps; t++) {
    if (simInterrupted() != 0) return finish(fail(Status.Interrupted, Field.Steps, <i32>t));
    st = movePrices(t);
    if (st != Status.Ok) return finish(st);
    st = check();
    if (st != Status.Ok) return finish(st);
    memory.fill(closed, 0, <usize>m << 3);
    for (let round: u32 = 0; round < maxRounds; round++) {
      if (openGroups() == 0) break;
      st = planLiquidations();
      if (st != Status.Ok) return finish(st);
      const rows = load<u32>(PLAN_RECORD);
      if (rows == 0) break;
      addMetric(t, MET_ROUNDS, 1);
      memory.fill(net, 0, <usize>m << 3);
      st = priceCloses(rows);
      if (st != Status.Ok) return finish(st);
      const before = load<u32>(LIQ_RECORD);
      st = executePlan();
      if (st != Status.Ok) return finish(st);
      addMetric(t, MET_CLOSES, load<i64>(EXEC_RECORD, 8));
      addMetric(t, MET_GROUPS, load<i64>(EXEC_RECORD, 32));
      addMetric(t, MET_NOTIONAL, load<i64>(EXEC_RECORD, 40));
      const after = load<u32>(LIQ_RECORD);
      noteLosses(before, after);
      if (after > 0) {
        st = allocate(startSec + <i64>t * stepSec);
        if (st != Status.Ok) return finish(st);
        // What the run touched: nothing but funds and the backstop providers' collateral, or any
        // account (the whole book is checked again).
        if (noteRun(t) == TOUCHED_BOOK) { allDirty = true; st = fullCheck(); }
        else {
          st = recheckPlan(rows);
          if (st == Status.Ok) st = recheckBackstopPayers();
        }
      } else {
        st = recheckPlan(rows);
      }
      if (st != Status.Ok) return finish(st);
      moveLevels(); // the next step's marks
    }
    const funds = fundTotal(), nav = vaultNav();
    if (funds == OVERFLOWED || nav == OVERFLOWED) return finish(fail(Status.Overflow, Field.FundId, -1));
    store<i64>(metric(t, MET_FUND), funds);
    store<i64>(metric(t, MET_VAULT), nav);
  }
  return finish(Status.Ok);
}

function finish(st: i32): i32 {
  if (st != Status.Ok) allDirty = true;
  versionAfterPath = bookVersion;
  setAuditToHost(true);
  setFiguresOnDemand(false);
  store<i64>(header, top1, 136);
  store<i64>(header, top1 + top2, 144);
  store<u32>(header, exhausted ? 1 : 0, 152);
  store<u64>(header, checked, 160);
  store<u32>(header, epoch, 168);
  return st;
}

/** Groups liquidatable or bankrupt in the book-wide tallies (accounts and isolated rows). */
function openGroups(): u32 {
  return load<u32>(tallyPtr(0, Health.Liquidatable)) + load<u32>(tallyPtr(0, Health.Bankrupt))
    + load<u32>(tallyPtr(1, Health.Liquidatable)) + load<u32>(tallyPtr(1, Health.Bankrupt));
}

/** a + b, or OVERFLOWED when either is or the sum leaves i64. */
function checkedAdd(a: i64, b: i64): i64 {
  if (a == OVERFLOWED || b == OVERFLOWED) return OVERFLOWED;
  const s = a + b;
  return addOverflowBits(a, b, s) < 0 ? OVERFLOWED : s;
}

/** Every insurance fund's balance summed (OVERFLOWED past i64). */
function fundTotal(): i64 {
  let s: i64 = 0;
  for (let f: u32 = 0; f <= marketCount; f++) s = checkedAdd(s, load<i64>(col(Column.FundBalance) + (<usize>f << 3)));
  return s;
}

/** Depth of each market: depthPpm of its open interest's notional (the larger side), at least 1 atom. */
function prepareDepths(): void {
  const ppm = load<i64>(header, 64);
  for (let i: u32 = 0; i < simMarkets; i++) {
    const mkt = marketPtr(i);
    const oiL = load<i64>(mkt, MarketRecord.oiLong), oiS = load<i64>(mkt, MarketRecord.oiShort);
    const oi = oiL > oiS ? oiL : oiS;
    let notional = mulDivRounded(oi, load<i64>(mkt, MarketRecord.mark), load<i64>(mkt, MarketRecord.d), false, SCRATCH);
    if (notional == OVERFLOWED) notional = AMOUNT_LIMIT;
    let d = mulDivRounded(notional, ppm, 1_000_000, false, SCRATCH);
    if (d == OVERFLOWED) d = AMOUNT_LIMIT;
    store<i64>(depth + (<usize>i << 3), d < 1 ? 1 : d);
  }
}

/** Marks of step t (path times level) and one step of funding; a new epoch. */
function movePrices(t: u32): i32 {
  const row = pathPrices + <usize>t * simMarkets * 8;
  for (let i: u32 = 0; i < simMarkets; i++) {
    const o = <usize>i << 3;
    let mark = mulDivRounded(load<i64>(row + o), load<i64>(level + o), 1_000_000_000, false, SCRATCH);
    if (mark == OVERFLOWED || mark > AMOUNT_LIMIT) mark = AMOUNT_LIMIT;
    if (mark < 1) mark = 1;
    store<i64>(marketPtr(i), mark, MarketRecord.mark);
    refreshMarket(i);
  }
  for (let i: u32 = 0; i < simMarkets; i++) {
    const rate = load<i64>(rates + (<usize>i << 3));
    if (rate == 0) continue;
    const mkt = marketPtr(i);
    // floor(mark * rate / 10^6): toward minus infinity for negative rates.
    const delta = mulDivRounded(load<i64>(mkt, MarketRecord.mark), rate, 1_000_000, false, SCRATCH);
    const l = load<i64>(mkt, MarketRecord.fundingLong) + delta, s = load<i64>(mkt, MarketRecord.fundingShort) + delta;
    if (l < -INDEX_LIMIT || l > INDEX_LIMIT || s < -INDEX_LIMIT || s > INDEX_LIMIT) return fail(Status.InvalidScenario, Field.FundingRatePpm, <i32>i);
    store<i64>(mkt, l, MarketRecord.fundingLong);
    store<i64>(mkt, s, MarketRecord.fundingShort);
  }
  bookChanged();
  recordEpoch();
  return Status.Ok;
}

/**
 * Records the marks and funding indices of a new epoch and, for every earlier epoch k, the largest
 * relative move since: max over markets of (|mark - mark_k| + max |index - index_k|) / mark_k.
 */
function recordEpoch(): void {
  assert(epoch < epochCap, 'epochs: 1 + steps at most');
  const m = simMarkets;
  const row = epochPrices + <usize>epoch * m * 24;
  for (let i: u32 = 0; i < m; i++) {
    const mkt = marketPtr(i), q = row + <usize>i * 24;
    store<i64>(q, load<i64>(mkt, MarketRecord.mark));
    store<i64>(q, load<i64>(mkt, MarketRecord.fundingLong), 8);
    store<i64>(q, load<i64>(mkt, MarketRecord.fundingShort), 16);
  }
  if (!skipping) { epoch++; return; }
  // The epochs accounts refer to: the move since each, keeping the list to those still referred to.
  let kept: u32 = 0;
  for (let j: u32 = 0; j < liveCount; j++) {
    const k = load<u32>(liveEpochs + (<usize>j << 2));
    if (load<u32>(epochRefs + (<usize>k << 2)) == 0) continue;
    store<u32>(liveEpochs + (<usize>kept << 2), k);
    kept++;
    const old = epochPrices + <usize>k * m * 24;
    let dev: f64 = 0;
    for (let i: u32 = 0; i < m; i++) {
      const a = old + <usize>i * 24, b = row + <usize>i * 24;
      const mark0 = load<i64>(a);
      const dl = <f64>absU(load<i64>(b, 8) - load<i64>(a, 8)), ds = <f64>absU(load<i64>(b, 16) - load<i64>(a, 16));
      const x = (<f64>absU(load<i64>(b) - mark0) + (dl > ds ? dl : ds)) / <f64>mark0;
      if (x > dev) dev = x;
    }
    store<f64>(devs + (<usize>k << 3), dev);
  }
  store<u32>(liveEpochs + (<usize>kept << 2), epoch);
  liveCount = kept + 1;
  store<u32>(epochRefs + (<usize>epoch << 2), 0);
  store<f64>(devs + (<usize>epoch << 3), 0);
  epoch++;
}

/** Every account's bound is now relative to epoch e (after a full check, or the snapshot's). */
function resetEpochRefs(e: u32): void {
  for (let j: u32 = 0; j < liveCount; j++) store<u32>(epochRefs + (<usize>load<u32>(liveEpochs + (<usize>j << 2)) << 2), 0);
  store<u32>(epochRefs + (<usize>e << 2), accountCount);
  store<u32>(liveEpochs, e);
  liveCount = 1;
}

/** Account a's bound, relative to the current epoch. */
// @ts-ignore: decorator
@inline function setBoundNow(a: u32, b: f64, counted: bool): void {
  const ep = boundEpoch + (<usize>a << 2), now = epoch - 1;
  if (counted) {
    const r0 = epochRefs + (<usize>load<u32>(ep) << 2), r1 = epochRefs + (<usize>now << 2);
    store<u32>(r0, load<u32>(r0) - 1);
    store<u32>(r1, load<u32>(r1) + 1);
  }
  store<u32>(ep, now);
  store<f64>(bound + (<usize>a << 3), b);
}

/** Check of the whole book (the batch loop); with skipping, every account's bound is refreshed after. */
function fullCheck(): i32 {
  checked += accountCount;
  const st = checkRange(0, accountCount);
  if (st != Status.Ok || !skipping) return st;
  boundAll();
  return Status.Ok;
}

/** Every account's bound from its current results, at the current epoch. */
function boundAll(): void {
  const flags = col(Column.AccFlags);
  for (let a: u32 = 0; a < accountCount; a++) {
    setBoundNow(a, load<u8>(flags + <usize>a) == ACCOUNT_ACTIVE ? boundOf(a) : Infinity, false);
  }
  resetEpochRefs(epoch - 1);
}

/**
 * The step's check: everything, or only accounts whose bound the prices may have crossed (closed
 * accounts have an infinite bound). Reads 12 bytes per account and a small table per epoch.
 */
function check(): i32 {
  if (!skipping) {
    checked += accountCount;
    return checkRange(0, accountCount);
  }
  const now = epoch - 1;
  for (let a: u32 = 0; a < accountCount; a++) {
    const k = load<u32>(boundEpoch + (<usize>a << 2));
    if (k == now || load<f64>(devs + (<usize>k << 3)) * 1.000001 < load<f64>(bound + (<usize>a << 3))) continue;
    if (!recheck(a)) return Status.Overflow;
  }
  setResultsCurrent(false); // skipped accounts' figures are from earlier epochs
  return Status.Ok;
}

/** After a round without deficits: the accounts of the plan, and the backstop account, again. */
function recheckPlan(rows: u32): i32 {
  let last = NONE;
  const accounts = col(Column.LogAccount);
  for (let i: u32 = 0; i < rows; i++) {
    const a = load<u32>(accounts + (<usize>i << 2));
    if (a == last) continue;
    last = a;
    markDirty(a);
    if (!recheck(a)) return Status.Overflow;
  }
  const v = policyBackstopAccount();
  if (v != NONE) markDirty(v);
  if (v != NONE && !recheck(v)) return Status.Overflow;
  return Status.Ok;
}

/** The accounts the run's backstop steps paid from (providers, or the vault account). */
function recheckBackstopPayers(): i32 {
  const n = load<u32>(WF_STATE);
  for (let j: u32 = 0; j < n && j < MAX_STEPS; j++) {
    if (<u32>load<u8>(stepPtr(j)) != Tranche.BackstopVault || load<i64>(RUN_RECORD + 64 + (<usize>j << 3)) == 0) continue;
    for (let i: u32 = 0; ; i++) {
      const a = backstopPayer(j, i);
      if (a == NONE) break;
      if (a < accountCount && !recheck(a)) return Status.Overflow;
    }
  }
  return Status.Ok;
}

function recheck(a: u32): bool {
  if (load<u8>(col(Column.AccFlags) + <usize>a) != ACCOUNT_ACTIVE) {
    if (skipping) setBoundNow(a, Infinity, true);
    return true;
  }
  if (!recheckAccount(a)) return false;
  checked++;
  if (skipping) setBoundNow(a, boundOf(a), true);
  return true;
}

/**
 * The account's bound from its fresh results: min over its groups of (slack - 8 atoms per position - 8)
 * / G (module comment); 0 when a group has no slack (never skipped), +infinity without positions.
 */
function boundOf(a: u32): f64 {
  const o8 = <usize>a << 3, o4 = <usize>a << 2;
  const start = load<u32>(col(Column.AccPosStart) + o4), len = load<u32>(col(Column.AccPosLen) + o4);
  let g: f64 = 0;
  for (let s = start; s < start + len; s++) {
    const mk = <u32>load<u16>(col(Column.PosMarket) + (<usize>s << 1));
    g += <f64>absU(load<i64>(col(Column.PosSize) + (<usize>s << 3))) * load<f64>(marketPtr(mk), MarketRecord.markOverD) * load<f64>(weight + (<usize>mk << 3));
  }
  let b = groupBound(load<i64>(col(Column.AccEquity) + o8), load<i64>(col(Column.AccMm) + o8), len, g);
  let r = load<u32>(col(Column.AccIsoHead) + o4);
  while (r != NONE) {
    const r8 = <usize>r << 3;
    const mk = <u32>load<u16>(col(Column.IsoMarket) + (<usize>r << 1));
    const gi = <f64>absU(load<i64>(col(Column.IsoSize) + r8)) * load<f64>(marketPtr(mk), MarketRecord.markOverD) * load<f64>(weight + (<usize>mk << 3));
    const bi = groupBound(load<i64>(col(Column.IsoEquity) + r8), load<i64>(col(Column.IsoMm) + r8), 1, gi);
    if (bi < b) b = bi;
    r = load<u32>(col(Column.IsoNext) + (<usize>r << 2));
  }
  return b;
}

// @ts-ignore: decorator
@inline function groupBound(equity: i64, mm: i64, positions: u32, g: f64): f64 {
  // equity and MM are results of a successful check: |equity| < 2^63 and 0 <= MM < 2^62, so the
  // comparison below cannot wrap, and past it slack - allowance is positive.
  const allowance = 8 * <i64>positions + 8;
  if (equity < mm || equity - mm <= allowance) return 0;
  if (g == 0) return Infinity;
  return <f64>(equity - mm - allowance) / (g * 1.000001);
}

/**
 * Execution prices of the plan's closes: worse than the mark by the impact of the notional closed in
 * the market this step so far, this close included (module comment), rounded against the account.
 */
function priceCloses(rows: u32): i32 {
  const slope = load<i64>(header, 40), cap = load<i64>(header, 56);
  for (let i: u32 = 0; i < rows; i++) {
    if (<u32>load<u8>(col(Column.LogKind) + <usize>i) != RowKind.Close) continue;
    const d = load<i64>(col(Column.LogSize) + (<usize>i << 3));
    if (d == 0) continue;
    const mk = <u32>load<u16>(col(Column.LogMarket) + (<usize>i << 1));
    const mkt = marketPtr(mk), o = <usize>mk << 3;
    const mark = load<i64>(mkt, MarketRecord.mark);
    let n = mulDivRounded(<i64>absU(d), mark, load<i64>(mkt, MarketRecord.d), false, SCRATCH);
    if (n == OVERFLOWED) n = AMOUNT_LIMIT;
    let c = load<i64>(closed + o) + n;
    if (c > AMOUNT_LIMIT) c = AMOUNT_LIMIT;
    store<i64>(closed + o, c);
    const sn = load<i64>(net + o) + (d > 0 ? n : -n);
    store<i64>(net + o, sn < -AMOUNT_LIMIT ? -AMOUNT_LIMIT : (sn > AMOUNT_LIMIT ? AMOUNT_LIMIT : sn));
    const impact = impactPpm(c, load<i64>(depth + o), slope, cap);
    if (impact == 0) continue;
    // Buys (closing shorts) pay more, rounded up; sells receive less, rounded down.
    let q = mulDivRounded(mark, d > 0 ? 1_000_000 + impact : 1_000_000 - impact, 1_000_000, d > 0, SCRATCH);
    if (q == OVERFLOWED || q > AMOUNT_LIMIT) q = AMOUNT_LIMIT;
    if (q < 1) q = 1;
    store<i64>(col(Column.LogPrice) + (<usize>i << 3), q);
  }
  return Status.Ok;
}

// @ts-ignore: decorator
@inline function impactPpm(notional: i64, depthQuote: i64, slope: i64, cap: i64): i64 {
  let x = mulDivRounded(notional, slope, depthQuote, false, SCRATCH);
  if (x == OVERFLOWED || x > cap) x = cap;
  return x;
}

/** The round's net flow moves each market's level (from the next step on) by permanentPpm of its impact. */
function moveLevels(): void {
  const slope = load<i64>(header, 40), cap = load<i64>(header, 56), permanent = load<i64>(header, 48);
  if (permanent == 0) return;
  for (let i: u32 = 0; i < simMarkets; i++) {
    const o = <usize>i << 3;
    const f = load<i64>(net + o);
    if (f == 0) continue;
    const perm = mulDivRounded(impactPpm(<i64>absU(f), load<i64>(depth + o), slope, cap), permanent, 1_000_000, false, SCRATCH);
    if (perm == 0) continue;
    const lv = mulDivRounded(load<i64>(level + o), f > 0 ? 1_000_000 + perm : 1_000_000 - perm, 1_000_000, false, SCRATCH);
    store<i64>(level + o, lv < 1 ? 1 : lv);
  }
}

/** Adds the new deficit records [from, to) to their accounts' path losses and keeps the two largest. */
function noteLosses(from: u32, to: u32): void {
  for (let k = from; k < to; k++) {
    const a = load<u32>(col(Column.DefAccount) + (<usize>k << 2));
    const p = loss + (<usize>a << 3);
    const v = load<i64>(p) + load<i64>(col(Column.DefAmount) + (<usize>k << 3));
    store<i64>(p, v);
    if (a == top1Account) top1 = v;
    else if (a == top2Account) top2 = v;
    else if (v > top1) { top2 = top1; top2Account = top1Account; top1 = v; top1Account = a; }
    else if (v > top2) { top2 = v; top2Account = a; }
    if (top2 > top1) { const x = top1, xa = top1Account; top1 = top2; top1Account = top2Account; top2 = x; top2Account = xa; }
  }
}

const TOUCHED_FUNDS: u32 = 0, TOUCHED_BOOK: u32 = 2;

/**
 * A waterfall run's amounts into step t's metrics. Returns what it touched besides balances outside
 * the book (and the backstop providers' collateral): TOUCHED_BOOK when ADL closed positions or a
 * socialization, a haircut or an assessment moved accounts' money, else TOUCHED_FUNDS.
 */
function noteRun(t: u32): u32 {
  let touched = load<i64>(RUN_RECORD, 48) > 0 ? TOUCHED_BOOK : TOUCHED_FUNDS;
  addMetric(t, MET_DEFICIT, load<i64>(RUN_RECORD, 8));
  addMetric(t, MET_RESIDUE, load<i64>(RUN_RECORD, 16));
  const uncovered = load<i64>(RUN_RECORD, 24);
  addMetric(t, MET_UNCOVERED, uncovered);
  addMetric(t, MET_ADL_NOTIONAL, load<i64>(RUN_RECORD, 40));
  addMetric(t, MET_ADL_ACCOUNTS, load<i64>(RUN_RECORD, 48));
  const n = load<u32>(WF_STATE);
  // Exhausted: a deficit went past the insurance-fund steps (a later step covered some, or some
  // stayed uncovered) in a waterfall that has one.
  let fundSeen: u32 = 0, lastW: u32 = NONE, anyFund = false;
  for (let j: u32 = 0; j < n && j < MAX_STEPS; j++) {
    const kind = <u32>load<u8>(stepPtr(j));
    const w = <u32>load<u8>(stepPtr(j), 1);
    if (w != lastW) { lastW = w; fundSeen = 0; }
    const x = load<i64>(RUN_RECORD + 64 + (<usize>j << 3));
    addMetric(t, MET_COVERED + kind, x);
    if (kind == Tranche.SocializeFunding || kind == Tranche.HaircutGains || kind == Tranche.HaircutDeposits) addMetric(t, MET_SOCIALIZED, x);
    if (kind == Tranche.InsuranceFund) { fundSeen = 1; anyFund = true; }
    else if (fundSeen != 0 && x > 0) exhausted = true;
    if (x > 0 && kind != Tranche.InsuranceFund && kind != Tranche.BackstopVault
      && kind != Tranche.DefaulterFund && kind != Tranche.OperatorCapital) touched = TOUCHED_BOOK;
  }
  if (anyFund && uncovered > 0) exhausted = true;
  return touched;
}
