/**
 * Planning and executing liquidations (docs/FORMULAS.md, "Executing one close", "Backstop transfer",
 * "Planning a round", "Execution and conservation"), every figure worked by hand:
 *   E_i = ceil(E * MM_i / M) (E for a group's only position), E_slice = ceil(E_i * |d| / |s|)
 *   cash(d) = floor(-d * q / D), realized = floor(quote * c / |s|) + cash(d)
 *   dE = cash(d) + floor((s + d) * m / D) - floor(s * m / D), S = E_slice + dE, E' = E + dE
 *   F = ceil(|d| * q * feePpm / (D * 10^6)), fee = min(F, max(S, 0), max(E', 0))
 *   liqFee = floor(fee * sharePpm / 10^6), deficit = min(max(-S, 0), max(-E', 0))
 *   C_after = C - owed + realized - fee + deficit
 * Money in quote atoms (6 decimals) unless a comment says USD.
 */
import { describe, expect, it } from 'vitest';
import {
  LIQUIDATION_PRESETS, NO_ISOLATED, NO_MARKET, type LiquidationPlan, type LiquidationPolicy, type MarginCurve, type RiskEngine,
} from '../../dist/src/node.js';
import { createEngine, Health, USD } from './support.js';

const flat = (imfPpm: number, mmfPpm: number): MarginCurve => ({ kind: 'flat', imfPpm, mmfPpm });
/** BTC-like: D = 10^8, mark 50,000 USD, IM 10 % / MM 5 %. */
const BTC = { baseDecimals: 8, markPrice: 50_000n * USD, curve: flat(100_000, 50_000) };
/** ETH-like: D = 10^8, mark 2,000 USD, IM 10 % / MM 5 %. */
const ETH = { baseDecimals: 8, markPrice: 2_000n * USD, curve: flat(100_000, 50_000) };
/** A small market: D = 10^3, mark 100 USD, IM 10 % / MM 5 %, closes in steps of 30 atoms (0.03). */
const SMALL = { baseDecimals: 3, markPrice: 100n * USD, curve: flat(100_000, 50_000), stepBase: '0.03' };
const KINDS = ['close', 'transfer', 'settle'] as const;

/** The plan's rows as plain objects (copies). */
function planRows(plan: LiquidationPlan): { accountId: number; marketId: number; isolatedId: number; kind: string; sizeBase: bigint; priceQuote: bigint }[] {
  const v = plan.view;
  return Array.from({ length: plan.rows }, (_, i) => ({
    accountId: v.accountId[i]!, marketId: v.marketId[i]!, isolatedId: v.isolatedId[i]!, kind: KINDS[v.kind[i]!]!,
    sizeBase: v.sizeBase[i]!, priceQuote: v.priceQuote[i]!,
  }));
}

/** Plans under `policy` and returns the rows' signed sizes. */
function plannedSizes(engine: RiskEngine, policy: LiquidationPolicy): bigint[] {
  return planRows(engine.planLiquidations(policy)).map((r) => r.sizeBase);
}

/** Executes the current plan and checks conservation (ledger total unchanged) and funds >= 0. */
function executeConserving(engine: RiskEngine): ReturnType<RiskEngine['executeLiquidations']> {
  const before = engine.ledger().totalQuote;
  const summary = engine.executeLiquidations();
  expect(engine.ledger().totalQuote, 'ledger total unchanged by the execution').toBe(before);
  for (let m = 0; m < engine.marketCount; m++) expect(engine.insuranceFund(m) >= 0n).toBe(true);
  expect(engine.insuranceFund() >= 0n).toBe(true);
  return summary;
}

const ZERO_SUMMARY = {
  rows: 0, closes: 0, transfers: 0, settlements: 0, groups: 0, closedNotionalQuote: 0n, realizedPnlQuote: 0n, fundingQuote: 0n,
  liquidatorFeeQuote: 0n, fundFeeQuote: 0n, surplusQuote: 0n, deficitQuote: 0n, transferQuote: 0n,
};
const closeRecord = (accountId: number, marketId: number, sizeBase: bigint, priceQuote: bigint, amounts: Partial<typeof ZERO_SUMMARY>) => ({
  accountId, marketId, isolatedId: null, kind: 'close', sizeBase, priceQuote, realizedPnlQuote: 0n, fundingQuote: 0n,
  liquidatorFeeQuote: 0n, fundFeeQuote: 0n, surplusQuote: 0n, deficitQuote: 0n, transferQuote: 0n, ...amounts,
});

// ------------------------------------------------------------------------------------------------

