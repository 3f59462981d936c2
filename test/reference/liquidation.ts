/**
 * Reference model of liquidation (docs/FORMULAS.md, "Liquidation (normative)").
 *
 * Written only from the spec, like model.ts, whose helpers it reuses. Everything is a `bigint`; every
 * division goes through `floorDiv` / `ceilDiv` applied once to the exact rational value; group figures
 * are recomputed from the book whenever they are needed (nothing is cached). It is slow on purpose.
 *
 * Vocabulary (spec): a **group** is an account's cross book or one isolated position with its own
 * collateral. E, M, IM are its equity, MM and IM as the margin check computes them; MM_i, IM_i and
 * v_i = floor(s * m / D) are position i's own terms.
 *
 * Model API: amounts are bigint atoms everywhere (policy amounts too); isolated ids are the global ids
 * of model.ts (a running index over every account's `isolated` array).
 *
 * Where the spec leaves a case open, the reading taken is marked `// SPEC:`.
 *
 * This file: types, groups, prices, one close and planning; liquidation-execute.ts: executing a plan,
 * funds, deficits and the ledger (re-exported here).
 */
import type { DeficitRecord, LiquidationKind, LiquidationPolicy } from '../../src/index.js';
import type { AtomsInput } from '../../src/types.js';
import {
  ceilDiv, curveFractions, floorDiv, groupOverflows, openInterestBase, positionFigures, tierDeductionsQuote,
  type RefAccount, type RefBook, type RefMarket, type RefPosition,
} from './model.js';

// ---- Types -------------------------------------------------------------------------------------

/** "No such price": the condition holds at no price in 1..2^62. */
export const PRICE_NEVER = 0n;
/** "No such price": the condition holds at every price in 1..2^62. */
export const PRICE_ALWAYS = -1n;
/** "No price": the group's figures leave i64 (the check refuses it with OVERFLOW). */
export const PRICE_UNDEFINED = -2n;

/** A market with the liquidation settings: close step (base atoms, default 1) and insurance fund (default global). */
export type LiqMarket = RefMarket & { stepBase?: bigint; insuranceFund?: 'global' | 'own' };

/** A book whose markets may carry liquidation settings; structurally a RefBook. */
export interface LiqBook extends RefBook { markets: LiqMarket[] }

/** Prices of one position; the sentinels are PRICE_NEVER, PRICE_ALWAYS and PRICE_UNDEFINED. */
export interface RefPositionPrices {
  marketId: number;
  /** Global isolated id, null for a cross position. */
  isolatedId: number | null;
  sizeBase: bigint;
  liquidationPriceQuote: bigint;
  bankruptcyPriceQuote: bigint;
}

/** One planned row: a close, a backstop transfer or a settlement. */
export interface PlanRow {
  accountId: number;
  /** null for a settle row. */
  marketId: number | null;
  /** Global isolated id (model numbering when planned), null for cross rows. */
  isolatedId: number | null;
  kind: LiquidationKind;
  /** Signed trade delta d (reduces the position); a transfer's is minus the size moved; 0 for a settlement. */
  sizeBase: bigint;
  priceQuote: bigint;
}

/** What liquidation keeps besides the book. */
export interface LiquidationState {
  /** Fund balances: index 0 the global fund, 1 + marketId a market's own fund. */
  fundsQuote: bigint[];
  /** Fees paid to liquidators, all time. */
  liquidatorFeesQuote: bigint;
  /** Deficit records not taken yet (the loss waterfall's queue). */
  deficits: DeficitRecord[];
  /** All time: sum of deficits recorded. */
  deficitsRecordedQuote: bigint;
  /** All time: sum over executed rows of (funding - realized). */
  flowQuote: bigint;
}

/** The conservation ledger; `totalQuote` is unchanged by every execution. */
export interface RefLedger {
  collateralQuote: bigint;
  fundsQuote: bigint;
  liquidatorFeesQuote: bigint;
  flowQuote: bigint;
  deficitsQuote: bigint;
  totalQuote: bigint;
}

