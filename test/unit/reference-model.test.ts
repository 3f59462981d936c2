import { describe, it, expect } from 'vitest';
import {
  applyFill,
  ceilDiv,
  ceilSqrt,
  checkBook,
  cloneBook,
  curveFractions,
  floorDiv,
  openInterestBase,
  positionFigures,
  preTrade,
  RefOverflow,
  riskCompare,
  type RefAccount,
  type RefBook,
  type RefCurve,
  type RefMarket,
  type RefPosition,
} from '../reference/model.js';

// Hand-worked tests of the reference model itself (docs/FORMULAS.md).

const MARK_60K = 60_000_000000n; // 60,000 USD, 6 quote decimals

function market(curve: RefCurve, markPrice = MARK_60K, baseDecimals = 8): RefMarket {
  return { baseDecimals, markPrice, fundingIndexLong: 0n, fundingIndexShort: 0n, curve };
}
const FLAT_10_5: RefCurve = { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 };

function account(collateralQuote: bigint, positions: RefPosition[] = [], imfFloorPpm = 0): RefAccount {
  return { collateralQuote, imfFloorPpm, positions, isolated: [] };
}
function pos(marketId: number, sizeBase: bigint, quoteBalance: bigint, fundingSnapshot = 0n): RefPosition {
  return { marketId, sizeBase, quoteBalance, fundingSnapshot };
}

describe('integer helpers', () => {
  it('floorDiv / ceilDiv round toward -inf / +inf', () => {
    expect(floorDiv(7n, 2n)).toBe(3n);
    expect(floorDiv(-7n, 2n)).toBe(-4n);
    expect(floorDiv(-6n, 2n)).toBe(-3n);
    expect(ceilDiv(7n, 2n)).toBe(4n);
    expect(ceilDiv(-7n, 2n)).toBe(-3n);
    expect(ceilDiv(6n, 2n)).toBe(3n);
    expect(() => floorDiv(1n, 0n)).toThrow(RangeError);
  });

  it('ceilSqrt is the smallest r with r*r >= n', () => {
    for (let n = 0n; n < 2000n; n++) {
      const r = ceilSqrt(n);
      expect(r * r >= n && (r === 0n || (r - 1n) * (r - 1n) < n)).toBe(true);
    }
    const big = (1n << 62n) + 12345n;
    const r = ceilSqrt(big * big);
    expect(r).toBe(big);
    expect(ceilSqrt(big * big + 1n)).toBe(big + 1n);
  });
});

