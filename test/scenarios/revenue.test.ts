/**
 * Trading fees and the revenue split (docs/ECONOMICS.md), worked by hand.
 *
 * Book: m0 BTC-like (D = 1e8, mark 50,000 USD, flat 10 %/5 %, global fund), maker -100 ppm (a 1 bp
 * rebate), taker 500 ppm (5 bp); m1 ETH-like (D = 1e8, mark 3,000 USD, flat, its own fund), no fees.
 * a0, a1: 1,000,000 USD each; a2: empty (the vault account where named); a3: 30 USD, 0.1 ETH long
 * entered at 3,000 (quote -300 USD).
 */
import { describe, expect, it } from 'vitest';
import type { RiskEngine } from '../../dist/src/node.js';
import { caught, createEngine, stateDigest } from '../support/engine.js';

const USD = 1_000_000n;

async function venue(): Promise<RiskEngine> {
  const e = await createEngine();
  e.addMarket({ baseDecimals: 8, markPrice: 50_000n * USD, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 }, fees: { makerPpm: -100, takerPpm: 500 } });
  e.addMarket({ baseDecimals: 8, markPrice: 3_000n * USD, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 }, insuranceFund: 'own' });
  e.addAccounts([
    { collateralQuote: 1_000_000n * USD }, { collateralQuote: 1_000_000n * USD }, { collateralQuote: 0n },
    { collateralQuote: 30n * USD, positions: [{ marketId: 1, sizeBase: 10_000_000n, quoteBalance: -300n * USD }] },
  ]);
  return e;
}

describe('trading fees', () => {
  it('a taker pays ceil(ceil(|size| * price / D) * takerPpm / 10^6) into the market fee pool', async () => {
    const e = await venue();
    // 0.01 BTC at 50,000: notional = 1e6 * 5e10 / 1e8 = 5e8 atoms (500 USD); fee = 5e8 * 500 / 1e6 = 250,000 (0.25 USD).
    const r = e.applyFill({ accountId: 0, marketId: 0, sizeDeltaBase: 1_000_000n, priceQuote: 50_000n * USD });
    expect(r.feeQuote).toBe(250_000n);
    expect(e.account(0).collateralQuote).toBe(1_000_000n * USD - 250_000n); // an opening fill moves cash to the quote balance only
    expect(e.revenue().markets[0]!.feePoolQuote).toBe(250_000n);
    expect(e.flowLog.records().at(-1)).toMatchObject({ kind: 'tradingFee', accountId: 0, id: 0, amountQuote: 250_000n });
  });

  it('both roundings go against the trader: the fee rounds the notional up, the rebate down', async () => {
    const e = await venue();
    // 333 base atoms at 50,000.01 USD: |size| * price / D = 333 * 50,000,010,000 / 1e8 = 166,500.0333 atoms.
    // Taker: ceil(ceil(166,500.0333) * 500 / 1e6) = ceil(166,501 * 0.0005) = ceil(83.2505) = 84.
    const price = 50_000_010_000n;
    expect(e.applyFill({ accountId: 0, marketId: 0, sizeDeltaBase: 333n, priceQuote: price }).feeQuote).toBe(84n);
    // Maker: rebate floor(floor(166,500.0333) * 100 / 1e6) = floor(166,500 * 0.0001) = floor(16.65) = 16, paid to the maker.
    expect(e.applyFill({ accountId: 1, marketId: 0, sizeDeltaBase: -333n, priceQuote: price, liquidity: 'maker' }).feeQuote).toBe(-16n);
    expect(e.account(1).collateralQuote).toBe(1_000_000n * USD + 16n);
    expect(e.revenue().markets[0]!.feePoolQuote).toBe(84n - 16n);
  });

  it('a closing fill pays its fee out of the collateral it realizes into; preTrade sees the fee', async () => {
    const e = await venue();
    e.applyFill({ accountId: 0, marketId: 0, sizeDeltaBase: 1_000_000n, priceQuote: 50_000n * USD }); // fee 250,000
    // Close at 51,000: realized = 0.01 * 1,000 = 10 USD; fee on 510 USD notional = 510e6 * 500 / 1e6 = 255,000.
    const pre = e.preTrade({ accountId: 0, marketId: 0, sizeDeltaBase: -1_000_000n, priceQuote: 51_000n * USD });
    expect(pre.equityQuote).toBe(1_000_000n * USD - 250_000n + 10n * USD - 255_000n);
    e.applyFill({ accountId: 0, marketId: 0, sizeDeltaBase: -1_000_000n, priceQuote: 51_000n * USD });
    expect(e.account(0).collateralQuote).toBe(1_000_000n * USD - 250_000n + 10n * USD - 255_000n);
    expect(e.revenue().markets[0]!.feePoolQuote).toBe(505_000n);
  });

  it('a rebate beyond the taker fee, or a fee outside 0..10^6, is refused before anything changes', async () => {
    const e = await venue();
    const before = stateDigest(e);
    const a = caught(() => e.setMarketFees(0, { makerPpm: -501, takerPpm: 500 }));
    expect([a.codeName, a.field]).toEqual(['InvalidEconomics', 'makerFeePpm']);
    const b = caught(() => e.setMarketFees(0, { makerPpm: 0, takerPpm: 1_000_001 }));
    expect([b.codeName, b.field]).toEqual(['InvalidEconomics', 'takerFeePpm']);
    const c = caught(() => e.setMarketFees(7, { makerPpm: 0, takerPpm: 1 }));
    expect(c.codeName).toBe('UnknownMarket');
    const d = caught(() => e.applyFill({ accountId: 0, marketId: 0, sizeDeltaBase: 1n, priceQuote: 1n, liquidity: 'both' as 'maker' }));
    expect([d.codeName, d.field]).toEqual(['OutOfRange', 'liquidity']);
    expect(stateDigest(e)).toBe(before);
  });
});

