/**
 * Stress simulation: the step loop over the whole pipeline (docs/SIMULATION.md).
 *
 * `simPrepare` lays out the simulation area past the book's columns (once per engine, area.ts) and
 * snapshots the book (snapshot.ts); `simRestore` puts the snapshot back, so every path starts from
 * the same book. A path (paths.ts) then runs, for t = 1..steps:
 *
 *   marks     path[t] times the market's impact level; funding indices += floor(mark * rate / 10^6)
 *             (impact.ts)
 *   check     every account (or, skipping, only those prices may have made liquidatable: bounds.ts)
 *   rounds    plan; closes execute worse than the mark (impact); deficits through the waterfall;
 *             the round's net impact moves the market's level, which the next step's marks carry
 *
 * JavaScript writes the scenario into the header (SimHeaderRecord) and reads the path record there
 * and the per-step metrics (Metric) after each path.
 */
import { addAmount, addOverflowBits, OVERFLOWED } from '../../math/fixed';
import { col, Column, i64At, marketPtr, u32At } from '../../abi/layout';
import { Field, Health, Metric, METRICS, SimArray, Status, Tranche } from '../../abi/status';
import { BalancesRecord, EconomicsRecord, ExecRecord, LiqRecord, MarketRecord, MAX_STEPS, PlanRecord, RunRecord, SimHeaderRecord, StepRecord, WaterfallStateRecord } from '../../abi/records';
import { accountCount, fail, LIQ_RECORD, marketCount, NONE, resultsCurrent, setResultsCurrent, tallyPtr } from '../state';
import { setResultsValid } from '../state';
import { planLiquidations } from '../liquidation/plan';
import { PLAN_RECORD } from '../liquidation/log';
import { policyBackstopAccount } from '../liquidation/policy';
import { EXEC_RECORD, executePlan } from '../liquidation/execute';
import { allocate, setFiguresOnDemand } from '../waterfall/run';
import { RUN_RECORD, setAuditToHost } from '../waterfall/steps';
import { activeTrancheKinds, stepPtr, WF_STATE } from '../waterfall/config';
import { backstopPayer } from '../waterfall/prefunded';
import { defaultFundSum, vaultNav } from '../waterfall/parties';
import { BALANCES, ECONOMICS, setFlows } from '../funds';
import { beginPathEconomics, chargeVolume, distributeStep, stakerValueQuote, treasuryQuote } from './economics';
import { vaultTarget } from '../economics/revenue';
import { layOutRegions, Region, regionPtr } from './area';
import { beginPathWithdrawals, endPathWithdrawals, withdrawalStep } from './withdrawals';
import { unstakedQuote } from './stakers';
import { bookAsRestored, markAllDirty, markDirty, pathEnded, prepareSnapshot, simulationPrepared } from './snapshot';
import { preparePaths } from './paths';
import { accountsChecked, beginPathChecks, boundSnapshot, checkStep, epochsRecorded, firstEpoch, fullCheck, prepareBounds, prepareWeights, recheck, useSnapshotBounds } from './bounds';
import { clearClosed, clearNet, moveLevels, movePrices, prepareDepths, prepareImpact, priceCloses, resetLevels } from './impact';

/** JavaScript's answer to "stop this path?" (a cancelled run), asked once per step. */
@external("env", "simInterrupted")
declare function simInterrupted(): i32;

// The prepared simulation: its header, metrics and per-account losses (area.ts regions), its shape.
let header: usize = 0, metrics: usize = 0, loss: usize = 0;
let simSteps: u32 = 0, simMarkets: u32 = 0;
/** The snapshot holds a check's results (and every account's bound with them). */
let snapshotChecked = false;

/** The simulation area's arrays JavaScript reads and writes (SimArray), 0 before a preparation. */
export function simPtr(k: u32): usize {
  // Region begins with SimArray's arrays, numbered alike (area.ts).
  return k <= <u32>SimArray.Depth ? regionPtr(<Region>k) : 0;
}

/**
 * Lays out the simulation area for `steps` steps and `maxRounds` rounds per step, with room for a
 * correlation factor when `withFactor`, and snapshots the book as it is now. The area is reused
 * (area.ts): memory grows only when no earlier preparation or reservation was as large. Errors: NotInitialized (no markets), InvalidScenario (steps not in 1..100,000, rounds not in
 * 1..64, a factor over more than 1,024 markets), CapacityExceeded (the area does not fit 4 GiB).
 */
