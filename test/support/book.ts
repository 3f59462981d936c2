/**
 * Test support: seeded random books for parity tests against the reference model
 * (test/reference/model.ts), the three ways of loading them into an engine, and field-by-field
 * comparisons of engine results with `checkBook`.
 *
 * Everything random comes from `Rng` (sfc32) seeded by the caller: a seed always gives the same book.
 * Generated books respect the supported range of docs/FORMULAS.md at load time (|size|, |quote|,
 * |collateral| <= 2^62, |snapshot| <= 2^61, |size| * mark / D < 2^62, open interest per side <= 2^62).
 */
import { expect } from 'vitest';
import { RiskCoreError, type BookColumns, type CheckSummary, type HealthCounts, type RiskEngine } from '../../dist/src/node.js';
import {
  ceilDiv, checkBook, cloneBook, floorDiv, openInterestBase, RefOverflow, riskCompare,
  type BookCheck, type Figures, type RefAccount, type RefBook, type RefCurve, type RefIsolated, type RefMarket,
  type RefPosition, type RefTier,
} from '../reference/model.js';

export const P61 = 1n << 61n;
export const P62 = 1n << 62n;
const PPM = 1_000_000;
const abs = (x: bigint): bigint => (x < 0n ? -x : x);
const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const clamp = (x: bigint, lo: bigint, hi: bigint): bigint => minB(hi, maxB(lo, x));
const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

// ---- PRNG --------------------------------------------------------------------------------------

