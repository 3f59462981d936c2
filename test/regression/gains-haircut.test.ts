/**
 * Regression: a gains haircut took the same unrealized gain more than once. The gain stayed in the
 * position while the haircut came out of collateral, and nothing recorded it, so a second haircut
 * step (another waterfall of the same run, or a later event) took it again and could bankrupt the
 * winner. A haircut now takes the gain itself (the positions' quote balances), so what is left to
 * haircut is what the positions still show (docs/WATERFALL.md, "haircutGains").
 *
 * Book (D = 1, flat 10 % / 5 %, marks 100):
 *   W (0): short 20 of a, quote +2,000 (entered at 100), collateral 100;
 *   L1 (1): long 30 of a, quote -3,000, collateral 50;
 *   L2 (2): long 30 of b, quote -3,000, collateral 50.
 * Marks to 80: W's v = floor(-20 * 80) + 2,000 = 400 (equity 500); L1 and L2 v = 2,400 - 3,000 = -600,
 * equity 50 - 600 = -550 each: bankrupt. Full closes at the mark (no fee) record deficits of 550 in a
 * and 550 in b. (Where a and b fall in separate events, L2 holds 200 so that it is not liquidated at
 * 100 with a (MM 150): at 80 its deficit is 600 - 200 = 400.)
 */
import { describe, expect, it } from 'vitest';
import type { RiskEngine } from '../../dist/src/node.js';
import { allocateConserving, auditRows, createEngine, flatMarket } from '../scenarios/support.js';

async function book(l2CollateralQuote = 50n): Promise<{ engine: RiskEngine; a: number; b: number }> {
  const engine = await createEngine();
  const a = engine.addMarket(flatMarket(100n));
  const b = engine.addMarket(flatMarket(100n));
  engine.addAccounts([
    { collateralQuote: 100n, positions: [{ marketId: a, sizeBase: -20n, quoteBalance: 2_000n }] },
    { collateralQuote: 50n, positions: [{ marketId: a, sizeBase: 30n, quoteBalance: -3_000n }] },
    { collateralQuote: l2CollateralQuote, positions: [{ marketId: b, sizeBase: 30n, quoteBalance: -3_000n }] },
  ]);
  return { engine, a, b };
}

const W = 0;
const equityOf = (engine: RiskEngine, id: number): bigint => { engine.check({ accounts: [id] }); return engine.account(id).figures.equityQuote; };

describe('regression: a gains haircut never takes more than the gain not yet haircut', () => {
  it('two waterfalls of one run (the default one and a group) each with haircutGains scope all: the winner pays its 400 once', async () => {
    const { engine, a, b } = await book();
    engine.setWaterfall({ steps: [{ kind: 'haircutGains', scope: 'all' }], groups: [{ markets: [b], steps: [{ kind: 'haircutGains', scope: 'all' }] }] });
    engine.setMarks([a, b], [80n, 80n]);
    engine.check();
    engine.planLiquidations({ close: 'full' });
    engine.executeLiquidations();
    expect(engine.deficits().map((d) => [d.accountId, d.marketId, d.amountQuote])).toEqual([[1, a, 550n], [2, b, 550n]]);
    const report = allocateConserving(engine);
    // Default waterfall (record k0, market a): the only gain is W's 400 (cap min(400, equity 500)):
    // x = min(550, 400) = 400, taken from W's quote balance 2,000 -> 1,600 (v 0). 150 uncovered.
    // Group b (record k1): W's gain is now 0: no payer; 550 uncovered. (Before the fix W paid 400 again.)
    expect(auditRows(engine)).toEqual([
      [0, 'haircutGains', 'cover', null, 400n], [null, 'haircutGains', 'pay', W, 400n],
      [0, null, 'uncovered', null, 150n], [1, null, 'uncovered', null, 550n],
    ]);
    expect(report).toMatchObject({ socializedQuote: 400n, uncoveredQuote: 700n });
    expect(engine.account(W).positions).toEqual([{ marketId: a, sizeBase: -20n, quoteBalance: 1_600n, fundingSnapshot: 0n }]);
    // Equity 100 + (-1,600 + 1,600) = 100: the collateral it had, not -300.
    expect(equityOf(engine, W)).toBe(100n);
  });

  it('two events with one waterfall: the second finds the gain already taken and W pays nothing more', async () => {
    const { engine, a, b } = await book(200n);
    engine.setWaterfall({ steps: [{ kind: 'haircutGains', scope: 'all' }] });
    // Event 1: only a falls to 80. L1 closes with a deficit of 550; W pays its whole gain, 400.
    engine.setMarks([a], [80n]);
    engine.liquidate({ close: 'full' });
    expect(allocateConserving(engine, 1)).toMatchObject({ socializedQuote: 400n, uncoveredQuote: 150n });
    // Event 2: b falls to 80. L2's 400: W's gain is 0 (v = -1,600 + 1,600), so it pays nothing (before
    // the fix it paid its 400 again, 800 of a 400 gain in all, ending at equity -300).
    engine.setMarks([b], [80n]);
    engine.liquidate({ close: 'full' });
    expect(allocateConserving(engine, 2)).toMatchObject({ deficitQuote: 400n, socializedQuote: 0n, uncoveredQuote: 400n });
    expect(engine.auditLog.forAccount(W).paidQuote).toBe(400n);
    expect(equityOf(engine, W)).toBe(100n);
  });

  it('a market-scope step in the default waterfall, then an all-scope step in a group: the second sees what the first left', async () => {
    const { engine, a, b } = await book();
    // Records of a go through the default waterfall (25 % of the gain by market), records of b through
    // the group's (the rest, over all markets).
    engine.setWaterfall({
      steps: [{ kind: 'haircutGains', scope: 'market', maxHaircutPpm: 250_000 }],
      groups: [{ markets: [b], steps: [{ kind: 'haircutGains', scope: 'all' }] }],
    });
    engine.setMarks([a, b], [80n, 80n]);
    engine.liquidate({ close: 'full' });
    // Default (k0, 550 in a): W's gain in a is 400, cap floor(400 / 4) = 100: covers 100 (quote 2,000 -> 1,900).
    // Group (k1, 550 in b): W's gain over all markets is now 300: covers 300 (quote -> 1,600). 450 + 250 uncovered.
    allocateConserving(engine, 1);
    expect(auditRows(engine)).toEqual([
      [0, 'haircutGains', 'cover', null, 100n], [null, 'haircutGains', 'pay', W, 100n],
      [1, 'haircutGains', 'cover', null, 300n], [null, 'haircutGains', 'pay', W, 300n],
      [0, null, 'uncovered', null, 450n], [1, null, 'uncovered', null, 250n],
    ]);
    expect(equityOf(engine, W)).toBe(100n);
  });

  it('a gain made after a haircut can be haircut: what is taken is always the gain the position shows now', async () => {
    const { engine, a, b } = await book(200n);
    engine.setWaterfall({ steps: [{ kind: 'haircutGains', scope: 'all' }] });
    engine.setMarks([a], [80n]);
    engine.liquidate({ close: 'full' });
    allocateConserving(engine, 1); // W: 400 taken, quote 1,600
    // a falls on to 70: W's v = -1,400 + 1,600 = 200, a new gain. b falls to 80: L2's 400 takes it.
    engine.setMarks([a, b], [70n, 80n]);
    engine.liquidate({ close: 'full' });
    expect(allocateConserving(engine, 2)).toMatchObject({ socializedQuote: 200n, uncoveredQuote: 200n });
    expect(engine.auditLog.forAccount(W).paidQuote).toBe(600n);
    expect(equityOf(engine, W)).toBe(100n);
  });
});