/** The policy with every default filled in and every amount a bigint. */
export interface PolicyKnobs {
  close: 'full' | 'partial';
  target: 'maintenance' | 'initial';
  bufferPpm: bigint;
  maxCloseFractionPpm: bigint;
  minCloseNotionalQuote: bigint;
  fractionAboveNotionalQuote: bigint;
  maxNotionalPerRoundQuote: bigint;
  maxDeficitPerRoundQuote: bigint;
  order: 'maintenance' | 'notional' | 'book';
  liquidationFeePpm: bigint;
  liquidatorSharePpm: bigint;
  backstopPpm: bigint;
  backstopAccountId: number | undefined;
}

// ---- Helpers -----------------------------------------------------------------------------------

const PPM = 1_000_000n;
export const TWO_POW_62 = 1n << 62n;

export const abs = (x: bigint): bigint => (x < 0n ? -x : x);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const sign = (x: bigint): bigint => (x > 0n ? 1n : x < 0n ? -1n : 0n);

/** D = 10^baseDecimals. */
export const scaleOf = (market: RefMarket): bigint => 10n ** BigInt(market.baseDecimals);

/** The market's close step (base atoms), default 1. */
export function stepOf(market: LiqMarket): bigint {
  const step = market.stepBase ?? 1n;
  if (step < 1n) throw new RangeError('stepBase must be >= 1');
  return step;
}

/** Fund a market's fees go to: 0 (global, default) or 1 + marketId (its own). */
export function fundIdOf(book: LiqBook, marketId: number): number {
  return marketOf(book, marketId).insuranceFund === 'own' ? 1 + marketId : 0;
}

export function marketOf(book: LiqBook, marketId: number): LiqMarket {
  const market = book.markets[marketId];
  if (market === undefined) throw new RangeError(`no market ${marketId}`);
  return market;
}

/** Funding index of the side of `sizeBase`. */
export const sideIndex = (market: RefMarket, sizeBase: bigint): bigint =>
  (sizeBase > 0n ? market.fundingIndexLong : market.fundingIndexShort);

/** fundingOwed = ceil(size * (I - snapshot) / D); 0 for size 0 (positive: the position pays). */
export function fundingOwedQuote(market: RefMarket, position: RefPosition): bigint {
  if (position.sizeBase === 0n) return 0n;
  return ceilDiv(position.sizeBase * (sideIndex(market, position.sizeBase) - position.fundingSnapshot), scaleOf(market));
}

const amount = (value: AtomsInput | undefined, name: string): bigint => {
  if (value === undefined) return 0n;
  if (typeof value !== 'bigint') throw new TypeError(`model policy: ${name} must be a bigint (atoms)`);
  return value;
};

/** Fills in the defaults of a policy (close partial, target maintenance, fraction 10^6, order maintenance, the rest 0). */
export function policyKnobs(policy: LiquidationPolicy = {}): PolicyKnobs {
  return {
    close: policy.close ?? 'partial',
    target: policy.target ?? 'maintenance',
    bufferPpm: BigInt(policy.bufferPpm ?? 0),
    maxCloseFractionPpm: BigInt(policy.maxCloseFractionPpm ?? 1_000_000),
    minCloseNotionalQuote: amount(policy.minCloseNotionalQuote, 'minCloseNotionalQuote'),
    fractionAboveNotionalQuote: amount(policy.fractionAboveNotionalQuote, 'fractionAboveNotionalQuote'),
    maxNotionalPerRoundQuote: amount(policy.maxNotionalPerRoundQuote, 'maxNotionalPerRoundQuote'),
    maxDeficitPerRoundQuote: amount(policy.maxDeficitPerRoundQuote, 'maxDeficitPerRoundQuote'),
    order: policy.order ?? 'maintenance',
    liquidationFeePpm: BigInt(policy.liquidationFeePpm ?? 0),
    liquidatorSharePpm: BigInt(policy.liquidatorSharePpm ?? 0),
    backstopPpm: BigInt(policy.backstopPpm ?? 0),
    backstopAccountId: policy.backstopAccountId,
  };
}

// ---- Groups ------------------------------------------------------------------------------------

