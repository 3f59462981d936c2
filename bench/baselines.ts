/**
 * Baselines timed in the same run as the engine:
 *  - "JS f64 (inexact)": the best hand-written plain-JS kernel over Float64Array columns;
 *  - "BigInt reference": test/reference/model.ts `checkBook` on a slice of the book.
 */
import type { MarketSpec, RiskEngine } from '../src/node.js';
import { checkBook, type RefAccount, type RefBook, type RefCurve, type RefMarket } from '../test/reference/model.js';
import type { FullColumns } from './cases.js';

// ------------------------------------------------------------------------------------------------
// JS f64 kernel

/**
 * Groups are the accounts' cross books (ids 0..accounts-1) followed by the isolated positions (one
 * group each, carrying their own collateral and their owner's floor). Positions of group g are
 * [start[g], start[g + 1]).
 */
export interface F64Book {
  accounts: number;
  groups: number;
  start: Uint32Array;
  collateral: Float64Array;
  floorPpm: Float64Array;
  market: Uint16Array;
  size: Float64Array;
  quote: Float64Array;
  snap: Float64Array;
  equity: Float64Array;
  im: Float64Array;
  mm: Float64Array;
  health: Uint8Array;
}

/**
 * One packed record per market, MK_STRIDE f64s: [0] mark/D, [1] 1/D, [2] funding index long,
 * [3] short, [4] size-premium k (0 for other curves); from [8], tiers of 4: |size| floor in base
 * atoms, imf, mmf, deduction * 10^6. Every curve is a tier list (flat, open-interest and premium
 * curves are one tier), ended by a floor of +Infinity.
 */
export const MK_STRIDE = 128;
const MK_TIERS = 8;

function toF64(src: BigInt64Array, out: Float64Array, at: number): void {
  const h = new Int32Array(src.buffer, src.byteOffset, src.length * 2);
  for (let i = 0; i < src.length; i++) out[at + i] = h[2 * i + 1]! * 4294967296 + (h[2 * i]! >>> 0);
}

/** Copies the book's columns into Float64Arrays once (outside any timed body). */
export function f64Book(c: FullColumns): F64Book {
  const nA = c.accounts.positionCount.length, nI = c.isolated.accountId.length;
  const nP = c.positions.marketId.length, total = nP + nI, groups = nA + nI;
  const start = new Uint32Array(groups + 1);
  for (let a = 0; a < nA; a++) start[a + 1] = start[a]! + c.accounts.positionCount[a]!;
  for (let r = 0; r < nI; r++) start[nA + r + 1] = nP + r + 1;
  const collateral = new Float64Array(groups), floorPpm = new Float64Array(groups);
  toF64(c.accounts.collateralQuote, collateral, 0);
  toF64(c.isolated.collateralQuote, collateral, nA);
  for (let a = 0; a < nA; a++) floorPpm[a] = c.accounts.imfFloorPpm[a]!;
  for (let r = 0; r < nI; r++) floorPpm[nA + r] = c.accounts.imfFloorPpm[c.isolated.accountId[r]!]!;
  const market = new Uint16Array(total);
  market.set(c.positions.marketId);
  market.set(c.isolated.marketId, nP);
  const size = new Float64Array(total), quote = new Float64Array(total), snap = new Float64Array(total);
  toF64(c.positions.sizeBase, size, 0); toF64(c.isolated.sizeBase, size, nP);
  toF64(c.positions.quoteBalance, quote, 0); toF64(c.isolated.quoteBalance, quote, nP);
  toF64(c.positions.fundingSnapshot, snap, 0); toF64(c.isolated.fundingSnapshot, snap, nP);
  return {
    accounts: nA, groups, start, collateral, floorPpm, market, size, quote, snap,
    equity: new Float64Array(groups), im: new Float64Array(groups), mm: new Float64Array(groups), health: new Uint8Array(groups),
  };
}

