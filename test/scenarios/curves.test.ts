/**
 * Margin curves, one published venue example per curve type (docs/FORMULAS.md, "Curves"), each
 * expected figure worked by hand. Units: quote atoms = 10^-6 USD(T/C); sizes in base atoms.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, fig, figuresOf, Health, oneAccountAtMark, USD } from './support.js';

const { Healthy, BelowInitial, Liquidatable } = Health;

/**
 * Binance USDT-M BTCUSDT leverage brackets (published "Leverage & Margin" table):
 *   bracket  notional floor   max lev  IMF (=1/lev)  MMR     maintenance amount (cum)
 *   1        0                125x     0.8 %         0.40 %  0
 *   2        50,000           100x     1 %           0.50 %  50       = 0      + 50,000     * (0.50 % - 0.40 %)
 *   3        250,000          50x      2 %           1.00 %  1,300    = 50     + 250,000    * (1.00 % - 0.50 %)
 *   4        1,000,000        20x      5 %           2.50 %  16,300   = 1,300  + 1,000,000  * (2.50 % - 1.00 %)
 *   5        10,000,000       10x      10 %          5.00 %  266,300  = 16,300 + 10,000,000 * (5.00 % - 2.50 %)
 * The engine derives the amounts itself (ded_j = sum L_i*(mmf_i - mmf_{i-1})/10^6), so MM is
 * continuous: MM = ceil(N * mmf_j / 10^6) - ded_j; IM = ceil(N * imf_j / 10^6) on the whole notional.
 */
const BINANCE_BTCUSDT = {
  kind: 'tiers' as const,
  tiers: [
    { notionalFloorQuote: 0n, imfPpm: 8_000, mmfPpm: 4_000 },
    { notionalFloorQuote: 50_000n * USD, imfPpm: 10_000, mmfPpm: 5_000 },
    { notionalFloorQuote: 250_000n * USD, imfPpm: 20_000, mmfPpm: 10_000 },
    { notionalFloorQuote: 1_000_000n * USD, imfPpm: 50_000, mmfPpm: 25_000 },
    { notionalFloorQuote: 10_000_000n * USD, imfPpm: 100_000, mmfPpm: 50_000 },
  ],
};

