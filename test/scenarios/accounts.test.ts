/**
 * Per-account figures on flat curves: rounding of value and funding, empty and negative accounts,
 * the four health codes at their boundaries, and the exact risk order. Expected figures are worked
 * by hand from docs/FORMULAS.md ("Per position", "Per account").
 */
import { describe, expect, it } from 'vitest';
import { createEngine, fig, figuresOf, Health, USD } from './support.js';

const { Healthy, BelowInitial, Liquidatable, Bankrupt } = Health;
const FLAT_10_5 = { kind: 'flat' as const, imfPpm: 100_000, mmfPpm: 50_000 };

describe('flat: values rounded toward -inf, funding owed rounded up (ETH-like, D = 10^3)', () => {
  // Market: mark 2,100.000001 USDC = 2,100,000,001 atoms; fundingIndexLong 10.000001 (10,000,001),
  // fundingIndexShort 7.000003 (7,000,003); flat IM 10 %, MM 5 %.
  //   valueQuote  = floor(size * mark / D) + quote
  //   fundingOwed = ceil(size * (I - snapshot) / D)
  //   IM = ceil(|size| * mark * 100,000 / (D * 1e6)), MM = ceil(... * 50,000 ...)
  const rows: { name: string; collateral: bigint; positions: { sizeBase: bigint; quoteBalance: bigint; fundingSnapshot: bigint }[]; expected: ReturnType<typeof fig> }[] = [
    {
      // long 1.5 ETH bought at 2,000 (quote -3,000 USDC), collateral 1,000, snapshot 0:
      // value = floor(1,500 * 2,100,000,001 / 1,000) - 3,000,000,000 = floor(3,150,000,001.5) - 3e9 = 150,000,001
      // owed  = ceil(1,500 * (10,000,001 - 0) / 1,000) = ceil(15,000,001.5) = 15,000,002
      // equity = 1,000,000,000 + 150,000,001 - 15,000,002 = 1,134,999,999
      // IM = ceil(3,150,000,001.5 * 0.1) = ceil(315,000,000.15) = 315,000,001; MM = ceil(157,500,000.075) = 157,500,001
      name: 'long pays funding, rounded up',
      collateral: 1_000n * USD,
      positions: [{ sizeBase: 1_500n, quoteBalance: -3_000n * USD, fundingSnapshot: 0n }],
      expected: fig(1_134_999_999n, 315_000_001n, 157_500_001n, Healthy),
    },
    {
      // short 1.5 ETH sold at 2,200 (quote +3,300 USDC), collateral 500, snapshot 2.000000:
      // value = floor(-3,150,000,001.5) + 3,300,000,000 = -3,150,000,002 + 3,300,000,000 = 149,999,998
      // owed  = ceil(-1,500 * (7,000,003 - 2,000,000) / 1,000) = ceil(-7,500,004.5) = -7,500,004 (receives, rounded up)
      // equity = 500,000,000 + 149,999,998 + 7,500,004 = 657,500,002; IM / MM as for the long.
      name: 'short receives funding, rounded up (receives less); value floored',
      collateral: 500n * USD,
      positions: [{ sizeBase: -1_500n, quoteBalance: 3_300n * USD, fundingSnapshot: 2n * USD }],
      expected: fig(657_500_002n, 315_000_001n, 157_500_001n, Healthy),
    },
    {
      // short 0.001 ETH sold at 2,100 (quote 2,100,000), collateral 0, snapshot = short index (owes 0):
      // value = floor(-1 * 2,100,000,001 / 1,000) + 2,100,000 = floor(-2,100,000.001) + 2,100,000 = -2,100,001 + 2,100,000 = -1
      // (truncation toward zero would give 0); equity = -1: bankrupt.
      // IM = ceil(2,100,000.001 * 0.1) = 210,001; MM = ceil(105,000.00005) = 105,001
      name: 'a short with a fractional value shows the floor: one atom of negative equity',
      collateral: 0n,
      positions: [{ sizeBase: -1n, quoteBalance: 2_100_000n, fundingSnapshot: 7_000_003n }],
      expected: fig(-1n, 210_001n, 105_001n, Bankrupt),
    },
    {
      // negative collateral -200 USDC, long 1 ETH bought at 1,900, funding settled (snapshot = long index):
      // value = 2,100,000,001 - 1,900,000,000 = 200,000,001; equity = -200,000,000 + 200,000,001 = 1
      // IM = ceil(210,000,000.1) = 210,000,001; MM = ceil(105,000,000.05) = 105,000,001: 0 <= 1 < MM.
      name: 'negative collateral offset by unrealized profit',
      collateral: -200n * USD,
      positions: [{ sizeBase: 1_000n, quoteBalance: -1_900n * USD, fundingSnapshot: 10_000_001n }],
      expected: fig(1n, 210_000_001n, 105_000_001n, Liquidatable),
    },
    {
      // A position of size 0 contributes its quote only (no value, funding, IM or MM):
      // equity = 10,000,000 + 5,000,000 = 15,000,000.
      name: 'a size-0 position contributes its quote balance only',
      collateral: 10n * USD,
      positions: [{ sizeBase: 0n, quoteBalance: 5n * USD, fundingSnapshot: 123n }],
      expected: fig(15n * USD, 0n, 0n, Healthy),
    },
    // Empty account: equity = collateral, IM = MM = 0, healthy.
    { name: 'empty account: equity = collateral, IM = MM = 0', collateral: 123_456_789n, positions: [], expected: fig(123_456_789n, 0n, 0n, Healthy) },
    // Empty with zero collateral: equity 0 >= IM 0: healthy (0 is liquidatable only when MM > 0).
    { name: 'empty account with zero collateral is healthy', collateral: 0n, positions: [], expected: fig(0n, 0n, 0n, Healthy) },
    // Negative collateral and no positions: equity -0.000001 < 0: bankrupt.
    { name: 'negative collateral and no positions is bankrupt', collateral: -1n, positions: [], expected: fig(-1n, 0n, 0n, Bankrupt) },
  ];

  it.each(rows)('flat: $name', async ({ collateral, positions, expected }) => {
    const e = await createEngine();
    const m = e.addMarket({ baseDecimals: 3, markPrice: '2100.000001', fundingIndexLong: '10.000001', fundingIndexShort: '7.000003', curve: FLAT_10_5 });
    const [a] = e.addAccounts([{ collateralQuote: collateral, positions: positions.map((p) => ({ marketId: m, ...p })) }]);
    e.check();
    expect(figuresOf(e, a!)).toEqual(expected);
  });

  it('flat: funding moves with setFundingIndices; results change only after a check', async () => {
    const e = await createEngine();
    const m = e.addMarket({ baseDecimals: 3, markPrice: 2_000n * USD, curve: FLAT_10_5 });
    // long 1 ETH bought at the mark, collateral 300: value 0, equity 300; IM 200, MM 100.
    const [a] = e.addAccounts([{ collateralQuote: 300n * USD, positions: [{ marketId: m, sizeBase: 1_000n, quoteBalance: -2_000n * USD }] }]);
    e.check();
    expect(figuresOf(e, a!)).toEqual(fig(300n * USD, 200n * USD, 100n * USD, Healthy));
    // The long index moves to 150.000001 USDC per ETH (150,000,001 atoms), snapshot 0:
    // owed = ceil(1,000 * 150,000,001 / 1,000) = 150,000,001; equity = 300,000,000 - 150,000,001 = 149,999,999 < IM.
    e.setFundingIndices([m], [150_000_001n], [0n]);
    expect(figuresOf(e, a!).equity).toBe(300n * USD); // not re-checked yet
    e.check();
    expect(figuresOf(e, a!)).toEqual(fig(149_999_999n, 200n * USD, 100n * USD, BelowInitial));
  });
});