describe('flat curve, one position', () => {
  // 0.5 BTC long = 50_000_000 base atoms, entered at 60k: quote balance -30_000_000000.
  const m = market(FLAT_10_5);
  it('value, IM, MM of a long at its entry price', () => {
    const f = positionFigures(m, 0n, 50_000_000n, -30_000_000000n, 0n, 0);
    // value = floor(50_000_000 * 60_000_000000 / 1e8) - 30_000_000000 = 30_000_000000 - 30_000_000000 = 0
    expect(f.valueQuote).toBe(0n);
    expect(f.fundingOwedQuote).toBe(0n);
    // IM = ceil(30_000_000000 * 100_000 / 1e6) = 3_000_000000; MM = 30_000_000000 * 5% = 1_500_000000
    expect(f.imQuote).toBe(3_000_000000n);
    expect(f.mmQuote).toBe(1_500_000000n);
  });

  it('account health at each threshold', () => {
    const positions = () => [pos(0, 50_000_000n, -30_000_000000n)];
    const book: RefBook = {
      markets: [m],
      accounts: [
        account(5_000_000000n, positions()), // equity 5000 >= IM 3000: healthy, free 2000
        account(3_000_000000n, positions()), // equity == IM: healthy, free 0
        account(2_999_999999n, positions()), // MM <= equity < IM: belowInitial
        account(1_500_000000n, positions()), // equity == MM: belowInitial
        account(1_499_999999n, positions()), // 0 <= equity < MM: liquidatable
        account(0n, positions()), // liquidatable
        account(-1n, positions()), // bankrupt
        { ...account(7n, positions()), closed: true }, // inactive, all zero
      ],
    };
    const r = checkBook(book);
    expect(r.accounts.map((a) => a.health)).toEqual([0, 0, 1, 1, 2, 2, 3, 4]);
    expect(r.accounts[0]).toEqual({
      equityQuote: 5_000_000000n, imQuote: 3_000_000000n, mmQuote: 1_500_000000n, freeQuote: 2_000_000000n, health: 0,
    });
    expect(r.accounts[7]).toEqual({ equityQuote: 0n, imQuote: 0n, mmQuote: 0n, freeQuote: 0n, health: 4 });
    expect(r.counts.accounts).toEqual([2, 2, 2, 1, 1]);
    // all liquidatable/bankrupt rows have the same MM, so the order is by equity: -1, 0, 1_499_999999
    expect(r.riskOrder).toEqual([6, 5, 4]);
  });

  it('imfFloorPpm raises IM only', () => {
    // floor 20%: IM = 30_000_000000 * 20% = 6_000_000000; MM still 1_500_000000
    const f = positionFigures(m, 0n, 50_000_000n, -30_000_000000n, 0n, 200_000);
    expect(f.imQuote).toBe(6_000_000000n);
    expect(f.mmQuote).toBe(1_500_000000n);
    // a floor below the curve's imf changes nothing
    expect(positionFigures(m, 0n, 50_000_000n, 0n, 0n, 50_000).imQuote).toBe(3_000_000000n);
  });

  it('a short rounds value toward -inf, funding up and IM/MM up', () => {
    const odd: RefMarket = { ...market(FLAT_10_5, 60_000_000001n), fundingIndexShort: -150n, fundingIndexLong: 150n };
    // size -1 base atom: value = floor(-60_000_000001 / 1e8) + 600 = floor(-600.00000001) + 600 = -601 + 600 = -1
    // funding = ceil(-1 * (-150 - 0) / 1e8) = ceil(0.0000015) = 1 (the short pays one atom)
    // IM = ceil(60_000_000001 * 100_000 / 1e14) = ceil(60.000000001) = 61; MM = ceil(30.0000000005) = 31
    const f = positionFigures(odd, 0n, -1n, 600n, 0n, 0);
    expect(f).toEqual({ valueQuote: -1n, fundingOwedQuote: 1n, imQuote: 61n, mmQuote: 31n, notionalFloorQuote: 600n });
    // a paying long of 1 atom (long index 150): ceil(1 * 150 / 1e8) = ceil(0.0000015) = 1;
    // a receiving long (long index -150): ceil(-0.0000015) = 0, i.e. received funding rounds toward zero
    const receiving: RefMarket = { ...odd, fundingIndexLong: -150n };
    expect(positionFigures(receiving, 0n, 1n, 0n, 0n, 0).fundingOwedQuote).toBe(0n);
    expect(positionFigures(odd, 0n, 1n, 0n, 0n, 0).fundingOwedQuote).toBe(1n);
    // long value rounds down too: floor(600.00000001) = 600
    expect(positionFigures(odd, 0n, 1n, 0n, 0n, 0).valueQuote).toBe(600n);
  });

  it('a size-0 position contributes its quote balance only', () => {
    const f = positionFigures({ ...market(FLAT_10_5), fundingIndexLong: 999n }, 0n, 0n, 42n, 0n, 500_000);
    expect(f).toEqual({ valueQuote: 42n, fundingOwedQuote: 0n, imQuote: 0n, mmQuote: 0n, notionalFloorQuote: 0n });
  });
});

