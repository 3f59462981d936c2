/**
 * Views handed to the caller cannot steer the core (DESIGN.md invariant 6, README "Views"): a hostile
 * write into any of them changes no amount and no choice of who is liquidated or deleveraged.
 *
 * Books: D = 1 (baseDecimals 0, prices in quote atoms per base atom), a flat curve IM 10 % / MM 5 %
 * (MM = ceil(5 % of |s| m)), no fees; figures follow docs/FORMULAS.md and docs/WATERFALL.md.
 */
import { describe, expect, it } from 'vitest';
import { Health, type RiskEngine } from '../../dist/src/node.js';
import { createEngine } from '../support/engine.js';

const FLAT = { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } as const;

/**
 * The README's loss book. Mark 100 -> 80:
 *   alice  collateral 50, long 10 entered at 100:  E = 50 + 800 - 1,000 = -150 (bankrupt), MM 40
 *   bob    collateral 1,000, short 10 at 100:     v = -800 + 1,000 = 200, E = 1,200, N = 800, Q = 1,000
 *   carol  collateral 1,000, short 5 at 120:      v = -400 + 600 = 200,   E = 1,200, N = 400, Q = 600
 * A full close of alice at 80 records a deficit of 150 (d = -10, q = 80). Insurance fund: 30.
 */
async function lossBook(): Promise<{ engine: RiskEngine; m: number; alice: number; bob: number; carol: number }> {
  const engine = await createEngine();
  const m = engine.addMarket({ baseDecimals: 0, markPrice: 100n, curve: FLAT });
  const [alice, bob, carol] = engine.addAccounts([
    { collateralQuote: 50n, positions: [{ marketId: m, sizeBase: 10n, quoteBalance: -1_000n }] },
    { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -10n, quoteBalance: 1_000n }] },
    { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -5n, quoteBalance: 600n }] },
  ]);
  engine.depositInsuranceFund(30n);
  engine.setMarks([m], [80n]);
  engine.check();
  return { engine, m, alice: alice!, bob: bob!, carol: carol! };
}

/** The fund (30), then ADL ranked by BitMEX's key. */
const FUND_THEN_BITMEX = { steps: [{ kind: 'insuranceFund' }, { kind: 'adl', ranking: 'bitmex' }] } as const;

/** ADL cover records of an event: [account, amount, price, size]. */
function adlCovers(engine: RiskEngine, event: number): [number | null, bigint, bigint, bigint][] {
  return engine.auditLog.records().filter((r) => r.event === event && r.tranche === 'adl' && r.role === 'cover')
    .map((r) => [r.accountId, r.amountQuote, r.priceQuote, r.sizeBase]);
}

describe('regression: written results views do not steer planning, tallies or ADL ranking', () => {
  it('health and equity of a healthy account written: planning plans only the liquidatable account', async () => {
    const { engine, alice, bob } = await lossBook();
    const v = engine.resultsView();
    v.health[bob] = Health.Bankrupt;
    v.equityQuote[bob] = -1n;
    v.mmQuote[bob] = 1_000_000n;
    const plan = engine.planLiquidations({ close: 'full' });
    expect([plan.rows, [...plan.view.accountId]]).toEqual([1, [alice]]);
    engine.executeLiquidations();
    expect(engine.account(bob).positions.map((p) => p.sizeBase)).toEqual([-10n]);
  });

  // After the check: alice bankrupt, bob and carol healthy. A written health must not enter the
  // book-wide tallies when the next check moves the row from its (real) old code to its new one.
  it('health written, then a check: the book-wide counts stay those of the book', async () => {
    const { engine, bob, carol } = await lossBook();
    const v = engine.resultsView();
    v.health[bob] = Health.Bankrupt;
    v.health[carol] = Health.Inactive;
    const counts = engine.check().book.accounts;
    expect(counts).toEqual({ healthy: 2, belowInitial: 0, liquidatable: 0, bankrupt: 1, inactive: 0 });
  });

  // Results current (a check after the liquidation), then carol's equity written as 1: read by the
  // ranking, her key would be (200 x 400) / (600 x 1) = 133 and she would be deleveraged first (5 at
  // 92 covering 60, then bob 60). The core ranks with its own figures: bob first, 120 (see above).
  it('equity written: ADL still ranks with the check\'s figures, in the run and in the indicator', async () => {
    const { engine, m, bob, carol } = await lossBook();
    engine.liquidate({ close: 'full' });
    engine.check();
    engine.resultsView().equityQuote[carol] = 1n;
    expect(engine.adlRanking(m, 'short', 'bitmex').map((r) => r.accountId)).toEqual([bob, carol]);
    engine.setWaterfall(FUND_THEN_BITMEX);
    engine.resultsView().equityQuote[carol] = 1n;
    const report = engine.allocateLosses();
    expect(adlCovers(engine, report.event)).toEqual([[bob, 120n, 92n, 10n]]);
  });

  // The risk order view is the core's queue column, which planning builds afresh before it reads it.
  it('the risk order view written: planning builds its own queue', async () => {
    const { engine, alice, bob } = await lossBook();
    const queue = engine.riskOrderView();
    expect([...queue]).toEqual([alice]);
    queue[0] = bob;
    const plan = engine.planLiquidations({ close: 'full' });
    expect([...plan.view.accountId]).toEqual([alice]);
  });

  // Alice's isolated long 10 entered at 100 with 60 of collateral, mark 95: E = 60 + 950 - 1,000 = 10
  // < MM ceil(47.5) = 48. A full close at 95 realizes -50: 10 left, released to alice's cross
  // collateral (0 -> 10). The row's owner written as bob in the view must not send it to bob.
  it('an isolated row\'s account written in the view: the row still belongs to alice', async () => {
    const engine = await createEngine();
    const m = engine.addMarket({ baseDecimals: 0, markPrice: 100n, curve: FLAT });
    const [alice, bob] = engine.addAccounts([
      { collateralQuote: 0n, isolated: [{ marketId: m, sizeBase: 10n, quoteBalance: -1_000n, collateralQuote: 60n }] },
      { collateralQuote: 1_000n },
    ]);
    engine.setMarks([m], [95n]);
    engine.check();
    const iso = engine.isolatedResultsView();
    expect([...iso.accountId]).toEqual([alice]);
    iso.accountId[0] = bob!;
    iso.marketId[0] = 7;
    expect(engine.adlRanking(m, 'long', 'pnl').map((r) => r.accountId)).toEqual([alice]);
    engine.liquidate({ close: 'full' });
    expect([engine.account(alice!).collateralQuote, engine.account(bob!).collateralQuote]).toEqual([10n, 1_000n]);
    expect(engine.account(alice!).isolated).toEqual([]);
  });
});
