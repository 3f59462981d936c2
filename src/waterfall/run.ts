/**
 * Running the loss waterfall: the time of a run, the keys of the caller's ranking functions
 * (computed before anything moves), the ADL queue a venue shows, and one engine's waterfall stage
 * (the active configuration, the audit history, the run itself).
 */
import { describeValue, inputError } from '../errors.js';
import { toRecord } from '../atoms.js';
import { Column } from '../abi/columns.js';
import type { CallOut, EngineInternals } from '../abi/internals.js';
import type { Raw } from '../abi/raw.js';
import { check } from '../book/margin.js';
import { AuditLog } from './audit.js';
import { encodeWaterfall, type AdlCandidate, type AdlRankingFunction, type AdlRankingName, type AllocateOptions, type AllocationReport, type EncodedWaterfall, type WaterfallConfig } from './config.js';
import { auditChunk, pendingDeficits, runReport } from './report.js';
import { ADL_RANKINGS, CUSTOM_RANKING, rankingCode } from '../abi/codes.js';

/**
 * The time of a run (`allocateLosses` options, or the cascade's `allocate`): `nowSec` whole seconds,
 * not before the last run's (`lastNowSec`, also the default). Options that are not an object, or a
 * `nowSec` that is not a safe integer in that range, are InputErrors naming the field.
 */
export function allocationTime(options: AllocateOptions, lastNowSec: bigint): bigint {
  const nowSec: unknown = toRecord(options, 'options').nowSec;
  if (nowSec === undefined) return lastNowSec;
  if (typeof nowSec !== 'number' || !Number.isSafeInteger(nowSec)) throw inputError('InvalidNumber', 'nowSec', -1, `${describeValue(nowSec)} is not whole seconds`);
  if (BigInt(nowSec) < lastNowSec) throw inputError('OutOfRange', 'nowSec', -1, `${nowSec} is before the last run (${lastNowSec})`);
  return BigInt(nowSec);
}

/** One position in an ADL queue. */
export interface AdlRank { accountId: number; isolated: boolean; key: number; quantile: number }

/** A caller's ranking keys for one market side's candidates, by holder tag (an isolated row's has the top bit set). */
type RankingKeys = Map<number, number>;

/**
 * A caller's ranking keys for the candidates of market / side (+1 long, -1 short) as they are now:
 * `fn` is called once per candidate, in account order, through `callOut`. Nothing in the core has
 * moved yet, so a failure refuses whole: a throw (its own error, or a refused call into the engine)
 * or a key that is not a finite number is an InputError InvalidWaterfall naming the field `ranking`
 * and `row` (the step; -1 for the indicator), with the function's error as its cause. E and M are
 * those of the last check, or with `current` those a check of the book now gives (a run: it checks
 * the book only once its keys are known, so a refusal leaves even the figures as they were).
 */
function rankingKeys(raw: Raw, fn: AdlRankingFunction, market: number, side: number, row: number, callOut: CallOut, current: boolean): RankingKeys {
  const n = raw.adlCandidates(market, side);
  if (n < 0) throw inputError('UnknownMarket', 'marketId', row, describeValue(market));
  const keys: RankingKeys = new Map();
  const chunk = raw.adlInputRows();
  const F = raw.abi.records.AdlInput, isolatedTag = raw.abi.limits.isolatedTag;
  const U32 = Uint32Array.BYTES_PER_ELEMENT, I64 = BigInt64Array.BYTES_PER_ELEMENT;
  for (let from = 0; from < n; from += chunk) {
    const count = Math.min(chunk, n - from);
    raw.adlCandidateInputs(from, count, current);
    const words = raw.view(Uint32Array, Column.AdlInputs, 0, count * (F.BYTES / U32));
    const rows = raw.view(BigInt64Array, Column.AdlInputs, 0, count * (F.BYTES / I64));
    for (let i = 0; i < count; i++) {
      const tag = words[(i * F.BYTES + F.tag) / U32]!;
      const at = (offset: number): bigint => rows[(i * F.BYTES + offset) / I64]!;
      const candidate: AdlCandidate = {
        accountId: words[(i * F.BYTES + F.account) / U32]!, marketId: market, isolated: tag >= isolatedTag, sizeBase: at(F.size),
        unrealizedPnlQuote: at(F.pnl), notionalQuote: at(F.notional), entryValueQuote: at(F.entry),
        equityQuote: at(F.equity), mmQuote: at(F.mm), collateralQuote: at(F.collateral),
      };
      let key: unknown;
      try {
        key = callOut(() => fn(candidate));
      } catch (cause) {
        const e = inputError('InvalidWaterfall', 'ranking', row, `the ranking function threw for account ${candidate.accountId}: ${describeValue(cause)}`);
        e.cause = cause;
        throw e;
      }
      if (typeof key !== 'number' || !Number.isFinite(key)) {
        throw inputError('InvalidWaterfall', 'ranking', row, `the ranking function returned ${describeValue(key)} for account ${candidate.accountId}: a key is a finite number`);
      }
      keys.set(tag, key);
    }
  }
  return keys;
}

