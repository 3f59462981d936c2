/**
 * Insurance-fund staking (docs/ECONOMICS.md, "Insurance-fund staking"), every figure worked by hand
 * from the rules:
 *   stake: T := B when B > 0 and T = 0 (treasury); n = floor(amount T / B), n = amount when B = T = 0;
 *   request: v = floor(B req / T); unstake after the cooldown: min(floor(B req / T), v);
 *   cancel: lost = req - floor(v (T - req) / (B - v)) when floor(B req / T) > v;
 *   settle (once per period P, aligned): t = floor(pool f / 10^6), capped with stakers by
 *     floor(floor(B apr / 10^6) / max(floor(31,536,000 / P), 1)); treasury shares
 *     floor(floor(t (10^6 - factor) / 10^6) T / B_before).
 * Markets have D = 1 and a mark of 1 (revenue: support/staking.ts addRevenue) and pay into the
 * global fund 0 unless a test says otherwise; the stakers hold no positions (initial margin 0).
 */
import { describe, expect, it } from 'vitest';
import { MarginRefusedError, type RiskEngine } from '../../dist/src/node.js';
import { caught, createEngine } from '../support/engine.js';
import { flatMarket } from './support.js';
import { addRevenue, drawFund } from '../support/staking.js';

const DAY = 86_400;
const COOLDOWN = 13 * DAY;

/** Calls `fn` and checks the ledger's total did not move. */
function conserving<T>(engine: RiskEngine, fn: () => T): T {
  const before = engine.ledger().totalQuote;
  const out = fn();
  expect(engine.ledger().totalQuote, 'ledger total unchanged').toBe(before);
  return out;
}

async function venue(): Promise<{ engine: RiskEngine; m: number; a: number; b: number; trader: number }> {
  const engine = await createEngine();
  const m = engine.addMarket(flatMarket(1n));
  const [a, b, trader] = engine.addAccounts([{ collateralQuote: 10_000n }, { collateralQuote: 10_000n }, { collateralQuote: 10n ** 15n }]);
  return { engine, m, a: a!, b: b!, trader: trader! };
}

describe('staking: a Drift staker who unstakes through a loss', () => {
  it('pays the lower value: the loss during the cooldown is the staker\'s too', async () => {
    const { engine, m, a, b } = await venue();
    // A stakes 1,000 into the empty fund: n = 1,000. B stakes 3,000: n = floor(3,000 * 1,000 / 1,000) = 3,000.
    expect(conserving(engine, () => engine.stake(a, 0, 1_000n, 0))).toBe(1_000n);
    expect(conserving(engine, () => engine.stake(b, 0, 3_000n, 0))).toBe(3_000n);
    expect(engine.account(a).collateralQuote).toBe(9_000n);
    // t = 100: A requests all 1,000 shares: v = floor(4,000 * 1,000 / 4,000) = 1,000.
    engine.requestUnstake(a, 0, 1_000n, 100);
    // A bankrupt account's deficit of 800 is drawn from the fund: B = 3,200, T = 4,000.
    expect(drawFund(engine, m, 800n)).toBe(800n);
    // One second before the cooldown ends: refused.
    const early = caught(() => engine.unstake(a, 0, 100 + COOLDOWN - 1));
    expect(early).toBeInstanceOf(MarginRefusedError);
    expect(early).toMatchObject({ codeName: 'CooldownNotOver', field: 'nowSec' });
    // At the end: min(floor(3,200 * 1,000 / 4,000), 1,000) = min(800, 1,000) = 800.
    expect(conserving(engine, () => engine.unstake(a, 0, 100 + COOLDOWN))).toBe(800n);
    expect(engine.account(a).collateralQuote).toBe(9_800n);
    // Fund 2,400, T = 3,000, all B's: B's 3,000 are worth 2,400 (three quarters of the loss).
    expect(engine.staking(0)).toMatchObject({
      balanceQuote: 2_400n, totalShares: 3_000n, stakerShares: 3_000n, treasuryShares: 0n,
      stakers: [{ accountId: a, shares: 0n, valueQuote: 0n, request: null }, { accountId: b, shares: 3_000n, valueQuote: 2_400n, request: null }],
    });
    expect(engine.flowLog.records().filter((f) => f.kind === 'stake' || f.kind === 'unstake').map((f) => [f.kind, f.accountId, f.id, f.amountQuote]))
      .toEqual([['stake', a, 0, 1_000n], ['stake', b, 0, 3_000n], ['unstake', a, 0, 800n]]);
  });

  it('a gain during the cooldown stays with the other holders', async () => {
    const { engine, a, b } = await venue();
    engine.stake(a, 0, 1_000n, 0);
    engine.stake(b, 0, 1_000n, 0);
    // A requests 1,000 at v = floor(2,000 * 1,000 / 2,000) = 1,000; the fund gains 1,000 (B = 3,000).
    engine.requestUnstake(a, 0, 1_000n, 0);
    // While the request is open, A's value is min(floor(3,000 * 1,000 / 2,000), 1,000) = 1,000; B's 1,500.
    expect(engine.staking(0).stakers.map((s) => s.valueQuote)).toEqual([1_000n, 1_000n]);
    engine.depositInsuranceFund(1_000n);
    expect(engine.staking(0).stakers.map((s) => s.valueQuote)).toEqual([1_000n, 1_500n]);
    // Unstake: min(1,500, 1,000) = 1,000; B keeps 2,000 for its 1,000 shares.
    expect(engine.unstake(a, 0, COOLDOWN)).toBe(1_000n);
    expect(engine.staking(0)).toMatchObject({ balanceQuote: 2_000n, totalShares: 1_000n, stakers: [{ shares: 0n }, { shares: 1_000n, valueQuote: 2_000n }] });
  });
});

