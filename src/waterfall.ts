/**
 * Loss allocation: the waterfall configuration, its encoding for the core, and the shapes of
 * allocation reports. The formulas are normative in docs/WATERFALL.md.
 */
import type { AtomsInput } from './types.js';
import { describeValue, inputError } from './errors.js';
import { ownKeysOnly, toFlag, toI64, toRecord } from './atoms.js';
import { ADL_INPUT_RECORD, AdlInputField, Column, type Raw } from './raw.js';
import type { AuditChunk, DeficitInfo, StepInfo } from './audit.js';
import { i128, NO_MARKET } from './liquidation.js';

/** ADL ranking functions real venues use (docs/WATERFALL.md, "adl"), or one of your own. */
export type AdlRankingName = 'pnl' | 'bitmex' | 'binance' | 'hyperliquid';

/** What a ranking function sees for one candidate position (quote atoms, base atoms). */
export interface AdlCandidate {
  accountId: number;
  marketId: number;
  isolated: boolean;
  sizeBase: bigint;
  /** floor(s m / D) + quote - funding owed. */
  unrealizedPnlQuote: bigint;
  /** floor(|s| m / D). */
  notionalQuote: bigint;
  /** |quote balance|: the entry value. */
  entryValueQuote: bigint;
  /** The group's equity and maintenance margin at the last check, and its collateral. */
  equityQuote: bigint;
  mmQuote: bigint;
  collateralQuote: bigint;
}

/**
 * A ranking given by the caller: larger first. It is called before the run moves anything, once per
 * candidate of every market side the step could serve, with the candidates as they are when the run
 * starts (docs/WATERFALL.md, "adl"). It must return a finite number and may not call into the engine
 * (EngineError Reentrant); a throw or a key that is not a finite number refuses the allocation whole
 * (InputError InvalidWaterfall, field `ranking`, row: the step).
 */
export type AdlRankingFunction = (candidate: AdlCandidate) => number;

export type AdlRanking = AdlRankingName | AdlRankingFunction;

export interface BackstopProvider {
  accountId: number;
  /** Most this provider pays over its life in the waterfall; 0 or absent: no cap beyond its collateral. */
  capacityQuote?: AtomsInput;
  /** Fixed share of each allocation, ppm; if any provider has one, all must, summing to 10^6. */
  weightPpm?: number;
}

export type Tranche =
  | {
    kind: 'insuranceFund';
    /** The market's fund (its own, its pool's or the global one; default), the global one, or a fund id. */
    fund?: 'market' | 'global' | number;
    maxPerDeficitQuote?: AtomsInput;
    floorQuote?: AtomsInput;
    marketCapQuote?: AtomsInput;
    /** 0 (default): the market cap is for all time. */
    marketCapWindowSec?: number;
    /** Pays nothing below (1 - drawdownPpm) of the fund's peak in the window (OKX, Bybit: 300,000 over 8 h). */
    drawdownPpm?: number;
    drawdownWindowSec?: number;
  }
  | { kind: 'backstopVault'; providers?: readonly BackstopProvider[] }
  | {
    kind: 'adl';
    ranking: AdlRanking | 'randomWalk' | 'largest';
    /** Counterparties close at the bankruptcy price (default; covers the deficit) or at the mark (covers nothing). */
    price?: 'bankruptcy' | 'mark';
    /** For `randomWalk`. */
    seed?: bigint | number;
    /** For `largest`: how many of the largest opposite positions share the close (FTX: 10). */
    topK?: number;
  }
  | { kind: 'socializeFunding' }
  | { kind: 'haircutGains'; scope?: 'market' | 'all'; minGainQuote?: AtomsInput; maxHaircutPpm?: number }
  | { kind: 'haircutDeposits' }
  | { kind: 'haircutVaultShares' }
  | { kind: 'defaulterFund' }
  | { kind: 'operatorCapital'; layer: 1 | 2 }
  | { kind: 'membersFund'; withLayer2?: boolean }
  | { kind: 'assessments'; multiplePpm: number };

export type TrancheKind = Tranche['kind'];