describe('tiers', () => {
  // L: 0 / 1M / 5M USD; imf 2% / 4% / 10%; mmf 1% / 2% / 5%
  // ded_1 = 1_000_000_000000 * (20_000 - 10_000) / 1e6 = 10_000_000000
  // ded_2 = ded_1 + 5_000_000_000000 * (50_000 - 20_000) / 1e6 = 10_000_000000 + 150_000_000000 = 160_000_000000
  const tiers: RefCurve = {
    kind: 'tiers',
    tiers: [
      { notionalFloorQuote: 0n, imfPpm: 20_000, mmfPpm: 10_000 },
      { notionalFloorQuote: 1_000_000_000000n, imfPpm: 40_000, mmfPpm: 20_000 },
      { notionalFloorQuote: 5_000_000_000000n, imfPpm: 100_000, mmfPpm: 50_000 },
    ],
  };
  const m = market(tiers, 50_000_000000n); // BTC at 50k: 20 BTC = 1M notional

  it('selects tiers and deductions', () => {
    expect(curveFractions(m, 0n, 1_999_999_999n)).toEqual({ imfPpm: 20_000n, mmfPpm: 10_000n, dedQuote: 0n });
    expect(curveFractions(m, 0n, -2_000_000_000n)).toEqual({ imfPpm: 40_000n, mmfPpm: 20_000n, dedQuote: 10_000_000000n });
    expect(curveFractions(m, 0n, 10_000_000_000n)).toEqual({ imfPpm: 100_000n, mmfPpm: 50_000n, dedQuote: 160_000_000000n });
  });

  it('MM is continuous at a tier boundary while IM jumps', () => {
    // one atom below 20 BTC: N = 1_999_999_999 * 5e10 / 1e8 = 999_999_999_500 -> tier 0
    //   MM = ceil(999_999_999_500 * 1%) = 9_999_999_995, IM = ceil(999_999_999_500 * 2%) = 19_999_999_990
    const below = positionFigures(m, 0n, 1_999_999_999n, 0n, 0n, 0);
    expect(below.mmQuote).toBe(9_999_999_995n);
    expect(below.imQuote).toBe(19_999_999_990n);
    // at 20 BTC: N = 1e12 -> tier 1: MM = 1e12 * 2% - 10_000_000000 = 10_000_000000 (tier 0 gives the same)
    const at = positionFigures(m, 0n, 2_000_000_000n, 0n, 0n, 0);
    expect(at.mmQuote).toBe(10_000_000000n);
    expect(at.imQuote).toBe(40_000_000000n);
    // at 100 BTC: N = 5e12 -> tier 2: MM = 5e12 * 5% - 160_000_000000 = 90_000_000000 = 5e12 * 2% - 10_000_000000
    expect(positionFigures(m, 0n, 10_000_000_000n, 0n, 0n, 0).mmQuote).toBe(90_000_000000n);
    // one atom below: tier 1: ceil(4_999_999_999_500 * 2%) - 10_000_000000 = 89_999_999_990
    expect(positionFigures(m, 0n, 9_999_999_999n, 0n, 0n, 0).mmQuote).toBe(89_999_999_990n);
  });

  it('compares N with L exactly (no rounding of N)', () => {
    // baseDecimals 1 (D = 10), mark 3, L_1 = 3: size 9 -> N = 2.7 (ceil would be 3) -> tier 0; size 10 -> N = 3 -> tier 1
    const small = market({
      kind: 'tiers',
      tiers: [
        { notionalFloorQuote: 0n, imfPpm: 500_000, mmfPpm: 500_000 },
        { notionalFloorQuote: 3n, imfPpm: 1_000_000, mmfPpm: 500_000 },
      ],
    }, 3n, 1);
    expect(curveFractions(small, 0n, 9n).imfPpm).toBe(500_000n);
    expect(curveFractions(small, 0n, 10n).imfPpm).toBe(1_000_000n);
    // IM at size 9 = ceil(9 * 3 * 500_000 / (10 * 1e6)) = ceil(1.35) = 2
    expect(positionFigures(small, 0n, 9n, 0n, 0n, 0).imQuote).toBe(2n);
  });

  it('rejects a non-integral deduction', () => {
    // ded_1 = 1_000_001 * 10_000 / 1e6 = 10_000.01
    const bad = market({
      kind: 'tiers',
      tiers: [
        { notionalFloorQuote: 0n, imfPpm: 20_000, mmfPpm: 10_000 },
        { notionalFloorQuote: 1_000_001n, imfPpm: 40_000, mmfPpm: 20_000 },
      ],
    });
    expect(() => curveFractions(bad, 0n, 1n)).toThrow(/not an integer/);
  });
});

