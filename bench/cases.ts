/**
 * Measurement helpers: benchmark.js suites, a hand-timed sampler for bodies that need fresh state
 * per sample, and a tap that keeps a copy of the columns `generateBook` commits.
 */
import Benchmark from 'benchmark';
import type { BookColumns, BulkBatch, RiskEngine } from '../src/node.js';

export interface Stats {
  /** Seconds per operation. */
  mean: number;
  /** Relative margin of error, percent (95 %). */
  rme: number;
  samples: number;
  opsPerSecond: number;
  /** Seconds of each sample (hand-timed bodies only). */
  times?: number[];
}

export interface Budget { minSamples: number; maxTime: number }

/**
 * One benchmark.js Suite for one case, run synchronously. benchmark.js calls `fn` once more per
 * cycle before timing it (its pre-test), so bodies must tolerate repetition.
 */
export function runSuite(name: string, fn: () => void, budget: Budget): Stats {
  const suite = new Benchmark.Suite(name);
  suite.add(name, fn, { minSamples: budget.minSamples, maxTime: budget.maxTime, initCount: 1 });
  suite.run({ async: false });
  const b = (suite as unknown as Benchmark[])[0]!;
  if (b.error) throw b.error;
  return { mean: b.stats.mean, rme: b.stats.rme, samples: b.stats.sample.length, opsPerSecond: b.hz };
}

// Two-sided 95 % Student t, as benchmark.js uses (df 1..10; 1.96 beyond 30).
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

/** Same statistics as benchmark.js, for bodies timed by hand (`body` returns seconds). */
export async function sampleByHand(n: number, body: () => Promise<number>): Promise<Stats> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push(await body());
  const mean = times.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? times.reduce((a, t) => a + (t - mean) ** 2, 0) / (n - 1) : 0;
  const t = T95[n - 2] ?? (n > 30 ? 1.96 : 2.1);
  const rme = n > 1 ? ((t * Math.sqrt(variance / n)) / mean) * 100 : NaN;
  return { mean, rme, samples: n, opsPerSecond: 1 / mean, times };
}

/** Caller-owned columns of a whole book (what a user would hand to appendColumns). */
export type FullColumns = Required<BookColumns> & {
  accounts: Required<BookColumns['accounts']>;
  positions: Required<BookColumns['positions']>;
  isolated: Required<NonNullable<BookColumns['isolated']>>;
};

/**
 * Runs `load` with `engine.commit` wrapped so every committed batch is copied out first; returns
 * the copies joined into one set of columns (positions in account order, as committed).
 */
export function captureCommits(engine: RiskEngine, load: () => void): FullColumns {
  const batches: BulkBatch[] = [];
  const slices = (b: BulkBatch): BulkBatch => ({
    firstAccountId: b.firstAccountId,
    counts: b.counts,
    accounts: { collateralQuote: b.accounts.collateralQuote.slice(), imfFloorPpm: b.accounts.imfFloorPpm.slice(), positionCount: b.accounts.positionCount.slice() },
    positions: { marketId: b.positions.marketId.slice(), sizeBase: b.positions.sizeBase.slice(), quoteBalance: b.positions.quoteBalance.slice(), fundingSnapshot: b.positions.fundingSnapshot.slice() },
    isolated: {
      accountId: b.isolated.accountId.slice(), marketId: b.isolated.marketId.slice(), sizeBase: b.isolated.sizeBase.slice(),
      quoteBalance: b.isolated.quoteBalance.slice(), fundingSnapshot: b.isolated.fundingSnapshot.slice(), collateralQuote: b.isolated.collateralQuote.slice(),
    },
  });
  const original = engine.commit;
  const tapped = engine as unknown as { commit: (b: BulkBatch) => number };
  tapped.commit = (b: BulkBatch): number => { batches.push(slices(b)); return original.call(engine, b); };
  try { load(); } finally { delete (tapped as Partial<typeof tapped>).commit; }
  type Ctor<T> = { new (n: number): T };
  function join<T extends { length: number; set(a: ArrayLike<number | bigint>, o: number): void }>(ctor: Ctor<T>, parts: T[]): T {
    const out = new ctor(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p as unknown as ArrayLike<number | bigint>, o); o += p.length; }
    return out;
  }
  const pick = <T>(f: (b: BulkBatch) => T): T[] => batches.map(f);
  return {
    accounts: {
      collateralQuote: join(BigInt64Array, pick((b) => b.accounts.collateralQuote)),
      imfFloorPpm: join(Uint32Array, pick((b) => b.accounts.imfFloorPpm)),
      positionCount: join(Uint32Array, pick((b) => b.accounts.positionCount)),
    },
    positions: {
      marketId: join(Uint16Array, pick((b) => b.positions.marketId)),
      sizeBase: join(BigInt64Array, pick((b) => b.positions.sizeBase)),
      quoteBalance: join(BigInt64Array, pick((b) => b.positions.quoteBalance)),
      fundingSnapshot: join(BigInt64Array, pick((b) => b.positions.fundingSnapshot)),
    },
    isolated: {
      accountId: join(Uint32Array, pick((b) => b.isolated.accountId)),
      marketId: join(Uint16Array, pick((b) => b.isolated.marketId)),
      sizeBase: join(BigInt64Array, pick((b) => b.isolated.sizeBase)),
      quoteBalance: join(BigInt64Array, pick((b) => b.isolated.quoteBalance)),
      fundingSnapshot: join(BigInt64Array, pick((b) => b.isolated.fundingSnapshot)),
      collateralQuote: join(BigInt64Array, pick((b) => b.isolated.collateralQuote)),
    },
  };
}