export interface WaterfallConfig {
  /** The default waterfall, in order. */
  steps: readonly Tranche[];
  /** Waterfalls of their own for groups of markets; each market in at most one group. */
  groups?: readonly { markets: readonly number[]; steps: readonly Tranche[] }[];
}

/**
 * Waterfalls modelled on real venues (docs/WATERFALL.md; sources in the README). Amounts in quote
 * units. `exchange` is the demo's: a fund with OKX/Bybit's drawdown rule, the backstop vault, ADL by
 * BitMEX's ranking, and what is left socialized across open interest. A name finds own entries only.
 */
export const WATERFALL_PRESETS = ownKeysOnly({
  exchange: { steps: [
    { kind: 'insuranceFund', drawdownPpm: 300_000, drawdownWindowSec: 8 * 3600 },
    { kind: 'backstopVault' },
    { kind: 'adl', ranking: 'bitmex' },
    { kind: 'socializeFunding' },
  ] },
  /** BitMEX and Binance: the insurance fund, then ADL at the bankruptcy price by their rankings. */
  bitmex: { steps: [{ kind: 'insuranceFund' }, { kind: 'adl', ranking: 'bitmex' }] },
  binance: { steps: [{ kind: 'insuranceFund' }, { kind: 'adl', ranking: 'binance' }] },
  /** dYdX v4: the fund (never below 0), then deleveraging from a seeded random offset. */
  dydx: { steps: [{ kind: 'insuranceFund' }, { kind: 'adl', ranking: 'randomWalk' }] },
  /** Hyperliquid: the liquidator vault (HLP), then ADL by (mark/entry) x (notional/equity). */
  hyperliquid: { steps: [{ kind: 'backstopVault' }, { kind: 'adl', ranking: 'hyperliquid' }] },
  /** Drift and Mango perps: the fund, then the loss spread over open interest through funding. */
  drift: { steps: [{ kind: 'insuranceFund' }, { kind: 'socializeFunding' }] },
  /** FTX: backstop providers, the ten largest opposite positions pro rata, the fund, then a clawback of gains. */
  ftx: { steps: [{ kind: 'backstopVault' }, { kind: 'adl', ranking: 'largest', topK: 10 }, { kind: 'insuranceFund' }, { kind: 'haircutGains', scope: 'all' }] },
  /** Eurex: the defaulter's contribution, skin in the game, members' fund with the second layer, assessments up to 2x, then gains haircutting. */
  eurex: { steps: [
    { kind: 'defaulterFund' }, { kind: 'operatorCapital', layer: 1 }, { kind: 'membersFund', withLayer2: true },
    { kind: 'assessments', multiplePpm: 2_000_000 }, { kind: 'haircutGains', scope: 'all' },
  ] },
} as const satisfies Record<string, WaterfallConfig>);

export interface AllocateOptions {
  /** Seconds on the caller's clock (windows of insurance-fund rules); never earlier than the last run's. */
  nowSec?: number;
}

/** Who bore the loss in one run (one event). */
export interface AllocationReport {
  event: number;
  deficits: number;
  deficitQuote: bigint;
  /** Per step of each waterfall: what it covered, the residue it left, and what its payers paid beyond their equity. */
  steps: AllocationStep[];
  insuranceFundQuote: bigint;
  vaultQuote: bigint;
  adlCoveredQuote: bigint;
  adlVolumeBase: bigint;
  adlNotionalQuote: bigint;
  adlAccounts: number;
  socializedQuote: bigint;
  clearingHouseQuote: bigint;
  residueQuote: bigint;
  uncoveredQuote: bigint;
  /**
   * What payers paid beyond their equity, over all steps: only `assessments` can (members owe them;
   * every other step stops each payer at zero equity). docs/WATERFALL.md, "Solvency".
   */
  paidBeyondEquityQuote: bigint;
}

/** One step of a run in an AllocationReport. */
export interface AllocationStep {
  waterfall: number;
  step: number;
  kind: TrancheKind;
  coveredQuote: bigint;
  /** What the step's payers paid beyond what the deficits needed (ADL overshoot and rounding). */
  residueQuote: bigint;
  /** What the step's payers paid beyond their equity, and how many did (assessments only). */
  paidBeyondEquityQuote: bigint;
  paidBeyondEquityAccounts: number;
}

