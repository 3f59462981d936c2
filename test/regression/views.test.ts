/**
 * Views handed to the caller cannot steer the core (DESIGN.md invariant 6, README "Views"): a hostile
 * write into any of them changes no amount and no choice of who is liquidated or deleveraged. Plan
 * rows may be edited only in their size and price: execution refuses a row whose account, market,
 * isolated row or kind differs from the plan (PlanEdited), and changes nothing.
 *
 * Books: D = 1 (baseDecimals 0, prices in quote atoms per base atom), a flat curve IM 10 % / MM 5 %
 * (MM = ceil(5 % of |s| m)), no fees; figures follow docs/FORMULAS.md and docs/WATERFALL.md.
 */
import { describe, expect, it } from 'vitest';
import { Health, InputError, type RiskEngine } from '../../dist/src/node.js';
import { caught, createEngine, stateDigest } from '../support/engine.js';
import { lossBook as readmeLossBook, type LossBook } from './support.js';

const FLAT = { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } as const;

/** The README's loss book (regression/support.ts), checked at mark 80. */
const lossBook = (): Promise<LossBook> => readmeLossBook({ checked: true });

/** The fund (30), then ADL ranked by BitMEX's key. */
const FUND_THEN_BITMEX = { steps: [{ kind: 'insuranceFund' }, { kind: 'adl', ranking: 'bitmex' }] } as const;

/** ADL cover records of an event: [account, amount, price, size]. */
function adlCovers(engine: RiskEngine, event: number): [number | null, bigint, bigint, bigint][] {
  return engine.auditLog.records().filter((r) => r.event === event && r.tranche === 'adl' && r.role === 'cover')
    .map((r) => [r.accountId, r.amountQuote, r.priceQuote, r.sizeBase]);
}