describe('liquidation: full close at the mark and the fee', () => {
  it('liquidation: fee = ceil(notional * feePpm / 10^6), split floor(share) to the liquidator, the rest to the fund', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(BTC);
    // Long 0.12345678 BTC entered at the mark: quote = -12,345,678 * 5e10 / 1e8 = -6,172,839,000; collateral 300 USD.
    // E = 300,000,000; MM = ceil(6,172,839,000 * 5 %) = 308,641,950: liquidatable.
    const [a] = engine.addAccounts([{ collateralQuote: 300n * USD, positions: [{ marketId: m, sizeBase: 12_345_678n, quoteBalance: -6_172_839_000n }] }]);
    expect(engine.check().book.accounts.liquidatable).toBe(1);
    const plan = engine.planLiquidations({ close: 'full', liquidationFeePpm: 12_345, liquidatorSharePpm: 333_333 });
    expect([plan.rows, plan.groups, plan.complete]).toEqual([1, 1, true]);
    expect(planRows(plan)).toEqual([{ accountId: a, marketId: m, isolatedId: NO_ISOLATED, kind: 'close', sizeBase: -12_345_678n, priceQuote: 50_000n * USD }]);
    // E_i = E = 300,000,000 (one position, full close); cash = floor(12,345,678 * 5e10 / 1e8) = 6,172,839,000;
    // realized = -6,172,839,000 + 6,172,839,000 = 0; dE = 6,172,839,000 + 0 - 6,172,839,000 = 0; S = E' = 300,000,000.
    // F = ceil(6,172,839,000 * 12,345 / 10^6) = ceil(76,203,697.455) = 76,203,698 <= S: fee = 76,203,698.
    // liqFee = floor(76,203,698 * 333,333 / 10^6) = floor(25,401,207.3) = 25,401,207; fundFee = 50,802,491.
    // C_after = 300,000,000 - 76,203,698 = 223,796,302.
    const summary = executeConserving(engine);
    expect(summary).toEqual({
      ...ZERO_SUMMARY, rows: 1, closes: 1, groups: 1, closedNotionalQuote: 6_172_839_000n,
      liquidatorFeeQuote: 25_401_207n, fundFeeQuote: 50_802_491n, surplusQuote: 300_000_000n,
    });
    expect(engine.liquidationLog()).toEqual([closeRecord(a!, m, -12_345_678n, 50_000n * USD, {
      liquidatorFeeQuote: 25_401_207n, fundFeeQuote: 50_802_491n, surplusQuote: 300_000_000n,
    })]);
    expect(engine.account(a!).collateralQuote).toBe(223_796_302n);
    expect(engine.account(a!).positions).toEqual([]);
    expect(engine.insuranceFund()).toBe(50_802_491n);
    expect(engine.ledger()).toMatchObject({ fundsQuote: 50_802_491n, liquidatorFeesQuote: 25_401_207n, deficitsQuote: 0n });
    expect(engine.market(m).openInterestLongBase).toBe(0n);
  });

  it('liquidation: the fee is capped by the surplus', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(BTC);
    // Long 1 BTC entered at 51,000 (quote -51,000 USD), collateral 2,500: E = 1,500 USD < MM 2,500.
    const [a] = engine.addAccounts([{ collateralQuote: 2_500n * USD, positions: [{ marketId: m, sizeBase: 100_000_000n, quoteBalance: -51_000n * USD }] }]);
    engine.check();
    engine.planLiquidations({ close: 'full', liquidationFeePpm: 50_000 });
    // realized = -51,000 + 50,000 = -1,000 USD; dE = 0; S = E' = 1,500 USD; F = 50,000 * 5 % = 2,500 USD > S: fee = 1,500 USD.
    // C_after = 2,500 - 1,000 - 1,500 = 0.
    const summary = executeConserving(engine);
    expect([summary.fundFeeQuote, summary.realizedPnlQuote, summary.surplusQuote, summary.deficitQuote]).toEqual([1_500n * USD, -1_000n * USD, 1_500n * USD, 0n]);
    expect(engine.account(a!).collateralQuote).toBe(0n);
  });

  it('liquidation: the fee is capped by the equity after the fill (bankrupt account closed above the mark)', async () => {
    const engine = await createEngine();
    const btc = engine.addMarket(BTC);
    const eth = engine.addMarket(ETH);
    // Long 1 BTC (quote -50,000) and 10 ETH (quote -20,000) at the marks, collateral -100 USD:
    // E = -100 USD, MM_BTC = 2,500, MM_ETH = 1,000, M = 3,500.
    const [a] = engine.addAccounts([{ collateralQuote: -100n * USD, positions: [
      { marketId: btc, sizeBase: 100_000_000n, quoteBalance: -50_000n * USD },
      { marketId: eth, sizeBase: 1_000_000_000n, quoteBalance: -20_000n * USD },
    ] }]);
    engine.check();
    const plan = engine.planLiquidations({ close: 'full', liquidationFeePpm: 10_000 });
    expect(planRows(plan).map((r) => [r.marketId, r.sizeBase])).toEqual([[btc, -100_000_000n], [eth, -1_000_000_000n]]);
    plan.view.priceQuote[0] = 50_300n * USD;
    // Row BTC at 50,300: E_i = ceil(-100e6 * 2,500 / 3,500) = ceil(-71,428,571.4) = -71,428,571;
    //   cash = 50,300e6, realized = -50,000e6 + 50,300e6 = 300e6; dE = 50,300e6 - 50,000e6 = 300e6;
    //   S = -71,428,571 + 300,000,000 = 228,571,429; E' = -100e6 + 300e6 = 200,000,000;
    //   F = ceil(1e8 * 50,300e6 * 1 % / 1e8) = 503e6: fee = min(503e6, 228,571,429, 200,000,000) = 200,000,000.
    //   C = -100e6 + 300e6 - 200e6 = 0; the group: E = 0, M = 1,000 USD.
    // Row ETH at the mark: E_i = E = 0, dE = 0, S = E' = 0: fee 0, deficit 0.
    const summary = executeConserving(engine);
    expect(summary).toMatchObject({ closes: 2, fundFeeQuote: 200n * USD, realizedPnlQuote: 300n * USD, surplusQuote: 228_571_429n, deficitQuote: 0n });
    expect(engine.liquidationLog().map((r) => [r.surplusQuote, r.fundFeeQuote])).toEqual([[228_571_429n, 200n * USD], [0n, 0n]]);
    expect(engine.account(a!).collateralQuote).toBe(0n);
    expect(engine.deficits()).toEqual([]);
  });

  it('liquidation: a close shortened by the caller takes its slice of the MM share of equity, rounded up', async () => {
    const engine = await createEngine();
    const btc = engine.addMarket(BTC);
    const eth = engine.addMarket(ETH);
    // Long 1 BTC and 10 ETH at the marks, collateral 3,000: E = 3,000 USD, M = 2,500 + 1,000 = 3,500 USD.
    const [a] = engine.addAccounts([{ collateralQuote: 3_000n * USD, positions: [
      { marketId: btc, sizeBase: 100_000_000n, quoteBalance: -50_000n * USD },
      { marketId: eth, sizeBase: 1_000_000_000n, quoteBalance: -20_000n * USD },
    ] }]);
    engine.check();
    const plan = engine.planLiquidations({ close: 'full', liquidationFeePpm: 10_000 });
    expect(planRows(plan).map((r) => r.marketId)).toEqual([btc, eth]);
    plan.view.sizeBase[0] = -30_000_000n;
    // BTC, 0.3 of 1: E_i = ceil(3,000e6 * 2,500 / 3,500) = ceil(2,142,857,142.86) = 2,142,857,143;
    //   E_slice = ceil(2,142,857,143 * 0.3) = ceil(642,857,142.9) = 642,857,143 = S (dE = 0);
    //   quoteClosed = floor(-50,000e6 * 0.3) = -15,000e6, cash = 15,000e6: realized 0; fee = F = 150 USD.
    //   The group: E = 2,850 USD, M = 2,500 * 0.7 + 1,000 = 2,750 USD.
    // ETH, whole: E_i = ceil(2,850e6 * 1,000 / 2,750) = ceil(1,036,363,636.4) = 1,036,363,637 = S; fee = F = 200 USD.
    const summary = executeConserving(engine);
    expect(engine.liquidationLog().map((r) => [r.sizeBase, r.surplusQuote, r.fundFeeQuote, r.realizedPnlQuote])).toEqual([
      [-30_000_000n, 642_857_143n, 150n * USD, 0n], [-1_000_000_000n, 1_036_363_637n, 200n * USD, 0n],
    ]);
    expect(summary).toMatchObject({ closes: 2, closedNotionalQuote: 35_000n * USD, surplusQuote: 1_679_220_780n, fundFeeQuote: 350n * USD });
    expect(engine.account(a!).collateralQuote).toBe(2_650n * USD);
    expect(engine.account(a!).positions).toEqual([{ marketId: btc, sizeBase: 70_000_000n, quoteBalance: -35_000n * USD, fundingSnapshot: 0n }]);
  });

  it('liquidation: funding owed settles in the close and is logged (a long pays, a short receives)', async () => {
    const engine = await createEngine();
    // Funding indices 30 USD per BTC on both sides; snapshots 0.
    const m = engine.addMarket({ ...BTC, fundingIndexLong: 30n * USD, fundingIndexShort: 30n * USD });
    const [long, short] = engine.addAccounts([
      // owed = ceil(1e8 * 30e6 / 1e8) = 30 USD: E = 2,000 - 30 = 1,970 < MM 2,500
      { collateralQuote: 2_000n * USD, positions: [{ marketId: m, sizeBase: 100_000_000n, quoteBalance: -50_000n * USD, fundingSnapshot: 0n }] },
      // owed = ceil(-1e8 * 30e6 / 1e8) = -30 USD: E = 2,030 < 2,500
      { collateralQuote: 2_000n * USD, positions: [{ marketId: m, sizeBase: -100_000_000n, quoteBalance: 50_000n * USD, fundingSnapshot: 0n }] },
    ]);
    engine.check();
    // Risk order: 1,970 / 2,500 before 2,030 / 2,500. Each: realized 0, S = E' = E, fee = F = 500 USD.
    // C_after = 2,000 - owed + 0 - 500: long 1,470, short 1,530.
    expect(planRows(engine.planLiquidations({ close: 'full', liquidationFeePpm: 10_000 })).map((r) => r.accountId)).toEqual([long, short]);
    const summary = executeConserving(engine);
    expect(engine.liquidationLog().map((r) => [r.accountId, r.fundingQuote, r.realizedPnlQuote, r.surplusQuote, r.fundFeeQuote])).toEqual([
      [long, 30n * USD, 0n, 1_970n * USD, 500n * USD], [short, -30n * USD, 0n, 2_030n * USD, 500n * USD],
    ]);
    expect(summary.fundingQuote).toBe(0n);
    expect([engine.account(long!).collateralQuote, engine.account(short!).collateralQuote]).toEqual([1_470n * USD, 1_530n * USD]);
    expect(engine.ledger().flowQuote).toBe(0n);
  });
});

