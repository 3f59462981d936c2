/**
 * The public surface as the hostile-argument fuzzer sees it: one row per method (RiskEngine
 * methods and getters, the audit log, the simulation entry points, the exported helpers), each
 * with a generator of valid arguments for the engine's current state and the slots where a
 * hostile value may replace a valid one (with the kind that decides whether it must be refused).
 *
 * To fuzz a new method, add a row: `args` draws valid arguments from `ctx.rng` (ids of accounts
 * and markets that exist, amounts in range, objects of the right shape), `slots` lists the paths
 * into those arguments a hostile value may take, and `call` makes the call.
 */
import {
  AuditLog, resolveConfig, RiskCoreError, RiskEngine, simulate, Simulator, toAtoms, TRANCHE_KINDS, WATERFALL_PRESETS,
  type LiquidationPolicy, type WaterfallConfig,
} from '../../dist/src/node.js';
import { accountColumns } from '../support/book.js';
import type { RefAccount } from '../reference/model.js';
import { clampPrice, FAILING_RANKINGS, type Kind, RANKING_FUNCTIONS, type Rng } from './gen.js';

export interface Ctx {
  engine: RiskEngine;
  /** A second engine of the same shape, for batches that belong to another engine. */
  other: RiskEngine;
  rng: Rng;
  /** A valid waterfall and policy for this venue (drawn with the case). */
  waterfall: WaterfallConfig;
  policy: LiquidationPolicy;
}

export type Path = readonly (string | number)[];

export interface Slot {
  path: Path;
  kind: Kind;
  /** The parameter may be left out (undefined takes its default). */
  optional?: boolean;
  /** Whether the call reads this slot given the other arguments (default: always). */
  consumed?: (args: unknown[]) => boolean;
}

export interface Method {
  name: string;
  args: (ctx: Ctx) => unknown[];
  slots: readonly Slot[];
  call: (ctx: Ctx, args: unknown[]) => unknown;
  /** A successful call hands the engine over (Simulator.fromEngine): the sequence ends. */
  takesEngine?: boolean;
  /**
   * Trust checks of the call (DESIGN.md, invariant 6), run after it whether it threw or not: a
   * message when the core took caller-writable memory or a callback's re-entry as input.
   */
  verify?: (ctx: Ctx) => string | undefined;
  /** The call is several calls (e.g. plan, then execute): a refusal of a later one may follow changes by an earlier one. */
  compound?: boolean;
  /**
   * A refusal that by design follows changes the call made first (a cascade whose allocation is
   * refused by its ranking function: the rounds before stand). Such a refusal must still keep the
   * ledger's total (conservation).
   */
  refusalAfterChanges?: (x: RiskCoreError) => boolean;
}

// ---- Valid values for the engine's state ---------------------------------------------------------

const account = (c: Ctx): number => (c.rng.chance(0.93) ? c.rng.int(0, Math.max(0, c.engine.accountCount - 1)) : c.engine.accountCount);
const market = (c: Ctx): number => c.rng.int(0, Math.max(0, c.engine.marketCount - 1));
const quote = (c: Ctx): bigint | string | number => c.rng.pick<() => bigint | string | number>([
  () => 0n, () => 1n, () => 1_000_000n, () => BigInt(c.rng.int(1, 1e9)), () => `${c.rng.int(0, 5000)}.${c.rng.int(0, 999_999)}`, () => c.rng.int(0, 1e6),
])();
const decimalsOf = (c: Ctx, m: number): number => (m < c.engine.marketCount ? c.engine.market(m).baseDecimals : 0);
const priceOf = (c: Ctx, m: number): bigint => clampPrice(m < c.engine.marketCount ? c.engine.market(m).markPrice * BigInt(c.rng.int(50, 150)) / 100n : 1_000_000n);
const sizeOf = (c: Ctx, m: number): bigint => BigInt(c.rng.int(-1000, 1000)) * 10n ** BigInt(Math.max(0, decimalsOf(c, m) - c.rng.int(0, 3)));
/** A second at or after the engine's last withdrawal call (now and then one before it). */
const nowAfter = (c: Ctx): number => Number(c.engine.withdrawalState().capacitySec ?? 0n) + (c.rng.chance(0.05) ? -1 : c.rng.int(0, 4000));
/** An insurance fund: 0 (global) ..= marketCount (1 + market), rarely one past the last. */
const fund = (c: Ctx): number => (c.rng.chance(0.95) ? c.rng.int(0, c.engine.marketCount) : c.engine.marketCount + 1);
/** A staking call's second: absent (the latest one taken), or a second that mostly grows. */
const stakingSec = (c: Ctx): number | undefined => (c.rng.chance(0.3) ? undefined : c.rng.int(0, 40 * 86_400));
const accountIds = (c: Ctx): number[] => Array.from({ length: c.rng.int(0, 4) }, () => account(c));

function newAccounts(c: Ctx): RefAccount[] {
  return Array.from({ length: c.rng.int(1, 3) }, () => {
    const markets = [...new Set(Array.from({ length: c.rng.int(0, Math.min(2, c.engine.marketCount)) }, () => market(c)))];
    const cross = markets.filter(() => c.rng.chance(0.7));
    const iso = markets.filter((m) => !cross.includes(m));
    const pos = (m: number) => { const s = sizeOf(c, m); return { marketId: m, sizeBase: s, quoteBalance: -s * priceOf(c, m) / 10n ** BigInt(decimalsOf(c, m)), fundingSnapshot: 0n }; };
    return { collateralQuote: BigInt(c.rng.int(0, 1e9)), imfFloorPpm: c.rng.chance(0.8) ? 0 : c.rng.int(0, 1_000_000), positions: cross.map(pos), isolated: iso.map((m) => ({ ...pos(m), collateralQuote: BigInt(c.rng.int(0, 1e8)) })) };
  });
}

function curve(c: Ctx): Record<string, unknown> {
  const mmfPpm = c.rng.int(1, 100_000), imfPpm = Math.min(1_000_000, mmfPpm + c.rng.int(0, 100_000));
  return c.rng.pick<() => Record<string, unknown>>([
    () => ({ kind: 'flat', imfPpm, mmfPpm }),
    () => ({ kind: 'tiers', tiers: [{ notionalFloorQuote: 0n, imfPpm, mmfPpm }, { notionalFloorQuote: '50000', imfPpm: Math.min(1e6, imfPpm + 5000), mmfPpm: mmfPpm + 1000 }] }),
    () => ({ kind: 'sizePremium', imfPpm, mmfPpm, premiumPpm: c.rng.int(0, 5000) }),
    () => ({ kind: 'openInterest', imfPpm, mmfPpm, lowerCapQuote: '1000000', upperCapQuote: '5000000' }),
  ])();
}

