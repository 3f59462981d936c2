import { describe, expect, it } from 'vitest';
import { ceilDiv, checkBook, cloneBook, openInterestBase, positionFigures, type RefAccount, type RefCurve, type RefIsolated, type RefPosition } from '../reference/model.js';
import {
  closeOutcome, createLiquidationState, executePlan, ledger, planRound, positionPrices, PRICE_ALWAYS, PRICE_NEVER,
  summarize, type LiqBook, type LiqMarket, type LiquidationState, type PlanRow,
} from '../reference/liquidation.js';
import type { LiquidationPolicy } from '../../src/index.js';

// Hand-worked tests of the liquidation reference model (docs/FORMULAS.md, "Liquidation").
// Money has 6 quote decimals (1 USD = 1_000000 atoms); BTC and ETH have 8 base decimals (D = 10^8).

const USD = 1_000000n;
const BTC = 100_000_000n; // one whole unit in base atoms
const MARK_60K = 60_000n * USD;
const FLAT_10_5: RefCurve = { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 };

function market(curve: RefCurve = FLAT_10_5, markPrice = MARK_60K, extra: Partial<LiqMarket> = {}): LiqMarket {
  return { baseDecimals: 8, markPrice, fundingIndexLong: 0n, fundingIndexShort: 0n, curve, ...extra };
}
function pos(marketId: number, sizeBase: bigint, quoteBalance: bigint, fundingSnapshot = 0n): RefPosition {
  return { marketId, sizeBase, quoteBalance, fundingSnapshot };
}
function account(collateralQuote: bigint, positions: RefPosition[] = [], isolated: RefIsolated[] = []): RefAccount {
  return { collateralQuote, imfFloorPpm: 0, positions, isolated };
}
/** A long of one BTC entered at 60k (quote -60,000 USD). */
const longBtc = (): RefPosition => pos(0, BTC, -60_000n * USD);
const shortBtc = (): RefPosition => pos(0, -BTC, 60_000n * USD);

/** Plans one round on the model's risk order. */
function plan(book: LiqBook, policy: LiquidationPolicy = {}): PlanRow[] {
  const check = checkBook(book);
  return planRound(book, policy, check.riskOrder, check.isolatedRiskOrder);
}

function prices(book: LiqBook, accountId = 0): [bigint, bigint][] {
  return positionPrices(book, accountId).map((p) => [p.liquidationPriceQuote, p.bankruptcyPriceQuote]);
}