// ---- Encoding and runs (the engine's side of the core's waterfall ABI) ----------------------------


export const TRANCHE_KINDS: readonly TrancheKind[] = [
  'insuranceFund', 'backstopVault', 'adl', 'socializeFunding', 'haircutGains', 'haircutDeposits',
  'haircutVaultShares', 'defaulterFund', 'operatorCapital', 'membersFund', 'assessments',
];
const RANKINGS = ['pnl', 'bitmex', 'binance', 'hyperliquid', 'custom', 'randomWalk', 'largest'] as const;
const STEP_RECORD = 64, BACKSTOP_RECORD = 32, MAX_STEPS = 64, MAX_BACKSTOP = 64;
const FUND_MARKET = 0xffffffff;

/** A configuration as the core runs it: steps in order, each with its waterfall and index in it. */
export interface EncodedWaterfall {
  steps: StepInfo[];
  /** Ranking functions given by the caller, by global step id. */
  functions: Map<number, AdlRankingFunction>;
  /** A ranked ADL step reads the figures of a check of the current book. */
  needsFigures: boolean;
}

function ppmOf(v: number | undefined, field: string, row: number, max = 1_000_000): number {
  if (v === undefined) return 0;
  if (!Number.isInteger(v) || v < 0 || v > max) throw inputError('InvalidWaterfall', field, row, `expected an integer in 0..${max}`);
  return v;
}

function secondsOf(v: number | undefined, field: string, row: number): bigint {
  if (v === undefined) return 0n;
  if (!Number.isSafeInteger(v) || v < 0) throw inputError('InvalidWaterfall', field, row, 'expected whole seconds >= 0');
  return BigInt(v);
}

function amountOf(v: AtomsInput | undefined, decimals: number, field: string, row: number): bigint {
  if (v === undefined) return 0n;
  const x = toI64(v, decimals, field, row);
  if (x < 0n) throw inputError('InvalidWaterfall', field, row, 'must not be negative');
  return x;
}

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

/** A configuration written to the core's staging area, with its counts for setWaterfall / checkWaterfall. */
interface StagedWaterfall extends EncodedWaterfall {
  waterfalls: number;
  backstop: number;
}

/**
 * Validates a configuration and writes it to the core's staging area; the core checks ranges and
 * ids again and activates it only if everything is valid (so a refused configuration changes nothing).
 */
export function encodeWaterfall(raw: Raw, config: WaterfallConfig, quoteDecimals: number): EncodedWaterfall {
  const staged = stageWaterfall(raw, config, quoteDecimals);
  raw.check(raw.exports.setWaterfall(staged.steps.length, staged.waterfalls, staged.backstop));
  return { steps: staged.steps, functions: staged.functions, needsFigures: staged.needsFigures };
}

/**
 * Validates a configuration by every rule setWaterfall applies (here and in the core) without
 * activating it: the active waterfall stays. For callers that must refuse before anything moves.
 */
export function checkWaterfallConfig(raw: Raw, config: WaterfallConfig, quoteDecimals: number): void {
  const staged = stageWaterfall(raw, config, quoteDecimals);
  raw.check(raw.exports.checkWaterfall(staged.steps.length, staged.waterfalls, staged.backstop));
}

/** An id of the book: an integer in 0..count-1 (no string, array or property name that converts to one). */
function idBelow(v: unknown, count: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < count;
}

/** A list of the configuration: an array (absent is empty where `optional`). */
function listOf<T>(v: unknown, field: string, row: number, optional = false): readonly T[] {
  if (v === undefined && optional) return [];
  if (!Array.isArray(v)) throw inputError('InvalidWaterfall', field, row, 'expected an array');
  return v as readonly T[];
}

/**
 * Checks a configuration and writes its steps, provider records and market map to the core's
 * staging area (read only by setWaterfall and checkWaterfall). Every property is read once; names
 * match own entries of their lists only; ids are integers in range.
 */
