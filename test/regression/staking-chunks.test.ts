/**
 * A settle over more funds than the core's flow rows (FLOW_ROWS, 1,024) hold: the core settles in
 * chunks and the API runs them all in one call, every fund settled once, every flow journaled.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../support/engine.js';
import { flatMarket } from '../scenarios/support.js';
import { addRevenue } from '../support/staking.js';

describe('staking: a settle in chunks', () => {
  it('1,100 funds with revenue settle in one call, each once', async () => {
    const engine = await createEngine({ maxAccounts: 100, maxPositions: 2_000, maxIsolated: 10, maxMarkets: 1_100 });
    const n = 1_100;
    for (let i = 0; i < n; i++) engine.addMarket(flatMarket(1n, 0, { insuranceFund: 'own' }));
    const [trader] = engine.addAccounts([{ collateralQuote: 10n ** 15n }]);
    // Market m's pool gets 10 + m % 7 (fund 1 + m); nobody staked, so no APR cap: the whole pool settles.
    for (let m = 0; m < n; m++) addRevenue(engine, m, trader!, BigInt(10 + (m % 7)));
    engine.setStaking({ settlePeriodSec: 60, settleFractionPpm: 1_000_000 });
    const expected = Array.from({ length: n }, (_, m) => BigInt(10 + (m % 7))).reduce((s, x) => s + x, 0n);
    const before = engine.ledger().totalQuote, flows = engine.flowLog.length;
    expect(engine.settleStakingRevenue(60)).toBe(expected);
    expect(engine.ledger().totalQuote).toBe(before);
    const settles = engine.flowLog.records(flows);
    expect(settles.length).toBe(n);
    expect(settles.map((f) => f.id)).toEqual(Array.from({ length: n }, (_, m) => m + 1));
    for (const m of [0, 1_023, 1_024, n - 1]) expect(engine.staking(m + 1)).toMatchObject({ balanceQuote: BigInt(10 + (m % 7)), revenuePoolQuote: 0n, lastSettleSec: 60n });
    // Once per period: nothing more in the same minute.
    expect(engine.settleStakingRevenue(119)).toBe(0n);
  });
});