describe('liquidation and bankruptcy prices', () => {
  it('a single long, flat 5 % MM', () => {
    // 1 BTC long at 60k, collateral 4,000: E = 4,000, v = 60,000, MM = 3,000 = M.
    // A0 = (E - v) - (M - MM_i) = -56,000. Root: 4,000 + (p - 60,000) = 0.05 p  ->  p = 56,000 / 0.95
    // LP = ceil(56_000_000000 * 10^6 * 10^8 / (10^8 * 950_000)) = ceil(58_947_368_421.05) = 58_947_368_422.
    // BP: E_i = E (one position), T = v - E_i = 56,000 USD; BP = ceil(T * D / s) = 56,000 USD.
    const book: LiqBook = { markets: [market()], accounts: [account(4_000n * USD, [longBtc()])] };
    expect(positionPrices(book, 0)).toEqual([
      { marketId: 0, isolatedId: null, sizeBase: BTC, liquidationPriceQuote: 58_947_368_422n, bankruptcyPriceQuote: 56_000n * USD },
    ]);
  });

  it('a single short, flat 5 % MM', () => {
    // 1 BTC short at 60k, collateral 4,000: E = 4,000, v = -60,000. A0 = 64,000 > 0.
    // Root: 4,000 + (60,000 - p) = 0.05 p -> p = 64,000 / 1.05; LP = floor(60_952_380_952.38) = 60_952_380_952.
    // BP: T = v - E = -64,000; BP = floor(T * D / s) = floor(-64e9 * 1e8 / -1e8) = 64,000 USD.
    const book: LiqBook = { markets: [market()], accounts: [account(4_000n * USD, [shortBtc()])] };
    expect(prices(book)).toEqual([[60_952_380_952n, 64_000n * USD]]);
  });

  it('a tiered curve: the root in the 2nd tier, then in the 1st', () => {
    // Tiers: [0: mmf 1 %], [50,000 USD: mmf 2.5 %]; ded_1 = 50,000 * 0.015 = 750 USD.
    const tiers: RefCurve = { kind: 'tiers', tiers: [
      { notionalFloorQuote: 0n, imfPpm: 20_000, mmfPpm: 10_000 },
      { notionalFloorQuote: 50_000n * USD, imfPpm: 50_000, mmfPpm: 25_000 },
    ] };
    // Collateral 2,000: E = 2,000, MM_i = ceil(60,000 * 2.5 %) - 750 = 750 = M, A0 = 2,000 - 60,000 = -58,000.
    // Piece 0: B_0 * 10^6 + L_1 * (10^6 - 10_000) = (-58,000 + 49,500) * 10^6 USD < 0: not there.
    // Piece 1 (last): B_1 = A0 + 750 = -57,250; LP = ceil(57,250 / 0.975) = ceil(58_717_948_717.95) atoms.
    // BP: T = v - E = 58,000 USD.
    const book: LiqBook = { markets: [market(tiers)], accounts: [account(2_000n * USD, [longBtc()]), account(11_000n * USD, [longBtc()])] };
    expect(prices(book, 0)).toEqual([[58_717_948_718n, 58_000n * USD]]);
    // Collateral 11,000: A0 = -49,000; piece 0: (-49,000 + 49,500) >= 0 holds the root:
    // LP = ceil(49,000 / 0.99) = ceil(49_494_949_494.95) atoms (notional below 50,000: tier 0 indeed).
    expect(prices(book, 1)).toEqual([[49_494_949_495n, 49_000n * USD]]);
  });

  it('NEVER and ALWAYS', () => {
    const d12 = (curve: RefCurve = FLAT_10_5): LiqMarket => ({ ...market(curve), baseDecimals: 12 });
    const book: LiqBook = {
      markets: [market(), d12(), market({ kind: 'flat', imfPpm: 1_000_000, mmfPpm: 1_000_000 })],
      accounts: [
        // Long fully paid: E = v = 60,000, A0 = 0 -> LP NEVER; T = v - E = 0 -> BP = 0 -> NEVER.
        account(60_000n * USD, [longBtc()]),
        // Short with C = -60,000: E = -60,000, A0 = E - v = 0 -> LP ALWAYS; T = 0 -> BP = 0 -> ALWAYS.
        account(-60_000n * USD, [shortBtc()]),
        // One atom long of a 12-decimal market, quote -5,000 USD: v = 0, MM = ceil(60e9 * 5e4 / 1e18) = 1,
        // A0 = -5,000 USD; LP = ceil(5e9 * 1e6 * 1e12 / 950_000) ~ 5.3e21 > 2^62 -> ALWAYS;
        // T = 5e9, BP = 5e9 * 1e12 > 2^62 -> ALWAYS.
        account(0n, [pos(1, 1n, -5_000n * USD)]),
        // One atom short, collateral 10 USD: v = floor(-0.06) = -1, E = 10e6 - 1, A0 = E - v = 10e6;
        // LP = floor(10e6 * 1e6 * 1e12 / 1.05e6) ~ 9.5e18 > 2^62 -> NEVER; T = -10e6, BP = 1e19 -> NEVER.
        account(10n * USD, [pos(1, -1n, 0n)]),
        // Short of 1 BTC with quote 0 and collateral 1 atom: A0 = 1; LP = floor(1e6 * 1e8 / (1e8 * 1.05e6)) = 0
        // -> ALWAYS. BP: T = v - E = -1, BP = floor(1 * 1e8 / 1e8) = 1 atom.
        account(1n, [pos(0, -BTC, 0n)]),
        // mmf = 100 %: no piece with mmf < 10^6 -> ALWAYS (A0 = 1,000 - 60,000 < 0). BP = 60,000 - 1,000.
        account(1_000n * USD, [pos(2, BTC, -60_000n * USD)]),
      ],
    };
    expect(prices(book, 0)).toEqual([[PRICE_NEVER, PRICE_NEVER]]);
    expect(prices(book, 1)).toEqual([[PRICE_ALWAYS, PRICE_ALWAYS]]);
    expect(prices(book, 2)).toEqual([[PRICE_ALWAYS, PRICE_ALWAYS]]);
    expect(prices(book, 3)).toEqual([[PRICE_NEVER, PRICE_NEVER]]);
    expect(prices(book, 4)).toEqual([[PRICE_ALWAYS, 1n]]);
    expect(prices(book, 5)).toEqual([[PRICE_ALWAYS, 59_000n * USD]]);
  });

  it('cross positions share equity by MM, rounded up; isolated positions use their own equity', () => {
    // BTC long (MM 3,000) and 10 ETH long at 3,000 (MM 1,500); collateral -900: E = -900, M = 4,500.
    // E_BTC = ceil(-900 * 3,000 / 4,500) = -600, E_ETH = -300.
    // BP_BTC = ceil((60,000 + 600) * D / s) = 60,600; BP_ETH = ceil(30,300 * 1e8 / 10e8) = 3,030.
    // LP_BTC: A0 = (-900 - 60,000) - (4,500 - 3,000) = -62,400; LP = ceil(62,400 / 0.95) = ceil(65_684_210_526.3).
    const eth = market(FLAT_10_5, 3_000n * USD);
    const iso: RefIsolated = { ...pos(1, -BTC, 3_100n * USD), collateralQuote: 200n * USD };
    const book: LiqBook = {
      markets: [market(), eth],
      accounts: [account(-900n * USD, [longBtc(), pos(1, 10n * BTC, -30_000n * USD)]), account(0n, [], [iso])],
    };
    // LP_ETH: A0 = (-900 - 30,000) - (4,500 - 1,500) = -33,900; LP = ceil(33,900e6 * 1e6 * 1e8 / (10e8 * 950_000))
    //   = ceil(3_568_421_052.63).
    expect(prices(book, 0)).toEqual([[65_684_210_527n, 60_600n * USD], [3_568_421_053n, 3_030n * USD]]);
    // Isolated short 1 ETH at 3,100 with 200 of its own: E = 200 + 3,100 - 3,000 = 300, v = -3,000;
    // A0 = E - v = 3,300 -> LP = floor(3,300 / 1.05) = 3_142_857_142; BP = floor(-(v - E) * D / |s|) = 3,300.
    expect(positionPrices(book, 1)).toEqual([
      { marketId: 1, isolatedId: 0, sizeBase: -BTC, liquidationPriceQuote: 3_142_857_142n, bankruptcyPriceQuote: 3_300n * USD },
    ]);
    // Shares round up: E = -899.999999 -> E_BTC = ceil(-599.9999993) = -599.999999 USD, BP = 60,599.999999.
    book.accounts[0]!.collateralQuote = -899_999_999n;
    expect(prices(book, 0)[0]![1]).toBe(60_599_999_999n);
  });

  it('positions of size 0: neither price; a close of d = 0 moves the quote balance to collateral', () => {
    // Account 0: long 1 BTC, collateral 1,000 (E = 1,000.000005 < M = 3,000), a size-0 position in market 1
    // with quote 5 atoms. Account 1: an isolated size-0 position, quote 5, collateral -100: E = -95.
    // "A position of size 0 (a bare quote balance) has neither price (both NEVER)".
    const book: LiqBook = {
      markets: [market(), market()],
      accounts: [account(1_000n * USD, [pos(1, 0n, 5n), longBtc()]), account(0n, [], [{ ...pos(0, 0n, 5n), collateralQuote: -100n }])],
    };
    // The long: A0 = (1,000.000005 - 60,000) - 0 = -58,999.999995; LP = ceil(58,999,999,995 / 0.95) = 62,105,263,153;
    // BP = T = v - E = 58,999,999,995 (its share is all of E: the size-0 position's MM is 0).
    expect(prices(book, 0)).toEqual([[PRICE_NEVER, PRICE_NEVER], [62_105_263_153n, 58_999_999_995n]]);
    expect(prices(book, 1)).toEqual([[PRICE_NEVER, PRICE_NEVER]]);
    // Planning: step 0 gives each size-0 position a row d = 0 and goes on (maintenance order: the long
    // first, MM 3,000 > 0; book order: the size-0 position first); then account 1's isolated group.
    expect(plan(book, { close: 'full' }).map((r) => [r.accountId, r.marketId, r.sizeBase])).toEqual([[0, 0, -BTC], [0, 1, 0n], [1, 0, 0n]]);
    expect(plan(book, { close: 'full', order: 'book' }).map((r) => [r.accountId, r.marketId, r.sizeBase])).toEqual([[0, 1, 0n], [0, 0, -BTC], [1, 0, 0n]]);
  });

  it('guarantee on random books: liquidatable strictly beyond LP, equity >= MM - 1 at LP; no shortfall at BP', () => {
    let checked = 0, checkedBp = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const book = randomBook(seed);
      book.accounts.forEach((_, accountId) => {
        const rows = positionPrices(book, accountId);
        rows.forEach((row, k) => {
          const lp = row.liquidationPriceQuote;
          if (row.sizeBase === 0n || lp <= 0n) return;
          const beyond = row.sizeBase > 0n ? lp - 1n : lp + 1n;
          if (beyond < 1n) return;
          // Figures of this group with the mark of its market moved.
          const at = (mark: bigint): { e: bigint; m: bigint } => {
            const copy = cloneBook(book) as LiqBook;
            copy.markets[row.marketId]!.markPrice = mark;
            const c = checkBook(copy);
            const f = row.isolatedId === null ? c.accounts[accountId]! : c.isolated[row.isolatedId]!;
            return { e: f.equityQuote, m: f.mmQuote };
          };
          const atLp = at(lp), atBeyond = at(beyond);
          expect(atBeyond.e < atBeyond.m, `seed ${seed} account ${accountId} row ${k}: liquidatable beyond LP`).toBe(true);
          expect(atLp.e >= atLp.m - 1n, `seed ${seed} account ${accountId} row ${k}: E >= MM - 1 at LP`).toBe(true);
          checked++;
        });
        // BP: a full close at BP leaves no shortfall (S >= 0), one atom on the wrong side does.
        const check = checkBook(book);
        rows.forEach((row, k) => {
          const bp = row.bankruptcyPriceQuote;
          if (row.sizeBase === 0n || bp <= 0n) return;
          const worse = row.sizeBase > 0n ? bp - 1n : bp + 1n;
          if (worse < 1n) return;
          const f = row.isolatedId === null ? check.accounts[accountId]! : check.isolated[row.isolatedId]!;
          const m = book.markets[row.marketId]!;
          const held = row.isolatedId === null ? book.accounts[accountId]!.positions : book.accounts[accountId]!.isolated;
          const p = held.find((x) => x.marketId === row.marketId)!;
          const mmQuote = positionFigures(m, openInterestBase(book, row.marketId), p.sizeBase, p.quoteBalance, p.fundingSnapshot, 0).mmQuote;
          const shareQuote = row.isolatedId === null ? ceilDiv(f.equityQuote * mmQuote, f.mmQuote) : f.equityQuote;
          const surplusAt = (q: bigint): bigint => closeOutcome({
            equityQuote: f.equityQuote, shareQuote, sizeBase: p.sizeBase, deltaBase: -p.sizeBase, priceQuote: q, markQuote: m.markPrice,
            scale: 10n ** BigInt(m.baseDecimals), feePpm: 0n, liquidatorSharePpm: 0n,
          }).surplusSignedQuote;
          expect(surplusAt(bp) >= 0n, `seed ${seed} account ${accountId} row ${k}: S >= 0 at BP`).toBe(true);
          expect(surplusAt(worse) < 0n, `seed ${seed} account ${accountId} row ${k}: S < 0 beyond BP`).toBe(true);
          checkedBp++;
        });
      });
    }
    expect(checked).toBeGreaterThan(100);
    expect(checkedBp).toBeGreaterThan(100);
  });
});

