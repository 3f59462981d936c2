/**
 * Accounts and positions: plain account objects converted to book columns, fills, pre-trade checks,
 * deposits, withdrawals, closing an account, and reading one back.
 */
import { describeValue, inputError } from '../errors.js';
import { orDefault, ownCode, toCount, toFlag, toI64, toRecord } from '../atoms.js';
import { Column } from '../abi/columns.js';
import type { EngineInternals } from '../abi/internals.js';
import { i64, u32 } from '../abi/records.js';
import type { BookColumnsInput } from '../bulk.js';
import type { AccountSpec, AtomsInput, Health, MarginFigures, PositionSpec } from '../types.js';
import { figuresAt } from './margin.js';

export interface FillInput {
  accountId: number;
  marketId: number;
  /** Signed size change in base atoms (or a decimal string in whole base units). */
  sizeDeltaBase: AtomsInput;
  /** Execution price, quote atoms per whole base unit (or a decimal string). */
  priceQuote: AtomsInput;
  /** Trade the account's isolated position in this market. */
  isolated?: boolean;
  /** For isolated fills: quote atoms moved from cross collateral into the position first. */
  isolatedMarginQuote?: AtomsInput;
  /** Which side of the trade the account was, for the market's fees (default 'taker'; docs/ECONOMICS.md). */
  liquidity?: 'taker' | 'maker';
}

/** What a fill charged: the trading fee (> 0) or the maker rebate paid (< 0), in quote atoms. */
export interface FillResult { feeQuote: bigint }

/** Fill liquidity names by their code (Liquidity in assembly/abi/status.ts; NoFee is the core's own). */
const LIQUIDITY = { taker: 0, maker: 1 } as const;

export interface PreTradeResult extends MarginFigures {
  ok: boolean;
  /** Why not, when `ok` is false. */
  reason: 'belowInitialMargin' | null;
}

export interface AccountInput extends AccountSpec {
  positions?: Omit<PositionSpec, 'accountId' | 'isolatedCollateralQuote'>[];
  isolated?: (Omit<PositionSpec, 'accountId' | 'isolatedCollateralQuote'> & { collateralQuote?: AtomsInput })[];
}

/** An account's state and latest results (RiskEngine.account). */
export interface AccountState {
  accountId: number; open: boolean; collateralQuote: bigint; imfFloorPpm: number;
  positions: { marketId: number; sizeBase: bigint; quoteBalance: bigint; fundingSnapshot: bigint }[];
  isolated: { isolatedId: number; marketId: number; sizeBase: bigint; quoteBalance: bigint; fundingSnapshot: bigint; collateralQuote: bigint; figures: MarginFigures }[];
  figures: MarginFigures;
}

/**
 * Plain account objects (decimal strings or numbers allowed) as book columns, every value converted
 * before the engine is touched; with the id the first of them will have.
 */
