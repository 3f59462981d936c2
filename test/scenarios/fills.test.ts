/**
 * Fills, isolated margin, pre-trade checks, withdrawals and closing accounts, worked by hand from
 * docs/FORMULAS.md ("Fills"). Market throughout: BTC-like, D = 10^8, mark 50,000 USDT (5e10 atoms),
 * flat IM 10 % / MM 5 %, funding indices starting at 0.
 *   cash(d) = floor(-d * p / D); reduce by c: quoteClosed = floor(quote * c / |size|);
 *   collateral += quoteClosed + cash(d); flip: collateral += quote + cash(-size), quote = cash(d + size).
 */
import { describe, expect, it } from 'vitest';
import { MarginRefusedError, InputError, StatusCode } from '../../dist/src/node.js';
import { createEngine, digest, fig, figuresOf, Health, USD } from './support.js';

const { Healthy, BelowInitial, Liquidatable } = Health;
const FLAT_10_5 = { kind: 'flat' as const, imfPpm: 100_000, mmfPpm: 50_000 };
const BTC = { baseDecimals: 8, markPrice: 50_000n * USD, curve: FLAT_10_5 };

describe('fills: open, increase, partial reduce, flip, close on one cross position', () => {
  type Step = {
    name: string;
    funding?: [bigint, bigint];
    size: bigint;
    price: bigint;
    collateral: bigint;
    position: { sizeBase: bigint; quoteBalance: bigint; fundingSnapshot: bigint } | null;
    oi: [bigint, bigint];
  };
  // Account: collateral 10,000 USDT, no position.
  const steps: Step[] = [
    {
      // cash = floor(-30,000,000 * 50,000,000,001 / 1e8) = floor(-15,000,000,000.3) = -15,000,000,001
      name: 'open: buy 0.3 BTC at 50,000.000001, cash rounded against the trader',
      size: 30_000_000n, price: 50_000_000_001n,
      collateral: 10_000_000_000n,
      position: { sizeBase: 30_000_000n, quoteBalance: -15_000_000_001n, fundingSnapshot: 0n },
      oi: [30_000_000n, 0n],
    },
    {
      // long index 0 -> 1.000001 (1,000,001): settle owed = ceil(30,000,000 * 1,000,001 / 1e8) = ceil(300,000.3) = 300,001
      // collateral = 10,000,000,000 - 300,001 = 9,999,699,999; snapshot = 1,000,001
      // cash = floor(-10,000,000 * 51,000,000,000 / 1e8) = -5,100,000,000; quote = -20,100,000,001
      name: 'increase: buy 0.1 BTC at 51,000, funding settled at fill time',
      funding: [1_000_001n, 0n],
      size: 10_000_000n, price: 51_000n * USD,
      collateral: 9_999_699_999n,
      position: { sizeBase: 40_000_000n, quoteBalance: -20_100_000_001n, fundingSnapshot: 1_000_001n },
      oi: [40_000_000n, 0n],
    },
    {
      // owed 0 (index unchanged). c = 15,000,000 of |size| = 40,000,000:
      // quoteClosed = floor(-20,100,000,001 * 15,000,000 / 40,000,000) = floor(-7,537,500,000.375) = -7,537,500,001
      // cash = floor(15,000,000 * 52,000,000,000 / 1e8) = 7,800,000,000
      // collateral = 9,999,699,999 - 7,537,500,001 + 7,800,000,000 = 10,262,199,998
      // quote = -20,100,000,001 + 7,537,500,001 = -12,562,500,000
      name: 'partial reduce: sell 0.15 BTC at 52,000, quoteClosed floored',
      size: -15_000_000n, price: 52_000n * USD,
      collateral: 10_262_199_998n,
      position: { sizeBase: 25_000_000n, quoteBalance: -12_562_500_000n, fundingSnapshot: 1_000_001n },
      oi: [25_000_000n, 0n],
    },
    {
      // indices long 2,000,001, short 500,000: owed = ceil(25,000,000 * (2,000,001 - 1,000,001) / 1e8) = 250,000
      // collateral = 10,262,199,998 - 250,000 = 10,261,949,998
      // close all: collateral += -12,562,500,000 + floor(25,000,000 * 49e9 / 1e8) = -12,562,500,000 + 12,250,000,000
      //   = 9,949,449,998; open the rest: d + size = -10,000,000, quote = floor(10,000,000 * 49e9 / 1e8) = 4,900,000,000,
      //   snapshot = short index 500,000
      name: 'flip: sell 0.35 BTC at 49,000 closes the long and opens a 0.1 short',
      funding: [2_000_001n, 500_000n],
      size: -35_000_000n, price: 49_000n * USD,
      collateral: 9_949_449_998n,
      position: { sizeBase: -10_000_000n, quoteBalance: 4_900_000_000n, fundingSnapshot: 500_000n },
      oi: [0n, 10_000_000n],
    },
    {
      // short index 500,000 -> 300,000: owed = ceil(-10,000,000 * (300,000 - 500,000) / 1e8) = 20,000
      // collateral = 9,949,449,998 - 20,000 = 9,949,429,998
      // quoteClosed = floor(4,900,000,000 * 1e7 / 1e7) = 4,900,000,000
      // cash = floor(-10,000,000 * 48,000,000,001 / 1e8) = floor(-4,800,000,000.1) = -4,800,000,001
      // collateral = 9,949,429,998 + 4,900,000,000 - 4,800,000,001 = 10,049,429,997; position removed
      name: 'close: buy 0.1 BTC at 48,000.000001, quote moves to collateral and the position is removed',
      funding: [2_000_001n, 300_000n],
      size: 10_000_000n, price: 48_000_000_001n,
      collateral: 10_049_429_997n,
      position: null,
      oi: [0n, 0n],
    },
  ];

  it('fills: the five steps in sequence', async () => {
    const e = await createEngine();
    const m = e.addMarket(BTC);
    const [a] = e.addAccounts([{ collateralQuote: 10_000n * USD }]);
    for (const s of steps) {
      if (s.funding) e.setFundingIndices([m], [s.funding[0]], [s.funding[1]]);
      e.applyFill({ accountId: a!, marketId: m, sizeDeltaBase: s.size, priceQuote: s.price });
      const acc = e.account(a!);
      expect(acc.collateralQuote, s.name).toBe(s.collateral);
      expect(acc.positions, s.name).toEqual(s.position ? [{ marketId: m, ...s.position }] : []);
      const mk = e.market(m);
      expect([mk.openInterestLongBase, mk.openInterestShortBase], s.name).toEqual(s.oi);
    }
  });

  it('fills: figures after a partial reduce', async () => {
    const e = await createEngine();
    const m = e.addMarket(BTC);
    const [a] = e.addAccounts([{ collateralQuote: 10_000n * USD }]);
    for (const s of steps.slice(0, 3)) {
      if (s.funding) e.setFundingIndices([m], [s.funding[0]], [s.funding[1]]);
      e.applyFill({ accountId: a!, marketId: m, sizeDeltaBase: s.size, priceQuote: s.price });
    }
    e.check();
    // size 25,000,000, quote -12,562,500,000, snapshot = index 1,000,001 (owes 0), mark 50,000:
    // value = floor(25,000,000 * 5e10 / 1e8) - 12,562,500,000 = 12,500,000,000 - 12,562,500,000 = -62,500,000
    // equity = 10,262,199,998 - 62,500,000 = 10,199,699,998; IM = 12,500 USDT * 10 % = 1,250,000,000; MM = 625,000,000
    expect(figuresOf(e, a!)).toEqual(fig(10_199_699_998n, 1_250n * USD, 625n * USD, Healthy));
  });

  it('fills: a fill and its reverse at the same price lose one atom, two across a flip', async () => {
    const e = await createEngine();
    const m = e.addMarket(BTC);
    const p = 50_000_000_001n;
    const [a, b] = e.addAccounts([
      { collateralQuote: 1_000n * USD },
      { collateralQuote: 1_000n * USD, positions: [{ marketId: m, sizeBase: 30_000_000n, quoteBalance: -15_000n * USD }] },
    ]);
    // a: buy 0.3: quote = floor(-15,000,000,000.3) = -15,000,000,001; sell 0.3: quoteClosed = -15,000,000,001,
    // cash = floor(15,000,000,000.3) = 15,000,000,000: collateral = 1,000,000,000 - 1 = 999,999,999.
    e.applyFill({ accountId: a!, marketId: m, sizeDeltaBase: 30_000_000n, priceQuote: p });
    e.applyFill({ accountId: a!, marketId: m, sizeDeltaBase: -30_000_000n, priceQuote: p });
    expect(e.account(a!).collateralQuote).toBe(999_999_999n);
    expect(e.account(a!).positions).toEqual([]);
    // b: long 0.3 (quote -15,000,000,000), sell 0.5 at p: close: collateral += -15e9 + floor(15,000,000,000.3) = +0;
    //    open short 0.2: quote = floor(20,000,000 * p / 1e8) = floor(10,000,000,000.2) = 10,000,000,000.
    // buy 0.5 at p: close: collateral += 10,000,000,000 + floor(-10,000,000,000.2) = -1;
    //    open long 0.3: quote = floor(-15,000,000,000.3) = -15,000,000,001.
    // collateral + quote: before 1e9 - 15e9; after (1e9 - 1) + (-15e9 - 1): two atoms.
    e.applyFill({ accountId: b!, marketId: m, sizeDeltaBase: -50_000_000n, priceQuote: p });
    expect(e.account(b!).positions).toEqual([{ marketId: m, sizeBase: -20_000_000n, quoteBalance: 10_000_000_000n, fundingSnapshot: 0n }]);
    e.applyFill({ accountId: b!, marketId: m, sizeDeltaBase: 50_000_000n, priceQuote: p });
    expect(e.account(b!).collateralQuote).toBe(999_999_999n);
    expect(e.account(b!).positions).toEqual([{ marketId: m, sizeBase: 30_000_000n, quoteBalance: -15_000_000_001n, fundingSnapshot: 0n }]);
  });
});

