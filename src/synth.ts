/**
 * A seeded synthetic book with realistic shapes, for the demo, the benchmarks and the tests.
 *
 * - Markets: a few popular ones (Binance-like notional tiers) and a long tail (flat fractions,
 *   Drift-style size premium, dYdX-style open-interest scaling); prices log-uniform from 0.01 to
 *   100,000 quote units; base decimals 3..9.
 * - Accounts: about `positionsPerAccount` positions each (geometric), markets drawn by popularity
 *   (Zipf), each account with a leverage drawn from a log-normal (median 6x, capped at 50x) and a
 *   directional bias (most lean long); entries a few percent from the mark; small unsettled funding; a few accounts
 *   with a leverage floor and a few isolated positions.
 * - `shockPpm` moves every mark after loading (negative for a crash); the calm default leaves about
 *   1 % of accounts liquidatable, a shock of -120,000 ppm about 20 %.
 *
 * All randomness comes from one seeded generator (sfc32), so a seed gives the same book in Node
 * and in browsers. Bulk data is written straight into the engine's memory through 32-bit halves
 * of its 64-bit columns (no per-element BigInt).
 */
import type { RiskEngine } from './engine.js';
import type { MarketSpec } from './types.js';

export interface BookShape {
  accounts: number;
  markets?: number;
  positionsPerAccount?: number;
  seed?: number;
  /** Fraction of accounts holding one isolated position, ppm (default 20,000 = 2 %). */
  isolatedPpm?: number;
  /** Accounts per committed batch (progress granularity). */
  chunk?: number;
  onProgress?: (accountsDone: number, accountsTotal: number) => void;
}

export interface GeneratedBook {
  markets: MarketSpec[];
  accounts: number;
  positions: number;
  isolated: number;
}

export const DEFAULT_BOOK: Required<Omit<BookShape, 'onProgress'>> = {
  accounts: 1_000_000,
  markets: 100,
  positionsPerAccount: 10,
  seed: 1,
  isolatedPpm: 20_000,
  chunk: 65_536,
};

/** sfc32: a small, fast, seeded 32-bit generator. Returns floats in [0, 1). */
export function sfc32(seed: number): () => number {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

const TWO32 = 4294967296;
/** Account leverage: log-normal, calibrated so the calm book has about 1 % of accounts liquidatable. */
export const LEVERAGE_MEDIAN = 6, LEVERAGE_CAP = 50;
const LEVERAGE_SIGMA = 0.9;

/** Writes an integer-valued number (|v| < 2^53) into element i of a BigInt64Array's 32-bit halves. */
function put64(halves: Int32Array, i: number, v: number): void {
  const hi = Math.floor(v / TWO32);
  halves[2 * i] = (v - hi * TWO32) | 0;
  halves[2 * i + 1] = hi | 0;
}

function halvesOf(a: BigInt64Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length * 2);
}

/** Binance BTCUSDT-like brackets (notional floor in quote units, IMF, MMF), scaled per market. */
const BRACKETS: [number, number, number][] = [
  [0, 20_000, 4_000], [50_000, 25_000, 5_000], [250_000, 50_000, 10_000], [1_000_000, 100_000, 25_000],
  [10_000_000, 200_000, 50_000], [20_000_000, 250_000, 100_000], [50_000_000, 333_300, 125_000],
  [100_000_000, 500_000, 150_000], [200_000_000, 1_000_000, 250_000],
];