// ------------------------------------------------------------------------------------------------

describe('liquidation: shortfalls and deficits', () => {
  it('liquidation: a bankrupt account closed at the mark records its deficit and ends at collateral 0', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(BTC);
    // Long 1 BTC entered at 56,000, collateral 4,000: E = 4,000 + 50,000 - 56,000 = -2,000 USD.
    const [a] = engine.addAccounts([{ collateralQuote: 4_000n * USD, positions: [{ marketId: m, sizeBase: 100_000_000n, quoteBalance: -56_000n * USD }] }]);
    expect(engine.check().book.accounts.bankrupt).toBe(1);
    const ledgerBefore = engine.ledger();
    engine.planLiquidations({ close: 'full', liquidationFeePpm: 10_000 });
    // E_i = -2,000 USD; realized = -56,000 + 50,000 = -6,000 USD; dE = 0; S = E' = -2,000 USD:
    // fee = min(500, 0, 0) = 0; deficit = min(2,000, 2,000) = 2,000 USD; C_after = 4,000 - 6,000 + 2,000 = 0.
    const summary = executeConserving(engine);
    expect(summary).toMatchObject({ closes: 1, realizedPnlQuote: -6_000n * USD, fundFeeQuote: 0n, surplusQuote: 0n, deficitQuote: 2_000n * USD });
    expect(engine.deficits()).toEqual([{ accountId: a, marketId: m, amountQuote: 2_000n * USD }]);
    expect(engine.ledger().deficitsQuote - ledgerBefore.deficitsQuote).toBe(2_000n * USD);
    expect(engine.account(a!).collateralQuote).toBe(0n);
    expect(engine.account(a!).positions).toEqual([]);
    expect(engine.insuranceFund()).toBe(0n);
    engine.check();
    expect(engine.account(a!).figures.health).toBe(Health.Healthy);
    // takeDeficits hands the records over once.
    expect(engine.takeDeficits()).toEqual([{ accountId: a, marketId: m, amountQuote: 2_000n * USD }]);
    expect(engine.deficits()).toEqual([]);
  });

  it('liquidation: caller prices below the bankruptcy price produce a shortfall; at it none; above it a fee', async () => {
    // Long 1 BTC at the mark (quote -50,000), collateral 2,000: E = 2,000 < MM 2,500.
    // BP = ceil((v - E) * D / s) = ceil((50,000 - 2,000) USD) = 48,000 USD.
    const cases: [bigint, { realized: bigint; fee: bigint; surplus: bigint; deficit: bigint; collateral: bigint }][] = [
      // q = 47,000: cash 47,000e6, realized = dE = -3,000 USD; S = E' = -1,000 USD: fee 0, deficit 1,000 USD, C = 2,000 - 3,000 + 1,000 = 0
      [47_000n * USD, { realized: -3_000n * USD, fee: 0n, surplus: 0n, deficit: 1_000n * USD, collateral: 0n }],
      // q = BP = 48,000: dE = -2,000 USD; S = E' = 0: fee 0, deficit 0, C = 0
      [48_000n * USD, { realized: -2_000n * USD, fee: 0n, surplus: 0n, deficit: 0n, collateral: 0n }],
      // q = 49,000: dE = -1,000 USD; S = 1,000 USD; F = 49,000 * 1 % = 490 USD <= S: C = 2,000 - 1,000 - 490 = 510 USD
      [49_000n * USD, { realized: -1_000n * USD, fee: 490n * USD, surplus: 1_000n * USD, deficit: 0n, collateral: 510n * USD }],
    ];
    for (const [price, want] of cases) {
      const engine = await createEngine();
      const m = engine.addMarket(BTC);
      const [a] = engine.addAccounts([{ collateralQuote: 2_000n * USD, positions: [{ marketId: m, sizeBase: 100_000_000n, quoteBalance: -50_000n * USD }] }]);
      engine.check();
      expect(engine.positionPrices(a!)[0]!.bankruptcyPriceQuote).toBe(48_000n * USD);
      const plan = engine.planLiquidations({ close: 'full', liquidationFeePpm: 10_000 });
      plan.view.priceQuote[0] = price;
      executeConserving(engine);
      const [row] = engine.liquidationLog();
      expect({ realized: row!.realizedPnlQuote, fee: row!.fundFeeQuote, surplus: row!.surplusQuote, deficit: row!.deficitQuote, collateral: engine.account(a!).collateralQuote }, `at ${price}`).toEqual(want);
      expect(row!.priceQuote).toBe(price);
      expect(engine.deficits()).toEqual(want.deficit > 0n ? [{ accountId: a, marketId: m, amountQuote: want.deficit }] : []);
    }
  });

  it('liquidation: an account with no positions and negative collateral is settled by a settle row', async () => {
    const engine = await createEngine();
    engine.addMarket(BTC);
    const [a] = engine.addAccounts([{ collateralQuote: 5n * USD }, { collateralQuote: -100n * USD }]).slice(1);
    expect(engine.check().book.accounts.bankrupt).toBe(1);
    const plan = engine.planLiquidations();
    expect(planRows(plan)).toEqual([{ accountId: a, marketId: NO_MARKET, isolatedId: NO_ISOLATED, kind: 'settle', sizeBase: 0n, priceQuote: expect.any(BigInt) }]);
    const summary = executeConserving(engine);
    expect(summary).toMatchObject({ rows: 1, settlements: 1, closes: 0, deficitQuote: 100n * USD });
    expect(engine.liquidationLog()).toMatchObject([{ accountId: a, marketId: null, kind: 'settle', sizeBase: 0n, deficitQuote: 100n * USD }]);
    expect(engine.deficits()).toEqual([{ accountId: a, marketId: null, amountQuote: 100n * USD }]);
    expect(engine.account(a!).collateralQuote).toBe(0n);
    expect(engine.account(0).collateralQuote).toBe(5n * USD);
  });

  it('liquidation: an isolated position closed with a surplus returns its collateral to the cross book', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(BTC);
    // Cross collateral 500; isolated long 1 BTC at the mark with collateral 2,000: E = 2,000 < MM 2,500.
    const [a] = engine.addAccounts([{ collateralQuote: 500n * USD, isolated: [{ marketId: m, sizeBase: 100_000_000n, quoteBalance: -50_000n * USD, collateralQuote: 2_000n * USD }] }]);
    expect(engine.check().book.isolated.liquidatable).toBe(1);
    const iso = engine.account(a!).isolated[0]!.isolatedId;
    const plan = engine.planLiquidations({ close: 'full', liquidationFeePpm: 10_000 });
    expect(planRows(plan)).toMatchObject([{ accountId: a, marketId: m, isolatedId: iso, kind: 'close', sizeBase: -100_000_000n }]);
    // S = E' = 2,000 USD; fee = 500 USD; isolated C_after = 2,000 - 500 = 1,500 USD, returned: cross = 500 + 1,500 = 2,000 USD.
    executeConserving(engine);
    expect(engine.liquidationLog()).toMatchObject([{ isolatedId: iso, fundFeeQuote: 500n * USD, surplusQuote: 2_000n * USD }]);
    expect(engine.account(a!).isolated).toEqual([]);
    expect(engine.account(a!).collateralQuote).toBe(2_000n * USD);
  });
});

