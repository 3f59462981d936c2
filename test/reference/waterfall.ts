/**
 * Reference model of the loss waterfall (docs/WATERFALL.md), written only from the spec, like model.ts
 * and liquidation.ts whose helpers it reuses. Every amount is a `bigint`, every division goes through
 * floorDiv / ceilDiv once, nothing is cached; it is slow on purpose. Part 2, waterfall-adl.ts, holds
 * auto-deleveraging and is re-exported here.
 *
 * Model API: waterfall 0 is the default one, 1 + g the config's group g; steps are numbered from 0 in
 * their waterfall; deficits are numbered from 0 in the run (the audit records' `deficit`). Config
 * amounts must be bigints. Fund ids: 0 global, 1 + marketId a market's own fund, a pool's fund is
 * 1 + its leader market id; `marketFund[m]` says which fund market m draws from. `setWaterfall` makes
 * a config active (backstop capacities start afresh); `allocate` with another config object than the
 * active one sets it first.
 *
 * The spec's "Precise points" settle record order, ADL sizes, randomWalk, largest, the ADL notional and
 * accounts, ties of -0 and +0, paid(m) and its windows, size-0 positions, provider order and
 * capacities, haircut payers, members' order and the limits. Readings where the spec still leaves a
 * case open (each is marked `// SPEC:` where it is used):
 *  R1 split: requires X <= the caps of payers with weight > 0 (a zero-weight payer never pays); a
 *     round ends when no t_i (after the +1) exceeds its cap; otherwise every active i with
 *     t_i >= c_i is fixed at c_i and the round repeats.
 *  R2 Every run is an event (numbered even with no records) and observes the drawdown funds, step
 *     by step in waterfall order. A fund keeps one window (its bucket length) and its buckets; a step
 *     observing it with another bucket length starts its observations afresh (the spec's "changing
 *     a fund's drawdown window"), and the peak is read over the fund's window. A bucket keeps the
 *     highest balance seen. The funds observed are those a drawdown step can draw from: its fund,
 *     or with `fund: market` the funds of the markets routed to its waterfall (the default one adds
 *     the global fund, for settle records).
 *  R3 paid(m) is per market across all insurance steps and funds; payments are logged with the run's
 *     nowSec. A market's window (bucket length) is set when a capped step with a window serves one
 *     of its records (before its room is read); windowed sums count the payments logged since the
 *     window was set or its bucket length last changed. Settle records have no market cap. A cap
 *     already exceeded (config lowered) leaves 0, not a negative room.
 *  R4 Audit records: `waterfall` and `step` are null for uncovered records, as is `accountId` (no
 *     payer). Pay records' market: the step's market group (haircutGains by market,
 *     socializeFunding), an isolated payer's market (haircutGains over all), else null.
 *  R5 ADL groups are keyed by (market, side) per step; a ranking function must return a finite
 *     number (the model throws otherwise, before anything moved: every function key is computed at
 *     the run start, for every group its step could serve; waterfall-adl.ts functionKeysAtStart).
 *  R6 socializeFunding: n_m counts the market's positions with size != 0 of open accounts (the
 *     spec); a bump whose exact total A_m would exceed 2^62 is refused like one past the index limit.
 *  R7 haircutGains: scope defaults to `market`; positions of size 0 pay in both scopes, v being
 *     their quote balance (the spec).
 *  R8 backstopVault: providers (entries of the config) are split in the order listed (the spec);
 *     with no providers and no vault account, and haircutVaultShares with no vault account, the step
 *     pays nothing (neither is a configuration error in the spec). A closed provider can pay
 *     nothing. `providers: []` is the default (the vault account).
 *  R9 haircutVaultShares: liquidity providers in the order of their first deposit (the spec): the
 *     insertion order of `lpShares`, whose entries stay when their shares fall to 0.
 *  R10 Clearing house: defaulters are the accounts of all records of the run; defaulterFund's cover
 *     record names the defaulter; membersFund's layer-2 pay record has account NONE; members of
 *     closed accounts are not surviving.
 *  R11 Report: vaultQuote = backstopVault + haircutVaultShares; clearingHouseQuote = defaulterFund +
 *     operatorCapital + membersFund + assessments; socializedQuote = socializeFunding + haircutGains
 *     + haircutDeposits; haircutQuote (model only) = haircutGains + haircutDeposits; adlAccounts:
 *     the distinct accounts each ADL step closed, summed over the steps (the spec). residue /
 *     uncovered: this run's.
 *  R12 The ledger's flows and liquidator fees start from the liquidation state's, and ADL closes add
 *     owed - (realized + a(c)).
 *  R13 Configuration: a step repeats another of its waterfall when it has the same kind, except
 *     insuranceFund steps naming different funds ('market', or a fund id, `global` being fund 0)
 *     and operatorCapital steps of different layers. Group markets are checked first (unknown:
 *     UnknownMarket, row the group; in two groups: InvalidWaterfall), then the steps in order;
 *     unknown provider accounts are UnknownAccount (RefUnknownId).
 */
import type { AllocationReport, Tranche, WaterfallConfig } from '../../src/index.js';
import { ceilDiv, floorDiv } from './model.js';
import { abs, crossGroup, fundIdOf, fundingOwedQuote, marketOf, max, scaleOf, TWO_POW_62, type Group, type LiqBook, type LiquidationState } from './liquidation.js';
import { adlStep, equityNow, functionKeysAtStart, solventRoom, startFigures, type AdlRun, type AdlStep } from './waterfall-adl.js';

export * from './waterfall-adl.js';

// ---- Types -------------------------------------------------------------------------------------

/** A deficit record: a close (size d_k != 0, price q_k), a size-0 close, or a settle row (market null). */
export interface RefDeficit { accountId: number; marketId: number | null; amountQuote: bigint; sizeBase: bigint; priceQuote: bigint }