/** Keys of the caller's ranking functions for one call into the core, by `keysFor(step, market, side)`. */
type PresetKeys = Map<string, RankingKeys>;

/** The key of one (step, market, candidates' side) group, as the core's adlKeys hook names it (u32 step). */
const keysFor = (step: number, market: number, side: number): string => `${step >>> 0}/${market}/${side}`;

/**
 * Every key a function-ranked ADL step of the next run could need, computed before the run moves
 * anything: for each such step (in run order) and each (market, side) of the pending records its
 * waterfall serves (in the order of their first record), the function's key of every candidate.
 * Null when no step has a function. Throws as `rankingKeys`.
 */
function runKeys(raw: Raw, waterfall: EncodedWaterfall, callOut: CallOut): PresetKeys | null {
  if (waterfall.functions.size === 0) return null;
  const records = pendingDeficits(raw);
  const waterfallOf = raw.view(Uint8Array, Column.MarketWaterfall, 0, raw.marketCount());
  const out: PresetKeys = new Map();
  for (const [step, fn] of [...waterfall.functions].sort((a, b) => a[0] - b[0])) {
    const w = waterfall.steps[step]!.waterfall;
    for (const r of records) {
      if (r.marketId === null || r.sizeBase === 0n || r.amountQuote <= 0n || waterfallOf[r.marketId] !== w) continue;
      // The candidates hold the side the bankrupt close traded: shorts when a long was sold.
      const side = r.sizeBase < 0n ? -1 : 1;
      const key = keysFor(step, r.marketId, side);
      if (!out.has(key)) out.set(key, rankingKeys(raw, fn, r.marketId, side, step, callOut, true));
    }
  }
  return out;
}

/** The ADL indicator's keys for a ranking function (row -1 in its errors). Throws as `rankingKeys`. */
function indicatorKeys(raw: Raw, fn: AdlRankingFunction, market: number, side: number, callOut: CallOut): PresetKeys {
  // The indicator's ranking goes by the step id NONE.
  return new Map([[keysFor(raw.abi.limits.none, market, side), rankingKeys(raw, fn, market, side, -1, callOut, false)]]);
}

/** Copies the keys computed for the candidates the core lists in AdlId[0..count) into AdlKey (none: ranks last). */
export function copyKeys(raw: Raw, keys: RankingKeys | undefined, count: number): void {
  const ids = raw.view(Uint32Array, Column.AdlId, 0, count), out = raw.view(Float64Array, Column.AdlKey, 0, count);
  for (let i = 0; i < count; i++) out[i] = keys?.get(ids[i]!) ?? -Infinity;
}

/** The ADL queue the core ranked (PayId, PayCap as f64 keys, PayWork as quantiles), as objects. */
export function adlRanks(raw: Raw, marketId: number, side: 'long' | 'short', code: number): AdlRank[] {
  const n = raw.adlRanks(marketId, side === 'long' ? 1 : -1, code);
  const isolatedTag = raw.abi.limits.isolatedTag;
  const ids = raw.view(Uint32Array, Column.PayId, 0, n), keys = raw.view(Float64Array, Column.PayCap, 0, n);
  const quantile = raw.view(BigInt64Array, Column.PayWork, 0, n);
  return Array.from({ length: n }, (_, i) => {
    const tag = ids[i]!;
    const iso = tag >= isolatedTag;
    return { accountId: iso ? raw.view(Uint32Array, Column.IsoAccount, tag - isolatedTag, 1)[0]! : tag, isolated: iso, key: keys[i]!, quantile: Number(quantile[i]!) };
  });
}