describe('executing one close', () => {
  it('fee split: surplus pays the nominal fee, the liquidator gets its share rounded down', () => {
    // Long 1 BTC, collateral 2,000: E = 2,000 < MM 3,000. Full close at the mark:
    // realized = quoteClosed + cash(d) = -60,000 + 60,000 = 0; dE = 60,000 + 0 - 60,000 = 0; S = E_slice = 2,000.
    // F = ceil(10^8 * 60e9 * 10_000 / (10^8 * 10^6)) = 600 USD; fee = min(600, 2,000, 2,000) = 600;
    // liqFee = floor(600 * 25 %) = 150, fundFee = 450. C_after = 2,000 - 600 = 1,400.
    const book: LiqBook = { markets: [market(FLAT_10_5, MARK_60K, { insuranceFund: 'own' })], accounts: [account(2_000n * USD, [longBtc()])] };
    const policy: LiquidationPolicy = { close: 'full', liquidationFeePpm: 10_000, liquidatorSharePpm: 250_000 };
    const rows = plan(book, policy);
    expect(rows).toEqual([{ accountId: 0, marketId: 0, isolatedId: null, kind: 'close', sizeBase: -BTC, priceQuote: MARK_60K }]);
    const state = createLiquidationState(book);
    const before = ledger(book, state).totalQuote;
    const log = executePlan(book, state, rows, policy);
    expect(log).toEqual([{
      accountId: 0, marketId: 0, isolatedId: null, kind: 'close', sizeBase: -BTC, priceQuote: MARK_60K, realizedPnlQuote: 0n,
      fundingQuote: 0n, liquidatorFeeQuote: 150n * USD, fundFeeQuote: 450n * USD, surplusQuote: 2_000n * USD, deficitQuote: 0n, transferQuote: 0n,
    }]);
    expect(book.accounts[0]).toEqual(account(1_400n * USD));
    // Own fund: fund 1 + marketId.
    expect(state.fundsQuote).toEqual([0n, 450n * USD]);
    expect(state.liquidatorFeesQuote).toBe(150n * USD);
    expect(ledger(book, state)).toEqual({
      collateralQuote: 1_400n * USD, fundsQuote: 450n * USD, liquidatorFeesQuote: 150n * USD, flowQuote: 0n, deficitsQuote: 0n, totalQuote: before,
    });
    expect(summarize(book, log)).toMatchObject({ rows: 1, closes: 1, groups: 1, closedNotionalQuote: 60_000n * USD, fundFeeQuote: 450n * USD });
  });

  it('the fee is capped by the surplus; a close at a worse price than the mark', () => {
    // Collateral 300: the nominal fee 600 is capped at S = 300. closeOutcome directly, long 1 BTC
    // sold at 59,900 (mark 60,000): cash(d) = 59,900, dE = 59,900 + 0 - 60,000 = -100, E_slice = 300,
    // S = 200, E' = 200; F = ceil(59,900 * 1 %) = 599; fee = 200, liq 50 (25 %), deficit 0.
    const out = closeOutcome({
      equityQuote: 300n * USD, shareQuote: 300n * USD, sizeBase: BTC, deltaBase: -BTC, priceQuote: 59_900n * USD,
      markQuote: MARK_60K, scale: BTC, feePpm: 10_000n, liquidatorSharePpm: 250_000n,
    });
    expect(out).toMatchObject({
      sliceQuote: 300n * USD, equityChangeQuote: -100n * USD, surplusSignedQuote: 200n * USD, equityAfterFillQuote: 200n * USD,
      nominalFeeQuote: 599n * USD, feeQuote: 200n * USD, liquidatorFeeQuote: 50n * USD, fundFeeQuote: 150n * USD, deficitQuote: 0n, equityAfterQuote: 0n,
    });
    // Rounding: a 1/3 slice of a share of -100 rounds up (toward 0): ceil(-33.33) = -33.
    expect(closeOutcome({
      equityQuote: -100n, shareQuote: -100n, sizeBase: 3n, deltaBase: -1n, priceQuote: 1n, markQuote: 1n, scale: 1n, feePpm: 0n, liquidatorSharePpm: 0n,
    }).sliceQuote).toBe(-33n);
  });

  it('a bankrupt long: funding settles, no fee, the shortfall is a deficit record', () => {
    // Long 1 BTC, collateral -1,000, long index 100 USD per BTC above its snapshot: owed = ceil(1e8 * 100e6 / 1e8) = 100.
    // E = -1,000 + 0 - 100 = -1,100. Full close: S = E' = -1,100; fee = min(F, 0, 0) = 0; deficit = 1,100.
    // C_after = -1,000 - 100 + 0 - 0 + 1,100 = 0. Ledger: before -1,000; after 0 + flow (100 - 0) - 1,100 = -1,000.
    const book: LiqBook = { markets: [{ ...market(), fundingIndexLong: 100n * USD }], accounts: [account(-1_000n * USD, [longBtc()])] };
    const policy: LiquidationPolicy = { close: 'full', liquidationFeePpm: 10_000 };
    const state = createLiquidationState(book);
    const rows = plan(book, policy);
    const log = executePlan(book, state, rows, policy);
    expect(log[0]).toMatchObject({ realizedPnlQuote: 0n, fundingQuote: 100n * USD, fundFeeQuote: 0n, surplusQuote: 0n, deficitQuote: 1_100n * USD });
    expect(book.accounts[0]!.collateralQuote).toBe(0n);
    expect(state.deficits).toEqual([{ accountId: 0, marketId: 0, amountQuote: 1_100n * USD }]);
    expect(ledger(book, state)).toMatchObject({ flowQuote: 100n * USD, deficitsQuote: 1_100n * USD, totalQuote: -1_000n * USD });
  });

  it('a bankrupt cross book: each close covers its MM share of the shortfall', () => {
    // BTC long (MM 3,000) and 10 ETH long (MM 1,500), collateral -900; maintenance order: BTC first.
    // BTC: E_i = ceil(-900 * 3,000 / 4,500) = -600 -> S = -600, E' = -900, deficit = min(600, 900) = 600;
    //   C = -900 + 600 = -300, then E = -300, M = 1,500.
    // ETH: E_i = ceil(-300 * 1,500 / 1,500) = -300 -> deficit 300; C = 0.
    const book: LiqBook = {
      markets: [market(), market(FLAT_10_5, 3_000n * USD)],
      accounts: [account(-900n * USD, [pos(1, 10n * BTC, -30_000n * USD), longBtc()])],
    };
    const policy: LiquidationPolicy = { close: 'full' };
    const rows = plan(book, policy);
    expect(rows.map((r) => [r.marketId, r.sizeBase])).toEqual([[0, -BTC], [1, -10n * BTC]]);
    const state = createLiquidationState(book);
    const log = executePlan(book, state, rows, policy);
    expect(log.map((r) => r.deficitQuote)).toEqual([600n * USD, 300n * USD]);
    expect(state.deficits).toEqual([{ accountId: 0, marketId: 0, amountQuote: 600n * USD }, { accountId: 0, marketId: 1, amountQuote: 300n * USD }]);
    expect(book.accounts[0]).toEqual(account(0n));
  });

  it('an isolated close returns the isolated collateral to the cross book', () => {
    // Isolated long 1 BTC at 60k with 2,500 of its own (MM 3,000): full close, no fee: C_iso = 2,500 -> cross.
    const book: LiqBook = { markets: [market()], accounts: [account(100n * USD, [], [{ ...longBtc(), collateralQuote: 2_500n * USD }])] };
    const rows = plan(book, { close: 'full' });
    expect(rows).toEqual([{ accountId: 0, marketId: 0, isolatedId: 0, kind: 'close', sizeBase: -BTC, priceQuote: MARK_60K }]);
    const state = createLiquidationState(book);
    const log = executePlan(book, state, rows, { close: 'full' });
    // The collateral returned to the account's own cross book is not a transfer (that column is the backstop's).
    expect(log[0]).toMatchObject({ surplusQuote: 2_500n * USD, deficitQuote: 0n, transferQuote: 0n });
    expect(book.accounts[0]).toEqual(account(2_600n * USD));
  });

  it('a settle row: no cross position and negative collateral', () => {
    const book: LiqBook = { markets: [market()], accounts: [account(5n * USD), account(-500n * USD)] };
    const rows = plan(book);
    expect(rows).toEqual([{ accountId: 1, marketId: null, isolatedId: null, kind: 'settle', sizeBase: 0n, priceQuote: 0n }]);
    const state = createLiquidationState(book);
    const log = executePlan(book, state, rows, {});
    expect(log[0]).toMatchObject({ kind: 'settle', deficitQuote: 500n * USD });
    expect(state.deficits).toEqual([{ accountId: 1, marketId: null, amountQuote: 500n * USD }]);
    expect(book.accounts[1]!.collateralQuote).toBe(0n);
    expect(ledger(book, state).totalQuote).toBe(-495n * USD);
  });

  it('an invalid plan changes nothing', () => {
    const book: LiqBook = { markets: [market()], accounts: [account(2_000n * USD, [longBtc()])] };
    const state = createLiquidationState(book);
    const copy = cloneBook(book);
    const bad: PlanRow[] = [
      { accountId: 0, marketId: 0, isolatedId: null, kind: 'close', sizeBase: -BTC / 2n, priceQuote: MARK_60K },
      { accountId: 0, marketId: 0, isolatedId: null, kind: 'close', sizeBase: BTC, priceQuote: MARK_60K }, // increases
    ];
    expect(() => executePlan(book, state, bad, {})).toThrow(RangeError);
    expect(book).toEqual(copy);
    expect(state).toEqual(createLiquidationState(book));
  });
});