// ------------------------------------------------------------------------------------------------

describe('liquidation: partial closes', () => {
  // SMALL market, long 10,000 atoms (10 units, notional 1,000 USD) entered at 105 (quote -1,050 USD), collateral 90:
  // E = 90 + 1,000 - 1,050 = 40 USD; MM = 50, IM = 100. Fee 1 %. A close of c atoms at the mark:
  //   E_slice = ceil(40e6 * c / 10,000) = 4,000c; dE = 0; F = ceil(c * 1e8 * 1 % / 1e3) = 1,000c <= S: E_after = 40e6 - 1,000c;
  //   MM_after = 5,000 * (10,000 - c), IM_after = 10,000 * (10,000 - c). Closes are multiples of 30.
  async function partialBook(): Promise<{ engine: RiskEngine; m: number; a: number }> {
    const engine = await createEngine();
    const m = engine.addMarket(SMALL);
    const [a] = engine.addAccounts([{ collateralQuote: 90n * USD, positions: [{ marketId: m, sizeBase: 10_000n, quoteBalance: -1_050n * USD }] }]);
    engine.check();
    return { engine, m, a: a! };
  }

  it('liquidation: the smallest multiple of the step that restores maintenance, initial, and maintenance plus a buffer', async () => {
    const { engine } = await partialBook();
    // Maintenance: 40e6 - 1,000c >= 5,000 (10,000 - c) <=> c >= 2,500 -> 2,520 (= 30 * 84; 2,490 leaves 37.51 < 37.55 USD).
    expect(plannedSizes(engine, { close: 'partial', liquidationFeePpm: 10_000 })).toEqual([-2_520n]);
    // Initial: 40e6 - 1,000c >= 10,000 (10,000 - c) <=> c >= 6,666.7 -> 6,690 (6,660 leaves 33.34 < 33.40 USD).
    expect(plannedSizes(engine, { close: 'partial', target: 'initial', liquidationFeePpm: 10_000 })).toEqual([-6_690n]);
    // Maintenance + 10 %: 40e6 - 1,000c >= ceil(5,500 (10,000 - c)) <=> c >= 3,333.3 -> 3,360 (3,330 leaves 36.67 < 36.685 USD).
    expect(plannedSizes(engine, { close: 'partial', bufferPpm: 100_000, liquidationFeePpm: 10_000 })).toEqual([-3_360n]);
    // Partial is the default.
    expect(plannedSizes(engine, { liquidationFeePpm: 10_000 })).toEqual([-2_520n]);
    // With a 10 % cap (990 atoms) even the cap does not restore maintenance (39.01 < 45.05 USD): c = cap.
    expect(plannedSizes(engine, { close: 'partial', maxCloseFractionPpm: 100_000, liquidationFeePpm: 10_000 })).toEqual([-990n]);
  });

  it('liquidation: the initial target counts the account\'s chosen leverage (imfFloorPpm)', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(SMALL);
    engine.addAccounts([{ collateralQuote: 90n * USD, imfFloorPpm: 200_000, positions: [{ marketId: m, sizeBase: 10_000n, quoteBalance: -1_050n * USD }] }]);
    engine.check();
    // IM_after = ceil((10,000 - c) * 1e8 * 20 % / 1e3) = 20,000 (10,000 - c): 40e6 - 1,000c >= 200e6 - 20,000c <=> c >= 8,421.05
    // -> 8,430 (= 30 * 281; 8,400 leaves 31.60 < 32.00 USD). Maintenance ignores the floor: still 2,520.
    expect(plannedSizes(engine, { close: 'partial', target: 'initial', liquidationFeePpm: 10_000 })).toEqual([-8_430n]);
    expect(plannedSizes(engine, { close: 'partial', liquidationFeePpm: 10_000 })).toEqual([-2_520n]);
  });

  it('liquidation: executing the partial close leaves the account at maintenance', async () => {
    const { engine, m, a } = await partialBook();
    engine.planLiquidations({ close: 'partial', liquidationFeePpm: 10_000 });
    // c = 2,520: quoteClosed = floor(-1,050e6 * 2,520 / 10,000) = -264,600,000; cash = 2,520 * 1e8 / 1e3 = 252,000,000;
    // realized = -12,600,000; fee = 2,520,000; C = 90,000,000 - 12,600,000 - 2,520,000 = 74,880,000;
    // quote = -1,050,000,000 + 264,600,000 = -785,400,000; size 7,480.
    const summary = executeConserving(engine);
    expect(summary).toMatchObject({ closes: 1, closedNotionalQuote: 252_000_000n, realizedPnlQuote: -12_600_000n, fundFeeQuote: 2_520_000n, surplusQuote: 10_080_000n });
    expect(engine.account(a).collateralQuote).toBe(74_880_000n);
    expect(engine.account(a).positions).toEqual([{ marketId: m, sizeBase: 7_480n, quoteBalance: -785_400_000n, fundingSnapshot: 0n }]);
    // E = 74,880,000 + 748,000,000 - 785,400,000 = 37,480,000 >= MM 37,400,000 (IM 74,800,000).
    engine.check();
    expect(engine.account(a).figures).toMatchObject({ equityQuote: 37_480_000n, mmQuote: 37_400_000n, health: Health.BelowInitial });
  });
});

// ------------------------------------------------------------------------------------------------

