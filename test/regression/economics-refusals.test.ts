/**
 * Refusals of the economics that must move nothing: a fill refused after its fee was planned pays no
 * fee; `withdraw` while a withdrawal capacity is set (the queue is the only way out); a stake in a
 * fund no market uses; closing the vault account while providers hold its shares; a staking call
 * dated before the latest one (an unstake request cannot be back-dated to shorten its cooldown);
 * misspelt setter keys; withdrawal flows that name their request.
 */
import { describe, expect, it } from 'vitest';
import type { RiskEngine } from '../../dist/src/node.js';
import { caught, createEngine, stateDigest } from '../support/engine.js';

const USD = 1_000_000n;
const FLAT = { kind: 'flat' as const, imfPpm: 100_000, mmfPpm: 50_000 };

async function venue(): Promise<RiskEngine> {
  const e = await createEngine();
  e.addMarket({ baseDecimals: 8, markPrice: 50_000n * USD, curve: FLAT, fees: { makerPpm: 0, takerPpm: 1_000 } });
  e.addMarket({ baseDecimals: 8, markPrice: 3_000n * USD, curve: FLAT, insuranceFund: 'own' });
  e.addAccounts([{ collateralQuote: 100n * USD }, { collateralQuote: 10_000n * USD }]);
  return e;
}