describe('planning a round', () => {
  // Long 1 BTC, collateral 2,000: E = 2,000, MM = 3,000, IM = 6,000; step 0.01 BTC unless said.
  const single = (collateralQuote = 2_000n * USD, stepBase = BTC / 100n): LiqBook =>
    ({ markets: [market(FLAT_10_5, MARK_60K, { stepBase })], accounts: [account(collateralQuote, [longBtc()])] });
  const closed = (book: LiqBook, policy: LiquidationPolicy): bigint[] => plan(book, policy).map((r) => r.sizeBase);

  it('partial: the smallest multiple of the step restoring maintenance', () => {
    // A close of c at the mark leaves E = 2,000 (no fee, exact cash) and MM = (1e8 - c) * 30 atoms:
    // 2,000e6 >= (1e8 - c) * 30  <=>  c >= 33,333,333.3: with step 1e6, c = 34e6; with step 1, c = 33,333,334.
    expect(closed(single(), {})).toEqual([-34_000_000n]);
    expect(closed(single(2_000n * USD, 1n), {})).toEqual([-33_333_334n]);
    // With a 1 % fee: fee = 6 atoms per base atom, E = 2,000e6 - 6c >= (1e8 - c) * 30 <=> c >= 41,666,666.7 -> 42e6.
    expect(closed(single(), { liquidationFeePpm: 10_000 })).toEqual([-42_000_000n]);
    // Target initial (10 %): 2,000e6 >= (1e8 - c) * 60 -> c >= 66,666,666.7 -> 67e6.
    expect(closed(single(), { target: 'initial' })).toEqual([-67_000_000n]);
    // Buffer 10 % on maintenance: 2,000e6 >= ceil((1e8 - c) * 33) -> c >= 39,393,939.4 -> 40e6.
    expect(closed(single(), { bufferPpm: 100_000 })).toEqual([-40_000_000n]);
  });

  it('partial: the executed close restores maintenance', () => {
    const book = single();
    const policy: LiquidationPolicy = { liquidationFeePpm: 10_000 };
    const state = createLiquidationState(book);
    executePlan(book, state, plan(book, policy), policy);
    // 58e6 left, quote -34,800; C = 2,000 - fee 252 = 1,748 >= MM = 1,740.
    const f = checkBook(book).accounts[0]!;
    expect([f.equityQuote, f.mmQuote]).toEqual([1_748n * USD, 1_740n * USD]);
  });

  it('full, fraction cap, minimum close and dust', () => {
    expect(closed(single(), { close: 'full' })).toEqual([-BTC]);
    // 10 % per round: capFrac = max(step, floor(floor(1e8 * 10 %) / 1e6) * 1e6) = 1e7. Partial: cond(K)
    // fails (1e7 leaves MM 2,700 > 2,000), so c = cap.
    expect(closed(single(), { maxCloseFractionPpm: 100_000 })).toEqual([-10_000_000n]);
    // The cap applies only above fractionAboveNotionalQuote (60,000 is not above 60,000).
    expect(closed(single(), { close: 'full', maxCloseFractionPpm: 100_000, fractionAboveNotionalQuote: 60_000n * USD })).toEqual([-BTC]);
    // Minimum close 10,000 USD: minSize = ceil(ceil(10,000e6 * 1e8 / 60,000e6) / 1e6) * 1e6 = ceil(16,666,667 / 1e6) * 1e6
    // = 17e6 > capFrac 1e7 (the rest, 83e6 * 600 = 49,800 USD, is no dust).
    expect(closed(single(), { close: 'full', maxCloseFractionPpm: 100_000, minCloseNotionalQuote: 10_000n * USD })).toEqual([-17_000_000n]);
    // Minimum close 45,000 USD: minSize 75e6, but the rest (15,000 USD) is dust: the whole position.
    expect(closed(single(), { close: 'full', maxCloseFractionPpm: 100_000, minCloseNotionalQuote: 45_000n * USD })).toEqual([-BTC]);
    // Dust: partial gives 34e6; the rest, floor(66e6 * 600) = 39,600 USD < 40,000: close it all.
    expect(closed(single(), { minCloseNotionalQuote: 40_000n * USD })).toEqual([-BTC]);
    expect(closed(single(), { minCloseNotionalQuote: 39_600n * USD })).toEqual([-34_000_000n]);
  });

  it('round caps: notional and deficit', () => {
    // Notional 1,000 USD: c = floor(floor(1,000e6 * 1e8 / 60,000e6) / 1e6) * 1e6 = floor(1,666,666 / 1e6) * 1e6 = 1e6.
    expect(closed(single(), { close: 'full', maxNotionalPerRoundQuote: 1_000n * USD })).toEqual([-1_000_000n]);
    expect(closed(single(2_000n * USD, 1n), { close: 'full', maxNotionalPerRoundQuote: 1_000n * USD })).toEqual([-1_666_666n]);
    // Below one step of notional: c = 0 ends the group (no row).
    expect(closed(single(), { close: 'full', maxNotionalPerRoundQuote: 599n * USD })).toEqual([]);
    // Deficit 300 USD of a bankrupt long (C = -1,000): deficit(c) = min(-ceil(-1,000e6 * c / 1e8), 1,000e6) = 10c.
    // Largest c_k with 10c <= 300e6: c = 30e6.
    const bankrupt = single(-1_000n * USD);
    expect(closed(bankrupt, { close: 'full', maxDeficitPerRoundQuote: 300n * USD })).toEqual([-30_000_000n]);
    const state = createLiquidationState(bankrupt);
    const log = executePlan(bankrupt, state, plan(bankrupt, { close: 'full', maxDeficitPerRoundQuote: 300n * USD }), {});
    expect(log[0]!.deficitQuote).toBe(300n * USD);
    // Below one step of deficit (10 USD per 1e6): no row.
    expect(closed(single(-1_000n * USD), { close: 'full', maxDeficitPerRoundQuote: 9n * USD })).toEqual([]);
  });

  it('caps are per group and shared by its positions', () => {
    // BTC long (notional 60,000) and 10 ETH long (notional 30,000), collateral 0; notional cap 70,000:
    // BTC first (MM 3,000 > 1,500): c = 1 BTC, R = 10,000; ETH: floor(10,000e6 * 1e8 / 3,000e6) = 333,333,333 atoms.
    const book: LiqBook = {
      markets: [market(), market(FLAT_10_5, 3_000n * USD)],
      accounts: [account(0n, [pos(1, 10n * BTC, -30_000n * USD), longBtc()])],
    };
    expect(plan(book, { close: 'full', maxNotionalPerRoundQuote: 70_000n * USD }).map((r) => [r.marketId, r.sizeBase]))
      .toEqual([[0, -BTC], [1, -333_333_333n]]);
  });

  it('order of positions: maintenance, notional, book; ties by market id', () => {
    // Positions (array order) [m1, m0, m2]: m0 BTC notional 60,000 MM 3,000; m1 notional 40,000 (mmf 10 %) MM 4,000;
    // m2 notional 30,000 (mmf 10 %) MM 3,000 (ties m0 on MM).
    const book: LiqBook = {
      markets: [market(), market({ kind: 'flat', imfPpm: 200_000, mmfPpm: 100_000 }, 40_000n * USD), market({ kind: 'flat', imfPpm: 200_000, mmfPpm: 100_000 }, 30_000n * USD)],
      accounts: [account(0n, [pos(1, BTC, -40_000n * USD), longBtc(), pos(2, BTC, -30_000n * USD)])],
    };
    const order = (o: LiquidationPolicy['order']): (number | null)[] => plan(book, { close: 'full', order: o }).map((r) => r.marketId);
    expect(order('maintenance')).toEqual([1, 0, 2]);
    expect(order(undefined)).toEqual([1, 0, 2]);
    expect(order('notional')).toEqual([0, 1, 2]);
    expect(order('book')).toEqual([1, 0, 2]);
    book.accounts[0]!.positions.reverse();
    expect(order('book')).toEqual([2, 0, 1]);
    expect(order('maintenance')).toEqual([1, 0, 2]);
  });

  it('partial: the group is done after the position that restores it', () => {
    // BTC long (MM 3,000) and 10 ETH long (MM 1,500), collateral 3,000 (E = 3,000 < M = 4,500).
    // BTC first, step 1e6: E_i = ceil(3,000 * 3,000 / 4,500) = 2,000 >= 0, no fee: E stays 3,000;
    // cond: 3,000e6 >= 1,500e6 + (1e8 - c) * 30 -> c >= 5e7: one row, ETH untouched.
    const book: LiqBook = {
      markets: [market(FLAT_10_5, MARK_60K, { stepBase: BTC / 100n }), market(FLAT_10_5, 3_000n * USD)],
      accounts: [account(3_000n * USD, [longBtc(), pos(1, 10n * BTC, -30_000n * USD)])],
    };
    expect(plan(book).map((r) => [r.marketId, r.sizeBase])).toEqual([[0, -50_000_000n]]);
  });

  it('healthy groups and the backstop account are not planned; risk order: cross first, then isolated', () => {
    const book: LiqBook = {
      markets: [market()],
      accounts: [
        account(1_000n * USD, [longBtc()]), // E/M = 1/3
        account(2_000n * USD, [longBtc()], [{ ...shortBtc(), collateralQuote: 100n * USD }]), // 2/3; isolated 1/30
        account(10_000n * USD, [longBtc()]), // healthy
      ],
    };
    const rows = plan(book, { close: 'full' });
    expect(rows.map((r) => [r.accountId, r.isolatedId])).toEqual([[0, null], [1, null], [1, 0]]);
    expect(plan(book, { close: 'full', backstopPpm: 1, backstopAccountId: 1 }).map((r) => [r.accountId, r.isolatedId])).toEqual([[0, null]]);
    // Named while the backstop is off: planned like any other account.
    expect(plan(book, { close: 'full', backstopAccountId: 1 })).toEqual(rows);
  });
});