describe('liquidation: per-position caps, dust and steps', () => {
  // The same account as the partial closes (10,000 atoms of SMALL, E = 40 < MM 50), closed 'full' under caps.
  async function book(): Promise<RiskEngine> {
    const engine = await createEngine();
    const m = engine.addMarket(SMALL);
    engine.addAccounts([{ collateralQuote: 90n * USD, positions: [{ marketId: m, sizeBase: 10_000n, quoteBalance: -1_050n * USD }] }]);
    engine.check();
    return engine;
  }

  it('liquidation: the fraction cap (dYdX 10 %) rounds down to the step; fractionAboveNotionalQuote is a strict threshold', async () => {
    const engine = await book();
    // capFrac = max(30, floor(floor(10,000 * 10 %) / 30) * 30) = floor(1,000 / 30) * 30 = 990
    expect(plannedSizes(engine, { close: 'full', maxCloseFractionPpm: 100_000 })).toEqual([-990n]);
    // Notional floor(10,000 * 1e8 / 1e3) = 1,000 USD is not above 1,000: no cap, the whole position.
    expect(plannedSizes(engine, { close: 'full', maxCloseFractionPpm: 100_000, fractionAboveNotionalQuote: '1000' })).toEqual([-10_000n]);
    expect(plannedSizes(engine, { close: 'full', maxCloseFractionPpm: 100_000, fractionAboveNotionalQuote: 999_999_999n })).toEqual([-990n]);
    // The dYdX preset: minSize = ceil(ceil(50e6 * 1e3 / 1e8) / 30) * 30 = ceil(500 / 30) * 30 = 510 < 990: 990.
    expect(plannedSizes(engine, LIQUIDATION_PRESETS.dydx)).toEqual([-990n]);
    // Hyperliquid: 20 % only above 100,000 USD notional: the whole position.
    expect(plannedSizes(engine, LIQUIDATION_PRESETS.hyperliquid)).toEqual([-10_000n]);
  });

  it('liquidation: the Hyperliquid preset closes 20 % of a position above 100,000 USD notional, all of one at it', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(BTC);
    // x: long 4 BTC at the mark (200,000 USD), collateral 9,000 < MM 10,000; y: long 2 BTC (100,000 USD), collateral 4,000 < MM 5,000.
    const [x, y] = engine.addAccounts([
      { collateralQuote: 9_000n * USD, positions: [{ marketId: m, sizeBase: 400_000_000n, quoteBalance: -200_000n * USD }] },
      { collateralQuote: 4_000n * USD, positions: [{ marketId: m, sizeBase: 200_000_000n, quoteBalance: -100_000n * USD }] },
    ]);
    engine.check();
    // x: capFrac = max(1, floor(4e8 * 20 %)) = 80,000,000; y: notional 100,000 USD is not above 100,000: the whole 2e8.
    const rows = planRows(engine.planLiquidations(LIQUIDATION_PRESETS.hyperliquid));
    expect(new Map(rows.map((r) => [r.accountId, r.sizeBase]))).toEqual(new Map([[x!, -80_000_000n], [y!, -200_000_000n]]));
  });

  it('liquidation: a minimum close notional raises the cap; a remainder below it closes the whole position', async () => {
    const engine = await book();
    // min 150 USD: minSize = ceil(ceil(150e6 * 1e3 / 1e8) / 30) * 30 = ceil(1,500 / 30) * 30 = 1,500; cap = max(990, 1,500);
    // the remainder 8,500 atoms is 850 USD >= 150: 1,500.
    expect(plannedSizes(engine, { close: 'full', maxCloseFractionPpm: 100_000, minCloseNotionalQuote: '150' })).toEqual([-1_500n]);
    // min 851 USD: minSize = ceil(8,510 / 30) * 30 = 8,520; the remainder 1,480 atoms is 148 USD < 851: dust, the whole position.
    expect(plannedSizes(engine, { close: 'full', maxCloseFractionPpm: 100_000, minCloseNotionalQuote: '851' })).toEqual([-10_000n]);
    // min 850 USD: minSize = ceil(8,500 / 30) * 30 = 8,520 as well (8,500 is not a multiple of 30): remainder 148 < 850: whole.
    expect(plannedSizes(engine, { close: 'full', maxCloseFractionPpm: 100_000, minCloseNotionalQuote: '850' })).toEqual([-10_000n]);
    // min 140 USD: minSize = ceil(1,400 / 30) * 30 = 1,410; remainder 8,590 atoms = 859 USD: 1,410.
    expect(plannedSizes(engine, { close: 'full', maxCloseFractionPpm: 100_000, minCloseNotionalQuote: '140' })).toEqual([-1_410n]);
  });

  it('liquidation: per-round notional cap per group (rounded down to the step; a zero close ends the group)', async () => {
    const engine = await createEngine();
    const m0 = engine.addMarket(SMALL);
    const m1 = engine.addMarket(SMALL);
    // A: 10,000 atoms of m0 at 105 (MM 50), B: 5,000 atoms of m1 at 105 (MM 25); collateral 100:
    // E = 100 - 50 - 25 = 25 USD < M = 75.
    const [a] = engine.addAccounts([{ collateralQuote: 100n * USD, positions: [
      { marketId: m1, sizeBase: 5_000n, quoteBalance: -525n * USD },
      { marketId: m0, sizeBase: 10_000n, quoteBalance: -1_050n * USD },
    ] }]);
    engine.check();
    // Maintenance order: A first. R = 350 USD: A's 1,000 USD > R: c = floor(floor(350e6 * 1e3 / 1e8) / 30) * 30 = 3,480 (348 USD);
    // R = 2 USD: B: 500 USD > 2: c = floor(20 / 30) * 30 = 0: the group ends.
    const plan = engine.planLiquidations({ close: 'full', maxNotionalPerRoundQuote: '350' });
    expect(planRows(plan).map((r) => [r.accountId, r.marketId, r.sizeBase])).toEqual([[a, m0, -3_480n]]);
    // Without the cap: both, whole.
    expect(planRows(engine.planLiquidations({ close: 'full' })).map((r) => [r.marketId, r.sizeBase])).toEqual([[m0, -10_000n], [m1, -5_000n]]);
  });

  it('liquidation: after the dust rule made a close whole, the deficit cap chooses among c\'_k = min(k * step, c)', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(SMALL);
    // Long 10,000 atoms at 120, collateral 0: E = -200 USD; at the mark deficit(c) = 20,000c (as above).
    engine.addAccounts([{ collateralQuote: 0n, positions: [{ marketId: m, sizeBase: 10_000n, quoteBalance: -1_200n * USD }] }]);
    engine.check();
    // Step 1: capFrac = floor(floor(10,000 * 50 %) / 30) * 30 = 4,980; minSize = ceil(ceil(600e6 * 1e3 / 1e8) / 30) * 30 = 6,000;
    //   cap = min(10,000, max(4,980, 6,000)) = 6,000, K = 200, c_k = min(30k, 6,000).
    // Step 3: the remainder 4,000 atoms is 400 USD < 600: c = 10,000 (whole).
    expect(plannedSizes(engine, { close: 'full', maxCloseFractionPpm: 500_000, minCloseNotionalQuote: '600' })).toEqual([-10_000n]);
    // Step 4, Q = 150 USD: deficit(10,000) = 200 USD > Q. The search runs over c'_k = min(30k, c = 10,000),
    //   K' = ceil(10,000 / 30) = 334, for the first k with deficit(c'_k) = 20,000 c'_k > 150e6, i.e. c'_k > 7,500:
    //   k = 251 (7,530); c = (251 - 1) * 30 = 7,500, whose deficit is exactly 150 USD.
    expect(plannedSizes(engine, { close: 'full', maxCloseFractionPpm: 500_000, minCloseNotionalQuote: '600', maxDeficitPerRoundQuote: '150' })).toEqual([-7_500n]);
  });

  it('liquidation: a bankrupt account holding only a bare quote balance is closed out with d = 0 and its deficit recorded', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(SMALL);
    // Size 0, quote -1,000 USD, collateral 500 USD: E = 500 - 1,000 = -500 USD, M = 0: bankrupt.
    const [a] = engine.addAccounts([{ collateralQuote: 500n * USD, positions: [{ marketId: m, sizeBase: 0n, quoteBalance: -1_000n * USD }] }]);
    const before = engine.ledger().totalQuote;
    const report = engine.liquidate({ close: 'full' });
    // One row, d = 0: realized = the quote, -1,000 USD; share E_i = E (M = 0), S = -500, E' = -500:
    // deficit = min(500, 500) = 500 USD; collateral 500 - 1,000 + 500 = 0 and the position is gone.
    expect(report.rounds.length).toBe(1);
    expect(engine.liquidationLog().map((r) => [r.kind, r.sizeBase, r.realizedPnlQuote, r.deficitQuote])).toEqual([['close', 0n, -1_000n * USD, 500n * USD]]);
    expect(engine.deficits()).toEqual([{ accountId: a, marketId: m, amountQuote: 500n * USD }]);
    expect(engine.account(a!).positions).toEqual([]);
    expect(engine.account(a!).collateralQuote).toBe(0n);
    expect(report.remaining).toEqual({ accounts: 0, isolated: 0 });
    expect(engine.ledger().totalQuote).toBe(before);
  });

  it('liquidation: the per-round deficit cap is shared by the positions of a group', async () => {
    const engine = await createEngine();
    const m0 = engine.addMarket(SMALL);
    const m1 = engine.addMarket(SMALL);
    // m0: 10,000 atoms at 120 (v 1,000, quote -1,200, MM 50); m1: 5,000 atoms at 120 (v 500, quote -600, MM 25); collateral 0:
    // E = -200 - 100 = -300 USD, M = 75 USD.
    engine.addAccounts([{ collateralQuote: 0n, positions: [
      { marketId: m0, sizeBase: 10_000n, quoteBalance: -1_200n * USD },
      { marketId: m1, sizeBase: 5_000n, quoteBalance: -600n * USD },
    ] }]);
    engine.check();
    // Q = 150 USD. m0: E_0 = ceil(-300e6 * 50 / 75) = -200e6; deficit(c) = min(20,000c, 300e6); whole = 200 USD > 150:
    //   largest c = 30k with 20,000c <= 150e6: 7,500. Q = 0. The group: E = -300e6 + 150e6 = -150e6.
    // m1: any close has a deficit > 0 = Q: c = 0, the group ends.
    expect(planRows(engine.planLiquidations({ close: 'full', maxDeficitPerRoundQuote: '150' })).map((r) => [r.marketId, r.sizeBase])).toEqual([[m0, -7_500n]]);
    // Q = 250 USD. m0 whole (200 <= 250): Q = 50, E = -300e6 + 200e6 = -100e6, M = 25 USD.
    // m1: E_1 = E = -100e6; deficit(c) = min(20,000c, 100e6) <= 50e6: c <= 2,500: 2,490.
    expect(planRows(engine.planLiquidations({ close: 'full', maxDeficitPerRoundQuote: '250' })).map((r) => [r.marketId, r.sizeBase])).toEqual([[m0, -10_000n], [m1, -2_490n]]);
  });

  it('liquidation: per-round deficit cap: the largest step multiple whose deficit fits', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(SMALL);
    // Long 10,000 atoms at 120 (quote -1,200 USD), collateral 0: E = 1,000 - 1,200 = -200 USD.
    const [a] = engine.addAccounts([{ collateralQuote: 0n, positions: [{ marketId: m, sizeBase: 10_000n, quoteBalance: -1_200n * USD }] }]);
    engine.check();
    // At the mark: E_slice = ceil(-200e6 * c / 10,000) = -20,000c, dE = 0: deficit(c) = 20,000c.
    // Q = 50 USD: the whole close (200 USD) exceeds it; the largest c = 30k with 20,000c <= 50e6 is 2,490 (k = 83).
    expect(plannedSizes(engine, { close: 'full', maxDeficitPerRoundQuote: '50' })).toEqual([-2_490n]);
    // realized = floor(-1,200e6 * 2,490 / 10,000) + 249,000,000 = -298,800,000 + 249,000,000 = -49,800,000;
    // deficit 49,800,000; C = 0 - 49,800,000 + 49,800,000 = 0; quote = -1,200e6 + 298,800,000 = -901,200,000.
    const summary = executeConserving(engine);
    expect(summary).toMatchObject({ closes: 1, deficitQuote: 49_800_000n, realizedPnlQuote: -49_800_000n });
    expect(engine.deficits()).toEqual([{ accountId: a, marketId: m, amountQuote: 49_800_000n }]);
    expect(engine.account(a!).collateralQuote).toBe(0n);
    expect(engine.account(a!).positions).toEqual([{ marketId: m, sizeBase: 7_510n, quoteBalance: -901_200_000n, fundingSnapshot: 0n }]);
  });
});

