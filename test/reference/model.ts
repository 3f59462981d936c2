/**
 * Reference model of the riskcore margin formulas.
 *
 * Written only from the normative spec, docs/FORMULAS.md. It is deliberately slow and plain: every
 * quantity is a `bigint`, every division goes through `floorDiv` / `ceilDiv` applied once to the
 * exact rational value, and nothing is cached. Tests compare the real engine against this file.
 *
 * Units (see the spec): money in quote atoms, sizes in base atoms of the market (D = 10^baseDecimals),
 * prices and funding indexes in quote atoms per whole base unit, fractions in ppm (10^6 = 100%).
 */

// ---- Types -------------------------------------------------------------------------------------

export interface RefTier {
  /** L_j: lower bound of the tier, notional in quote atoms; the first tier's is 0. */
  notionalFloorQuote: bigint;
  imfPpm: number;
  mmfPpm: number;
}

/** Same shapes as `MarginCurve` in src/types.ts, with `bigint` quote amounts. */
export type RefCurve =
  | { kind: 'flat'; imfPpm: number; mmfPpm: number }
  | { kind: 'tiers'; tiers: readonly RefTier[] }
  | { kind: 'sizePremium'; imfPpm: number; mmfPpm: number; premiumPpm: number }
  | { kind: 'openInterest'; imfPpm: number; mmfPpm: number; lowerCapQuote: bigint; upperCapQuote: bigint };

export interface RefMarket {
  baseDecimals: number;
  markPrice: bigint;
  fundingIndexLong: bigint;
  fundingIndexShort: bigint;
  curve: RefCurve;
}

export interface RefPosition { marketId: number; sizeBase: bigint; quoteBalance: bigint; fundingSnapshot: bigint }

export interface RefIsolated extends RefPosition { collateralQuote: bigint }

export interface RefAccount {
  collateralQuote: bigint;
  imfFloorPpm: number;
  positions: RefPosition[];
  isolated: RefIsolated[];
  closed?: boolean;
}

/**
 * Market id = index in `markets`, account id = index in `accounts`. Isolated ids are global: a
 * running index over every account's `isolated` array, in account order then array order (closed
 * accounts' isolated entries included, as inactive rows).
 */
export interface RefBook { markets: RefMarket[]; accounts: RefAccount[] }

/** Health codes (the wasm codes of `Health` in src/types.ts). */
export const HEALTHY = 0;
export const BELOW_INITIAL = 1;
export const LIQUIDATABLE = 2;
export const BANKRUPT = 3;
export const INACTIVE = 4;

/** Figures of an account's cross book or of one isolated position; `health` is a code above. */
export interface Figures { equityQuote: bigint; imQuote: bigint; mmQuote: bigint; freeQuote: bigint; health: number }

export interface CurveFractions { imfPpm: bigint; mmfPpm: bigint; dedQuote: bigint }

export interface PositionFigures {
  valueQuote: bigint;
  fundingOwedQuote: bigint;
  imQuote: bigint;
  mmQuote: bigint;
  /** floor(|size| * mark / D), used for the notional overflow check. */
  notionalFloorQuote: bigint;
}

export interface BookCheck {
  accounts: Figures[];
  isolated: Figures[];
  /** counts.accounts[code] = number of accounts with health `code` (0..4); same for isolated. */
  counts: { accounts: number[]; isolated: number[] };
  /** Liquidatable and bankrupt account ids, riskiest first. */
  riskOrder: number[];
  /** Liquidatable and bankrupt isolated ids, riskiest first. */
  isolatedRiskOrder: number[];
}

/** Check-time overflow: a per-position amount or account sum left i64, or a notional >= 2^62. */
export class RefOverflow extends Error {
  readonly accountId: number;
  /** Set when the overflow happened in an isolated position (its global isolated id). */
  readonly isolatedId: number | undefined;
  constructor(accountId: number, what: string, isolatedId?: number) {
    super(`OVERFLOW in account ${accountId}${isolatedId === undefined ? '' : ` (isolated ${isolatedId})`}: ${what}`);
    this.name = 'RefOverflow';
    this.accountId = accountId;
    this.isolatedId = isolatedId;
  }
}

// ---- Integer helpers ---------------------------------------------------------------------------

const PPM = 1_000_000n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const TWO_POW_62 = 1n << 62n;

