/**
 * Loss allocation's configuration: the tranches, the venues' presets, the shapes of allocation
 * reports, and the encoding of a configuration into the core's staging records (laid out by the
 * core's ABI table). The formulas are normative in docs/WATERFALL.md.
 */
import type { AtomsInput } from '../types.js';
import { describeValue, inputError } from '../errors.js';
import { ownKeysOnly, toFlag, toI64, toRecord } from '../atoms.js';
import { CUSTOM_RANKING, rankingCode, type ADL_RANKINGS } from '../abi/codes.js';
import { Column } from '../abi/columns.js';
import type { Raw } from '../abi/raw.js';

/** ADL ranking functions real venues use (docs/WATERFALL.md, "adl"), or one of your own. */
export type AdlRankingName = (typeof ADL_RANKINGS)[number];

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

/** Every step of a waterfall: its own, then its market groups', in order. */
export function allSteps(w: WaterfallConfig): Tranche[] {
  return [...w.steps, ...(w.groups ?? []).flatMap((g) => g.steps)];
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

// ---- Encoding (the engine's side of the core's waterfall ABI) ------------------------------------

export const TRANCHE_KINDS: readonly TrancheKind[] = [
  'insuranceFund', 'backstopVault', 'adl', 'socializeFunding', 'haircutGains', 'haircutDeposits',
  'haircutVaultShares', 'defaulterFund', 'operatorCapital', 'membersFund', 'assessments',
];

/** One step of a configuration as the core runs it: its waterfall, its index in it, its tranche. */
export interface StepInfo { waterfall: number; step: number; kind: TrancheKind }

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
  raw.setWaterfall(staged.steps.length, staged.waterfalls, staged.backstop);
  return { steps: staged.steps, functions: staged.functions, needsFigures: staged.needsFigures };
}

/**
 * Validates a configuration by every rule setWaterfall applies (here and in the core) without
 * activating it: the active waterfall stays. For callers that must refuse before anything moves.
 */
