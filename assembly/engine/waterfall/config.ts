/**
 * The loss waterfall's configuration (docs/WATERFALL.md): the staged and active step records
 * (StepRecord), the backstop providers (BackstopRecord) and the waterfall state (WaterfallStateRecord),
 * with the validation that makes a staged configuration active.
 *
 *   STAGE_STEPS / STAGE_BACKSTOP   JavaScript writes a configuration here, then calls setWaterfall
 *   STEPS / BACKSTOP               the active copy the run reads (stepPtr, backstopPtr)
 *   WF_STATE                       steps, waterfalls, configured; the run's event counter and nowSec
 */
import { AMOUNT_LIMIT } from '../../math/fixed';
import { col, Column, u8At } from '../../abi/layout';
import { Field, Ranking, Status, Tranche, TRANCHE_KINDS } from '../../abi/status';
import { BackstopRecord, MAX_BACKSTOP, MAX_STEPS, StepRecord, WaterfallStateRecord } from '../../abi/records';
import { accountCount, fail, marketCount } from '../state';

/** An insurance-fund step's fund: the deficit's market's fund rather than one fund. */
export const FUND_MARKET: u32 = 0xFFFFFFFF;

/** JavaScript writes a configuration here, then calls `setWaterfall`; it becomes active only if valid. */
export const STAGE_STEPS: usize = memory.data(<i32>(MAX_STEPS * StepRecord.BYTES), 8);
export const STAGE_BACKSTOP: usize = memory.data(<i32>(MAX_BACKSTOP * BackstopRecord.BYTES), 8);
const STEPS: usize = memory.data(<i32>(MAX_STEPS * StepRecord.BYTES), 8);
const BACKSTOP: usize = memory.data(<i32>(MAX_BACKSTOP * BackstopRecord.BYTES), 8);
/** The active configuration and the run counters (WaterfallStateRecord). */
export const WF_STATE: usize = memory.data(WaterfallStateRecord.BYTES, 8);

/** The active step record j. */
// @ts-ignore: decorator
@inline export function stepPtr(j: u32): usize { return STEPS + <usize>j * StepRecord.BYTES; }
/** The active backstop provider record i. */
// @ts-ignore: decorator
@inline export function backstopPtr(i: u32): usize { return BACKSTOP + <usize>i * BackstopRecord.BYTES; }
/** The tranche kinds the active configuration has a step of, in any waterfall: bit k for Tranche k. */
export function activeTrancheKinds(): u32 {
  let kinds: u32 = 0;
  const n = load<u32>(WF_STATE, WaterfallStateRecord.steps);
  for (let j: u32 = 0; j < n; j++) kinds |= (<u32>1) << <u32>load<u8>(stepPtr(j), StepRecord.kind);
  return kinds;
}