describe('sizePremium', () => {
  // k = 10_000 ppm, imf 10%, mmf 5%, BTC (D = 1e8)
  const m = market({ kind: 'sizePremium', imfPpm: 100_000, mmfPpm: 50_000, premiumPpm: 10_000 });
  it('exact square: 400 BTC', () => {
    // k^2 * |size| / D = 1e8 * 4e10 / 1e8 = 4e10 = 200_000^2 -> P = 200_000
    // imf = max(100_000, 80_000 + 200_000) = 280_000; mmf = max(50_000, 40_000 + 200_000) = 240_000
    expect(curveFractions(m, 0n, -40_000_000_000n)).toEqual({ imfPpm: 280_000n, mmfPpm: 240_000n, dedQuote: 0n });
  });
  it('one atom more rounds P up', () => {
    // ceil(1e8 * (4e10 + 1) / 1e8) = 4e10 + 1 -> ceilSqrt = 200_001
    expect(curveFractions(m, 0n, 40_000_000_001n).imfPpm).toBe(280_001n);
  });
  it('small size keeps the base fractions; huge size caps at 100%', () => {
    // 1 BTC: P = sqrt(1e8) = 10_000: imf = max(100_000, 90_000) = 100_000; mmf = max(50_000, 50_000) = 50_000
    expect(curveFractions(m, 0n, 100_000_000n)).toEqual({ imfPpm: 100_000n, mmfPpm: 50_000n, dedQuote: 0n });
    // 1e6 BTC: P = sqrt(1e14) = 1e7 -> both capped at 1e6
    expect(curveFractions(m, 0n, 100_000_000_000_000n)).toEqual({ imfPpm: 1_000_000n, mmfPpm: 1_000_000n, dedQuote: 0n });
  });
  it('rounds up both inside the square root and in 4/5 of the base fraction', () => {
    // imf = mmf = 1 ppm, k = 1, size 1 atom of D = 1e8: P = ceilSqrt(ceil(1 / 1e8)) = ceilSqrt(1) = 1
    // imf = max(1, ceil(4/5) + 1) = max(1, 1 + 1) = 2  (floor in either place would give 1)
    const tiny = market({ kind: 'sizePremium', imfPpm: 1, mmfPpm: 1, premiumPpm: 1 });
    expect(curveFractions(tiny, 0n, -1n)).toEqual({ imfPpm: 2n, mmfPpm: 2n, dedQuote: 0n });
  });
});

describe('openInterest', () => {
  // imf 5%, mmf 3%, caps 1M / 4M USD, BTC at 50k
  const curve: RefCurve = {
    kind: 'openInterest', imfPpm: 50_000, mmfPpm: 30_000, lowerCapQuote: 1_000_000_000000n, upperCapQuote: 4_000_000_000000n,
  };
  const m = market(curve, 50_000_000000n);

  it('OI is max(longs, |shorts|) over cross and isolated of open accounts', () => {
    const book: RefBook = {
      markets: [m, market(FLAT_10_5)],
      accounts: [
        account(0n, [pos(0, 2_500_000_000n, 0n), pos(1, 9_000_000_000n, 0n)]), // 25 BTC long (+ other market)
        { ...account(0n, [pos(0, -3_000_000_000n, 0n)]), isolated: [{ ...pos(0, 1_500_000_000n, 0n), collateralQuote: 0n }] },
        { ...account(0n, [pos(0, 50_000_000_000n, 0n)]), closed: true }, // ignored
      ],
    };
    // longs = 25 + 15 = 40 BTC, shorts = 30 BTC -> OI = 4_000_000_000
    expect(openInterestBase(book, 0)).toBe(4_000_000_000n);
    expect(openInterestBase(book, 1)).toBe(9_000_000_000n);
    // OIN = 4e9 * 5e10 / 1e8 = 2e12 (2M): imf = 50_000 + ceil(950_000 * 1e12 / 3e12) = 50_000 + 316_667 = 366_667
    const r = checkBook(book);
    // account 0: 25 BTC = 1_250_000_000000 notional: IM = ceil(1.25e12 * 366_667 / 1e6) = 458_333_750000
    // plus market 1 (flat): 90 BTC at 60k = 5_400_000_000000 notional * 10% = 540_000_000000
    expect(r.accounts[0]!.imQuote).toBe(458_333_750000n + 540_000_000000n);
    expect(curveFractions(m, 4_000_000_000n, 1n).imfPpm).toBe(366_667n);
    // a 10 BTC position: IM = ceil(500_000_000000 * 366_667 / 1e6) = 183_333_500000
    expect(positionFigures(m, 4_000_000_000n, 1_000_000_000n, 0n, 0n, 0).imQuote).toBe(183_333_500000n);
  });

  it('below the lower cap, above the upper cap, no upper cap', () => {
    // OI 20 BTC -> OIN = 1M = lower: imfPpm
    expect(curveFractions(m, 2_000_000_000n, 1n).imfPpm).toBe(50_000n);
    // OI 80 BTC -> OIN = 4M = upper: 100%
    expect(curveFractions(m, 8_000_000_000n, 1n).imfPpm).toBe(1_000_000n);
    // 1 atom over: OIN = 2_000_000_001 * 500 = 1_000_000_000_500: 50_000 + ceil(950_000 * 500 / 3e12) = 50_001
    expect(curveFractions(m, 2_000_000_001n, 1n).imfPpm).toBe(50_001n);
    // OIN is rounded up: D = 10, mark 3, caps 2 / 5, imf 10%
    const small = market({ kind: 'openInterest', imfPpm: 100_000, mmfPpm: 50_000, lowerCapQuote: 2n, upperCapQuote: 5n }, 3n, 1);
    // OI 6: OIN = ceil(1.8) = 2 = lower -> 100_000
    expect(curveFractions(small, 6n, 1n).imfPpm).toBe(100_000n);
    // OI 7: OIN = ceil(2.1) = 3 -> 100_000 + ceil(900_000 * 1 / 3) = 400_000 (floor(2.1) = 2 would give 100_000)
    expect(curveFractions(small, 7n, 1n).imfPpm).toBe(400_000n);
    const uncapped = market({ ...curve, upperCapQuote: 0n }, 50_000_000000n);
    expect(curveFractions(uncapped, 8_000_000_000n, 1n).imfPpm).toBe(50_000n);
  });
});