/** sfc32, a small seeded 32-bit generator, with the integer helpers the generators need. */
export class Rng {
  private a = 0x9e3779b9; private b = 0x243f6a88; private c = 0xb7e15162; private d: number;
  constructor(seed: number) {
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** Uniform in [0, 1). */
  float(): number { return this.u32() / 4294967296; }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number { return lo + Math.floor(this.float() * (hi - lo + 1)); }
  chance(p: number): boolean { return this.float() < p; }
  pick<T>(items: readonly T[]): T { return items[this.int(0, items.length - 1)]!; }
  sign(): bigint { return this.chance(0.5) ? 1n : -1n; }
  /** Uniform bigint in [0, n] (rejection sampling on bit length). */
  bigTo(n: bigint): bigint {
    if (n <= 0n) return 0n;
    const bits = bitLength(n);
    for (;;) {
      let r = 0n;
      for (let k = 0; k < bits; k += 32) r = (r << 32n) | BigInt(this.u32());
      r &= (1n << BigInt(bits)) - 1n;
      if (r <= n) return r;
    }
  }
  /** Log-uniform bigint in [lo, hi], lo >= 1: a uniform bit length, then uniform within it. */
  logBig(lo: bigint, hi: bigint): bigint {
    const bits = this.int(bitLength(lo), bitLength(hi));
    const from = maxB(lo, 1n << BigInt(bits - 1));
    const to = minB(hi, (1n << BigInt(bits)) - 1n);
    return from + this.bigTo(to - from);
  }
  /** A signed log-uniform amount in [-hi, hi] (0 with probability pZero). */
  signed(hi: bigint, pZero = 0.1): bigint { return this.chance(pZero) || hi < 1n ? 0n : this.sign() * this.logBig(1n, hi); }
}

// ---- Book generator ----------------------------------------------------------------------------

export type CurveKind = RefCurve['kind'];
export const CURVE_KINDS: readonly CurveKind[] = ['flat', 'tiers', 'sizePremium', 'openInterest'];

export interface BookOptions {
  seed: number;
  accounts: number;
  /** Number of markets (default 1..8 at random). */
  markets?: number;
  /** Curve kinds to draw from (default all four). */
  curves?: readonly CurveKind[];
  /** Probability that a market, or an account, uses extreme values (default 0.05). */
  extreme?: number;
  /** Probability that an account holds isolated positions (default 0.2). */
  isolated?: number;
  /** Most cross positions per account (default 4). */
  positions?: number;
  /** Shifts collateral down by this fraction of notional (0.2 = many liquidations; default 0). */
  distress?: number;
  /**
   * Probability that an account stacks two amounts of 2^62 (collateral and a size-0 position's
   * quote, same sign, one of them 0..2 atoms short): sums at the very edge of i64, some of which
   * overflow (default 0).
   */
  overflow?: number;
}

/** D = 10^baseDecimals. */
export const scaleOf = (m: RefMarket): bigint => 10n ** BigInt(m.baseDecimals);
/** Largest |size| with |size| <= 2^62 and |size| * mark / D < 2^62 at the market's current mark. */
export const maxSize = (m: RefMarket): bigint => minB(P62, (P62 * scaleOf(m) - 1n) / m.markPrice);
/** The funding index a position of this size settles against. */
export const sideIndex = (m: RefMarket, size: bigint): bigint => (size > 0n ? m.fundingIndexLong : m.fundingIndexShort);
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function fractions(rng: Rng, extreme: boolean): { imfPpm: number; mmfPpm: number } {
  if (extreme) return rng.pick([{ imfPpm: PPM, mmfPpm: PPM }, { imfPpm: 1, mmfPpm: 1 }, { imfPpm: PPM, mmfPpm: 1 }]);
  const mmfPpm = rng.int(1, 100_000);
  return { imfPpm: Math.min(PPM, mmfPpm + (rng.chance(0.2) ? 0 : rng.int(1, 200_000))), mmfPpm };
}

/** Tiers from 0 with increasing floors, non-decreasing mmf and integral deductions (L_j a multiple of 10^6 / gcd(dmmf, 10^6)). */
function tiers(rng: Rng, extreme: boolean): RefTier[] {
  const count = rng.chance(0.15) ? 16 : rng.int(1, 6);
  let mmf = rng.int(1, 20_000);
  let floor = 0n;
  const out: RefTier[] = [{ notionalFloorQuote: 0n, imfPpm: Math.min(PPM, mmf + rng.int(0, 50_000)), mmfPpm: mmf }];
  const stepMax = extreme ? P62 / 16n : 10n ** BigInt(rng.int(4, 13));
  for (let j = 1; j < count; j++) {
    const step = rng.chance(0.3) || mmf === PPM ? 0 : rng.int(1, Math.min(60_000, PPM - mmf));
    const unit = BigInt(PPM / gcd(step, PPM));
    floor += rng.logBig(1n, stepMax);
    floor = ceilDiv(floor, unit) * unit;
    if (floor > P62) break;
    mmf += step;
    out.push({ notionalFloorQuote: floor, imfPpm: Math.min(PPM, mmf + (rng.chance(0.2) ? 0 : rng.int(0, 150_000))), mmfPpm: mmf });
  }
  return out;
}

function curve(rng: Rng, kind: CurveKind, extreme: boolean): RefCurve {
  switch (kind) {
    case 'flat': return { kind, ...fractions(rng, extreme) };
    case 'tiers': return { kind, tiers: tiers(rng, extreme) };
    case 'sizePremium': return { kind, ...fractions(rng, extreme), premiumPpm: rng.pick([0, 1, rng.int(1, 10_000), rng.int(1, PPM), PPM]) };
    // Caps are placed around the book's open interest once the positions exist (placeCaps).
    case 'openInterest': return { kind, ...fractions(rng, extreme), lowerCapQuote: 0n, upperCapQuote: 0n };
  }
}

function market(rng: Rng, kind: CurveKind, extreme: boolean): RefMarket {
  let markPrice = extreme ? rng.pick([1n, P62, P62 - 1n, rng.logBig(P62 >> 20n, P62)]) : rng.logBig(1n, 10n ** 13n);
  // A round mark makes tier floors land exactly on sizes (N == L_j) more often.
  if (kind === 'tiers' && !extreme && rng.chance(0.4)) markPrice = 10n ** BigInt(rng.int(0, 12));
  const index = (): bigint => (extreme && rng.chance(0.5) ? rng.pick([P61, -P61, rng.signed(P61)]) : rng.signed(10n ** 12n, 0.3));
  return { baseDecimals: rng.int(0, 12), markPrice, fundingIndexLong: index(), fundingIndexShort: index(), curve: curve(rng, kind, extreme) };
}

/** dYdX caps around the market's open-interest notional: unused, below, at, inside or above the band. */
function placeCaps(rng: Rng, book: RefBook, marketId: number): void {
  const m = book.markets[marketId]!;
  if (m.curve.kind !== 'openInterest') return;
  // OIN, kept below 2^62 so that caps placed around it are valid (0 <= lower < upper <= 2^62).
  const oin = minB(P62 - 1n, ceilDiv(openInterestBase(book, marketId) * m.markPrice, scaleOf(m)));
  const below = (x: bigint): bigint => x - rng.bigTo(x); // some value in [0, x]
  let lower = 0n, upper = 0n;
  switch (rng.int(0, 5)) {
    case 0: break; // upper = 0: the base fraction
    case 1: lower = minB(P62 - 1n, oin + rng.bigTo(oin + 1n)); upper = lower + 1n + rng.bigTo(oin + 10n); break; // OIN <= lower
    case 2: lower = below(oin); upper = minB(P62, lower + 1n + rng.bigTo(oin)); break; // usually inside the band
    case 3: lower = oin; upper = lower + 1n + rng.bigTo(oin + 1n); break; // OIN == lower
    case 4: if (oin > 0n) { upper = oin; lower = below(oin - 1n); } break; // OIN == upper
    case 5: lower = below(oin / 2n); upper = lower + 1n + rng.bigTo(oin * 2n + 1n); break;
  }
  m.curve = { ...m.curve, lowerCapQuote: lower, upperCapQuote: minB(upper, P62) };
}

/** Open interest still available per market and side (the engine refuses a side above 2^62). */
type Budget = { long: bigint; short: bigint }[];

/**
 * Clamps a new position's size to the open interest left on its side. Ordinary positions use at
 * most half of it (2^61 per side), leaving room for fills and copied accounts; extreme ones all.
 */
function takeBudget(budget: Budget, marketId: number, size: bigint, extreme: boolean): bigint {
  const b = budget[marketId]!;
  const reserve = extreme ? 0n : P61;
  if (size > 0n) { size = minB(size, maxB(0n, b.long - reserve)); b.long -= size; } else { size = -minB(-size, maxB(0n, b.short - reserve)); b.short += size; }
  return size;
}

type Flavor = 'normal' | 'bigCollateral' | 'bigPosition' | 'bigQuote' | 'bigFunding' | 'oneAtom';

/** A position size: zero, one atom, near a tier boundary, near the notional limit, or a log-uniform notional. */
function size(rng: Rng, m: RefMarket, flavor: Flavor): bigint {
  const limit = maxSize(m);
  if (limit === 0n) return 0n;
  const sign = rng.sign();
  if (flavor === 'oneAtom') return sign;
  if (flavor === 'bigPosition') return sign * (limit - rng.bigTo(minB(limit - 1n, 1000n)));
  const r = rng.float();
  if (r < 0.05) return 0n;
  if (r < 0.1) return sign;
  const D = scaleOf(m);
  if (r < 0.3 && m.curve.kind === 'tiers' && m.curve.tiers.length > 1) {
    // Exactly at, or one atom either side of, the smallest size reaching a tier floor.
    const floor = rng.pick(m.curve.tiers.slice(1)).notionalFloorQuote;
    return sign * clamp(ceilDiv(floor * D, m.markPrice) + BigInt(rng.int(-1, 1)), 1n, limit);
  }
  // Notionals up to 10^16 quote atoms (some beyond the engine's 2^48 fast path); ordinary sizes stay
  // below 2^52 so that markets keep open-interest headroom for fills and copied accounts.
  return sign * clamp(rng.logBig(1n, 10n ** 16n) * D / m.markPrice, 1n, minB(limit, 1n << 52n));
}

/** A position with its quote (entry within +-20 % of the mark) and funding snapshot. */
function position(rng: Rng, book: RefBook, budget: Budget, marketId: number, flavor: Flavor): RefPosition {
  const m = book.markets[marketId]!;
  const D = scaleOf(m);
  const sizeBase = takeBudget(budget, marketId, size(rng, m, flavor === 'bigQuote' ? 'normal' : flavor), flavor !== 'normal');
  const entry = maxB(1n, m.markPrice * BigInt(PPM + rng.int(-200_000, 200_000)) / BigInt(PPM));
  let quoteBalance = clamp(-floorDiv(sizeBase * entry, D) + BigInt(rng.int(-3, 3)), -P62, P62);
  if (flavor === 'oneAtom') quoteBalance = BigInt(rng.int(-1, 1));
  // Funding: snapshot at the index, or away from it by up to ~2 % of the mark (bigFunding: by up to
  // 2^60 quote atoms of funding in total, so that funding stays well inside i64).
  const index = sideIndex(m, sizeBase);
  let delta = rng.chance(0.3) ? 0n : rng.signed(maxB(1n, m.markPrice / 50n));
  if (flavor === 'bigFunding') delta = rng.signed(minB(P61, ((1n << 60n) * D) / maxB(1n, abs(sizeBase))), 0);
  const fundingSnapshot = clamp(index - delta, -P61, P61);
  return { marketId, sizeBase, quoteBalance, fundingSnapshot };
}

/** Notional of a list of positions, floor(|size| * mark / D) summed. */
function notional(book: RefBook, positions: readonly RefPosition[]): bigint {
  return positions.reduce((n, p) => { const m = book.markets[p.marketId]!; return n + abs(p.sizeBase) * m.markPrice / scaleOf(m); }, 0n);
}

/** Collateral around the margin of `positions`: ratio r of their notional with r in [-0.1, 0.4] - distress. */
function collateralFor(rng: Rng, book: RefBook, positions: readonly RefPosition[], distress: number): bigint {
  if (positions.length === 0 || rng.chance(0.1)) return rng.signed(10n ** 12n, 0.2);
  const ratio = BigInt(rng.int(-100_000, 400_000) - Math.round(distress * PPM));
  return clamp(notional(book, positions) * ratio / BigInt(PPM) + rng.signed(1000n, 0.5), -P62, P62);
}

/** Fisher-Yates shuffle of 0..n-1. */
function shuffled(rng: Rng, n: number): number[] {
  const ids = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = rng.int(0, i); [ids[i], ids[j]] = [ids[j]!, ids[i]!]; }
  return ids;
}