describe('regression: economics refusals change nothing', () => {
  it('an isolated fill whose margin transfer is refused pays no fee', async () => {
    const e = await venue();
    const before = stateDigest(e);
    // 0.01 BTC isolated with 101 USD moved in from a cross book of 100 USD: the cross book would hold
    // -1 USD, below its initial margin (0): BelowInitialMargin. Its fee (0.1 % of 500 USD = 0.5 USD)
    // was planned before that check and must not reach the pool.
    const x = caught(() => e.applyFill({ accountId: 0, marketId: 0, sizeDeltaBase: 1_000_000n, priceQuote: 50_000n * USD, isolated: true, isolatedMarginQuote: 101n * USD }));
    expect(x.codeName).toBe('BelowInitialMargin');
    expect(e.revenue().markets[0]!.feePoolQuote).toBe(0n);
    expect(stateDigest(e)).toBe(before);
  });

  it('withdraw is refused while a capacity is set; requestWithdrawal pays', async () => {
    const e = await venue();
    e.setWithdrawalCapacity({ periodSec: 3_600, minQuote: '1000', ppmOfTotal: 0 });
    const before = stateDigest(e);
    expect(caught(() => e.withdraw(1, 10n * USD)).codeName).toBe('WithdrawThroughQueue');
    expect(stateDigest(e)).toBe(before);
    expect(e.requestWithdrawal(1, 10n * USD, 0).paidQuote).toBe(10n * USD);
    e.setWithdrawalCapacity(null);
    e.withdraw(1, 1n * USD);
    expect(e.account(1).collateralQuote).toBe(9_989n * USD);
  });

  it('a stake in a fund no market uses is refused; a market\'s own fund takes it', async () => {
    const e = await venue();
    // Market 0 pays into the global fund (0), market 1 into its own (1 + 1 = 2): fund 1 backs nothing.
    expect([caught(() => e.stake(1, 1, 10n * USD, 0)).codeName, caught(() => e.stake(1, 1, 10n * USD, 0)).field]).toEqual(['UnknownMarket', 'fundId']);
    expect(e.stake(1, 2, 10n * USD, 0)).toBe(10n * USD);
    expect(e.stake(1, 0, 10n * USD, 0)).toBe(10n * USD);
  });

  it('the vault account cannot close while providers hold its shares, nor take the split after it closed', async () => {
    const e = await venue();
    const [vault] = e.addAccounts([{}]);
    e.setVaultAccount(vault!);
    const shares = e.vaultDeposit(1, 100n * USD);
    expect(caught(() => e.closeAccount(vault!)).codeName).toBe('AccountHasStake');
    expect(e.vaultWithdraw(1, shares)).toBe(100n * USD);
    expect(e.closeAccount(vault!)).toBe(0n);
    // A split to the vault now goes to the treasury: 1,000 ppm of 0.01 BTC at 50,000 = 500,000 atoms.
    e.setRevenueSplit({ tradingFees: { backstopVault: 1_000_000 } });
    e.applyFill({ accountId: 1, marketId: 0, sizeDeltaBase: 1_000_000n, priceQuote: 50_000n * USD });
    e.distributeRevenue(1);
    expect(e.revenue().treasuryQuote).toBe(500_000n);
    expect(e.account(vault!).collateralQuote).toBe(0n);
  });

  it('a staking call dated before the latest one is refused: the cooldown cannot be shortened', async () => {
    const e = await venue();
    e.setStaking({ cooldownSec: 100 });
    e.stake(1, 0, 10n * USD, 1_000);
    const before = stateDigest(e);
    const x = caught(() => e.requestUnstake(1, 0, 10n * USD, 999));
    expect([x.codeName, x.field]).toEqual(['OutOfRange', 'nowSec']);
    expect(stateDigest(e)).toBe(before);
    expect(e.requestUnstake(1, 0, 10n * USD, 1_000)).toBe(10n * USD); // the request's value: the shares minted 1:1
    const early = caught(() => e.unstake(1, 0, 1_099));
    expect([early.codeName, early.field]).toEqual(['CooldownNotOver', 'nowSec']);
    expect(early.message).toMatch(/the cooldown ends at second 1100/);
    expect(e.unstake(1, 0, 1_100)).toBe(10n * USD);
  });

  it('a misspelt setter key is refused, not ignored; the messages say what to do', async () => {
    const e = await venue();
    const before = stateDigest(e);
    for (const call of [
      () => e.setStaking({ coolDownSec: 60 } as never), () => e.setVaultTerms({ lockUpSec: 60 } as never),
      () => e.setWithdrawalRules({ realisable: 'none' } as never), () => e.setWithdrawalCapacity({ periodSec: 60, gate: 5 } as never),
      () => e.setMarketFees(0, { makerPpm: 0, takerPpm: 5, rebatePpm: 1 } as never),
    ]) {
      const x = caught(call);
      expect(x.codeName).toBe('InvalidEconomics');
      expect(x.message).toMatch(/unknown key/);
    }
    expect(e.stakingConfig().cooldownSec).toBe(13 * 86_400);
    expect(stateDigest(e)).toBe(before);
    expect(caught(() => e.stake(1, 1, 10n * USD, 0)).message).toMatch(/insuranceFund: 'own'/);
    expect(caught(() => e.vaultDeposit(1, 10n * USD)).message).toMatch(/setVaultAccount/);
  });

  it('withdrawal flows name their request: paid at once, then the rest of a queued one', async () => {
    const e = await venue();
    // Capacity 1,000 USD an hour (the minimum; no share of the total). Request 0: 600, paid at once
    // (capacity 400 left). Request 1: 700: 400 paid at once, 300 queued; served an hour later.
    e.setWithdrawalCapacity({ periodSec: 3_600, minQuote: '1000', ppmOfTotal: 0 });
    const r0 = e.requestWithdrawal(1, 600n * USD, 0), r1 = e.requestWithdrawal(1, 700n * USD, 0);
    expect([r0.requestId, r0.paidQuote, r1.requestId, r1.paidQuote, r1.queuedQuote]).toEqual([0, 600n * USD, 1, 400n * USD, 300n * USD]);
    const served = e.serveWithdrawals(3_600).served;
    expect(served.map((s) => [s.requestId, s.paidQuote, s.complete])).toEqual([[1, 300n * USD, true]]);
    const rows = e.flowLog.records().filter((f) => f.kind === 'withdrawal').map((f) => [f.id, f.amountQuote]);
    expect(rows).toEqual([[0, 600n * USD], [1, 400n * USD], [1, 300n * USD]]);
  });
});