function stageWaterfall(raw: Raw, config: WaterfallConfig, quoteDecimals: number): StagedWaterfall {
  const c = toRecord(config, 'waterfall', 'InvalidWaterfall');
  const groups = listOf<{ markets: readonly number[]; steps: readonly Tranche[] }>(c.groups, 'waterfall', -1, true)
    .map((g, gi) => {
      const group = toRecord(g, 'waterfall', 'InvalidWaterfall');
      return { markets: listOf<number>(group.markets, 'marketId', gi), steps: group.steps };
    });
  const lists: (readonly Tranche[])[] = [c.steps, ...groups.map((g) => g.steps)].map((l, w) => listOf<Tranche>(l, 'waterfall', w));
  const marketCount = raw.exports.marketCount(), accountCount = raw.exports.accountCount();
  const map = new Uint32Array(marketCount);
  groups.forEach((g, gi) => {
    for (const m of g.markets) {
      if (!idBelow(m, marketCount)) throw inputError('UnknownMarket', 'marketId', gi, `group ${gi}: ${describeValue(m)} is not a market id`);
      if (map[m] !== 0) throw inputError('InvalidWaterfall', 'marketId', gi, `market ${m} is in two groups`);
      map[m] = gi + 1;
    }
  });
  const total = lists.reduce((n, l) => n + l.length, 0);
  if (total > MAX_STEPS) throw inputError('InvalidWaterfall', 'waterfall', -1, `at most ${MAX_STEPS} steps in all`);
  const stage = raw.record(raw.exports.waterfallStagePtr(), MAX_STEPS * STEP_RECORD);
  const backstop = raw.record(raw.exports.backstopStagePtr(), MAX_BACKSTOP * BACKSTOP_RECORD);
  const steps: StepInfo[] = [];
  const functions = new Map<number, AdlRankingFunction>();
  let nb = 0, needsFigures = false;
  lists.forEach((list, w) => {
    if (list.length === 0) throw inputError('InvalidWaterfall', 'waterfall', w, 'a waterfall needs at least one step');
    list.forEach((step, i) => {
      const j = steps.length;
      const t = (typeof step === 'object' && step !== null ? step : {}) as Record<string, unknown>;
      const kindName: unknown = t.kind;
      const kind = TRANCHE_KINDS.indexOf(kindName as TrancheKind);
      if (kind < 0) throw inputError('InvalidWaterfall', 'tranche', j, `unknown tranche ${describeValue(kindName)}`);
      const o = j * STEP_RECORD;
      for (let b = 0; b < STEP_RECORD; b++) stage.setUint8(o + b, 0);
      stage.setUint8(o, kind);
      stage.setUint8(o + 1, w);
      switch (TRANCHE_KINDS[kind]!) {
        case 'insuranceFund': {
          const f = t.fund;
          const fund = f === undefined || f === 'market' ? FUND_MARKET : f === 'global' ? 0 : f;
          if (fund !== FUND_MARKET && !idBelow(fund, marketCount + 1)) throw inputError('InvalidWaterfall', 'fundId', j, `${describeValue(f)} is not 'market', 'global' or a fund id`);
          stage.setUint32(o + 4, fund as number, true);
          stage.setBigInt64(o + 8, amountOf(t.maxPerDeficitQuote as AtomsInput | undefined, quoteDecimals, 'amountQuote', j), true);
          stage.setBigInt64(o + 16, amountOf(t.floorQuote as AtomsInput | undefined, quoteDecimals, 'amountQuote', j), true);
          stage.setBigInt64(o + 24, amountOf(t.marketCapQuote as AtomsInput | undefined, quoteDecimals, 'amountQuote', j), true);
          stage.setBigInt64(o + 32, secondsOf(t.marketCapWindowSec as number | undefined, 'nowSec', j), true);
          stage.setUint32(o + 40, ppmOf(t.drawdownPpm as number | undefined, 'ppm', j), true);
          stage.setBigInt64(o + 48, secondsOf(t.drawdownWindowSec as number | undefined, 'nowSec', j), true);
          break;
        }
        case 'backstopVault': {
          const ps = listOf<BackstopProvider>(t.providers, 'backstopAccountId', j, true);
          if (nb + ps.length > MAX_BACKSTOP) throw inputError('InvalidWaterfall', 'backstopAccountId', j, `at most ${MAX_BACKSTOP} providers`);
          stage.setUint16(o + 44, nb, true);
          stage.setUint16(o + 46, ps.length, true);
          let weighted = 0, weightSum = 0;
          for (const provider of ps) {
            const p = toRecord(provider, 'backstopAccountId', 'InvalidWaterfall');
            const accountId: unknown = p.accountId;
            if (!idBelow(accountId, accountCount)) throw inputError('UnknownAccount', 'backstopAccountId', j, `${describeValue(accountId)} is not an account id`);
            const weight: unknown = p.weightPpm;
            const b = nb++ * BACKSTOP_RECORD;
            backstop.setUint32(b, accountId, true);
            backstop.setUint32(b + 4, ppmOf(weight as number | undefined, 'weightPpm', j), true);
            backstop.setBigInt64(b + 8, amountOf(p.capacityQuote, quoteDecimals, 'capacityQuote', j), true);
            if (weight !== undefined) { weighted++; weightSum += weight as number; }
          }
          if (weighted > 0 && (weighted !== ps.length || weightSum !== 1_000_000)) {
            throw inputError('InvalidWaterfall', 'weightPpm', j, 'weights must be given for every provider and sum to 1,000,000');
          }
          break;
        }
        case 'adl': {
          const r: unknown = t.ranking;
          const code = typeof r === 'function' ? 4 : RANKINGS.indexOf(r as (typeof RANKINGS)[number]);
          if (code < 0 || r === 'custom') throw inputError('InvalidWaterfall', 'ranking', j, 'a ranking is one of pnl, bitmex, binance, hyperliquid, randomWalk, largest, or a function');
          if (typeof r === 'function') functions.set(j, r as AdlRankingFunction);
          if (r !== 'randomWalk' && r !== 'largest') needsFigures = true;
          stage.setUint8(o + 3, code);
          const price: unknown = t.price;
          if (price !== undefined && price !== 'bankruptcy' && price !== 'mark') throw inputError('InvalidWaterfall', 'priceQuote', j, `price is bankruptcy or mark, got ${describeValue(price)}`);
          stage.setUint8(o + 2, price === 'mark' ? 1 : 0);
          stage.setBigUint64(o + 8, seedOf(t.seed, j), true);
          const topK: unknown = t.topK === undefined ? 10 : t.topK;
          if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > 64) throw inputError('InvalidWaterfall', 'topK', j, 'topK in 1..64');
          stage.setUint32(o + 4, code === 6 ? topK : 0, true);
          break;
        }
        case 'haircutGains': {
          const scope: unknown = t.scope;
          if (scope !== undefined && scope !== 'market' && scope !== 'all') throw inputError('InvalidWaterfall', 'tranche', j, 'scope is market or all');
          stage.setUint8(o + 2, scope === 'all' ? 1 : 0);
          stage.setBigInt64(o + 8, amountOf(t.minGainQuote as AtomsInput | undefined, quoteDecimals, 'amountQuote', j), true);
          const maxHaircut = t.maxHaircutPpm;
          stage.setUint32(o + 40, maxHaircut === undefined ? 1_000_000 : ppmOf(maxHaircut as number, 'ppm', j), true);
          break;
        }
        case 'operatorCapital': {
          const layer: unknown = t.layer;
          if (layer !== 1 && layer !== 2) throw inputError('InvalidWaterfall', 'fundId', j, 'layer is 1 or 2');
          stage.setUint32(o + 4, layer, true);
          break;
        }
        case 'membersFund':
          stage.setUint8(o + 2, toFlag(t.withLayer2, 'withLayer2', 'InvalidWaterfall', j) ? 1 : 0);
          break;
        case 'assessments': {
          const multiple: unknown = t.multiplePpm;
          if (typeof multiple !== 'number' || !Number.isInteger(multiple) || multiple < 1 || multiple > 100_000_000) {
            throw inputError('InvalidWaterfall', 'ppm', j, 'multiplePpm in 1..10^8 (a multiple of the contribution, in ppm)');
          }
          stage.setUint32(o + 40, multiple, true);
          break;
        }
        default:
          break;
      }
      steps.push({ waterfall: w, step: i, kind: TRANCHE_KINDS[kind]! });
    });
  });
  raw.view(Uint32Array, Column.IoU32, 0, marketCount).set(map);
  return { steps, functions, needsFigures, waterfalls: lists.length, backstop: nb };
}