/** Everything a refused call must leave as it was. */
function observable(engine: RiskEngine): string {
  return JSON.stringify([stateDigest(engine), engine.ledger(), engine.waterfallBalances(), engine.deficits(), engine.auditLog.length, engine.summary().book],
    (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

describe('regression: the deficit records the waterfall reads cannot be written through deficitsView()', () => {
  // Fund 30, then r = 120: P = 80 + ceil(120 / 10) = 92; BitMEX keys bob (200 x 800) / (1,000 x 1,200)
  // = 0.133 > carol (200 x 400) / (600 x 1,200) = 0.111: bob buys back 10 at 92, a(10) = -800 + 920 =
  // 120 covers the rest; his realized PnL 1,000 - 920 = 80 takes him to 1,080. Had the amount been
  // read as 750: r = 720, P = 152, and bob would pay 720 (collateral 480).
  it('deficit amount x5 in the view: the run still allocates 150, and bob pays 120', async () => {
    const { engine, bob } = await lossBook();
    engine.liquidate({ close: 'full' });
    engine.setWaterfall(FUND_THEN_BITMEX);
    const view = engine.deficitsView();
    view.amountQuote[0] = view.amountQuote[0]! * 5n;
    const ledger = engine.ledger().totalQuote;
    const report = engine.allocateLosses();
    expect([report.deficitQuote, report.insuranceFundQuote, report.adlCoveredQuote, report.uncoveredQuote]).toEqual([150n, 30n, 120n, 0n]);
    expect(adlCovers(engine, report.event)).toEqual([[bob, 120n, 92n, 10n]]);
    expect(engine.account(bob).collateralQuote).toBe(1_080n);
    expect(engine.ledger().totalQuote).toBe(ledger);
  });

  // The bankrupt account named in the view: the run still knows alice defaulted (its deficit table),
  // and bob, who would be skipped as "the bankrupt's own" if the view were read, is deleveraged.
  it('deficit account edited in the view: the record still names the defaulter', async () => {
    const { engine, alice, bob } = await lossBook();
    engine.liquidate({ close: 'full' });
    engine.setWaterfall(FUND_THEN_BITMEX);
    engine.deficitsView().accountId[0] = bob;
    const report = engine.allocateLosses();
    expect(engine.auditLog.deficits(report.event).map((d) => d.accountId)).toEqual([alice]);
    expect(adlCovers(engine, report.event)).toEqual([[bob, 120n, 92n, 10n]]);
  });
});

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

describe('regression: plan rows are editable in size and price only', () => {
  /**
   * Mark 100 -> 96: alice (collateral 50, long 10 at 100): E = 10 < MM ceil(48) = 48, liquidatable;
   * bob (collateral 1,000, long 10 at 100): E = 960, healthy. A full close of alice at 96 realizes
   * -40: collateral 10. A second market and an isolated row (bob's) give edits somewhere to point.
   */
  async function planBook(): Promise<{ engine: RiskEngine; alice: number; bob: number }> {
    const engine = await createEngine();
    const m = engine.addMarket({ baseDecimals: 0, markPrice: 100n, curve: FLAT });
    const m2 = engine.addMarket({ baseDecimals: 0, markPrice: 100n, curve: FLAT });
    const [alice, bob] = engine.addAccounts([
      { collateralQuote: 50n, positions: [{ marketId: m, sizeBase: 10n, quoteBalance: -1_000n }] },
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: 10n, quoteBalance: -1_000n }], isolated: [{ marketId: m2, sizeBase: 1n, quoteBalance: -100n, collateralQuote: 100n }] },
    ]);
    engine.setMarks([m], [96n]);
    engine.check();
    return { engine, alice: alice!, bob: bob! };
  }

  it('account, market, isolated row or kind edited: refused (PlanEdited, naming the row), nothing changed; the plan as made still executes', async () => {
    const { engine, alice, bob } = await planBook();
    const plan = engine.planLiquidations({ close: 'full' });
    const v = plan.view;
    expect([plan.rows, v.accountId[0], v.marketId[0], v.isolatedId[0], v.kind[0], v.sizeBase[0], v.priceQuote[0]]).toEqual([1, alice, 0, 0xffffffff, 0, -10n, 96n]);
    const before = observable(engine);
    const edits: [string, () => void, () => void][] = [
      ['accountId', () => { v.accountId[0] = bob; }, () => { v.accountId[0] = alice; }],
      ['marketId', () => { v.marketId[0] = 1; }, () => { v.marketId[0] = 0; }],
      ['isolatedId', () => { v.isolatedId[0] = 0; }, () => { v.isolatedId[0] = 0xffffffff; }],
      ['kind', () => { v.kind[0] = 2; }, () => { v.kind[0] = 0; }],
    ];
    for (const [field, edit, undo] of edits) {
      edit();
      const e = caught(() => engine.executeLiquidations());
      expect(e, field).toBeInstanceOf(InputError);
      expect([e.codeName, e.row], field).toEqual(['PlanEdited', 0]);
      expect(observable(engine), field).toBe(before);
      undo();
    }
    const done = engine.executeLiquidations();
    expect(done.closes).toBe(1);
    expect(engine.account(alice).collateralQuote).toBe(10n);
    expect(engine.account(bob).positions.map((p) => p.sizeBase)).toEqual([10n]);
  });

  it('a size edited and refused, then restored: the plan executes with the amounts of the plan as made', async () => {
    const { engine, alice } = await planBook();
    const v = engine.planLiquidations({ close: 'full' }).view;
    v.sizeBase[0] = -11n; // does not reduce a long of 10: NoPosition
    expect(caught(() => engine.executeLiquidations()).codeName).toBe('NoPosition');
    v.sizeBase[0] = -10n;
    engine.executeLiquidations();
    expect(engine.account(alice).collateralQuote).toBe(10n);
  });

  /**
   * A log view kept from an execution is not the next plan's amounts. Round 1 at mark 96 closes alice
   * (as above; dave, collateral 200 and long 10 at 100, has E = 160 >= IM 96). Then mark 82: dave's
   * E = 200 + 820 - 1,000 = 20 < MM ceil(41) = 41. His full close at 82 realizes -1,000 + 820 = -180:
   * collateral 20, no funding, no deficit, whatever the old view says.
   */
  it('an old liquidation log view written before the next execution moves no money', async () => {
    const engine = await createEngine();
    const m = engine.addMarket({ baseDecimals: 0, markPrice: 100n, curve: FLAT });
    const [alice, dave] = engine.addAccounts([
      { collateralQuote: 50n, positions: [{ marketId: m, sizeBase: 10n, quoteBalance: -1_000n }] },
      { collateralQuote: 200n, positions: [{ marketId: m, sizeBase: 10n, quoteBalance: -1_000n }] },
    ]);
    engine.setMarks([m], [96n]);
    engine.check();
    engine.planLiquidations({ close: 'full' });
    engine.executeLiquidations();
    const log = engine.liquidationLogView();
    expect([log.accountId[0], log.realizedPnlQuote[0]]).toEqual([alice, -40n]);
    engine.setMarks([m], [82n]);
    engine.check();
    const plan = engine.planLiquidations({ close: 'full' });
    expect([...plan.view.accountId]).toEqual([dave]);
    log.realizedPnlQuote[0] = 10n ** 12n;
    log.fundingQuote[0] = -(10n ** 9n);
    log.deficitQuote[0] = 10n ** 9n;
    const ledger = engine.ledger().totalQuote;
    engine.executeLiquidations();
    expect(engine.account(dave!).collateralQuote).toBe(20n);
    expect(engine.liquidationLog().map((r) => [r.accountId, r.realizedPnlQuote, r.fundingQuote, r.deficitQuote])).toEqual([[dave, -180n, 0n, 0n]]);
    expect(engine.ledger().totalQuote).toBe(ledger);
    expect(engine.deficits()).toEqual([]);
  });
});
