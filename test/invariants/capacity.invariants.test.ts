/**
 * Invariants of the venue withdrawal capacity and the queue (DESIGN.md, invariants 1 and 7;
 * docs/ECONOMICS.md, "Venue withdrawal capacity and the queue"), on random sequences of requests,
 * serves and time steps under random configurations:
 * - the queue is served in order: a serve pays the requests at the head of the queue, in queue
 *   order, and the queue's ids stay increasing; a request that finds a queue pays nothing now;
 * - nothing is paid beyond the capacity: a call pays at most max(capacity before, baseline) (the
 *   refresh moves the capacity toward the baseline, never past it), and the capacity never goes
 *   below 0;
 * - conservation: the ledger's total falls by exactly what withdrawers received (paid - charge), and
 *   each account's collateral by what it paid.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatusCode, type RiskCoreError } from '../../dist/src/node.js';
import { createEngine } from '../support/engine.js';
import { expectExercised, RunCount } from '../support/runs.js';

const USD = 1_000_000n;
const RUNS = { seed: 424_242, numRuns: 40 };

const op = fc.oneof(
  fc.record({ t: fc.constant('request' as const), account: fc.nat(3), amount: fc.bigInt({ min: 1n, max: 3_000n * USD }) }),
  fc.record({ t: fc.constant('serve' as const) }),
  fc.record({ t: fc.constant('wait' as const), sec: fc.nat(7200) }),
  fc.record({ t: fc.constant('note' as const) }),
);
const config = fc.record({
  periodSec: fc.constantFrom(0, 1, 600, 3600),
  minQuote: fc.bigInt({ min: 0n, max: 2_000n * USD }),
  ppmOfTotal: fc.integer({ min: 0, max: 1_000_000 }),
  gateSec: fc.constantFrom(0, 0, 300),
  lossCharge: fc.boolean(),
});

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

describe('capacity invariants', () => {
  it('served in order, never beyond capacity, and the ledger falls by exactly what left', async () => {
    const count = new RunCount();
    await fc.assert(fc.asyncProperty(fc.array(fc.bigInt({ min: 0n, max: 10_000n * USD }), { minLength: 4, maxLength: 4 }), config, fc.array(op, { minLength: 1, maxLength: 40 }), async (collaterals, cfg, ops) => {
      count.draw();
      const e = await createEngine({ maxAccounts: 16 });
      e.addMarket({ baseDecimals: 0, markPrice: 100n, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } });
      e.addAccounts(collaterals.map((c) => ({ collateralQuote: c })));
      e.setWithdrawalCapacity(cfg);
      let now = 0;
      for (const o of ops) {
        const before = e.withdrawalState(), total = e.ledger().totalQuote;
        const bound = before.capacityQuote === null ? null : before.capacitySec === null ? before.baselineQuote! : max(before.capacityQuote, before.baselineQuote!);
        if (o.t === 'request') {
          const coll = e.account(o.account).collateralQuote;
          let r;
          try { r = e.requestWithdrawal(o.account, o.amount, now); } catch (x) { if ((x as RiskCoreError).code === StatusCode.BelowInitialMargin) continue; throw x; }
          expect(r.paidQuote + r.queuedQuote).toBe(o.amount);
          if (before.queue.length > 0) expect(r.paidQuote).toBe(0n);
          if (bound !== null) expect(r.paidQuote).toBeLessThanOrEqual(bound);
          expect(total - e.ledger().totalQuote).toBe(r.receivedQuote);
          expect(coll - e.account(o.account).collateralQuote).toBe(r.paidQuote);
        } else if (o.t === 'serve') {
          const s = e.serveWithdrawals(now);
          expect(s.served.map((x) => x.requestId)).toEqual(before.queue.slice(0, s.served.length).map((x) => x.requestId));
          if (bound !== null) expect(s.paidQuote).toBeLessThanOrEqual(bound);
          expect(total - e.ledger().totalQuote).toBe(s.receivedQuote);
          expect(s.served.reduce((a, x) => a + x.paidQuote, 0n)).toBe(s.paidQuote);
        } else if (o.t === 'wait') now += o.sec;
        else e.noteNegativeEquity(now);
        const after = e.withdrawalState();
        if (after.capacityQuote !== null) expect(after.capacityQuote).toBeGreaterThanOrEqual(0n);
        const ids = after.queue.map((x) => x.requestId);
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
        expect(after.queuedQuote).toBe(after.queue.reduce((a, x) => a + x.amountQuote, 0n));
      }
      e.dispose();
      count.hit();
    }), RUNS);
    expectExercised(count, RUNS.numRuns, 1);
  });
});