/** An ADL seed: a bigint or a safe-integer number in 0..2^64-1 (absent: 0). */
function seedOf(v: unknown, row: number): bigint {
  if (v === undefined) return 0n;
  if (typeof v !== 'bigint' && !(typeof v === 'number' && Number.isSafeInteger(v))) throw inputError('InvalidWaterfall', 'seed', row, `${describeValue(v)} is not an integer seed`);
  const seed = BigInt(v);
  if (seed < 0n || seed >= 1n << 64n) throw inputError('InvalidWaterfall', 'seed', row, 'seed must be in 0..2^64-1');
  return seed;
}

/** The pending deficit records as the audit's deficit table (read before a run empties it). */
export function pendingDeficits(raw: Raw): DeficitInfo[] {
  const n = raw.record(raw.exports.liqRecordPtr(), 4).getUint32(0, true);
  const acc = raw.view(Uint32Array, Column.DefAccount, 0, n), mk = raw.view(Uint16Array, Column.DefMarket, 0, n);
  const amt = raw.view(BigInt64Array, Column.DefAmount, 0, n), size = raw.view(BigInt64Array, Column.DefSize, 0, n);
  const price = raw.view(BigInt64Array, Column.DefPrice, 0, n);
  return Array.from({ length: n }, (_, k) => ({
    accountId: acc[k]!, marketId: mk[k] === NO_MARKET ? null : mk[k]!, amountQuote: amt[k]!, sizeBase: size[k]!, priceQuote: price[k]!,
  }));
}