/**
 * One account. Most are 'normal' (a few positions, collateral around their margin); an extreme
 * account has one flavor: collateral near +-2^62, a position near the notional limit, a size-0
 * position holding a quote near +-2^62 (offset by the collateral), funding far from the index, or
 * one-atom amounts. One flavor per account keeps its sums inside i64, so most extreme books check.
 */
function account(rng: Rng, book: RefBook, budget: Budget, o: Required<BookOptions>): RefAccount {
  const flavor: Flavor = rng.chance(o.extreme) ? rng.pick(['bigCollateral', 'bigPosition', 'bigQuote', 'bigFunding', 'oneAtom'] as const) : 'normal';
  const marketIds = shuffled(rng, book.markets.length);
  const crossCount = rng.chance(0.1) ? 0 : rng.int(1, Math.min(o.positions, marketIds.length));
  const positions = marketIds.slice(0, flavor === 'normal' ? crossCount : 1).map((id) => position(rng, book, budget, id, flavor));
  let collateralQuote = collateralFor(rng, book, positions, o.distress);
  if (flavor === 'bigCollateral') collateralQuote = rng.pick([P62, -P62, P62 - 1n, rng.signed(P62, 0)]);
  if (flavor === 'oneAtom') collateralQuote = BigInt(rng.int(-1, 1));
  if (flavor === 'bigQuote' && marketIds.length > 1) {
    const quoteBalance = rng.pick([P62, -P62, rng.signed(P62, 0)]);
    positions.push({ marketId: marketIds[1]!, sizeBase: 0n, quoteBalance, fundingSnapshot: rng.signed(P61) });
    collateralQuote = clamp(-quoteBalance + rng.signed(10n ** 9n), -P62, P62);
  }
  const isolated: RefIsolated[] = [];
  if (rng.chance(o.isolated)) {
    for (const id of marketIds.slice(positions.length, positions.length + rng.int(1, 2))) {
      const p = position(rng, book, budget, id, flavor === 'oneAtom' ? flavor : 'normal');
      isolated.push({ ...p, collateralQuote: collateralFor(rng, book, [p], o.distress) });
    }
  }
  if (rng.chance(o.overflow) && marketIds.length > positions.length + isolated.length) {
    // equity = +-(2^63 - k): fits i64 for k >= 1 (and -2^63 fits); any IM then may push free out.
    const sign = rng.sign(), k = BigInt(rng.int(0, 2));
    collateralQuote = sign * P62;
    positions.push({ marketId: marketIds[positions.length + isolated.length]!, sizeBase: 0n, quoteBalance: sign * (P62 - k), fundingSnapshot: 0n });
  }
  const imfFloorPpm = rng.chance(0.15) ? rng.pick([PPM, rng.int(1, PPM), rng.int(50_000, 200_000)]) : 0;
  return { collateralQuote, imfFloorPpm, positions, isolated };
}