export function simPrepare(steps: u32, maxRounds: u32, withFactor: bool): i32 {
  const m = marketCount;
  if (m == 0) return fail(Status.NotInitialized, Field.MarketId, -1);
  if (steps == 0 || steps > 100_000) return fail(Status.InvalidScenario, Field.Steps, -1);
  if (maxRounds == 0 || maxRounds > 64) return fail(Status.InvalidScenario, Field.Steps, -1);
  if (withFactor && m > 1024) return fail(Status.InvalidScenario, Field.Correlation, -1);
  const epochs = steps + 1;
  // The regions start as fresh memory does, at zero, wherever an earlier preparation put its own.
  if (!layOutRegions(steps, withFactor, m)) return fail(Status.CapacityExceeded, Field.Capacity, -1);
  header = regionPtr(Region.Header); metrics = regionPtr(Region.Metrics); loss = regionPtr(Region.Loss);
  simSteps = steps; simMarkets = m;
  preparePaths(steps, m, withFactor);
  prepareBounds(m, epochs);
  prepareImpact(m);
  // The scenario's parameters (from SimHeaderRecord.flags on) are JavaScript's to write (src/simulation/simulator.ts).
  store<u32>(header, steps, SimHeaderRecord.steps); store<u32>(header, maxRounds, SimHeaderRecord.maxRounds); store<u32>(header, m, SimHeaderRecord.markets);
  const path = regionPtr(Region.Path);
  for (let i: u32 = 0; i < m; i++) store<i64>(path + (<usize>i << 3), load<i64>(marketPtr(i), MarketRecord.mark));
  prepareWeights();
  prepareSnapshot();
  // When the snapshot holds a check's results, every account's bound at epoch 0 is kept with it.
  snapshotChecked = resultsCurrent;
  if (snapshotChecked) boundSnapshot();
  return Status.Ok;
}

// ---- The step loop ----------------------------------------------------------------------------------