/** The audit buffer's rows as a chunk (views over the core's memory). */
export function auditChunk(raw: Raw, rows: number): AuditChunk {
  return {
    deficit: raw.view(Uint32Array, Column.AuditDeficit, 0, rows), step: raw.view(Uint16Array, Column.AuditStep, 0, rows),
    role: raw.view(Uint8Array, Column.AuditRole, 0, rows), account: raw.view(Uint32Array, Column.AuditAccount, 0, rows),
    market: raw.view(Uint16Array, Column.AuditMarket, 0, rows), amount: raw.view(BigInt64Array, Column.AuditAmount, 0, rows),
    price: raw.view(BigInt64Array, Column.AuditPrice, 0, rows), size: raw.view(BigInt64Array, Column.AuditSize, 0, rows),
  };
}

/** One position in an ADL queue. */
export interface AdlRank { accountId: number; isolated: boolean; key: number; quantile: number }

/** A caller's ranking keys for one market side's candidates, by holder tag (an isolated row's has the top bit set). */
export type RankingKeys = Map<number, number>;

const ISOLATED_TAG = 0x80000000;

/** Runs code the engine calls (a ranking function) with calls into the engine refused meanwhile. */
export type CallOut = <T>(fn: () => T) => T;

/**
 * A caller's ranking keys for the candidates of market / side (+1 long, -1 short) as they are now:
 * `fn` is called once per candidate, in account order, through `callOut`. Nothing in the core has
 * moved yet, so a failure refuses whole: a throw (its own error, or a refused call into the engine)
 * or a key that is not a finite number is an InputError InvalidWaterfall naming the field `ranking`
 * and `row` (the step; -1 for the indicator), with the function's error as its cause. E and M are
 * those of the last check, or with `current` those a check of the book now gives (a run: it checks
 * the book only once its keys are known, so a refusal leaves even the figures as they were).
 */