/** floor(a / b), rounding toward minus infinity. Requires b > 0. */
export function floorDiv(a: bigint, b: bigint): bigint {
  if (b <= 0n) throw new RangeError('floorDiv: divisor must be > 0');
  const truncated = a / b; // BigInt division truncates toward zero
  return a % b !== 0n && a < 0n ? truncated - 1n : truncated;
}

/** ceil(a / b), rounding toward plus infinity. Requires b > 0. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}

/** Smallest r >= 0 with r*r >= n. Requires n >= 0. */
export function ceilSqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('ceilSqrt: negative input');
  if (n < 2n) return n;
  // Newton's method from above converges to floor(sqrt(n)).
  let x = n;
  let y = (x + 1n) / 2n;
  while (y < x) {
    x = y;
    y = (x + n / x) / 2n;
  }
  return x * x === n ? x : x + 1n;
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const inI64 = (x: bigint): boolean => x >= I64_MIN && x <= I64_MAX;

/** D = 10^baseDecimals. */
function scaleOf(market: RefMarket): bigint {
  const decimals = market.baseDecimals;
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 12) throw new RangeError(`baseDecimals ${decimals} not in 0..12`);
  return 10n ** BigInt(decimals);
}

function validateMarket(market: RefMarket): void {
  scaleOf(market);
  if (market.markPrice < 1n || market.markPrice > TWO_POW_62) throw new RangeError('mark price not in 1..2^62');
}

function ppm(value: number): bigint {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new RangeError(`ppm ${value} is not a u32`);
  return BigInt(value);
}

// ---- Curves ------------------------------------------------------------------------------------

/**
 * Validates a tier list and returns ded_j for every tier:
 *   ded_j = sum_{i=1..j} L_i * (mmf_i - mmf_{i-1}) / 10^6, which must be an integer.
 * Throws RangeError if the curve is rejected.
 */
export function tierDeductionsQuote(tiers: readonly RefTier[]): bigint[] {
  if (tiers.length < 1 || tiers.length > 16) throw new RangeError('tiers: need 1..16 tiers');
  if (tiers[0]!.notionalFloorQuote !== 0n) throw new RangeError('tiers: L_0 must be 0');
  const deductions: bigint[] = [0n];
  let sumScaled = 0n; // sum of L_i * (mmf_i - mmf_{i-1}), i.e. ded_j * 10^6
  for (let j = 0; j < tiers.length; j++) {
    const tier = tiers[j]!;
    const imf = ppm(tier.imfPpm);
    const mmf = ppm(tier.mmfPpm);
    if (mmf > imf || imf > PPM) throw new RangeError(`tiers: need mmf <= imf <= 10^6 (tier ${j})`);
    if (j === 0) continue;
    const previous = tiers[j - 1]!;
    if (tier.notionalFloorQuote <= previous.notionalFloorQuote) throw new RangeError('tiers: L_j must increase');
    const previousMmf = ppm(previous.mmfPpm);
    if (mmf < previousMmf) throw new RangeError('tiers: mmf must be non-decreasing');
    sumScaled += tier.notionalFloorQuote * (mmf - previousMmf);
    if (sumScaled % PPM !== 0n) throw new RangeError(`tiers: deduction of tier ${j} is not an integer`);
    deductions.push(sumScaled / PPM);
  }
  return deductions;
}

