import { describe, expect, it } from 'vitest';
import type { RefAccount, RefCurve, RefIsolated, RefPosition } from '../reference/model.js';
import type { LiqBook, LiqMarket } from '../reference/liquidation.js';
import {
  adlOrder, adlQuantile, adlQuantiles, allocate, createWaterfallState, RefInvalidWaterfall, RefUnknownId, resetAssessments, setWaterfall, split,
  splitmix64, startFigures, waterfallLedger, type RefAuditRecord, type RefDeficit, type WaterfallInit, type WaterfallRefState,
} from '../reference/waterfall.js';
import type { AdlCandidate, Tranche, WaterfallConfig } from '../../src/index.js';

// Hand-worked tests of the loss-waterfall reference model (docs/WATERFALL.md). Most books use
// baseDecimals 0 (D = 1: prices are quote atoms per base atom) so the numbers stay small.

const FLAT: RefCurve = { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 };

function market(markPrice: bigint, extra: Partial<LiqMarket> = {}): LiqMarket {
  return { baseDecimals: 0, markPrice, fundingIndexLong: 0n, fundingIndexShort: 0n, curve: FLAT, ...extra };
}
const pos = (marketId: number, sizeBase: bigint, quoteBalance: bigint, fundingSnapshot = 0n): RefPosition => ({ marketId, sizeBase, quoteBalance, fundingSnapshot });
const account = (collateralQuote: bigint, positions: RefPosition[] = [], isolated: RefIsolated[] = []): RefAccount => ({ collateralQuote, imfFloorPpm: 0, positions, isolated });
const deficit = (accountId: number, marketId: number | null, amountQuote: bigint, sizeBase = 0n, priceQuote = 0n): RefDeficit => ({ accountId, marketId, amountQuote, sizeBase, priceQuote });
const payers = (weights: bigint[], caps?: bigint[]): { weight: bigint; cap: bigint }[] => weights.map((weight, i) => ({ weight, cap: caps?.[i] ?? 1n << 62n }));

/** Runs allocate and checks the ledger total did not move (the pending table is emptied by the run). */
function run(book: LiqBook, state: WaterfallRefState, config: WaterfallConfig, deficits: RefDeficit[], nowSec = 0): { records: RefAuditRecord[]; report: ReturnType<typeof allocate>['report'] } {
  const before = waterfallLedger(book, state, deficits).totalQuote;
  const out = allocate(book, state, config, deficits, nowSec);
  expect(waterfallLedger(book, state, []).totalQuote).toBe(before);
  return out;
}
/** Compact records: [role, deficit, account, amount] (plus price and size when asked). */
const brief = (records: RefAuditRecord[], withTrade = false): unknown[] => records.map((r) => (withTrade
  ? [r.role, r.deficit, r.accountId, r.amountQuote, r.priceQuote, r.sizeBase]
  : [r.role, r.deficit, r.accountId, r.amountQuote]));

describe('split', () => {
  it('largest remainder: ties go to the earlier payer', () => {
    // 10 over 1,1,1: t = 3,3,3, remainders 1,1,1, one atom left -> the first payer: 4,3,3.
    expect(split(10n, payers([1n, 1n, 1n]))).toEqual([4n, 3n, 3n]);
    // 11 over 1,1,1: two atoms left -> 4,4,3.
    expect(split(11n, payers([1n, 1n, 1n]))).toEqual([4n, 4n, 3n]);
    // 10 over 3,2,2 (W = 7): R w = 30,20,20 -> t = 4,2,2 with remainders 2,6,6; two atoms left go to the
    // larger remainders (payers 1 and 2), not to the larger weight: 4,3,3.
    expect(split(10n, payers([3n, 2n, 2n]))).toEqual([4n, 3n, 3n]);
    // A payer of weight 0 pays nothing; X = 0 gives zeros.
    expect(split(5n, payers([0n, 1n]))).toEqual([0n, 5n]);
    expect(split(0n, payers([1n, 2n]))).toEqual([0n, 0n]);
  });

  it('water-filling: what a capped payer cannot pay goes to the others by weight', () => {
    // 100 over 1,1,2, caps 10,100,100: t = 25,25,50; payer 0 is fixed at 10; then 90 over 1,2 -> 30,60.
    expect(split(100n, payers([1n, 1n, 2n], [10n, 100n, 100n]))).toEqual([10n, 30n, 60n]);
    // 100 over 1,1,1,1, caps 5,20,100,100: t = 25 each; payers 0 and 1 fixed (5, 20); 75 over 1,1:
    // t = 37,37 with remainders 1,1, one atom to the earlier: 38,37.
    expect(split(100n, payers([1n, 1n, 1n, 1n], [5n, 20n, 100n, 100n]))).toEqual([5n, 20n, 38n, 37n]);
    // Exactly the caps: 30 over 1,2, caps 10,20 -> both fixed at their caps.
    expect(split(30n, payers([1n, 2n], [10n, 20n]))).toEqual([10n, 20n]);
    // A cap of 0 with a positive weight: fixed at 0 at once; 7 over 1,1 (second payer) -> 0,7.
    expect(split(7n, payers([5n, 1n], [0n, 10n]))).toEqual([0n, 7n]);
    // A round ends when no share EXCEEDS its cap (a share equal to its cap is final):
    // 3 over 1,1,3, caps 1,1,20 (W = 5): t = 0 (rem 3), 0 (rem 3), 1 (rem 4); two atoms to payers 2 and 0:
    // 1, 0, 2, nobody above its cap -> 1, 0, 2. (Fixing payer 0 at 1 and splitting 2 over 1,3 would give 1, 1, 1.)
    expect(split(3n, payers([1n, 1n, 3n], [1n, 1n, 20n]))).toEqual([1n, 0n, 2n]);
    // Once someone exceeds, every t_i >= c_i is fixed: 10 over 1,1,1, caps 3,4,100: t = 4,3,3; payer 0 (4 > 3)
    // and payer 1 (3 < 4: not) -> only payer 0 fixed at 3; 7 over 1,1 -> 4,3.
    expect(split(10n, payers([1n, 1n, 1n], [3n, 4n, 100n]))).toEqual([3n, 4n, 3n]);
    // More than the caps: refused.
    expect(() => split(31n, payers([1n, 2n], [10n, 20n]))).toThrow(RangeError);
  });

  it('on random inputs the shares sum to X, respect the caps and are floor or ceil of the share when nobody is capped', () => {
    let seed = 12345;
    const next = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor(seed / 65536) % n; };
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + next(6);
      const ws = Array.from({ length: n }, () => BigInt(next(4) === 0 ? 0 : 1 + next(1000)));
      const caps = ws.map((w) => (w === 0n ? 0n : BigInt(next(3) === 0 ? next(200) : 10_000)));
      const capSum = caps.reduce((a, b) => a + b, 0n);
      const X = capSum === 0n ? 0n : BigInt(next(Number(capSum) + 1));
      const shares = split(X, payers(ws, caps));
      expect(shares.reduce((a, b) => a + b, 0n)).toBe(X);
      shares.forEach((s, i) => expect(s >= 0n && s <= caps[i]!).toBe(true));
      const W = ws.reduce((a, b) => a + b, 0n);
      if (shares.every((s, i) => s < caps[i]!) && W > 0n) {
        shares.forEach((s, i) => { const exact = X * ws[i]!; expect(s * W <= exact + W && s * W >= exact - W).toBe(true); });
      }
    }
  });
});