describe('backstop transfer', () => {
  it('a group below backstopPpm of MM merges into the backstop account', () => {
    // Backstop (account 0): short 0.5 BTC with quote 30,000, collateral 100,000, short snapshot 0 while the
    // short index is -50 per BTC: owed = ceil(-0.5e8 * (-50e6) / 1e8) = 25 USD.
    // Account 1: long 1 BTC, collateral 1,000, long index 100 above its snapshot: owed 100; E = 900, M = 3,000:
    // 900e6 * 1e6 < 3,000e6 * 666,667 -> transfer.
    const book: LiqBook = {
      markets: [{ ...market(), fundingIndexLong: 100n * USD, fundingIndexShort: -50n * USD }],
      accounts: [account(100_000n * USD, [pos(0, -BTC / 2n, 30_000n * USD)]), account(1_000n * USD, [longBtc()])],
    };
    const policy: LiquidationPolicy = { backstopPpm: 666_667, backstopAccountId: 0, liquidationFeePpm: 10_000 };
    const rows = plan(book, policy);
    expect(rows).toEqual([{ accountId: 1, marketId: 0, isolatedId: null, kind: 'transfer', sizeBase: -BTC, priceQuote: MARK_60K }]);
    const state = createLiquidationState(book);
    const before = ledger(book, state).totalQuote;
    const log = executePlan(book, state, rows, policy);
    // funding = 100 + 25; the group's collateral 1,000 - 100 = 900 goes to the backstop.
    expect(log[0]).toMatchObject({ realizedPnlQuote: 0n, fundingQuote: 125n * USD, transferQuote: 900n * USD, fundFeeQuote: 0n });
    // Backstop: collateral 100,000 - 25 + 900; position 0.5 BTC long, quote 30,000 - 60,000, snapshot = long index.
    expect(book.accounts[0]).toEqual(account(100_875n * USD, [pos(0, BTC / 2n, -30_000n * USD, 100n * USD)]));
    expect(book.accounts[1]).toEqual(account(0n));
    expect(ledger(book, state).totalQuote).toBe(before);
  });

  it('a merged size of 0 realizes the merged quote into the backstop collateral; isolated groups transfer too', () => {
    // Backstop short 1 BTC with quote 61,000: the merged quote 61,000 - 60,000 = 1,000 is realized.
    // Account 1's isolated long (collateral 500, E = 500 < 3,000 * 2/3) moves to the backstop's cross book.
    const book: LiqBook = {
      markets: [market()],
      accounts: [account(10_000n * USD, [pos(0, -BTC, 61_000n * USD)]), account(7n * USD, [], [{ ...longBtc(), collateralQuote: 500n * USD }])],
    };
    const policy: LiquidationPolicy = { backstopPpm: 666_667, backstopAccountId: 0 };
    const rows = plan(book, policy);
    expect(rows).toEqual([{ accountId: 1, marketId: 0, isolatedId: 0, kind: 'transfer', sizeBase: -BTC, priceQuote: MARK_60K }]);
    const state = createLiquidationState(book);
    const log = executePlan(book, state, rows, policy);
    expect(log[0]).toMatchObject({ realizedPnlQuote: 1_000n * USD, fundingQuote: 0n, transferQuote: 500n * USD });
    expect(book.accounts[0]).toEqual(account(11_500n * USD));
    expect(book.accounts[1]).toEqual(account(7n * USD));
    expect(ledger(book, state)).toMatchObject({ flowQuote: -1_000n * USD, totalQuote: 10_507n * USD });
  });
});

