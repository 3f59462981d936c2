/**
 * Invariants of check results on random books (fast-check, seeded):
 * - IM >= MM >= 0 for every account and isolated row (checked on the release core, which has no
 *   assertion of its own);
 * - determinism: the same book in two engines (different load paths and batches, debug and release)
 *   gives identical views;
 * - the risk order holds exactly the liquidatable and bankrupt rows, sorted under the exact comparator
 *   (a before b iff a.equity * b.MM < b.equity * a.MM, ties by id), including exact ties;
 * - a withdrawal is refused for margin (BelowInitialMargin) iff equity - amount < IM; one above the
 *   collateral settles the account's PnL first and may be refused when the collateral still falls
 *   short (AboveWithdrawable, docs/ECONOMICS.md).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MarginRefusedError, type RiskEngine } from '../../dist/src/node.js';
import { cloneBook, type RefBook } from '../reference/model.js';
import { expectRiskSorted, generateBook, LOAD_PATHS, loadIntoEngine, P62, Rng, viewRow } from '../support/book.js';
import { createEngine } from '../support/engine.js';
import { expectExercised, RunCount } from '../support/runs.js';

const RUNS = { seed: 4_242_424, numRuns: 25 };
const seedArb = fc.integer({ min: 1, max: 2 ** 31 - 1 });
/**
 * Shares of draws that meet the properties' preconditions (fc.pre), measured with these seeds: the
 * books that check without Overflow, 25 of 25, 25 of 25 and 15 of 15 (250, 250 and 150 of as many at
 * ten times the runs), bound 80 %; withdrawals of at least one atom that keep the collateral in range,
 * 60 of 108 (56 %; 600 of 1,047 at ten times the runs), bound 45 %.
 */
const [SHARE_1, SHARE_2, SHARE_3, SHARE_5] = [0.8, 0.8, 0.8, 0.45];

/** A random book: mostly ordinary accounts, some extreme, some distressed. */
function bookFor(seed: number, accounts = 60): RefBook {
  const rng = new Rng(seed);
  return generateBook({ seed, accounts, extreme: rng.pick([0, 0.05, 0.2]), distress: rng.pick([0, 0.1, 0.2]), isolated: 0.3 });
}

/** Every result column of the engine, as text (for exact comparisons). */
function views(engine: RiskEngine): string {
  const v = engine.resultsView(), iv = engine.isolatedResultsView();
  const cols = [v.equityQuote, v.imQuote, v.mmQuote, v.freeQuote, v.health, iv.accountId, iv.marketId, iv.equityQuote, iv.imQuote, iv.mmQuote, iv.freeQuote, iv.health];
  return [...cols.map((c) => Array.from(c as ArrayLike<unknown>, String).join(',')), engine.riskOrder().join(','), engine.riskOrder({ isolated: true }).join(',')].join('\n');
}

/** Checks the engine; false if the book overflows (then there are no results to test). */
function checked(engine: RiskEngine): boolean {
  try { engine.check(); return true; } catch (e) { if ((e as { codeName?: string }).codeName === 'Overflow') return false; throw e; }
}