describe('tiers: Binance BTCUSDT brackets (D = 10^8, mark 50,000 USDT = 5e10 atoms)', () => {
  // N = |size| * 5e10 / 1e8 = |size| * 500 atoms. Each row is one account holding one position
  // bought at the mark (quote = -N, so value = 0) with collateral 2,000,000 USDT (>= every IM below).
  const rows: { name: string; size: bigint; im: bigint; mm: bigint }[] = [
    // 0.5 BTC: N = 25,000 USDT, bracket 1: IM = 25,000 * 0.8 % = 200; MM = 25,000 * 0.4 % - 0 = 100.
    { name: 'bracket 1, 0.5 BTC', size: 50_000_000n, im: 200n * USD, mm: 100n * USD },
    // 0.99999999 BTC: N = 99,999,999 * 500 = 49,999,999,500 atoms, still bracket 1:
    // IM = ceil(49,999,999,500 * 8,000 / 1e6) = 399,999,996; MM = ceil(49,999,999,500 * 4,000 / 1e6) = 199,999,998.
    { name: 'one atom below the 50,000 boundary', size: 99_999_999n, im: 399_999_996n, mm: 199_999_998n },
    // 1 BTC: N = 50,000 exactly = L_2, bracket 2 (tier j is the last with N >= L_j):
    // IM = 50,000 * 1 % = 500 (the whole notional at the new IMF); MM = 50,000 * 0.5 % - 50 = 200,
    // equal to bracket 1's 50,000 * 0.4 % = 200: the maintenance amount keeps MM continuous.
    { name: 'bracket 2 at its floor, maintenance amount keeps MM continuous', size: 100_000_000n, im: 500n * USD, mm: 200n * USD },
    // 3 BTC: N = 150,000: IM = 1 % = 1,500; MM = 150,000 * 0.5 % - 50 = 750 - 50 = 700.
    { name: 'bracket 2, 3 BTC', size: 300_000_000n, im: 1_500n * USD, mm: 700n * USD },
    // -3 BTC (short): |size| is what counts: same IM 1,500, MM 700.
    { name: 'bracket 2, 3 BTC short', size: -300_000_000n, im: 1_500n * USD, mm: 700n * USD },
    // 5 BTC: N = 250,000 = L_3: IM = 2 % = 5,000; MM = 250,000 * 1 % - 1,300 = 1,200
    // (bracket 2 would give 250,000 * 0.5 % - 50 = 1,200: continuous).
    { name: 'bracket 3 at its floor', size: 500_000_000n, im: 5_000n * USD, mm: 1_200n * USD },
    // 30 BTC: N = 1,500,000: IM = 5 % = 75,000; MM = 1,500,000 * 2.5 % - 16,300 = 37,500 - 16,300 = 21,200.
    { name: 'bracket 4, 30 BTC', size: 3_000_000_000n, im: 75_000n * USD, mm: 21_200n * USD },
    // 300 BTC: N = 15,000,000: IM = 10 % = 1,500,000; MM = 15,000,000 * 5 % - 266,300 = 483,700.
    { name: 'bracket 5, 300 BTC', size: 30_000_000_000n, im: 1_500_000n * USD, mm: 483_700n * USD },
  ];

  it.each(rows)('tiers: Binance BTCUSDT $name', async ({ size, im, mm }) => {
    const { engine, accountId } = await oneAccountAtMark({ baseDecimals: 8, markPrice: 50_000n * USD, curve: BINANCE_BTCUSDT }, size, 2_000_000n * USD);
    // value = floor(size * 5e10 / 1e8) + quote = 0; equity = collateral = 2,000,000 USDT.
    expect(figuresOf(engine, accountId)).toEqual(fig(2_000_000n * USD, im, mm, Healthy));
  });

  it('tiers: Binance BTCUSDT, a mark with a remainder rounds IM and MM up once', async () => {
    const e = await createEngine();
    // mark 43,210.987654 USDT; 1 BTC: N = 43,210,987,654 atoms, bracket 1.
    const m = e.addMarket({ baseDecimals: 8, markPrice: '43210.987654', curve: BINANCE_BTCUSDT });
    const [a] = e.addAccounts([{ collateralQuote: 0n, positions: [{ marketId: m, sizeBase: 100_000_000n, quoteBalance: -43_210_987_654n }] }]);
    e.check();
    // IM = ceil(43,210,987,654 * 8,000 / 1e6) = ceil(345,687,901.232) = 345,687,902
    // MM = ceil(43,210,987,654 * 4,000 / 1e6) = ceil(172,843,950.616) = 172,843,951
    // equity = 0 + (43,210,987,654 - 43,210,987,654) = 0 < MM: liquidatable.
    expect(figuresOf(e, a!)).toEqual(fig(0n, 345_687_902n, 172_843_951n, Liquidatable));
  });

  it('tiers: Binance BTCUSDT, a mark move across the 50,000 boundary re-selects the bracket', async () => {
    const e = await createEngine();
    const m = e.addMarket({ baseDecimals: 8, markPrice: 50_000n * USD, curve: BINANCE_BTCUSDT });
    // 1 BTC, quote -50,000 USDT, collateral 1,000 USDT.
    const [a] = e.addAccounts([{ collateralQuote: 1_000n * USD, positions: [{ marketId: m, sizeBase: 100_000_000n, quoteBalance: -50_000n * USD }] }]);
    const cases: [bigint, ReturnType<typeof fig>][] = [
      // mark 49,999.999999: N = 49,999,999,999 atoms < 50,000 USDT: bracket 1; value = -1: equity 999,999,999;
      // IM = ceil(49,999,999,999 * 8,000 / 1e6) = ceil(399,999,999.992) = 400,000,000;
      // MM = ceil(49,999,999,999 * 4,000 / 1e6) = ceil(199,999,999.996) = 200,000,000.
      [49_999_999_999n, fig(999_999_999n, 400n * USD, 200n * USD, Healthy)],
      // mark 50,000: N = 50,000 USDT: bracket 2: IM = 500; MM = 250 - 50 = 200 (continuous); equity 1,000.
      [50_000n * USD, fig(1_000n * USD, 500n * USD, 200n * USD, Healthy)],
      // back below: bracket 1 again.
      [49_999_999_999n, fig(999_999_999n, 400n * USD, 200n * USD, Healthy)],
    ];
    for (const [mark, expected] of cases) {
      e.setMarks([m], [mark]);
      e.check();
      expect(figuresOf(e, a!), `mark ${mark}`).toEqual(expected);
    }
  });

  it('tiers: Binance liquidation, account liquidatable when equity < MM, around Binance\'s own LP formula', async () => {
    // One-way long 3 BTC at EP 50,000 (quote -150,000 USDT), wallet balance WB = 2,000 USDT.
    // Binance: LP = (WB - TMM1 + UPNL1 + cumB - Side*Pos*EP) / (Pos*MMR - Side*Pos)
    //             = (2,000 - 0 + 0 + 50 - 150,000) / (3 * 0.005 - 3) = -147,950 / -2.985 = 49,564.4891...
    // so at a mark of 49,564.49 the account is not yet liquidatable and at 49,564.48 it is.
    const e = await createEngine();
    const m = e.addMarket({ baseDecimals: 8, markPrice: 50_000n * USD, curve: BINANCE_BTCUSDT });
    const [a] = e.addAccounts([{ collateralQuote: 2_000n * USD, positions: [{ marketId: m, sizeBase: 300_000_000n, quoteBalance: -150_000n * USD }] }]);
    const cases: { mark: bigint; expected: ReturnType<typeof fig> }[] = [
      // mark 49,800: value = 3 * 49,800 - 150,000 = -600; equity = 1,400.
      // N = 149,400 (bracket 2): IM = 1,494; MM = 149,400 * 0.5 % - 50 = 747 - 50 = 697. MM <= 1,400 < IM.
      { mark: 49_800n * USD, expected: fig(1_400n * USD, 1_494n * USD, 697n * USD, BelowInitial) },
      // mark 49,564.49: N = 148,693.47 USDT = 148,693,470,000 atoms; equity = 2,000 + 148,693.47 - 150,000 = 693.47;
      // IM = 1,486,934,700; MM = ceil(148,693,470,000 * 5,000 / 1e6) - 50e6 = 743,467,350 - 50,000,000 = 693,467,350.
      // equity 693,470,000 >= MM: still belowInitial.
      { mark: 49_564_490_000n, expected: fig(693_470_000n, 1_486_934_700n, 693_467_350n, BelowInitial) },
      // mark 49,564.48: N = 148,693,440,000; equity = 693,440,000; IM = 1,486,934,400;
      // MM = 743,467,200 - 50,000,000 = 693,467,200 > equity: liquidatable.
      { mark: 49_564_480_000n, expected: fig(693_440_000n, 1_486_934_400n, 693_467_200n, Liquidatable) },
      // mark 49,500: equity = 2,000 + 148,500 - 150,000 = 500; IM = 1,485; MM = 742.5 - 50 = 692.5 > 500.
      { mark: 49_500n * USD, expected: fig(500n * USD, 1_485n * USD, 692_500_000n, Liquidatable) },
    ];
    for (const { mark, expected } of cases) {
      e.setMarks([m], [mark]);
      e.check();
      expect(figuresOf(e, a!), `mark ${mark}`).toEqual(expected);
    }
  });
});