let top1: i64 = 0, top2: i64 = 0, top1Account: u32 = NONE, top2Account: u32 = NONE;
let exhausted = false;

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
  if (!simulationPrepared()) return fail(Status.NotInitialized, Field.Steps, -1);
  if (marketCount != simMarkets) return fail(Status.InvalidScenario, Field.MarketId, <i32>marketCount);
  const steps = simSteps, m = simMarkets;
  const maxRounds = load<u32>(header, SimHeaderRecord.maxRounds);
  beginPathChecks(skip);
  setAuditToHost(false);
  setFlows(false);
  setFiguresOnDemand(true);
  memory.fill(metrics, 0, <usize>steps * METRICS * 8);
  memory.fill(loss, 0, <usize>accountCount << 3);
  resetLevels();
  top1 = 0; top2 = 0; top1Account = NONE; top2Account = NONE; exhausted = false;
  prepareWeights(); // a variant may have scaled the margins
  prepareDepths();
  // Prefunded resources at the start: what the variant's waterfall can draw on that was paid in
  // before the loss: the funds (an insurance-fund step), the vault's NAV (a vault or vault-share
  // step), the default fund (a members' or defaulter's fund step), the operator's capital (its step).
  // A resource the book holds but no step draws on (another variant's) is not prefunded for this one.
  const kinds = activeTrancheKinds();
  const hasFund = (kinds & (1 << Tranche.InsuranceFund)) != 0, hasVault = (kinds & ((1 << Tranche.BackstopVault) | (1 << Tranche.HaircutVaultShares))) != 0;
  const hasMembers = (kinds & ((1 << Tranche.MembersFund) | (1 << Tranche.DefaulterFund))) != 0, hasOperator = (kinds & (1 << Tranche.OperatorCapital)) != 0;
  let prefunded = checkedAdd(hasFund ? fundTotal() : 0, hasVault ? vaultNav() : 0);
  prefunded = checkedAdd(checkedAdd(prefunded, hasMembers ? defaultFundSum() : 0),
    hasOperator ? checkedAdd(load<i64>(BALANCES, BalancesRecord.operatorLayer1), load<i64>(BALANCES, BalancesRecord.operatorLayer2)) : 0);
  if (prefunded == OVERFLOWED) return finish(fail(Status.Overflow, Field.FundId, -1));
  store<i64>(header, prefunded, SimHeaderRecord.prefundedQuote);
  firstEpoch();
  beginPathEconomics(header);
  beginPathWithdrawals(fundTotal());
  const staked0 = stakerValueQuote(), nav0 = vaultNav();
  if (staked0 == OVERFLOWED || nav0 == OVERFLOWED) return finish(fail(Status.Overflow, Field.FundId, -1));
  store<i64>(header, staked0, SimHeaderRecord.startStakerValue);
  store<i64>(header, nav0, SimHeaderRecord.startVaultNav);
  store<i64>(header, treasuryQuote(), SimHeaderRecord.startTreasury);
  let st = Status.Ok;
  if (snapshotChecked && bookAsRestored()) {
    // The book as the snapshot holds it (a fund top-up or a waterfall does not change it): its
    // results are those of the check before the snapshot, its bounds those computed then.
    setResultsValid(true);
    setResultsCurrent(true);
    useSnapshotBounds();
  } else {
    st = fullCheck();
    if (st != Status.Ok) return finish(st);
  }
  const lastNowSec = load<i64>(WF_STATE, WaterfallStateRecord.lastNowSec), startSecond = load<i64>(header, SimHeaderRecord.startSecond);
  const stakingSec = load<i64>(ECONOMICS, EconomicsRecord.stakingSec), capacitySec = load<i64>(ECONOMICS, EconomicsRecord.capacitySec);
  let startSec = lastNowSec > startSecond ? lastNowSec : startSecond;
  // Staking and the withdrawal capacity refuse a second before their latest.
  if (stakingSec > startSec) startSec = stakingSec;
  if (capacitySec > startSec) startSec = capacitySec;
  const stepSec = load<i64>(header, SimHeaderRecord.stepSeconds);
  for (let t: u32 = 1; t <= steps; t++) {
    if (simInterrupted() != 0) return finish(fail(Status.Interrupted, Field.Steps, <i32>t));
    st = movePrices(t);
    if (st != Status.Ok) return finish(st);
    st = checkStep();
    if (st != Status.Ok) return finish(st);
    clearClosed();
    for (let round: u32 = 0; round < maxRounds; round++) {
      if (openGroups() == 0) break;
      st = planLiquidations();
      if (st != Status.Ok) return finish(st);
      const rows = load<u32>(PLAN_RECORD, PlanRecord.rows);
      if (rows == 0) break;
      addMetric(t, Metric.Rounds, 1);
      clearNet();
      st = priceCloses(rows);
      if (st != Status.Ok) return finish(st);
      const before = load<u32>(LIQ_RECORD, LiqRecord.deficits);
      st = executePlan();
      if (st != Status.Ok) return finish(st);
      addMetric(t, Metric.Closes, load<i64>(EXEC_RECORD, ExecRecord.closes));
      addMetric(t, Metric.Groups, load<i64>(EXEC_RECORD, ExecRecord.groups));
      addMetric(t, Metric.ClosedNotional, load<i64>(EXEC_RECORD, ExecRecord.closedNotionalQuote));
      const after = load<u32>(LIQ_RECORD, LiqRecord.deficits);
      noteLosses(before, after);
      if (after > 0) {
        st = allocate(startSec + <i64>t * stepSec);
        if (st != Status.Ok) return finish(st);
        // What the run touched: nothing but funds and the backstop providers' collateral, or any
        // account (the whole book is checked again).
        if (noteRun(t) == TOUCHED_BOOK) { markAllDirty(); st = fullCheck(); }
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
    st = stepEconomics(t, startSec + <i64>t * stepSec);
    if (st != Status.Ok) return finish(st);
    const fundsBefore = fundTotal(); // the run's chance reads the funds before it
    if (fundsBefore == OVERFLOWED) return finish(fail(Status.Overflow, Field.FundId, -1));
    st = withdrawalStep(t, startSec + <i64>t * stepSec, fundsBefore);
    if (st != Status.Ok) return finish(st);
    const funds = fundTotal(), nav = vaultNav(), staked = stakerValueQuote();
    if (funds == OVERFLOWED || nav == OVERFLOWED || staked == OVERFLOWED || addAmount(staked, unstakedQuote()) == OVERFLOWED) return finish(fail(Status.Overflow, Field.FundId, -1));
    store<i64>(metric(t, Metric.Queued), load<i64>(ECONOMICS, EconomicsRecord.queuedQuote));
    store<i64>(metric(t, Metric.InsuranceFund), funds);
    store<i64>(metric(t, Metric.VaultNav), nav);
    store<i64>(metric(t, Metric.Treasury), treasuryQuote());
    // The stakers' holdings and what the path's unstakes paid them (withdrawals.ts moved them).
    store<i64>(metric(t, Metric.StakerValue), staked + unstakedQuote());
  }
  endPathWithdrawals();
  return finish(Status.Ok);
}

/**
 * Step t's economics (economics.ts): the volume's fees into the pools (more volume on a step with
 * liquidations), and every `revenueEverySteps` steps the pools through the split; a vault account
 * the split credited is checked again.
 */
function stepEconomics(t: u32, nowSec: i64): i32 {
  const fees = chargeVolume(header, load<i64>(metric(t, Metric.Closes)) > 0);
  if (fees == OVERFLOWED) return fail(Status.Overflow, Field.AmountQuote, <i32>t);
  store<i64>(metric(t, Metric.FeeRevenue), fees);
  const every = load<u32>(header, SimHeaderRecord.revenueEverySteps);
  if (every == 0 || t % every != 0) return Status.Ok;
  const st = distributeStep(nowSec);
  if (st != Status.Ok) return st;
  const v = vaultTarget(); // NONE, or the open vault account the split credited
  return v == NONE || recheck(v) ? Status.Ok : fail(Status.Overflow, Field.AccountId, <i32>v);
}

function finish(st: i32): i32 {
  if (st != Status.Ok) markAllDirty();
  pathEnded();
  setAuditToHost(true);
  setFlows(true);
  setFiguresOnDemand(false);
  store<i64>(header, top1, SimHeaderRecord.cover1Quote);
  store<i64>(header, top1 + top2, SimHeaderRecord.cover2Quote);
  store<u32>(header, exhausted ? 1 : 0, SimHeaderRecord.fundExhausted);
  store<u64>(header, accountsChecked(), SimHeaderRecord.accountsChecked);
  store<u32>(header, epochsRecorded(), SimHeaderRecord.epochs);
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
  for (let f: u32 = 0; f <= marketCount; f++) s = checkedAdd(s, load<i64>(i64At(Column.FundBalance, f)));
  return s;
}

/** Adds the new deficit records [from, to) to their accounts' path losses and keeps the two largest. */
function noteLosses(from: u32, to: u32): void {
  for (let k = from; k < to; k++) {
    const a = load<u32>(u32At(Column.DefAccount, k));
    const p = loss + (<usize>a << 3);
    const v = load<i64>(p) + load<i64>(i64At(Column.DefAmount, k));
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
  let touched = load<i64>(RUN_RECORD, RunRecord.adlAccounts) > 0 ? TOUCHED_BOOK : TOUCHED_FUNDS;
  addMetric(t, Metric.Deficit, load<i64>(RUN_RECORD, RunRecord.deficitQuote));
  addMetric(t, Metric.Residue, load<i64>(RUN_RECORD, RunRecord.residueQuote));
  const uncovered = load<i64>(RUN_RECORD, RunRecord.uncoveredQuote);
  addMetric(t, Metric.Uncovered, uncovered);
  addMetric(t, Metric.AdlNotional, load<i64>(RUN_RECORD, RunRecord.adlNotionalQuote));
  addMetric(t, Metric.AdlAccounts, load<i64>(RUN_RECORD, RunRecord.adlAccounts));
  const n = load<u32>(WF_STATE, WaterfallStateRecord.steps);
  // Exhausted: a deficit went past the insurance-fund steps (a later step covered some, or some
  // stayed uncovered) in a waterfall that has one.
  let fundSeen: u32 = 0, lastW: u32 = NONE, anyFund = false;
  for (let j: u32 = 0; j < n && j < MAX_STEPS; j++) {
    const kind = <u32>load<u8>(stepPtr(j), StepRecord.kind);
    const w = <u32>load<u8>(stepPtr(j), StepRecord.waterfall);
    if (w != lastW) { lastW = w; fundSeen = 0; }
    const x = load<i64>(RUN_RECORD + RunRecord.stepCovered + (<usize>j << 3));
    addMetric(t, Metric.Covered + kind, x);
    if (kind == Tranche.SocializeFunding || kind == Tranche.HaircutGains || kind == Tranche.HaircutDeposits) addMetric(t, Metric.Socialized, x);
    if (kind == Tranche.InsuranceFund) { fundSeen = 1; anyFund = true; }
    else if (fundSeen != 0 && x > 0) exhausted = true;
    if (x > 0 && kind != Tranche.InsuranceFund && kind != Tranche.BackstopVault
      && kind != Tranche.DefaulterFund && kind != Tranche.OperatorCapital) touched = TOUCHED_BOOK;
  }
  if (anyFund && uncovered > 0) exhausted = true;
  return touched;
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
  const n = load<u32>(WF_STATE, WaterfallStateRecord.steps);
  for (let j: u32 = 0; j < n && j < MAX_STEPS; j++) {
    if (<u32>load<u8>(stepPtr(j), StepRecord.kind) != Tranche.BackstopVault || load<i64>(RUN_RECORD + RunRecord.stepCovered + (<usize>j << 3)) == 0) continue;
    for (let i: u32 = 0; ; i++) {
      const a = backstopPayer(j, i);
      if (a == NONE) break;
      if (a < accountCount && !recheck(a)) return Status.Overflow;
    }
  }
  return Status.Ok;
}