/** Markets: 0 with its own fund (fund 1), 1 on the global fund (0). Accounts 0..3, no positions. */
function fundBook(): LiqBook {
  return { markets: [market(100n, { insuranceFund: 'own' }), market(100n)], accounts: [0, 1, 2, 3].map(() => account(0n)) };
}

describe('insuranceFund', () => {
  it('floor and per-deficit cap, record by record; settle records use the global fund', () => {
    const book = fundBook();
    const state = createWaterfallState(book);
    state.fundsQuote[1] = 1_000n; // market 0's own fund
    state.fundsQuote[0] = 10n;
    const config: WaterfallConfig = { steps: [{ kind: 'insuranceFund', floorQuote: 900n, maxPerDeficitQuote: 80n }] };
    // Fund 1 = 1,000, floor 900: record 0 (100): min(100, 100, 80) = 80 -> 920; record 1 (50): min(50, 20, 80) = 20 -> 900.
    // Record 2 (settle, 5) draws on the global fund: max(0, 10 - 900) = 0 -> nothing.
    const out = run(book, state, config, [deficit(1, 0, 100n), deficit(2, 0, 50n), deficit(3, null, 5n)]);
    // Uncovered records name no payer and no step.
    expect(brief(out.records)).toEqual([['cover', 0, null, 80n], ['cover', 1, null, 20n], ['uncovered', 0, null, 20n], ['uncovered', 1, null, 30n], ['uncovered', 2, null, 5n]]);
    expect([out.records[2]!.step, out.records[2]!.waterfall]).toEqual([null, null]);
    expect(state.fundsQuote.slice(0, 2)).toEqual([10n, 900n]);
    expect([out.report.insuranceFundQuote, out.report.uncoveredQuote, out.report.event]).toEqual([100n, 55n, 1]);
    // Without the floor the settle record takes 5 from the global fund.
    const out2 = run(book, state, { steps: [{ kind: 'insuranceFund' }] }, [deficit(3, null, 5n)], 1);
    expect([brief(out2.records), state.fundsQuote[0], out2.report.event]).toEqual([[['cover', 0, null, 5n]], 5n, 2]);
  });

  it('market cap over all time, and over a window of 16 buckets', () => {
    const book = fundBook();
    const state = createWaterfallState(book);
    state.fundsQuote[1] = 1_000_000n;
    state.fundsQuote[0] = 1_000_000n;
    const lifetime: WaterfallConfig = { steps: [{ kind: 'insuranceFund', marketCapQuote: 120n }] };
    // paid(0) = 100 after the first run; the second may pay 120 - 100 = 20; market 1 has its own count.
    expect(brief(run(book, state, lifetime, [deficit(1, 0, 100n)], 0).records)).toEqual([['cover', 0, null, 100n]]);
    expect(brief(run(book, state, lifetime, [deficit(1, 0, 50n), deficit(1, 1, 50n)], 1).records))
      .toEqual([['cover', 0, null, 20n], ['cover', 1, null, 50n], ['uncovered', 0, null, 30n]]);
    expect(brief(run(book, state, lifetime, [deficit(1, 0, 10n)], 1_000_000).records)).toEqual([['uncovered', 0, null, 10n]]);

    // Window 160 s: buckets of ceil(160 / 16) = 10 s.
    const book2 = fundBook();
    const s2 = createWaterfallState(book2);
    s2.fundsQuote[1] = 1_000_000n;
    const windowed: WaterfallConfig = { steps: [{ kind: 'insuranceFund', marketCapQuote: 120n, marketCapWindowSec: 160 }] };
    run(book2, s2, windowed, [deficit(1, 0, 100n)], 0); // bucket 0: 100
    // t = 165: b = 16, buckets 0..16 hold 100 -> room 20.
    expect(brief(run(book2, s2, windowed, [deficit(1, 0, 50n)], 165).records)).toEqual([['cover', 0, null, 20n], ['uncovered', 0, null, 30n]]);
    // t = 170: b = 17, buckets 1..17 hold only the 20 of bucket 16 -> room 100.
    expect(brief(run(book2, s2, windowed, [deficit(1, 0, 150n)], 170).records)).toEqual([['cover', 0, null, 100n], ['uncovered', 0, null, 50n]]);
  });

  it('paid(m) counts every payment; a windowed cap counts those made since it was first applied to the market or its window changed', () => {
    const book = fundBook();
    const state = createWaterfallState(book);
    state.fundsQuote[1] = 1_000_000n;
    const capped = (marketCapWindowSec: number): WaterfallConfig => ({ steps: [{ kind: 'insuranceFund', marketCapQuote: 120n, marketCapWindowSec }] });
    const covered = (config: WaterfallConfig, amount: bigint, nowSec: number): bigint => run(book, state, config, [deficit(1, 0, amount)], nowSec).report.insuranceFundQuote;
    // t = 0, no cap: the fund pays 100 for market 0.
    expect(covered({ steps: [{ kind: 'insuranceFund' }] }, 100n, 0)).toBe(100n);
    // t = 5, window 160 (buckets of 10 s) applied for the first time: the 100 paid before does not count: room 120.
    expect(covered(capped(160), 150n, 5)).toBe(120n);
    // t = 6, window 320 (buckets of 20 s): the window changed, counting starts afresh: room 120 again.
    expect(covered(capped(320), 130n, 6)).toBe(120n);
    // t = 7, window 319: still buckets of 20 s, the same window: the 120 of t = 6 count, room 0.
    expect(covered(capped(319), 10n, 7)).toBe(0n);
    // A lifetime cap counts everything paid for the market: 100 + 120 + 120 = 340 of 400 -> room 60.
    expect(covered({ steps: [{ kind: 'insuranceFund', marketCapQuote: 400n }] }, 100n, 8)).toBe(60n);
    // Payments made while the window is set count even from a step without the cap: back to window 320 at t = 9
    // (same buckets): 120 (t = 6) + 60 (t = 8) -> room 0.
    expect(covered(capped(320), 10n, 9)).toBe(0n);
  });

  it('drawdown: changing a fund\'s window starts its observations afresh', () => {
    const book = fundBook();
    const state = createWaterfallState(book);
    state.fundsQuote[1] = 1_000n;
    const dd = (drawdownWindowSec: number): WaterfallConfig => ({ steps: [{ kind: 'insuranceFund', drawdownPpm: 300_000, drawdownWindowSec }] });
    const paid = (config: WaterfallConfig, nowSec: number): bigint => run(book, state, config, [deficit(1, 0, 500n)], nowSec).report.insuranceFundQuote;
    // 16 h (buckets of 3,600 s) at t = 0: peak 1,000, floor 700: pays 300.
    expect(paid(dd(57_600), 0)).toBe(300n);
    // 8 h (buckets of 1,800 s) at t = 3,600: a new window, peak 700 (now), floor 490: pays 210.
    expect(paid(dd(28_800), 3_600)).toBe(210n);
    // Back to 16 h at t = 7,200: afresh again, the 1,000 of t = 0 is forgotten: peak 490, floor ceil(343) = 343: pays 147.
    expect(paid(dd(57_600), 7_200)).toBe(147n);
  });

  it('drawdown: nothing below (1 - drawdownPpm) of the peak of the window', () => {
    const book = fundBook();
    const state = createWaterfallState(book);
    state.fundsQuote[1] = 1_000n;
    // 30 % over 16 h: buckets of 3,600 s.
    const config: WaterfallConfig = { steps: [{ kind: 'insuranceFund', drawdownPpm: 300_000, drawdownWindowSec: 57_600 }] };
    const paid = (nowSec: number): bigint => run(book, state, config, [deficit(1, 0, 500n)], nowSec).report.insuranceFundQuote;
    // t = 0: observes 1,000 in bucket 0; floor = ceil(1,000 * 0.7) = 700 -> pays 300, fund 700.
    expect(paid(0)).toBe(300n);
    // t = 3,600 (bucket 1) and t = 57,600 (bucket 16): the window still holds bucket 0's 1,000 -> 0.
    expect(paid(3_600)).toBe(0n);
    expect(paid(57_600)).toBe(0n);
    // t = 61,200 (bucket 17): buckets 1..17 saw 700 at most -> floor ceil(490) = 490, pays 210.
    expect(paid(61_200)).toBe(210n);
    expect(state.fundsQuote[1]).toBe(490n);
    // The floor rounds up: a fund of 999 keeps ceil(699.3) = 700 and pays 299.
    const s2 = createWaterfallState(book);
    s2.fundsQuote[1] = 999n;
    expect(run(book, s2, config, [deficit(1, 0, 500n)], 0).report.insuranceFundQuote).toBe(299n);
    // Time does not go back.
    expect(() => allocate(book, state, config, [deficit(1, 0, 5n)], 61_199)).toThrow(RangeError);
  });
});