/** A seeded random book (see BookOptions). */
export function generateBook(options: BookOptions): RefBook {
  const rng = new Rng(options.seed);
  const o: Required<BookOptions> = {
    markets: rng.int(1, 8), curves: CURVE_KINDS, extreme: 0.05, isolated: 0.2, positions: 4, distress: 0, overflow: 0, ...options,
  };
  const book: RefBook = { markets: [], accounts: [] };
  for (let i = 0; i < o.markets; i++) book.markets.push(market(rng, o.curves[i % o.curves.length]!, rng.chance(o.extreme)));
  const budget: Budget = book.markets.map(() => ({ long: P62, short: P62 }));
  for (let a = 0; a < o.accounts; a++) book.accounts.push(account(rng, book, budget, o));
  book.markets.forEach((_, id) => placeCaps(rng, book, id));
  return book;
}

// ---- Loading -----------------------------------------------------------------------------------

export type LoadPath = 'objects' | 'columns' | 'reserve';
export const LOAD_PATHS: readonly LoadPath[] = ['objects', 'columns', 'reserve'];

/** Adds the book's markets (same specs) and checks they get ids 0, 1, ... in order. */
export function addMarkets(engine: RiskEngine, book: RefBook): void {
  const first = engine.marketCount;
  book.markets.forEach((m, i) => expect(engine.addMarket(m)).toBe(first + i));
}

