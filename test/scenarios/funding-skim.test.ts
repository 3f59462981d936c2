/**
 * The funding skim (docs/ECONOMICS.md, "Funding skim"), worked by hand.
 *
 * Book: m0 BTC-like (D = 1e8 base atoms per BTC, mark 50,000 USD = 5e10 quote atoms, flat 10 %/5 %,
 * global fund). a0: 100,000 USD, 3 BTC long entered at 50,000 (quote -150,000 USD); a1: 100,000 USD,
 * 2 BTC short entered at 50,000 (quote +100,000 USD). Open interest: 3e8 long, 2e8 short.
 *
 * Accrual 1: rate +100 ppm (longs pay), skim 200,000 ppm (20 %):
 *   delta   = floor(5e10 * 100 / 1e6)              = 5,000,000 atoms per BTC (5 USD)
 *   receivers' move = floor(5,000,000 * 800,000 / 1e6) = 4,000,000
 *   fundingLong += 5,000,000, fundingShort += 4,000,000
 *   skim    = floor(min(3e8, 2e8) * (5,000,000 - 4,000,000) / 1e8) = 2,000,000 atoms (2 USD)
 *   a0 owes ceil(3e8 * 5,000,000 / 1e8) = 15,000,000 (15 USD); a1 owes ceil(-2e8 * 4,000,000 / 1e8) = -8,000,000 (receives 8 USD).
 *
 * Accrual 2: mark 50,000.000001 USD (50,000,000,001 atoms), rate -37 ppm (shorts pay), skim 20 %:
 *   delta   = floor(50,000,000,001 * -37 / 1e6) = floor(-1,850,000.000037) = -1,850,001 (the payers' move, rounded against them)
 *   receivers' move = floor(1,850,001 * 800,000 / 1e6) = floor(1,480,000.8) = 1,480,000
 *   fundingShort -= 1,850,001, fundingLong -= 1,480,000
 *   skim    = floor(2e8 * (1,850,001 - 1,480,000) / 1e8) = 2 * 370,001 = 740,002
 *
 * Skim pool 2,000,000 + 740,002 = 2,740,002 through the skim row {fund 50 %, stakers 33.3333 %,
 * treasury 16.6667 %}: fund floor(1,370,001) = 1,370,001; stakers floor(913,333.09) = 913,333;
 * treasury floor(456,667.51) = 456,667; sum 2,740,001, remainder 1 to the residue.
 */
import { describe, expect, it } from 'vitest';
import type { RiskEngine } from '../../dist/src/node.js';
import { caught, createEngine, stateDigest } from '../support/engine.js';

const USD = 1_000_000n;
const BTC = 100_000_000n;

async function venue(): Promise<RiskEngine> {
  const e = await createEngine();
  e.addMarket({ baseDecimals: 8, markPrice: 50_000n * USD, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } });
  e.addAccounts([
    { collateralQuote: 100_000n * USD, positions: [{ marketId: 0, sizeBase: 3n * BTC, quoteBalance: -150_000n * USD }] },
    { collateralQuote: 100_000n * USD, positions: [{ marketId: 0, sizeBase: -2n * BTC, quoteBalance: 100_000n * USD }] },
  ]);
  return e;
}