/**
 * Hyperliquid BTC margin tiers (docs, "Margin tiers"): 0-150M USDC at 40x, above 150M at 20x.
 * IM = notional / leverage; MM = notional * mmr - deduction with mmr = 1 / (2 * max leverage):
 *   tier 1: IM 2.5 % (25,000 ppm), mmr 1.25 % (12,500 ppm), deduction 0
 *   tier 2: IM 5 %   (50,000 ppm), mmr 2.5 %  (25,000 ppm),
 *           deduction = 0 + 150,000,000 * (2.5 % - 1.25 %) = 1,875,000 USDC
 */
const HYPERLIQUID_BTC = {
  kind: 'tiers' as const,
  tiers: [
    { notionalFloorQuote: 0n, imfPpm: 25_000, mmfPpm: 12_500 },
    { notionalFloorQuote: '150000000', imfPpm: 50_000, mmfPpm: 25_000 },
  ],
};

describe('tiers: Hyperliquid BTC, mmr = 1/(2 * max leverage) (szDecimals 5, mark 100,000 USDC)', () => {
  // D = 1e5, mark = 1e11 atoms: N = |size| * 1e11 / 1e5 = |size| * 1e6 atoms = |size| USDC.
  const rows: { name: string; size: bigint; im: bigint; mm: bigint }[] = [
    // 1 BTC = 100,000 atoms: N = 100,000 USDC: IM = 2.5 % = 2,500; MM = 1.25 % = 1,250.
    { name: '40x tier, 1 BTC', size: 100_000n, im: 2_500n * USD, mm: 1_250n * USD },
    // 1,499.99999 BTC: N = 149,999,999 USDC: IM = 149,999,999 * 25,000 atoms = 3,749,999,975,000;
    // MM = 149,999,999 * 12,500 atoms = 1,874,999,987,500.
    { name: 'one atom below 150M', size: 149_999_999n, im: 3_749_999_975_000n, mm: 1_874_999_987_500n },
    // 1,500 BTC: N = 150M = tier 2 floor: IM = 5 % = 7,500,000;
    // MM = 150M * 2.5 % - 1,875,000 = 3,750,000 - 1,875,000 = 1,875,000 = 150M * 1.25 %: continuous.
    { name: '20x tier at 150M, MM continuous', size: 150_000_000n, im: 7_500_000n * USD, mm: 1_875_000n * USD },
    // 2,000 BTC: N = 200M: IM = 10,000,000; MM = 5,000,000 - 1,875,000 = 3,125,000.
    { name: '20x tier, 200M', size: 200_000_000n, im: 10_000_000n * USD, mm: 3_125_000n * USD },
    // 3,000 BTC short: N = 300M = 3e14 atoms (beyond 2^48, the exact 128-bit path):
    // IM = 15,000,000; MM = 7,500,000 - 1,875,000 = 5,625,000.
    { name: '20x tier, 300M short (exact path)', size: -300_000_000n, im: 15_000_000n * USD, mm: 5_625_000n * USD },
  ];

  it.each(rows)('tiers: Hyperliquid BTC $name', async ({ size, im, mm }) => {
    const { engine, accountId } = await oneAccountAtMark({ baseDecimals: 5, markPrice: 100_000n * USD, curve: HYPERLIQUID_BTC }, size, 20_000_000n * USD);
    // value = 0 (traded at the mark); equity = collateral 20,000,000 USDC >= IM in every row.
    expect(figuresOf(engine, accountId)).toEqual(fig(20_000_000n * USD, im, mm, Healthy));
  });
});

