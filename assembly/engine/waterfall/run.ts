/**
 * The loss waterfall's run (docs/WATERFALL.md): every pending deficit record through its waterfall,
 * one step at a time (the dispatcher, `runStep`, above the steps in prefunded.ts, adl.ts and
 * socialize.ts, which share the helpers of steps.ts).
 *
 * A run is tranche-major: each step serves every open record of its waterfall in record order before
 * the next step starts. A step that splits among many payers first assigns each record its part (up
 * to the step's capacity), then splits the step's total once, so a haircut over a million accounts
 * costs one pass however many deficits it serves.
 *
 * Conservation: collateral + funds + operator capital + default fund + residue + liquidator fees +
 * flows - deficits recorded + covered is unchanged by a run; the debug build
 * checks it around every run.
 */
import { addWide } from '../../math/wide';
import { AMOUNT_LIMIT } from '../../math/fixed';
import { Column, i64At, u32At, NO_STEP } from '../../abi/layout';
import { Field, Ranking, Role, Status, Tranche } from '../../abi/status';
import { BalancesRecord, I128_HI, LedgerRecord, LiqRecord, RunRecord, StepRecord, WaterfallStateRecord } from '../../abi/records';
import { accountCount, bookChanged, fail, LIQ_RECORD, nextEpoch, NONE, resultsCurrent } from '../state';
import { checkRange } from '../margin/check';
import { BALANCES, LEDGER_RECORD, ledgerSum } from '../funds';
import { stepPtr, WF_STATE } from './config';
import { addRunTotal, beginAudit, auditPending, deficitCount, defMarket, emit, openOf, RUN_RECORD, serves } from './steps';
import { runBackstop, runDefaulterFund, runInsuranceFund, runOperatorCapital, observePeaks } from './prefunded';
import { runAdl } from './adl';
import { runAssessments, runGains, runDeposits, runMembersFund, runSocializeFunding, runVaultShares } from './socialize';

/**
 * A simulation checks the book only when a ranked ADL step is about to serve open records (the
 * figures are then those of the book as earlier steps left it), instead of requiring a check before
 * every run: most runs end at the insurance fund.
 */
let figuresOnDemand = false;
export function setFiguresOnDemand(on: bool): void { figuresOnDemand = on; }

/**
 * Runs every pending deficit record through its waterfall at time `now` (seconds, not earlier than
 * the last run's). Errors (nothing changed): InvalidWaterfall (none configured), OutOfRange (NowSec),
 * ResultsStale (a ranked ADL step needs the figures of a check of the current book).
 */
export function allocate(now: i64): i32 {
  if (load<u32>(WF_STATE, WaterfallStateRecord.configured) == 0) return fail(Status.InvalidWaterfall, Field.Waterfall, -1);
  if (now < load<i64>(WF_STATE, WaterfallStateRecord.lastNowSec) || now > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.NowSec, -1);
  const nSteps = load<u32>(WF_STATE, WaterfallStateRecord.steps);
  const n = deficitCount();
  for (let j: u32 = 0; j < nSteps; j++) {
    const p = stepPtr(j);
    if (load<u8>(p, StepRecord.kind) == <u8>Tranche.Adl && <u32>load<u8>(p, StepRecord.ranking) < <u32>Ranking.RandomWalk && !resultsCurrent && n > 0 && !figuresOnDemand) return fail(Status.ResultsStale, Field.None, -1);
  }
  if (!ASC_NO_ASSERT) ledgerSum();
  const before = !ASC_NO_ASSERT ? load<i64>(LEDGER_RECORD, LedgerRecord.total) : 0;
  const beforeHi = !ASC_NO_ASSERT ? load<i64>(LEDGER_RECORD, LedgerRecord.total + I128_HI) : 0;
  store<u32>(WF_STATE, load<u32>(WF_STATE, WaterfallStateRecord.event) + 1, WaterfallStateRecord.event);
  store<i64>(WF_STATE, now, WaterfallStateRecord.lastNowSec);
  memory.fill(RUN_RECORD, 0, RunRecord.BYTES);
  store<u32>(RUN_RECORD, n, RunRecord.deficits);
  beginAudit();
  // Defaulters of this run: stamped (AccStamp = epoch) for the clearing-house steps.
  const epoch = nextEpoch();
  for (let k: u32 = 0; k < n; k++) {
    addRunTotal(RunRecord.deficitQuote, load<i64>(i64At(Column.DefAmount, k)));
    store<u32>(u32At(Column.AccStamp, load<u32>(u32At(Column.DefAccount, k))), epoch);
  }
  observePeaks(nSteps, now);
  const nW = load<u32>(WF_STATE, WaterfallStateRecord.waterfalls);
  for (let w: u32 = 0; w < nW; w++) {
    for (let j: u32 = 0; j < nSteps; j++) {
      if (<u32>load<u8>(stepPtr(j), StepRecord.waterfall) != w) continue;
      runStep(j, w, n, epoch);
    }
  }
  for (let k: u32 = 0; k < n; k++) {
    const r = openOf(k);
    if (r <= 0) continue;
    addWide(BALANCES + BalancesRecord.uncovered, r);
    addRunTotal(RunRecord.uncoveredQuote, r);
    emit(k, NO_STEP, Role.Uncovered, NONE, defMarket(k), r, 0, 0);
  }
  store<u32>(LIQ_RECORD, 0, LiqRecord.deficits);
  store<u32>(RUN_RECORD, auditPending(), RunRecord.auditLeft);
  bookChanged();
  if (!ASC_NO_ASSERT) {
    ledgerSum();
    assert(load<i64>(LEDGER_RECORD, LedgerRecord.total) == before && load<i64>(LEDGER_RECORD, LedgerRecord.total + I128_HI) == beforeHi, 'conservation: the ledger moved in a waterfall run');
  }
  return Status.Ok;
}

function anyOpen(w: u32, n: u32): bool {
  for (let k: u32 = 0; k < n; k++) if (serves(k, w)) return true;
  return false;
}

function runStep(j: u32, w: u32, n: u32, epoch: u32): void {
  const kind = <u32>load<u8>(stepPtr(j), StepRecord.kind);
  switch (kind) {
    case Tranche.InsuranceFund: runInsuranceFund(j, w, n); break;
    case Tranche.BackstopVault: runBackstop(j, w, n); break;
    case Tranche.Adl:
      if (figuresOnDemand && !resultsCurrent && <u32>load<u8>(stepPtr(j), StepRecord.ranking) < <u32>Ranking.RandomWalk && anyOpen(w, n)) {
        // The check runs in every build (the ranking needs its figures); only the test of its status is an assertion.
        const checked = checkRange(0, accountCount);
        assert(checked == Status.Ok, 'a simulated book checks');
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