describe('fills: isolated positions', () => {
  it('fills: isolated open with isolatedMarginQuote, top-up and reduce, close returns collateral to cross', async () => {
    const e = await createEngine();
    const m = e.addMarket(BTC);
    const [a] = e.addAccounts([{ collateralQuote: 5_000n * USD }]);
    // Open: 1,000 USDT move from cross (the cross book, no positions, keeps equity 4,000 >= IM 0).
    // quote = floor(-10,000,000 * 5e10 / 1e8) = -5,000,000,000; isolated collateral = 1,000,000,000.
    e.applyFill({ accountId: a!, marketId: m, sizeDeltaBase: 10_000_000n, priceQuote: 50_000n * USD, isolated: true, isolatedMarginQuote: '1000' });
    let acc = e.account(a!);
    expect(acc.collateralQuote).toBe(4_000n * USD);
    expect(acc.positions).toEqual([]);
    expect(acc.isolated.map(({ marketId, sizeBase, quoteBalance, fundingSnapshot, collateralQuote }) => ({ marketId, sizeBase, quoteBalance, fundingSnapshot, collateralQuote })))
      .toEqual([{ marketId: m, sizeBase: 10_000_000n, quoteBalance: -5_000n * USD, fundingSnapshot: 0n, collateralQuote: 1_000n * USD }]);
    e.check();
    // Isolated: value 0, equity 1,000; N = 5,000: IM 500, MM 250. Cross: equity 4,000, IM = MM = 0.
    expect(e.account(a!).isolated[0]!.figures).toEqual({ equityQuote: 1_000n * USD, imQuote: 500n * USD, mmQuote: 250n * USD, freeQuote: 500n * USD, health: Healthy });
    expect(figuresOf(e, a!)).toEqual(fig(4_000n * USD, 0n, 0n, Healthy));

    // Reduce 0.04 at 52,000 with 500 USDT more margin: isolated collateral = 1,000e6 + 500e6 = 1,500,000,000;
    // quoteClosed = floor(-5e9 * 4,000,000 / 10,000,000) = -2,000,000,000; cash = floor(4e6 * 52e9 / 1e8) = 2,080,000,000
    // isolated collateral = 1,500,000,000 - 2,000,000,000 + 2,080,000,000 = 1,580,000,000; quote -3,000,000,000.
    e.applyFill({ accountId: a!, marketId: m, sizeDeltaBase: -4_000_000n, priceQuote: 52_000n * USD, isolated: true, isolatedMarginQuote: 500n * USD });
    acc = e.account(a!);
    expect(acc.collateralQuote).toBe(3_500n * USD);
    expect(acc.isolated.map((r) => [r.sizeBase, r.quoteBalance, r.collateralQuote])).toEqual([[6_000_000n, -3_000n * USD, 1_580n * USD]]);

    // Close 0.06 at 51,000: quoteClosed = -3,000,000,000; cash = floor(6e6 * 51e9 / 1e8) = 3,060,000,000
    // isolated collateral = 1,580,000,000 - 3e9 + 3,060,000,000 = 1,640,000,000, returned to cross:
    // cross = 3,500,000,000 + 1,640,000,000 = 5,140,000,000 (= 5,000 + PnL 80 + 60).
    e.applyFill({ accountId: a!, marketId: m, sizeDeltaBase: -6_000_000n, priceQuote: 51_000n * USD, isolated: true });
    acc = e.account(a!);
    expect(acc.collateralQuote).toBe(5_140n * USD);
    expect(acc.isolated).toEqual([]);
    expect(e.market(m).openInterestLongBase).toBe(0n);
    expect(e.check().book.isolated).toEqual({ healthy: 0, belowInitial: 0, liquidatable: 0, bankrupt: 0, inactive: 0 });
  });

  it('fills: isolatedMarginQuote may take the cross book down to exactly its IM, not one atom more', async () => {
    const e = await createEngine();
    const m = e.addMarket(BTC);
    const n = e.addMarket(BTC);
    // Cross: collateral 1,000 USDT, long 0.1 BTC of n at the mark: equity 1,000, IM 500: 500 can move.
    const [a] = e.addAccounts([{ collateralQuote: 1_000n * USD, positions: [{ marketId: n, sizeBase: 10_000_000n, quoteBalance: -5_000n * USD }] }]);
    const before = digest(e);
    const fill = { accountId: a!, marketId: m, sizeDeltaBase: 1_000_000n, priceQuote: 50_000n * USD, isolated: true };
    // 500,000,001: cross equity 499,999,999 < IM 500,000,000: refused, nothing changes.
    const err = (() => { try { e.applyFill({ ...fill, isolatedMarginQuote: 500n * USD + 1n }); } catch (x) { return x; } })();
    expect(err).toBeInstanceOf(MarginRefusedError);
    expect(err).toMatchObject({ codeName: 'BelowInitialMargin', code: StatusCode.BelowInitialMargin, field: 'amountQuote' });
    expect(digest(e)).toBe(before);
    // Exactly 500,000,000: cross equity 500,000,000 = IM: allowed.
    e.applyFill({ ...fill, isolatedMarginQuote: 500n * USD });
    expect(e.account(a!).collateralQuote).toBe(500n * USD);
    expect(e.account(a!).isolated[0]!.collateralQuote).toBe(500n * USD);
  });
});