describe('backstopVault', () => {
  it('providers pay pro rata to what they can pay, each up to its capacity over its life', () => {
    const book = fundBook();
    book.accounts.push(account(0n), account(300n), account(400n)); // 4, 5, 6
    const state = createWaterfallState(book);
    const config: WaterfallConfig = { steps: [{ kind: 'backstopVault', providers: [{ accountId: 6 }, { accountId: 5, capacityQuote: 100n }] }] };
    // Providers in the order listed: 6, then 5.
    // Record 0 (300): c = [400, min(100, 300)] = [400, 100]; x = 300; split(300, 400:100) = 240, 60.
    // Record 1 (50): c = [160, min(100 - 60, 240)] = [160, 40]; split(50, 160:40) = 40, 10.
    const out = run(book, state, config, [deficit(0, 0, 300n), deficit(0, 0, 50n)]);
    expect(brief(out.records)).toEqual([['cover', 0, 6, 240n], ['cover', 0, 5, 60n], ['cover', 1, 6, 40n], ['cover', 1, 5, 10n]]);
    expect([book.accounts[5]!.collateralQuote, book.accounts[6]!.collateralQuote, out.report.vaultQuote]).toEqual([230n, 120n, 350n]);
    // Next run (100): c = [120, min(100 - 70, 230)] = [120, 30]; split(100, 120:30) = 80, 20.
    expect(brief(run(book, state, config, [deficit(0, 0, 100n)], 1).records)).toEqual([['cover', 0, 6, 80n], ['cover', 0, 5, 20n]]);
    // Default: the vault account, no cap: pays min(r, collateral) = min(200, 150).
    const s2 = createWaterfallState(book, { vaultAccountId: 6 });
    expect(brief(run(book, s2, { steps: [{ kind: 'backstopVault' }] }, [deficit(0, 0, 200n)]).records)).toEqual([['cover', 0, 6, 40n], ['uncovered', 0, null, 160n]]);
  });
});

/**
 * Market 0: D = 1, mark 100, flat 10 % / 5 %. Account 0 is bankrupt (nothing left); shorts:
 * 1: -30 entered at 110 (quote 3,300), collateral 100 -> v = -3,000 + 3,300 = 300, E = 400, M = 150;
 * 2: -200 entered at 102 (quote 20,400), collateral 1,000 -> v = 400, E = 1,400, M = 1,000;
 * 3: long 230 at 100, collateral 5,000 (v = 0).
 */
function adlBook(): LiqBook {
  return {
    markets: [market(100n)],
    accounts: [account(0n), account(100n, [pos(0, -30n, 3_300n)]), account(1_000n, [pos(0, -200n, 20_400n)]), account(5_000n, [pos(0, 230n, -23_000n)])],
  };
}
const adl = (ranking: Extract<Tranche, { kind: 'adl' }>['ranking'], extra: Partial<Extract<Tranche, { kind: 'adl' }>> = {}): Tranche => ({ kind: 'adl', ranking, ...extra });

