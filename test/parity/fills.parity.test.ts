/**
 * Parity of fills and pre-trade checks: random sequences of `engine.applyFill` and the model's
 * `applyFill` (cross and isolated; opens, increases, reduces, closes and flips) keep the stored book
 * (collateral, positions, open interest) and every check result equal.
 *
 * Isolated rows: the engine reuses a closed isolated position's row id, the model renumbers; after
 * fills, isolated results are compared by (accountId, marketId).
 */
import { describe, expect, it } from 'vitest';
import type { RiskEngine } from '../../dist/src/node.js';
import { checkBook, preTrade, RefOverflow, type RefBook } from '../reference/model.js';
import {
  CURVE_KINDS, Rng, countsOf, engineDigest, expectCode, expectParity, expectResultsMatch, generateBook, isolatedKeys,
  loadIntoEngine, P61, type BookOptions, type LoadPath,
} from '../support/book.js';
import { createEngine } from '../support/engine.js';
import { engineMayRefuse, expectStateParity, modelFill, randomFill, stepFill } from './fill-model.js';

const KEY = { isolated: 'key' } as const;

/**
 * An engine with the book loaded and little spare position capacity, so that fills move position
 * blocks and compact the arena.
 */
async function loadedTight(book: RefBook, path: LoadPath = 'objects', release = false): Promise<RiskEngine> {
  const positions = book.accounts.reduce((n, a) => n + a.positions.length, 0);
  const engine = await createEngine({ release, maxPositions: positions + book.accounts.length * book.markets.length + 8 });
  loadIntoEngine(engine, book, path);
  return engine;
}

const clampIndex = (x: bigint): bigint => (x > P61 ? P61 : x < -P61 ? -P61 : x);

/**
 * Runs `count` random fills, comparing state after each and results every `every` fills. Every 10
 * fills one market's funding indices move, so that later fills settle non-zero funding.
 */
function runFills(engine: RiskEngine, book: RefBook, rng: Rng, count: number, options: { isolated?: number; margin?: boolean; every?: number } = {}): RefBook {
  for (let i = 1; i <= count; i++) {
    if (i % 10 === 0) {
      const m = rng.int(0, book.markets.length - 1), market = book.markets[m]!;
      const move = (x: bigint): bigint => clampIndex(x + rng.signed(market.markPrice / 100n + 1n));
      market.fundingIndexLong = move(market.fundingIndexLong);
      market.fundingIndexShort = move(market.fundingIndexShort);
      engine.setFundingIndices([m], [market.fundingIndexLong], [market.fundingIndexShort]);
    }
    book = stepFill(engine, book, randomFill(rng, book, options));
    expectStateParity(engine, book);
    if (i % (options.every ?? 8) === 0) expectParity(engine, book, KEY);
  }
  expectParity(engine, book, KEY);
  return book;
}