function fill(c: Ctx): Record<string, unknown> {
  const m = market(c);
  const isolated = c.rng.chance(0.25);
  const liquidity = c.rng.pick([undefined, 'taker', 'maker']);
  return {
    accountId: account(c), marketId: m, sizeDeltaBase: sizeOf(c, m), priceQuote: priceOf(c, m), ...(isolated ? { isolated, isolatedMarginQuote: quote(c) } : {}),
    ...(liquidity ? { liquidity } : {}),
  };
}

function scope(c: Ctx): unknown {
  return c.rng.pick<() => unknown>([() => undefined, () => ({ from: c.rng.int(0, c.engine.accountCount), count: c.rng.int(0, 4) }), () => ({ accounts: accountIds(c) })])();
}

/** A valid batch of this engine, a stale one, or one of the other engine. */
function batchFor(c: Ctx): unknown {
  const pick = c.rng.int(0, 5);
  const owner = pick === 4 ? c.other : c.engine;
  const rows = newAccounts(c);
  const cols = accountColumns(rows, owner.accountCount);
  const b = owner.reserve({ accounts: rows.length, positions: cols.positions.marketId.length, isolated: cols.isolated!.accountId.length });
  b.accounts.collateralQuote.set(cols.accounts.collateralQuote!);
  b.accounts.positionCount.set(cols.accounts.positionCount);
  b.positions.marketId.set(cols.positions.marketId);
  b.positions.sizeBase.set(cols.positions.sizeBase);
  b.isolated.accountId.set(cols.isolated!.accountId);
  b.isolated.marketId.set(cols.isolated!.marketId);
  b.isolated.sizeBase.set(cols.isolated!.sizeBase);
  b.isolated.collateralQuote.set(cols.isolated!.collateralQuote!);
  if (pick === 5) c.engine.reserve({ accounts: 1, positions: 0 }); // a newer reservation replaces this batch's staging
  return b;
}

function simConfig(c: Ctx): Record<string, unknown> {
  return {
    paths: 1, steps: c.rng.int(1, 3), seed: c.rng.int(0, 1000), waterfall: c.rng.pick(Object.keys(WATERFALL_PRESETS)), policy: c.rng.pick(['partial', 'buffered', 'dydx', 'hyperliquid']),
    scenario: c.rng.pick([{ kind: 'shockGrid', scanRangePpm: 150_000 }, { kind: 'monteCarlo', volatilityPpm: 3000 }]),
  };
}

/** A simulation's withdrawal run (economics.withdrawals), every key drawn in range. */
function simWithdrawals(c: Ctx): Record<string, unknown> {
  return {
    everySteps: c.rng.int(1, 3), probabilityPpm: c.rng.int(0, 1_000_000), bankRunPpm: c.rng.int(0, 1_000_000),
    realizable: c.rng.pick(['all', 'none', 'pnlPool', 'residualRatio']), transferFloorPpm: c.rng.int(0, 100_000),
    capacity: c.rng.pick([null, { periodSec: 3_600, ppmOfTotal: 10_000 }, { periodSec: 600, minQuote: '1000', gateSec: 60, lossCharge: true }]),
  };
}

// ---- Kinds --------------------------------------------------------------------------------------

const ACCOUNT: Kind = { t: 'account' };
const MARKET: Kind = { t: 'market' };
const ANY: Kind = { t: 'any' };
const LIST: Kind = { t: 'list' };
const PPM: Kind = { t: 'ppm' };
const COUNT: Kind = { t: 'count' };
const SECONDS: Kind = { t: 'count', max: Number.MAX_SAFE_INTEGER };
/** An insurance fund id: an integer >= 0 (one past the last is refused by the state, not the kind). */
const FUND: Kind = { t: 'count' };
const Q = (decimals = 6): Kind => ({ t: 'atoms', decimals });
const ENUM = (...values: unknown[]): Kind => ({ t: 'enum', values });
const has = (path: Path) => (args: unknown[]): boolean => {
  let v: unknown = args;
  for (const k of path) { if (v === null || typeof v !== 'object') return false; v = (v as Record<string | number, unknown>)[k]; }
  return v !== undefined;
};
const curveIs = (...kinds: unknown[]) => (a: unknown[]): boolean => kinds.includes(getPath(a, [0, 'curve', 'kind']));

const e = (c: Ctx): RiskEngine => c.engine;
/** A simulation's policy and waterfall: a preset's name or an object of the type. */
const SIM_POLICY: Kind = { t: 'enumOrObject', values: ['partial', 'buffered', 'dydx', 'hyperliquid'] };
const SIM_WATERFALL: Kind = { t: 'enumOrObject', values: Object.keys(WATERFALL_PRESETS) };

// ---- The surface --------------------------------------------------------------------------------

