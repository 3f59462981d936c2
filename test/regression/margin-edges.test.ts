/**
 * Regressions: margin-check disagreements between the engine and the reference model found by the
 * parity tests, each reduced to a small book and worked by hand from docs/FORMULAS.md. The hand
 * computation agreed with the reference model and the engine was fixed; the model side of each case
 * is checked too, so the hand values are tested. Each engine case runs on the debug and the release core.
 */
import { describe, expect, it } from 'vitest';
import { checkBook, RefOverflow, type Figures, type RefBook, type RefCurve } from '../reference/model.js';
import { expectParity, loadIntoEngine, P61, P62 } from '../support/book.js';
import { createEngine } from '../support/engine.js';

/** One market, one account with one cross position. */
function oneAccount(market: { baseDecimals: number; markPrice: bigint; fundingIndexLong?: bigint; fundingIndexShort?: bigint; curve: RefCurve },
  position: { sizeBase: bigint; quoteBalance?: bigint; fundingSnapshot?: bigint }, collateralQuote = 0n): RefBook {
  return {
    markets: [{ fundingIndexLong: 0n, fundingIndexShort: 0n, ...market }],
    accounts: [{ collateralQuote, imfFloorPpm: 0, positions: [{ marketId: 0, quoteBalance: 0n, fundingSnapshot: 0n, ...position }], isolated: [] }],
  };
}

/** Loads the book into a fresh engine (debug or release core) and compares with the model. */
async function engineParity(book: RefBook, release: boolean): Promise<void> {
  const engine = await createEngine({ release });
  loadIntoEngine(engine, book);
  expectParity(engine, book);
}

const FLAT_10_5: RefCurve = { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 };

// ---- 1. Funding owed of 2^62 or more (but inside i64) is refused as OVERFLOW ----------------------
// D = 1, mark 1, long index 2^61, a long of 2 atoms with snapshot 0 (all inside the supported range):
//   value = floor(2 * 1 / 1) + 0 = 2;  fundingOwed = ceil(2 * (2^61 - 0) / 1) = 2^62 (fits i64)
//   equity = 0 + 2 - 2^62 = -4,611,686,018,427,387,902;  IM = ceil(2 * 0.1) = 1;  MM = ceil(2 * 0.05) = 1
//   free = equity - 1 = -4,611,686,018,427,387,903;  health bankrupt.
// No amount leaves i64 and the notional is 2, so this is not OVERFLOW; the engine (exact path:
// mulDivExact reported |result| >= 2^62 as OVERFLOWED) refused the check with Overflow.
const fundingBook = oneAccount({ baseDecimals: 0, markPrice: 1n, fundingIndexLong: P61, curve: FLAT_10_5 }, { sizeBase: 2n });
const fundingByHand: Figures = { equityQuote: 2n - P62, imQuote: 1n, mmQuote: 1n, freeQuote: 1n - P62, health: 3 };

// ---- 2. free = equity - IM leaving i64 is not reported -----------------------------------------
// D = 1, mark 2^62 - 1, flat 100 % / 100 %, a short of 1 atom, quote 0, snapshot 10 above the short index 0:
//   value = floor(-1 * (2^62 - 1)) = -(2^62 - 1);  fundingOwed = ceil(-1 * (0 - 10)) = 10
//   equity = -(2^62 - 1) - 10 = -4,611,686,018,427,387,913 (fits i64);  IM = MM = 2^62 - 1
//   free = equity - IM = -9,223,372,036,854,775,816 < -2^63: an account figure leaving i64, OVERFLOW.
// The engine used to return free = +9,223,372,036,854,775,800 (wrapped) and health bankrupt.
const freeBook = oneAccount({ baseDecimals: 0, markPrice: P62 - 1n, curve: { kind: 'flat', imfPpm: 1_000_000, mmfPpm: 1_000_000 } }, { sizeBase: -1n, fundingSnapshot: 10n });

