/**
 * Parity: the engine's margin checks equal the reference model's (test/reference/model.ts, written
 * from docs/FORMULAS.md) field by field, on seeded random books: every account's and isolated
 * position's equity, IM, MM, free collateral and health, the summary counts and both risk orders.
 *
 * Books come from test/support/book.ts (seeded; a failing seed reproduces exactly).
 */
import { describe, expect, it } from 'vitest';
import type { RiskEngine } from '../../dist/src/node.js';
import { checkBook, RefOverflow, type BookCheck, type RefBook, type RefPosition } from '../reference/model.js';
import {
  CURVE_KINDS, LOAD_PATHS, Rng, countsOf, diffFigures, expectCode, expectNoDiffs, expectOverflowNamed, expectParity, expectResultsMatch,
  generateBook, isolatedKeys, loadIntoEngine, viewRow, type BookOptions, type LoadPath,
} from '../support/book.js';
import { createEngine } from '../support/engine.js';

/** A fresh engine (debug core unless `release`) with the book loaded. */
async function loaded(book: RefBook, path: LoadPath = 'objects', release = false, batchSize = Infinity): Promise<RiskEngine> {
  const engine = await createEngine({ release });
  loadIntoEngine(engine, book, path, batchSize);
  return engine;
}

/** Generates, loads and compares one book; returns the model check (undefined if it overflowed). */
async function parityOf(options: BookOptions, path: LoadPath = 'objects', release = false): Promise<BookCheck | undefined> {
  const book = generateBook(options);
  const engine = await loaded(book, path, release);
  try {
    return expectParity(engine, book);
  } finally {
    engine.dispose();
  }
}

/** True if the model's check of the book overflows. */
function modelOverflowsAnywhere(book: RefBook): boolean {
  try { checkBook(book); return false; } catch (e) { if (e instanceof RefOverflow) return true; throw e; }
}

/** Model health counts over some accounts and their isolated rows (for partial checks). */
function countsOver(book: RefBook, ref: BookCheck, accounts: ReadonlySet<number>): { accounts: number[]; isolated: number[] } {
  const out = { accounts: [0, 0, 0, 0, 0], isolated: [0, 0, 0, 0, 0] };
  for (const a of accounts) out.accounts[ref.accounts[a]!.health]! += 1;
  isolatedKeys(book).forEach((k, r) => { if (accounts.has(k.accountId)) out.isolated[ref.isolated[r]!.health]! += 1; });
  return out;
}

/**
 * After a partial check of `checked` on a fresh engine: those accounts (and their isolated rows)
 * match the model, every other row is still Inactive, and the summary counts agree.
 */
function expectPartial(engine: RiskEngine, book: RefBook, checked: ReadonlySet<number>, summary: ReturnType<RiskEngine['check']>): void {
  const ref = checkBook(book);
  const diffs: string[] = [];
  const v = engine.resultsView();
  book.accounts.forEach((_, a) => {
    if (checked.has(a)) diffFigures(`account ${a}`, viewRow(v, a), ref.accounts[a]!, diffs);
    else if (v.health[a] !== 4) diffs.push(`account ${a} was not checked but has health ${v.health[a]}`);
  });
  const iv = engine.isolatedResultsView();
  isolatedKeys(book).forEach((k, r) => {
    if (checked.has(k.accountId)) diffFigures(`isolated ${r}`, viewRow(iv, r), ref.isolated[r]!, diffs);
    else if (iv.health[r] !== 4) diffs.push(`isolated ${r} was not checked but has health ${iv.health[r]}`);
  });
  expectNoDiffs(diffs, 'partial check');
  const c = countsOver(book, ref, checked);
  expect(summary.checked.accounts).toEqual({ ...countsOf(c.accounts), inactive: 0 });
  expect(summary.checked.isolated).toEqual({ ...countsOf(c.isolated), inactive: 0 });
  const unchecked = book.accounts.length - checked.size;
  expect(summary.book.accounts).toEqual({ ...countsOf(c.accounts), inactive: unchecked });
}