export const METHODS: readonly Method[] = [
  { name: 'addMarket', args: (c) => [{ baseDecimals: c.rng.int(0, 12), markPrice: BigInt(c.rng.int(1, 1e9)), curve: curve(c), ...(c.rng.chance(0.3) ? { stepBase: 1n } : {}), ...(c.rng.chance(0.3) ? { insuranceFund: c.rng.pick(['global', 'own']) } : {}), ...(c.rng.chance(0.2) ? { fundingIndexLong: 5n, fundingIndexShort: -5n } : {}) }],
    slots: [{ path: [0], kind: ANY }, { path: [0, 'baseDecimals'], kind: { t: 'count', max: 12 } }, { path: [0, 'markPrice'], kind: Q() }, { path: [0, 'curve'], kind: ANY },
      { path: [0, 'curve', 'kind'], kind: ENUM('flat', 'tiers', 'sizePremium', 'openInterest') }, { path: [0, 'curve', 'imfPpm'], kind: PPM, consumed: curveIs('flat', 'sizePremium', 'openInterest') },
      { path: [0, 'curve', 'mmfPpm'], kind: PPM, consumed: curveIs('flat', 'sizePremium', 'openInterest') }, { path: [0, 'curve', 'premiumPpm'], kind: COUNT, consumed: curveIs('sizePremium') },
      { path: [0, 'curve', 'tiers'], kind: ANY, consumed: curveIs('tiers') }, { path: [0, 'curve', 'tiers', 0, 'imfPpm'], kind: PPM, consumed: curveIs('tiers') },
      { path: [0, 'curve', 'lowerCapQuote'], kind: Q(), consumed: curveIs('openInterest') }, { path: [0, 'stepBase'], kind: ANY, optional: true },
      { path: [0, 'insuranceFund'], kind: ENUM('global', 'own'), optional: true }, { path: [0, 'fundingIndexLong'], kind: Q(), optional: true }],
    call: (c, a) => e(c).addMarket(a[0] as never) },
  { name: 'market', args: (c) => [market(c)], slots: [{ path: [0], kind: MARKET }], call: (c, a) => e(c).market(a[0] as number) },
  { name: 'setMarks', args: (c) => { const ids = [market(c)]; return [ids, ids.map((m) => priceOf(c, m))]; },
    slots: [{ path: [0], kind: LIST }, { path: [1], kind: LIST }, { path: [0, 0], kind: MARKET }, { path: [1, 0], kind: Q() }],
    call: (c, a) => e(c).setMarks(a[0] as number[], a[1] as bigint[]) },
  { name: 'setFundingIndices', args: (c) => { const m = market(c), x = e(c).market(m); return [[m], [x.fundingIndexLong + BigInt(c.rng.int(-100, 100))], [x.fundingIndexShort + BigInt(c.rng.int(-100, 100))]]; },
    slots: [{ path: [0], kind: LIST }, { path: [2], kind: LIST }, { path: [0, 0], kind: MARKET }, { path: [1, 0], kind: Q() }, { path: [2, 0], kind: Q() }],
    call: (c, a) => e(c).setFundingIndices(a[0] as number[], a[1] as bigint[], a[2] as bigint[]) },
  { name: 'reserve', args: (c) => [{ accounts: c.rng.int(0, 3), positions: c.rng.int(0, 3), isolated: c.rng.int(0, 1) }],
    slots: [{ path: [0], kind: ANY }, { path: [0, 'accounts'], kind: COUNT }, { path: [0, 'positions'], kind: COUNT }, { path: [0, 'isolated'], kind: COUNT, optional: true }],
    call: (c, a) => { e(c).reserve(a[0] as never); } },
  // The batch's firstAccountId is for the caller: commit reads the reservation's own (never consumed).
  { name: 'commit', args: (c) => [batchFor(c)], slots: [{ path: [0], kind: ANY }, { path: [0, 'counts'], kind: ANY }, { path: [0, 'firstAccountId'], kind: ANY, consumed: () => false }],
    call: (c, a) => e(c).commit(a[0] as never) },
  { name: 'appendColumns', args: (c) => [accountColumns(newAccounts(c), e(c).accountCount)],
    slots: [{ path: [0], kind: ANY }, { path: [0, 'accounts'], kind: ANY }, { path: [0, 'accounts', 'positionCount'], kind: ANY }, { path: [0, 'accounts', 'collateralQuote'], kind: ANY, optional: true },
      { path: [0, 'positions', 'marketId'], kind: ANY }, { path: [0, 'positions', 'sizeBase'], kind: ANY }, { path: [0, 'isolated'], kind: ANY, optional: true },
      { path: [0, 'isolated', 'accountId'], kind: ANY }, { path: [0, 'accounts', 'positionCount', 0], kind: COUNT }, { path: [0, 'positions', 'marketId', 0], kind: MARKET, consumed: has([0, 'positions', 'marketId', 0]) }],
    call: (c, a) => e(c).appendColumns(a[0] as never) },
  { name: 'addAccounts', args: (c) => [newAccounts(c).map((x) => ({ collateralQuote: x.collateralQuote, imfFloorPpm: x.imfFloorPpm, positions: x.positions, isolated: x.isolated }))],
    slots: [{ path: [0], kind: LIST }, { path: [0, 0], kind: ANY }, { path: [0, 0, 'collateralQuote'], kind: Q(), optional: true }, { path: [0, 0, 'imfFloorPpm'], kind: PPM, optional: true },
      { path: [0, 0, 'positions'], kind: ANY, optional: true }, { path: [0, 0, 'positions', 0, 'marketId'], kind: MARKET, consumed: has([0, 0, 'positions', 0]) },
      { path: [0, 0, 'positions', 0, 'sizeBase'], kind: ANY, consumed: has([0, 0, 'positions', 0]) }, { path: [0, 0, 'isolated', 0, 'collateralQuote'], kind: Q(), optional: true, consumed: has([0, 0, 'isolated', 0]) }],
    call: (c, a) => e(c).addAccounts(a[0] as never) },
  ...(['applyFill', 'preTrade'] as const).map((name): Method => ({
    name, args: (c) => [fill(c)],
    slots: [{ path: [0], kind: ANY }, { path: [0, 'accountId'], kind: ACCOUNT }, { path: [0, 'marketId'], kind: MARKET }, { path: [0, 'sizeDeltaBase'], kind: ANY },
      { path: [0, 'priceQuote'], kind: Q() }, { path: [0, 'isolated'], kind: ANY, optional: true }, { path: [0, 'isolatedMarginQuote'], kind: Q(), optional: true },
      { path: [0, 'liquidity'], kind: ENUM('taker', 'maker'), optional: true }],
    call: (c, a) => e(c)[name](a[0] as never),
  })),
  { name: 'setMarketFees', args: (c) => { const t = c.rng.int(0, 2_000); return [market(c), { makerPpm: c.rng.int(-t, 1_000), takerPpm: t }]; },
    slots: [{ path: [0], kind: MARKET }, { path: [1], kind: ANY }, { path: [1, 'takerPpm'], kind: PPM }, { path: [1, 'makerPpm'], kind: ANY }],
    call: (c, a) => e(c).setMarketFees(a[0] as number, a[1] as never) },
  { name: 'setRevenueSplit', args: (c) => { const x = c.rng.int(0, 1_000_000); return [{ tradingFees: { insuranceFund: x, treasury: 1_000_000 - x }, liquidationFees: { stakers: 1_000_000 }, fundingSkim: { treasury: 1_000_000 } }]; },
    slots: [{ path: [0], kind: ANY }, { path: [0, 'tradingFees'], kind: ANY, optional: true }, { path: [0, 'tradingFees', 'insuranceFund'], kind: PPM },
      { path: [0, 'liquidationFees', 'stakers'], kind: PPM }, { path: [0, 'fundingSkim', 'treasury'], kind: PPM }],
    call: (c, a) => e(c).setRevenueSplit(a[0] as never) },
  { name: 'collectFees', args: (c) => [market(c), quote(c), c.rng.chance(0.3) ? undefined : c.rng.int(0, 1e6)],
    slots: [{ path: [0], kind: MARKET }, { path: [1], kind: Q() }, { path: [2], kind: SECONDS, optional: true }],
    call: (c, a) => e(c).collectFees(a[0] as number, a[1] as bigint, a[2] as number) },
  { name: 'accrueFunding', args: (c) => [market(c), { ratePpm: c.rng.int(-1_000, 1_000), skimPpm: c.rng.int(0, 1_000_000) }, c.rng.chance(0.3) ? undefined : c.rng.int(0, 1e6)],
    slots: [{ path: [0], kind: MARKET }, { path: [1], kind: ANY }, { path: [1, 'ratePpm'], kind: ANY }, { path: [1, 'skimPpm'], kind: PPM, optional: true },
      { path: [2], kind: SECONDS, optional: true }],
    call: (c, a) => e(c).accrueFunding(a[0] as number, a[1] as never, a[2] as number) },
  { name: 'distributeRevenue', args: (c) => [c.rng.chance(0.3) ? undefined : c.rng.int(0, 1e6)], slots: [{ path: [0], kind: SECONDS, optional: true }],
    call: (c, a) => e(c).distributeRevenue(a[0] as number) },
  ...(['deposit', 'withdraw', 'addDefaultFundContribution'] as const).map((name): Method => ({
    name, args: (c) => [account(c), quote(c)], slots: [{ path: [0], kind: ACCOUNT }, { path: [1], kind: Q() }],
    call: (c, a) => e(c)[name](a[0] as number, a[1] as bigint),
  })),
  // Withdrawal capacity: seconds that only go forward from the engine's last (a second before it is refused: OutOfRange).
  { name: 'setWithdrawalCapacity', args: (c) => [c.rng.chance(0.15) ? null : { periodSec: c.rng.pick([0, 1, 3600]), ...(c.rng.chance(0.7) ? { minQuote: quote(c) } : {}),
      ...(c.rng.chance(0.7) ? { ppmOfTotal: c.rng.int(0, 1_000_000) } : {}), ...(c.rng.chance(0.5) ? { gateSec: c.rng.int(0, 600) } : {}), ...(c.rng.chance(0.5) ? { lossCharge: c.rng.chance(0.5) } : {}) }],
    // null is a configuration (unlimited): the slot takes anything, null included.
    slots: [{ path: [0], kind: ANY, optional: true }, { path: [0, 'periodSec'], kind: { t: 'count', max: 366 * 86_400 }, consumed: has([0]) }, { path: [0, 'minQuote'], kind: Q(), optional: true, consumed: has([0]) },
      { path: [0, 'ppmOfTotal'], kind: PPM, optional: true, consumed: has([0]) }, { path: [0, 'gateSec'], kind: { t: 'count', max: 366 * 86_400 }, optional: true, consumed: has([0]) },
      { path: [0, 'lossCharge'], kind: ENUM(true, false), optional: true, consumed: has([0]) }],
    call: (c, a) => e(c).setWithdrawalCapacity(a[0] as never) },
  { name: 'requestWithdrawal', args: (c) => [account(c), quote(c), nowAfter(c)], slots: [{ path: [0], kind: ACCOUNT }, { path: [1], kind: Q() }, { path: [2], kind: SECONDS }],
    call: (c, a) => e(c).requestWithdrawal(a[0] as number, a[1] as bigint, a[2] as number) },
  ...(['serveWithdrawals', 'noteNegativeEquity'] as const).map((name): Method => ({
    name, args: (c) => [nowAfter(c)], slots: [{ path: [0], kind: SECONDS }], call: (c, a) => e(c)[name](a[0] as number),
  })),
  { name: 'withdrawalState', args: () => [], slots: [], call: (c) => e(c).withdrawalState() },
  // Vault deposits and withdrawals take the caller's second (optional, default 0) for the lock-up.
  { name: 'vaultDeposit', args: (c) => [account(c), quote(c), ...(c.rng.chance(0.5) ? [c.rng.int(0, 1e6)] : [])],
    slots: [{ path: [0], kind: ACCOUNT }, { path: [1], kind: Q() }, { path: [2], kind: SECONDS, optional: true }],
    call: (c, a) => e(c).vaultDeposit(a[0] as number, a[1] as bigint, a[2] as number | undefined) },
  ...(['vaultWithdraw', 'vaultWithdrawDetailed'] as const).map((name): Method => ({
    name, args: (c) => [account(c), BigInt(c.rng.int(0, 1e7)), ...(c.rng.chance(0.5) ? [c.rng.int(0, 2e6)] : [])],
    slots: [{ path: [0], kind: ACCOUNT }, { path: [1], kind: Q(0) }, { path: [2], kind: SECONDS, optional: true }],
    call: (c, a) => e(c)[name](a[0] as number, a[1] as bigint, a[2] as number | undefined),
  })),
  // Terms: a field left out keeps its value; a profit share needs an operator (null: none).
  { name: 'setVaultTerms', args: (c) => { const op = c.rng.chance(0.7) ? account(c) : null; return [{ lockupSec: c.rng.int(0, 400 * 86_400), slippagePpm: c.rng.int(0, 600_000), profitSharePpm: op === null ? 0 : c.rng.int(0, 1e6), operatorAccountId: op }]; },
    slots: [{ path: [0], kind: ANY }, { path: [0, 'lockupSec'], kind: SECONDS, optional: true }, { path: [0, 'profitSharePpm'], kind: PPM, optional: true },
      { path: [0, 'slippagePpm'], kind: PPM, optional: true }, { path: [0, 'operatorAccountId'], kind: ANY, optional: true }],
    call: (c, a) => e(c).setVaultTerms(a[0] as never) },
  ...(['closeAccount', 'account', 'positionPrices', 'setVaultAccount'] as const).map((name): Method => ({
    name, args: (c) => [account(c)], slots: [{ path: [0], kind: ACCOUNT }], call: (c, a) => e(c)[name](a[0] as number),
  })),
  { name: 'check', args: (c) => [scope(c)],
    slots: [{ path: [0], kind: ANY, optional: true }, { path: [0, 'from'], kind: COUNT, consumed: has([0, 'from']) }, { path: [0, 'count'], kind: COUNT, consumed: has([0, 'count']) },
      { path: [0, 'accounts'], kind: LIST, optional: true, consumed: has([0, 'accounts']) }, { path: [0, 'accounts', 0], kind: ACCOUNT, consumed: has([0, 'accounts', 0]) }],
    call: (c, a) => e(c).check(a[0] as never) },
  { name: 'checkMarkets', args: (c) => [[market(c)]], slots: [{ path: [0], kind: LIST }, { path: [0, 0], kind: MARKET }], call: (c, a) => e(c).checkMarkets(a[0] as number[]) },
  ...(['summary', 'resultsView', 'isolatedResultsView', 'executeLiquidations', 'liquidationLog', 'liquidationLogView', 'deficits', 'deficitsView', 'takeDeficits', 'ledger',
    'waterfallBalances', 'vault', 'clearingMembers', 'resetAssessments', 'compact', 'revenue'] as const).map((name): Method => ({
    name, args: () => [], slots: [], call: (c) => e(c)[name](),
  })),
  { name: 'getters', args: () => [], slots: [], call: (c) => [e(c).capacity, e(c).accountCount, e(c).marketCount, e(c).quoteDecimals] },
  ...(['riskOrderView', 'riskOrder'] as const).map((name): Method => ({
    name, args: (c) => [c.rng.chance(0.5) ? undefined : { isolated: c.rng.chance(0.5) }], slots: [{ path: [0], kind: ANY, optional: true }, { path: [0, 'isolated'], kind: ANY, optional: true }],
    call: (c, a) => e(c)[name](a[0] as never),
  })),
  { name: 'positionPricesView', args: (c) => [c.rng.int(0, e(c).accountCount)], slots: [{ path: [0], kind: COUNT, optional: true }], call: (c, a) => e(c).positionPricesView(a[0] as number) },
  { name: 'planLiquidations', args: (c) => [{ ...c.policy }],
    slots: [{ path: [0], kind: ANY, optional: true }, { path: [0, 'close'], kind: ENUM('full', 'partial'), optional: true }, { path: [0, 'target'], kind: ENUM('maintenance', 'initial'), optional: true },
      { path: [0, 'order'], kind: ENUM('maintenance', 'notional', 'book'), optional: true }, { path: [0, 'bufferPpm'], kind: COUNT, optional: true },
      { path: [0, 'liquidationFeePpm'], kind: PPM, optional: true }, { path: [0, 'liquidatorSharePpm'], kind: PPM, optional: true }, { path: [0, 'maxCloseFractionPpm'], kind: PPM, optional: true },
      { path: [0, 'minCloseNotionalQuote'], kind: Q(), optional: true }, { path: [0, 'maxNotionalPerRoundQuote'], kind: Q(), optional: true },
      { path: [0, 'backstopPpm'], kind: PPM, optional: true }, { path: [0, 'backstopAccountId'], kind: ACCOUNT, optional: true, consumed: (a) => { const ppm = getPath(a, [0, 'backstopPpm']); return typeof ppm === 'number' && ppm > 0; } }],
    call: (c, a) => e(c).planLiquidations(a[0] as never) },
  { name: 'liquidate', args: (c) => [{ ...c.policy }, { maxRounds: c.rng.int(1, 4), ...(c.rng.chance(0.5) ? { allocate: c.rng.chance(0.5) ? true : { nowSec: 10_000 + c.rng.int(0, 1000) } } : {}) }],
    slots: [{ path: [0], kind: ANY, optional: true }, { path: [0, 'close'], kind: ENUM('full', 'partial'), optional: true }, { path: [0, 'liquidationFeePpm'], kind: PPM, optional: true },
      { path: [1], kind: ANY, optional: true }, { path: [1, 'maxRounds'], kind: COUNT, optional: true }, { path: [1, 'allocate'], kind: ANY, optional: true },
      { path: [1, 'allocate', 'nowSec'], kind: SECONDS, optional: true, consumed: has([1, 'allocate', 'nowSec']) }, { path: [1, 'onDeficits'], kind: ANY, optional: true }],
    call: (c, a) => e(c).liquidate(a[0] as never, a[1] as never),
    // A round's allocation refused by its ranking function, or a round's execution refused with
    // Overflow (the execution itself moves nothing), ends the cascade: the rounds before stand, and
    // so does the refused round's check (README, "Cascade").
    refusalAfterChanges: (x) => (x.codeName === 'InvalidWaterfall' && x.field === 'ranking') || x.codeName === 'Overflow' },
  { name: 'insuranceFund', args: (c) => [c.rng.chance(0.3) ? undefined : market(c)], slots: [{ path: [0], kind: MARKET, optional: true }], call: (c, a) => e(c).insuranceFund(a[0] as number) },
  { name: 'depositInsuranceFund', args: (c) => [quote(c), c.rng.chance(0.3) ? undefined : market(c)], slots: [{ path: [0], kind: Q() }, { path: [1], kind: MARKET, optional: true }],
    call: (c, a) => e(c).depositInsuranceFund(a[0] as bigint, a[1] as number) },
  { name: 'setWaterfall', args: (c) => [structuredCloneConfig(c.waterfall)],
    slots: [{ path: [0], kind: ANY }, { path: [0, 'steps'], kind: ANY }, { path: [0, 'steps', 0], kind: ANY }, { path: [0, 'steps', 0, 'kind'], kind: ENUM(...TRANCHE_KINDS) },
      { path: [0, 'steps', 1, 'kind'], kind: ENUM(...TRANCHE_KINDS), consumed: has([0, 'steps', 1]) }, { path: [0, 'steps', 0, 'ranking'], kind: ANY, optional: true },
      { path: [0, 'steps', 0, 'floorQuote'], kind: ANY, optional: true }, { path: [0, 'steps', 0, 'providers'], kind: ANY, optional: true }, { path: [0, 'steps', 0, 'scope'], kind: ANY, optional: true },
      { path: [0, 'groups'], kind: ANY, optional: true }, { path: [0, 'groups', 0, 'markets', 0], kind: MARKET, consumed: has([0, 'groups', 0, 'markets', 0]) }],
    call: (c, a) => e(c).setWaterfall(a[0] as never) },
  { name: 'allocateLosses', args: (c) => [c.rng.chance(0.3) ? undefined : { nowSec: 20_000 + c.rng.int(0, 100) }], slots: [{ path: [0], kind: ANY, optional: true }, { path: [0, 'nowSec'], kind: SECONDS, optional: true }],
    call: (c, a) => e(c).allocateLosses(a[0] as never) },
  { name: 'adlRanking', args: (c) => [market(c), c.rng.pick(['long', 'short']), c.rng.chance(0.2) ? RANKING_FUNCTIONS.mixed : c.rng.chance(0.1) ? RANKING_FUNCTIONS[c.rng.pick([...FAILING_RANKINGS])] : c.rng.pick(['pnl', 'bitmex', 'binance', 'hyperliquid'])],
    slots: [{ path: [0], kind: MARKET }, { path: [1], kind: ENUM('long', 'short') }, { path: [2], kind: ANY }],
    call: (c, a) => e(c).adlRanking(a[0] as number, a[1] as 'long', a[2] as 'pnl') },
  { name: 'setStaking', args: (c) => [{
    ...(c.rng.chance(0.6) ? { settlePeriodSec: c.rng.pick([0, 60, 3_600, 86_400]) } : {}), ...(c.rng.chance(0.5) ? { maxAprPpm: c.rng.int(0, 1_000_000_000) } : {}),
    ...(c.rng.chance(0.5) ? { stakerFactorPpm: c.rng.int(0, 1_000_000) } : {}), ...(c.rng.chance(0.5) ? { settleFractionPpm: c.rng.int(1, 1_000_000) } : {}),
    ...(c.rng.chance(0.6) ? { cooldownSec: c.rng.pick([0, 10, 13 * 86_400]) } : {}) }],
    slots: [{ path: [0], kind: ANY }, { path: [0, 'settlePeriodSec'], kind: { t: 'count', max: 366 * 86_400 }, optional: true }, { path: [0, 'maxAprPpm'], kind: { t: 'ppm', max: 1_000_000_000 }, optional: true },
      { path: [0, 'stakerFactorPpm'], kind: PPM, optional: true }, { path: [0, 'settleFractionPpm'], kind: { t: 'ppm', max: 1_000_000 }, optional: true },
      { path: [0, 'cooldownSec'], kind: { t: 'count', max: 366 * 86_400 }, optional: true }],
    call: (c, a) => e(c).setStaking(a[0] as never) },
  { name: 'stake', args: (c) => [account(c), fund(c), quote(c), stakingSec(c)], slots: [{ path: [0], kind: ACCOUNT }, { path: [1], kind: FUND }, { path: [2], kind: Q() }, { path: [3], kind: SECONDS, optional: true }],
    call: (c, a) => e(c).stake(a[0] as number, a[1] as number, a[2] as bigint, a[3] as number) },
  { name: 'requestUnstake', args: (c) => [account(c), fund(c), BigInt(c.rng.int(0, 1e6)), stakingSec(c)], slots: [{ path: [0], kind: ACCOUNT }, { path: [1], kind: FUND }, { path: [2], kind: Q(0) }, { path: [3], kind: SECONDS, optional: true }],
    call: (c, a) => e(c).requestUnstake(a[0] as number, a[1] as number, a[2] as bigint, a[3] as number) },
  ...(['cancelUnstake', 'unstake'] as const).map((name): Method => ({
    name, args: (c) => [account(c), fund(c), stakingSec(c)], slots: [{ path: [0], kind: ACCOUNT }, { path: [1], kind: FUND }, { path: [2], kind: SECONDS, optional: true }],
    call: (c, a) => e(c)[name](a[0] as number, a[1] as number, a[2] as number),
  })),
  { name: 'settleStakingRevenue', args: (c) => [stakingSec(c)], slots: [{ path: [0], kind: SECONDS, optional: true }], call: (c, a) => e(c).settleStakingRevenue(a[0] as number) },
  { name: 'staking', args: (c) => [fund(c)], slots: [{ path: [0], kind: FUND }], call: (c, a) => e(c).staking(a[0] as number) },
  { name: 'stakingConfig', args: () => [], slots: [], call: (c) => e(c).stakingConfig() },
  { name: 'depositOperatorCapital', args: (c) => [c.rng.pick([1, 2]), quote(c)], slots: [{ path: [0], kind: ENUM(1, 2) }, { path: [1], kind: Q() }],
    call: (c, a) => e(c).depositOperatorCapital(a[0] as 1, a[1] as bigint) },
  // What a winner may withdraw (docs/ECONOMICS.md).
  { name: 'setWithdrawalRules', args: (c) => [{ ...(c.rng.chance(0.7) ? { realizable: c.rng.pick(['all', 'none', 'pnlPool', 'residualRatio']) } : {}), ...(c.rng.chance(0.7) ? { transferFloorPpm: c.rng.pick([0, 100_000, c.rng.int(0, 1_000_000)]) } : {}) }],
    slots: [{ path: [0], kind: ANY }, { path: [0, 'realizable'], kind: ENUM('all', 'none', 'pnlPool', 'residualRatio'), optional: true }, { path: [0, 'transferFloorPpm'], kind: PPM, optional: true }],
    call: (c, a) => e(c).setWithdrawalRules(a[0] as never) },
  { name: 'withdrawable', args: (c) => [account(c)], slots: [{ path: [0], kind: ACCOUNT }], call: (c, a) => e(c).withdrawable(a[0] as number) },
  ...(['withdrawableAll', 'withdrawalRules'] as const).map((name): Method => ({ name, args: () => [], slots: [], call: (c) => e(c)[name]() })),
  { name: 'settlePnl', args: (c) => [account(c), c.rng.chance(0.4) ? undefined : market(c), c.rng.chance(0.5) ? undefined : c.rng.int(0, 1e6)],
    slots: [{ path: [0], kind: ACCOUNT }, { path: [1], kind: MARKET, optional: true }, { path: [2], kind: SECONDS, optional: true }],
    call: (c, a) => e(c).settlePnl(a[0] as number, a[1] as number, a[2] as number) },
  { name: 'pnlPool', args: (c) => [market(c)], slots: [{ path: [0], kind: MARKET }], call: (c, a) => e(c).pnlPool(a[0] as number) },
  { name: 'auditLog.forAccount', args: (c) => [account(c)], slots: [{ path: [0], kind: ANY, optional: true }], call: (c, a) => e(c).auditLog.forAccount(a[0] as number) },
  { name: 'auditLog.forDeficit', args: (c) => [c.rng.int(1, 3), c.rng.int(0, 2)], slots: [{ path: [0], kind: ANY }, { path: [1], kind: ANY }], call: (c, a) => e(c).auditLog.forDeficit(a[0] as number, a[1] as number) },
  { name: 'auditLog.totalsByTranche', args: (c) => [c.rng.chance(0.5) ? undefined : c.rng.int(1, 3)], slots: [{ path: [0], kind: ANY, optional: true }], call: (c, a) => e(c).auditLog.totalsByTranche(a[0] as number) },
  { name: 'auditLog.deficits', args: (c) => [c.rng.chance(0.5) ? undefined : c.rng.int(1, 3)], slots: [{ path: [0], kind: ANY, optional: true }], call: (c, a) => e(c).auditLog.deficits(a[0] as number) },
  { name: 'auditLog.reads', args: () => [], slots: [], call: (c) => [e(c).auditLog.records(), e(c).auditLog.view(), e(c).auditLog.toJSON(), e(c).auditLog.length] },
  { name: 'AuditLog.fromJSON', args: (c) => [JSON.parse(JSON.stringify(e(c).auditLog.toJSON()))],
    slots: [{ path: [0], kind: ANY }, { path: [0, 'events'], kind: ANY }, { path: [0, 'records'], kind: ANY }, { path: [0, 'records', 0, 'amountQuote'], kind: ANY, consumed: has([0, 'records', 0]) },
      { path: [0, 'records', 0, 'event'], kind: ANY, consumed: has([0, 'records', 0]) }, { path: [0, 'events', 0, 'steps'], kind: ANY, consumed: has([0, 'events', 0]) }],
    call: (_c, a) => AuditLog.fromJSON(a[0] as never) },
  // toAtoms converts; the range of an amount is the consumer's to check (any bigint is atoms).
  { name: 'toAtoms', args: (c) => [quote(c), 6, 'amountQuote'], slots: [{ path: [0], kind: { t: 'atoms', decimals: 6, unbounded: true } }, { path: [1], kind: { t: 'count', max: 18 } }], call: (_c, a) => toAtoms(a[0] as bigint, a[1] as number, a[2] as string) },
  { name: 'resolveConfig', args: (c) => [{
    ...simConfig(c), $schema: 'node_modules/riskcore/config.schema.json', book: { accounts: 50, markets: 2 }, economics: { withdrawals: simWithdrawals(c), stakers: { accounts: c.rng.int(1, 8), sharePpm: c.rng.int(1, 1_000_000) } },
    sweep: { stakingCooldownSec: [c.rng.int(0, 86_400), 13 * 86_400] },
  }],
    slots: [{ path: [0], kind: ANY, optional: true }, { path: [0, 'paths'], kind: { t: 'count', max: 100_000_000 }, optional: true }, { path: [0, 'steps'], kind: { t: 'count', max: 100_000 }, optional: true },
      { path: [0, 'seed'], kind: { t: 'count', max: Number.MAX_SAFE_INTEGER }, optional: true }, { path: [0, 'waterfall'], kind: SIM_WATERFALL, optional: true }, { path: [0, 'policy'], kind: SIM_POLICY, optional: true },
      { path: [0, 'scenario', 'kind'], kind: ENUM('monteCarlo', 'shockGrid', 'replay') }, { path: [0, 'book', 'accounts'], kind: COUNT, optional: true }, { path: [0, 'fundingRatePpm'], kind: ANY, optional: true },
      { path: [0, 'economics', 'withdrawals'], kind: ANY, optional: true }, { path: [0, 'economics', 'withdrawals', 'everySteps'], kind: { t: 'count', max: 100_000 }, optional: true },
      { path: [0, 'economics', 'withdrawals', 'probabilityPpm'], kind: PPM, optional: true }, { path: [0, 'economics', 'withdrawals', 'bankRunPpm'], kind: PPM, optional: true },
      { path: [0, 'economics', 'withdrawals', 'transferFloorPpm'], kind: PPM, optional: true },
      { path: [0, 'economics', 'withdrawals', 'realizable'], kind: ENUM('all', 'none', 'pnlPool', 'residualRatio'), optional: true },
      { path: [0, 'economics', 'withdrawals', 'capacity'], kind: ANY, optional: true },
      { path: [0, 'economics', 'stakers'], kind: ANY, optional: true }, { path: [0, 'economics', 'stakers', 'accounts'], kind: { t: 'count', max: 4096 } },
      { path: [0, 'economics', 'stakers', 'sharePpm'], kind: PPM }, { path: [0, 'sweep', 'stakingCooldownSec'], kind: ANY, optional: true },
      { path: [0, 'sweep', 'stakingCooldownSec', 0], kind: { t: 'count', max: 366 * 86_400 } },
      // An editor's pointer to the JSON Schema: any string, ignored; anything else refused.
      { path: [0, '$schema'], kind: { t: 'string' }, optional: true }],
    call: (_c, a) => resolveConfig(a[0] as never) },
  { name: 'Simulator.fromEngine', takesEngine: true, args: (c) => [simConfig(c)],
    slots: [{ path: [0], kind: ANY, optional: true }, { path: [0, 'steps'], kind: { t: 'count', max: 100_000 }, optional: true }, { path: [0, 'waterfall'], kind: SIM_WATERFALL, optional: true },
      { path: [0, 'policy'], kind: SIM_POLICY, optional: true }, { path: [0, 'scenario'], kind: ANY, optional: true }, { path: [0, 'insuranceFundQuote'], kind: ANY, optional: true }],
    call: (c, a) => Simulator.fromEngine(e(c), a[0] as never) },
  { name: 'simulate', args: (c) => [{
    ...simConfig(c), book: { accounts: 40, markets: 2 },
    economics: { withdrawals: simWithdrawals(c), ...(c.rng.chance(0.5) ? { stakers: { accounts: c.rng.int(1, 4), sharePpm: c.rng.int(1, 500_000) } } : {}) },
  }, { workers: 0, pathFrom: 0, pathTo: 1 }],
    slots: [{ path: [0, 'steps'], kind: { t: 'count', max: 100_000 }, optional: true }, { path: [0, 'book', 'accounts'], kind: ANY, optional: true }, { path: [0, 'policy'], kind: SIM_POLICY, optional: true },
      { path: [1], kind: ANY, optional: true }, { path: [1, 'pathFrom'], kind: { t: 'count', max: 0 }, optional: true }, { path: [1, 'pathTo'], kind: { t: 'count', max: 1 }, optional: true },
      { path: [1, 'workers'], kind: { t: 'count', max: 1024 }, optional: true }],
    call: (_c, a) => simulate(a[0] as never, a[1] as never) },
];

