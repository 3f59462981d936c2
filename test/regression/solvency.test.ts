/**
 * Regression: risk sharing took solvent accounts below zero. Steps capped what a payer paid by its
 * collateral, its gain or its size, never by its equity, so an account whose other positions were
 * losing (or, for ADL, whose close at the bankruptcy price cost more than its equity) ended a run
 * bankrupt. Now no step takes a group at or above zero equity below zero, except assessments, which
 * members owe, and which the report counts as paid beyond equity (docs/WATERFALL.md, "Solvency").
 *
 * Markets: D = 1, mark 100, flat 0.1 % / 0.1 % (so that accounts with small equity are healthy and the
 * cascade that records each deficit leaves them alone). A position "entered at P" has quote -s P.
 * `addBankrupt` (scenarios/support.ts) adds an account at the mark with collateral -deficit and closes
 * it whole at the mark: one deficit record (account, market, deficit) with d = -size, q = 100.
 */
import { describe, expect, it } from 'vitest';
import type { RiskEngine } from '../../dist/src/node.js';
import { addBankrupt, allocateConserving, auditRows, createEngine, flatMarket } from '../scenarios/support.js';

const THIN = { curve: { kind: 'flat' as const, imfPpm: 1_000, mmfPpm: 1_000 } };
const equityOf = (engine: RiskEngine, id: number): bigint => { engine.check({ accounts: [id] }); return engine.account(id).figures.equityQuote; };

async function twoMarkets(): Promise<{ engine: RiskEngine; a: number; b: number }> {
  const engine = await createEngine();
  return { engine, a: engine.addMarket(flatMarket(100n, 0, THIN)), b: engine.addMarket(flatMarket(100n, 0, THIN)) };
}