export interface RefAuditRecord {
  /** k: index of the deficit in the run; null for pay records (and socializeFunding's residue). */
  deficit: number | null;
  /** Null for uncovered records. */
  waterfall: number | null;
  step: number | null;
  role: 'cover' | 'pay' | 'residue' | 'uncovered';
  accountId: number | null;
  marketId: number | null;
  amountQuote: bigint;
  priceQuote: bigint;
  sizeBase: bigint;
}

/** A clearing-house member: default-fund contribution F, committed amount K, assessed since the last reset. */
export interface RefMember { fundQuote: bigint; committedQuote: bigint; assessedQuote: bigint }

export interface WaterfallRefState {
  /** Insurance fund balances by fund id. */
  fundsQuote: bigint[];
  /** Market id -> the fund id it draws from (its own, its pool's or the global one). */
  marketFund: number[];
  /** Fund id -> its drawdown window: bucket length and bucket -> highest balance observed at a run start. */
  drawdownObservations: Map<number, { len: number; buckets: Map<number, bigint> }>;
  /** Insurance payments by market, with the run's time (paid(m) sums them). */
  insurancePaid: { marketId: number; atSec: number; amountQuote: bigint }[];
  /** Market id -> its market-cap window: bucket length, and the first payment (index in insurancePaid) it counts. */
  paidWindows: Map<number, { len: number; since: number }>;
  /** The active waterfall (setWaterfall), or null. */
  config: WaterfallConfig | null;
  /** Backstop provider entry `${waterfall}/${step}/${entry}` -> paid since the waterfall was set. */
  providerPaidQuote: Map<string, bigint>;
  residueQuote: bigint;
  uncoveredQuote: bigint;
  /** All deficits ever covered. */
  coveredQuote: bigint;
  /** Events numbered 1, 2, ...: the last one. */
  event: number;
  lastNowSec: number | null;
  /** Members in the order they were registered. */
  members: Map<number, RefMember>;
  /** Operator capital, layers 1 and 2. */
  operatorCapitalQuote: [bigint, bigint];
  vaultAccountId: number | undefined;
  /** Liquidity provider account -> vault shares, in the order of first deposit. */
  lpShares: Map<number, bigint>;
  /** Deposit index, 10^18 at start. */
  depositIndex: bigint;
  /** Carried from liquidation, for the ledger. */
  liquidatorFeesQuote: bigint;
  /** Flows: liquidation's (funding - realized) plus ADL closes' and gains haircuts' (realized and paid out). */
  flowQuote: bigint;
}

export interface WaterfallInit {
  liquidation?: LiquidationState;
  marketFund?: number[];
  members?: Map<number, RefMember> | [number, { fundQuote: bigint; committedQuote: bigint }][];
  operatorCapitalQuote?: [bigint, bigint];
  vaultAccountId?: number;
  lpShares?: Map<number, bigint>;
}

export function createWaterfallState(book: LiqBook, init: WaterfallInit = {}): WaterfallRefState {
  const liq = init.liquidation;
  const members = new Map<number, RefMember>();
  for (const [id, m] of init.members ?? []) members.set(id, { fundQuote: m.fundQuote, committedQuote: m.committedQuote, assessedQuote: 'assessedQuote' in m ? (m as RefMember).assessedQuote : 0n });
  return {
    fundsQuote: liq ? [...liq.fundsQuote] : Array.from({ length: 1 + book.markets.length }, () => 0n),
    marketFund: init.marketFund ?? book.markets.map((_, m) => fundIdOf(book, m)),
    drawdownObservations: new Map(), insurancePaid: [], paidWindows: new Map(), config: null, providerPaidQuote: new Map(),
    residueQuote: 0n, uncoveredQuote: 0n, coveredQuote: 0n, event: 0, lastNowSec: null,
    members, operatorCapitalQuote: init.operatorCapitalQuote ?? [0n, 0n], vaultAccountId: init.vaultAccountId,
    lpShares: init.lpShares ?? new Map(), depositIndex: 10n ** 18n,
    liquidatorFeesQuote: liq?.liquidatorFeesQuote ?? 0n, flowQuote: liq?.flowQuote ?? 0n,
  };
}

/** Assessments count from here again. */
export function resetAssessments(state: WaterfallRefState): void {
  for (const m of state.members.values()) m.assessedQuote = 0n;
}

/** Adds to a member's default-fund contribution and commitment (registering it, last, if new). */
export function addContribution(state: WaterfallRefState, accountId: number, amountQuote: bigint): void {
  const m = state.members.get(accountId);
  if (m === undefined) state.members.set(accountId, { fundQuote: amountQuote, committedQuote: amountQuote, assessedQuote: 0n });
  else { m.fundQuote += amountQuote; m.committedQuote += amountQuote; }
}

/** The engine's report (same fields, same meaning), plus what only the model reports. */
export interface RefAllocationReport extends AllocationReport {
  /** Model only: haircutGains + haircutDeposits. */
  haircutQuote: bigint;
  /** The deposit index after the run. */
  depositIndex: bigint;
  /** Model only: payers whose cap their equity set (below every other cap; socialization aside), and ADL closes it lowered. */
  solvencyBound: number;
}

/** InvalidWaterfall (code 114): nothing moves. `row` is the step index (in waterfall `waterfall`). */
export class RefInvalidWaterfall extends Error {
  readonly code = 114;
  constructor(readonly waterfall: number, readonly row: number, readonly field: string) {
    super(`InvalidWaterfall: waterfall ${waterfall} step ${row}: ${field}`);
    this.name = 'RefInvalidWaterfall';
  }
}