describe('parity on seeded random books', () => {
  it('40 books of ~50 accounts (all curves, extremes, isolated, leverage floors) match the model field by field', async () => {
    let checkedBooks = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const ref = await parityOf({ seed, accounts: 40 + (seed % 21), extreme: 0.05 }, LOAD_PATHS[seed % 3]);
      if (ref) checkedBooks++;
    }
    // The comparison above is only meaningful if books actually check (not just overflow alike).
    expect(checkedBooks).toBeGreaterThanOrEqual(35);
  });

  it('distressed books (most accounts liquidatable or bankrupt) give the model\'s risk orders', async () => {
    for (let seed = 100; seed < 110; seed++) {
      const ref = await parityOf({ seed, accounts: 200, distress: 0.15, isolated: 0.4 });
      expect(ref!.riskOrder.length).toBeGreaterThan(64); // beyond the engine's insertion-only threshold
    }
  });

  it('large books of ~2,000 accounts match, on the debug and the release core', async () => {
    for (const [seed, release] of [[7001, false], [7002, true], [7003, true]] as const) {
      const ref = await parityOf({ seed, accounts: 2000, markets: 12, positions: 6, extreme: 0.01 }, LOAD_PATHS[seed % 3], release);
      expect(ref).toBeDefined();
    }
  });
});

describe('parity per curve type', () => {
  it.each(CURVE_KINDS)('books whose markets all use the %s curve match', async (kind) => {
    for (let seed = 1; seed <= 8; seed++) {
      const ref = await parityOf({ seed: seed * 31 + kind.length, accounts: 60, markets: 3, curves: [kind], extreme: 0.02 });
      expect(ref).toBeDefined();
    }
  });

  it('tier floors hit exactly (N == L_j) and one atom either side select the right tier', async () => {
    // Mark 10^6 per unit with 6 base decimals: notional N = |size| exactly, so sizes L_j - 1, L_j, L_j + 1.
    const tiersCurve = { kind: 'tiers' as const, tiers: [
      { notionalFloorQuote: 0n, imfPpm: 20_000, mmfPpm: 10_000 },
      { notionalFloorQuote: 1_000_000n, imfPpm: 40_000, mmfPpm: 20_000 },
      { notionalFloorQuote: 8_000_000n, imfPpm: 100_000, mmfPpm: 20_125 }, // ded = 10,000 + 1,000 quote atoms
    ] };
    const market = { baseDecimals: 6, markPrice: 1_000_000n, fundingIndexLong: 0n, fundingIndexShort: 0n, curve: tiersCurve };
    const sizes = [999_999n, 1_000_000n, 1_000_001n, 7_999_999n, 8_000_000n, 8_000_001n, -8_000_000n, -1_000_000n];
    const book: RefBook = { markets: [market], accounts: sizes.map((sizeBase) => ({ collateralQuote: 0n, imfFloorPpm: 0, positions: [{ marketId: 0, sizeBase, quoteBalance: -sizeBase, fundingSnapshot: 0n }], isolated: [] })) };
    const engine = await loaded(book);
    const ref = expectParity(engine, book)!;
    // By hand: N = 8,000,000 is tier 2: IM = 800,000; MM = ceil(8e6 * 0.020125) - 11,000 = 150,000.
    expect(ref.accounts[4]).toMatchObject({ imQuote: 800_000n, mmQuote: 150_000n });
  });
});

describe('parity per load path', () => {
  it.each(LOAD_PATHS)('books appended through %s in several batches match', async (path) => {
    for (let seed = 1; seed <= 6; seed++) {
      const book = generateBook({ seed: 500 + seed, accounts: 80, isolated: 0.5 });
      const engine = await loaded(book, path, false, 7 + seed * 5); // batches of 12..37 accounts
      expectParity(engine, book);
    }
  });

  it('the three load paths give identical engine results for the same book', async () => {
    const book = generateBook({ seed: 77, accounts: 150, isolated: 0.5, extreme: 0.1 });
    const results: string[] = [];
    for (const path of LOAD_PATHS) {
      const engine = await loaded(book, path);
      expectParity(engine, book);
      const v = engine.resultsView(), iv = engine.isolatedResultsView();
      results.push(JSON.stringify([[...v.equityQuote, ...iv.equityQuote, ...v.imQuote, ...iv.mmQuote].map(String), [...v.health], [...iv.health], engine.riskOrder()]));
    }
    expect(results[1]).toBe(results[0]);
    expect(results[2]).toBe(results[0]);
  });
});