export function accountColumns(x: EngineInternals, specs: readonly AccountInput[]): { first: number; count: number; columns: BookColumnsInput } {
  const q = x.quoteDecimals;
  if (!Array.isArray(specs)) throw inputError('InvalidNumber', 'accounts', -1, 'expected an array of accounts');
  // Each account's lists are read once, then everything is converted before the engine is touched.
  const lists = specs.map((s, k) => {
    toRecord(s, 'accounts', 'InvalidNumber');
    const positions: unknown = s.positions, isolated: unknown = s.isolated;
    if (positions !== undefined && !Array.isArray(positions)) throw inputError('InvalidNumber', 'positions', k, 'expected an array of positions');
    if (isolated !== undefined && !Array.isArray(isolated)) throw inputError('InvalidNumber', 'isolated', k, 'expected an array of isolated positions');
    return { spec: s, positions: (positions ?? []) as NonNullable<AccountInput['positions']>, isolated: (isolated ?? []) as NonNullable<AccountInput['isolated']> };
  });
  const nA = lists.length;
  const nP = lists.reduce((n, l) => n + l.positions.length, 0);
  const nI = lists.reduce((n, l) => n + l.isolated.length, 0);
  const collateral = new BigInt64Array(nA), floors = new Uint32Array(nA), counts = new Uint32Array(nA);
  const pm = new Uint16Array(nP), ps = new BigInt64Array(nP), pq = new BigInt64Array(nP), pf = new BigInt64Array(nP);
  const ia = new Uint32Array(nI), im = new Uint16Array(nI), is = new BigInt64Array(nI), iq = new BigInt64Array(nI), isn = new BigInt64Array(nI), ic = new BigInt64Array(nI);
  const first = x.raw.accountCount();
  let p = 0, r = 0;
  lists.forEach(({ spec, positions, isolated }, k) => {
    collateral[k] = toI64(orDefault(spec.collateralQuote, 0n), q, 'collateralQuote', k);
    floors[k] = toCount(orDefault(spec.imfFloorPpm, 0), 'imfFloorPpm', k);
    counts[k] = positions.length;
    for (const pos of positions) {
      toRecord(pos, 'positions', 'InvalidNumber');
      const market = toCount(pos.marketId, 'marketId', p, 65535);
      pm[p] = market;
      ps[p] = toI64(pos.sizeBase, x.baseDecimals(market, 'marketId', p), 'sizeBase', p);
      pq[p] = toI64(orDefault(pos.quoteBalance, 0n), q, 'quoteBalance', p);
      pf[p] = toI64(orDefault(pos.fundingSnapshot, 0n), q, 'fundingSnapshot', p);
      p++;
    }
    for (const iso of isolated) {
      toRecord(iso, 'isolated', 'InvalidNumber');
      const market = toCount(iso.marketId, 'marketId', r, 65535);
      ia[r] = first + k;
      im[r] = market;
      is[r] = toI64(iso.sizeBase, x.baseDecimals(market, 'marketId', r), 'sizeBase', r);
      iq[r] = toI64(orDefault(iso.quoteBalance, 0n), q, 'quoteBalance', r);
      isn[r] = toI64(orDefault(iso.fundingSnapshot, 0n), q, 'fundingSnapshot', r);
      ic[r] = toI64(orDefault(iso.collateralQuote, 0n), q, 'collateralQuote', r);
      r++;
    }
  });
  return {
    first, count: nA,
    columns: {
      accounts: { collateralQuote: collateral, imfFloorPpm: floors, positionCount: counts },
      positions: { marketId: pm, sizeBase: ps, quoteBalance: pq, fundingSnapshot: pf },
      isolated: { accountId: ia, marketId: im, sizeBase: is, quoteBalance: iq, fundingSnapshot: isn, collateralQuote: ic },
    },
  };
}

/** A fill's arguments for the core, converted and checked. */
function fillArgs(x: EngineInternals, fill: FillInput): [number, number, bigint, bigint, number, bigint, number] {
  toRecord(fill, 'fill', 'InvalidNumber');
  const accountId = toCount(fill.accountId, 'accountId');
  const marketId = toCount(fill.marketId, 'marketId');
  const size = toI64(fill.sizeDeltaBase, x.baseDecimals(marketId), 'sizeDeltaBase');
  const price = toI64(fill.priceQuote, x.quoteDecimals, 'priceQuote');
  const margin = toI64(orDefault(fill.isolatedMarginQuote, 0n), x.quoteDecimals, 'isolatedMarginQuote');
  const liquidity = fill.liquidity === undefined ? LIQUIDITY.taker : ownCode(LIQUIDITY, fill.liquidity);
  if (liquidity === undefined) throw inputError('OutOfRange', 'liquidity', -1, `${describeValue(fill.liquidity)} is not 'taker' or 'maker'`);
  return [accountId, marketId, size, price, toFlag(fill.isolated, 'isolated') ? 1 : 0, margin, liquidity];
}