/** UnknownAccount (104: a provider account) or UnknownMarket (103: a group's market): nothing moves. */
export class RefUnknownId extends Error {
  readonly code: number;
  constructor(readonly codeName: 'UnknownAccount' | 'UnknownMarket', readonly waterfall: number, readonly row: number, readonly field: string) {
    super(`${codeName}: waterfall ${waterfall} step ${row}: ${field}`);
    this.code = codeName === 'UnknownAccount' ? 104 : 103;
    this.name = 'RefUnknownId';
  }
}

// ---- Helpers -----------------------------------------------------------------------------------

const PPM = 1_000_000n;
const I64_MAX = (1n << 63n) - 1n;
/** A pooled step whose payers' total weight or cap exceeds this pays nothing. */
const POOL_LIMIT = TWO_POW_62;
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);
/** A validated config amount (a bigint, or absent: 0). */
const atoms = (value: unknown): bigint => (value === undefined ? 0n : (value as bigint));

// ---- Pro rata ----------------------------------------------------------------------------------

export interface SplitPayer { weight: bigint; cap: bigint }

/**
 * split(X, payers): largest remainder with water-filling, payers in the given (id) order.
 * Round: W = sum of active weights, R = X - fixed; t_i = floor(R w_i / W), the R - sum t_i payers
 * with the largest (R w_i) mod W (ties: the earlier payer) get +1. No t_i exceeds its c_i: the shares
 * are t_i (active) and c_i (fixed). Otherwise every active payer with t_i >= c_i is fixed at c_i and
 * the round repeats. Requires X <= sum of caps; returns shares summing to X.
 */
export function split(X: bigint, payers: readonly SplitPayer[]): bigint[] {
  if (X < 0n) throw new RangeError('split: X < 0');
  for (const p of payers) if (p.weight < 0n || p.cap < 0n) throw new RangeError('split: weights and caps must be >= 0');
  if (X > sum(payers.map((p) => p.cap))) throw new RangeError('split: X exceeds the caps');
  const share = payers.map(() => 0n);
  const fixed = payers.map(() => false);
  let active = payers.map((_, i) => i).filter((i) => payers[i]!.weight > 0n);
  for (;;) {
    const R = X - sum(share.filter((_, i) => fixed[i]));
    if (active.length === 0) {
      // SPEC (R1): cannot happen when X <= the caps of the positive-weight payers.
      if (R > 0n) throw new RangeError('split: nothing left to place the rest on');
      return share;
    }
    const W = sum(active.map((i) => payers[i]!.weight));
    const t = new Map<number, bigint>();
    const rem = new Map<number, bigint>();
    for (const i of active) {
      t.set(i, floorDiv(R * payers[i]!.weight, W));
      rem.set(i, (R * payers[i]!.weight) % W);
    }
    let k = R - sum([...t.values()]);
    const byRemainder = [...active].sort((a, b) => (rem.get(a)! !== rem.get(b)! ? (rem.get(a)! > rem.get(b)! ? -1 : 1) : a - b));
    for (const i of byRemainder) {
      if (k === 0n) break;
      t.set(i, t.get(i)! + 1n);
      k -= 1n;
    }
    // SPEC (R1): done when no share (after the +1) exceeds its cap; else fix every t_i >= c_i.
    if (!active.some((i) => t.get(i)! > payers[i]!.cap)) {
      for (const i of active) share[i] = t.get(i)!;
      return share;
    }
    const capped = active.filter((i) => t.get(i)! >= payers[i]!.cap);
    for (const i of capped) {
      share[i] = payers[i]!.cap;
      fixed[i] = true;
    }
    active = active.filter((i) => !fixed[i]);
  }
}

// ---- Configuration -----------------------------------------------------------------------------

const RANKINGS = new Set(['pnl', 'bitmex', 'binance', 'hyperliquid', 'randomWalk', 'largest']);

function amountOf(value: unknown, w: number, row: number, field: string): bigint {
  if (value === undefined) return 0n;
  if (typeof value !== 'bigint') throw new TypeError(`model waterfall: ${field} must be a bigint`);
  if (value < 0n || value > TWO_POW_62) throw new RefInvalidWaterfall(w, row, field);
  return value;
}

function ppmOf(value: number | undefined, w: number, row: number, field: string, limit = PPM): bigint {
  if (value === undefined) return 0n;
  if (!Number.isInteger(value) || value < 0 || BigInt(value) > limit) throw new RefInvalidWaterfall(w, row, field);
  return BigInt(value);
}

function secondsOf(value: number | undefined, w: number, row: number, field: string): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0) throw new RefInvalidWaterfall(w, row, field);
  return value;
}