function marketSpecs(count: number, rand: () => number, quoteDecimals: number): MarketSpec[] {
  const q = 10 ** quoteDecimals;
  const specs: MarketSpec[] = [];
  for (let m = 0; m < count; m++) {
    const baseDecimals = m < 10 ? 8 : 3 + Math.floor(rand() * 7);
    const priceUnits = m === 0 ? 60_000 : Math.exp(Math.log(0.01) + rand() * (Math.log(100_000) - Math.log(0.01)));
    const markPrice = BigInt(Math.max(1, Math.round(priceUnits * q)));
    const fundingIndexLong = BigInt(Math.round((rand() - 0.5) * priceUnits * q * 0.01));
    const fundingIndexShort = fundingIndexLong;
    let curve: MarketSpec['curve'];
    if (m < 40) {
      // Popular and mid markets: brackets, scaled down for smaller markets.
      const scale = m < 10 ? 1 : 0.1;
      curve = { kind: 'tiers', tiers: BRACKETS.map(([floor, imf, mmf]) => ({ notionalFloorQuote: BigInt(Math.round(floor * scale)) * BigInt(q), imfPpm: imf, mmfPpm: mmf })) };
    } else if (m < 60) {
      curve = { kind: 'flat', imfPpm: 50_000 + Math.floor(rand() * 4) * 25_000, mmfPpm: 25_000 };
    } else if (m < 80) {
      curve = { kind: 'sizePremium', imfPpm: 100_000, mmfPpm: 50_000, premiumPpm: 50 + Math.floor(rand() * 200) };
    } else {
      curve = { kind: 'openInterest', imfPpm: 50_000, mmfPpm: 30_000, lowerCapQuote: BigInt(500_000 * q), upperCapQuote: BigInt(1_000_000 * q) };
    }
    specs.push({ baseDecimals, markPrice, fundingIndexLong, fundingIndexShort, curve });
  }
  return specs;
}