describe('staking: settles', () => {
  it('a settle capped by the APR, at most once per aligned period', async () => {
    const { engine, m, a, trader } = await venue();
    engine.deposit(a, 10_000_000n);
    engine.setStaking({ settlePeriodSec: 3_600, maxAprPpm: 100_000, stakerFactorPpm: 1_000_000, settleFractionPpm: 1_000_000 });
    engine.stake(a, 0, 10_000_000n, 0);
    addRevenue(engine, m, trader, 5_000n);
    expect(engine.staking(0).revenuePoolQuote).toBe(5_000n);
    // Nothing before the first period ends (floor(3,599 / 3,600) = 0 = floor(0 / 3,600)).
    expect(engine.settleStakingRevenue(3_599)).toBe(0n);
    // t = 3,600: t = floor(5,000 * 10^6 / 10^6) = 5,000; cap = floor(floor(10,000,000 * 100,000 / 10^6) /
    // floor(31,536,000 / 3,600)) = floor(1,000,000 / 8,760) = 114 (8,760 * 114 = 998,640).
    expect(conserving(engine, () => engine.settleStakingRevenue(3_600))).toBe(114n);
    expect(engine.staking(0)).toMatchObject({ balanceQuote: 10_000_114n, revenuePoolQuote: 4_886n, totalShares: 10_000_000n, treasuryShares: 0n, lastSettleSec: 3_600n });
    // Same period (floor(7,199 / 3,600) = 1): nothing; the last settle stays.
    expect(engine.settleStakingRevenue(7_199)).toBe(0n);
    expect(engine.staking(0).lastSettleSec).toBe(3_600n);
    // t = 7,200: cap = floor(floor(10,000,114 * 100,000 / 10^6) / 8,760) = floor(1,000,011 / 8,760) = 114.
    expect(engine.settleStakingRevenue(7_200)).toBe(114n);
    expect(engine.staking(0)).toMatchObject({ balanceQuote: 10_000_228n, revenuePoolQuote: 4_772n });
    expect(engine.flowLog.records().filter((f) => f.kind === 'stakingSettle').map((f) => [f.id, f.amountQuote, f.sec])).toEqual([[0, 114n, 3_600n], [0, 114n, 7_200n]]);
  });

  it('the treasury owns a balance nobody staked and is minted its part of a settle as shares at the price before it', async () => {
    const { engine, m, a, trader } = await venue();
    engine.setStaking({ settlePeriodSec: DAY, maxAprPpm: 1_000_000_000, stakerFactorPpm: 500_000, settleFractionPpm: 100_000 });
    engine.depositInsuranceFund(1_000n);
    // B = 1,000, T = 0: T := 1,000 (the treasury's); n = floor(2,000 * 1,000 / 1,000) = 2,000.
    expect(engine.stake(a, 0, 2_000n, 0)).toBe(2_000n);
    expect(engine.staking(0)).toMatchObject({ balanceQuote: 3_000n, totalShares: 3_000n, stakerShares: 2_000n, treasuryShares: 1_000n });
    addRevenue(engine, m, trader, 10_000n);
    // t = floor(10,000 * 100,000 / 10^6) = 1,000; cap floor(floor(3,000 * 10^9 / 10^6) / 365) = floor(3,000,000 / 365) = 8,219.
    // Treasury: q = floor(1,000 * 500,000 / 10^6) = 500, minted floor(500 * 3,000 / 3,000) = 500.
    expect(engine.settleStakingRevenue(DAY)).toBe(1_000n);
    const s = engine.staking(0);
    expect(s).toMatchObject({ balanceQuote: 4_000n, revenuePoolQuote: 9_000n, totalShares: 3_500n, stakerShares: 2_000n, treasuryShares: 1_500n });
    // A: floor(4,000 * 2,000 / 3,500) = floor(2,285.7) = 2,285.
    expect(s.stakers).toEqual([{ accountId: a, shares: 2_000n, valueQuote: 2_285n, request: null }]);
  });

  it('no cap without stakers: the treasury-owned fund takes the whole fraction', async () => {
    const { engine, m, trader } = await venue();
    engine.setStaking({ settlePeriodSec: DAY, maxAprPpm: 0, settleFractionPpm: 250_000 });
    engine.depositInsuranceFund(1_000n);
    addRevenue(engine, m, trader, 4_001n);
    // No stakers: t = floor(4,001 * 250,000 / 10^6) = 1,000 despite an APR cap of 0; T = 0: no shares minted.
    expect(engine.settleStakingRevenue(DAY)).toBe(1_000n);
    expect(engine.staking(0)).toMatchObject({ balanceQuote: 2_000n, revenuePoolQuote: 3_001n, totalShares: 0n });
  });
});