// ------------------------------------------------------------------------------------------------

describe('liquidation: position order within an account', () => {
  it('liquidation: maintenance (ties by market id), notional, or book order', async () => {
    const engine = await createEngine();
    const m0 = engine.addMarket({ ...SMALL, stepBase: 1n });                           // MM 5 %
    const m1 = engine.addMarket({ ...SMALL, stepBase: 1n, curve: flat(200_000, 100_000) }); // MM 10 %
    const m2 = engine.addMarket({ ...SMALL, stepBase: 1n, curve: flat(40_000, 20_000) });   // MM 2 %
    // Book order m1, m2, m0, all at the mark: m1 4,000 atoms (400 USD, MM 40), m2 20,000 (2,000 USD, MM 40),
    // m0 10,000 (1,000 USD, MM 50). Collateral 100: E = 100 < M = 130.
    engine.addAccounts([{ collateralQuote: 100n * USD, positions: [
      { marketId: m1, sizeBase: 4_000n, quoteBalance: -400n * USD },
      { marketId: m2, sizeBase: 20_000n, quoteBalance: -2_000n * USD },
      { marketId: m0, sizeBase: 10_000n, quoteBalance: -1_000n * USD },
    ] }]);
    engine.check();
    const order = (policy: LiquidationPolicy): number[] => planRows(engine.planLiquidations(policy)).map((r) => r.marketId);
    expect(order({ close: 'full' })).toEqual([m0, m1, m2]);
    expect(order({ close: 'full', order: 'maintenance' })).toEqual([m0, m1, m2]);
    expect(order({ close: 'full', order: 'notional' })).toEqual([m2, m0, m1]);
    expect(order({ close: 'full', order: 'book' })).toEqual([m1, m2, m0]);
    // Partial stops after the first position that restores maintenance (no fee, closes at the mark keep E = 100):
    //   maintenance: m0 first: 100e6 >= 80e6 + 5,000 (10,000 - c) <=> c >= 6,000.
    //   notional: m2 first: 100e6 >= 90e6 + 2,000 (20,000 - c) <=> c >= 15,000.
    expect(planRows(engine.planLiquidations({ close: 'partial' })).map((r) => [r.marketId, r.sizeBase])).toEqual([[m0, -6_000n]]);
    expect(planRows(engine.planLiquidations({ close: 'partial', order: 'notional' })).map((r) => [r.marketId, r.sizeBase])).toEqual([[m2, -15_000n]]);
  });
});