// ---- Trust: callbacks that re-enter, views written before the call that consumes them ----------

/** What a re-entrant ranking function saw: whether any engine call it made was taken. */
const reentry = new WeakMap<Ctx, { taken: string[] }>();

/** A ranking function that calls back into the engine (each call must be refused, typed). */
function reentrantRanking(c: Ctx): (x: unknown) => number {
  const seen = { taken: [] as string[] };
  reentry.set(c, seen);
  const attempts: [string, () => unknown][] = [
    ['deposit', () => c.engine.deposit(0, 1n)], ['allocateLosses', () => c.engine.allocateLosses()], ['check', () => c.engine.check()],
    ['setWaterfall', () => c.engine.setWaterfall({ steps: [{ kind: 'haircutDeposits' }] })], ['applyFill', () => c.engine.applyFill({ accountId: 0, marketId: 0, sizeDeltaBase: 1n, priceQuote: 1n })],
  ];
  const [name, attempt] = c.rng.pick(attempts);
  let done = false;
  return () => {
    if (!done) {
      done = true;
      try { attempt(); seen.taken.push(name); } catch (x) { if (!(x instanceof RiskCoreError)) seen.taken.push(`${name} threw ${String(x)}`); }
    }
    return 1;
  };
}

const reentryVerdict = (c: Ctx): string | undefined => {
  const taken = reentry.get(c)?.taken ?? [];
  return taken.length > 0 ? `a ranking function re-entered the engine: ${taken.join(', ')} was not refused with a typed error` : undefined;
};