/** imf, mmf (ppm) and deduction (quote atoms) of a position of `sizeBase` in `market`. */
export function curveFractions(market: RefMarket, openInterestBase: bigint, sizeBase: bigint): CurveFractions {
  const curve = market.curve;
  const D = scaleOf(market);
  const mark = market.markPrice;
  const absSize = abs(sizeBase);
  switch (curve.kind) {
    case 'flat': {
      const imf = ppm(curve.imfPpm);
      const mmf = ppm(curve.mmfPpm);
      if (!(0n < mmf && mmf <= imf && imf <= PPM)) throw new RangeError('flat: need 0 < mmf <= imf <= 10^6');
      return { imfPpm: imf, mmfPpm: mmf, dedQuote: 0n };
    }
    case 'tiers': {
      const deductions = tierDeductionsQuote(curve.tiers);
      // Tier j is the last with N >= L_j, where N = |size| * mark / D exactly:
      //   N >= L_j  <=>  |size| * mark >= L_j * D   (no rounding)
      let j = 0;
      for (let i = 0; i < curve.tiers.length; i++) {
        if (absSize * mark >= curve.tiers[i]!.notionalFloorQuote * D) j = i;
      }
      const tier = curve.tiers[j]!;
      return { imfPpm: ppm(tier.imfPpm), mmfPpm: ppm(tier.mmfPpm), dedQuote: deductions[j]! };
    }
    case 'sizePremium': {
      // P = ceil(k * sqrt(|size| / D)) = ceilSqrt(ceil(k^2 * |size| / D))
      const k = ppm(curve.premiumPpm);
      const premium = ceilSqrt(ceilDiv(k * k * absSize, D));
      const imfBase = ppm(curve.imfPpm);
      const mmfBase = ppm(curve.mmfPpm);
      // imf = min(10^6, max(imfPpm, ceil(4*imfPpm/5) + P)); same shape for mmf
      const imf = min(PPM, max(imfBase, ceilDiv(4n * imfBase, 5n) + premium));
      const mmf = min(PPM, max(mmfBase, ceilDiv(4n * mmfBase, 5n) + premium));
      return { imfPpm: imf, mmfPpm: mmf, dedQuote: 0n };
    }
    case 'openInterest': {
      const imfBase = ppm(curve.imfPpm);
      const lower = curve.lowerCapQuote;
      const upper = curve.upperCapQuote;
      // OIN = ceil(OI * mark / D)
      const openInterestQuote = ceilDiv(openInterestBase * mark, D);
      let imf: bigint;
      if (upper === 0n || openInterestQuote <= lower) imf = imfBase;
      else if (openInterestQuote >= upper) imf = PPM;
      // imf = imfPpm + ceil((10^6 - imfPpm) * (OIN - lower) / (upper - lower))
      else imf = imfBase + ceilDiv((PPM - imfBase) * (openInterestQuote - lower), upper - lower);
      return { imfPpm: imf, mmfPpm: ppm(curve.mmfPpm), dedQuote: 0n };
    }
  }
}

// ---- Per position ------------------------------------------------------------------------------

/** Funding index of the side of `sizeBase` (I = size > 0 ? long : short). */
function sideIndex(market: RefMarket, sizeBase: bigint): bigint {
  return sizeBase > 0n ? market.fundingIndexLong : market.fundingIndexShort;
}

/** fundingOwed = ceil(size * (I - fundingSnapshot) / D); positive = the position pays. 0 for size 0. */
function fundingOwedQuote(market: RefMarket, sizeBase: bigint, fundingSnapshot: bigint): bigint {
  if (sizeBase === 0n) return 0n;
  return ceilDiv(sizeBase * (sideIndex(market, sizeBase) - fundingSnapshot), scaleOf(market));
}

/**
 * Figures of one position (cross or isolated). `openInterestBase` is the market's OI (only the
 * openInterest curve uses it); `imfFloorPpm` is the owning account's floor (0 = none).
 */
export function positionFigures(market: RefMarket, openInterestBase: bigint, sizeBase: bigint, quoteBalance: bigint,
  fundingSnapshot: bigint, imfFloorPpm: number): PositionFigures {
  const D = scaleOf(market);
  const mark = market.markPrice;
  // A position with size 0 contributes its quote balance only.
  if (sizeBase === 0n) {
    return { valueQuote: quoteBalance, fundingOwedQuote: 0n, imQuote: 0n, mmQuote: 0n, notionalFloorQuote: 0n };
  }
  const absSize = abs(sizeBase);
  // valueQuote = floor(size * mark / D) + quoteBalance
  const valueQuote = floorDiv(sizeBase * mark, D) + quoteBalance;
  const fundingOwed = fundingOwedQuote(market, sizeBase, fundingSnapshot);
  const fractions = curveFractions(market, openInterestBase, sizeBase);
  // imfEff = max(imf, account.imfFloorPpm)  (not applied to mmf)
  const imfEff = max(fractions.imfPpm, ppm(imfFloorPpm));
  // IM = ceil(|size| * mark * imfEff / (D * 10^6))
  const imQuote = ceilDiv(absSize * mark * imfEff, D * PPM);
  // MM = ceil(|size| * mark * mmf / (D * 10^6)) - ded
  const mmQuote = ceilDiv(absSize * mark * fractions.mmfPpm, D * PPM) - fractions.dedQuote;
  const notionalFloorQuote = floorDiv(absSize * mark, D);
  return { valueQuote, fundingOwedQuote: fundingOwed, imQuote, mmQuote, notionalFloorQuote };
}

// ---- Book --------------------------------------------------------------------------------------

