/**
 * Regression: socializing a loss through the funding index charged traders far more than the loss.
 * The index unit (quote atoms per whole base unit) made the smallest bump collect about OI / D atoms,
 * and the excess went to the residue: in the default demo the bump covered 15,642.75 of loss while
 * the residue grew by 29,737.43. Socialization over open interest now charges every position its
 * exact share of the loss by size, out of its group's collateral: what it charges is what it covers
 * (docs/WATERFALL.md, "socializeFunding"). The run reports the residue per step.
 *
 * And a defect of the pro-rata split found on the way: a payer fixed at a cap of 0 in one round kept
 * the share of that round when every fixed payer's cap was 0, so the step took more than it covered.
 */
import { describe, expect, it } from 'vitest';
import { addBankrupt, allocateConserving, auditRows, createEngine, flatMarket } from '../scenarios/support.js';

describe('regression: socialization charges what it covers', () => {
  it('a small loss over a large open interest in whole units: charged exactly, no residue', async () => {
    const engine = await createEngine();
    // D = 1, mark 10: three positions of 10^9 units (notional 10^10 atoms each), entered at the mark,
    // collateral 10^9 each (healthy at 10 % / 5 %): OI = 3 * 10^9 units.
    const m = engine.addMarket(flatMarket(10n));
    const ids = engine.addAccounts([
      { collateralQuote: 10n ** 9n, positions: [{ marketId: m, sizeBase: 10n ** 9n, quoteBalance: -(10n ** 10n) }] },
      { collateralQuote: 10n ** 9n, positions: [{ marketId: m, sizeBase: 10n ** 9n, quoteBalance: -(10n ** 10n) }] },
      { collateralQuote: 10n ** 9n, positions: [{ marketId: m, sizeBase: -(2n * 10n ** 9n), quoteBalance: 2n * 10n ** 10n }] },
    ]);
    engine.setWaterfall({ steps: [{ kind: 'socializeFunding' }] });
    addBankrupt(engine, m, 10n, 1_000n);
    // Weights 10^9, 10^9, 2 * 10^9 (W = 4 * 10^9): shares of 1,000 are exactly 250, 250, 500.
    // (Before: a bump of ceil((1,000 + 3) / (4 * 10^9)) = 1 atom per unit charged 4 * 10^9 atoms, residue
    // 4 * 10^9 - 1,000: four million times the loss.)
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ socializedQuote: 1_000n, residueQuote: 0n, uncoveredQuote: 0n });
    expect(report.steps.map((s) => [s.kind, s.coveredQuote, s.residueQuote])).toEqual([['socializeFunding', 1_000n, 0n]]);
    expect(auditRows(engine).filter((r) => r[2] === 'pay').map((r) => [r[3], r[4]])).toEqual([[ids[0], 250n], [ids[1], 250n], [ids[2], 500n]]);
    expect(engine.waterfallBalances().residueQuote).toBe(0n);
  });

  it('split: a payer fixed at a cap of 0 pays nothing (haircutGains with maxHaircutPpm 1)', async () => {
    const engine = await createEngine();
    // D = 1, mark 100. A: short 10 000 entered at 199.9999 per unit: quote 1,999,999, v = -1,000,000 + 1,999,999
    // = 999,999, cap floor(999,999 * 1 / 10^6) = 0. B: short 10,000 entered at 400: v = 3,000,000, cap 3.
    const m = engine.addMarket(flatMarket(100n));
    const [a, b] = engine.addAccounts([
      { collateralQuote: 10n ** 7n, positions: [{ marketId: m, sizeBase: -10_000n, quoteBalance: 1_999_999n }] },
      { collateralQuote: 10n ** 7n, positions: [{ marketId: m, sizeBase: -10_000n, quoteBalance: 4_000_000n }] },
    ]);
    engine.setWaterfall({ steps: [{ kind: 'haircutGains', maxHaircutPpm: 1 }] });
    addBankrupt(engine, m, 10n, 10n);
    // Capacity 0 + 3 = 3: X = 3. split(3, w 999,999 / 3,000,000, caps 0 / 3): W = 3,999,999;
    //   3 * 999,999 = 2,999,997 -> 0 rem 2,999,997; 3 * 3,000,000 = 9,000,000 -> 2 rem 1,000,002;
    //   one atom to the larger remainder, A: A 1 > cap 0, fixed at 0. Round 2: R = 3, W = 3,000,000: B 3.
    // (Before: A kept the 1 of round 1 and the step took 4 for a cover of 3.)
    expect(allocateConserving(engine)).toMatchObject({ socializedQuote: 3n, uncoveredQuote: 7n });
    expect(auditRows(engine)).toEqual([[0, 'haircutGains', 'cover', null, 3n], [null, 'haircutGains', 'pay', b, 3n], [0, null, 'uncovered', null, 7n]]);
    expect(engine.account(a!).positions[0]!.quoteBalance).toBe(1_999_999n);
  });
});