describe('risk order', () => {
  it('sorts by equity/MM with exact cross multiplication, ties by id', () => {
    // D = 1, mark 100, 10% / 5%: a long of s with quote -100 s has value 0, IM 10 s, MM 5 s; equity = collateral
    const m = market(FLAT_10_5, 100n, 0);
    const longOf = (s: bigint): RefPosition[] => [pos(0, s, -100n * s)];
    const book: RefBook = {
      markets: [m],
      accounts: [
        account(2n, longOf(4n)), // 0: equity 2, MM 20 -> 0.1
        account(1n, longOf(2n)), // 1: equity 1, MM 10 -> 0.1 (tie with 0: 2*10 == 1*20)
        account(-5n, longOf(2n)), // 2: bankrupt, -0.5
        account(0n, longOf(1n)), // 3: 0
        account(100n, longOf(1n)), // 4: healthy, not listed
        account(-3n), // 5: bankrupt with MM 0: before everyone (-3 * MM < 0)
        account(4n, longOf(1n)), // 6: equity 4 < MM 5: 0.8
      ],
    };
    const r = checkBook(book);
    expect(r.accounts.map((a) => a.health)).toEqual([2, 2, 3, 2, 0, 3, 2]);
    expect(r.riskOrder).toEqual([5, 2, 3, 0, 1, 6]);
  });

  it('comparator is exact beyond float precision', () => {
    // 2^60 / (2^60 + 1) vs (2^60 - 1) / 2^60: as doubles both are 1; exactly, the second is smaller
    const big = 1n << 60n;
    const a = { id: 0, equityQuote: big, mmQuote: big + 1n };
    const b = { id: 1, equityQuote: big - 1n, mmQuote: big };
    expect(Number(a.equityQuote) / Number(a.mmQuote)).toBe(Number(b.equityQuote) / Number(b.mmQuote));
    expect(riskCompare(b, a)).toBeLessThan(0);
    expect(riskCompare(a, b)).toBeGreaterThan(0);
    expect(riskCompare(a, { ...a, id: 3 })).toBeLessThan(0);
  });

  it('isolated rows have their own order and global ids', () => {
    const m = market(FLAT_10_5, 100n, 0);
    const iso = (collateralQuote: bigint, s: bigint) => ({ ...pos(0, s, -100n * s), collateralQuote });
    const book: RefBook = {
      markets: [m],
      accounts: [
        { ...account(0n), isolated: [iso(1n, 2n), iso(100n, 1n)] }, // ids 0 (0.1), 1 (healthy)
        { ...account(0n), isolated: [iso(0n, 1n)], closed: true }, // id 2: inactive
        { ...account(0n), isolated: [iso(-1n, 1n)] }, // id 3: bankrupt
      ],
    };
    const r = checkBook(book);
    expect(r.isolated.map((f) => f.health)).toEqual([2, 0, 4, 3]);
    expect(r.isolated[0]!.equityQuote).toBe(1n);
    expect(r.counts.isolated).toEqual([1, 0, 1, 1, 1]);
    expect(r.isolatedRiskOrder).toEqual([3, 0]);
    expect(r.riskOrder).toEqual([]);
  });
});

