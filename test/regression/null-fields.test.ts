/**
 * Regression: only an absent optional field (undefined) takes its default; null is a value, and no
 * amount or count. Before, the API read optional fields with `??`, so `addAccounts([{
 * collateralQuote: null }])` added an account with collateral 0, a position's `quoteBalance: null` or
 * `fundingSnapshot: null` became 0, an isolated position's `collateralQuote: null` 0, a market's
 * `fundingIndexLong: null` 0 and `stepBase: null` 1, a fill's `isolatedMarginQuote: null` 0, and
 * `RiskEngine.create({ maxAccounts: null })` the default capacity; `RiskEngine.create(null)` threw a
 * TypeError. Each is now an InputError naming the field, and nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { InputError, RiskEngine, type AccountInput, type MarketSpec } from '../../dist/src/node.js';
import { expectRefusedUnchanged, fixture } from './support.js';

const FLAT = { kind: 'flat' as const, imfPpm: 100_000, mmfPpm: 50_000 };

describe('regression: null is not an absent field', () => {
  it('addAccounts and addMarket refuse null amounts and counts', async () => {
    const f = await fixture();
    const e = f.engine;
    const accounts: [string, AccountInput][] = [
      ['collateralQuote', { collateralQuote: null as never }],
      ['imfFloorPpm', { imfFloorPpm: null as never }],
      ['quoteBalance', { positions: [{ marketId: f.m0, sizeBase: 1n, quoteBalance: null as never }] }],
      ['fundingSnapshot', { positions: [{ marketId: f.m0, sizeBase: 1n, fundingSnapshot: null as never }] }],
      ['quoteBalance', { isolated: [{ marketId: f.m1, sizeBase: 1n, quoteBalance: null as never }] }],
      ['collateralQuote', { isolated: [{ marketId: f.m1, sizeBase: 1n, collateralQuote: null as never }] }],
    ];
    for (const [field, spec] of accounts) {
      const err = expectRefusedUnchanged(e, () => e.addAccounts([spec]), `addAccounts ${JSON.stringify(spec, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`, field);
      expect(err).toBeInstanceOf(InputError);
      expect(err.row).toBe(0);
    }
    const markets: [string, MarketSpec][] = [
      ['fundingIndexLong', { baseDecimals: 0, markPrice: 1n, curve: FLAT, fundingIndexLong: null as never }],
      ['fundingIndexShort', { baseDecimals: 0, markPrice: 1n, curve: FLAT, fundingIndexShort: null as never }],
      ['stepBase', { baseDecimals: 0, markPrice: 1n, curve: FLAT, stepBase: null as never }],
    ];
    for (const [field, spec] of markets) {
      expect(expectRefusedUnchanged(e, () => e.addMarket(spec), `addMarket with ${field} null`, field)).toBeInstanceOf(InputError);
    }
    // Left out, each takes its default.
    expect(e.addAccounts([{}])).toEqual([e.accountCount - 1]);
    expect(e.account(e.accountCount - 1)).toMatchObject({ collateralQuote: 0n, imfFloorPpm: 0 });
    e.dispose();
  });

  it('a fill refuses a null isolated margin', async () => {
    const f = await fixture();
    const e = f.engine;
    const fill = { accountId: f.long, marketId: f.m1, sizeDeltaBase: 1n, priceQuote: 200n, isolated: true, isolatedMarginQuote: null as never };
    expectRefusedUnchanged(e, () => e.applyFill(fill), 'applyFill with isolatedMarginQuote null', 'isolatedMarginQuote');
    expectRefusedUnchanged(e, () => e.preTrade(fill), 'preTrade with isolatedMarginQuote null', 'isolatedMarginQuote');
    e.dispose();
  });

  it('RiskEngine.create refuses null options and null capacities', async () => {
    for (const [options, field] of [[null, 'options'], [{ maxAccounts: null }, 'maxAccounts'], [{ maxMarkets: null }, 'maxMarkets'], [{ quoteDecimals: null }, 'quoteDecimals']] as const) {
      await expect(RiskEngine.create(options as never), JSON.stringify(options)).rejects.toMatchObject({ name: 'InputError', field });
    }
  });
});