/** First `accounts` accounts of a book's columns (views, no copy), for warm-up loads. */
export function headColumns(c: FullColumns, accounts: number): BookColumns {
  let nP = 0;
  for (let a = 0; a < accounts; a++) nP += c.accounts.positionCount[a]!;
  let nI = 0;
  while (nI < c.isolated.accountId.length && c.isolated.accountId[nI]! < accounts) nI++;
  return {
    accounts: { collateralQuote: c.accounts.collateralQuote.subarray(0, accounts), imfFloorPpm: c.accounts.imfFloorPpm.subarray(0, accounts), positionCount: c.accounts.positionCount.subarray(0, accounts) },
    positions: { marketId: c.positions.marketId.subarray(0, nP), sizeBase: c.positions.sizeBase.subarray(0, nP), quoteBalance: c.positions.quoteBalance.subarray(0, nP), fundingSnapshot: c.positions.fundingSnapshot.subarray(0, nP) },
    isolated: {
      accountId: c.isolated.accountId.subarray(0, nI), marketId: c.isolated.marketId.subarray(0, nI), sizeBase: c.isolated.sizeBase.subarray(0, nI),
      quoteBalance: c.isolated.quoteBalance.subarray(0, nI), fundingSnapshot: c.isolated.fundingSnapshot.subarray(0, nI), collateralQuote: c.isolated.collateralQuote.subarray(0, nI),
    },
  };
}

/** Positions held in market m (cross and isolated), the accounts holding it, and their positions. */
export function marketFootprint(c: FullColumns, m: number): { positionsInMarket: number; holders: number; holderPositions: number } {
  const nA = c.accounts.positionCount.length;
  const isoCount = new Uint32Array(nA);
  const holds = new Uint8Array(nA);
  let positionsInMarket = 0;
  for (let r = 0; r < c.isolated.accountId.length; r++) {
    const a = c.isolated.accountId[r]!;
    isoCount[a]!++;
    if (c.isolated.marketId[r] === m) { holds[a] = 1; positionsInMarket++; }
  }
  let p = 0;
  for (let a = 0; a < nA; a++) {
    const end = p + c.accounts.positionCount[a]!;
    for (; p < end; p++) if (c.positions.marketId[p] === m) { holds[a] = 1; positionsInMarket++; }
  }
  let holders = 0, holderPositions = 0;
  for (let a = 0; a < nA; a++) {
    if (!holds[a]) continue;
    holders++;
    holderPositions += c.accounts.positionCount[a]! + isoCount[a]!;
  }
  return { positionsInMarket, holders, holderPositions };
}

/**
 * Ratio time(b) / time(a) from calls interleaved one by one (order alternating each round), so
 * load from other processes hits both sides alike. Returns the median and the range of the
 * per-round ratios.
 */
export function pairedRatio(a: () => void, b: () => void, rounds: number): { median: number; min: number; max: number; rounds: number } {
  const ratios: number[] = [];
  const time = (f: () => void): number => { const t = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - t); };
  for (let i = 0; i < rounds; i++) {
    let ta: number, tb: number;
    if (i % 2 === 0) { ta = time(a); tb = time(b); } else { tb = time(b); ta = time(a); }
    ratios.push(tb / ta);
  }
  ratios.sort((x, y) => x - y);
  const mid = ratios.length >> 1;
  const median = ratios.length % 2 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
  return { median, min: ratios[0]!, max: ratios[ratios.length - 1]!, rounds };
}
