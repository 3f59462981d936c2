/**
 * Regressions: liquidation and bankruptcy prices (docs/FORMULAS.md, "Prices, per position") of
 * accounts whose intermediates leave i64 near 2^62 atoms, inside the supported range. Every price
 * the formulas define is computed (128-bit intermediates), and an account whose figures themselves
 * leave i64 (check() refuses it with Overflow) gets PRICE_UNDEFINED in its rows instead of failing
 * the whole chunk of the book-wide scan. Each case runs on the debug and the release core.
 *
 * Markets use D = 1 (baseDecimals 0). Notation: s size, m mark, v = floor(s m / D), E equity, M MM
 * of the group, MM_i the position's, A0 = (E - v) - (M - MM_i), E_i = ceil(E MM_i / M), T = v - E_i;
 * a long's LP = ceil(-A0 10^6 D / (s (10^6 - mmf))) and BP = ceil(T D / s).
 */
import { describe, expect, it } from 'vitest';
import { PRICE_ALWAYS, PRICE_UNDEFINED, type RiskEngine } from '../../dist/src/node.js';
import { createEngine } from '../support/engine.js';

const P31 = 1n << 31n;
const P61 = 1n << 61n;
const P62 = 1n << 62n;
const CORES = [false, true] as const;
const coreName = (release: boolean): string => (release ? 'release' : 'debug');
const ONE_PPM = { kind: 'flat', imfPpm: 1, mmfPpm: 1 } as const;

/** Rows of positionPrices as [market, size, LP, BP]. */
const rowsOf = (engine: RiskEngine, accountId: number): [number, bigint, bigint, bigint][] =>
  engine.positionPrices(accountId).map((r) => [r.marketId, r.sizeBase, r.liquidationPriceQuote, r.bankruptcyPriceQuote]);

/** Every row of the book-wide scan (from account 0, chunk by chunk) as [account, market, size, LP, BP]. */
function scan(engine: RiskEngine): [number, number, bigint, bigint, bigint][] {
  const out: [number, number, bigint, bigint, bigint][] = [];
  for (let from = 0; from < engine.accountCount;) {
    const v = engine.positionPricesView(from);
    for (let i = 0; i < v.accountId.length; i++) out.push([v.accountId[i]!, v.marketId[i]!, v.sizeBase[i]!, v.liquidationPriceQuote[i]!, v.bankruptcyPriceQuote[i]!]);
    from = v.nextAccountId;
  }
  return out;
}

/**
 * Market 0: flat 1 ppm / 1 ppm at mark 2^31. Account 0: collateral -2^62, long s = 2^31 - 1 with
 * quote -2^62.
 *   v = (2^31 - 1) 2^31 = 2^62 - 2^31;  value = v - 2^62 = -2^31;  E = -2^62 - 2^31
 *   MM = IM = ceil((2^62 - 2^31) / 10^6) = 4,611,686,016,280;  free = E - IM (fits i64): check() accepts it.
 *   A0 = (E - v) - 0 = -2^63 (E - v is i64.MIN itself).
 *   LP = ceil(2^63 10^6 / ((2^31 - 1) 999,999)) = ceil(9,223,372,036,854,775,808,000,000 / 2,147,481,499,516,353)
 *      = 4,294,971,593  (4,294,971,592 x 2,147,481,499,516,353 = 9,223,372,034,768,297,874,443,976, 2,086,477,933,556,024 short)
 *   E_i = E (one position);  T = v - E = 2^62 - 2^31 + 2^62 + 2^31 = 2^63, outside i64
 *   BP = ceil(2^63 / (2^31 - 1)) = 4,294,967,299  ((2^31 - 1)(2^32 + 2) = 2^63 - 2: the quotient is 2^32 + 2 and a bit)
 */
async function reproducer(release: boolean): Promise<RiskEngine> {
  const engine = await createEngine({ release });
  engine.addMarket({ baseDecimals: 0, markPrice: P31, curve: ONE_PPM });
  engine.addAccounts([{ collateralQuote: -P62, positions: [{ marketId: 0, sizeBase: P31 - 1n, quoteBalance: -P62 }] }]);
  return engine;
}