describe('health: one account per code, with the boundaries', () => {
  // Market: D = 100, mark 1,000 USDC, flat 10 % / 5 %. Each account: long 1 unit (100 atoms) bought
  // at the mark (quote -1,000 USDC): value 0, N = 1,000 USDC: IM = 100 USDC, MM = 50 USDC.
  // equity = collateral; free = collateral - 100 USDC.
  const IM = 100n * USD, MM = 50n * USD;
  const rows: { name: string; collateral: bigint; health: number }[] = [
    { name: 'healthy: equity = IM + 1', collateral: IM + 1n, health: Healthy },
    { name: 'healthy: equity exactly IM', collateral: IM, health: Healthy },
    { name: 'belowInitial: equity = IM - 1', collateral: IM - 1n, health: BelowInitial },
    { name: 'belowInitial: equity exactly MM', collateral: MM, health: BelowInitial },
    { name: 'liquidatable: equity = MM - 1', collateral: MM - 1n, health: Liquidatable },
    { name: 'liquidatable: equity exactly 0 with MM > 0', collateral: 0n, health: Liquidatable },
    { name: 'bankrupt: equity = -1', collateral: -1n, health: Bankrupt },
  ];

  it('health: codes, free collateral and summary counts for the seven boundary accounts', async () => {
    const e = await createEngine();
    const m = e.addMarket({ baseDecimals: 2, markPrice: 1_000n * USD, curve: FLAT_10_5 });
    const ids = e.addAccounts(rows.map((r) => ({ collateralQuote: r.collateral, positions: [{ marketId: m, sizeBase: 100n, quoteBalance: -1_000n * USD }] })));
    // Before any check every row is inactive.
    expect(e.summary().book.accounts).toEqual({ healthy: 0, belowInitial: 0, liquidatable: 0, bankrupt: 0, inactive: 7 });
    const summary = e.check();
    rows.forEach((r, k) => expect(figuresOf(e, ids[k]!), r.name).toEqual(fig(r.collateral, IM, MM, r.health)));
    const counts = { healthy: 2, belowInitial: 2, liquidatable: 2, bankrupt: 1, inactive: 0 };
    expect(summary.checked.accounts).toEqual(counts);
    expect(summary.book.accounts).toEqual(counts);
    const view = e.resultsView();
    expect(Array.from(view.health)).toEqual([0, 0, 1, 1, 2, 2, 3]);
    expect(Array.from(view.freeQuote)).toEqual([1n, 0n, -1n, -50n * USD, -50n * USD - 1n, -100n * USD, -100n * USD - 1n]);
  });

  it('health: an isolated position is graded on its own collateral, apart from the cross book', async () => {
    const e = await createEngine();
    const m = e.addMarket({ baseDecimals: 2, markPrice: 1_000n * USD, curve: FLAT_10_5 });
    const n = e.addMarket({ baseDecimals: 2, markPrice: 1_000n * USD, curve: FLAT_10_5 });
    // Cross: collateral 100 USDC and 1 unit of m (IM 100, MM 50): healthy, exactly at IM.
    // Isolated in n: 1 unit bought at the mark, its own collateral 50 USDC = its MM: belowInitial.
    const [a] = e.addAccounts([{
      collateralQuote: 100n * USD,
      positions: [{ marketId: m, sizeBase: 100n, quoteBalance: -1_000n * USD }],
      isolated: [{ marketId: n, sizeBase: 100n, quoteBalance: -1_000n * USD, collateralQuote: 50n * USD }],
    }]);
    const s = e.check();
    expect(figuresOf(e, a!)).toEqual(fig(100n * USD, 100n * USD, 50n * USD, Healthy));
    const iso = e.account(a!).isolated;
    expect(iso.length).toBe(1);
    expect(iso[0]!.figures).toEqual({ equityQuote: 50n * USD, imQuote: 100n * USD, mmQuote: 50n * USD, freeQuote: -50n * USD, health: BelowInitial });
    expect(s.book.isolated).toEqual({ healthy: 0, belowInitial: 1, liquidatable: 0, bankrupt: 0, inactive: 0 });
    const v = e.isolatedResultsView();
    expect([v.accountId[0], v.marketId[0], v.equityQuote[0], v.health[0]]).toEqual([a, n, 50n * USD, BelowInitial]);
  });
});