describe('fill sequences', () => {
  const shapes: [string, Partial<BookOptions>][] = [
    ['all curves', {}],
    ['flat', { curves: ['flat'] }],
    ['tiers', { curves: ['tiers'] }],
    ['sizePremium', { curves: ['sizePremium'] }],
    ['openInterest (fills move every holder\'s initial fraction)', { curves: ['openInterest'], markets: 2 }],
  ];
  it.each(shapes)('random fills on %s books keep state and results equal to the model', async (_, shape) => {
    for (let seed = 1; seed <= 4; seed++) {
      const book = generateBook({ seed: 2000 + seed, accounts: 30, markets: 4, isolated: 0.4, extreme: 0, ...shape });
      const engine = await loadedTight(book, (['objects', 'columns', 'reserve'] as const)[seed % 3]);
      expectParity(engine, book);
      runFills(engine, book, new Rng(seed), 50);
    }
  });

  it('mostly isolated fills: rows freed by closes are reused and results still match by (account, market)', async () => {
    for (let seed = 1; seed <= 4; seed++) {
      const book = generateBook({ seed: 2100 + seed, accounts: 12, markets: 3, isolated: 0.8, extreme: 0 });
      const engine = await loadedTight(book, 'columns', seed % 2 === 0);
      expectParity(engine, book);
      const rng = new Rng(100 + seed);
      const initialRows = isolatedKeys(book).length;
      let current = book, opened = 0;
      for (let i = 1; i <= 80; i++) {
        const held = new Set(isolatedKeys(current).map((k) => `${k.accountId}/${k.marketId}`));
        current = stepFill(engine, current, randomFill(rng, current, { isolated: 0.9 }));
        opened += isolatedKeys(current).filter((k) => !held.has(`${k.accountId}/${k.marketId}`)).length;
        expectStateParity(engine, current);
        if (i % 5 === 0) expectParity(engine, current, KEY);
      }
      // Rows ever used < rows loaded + positions opened: closed positions' rows were reused.
      expect(opened).toBeGreaterThan(0);
      expect(engine.isolatedResultsView().accountId.length).toBeLessThan(initialRows + opened);
    }
  });

  it('isolated fills that move margin from cross are refused (BelowInitialMargin) exactly when the model says the cross book falls below IM', async () => {
    let refused = 0, moved = 0;
    for (let seed = 1; seed <= 4; seed++) {
      let book = generateBook({ seed: 2200 + seed, accounts: 20, markets: 3, isolated: 0.5, extreme: 0 });
      const engine = await loadedTight(book);
      const rng = new Rng(200 + seed);
      for (let i = 0; i < 60; i++) {
        const fill = randomFill(rng, book, { isolated: 0.7, margin: true });
        const next = stepFill(engine, book, fill);
        if (fill.isolatedMarginQuote) { if (next === book) refused++; else moved++; }
        book = next;
        expectStateParity(engine, book);
      }
      expectParity(engine, book, KEY);
    }
    expect(refused).toBeGreaterThan(0);
    expect(moved).toBeGreaterThan(0);
  });

  it('fills on the release core match the model too', async () => {
    const book = generateBook({ seed: 2300, accounts: 40, markets: 5, isolated: 0.3, extreme: 0 });
    const engine = await loadedTight(book, 'reserve', true);
    runFills(engine, book, new Rng(2300), 120, { every: 20 });
  });

  it('after fills (new holders, closed positions, compaction), checkMarkets on moved marks matches a full model recheck', async () => {
    for (let seed = 1; seed <= 4; seed++) {
      let book = generateBook({ seed: 2400 + seed, accounts: 30, markets: 5, isolated: 0.4, extreme: 0 });
      const engine = await loadedTight(book);
      const rng = new Rng(400 + seed);
      expectParity(engine, book);
      engine.checkMarkets([0]); // builds the market index; later holders go through its pending list
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 25; i++) book = stepFill(engine, book, randomFill(rng, book));
        if (round === 1) engine.compact();
        expectParity(engine, book, KEY); // every figure current again
        const ids = [rng.int(0, 4), rng.int(0, 4)];
        const marks = ids.map((m) => book.markets[m]!.markPrice * BigInt(rng.int(70, 130)) / 100n || 1n);
        ids.forEach((m, k) => { book.markets[m]!.markPrice = marks[k]!; });
        engine.setMarks(ids, marks);
        const summary = engine.checkMarkets(ids);
        const ref = checkBook(book);
        expectResultsMatch(engine, book, ref, KEY);
        expect(summary.book.accounts).toEqual(countsOf(ref.counts.accounts));
      }
    }
  });

  it('closing every position of an account, then the account, pays out its collateral and leaves it inactive', async () => {
    let book = generateBook({ seed: 2500, accounts: 20, markets: 3, isolated: 0.5, extreme: 0 });
    const engine = await loadedTight(book);
    let closed = 0;
    for (let a = 0; a < 20 && closed < 3; a++) {
      const acc = book.accounts[a]!;
      for (const p of [...acc.positions, ...acc.isolated].filter((q) => q.sizeBase !== 0n)) {
        const isolated = acc.isolated.some((q) => q.marketId === p.marketId);
        book = stepFill(engine, book, { accountId: a, marketId: p.marketId, sizeDeltaBase: -p.sizeBase, priceQuote: book.markets[p.marketId]!.markPrice, isolated });
      }
      const left = book.accounts[a]!;
      if (left.positions.length + left.isolated.length > 0) { expectCode(() => engine.closeAccount(a), 'AccountHasPositions'); continue; }
      if (left.collateralQuote < 0n) { expectCode(() => engine.closeAccount(a), 'NegativeCollateral'); continue; }
      expect(engine.closeAccount(a)).toBe(left.collateralQuote);
      left.collateralQuote = 0n;
      left.closed = true;
      closed++;
    }
    expect(closed).toBeGreaterThan(0);
    expectStateParity(engine, book);
    expectParity(engine, book, KEY);
  });
});

describe('mixed sequences', () => {
  it('60 books (extreme ones too): fills with margin transfers, mark moves with checkMarkets, preTrades and compaction stay equal to the model', async () => {
    let fills = 0, incremental = 0, preTrades = 0;
    for (let seed = 1; seed <= 60; seed++) {
      let book = generateBook({ seed: 30_000 + seed, accounts: 15, markets: 1 + (seed % 5), isolated: 0.4, extreme: [0, 0, 0.05, 0.3][seed % 4], curves: seed % 5 === 0 ? CURVE_KINDS : [CURVE_KINDS[seed % 4]!] });
      const engine = await loadedTight(book, (['objects', 'columns', 'reserve'] as const)[seed % 3], seed % 2 === 0);
      const rng = new Rng(seed);
      for (let i = 0; i < 60; i++) {
        const r = rng.float();
        if (r < 0.05) { engine.compact(); continue; }
        if (r < 0.15) {
          // Move one mark by up to 20 % and recheck its holders (skipped if the book overflows).
          const m = rng.int(0, book.markets.length - 1), old = book.markets[m]!.markPrice;
          const mark = old + old * BigInt(rng.int(-200, 200)) / 1000n || 1n;
          if (mark > 1n << 62n || modelOverflowsWith(book, m, old) || modelOverflowsWith(book, m, mark)) continue;
          engine.check();
          book.markets[m]!.markPrice = mark;
          engine.setMarks([m], [mark]);
          engine.checkMarkets([m]);
          expectResultsMatch(engine, book, checkBook(book), KEY);
          incremental++;
          continue;
        }
        if (r < 0.25) {
          const fill = randomFill(rng, book, { isolated: 0 });
          if (fill.isolated || modelOverflowsWith(book) || engineMayRefuse(book, fill)) continue;
          const model = preTrade(book, fill.accountId, fill.marketId, fill.sizeDeltaBase, fill.priceQuote);
          expect(engine.preTrade(fill)).toEqual({ ...model.figures, ok: model.ok, reason: model.ok ? null : 'belowInitialMargin' });
          preTrades++;
          continue;
        }
        book = stepFill(engine, book, randomFill(rng, book, { margin: true, isolated: 0.4 }));
        expectStateParity(engine, book);
        fills++;
      }
      expectParity(engine, book, KEY);
    }
    expect(Math.min(fills, incremental, preTrades)).toBeGreaterThan(100);
  });
});