/** What a view held before the caller wrote into it, for the verdict after the consuming call. */
const written = new WeakMap<Ctx, { what: string; expect: string; actual: () => string }>();
const text = (x: unknown): string => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

/** Writes into a zero-copy view, then makes the call that would consume it. */
function writeThenConsume(c: Ctx): void {
  const e = c.engine;
  switch (c.rng.int(0, 2)) {
    case 0: { // deficit amounts: the run must allocate the deficits as recorded, not as written
      const before = e.deficits().map((d) => d.amountQuote);
      const v = e.deficitsView();
      if (v.amountQuote.length === 0) return;
      v.amountQuote[0] = v.amountQuote[0]! * 5n;
      const event = e.auditLog.length;
      written.set(c, { what: 'deficitsView().amountQuote', expect: text(before), actual: () => (e.auditLog.length === event ? text(before) : text(e.auditLog.deficits().slice(-before.length).map((d) => d.amountQuote))) });
      e.allocateLosses();
      return;
    }
    case 1: { // health: the risk order must not follow a written health code
      const order = text(e.riskOrder());
      const v = e.resultsView();
      if (v.health.length === 0) return;
      v.health[c.rng.int(0, v.health.length - 1)] = 2;
      v.equityQuote[0] = -1n;
      written.set(c, { what: 'resultsView().health and equityQuote', expect: order, actual: () => text(e.riskOrder()) });
      return;
    }
    default: { // a plan row's account: execution must not close a group the plan did not name
      const plan = e.planLiquidations(c.policy);
      if (plan.rows === 0) return;
      const planned = new Set(plan.view.accountId);
      plan.view.accountId[0] = c.rng.int(0, e.accountCount - 1);
      written.set(c, { what: 'planLiquidations().view.accountId', expect: 'only planned accounts', actual: () => (e.liquidationLog().every((r) => planned.has(r.accountId)) ? 'only planned accounts' : text(e.liquidationLog().map((r) => r.accountId))) });
      e.executeLiquidations();
    }
  }
}