/**
 * Drift size premium (protocol-v2 calculate_size_premium_liability_weight):
 *   MR_size = max(MR, 0.8 * MR + imf_factor * sqrt(size)), capped at 100 %, computed as
 *   P = ceilSqrt(ceil(k^2 * |size| / D)),  imf = min(10^6, max(imf, ceil(4*imf/5) + P)), same for mmf.
 * SOL-PERP style: D = 10^9 (Drift's base precision), mark 150 USDC, IM 10 %, MM 5 %, k = 1,000 ppm.
 * With k^2 = 10^6 and D = 10^9: k^2 * |size| / D = |size| / 1,000.
 */
describe('sizePremium: Drift SOL-PERP style (D = 1e9, mark 150 USDC, 10 % / 5 %, imf_factor 1,000 ppm)', () => {
  const rows: { name: string; size: bigint; im: bigint; mm: bigint }[] = [
    // 100 SOL = 1e11 atoms: P = ceilSqrt(1e8) = 10,000; imf = max(100,000, 80,000 + 10,000) = 100,000;
    // mmf = max(50,000, 40,000 + 10,000) = 50,000. N = 15,000 USDC: IM = 1,500; MM = 750 (premium does not bind).
    { name: 'small size, base fractions apply', size: 100_000_000_000n, im: 1_500n * USD, mm: 750n * USD },
    // 10,000 SOL = 1e13 atoms (a perfect square): P = ceilSqrt(1e10) = 100,000 (0.001 * sqrt(10,000) = 10 %).
    // imf = max(100,000, 80,000 + 100,000) = 180,000; mmf = max(50,000, 40,000 + 100,000) = 140,000.
    // N = 1,500,000 USDC: IM = 18 % = 270,000; MM = 14 % = 210,000.
    { name: 'perfect-square size 10,000 SOL', size: 10_000_000_000_000n, im: 270_000n * USD, mm: 210_000n * USD },
    // 12,345 SOL: k^2*|size|/D = 12,345,000,000; sqrt = 111,108.05... (111,108^2 = 12,344,987,664 <
    // 12,345,000,000 <= 111,109^2 = 12,345,209,881) so P = 111,109.
    // imf = 80,000 + 111,109 = 191,109; mmf = 40,000 + 111,109 = 151,109. N = 1,851,750 USDC:
    // IM = 1,851,750 * 191,109 atoms = 353,886,090,750; MM = 1,851,750 * 151,109 = 279,816,090,750.
    { name: 'non-square size 12,345 SOL takes the ceil of the square root', size: 12_345_000_000_000n, im: 353_886_090_750n, mm: 279_816_090_750n },
    // 1e9 SOL = 1e18 atoms: P ~ 0.001 * sqrt(1e9) = 31.6 (3,162 %) so both fractions cap at 10^6:
    // N = 1.5e11 USDC = 1.5e17 atoms: IM = MM = N.
    { name: 'huge size caps both fractions at 100 %', size: 1_000_000_000_000_000_000n, im: 150_000_000_000n * USD, mm: 150_000_000_000n * USD },
  ];

  it.each(rows)('sizePremium: Drift $name', async ({ size, im, mm }) => {
    // Bought at the mark: N = |size| * 150e6 / 1e9 = |size| * 3 / 20 (all rows are multiples of 20).
    const curve = { kind: 'sizePremium' as const, imfPpm: 100_000, mmfPpm: 50_000, premiumPpm: 1_000 };
    const { engine, accountId } = await oneAccountAtMark({ baseDecimals: 9, markPrice: 150n * USD, curve }, size, 200_000_000_000n * USD);
    expect(figuresOf(engine, accountId)).toEqual(fig(200_000_000_000n * USD, im, mm, Healthy));
  });

  it('sizePremium: Drift, the inner ceil of k^2*|size|/D and ceil(4*imf/5) both round against the trader', async () => {
    const e = await createEngine();
    // imf 5,001 ppm, mmf 2,501 ppm, k = 1,000, D = 1e9, mark 150 USDC.
    const m = e.addMarket({ baseDecimals: 9, markPrice: 150n * USD, curve: { kind: 'sizePremium', imfPpm: 5_001, mmfPpm: 2_501, premiumPpm: 1_000 } });
    const [a] = e.addAccounts([{ collateralQuote: 1_000n * USD, positions: [{ marketId: m, sizeBase: 1_000_000_001n, quoteBalance: -150n * USD }] }]);
    e.check();
    // size 1.000000001 SOL: k^2*|size|/D = 1,000,000.001 -> ceil 1,000,001 -> ceilSqrt = 1,001 (1,000^2 < 1,000,001).
    // imf = max(5,001, ceil(20,004/5) + 1,001) = max(5,001, 4,001 + 1,001) = 5,002
    // mmf = max(2,501, ceil(10,004/5) + 1,001) = max(2,501, 2,001 + 1,001) = 3,002
    // N = 1,000,000,001 * 150e6 / 1e9 = 150,000,000.15 atoms
    // IM = ceil(150,000,000.15 * 5,002 / 1e6) = ceil(750,300.00075) = 750,301
    // MM = ceil(150,000,000.15 * 3,002 / 1e6) = ceil(450,300.00045) = 450,301
    // value = floor(150,000,000.15) - 150,000,000 = 0; equity = 1,000 USDC.
    expect(figuresOf(e, a!)).toEqual(fig(1_000n * USD, 750_301n, 450_301n, Healthy));
  });
});