describe('risk order: lowest equity/MM first by exact cross multiplication, ties by id', () => {
  it('risk order: ties and one-atom differences among liquidatable and bankrupt accounts', async () => {
    const e = await createEngine();
    // D = 100, mark 1,000 USDC, flat 10 % / 5 %: k units bought at the mark give value 0 and
    // MM = k * 50 USDC; equity = collateral.
    const m = e.addMarket({ baseDecimals: 2, markPrice: 1_000n * USD, curve: FLAT_10_5 });
    const spec = (units: bigint, collateral: bigint) => ({ collateralQuote: collateral, positions: units === 0n ? [] : [{ marketId: m, sizeBase: units * 100n, quoteBalance: -units * 1_000n * USD }] });
    e.addAccounts([
      spec(1n, 10n * USD),          // 0: 10,000,000 / 50,000,000 = 0.2
      spec(2n, 20n * USD),          // 1: 20,000,000 / 100,000,000 = 0.2 (10e6 * 100e6 = 20e6 * 50e6: tie with 0)
      spec(1n, 10n * USD - 1n),     // 2: 9,999,999 / 50e6 (one atom below 0's ratio)
      spec(3n, 30n * USD + 1n),     // 3: 30,000,001 / 150e6 (one atom above: 20e6 * 150e6 = 3e15 < 30,000,001 * 100e6)
      spec(1n, -5n * USD),          // 4: bankrupt, -5e6 / 50e6 = -0.1
      spec(2n, -10n * USD),         // 5: bankrupt, -10e6 / 100e6 = -0.1 (tie with 4)
      spec(1n, 200n * USD),         // 6: healthy, not in the order
      spec(0n, -1n),                // 7: bankrupt with MM = 0 (ratio -inf): first
      spec(0n, -1_000n * USD),      // 8: bankrupt, MM = 0: ties with 7 (both products 0), after it by id
      spec(1n, 0n),                 // 9: liquidatable, equity 0: ratio 0, after every bankrupt, before 2
      spec(1n, 60n * USD),          // 10: belowInitial (50 <= 60 < 100), not in the order
    ]);
    e.check();
    // 7 vs 4: -1 * 50e6 = -5e7 < -5e6 * 0 = 0 -> 7 first; 8 vs 4: -1e9 * 50e6 < 0 -> 8 before 4;
    // 4 vs 5: -5e6 * 100e6 = -5e14 = -10e6 * 50e6 -> tie -> 4 then 5; 5 vs 9: -10e6 * 50e6 < 0 * 100e6;
    // 9 vs 2: 0 * 50e6 = 0 < 9,999,999 * 50e6; 2 vs 0: 9,999,999 * 50e6 < 10e6 * 50e6; 0 vs 1 tie -> id;
    // 1 vs 3: 20e6 * 150e6 = 3e15 < 30,000,001 * 100e6 = 3.0000001e15.
    expect(e.riskOrder()).toEqual([7, 8, 4, 5, 9, 2, 0, 1, 3]);
    expect(Array.from(e.riskOrderView())).toEqual([7, 8, 4, 5, 9, 2, 0, 1, 3]);
  });

  it('risk order: 100 accounts whose ratios differ below f64 resolution sort exactly (radix path)', async () => {
    const e = await createEngine();
    // D = 1, mark 4e18 atoms, imf = mmf = 100 %: one unit bought at the mark has value 0 and
    // IM = MM = 4e18. Account i has collateral 3e18 + (37 * i mod 50); equity = collateral < MM: liquidatable.
    // Equity/MM = 0.75 + tiny: as f64 all keys are equal (the spacing of doubles near 3e18 is 512).
    // Equal MM, so the order is by equity, ties by id. Since 37 * 23 = 851 = 1 (mod 50), the accounts
    // with 37 * i mod 50 = v are i = 23 * v mod 50 and i + 50 (37 * 50 = 0 mod 50): for v = 0..49,
    // the order is [23v mod 50, 23v mod 50 + 50].
    const m = e.addMarket({ baseDecimals: 0, markPrice: 4_000_000_000_000_000_000n, curve: { kind: 'flat', imfPpm: 1_000_000, mmfPpm: 1_000_000 } });
    e.addAccounts(Array.from({ length: 100 }, (_, i) => ({
      collateralQuote: 3_000_000_000_000_000_000n + BigInt((37 * i) % 50),
      positions: [{ marketId: m, sizeBase: 1n, quoteBalance: -4_000_000_000_000_000_000n }],
    })));
    const s = e.check();
    expect(s.book.accounts.liquidatable).toBe(100);
    expect(figuresOf(e, 1)).toEqual(fig(3_000_000_000_000_000_037n, 4_000_000_000_000_000_000n, 4_000_000_000_000_000_000n, Liquidatable));
    const expected = Array.from({ length: 50 }, (_, v) => [(23 * v) % 50, ((23 * v) % 50) + 50]).flat();
    expect(expected.slice(0, 6)).toEqual([0, 50, 23, 73, 46, 96]); // v = 0: i = 0, 50; v = 1: i = 23 (37*23 = 851 = 1 mod 50), 73; ...
    expect(e.riskOrder()).toEqual(expected);
  });

  it('risk order: isolated positions are ordered among themselves by isolated id', async () => {
    const e = await createEngine();
    const m = e.addMarket({ baseDecimals: 2, markPrice: 1_000n * USD, curve: FLAT_10_5 });
    const n = e.addMarket({ baseDecimals: 2, markPrice: 1_000n * USD, curve: FLAT_10_5 });
    // Isolated rows (ids in load order): 1 unit each, MM 50 USDC, equity = own collateral.
    //   row 0: 40 USDC (0.8)  row 1: 10 USDC (0.2)  row 2: 100 USDC (healthy)  row 3: -1 (bankrupt)
    e.addAccounts([
      { collateralQuote: 1_000n * USD, isolated: [
        { marketId: m, sizeBase: 100n, quoteBalance: -1_000n * USD, collateralQuote: 40n * USD },
        { marketId: n, sizeBase: 100n, quoteBalance: -1_000n * USD, collateralQuote: 10n * USD },
      ] },
      { collateralQuote: 0n, isolated: [
        { marketId: m, sizeBase: 100n, quoteBalance: -1_000n * USD, collateralQuote: 100n * USD },
        { marketId: n, sizeBase: 100n, quoteBalance: -1_000n * USD, collateralQuote: -1n },
      ] },
    ]);
    const s = e.check();
    expect(s.book.isolated).toEqual({ healthy: 1, belowInitial: 0, liquidatable: 2, bankrupt: 1, inactive: 0 });
    // -1/50e6 < 10e6/50e6 < 40e6/50e6; the cross books (equity 1,000 and 0, MM 0) are healthy.
    expect(e.riskOrder({ isolated: true })).toEqual([3, 1, 0]);
    expect(e.riskOrder()).toEqual([]);
  });
});