describe('margin invariants', () => {
  it('IM >= MM >= 0 for every account and isolated row', async () => {
    const runs = new RunCount();
    await fc.assert(fc.asyncProperty(seedArb, async (seed) => {
      runs.draw();
      const book = bookFor(seed);
      const engine = await createEngine({ release: true });
      loadIntoEngine(engine, book, LOAD_PATHS[seed % 3]);
      fc.pre(checked(engine)); // a book that overflows has no results to test
      for (const v of [engine.resultsView(), engine.isolatedResultsView()]) {
        for (let i = 0; i < v.imQuote.length; i++) {
          if (v.health[i] === 4) continue;
          expect(v.imQuote[i]! >= v.mmQuote[i]! && v.mmQuote[i]! >= 0n, `row ${i}: IM ${v.imQuote[i]}, MM ${v.mmQuote[i]}`).toBe(true);
        }
      }
      runs.hit();
    }), RUNS);
    expectExercised(runs, RUNS.numRuns, SHARE_1);
  });

  it('the same book in two engines (other load path and batches, debug vs release) gives identical views', async () => {
    const runs = new RunCount();
    await fc.assert(fc.asyncProperty(seedArb, fc.constantFrom(...LOAD_PATHS), fc.constantFrom(...LOAD_PATHS), fc.integer({ min: 1, max: 60 }), async (seed, pathA, pathB, batch) => {
      runs.draw();
      const book = bookFor(seed);
      const a = await createEngine(), b = await createEngine({ release: true });
      loadIntoEngine(a, book, pathA);
      loadIntoEngine(b, cloneBook(book), pathB, batch);
      const [okA, okB] = [checked(a), checked(b)];
      expect(okB).toBe(okA);
      fc.pre(okA); // both overflow: there are no views to compare
      expect(views(b)).toBe(views(a));
      expect(b.summary()).toEqual(a.summary());
      // Checking again changes nothing.
      a.check();
      expect(views(a)).toBe(views(b));
      runs.hit();
    }), RUNS);
    expectExercised(runs, RUNS.numRuns, SHARE_2);
  });

  it('the risk order is exactly the liquidatable and bankrupt rows, sorted under the exact comparator', async () => {
    const runs = new RunCount();
    await fc.assert(fc.asyncProperty(seedArb, fc.integer({ min: 0, max: 40 }), async (seed, copies) => {
      runs.draw();
      const book = generateBook({ seed, accounts: 150, distress: 0.2, isolated: 0.5, extreme: 0 });
      // Exact ties: copies of accounts (equal ratio, order by id) and empty accounts with negative
      // collateral (MM = 0: before every row with MM > 0, among themselves by id).
      const rng = new Rng(seed);
      // (Only accounts with small sizes are copied, so that open interest stays below 2^62.)
      const small = cloneBook(book).accounts.filter((a) => [...a.positions, ...a.isolated].every((p) => p.sizeBase < 1n << 52n && p.sizeBase > -(1n << 52n)));
      for (let k = 0; k < copies; k++) book.accounts.push(cloneBook({ markets: [], accounts: [rng.pick(small)] }).accounts[0]!);
      for (let k = 0; k < 5; k++) book.accounts.push({ collateralQuote: -BigInt(rng.int(1, 3)), imfFloorPpm: 0, positions: [], isolated: [] });
      const engine = await createEngine({ release: seed % 2 === 0 });
      loadIntoEngine(engine, book);
      fc.pre(checked(engine)); // a book that overflows has no risk order
      for (const isolated of [false, true]) {
        const v = isolated ? engine.isolatedResultsView() : engine.resultsView();
        const order = engine.riskOrder({ isolated });
        const expected = Array.from(v.health.keys()).filter((i) => v.health[i] === 2 || v.health[i] === 3);
        expect([...order].sort((x, y) => x - y)).toEqual(expected);
        expectRiskSorted(order, (i) => viewRow(v, i));
      }
      runs.hit();
    }), { ...RUNS, numRuns: 15 });
    expectExercised(runs, 15, SHARE_3);
  });

  it('ratios that f64 cannot tell apart (and exact ties in other units) are ordered exactly', async () => {
    // D = 1, mark 2^40, flat 100 % / 100 %: an account with size s, quote -s * 2^40 and collateral c has
    // equity = c and IM = MM = s * 2^40. With c ~ 2^58 and s ~ 3 * 2^18, ratios differ by ~2^-58.
    const row = fc.record({ a: fc.bigInt({ min: 0n, max: 1000n }), b: fc.integer({ min: 0, max: 2 }), double: fc.boolean(), short: fc.boolean() });
    await fc.assert(fc.asyncProperty(fc.array(row, { minLength: 70, maxLength: 130 }), fc.boolean(), async (rows, release) => {
      const mark = 1n << 40n;
      const book: RefBook = {
        markets: [{ baseDecimals: 0, markPrice: mark, fundingIndexLong: 0n, fundingIndexShort: 0n, curve: { kind: 'flat', imfPpm: 1_000_000, mmfPpm: 1_000_000 } }],
        accounts: rows.map(({ a, b, double, short }) => {
          const k = double ? 2n : 1n, size = k * (3n * (1n << 18n) + BigInt(b)) * (short ? -1n : 1n);
          return { collateralQuote: k * ((1n << 58n) + a), imfFloorPpm: 0, positions: [{ marketId: 0, sizeBase: size, quoteBalance: -size * mark, fundingSnapshot: 0n }], isolated: [] };
        }),
      };
      const engine = await createEngine({ release });
      loadIntoEngine(engine, book);
      engine.check();
      const v = engine.resultsView();
      const order = engine.riskOrder();
      expect(order.length).toBe(rows.length); // all liquidatable: 0 <= equity < MM
      expectRiskSorted(order, (i) => viewRow(v, i));
    }), { ...RUNS, numRuns: 20 });
  });

  it('a withdrawal is refused for margin iff equity - amount < IM, and an accepted one lowers equity by exactly the amount', async () => {
    const runs = new RunCount();
    await fc.assert(fc.asyncProperty(seedArb, fc.nat(), fc.integer({ min: -3, max: 3 }), fc.bigInt({ min: 1n, max: 1n << 45n }), async (seed, pick, offset, random) => {
      runs.draw();
      const book = generateBook({ seed, accounts: 20, markets: 4, isolated: 0.3, extreme: 0 });
      const engine = await createEngine();
      loadIntoEngine(engine, book);
      engine.check();
      const id = pick % 20;
      const before = engine.account(id).figures;
      // Amounts around the boundary equity - IM, or arbitrary.
      const boundary = before.equityQuote - before.imQuote;
      const amount = pick % 3 === 0 ? random : boundary + BigInt(offset);
      // A withdrawal of at least one atom that leaves the collateral in range (else OutOfRange / Overflow).
      fc.pre(amount >= 1n && book.accounts[id]!.collateralQuote - amount >= -P62);
      const refused = before.equityQuote - amount < before.imQuote;
      // Above the collateral, the account's PnL settles first (docs/ECONOMICS.md, "What a winner may
      // withdraw"); with every PnL pool empty (a fresh book) the collateral may still fall short.
      const settles = !refused && amount > book.accounts[id]!.collateralQuote;
      let error: unknown;
      try { engine.withdraw(id, amount); } catch (e) { error = e; }
      if (refused) {
        expect(error).toBeInstanceOf(MarginRefusedError);
        expect((error as MarginRefusedError).codeName).toBe('BelowInitialMargin');
      } else if (settles && error !== undefined) {
        expect((error as MarginRefusedError).codeName).toBe('AboveWithdrawable');
        expect(engine.account(id).collateralQuote).toBe(book.accounts[id]!.collateralQuote);
      } else {
        expect(error).toBeUndefined();
        if (!settles) expect(engine.account(id).collateralQuote).toBe(book.accounts[id]!.collateralQuote - amount);
        engine.check({ accounts: [id] });
        const after = engine.account(id).figures;
        expect(after.equityQuote).toBe(before.equityQuote - amount);
        expect(after.imQuote).toBe(before.imQuote);
        expect(after.freeQuote >= 0n).toBe(true);
      }
      runs.hit();
    }), { ...RUNS, numRuns: 60 });
    expectExercised(runs, 60, SHARE_5);
  });
});