/** Per-market parameters at the engine's current marks (per batch, like the engine's own precompute). */
export function f64Markets(engine: RiskEngine, specs: readonly MarketSpec[]): Float64Array {
  const mk = new Float64Array(specs.length * MK_STRIDE);
  specs.forEach((spec, m) => {
    const s = engine.market(m), curve = spec.curve;
    const D = 10 ** s.baseDecimals, mark = Number(s.markPrice), b = m * MK_STRIDE;
    mk[b] = mark / D; mk[b + 1] = 1 / D;
    mk[b + 2] = Number(s.fundingIndexLong); mk[b + 3] = Number(s.fundingIndexShort);
    const tiers = curve.kind === 'tiers'
      ? curve.tiers.map((t) => [Number(t.notionalFloorQuote), t.imfPpm, t.mmfPpm] as const)
      : [[0, curve.kind === 'openInterest' ? s.effectiveImfPpm : curve.imfPpm, curve.mmfPpm] as const];
    if (curve.kind === 'sizePremium') mk[b + 4] = curve.premiumPpm;
    let ded = 0;
    tiers.forEach(([floor, imf, mmf], j) => {
      if (j > 0) ded += floor * (mmf - tiers[j - 1]![2]);
      const o = b + MK_TIERS + 4 * j;
      mk[o] = (floor * D) / mark; mk[o + 1] = imf; mk[o + 2] = mmf; mk[o + 3] = ded;
    });
    mk[b + MK_TIERS + 4 * tiers.length] = Infinity;
  });
  return mk;
}

/**
 * Groups [g0, g1): equity, IM, MM and health in f64 (not exact: no rounding rules, no overflow
 * checks). Hand-tuned: one packed record per market, the funding side picked without a branch,
 * every curve a sentinel-ended tier list, sqrt only for size-premium markets. (A first version
 * with a branch per curve kind and per side ran 1.6 x slower on the default book.)
 */
export function f64Check(k: F64Book, mk: Float64Array, g0: number, g1: number): void {
  const start = k.start, collateral = k.collateral, floorPpm = k.floorPpm, market = k.market;
  const size = k.size, quote = k.quote, snap = k.snap;
  const outEq = k.equity, outIm = k.im, outMm = k.mm, outH = k.health;
  for (let g = g0; g < g1; g++) {
    const floor = floorPpm[g]!;
    let equity = collateral[g]!, im = 0, mm = 0;
    const end = start[g + 1]!;
    for (let p = start[g]!; p < end; p++) {
      const b = market[p]! << 7; // * MK_STRIDE
      const s = size[p]!, px = mk[b]!, invD = mk[b + 1]!;
      const index = mk[b + 2 + (+(s < 0))]!;
      const absS = Math.abs(s);
      const notional = absS * px;
      equity += s * px + quote[p]! - s * (index - snap[p]!) * invD;
      let t = b + MK_TIERS;
      while (absS >= mk[t + 4]!) t += 4;
      let imf = mk[t + 1]!, mmf = mk[t + 2]!;
      const premiumK = mk[b + 4]!;
      if (premiumK !== 0) {
        const premium = premiumK * Math.sqrt(absS * invD);
        imf = Math.min(1e6, Math.max(imf, 0.8 * imf + premium));
        mmf = Math.min(1e6, Math.max(mmf, 0.8 * mmf + premium));
      }
      im += notional * Math.max(imf, floor);
      mm += notional * mmf - mk[t + 3]!;
    }
    im *= 1e-6; mm *= 1e-6;
    outEq[g] = equity; outIm[g] = im; outMm[g] = mm;
    outH[g] = equity < 0 ? 3 : equity < mm ? 2 : equity < im ? 1 : 0;
  }
}

/** Rows (accounts, then isolated) whose f64 health differs from the engine's exact health. */
export function f64Disagreements(k: F64Book, engine: RiskEngine): number {
  const acc = engine.resultsView().health, iso = engine.isolatedResultsView().health;
  let n = 0;
  for (let a = 0; a < k.accounts; a++) if (k.health[a] !== acc[a]) n++;
  for (let r = 0; r < k.groups - k.accounts; r++) if (k.health[k.accounts + r] !== iso[r]) n++;
  return n;
}