describe('overflow', () => {
  const TWO_62 = 1n << 62n;
  it('notional >= 2^62 names the account', () => {
    // D = 1, mark 2^62, size 1: notional = 2^62
    const m = market(FLAT_10_5, TWO_62, 0);
    const book: RefBook = { markets: [m], accounts: [account(0n), account(0n, [pos(0, -1n, 0n)])] };
    try {
      checkBook(book);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RefOverflow);
      expect((error as RefOverflow).accountId).toBe(1);
    }
    // mark 2^62 - 1 is fine
    expect(() => checkBook({ ...book, markets: [market(FLAT_10_5, TWO_62 - 1n, 0)] })).not.toThrow();
  });

  it('a partial equity sum outside i64 throws even if the final sum fits', () => {
    // collateral 2^62, then +2^62 (partial 2^63 > i64 max), then -2^62 (final 2^62)
    const m = market(FLAT_10_5, 1n, 0);
    const book: RefBook = { markets: [m], accounts: [account(TWO_62, [pos(0, 0n, TWO_62), pos(0, 0n, -TWO_62)])] };
    expect(() => checkBook(book)).toThrow(RefOverflow);
    // the other order stays in range: 2^62, 0, 2^62
    const swapped: RefBook = { markets: [m], accounts: [account(TWO_62, [pos(0, 0n, -TWO_62), pos(0, 0n, TWO_62)])] };
    expect(checkBook(swapped).accounts[0]!.equityQuote).toBe(TWO_62);
  });

  it('funding outside i64 throws', () => {
    // D = 1, size 2^61, index - snapshot = 2^61 + 2^61 = 2^62: funding = 2^123
    const m: RefMarket = { ...market(FLAT_10_5, 1n, 0), fundingIndexLong: 1n << 61n };
    const book: RefBook = { markets: [m], accounts: [account(0n, [pos(0, 1n << 61n, 0n, -(1n << 61n))])] };
    expect(() => checkBook(book)).toThrow(RefOverflow);
  });

  it('an isolated overflow names its owner', () => {
    const m = market(FLAT_10_5, TWO_62, 0);
    const book: RefBook = {
      markets: [m],
      accounts: [account(0n), account(0n), { ...account(0n), isolated: [{ ...pos(0, 1n, 0n), collateralQuote: 0n }] }],
    };
    expect(() => checkBook(book)).toThrow(expect.objectContaining({ accountId: 2, isolatedId: 0 }));
  });
});