describe('prices whose intermediates leave i64 are computed', () => {
  for (const release of CORES) {
    it(`[${coreName(release)}] T = 2^63 and A0 = -2^63: LP 4,294,971,593, BP 4,294,967,299`, async () => {
      const engine = await reproducer(release);
      engine.check();
      expect(engine.account(0).figures).toMatchObject({ equityQuote: -P62 - P31, mmQuote: 4_611_686_016_280n, imQuote: 4_611_686_016_280n });
      expect(rowsOf(engine, 0)).toEqual([[0, P31 - 1n, 4_294_971_593n, 4_294_967_299n]]);
      expect(scan(engine)).toEqual([[0, 0, P31 - 1n, 4_294_971_593n, 4_294_967_299n]]);
    });

    // The same account after the book changed (a mark set to its own value): figures summed afresh.
    it(`[${coreName(release)}] the same prices with the group summed afresh (no current check)`, async () => {
      const engine = await reproducer(release);
      engine.setMarks([0], [P31]);
      expect(rowsOf(engine, 0)).toEqual([[0, P31 - 1n, 4_294_971_593n, 4_294_967_299n]]);
    });

    // Account 0 of the reproducer plus a long of 2^30 in market 1 (flat 100 % / 100 %, mark 2^31) with
    // quote -2^61: v_B = 2^61, value 0, MM_B = IM_B = 2^61.
    //   E = -2^62 - 2^31;  M = 4,611,686,016,280 + 2^61 = 2,305,847,620,899,710,232 = IM
    //   free = E - IM = -6,917,533,641,474,581,784 (fits): check() accepts it.
    // Position A (market 0): A0 = (E - v_A) - (M - MM_A) = -2^63 - 2^61 = -11,529,215,046,068,469,760,
    //   beyond i64:  LP = ceil((2^63 + 2^61) 10^6 / ((2^31 - 1) 999,999))
    //   = ceil(11,529,215,046,068,469,760,000,000 / 2,147,481,499,516,353) = 5,368,714,492 (remainder 460,615,917,428,677);
    //   E_A = ceil(E MM_A / M) = ceil(-21,267,647,932,559,095,503,115,580,866,560 / 2,305,847,620,899,710,232) = -9,223,353,590,147
    //   T_A = v_A - E_A = 4,611,695,239,633,494,403;  BP = ceil(T_A / (2^31 - 1)) = 2,147,487,943.
    // Position B (market 1): mmf = 10^6, g is flat: LP ALWAYS;
    //   E_B = ceil(E 2^61 / M) = -4,611,676,797,221,281,404;  T_B = 2^61 - E_B = 6,917,519,806,434,975,356
    //   BP = ceil(T_B / 2^30) = 6,442,442,357 (remainder 88,678,012).
    it(`[${coreName(release)}] A0 below -2^63 (other positions' MM): every price`, async () => {
      const engine = await createEngine({ release });
      engine.addMarket({ baseDecimals: 0, markPrice: P31, curve: ONE_PPM });
      engine.addMarket({ baseDecimals: 0, markPrice: P31, curve: { kind: 'flat', imfPpm: 1_000_000, mmfPpm: 1_000_000 } });
      engine.addAccounts([{ collateralQuote: -P62, positions: [
        { marketId: 0, sizeBase: P31 - 1n, quoteBalance: -P62 },
        { marketId: 1, sizeBase: 1n << 30n, quoteBalance: -P61 },
      ] }]);
      engine.check();
      expect(engine.account(0).figures).toMatchObject({ equityQuote: -P62 - P31, mmQuote: 2_305_847_620_899_710_232n, freeQuote: -6_917_533_641_474_581_784n });
      expect(rowsOf(engine, 0).sort((a, b) => a[0] - b[0])).toEqual([
        [0, P31 - 1n, 5_368_714_492n, 2_147_487_943n],
        [1, 1n << 30n, PRICE_ALWAYS, 6_442_442_357n],
      ]);
    });
  }
});

describe('an account check() refuses does not fail the book-wide scan', () => {
  for (const release of CORES) {
    // Account 0 (market 0: D = 1, mark 2^62 - 1, flat 100 % / 100 %): a short of 1, quote 0, snapshot 10
    // above the short index 0: value = -(2^62 - 1), funding owed = ceil(-1 (0 - 10)) = 10,
    // E = -(2^62 - 1) - 10, IM = 2^62 - 1, free = E - IM = -2^63 - 8 < -2^63: its figures leave i64, so
    // check() refuses it (Overflow) and its prices are not defined: PRICE_UNDEFINED.
    // Account 1 (market 1: mark 100, flat 10 % / 5 %): long 10, quote -1,000, collateral 0:
    //   v = 1,000, E = 0, M = MM = ceil(1,000 x 0.05) = 50, A0 = (0 - 1,000) - 0 = -1,000
    //   LP = ceil(1,000 x 10^6 / (10 x 950,000)) = ceil(105.26...) = 106;  T = 1,000 - 0, BP = ceil(1,000 / 10) = 100.
    // The scan used to fail whole with Overflow naming account 0.
    it(`[${coreName(release)}] its rows say PRICE_UNDEFINED; the other accounts get their prices`, async () => {
      const engine = await createEngine({ release });
      engine.addMarket({ baseDecimals: 0, markPrice: P62 - 1n, curve: { kind: 'flat', imfPpm: 1_000_000, mmfPpm: 1_000_000 } });
      engine.addMarket({ baseDecimals: 0, markPrice: 100n, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } });
      engine.addAccounts([
        { collateralQuote: 0n, positions: [{ marketId: 0, sizeBase: -1n, quoteBalance: 0n, fundingSnapshot: 10n }] },
        { collateralQuote: 0n, positions: [{ marketId: 1, sizeBase: 10n, quoteBalance: -1_000n }] },
      ]);
      expect(() => engine.check()).toThrow(/Overflow/);
      expect(scan(engine)).toEqual([[0, 0, -1n, PRICE_UNDEFINED, PRICE_UNDEFINED], [1, 1, 10n, 106n, 100n]]);
      expect(rowsOf(engine, 0)).toEqual([[0, -1n, PRICE_UNDEFINED, PRICE_UNDEFINED]]);
      expect(rowsOf(engine, 1)).toEqual([[1, 10n, 106n, 100n]]);
      expect(PRICE_UNDEFINED).toBe(-2n);
    });
  }
});