describe('adl', () => {
  it('ranking keys in f64, exactly as the spec writes them (one division each)', () => {
    const book = adlBook();
    const keys = (ranking: 'pnl' | 'bitmex' | 'binance' | 'hyperliquid'): [number, number][] =>
      adlOrder(book, 0, -1n, ranking, startFigures(book)).map((r) => [r.slot.accountId, r.key]);
    expect(keys('pnl')).toEqual([[2, 400], [1, 300]]);
    // bitmex (v > 0): (v N) / (max(1, Q) max(1, E)):
    //   1: (300 * 3,000) / (3,300 * 400) = 900,000 / 1,320,000 = 0.6818; 2: (400 * 20,000) / (20,400 * 1,400) = 8,000,000 / 28,560,000 = 0.2801.
    // (Every product here is an integer below 2^53, exact in f64: the key is the correctly rounded quotient.)
    expect(keys('bitmex')).toEqual([[1, 900_000 / 1_320_000], [2, 8_000_000 / 28_560_000]]);
    // binance (E > 0): (max(0, v) M) / (max(1, C) E):
    //   1: (300 * 150) / (100 * 400) = 45,000 / 40,000 = 1.125; 2: (400 * 1,000) / (1,000 * 1,400) = 400,000 / 1,400,000 = 0.2857.
    expect(keys('binance')).toEqual([[1, 1.125], [2, 400_000 / 1_400_000]]);
    // hyperliquid, shorts: (Q N) / (max(1, N) max(1, E)):
    //   2: (20,400 * 20,000) / (20,000 * 1,400) = 408,000,000 / 28,000,000 = 14.571 before 1: (3,300 * 3,000) / (3,000 * 400) = 9,900,000 / 1,200,000 = 8.25.
    expect(keys('hyperliquid')).toEqual([[2, 408_000_000 / 28_000_000], [1, 8.25]]);
    // The one-division key is not always the product of the two ratios: here (20,400 / 20,000) * (20,000 / 1,400)
    // rounds twice and lands one unit in the last place away.
    expect(408_000_000 / 28_000_000).not.toBe((20_400 / 20_000) * (20_000 / 1_400));
    // Quantiles: rank i of n -> 5 - floor(5 i / n).
    expect([adlQuantile(0, 3), adlQuantile(1, 3), adlQuantile(2, 3), adlQuantile(0, 1)]).toEqual([5, 4, 2, 5]);
    expect(adlQuantiles(book, 0, -1n, 'pnl', startFigures(book)).map((q) => [q.accountId, q.quantile])).toEqual([[2, 5], [1, 3]]);
  });

  it('bankruptcy price: the first counterparty closes just enough (c lowered by binary search)', () => {
    const book = adlBook();
    const state = createWaterfallState(book);
    // The bankrupt long sold 100 at 100 with a deficit of 10: P = 100 + ceil(10 * 1 / 100) = 101, a(c) = 101c - 100c = c.
    // pnl: account 2 first; c = min(200, 100) = 100, a(100) = 100 > 10 -> lowered to c = 10: covers 10.
    const out = run(book, state, { steps: [adl('pnl')] }, [deficit(0, 0, 10n, -100n, 100n)]);
    expect(brief(out.records, true)).toEqual([['cover', 0, 2, 10n, 101n, 10n]]);
    // Account 2 buys back 10 at 101: quoteClosed = floor(20,400 * 10 / 200) = 1,020, cash = -1,010 -> realized 10.
    expect(book.accounts[2]).toMatchObject({ collateralQuote: 1_010n, positions: [{ sizeBase: -190n, quoteBalance: 19_380n }] });
    // Flow: owed - (realized + a) = 0 - (10 + 10).
    expect(state.flowQuote).toBe(-20n);
    // The ADL notional is taken at the mark: floor(10 * 100 / 1).
    expect([out.report.adlCoveredQuote, out.report.adlVolumeBase, out.report.adlNotionalQuote, out.report.adlAccounts]).toEqual([10n, 10n, 1_000n, 1]);
  });

  it('bankruptcy price: walking two counterparties (bitmex order), residue of the last one', () => {
    const book = adlBook();
    const state = createWaterfallState(book);
    // r = 250, Qb = 100: P = 100 + ceil(2.5) = 103, a(c) = 3c. bitmex: account 1 first.
    // Account 1: c = 30, a = 90 <= 250 -> covers 90; r = 160, Qleft = 70.
    // Account 2: c = 70, a = 210 > 160 -> smallest c with 3c >= 160 is 54 (a = 162): covers 160, residue 2
    // (a residue record carries no price or size).
    const out = run(book, state, { steps: [adl('bitmex')] }, [deficit(0, 0, 250n, -100n, 100n)]);
    expect(brief(out.records, true)).toEqual([['cover', 0, 1, 90n, 103n, 30n], ['cover', 0, 2, 160n, 103n, 54n], ['residue', 0, 2, 2n, 0n, 0n]]);
    expect(book.accounts[1]!.positions).toEqual([]);
    // Account 1 closed all: 3,300 - 3,090 = 210 realized.
    expect(book.accounts[1]!.collateralQuote).toBe(310n);
    expect([state.residueQuote, out.report.residueQuote, out.report.adlVolumeBase, out.report.adlNotionalQuote, out.report.adlAccounts]).toEqual([2n, 2n, 84n, 84n * 100n, 2]);
  });

  it('a bankrupt long and a bankrupt short: a(c) in whole atoms of c, residue', () => {
    const book: LiqBook = { markets: [market(100n)], accounts: [account(0n), account(0n, [pos(0, -5n, 550n)]), account(0n, [pos(0, 5n, -450n)])] };
    const state = createWaterfallState(book);
    // Long sold 3 at 100, r = 10: P = 100 + ceil(10 / 3) = 104, a(c) = 4c; c = 3 (a(2) = 8 < 10), covers 10, residue 2.
    // Short bought 3 at 100, r = 10: sigma = -1, P = 96, the long sells 3: a(c) = 100c - 96c = 4c; same.
    const out = run(book, state, { steps: [adl('pnl')] }, [deficit(0, 0, 10n, -3n, 100n), deficit(0, 0, 10n, 3n, 100n)]);
    expect(brief(out.records, true)).toEqual([
      ['cover', 0, 1, 10n, 104n, 3n], ['residue', 0, 1, 2n, 0n, 0n],
      ['cover', 1, 2, 10n, 96n, -3n], ['residue', 1, 2, 2n, 0n, 0n],
    ]);
    // Short: quoteClosed = floor(550 * 3 / 5) = 330, cash = -312: realized 18. Long: floor(-450 * 3 / 5) = -270, cash 288: 18.
    expect(book.accounts.map((a) => a.collateralQuote)).toEqual([0n, 18n, 18n]);
    expect(book.accounts[1]!.positions[0]).toMatchObject({ sizeBase: -2n, quoteBalance: 220n });
  });

  it('mark price: closes Qb at the mark, covers nothing, the record goes on to the next step', () => {
    const book = adlBook();
    const state = createWaterfallState(book);
    state.fundsQuote[0] = 50n;
    const out = run(book, state, { steps: [adl('pnl', { price: 'mark' }), { kind: 'insuranceFund' }] }, [deficit(0, 0, 10n, -100n, 100n)]);
    // Account 2 (pnl first) closes min(200, 100) = 100 at 100: quoteClosed = 10,200, cash -10,000 -> realized 200.
    // The close moves no money to the deficit: no audit record (it shows in the ADL volume).
    expect(brief(out.records, true)).toEqual([['cover', 0, null, 10n, 0n, 0n]]);
    expect(out.records[0]!.step).toBe(1);
    expect(book.accounts[2]!.collateralQuote).toBe(1_200n);
    expect([out.report.adlVolumeBase, out.report.adlNotionalQuote, out.report.adlAccounts, out.report.adlCoveredQuote, out.report.insuranceFundQuote]).toEqual([100n, 10_000n, 1, 0n, 10n]);
  });

  it('randomWalk: candidates in account order from splitmix64(seed + event 2^32 + k) mod n', () => {
    // Published splitmix64 outputs for states 0 and 0x9E3779B97F4A7C15 (the second output of seed 0).
    expect(splitmix64(0n)).toBe(0xE220A8397B1DCDAFn);
    expect(splitmix64(0x9E3779B97F4A7C15n)).toBe(0x6E789E6AA1B965F4n);
    const book = adlBook();
    book.accounts.push(account(0n, [pos(0, -20n, 2_000n)])); // account 4, short 20
    const state = createWaterfallState(book);
    // seed 5, event 1, k 0: splitmix64(5 + 2^32) = 5,850,300,198,034,702,058 (digit sum 68) = 2 mod 3:
    // start at the third candidate (account 4), then 1, then 2. Mark mode closes Qb = 100: 20, 30, 50
    // (moving no money: no audit records, only the ADL volume).
    expect(splitmix64(5n + (1n << 32n))).toBe(5_850_300_198_034_702_058n);
    const out = run(book, state, { steps: [adl('randomWalk', { seed: 5n, price: 'mark' })] }, [deficit(0, 0, 10n, -100n, 100n)]);
    expect(brief(out.records, true)).toEqual([['uncovered', 0, null, 10n, 0n, 0n]]);
    expect(book.accounts.map((a) => a.positions.map((p) => p.sizeBase))).toEqual([[], [], [-150n], [230n], []]);
    expect([out.report.adlVolumeBase, out.report.adlAccounts]).toEqual([100n, 3]);
  });

  it('randomWalk: n is the length of the group\'s list, positions closed since are skipped', () => {
    const book = adlBook();
    book.accounts.push(account(0n, [pos(0, -20n, 2_000n)])); // account 4, short 20
    const state = createWaterfallState(book);
    // One group (longs sold), list [1, 2, 4] (n = 3), mark mode, seed 5.
    // Record 0 (Qb 30): start 2 (above): account 4 closes 20, account 1 closes 10 (-20 left).
    // Record 1 (Qb 10): splitmix64(5 + 2^32 + 1) = 1,563,153,243,576,382,911 (digit sum 66) = 0 mod 3:
    // account 1 closes 10. (Counting only the two live candidates would give 1 mod 2: account 2.)
    expect(splitmix64(5n + (1n << 32n) + 1n)).toBe(1_563_153_243_576_382_911n);
    const out = run(book, state, { steps: [adl('randomWalk', { seed: 5n, price: 'mark' })] }, [deficit(0, 0, 10n, -30n, 100n), deficit(0, 0, 10n, -10n, 100n)]);
    expect(brief(out.records)).toEqual([['uncovered', 0, null, 10n], ['uncovered', 1, null, 10n]]);
    expect(book.accounts.map((a) => a.positions.map((p) => p.sizeBase))).toEqual([[], [-10n], [-200n], [230n], []]);
    expect([out.report.adlVolumeBase, out.report.adlAccounts]).toEqual([40n, 2]);
  });

  it('largest: the topK largest positions share the size pro rata; covers capped at r', () => {
    const book = adlBook();
    book.accounts[1]!.positions[0] = pos(0, -50n, 5_000n);
    book.accounts[2]!.positions[0] = pos(0, -30n, 3_000n);
    book.accounts.push(account(0n, [pos(0, -20n, 2_000n)]));
    const state = createWaterfallState(book);
    // topK 2: accounts 1 (50) and 2 (30). r = 39, Qb = 40: P = 101, a(c) = c. split(40, 50:30) = 25, 15.
    // Account 1 closes 25: covers 25 (r = 14); account 2 closes 15: covers 14, residue 1. Account 4 untouched.
    const out = run(book, state, { steps: [adl('largest', { topK: 2 })] }, [deficit(0, 0, 39n, -40n, 100n)]);
    expect(brief(out.records, true)).toEqual([['cover', 0, 1, 25n, 101n, 25n], ['cover', 0, 2, 14n, 101n, 15n], ['residue', 0, 2, 1n, 0n, 0n]]);
    expect(book.accounts[4]!.positions[0]!.sizeBase).toBe(-20n);
  });

  it('largest: closing stops once the record is covered', () => {
    const book = adlBook();
    book.accounts[1]!.positions[0] = pos(0, -50n, 5_000n);
    book.accounts[2]!.positions[0] = pos(0, -30n, 3_000n);
    book.accounts.push(account(0n, [pos(0, -20n, 2_000n)]));
    const state = createWaterfallState(book);
    // r = 20, Qb = 40: P = 100 + ceil(20 / 40) = 101, a(c) = c. topK 3: split(40, 50:30:20) = 20, 12, 8.
    // Account 1 closes 20 and covers all of it: accounts 2 and 4 are not closed.
    const out = run(book, state, { steps: [adl('largest', { topK: 3 })] }, [deficit(0, 0, 20n, -40n, 100n)]);
    expect(brief(out.records, true)).toEqual([['cover', 0, 1, 20n, 101n, 20n]]);
    expect(book.accounts.map((a) => a.positions.map((p) => p.sizeBase))).toEqual([[], [-30n], [-30n], [230n], [-20n]]);
  });

  it('keys -0 and +0 are one key: a tie, broken by account', () => {
    const book = adlBook();
    // Account 2 gets +0, account 1 gets -0: tied, account 1 first; the key is reported as +0.
    const order = adlOrder(book, 0, -1n, (c) => (c.accountId === 1 ? -0 : 0), startFigures(book));
    expect(order.map((r) => r.slot.accountId)).toEqual([1, 2]);
    expect(order.every((r) => Object.is(r.key, 0))).toBe(true);
  });

  it('adlAccounts: the distinct accounts each ADL step closed, summed over the steps', () => {
    // Account 1 is short in both markets; market 1 runs in a group with an ADL step of its own.
    const book: LiqBook = {
      markets: [market(100n), market(100n)],
      accounts: [account(0n), account(10_000n, [pos(0, -50n, 5_000n), pos(1, -50n, 5_000n)]), account(10_000n, [pos(0, -50n, 5_000n)])],
    };
    const state = createWaterfallState(book);
    const config: WaterfallConfig = { steps: [adl('pnl', { price: 'mark' })], groups: [{ markets: [1], steps: [adl('pnl', { price: 'mark' })] }] };
    // Market 0: two records of the bankrupt long (Qb 40 each): account 1 (first by id, pnl ties at 0) closes 40, then
    // 10 more and account 2 30: two accounts. Market 1: account 1 closes 40: one. The step sums 2 + 1 = 3 (account 1 twice).
    const out = run(book, state, config, [deficit(0, 0, 5n, -40n, 100n), deficit(0, 0, 5n, -40n, 100n), deficit(0, 1, 5n, -40n, 100n)]);
    expect(book.accounts.map((a) => a.positions.map((p) => p.sizeBase))).toEqual([[], [-10n], [-20n]]);
    expect([out.report.adlVolumeBase, out.report.adlAccounts]).toEqual([120n, 3]);
  });

  it('a ranking function is called at the run start, before anything moves: it sees every input as the run found it', () => {
    const book = adlBook();
    const state = createWaterfallState(book);
    const seen: AdlCandidate[] = [];
    const ranking = (c: AdlCandidate): number => { seen.push(c); return -c.accountId; };
    // Backstop first: account 1 pays min(50, 100) = 50 of 60 (collateral 100 -> 50). The function was
    // called before that, at the run start: E = 400 and C = 100; -accountId puts account 1 first:
    // P = 101, c lowered to 10.
    const config: WaterfallConfig = { steps: [{ kind: 'backstopVault', providers: [{ accountId: 1, capacityQuote: 50n }] }, { kind: 'adl', ranking }] };
    const out = run(book, state, config, [deficit(0, 0, 60n, -100n, 100n)]);
    expect(seen).toEqual([
      { accountId: 1, marketId: 0, isolated: false, sizeBase: -30n, unrealizedPnlQuote: 300n, notionalQuote: 3_000n, entryValueQuote: 3_300n, equityQuote: 400n, mmQuote: 150n, collateralQuote: 100n },
      { accountId: 2, marketId: 0, isolated: false, sizeBase: -200n, unrealizedPnlQuote: 400n, notionalQuote: 20_000n, entryValueQuote: 20_400n, equityQuote: 1_400n, mmQuote: 1_000n, collateralQuote: 1_000n },
    ]);
    expect(brief(out.records, true)).toEqual([['cover', 0, 1, 50n, 0n, 0n], ['cover', 0, 1, 10n, 101n, 10n]]);
  });
});