// ------------------------------------------------------------------------------------------------

describe('liquidation: insurance funds', () => {
  it('liquidation: a market with its own fund collects its fees there; the global fund the others', async () => {
    const engine = await createEngine();
    const btc = engine.addMarket(BTC);
    const eth = engine.addMarket({ ...ETH, insuranceFund: 'own' });
    // Long 1 BTC and 10 ETH at the marks, collateral 3,000: E = 3,000 < M = 2,500 + 1,000.
    const [a] = engine.addAccounts([{ collateralQuote: 3_000n * USD, positions: [
      { marketId: btc, sizeBase: 100_000_000n, quoteBalance: -50_000n * USD },
      { marketId: eth, sizeBase: 1_000_000_000n, quoteBalance: -20_000n * USD },
    ] }]);
    engine.check();
    engine.planLiquidations({ close: 'full', liquidationFeePpm: 10_000 });
    // BTC: E_i = ceil(3,000e6 * 2,500 / 3,500) = 2,142,857,143 = S; F = 500 USD: fee 500 USD to fund 0. E = 2,500 USD.
    // ETH: E_i = E = 2,500 USD = S; F = 20,000 * 1 % = 200 USD to ETH's own fund. C = 3,000 - 700 = 2,300 USD.
    const summary = executeConserving(engine);
    expect(summary).toMatchObject({ closes: 2, fundFeeQuote: 700n * USD, surplusQuote: 2_142_857_143n + 2_500n * USD });
    expect([engine.insuranceFund(), engine.insuranceFund(btc), engine.insuranceFund(eth)]).toEqual([500n * USD, 500n * USD, 200n * USD]);
    expect(engine.account(a!).collateralQuote).toBe(2_300n * USD);
    engine.depositInsuranceFund('10', eth);
    engine.depositInsuranceFund(1n, undefined);
    expect([engine.insuranceFund(), engine.insuranceFund(eth)]).toEqual([500n * USD + 1n, 210n * USD]);
    expect(engine.ledger().fundsQuote).toBe(710n * USD + 1n);
  });
});

// ------------------------------------------------------------------------------------------------

describe('liquidation: backstop transfer', () => {
  it('liquidation: a group below 2/3 of MM moves whole to the vault; collateral + quotes change by minus the funding settled', async () => {
    const engine = await createEngine();
    // BTC funding indices: long and short 20 USD per BTC; ETH none.
    const btc = engine.addMarket({ ...BTC, fundingIndexLong: 20n * USD, fundingIndexShort: 20n * USD });
    const eth = engine.addMarket(ETH);
    const [a, vault] = engine.addAccounts([
      // A: long 1 BTC (quote -50,000, snapshot 0: owes ceil(1e8 * 20e6 / 1e8) = 20 USD), long 10 ETH (quote -20,000), collateral 1,000.
      //    E = 1,000 - 20 = 980 USD; M = 2,500 + 1,000 = 3,500: 980e6 * 10^6 < 3,500e6 * 666,667.
      { collateralQuote: 1_000n * USD, positions: [
        { marketId: btc, sizeBase: 100_000_000n, quoteBalance: -50_000n * USD, fundingSnapshot: 0n },
        { marketId: eth, sizeBase: 1_000_000_000n, quoteBalance: -20_000n * USD },
      ] },
      // Vault: short 1 BTC entered at 51,000 (quote +51,000), snapshot 15 USD: owes ceil(-1e8 * (20e6 - 15e6) / 1e8) = -5 USD.
      { collateralQuote: 100_000n * USD, positions: [{ marketId: btc, sizeBase: -100_000_000n, quoteBalance: 51_000n * USD, fundingSnapshot: 15n * USD }] },
    ]);
    engine.check();
    const money = (id: number): bigint => { const s = engine.account(id); return s.collateralQuote + s.positions.reduce((n, p) => n + p.quoteBalance, 0n); };
    const before = money(a!) + money(vault!); // 1,000 - 70,000 + 100,000 + 51,000 = 82,000 USD
    const policy: LiquidationPolicy = { close: 'full', backstopPpm: 666_667, backstopAccountId: vault! };
    const plan = engine.planLiquidations(policy);
    expect(planRows(plan).map((r) => [r.accountId, r.marketId, r.kind, r.sizeBase])).toEqual([
      [a, btc, 'transfer', -100_000_000n], [a, eth, 'transfer', -1_000_000_000n],
    ]);
    // Row BTC: A settles 20, the vault 5 (received): funding 20 - 5 = 15 USD; merged size 0, merged quote
    //   51,000 - 50,000 = 1,000 USD to the vault's collateral: realized 1,000 USD.
    // Row ETH (last): no funding; the vault takes 10 ETH with quote -20,000; A's collateral 1,000 - 20 = 980 moves over.
    const summary = executeConserving(engine);
    expect(summary).toMatchObject({ rows: 2, transfers: 2, closes: 0, fundingQuote: 15n * USD, realizedPnlQuote: 1_000n * USD, transferQuote: 980n * USD, deficitQuote: 0n });
    expect(engine.liquidationLog().map((r) => [r.kind, r.fundingQuote, r.realizedPnlQuote, r.transferQuote])).toEqual([
      ['transfer', 15n * USD, 1_000n * USD, 0n], ['transfer', 0n, 0n, 980n * USD],
    ]);
    expect(engine.account(a!).collateralQuote).toBe(0n);
    expect(engine.account(a!).positions).toEqual([]);
    // Vault: 100,000 + 5 + 1,000 + 980 = 101,985 USD; BTC gone, ETH long 10 with quote -20,000 and the long index 0.
    expect(engine.account(vault!).collateralQuote).toBe(101_985n * USD);
    expect(engine.account(vault!).positions).toEqual([{ marketId: eth, sizeBase: 1_000_000_000n, quoteBalance: -20_000n * USD, fundingSnapshot: 0n }]);
    expect(money(a!) + money(vault!) - before).toBe(-15n * USD);
    // Open interest: BTC long 1 and short 1 merged away; ETH long 10 still open.
    expect([engine.market(btc).openInterestLongBase, engine.market(btc).openInterestShortBase, engine.market(eth).openInterestLongBase]).toEqual([0n, 0n, 1_000_000_000n]);
  });
});

