/**
 * Incremental checks: after setMarks, checkMarkets([m]) re-checks only the accounts and isolated
 * positions holding m; everything else keeps the figures of its last check. Worked by hand.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, fig, figuresOf, Health, USD } from './support.js';

const { Healthy, BelowInitial, Liquidatable } = Health;
const FLAT_10_5 = { kind: 'flat' as const, imfPpm: 100_000, mmfPpm: 50_000 };
const counts = (healthy: number, belowInitial: number, liquidatable: number, bankrupt: number, inactive = 0) => ({ healthy, belowInitial, liquidatable, bankrupt, inactive });

describe('incremental: checkMarkets after setMarks', () => {
  it('incremental: only holders of the listed market are re-checked; others keep stale figures; summaries follow', async () => {
    const e = await createEngine();
    // X: D = 100, mark 100 USDC; Y: D = 100, mark 10 USDC; both flat 10 % / 5 %.
    const X = e.addMarket({ baseDecimals: 2, markPrice: 100n * USD, curve: FLAT_10_5 });
    const Y = e.addMarket({ baseDecimals: 2, markPrice: 10n * USD, curve: FLAT_10_5 });
    const [A, B, C, D, E] = e.addAccounts([
      // A: long 10 X bought at 100 (quote -1,000): equity 100; N 1,000: IM 100, MM 50: healthy (equity = IM).
      { collateralQuote: 100n * USD, positions: [{ marketId: X, sizeBase: 1_000n, quoteBalance: -1_000n * USD }] },
      // B: long 100 Y bought at 10: equity 60; IM 100, MM 50: belowInitial.
      { collateralQuote: 60n * USD, positions: [{ marketId: Y, sizeBase: 10_000n, quoteBalance: -1_000n * USD }] },
      // C: long 10 X and short 100 Y at the marks: equity 250; IM 100 + 100 = 200; MM 100: healthy.
      { collateralQuote: 250n * USD, positions: [{ marketId: X, sizeBase: 1_000n, quoteBalance: -1_000n * USD }, { marketId: Y, sizeBase: -10_000n, quoteBalance: 1_000n * USD }] },
      // D: no positions yet: equity 100, IM = MM = 0: healthy.
      { collateralQuote: 100n * USD },
      // E: cross empty (equity 0: healthy), isolated long 10 X at 100 with its own collateral 100: IM 100, MM 50: healthy.
      { collateralQuote: 0n, isolated: [{ marketId: X, sizeBase: 1_000n, quoteBalance: -1_000n * USD, collateralQuote: 100n * USD }] },
    ]);
    let s = e.check();
    expect(s.book.accounts).toEqual(counts(4, 1, 0, 0));
    expect(s.book.isolated).toEqual(counts(1, 0, 0, 0));
    expect(figuresOf(e, B!)).toEqual(fig(60n * USD, 100n * USD, 50n * USD, BelowInitial));

    // Both marks fall 5 %: X 95, Y 9.5. Only X is re-checked.
    e.setMarks([X, Y], [95n * USD, '9.5']);
    s = e.checkMarkets([X]);
    // A: value = floor(1,000 * 95e6 / 100) - 1e9 = -50e6: equity 50; N 950: IM 95, MM 47.5: belowInitial.
    expect(figuresOf(e, A!)).toEqual(fig(50n * USD, 95n * USD, 47_500_000n, BelowInitial));
    // C (holds X, re-checked whole, at both new marks): X -50, Y = floor(-10,000 * 9.5e6 / 100) + 1e9 = +50:
    // equity 250; IM 95 + 95 = 190; MM 47.5 + 47.5 = 95: healthy.
    expect(figuresOf(e, C!)).toEqual(fig(250n * USD, 190n * USD, 95n * USD, Healthy));
    // E's isolated row: equity 100 - 50 = 50; IM 95, MM 47.5: belowInitial.
    expect(e.account(E!).isolated[0]!.figures).toEqual({ equityQuote: 50n * USD, imQuote: 95n * USD, mmQuote: 47_500_000n, freeQuote: -45n * USD, health: BelowInitial });
    // B holds only Y: stale, the figures of the first check (at Y = 10).
    expect(figuresOf(e, B!)).toEqual(fig(60n * USD, 100n * USD, 50n * USD, BelowInitial));
    expect(e.resultsView().equityQuote[B!]).toBe(60n * USD);
    // This call checked A (belowInitial), C (healthy) and E, whole: E holds X through its isolated row, so
    // its cross book (healthy) is re-checked with it and each row is counted once.
    expect(s.checked.accounts).toEqual(counts(2, 1, 0, 0));
    expect(s.checked.isolated).toEqual(counts(0, 1, 0, 0));
    // Book: healthy C, D, E; belowInitial A and (stale) B.
    expect(s.book.accounts).toEqual(counts(3, 2, 0, 0));
    expect(s.book.isolated).toEqual(counts(0, 1, 0, 0));

    // Now Y: B = floor(10,000 * 9.5e6 / 100) - 1e9 = -50e6: equity 10; N 950: IM 95, MM 47.5: liquidatable.
    s = e.checkMarkets([Y]);
    expect(figuresOf(e, B!)).toEqual(fig(10n * USD, 95n * USD, 47_500_000n, Liquidatable));
    expect(s.checked.accounts).toEqual(counts(1, 0, 1, 0)); // C and B
    expect(s.checked.isolated).toEqual(counts(0, 0, 0, 0));
    expect(s.book.accounts).toEqual(counts(3, 1, 1, 0));
    expect(figuresOf(e, D!)).toEqual(fig(100n * USD, 0n, 0n, Healthy));
  });

  it('incremental: a holder that opened the market after the index was built is re-checked too', async () => {
    const e = await createEngine();
    const X = e.addMarket({ baseDecimals: 2, markPrice: 100n * USD, curve: FLAT_10_5 });
    const Y = e.addMarket({ baseDecimals: 2, markPrice: 10n * USD, curve: FLAT_10_5 });
    const [A, D, F] = e.addAccounts([
      // A: long 10 X at 100, collateral 100 (as above).
      { collateralQuote: 100n * USD, positions: [{ marketId: X, sizeBase: 1_000n, quoteBalance: -1_000n * USD }] },
      { collateralQuote: 100n * USD },
      { collateralQuote: 100n * USD, positions: [{ marketId: Y, sizeBase: 100n, quoteBalance: -10n * USD }] },
    ]);
    e.check();
    e.checkMarkets([X]); // builds the market index
    // D buys 1 X at 95 after that: quote = floor(-100 * 95e6 / 100) = -95,000,000.
    // F opens an isolated long of 1 X at 95 with 20 USDC margin: isolated quote -95e6, collateral 20e6; cross 80e6.
    e.applyFill({ accountId: D!, marketId: X, sizeDeltaBase: 100n, priceQuote: 95n * USD });
    e.applyFill({ accountId: F!, marketId: X, sizeDeltaBase: 100n, priceQuote: 95n * USD, isolated: true, isolatedMarginQuote: 20n * USD });
    e.setMarks([X], [90n * USD]);
    const s = e.checkMarkets([X]);
    // D: value = floor(100 * 90e6 / 100) - 95e6 = -5e6: equity 95; N 90: IM 9, MM 4.5: healthy.
    expect(figuresOf(e, D!)).toEqual(fig(95n * USD, 9n * USD, 4_500_000n, Healthy));
    // A: value = 900e6 - 1e9 = -100e6: equity 0; IM 90, MM 45: liquidatable (0 with MM > 0).
    expect(figuresOf(e, A!)).toEqual(fig(0n, 90n * USD, 45n * USD, Liquidatable));
    // F's isolated row: equity 20 - 5 = 15; IM 9, MM 4.5: healthy.
    expect(e.account(F!).isolated[0]!.figures).toEqual({ equityQuote: 15n * USD, imQuote: 9n * USD, mmQuote: 4_500_000n, freeQuote: 6n * USD, health: Healthy });
    expect(s.checked.isolated).toEqual(counts(1, 0, 0, 0));
    expect(s.checked.accounts.liquidatable).toBe(1); // A
    expect(e.riskOrder()).toEqual([A]);
  });
});