describe('socializeFunding', () => {
  /** D = 100, mark 100: longs 3,001 and 1,999, short 5,000 (OI = 10,000), each entered at the mark (value 0), collateral 1,000. */
  const book = (): LiqBook => ({
    markets: [market(100n, { baseDecimals: 2 })],
    accounts: [account(0n), account(1_000n, [pos(0, 3_001n, -3_001n)]), account(1_000n, [pos(0, 1_999n, -1_999n)]), account(1_000n, [pos(0, -5_000n, 5_000n)])],
  });

  it('every position pays split(X, |s|) exactly, out of its group\'s collateral; no residue, no index moves', () => {
    const b = book();
    const state = createWaterfallState(b);
    // X = 997 over W = 10,000: 997 * 3,001 = 2,991,997 -> 299 rem 1,997; 997 * 1,999 = 1,993,003 -> 199 rem 3,003;
    // 997 * 5,000 = 4,985,000 -> 498 rem 5,000; one atom left -> rem 5,000 (account 3): 299, 199, 499.
    const out = run(b, state, { steps: [{ kind: 'socializeFunding' }] }, [deficit(0, 0, 997n)]);
    expect(brief(out.records, true)).toEqual([['cover', 0, null, 997n, 0n, 0n], ['pay', null, 1, 299n, 0n, 0n], ['pay', null, 2, 199n, 0n, 0n], ['pay', null, 3, 499n, 0n, 0n]]);
    expect(b.accounts.map((a) => a.collateralQuote)).toEqual([0n, 701n, 801n, 501n]);
    expect([b.markets[0]!.fundingIndexLong, b.markets[0]!.fundingIndexShort, state.residueQuote, out.report.socializedQuote]).toEqual([0n, 0n, 0n, 997n]);
  });

  it('a position pays no more than its group\'s equity: the others pay the rest by weight', () => {
    const b = book();
    b.accounts[2]!.collateralQuote = 50n; // equity 50: cap 50
    const state = createWaterfallState(b);
    // Round 1 as above gives account 2 199 > 50: fixed at 50. Round 2: R = 947 over W = 8,001:
    //   947 * 3,001 = 2,841,947 -> 355 rem 1,592; 947 * 5,000 = 4,735,000 -> 591 rem 6,409; one atom -> account 3: 355, 592.
    const out = run(b, state, { steps: [{ kind: 'socializeFunding' }] }, [deficit(0, 0, 997n)]);
    expect(brief(out.records)).toEqual([['cover', 0, null, 997n], ['pay', null, 1, 355n], ['pay', null, 2, 50n], ['pay', null, 3, 592n]]);
    expect(b.accounts.map((a) => a.collateralQuote)).toEqual([0n, 645n, 0n, 408n]);
    // Capacity is the sum of the equities: 2,050 here; a deficit of 3,000 takes 2,050 and 950 passes on.
    const b2 = book();
    b2.accounts[2]!.collateralQuote = 50n;
    const out2 = run(b2, createWaterfallState(b2), { steps: [{ kind: 'socializeFunding' }] }, [deficit(0, 0, 3_000n)]);
    expect(brief(out2.records)).toEqual([['cover', 0, null, 2_050n], ['pay', null, 1, 1_000n], ['pay', null, 2, 50n], ['pay', null, 3, 1_000n], ['uncovered', 0, null, 950n]]);
  });
});