/**
 * One engine's loss-waterfall stage: the active configuration, the audit history, and the keys of
 * the caller's ranking functions for the call in progress (the core's adlKeys hook copies them).
 * RiskEngine's waterfall methods delegate here.
 */
export class Losses {
  private waterfall: EncodedWaterfall | null = null;
  readonly audit = new AuditLog();
  /** The event the audit buffers the core hands over belong to. */
  private event = 0;
  /** Keys of the caller's ranking functions for the call in progress. */
  private presetKeys: PresetKeys | null = null;

  constructor(private readonly x: EngineInternals) {}

  /** A waterfall is set. */
  get configured(): boolean { return this.waterfall !== null; }

  set(config: WaterfallConfig): void { this.waterfall = encodeWaterfall(this.x.raw, config, this.x.quoteDecimals); }

  /** The core's auditDrain hook (raw: the engine's, unguarded: the core is mid-call): a full audit buffer of `rows` records goes into the log. */
  drain(raw: Raw, rows: number): void { this.audit.append(this.event, auditChunk(raw, rows), rows, true); }

  /** The core's adlKeys hook: the keys computed for this (step, market, side), into AdlKey. */
  copyKeys(raw: Raw, step: number, market: number, side: number, count: number): void {
    copyKeys(raw, this.presetKeys?.get(keysFor(step, market, side)), count);
  }

  /** Runs every pending deficit record through the waterfall as one event (RiskEngine.allocateLosses). */
  allocate(options: AllocateOptions): AllocationReport {
    const x = this.x, raw = x.raw;
    const now = allocationTime(options, raw.lastNowSec());
    const waterfall = this.waterfall;
    if (!waterfall) throw inputError('InvalidWaterfall', 'waterfall', -1, 'no waterfall set (setWaterfall)');
    // Ranking functions first (they see E and M as a check of the book now gives them), so that one
    // that fails refuses the run before anything changed, the figures included; then ranked ADL
    // reads the figures of a check of the current book.
    const keys = runKeys(raw, waterfall, x.callOut);
    if (waterfall.needsFigures && !raw.resultsCurrent()) check(x);
    // Nothing can refuse the run now: the event opens first, so full audit buffers go straight in.
    const event = raw.eventCount() + 1;
    this.audit.beginEvent(event, waterfall.steps, pendingDeficits(raw));
    this.event = event;
    this.presetKeys = keys;
    try {
      raw.allocate(now);
    } finally {
      this.presetKeys = null;
    }
    const rest = raw.auditPending();
    this.audit.append(event, auditChunk(raw, rest), rest, true);
    return runReport(raw, event, waterfall.steps);
  }

  /** The ADL queue of one market side (RiskEngine.adlRanking). */
  adlRanking(marketId: number, side: 'long' | 'short', ranking: AdlRankingName | AdlRankingFunction): AdlRank[] {
    const x = this.x, raw = x.raw;
    x.baseDecimals(marketId);
    if (side !== 'long' && side !== 'short') throw inputError('OutOfRange', 'side', -1, `side is long or short, got ${describeValue(side)}`);
    const code = typeof ranking === 'function' ? CUSTOM_RANKING : ADL_RANKINGS.includes(ranking) ? rankingCode(ranking) : -1;
    if (code < 0) throw inputError('InvalidWaterfall', 'ranking', -1, `${describeValue(ranking)} is not ${ADL_RANKINGS.slice(0, -1).join(', ')}, ${ADL_RANKINGS.at(-1)} or a function`);
    x.requireValid();
    if (typeof ranking === 'function') this.presetKeys = indicatorKeys(raw, ranking, marketId, side === 'long' ? 1 : -1, x.callOut);
    try {
      return adlRanks(raw, marketId, side, code);
    } finally {
      this.presetKeys = null;
    }
  }
}