describe('fills', () => {
  const m = market(FLAT_10_5);
  const bookWith = (collateralQuote: bigint, positions: RefPosition[] = []): RefBook => ({
    markets: [m],
    accounts: [account(collateralQuote, positions)],
  });

  it('open, reduce, flip, close', () => {
    const book = bookWith(10_000_000000n);
    // open 0.5 BTC at 60k: cash = floor(-5e7 * 6e10 / 1e8) = -30_000_000000
    applyFill(book, 0, 0, 50_000_000n, MARK_60K);
    expect(book.accounts[0]!.positions).toEqual([pos(0, 50_000_000n, -30_000_000000n)]);
    expect(book.accounts[0]!.collateralQuote).toBe(10_000_000000n);
    // sell 0.2 BTC at 66k: quoteClosed = floor(-3e10 * 2e7 / 5e7) = -12_000_000000; cash = +13_200_000000
    // collateral += 1_200_000000 (0.2 * 6000 USD); quote = -18_000_000000
    applyFill(book, 0, 0, -20_000_000n, 66_000_000000n);
    expect(book.accounts[0]!.collateralQuote).toBe(11_200_000000n);
    expect(book.accounts[0]!.positions).toEqual([pos(0, 30_000_000n, -18_000_000000n)]);
    // sell 0.5 BTC at 66k (flip): close 0.3: collateral += -18e9 + 19_800_000000 = +1_800_000000
    // then open -0.2: quote = cash(-2e7) = +13_200_000000
    applyFill(book, 0, 0, -50_000_000n, 66_000_000000n);
    expect(book.accounts[0]!.collateralQuote).toBe(13_000_000000n);
    expect(book.accounts[0]!.positions).toEqual([pos(0, -20_000_000n, 13_200_000000n)]);
    // buy back 0.2 at 60k: quoteClosed = 13_200_000000, cash = -12_000_000000: collateral += 1_200_000000; removed
    applyFill(book, 0, 0, 20_000_000n, MARK_60K);
    expect(book.accounts[0]!.collateralQuote).toBe(14_200_000000n);
    expect(book.accounts[0]!.positions).toEqual([]);
  });

  it('reduce rounds the closed quote toward -inf', () => {
    // D = 1, size 3, quote -100; sell 1 at 30: quoteClosed = floor(-100 * 1 / 3) = floor(-33.3) = -34, cash(-1) = 30
    // collateral += -34 + 30 = -4; quote = -100 + 34 = -66
    const book: RefBook = { markets: [market(FLAT_10_5, 30n, 0)], accounts: [account(0n, [pos(0, 3n, -100n)])] };
    applyFill(book, 0, 0, -1n, 30n);
    expect(book.accounts[0]!.collateralQuote).toBe(-4n);
    expect(book.accounts[0]!.positions).toEqual([pos(0, 2n, -66n)]);
    // a short: size -3, quote 100, buy 1 at 30: quoteClosed = floor(33.3) = 33, cash(1) = -30: collateral += 3
    const short: RefBook = { markets: [market(FLAT_10_5, 30n, 0)], accounts: [account(0n, [pos(0, -3n, 100n)])] };
    applyFill(short, 0, 0, 1n, 30n);
    expect(short.accounts[0]!.collateralQuote).toBe(3n);
    expect(short.accounts[0]!.positions).toEqual([pos(0, -2n, 67n)]);
  });

  it('settles funding first and resets the snapshot (the flip takes the new side index)', () => {
    const funded: RefMarket = { ...m, fundingIndexLong: 1_000000n, fundingIndexShort: -2_000000n };
    const book: RefBook = { markets: [funded], accounts: [account(0n, [pos(0, 100_000_000n, 0n, 0n)])] };
    // 1 BTC long, index moved 0 -> 1 USD: owed = ceil(1e8 * 1e6 / 1e8) = 1_000000
    applyFill(book, 0, 0, 1n, 1n);
    expect(book.accounts[0]!.collateralQuote).toBe(-1_000000n);
    expect(book.accounts[0]!.positions[0]!.fundingSnapshot).toBe(1_000000n);
    // flip to short: funding already settled (0), snapshot becomes the short index
    applyFill(book, 0, 0, -200_000_000n, 1n);
    expect(book.accounts[0]!.positions[0]!.sizeBase).toBe(-99_999_999n);
    expect(book.accounts[0]!.positions[0]!.fundingSnapshot).toBe(-2_000000n);
    // the first fill left quote = cash(1) = floor(-1 / 1e8) = -1; the flip closes 100_000_001 atoms at price 1:
    // collateral += -1 + floor(100_000_001 / 1e8) = -1 + 1 = 0; new quote = cash(-99_999_999) = floor(0.99999999) = 0
    expect(book.accounts[0]!.collateralQuote).toBe(-1_000000n);
    expect(book.accounts[0]!.positions[0]!.quoteBalance).toBe(0n);
  });

  it('a fill and its reverse lose at most 1 atom (2 with a flip)', () => {
    const p = 60_000_000001n; // odd price: every cash flow rounds
    // no flip: cash(1) = floor(-600.00000001) = -601, cash(-1) = floor(600.00000001) = 600: lose 1
    const book = bookWith(1_000n);
    applyFill(book, 0, 0, 1n, p);
    applyFill(book, 0, 0, -1n, p);
    expect(book.accounts[0]!.collateralQuote).toBe(999n);
    expect(book.accounts[0]!.positions).toEqual([]);
    // flip: from +1 (quote -601), sell 3: collateral += -601 + 600 = -1, quote = cash(-2) = 1200
    // buy 3: collateral += 1200 + cash(2) = 1200 - 1201 = -1, quote = cash(1) = -601
    const flip = bookWith(1_000n, [pos(0, 1n, -601n)]);
    applyFill(flip, 0, 0, -3n, p);
    expect(flip.accounts[0]!.positions).toEqual([pos(0, -2n, 1200n)]);
    applyFill(flip, 0, 0, 3n, p);
    expect(flip.accounts[0]!.positions).toEqual([pos(0, 1n, -601n)]);
    expect(flip.accounts[0]!.collateralQuote).toBe(998n); // collateral + quote: 399 -> 397
  });

  it('isolated: realizes into its own collateral; closing returns it to cross and renumbers', () => {
    const book: RefBook = {
      markets: [m, market(FLAT_10_5)],
      accounts: [{
        ...account(1_000000n),
        isolated: [
          { ...pos(0, 50_000_000n, -30_000_000000n), collateralQuote: 5_000_000000n },
          { ...pos(1, 1n, -600n), collateralQuote: 7n },
        ],
      }],
    };
    // reduce 0.1 at 66k: quoteClosed = floor(-3e10 * 1e7 / 5e7) = -6e9, cash = +6_600_000000 -> isolated collateral +600_000000
    applyFill(book, 0, 0, -10_000_000n, 66_000_000000n, true);
    expect(book.accounts[0]!.isolated[0]!.collateralQuote).toBe(5_600_000000n);
    expect(book.accounts[0]!.collateralQuote).toBe(1_000000n);
    // close the rest 0.4 at 66k: quoteClosed = -24e9, cash = 26_400_000000 -> isolated 8_000_000000, moved to cross
    applyFill(book, 0, 0, -40_000_000n, 66_000_000000n, true);
    expect(book.accounts[0]!.collateralQuote).toBe(8_001_000000n);
    expect(book.accounts[0]!.isolated).toEqual([{ ...pos(1, 1n, -600n), collateralQuote: 7n }]); // old id 1 is now id 0
    // open a new isolated position with collateral 0: appended
    applyFill(book, 0, 0, -1n, MARK_60K, true);
    expect(book.accounts[0]!.isolated[1]).toEqual({ ...pos(0, -1n, 600n), collateralQuote: 0n });
    expect(book.accounts[0]!.positions).toEqual([]);
  });

  it('preTrade: ok iff equity >= IM, and the book is untouched', () => {
    const book = bookWith(3_000_000000n);
    // buy 0.5 BTC at 60k: equity 3_000_000000 = IM 3_000_000000 -> ok
    const exact = preTrade(book, 0, 0, 50_000_000n, MARK_60K);
    expect(exact).toEqual({
      ok: true,
      figures: { equityQuote: 3_000_000000n, imQuote: 3_000_000000n, mmQuote: 1_500_000000n, freeQuote: 0n, health: 0 },
    });
    // one atom more: IM = ceil(50_000_001 * 6e10 * 1e5 / 1e14) = 3_000_000060 > equity 3_000_000000
    const over = preTrade(book, 0, 0, 50_000_001n, MARK_60K);
    expect(over.ok).toBe(false);
    expect(over.figures.imQuote).toBe(3_000_000060n);
    expect(over.figures.health).toBe(1);
    expect(book).toEqual(bookWith(3_000_000000n));
    // cloneBook is deep
    const copy = cloneBook(book);
    applyFill(copy, 0, 0, 1n, 1n);
    expect(book.accounts[0]!.positions).toEqual([]);
  });

  it('rejects fills on closed accounts and out-of-range sizes', () => {
    const closed: RefBook = { markets: [m], accounts: [{ ...account(0n), closed: true }] };
    expect(() => applyFill(closed, 0, 0, 1n, 1n)).toThrow(RangeError);
    const dOne: RefBook = { markets: [market(FLAT_10_5, 1n << 61n, 0)], accounts: [account(0n)] };
    expect(() => applyFill(dOne, 0, 0, 2n, 1n)).toThrow(RangeError); // notional 2^62
    expect(dOne.accounts[0]!.positions).toEqual([]);
  });
});