describe('haircuts', () => {
  it('haircutDeposits: pro rata to positive collateral; the deposit index', () => {
    const book = fundBook();
    book.accounts[1]!.collateralQuote = 200n;
    book.accounts[2]!.collateralQuote = 100n;
    book.accounts[3]!.collateralQuote = -50n;
    const state = createWaterfallState(book);
    // split(10, 200:100): R w = 2,000 and 1,000 over 300 -> t = 6 (rem 200), 3 (rem 100); one atom to account 1: 7, 3.
    // Index: 10^18 - ceil(10^18 * 10 / 300) = 10^18 - 33,333,333,333,333,334.
    const out = run(book, state, { steps: [{ kind: 'haircutDeposits' }] }, [deficit(0, 0, 10n)]);
    expect(brief(out.records)).toEqual([['cover', 0, null, 10n], ['pay', null, 1, 7n], ['pay', null, 2, 3n]]);
    expect(book.accounts.map((a) => a.collateralQuote)).toEqual([0n, 193n, 97n, -50n]);
    expect([state.depositIndex, out.report.depositIndex]).toEqual([966_666_666_666_666_666n, 966_666_666_666_666_666n]);
  });

  it('haircutGains: gains above the minimum, capped at maxHaircutPpm of the gain', () => {
    // adlBook gains: account 1: 300, account 2: 400, account 3: 0 (not a payer). Caps at 50 %: 150, 200.
    const book = adlBook();
    const state = createWaterfallState(book);
    // split(100, 300:400, caps 150:200): R w = 30,000 and 40,000 over 700 -> t = 42 (rem 600), 57 (rem 100) -> 43, 57.
    const out = run(book, state, { steps: [{ kind: 'haircutGains', maxHaircutPpm: 500_000 }] }, [deficit(0, 0, 100n)]);
    expect(brief(out.records)).toEqual([['cover', 0, null, 100n], ['pay', null, 1, 43n], ['pay', null, 2, 57n]]);
    // Out of the gain itself: quote balances 3,300 - 43 and 20,400 - 57; collateral stays; flows fall by 100.
    expect(book.accounts.map((a) => a.collateralQuote)).toEqual([0n, 100n, 1_000n, 5_000n]);
    expect(book.accounts.map((a) => a.positions[0]?.quoteBalance)).toEqual([undefined, 3_257n, 20_343n, -23_000n]);
    expect(state.flowQuote).toBe(-100n);
    // Capacity 350 fixed at the step's start: a deficit of 500 takes 350 (both at their caps), 150 uncovered.
    const b2 = adlBook();
    const out2 = run(b2, createWaterfallState(b2), { steps: [{ kind: 'haircutGains', maxHaircutPpm: 500_000 }] }, [deficit(0, 0, 400n), deficit(0, 0, 100n)]);
    expect(brief(out2.records)).toEqual([['cover', 0, null, 350n], ['pay', null, 1, 150n], ['pay', null, 2, 200n], ['uncovered', 0, null, 50n], ['uncovered', 1, null, 100n]]);
    // minGainQuote 350: only account 2 (gain 400 > 350) pays, the whole gain by default.
    const b3 = adlBook();
    const out3 = run(b3, createWaterfallState(b3), { steps: [{ kind: 'haircutGains', minGainQuote: 350n }] }, [deficit(0, 0, 100n)]);
    expect(brief(out3.records)).toEqual([['cover', 0, null, 100n], ['pay', null, 2, 100n]]);
    // Settle records are skipped by scope 'market' and served by scope 'all'.
    const b4 = adlBook();
    expect(brief(run(b4, createWaterfallState(b4), { steps: [{ kind: 'haircutGains' }] }, [deficit(0, null, 7n)]).records)).toEqual([['uncovered', 0, null, 7n]]);
    expect(brief(run(b4, createWaterfallState(b4), { steps: [{ kind: 'haircutGains', scope: 'all' }] }, [deficit(0, null, 7n)]).records))
      .toEqual([['cover', 0, null, 7n], ['pay', null, 1, 3n], ['pay', null, 2, 4n]]);
  });

  it('haircutVaultShares: the vault pays, pay records per share', () => {
    const book = fundBook();
    book.accounts.push(account(1_000n)); // 4: the vault
    // Account 2 deposited first (1 share), then account 1 (3 shares): providers in the order of first deposit.
    const state = createWaterfallState(book, { vaultAccountId: 4, lpShares: new Map([[2, 1n], [1, 3n]]) });
    // Vault collateral 1,000 -> 990. split(10, 1:3) over W = 4: t = 2 (rem 2), 7 (rem 2): the tie goes to the earlier
    // payer (account 2): 3, 7.
    const out = run(book, state, { steps: [{ kind: 'haircutVaultShares' }] }, [deficit(0, 0, 10n)]);
    expect(brief(out.records)).toEqual([['cover', 0, null, 10n], ['pay', null, 2, 3n], ['pay', null, 1, 7n]]);
    expect([book.accounts[4]!.collateralQuote, out.report.vaultQuote]).toEqual([990n, 10n]);
  });
});