describe('parity on extreme values', () => {
  it('books with many extreme accounts (amounts near 2^62, one-atom amounts, big funding) match or overflow alike', async () => {
    let checkedBooks = 0, overflowed = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const ref = await parityOf({ seed: 9000 + seed, accounts: 30, extreme: 0.5 }, LOAD_PATHS[seed % 3], seed % 2 === 0);
      if (ref) checkedBooks++; else overflowed++;
    }
    expect(checkedBooks).toBeGreaterThanOrEqual(12);
  });

  it('extreme markets only (marks of 1 and near 2^62, funding indices at +-2^61, all base decimals) match', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      await parityOf({ seed: 9100 + seed, accounts: 40, extreme: 1 }, 'reserve');
    }
  });
});

describe('overflow at the edge of i64 (hand-made books)', () => {
  const flat = (imfPpm: number, mmfPpm: number, markPrice: bigint): RefBook['markets'][number] =>
    ({ baseDecimals: 0, markPrice, fundingIndexLong: 0n, fundingIndexShort: 0n, curve: { kind: 'flat', imfPpm, mmfPpm } });
  const pos = (marketId: number, sizeBase: bigint, quoteBalance: bigint, fundingSnapshot = 0n): RefPosition => ({ marketId, sizeBase, quoteBalance, fundingSnapshot });
  const acct = (collateralQuote: bigint, positions: RefPosition[], isolated: RefBook['accounts'][number]['isolated'] = []): RefBook['accounts'][number] =>
    ({ collateralQuote, imfFloorPpm: 0, positions, isolated });
  /** Loads `book` on both cores; `overflows` says what the model must find (so the case is the intended one). */
  async function edge(book: RefBook, overflows: boolean): Promise<void> {
    expect(modelOverflowsAnywhere(book)).toBe(overflows);
    for (const release of [false, true]) {
      const engine = await loaded(book, 'objects', release);
      expect(expectParity(engine, book) === undefined).toBe(overflows);
    }
  }
  const P62 = 1n << 62n;
  const empty = flat(100_000, 50_000, 1n);

  it('equity of 2^63 - 1 is a result; 2^63 is OVERFLOW', async () => {
    await edge({ markets: [empty], accounts: [acct(P62, [pos(0, 0n, P62 - 1n)])] }, false);
    await edge({ markets: [empty], accounts: [acct(P62, [pos(0, 0n, P62)])] }, true);
  });

  it('free of exactly -2^63 is a result; one atom of IM more is OVERFLOW', async () => {
    // equity = -2^63 + 10 (collateral -2^62, a size-0 quote of -2^62 + 10); a long of 1 at mark 10 or 11, quote -mark, imf 100 %.
    for (const [mark, overflows] of [[10n, false], [11n, true]] as const) {
      const book: RefBook = { markets: [empty, flat(1_000_000, 1_000_000, mark)], accounts: [acct(-P62, [pos(0, 0n, -P62 + 10n), pos(1, 1n, -mark)])] };
      await edge(book, overflows);
    }
  });

  it('IM summed over positions past 2^63 - 1 is OVERFLOW (each position alone fits)', async () => {
    // Three markets at mark 2^62 - 1 (D = 1), a long of 1 in each with quote -(2^62 - 1): equity 0, IM 3 * (2^62 - 1).
    const m = flat(1_000_000, 1, P62 - 1n);
    await edge({ markets: [m, m], accounts: [acct(0n, [pos(0, 1n, 1n - P62), pos(1, 1n, 1n - P62)])] }, false);
    await edge({ markets: [m, m, m], accounts: [acct(0n, [pos(0, 1n, 1n - P62), pos(1, 1n, 1n - P62), pos(2, -1n, P62 - 1n)])] }, true);
  });

  it('value - funding past 2^63 - 1 is OVERFLOW (value and funding alone fit)', async () => {
    // D = 1, mark 2^61, a long of 1 with quote 2^62: value = 3 * 2^61. Long index -2^61 and snapshot 2^60:
    // funding = -3 * 2^60, value - funding = 9 * 2^60 > 2^63. With snapshot -2^61: funding 0, equity 2^61.
    const market = { ...flat(100_000, 50_000, 1n << 61n), fundingIndexLong: -(1n << 61n) };
    await edge({ markets: [market], accounts: [acct(-P62, [pos(0, 1n, P62, 1n << 60n)])] }, true);
    await edge({ markets: [market], accounts: [acct(-P62, [pos(0, 1n, P62, -(1n << 61n))])] }, false);
  });

  it('an overflow in an isolated position names its account; so does one among several', async () => {
    const ok = acct(5n, [pos(0, 3n, -3n)]);
    const bad = acct(0n, [], [{ ...pos(1, 0n, P62), collateralQuote: P62 }]);
    const book: RefBook = { markets: [flat(100_000, 50_000, 7n), empty], accounts: [ok, ok, ok, bad, ok, bad] };
    await edge(book, true);
    const engine = await loaded(book);
    const err = expectCode(() => engine.check(), 'Overflow');
    expect([3, 5]).toContain(err.row);
  });
});