/** Typed columns of some accounts, for `appendColumns`; isolated rows name ids from `firstAccountId`. */
export function accountColumns(accounts: readonly RefAccount[], firstAccountId: number): BookColumns {
  const cross = accounts.flatMap((a) => a.positions);
  const iso = accounts.flatMap((a, k) => a.isolated.map((p) => ({ ...p, accountId: firstAccountId + k })));
  return {
    accounts: {
      collateralQuote: BigInt64Array.from(accounts, (a) => a.collateralQuote),
      imfFloorPpm: Uint32Array.from(accounts, (a) => a.imfFloorPpm),
      positionCount: Uint32Array.from(accounts, (a) => a.positions.length),
    },
    positions: {
      marketId: Uint16Array.from(cross, (p) => p.marketId),
      sizeBase: BigInt64Array.from(cross, (p) => p.sizeBase),
      quoteBalance: BigInt64Array.from(cross, (p) => p.quoteBalance),
      fundingSnapshot: BigInt64Array.from(cross, (p) => p.fundingSnapshot),
    },
    isolated: {
      accountId: Uint32Array.from(iso, (p) => p.accountId),
      marketId: Uint16Array.from(iso, (p) => p.marketId),
      sizeBase: BigInt64Array.from(iso, (p) => p.sizeBase),
      quoteBalance: BigInt64Array.from(iso, (p) => p.quoteBalance),
      fundingSnapshot: BigInt64Array.from(iso, (p) => p.fundingSnapshot),
      collateralQuote: BigInt64Array.from(iso, (p) => p.collateralQuote),
    },
  };
}