describe('preTrade: would the account stay at or above IM? (nothing changes)', () => {
  const rows: { name: string; size: bigint; price: bigint; expected: { equityQuote: bigint; imQuote: bigint; mmQuote: bigint; freeQuote: bigint; health: number; ok: boolean; reason: string | null } }[] = [
    {
      // buy 0.2 at 50,000: quote = -10,000,000,000, value = 10,000,000,000 - 10,000,000,000 = 0;
      // equity 1,000; IM = 10,000 * 10 % = 1,000 = equity: ok; MM 500; free 0.
      name: 'ok: buy 0.2 BTC lands exactly on IM',
      size: 20_000_000n, price: 50_000n * USD,
      expected: { equityQuote: 1_000n * USD, imQuote: 1_000n * USD, mmQuote: 500n * USD, freeQuote: 0n, health: Healthy, ok: true, reason: null },
    },
    {
      // buy 0.2 at 50,000.000001: quote = floor(-10,000,000,000.2) = -10,000,000,001; value = -1;
      // equity 999,999,999 < IM 1,000,000,000: refused, health belowInitial, free -1.
      name: 'refused: one atom of price above it',
      size: 20_000_000n, price: 50_000_000_001n,
      expected: { equityQuote: 999_999_999n, imQuote: 1_000n * USD, mmQuote: 500n * USD, freeQuote: -1n, health: BelowInitial, ok: false, reason: 'belowInitialMargin' },
    },
    {
      // sell 0.5 at 50,000: quote = +25,000,000,000, value 0, equity 1,000; IM 2,500; MM 1,250: liquidatable.
      name: 'refused: a short of 0.5 BTC would be liquidatable',
      size: -50_000_000n, price: 50_000n * USD,
      expected: { equityQuote: 1_000n * USD, imQuote: 2_500n * USD, mmQuote: 1_250n * USD, freeQuote: -1_500n * USD, health: Liquidatable, ok: false, reason: 'belowInitialMargin' },
    },
  ];

  it.each(rows)('preTrade: $name', async ({ size, price, expected }) => {
    const e = await createEngine();
    const m = e.addMarket(BTC);
    const [a] = e.addAccounts([{ collateralQuote: 1_000n * USD }]);
    e.check();
    const before = digest(e);
    expect(e.preTrade({ accountId: a!, marketId: m, sizeDeltaBase: size, priceQuote: price })).toEqual(expected);
    expect(digest(e)).toBe(before);
    expect(figuresOf(e, a!)).toEqual(fig(1_000n * USD, 0n, 0n, Healthy));
  });

  it('preTrade: a reduce settles funding in the hypothetical figures only', async () => {
    const e = await createEngine();
    const m = e.addMarket({ ...BTC, fundingIndexLong: 1_000_001n });
    const [a] = e.addAccounts([{ collateralQuote: 1_000n * USD, positions: [{ marketId: m, sizeBase: 30_000_000n, quoteBalance: -15_000n * USD }] }]);
    const before = digest(e);
    // owed = ceil(30,000,000 * 1,000,001 / 1e8) = 300,001: collateral 999,699,999.
    // sell 0.1 at 50,000: quoteClosed = floor(-15e9 * 1e7 / 3e7) = -5e9; cash = +5e9; collateral 999,699,999;
    // left: 0.2 BTC, quote -10e9, snapshot 1,000,001: value 0, owed 0: equity 999,699,999;
    // IM = 10,000 * 10 % = 1,000,000,000; MM 500,000,000: refused by 300,001 atoms.
    expect(e.preTrade({ accountId: a!, marketId: m, sizeDeltaBase: -10_000_000n, priceQuote: 50_000n * USD }))
      .toEqual({ equityQuote: 999_699_999n, imQuote: 1_000n * USD, mmQuote: 500n * USD, freeQuote: -300_001n, health: BelowInitial, ok: false, reason: 'belowInitialMargin' });
    expect(digest(e)).toBe(before);
    expect(e.account(a!).positions).toEqual([{ marketId: m, sizeBase: 30_000_000n, quoteBalance: -15_000n * USD, fundingSnapshot: 0n }]);
  });

  it('preTrade: on a dYdX open-interest curve the hypothetical OI sets the IMF, then the market is restored', async () => {
    const e = await createEngine();
    // Mid-Cap: 5 % / 3 %, caps 40M-100M; mark 10 USDC, D = 1e6. One long of 3.9M units: OIN 39M, imf 5 %.
    const m = e.addMarket({ baseDecimals: 6, markPrice: 10n * USD, curve: { kind: 'openInterest', imfPpm: 50_000, mmfPpm: 30_000, lowerCapQuote: '40000000', upperCapQuote: '100000000' } });
    const [a] = e.addAccounts([{ collateralQuote: 40_000_000n * USD, positions: [{ marketId: m, sizeBase: 3_900_000_000_000n, quoteBalance: -39_000_000n * USD }] }]);
    expect(e.market(m).effectiveImfPpm).toBe(50_000);
    const before = digest(e);
    // buy 3.1M units at 10: OI 7M, OIN 70M: imf = 5 % + 95 % * 30/60 = 52.5 %.
    // quote = -39M - 31M = -70M, value 0, equity 40M; IM = 70M * 52.5 % = 36,750,000; MM = 70M * 3 % = 2,100,000.
    expect(e.preTrade({ accountId: a!, marketId: m, sizeDeltaBase: 3_100_000_000_000n, priceQuote: 10n * USD }))
      .toEqual({ equityQuote: 40_000_000n * USD, imQuote: 36_750_000n * USD, mmQuote: 2_100_000n * USD, freeQuote: 3_250_000n * USD, health: Healthy, ok: true, reason: null });
    expect(e.market(m).effectiveImfPpm).toBe(50_000);
    expect(digest(e)).toBe(before);
  });
});

