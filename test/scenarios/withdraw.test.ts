/**
 * What a winner may withdraw (docs/ECONOMICS.md, "What a winner may withdraw"), worked by hand.
 * Markets throughout: D = 1 (whole units), mark 100 USD, flat IM 10 % / MM 5 % unless said.
 *   pnl_i = floor(s m / D) + quote - funding owed; U+ / U- the sums of its positive / negative parts
 *   Q = max(IM, ceil(N * floorPpm / 10^6)); W = max(0, C + U- + R - Q)
 *   settle: p = floor(s m / D) + quote; a winner is paid min(p, its realizable part, pool), a loser
 *   pays min(-p, max(C, 0)) into the pool.
 */
import { describe, expect, it } from 'vitest';
import { InputError, MarginRefusedError } from '../../dist/src/node.js';
import { internalsOf } from '../../dist/src/abi/internals.js';
import { createEngine, digest, USD } from './support.js';

const FLAT_10_5 = { kind: 'flat' as const, imfPpm: 100_000, mmfPpm: 50_000 };
const UNIT = { baseDecimals: 0, markPrice: 100n * USD, curve: FLAT_10_5 };
const pos = (marketId: number, sizeBase: bigint, quoteUsd: bigint) => ({ marketId, sizeBase, quoteBalance: quoteUsd * USD });

describe('withdrawable under the default rule (all gains count, no floor)', () => {
  it('is max(0, E - IM), bound by initial margin; by equity without positions', async () => {
    const e = await createEngine();
    const m = e.addMarket(UNIT);
    // A: C 1,000, long 10 at 80 (quote -800): pnl = 1,000 - 800 = +200; E = 1,200; IM = 10 * 100 * 10 % = 100.
    const [a, b] = e.addAccounts([{ collateralQuote: 1_000n * USD, positions: [pos(m, 10n, -800n)] }, { collateralQuote: 7n * USD }]);
    expect(e.withdrawalRules()).toEqual({ realizable: 'all', transferFloorPpm: 0 });
    expect(e.withdrawable(a!)).toEqual({
      amountQuote: 1_100n * USD, equityQuote: 1_200n * USD, requirementQuote: 100n * USD,
      realizableQuote: 200n * USD, positivePnlQuote: 200n * USD, limit: 'initialMargin',
    });
    expect(e.withdrawable(b!)).toMatchObject({ amountQuote: 7n * USD, requirementQuote: 0n, limit: 'equity' });
    const all = e.withdrawableAll();
    expect(Array.from(all.amountQuote)).toEqual([1_100n * USD, 7n * USD]);
    expect(Array.from(all.limit)).toEqual([1, 0]);
  });
});