// ------------------------------------------------------------------------------------------------
// BigInt reference slice

const big = (x: bigint | number | string): bigint => (typeof x === 'bigint' ? x : BigInt(x));

function refCurve(c: MarketSpec['curve']): RefCurve {
  switch (c.kind) {
    case 'tiers': return { kind: 'tiers', tiers: c.tiers.map((t) => ({ notionalFloorQuote: big(t.notionalFloorQuote), imfPpm: t.imfPpm, mmfPpm: t.mmfPpm })) };
    case 'openInterest': return { kind: 'openInterest', imfPpm: c.imfPpm, mmfPpm: c.mmfPpm, lowerCapQuote: big(c.lowerCapQuote), upperCapQuote: big(c.upperCapQuote) };
    default: return { ...c };
  }
}

/** The engine's markets at their current marks, as reference markets. */
export function refMarkets(engine: RiskEngine, specs: readonly MarketSpec[]): RefMarket[] {
  return specs.map((spec, m) => {
    const s = engine.market(m);
    return { baseDecimals: s.baseDecimals, markPrice: s.markPrice, fundingIndexLong: s.fundingIndexLong, fundingIndexShort: s.fundingIndexShort, curve: refCurve(spec.curve) };
  });
}

export interface RefSlice { ids: number[]; book: RefBook; positions: number }

/** `count` accounts evenly spread over the book, read back with engine.account(id). */
export function refSlice(engine: RiskEngine, specs: readonly MarketSpec[], count: number): RefSlice {
  const n = engine.accountCount, take = Math.min(count, n);
  const ids = Array.from({ length: take }, (_, k) => Math.floor((k * n) / take));
  let positions = 0;
  const accounts: RefAccount[] = ids.map((id) => {
    const a = engine.account(id);
    positions += a.positions.length + a.isolated.length;
    return {
      collateralQuote: a.collateralQuote, imfFloorPpm: a.imfFloorPpm,
      positions: a.positions.map((p) => ({ ...p })),
      isolated: a.isolated.map((r) => ({ marketId: r.marketId, sizeBase: r.sizeBase, quoteBalance: r.quoteBalance, fundingSnapshot: r.fundingSnapshot, collateralQuote: r.collateralQuote })),
    };
  });
  return { ids, book: { markets: refMarkets(engine, specs), accounts }, positions };
}

/**
 * Compares the reference's figures with the engine's for the slice's accounts that hold nothing in
 * an open-interest-curve market (the slice's open interest is not the book's). Returns [equal, compared].
 */
export function refAgreement(engine: RiskEngine, slice: RefSlice): [number, number] {
  const result = checkBook(slice.book);
  const oiCurve = slice.book.markets.map((m) => m.curve.kind === 'openInterest');
  type F = { equityQuote: bigint; imQuote: bigint; mmQuote: bigint; freeQuote: bigint; health: number };
  const same = (x: F, y: F): boolean =>
    x.equityQuote === y.equityQuote && x.imQuote === y.imQuote && x.mmQuote === y.mmQuote && x.freeQuote === y.freeQuote && x.health === y.health;
  let equal = 0, compared = 0, iso = 0;
  slice.ids.forEach((id, k) => {
    const acc = slice.book.accounts[k]!, isoBase = iso;
    iso += acc.isolated.length;
    if ([...acc.positions, ...acc.isolated].some((p) => oiCurve[p.marketId])) return;
    const e = engine.account(id);
    compared++;
    let ok = same(result.accounts[k]!, e.figures);
    acc.isolated.forEach((_, j) => { ok &&= same(result.isolated[isoBase + j]!, e.isolated[j]!.figures); });
    if (ok) equal++;
  });
  return [equal, compared];
}