const viewVerdict = (c: Ctx): string | undefined => {
  const w = written.get(c);
  if (!w) return undefined;
  const actual = w.actual();
  return actual === w.expect ? undefined : `after writing ${w.what}, the core used what was written: expected ${w.expect}, got ${actual}`;
};

export const TRUST_METHODS: readonly Method[] = [
  { name: 'adlRanking(reentrant)', args: (c) => [market(c), c.rng.pick(['long', 'short']), reentrantRanking(c)], slots: [],
    call: (c, a) => e(c).adlRanking(a[0] as number, a[1] as 'long', a[2] as never), verify: reentryVerdict },
  { name: 'allocateLosses(reentrant)', compound: true, args: (c) => [reentrantRanking(c)], slots: [],
    call: (c, a) => { e(c).setWaterfall({ steps: [{ kind: 'adl', ranking: a[0] as never }] }); return e(c).allocateLosses(); }, verify: reentryVerdict },
  { name: 'writeView', compound: true, args: () => [], slots: [], call: (c) => writeThenConsume(c), verify: viewVerdict },
];

/** A copy of a waterfall configuration that keeps ranking functions. */
export function structuredCloneConfig(w: WaterfallConfig): WaterfallConfig {
  const steps = (s: WaterfallConfig['steps']) => s.map((t) => ({ ...t, ...('providers' in t && t.providers ? { providers: t.providers.map((p) => ({ ...p })) } : {}) }));
  return { steps: steps(w.steps), ...(w.groups ? { groups: w.groups.map((g) => ({ markets: [...g.markets], steps: steps(g.steps) })) } : {}) };
}

/** The value at `path` inside `args` (undefined where the path runs through a non-object). */
export function getPath(args: unknown[], path: Path): unknown {
  let v: unknown = args;
  for (const k of path) {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/** Sets the value at `path` inside `args` (creating plain objects on the way); false if the path runs through a non-object. */
export function setPath(args: unknown[], path: Path, value: unknown): boolean {
  let v: unknown = args;
  for (const k of path.slice(0, -1)) {
    const o = v as Record<string | number, unknown>;
    if (o[k] === undefined) o[k] = typeof k === 'number' ? [] : {};
    // A hostile element goes into a plain-array copy of a typed column (a typed array would coerce it).
    if (ArrayBuffer.isView(o[k])) o[k] = Array.from(o[k] as unknown as ArrayLike<unknown>);
    v = o[k];
    if (v === null || typeof v !== 'object') return false;
  }
  (v as Record<string | number, unknown>)[path[path.length - 1]!] = value;
  return true;
}