describe("Hyperliquid's transfer rule: what stays behind covers max(IM, 10 % of the notional)", () => {
  it('a winner withdraws its gains only after a loser settled into the pool; equity is unchanged by a settle', async () => {
    const e = await createEngine();
    const m = e.addMarket({ ...UNIT, curve: { kind: 'flat', imfPpm: 50_000, mmfPpm: 30_000 } });
    // A: C 1,000, long 10 at 80: pnl +200, E 1,200, IM = 1,000 * 5 % = 50.
    // B: C 500, short 10 at 80 (quote +800): pnl = -1,000 + 800 = -200, E 300.
    const [a, b] = e.addAccounts([
      { collateralQuote: 1_000n * USD, positions: [pos(m, 10n, -800n)] },
      { collateralQuote: 500n * USD, positions: [pos(m, -10n, 800n)] },
    ]);
    e.setWithdrawalRules({ transferFloorPpm: 100_000 });
    // N = ceil(10 * 100) = 1,000; floor = ceil(1,000 * 10 %) = 100 > IM 50: Q = 100.
    // W = C + U- + R - Q = 1,000 + 0 + 200 - 100 = 1,100, bound by the transfer floor.
    expect(e.withdrawable(a!)).toEqual({
      amountQuote: 1_100n * USD, equityQuote: 1_200n * USD, requirementQuote: 100n * USD,
      realizableQuote: 200n * USD, positivePnlQuote: 200n * USD, limit: 'transferFloor',
    });
    // One atom above W: AboveWithdrawable (the floor bound it), nothing changes.
    const before = digest(e);
    expect(() => e.withdraw(a!, 1_100n * USD + 1n)).toThrow(expect.objectContaining({ codeName: 'AboveWithdrawable', field: 'amountQuote' }));
    // 1,100 > C = 1,000: the account's PnL settles first, but the pool is empty (pay = min(200, 0) = 0),
    // so C still falls short: refused, nothing changes.
    expect(() => e.withdraw(a!, 1_100n * USD)).toThrow(expect.objectContaining({ codeName: 'AboveWithdrawable' }));
    expect(digest(e)).toBe(before);
    const ledger0 = e.ledger().totalQuote;
    // B settles: p = -200, pays min(200, max(500, 0)) = 200: C 300, quote 1,000, pool 200; E stays 300.
    expect(e.settlePnl(b!, m, 1_000)).toBe(-200n * USD);
    expect(e.account(b!)).toMatchObject({ collateralQuote: 300n * USD, positions: [{ sizeBase: -10n, quoteBalance: 1_000n * USD }] });
    expect(e.pnlPool(m)).toBe(200n * USD);
    e.check();
    expect(e.account(b!).figures.equityQuote).toBe(300n * USD);
    expect(e.flowLog.records().slice(-1)).toEqual([
      { seq: 0, kind: 'settlePnl', source: null, destination: 'pnlPool', accountId: b, id: m, amountQuote: 200n * USD, sec: 1_000n },
    ]);
    expect(e.ledger().totalQuote).toBe(ledger0);
    // A withdraws 1,100 > C: settle pays min(200, 200) = 200 (C 1,200, quote -1,000, pool 0), then C = 100.
    e.withdraw(a!, 1_100n * USD);
    expect(e.account(a!)).toMatchObject({ collateralQuote: 100n * USD, positions: [{ quoteBalance: -1_000n * USD }] });
    expect(e.pnlPool(m)).toBe(0n);
    expect(e.ledger().totalQuote).toBe(ledger0 - 1_100n * USD);
    expect(e.flowLog.records(1).map((f) => [f.kind, f.amountQuote])).toEqual([['pnlPaid', 200n * USD], ['withdrawal', 1_100n * USD]]);
    // Left: C 100 = E, Q = 100: W = 0.
    expect(e.withdrawable(a!)).toMatchObject({ amountQuote: 0n, equityQuote: 100n * USD, limit: 'transferFloor' });
  });
});