/** Validates the whole config (throws RefInvalidWaterfall before anything moves); returns the waterfalls. */
export function validateConfig(book: LiqBook, state: WaterfallRefState, config: WaterfallConfig): (readonly Tranche[])[] {
  const waterfalls = [config.steps, ...(config.groups ?? []).map((g) => g.steps)];
  const seenMarket = new Set<number>();
  (config.groups ?? []).forEach((g, gi) => {
    for (const m of g.markets) {
      if (!Number.isInteger(m) || book.markets[m] === undefined) throw new RefUnknownId('UnknownMarket', 1 + gi, 0, 'markets');
      if (seenMarket.has(m)) throw new RefInvalidWaterfall(1 + gi, 0, 'markets');
      seenMarket.add(m);
    }
  });
  waterfalls.forEach((steps, w) => {
    if (steps.length === 0) throw new RefInvalidWaterfall(w, 0, 'steps');
    const seen = new Set<string>();
    steps.forEach((t, row) => {
      // SPEC (R13): a repeat is the same kind, except insurance funds naming different funds and the two operator layers.
      const f = t.kind === 'insuranceFund' ? t.fund ?? 'market' : undefined;
      const key = t.kind === 'insuranceFund' ? `${t.kind}/${f === 'global' ? 0 : String(f)}`
        : t.kind === 'operatorCapital' ? `${t.kind}/${String(t.layer)}` : t.kind;
      if (seen.has(key)) throw new RefInvalidWaterfall(w, row, 'Tranche');
      seen.add(key);
      switch (t.kind) {
        case 'insuranceFund': {
          const f = t.fund ?? 'market';
          if (f !== 'market' && f !== 'global' && !(Number.isInteger(f) && f >= 0 && f < state.fundsQuote.length)) throw new RefInvalidWaterfall(w, row, 'fund');
          amountOf(t.maxPerDeficitQuote, w, row, 'maxPerDeficitQuote');
          amountOf(t.floorQuote, w, row, 'floorQuote');
          amountOf(t.marketCapQuote, w, row, 'marketCapQuote');
          secondsOf(t.marketCapWindowSec, w, row, 'marketCapWindowSec');
          const dd = ppmOf(t.drawdownPpm, w, row, 'drawdownPpm');
          // A drawdown rule needs a window.
          if (secondsOf(t.drawdownWindowSec, w, row, 'drawdownWindowSec') === 0 && dd > 0n) throw new RefInvalidWaterfall(w, row, 'drawdownWindowSec');
          break;
        }
        case 'backstopVault': {
          // SPEC (R8): no providers (or none given) and no vault account is not an error: nothing pays.
          const providers = t.providers ?? [];
          let total = 0n;
          let weights = 0n;
          const withWeight = providers.filter((p) => p.weightPpm !== undefined).length;
          for (const p of providers) {
            if (!Number.isInteger(p.accountId) || book.accounts[p.accountId] === undefined) throw new RefUnknownId('UnknownAccount', w, row, 'providers');
            total += amountOf(p.capacityQuote, w, row, 'capacityQuote');
            weights += ppmOf(p.weightPpm, w, row, 'weightPpm');
          }
          if (total > I64_MAX) throw new RefInvalidWaterfall(w, row, 'capacityQuote');
          if (withWeight !== 0 && (withWeight !== providers.length || weights !== PPM)) throw new RefInvalidWaterfall(w, row, 'weightPpm');
          break;
        }
        case 'adl': {
          const r = t.ranking;
          if (typeof r !== 'function' && !RANKINGS.has(r)) throw new RefInvalidWaterfall(w, row, 'ranking');
          if (t.price !== undefined && t.price !== 'bankruptcy' && t.price !== 'mark') throw new RefInvalidWaterfall(w, row, 'price');
          if (t.topK !== undefined && (!Number.isInteger(t.topK) || t.topK < 1 || t.topK > 64)) throw new RefInvalidWaterfall(w, row, 'topK');
          break;
        }
        case 'haircutGains':
          if (t.scope !== undefined && t.scope !== 'market' && t.scope !== 'all') throw new RefInvalidWaterfall(w, row, 'scope');
          amountOf(t.minGainQuote, w, row, 'minGainQuote');
          ppmOf(t.maxHaircutPpm, w, row, 'maxHaircutPpm');
          break;
        case 'operatorCapital':
          if (t.layer !== 1 && t.layer !== 2) throw new RefInvalidWaterfall(w, row, 'layer');
          break;
        case 'assessments':
          // A multiple of the contribution (Eurex 2x = 2,000,000): 1 ..= 10^8.
          if (ppmOf(t.multiplePpm, w, row, 'multiplePpm', 100_000_000n) < 1n) throw new RefInvalidWaterfall(w, row, 'multiplePpm');
          break;
        default:
          break;
      }
    });
  });
  return waterfalls;
}

/** Makes `config` the active waterfall (validated first: a refused one changes nothing); backstop capacities start afresh. */
export function setWaterfall(book: LiqBook, state: WaterfallRefState, config: WaterfallConfig): void {
  validateConfig(book, state, config);
  state.config = config;
  state.providerPaidQuote = new Map();
}

// ---- The run -----------------------------------------------------------------------------------

/** Which waterfall a record runs through: its market's group (1 + g), else the default one (0). */
function waterfallOf(config: WaterfallConfig, marketId: number | null): number {
  if (marketId === null) return 0;
  const g = (config.groups ?? []).findIndex((group) => group.markets.includes(marketId));
  return g < 0 ? 0 : 1 + g;
}

/** Bucket length of a window: ceil(window / 16). */
const bucketLen = (windowSec: number): number => Math.ceil(windowSec / 16);

/** The fund a record draws from for `fund`. */
function fundFor(state: WaterfallRefState, fund: 'market' | 'global' | number, marketId: number | null): number {
  if (fund === 'global') return 0;
  if (fund === 'market') return marketId === null ? 0 : state.marketFund[marketId]!;
  return fund;
}

/** Records a fund's balance in bucket floor(nowSec / len); another bucket length than the fund's starts it afresh (SPEC R2). */
function observeFund(state: WaterfallRefState, fundId: number, len: number, nowSec: number): void {
  let window = state.drawdownObservations.get(fundId);
  if (window === undefined || window.len !== len) {
    window = { len, buckets: new Map() };
    state.drawdownObservations.set(fundId, window);
  }
  const b = Math.floor(nowSec / len);
  const balance = state.fundsQuote[fundId]!;
  if (!window.buckets.has(b) || window.buckets.get(b)! < balance) window.buckets.set(b, balance);
}

/** Highest observation of the fund's window over buckets b-16 ..= b. */
function peakOf(state: WaterfallRefState, fundId: number, nowSec: number): bigint {
  const window = state.drawdownObservations.get(fundId);
  if (window === undefined) return 0n;
  const b = Math.floor(nowSec / window.len);
  let peak = 0n;
  for (const [bucket, balance] of window.buckets) if (bucket >= b - 16 && bucket <= b && balance > peak) peak = balance;
  return peak;
}