/** A group: an account's cross book, or one isolated position with its own collateral. */
export interface Group {
  accountId: number;
  account: RefAccount;
  /** Global isolated id, null for the cross book. */
  isolatedId: number | null;
  /** Where the group's collateral lives: the account (cross) or the isolated entry. */
  wallet: { collateralQuote: bigint };
  /** The group's positions, live: the account's `positions` array, or [the isolated entry] while it is open. */
  positions(): RefPosition[];
}

export function crossGroup(book: LiqBook, accountId: number): Group {
  const account = book.accounts[accountId];
  if (account === undefined) throw new RangeError(`no account ${accountId}`);
  return { accountId, account, isolatedId: null, wallet: account, positions: () => account.positions };
}

/** Every isolated group of the book, indexed by global isolated id (closed accounts' entries included). */
export function isolatedGroups(book: LiqBook): Group[] {
  const groups: Group[] = [];
  book.accounts.forEach((account, accountId) => {
    for (const entry of account.isolated) {
      groups.push({
        accountId, account, isolatedId: groups.length, wallet: entry,
        positions: () => (account.isolated.includes(entry) ? [entry] : []),
      });
    }
  });
  return groups;
}

/** One position of a group with its margin terms at the current marks. */
interface Held {
  position: RefPosition;
  market: LiqMarket;
  /** D of the market. */
  scale: bigint;
  /** v_i = floor(s * m / D). */
  valueTermQuote: bigint;
  mmQuote: bigint;
  imQuote: bigint;
  /** floor(|s| * m / D). */
  notionalQuote: bigint;
}

/** A group's figures, exactly as the margin check computes them, with its positions' terms. */
interface GroupFigures { equityQuote: bigint; mmQuote: bigint; imQuote: bigint; held: Held[] }

/** MM and IM of a position of `sizeBase` in a market at the current mark and curve state (OI of the book now). */
function marginAt(book: LiqBook, marketId: number, sizeBase: bigint, imfFloorPpm: number): { mmQuote: bigint; imQuote: bigint } {
  const f = positionFigures(marketOf(book, marketId), openInterestBase(book, marketId), sizeBase, 0n, 0n, imfFloorPpm);
  return { mmQuote: f.mmQuote, imQuote: f.imQuote };
}

/** equity = collateral + sum(valueQuote - fundingOwed), IM = sum IM_i, MM = sum MM_i (spec "Per account"). */
export function evaluate(book: LiqBook, group: Group): GroupFigures {
  let equityQuote = group.wallet.collateralQuote;
  let mmQuote = 0n;
  let imQuote = 0n;
  const held: Held[] = [];
  for (const position of group.positions()) {
    const market = marketOf(book, position.marketId);
    const f = positionFigures(market, openInterestBase(book, position.marketId), position.sizeBase, position.quoteBalance,
      position.fundingSnapshot, group.account.imfFloorPpm);
    equityQuote += f.valueQuote - f.fundingOwedQuote;
    mmQuote += f.mmQuote;
    imQuote += f.imQuote;
    held.push({
      position, market, scale: scaleOf(market), valueTermQuote: f.valueQuote - position.quoteBalance,
      mmQuote: f.mmQuote, imQuote: f.imQuote, notionalQuote: f.notionalFloorQuote,
    });
  }
  return { equityQuote, mmQuote, imQuote, held };
}

/**
 * Position i's share of the group's equity: E_i = ceil(E * MM_i / M) in a cross group (the dYdX / FTX
 * split by maintenance margin), E_i = E for an isolated position.
 */
export function equityShareQuote(group: Group, equityQuote: bigint, mmQuote: bigint, positionMmQuote: bigint): bigint {
  if (group.isolatedId !== null) return equityQuote;
  // A size-0 position has MM_i = 0: its share is ceil(E * 0 / M) = 0, or E when M = 0 (the spec's
  // "its share of equity is E_i = E when M = 0").
  if (mmQuote === 0n) return equityQuote;
  return ceilDiv(equityQuote * positionMmQuote, mmQuote);
}

// ---- Prices ------------------------------------------------------------------------------------