describe('parity on the release core', () => {
  it('12 seeded books match on the release build as on the debug build', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      await parityOf({ seed: 3000 + seed, accounts: 60, extreme: 0.1 }, LOAD_PATHS[seed % 3], true);
    }
  });
});

describe('partial checks', () => {
  it('check({ from, count }) computes exactly the accounts in the range, their isolated rows and the counts', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const book = generateBook({ seed: 600 + seed, accounts: 70, isolated: 0.4 });
      const engine = await loaded(book);
      const rng = new Rng(seed);
      const from = rng.int(0, 40), count = rng.int(1, 70 - from);
      const summary = engine.check({ from, count });
      expectPartial(engine, book, new Set(Array.from({ length: count }, (_, k) => from + k)), summary);
    }
  });

  it('check({ accounts }) with repeated ids checks each listed account once and leaves the others unchecked', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const book = generateBook({ seed: 700 + seed, accounts: 60, isolated: 0.4 });
      const engine = await loaded(book, 'columns');
      const rng = new Rng(seed);
      const list = Array.from({ length: 25 }, () => rng.int(0, 59));
      const summary = engine.check({ accounts: list });
      expectPartial(engine, book, new Set(list), summary);
    }
  });

  it('after partial checks, a full check matches the whole book', async () => {
    const book = generateBook({ seed: 808, accounts: 50, isolated: 0.4 });
    const engine = await loaded(book);
    engine.check({ from: 0, count: 20 });
    engine.check({ accounts: [30, 31, 49] });
    expectParity(engine, book);
  });
});

/** New marks for some markets: +-30 % (the book stays inside the supported range). */
function moveMarks(rng: Rng, book: RefBook): { ids: number[]; marks: bigint[] } {
  const ids = book.markets.map((_, i) => i).filter(() => rng.chance(0.4));
  if (ids.length === 0) ids.push(rng.int(0, book.markets.length - 1));
  const marks = ids.map((m) => { const p = book.markets[m]!.markPrice; return p + p * BigInt(rng.int(-300_000, 300_000)) / 1_000_000n || 1n; });
  ids.forEach((m, i) => { book.markets[m]!.markPrice = marks[i]!; });
  return { ids, marks };
}

describe('incremental checks after mark changes', () => {
  it('checkMarkets after setMarks on some markets leaves every account equal to a full model recheck', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const book = generateBook({ seed: 1100 + seed, accounts: 80, markets: 6, isolated: 0.4, extreme: 0 });
      const engine = await loaded(book, LOAD_PATHS[seed % 3]);
      expectParity(engine, book);
      const rng = new Rng(seed);
      for (let round = 0; round < 3; round++) {
        const { ids, marks } = moveMarks(rng, book);
        engine.setMarks(ids, marks);
        const summary = engine.checkMarkets(ids);
        const ref = checkBook(book);
        // Holders of moved markets are rechecked; all others are unchanged, so the whole book matches.
        expectResultsMatch(engine, book, ref);
        expect(summary.book.accounts).toEqual(countsOf(ref.counts.accounts));
        expect(summary.book.isolated).toEqual(countsOf(ref.counts.isolated));
        // Exactly the holders (cross or isolated) of the moved markets were checked, each whole and once.
        const holders = new Set(book.accounts.flatMap((a, id) => ([...a.positions, ...a.isolated].some((p) => ids.includes(p.marketId)) ? [id] : [])));
        const expected = countsOver(book, ref, holders);
        expect(summary.checked.accounts).toEqual({ ...countsOf(expected.accounts), inactive: 0 });
        expect(summary.checked.isolated).toEqual({ ...countsOf(expected.isolated), inactive: 0 });
      }
    }
  });

  it('a mark that pushes a notional to 2^62 makes the incremental check refuse with Overflow, then recovers', async () => {
    const book = generateBook({ seed: 1200, accounts: 20, markets: 2, extreme: 0 });
    // Account 20 holds 2^50 base atoms of a new market (D = 1) at mark 1,000: N = 1,000 * 2^50 < 2^62.
    book.markets.push({ baseDecimals: 0, markPrice: 1000n, fundingIndexLong: 0n, fundingIndexShort: 0n, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } });
    book.accounts.push({ collateralQuote: 0n, imfFloorPpm: 0, positions: [{ marketId: 2, sizeBase: 1n << 50n, quoteBalance: -(1000n << 50n), fundingSnapshot: 0n }], isolated: [] });
    const engine = await loaded(book);
    expectParity(engine, book);
    // Mark 2^12: N = 2^62, the error OVERFLOW naming account 20, in the model and in the engine.
    book.markets[2]!.markPrice = 1n << 12n;
    expect(() => checkBook(book)).toThrow(RefOverflow);
    engine.setMarks([2], [1n << 12n]);
    const err = (() => { try { engine.checkMarkets([2]); } catch (e) { return e as { codeName: string; row: number }; } })();
    expect(err).toMatchObject({ codeName: 'Overflow', row: 20 });
    expect(() => engine.resultsView()).toThrow(/ResultsStale/);
    // One atom below 2^62 again: the check succeeds and matches.
    book.markets[2]!.markPrice = (1n << 12n) - 1n;
    engine.setMarks([2], [book.markets[2]!.markPrice]);
    expectParity(engine, book);
  });
});