/** Zero-copy path: reserve, write every field straight into the engine's views, commit. */
function appendReserved(engine: RiskEngine, accounts: readonly RefAccount[]): number {
  const nP = accounts.reduce((n, a) => n + a.positions.length, 0);
  const nI = accounts.reduce((n, a) => n + a.isolated.length, 0);
  const batch = engine.reserve({ accounts: accounts.length, positions: nP, isolated: nI });
  let p = 0, r = 0;
  accounts.forEach((a, k) => {
    batch.accounts.collateralQuote[k] = a.collateralQuote;
    batch.accounts.imfFloorPpm[k] = a.imfFloorPpm;
    batch.accounts.positionCount[k] = a.positions.length;
    for (const pos of a.positions) {
      batch.positions.marketId[p] = pos.marketId;
      batch.positions.sizeBase[p] = pos.sizeBase;
      batch.positions.quoteBalance[p] = pos.quoteBalance;
      batch.positions.fundingSnapshot[p++] = pos.fundingSnapshot;
    }
    for (const iso of a.isolated) {
      batch.isolated.accountId[r] = batch.firstAccountId + k;
      batch.isolated.marketId[r] = iso.marketId;
      batch.isolated.sizeBase[r] = iso.sizeBase;
      batch.isolated.quoteBalance[r] = iso.quoteBalance;
      batch.isolated.fundingSnapshot[r] = iso.fundingSnapshot;
      batch.isolated.collateralQuote[r++] = iso.collateralQuote;
    }
  });
  return engine.commit(batch);
}

/** Appends accounts through one load path, in batches of `batchSize`; returns their ids. */
export function appendAccounts(engine: RiskEngine, accounts: readonly RefAccount[], path: LoadPath = 'objects', batchSize = Infinity): number[] {
  const ids: number[] = [];
  for (let i = 0; i < accounts.length; i += Math.min(batchSize, accounts.length)) {
    const chunk = accounts.slice(i, i + batchSize);
    if (path === 'objects') {
      ids.push(...engine.addAccounts(chunk.map((a) => ({ collateralQuote: a.collateralQuote, imfFloorPpm: a.imfFloorPpm, positions: a.positions, isolated: a.isolated }))));
    } else {
      const first = path === 'columns' ? engine.appendColumns(accountColumns(chunk, engine.accountCount)) : appendReserved(engine, chunk);
      ids.push(...chunk.map((_, k) => first + k));
    }
  }
  return ids;
}

/** Adds the book's markets and accounts to a fresh engine; returns the account ids (0..n-1). */
export function loadIntoEngine(engine: RiskEngine, book: RefBook, path: LoadPath = 'objects', batchSize = Infinity): number[] {
  addMarkets(engine, book);
  const ids = appendAccounts(engine, book.accounts, path, batchSize);
  expect(ids).toEqual(book.accounts.map((_, i) => i));
  return ids;
}

// ---- Comparisons -------------------------------------------------------------------------------

const HEALTH_NAMES = ['healthy', 'belowInitial', 'liquidatable', 'bankrupt', 'inactive'] as const;
const FIELDS = ['equityQuote', 'imQuote', 'mmQuote', 'freeQuote', 'health'] as const;
type Row = Pick<Figures, (typeof FIELDS)[number]>;

/** Pushes one line per field where the engine's figures differ from the model's. */
export function diffFigures(label: string, engine: Row, model: Row, out: string[]): void {
  for (const f of FIELDS) {
    if (BigInt(engine[f]) !== BigInt(model[f])) out.push(`${label} ${f}: engine ${engine[f]}, model ${model[f]}`);
  }
}

/** Fails with the first mismatches (and how many there are) if `diffs` is not empty. */
export function expectNoDiffs(diffs: readonly string[], what: string): void {
  expect(diffs.slice(0, 10), `${what}: ${diffs.length} mismatches:\n  ${diffs.slice(0, 10).join('\n  ')}\n`).toEqual([]);
}