/** A piece of the MM curve: notional floor L_j, mmf_j and ded_j. */
interface Piece { floorQuote: bigint; mmfPpm: bigint; dedQuote: bigint }

/**
 * The pieces of the MM curve for a position of size s: every tier for a tiers curve; one piece
 * (mmf at |s|, ded 0) for every other curve (flat, size premium at this size, open interest: mmfPpm).
 */
function mmPieces(market: RefMarket, openInterest: bigint, sizeBase: bigint): Piece[] {
  if (market.curve.kind === 'tiers') {
    const deductions = tierDeductionsQuote(market.curve.tiers);
    return market.curve.tiers.map((tier, j) => ({ floorQuote: tier.notionalFloorQuote, mmfPpm: BigInt(tier.mmfPpm), dedQuote: deductions[j]! }));
  }
  return [{ floorQuote: 0n, mmfPpm: curveFractions(market, openInterest, sizeBase).mmfPpm, dedQuote: 0n }];
}

/**
 * Liquidation price of a position of size s (other marks fixed): the root of
 *   g(p) = A0 + ded_j + s*p/D - |s|*p*mmf_j/(D*10^6),   A0 = (E - v_i) - (M - MM_i),
 * with B_j = A0 + ded_j.
 */
export function liquidationPriceQuote(pieces: readonly Piece[], scale: bigint, sizeBase: bigint, a0Quote: bigint): bigint {
  const D = scale;
  const s = sizeBase;
  // "A position of size 0 (a bare quote balance) has neither price (both NEVER)."
  if (s === 0n) return PRICE_NEVER;
  const last = pieces.length - 1;
  if (s > 0n) {
    // Long: A0 >= 0 -> NEVER.
    if (a0Quote >= 0n) return PRICE_NEVER;
    for (let j = 0; j <= last; j++) {
      const piece = pieces[j]!;
      const b = a0Quote + piece.dedQuote;
      // The first piece with mmf_j < 10^6 and (j last or B_j*10^6 + L_{j+1}*(10^6 - mmf_j) >= 0) holds the root.
      if (piece.mmfPpm >= PPM) continue;
      if (j < last && b * PPM + pieces[j + 1]!.floorQuote * (PPM - piece.mmfPpm) < 0n) continue;
      // LP = ceil(-B_j * 10^6 * D / (s * (10^6 - mmf_j))); LP > 2^62 -> ALWAYS.
      const lp = ceilDiv(-b * PPM * D, s * (PPM - piece.mmfPpm));
      return lp > TWO_POW_62 ? PRICE_ALWAYS : lp;
    }
    // No such piece -> ALWAYS.
    return PRICE_ALWAYS;
  }
  // Short: A0 <= 0 -> ALWAYS.
  if (a0Quote <= 0n) return PRICE_ALWAYS;
  for (let j = 0; j <= last; j++) {
    const piece = pieces[j]!;
    const b = a0Quote + piece.dedQuote;
    // The first piece with (j last or B_j*10^6 - L_{j+1}*(10^6 + mmf_j) <= 0) holds the root.
    if (j < last && b * PPM - pieces[j + 1]!.floorQuote * (PPM + piece.mmfPpm) > 0n) continue;
    // LP = floor(B_j * 10^6 * D / (|s| * (10^6 + mmf_j))); LP = 0 -> ALWAYS; LP > 2^62 -> NEVER.
    const lp = floorDiv(b * PPM * D, -s * (PPM + piece.mmfPpm));
    if (lp === 0n) return PRICE_ALWAYS;
    return lp > TWO_POW_62 ? PRICE_NEVER : lp;
  }
  throw new Error('unreachable: the last piece always holds a short root');
}

/**
 * Bankruptcy price: T = v_i - E_i;
 * long BP = ceil(T*D/s) (<= 0 NEVER, > 2^62 ALWAYS); short BP = floor(T*D/s) (<= 0 ALWAYS, > 2^62 NEVER).
 */