describe('funding', () => {
  it('setFundingIndices then check (full, and incremental) matches the model', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const book = generateBook({ seed: 1300 + seed, accounts: 60, isolated: 0.3, extreme: 0.05 });
      const engine = await loaded(book, LOAD_PATHS[seed % 3]);
      const rng = new Rng(seed);
      expectParity(engine, book);
      const ids = book.markets.map((_, i) => i).filter(() => rng.chance(0.6));
      // New indices: the old ones moved by up to ~1 % of the mark (or back to 0).
      const move = (x: bigint, mark: bigint): bigint => (rng.chance(0.1) ? 0n : x + rng.signed(mark / 100n + 1n));
      const longs = ids.map((m) => move(book.markets[m]!.fundingIndexLong, book.markets[m]!.markPrice));
      const shorts = ids.map((m) => move(book.markets[m]!.fundingIndexShort, book.markets[m]!.markPrice));
      const inRange = [...longs, ...shorts].every((x) => x >= -(1n << 61n) && x <= 1n << 61n);
      if (!inRange) continue;
      ids.forEach((m, i) => { book.markets[m]!.fundingIndexLong = longs[i]!; book.markets[m]!.fundingIndexShort = shorts[i]!; });
      engine.setFundingIndices(ids, longs, shorts);
      if (seed % 2 === 0) {
        // Incremental: holders of the moved markets are rechecked (in index order, so an overflow
        // may name any overflowing holder).
        let ref: BookCheck;
        try { ref = checkBook(book); } catch (e) {
          expect(e).toBeInstanceOf(RefOverflow);
          expectOverflowNamed(() => engine.checkMarkets(ids), book);
          continue;
        }
        engine.checkMarkets(ids);
        expectResultsMatch(engine, book, ref);
      } else {
        expectParity(engine, book);
      }
    }
  });
});

describe('the comparison itself', () => {
  it('detects a one-atom difference between engine and model', async () => {
    const book = generateBook({ seed: 4242, accounts: 30, extreme: 0 });
    const engine = await loaded(book);
    expectParity(engine, book);
    book.accounts[17]!.collateralQuote += 1n; // the engine still holds the old value
    expect(() => expectParity(engine, book)).toThrow(/account 17 equityQuote: engine -?\d+, model -?\d+/);
  });
});

describe('broad sweep', () => {
  it('400 small books over every mix (curves, extremes, sums at the edge of i64, distress, load paths, both cores) match or overflow alike', async () => {
    let overflowed = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const options: BookOptions = {
        seed: 50_000 + seed, accounts: 25, curves: seed % 5 === 4 ? CURVE_KINDS : [CURVE_KINDS[seed % 4]!],
        extreme: [0, 0.05, 0.3, 1][seed % 4], overflow: seed % 3 === 0 ? 0.04 : 0, distress: (seed % 7) / 20,
      };
      if (!(await parityOf(options, LOAD_PATHS[seed % 3], seed % 2 === 0))) overflowed++;
    }
    // Both outcomes were exercised: overflow refusals and ordinary results.
    expect(overflowed).toBeGreaterThan(10);
    expect(overflowed).toBeLessThan(200);
  });
});