describe("Drift's claimable PnL (the PnL pool rule)", () => {
  it('a winner can claim at most the pool excess over the net PnL of everyone in the market', async () => {
    const e = await createEngine();
    const m = e.addMarket(UNIT);
    // W1: C 1,000, long 10 at 80: pnl +200.   W2: C 1,000, long 5 at 90 (quote -450): pnl +50.
    // L: C 100, short 15 at 85 (quote +1,275): pnl = -1,500 + 1,275 = -225.   F: C 10,000, no position.
    const [w1, w2, l, f] = e.addAccounts([
      { collateralQuote: 1_000n * USD, positions: [pos(m, 10n, -800n)] },
      { collateralQuote: 1_000n * USD, positions: [pos(m, 5n, -450n)] },
      { collateralQuote: 100n * USD, positions: [pos(m, -15n, 1_275n)] },
      { collateralQuote: 10_000n * USD },
    ]);
    // A 5 % taker fee on F's buy of 100 at the mark: fee = 10,000 * 5 % = 500 into the fee pool; F's pnl is 0.
    internalsOf(e).raw.setMarketFees(m, 0, 50_000);
    expect(e.applyFill({ accountId: f!, marketId: m, sizeDeltaBase: 100n, priceQuote: 100n * USD }).feeQuote).toBe(500n * USD);
    e.setWithdrawalRules({ realizable: 'pnlPool' });
    // The pool is empty: excess = max(0, 0 + floor(500 / 5) - max(200 + 50 - 225 + 0, 0)) = 100 - 25 = 75,
    // but R = min(200, 75, pool 0) = 0: W1 may take C + 0 - IM = 1,000 - 100 = 900.
    expect(e.withdrawable(w1!)).toMatchObject({ amountQuote: 900n * USD, realizableQuote: 0n, positivePnlQuote: 200n * USD, limit: 'realizable' });
    // L settles: pays min(225, 100) = 100: pool 100; L's pnl -125, C 0.
    expect(e.settlePnl(l!, m)).toBe(-100n * USD);
    // net = 200 + 50 - 125 = 125; avail = 100 + floor(500 / 5) = 200; excess = 200 - 125 = 75.
    // W1: R = min(200, 75, 100) = 75; W = 1,000 + 0 + 75 - 100 = 975 < E - Q = 1,100: bound by realizable.
    expect(e.withdrawable(w1!)).toEqual({
      amountQuote: 975n * USD, equityQuote: 1_200n * USD, requirementQuote: 100n * USD,
      realizableQuote: 75n * USD, positivePnlQuote: 200n * USD, limit: 'realizable',
    });
    // W2: IM = 5 * 100 * 10 % = 50; R = min(50, 75, 100) = 50 = U+: W = 1,000 + 50 - 50 = 1,000.
    expect(e.withdrawable(w2!)).toMatchObject({ amountQuote: 1_000n * USD, realizableQuote: 50n * USD, limit: 'initialMargin' });
    expect(() => e.withdraw(w1!, 975n * USD + 1n)).toThrow(expect.objectContaining({ codeName: 'AboveWithdrawable' }));
    // W1 settles: pay = min(200, 75, 100) = 75: C 1,075, quote -875, pool 25.
    expect(e.settlePnl(w1!, m)).toBe(75n * USD);
    expect(e.pnlPool(m)).toBe(25n * USD);
    // Now net = 125 - 75 = 50, avail = 25 + 100 = 125, excess 75; W1's pnl 125: R = min(125, 75, 25) = 25:
    // W = 1,075 + 25 - 100 = 1,000. W2: R = min(50, 75, 25) = 25: W = 1,000 + 25 - 50 = 975.
    expect(e.withdrawable(w1!)).toMatchObject({ amountQuote: 1_000n * USD, realizableQuote: 25n * USD, positivePnlQuote: 125n * USD });
    expect(e.withdrawable(w2!)).toMatchObject({ amountQuote: 975n * USD, realizableQuote: 25n * USD, limit: 'realizable' });
    const all = e.withdrawableAll();
    expect(Array.from(all.amountQuote)).toEqual([1_000n * USD, 975n * USD, 0n, e.withdrawable(f!).amountQuote]);
    // L: W = max(0, 0 - 125 - 150) = 0, IM 150 > 0 bound it.
    expect(Array.from(all.limit)).toEqual([3, 3, 1, 1]);
  });
});

