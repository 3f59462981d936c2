/**
 * Invariants of insurance-fund staking (docs/ECONOMICS.md, "Insurance-fund staking"; DESIGN.md,
 * invariants 1, 4 and 7), over random sequences of calls drawn by fast-check, with revenue, fund
 * deposits and waterfall losses in between:
 *   - conservation: no staking call, accepted or refused, moves the ledger's total;
 *   - atomicity: a refused call changes no fund, staker or collateral;
 *   - a staker's payout never exceeds the value of its shares at the request, nor their value now;
 *   - shares add up: the stakers' records sum to the stakers' shares, at most the total; balances,
 *     pools and shares stay within 0 ..= 2^62.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RiskCoreError, type RiskEngine } from '../../dist/src/node.js';
import { createEngine } from '../support/engine.js';
import { flatMarket } from '../scenarios/support.js';
import { addRevenue, drawFund } from '../support/staking.js';

const LIMIT = 1n << 62n;
const STAKERS = 3;
const FUNDS = [0, 2];

type Op =
  | { k: 'stake'; a: number; f: number; amount: bigint }
  | { k: 'request'; a: number; f: number; part: number }
  | { k: 'cancel' | 'unstake'; a: number; f: number }
  | { k: 'settle' }
  | { k: 'revenue' | 'deposit' | 'loss'; m: number; amount: bigint }
  | { k: 'wait'; sec: number };

const who = { a: fc.integer({ min: 0, max: STAKERS - 1 }), f: fc.constantFrom(...FUNDS) };
const OP: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('stake' as const), ...who, amount: fc.oneof(fc.bigInt({ min: 0n, max: 1_000_000n }), fc.bigInt({ min: 0n, max: LIMIT })) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('request' as const), ...who, part: fc.integer({ min: 0, max: 1_000 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('unstake' as const), ...who }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancel' as const), ...who }) },
  { weight: 1, arbitrary: fc.constant({ k: 'settle' as const }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constantFrom('revenue' as const, 'deposit' as const, 'loss' as const), m: fc.integer({ min: 0, max: 1 }), amount: fc.bigInt({ min: 1n, max: 1_000_000n }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('wait' as const), sec: fc.constantFrom(1, 3_600, 86_400, 13 * 86_400) }) },
);

const text = (x: unknown): string => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

function stateOf(engine: RiskEngine): string {
  return text([FUNDS.map((f) => engine.staking(f)), Array.from({ length: STAKERS }, (_, a) => engine.account(a).collateralQuote)]);
}

function expectBounds(engine: RiskEngine): void {
  for (const f of FUNDS) {
    const s = engine.staking(f);
    expect(s.stakers.reduce((n, x) => n + x.shares, 0n)).toBe(s.stakerShares);
    expect(s.stakerShares <= s.totalShares && s.totalShares <= LIMIT).toBe(true);
    expect(s.balanceQuote >= 0n && s.balanceQuote <= LIMIT && s.revenuePoolQuote >= 0n && s.revenuePoolQuote <= LIMIT).toBe(true);
    for (const x of s.stakers) {
      expect(x.shares >= 0n && (x.request === null || (x.request.shares > 0n && x.request.shares <= x.shares))).toBe(true);
    }
  }
}

describe('staking invariants', () => {
  it('conservation, atomicity, payouts within the value at request, shares that add up', async () => {
    let payouts = 0, refusals = 0;
    await fc.assert(fc.asyncProperty(
      fc.array(OP, { minLength: 10, maxLength: 60 }), fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(60, 3_600, 86_400), fc.constantFrom(0, 3_600, 13 * 86_400),
      async (ops, factor, period, cooldown) => {
        const engine = await createEngine({ maxAccounts: 200, maxPositions: 400, maxIsolated: 10, maxMarkets: 4 });
        const m0 = engine.addMarket(flatMarket(1n)), m1 = engine.addMarket(flatMarket(1n, 0, { insuranceFund: 'own' }));
        engine.addAccounts(Array.from({ length: STAKERS }, (_, i) => ({ collateralQuote: i === 0 ? LIMIT : 5_000_000n })));
        const [trader] = engine.addAccounts([{ collateralQuote: 10n ** 15n }]);
        engine.setStaking({ settlePeriodSec: period, stakerFactorPpm: factor, cooldownSec: cooldown, maxAprPpm: 1_000_000_000, settleFractionPpm: 500_000 });
        const markets = [m0, m1];
        let now = 0;
        for (const op of ops) {
          if (op.k === 'wait') { now += op.sec; continue; }
          if (op.k === 'revenue') { addRevenue(engine, markets[op.m]!, trader!, op.amount); continue; }
          if (op.k === 'deposit') { engine.depositInsuranceFund(op.amount, markets[op.m]!); continue; }
          if (op.k === 'loss') { drawFund(engine, markets[op.m]!, op.amount); continue; }
          const before = stateOf(engine), total = engine.ledger().totalQuote;
          const stakerBefore = 'a' in op ? engine.staking(op.f).stakers.find((x) => x.accountId === op.a) : undefined;
          const fundBefore = 'f' in op ? engine.staking(op.f) : undefined;
          try {
            switch (op.k) {
              case 'stake': engine.stake(op.a, op.f, op.amount, now); break;
              case 'request': engine.requestUnstake(op.a, op.f, (stakerBefore?.shares ?? 0n) * BigInt(op.part) / 1_000n, now); break;
              case 'cancel': engine.cancelUnstake(op.a, op.f, now); break;
              case 'settle': engine.settleStakingRevenue(now); break;
              case 'unstake': {
                const paid = engine.unstake(op.a, op.f, now);
                const req = stakerBefore!.request!;
                // Never more than the value at the request, nor than the shares' value now.
                expect(paid <= req.valueQuote).toBe(true);
                expect(paid <= fundBefore!.balanceQuote * req.shares / fundBefore!.totalShares).toBe(true);
                payouts++;
                break;
              }
            }
          } catch (x) {
            if (!(x instanceof RiskCoreError)) throw x;
            refusals++;
            expect(stateOf(engine), `${op.k} refused (${x.codeName}) changed nothing`).toBe(before);
          }
          expect(engine.ledger().totalQuote, `${op.k}: ledger total`).toBe(total);
          expectBounds(engine);
        }
        engine.dispose();
      },
    ), { seed: 424_242, numRuns: 60 });
    expect(payouts).toBeGreaterThan(0);
    expect(refusals).toBeGreaterThan(0);
  });
});