/** True if the model's check overflows (with market m's mark set to `mark`, when given). */
function modelOverflowsWith(book: RefBook, m?: number, mark?: bigint): boolean {
  const copy = { markets: book.markets.map((x, i) => (i === m ? { ...x, markPrice: mark! } : x)), accounts: book.accounts };
  try { checkBook(copy); return false; } catch (e) { if (e instanceof RefOverflow) return true; throw e; }
}

describe('pre-trade checks', () => {
  /** Compares engine.preTrade with the model's preTrade for random cross fills; returns [ok, refused] counts. */
  function crossPreTrades(engine: RiskEngine, book: RefBook, rng: Rng, count: number, fresh?: () => RiskEngine): [number, number] {
    let ok = 0, refused = 0;
    for (let i = 0; i < count; i++) {
      const fill = randomFill(rng, book, { isolated: 0 });
      if (fill.isolated) continue; // the account holds this market isolated
      const e = fresh ? fresh() : engine;
      const model = preTrade(book, fill.accountId, fill.marketId, fill.sizeDeltaBase, fill.priceQuote);
      const before = engineDigest(e);
      expect(e.preTrade(fill)).toEqual({ ...model.figures, ok: model.ok, reason: model.ok ? null : 'belowInitialMargin' });
      expect(engineDigest(e)).toBe(before);
      if (model.ok) ok++; else refused++;
    }
    return [ok, refused];
  }

  it('cross preTrade returns the model\'s figures and ok, and changes nothing (later checks still match)', async () => {
    // All curves, open interest included: a preTrade on an open-interest market must not leave the
    // market's derived state changed (regression, see test/regression/margin-edges.test.ts).
    let ok = 0, refused = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const book = generateBook({ seed: 2600 + seed, accounts: 30, markets: 4, isolated: 0.3, extreme: 0 });
      const engine = await loadedTight(book);
      engine.check();
      const [o, r] = crossPreTrades(engine, book, new Rng(600 + seed), 40);
      ok += o; refused += r;
      expectParity(engine, book);
    }
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it('cross preTrade on open-interest markets evaluates with the open interest the fill would leave', async () => {
    for (let seed = 1; seed <= 3; seed++) {
      const book = generateBook({ seed: 2650 + seed, accounts: 30, markets: 2, isolated: 0.3, extreme: 0, curves: ['openInterest'] });
      // One fresh engine per preTrade (a preTrade must not affect what follows; tested separately).
      const engines: RiskEngine[] = [];
      const fresh = (): RiskEngine => { const e = engines.pop()!; loadIntoEngine(e, book); return e; };
      for (let i = 0; i < 30; i++) engines.push(await createEngine());
      crossPreTrades(engines[0]!, book, new Rng(650 + seed), 29, fresh);
    }
  });

  it('isolated preTrade returns the figures the isolated position would have after the fill', async () => {
    let compared = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const book = generateBook({ seed: 2700 + seed, accounts: 30, markets: 4, isolated: 0.6, extreme: 0 });
      const engine = await loadedTight(book);
      const rng = new Rng(700 + seed);
      for (let i = 0; i < 40; i++) {
        const fill = randomFill(rng, book, { isolated: 1 });
        if (!fill.isolated) continue;
        const next = modelFill(book, fill) as RefBook;
        const keys = isolatedKeys(next);
        const row = keys.findIndex((k) => k.accountId === fill.accountId && k.marketId === fill.marketId);
        if (row < 0) continue; // the fill closes the position
        const figures = checkBook(next).isolated[row]!;
        const got = engine.preTrade(fill);
        expect(got).toEqual({ ...figures, ok: figures.equityQuote >= figures.imQuote, reason: figures.equityQuote >= figures.imQuote ? null : 'belowInitialMargin' });
        compared++;
      }
      expectStateParity(engine, book);
    }
    expect(compared).toBeGreaterThan(50);
  });
});
