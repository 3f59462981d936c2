import { describe, expect, it } from 'vitest';
import { createEngine } from '../support/engine.js';

describe('engine smoke', () => {
  it('checks a one-position account by hand', async () => {
    const e = await createEngine();
    // BTC-like market: 8 base decimals, mark 60,000.000000 quote atoms per BTC, flat 10 % / 5 %.
    const m = e.addMarket({ baseDecimals: 8, markPrice: 60_000_000_000n, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } });
    // 0.5 BTC long bought at 60,000: quote = -30,000 USD; collateral 2,000 USD.
    const [a] = e.addAccounts([{ collateralQuote: '2000', positions: [{ marketId: m, sizeBase: 50_000_000n, quoteBalance: -30_000_000_000n }] }]);
    e.check();
    // value = floor(5e7 * 6e10 / 1e8) - 3e10 = 0; equity = 2e9; IM = ceil(3e10 * 0.1) = 3e9; MM = 1.5e9.
    expect(e.account(a!).figures).toEqual({ equityQuote: 2_000_000_000n, imQuote: 3_000_000_000n, mmQuote: 1_500_000_000n, freeQuote: -1_000_000_000n, health: 1 });
  });
});