describe('staking: cancel', () => {
  it('a cancel after a gain forfeits shares; after a loss nothing', async () => {
    const { engine, m, a, b } = await venue();
    engine.stake(a, 0, 1_000n, 0);
    engine.stake(b, 0, 1_000n, 0);
    // A requests 500 at v = floor(2,000 * 500 / 2,000) = 500; the fund gains 1,000 (B = 3,000).
    engine.requestUnstake(a, 0, 500n, 10);
    engine.depositInsuranceFund(1_000n);
    // worth(500) = floor(3,000 * 500 / 2,000) = 750 > 500: lost = 500 - floor(500 * 1,500 / 2,500) = 500 - 300 = 200.
    expect(conserving(engine, () => engine.cancelUnstake(a, 0, 20))).toBe(200n);
    // A's stake was worth floor(3,000 * 1,000 / 2,000) = 1,500, now floor(3,000 * 800 / 1,800) = 1,333: 167 forfeited.
    expect(engine.staking(0)).toMatchObject({
      balanceQuote: 3_000n, totalShares: 1_800n, stakerShares: 1_800n,
      stakers: [{ accountId: a, shares: 800n, valueQuote: 1_333n, request: null }, { accountId: b, shares: 1_000n, valueQuote: 1_666n, request: null }],
    });
    expect(engine.flowLog.records().filter((f) => f.kind === 'unstakeForfeit').map((f) => [f.accountId, f.id, f.amountQuote, f.sec])).toEqual([[a, 0, 167n, 20n]]);
    // A requests 400 at v = floor(3,000 * 400 / 1,800) = 666; a loss of 300 (B = 2,700): worth = floor(2,700 * 400 / 1,800) = 600 <= 666.
    engine.requestUnstake(a, 0, 400n, 30);
    expect(drawFund(engine, m, 300n)).toBe(300n);
    expect(engine.cancelUnstake(a, 0, 40)).toBe(0n);
    expect(engine.staking(0).stakers[0]).toEqual({ accountId: a, shares: 800n, valueQuote: 1_200n, request: null });
  });
});