export function eventId(): u32 { return load<u32>(WF_STATE, WaterfallStateRecord.event); }
export function nowSec(): i64 { return load<i64>(WF_STATE, WaterfallStateRecord.lastNowSec); }

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
  memory.copy(STEPS, STAGE_STEPS, <usize>nSteps * StepRecord.BYTES);
  memory.copy(BACKSTOP, STAGE_BACKSTOP, <usize>nBackstop * BackstopRecord.BYTES);
  for (let i: u32 = 0; i < nBackstop; i++) store<i64>(backstopPtr(i), load<i64>(backstopPtr(i), BackstopRecord.capacity), BackstopRecord.left);
  for (let m: u32 = 0; m < marketCount; m++) store<u8>(u8At(Column.MarketWaterfall, m), <u8>load<u32>(io + (<usize>m << 2)));
  store<u32>(WF_STATE, nSteps, WaterfallStateRecord.steps);
  store<u32>(WF_STATE, nWaterfalls, WaterfallStateRecord.waterfalls);
  store<u32>(WF_STATE, 1, WaterfallStateRecord.configured);
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
    const p = STAGE_STEPS + <usize>j * StepRecord.BYTES;
    const kind = <u32>load<u8>(p, StepRecord.kind), w = <u32>load<u8>(p, StepRecord.waterfall);
    if (kind >= TRANCHE_KINDS) return fail(Status.InvalidWaterfall, Field.Tranche, <i32>j);
    if (w >= nWaterfalls || w < lastW || w > lastW + 1) return fail(Status.InvalidWaterfall, Field.Waterfall, <i32>j);
    if (j == 0 && w != 0) return fail(Status.InvalidWaterfall, Field.Waterfall, <i32>j);
    lastW = w;
    for (let i: u32 = 0; i < j; i++) {
      const q = STAGE_STEPS + <usize>i * StepRecord.BYTES;
      if (<u32>load<u8>(q, StepRecord.waterfall) == w && <u32>load<u8>(q, StepRecord.kind) == kind) {
        const same = (kind != Tranche.InsuranceFund && kind != Tranche.OperatorCapital) || load<u32>(q, StepRecord.param) == load<u32>(p, StepRecord.param);
        if (same) return fail(Status.InvalidWaterfall, Field.Tranche, <i32>j);
      }
    }
    // amount, floor, marketCap, marketCapWindowSec: i64 amounts of 0..2^62 (an ADL step's amount is its seed)
    for (let off: u32 = StepRecord.amount; off < <u32>StepRecord.ppm; off += 8) {
      const v = load<i64>(p + off);
      if ((v < 0 || v > AMOUNT_LIMIT) && !(kind == Tranche.Adl && off == <u32>StepRecord.amount)) return fail(Status.InvalidWaterfall, Field.AmountQuote, <i32>j);
    }
    const dw = load<i64>(p, StepRecord.drawdownWindowSec);
    if (dw < 0 || dw > AMOUNT_LIMIT) return fail(Status.InvalidWaterfall, Field.NowSec, <i32>j);
    const ppm = load<u32>(p, StepRecord.ppm);
    if (kind != Tranche.Assessments && ppm > 1_000_000) return fail(Status.InvalidWaterfall, Field.Ppm, <i32>j);
    if (kind == Tranche.Assessments && (ppm == 0 || ppm > 100_000_000)) return fail(Status.InvalidWaterfall, Field.Ppm, <i32>j);
    if (kind == Tranche.InsuranceFund) {
      const f = load<u32>(p, StepRecord.param);
      if (f != FUND_MARKET && f > marketCount) return fail(Status.InvalidWaterfall, Field.FundId, <i32>j);
      if (ppm > 0 && dw == 0) return fail(Status.InvalidWaterfall, Field.NowSec, <i32>j);
    }
    if (kind == Tranche.OperatorCapital) {
      const l = load<u32>(p, StepRecord.param);
      if (l < 1 || l > 2) return fail(Status.InvalidWaterfall, Field.FundId, <i32>j);
    }
    if (kind == Tranche.Adl) {
      const r = <u32>load<u8>(p, StepRecord.ranking);
      if (r > <u32>Ranking.Largest || load<u8>(p, StepRecord.mode) > 1) return fail(Status.InvalidWaterfall, Field.Ranking, <i32>j);
      if (r == <u32>Ranking.Largest && (load<u32>(p, StepRecord.param) == 0 || load<u32>(p, StepRecord.param) > 64)) return fail(Status.InvalidWaterfall, Field.TopK, <i32>j);
    }
    if (kind == Tranche.BackstopVault) {
      const first = <u32>load<u16>(p, StepRecord.firstProvider), n = <u32>load<u16>(p, StepRecord.providers);
      if (first + n > nBackstop) return fail(Status.InvalidWaterfall, Field.BackstopAccountId, <i32>j);
      let weighted: u32 = 0, weightSum: u64 = 0;
      for (let i = first; i < first + n; i++) {
        const b = STAGE_BACKSTOP + <usize>i * BackstopRecord.BYTES;
        const a = load<u32>(b, BackstopRecord.account);
        if (a >= accountCount) return fail(Status.UnknownAccount, Field.BackstopAccountId, <i32>j);
        const cap = load<i64>(b, BackstopRecord.capacity);
        if (cap < 0 || cap > AMOUNT_LIMIT) return fail(Status.InvalidWaterfall, Field.CapacityQuote, <i32>j);
        for (let i2 = first; i2 < i; i2++) {
          if (load<u32>(STAGE_BACKSTOP + <usize>i2 * BackstopRecord.BYTES, BackstopRecord.account) == a) return fail(Status.InvalidWaterfall, Field.BackstopAccountId, <i32>j);
        }
        const wp = load<u32>(b, BackstopRecord.weightPpm);
        if (wp > 0) weighted++;
        weightSum += wp;
      }
      if (weighted != 0 && (weighted != n || weightSum != 1_000_000)) return fail(Status.InvalidWaterfall, Field.WeightPpm, <i32>j);
    }
  }
  if (lastW != nWaterfalls - 1) return fail(Status.InvalidWaterfall, Field.Waterfall, <i32>nWaterfalls - 1);
  return Status.Ok;
}