describe('funding skim', () => {
  it('longs pay the full move, shorts receive 80 %, the venue keeps the gap on the smaller side (worked example)', async () => {
    const e = await venue();
    const total = e.ledger().totalQuote;
    const r = e.accrueFunding(0, { ratePpm: 100, skimPpm: 200_000 }, 3_600);
    expect(r).toEqual({ fundingLongDelta: 5_000_000n, fundingShortDelta: 4_000_000n, skimQuote: 2_000_000n });
    const m = e.market(0);
    expect([m.fundingIndexLong, m.fundingIndexShort]).toEqual([5_000_000n, 4_000_000n]);
    expect(e.revenue().markets[0]!.skimPoolQuote).toBe(2_000_000n);
    // The skim is new money into the venue: the ledger's total grows by it.
    expect(e.ledger().totalQuote - total).toBe(2_000_000n);
    expect(e.flowLog.records().at(-1)).toMatchObject({ kind: 'fundingSkim', source: 'fundingSkim', id: 0, amountQuote: 2_000_000n, sec: 3_600n });
    // Equity: a0 = 100,000 USD + 0 PnL - 15 USD funding; a1 = 100,000 USD + 8 USD.
    e.check();
    expect(e.account(0).figures.equityQuote).toBe(100_000n * USD - 15n * USD);
    expect(e.account(1).figures.equityQuote).toBe(100_000n * USD + 8n * USD);
  });

  it('a negative rate: shorts pay floor(mark * r / 10^6) (toward minus infinity), longs receive less; the skim row splits the pool', async () => {
    const e = await venue();
    e.accrueFunding(0, { ratePpm: 100, skimPpm: 200_000 });
    e.setMarks([0], [50_000_000_001n]);
    const r = e.accrueFunding(0, { ratePpm: -37, skimPpm: 200_000 });
    expect(r).toEqual({ fundingLongDelta: -1_480_000n, fundingShortDelta: -1_850_001n, skimQuote: 740_002n });
    const m = e.market(0);
    expect([m.fundingIndexLong, m.fundingIndexShort]).toEqual([5_000_000n - 1_480_000n, 4_000_000n - 1_850_001n]);
    expect(e.revenue().markets[0]!.skimPoolQuote).toBe(2_740_002n);

    e.setRevenueSplit({ fundingSkim: { insuranceFund: 500_000, stakers: 333_333, treasury: 166_667 } });
    expect(e.revenue().split.fundingSkim).toEqual({ insuranceFund: 500_000, backstopVault: 0, stakers: 333_333, treasury: 166_667, pnlPool: 0 });
    const total = e.ledger().totalQuote, residue = e.waterfallBalances().residueQuote, fund = e.insuranceFund();
    const d = e.distributeRevenue(7_200);
    expect(d.bySource.fundingSkim).toEqual({ insuranceFund: 1_370_001n, backstopVault: 0n, stakers: 913_333n, treasury: 456_667n, pnlPool: 0n });
    expect(d.roundingQuote).toBe(1n);
    expect(e.insuranceFund() - fund).toBe(1_370_001n);
    expect(e.ledger().revenuePoolsQuote).toBe(913_333n);
    expect(e.revenue().treasuryQuote).toBe(456_667n);
    expect(e.revenue().markets[0]!.skimPoolQuote).toBe(0n);
    expect(e.waterfallBalances().residueQuote - residue).toBe(1n);
    expect(e.ledger().totalQuote).toBe(total);
  });

  it('the default skim row sends everything to the insurance fund; skim 0 moves both indices alike and keeps nothing', async () => {
    const e = await venue();
    expect(e.accrueFunding(0, { ratePpm: 100 })).toEqual({ fundingLongDelta: 5_000_000n, fundingShortDelta: 5_000_000n, skimQuote: 0n });
    expect(e.accrueFunding(0, { ratePpm: 0, skimPpm: 500_000 })).toEqual({ fundingLongDelta: 0n, fundingShortDelta: 0n, skimQuote: 0n });
    expect(e.flowLog.records().filter((f) => f.kind === 'fundingSkim')).toEqual([]);
    e.accrueFunding(0, { ratePpm: 100, skimPpm: 1_000_000 }); // receivers get nothing: skim = 2e8 * 5e6 / 1e8 = 1e7
    expect(e.revenue().markets[0]!.skimPoolQuote).toBe(10_000_000n);
    const fund = e.insuranceFund();
    e.distributeRevenue();
    expect(e.insuranceFund() - fund).toBe(10_000_000n);
  });

  it('refuses an unknown market, a rate or skim out of range, a bad second and an index past 2^61, and changes nothing', async () => {
    const e = await venue();
    e.accrueFunding(0, { ratePpm: 100, skimPpm: 200_000 });
    const before = stateDigest(e) + JSON.stringify(e.revenue(), (_, v) => (typeof v === 'bigint' ? `${v}` : v));
    const cases: [() => unknown, string, string][] = [
      [() => e.accrueFunding(3, { ratePpm: 1 }), 'UnknownMarket', 'marketId'],
      [() => e.accrueFunding(0, { ratePpm: 1_000_001 }), 'InvalidEconomics', 'fundingRatePpm'],
      [() => e.accrueFunding(0, { ratePpm: -1_000_001 }), 'InvalidEconomics', 'fundingRatePpm'],
      [() => e.accrueFunding(0, { ratePpm: 1.5 }), 'InvalidEconomics', 'fundingRatePpm'],
      [() => e.accrueFunding(0, { ratePpm: 1, skimPpm: -1 }), 'InvalidEconomics', 'skimPpm'],
      [() => e.accrueFunding(0, { ratePpm: 1, skimPpm: 1_000_001 }), 'InvalidEconomics', 'skimPpm'],
      [() => e.accrueFunding(0, { ratePpm: 1, rate: 2 } as never), 'InvalidEconomics', 'accrual'],
      [() => e.accrueFunding(0, { ratePpm: 1 }, -1), 'InvalidNumber', 'nowSec'],
    ];
    for (const [call, code, field] of cases) {
      const x = caught(call);
      expect([x.codeName, x.field]).toEqual([code, field]);
    }
    expect(stateDigest(e) + JSON.stringify(e.revenue(), (_, v) => (typeof v === 'bigint' ? `${v}` : v))).toBe(before);

    // An index near 2^61: a mark of 2^61 USD-atoms and rate 10^6 would move it by 2^61 more.
    const f = await venue();
    f.setFundingIndices([0], [1n << 60n], [0n]);
    f.setMarks([0], [1n << 61n]);
    const was = stateDigest(f);
    const o = caught(() => f.accrueFunding(0, { ratePpm: 1_000_000, skimPpm: 1 }));
    expect([o.codeName, o.field]).toEqual(['Overflow', 'fundingRatePpm']);
    expect(stateDigest(f)).toBe(was);
    expect(f.revenue().markets[0]!.skimPoolQuote).toBe(0n);
  });
});