describe('withdraw and closeAccount', () => {
  it('withdraw: allowed up to exactly equity - IM, refused one atom beyond', async () => {
    const e = await createEngine();
    const m = e.addMarket({ ...BTC, fundingIndexLong: 5n * USD });
    // collateral 2,000, long 0.2 BTC at the mark, snapshot 0: owed = ceil(20,000,000 * 5,000,000 / 1e8) = 1,000,000.
    // equity = 2,000,000,000 - 1,000,000 = 1,999,000,000; IM = 10,000 * 10 % = 1,000,000,000: max = 999,000,000.
    const [a] = e.addAccounts([{ collateralQuote: 2_000n * USD, positions: [{ marketId: m, sizeBase: 20_000_000n, quoteBalance: -10_000n * USD }] }]);
    const before = digest(e);
    expect(() => e.withdraw(a!, 999_000_001n)).toThrow(MarginRefusedError);
    expect(digest(e)).toBe(before);
    e.withdraw(a!, '999');
    expect(e.account(a!).collateralQuote).toBe(1_001_000_000n);
    e.check();
    // equity = 1,001,000,000 - 1,000,000 = 1,000,000,000 = IM: healthy, free 0.
    expect(figuresOf(e, a!)).toEqual(fig(1_000n * USD, 1_000n * USD, 500n * USD, Healthy));
    const err = (() => { try { e.withdraw(a!, 1n); } catch (x) { return x; } })();
    expect(err).toBeInstanceOf(MarginRefusedError);
    expect(err).toMatchObject({ codeName: 'BelowInitialMargin', field: 'amountQuote', row: -1 });
    // Close the position at the mark (funding settles: collateral 1,000,000,000; quoteClosed -1e10, cash +1e10),
    // then the account pays out its collateral.
    e.applyFill({ accountId: a!, marketId: m, sizeDeltaBase: -20_000_000n, priceQuote: 50_000n * USD });
    expect(e.closeAccount(a!)).toBe(1_000n * USD);
  });

  it('closeAccount: pays out collateral; refused with positions (cross or isolated) or negative collateral', async () => {
    const e = await createEngine();
    const m = e.addMarket(BTC);
    const [empty, cross, iso, negative] = e.addAccounts([
      { collateralQuote: '123.45' },
      { collateralQuote: 10n * USD, positions: [{ marketId: m, sizeBase: 1n, quoteBalance: -500n }] },
      { collateralQuote: 10n * USD, isolated: [{ marketId: m, sizeBase: 1n, quoteBalance: -500n, collateralQuote: 1n * USD }] },
      { collateralQuote: -1n },
    ]);
    e.check();
    const before = digest(e);
    for (const id of [cross!, iso!]) {
      const err = (() => { try { e.closeAccount(id); } catch (x) { return x; } })();
      expect(err).toBeInstanceOf(MarginRefusedError);
      expect(err).toMatchObject({ codeName: 'AccountHasPositions', field: 'accountId', row: id });
    }
    expect(() => e.closeAccount(negative!)).toThrow(expect.objectContaining({ codeName: 'NegativeCollateral' }));
    expect(digest(e)).toBe(before);

    expect(e.closeAccount(empty!)).toBe(123_450_000n);
    const acc = e.account(empty!);
    expect([acc.open, acc.collateralQuote, acc.figures.health]).toEqual([false, 0n, Health.Inactive]);
    // Book: cross and iso accounts healthy (tiny positions), negative bankrupt, the closed one inactive.
    expect(e.check().book.accounts).toEqual({ healthy: 2, belowInitial: 0, liquidatable: 0, bankrupt: 1, inactive: 1 });
    for (const call of [() => e.withdraw(empty!, 1n), () => e.deposit(empty!, 1n), () => e.closeAccount(empty!)]) {
      expect(call).toThrow(InputError);
      expect(call).toThrow(expect.objectContaining({ codeName: 'AccountClosed' }));
    }
  });
});