// ---- 3. A tier floor reached exactly by |size| = 2^62 is not selected ---------------------------
// D = 10^3, mark 5^3 = 125, tiers [0: 2 % / 1 %], [L_1 = 2^59: 50 % / 2.5625 %] (ded_1 = 2^59 * 15,625 / 10^6
// = 2^53, an integer), a long of exactly 2^62 atoms (|size| <= 2^62 is supported), quote 0:
//   N = 2^62 * 125 / 1000 = 2^59 = L_1, so tier 1 (the last with N >= L_j);  value = equity = 2^59
//   IM = ceil(2^59 * 0.5) = 2^58 = 288,230,376,151,711,744
//   MM = ceil(2^59 * 0.025625) - 2^53 = 14,771,806,777,775,227 - 9,007,199,254,740,992 = 5,764,607,523,034,235
// The engine's smallest size for tier 1, ceil(L_1 * D / mark) = 2^62 exactly, is treated as "never"
// (curves.ts tierSizeLimit treated a quotient >= 2^62 as SIZE_NEVER), so it used tier 0: IM = 11,529,215,046,068,470.
const tierBook = oneAccount({ baseDecimals: 3, markPrice: 125n, curve: { kind: 'tiers', tiers: [
  { notionalFloorQuote: 0n, imfPpm: 20_000, mmfPpm: 10_000 },
  { notionalFloorQuote: 1n << 59n, imfPpm: 500_000, mmfPpm: 25_625 },
] } }, { sizeBase: P62 });
const tierByHand: Figures = { equityQuote: 1n << 59n, imQuote: 1n << 58n, mmQuote: 5_764_607_523_034_235n, freeQuote: 1n << 58n, health: 0 };

// ---- 4. preTrade on an open-interest market changes later checks ---------------------------------
// D = 1, mark 1, openInterest imf 10 % / mmf 5 %, caps 100..200. Account 0: long 100, quote -100,
// collateral 1,000; account 1: collateral 1,000, no position. OI = 100, OIN = 100 <= lower: imf 10 %.
//   Account 0: equity = 1,000 + 100 - 100 = 1,000; IM = ceil(100 * 0.1) = 10; MM = ceil(100 * 0.05) = 5.
// preTrade(account 1 buys 100 at 1) evaluates with OI 200 (imf 100 %) and must change nothing, so a
// check afterwards still gives account 0 IM = 10. The engine used to restore the open interest and the
// effective imf but not the fast-path products derived from it: the check then gave IM = 100.
const oiBook: RefBook = {
  markets: [{ baseDecimals: 0, markPrice: 1n, fundingIndexLong: 0n, fundingIndexShort: 0n, curve: { kind: 'openInterest', imfPpm: 100_000, mmfPpm: 50_000, lowerCapQuote: 100n, upperCapQuote: 200n } }],
  accounts: [
    { collateralQuote: 1000n, imfFloorPpm: 0, positions: [{ marketId: 0, sizeBase: 100n, quoteBalance: -100n, fundingSnapshot: 0n }], isolated: [] },
    { collateralQuote: 1000n, imfFloorPpm: 0, positions: [], isolated: [] },
  ],
};
const oiAccount0ByHand: Figures = { equityQuote: 1000n, imQuote: 10n, mmQuote: 5n, freeQuote: 990n, health: 0 };

describe('the model agrees with the hand computations', () => {
  it('funding owed of exactly 2^62 is an ordinary amount (no OVERFLOW)', () => {
    expect(checkBook(fundingBook).accounts[0]).toEqual(fundingByHand);
  });
  it('free below -2^63 is OVERFLOW naming the account', () => {
    expect(() => checkBook(freeBook)).toThrow(RefOverflow);
    expect(() => checkBook(freeBook)).toThrow(/account 0: free/);
  });
  it('|size| = 2^62 exactly at a tier floor selects that tier', () => {
    expect(checkBook(tierBook).accounts[0]).toEqual(tierByHand);
  });
  it('an open-interest market at OIN = lower uses the base imf', () => {
    expect(checkBook(oiBook).accounts[0]).toEqual(oiAccount0ByHand);
  });
});

describe('regressions found by parity (engine agrees with the hand computation)', () => {
  for (const release of [false, true]) {
    const core = release ? 'release' : 'debug';
    it(`[${core}] a check with funding owed of 2^62 (inside i64) gives the figures, not Overflow`, async () => {
      await engineParity(fundingBook, release);
    });
    it(`[${core}] a check whose free = equity - IM leaves i64 is refused with Overflow`, async () => {
      await engineParity(freeBook, release);
    });
    it(`[${core}] a position of exactly 2^62 atoms at a tier floor gets that tier's IM`, async () => {
      await engineParity(tierBook, release);
    });
    it(`[${core}] preTrade on an open-interest market leaves later checks unchanged`, async () => {
      const engine = await createEngine({ release });
      loadIntoEngine(engine, oiBook);
      expectParity(engine, oiBook);
      const pre = engine.preTrade({ accountId: 1, marketId: 0, sizeDeltaBase: 100n, priceQuote: 1n });
      // The pre-trade figures themselves are right: OI 200 >= upper, imf 100 %: IM = 100.
      expect(pre).toMatchObject({ equityQuote: 1000n, imQuote: 100n, ok: true });
      engine.check();
      expect(engine.account(0).figures).toEqual(oiAccount0ByHand);
    });
  }
});