export function bankruptcyPriceQuote(scale: bigint, sizeBase: bigint, valueTermQuote: bigint, shareQuote: bigint): bigint {
  const t = valueTermQuote - shareQuote;
  // "A position of size 0 (a bare quote balance) has neither price (both NEVER)."
  if (sizeBase === 0n) return PRICE_NEVER;
  if (sizeBase > 0n) {
    const bp = ceilDiv(t * scale, sizeBase);
    if (bp <= 0n) return PRICE_NEVER;
    return bp > TWO_POW_62 ? PRICE_ALWAYS : bp;
  }
  // floor(T*D/s) with s < 0 is floor(-T*D/|s|).
  const bp = floorDiv(-t * scale, -sizeBase);
  if (bp <= 0n) return PRICE_ALWAYS;
  return bp > TWO_POW_62 ? PRICE_NEVER : bp;
}

/** Prices of every position of a group, in the group's position order. */
function groupPrices(book: LiqBook, group: Group): RefPositionPrices[] {
  // A group whose figures leave i64 has no prices: PRICE_UNDEFINED in both.
  if (groupOverflows(book, group.wallet.collateralQuote, group.positions(), group.account.imfFloorPpm)) {
    return group.positions().map((p) => ({
      marketId: p.marketId, isolatedId: group.isolatedId, sizeBase: p.sizeBase, liquidationPriceQuote: PRICE_UNDEFINED, bankruptcyPriceQuote: PRICE_UNDEFINED,
    }));
  }
  const figures = evaluate(book, group);
  const E = figures.equityQuote;
  const M = figures.mmQuote;
  return figures.held.map((h) => {
    const s = h.position.sizeBase;
    // A0 = (E - v_i) - (M - MM_i)
    const a0Quote = (E - h.valueTermQuote) - (M - h.mmQuote);
    const pieces = mmPieces(h.market, openInterestBase(book, h.position.marketId), s);
    const share = equityShareQuote(group, E, M, h.mmQuote);
    return {
      marketId: h.position.marketId,
      isolatedId: group.isolatedId,
      sizeBase: s,
      liquidationPriceQuote: liquidationPriceQuote(pieces, h.scale, s, a0Quote),
      bankruptcyPriceQuote: bankruptcyPriceQuote(h.scale, s, h.valueTermQuote, share),
    };
  });
}

/** Prices of an account's positions: each cross position (positions array order), then each isolated one. */
export function positionPrices(book: LiqBook, accountId: number): RefPositionPrices[] {
  const out = groupPrices(book, crossGroup(book, accountId));
  for (const group of isolatedGroups(book)) if (group.accountId === accountId) out.push(...groupPrices(book, group));
  return out;
}

// ---- One close ---------------------------------------------------------------------------------

/** Every amount of one close (spec "Executing one close"). */
export interface CloseOutcome {
  /** E_slice = ceil(E_i * |d| / |s|). */
  sliceQuote: bigint;
  /** dE = cash(d) + floor((s + d) * m / D) - floor(s * m / D). */
  equityChangeQuote: bigint;
  /** S = E_slice + dE (signed: surplus > 0, shortfall < 0). */
  surplusSignedQuote: bigint;
  /** E' = E + dE. */
  equityAfterFillQuote: bigint;
  /** F = ceil(|d| * q * feePpm / (D * 10^6)). */
  nominalFeeQuote: bigint;
  /** fee = min(F, max(S, 0), max(E', 0)). */
  feeQuote: bigint;
  /** liqFee = floor(fee * liquidatorSharePpm / 10^6). */
  liquidatorFeeQuote: bigint;
  fundFeeQuote: bigint;
  /** deficit = min(max(-S, 0), max(-E', 0)). */
  deficitQuote: bigint;
  /** The group's equity afterwards: E' - fee + deficit. */
  equityAfterQuote: bigint;
}

export interface CloseInput {
  /** E: the group's equity before the close. */
  equityQuote: bigint;
  /** E_i: the position's share of it. */
  shareQuote: bigint;
  sizeBase: bigint;
  deltaBase: bigint;
  priceQuote: bigint;
  markQuote: bigint;
  scale: bigint;
  feePpm: bigint;
  liquidatorSharePpm: bigint;
}