// ---- Random books ------------------------------------------------------------------------------

/** A small seeded generator (xorshift32), kept here so that these tests need no engine build. */
function rngOf(seed: number): { int: (lo: number, hi: number) => number; big: (lo: bigint, hi: bigint) => bigint } {
  let x = (seed * 2654435761) >>> 0 || 1;
  const next = (): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  const big = (lo: bigint, hi: bigint): bigint => lo + BigInt(Math.floor(next() * Number(hi - lo + 1n)));
  return { int, big };
}

/** Random markets (flat, tiers, size premium) and accounts around their maintenance margin. */
function randomBook(seed: number): LiqBook {
  const r = rngOf(seed);
  const markets: LiqMarket[] = [];
  const marketCount = r.int(1, 4);
  for (let m = 0; m < marketCount; m++) {
    const mmf = r.int(1, 80) * 1_000;
    const kind = r.int(0, 2);
    const curve: RefCurve = kind === 0
      ? { kind: 'flat', imfPpm: mmf * 2, mmfPpm: mmf }
      : kind === 1
        ? { kind: 'tiers', tiers: [
          { notionalFloorQuote: 0n, imfPpm: mmf * 2, mmfPpm: mmf },
          { notionalFloorQuote: BigInt(r.int(1, 50)) * 1_000n * USD, imfPpm: mmf * 2 + 20_000, mmfPpm: mmf + 10_000 },
          { notionalFloorQuote: 100_000n * USD, imfPpm: mmf * 2 + 60_000, mmfPpm: mmf + 30_000 },
        ] }
        : { kind: 'sizePremium', imfPpm: mmf * 2, mmfPpm: mmf, premiumPpm: r.int(0, 3_000) };
    markets.push({
      baseDecimals: r.int(0, 9), markPrice: r.big(1n, 100_000n) * USD / BigInt(r.int(1, 1000)) + 1n, curve,
      fundingIndexLong: r.big(-1_000n, 1_000n) * USD, fundingIndexShort: r.big(-1_000n, 1_000n) * USD,
      stepBase: r.int(0, 2) === 0 ? 1n : BigInt(r.int(1, 1000)), insuranceFund: r.int(0, 1) === 0 ? 'global' : 'own',
    });
  }
  const accounts: RefAccount[] = [];
  for (let a = 0; a < 12; a++) {
    const entries: (RefPosition & { notional: bigint; mm: number })[] = [];
    for (let m = 0; m < marketCount; m++) {
      if (r.int(0, 2) === 0) continue;
      const mk = markets[m]!;
      const D = 10n ** BigInt(mk.baseDecimals);
      const notional = r.big(1n, 200_000n) * USD;
      const size = (notional * D) / mk.markPrice + 1n;
      const sizeBase = r.int(0, 1) === 0 ? size : -size;
      const entry = mk.markPrice * BigInt(r.int(900, 1100)) / 1000n;
      const snapshot = (sizeBase > 0n ? mk.fundingIndexLong : mk.fundingIndexShort) + r.big(-20n, 20n) * USD;
      entries.push({ marketId: m, sizeBase, quoteBalance: -(sizeBase * entry) / D, fundingSnapshot: snapshot, notional, mm: 0 });
    }
    const notional = entries.reduce((n, e) => n + e.notional, 0n);
    const isolated: RefIsolated[] = [];
    const positions: RefPosition[] = [];
    entries.forEach((e, k) => {
      const p: RefPosition = { marketId: e.marketId, sizeBase: e.sizeBase, quoteBalance: e.quoteBalance, fundingSnapshot: e.fundingSnapshot };
      if (k === 0 && r.int(0, 3) === 0) isolated.push({ ...p, collateralQuote: e.notional * BigInt(r.int(-20, 150)) / 1000n });
      else positions.push(p);
    });
    accounts.push({ collateralQuote: notional * BigInt(r.int(-30, 120)) / 1000n + r.big(-50n, 50n) * USD, imfFloorPpm: 0, positions, isolated });
  }
  return { markets, accounts };
}