/** A capped step with a window serves a record of market m: the market's window is set (afresh if its bucket length changes). */
function applyPaidWindow(state: WaterfallRefState, marketId: number, windowSec: number): void {
  const len = bucketLen(windowSec);
  const window = state.paidWindows.get(marketId);
  if (window === undefined || window.len !== len) state.paidWindows.set(marketId, { len, since: state.insurancePaid.length });
}

/**
 * paid(m): every payment for m over all time (window 0), or over buckets b-16 ..= b of the market's
 * window, counting only the payments made since that window was set (SPEC R3).
 */
function paidOf(state: WaterfallRefState, marketId: number, windowSec: number, nowSec: number): bigint {
  let paid = 0n;
  const window = windowSec === 0 ? undefined : state.paidWindows.get(marketId);
  state.insurancePaid.forEach((p, i) => {
    if (p.marketId !== marketId) return;
    if (windowSec === 0) paid += p.amountQuote;
    else if (window !== undefined && i >= window.since) {
      const b = Math.floor(nowSec / window.len);
      const pb = Math.floor(p.atSec / window.len);
      if (pb >= b - 16 && pb <= b) paid += p.amountQuote;
    }
  });
  return paid;
}

/** A group that can pay: an account's cross book or one isolated position (`marketId` its market, -1 for cross). */
type PayerGroup = Group & { isolated: boolean; marketId: number };

/** Groups of open accounts in payer order: account id ascending, cross, then isolated by market ascending. */
function payerGroups(book: LiqBook): PayerGroup[] {
  const out: PayerGroup[] = [];
  book.accounts.forEach((account, accountId) => {
    if (account.closed) return;
    out.push({ ...crossGroup(book, accountId), isolated: false, marketId: -1 });
    const iso = [...account.isolated].sort((a, b) => a.marketId - b.marketId);
    for (const entry of iso) out.push({ accountId, account, isolatedId: null, wallet: entry, positions: () => [entry], isolated: true, marketId: entry.marketId });
  });
  return out;
}

/** A position's unrealized PnL v = floor(s m / D) + quote - fundingOwed. */
function pnlOf(book: LiqBook, p: { marketId: number; sizeBase: bigint; quoteBalance: bigint; fundingSnapshot: bigint }): bigint {
  const market = marketOf(book, p.marketId);
  return floorDiv(p.sizeBase * market.markPrice, scaleOf(market)) + p.quoteBalance - fundingOwedQuote(market, p);
}

/** min(cap, equity room), counting in `bound` the payers whose equity set the cap. */
function capAtEquity(cap: bigint, room: bigint, bound: { solvencyBound: number }): bigint {
  if (room < cap) { bound.solvencyBound += 1; return room; }
  return cap;
}

/** How much of a position's gain v > 0 a haircut can take: no more than keeps its quote balance >= -2^62. */
const gainRoom = (v: bigint, quote: bigint): bigint => min(v, quote + TWO_POW_62);

/** Records grouped by market (settle records left out), groups in the order of their first record. */
function byMarket(ks: readonly number[], deficits: readonly RefDeficit[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const k of ks) {
    const m = deficits[k]!.marketId;
    if (m === null) continue;
    const g = groups.get(m);
    if (g === undefined) groups.set(m, [k]);
    else g.push(k);
  }
  return groups;
}

/** True if a pooled step's payers are too heavy to split exactly (total weight or cap above 2^62): it pays nothing. */
const tooHeavy = (payers: readonly SplitPayer[]): boolean => sum(payers.map((p) => p.weight)) > POOL_LIMIT || sum(payers.map((p) => p.cap)) > POOL_LIMIT;

/**
 * One run (event): every record of `deficits` (the pending table, emptied by the run: the caller
 * drops it) goes through its waterfall. MUTATES book and state. `config` is set first if it is not
 * the active one. Throws RefInvalidWaterfall (nothing moved) on a bad config, RangeError if nowSec
 * goes back in time.
 */