/** The amounts of a close of position i by d at price q, the group at E before it. */
export function closeOutcome(x: CloseInput): CloseOutcome {
  const { scale: D, sizeBase: s, deltaBase: d, priceQuote: q, markQuote: m } = x;
  // E_slice = ceil(E_i * |d| / |s|)
  // E_slice = E_i for a full close (also the size-0 close, c = |s| = 0).
  const sliceQuote = abs(d) === abs(s) ? x.shareQuote : ceilDiv(x.shareQuote * abs(d), abs(s));
  // cash(d) = floor(-d * q / D); dE = cash(d) + floor((s + d) * m / D) - floor(s * m / D)
  const cash = floorDiv(-d * q, D);
  const equityChangeQuote = cash + floorDiv((s + d) * m, D) - floorDiv(s * m, D);
  // S = E_slice + dE;  E' = E + dE
  const surplusSignedQuote = sliceQuote + equityChangeQuote;
  const equityAfterFillQuote = x.equityQuote + equityChangeQuote;
  // F = ceil(|d| * q * feePpm / (D * 10^6));  fee = min(F, max(S, 0), max(E', 0))
  const nominalFeeQuote = ceilDiv(abs(d) * q * x.feePpm, D * PPM);
  const feeQuote = min(nominalFeeQuote, min(max(surplusSignedQuote, 0n), max(equityAfterFillQuote, 0n)));
  // liqFee = floor(fee * liquidatorSharePpm / 10^6), fundFee = fee - liqFee
  const liquidatorFeeQuote = floorDiv(feeQuote * x.liquidatorSharePpm, PPM);
  // deficit = min(max(-S, 0), max(-E', 0))
  const deficitQuote = min(max(-surplusSignedQuote, 0n), max(-equityAfterFillQuote, 0n));
  return {
    sliceQuote, equityChangeQuote, surplusSignedQuote, equityAfterFillQuote, nominalFeeQuote, feeQuote,
    liquidatorFeeQuote, fundFeeQuote: feeQuote - liquidatorFeeQuote, deficitQuote,
    equityAfterQuote: equityAfterFillQuote - feeQuote + deficitQuote,
  };
}

// ---- Planning ----------------------------------------------------------------------------------

/** The group's running figures while a round is planned. */
interface Running { equityQuote: bigint; mmQuote: bigint; imQuote: bigint }

/**
 * Positions in planning order: `maintenance` MM_i descending, `notional` floor(|s| m / D) descending,
 * `book` the array (slot) order; ties by market id ascending.
 */
function orderHeld(held: readonly Held[], order: PolicyKnobs['order']): Held[] {
  if (order === 'book') return [...held];
  const key = (h: Held): bigint => (order === 'maintenance' ? h.mmQuote : h.notionalQuote);
  return [...held].sort((a, b) => {
    const ka = key(a), kb = key(b);
    if (ka !== kb) return ka > kb ? -1 : 1;
    return a.position.marketId - b.position.marketId;
  });
}