export function applyFill(x: EngineInternals, fill: FillInput): FillResult {
  const raw = x.raw;
  const args = fillArgs(x, fill);
  const before = raw.feePool(args[1]);
  raw.applyFill(...args);
  return { feeQuote: raw.feePool(args[1]) - before };
}

export function preTrade(x: EngineInternals, fill: FillInput): PreTradeResult {
  const raw = x.raw;
  raw.preTrade(...fillArgs(x, fill));
  const { view: r, at } = raw.record('PreTrade');
  const health = u32(r, at.health) as Health;
  const reason = r.getInt32(at.reason, true);
  return {
    ok: reason === 0,
    reason: reason === 0 ? null : 'belowInitialMargin',
    equityQuote: i64(r, at.equityQuote), imQuote: i64(r, at.imQuote), mmQuote: i64(r, at.mmQuote), freeQuote: i64(r, at.freeQuote), health,
  };
}

export function deposit(x: EngineInternals, accountId: number, amount: AtomsInput): void {
  const raw = x.raw;
  raw.deposit(toCount(accountId, 'accountId'), toI64(amount, x.quoteDecimals, 'amountQuote'));
}

export function withdraw(x: EngineInternals, accountId: number, amount: AtomsInput): void {
  const raw = x.raw;
  raw.withdraw(toCount(accountId, 'accountId'), toI64(amount, x.quoteDecimals, 'amountQuote'));
}

/** Closes an account; returns the collateral paid out (the PreTrade record's equity). */
export function closeAccount(x: EngineInternals, accountId: number): bigint {
  const raw = x.raw;
  raw.closeAccount(toCount(accountId, 'accountId'));
  const { view, at } = raw.record('PreTrade');
  return i64(view, at.equityQuote);
}

export function account(x: EngineInternals, accountId: number): AccountState {
  const raw = x.raw;
  const a = x.knownAccount(accountId);
  const start = raw.view(Uint32Array, Column.AccPosStart, a, 1)[0]!;
  const len = raw.view(Uint32Array, Column.AccPosLen, a, 1)[0]!;
  const markets = raw.view(Uint16Array, Column.PosMarket, start, len);
  const sizes = raw.view(BigInt64Array, Column.PosSize, start, len);
  const quotes = raw.view(BigInt64Array, Column.PosQuote, start, len);
  const snaps = raw.view(BigInt64Array, Column.PosSnap, start, len);
  const positions = Array.from({ length: len }, (_, i) => ({ marketId: markets[i]!, sizeBase: sizes[i]!, quoteBalance: quotes[i]!, fundingSnapshot: snaps[i]! }));
  const isolated = [];
  const next = raw.view(Uint32Array, Column.IsoNext, 0, raw.isolatedTop());
  for (let r = raw.view(Uint32Array, Column.AccIsoHead, a, 1)[0]!; r !== raw.abi.limits.none; r = next[r]!) {
    isolated.push({
      isolatedId: r,
      marketId: raw.view(Uint16Array, Column.IsoMarket, r, 1)[0]!,
      sizeBase: raw.view(BigInt64Array, Column.IsoSize, r, 1)[0]!,
      quoteBalance: raw.view(BigInt64Array, Column.IsoQuote, r, 1)[0]!,
      fundingSnapshot: raw.view(BigInt64Array, Column.IsoSnap, r, 1)[0]!,
      collateralQuote: raw.view(BigInt64Array, Column.IsoCollateral, r, 1)[0]!,
      figures: figuresAt(x, true, r),
    });
  }
  isolated.reverse();
  return {
    accountId: a,
    open: raw.view(Uint8Array, Column.AccFlags, a, 1)[0] === 1,
    collateralQuote: raw.view(BigInt64Array, Column.AccCollateral, a, 1)[0]!,
    imfFloorPpm: raw.view(Uint32Array, Column.AccFloorPpm, a, 1)[0]!,
    positions,
    isolated,
    figures: figuresAt(x, false, a),
  };
}