export function allocate(book: LiqBook, state: WaterfallRefState, config: WaterfallConfig, deficits: readonly RefDeficit[],
  nowSec: number): { records: RefAuditRecord[]; report: RefAllocationReport } {
  const waterfalls = validateConfig(book, state, config);
  if (!Number.isInteger(nowSec) || nowSec < 0 || (state.lastNowSec !== null && nowSec < state.lastNowSec)) throw new RangeError('nowSec must not go back in time');
  for (const d of deficits) if (d.amountQuote <= 0n) throw new RangeError('a deficit record has amount > 0');
  const route = deficits.map((d) => waterfallOf(config, d.marketId));
  // The figures ADL ranks with, and every ranking function's keys (SPEC R5), before anything moves.
  const figures = startFigures(book);
  const functionKeys = functionKeysAtStart(book, figures, waterfalls, deficits, route);
  if (state.config !== config) setWaterfall(book, state, config);
  state.event += 1;
  state.lastNowSec = nowSec;
  const event = state.event;
  const open = deficits.map((d) => d.amountQuote);
  const defaulters = new Set(deficits.map((d) => d.accountId));
  const records: RefAuditRecord[] = [];
  const report: RefAllocationReport = {
    event, deficits: deficits.length, deficitQuote: sum(deficits.map((d) => d.amountQuote)), steps: [],
    insuranceFundQuote: 0n, vaultQuote: 0n, adlCoveredQuote: 0n, adlVolumeBase: 0n, adlNotionalQuote: 0n, adlAccounts: 0,
    socializedQuote: 0n, clearingHouseQuote: 0n, residueQuote: 0n, uncoveredQuote: 0n, paidBeyondEquityQuote: 0n, haircutQuote: 0n, depositIndex: 0n, solvencyBound: 0,
  };
  const residueBefore = state.residueQuote;

  // Run start: the drawdown observations (SPEC R2).
  waterfalls.forEach((steps, w) => {
    for (const t of steps) {
      if (t.kind !== 'insuranceFund' || (t.drawdownPpm ?? 0) === 0) continue;
      const f = t.fund ?? 'market';
      const funds = new Set<number>();
      if (f !== 'market') funds.add(fundFor(state, f, null));
      else {
        book.markets.forEach((_, m) => { if (waterfallOf(config, m) === w) funds.add(state.marketFund[m]!); });
        if (w === 0) funds.add(0);
      }
      const len = bucketLen(t.drawdownWindowSec!);
      for (const fundId of funds) observeFund(state, fundId, len, nowSec);
    }
  });
  const adlRun: AdlRun = {
    book, figures, functionKeys, event, records, ledger: state,
    totals: { coveredQuote: 0n, volumeBase: 0n, notionalQuote: 0n, accounts: 0, solvencyBound: 0 }, split,
  };

  waterfalls.forEach((steps, w) => {
    steps.forEach((t, j) => {
      // Records of this waterfall still open, in record order.
      const ks = deficits.map((_, k) => k).filter((k) => route[k] === w && open[k]! > 0n);
      // Records only for amounts > 0.
      const cover = (k: number, x: bigint, accountId: number | null = null, priceQuote = 0n): void => {
        open[k]! -= x;
        if (x > 0n) records.push({ deficit: k, waterfall: w, step: j, role: 'cover', accountId, marketId: deficits[k]!.marketId, amountQuote: x, priceQuote, sizeBase: 0n });
      };
      const pay = (accountId: number | null, marketId: number | null, x: bigint): void => {
        if (x > 0n) records.push({ deficit: null, waterfall: w, step: j, role: 'pay', accountId, marketId, amountQuote: x, priceQuote: 0n, sizeBase: 0n });
      };
      /** Per record (of `which`, in record order) x_k = min(r_k, capacity left); returns X. */
      const takeUpTo = (capacity: bigint, which: readonly number[] = ks): bigint => {
        let left = capacity;
        for (const k of which) {
          const x = min(open[k]!, left);
          left -= x;
          cover(k, x);
        }
        return capacity - left;
      };
      const openBefore = sum(ks.map((k) => open[k]!));
      const residueAtStart = state.residueQuote;
      let beyondQuote = 0n, beyondAccounts = 0;

      switch (t.kind) {
        case 'insuranceFund': {
          const f = t.fund ?? 'market';
          const floorQ = atoms(t.floorQuote);
          const dd = BigInt(t.drawdownPpm ?? 0);
          const perDeficit = atoms(t.maxPerDeficitQuote);
          const cap = atoms(t.marketCapQuote);
          for (const k of ks) {
            const m = deficits[k]!.marketId;
            const fundId = fundFor(state, f, m);
            const B = state.fundsQuote[fundId]!;
            const floorEff = max(floorQ, dd > 0n ? ceilDiv(peakOf(state, fundId, nowSec) * (PPM - dd), PPM) : 0n);
            let x = min(open[k]!, max(0n, B - floorEff));
            if (perDeficit > 0n) x = min(x, perDeficit);
            // SPEC (R3): settle records have no market cap; an exceeded cap leaves 0; a windowed cap sets the market's window.
            if (cap > 0n && m !== null) {
              const windowSec = t.marketCapWindowSec ?? 0;
              if (windowSec > 0) applyPaidWindow(state, m, windowSec);
              x = min(x, max(0n, cap - paidOf(state, m, windowSec, nowSec)));
            }
            state.fundsQuote[fundId] = B - x;
            if (m !== null && x > 0n) state.insurancePaid.push({ marketId: m, atSec: nowSec, amountQuote: x });
            cover(k, x);
          }
          break;
        }
        case 'backstopVault': {
          // Provider entries with their config index; SPEC (R8): split in the order listed.
          const given = t.providers ?? [];
          const entries = given.length > 0 ? given.map((p, i) => ({ p, i })) : state.vaultAccountId === undefined ? [] : [{ p: { accountId: state.vaultAccountId } as typeof given[number], i: -1 }];
          if (entries.length === 0) break;
          const useWeights = entries.some(({ p }) => p.weightPpm !== undefined);
          const paidKey = (i: number): string => `${w}/${j}/${i}`;
          for (const k of ks) {
            // c_j = min(capLeft_j, max(0, collateral_j)); capacity 0: no cap.
            const caps = entries.map(({ p, i }) => {
              const account = book.accounts[p.accountId]!;
              // Its collateral, and no more than keeps its equity at or above zero.
              const coll = account.closed ? 0n : capAtEquity(max(0n, account.collateralQuote), solventRoom(equityNow(book, crossGroup(book, p.accountId))), report);
              const capacity = atoms(p.capacityQuote);
              return capacity > 0n ? min(max(0n, capacity - (state.providerPaidQuote.get(paidKey(i)) ?? 0n)), coll) : coll;
            });
            const payers = entries.map(({ p }, n) => ({ weight: useWeights ? BigInt(p.weightPpm!) : caps[n]!, cap: caps[n]! }));
            if (tooHeavy(payers)) continue;
            const x = min(open[k]!, sum(caps));
            const shares = split(x, payers);
            entries.forEach(({ p, i }, n) => {
              const share = shares[n]!;
              book.accounts[p.accountId]!.collateralQuote -= share;
              state.providerPaidQuote.set(paidKey(i), (state.providerPaidQuote.get(paidKey(i)) ?? 0n) + share);
              cover(k, share, p.accountId);
            });
          }
          break;
        }
        case 'adl': {
          const step: AdlStep = { ranking: t.ranking, price: t.price ?? 'bankruptcy', seed: BigInt(t.seed ?? 0), topK: t.topK ?? 10 };
          adlStep(adlRun, step, w, j, ks, deficits, open);
          break;
        }
        case 'socializeFunding': {
          // Per market, in the order of its first record: every position with a size pays by
          // split(X, weights |s|, caps max(0, E)), E its group's equity when the market's pool forms;
          // covers, then one pay record per payer (account, market) in payer order.
          for (const [m, group] of byMarket(ks, deficits)) {
            const payers = payerGroups(book).flatMap((g) => {
              const p = g.positions().find((x) => x.marketId === m && x.sizeBase !== 0n);
              // No collateral goes below -2^62 (the supported range): the cap is within C + 2^62 too.
              return p === undefined ? [] : [{ g, weight: abs(p.sizeBase), cap: min(solventRoom(equityNow(book, g)), g.wallet.collateralQuote + TWO_POW_62) }];
            });
            if (tooHeavy(payers)) continue;
            const X = takeUpTo(sum(payers.map((p) => p.cap)), group);
            const shares = split(X, payers);
            payers.forEach((p, i) => {
              p.g.wallet.collateralQuote -= shares[i]!;
              pay(p.g.accountId, m, shares[i]!);
            });
          }
          break;
        }
        case 'haircutGains': {
          const scope = t.scope ?? 'market';
          const minGain = atoms(t.minGainQuote);
          const cut = BigInt(t.maxHaircutPpm ?? 1_000_000);
          // One pool (scope all: every record) or one per market group (settle records skipped).
          const pools: [number | null, number[]][] = scope === 'all' ? [[null, ks]] : [...byMarket(ks, deficits)];
          for (const [m, group] of pools) {
            // Each payer's gain g (over its positions in scope), its cap min(floor(g ppm / 10^6),
            // max(0, E), the positions' room), E its group's equity when the pool forms.
            const payers = payerGroups(book).flatMap((g) => {
              const held = g.positions().filter((p) => m === null || p.marketId === m);
              if (m === null && g.isolated === false && held.length === 0) return [];
              if (m !== null && held.length === 0) return [];
              const gain = sum(held.map((p) => pnlOf(book, p)));
              if (gain <= minGain) return [];
              const room = sum(held.map((p) => { const v = pnlOf(book, p); return v > 0n ? gainRoom(v, p.quoteBalance) : 0n; }));
              const cap = capAtEquity(min(floorDiv(gain * cut, PPM), room), solventRoom(equityNow(book, g)), report);
              return [{ g, held, weight: gain, cap }];
            });
            if (tooHeavy(payers)) continue;
            const X = takeUpTo(sum(payers.map((p) => p.cap)), group);
            const shares = split(X, payers);
            payers.forEach((p, i) => {
              // The share comes out of the gain itself: the positions' quote balances (in market
              // order, each up to its room), realized and paid out (flows fall by it).
              let left = shares[i]!;
              for (const pos of [...p.held].sort((a, b) => a.marketId - b.marketId)) {
                const v = pnlOf(book, pos);
                if (left === 0n || v <= 0n) continue;
                const x = min(left, gainRoom(v, pos.quoteBalance));
                pos.quoteBalance -= x;
                left -= x;
              }
              if (left !== 0n) throw new Error('model: a gains haircut beyond the payer\'s room');
              state.flowQuote -= shares[i]!;
              // SPEC (R4): the pool's market, or an isolated payer's own.
              pay(p.g.accountId, m ?? (p.g.isolated ? p.g.marketId : null), shares[i]!);
            });
          }
          break;
        }
        case 'haircutDeposits': {
          // Weight: the deposit C; cap: min(C, max(0, E)).
          const payers = book.accounts.map((a, id) => ({ a, id })).filter(({ a }) => !a.closed && a.collateralQuote > 0n);
          const weights = payers.map(({ a, id }) => ({ weight: a.collateralQuote, cap: capAtEquity(a.collateralQuote, solventRoom(equityNow(book, crossGroup(book, id))), report) }));
          if (sum(weights.map((p) => p.weight)) > POOL_LIMIT) break;
          const total = sum(weights.map((p) => p.weight));
          const X = takeUpTo(sum(weights.map((p) => p.cap)));
          const shares = split(X, weights);
          payers.forEach(({ a, id }, i) => {
            a.collateralQuote -= shares[i]!;
            pay(id, null, shares[i]!);
          });
          // idx - ceil(idx X / sum C)
          if (X > 0n) state.depositIndex -= ceilDiv(state.depositIndex * X, total);
          break;
        }
        case 'haircutVaultShares': {
          const vaultId = state.vaultAccountId;
          if (vaultId === undefined) break; // SPEC (R8)
          const vault = book.accounts[vaultId]!;
          // Its collateral, and no more than keeps its equity at or above zero.
          const X = takeUpTo(capAtEquity(max(0n, vault.collateralQuote), solventRoom(equityNow(book, crossGroup(book, vaultId))), report));
          vault.collateralQuote -= X;
          // SPEC (R9): providers in the order of their first deposit.
          const lps = [...state.lpShares.entries()].filter(([, s]) => s > 0n);
          if (lps.length === 0) pay(vaultId, null, X);
          else {
            const shares = split(X, lps.map(([, s]) => ({ weight: s, cap: X })));
            lps.forEach(([id], i) => pay(id, null, shares[i]!));
          }
          break;
        }
        case 'defaulterFund':
          for (const k of ks) {
            const a = deficits[k]!.accountId;
            const member = state.members.get(a);
            const x = member === undefined ? 0n : min(open[k]!, member.fundQuote);
            if (member !== undefined) member.fundQuote -= x;
            cover(k, x, a);
          }
          break;
        case 'operatorCapital': {
          const layer = t.layer === 1 ? 0 : 1;
          for (const k of ks) {
            const x = min(open[k]!, state.operatorCapitalQuote[layer]);
            state.operatorCapitalQuote[layer] -= x;
            cover(k, x);
          }
          break;
        }
        case 'membersFund': {
          const survivors = surviving(book, state, defaulters);
          const payers = survivors.map(([, m]) => ({ weight: m.fundQuote, cap: m.fundQuote }));
          if (t.withLayer2) payers.push({ weight: state.operatorCapitalQuote[1], cap: state.operatorCapitalQuote[1] });
          if (tooHeavy(payers)) break;
          const X = takeUpTo(sum(payers.map((p) => p.cap)));
          const shares = split(X, payers);
          survivors.forEach(([id, m], i) => {
            m.fundQuote -= shares[i]!;
            pay(id, null, shares[i]!);
          });
          if (t.withLayer2) {
            const share = shares[survivors.length]!;
            state.operatorCapitalQuote[1] -= share;
            pay(null, null, share);
          }
          break;
        }
        case 'assessments': {
          const survivors = surviving(book, state, defaulters);
          const mult = BigInt(t.multiplePpm);
          // The limit saturates at 2^62 (assessed stays an amount); collateral stays at or above -2^62.
          const payers = survivors.map(([id, m]) => ({
            weight: m.committedQuote,
            cap: max(0n, min(min(floorDiv(m.committedQuote * mult, PPM), TWO_POW_62) - m.assessedQuote, book.accounts[id]!.collateralQuote + TWO_POW_62)),
          }));
          if (tooHeavy(payers)) break;
          const X = takeUpTo(sum(payers.map((p) => p.cap)));
          const shares = split(X, payers);
          survivors.forEach(([id, m], i) => {
            // Members owe their assessment even beyond their equity: the part beyond is reported.
            if (shares[i]! > 0n) {
              const room = solventRoom(equityNow(book, crossGroup(book, id)));
              if (shares[i]! > room) { beyondQuote += shares[i]! - room; beyondAccounts += 1; }
            }
            book.accounts[id]!.collateralQuote -= shares[i]!;
            m.assessedQuote += shares[i]!;
            pay(id, null, shares[i]!);
          });
          break;
        }
      }

      const covered = openBefore - sum(ks.map((k) => open[k]!));
      state.coveredQuote += covered;
      report.steps.push({
        waterfall: w, step: j, kind: t.kind, coveredQuote: covered, residueQuote: state.residueQuote - residueAtStart,
        paidBeyondEquityQuote: beyondQuote, paidBeyondEquityAccounts: beyondAccounts,
      });
      report.paidBeyondEquityQuote += beyondQuote;
      if (t.kind === 'insuranceFund') report.insuranceFundQuote += covered;
      else if (t.kind === 'backstopVault' || t.kind === 'haircutVaultShares') report.vaultQuote += covered;
      else if (t.kind === 'socializeFunding') report.socializedQuote += covered;
      else if (t.kind === 'haircutGains' || t.kind === 'haircutDeposits') { report.haircutQuote += covered; report.socializedQuote += covered; }
      else if (t.kind !== 'adl') report.clearingHouseQuote += covered;
    });
  });

  // After the last step r_k is uncovered (no step, no payer).
  deficits.forEach((d, k) => {
    if (open[k]! <= 0n) return;
    records.push({ deficit: k, waterfall: null, step: null, role: 'uncovered', accountId: null, marketId: d.marketId, amountQuote: open[k]!, priceQuote: 0n, sizeBase: 0n });
    state.uncoveredQuote += open[k]!;
    report.uncoveredQuote += open[k]!;
  });
  report.adlCoveredQuote = adlRun.totals.coveredQuote;
  report.adlVolumeBase = adlRun.totals.volumeBase;
  report.adlNotionalQuote = adlRun.totals.notionalQuote;
  report.adlAccounts = adlRun.totals.accounts;
  report.solvencyBound += adlRun.totals.solvencyBound;
  report.residueQuote = state.residueQuote - residueBefore;
  report.depositIndex = state.depositIndex;
  return { records, report };
}