/** Adds the markets and accounts of a synthetic book to `engine`. */
export function generateBook(engine: RiskEngine, shape: BookShape): GeneratedBook {
  const s = { ...DEFAULT_BOOK, ...shape };
  const rand = sfc32(s.seed);
  const q = 10 ** engine.quoteDecimals;
  const firstMarket = engine.marketCount;
  const markets = marketSpecs(s.markets, rand, engine.quoteDecimals);
  const marks: number[] = [], scales: number[] = [], weights: number[] = [];
  for (const spec of markets) {
    engine.addMarket(spec);
    marks.push(Number(spec.markPrice));
    scales.push(10 ** spec.baseDecimals);
  }
  // Zipf popularity: market k has weight 1/(k+1); cumulative table for sampling.
  let total = 0;
  for (let k = 0; k < s.markets; k++) { total += 1 / (k + 1); weights.push(total); }
  const pickMarket = (): number => {
    const x = rand() * total;
    let lo = 0, hi = s.markets - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (weights[mid]! < x) lo = mid + 1; else hi = mid; }
    return lo;
  };
  const meanExtra = Math.max(0, s.positionsPerAccount - 1);
  const pGeom = 1 / (1 + meanExtra);
  let positionsTotal = 0, isolatedTotal = 0;
  const chosen = new Int32Array(s.markets).fill(-1);

  for (let done = 0; done < s.accounts; done += s.chunk) {
    const nA = Math.min(s.chunk, s.accounts - done);
    // Step 1: decide each account's position count and markets (in plain arrays first).
    const counts = new Uint32Array(nA);
    const plan: number[] = [];
    const isoPlan: number[] = [];
    for (let k = 0; k < nA; k++) {
      let n = 1;
      while (rand() > pGeom && n < Math.min(60, s.markets)) n++;
      const acc = done + k;
      let taken = 0;
      for (let tries = 0; taken < n && tries < 4 * n; tries++) {
        const m = pickMarket();
        if (chosen[m] === acc) continue;
        chosen[m] = acc;
        plan.push(m);
        taken++;
      }
      counts[k] = taken;
      if (rand() * 1e6 < s.isolatedPpm) {
        const m = pickMarket();
        if (chosen[m] !== acc) { chosen[m] = acc; isoPlan.push(k, m); }
      }
    }
    const nP = plan.length, nI = isoPlan.length / 2;
    const batch = engine.reserve({ accounts: nA, positions: nP, isolated: nI });
    batch.accounts.positionCount.set(counts);
    const coll = halvesOf(batch.accounts.collateralQuote);
    const size = halvesOf(batch.positions.sizeBase), quote = halvesOf(batch.positions.quoteBalance), snap = halvesOf(batch.positions.fundingSnapshot);
    const floors = batch.accounts.imfFloorPpm;
    // Step 2: sizes, entries and collateral.
    let p = 0;
    for (let k = 0; k < nA; k++) {
      const leverage = Math.min(LEVERAGE_CAP, Math.exp(Math.log(LEVERAGE_MEDIAN) + LEVERAGE_SIGMA * gaussian(rand)));
      const longBias = Math.sqrt(rand()); // most accounts lean long, as crowds do before a crash
      let notionalSum = 0, unrealized = 0;
      for (let j = 0; j < counts[k]!; j++, p++) {
        const m = plan[p]!;
        const mark = marks[m]!, scale = scales[m]!;
        const notionalUnits = Math.exp(Math.log(200) + 1.6 * gaussian(rand)); // median $200, heavy tail
        const sizeAbs = Math.max(1, Math.round((notionalUnits * q * scale) / mark));
        const sign = rand() < longBias ? 1 : -1;
        const entry = mark * (1 + 0.03 * gaussian(rand));
        const sizeBase = sign * sizeAbs;
        const quoteBalance = -Math.round((sizeBase * entry) / scale);
        batch.positions.marketId[p] = firstMarket + m;
        put64(size, p, sizeBase);
        put64(quote, p, quoteBalance);
        put64(snap, p, Math.round(Number(markets[m]!.fundingIndexLong) - (rand() - 0.5) * mark * 1e-4));
        notionalSum += (sizeAbs * mark) / scale;
        unrealized += (sizeBase * mark) / scale + quoteBalance;
      }
      put64(coll, k, Math.round(notionalSum / leverage - Math.min(0, unrealized) * 0.2));
      floors[k] = rand() < 0.05 ? 100_000 : 0;
    }
    for (let r = 0; r < nI; r++) {
      const k = isoPlan[2 * r]!, m = isoPlan[2 * r + 1]!;
      const mark = marks[m]!, scale = scales[m]!;
      const sizeAbs = Math.max(1, Math.round((Math.exp(Math.log(500) + gaussian(rand)) * q * scale) / mark));
      const sizeBase = rand() < 0.5 ? sizeAbs : -sizeAbs;
      const entry = mark * (1 + 0.02 * gaussian(rand));
      batch.isolated.accountId[r] = batch.firstAccountId + k;
      batch.isolated.marketId[r] = firstMarket + m;
      batch.isolated.sizeBase[r] = BigInt(sizeBase);
      batch.isolated.quoteBalance[r] = BigInt(-Math.round((sizeBase * entry) / scale));
      batch.isolated.fundingSnapshot[r] = markets[m]!.fundingIndexLong as bigint;
      batch.isolated.collateralQuote[r] = BigInt(Math.round((sizeAbs * mark) / scale / (2 + rand() * 18)));
    }
    engine.commit(batch);
    positionsTotal += nP;
    isolatedTotal += nI;
    s.onProgress?.(done + nA, s.accounts);
  }
  return { markets, accounts: s.accounts, positions: positionsTotal, isolated: isolatedTotal };
}

/** Standard normal from two uniforms (Box-Muller). */
function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Moves every mark of markets [first, first+count) by `shockPpm` (e.g. -120,000 = -12 %). */
export function shockMarks(engine: RiskEngine, shockPpm: number, first = 0, count = engine.marketCount - first): void {
  const ids: number[] = [], prices: bigint[] = [];
  for (let m = first; m < first + count; m++) {
    const mark = engine.market(m).markPrice;
    const moved = (mark * BigInt(1_000_000 + shockPpm)) / 1_000_000n;
    ids.push(m);
    prices.push(moved > 0n ? moved : 1n);
  }
  engine.setMarks(ids, prices);
}