export const countsOf = (c: readonly number[]): HealthCounts =>
  Object.fromEntries(HEALTH_NAMES.map((n, i) => [n, c[i]!])) as unknown as HealthCounts;

/** (accountId, marketId) of every model isolated id, in model order. */
export function isolatedKeys(book: RefBook): { accountId: number; marketId: number }[] {
  return book.accounts.flatMap((a, accountId) => a.isolated.map((p) => ({ accountId, marketId: p.marketId })));
}

/** Engine figures of account row `i` (or isolated row) from a results view. */
export function viewRow(v: { equityQuote: BigInt64Array; imQuote: BigInt64Array; mmQuote: BigInt64Array; freeQuote: BigInt64Array; health: Uint8Array }, i: number): Row {
  return { equityQuote: v.equityQuote[i]!, imQuote: v.imQuote[i]!, mmQuote: v.mmQuote[i]!, freeQuote: v.freeQuote[i]!, health: v.health[i]! };
}

/** Expects `fn` to throw a RiskCoreError with this code name; returns it. */
export function expectCode(fn: () => unknown, codeName: string): RiskCoreError {
  let thrown: unknown;
  try { fn(); } catch (e) { thrown = e; }
  expect(thrown, `expected RiskCoreError ${codeName}`).toBeInstanceOf(RiskCoreError);
  expect((thrown as RiskCoreError).codeName, String(thrown)).toBe(codeName);
  return thrown as RiskCoreError;
}

/** Every id of `order` is before the next one under the exact comparator (with figures per id). */
export function expectRiskSorted(order: readonly number[], figuresOf: (id: number) => Row): void {
  for (let i = 1; i < order.length; i++) {
    const a = { id: order[i - 1]!, ...figuresOf(order[i - 1]!) }, b = { id: order[i]!, ...figuresOf(order[i]!) };
    expect(riskCompare(a, b), `risk order: ${a.id} must come before ${b.id}`).toBeLessThan(0);
  }
}

/** True if the model finds an overflow in this account's cross book or isolated positions. */
export function modelOverflows(book: RefBook, accountId: number): boolean {
  // Open interest does not depend on account order: check a copy with this account first.
  const { markets, accounts } = cloneBook(book);
  try {
    checkBook({ markets, accounts: [accounts[accountId]!, ...accounts.filter((_, i) => i !== accountId)] });
    return false;
  } catch (e) {
    if (!(e instanceof RefOverflow)) throw e;
    return e.accountId === 0;
  }
}

/** `fn` (a check) must fail with Overflow naming an account (the row) that overflows in the model. */
export function expectOverflowNamed(fn: () => unknown, book: RefBook): void {
  const err = expectCode(fn, 'Overflow');
  expect(err.field, err.message).toBe('accountId');
  expect(modelOverflows(book, err.row), `engine names account ${err.row}, which the model checks without overflow`).toBe(true);
}

export interface ParityOptions {
  /**
   * 'row' (fresh books): isolated rows compared by id with the model's numbering, and the isolated
   * risk order compared exactly. 'key' (after fills, which reuse engine rows): isolated positions
   * compared by (accountId, marketId), the isolated risk order as a sorted set.
   */
  isolated?: 'row' | 'key';
}

/**
 * Runs `engine.check()` and compares it with `checkBook(book)` field by field: per-account and
 * per-isolated figures, the summary counts and both risk orders. If the model overflows, the
 * engine must refuse the check with Overflow naming the same account. Returns the model's check.
 */
export function expectParity(engine: RiskEngine, book: RefBook, options: ParityOptions = {}): BookCheck | undefined {
  let ref: BookCheck;
  try {
    ref = checkBook(book);
  } catch (e) {
    if (!(e instanceof RefOverflow)) throw e;
    expectOverflowNamed(() => engine.check(), book);
    return undefined;
  }
  const summary = engine.check();
  expectResultsMatch(engine, book, ref, options);
  expectCountsMatch(summary, ref, options);
  return ref;
}