/** Surviving members (not defaulters of the run, open accounts), in the order they were registered. */
function surviving(book: LiqBook, state: WaterfallRefState, defaulters: ReadonlySet<number>): [number, RefMember][] {
  return [...state.members.entries()].filter(([id]) => !defaulters.has(id) && book.accounts[id] !== undefined && !book.accounts[id]!.closed);
}

// ---- Conservation ------------------------------------------------------------------------------

export interface RefWaterfallLedger {
  collateralQuote: bigint;
  fundsQuote: bigint;
  operatorCapitalQuote: bigint;
  defaultFundQuote: bigint;
  residueQuote: bigint;
  liquidatorFeesQuote: bigint;
  flowQuote: bigint;
  pendingQuote: bigint;
  uncoveredQuote: bigint;
  totalQuote: bigint;
}

/**
 * L = collateral (cross + isolated) + insurance funds + operator capital + default fund + residue
 *     + liquidator fees + flows - pending deficits - uncovered.
 */
export function waterfallLedger(book: LiqBook, state: WaterfallRefState, pending: readonly { amountQuote: bigint }[]): RefWaterfallLedger {
  let collateralQuote = 0n;
  for (const account of book.accounts) {
    collateralQuote += account.collateralQuote;
    for (const entry of account.isolated) collateralQuote += entry.collateralQuote;
  }
  const l = {
    collateralQuote, fundsQuote: sum(state.fundsQuote), operatorCapitalQuote: state.operatorCapitalQuote[0] + state.operatorCapitalQuote[1],
    defaultFundQuote: sum([...state.members.values()].map((m) => m.fundQuote)), residueQuote: state.residueQuote,
    liquidatorFeesQuote: state.liquidatorFeesQuote, flowQuote: state.flowQuote, pendingQuote: sum(pending.map((d) => d.amountQuote)),
    uncoveredQuote: state.uncoveredQuote,
  };
  return {
    ...l,
    totalQuote: l.collateralQuote + l.fundsQuote + l.operatorCapitalQuote + l.defaultFundQuote + l.residueQuote + l.liquidatorFeesQuote
      + l.flowQuote - l.pendingQuote - l.uncoveredQuote,
  };
}