describe('staking: refusals change nothing', () => {
  it('each rule refuses with its code and field', async () => {
    const { engine, m, a, b } = await venue();
    const code = (fn: () => unknown): [string, string] => { const x = caught(fn); return [x.codeName, x.field]; };
    expect(code(() => engine.setStaking({ settlePeriodSec: 366 * DAY + 1 }))).toEqual(['InvalidEconomics', 'settlePeriodSec']);
    expect(code(() => engine.setStaking({ maxAprPpm: 1_000_000_001 }))).toEqual(['InvalidEconomics', 'maxAprPpm']);
    expect(code(() => engine.setStaking({ stakerFactorPpm: 1_000_001 }))).toEqual(['InvalidEconomics', 'stakerFactorPpm']);
    expect(code(() => engine.setStaking({ settleFractionPpm: 0 }))).toEqual(['InvalidEconomics', 'settleFractionPpm']);
    expect(code(() => engine.setStaking({ cooldownSec: -1 }))).toEqual(['InvalidEconomics', 'cooldownSec']);
    expect(engine.stakingConfig()).toEqual({ settlePeriodSec: 0, maxAprPpm: 10_000_000, stakerFactorPpm: 500_000, settleFractionPpm: 100_000, cooldownSec: COOLDOWN });
    expect(code(() => engine.stake(a, 2, 1n))).toEqual(['UnknownMarket', 'fundId']);
    expect(code(() => engine.stake(a, 0, 0n))).toEqual(['OutOfRange', 'amountQuote']);
    expect(code(() => engine.stake(a, 0, 10_001n))).toEqual(['BelowInitialMargin', 'amountQuote']);
    expect(code(() => engine.requestUnstake(a, 0, 1n))).toEqual(['SharesNotHeld', 'shares']);
    expect(code(() => engine.unstake(a, 0))).toEqual(['NoUnstakeRequest', 'fundId']);
    expect(code(() => engine.cancelUnstake(a, 0))).toEqual(['NoUnstakeRequest', 'fundId']);
    engine.stake(a, 0, 100n, 0);
    expect(code(() => engine.requestUnstake(a, 0, 0n))).toEqual(['OutOfRange', 'shares']);
    expect(code(() => engine.requestUnstake(a, 0, 101n))).toEqual(['SharesNotHeld', 'shares']);
    engine.requestUnstake(a, 0, 50n, 0);
    expect(code(() => engine.requestUnstake(a, 0, 10n))).toEqual(['UnstakeRequestPending', 'fundId']);
    expect(code(() => engine.stake(a, 0, 10n))).toEqual(['UnstakeRequestPending', 'fundId']);
    // The loss empties the fund (deficit 500 > balance 100): shares remain, no new stake can be priced.
    expect(drawFund(engine, m, 500n)).toBe(100n);
    expect(code(() => engine.stake(b, 0, 10n))).toEqual(['FundDepleted', 'fundId']);
    // The unstake of the emptied fund pays min(0, 50) = 0 and burns the 50 shares.
    expect(engine.unstake(a, 0, COOLDOWN)).toBe(0n);
    expect(engine.staking(0)).toMatchObject({ balanceQuote: 0n, totalShares: 50n, stakerShares: 50n });
  });

  it('a stake may not take the staker below its initial margin', async () => {
    const { engine, m } = await venue();
    // 5,000 long at the mark 1 (value 0): equity = collateral 1,000, IM = ceil(5,000 * 10 %) = 500.
    const [s] = engine.addAccounts([{ collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: 5_000n, quoteBalance: -5_000n }] }]);
    // 501: equity 499 < 500, refused, nothing moves; 500: equity 500 = IM, taken.
    expect(caught(() => engine.stake(s!, 0, 501n, 0))).toMatchObject({ codeName: 'BelowInitialMargin', field: 'amountQuote' });
    expect(engine.staking(0)).toMatchObject({ balanceQuote: 0n, totalShares: 0n, stakers: [] });
    expect(engine.stake(s!, 0, 500n, 0)).toBe(500n);
    expect(engine.account(s!).collateralQuote).toBe(500n);
  });

  it('a stake that would mint no whole share is refused; a market\'s own fund is fund 1 + market', async () => {
    const engine = await createEngine();
    engine.addMarket(flatMarket(1n));
    const own = engine.addMarket(flatMarket(1n, 0, { insuranceFund: 'own' }));
    const [a] = engine.addAccounts([{ collateralQuote: 10_000n }]);
    engine.depositInsuranceFund(3_000n, own);
    // Fund 1 + 1 = 2: B = 3,000, T := 3,000 (treasury). A stakes 1,000: n = floor(1,000 * 3,000 / 3,000) = 1,000.
    expect(engine.stake(a!, 2, 1_000n, 0)).toBe(1_000n);
    engine.depositInsuranceFund(4_000n, own);
    // B = 8,000, T = 4,000: one atom mints floor(1 * 4,000 / 8,000) = 0 shares.
    expect(caught(() => engine.stake(a!, 2, 1n))).toMatchObject({ codeName: 'OutOfRange', field: 'amountQuote' });
    expect(engine.staking(2)).toMatchObject({ fundId: 2, balanceQuote: 8_000n, totalShares: 4_000n, treasuryShares: 3_000n });
    expect(engine.staking(0)).toMatchObject({ balanceQuote: 0n, totalShares: 0n, stakers: [] });
  });
});