/** A random policy covering every knob (amounts in atoms). */
function randomPolicy(seed: number, backstopAccountId: number): LiquidationPolicy {
  const r = rngOf(seed * 7 + 3);
  const pick = <T>(xs: readonly T[]): T => xs[r.int(0, xs.length - 1)]!;
  const policy: LiquidationPolicy = {
    close: pick(['full', 'partial'] as const), target: pick(['maintenance', 'initial'] as const), bufferPpm: pick([0, 50_000, 200_000]),
    maxCloseFractionPpm: pick([1_000_000, 100_000, 200_000, 500_000]), fractionAboveNotionalQuote: pick([0n, 20_000n * USD]),
    minCloseNotionalQuote: pick([0n, 50n * USD, 5_000n * USD]), maxNotionalPerRoundQuote: pick([0n, 30_000n * USD, 100_000n * USD]),
    maxDeficitPerRoundQuote: pick([0n, 100n * USD, 5_000n * USD]), order: pick(['maintenance', 'notional', 'book'] as const),
    liquidationFeePpm: pick([0, 5_000, 15_000]), liquidatorSharePpm: pick([0, 300_000, 1_000_000]),
  };
  if (r.int(0, 2) === 0) Object.assign(policy, { backstopPpm: pick([666_667, 1_000_000]), backstopAccountId });
  return policy;
}