describe('the residual ratio (Percolator)', () => {
  it('positive PnL counts in the ratio min(residual, posTot) / posTot, which a payment lowers for the others', async () => {
    const e = await createEngine();
    const m = e.addMarket(UNIT);
    // A: C 1,000, long 10 at 80: U_A = +200.  B: C 1,000, long 10 at 90: U_B = +100.
    // L: C 60, short 10 at 85 (quote +850): U_L = -150.
    const [a, b, l] = e.addAccounts([
      { collateralQuote: 1_000n * USD, positions: [pos(m, 10n, -800n)] },
      { collateralQuote: 1_000n * USD, positions: [pos(m, 10n, -900n)] },
      { collateralQuote: 60n * USD, positions: [pos(m, -10n, 850n)] },
    ]);
    e.setWithdrawalRules({ realizable: 'residualRatio' });
    // posTot = 300, residual = pools 0 + min(150, 60) = 60: R_A = floor(200 * 60 / 300) = 40; IM = 100;
    // W_A = 1,000 + 40 - 100 = 940 < E - Q = 1,100: realizable.  R_B = floor(100 * 60 / 300) = 20: W_B = 920.
    expect(e.withdrawable(a!)).toMatchObject({ amountQuote: 940n * USD, realizableQuote: 40n * USD, limit: 'realizable' });
    expect(e.withdrawable(b!)).toMatchObject({ amountQuote: 920n * USD, realizableQuote: 20n * USD });
    // L settles 60 into the pool: U_L = -90, C_L = 0: residual = 60 + min(90, 0) = 60, unchanged.
    expect(e.settlePnl(l!)).toBe(-60n * USD);
    expect(e.withdrawable(a!).realizableQuote).toBe(40n * USD);
    // A settles: pay = min(200, floor(200 * 60 / 300) = 40, pool 60) = 40: C 1,040, U_A 160, pool 20.
    expect(e.settlePnl(a!, m)).toBe(40n * USD);
    // posTot = 160 + 100 = 260, residual = 20 (USD; in atoms): R_B = floor(100e6 * 20e6 / 260e6) =
    // floor(7,692,307.69) = 7,692,307: W_B = 1,000e6 + 7,692,307 - 100e6 = 907,692,307.
    expect(e.withdrawable(b!)).toMatchObject({ amountQuote: 907_692_307n, realizableQuote: 7_692_307n });
    // R_A = floor(160e6 * 20e6 / 260e6) = floor(12,307,692.3) = 12,307,692: W_A = 1,040e6 + 12,307,692 - 100e6.
    expect(e.withdrawable(a!)).toMatchObject({ amountQuote: 952_307_692n, realizableQuote: 12_307_692n });
  });

  it('rule none: no unrealized gain counts; losses still do', async () => {
    const e = await createEngine();
    const m = e.addMarket(UNIT);
    const [a] = e.addAccounts([{ collateralQuote: 1_000n * USD, positions: [pos(m, 10n, -800n)] }]);
    e.setWithdrawalRules({ realizable: 'none' });
    // W = 1,000 + 0 + 0 - 100 = 900; R 0 < U+ 200 and 900 < 1,100: realizable.
    expect(e.withdrawable(a!)).toMatchObject({ amountQuote: 900n * USD, realizableQuote: 0n, limit: 'realizable' });
    expect(() => e.withdraw(a!, 901n * USD)).toThrow(expect.objectContaining({ codeName: 'AboveWithdrawable' }));
    e.withdraw(a!, 900n * USD);
  });
});

describe('settling a whole account: losers first, then winners, each in market-id order', () => {
  it('pays its losses into their pools, then is paid what the pools hold; funding settles first', async () => {
    const e = await createEngine();
    const m0 = e.addMarket({ ...UNIT, fundingIndexLong: 2n * USD });
    const m1 = e.addMarket(UNIT);
    // Y: C 50, short 10 in m0 at 90 (quote +900): p = -100 (short: index 0, no funding owed).
    // X: C 1,000; m0 long 10 at 70 (quote -700, snapshot 0): p = +300, funding owed = ceil(10 * 2) = 20;
    //    m1 long 10 at 120 (quote -1,200): p = -200.
    const [x, y] = e.addAccounts([
      { collateralQuote: 1_000n * USD, positions: [pos(m0, 10n, -700n), pos(m1, 10n, -1_200n)] },
      { collateralQuote: 50n * USD, positions: [pos(m0, -10n, 900n)] },
    ]);
    // Y pays min(100, 50) = 50: pool0 50.
    expect(e.settlePnl(y!)).toBe(-50n * USD);
    e.check();
    const equity = e.account(x!).figures.equityQuote; // 1,000 + 300 - 20 - 200 = 1,080
    expect(equity).toBe(1_080n * USD);
    const ledger0 = e.ledger().totalQuote;
    // X: the loser m1 first: pays min(200, 1,000) = 200 (C 800, pool1 200); then m0: funding 20 (C 780,
    // snapshot 2), then paid min(300, pool0 50) = 50 (C 830, quote -750). Net settled = -200 + 50 = -150.
    expect(e.settlePnl(x!, undefined, 7)).toBe(-150n * USD);
    expect(e.account(x!)).toMatchObject({
      collateralQuote: 830n * USD,
      positions: [{ marketId: m0, quoteBalance: -750n * USD, fundingSnapshot: 2n * USD }, { marketId: m1, quoteBalance: -1_000n * USD }],
    });
    expect([e.pnlPool(m0), e.pnlPool(m1)]).toEqual([0n, 200n * USD]);
    expect(e.flowLog.records(1).map((f) => [f.kind, f.id, f.amountQuote, f.sec])).toEqual([['settlePnl', m1, 200n * USD, 7n], ['pnlPaid', m0, 50n * USD, 7n]]);
    // Equity and margin are unchanged; the ledger moved by minus the funding settled (20).
    e.check();
    expect(e.account(x!).figures.equityQuote).toBe(equity);
    expect(e.ledger().totalQuote).toBe(ledger0 - 20n * USD);
  });
});