export function checkWaterfallConfig(raw: Raw, config: WaterfallConfig, quoteDecimals: number): void {
  const staged = stageWaterfall(raw, config, quoteDecimals);
  raw.checkWaterfall(staged.steps.length, staged.waterfalls, staged.backstop);
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
  const marketCount = raw.marketCount(), accountCount = raw.accountCount();
  const { maxSteps, maxBackstop, fundMarket } = raw.abi.limits;
  const map = new Uint32Array(marketCount);
  groups.forEach((g, gi) => {
    for (const m of g.markets) {
      if (!idBelow(m, marketCount)) throw inputError('UnknownMarket', 'marketId', gi, `group ${gi}: ${describeValue(m)} is not a market id`);
      if (map[m] !== 0) throw inputError('InvalidWaterfall', 'marketId', gi, `market ${m} is in two groups`);
      map[m] = gi + 1;
    }
  });
  const total = lists.reduce((n, l) => n + l.length, 0);
  if (total > maxSteps) throw inputError('InvalidWaterfall', 'waterfall', -1, `at most ${maxSteps} steps in all`);
  const { view: stage, at: S } = raw.record('Step', maxSteps);
  const { view: backstop, at: B } = raw.record('Backstop', maxBackstop);
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
      const o = j * S.BYTES;
      for (let b = 0; b < S.BYTES; b++) stage.setUint8(o + b, 0);
      stage.setUint8(o + S.kind, kind);
      stage.setUint8(o + S.waterfall, w);
      switch (TRANCHE_KINDS[kind]!) {
        case 'insuranceFund': {
          const f = t.fund;
          const fund = f === undefined || f === 'market' ? fundMarket : f === 'global' ? 0 : f;
          if (fund !== fundMarket && !idBelow(fund, marketCount + 1)) throw inputError('InvalidWaterfall', 'fundId', j, `${describeValue(f)} is not 'market', 'global' or a fund id`);
          stage.setUint32(o + S.param, fund as number, true);
          stage.setBigInt64(o + S.amount, amountOf(t.maxPerDeficitQuote as AtomsInput | undefined, quoteDecimals, 'amountQuote', j), true);
          stage.setBigInt64(o + S.floor, amountOf(t.floorQuote as AtomsInput | undefined, quoteDecimals, 'amountQuote', j), true);
          stage.setBigInt64(o + S.marketCap, amountOf(t.marketCapQuote as AtomsInput | undefined, quoteDecimals, 'amountQuote', j), true);
          stage.setBigInt64(o + S.marketCapWindowSec, secondsOf(t.marketCapWindowSec as number | undefined, 'nowSec', j), true);
          stage.setUint32(o + S.ppm, ppmOf(t.drawdownPpm as number | undefined, 'ppm', j), true);
          stage.setBigInt64(o + S.drawdownWindowSec, secondsOf(t.drawdownWindowSec as number | undefined, 'nowSec', j), true);
          break;
        }
        case 'backstopVault': {
          const ps = listOf<BackstopProvider>(t.providers, 'backstopAccountId', j, true);
          if (nb + ps.length > maxBackstop) throw inputError('InvalidWaterfall', 'backstopAccountId', j, `at most ${maxBackstop} providers`);
          stage.setUint16(o + S.firstProvider, nb, true);
          stage.setUint16(o + S.providers, ps.length, true);
          let weighted = 0, weightSum = 0;
          for (const provider of ps) {
            const p = toRecord(provider, 'backstopAccountId', 'InvalidWaterfall');
            const accountId: unknown = p.accountId;
            if (!idBelow(accountId, accountCount)) throw inputError('UnknownAccount', 'backstopAccountId', j, `${describeValue(accountId)} is not an account id`);
            const weight: unknown = p.weightPpm;
            const b = nb++ * B.BYTES;
            backstop.setUint32(b + B.account, accountId, true);
            backstop.setUint32(b + B.weightPpm, ppmOf(weight as number | undefined, 'weightPpm', j), true);
            backstop.setBigInt64(b + B.capacity, amountOf(p.capacityQuote, quoteDecimals, 'capacityQuote', j), true);
            if (weight !== undefined) { weighted++; weightSum += weight as number; }
          }
          if (weighted > 0 && (weighted !== ps.length || weightSum !== 1_000_000)) {
            throw inputError('InvalidWaterfall', 'weightPpm', j, 'weights must be given for every provider and sum to 1,000,000');
          }
          break;
        }
        case 'adl': {
          const r: unknown = t.ranking;
          const code = typeof r === 'function' ? CUSTOM_RANKING : rankingCode(r);
          if (code < 0 || r === 'custom') throw inputError('InvalidWaterfall', 'ranking', j, 'a ranking is one of pnl, bitmex, binance, hyperliquid, randomWalk, largest, or a function');
          if (typeof r === 'function') functions.set(j, r as AdlRankingFunction);
          if (r !== 'randomWalk' && r !== 'largest') needsFigures = true;
          stage.setUint8(o + S.ranking, code);
          const price: unknown = t.price;
          if (price !== undefined && price !== 'bankruptcy' && price !== 'mark') throw inputError('InvalidWaterfall', 'priceQuote', j, `price is bankruptcy or mark, got ${describeValue(price)}`);
          stage.setUint8(o + S.mode, price === 'mark' ? 1 : 0);
          stage.setBigUint64(o + S.amount, seedOf(t.seed, j), true);
          const topK: unknown = t.topK === undefined ? 10 : t.topK;
          if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > 64) throw inputError('InvalidWaterfall', 'topK', j, 'topK in 1..64');
          stage.setUint32(o + S.param, code === rankingCode('largest') ? topK : 0, true);
          break;
        }
        case 'haircutGains': {
          const scope: unknown = t.scope;
          if (scope !== undefined && scope !== 'market' && scope !== 'all') throw inputError('InvalidWaterfall', 'tranche', j, 'scope is market or all');
          stage.setUint8(o + S.mode, scope === 'all' ? 1 : 0);
          stage.setBigInt64(o + S.amount, amountOf(t.minGainQuote as AtomsInput | undefined, quoteDecimals, 'amountQuote', j), true);
          const maxHaircut = t.maxHaircutPpm;
          stage.setUint32(o + S.ppm, maxHaircut === undefined ? 1_000_000 : ppmOf(maxHaircut as number, 'ppm', j), true);
          break;
        }
        case 'operatorCapital': {
          const layer: unknown = t.layer;
          if (layer !== 1 && layer !== 2) throw inputError('InvalidWaterfall', 'fundId', j, 'layer is 1 or 2');
          stage.setUint32(o + S.param, layer, true);
          break;
        }
        case 'membersFund':
          stage.setUint8(o + S.mode, toFlag(t.withLayer2, 'withLayer2', 'InvalidWaterfall', j) ? 1 : 0);
          break;
        case 'assessments': {
          const multiple: unknown = t.multiplePpm;
          if (typeof multiple !== 'number' || !Number.isInteger(multiple) || multiple < 1 || multiple > 100_000_000) {
            throw inputError('InvalidWaterfall', 'ppm', j, 'multiplePpm in 1..10^8 (a multiple of the contribution, in ppm)');
          }
          stage.setUint32(o + S.ppm, multiple, true);
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