describe('conservation on random books', () => {
  it('the ledger total is unchanged by every execution, over several rounds', () => {
    let rows = 0, transfers = 0, deficits = 0, fees = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const book = randomBook(seed);
      // A backstop account with no isolated positions and plenty of collateral.
      book.accounts.push({ collateralQuote: 10_000_000n * USD, imfFloorPpm: 0, positions: [], isolated: [] });
      const policy = randomPolicy(seed, book.accounts.length - 1);
      const state: LiquidationState = createLiquidationState(book);
      state.fundsQuote[0] = 1_000n * USD;
      const total = ledger(book, state).totalQuote;
      for (let round = 0; round < 4; round++) {
        const planned = plan(book, policy);
        if (planned.length === 0) break;
        const log = executePlan(book, state, planned, policy);
        expect(ledger(book, state).totalQuote, `seed ${seed} round ${round}`).toBe(total);
        // Only fees leave accounts; funds and liquidators get exactly what the log says.
        const s = summarize(book, log);
        expect(s.rows).toBe(planned.length);
        rows += log.length;
        transfers += s.transfers;
        deficits += log.filter((r) => r.deficitQuote > 0n).length;
        fees += log.filter((r) => r.fundFeeQuote + r.liquidatorFeeQuote > 0n).length;
      }
    }
    expect(Math.min(rows, transfers, deficits, fees)).toBeGreaterThan(5);
  });
});