describe('clearing house', () => {
  const eurex: WaterfallConfig = { steps: [
    { kind: 'defaulterFund' }, { kind: 'operatorCapital', layer: 1 }, { kind: 'membersFund', withLayer2: true }, { kind: 'assessments', multiplePpm: 2_000_000 },
  ] };
  const init = (): WaterfallInit => ({
    members: [[0, { fundQuote: 50n, committedQuote: 50n }], [1, { fundQuote: 100n, committedQuote: 100n }], [2, { fundQuote: 300n, committedQuote: 300n }]],
    operatorCapitalQuote: [20n, 40n],
  });

  it('Eurex: defaulter fund, SITG, members fund with layer 2 pro rata, assessments capped at 2x', () => {
    const book = fundBook();
    const state = createWaterfallState(book, init());
    // 2,000 from member 0: its fund 50 (1,950 left), SITG 20 (1,930), members fund 100 + 300 + layer 2 40 = 440
    // (all of it, 1,490), assessments 2 x 100 and 2 x 300 = 800 (690 uncovered).
    const out = run(book, state, eurex, [deficit(0, 0, 2_000n)]);
    expect(brief(out.records)).toEqual([
      ['cover', 0, 0, 50n], ['cover', 0, null, 20n],
      ['cover', 0, null, 440n], ['pay', null, 1, 100n], ['pay', null, 2, 300n], ['pay', null, null, 40n],
      ['cover', 0, null, 800n], ['pay', null, 1, 200n], ['pay', null, 2, 600n],
      ['uncovered', 0, null, 690n],
    ]);
    expect(book.accounts.map((a) => a.collateralQuote)).toEqual([0n, -200n, -600n, 0n]); // members owe their assessments
    expect([out.report.clearingHouseQuote, state.operatorCapitalQuote, [...state.members.values()].map((m) => m.assessedQuote)]).toEqual([1_310n, [0n, 0n], [0n, 200n, 600n]]);
    // Assessments are used up until reset: the next 100 is uncovered; after resetAssessments split(100, 100:300) = 25, 75.
    expect(brief(run(book, state, eurex, [deficit(0, 0, 100n)], 1).records)).toEqual([['uncovered', 0, null, 100n]]);
    resetAssessments(state);
    expect(brief(run(book, state, eurex, [deficit(0, 0, 100n)], 2).records)).toEqual([['cover', 0, null, 100n], ['pay', null, 1, 25n], ['pay', null, 2, 75n]]);
  });

  it('members fund pro rata with layer 2; the defaulter is not a surviving member', () => {
    const book = fundBook();
    const state = createWaterfallState(book, init());
    // split(200, 100:300:40) over W = 440: 20,000 / 440 = 45 rem 200; 60,000 / 440 = 136 rem 160; 8,000 / 440 = 18 rem 80
    // -> 199, one atom to member 1: 46, 136, 18.
    const out = run(book, state, { steps: [{ kind: 'membersFund', withLayer2: true }] }, [deficit(0, 0, 200n)]);
    expect(brief(out.records)).toEqual([['cover', 0, null, 200n], ['pay', null, 1, 46n], ['pay', null, 2, 136n], ['pay', null, null, 18n]]);
    expect([[...state.members.values()].map((m) => m.fundQuote), state.operatorCapitalQuote[1]]).toEqual([[50n, 54n, 164n], 22n]);
  });

  it('members are taken in the order they were registered', () => {
    const book = fundBook();
    // Registered 2 then 1, 100 each: split(3, 100:100) gives the atom left to the earlier payer, member 2.
    const state = createWaterfallState(book, { members: [[2, { fundQuote: 100n, committedQuote: 100n }], [1, { fundQuote: 100n, committedQuote: 100n }]] });
    const out = run(book, state, { steps: [{ kind: 'membersFund' }] }, [deficit(0, 0, 3n)]);
    expect(brief(out.records)).toEqual([['cover', 0, null, 3n], ['pay', null, 2, 2n], ['pay', null, 1, 1n]]);
  });

  it('Nasdaq 2018: a 114M loss, 7M of operator capital, then 107M from a members fund of 166M pro rata', () => {
    const M = 1_000_000n * 1_000_000n; // one million USD in atoms
    const book = fundBook();
    book.accounts.push(account(0n)); // 4
    const state = createWaterfallState(book, {
      members: [[1, { fundQuote: 80n * M, committedQuote: 80n * M }], [2, { fundQuote: 50n * M, committedQuote: 50n * M }],
        [3, { fundQuote: 30n * M, committedQuote: 30n * M }], [4, { fundQuote: 6n * M, committedQuote: 6n * M }]],
      operatorCapitalQuote: [7n * M, 0n],
    });
    const config: WaterfallConfig = { steps: [{ kind: 'defaulterFund' }, { kind: 'operatorCapital', layer: 1 }, { kind: 'membersFund' }] };
    // 107M over 80:50:30:6 (W = 166): 107 * 80 / 166 = 51.566265060240|96 M, 32.228915662650|6, 19.337349397590|36,
    // 3.867469879518|07 (in atoms: floors 51,566,265,060,240 etc., remainders 160, 100, 60, 12 (x 10^12)):
    // the floors sum to 2 atoms short; the two largest remainders (members 1 and 2) get one more.
    const out = run(book, state, config, [deficit(0, 0, 114n * M)]);
    expect(brief(out.records)).toEqual([
      ['cover', 0, null, 7n * M], ['cover', 0, null, 107n * M],
      ['pay', null, 1, 51_566_265_060_241n], ['pay', null, 2, 32_228_915_662_651n], ['pay', null, 3, 19_337_349_397_590n], ['pay', null, 4, 3_867_469_879_518n],
    ]);
    expect([...state.members.values()].reduce((a, m) => a + m.fundQuote, 0n)).toBe(59n * M);
    expect([out.report.clearingHouseQuote, out.report.uncoveredQuote]).toEqual([114n * M, 0n]);
  });
});