function marketOf(book: RefBook, marketId: number): RefMarket {
  const market = book.markets[marketId];
  if (market === undefined) throw new RangeError(`no market ${marketId}`);
  return market;
}

/** OI = max(sum of long sizes, sum of |short sizes|) over all positions of non-closed accounts. */
export function openInterestBase(book: RefBook, marketId: number): bigint {
  let longBase = 0n;
  let shortBase = 0n;
  for (const account of book.accounts) {
    if (account.closed) continue;
    for (const position of [...account.positions, ...account.isolated]) {
      if (position.marketId !== marketId) continue;
      if (position.sizeBase > 0n) longBase += position.sizeBase;
      else shortBase += -position.sizeBase;
    }
  }
  return max(longBase, shortBase);
}

/** Validates every market and returns each one's open interest, indexed by market id. */
function allOpenInterestsBase(book: RefBook): bigint[] {
  book.markets.forEach(validateMarket);
  return book.markets.map((_, marketId) => openInterestBase(book, marketId));
}

/** healthy (equity >= IM) | belowInitial (MM <= equity < IM) | liquidatable (0 <= equity < MM) | bankrupt. */
export function healthOf(equityQuote: bigint, imQuote: bigint, mmQuote: bigint): number {
  if (equityQuote >= imQuote) return HEALTHY;
  if (equityQuote >= mmQuote) return BELOW_INITIAL;
  if (equityQuote >= 0n) return LIQUIDATABLE;
  return BANKRUPT;
}

const inactiveFigures = (): Figures => ({ equityQuote: 0n, imQuote: 0n, mmQuote: 0n, freeQuote: 0n, health: INACTIVE });

/**
 * equity = collateral + sum(valueQuote - fundingOwed), IM = sum IM_i, MM = sum MM_i, free = equity - IM.
 *
 * Overflow: the sums are accumulated in order: equity starts at the collateral, then adds each
 * position's (value - funding) in array order; IM and MM add each position's IM / MM in the same
 * order. The i64 check is on every per-position amount (value, funding, value - funding, IM, MM), on
 * each partial sum, and on the final values (including free). A notional floor(|size|*mark/D) >= 2^62
 * is also OVERFLOW.
 */
function sumFigures(book: RefBook, oiBase: readonly bigint[], collateralQuote: bigint, positions: readonly RefPosition[],
  imfFloorPpm: number, accountId: number, isolatedId?: number): Figures {
  const check = (amount: bigint, what: string): void => {
    if (!inI64(amount)) throw new RefOverflow(accountId, what, isolatedId);
  };
  let equityQuote = collateralQuote;
  let imQuote = 0n;
  let mmQuote = 0n;
  check(equityQuote, 'collateral');
  for (const position of positions) {
    const market = marketOf(book, position.marketId);
    const f = positionFigures(market, oiBase[position.marketId]!, position.sizeBase, position.quoteBalance,
      position.fundingSnapshot, imfFloorPpm);
    if (f.notionalFloorQuote >= TWO_POW_62) throw new RefOverflow(accountId, 'notional >= 2^62', isolatedId);
    check(f.valueQuote, 'value');
    check(f.fundingOwedQuote, 'funding');
    check(f.imQuote, 'IM');
    check(f.mmQuote, 'MM');
    const contributionQuote = f.valueQuote - f.fundingOwedQuote;
    check(contributionQuote, 'value - funding');
    equityQuote += contributionQuote;
    check(equityQuote, 'equity');
    imQuote += f.imQuote;
    check(imQuote, 'IM sum');
    mmQuote += f.mmQuote;
    check(mmQuote, 'MM sum');
  }
  const freeQuote = equityQuote - imQuote;
  check(freeQuote, 'free');
  return { equityQuote, imQuote, mmQuote, freeQuote, health: healthOf(equityQuote, imQuote, mmQuote) };
}

/**
 * Whether a group's figures (its collateral and positions, the account's IM floor) leave i64 or
 * reach a notional of 2^62: the check refuses such a group with OVERFLOW.
 */
export function groupOverflows(book: RefBook, collateralQuote: bigint, positions: readonly RefPosition[], imfFloorPpm: number): boolean {
  try {
    sumFigures(book, allOpenInterestsBase(book), collateralQuote, positions, imfFloorPpm, -1);
    return false;
  } catch (e) {
    if (e instanceof RefOverflow) return true;
    throw e;
  }
}

export interface RiskRow { id: number; equityQuote: bigint; mmQuote: bigint }