// ------------------------------------------------------------------------------------------------

describe('liquidation: groups in a round', () => {
  // Four accounts long 1 BTC at the mark (MM 2,500 USD): a (collateral 2,000: E/MM 0.8), b (1,250: 0.5),
  // c (isolated, its own collateral 250: 0.1; cross empty) and the vault v (1,000: 0.4).
  async function fourGroups(): Promise<{ engine: RiskEngine; m: number; ids: number[] }> {
    const engine = await createEngine();
    const m = engine.addMarket(BTC);
    const long = [{ marketId: m, sizeBase: 100_000_000n, quoteBalance: -50_000n * USD }];
    const ids = engine.addAccounts([
      { collateralQuote: 2_000n * USD, positions: long },
      { collateralQuote: 1_250n * USD, positions: long },
      { collateralQuote: 0n, isolated: [{ ...long[0]!, collateralQuote: 250n * USD }] },
      { collateralQuote: 1_000n * USD, positions: long },
    ]);
    engine.check();
    return { engine, m, ids };
  }

  it('liquidation: cross groups in risk order, then isolated groups; the backstop account is skipped', async () => {
    const { engine, ids: [a, b, c, v] } = await fourGroups();
    // backstopPpm 5 %: no group has E < 5 % of MM, so every row is a close.
    const plan = engine.planLiquidations({ close: 'full', backstopPpm: 50_000, backstopAccountId: v! });
    expect(planRows(plan).map((r) => [r.accountId, r.isolatedId === NO_ISOLATED ? 'cross' : 'isolated', r.kind])).toEqual([
      [b, 'cross', 'close'], [a, 'cross', 'close'], [c, 'isolated', 'close'],
    ]);
    expect([plan.groups, plan.complete]).toEqual([3, true]);
    // Without a backstop the vault is an ordinary account: risk order v (0.4), b (0.5), a (0.8), then c.
    expect(planRows(engine.planLiquidations({ close: 'full' })).map((r) => r.accountId)).toEqual([v, b, a, c]);
  });

  it('liquidation: an isolated group below the backstop threshold merges into the vault\'s cross book', async () => {
    const { engine, m, ids: [a, b, c, v] } = await fourGroups();
    // backstopPpm 20 %: only c (250 < 20 % of 2,500 = 500) goes to the vault; a and b are closed.
    const plan = engine.planLiquidations({ close: 'full', backstopPpm: 200_000, backstopAccountId: v! });
    expect(planRows(plan).map((r) => [r.accountId, r.kind, r.sizeBase])).toEqual([
      [b, 'close', -100_000_000n], [a, 'close', -100_000_000n], [c, 'transfer', -100_000_000n],
    ]);
    const summary = executeConserving(engine);
    expect(summary).toMatchObject({ closes: 2, transfers: 1, transferQuote: 250n * USD, fundingQuote: 0n, realizedPnlQuote: 0n });
    // The vault: long 1 + 1 = 2 BTC with quote -100,000, collateral 1,000 + 250; c: no isolated position left, cross 0.
    expect(engine.account(v!).positions).toEqual([{ marketId: m, sizeBase: 200_000_000n, quoteBalance: -100_000n * USD, fundingSnapshot: 0n }]);
    expect(engine.account(v!).collateralQuote).toBe(1_250n * USD);
    expect(engine.account(c!).isolated).toEqual([]);
    expect(engine.account(c!).collateralQuote).toBe(0n);
    // a and b closed at the mark with no fee: collateral unchanged, no position.
    expect([engine.account(a!).collateralQuote, engine.account(b!).collateralQuote]).toEqual([2_000n * USD, 1_250n * USD]);
    expect(engine.market(m).openInterestLongBase).toBe(200_000_000n);
  });
});

describe('liquidation: cascade', () => {
  it('liquidation: the dYdX preset needs four rounds of 10 %, with per-round reports', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(BTC);
    // Long 1 BTC at the mark, collateral 2,000: E = 2,000 < MM 2,500.
    const [a] = engine.addAccounts([{ collateralQuote: 2_000n * USD, positions: [{ marketId: m, sizeBase: 100_000_000n, quoteBalance: -50_000n * USD }] }]);
    const ledgerBefore = engine.ledger().totalQuote;
    const report = engine.liquidate(LIQUIDATION_PRESETS.dydx, { maxRounds: 10 });
    // Each round closes 10 % at the mark (min 50 USD = 100,000 atoms is smaller), fee 1.5 % of the notional to fund 0
    // (S = 10 % of E covers it); closes at the mark leave E = E - fee:
    //   1: c = 10,000,000 (5,000 USD), fee 75;     E 1,925,   MM 0.9 * 2,500 = 2,250
    //   2: c =  9,000,000 (4,500 USD), fee 67.5;   E 1,857.5, MM 2,025
    //   3: c =  8,100,000 (4,050 USD), fee 60.75;  E 1,796.75, MM 1,822.5
    //   4: c =  7,290,000 (3,645 USD), fee 54.675; E 1,742.075 >= MM 1,640.25: done.
    expect(report.rounds.map((r) => [r.round, r.closes, r.closedNotionalQuote, r.fundFeeQuote, r.liquidatable.accounts])).toEqual([
      [1, 1, 5_000n * USD, 75_000_000n, 1],
      [2, 1, 4_500n * USD, 67_500_000n, 1],
      [3, 1, 4_050n * USD, 60_750_000n, 1],
      [4, 1, 3_645n * USD, 54_675_000n, 1],
    ]);
    expect(report.totals).toMatchObject({ rows: 4, closes: 4, closedNotionalQuote: 17_195n * USD, fundFeeQuote: 257_925_000n, liquidatorFeeQuote: 0n, deficitQuote: 0n });
    expect(report.remaining).toEqual({ accounts: 0, isolated: 0 });
    expect(engine.insuranceFund()).toBe(257_925_000n);
    expect(engine.ledger().totalQuote).toBe(ledgerBefore);
    expect(engine.account(a!).positions).toEqual([{ marketId: m, sizeBase: 65_610_000n, quoteBalance: -32_805n * USD, fundingSnapshot: 0n }]);
    expect(engine.account(a!).collateralQuote).toBe(2_000n * USD - 257_925_000n);
    expect(engine.account(a!).figures).toMatchObject({ equityQuote: 1_742_075_000n, mmQuote: 1_640_250_000n, health: Health.BelowInitial });
  });

  it('liquidation: maxRounds stops the cascade early and reports what remains', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(BTC);
    engine.addAccounts([{ collateralQuote: 2_000n * USD, positions: [{ marketId: m, sizeBase: 100_000_000n, quoteBalance: -50_000n * USD }] }]);
    const report = engine.liquidate(LIQUIDATION_PRESETS.dydx, { maxRounds: 2 });
    expect(report.rounds.map((r) => r.round)).toEqual([1, 2]);
    expect(report.remaining).toEqual({ accounts: 1, isolated: 0 });
    expect(engine.insuranceFund()).toBe(75_000_000n + 67_500_000n);
  });
});