describe('runs', () => {
  it('records run through their market group\'s waterfall; settle records through the default one, which runs first', () => {
    const book = fundBook();
    const state = createWaterfallState(book, { operatorCapitalQuote: [1_000n, 0n] });
    state.fundsQuote[0] = 1_000n;
    const config: WaterfallConfig = { steps: [{ kind: 'insuranceFund', fund: 'global' }], groups: [{ markets: [1], steps: [{ kind: 'defaulterFund' }, { kind: 'operatorCapital', layer: 1 }] }] };
    const out = run(book, state, config, [deficit(1, 1, 30n), deficit(2, 0, 20n), deficit(3, null, 10n)]);
    expect(out.records.map((r) => [r.deficit, r.waterfall, r.step, r.amountQuote])).toEqual([[1, 0, 0, 20n], [2, 0, 0, 10n], [0, 1, 1, 30n]]);
    const none = { residueQuote: 0n, paidBeyondEquityQuote: 0n, paidBeyondEquityAccounts: 0 };
    expect(out.report.steps).toEqual([
      { waterfall: 0, step: 0, kind: 'insuranceFund', coveredQuote: 30n, ...none },
      { waterfall: 1, step: 0, kind: 'defaulterFund', coveredQuote: 0n, ...none }, { waterfall: 1, step: 1, kind: 'operatorCapital', coveredQuote: 30n, ...none },
    ]);
    expect([out.report.deficits, out.report.deficitQuote, out.report.insuranceFundQuote, out.report.clearingHouseQuote]).toEqual([3, 60n, 30n, 30n]);
  });

  it('InvalidWaterfall: the step and the field are named and nothing moves', () => {
    const book = fundBook();
    const state = createWaterfallState(book);
    state.fundsQuote[0] = 100n;
    const bad = (config: WaterfallConfig): [number, number, string] | [string, number, number, string] => {
      try { allocate(book, state, config, [deficit(0, 0, 5n)], 0); } catch (e) {
        if (e instanceof RefInvalidWaterfall) return [e.waterfall, e.row, e.field];
        if (e instanceof RefUnknownId) return [e.codeName, e.waterfall, e.row, e.field];
        throw e;
      }
      throw new Error('accepted');
    };
    // A repeated step: the same kind, except insurance funds naming different funds and the two operator layers.
    expect(bad({ steps: [{ kind: 'insuranceFund' }, { kind: 'operatorCapital', layer: 1 }, { kind: 'insuranceFund' }] })).toEqual([0, 2, 'Tranche']);
    expect(bad({ steps: [{ kind: 'insuranceFund', fund: 'global' }, { kind: 'insuranceFund', fund: 1 }, { kind: 'insuranceFund', fund: 0 }] })).toEqual([0, 2, 'Tranche']);
    expect(bad({ steps: [{ kind: 'operatorCapital', layer: 2 }, { kind: 'operatorCapital', layer: 1 }, { kind: 'operatorCapital', layer: 2 }] })).toEqual([0, 2, 'Tranche']);
    expect(bad({ steps: [{ kind: 'haircutDeposits' }], groups: [{ markets: [1], steps: [{ kind: 'defaulterFund' }, { kind: 'defaulterFund' }] }] })).toEqual([1, 1, 'Tranche']);
    expect(bad({ steps: [{ kind: 'adl', ranking: 'largest', topK: 65 }] })).toEqual([0, 0, 'topK']);
    expect(bad({ steps: [{ kind: 'insuranceFund', floorQuote: -1n }] })).toEqual([0, 0, 'floorQuote']);
    expect(bad({ steps: [{ kind: 'insuranceFund', maxPerDeficitQuote: (1n << 62n) + 1n }] })).toEqual([0, 0, 'maxPerDeficitQuote']);
    expect(bad({ steps: [{ kind: 'insuranceFund', drawdownPpm: 1_000_001, drawdownWindowSec: 60 }] })).toEqual([0, 0, 'drawdownPpm']);
    expect(bad({ steps: [{ kind: 'insuranceFund', fund: 99 }] })).toEqual([0, 0, 'fund']);
    expect(bad({ steps: [{ kind: 'backstopVault', providers: [{ accountId: 42 }] }] })).toEqual(['UnknownAccount', 0, 0, 'providers']);
    expect(bad({ steps: [{ kind: 'adl', ranking: 'pnl', topK: 0 }] })).toEqual([0, 0, 'topK']);
    expect(bad({ steps: [{ kind: 'adl', ranking: 'volume' as 'pnl' }] })).toEqual([0, 0, 'ranking']);
    expect(bad({ steps: [] })).toEqual([0, 0, 'steps']);
    expect(bad({ steps: [{ kind: 'insuranceFund' }], groups: [{ markets: [0], steps: [{ kind: 'defaulterFund' }] }, { markets: [0], steps: [{ kind: 'defaulterFund' }] }] })).toEqual([2, 0, 'markets']);
    expect(bad({ steps: [{ kind: 'insuranceFund' }], groups: [{ markets: [7], steps: [{ kind: 'defaulterFund' }] }] })).toEqual(['UnknownMarket', 1, 0, 'markets']);
    expect([state.event, state.fundsQuote[0]]).toEqual([0, 100n]);
    // Accepted: insurance funds naming different funds ('market', 'global', a fund id) and both operator layers.
    setWaterfall(book, state, { steps: [
      { kind: 'insuranceFund' }, { kind: 'insuranceFund', fund: 'global' }, { kind: 'insuranceFund', fund: 1 },
      { kind: 'operatorCapital', layer: 1 }, { kind: 'operatorCapital', layer: 2 },
    ] });
  });

  it('repeated insurance funds and both operator layers run in order', () => {
    const book = fundBook();
    const state = createWaterfallState(book, { operatorCapitalQuote: [30n, 40n] });
    state.fundsQuote[0] = 20n; // global
    state.fundsQuote[1] = 50n; // market 0's own
    const config: WaterfallConfig = { steps: [
      { kind: 'operatorCapital', layer: 2 }, { kind: 'insuranceFund', fund: 'global' }, { kind: 'insuranceFund' }, { kind: 'operatorCapital', layer: 1 },
    ] };
    // 200 on market 0: layer 2 pays 40 (160), the global fund 20 (140), the market's fund 50 (90), layer 1 30 (60 uncovered).
    const out = run(book, state, config, [deficit(1, 0, 200n)]);
    expect(out.records.map((r) => [r.step, r.role, r.amountQuote])).toEqual([[0, 'cover', 40n], [1, 'cover', 20n], [2, 'cover', 50n], [3, 'cover', 30n], [null, 'uncovered', 60n]]);
    expect([out.report.insuranceFundQuote, out.report.clearingHouseQuote, state.operatorCapitalQuote, state.fundsQuote.slice(0, 2)]).toEqual([70n, 70n, [0n, 0n], [0n, 0n]]);
  });

  it('conservation: every step in one waterfall, on random books', () => {
    let seed = 99;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor(seed / 65536) % n; };
    const all: Tranche[] = [
      { kind: 'insuranceFund', floorQuote: 10n, maxPerDeficitQuote: 400n }, { kind: 'defaulterFund' }, { kind: 'operatorCapital', layer: 1 },
      { kind: 'membersFund', withLayer2: true }, { kind: 'assessments', multiplePpm: 1_500_000 }, { kind: 'backstopVault' },
      { kind: 'haircutVaultShares' }, { kind: 'adl', ranking: 'hyperliquid' }, { kind: 'haircutGains', maxHaircutPpm: 300_000 }, { kind: 'haircutDeposits' },
      { kind: 'socializeFunding' },
    ];
    let adlCloses = 0, pays = 0;
    for (let trial = 0; trial < 40; trial++) {
      const markets = [market(BigInt(50 + rnd(100)), { baseDecimals: rnd(3) }), market(BigInt(1_000 + rnd(1_000)), { insuranceFund: 'own' })];
      const accounts = Array.from({ length: 8 }, () => account(BigInt(rnd(2_000)) - 200n, [0, 1].filter(() => rnd(3) > 0).map((m) => {
        const size = BigInt(rnd(500) + 1) * (rnd(2) === 0 ? 1n : -1n);
        return pos(m, size, -size * markets[m]!.markPrice / 10n ** BigInt(markets[m]!.baseDecimals) + BigInt(rnd(400)) - 200n, BigInt(rnd(5)));
      })));
      const book: LiqBook = { markets, accounts };
      const state = createWaterfallState(book, {
        members: [[1, { fundQuote: 100n, committedQuote: 150n }], [2, { fundQuote: 60n, committedQuote: 60n }]],
        operatorCapitalQuote: [BigInt(rnd(100)), BigInt(rnd(100))], vaultAccountId: 7, lpShares: new Map([[5, 2n], [6, 1n]]),
      });
      state.fundsQuote = [500n, 0n, 300n];
      // A random order of a random half of the steps; deficits from accounts 0 and 3 (closes of either side, and settles).
      const steps = [...all];
      for (let i = steps.length - 1; i > 0; i--) { const j = rnd(i + 1); [steps[i], steps[j]] = [steps[j]!, steps[i]!]; }
      // Every other trial has ADL among the first steps (others tend to cover everything before it).
      if (trial % 2 === 0) { const i = steps.findIndex((t) => t.kind === 'adl'), j = rnd(2); [steps[i], steps[j]] = [steps[j]!, steps[i]!]; }
      steps.length = 3 + rnd(6);
      const deficits = Array.from({ length: 1 + rnd(4) }, () => {
        const m = rnd(3);
        return m === 2 ? deficit(3, null, BigInt(1 + rnd(300))) : deficit(rnd(2) * 3, m, BigInt(1 + rnd(3_000)), BigInt(rnd(200) - 100), markets[m]!.markPrice);
      });
      const out = run(book, state, { steps }, deficits, trial);
      // Per record: covers + uncovered = D_k.
      deficits.forEach((d, k) => {
        const taken = out.records.filter((r) => r.deficit === k && (r.role === 'cover' || r.role === 'uncovered')).reduce((a, r) => a + r.amountQuote, 0n);
        expect(taken, `trial ${trial} record ${k}`).toBe(d.amountQuote);
      });
      adlCloses += out.records.filter((r) => r.role === 'cover' && r.sizeBase !== 0n && r.priceQuote !== 0n).length;
      pays += out.records.filter((r) => r.role === 'pay').length;
    }
    expect(Math.min(adlCloses, pays)).toBeGreaterThan(20);
  });
});