describe('regression: no risk-sharing step takes a solvent account below zero', () => {
  it('haircutGains (scope market): a winner in a that loses in b pays no more than its equity', async () => {
    const { engine, a, b } = await twoMarkets();
    // W: short 10 of a entered at 140 (v = -1,000 + 1,400 = 400), long 10 of b entered at 135 (v = 1,000 - 1,350 = -350),
    // collateral 0: equity 50.
    const [w] = engine.addAccounts([{ collateralQuote: 0n, positions: [{ marketId: a, sizeBase: -10n, quoteBalance: 1_400n }, { marketId: b, sizeBase: 10n, quoteBalance: -1_350n }] }]);
    engine.setWaterfall({ steps: [{ kind: 'haircutGains', scope: 'market' }] });
    addBankrupt(engine, a, 5n, 500n);
    // W's gain in a is 400; its cap min(400, equity 50) = 50: covers 50, 450 uncovered (before: 400, equity -350).
    expect(allocateConserving(engine)).toMatchObject({ socializedQuote: 50n, uncoveredQuote: 450n });
    expect(auditRows(engine)).toEqual([[0, 'haircutGains', 'cover', null, 50n], [null, 'haircutGains', 'pay', w, 50n], [0, null, 'uncovered', null, 450n]]);
    expect(equityOf(engine, w!)).toBe(0n);
  });

  it('haircutDeposits: a depositor with losing positions pays no more than its equity; the others pay the rest', async () => {
    const { engine, b } = await twoMarkets();
    // D: collateral 1,000, long 10 of b entered at 190 (v = 1,000 - 1,900 = -900): equity 100. P: 1,000, no position.
    const [d, p] = engine.addAccounts([
      { collateralQuote: 1_000n, positions: [{ marketId: b, sizeBase: 10n, quoteBalance: -1_900n }] },
      { collateralQuote: 1_000n },
    ]);
    engine.setWaterfall({ steps: [{ kind: 'haircutDeposits' }] });
    addBankrupt(engine, b, 5n, 600n);
    // Weights 1,000 and 1,000, caps min(1,000, 100) = 100 and 1,000. split(600): 300, 300; D over its cap,
    // fixed at 100; the rest, 500, to P. (Before: 300 each, D at equity -200.)
    // Index: 10^18 - ceil(10^18 * 600 / 2,000) = 7 * 10^17.
    expect(allocateConserving(engine)).toMatchObject({ socializedQuote: 600n, uncoveredQuote: 0n });
    expect(auditRows(engine)).toEqual([[0, 'haircutDeposits', 'cover', null, 600n], [null, 'haircutDeposits', 'pay', d, 100n], [null, 'haircutDeposits', 'pay', p, 500n]]);
    expect([equityOf(engine, d!), equityOf(engine, p!)]).toEqual([0n, 500n]);
    expect(engine.waterfallBalances().depositIndexE18).toBe(700_000_000_000_000_000n);
  });

  it('backstopVault: a provider with losing positions pays no more than its equity', async () => {
    const { engine, b } = await twoMarkets();
    const [prov] = engine.addAccounts([{ collateralQuote: 1_000n, positions: [{ marketId: b, sizeBase: 10n, quoteBalance: -1_900n }] }]);
    engine.setWaterfall({ steps: [{ kind: 'backstopVault', providers: [{ accountId: prov! }] }] });
    addBankrupt(engine, b, 5n, 600n);
    // Capacity min(collateral 1,000, equity 100) = 100: covers 100, 500 uncovered (before: 600, equity -500).
    expect(allocateConserving(engine)).toMatchObject({ vaultQuote: 100n, uncoveredQuote: 500n });
    expect(equityOf(engine, prov!)).toBe(0n);
  });

  it('haircutVaultShares: a vault holding losing positions pays no more than its net asset value', async () => {
    const { engine, b } = await twoMarkets();
    const [vault] = engine.addAccounts([{ collateralQuote: 1_000n, positions: [{ marketId: b, sizeBase: 10n, quoteBalance: -1_900n }] }]);
    engine.setVaultAccount(vault!);
    engine.setWaterfall({ steps: [{ kind: 'haircutVaultShares' }] });
    addBankrupt(engine, b, 5n, 600n);
    // Capacity min(collateral 1,000, equity 100) = 100; no shares outstanding: one pay record for the vault.
    expect(allocateConserving(engine)).toMatchObject({ vaultQuote: 100n, uncoveredQuote: 500n });
    expect(auditRows(engine)).toEqual([[0, 'haircutVaultShares', 'cover', null, 100n], [null, 'haircutVaultShares', 'pay', vault, 100n], [0, null, 'uncovered', null, 500n]]);
    expect(engine.vault().navQuote).toBe(0n);
  });

  it('ADL at the bankruptcy price: a profitable counterparty with little equity closes only what keeps it solvent', async () => {
    const { engine, a, b } = await twoMarkets();
    // C: short 10 of a entered at 140 (v 400), long 10 of b entered at 135 (v -350), collateral 0: equity 50.
    // C2: short 10 of a entered at 110 (v 100), collateral 1,000: equity 1,100.
    const [c, c2] = engine.addAccounts([
      { collateralQuote: 0n, positions: [{ marketId: a, sizeBase: -10n, quoteBalance: 1_400n }, { marketId: b, sizeBase: 10n, quoteBalance: -1_350n }] },
      { collateralQuote: 1_000n, positions: [{ marketId: a, sizeBase: -10n, quoteBalance: 1_100n }] },
    ]);
    engine.setWaterfall({ steps: [{ kind: 'adl', ranking: 'pnl' }] });
    addBankrupt(engine, a, 10n, 300n);
    // A long of 10 was sold at q = 100 with r = 300: P = 100 + ceil(300 / 10) = 130. pnl order: C (400), C2 (100).
    // C: c = 10, a(10) = cash(10, 100) - cash(10, 130) = -1,000 + 1,300 = 300 = r. Its equity change for a close
    // of c at 130: dE(c) = -130 c + (floor(-(10 - c) 100) + 1,000) = -30 c; 50 - 30 c >= 0 holds up to c = 1:
    // C closes 1, pays a(1) = -100 + 130 = 30 (equity 20). (Before: all 10, paying 300, equity -250.)
    // C2: c = min(10, 9 left) = 9, a(9) = -900 + 1,170 = 270 = r: covers 270 (equity 1,100 - 270 = 830).
    expect(allocateConserving(engine)).toMatchObject({ adlCoveredQuote: 300n, uncoveredQuote: 0n, residueQuote: 0n });
    expect(engine.auditLog.records().map((r) => [r.role, r.accountId, r.amountQuote, r.priceQuote, r.sizeBase])).toEqual([
      ['cover', c, 30n, 130n, 1n], ['cover', c2, 270n, 130n, 9n],
    ]);
    expect([equityOf(engine, c!), equityOf(engine, c2!)]).toEqual([20n, 830n]);
  });

  it('ADL passes over a counterparty already below zero: closing a bankrupt isolated position would sweep its loss into cross', async () => {
    // D = 1, flat 10 % / 5 %, mark 100. A: cross collateral 0 and no cross position; an isolated long of 10
    // entered at 100 with collateral 300. L: long 10 at 100, collateral 1,000. B: short 10 at 100, collateral 50.
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    const [a, l] = engine.addAccounts([
      { collateralQuote: 0n, isolated: [{ marketId: m, sizeBase: 10n, quoteBalance: -1_000n, collateralQuote: 300n }] },
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: 10n, quoteBalance: -1_000n }] },
      { collateralQuote: 50n, positions: [{ marketId: m, sizeBase: -10n, quoteBalance: 1_000n }] },
    ]);
    // Mark 120: B's equity 50 - 200 = -150; its close at the mark records 150 (d = +10: a short bought back).
    engine.setMarks([m], [120n]);
    engine.liquidate({ close: 'full' });
    expect(engine.deficits().map((d) => d.amountQuote)).toEqual([150n]);
    // Longs now owe funding of 100 per unit (1,000 each): A's isolated equity 300 + 200 - 1,000 = -500 (bankrupt),
    // L's 1,000 + 200 - 1,000 = 200. ADL at the mark: pnl keys -800 and -800, a tie: A first by id.
    engine.setFundingIndices([m], [100n], [0n]);
    engine.setWaterfall({ steps: [{ kind: 'adl', ranking: 'pnl', price: 'mark' }] });
    // A is passed over; L closes 10 at the mark (its equity stays 200). Before: A's isolated position closed to
    // zero and its collateral, 300 - 1,000 owed + 200 realized = -500, moved into the cross book (0 -> -500).
    expect(allocateConserving(engine)).toMatchObject({ adlVolumeBase: 10n, adlCoveredQuote: 0n, uncoveredQuote: 150n });
    expect(engine.account(a!).collateralQuote).toBe(0n);
    expect(engine.account(a!).isolated.map((p) => [p.sizeBase, p.collateralQuote])).toEqual([[10n, 300n]]);
    expect(engine.account(l!).positions).toEqual([]);
    expect(equityOf(engine, l!)).toBe(200n);
  });

  it('socializeFunding: a position whose group has little equity pays no more than it', async () => {
    const { engine, a } = await twoMarkets();
    // P1: long 10 of a at the mark, collateral 5 (equity 5). P2: short 10 at the mark, collateral 1,000.
    const [p1, p2] = engine.addAccounts([
      { collateralQuote: 5n, positions: [{ marketId: a, sizeBase: 10n, quoteBalance: -1_000n }] },
      { collateralQuote: 1_000n, positions: [{ marketId: a, sizeBase: -10n, quoteBalance: 1_000n }] },
    ]);
    engine.setWaterfall({ steps: [{ kind: 'socializeFunding' }] });
    addBankrupt(engine, a, 5n, 100n);
    // split(100, w 10/10, caps 5/1,000): 50, 50; P1 over its cap, fixed at 5; P2 pays 95. (Before: a funding
    // bump of ceil((100 + 2) / 20) = 6 per unit, 60 owed by each: P1 at equity -55.)
    expect(allocateConserving(engine)).toMatchObject({ socializedQuote: 100n, uncoveredQuote: 0n });
    expect(auditRows(engine)).toEqual([[0, 'socializeFunding', 'cover', null, 100n], [null, 'socializeFunding', 'pay', p1, 5n], [null, 'socializeFunding', 'pay', p2, 95n]]);
    expect([equityOf(engine, p1!), equityOf(engine, p2!)]).toEqual([0n, 905n]);
  });

  it('assessments (the one exception): a member owes its assessment beyond its equity, and the report says how far', async () => {
    const { engine, a } = await twoMarkets();
    // Members M1 (collateral 10) and M2 (collateral 1,000), commitments 100 each; assessments up to 1x.
    const [m1, m2] = engine.addAccounts([{ collateralQuote: 10n }, { collateralQuote: 1_000n }]);
    engine.addDefaultFundContribution(m1!, 100n);
    engine.addDefaultFundContribution(m2!, 100n);
    engine.setWaterfall({ steps: [{ kind: 'assessments', multiplePpm: 1_000_000 }] });
    addBankrupt(engine, a, 5n, 150n);
    // split(150, w 100/100, caps 100/100) = 75, 75. M1 pays 75 against equity 10: 65 beyond it, one account.
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ clearingHouseQuote: 150n, uncoveredQuote: 0n, paidBeyondEquityQuote: 65n });
    expect(report.steps).toEqual([{ waterfall: 0, step: 0, kind: 'assessments', coveredQuote: 150n, residueQuote: 0n, paidBeyondEquityQuote: 65n, paidBeyondEquityAccounts: 1 }]);
    expect([equityOf(engine, m1!), equityOf(engine, m2!)]).toEqual([-65n, 925n]);
  });
});