describe('the revenue split', () => {
  const SPLIT = { insuranceFund: 400_000, backstopVault: 100_000, stakers: 250_000, treasury: 150_000, pnlPool: 100_000 };

  it('distributes the fee pool by floors and sends the remainder to the residue; the ledger does not move', async () => {
    const e = await venue();
    e.setVaultAccount(2);
    e.applyFill({ accountId: 0, marketId: 0, sizeDeltaBase: 1_000_000n, priceQuote: 50_000n * USD }); // +250,000
    e.applyFill({ accountId: 1, marketId: 0, sizeDeltaBase: -333n, priceQuote: 50_000_010_000n, liquidity: 'maker' }); // -16
    e.setRevenueSplit({ tradingFees: SPLIT });
    const total = e.ledger().totalQuote, residue = e.waterfallBalances().residueQuote;
    // Pool 249,984: fund floor(99,993.6) = 99,993; vault floor(24,998.4) = 24,998; stakers 62,496;
    // treasury floor(37,497.6) = 37,497; PnL pool 24,998. Sum 249,982; remainder 2 to the residue.
    const r = e.distributeRevenue(3_600);
    expect(r.bySource.tradingFees).toEqual({ insuranceFund: 99_993n, backstopVault: 24_998n, stakers: 62_496n, treasury: 37_497n, pnlPool: 24_998n });
    expect(r.roundingQuote).toBe(2n);
    expect(e.insuranceFund()).toBe(99_993n);
    expect(e.account(2).collateralQuote).toBe(24_998n);
    const state = e.revenue();
    expect([state.treasuryQuote, state.markets[0]!.feePoolQuote, state.markets[0]!.pnlPoolQuote]).toEqual([37_497n, 0n, 24_998n]);
    const ledger = e.ledger();
    expect(ledger.revenuePoolsQuote).toBe(62_496n);
    expect(ledger.totalQuote).toBe(total);
    expect(e.waterfallBalances().residueQuote - residue).toBe(2n);
    expect(e.flowLog.records().filter((f) => f.kind === 'distribution').every((f) => f.sec === 3_600n && f.source === 'tradingFees')).toBe(true);
  });

  it('without a vault account the vault share goes to the treasury; a negative pool waits', async () => {
    const e = await venue();
    e.applyFill({ accountId: 0, marketId: 0, sizeDeltaBase: 1_000_000n, priceQuote: 50_000n * USD }); // +250,000
    e.setRevenueSplit({ tradingFees: SPLIT });
    e.distributeRevenue();
    // Treasury: floor(250,000 * 0.15) + floor(250,000 * 0.1) = 37,500 + 25,000.
    expect(e.revenue().treasuryQuote).toBe(62_500n);
    e.applyFill({ accountId: 1, marketId: 0, sizeDeltaBase: -1_000_000n, priceQuote: 50_000n * USD, liquidity: 'maker' }); // rebate 5e8 * 1e-4 = 50,000
    expect(e.revenue().markets[0]!.feePoolQuote).toBe(-50_000n);
    e.distributeRevenue();
    expect(e.revenue().markets[0]!.feePoolQuote).toBe(-50_000n);
    expect(e.revenue().treasuryQuote).toBe(62_500n);
  });

  it('re-routes the fund fees of a liquidation out of the fund by the liquidation row', async () => {
    const e = await venue();
    // ETH to 2,800: a3's PnL = 0.1 * 2,800 - 300 = -20 USD; equity 10 < MM 5 % * 280 = 14: liquidatable.
    e.setMarks([1], [2_800n * USD]);
    e.check();
    // Full close at the mark; fee 1 % of 280 USD = 2.8 USD, all to the fund (liquidator share 0).
    const report = e.liquidate({ close: 'full', liquidationFeePpm: 10_000, liquidatorSharePpm: 0 });
    expect(report.totals.fundFeeQuote).toBe(2_800_000n);
    expect(e.insuranceFund(1)).toBe(2_800_000n);
    expect(e.revenue().markets[1]!.liquidationRevenueQuote).toBe(2_800_000n);
    e.setRevenueSplit({ liquidationFees: { insuranceFund: 500_000, treasury: 300_000, stakers: 200_000 } });
    const total = e.ledger().totalQuote;
    e.distributeRevenue();
    // Out of m1's own fund: treasury 2.8e6 * 0.3 = 840,000, stakers 560,000; the fund keeps 1,400,000.
    expect(e.revenue().treasuryQuote).toBe(840_000n);
    expect(e.ledger().revenuePoolsQuote).toBe(560_000n);
    expect(e.insuranceFund(1)).toBe(1_400_000n);
    expect(e.revenue().markets[1]!.liquidationRevenueQuote).toBe(0n);
    expect(e.ledger().totalQuote).toBe(total);
  });

  it('refuses a row that does not sum to 10^6, an unknown source or destination, and sets no row', async () => {
    const e = await venue();
    const before = JSON.stringify(e.revenue().split);
    const a = caught(() => e.setRevenueSplit({ tradingFees: { treasury: 1_000_000 }, liquidationFees: { treasury: 999_999 } }));
    expect([a.codeName, a.field, a.row]).toEqual(['InvalidEconomics', 'splitPpm', 1]);
    const b = caught(() => e.setRevenueSplit({ borrowFees: { treasury: 1_000_000 } } as never));
    expect([b.codeName, b.field]).toEqual(['InvalidEconomics', 'revenueSource']);
    const c = caught(() => e.setRevenueSplit({ tradingFees: { treasury: 500_000, toString: 500_000 } as never }));
    expect([c.codeName, c.field, c.row]).toEqual(['InvalidEconomics', 'splitPpm', 0]);
    const d = caught(() => e.setRevenueSplit({ tradingFees: { treasury: 1_500_000, insuranceFund: -500_000 } }));
    expect([d.codeName, d.field]).toEqual(['InvalidEconomics', 'splitPpm']);
    expect(JSON.stringify(e.revenue().split)).toBe(before);
  });
});