/**
 * dYdX v4 open-interest scaled IMF (GetAdjustedInitialMarginPpm), Mid-Cap liquidity tier:
 * IMF 5 %, maintenance fraction 0.6 -> MMF 3 %, OI caps $40M (lower) - $100M (upper).
 *   imf = 5 % + ceil((100 % - 5 %) * (OIN - 40M) / 60M) between the caps; 5 % below; 100 % above.
 * OI = max(longs, |shorts|); OIN = ceil(OI * mark / D). Mark 10 USDC, D = 10^6: OIN = OI units * 10 USDC.
 */
const DYDX_MID_CAP = { kind: 'openInterest' as const, imfPpm: 50_000, mmfPpm: 30_000, lowerCapQuote: 40_000_000n * USD, upperCapQuote: 100_000_000n * USD };

describe('openInterest: dYdX Mid-Cap, caps $40M-$100M', () => {
  const rows: { name: string; units: bigint; imf: number; im: bigint; mm: bigint }[] = [
    // 3M units: OIN = 30M <= 40M: imf = 5 %: IM = 1,500,000; MM = 3 % = 900,000.
    { name: 'below the lower cap: base 5 %', units: 3_000_000n, imf: 50_000, im: 1_500_000n * USD, mm: 900_000n * USD },
    // 4M units: OIN = 40M = lower (OIN <= lower): 5 %: IM = 2,000,000; MM = 1,200,000.
    { name: 'exactly at the lower cap: still 5 %', units: 4_000_000n, imf: 50_000, im: 2_000_000n * USD, mm: 1_200_000n * USD },
    // 4.1M units: OIN = 41M: imf = 50,000 + ceil(950,000 * 1M / 60M) = 50,000 + ceil(15,833.3) = 65,834.
    // IM = 41M * 6.5834 % = 2,699,194; MM = 41M * 3 % = 1,230,000.
    { name: '$41M: the interpolation rounds up', units: 4_100_000n, imf: 65_834, im: 2_699_194n * USD, mm: 1_230_000n * USD },
    // 7M units: OIN = 70M: imf = 50,000 + 950,000 * 30/60 = 525,000 (52.5 %).
    // IM = 70M * 52.5 % = 36,750,000; MM = 70M * 3 % = 2,100,000 (MM keeps the base fraction).
    { name: '$70M open interest: 52.5 %', units: 7_000_000n, imf: 525_000, im: 36_750_000n * USD, mm: 2_100_000n * USD },
    // 10M units: OIN = 100M = upper: 100 %: IM = 100,000,000; MM = 3,000,000.
    { name: 'exactly at the upper cap: 100 %', units: 10_000_000n, imf: 1_000_000, im: 100_000_000n * USD, mm: 3_000_000n * USD },
    // 12M units: OIN = 120M: 100 %: IM = 120,000,000; MM = 3,600,000.
    { name: 'above the upper cap: 100 %', units: 12_000_000n, imf: 1_000_000, im: 120_000_000n * USD, mm: 3_600_000n * USD },
  ];

  it.each(rows)('openInterest: dYdX $name', async ({ units, imf, im, mm }) => {
    const size = units * 1_000_000n;
    // One long holder is the whole open interest; bought at the mark: quote = -units * 10 USDC.
    const { engine, marketId, accountId } = await oneAccountAtMark({ baseDecimals: 6, markPrice: 10n * USD, curve: DYDX_MID_CAP }, size, 200_000_000n * USD);
    expect(engine.market(marketId).effectiveImfPpm).toBe(imf);
    expect(engine.market(marketId).openInterestLongBase).toBe(size);
    expect(figuresOf(engine, accountId)).toEqual(fig(200_000_000n * USD, im, mm, Healthy));
  });

  it('openInterest: dYdX OI is max(longs, |shorts|); every holder of the market pays the scaled IMF', async () => {
    const e = await createEngine();
    const m = e.addMarket({ baseDecimals: 6, markPrice: 10n * USD, curve: DYDX_MID_CAP });
    // Longs 6,999,000 + 1,000 = 7,000,000 units; shorts 3,000,000 units: OI = 7M, OIN = 70M: imf 52.5 %.
    const ids = e.addAccounts([
      { collateralQuote: 50_000_000n * USD, positions: [{ marketId: m, sizeBase: 6_999_000_000_000n, quoteBalance: -69_990_000n * USD }] },
      { collateralQuote: 10_000n * USD, positions: [{ marketId: m, sizeBase: 1_000_000_000n, quoteBalance: -10_000n * USD }] },
      { collateralQuote: 20_000_000n * USD, positions: [{ marketId: m, sizeBase: -3_000_000_000_000n, quoteBalance: 30_000_000n * USD }] },
    ]);
    e.check();
    expect(e.market(m).openInterestShortBase).toBe(3_000_000_000_000n);
    // Small long (1,000 units, N = 10,000): IM = 10,000 * 52.5 % = 5,250; MM = 10,000 * 3 % = 300; equity 10,000.
    expect(figuresOf(e, ids[1]!)).toEqual(fig(10_000n * USD, 5_250n * USD, 300n * USD, Healthy));
    // Short (3M units, N = 30M): IM = 30M * 52.5 % = 15,750,000; MM = 900,000; equity 20,000,000.
    expect(figuresOf(e, ids[2]!)).toEqual(fig(20_000_000n * USD, 15_750_000n * USD, 900_000n * USD, Healthy));
    // Big long (N = 69,990,000): IM = 36,744,750; MM = 2,099,700; equity 50,000,000.
    expect(figuresOf(e, ids[0]!)).toEqual(fig(50_000_000n * USD, 36_744_750n * USD, 2_099_700n * USD, Healthy));
  });

  it('openInterest: dYdX per-account custom IMF (chosen lower leverage) raises IM, never MM', async () => {
    const e = await createEngine();
    const m = e.addMarket({ baseDecimals: 6, markPrice: 10n * USD, curve: DYDX_MID_CAP });
    // OI: 100,000 + 100,000 + 3,000,000 = 3,200,000 units -> OIN = 32M < 40M: imf = 5 %.
    const ids = e.addAccounts([
      { collateralQuote: 100_000n * USD, imfFloorPpm: 0, positions: [{ marketId: m, sizeBase: 100_000_000_000n, quoteBalance: -1_000_000n * USD }] },
      { collateralQuote: 100_000n * USD, imfFloorPpm: 200_000, positions: [{ marketId: m, sizeBase: 100_000_000_000n, quoteBalance: -1_000_000n * USD }] },
      { collateralQuote: 10_000_000n * USD, imfFloorPpm: 0, positions: [{ marketId: m, sizeBase: 3_000_000_000_000n, quoteBalance: -30_000_000n * USD }] },
    ]);
    e.check();
    // No floor: N = 1,000,000: IM = 5 % = 50,000; MM = 3 % = 30,000; equity 100,000: healthy.
    expect(figuresOf(e, ids[0]!)).toEqual(fig(100_000n * USD, 50_000n * USD, 30_000n * USD, Healthy));
    // Floor 20 % (5x): IM = ceil(N * max(50,000, 200,000) / 1e6) = 200,000; MM still 30,000.
    // equity 100,000 < IM: belowInitial.
    expect(figuresOf(e, ids[1]!)).toEqual(fig(100_000n * USD, 200_000n * USD, 30_000n * USD, BelowInitial));
    // The floor binds only when above the curve's fraction: raise OI to 7M units (+3.8M via a fill at the mark)
    // -> imf 52.5 % > 20 %: the floored account's IM = 1,000,000 * 52.5 % = 525,000.
    e.applyFill({ accountId: ids[2]!, marketId: m, sizeDeltaBase: 3_800_000_000_000n, priceQuote: 10n * USD });
    e.check();
    expect(e.market(m).effectiveImfPpm).toBe(525_000);
    expect(figuresOf(e, ids[1]!)).toEqual(fig(100_000n * USD, 525_000n * USD, 30_000n * USD, BelowInitial));
  });
});