export function rankingKeys(raw: Raw, fn: AdlRankingFunction, market: number, side: number, row: number, callOut: CallOut, current: boolean): RankingKeys {
  const n = raw.exports.adlCandidates(market, side);
  if (n < 0) throw inputError('UnknownMarket', 'marketId', row, describeValue(market));
  const keys: RankingKeys = new Map();
  const chunk = raw.exports.adlInputRows();
  const I64 = ADL_INPUT_RECORD / 8, U32 = ADL_INPUT_RECORD / 4, F = AdlInputField;
  for (let from = 0; from < n; from += chunk) {
    const count = Math.min(chunk, n - from);
    raw.check(raw.exports.adlCandidateInputs(from, count, current ? 1 : 0));
    const words = raw.view(Uint32Array, Column.AdlInputs, 0, count * U32);
    const rows = raw.view(BigInt64Array, Column.AdlInputs, 0, count * I64);
    for (let i = 0; i < count; i++) {
      const tag = words[i * U32 + F.tag / 4]!;
      const at = (offset: number): bigint => rows[i * I64 + offset / 8]!;
      const candidate: AdlCandidate = {
        accountId: words[i * U32 + F.account / 4]!, marketId: market, isolated: tag >= ISOLATED_TAG, sizeBase: at(F.size),
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
export type PresetKeys = Map<string, RankingKeys>;

/** The step id the ADL indicator's ranking goes by (assembly NONE). */
const INDICATOR_STEP = 0xffffffff;

/** The key of one (step, market, candidates' side) group, as the core's adlKeys hook names it (u32 step). */
export const keysFor = (step: number, market: number, side: number): string => `${step >>> 0}/${market}/${side}`;

/**
 * Every key a function-ranked ADL step of the next run could need, computed before the run moves
 * anything: for each such step (in run order) and each (market, side) of the pending records its
 * waterfall serves (in the order of their first record), the function's key of every candidate.
 * Null when no step has a function. Throws as `rankingKeys`.
 */
export function runKeys(raw: Raw, waterfall: EncodedWaterfall, callOut: CallOut): PresetKeys | null {
  if (waterfall.functions.size === 0) return null;
  const records = pendingDeficits(raw);
  const waterfallOf = raw.view(Uint8Array, Column.MarketWaterfall, 0, raw.exports.marketCount());
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
export function indicatorKeys(raw: Raw, fn: AdlRankingFunction, market: number, side: number, callOut: CallOut): PresetKeys {
  return new Map([[keysFor(INDICATOR_STEP, market, side), rankingKeys(raw, fn, market, side, -1, callOut, false)]]);
}

/** Copies the keys computed for the candidates the core lists in AdlId[0..count) into AdlKey (none: ranks last). */
export function copyKeys(raw: Raw, keys: RankingKeys | undefined, count: number): void {
  const ids = raw.view(Uint32Array, Column.AdlId, 0, count), out = raw.view(Float64Array, Column.AdlKey, 0, count);
  for (let i = 0; i < count; i++) out[i] = keys?.get(ids[i]!) ?? -Infinity;
}

/** Reads the last run's report. */
export function runReport(raw: Raw, event: number, steps: readonly StepInfo[]): AllocationReport {
  // The run record (assembly/engine/waterfall.ts RUN_RECORD): totals, then per step j covered,
  // residue, paid beyond equity and the accounts that did (MAX_STEPS each). Every amount is a 128-bit
  // sum: its low word (u64) there, its high word (i64) RUN_HI bytes further.
  const RUN_HI = 64 + 4 * MAX_STEPS * 8;
  const r = raw.record(raw.exports.runRecordPtr(), 2 * RUN_HI);
  const total = (at: number): bigint => (r.getBigInt64(RUN_HI + at, true) << 64n) + r.getBigUint64(at, true);
  const perStep = (table: number, j: number): bigint => total(64 + table * MAX_STEPS * 8 + j * 8);
  const covered: AllocationStep[] = steps.map((s, j) => ({
    waterfall: s.waterfall, step: s.step, kind: s.kind, coveredQuote: perStep(0, j), residueQuote: perStep(1, j),
    paidBeyondEquityQuote: perStep(2, j), paidBeyondEquityAccounts: Number(perStep(3, j)),
  }));
  const sum = (...kinds: TrancheKind[]) => covered.filter((c) => kinds.includes(c.kind)).reduce((a, c) => a + c.coveredQuote, 0n);
  return {
    event, deficits: r.getUint32(0, true), deficitQuote: total(8), steps: covered,
    insuranceFundQuote: sum('insuranceFund'), vaultQuote: sum('backstopVault', 'haircutVaultShares'), adlCoveredQuote: sum('adl'),
    adlVolumeBase: total(32), adlNotionalQuote: total(40), adlAccounts: Number(r.getBigInt64(48, true)),
    socializedQuote: sum('socializeFunding', 'haircutGains', 'haircutDeposits'),
    clearingHouseQuote: sum('defaulterFund', 'operatorCapital', 'membersFund', 'assessments'),
    residueQuote: total(16), uncoveredQuote: total(24), paidBeyondEquityQuote: total(56),
  };
}

/** The balances the waterfall keeps besides accounts and funds. */
export interface WaterfallBalances {
  residueQuote: bigint;
  uncoveredQuote: bigint;
  /** All deficits ever covered. */
  coveredQuote: bigint;
  operatorCapitalQuote: [bigint, bigint];
  /** A deposit index as a lazily indexed venue would show it, 10^18 = 1. */
  depositIndexE18: bigint;
  vaultAccountId: number | null;
  totalShares: bigint;
}

export function readBalances(raw: Raw): WaterfallBalances {
  const b = raw.record(raw.exports.balancesPtr(), 112);
  const vault = b.getUint32(96, true);
  return {
    residueQuote: i128(b, 0), uncoveredQuote: i128(b, 16), coveredQuote: i128(b, 48),
    operatorCapitalQuote: [b.getBigInt64(64, true), b.getBigInt64(72, true)], depositIndexE18: b.getBigInt64(80, true),
    vaultAccountId: vault === 0xffffffff ? null : vault, totalShares: b.getBigInt64(88, true),
  };
}

/** The ADL queue the core ranked (PayId, PayCap as f64 keys, PayWork as quantiles), as objects. */
export function adlRanks(raw: Raw, marketId: number, side: 'long' | 'short', code: number): AdlRank[] {
  const n = raw.exports.adlRanks(marketId, side === 'long' ? 1 : -1, code);
  const ids = raw.view(Uint32Array, Column.PayId, 0, n), keys = raw.view(Float64Array, Column.PayCap, 0, n);
  const quantile = raw.view(BigInt64Array, Column.PayWork, 0, n);
  return Array.from({ length: n }, (_, i) => {
    const tag = ids[i]!;
    const iso = tag >= 0x80000000;
    return { accountId: iso ? raw.view(Uint32Array, Column.IsoAccount, tag - 0x80000000, 1)[0]! : tag, isolated: iso, key: keys[i]!, quantile: Number(quantile[i]!) };
  });
}

/** The vault: its account, net asset value (its equity at the marks), shares, providers. */
export function readVault(raw: Raw): { accountId: number | null; navQuote: bigint; totalShares: bigint; providers: { accountId: number; shares: bigint }[] } {
  const b = readBalances(raw);
  return { accountId: b.vaultAccountId, navQuote: b.vaultAccountId === null ? 0n : raw.exports.vaultNav(), totalShares: b.totalShares, providers: readProviders(raw) };
}

export interface ClearingMember { accountId: number; fundQuote: bigint; committedQuote: bigint; assessedQuote: bigint }

export function readMembers(raw: Raw): ClearingMember[] {
  const n = raw.record(raw.exports.balancesPtr(), 112).getUint32(100, true);
  const m = raw.record(raw.exports.membersPtr(), Math.max(1, n) * 32);
  return Array.from({ length: n }, (_, i) => ({
    accountId: m.getUint32(i * 32, true), fundQuote: m.getBigInt64(i * 32 + 8, true),
    committedQuote: m.getBigInt64(i * 32 + 16, true), assessedQuote: m.getBigInt64(i * 32 + 24, true),
  }));
}

export function readProviders(raw: Raw): { accountId: number; shares: bigint }[] {
  const n = raw.record(raw.exports.balancesPtr(), 112).getUint32(104, true);
  const p = raw.record(raw.exports.providersPtr(), Math.max(1, n) * 16);
  return Array.from({ length: n }, (_, i) => ({ accountId: p.getUint32(i * 16, true), shares: p.getBigInt64(i * 16 + 8, true) }));
}