/** a before b iff a.equity * b.MM < b.equity * a.MM (exact cross multiplication); ties by id ascending. */
export function riskCompare(a: RiskRow, b: RiskRow): number {
  const left = a.equityQuote * b.mmQuote;
  const right = b.equityQuote * a.mmQuote;
  if (left < right) return -1;
  if (left > right) return 1;
  return a.id - b.id;
}

function riskOrderOf(rows: readonly Figures[]): number[] {
  return rows
    .map((figures, id) => ({ id, equityQuote: figures.equityQuote, mmQuote: figures.mmQuote, health: figures.health }))
    .filter((row) => row.health === LIQUIDATABLE || row.health === BANKRUPT)
    .sort(riskCompare)
    .map((row) => row.id);
}

function countByHealth(rows: readonly Figures[]): number[] {
  const counts = [0, 0, 0, 0, 0];
  for (const row of rows) counts[row.health]! += 1;
  return counts;
}

/**
 * Checks every account (cross) and every isolated position. Closed accounts and their isolated
 * positions get all-zero figures with health INACTIVE and do not count toward open interest.
 * Accounts are processed in id order, each one's cross book first, then its isolated positions; the
 * first overflow met throws RefOverflow.
 */
export function checkBook(book: RefBook): BookCheck {
  const oiBase = allOpenInterestsBase(book);
  const accounts: Figures[] = [];
  const isolated: Figures[] = [];
  book.accounts.forEach((account, accountId) => {
    if (account.closed) {
      accounts.push(inactiveFigures());
      for (let i = 0; i < account.isolated.length; i++) isolated.push(inactiveFigures());
      return;
    }
    accounts.push(sumFigures(book, oiBase, account.collateralQuote, account.positions, account.imfFloorPpm, accountId));
    for (const position of account.isolated) {
      const isolatedId = isolated.length;
      isolated.push(sumFigures(book, oiBase, position.collateralQuote, [position], account.imfFloorPpm, accountId, isolatedId));
    }
  });
  return {
    accounts,
    isolated,
    counts: { accounts: countByHealth(accounts), isolated: countByHealth(isolated) },
    riskOrder: riskOrderOf(accounts),
    isolatedRiskOrder: riskOrderOf(isolated),
  };
}

/** Cross figures of one (non-closed) account, open interest taken over the whole book. */
export function accountFigures(book: RefBook, accountId: number): Figures {
  const account = accountOf(book, accountId);
  const oiBase = allOpenInterestsBase(book);
  return sumFigures(book, oiBase, account.collateralQuote, account.positions, account.imfFloorPpm, accountId);
}

function accountOf(book: RefBook, accountId: number): RefAccount {
  const account = book.accounts[accountId];
  if (account === undefined) throw new RangeError(`no account ${accountId}`);
  if (account.closed) throw new RangeError(`account ${accountId} is closed`);
  return account;
}

export function cloneBook(book: RefBook): RefBook {
  return {
    markets: book.markets.map((market) => ({
      ...market,
      curve: market.curve.kind === 'tiers'
        ? { kind: 'tiers', tiers: market.curve.tiers.map((tier) => ({ ...tier })) }
        : { ...market.curve },
    })),
    accounts: book.accounts.map((account) => ({
      ...account,
      positions: account.positions.map((position) => ({ ...position })),
      isolated: account.isolated.map((position) => ({ ...position })),
    })),
  };
}

// ---- Fills -------------------------------------------------------------------------------------

/** cash(d) = floor(-d * p / D): the trader's cash flow for buying d base atoms at price p. */
export function cashQuote(market: RefMarket, sizeDeltaBase: bigint, priceQuote: bigint): bigint {
  return floorDiv(-sizeDeltaBase * priceQuote, scaleOf(market));
}

/**
 * Applies a fill of `sizeDeltaBase` at `priceQuote` to the account's position in `marketId`.
 * MUTATES `book` in place (use `cloneBook` first to keep the original); returns nothing.
 *
 * Cross (isolated = false): the account's first cross position in the market, created if missing.
 * Isolated: the account's first isolated position in the market, created with collateral 0 if
 * missing (appended to the account's `isolated` array). PnL and funding of an isolated position go
 * to its own collateral; when it reaches size 0 its collateral + quote move to the account's cross
 * collateral and the entry is removed, WHICH RENUMBERS every later isolated id of the book.
 *
 * Steps (docs/FORMULAS.md, "Fills"):
 *  1. settle funding: collateral -= fundingOwed; snapshot = index of the position's side
 *  2. cash(d) = floor(-d * p / D)
 *  3. increase (same sign or from 0): quote += cash(d)
 *     reduce c = |d| <= |size|: quoteClosed = floor(quote * c / |size|);
 *       collateral += quoteClosed + cash(d); quote -= quoteClosed
 *     flip (|d| > |size|): collateral += quote + cash(-size); quote = cash(d + size);
 *       snapshot = index of the new side
 *  4. size 0: collateral += quote, position removed.
 * Throws RangeError (before mutating) on a closed account, a price outside 1..2^62, or a resulting
 * |size| > 2^62 or |size| * mark / D >= 2^62.
 */