describe('isolated positions', () => {
  it('are not part of the cross book\'s withdrawable amount, but count in a market\'s net PnL', async () => {
    const e = await createEngine();
    const m = e.addMarket(UNIT);
    // A: cross C 500, no cross position; isolated long 10 at 80 with 300 of its own: pnl +200, not counted.
    // L: C 1,000, cross short 10 at 95 (quote +950): pnl -50, pays 50 into the pool when settled.
    const [a, l] = e.addAccounts([
      { collateralQuote: 500n * USD, isolated: [{ ...pos(m, 10n, -800n), collateralQuote: 300n * USD }] },
      { collateralQuote: 1_000n * USD, positions: [pos(m, -10n, 950n)] },
    ]);
    // W = C = 500 (no cross position: IM 0, bound by equity).
    expect(e.withdrawable(a!)).toEqual({
      amountQuote: 500n * USD, equityQuote: 500n * USD, requirementQuote: 0n, realizableQuote: 0n, positivePnlQuote: 0n, limit: 'equity',
    });
    expect(() => e.settlePnl(a!, m)).toThrow(expect.objectContaining({ codeName: 'NoPosition' }));
    e.setWithdrawalRules({ realizable: 'pnlPool' });
    // B (a cross winner, long 5 at 90: pnl +50) joins; L settles 50 into the pool.
    const [b] = e.addAccounts([{ collateralQuote: 100n * USD, positions: [pos(m, 5n, -450n)] }]);
    expect(e.settlePnl(l!, m)).toBe(-50n * USD);
    // net = 200 (A's isolated) + 0 (L after its settle) + 50 (B) = 250 > avail = 50: excess 0, R_B = 0.
    // W_B = 100 + 0 + 0 - 50 = 50, bound by the rule.
    expect(e.withdrawable(b!)).toMatchObject({ amountQuote: 50n * USD, realizableQuote: 0n, limit: 'realizable' });
    expect(e.settlePnl(b!, m)).toBe(0n);
  });
});

describe('refusals change nothing', () => {
  it('rules, unknown ids, no position, closed accounts', async () => {
    const e = await createEngine();
    const m = e.addMarket(UNIT);
    const m2 = e.addMarket(UNIT);
    const [a, c] = e.addAccounts([{ collateralQuote: 1_000n * USD, positions: [pos(m, 10n, -800n)] }, { collateralQuote: 0n }]);
    e.closeAccount(c!);
    const before = digest(e);
    expect(() => e.setWithdrawalRules({ realizable: 'most' as never })).toThrow(expect.objectContaining({ codeName: 'InvalidEconomics', field: 'realizableRule' }));
    expect(() => e.setWithdrawalRules({ transferFloorPpm: 1_000_001 })).toThrow(expect.objectContaining({ codeName: 'InvalidEconomics', field: 'transferFloorPpm' }));
    expect(() => e.settlePnl(a!, m2)).toThrow(expect.objectContaining({ codeName: 'NoPosition', field: 'marketId' }));
    expect(() => e.settlePnl(a!, 9)).toThrow(InputError);
    expect(() => e.settlePnl(5)).toThrow(expect.objectContaining({ codeName: 'UnknownAccount' }));
    expect(() => e.withdrawable(c!)).toThrow(expect.objectContaining({ codeName: 'AccountClosed' }));
    expect(() => e.settlePnl(a!, m, -1)).toThrow(expect.objectContaining({ field: 'nowSec' }));
    expect(() => e.withdraw(a!, 1_100n * USD + 1n)).toThrow(MarginRefusedError);
    expect(digest(e)).toBe(before);
    expect(e.withdrawalRules()).toEqual({ realizable: 'all', transferFloorPpm: 0 });
    expect(Array.from(e.withdrawableAll().limit)).toEqual([1, 0]);
  });
});