/** Compares the engine's current results (no new check) with a model check of `book`. */
export function expectResultsMatch(engine: RiskEngine, book: RefBook, ref: BookCheck, options: ParityOptions = {}): void {
  const diffs: string[] = [];
  const v = engine.resultsView();
  expect(v.equityQuote.length).toBe(book.accounts.length);
  ref.accounts.forEach((f, a) => diffFigures(`account ${a}`, viewRow(v, a), f, diffs));
  const keys = isolatedKeys(book);
  if ((options.isolated ?? 'row') === 'row') {
    const iv = engine.isolatedResultsView();
    expect(iv.equityQuote.length).toBe(ref.isolated.length);
    ref.isolated.forEach((f, r) => {
      if (iv.accountId[r] !== keys[r]!.accountId || iv.marketId[r] !== keys[r]!.marketId) diffs.push(`isolated ${r} key: engine ${iv.accountId[r]}/${iv.marketId[r]}`);
      diffFigures(`isolated ${r}`, viewRow(iv, r), f, diffs);
    });
    expectNoDiffs(diffs, 'results');
    expect(engine.riskOrder()).toEqual(ref.riskOrder);
    expect(engine.riskOrder({ isolated: true })).toEqual(ref.isolatedRiskOrder);
    return;
  }
  // By key: each open account's isolated positions, matched by market.
  const engineRows = new Map<string, { row: number; figures: Row }>();
  book.accounts.forEach((a, accountId) => {
    if (a.closed) return;
    for (const iso of engine.account(accountId).isolated) engineRows.set(`${accountId}/${iso.marketId}`, { row: iso.isolatedId, figures: iso.figures });
  });
  expect([...engineRows.keys()].sort()).toEqual(keys.map((k) => `${k.accountId}/${k.marketId}`).sort());
  ref.isolated.forEach((f, r) => diffFigures(`isolated ${keys[r]!.accountId}/${keys[r]!.marketId}`, engineRows.get(`${keys[r]!.accountId}/${keys[r]!.marketId}`)!.figures, f, diffs));
  expectNoDiffs(diffs, 'results');
  expect(engine.riskOrder()).toEqual(ref.riskOrder);
  const iv = engine.isolatedResultsView();
  const isoOrder = engine.riskOrder({ isolated: true });
  expect(isoOrder.map((r) => `${iv.accountId[r]}/${iv.marketId[r]}`).sort()).toEqual(ref.isolatedRiskOrder.map((r) => `${keys[r]!.accountId}/${keys[r]!.marketId}`).sort());
  expectRiskSorted(isoOrder, (r) => viewRow(iv, r));
}

/** Book-wide counts (and, for a full check, the checked counts) equal the model's. */
export function expectCountsMatch(summary: CheckSummary, ref: BookCheck, options: ParityOptions = {}): void {
  expect(summary.book.accounts).toEqual(countsOf(ref.counts.accounts));
  expect(summary.checked.accounts).toEqual({ ...countsOf(ref.counts.accounts), inactive: 0 });
  const live = (c: HealthCounts): number[] => [c.healthy, c.belowInitial, c.liquidatable, c.bankrupt];
  if ((options.isolated ?? 'row') === 'row') expect(summary.book.isolated).toEqual(countsOf(ref.counts.isolated));
  else expect(live(summary.book.isolated)).toEqual(ref.counts.isolated.slice(0, 4));
  expect(live(summary.checked.isolated)).toEqual(ref.counts.isolated.slice(0, 4));
}

/** A digest of everything observable about the book: every account (state and figures), every market, tallies. */
export function engineDigest(engine: RiskEngine): string {
  const parts: unknown[] = [engine.accountCount, engine.marketCount, engine.summary().book];
  for (let a = 0; a < engine.accountCount; a++) parts.push(engine.account(a));
  for (let m = 0; m < engine.marketCount; m++) parts.push(engine.market(m));
  return JSON.stringify(parts, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
}