export function applyFill(book: RefBook, accountId: number, marketId: number, sizeDeltaBase: bigint, priceQuote: bigint,
  isolated = false): void {
  const account = accountOf(book, accountId);
  const market = marketOf(book, marketId);
  validateMarket(market);
  const D = scaleOf(market);
  const d = sizeDeltaBase;
  if (priceQuote < 1n || priceQuote > TWO_POW_62) throw new RangeError('fill price not in 1..2^62');

  const list: RefPosition[] = isolated ? account.isolated : account.positions;
  const oldSizeBase = list.find((p) => p.marketId === marketId)?.sizeBase ?? 0n;
  const newSizeBase = oldSizeBase + d;
  if (abs(newSizeBase) > TWO_POW_62 || abs(newSizeBase) * market.markPrice >= TWO_POW_62 * D) {
    throw new RangeError('fill leaves the position outside the supported range');
  }
  // Find or create the position (a new isolated one carries collateral 0).
  let position = list.find((p) => p.marketId === marketId);
  if (position === undefined) {
    const created: RefPosition = { marketId, sizeBase: 0n, quoteBalance: 0n, fundingSnapshot: sideIndex(market, d) };
    position = isolated ? Object.assign(created, { collateralQuote: 0n }) : created;
    list.push(position);
  }
  // `wallet` is where the position's funding and realized cash go.
  const wallet: { collateralQuote: bigint } = isolated ? (position as RefIsolated) : account;

  // 1. Settle funding; snapshot = index of its side (a size-0 position takes the side it opens).
  const size = position.sizeBase;
  wallet.collateralQuote -= fundingOwedQuote(market, size, position.fundingSnapshot);
  position.fundingSnapshot = sideIndex(market, size !== 0n ? size : d);

  // 2./3. Trade.
  const cash = (deltaBase: bigint): bigint => cashQuote(market, deltaBase, priceQuote);
  if (size === 0n || (size > 0n) === (d > 0n) || d === 0n) {
    // Increase (same sign or from 0); d = 0 changes nothing here.
    position.quoteBalance += cash(d);
    position.sizeBase = size + d;
  } else if (abs(d) <= abs(size)) {
    // Reduce by c = |d|.
    const quoteClosed = floorDiv(position.quoteBalance * abs(d), abs(size));
    wallet.collateralQuote += quoteClosed + cash(d);
    position.quoteBalance -= quoteClosed;
    position.sizeBase = size + d;
  } else {
    // Flip: close all, then open the rest on the other side.
    wallet.collateralQuote += position.quoteBalance + cash(-size);
    position.quoteBalance = cash(d + size);
    position.sizeBase = d + size;
    position.fundingSnapshot = sideIndex(market, position.sizeBase);
  }

  // 4. A position at size 0 moves its remaining quote to its collateral and is removed.
  if (position.sizeBase === 0n) {
    wallet.collateralQuote += position.quoteBalance;
    position.quoteBalance = 0n;
    list.splice(list.indexOf(position), 1);
    // A closed isolated position returns its collateral to cross.
    if (isolated) {
      account.collateralQuote += wallet.collateralQuote;
      wallet.collateralQuote = 0n;
    }
  }
}

/**
 * Pre-trade check of a cross fill: applies it to a copy of the book (the original is untouched) and
 * returns the account's cross figures afterwards; ok iff equity >= IM.
 */
export function preTrade(book: RefBook, accountId: number, marketId: number, sizeDeltaBase: bigint,
  priceQuote: bigint): { ok: boolean; figures: Figures } {
  const copy = cloneBook(book);
  applyFill(copy, accountId, marketId, sizeDeltaBase, priceQuote, false);
  const figures = accountFigures(copy, accountId);
  return { ok: figures.equityQuote >= figures.imQuote, figures };
}