/** The procedure of the spec: lo = 1, hi = K; while lo < hi: mid = floor((lo+hi)/2), cond(mid) ? hi = mid : lo = mid + 1. */
function binarySearch(K: bigint, cond: (k: bigint) => boolean): bigint {
  let lo = 1n;
  let hi = K;
  while (lo < hi) {
    const mid = (lo + hi) / 2n; // lo, hi >= 1: truncation is floor
    if (cond(mid)) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}

/** Rows of one group (spec "Planning a round"); empty if the group has E >= M. */
function planGroup(book: LiqBook, group: Group, knobs: PolicyKnobs): PlanRow[] {
  const figures = evaluate(book, group);
  const run: Running = { equityQuote: figures.equityQuote, mmQuote: figures.mmQuote, imQuote: figures.imQuote };
  // Groups with E < M are planned.
  if (!(run.equityQuote < run.mmQuote)) return [];
  const rowOf = (h: Held, kind: LiquidationKind, sizeBase: bigint): PlanRow => ({
    accountId: group.accountId, marketId: h.position.marketId, isolatedId: group.isolatedId, kind, sizeBase,
    priceQuote: h.market.markPrice,
  });

  // Settlement: an account with no cross position and negative collateral (then E = C < 0 = M).
  // SPEC: checked before the backstop (there is nothing to transfer); a settle row's price is 0.
  if (group.isolatedId === null && group.positions().length === 0) {
    return group.wallet.collateralQuote < 0n
      ? [{ accountId: group.accountId, marketId: null, isolatedId: null, kind: 'settle', sizeBase: 0n, priceQuote: 0n }]
      : [];
  }

  // Backstop: E * 10^6 < M * backstopPpm -> the whole group goes to the backstop account, one
  // transfer row per position (d = -s, price the mark).
  // SPEC: "for each position" names no order: transfer rows follow the group's own (book, slot)
  // order, not the `order` knob of the close steps. They include size-0 positions (their quote
  // balance merges too).
  if (knobs.backstopPpm > 0n && run.equityQuote * PPM < run.mmQuote * knobs.backstopPpm) {
    return figures.held.map((h) => rowOf(h, 'transfer', -h.position.sizeBase));
  }

  const ordered = orderHeld(figures.held, knobs.order);

  const rows: PlanRow[] = [];
  let notionalLeftQuote = knobs.maxNotionalPerRoundQuote; // R
  let deficitLeftQuote = knobs.maxDeficitPerRoundQuote; // Q
  for (const h of ordered) {
    const s = h.position.sizeBase;
    // 0. "A position of size 0 gets its row d = 0 (no caps apply) and planning goes on to the next":
    // its quote balance moves to collateral; the group's equity moves as the close formulas say.
    if (s === 0n) {
      const outcome = closeOutcome({
        equityQuote: run.equityQuote, shareQuote: equityShareQuote(group, run.equityQuote, run.mmQuote, h.mmQuote),
        sizeBase: 0n, deltaBase: 0n, priceQuote: h.market.markPrice, markQuote: h.market.markPrice, scale: h.scale,
        feePpm: knobs.liquidationFeePpm, liquidatorSharePpm: knobs.liquidatorSharePpm,
      });
      rows.push(rowOf(h, 'close', 0n));
      run.equityQuote = outcome.equityAfterQuote;
      continue;
    }
    const absS = abs(s);
    const m = h.market.markPrice;
    const D = h.scale;
    const step = stepOf(h.market);

    // 1. Per-position cap.
    let capFrac = absS;
    if (knobs.maxCloseFractionPpm < PPM && floorDiv(absS * m, D) > knobs.fractionAboveNotionalQuote) {
      capFrac = max(step, floorDiv(floorDiv(absS * knobs.maxCloseFractionPpm, PPM), step) * step);
    }
    const minSize = ceilDiv(ceilDiv(knobs.minCloseNotionalQuote * D, m), step) * step;
    const cap = min(absS, max(capFrac, minSize));
    const K = ceilDiv(cap, step);
    const sizeAt = (k: bigint): bigint => min(k * step, cap); // c_k

    // The group after closing c at the mark (execution formulas with q = m).
    const after = (c: bigint): CloseOutcome & { mmAfterQuote: bigint; imAfterQuote: bigint } => {
      const d = -sign(s) * c;
      const outcome = closeOutcome({
        equityQuote: run.equityQuote, shareQuote: equityShareQuote(group, run.equityQuote, run.mmQuote, h.mmQuote),
        sizeBase: s, deltaBase: d, priceQuote: m, markQuote: m, scale: D, feePpm: knobs.liquidationFeePpm,
        liquidatorSharePpm: knobs.liquidatorSharePpm,
      });
      // M := M - MM_i + MM_i(s + d); IM likewise (positions' IM at the current curve state).
      const rest = marginAt(book, h.position.marketId, s + d, group.account.imfFloorPpm);
      return { ...outcome, mmAfterQuote: run.mmQuote - h.mmQuote + rest.mmQuote, imAfterQuote: run.imQuote - h.imQuote + rest.imQuote };
    };

    // 2. Size.
    let c: bigint;
    let groupDone = false;
    if (knobs.close === 'full') {
      c = cap;
    } else {
      // cond(k): E_after >= ceil(T_after * (10^6 + bufferPpm) / 10^6), T_after = MM or IM after closing c_k.
      // SPEC: E_after is the close formula's E' - fee + deficit (no group settlement), which only
      // differs from a settled group when the close empties it, where c = cap either way.
      const cond = (k: bigint): boolean => {
        const a = after(sizeAt(k));
        const target = knobs.target === 'maintenance' ? a.mmAfterQuote : a.imAfterQuote;
        return a.equityAfterQuote >= ceilDiv(target * (PPM + knobs.bufferPpm), PPM);
      };
      if (!cond(K)) {
        c = cap;
      } else {
        c = sizeAt(binarySearch(K, cond));
        // ... and the group is done after this position.
        groupDone = true;
      }
    }

    // 3. Dust: a remainder below the minimum close notional closes the whole position.
    if (floorDiv((absS - c) * m, D) < knobs.minCloseNotionalQuote) c = absS;

    // 4. Round caps per group.
    if (knobs.maxNotionalPerRoundQuote > 0n && !(floorDiv(c * m, D) <= notionalLeftQuote)) {
      c = min(c, floorDiv(floorDiv(notionalLeftQuote * D, m), step) * step);
    }
    if (knobs.maxDeficitPerRoundQuote > 0n && c > 0n && after(c).deficitQuote > deficitLeftQuote) {
      // "with c'_k = min(k * step, c) and K' = ceil(c / step), binary search lo = 1, hi = K' as above
      // for the first k with deficit(c'_k) > Q, and c = (lo - 1) * step." deficit(c'_K') > Q holds here.
      const cNow = c;
      const exceeds = (k: bigint): boolean => after(min(k * step, cNow)).deficitQuote > deficitLeftQuote;
      const lo = binarySearch(ceilDiv(cNow, step), exceeds);
      c = (lo - 1n) * step;
      // "... lowered by whole steps while its deficit still exceeds Q."
      while (c > 0n && after(c).deficitQuote > deficitLeftQuote) c -= step;
    }
    // c = 0 ends the group.
    if (c === 0n) break;
    const outcome = after(c);
    notionalLeftQuote -= floorDiv(c * m, D);
    deficitLeftQuote -= outcome.deficitQuote;

    // 5. The row; the group's (E, M, IM) move on as execution at the mark would move them.
    rows.push(rowOf(h, 'close', -sign(s) * c));
    run.equityQuote = outcome.equityAfterQuote;
    run.mmQuote = outcome.mmAfterQuote;
    run.imQuote = outcome.imAfterQuote;
    if (groupDone) break;
  }
  return rows;
}

/**
 * Plans one round: groups in risk order, cross accounts first (ids from `riskOrderAccounts`), then
 * isolated positions (global ids from `riskOrderIsolated`), the backstop account skipped.
 * The plan area is assumed large enough (it never fills in the tests).
 */
export function planRound(book: LiqBook, policy: LiquidationPolicy, riskOrderAccounts: readonly number[],
  riskOrderIsolated: readonly number[]): PlanRow[] {
  const knobs = policyKnobs(policy);
  const rows: PlanRow[] = [];
  // SPEC: "the backstop account is skipped": the spec introduces the backstop account under "With
  // backstopPpm > 0", so an account named while the backstop is off (backstopPpm = 0) is planned like
  // any other. The backstop account's isolated positions are skipped too.
  const skipped = knobs.backstopPpm > 0n ? knobs.backstopAccountId : undefined;
  for (const accountId of riskOrderAccounts) {
    if (accountId === skipped) continue;
    rows.push(...planGroup(book, crossGroup(book, accountId), knobs));
  }
  const isolated = isolatedGroups(book);
  for (const isolatedId of riskOrderIsolated) {
    const group = isolated[isolatedId];
    if (group === undefined) throw new RangeError(`no isolated position ${isolatedId}`);
    if (group.accountId === skipped) continue;
    rows.push(...planGroup(book, group, knobs));
  }
  return rows;
}

export { cloneState, createLiquidationState, depositFund, executePlan, ledger, summarize } from './liquidation-execute.js';
