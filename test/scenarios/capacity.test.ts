/**
 * Venue withdrawal capacity and the queue, worked by hand from docs/ECONOMICS.md ("Venue withdrawal
 * capacity and the queue"):
 *   TV = collateral of all accounts (clamped to 0..2^62); B = max(minQuote, floor(TV * ppm / 10^6));
 *   refresh: L = max(B, C - B), diff = floor(L * dt / period) (dt >= period: L), C moves by diff toward B;
 *   gate: a bankrupt account in the tallies sets gatedUntil = now + gateSec;
 *   loss charge: charge = min(p, S, ceil(p * S / TV)), S = uncovered losses.
 * Quote atoms: 1 USD = 10^6.
 */
import { describe, expect, it } from 'vitest';
import { InputError, MarginRefusedError, StatusCode, type RiskEngine } from '../../dist/src/node.js';
import { caught } from '../support/engine.js';
import { createEngine, digest, USD } from './support.js';

const BTC = { baseDecimals: 8, markPrice: 50_000n * USD, curve: { kind: 'flat' as const, imfPpm: 100_000, mmfPpm: 50_000 } };
/** dYdX's hourly USDC limiter: baseline max($1M, 1% of TVL) over one hour. */
const DYDX_HOURLY = { periodSec: 3600, minQuote: 1_000_000n * USD, ppmOfTotal: 10_000 };

async function venue(collaterals: bigint[]): Promise<RiskEngine> {
  const engine = await createEngine();
  engine.addMarket(BTC);
  engine.addAccounts(collaterals.map((c) => ({ collateralQuote: c })));
  return engine;
}

describe('capacity: dYdX refill toward max($1M, 1% TVL) over an hour', () => {
  it('pays up to the capacity, queues the rest, and serves the queue as the capacity refills', async () => {
    // State: TV = 100M + 30M + 20M = $150M.
    const engine = await venue([100_000_000n * USD, 30_000_000n * USD, 20_000_000n * USD]);
    const totalBefore = engine.ledger().totalQuote;
    engine.setWithdrawalCapacity(DYDX_HOURLY);
    // B = max(1,000,000, floor(150,000,000 * 10,000 / 10^6)) = max(1M, 1.5M) = $1,500,000.
    expect(engine.withdrawalState().baselineQuote).toBe(1_500_000n * USD);

    // t = 0: account 0 asks $1.2M; the capacity starts full at B = $1.5M: paid 1.2M, C = 0.3M.
    const r0 = engine.requestWithdrawal(0, 1_200_000n * USD, 0);
    expect(r0).toEqual({ requestId: 0, paidQuote: 1_200_000n * USD, chargeQuote: 0n, receivedQuote: 1_200_000n * USD, queuedQuote: 0n });
    expect(engine.withdrawalState().capacityQuote).toBe(300_000n * USD);

    // t = 600: TV = 150M - 1.2M = 148.8M; B = floor(148.8M * 1 %) = $1,488,000.
    // C = 300,000 < B: L = max(1,488,000, 300,000 - 1,488,000) = 1,488,000; diff = floor(1,488,000 * 600 / 3600) = 248,000;
    // |C - B| = 1,188,000 > 248,000 -> C = 300,000 + 248,000 = 548,000. Account 1 asks $1M: paid 548,000, queued 452,000.
    const r1 = engine.requestWithdrawal(1, 1_000_000n * USD, 600);
    expect(r1).toEqual({ requestId: 1, paidQuote: 548_000n * USD, chargeQuote: 0n, receivedQuote: 548_000n * USD, queuedQuote: 452_000n * USD });
    const s1 = engine.withdrawalState();
    expect(s1.capacityQuote).toBe(0n);
    expect(s1.queue).toEqual([{ requestId: 1, accountId: 1, amountQuote: 452_000n * USD, sinceSec: 600n, receivedQuote: 0n }]);

    // t = 900: account 2 asks $1: the queue is not empty, so the whole request queues (nobody passes the queue).
    const r2 = engine.requestWithdrawal(2, 1n * USD, 900);
    expect(r2.paidQuote).toBe(0n);
    expect(r2.queuedQuote).toBe(1n * USD);

    // t = 1200: TV = 148.8M - 0.548M = 148,252,000 USD = 148,252,000,000,000 atoms; B = 1,482,520,000,000 atoms.
    // C had been refreshed at 900: TV then was the same (a queued request moves nothing):
    //   at 900: L = B, diff = floor(1,482,520,000,000 * 300 / 3600) = 123,543,333,333 -> C = 123,543,333,333.
    //   at 1200: gap = 123,543,333,333 - 1,482,520,000,000 < 0, L = B, diff = 123,543,333,333 again -> C = 247,086,666,666.
    // Head (account 1, 452,000,000,000 owed) paid 247,086,666,666; remainder 204,913,333,334 stays at the head.
    const s2 = engine.serveWithdrawals(1200);
    expect(s2.paidQuote).toBe(247_086_666_666n);
    expect(s2.stillQueuedQuote).toBe(204_913_333_334n + 1n * USD);
    expect(s2.droppedQuote).toBe(0n);
    expect(s2.served).toEqual([{ requestId: 1, accountId: 1, paidQuote: 247_086_666_666n, chargeQuote: 0n, waitedSec: 600n, complete: false }]);
    expect(engine.withdrawalState().capacityQuote).toBe(0n);

    // t = 4800 (dt = 3600 = period): C = B. TV = 148,252,000,000,000 - 247,086,666,666 = 148,004,913,333,334;
    // B = floor(148,004,913,333,334 * 10,000 / 10^6) = 1,480,049,133,333.
    // Pays 204,913,333,334 (account 1, complete), then 1,000,000 (account 2): C = 1,480,049,133,333 - 204,914,333,334 = 1,275,134,799,999.
    const s3 = engine.serveWithdrawals(4800);
    expect(s3.paidQuote).toBe(204_913_333_334n + 1n * USD);
    expect(s3.stillQueuedQuote).toBe(0n);
    expect(s3.served.map((s) => [s.requestId, s.paidQuote, s.waitedSec, s.complete])).toEqual([[1, 204_913_333_334n, 4200n, true], [2, 1n * USD, 3900n, true]]);
    expect(engine.withdrawalState().capacityQuote).toBe(1_275_134_799_999n);

    // Conservation: the ledger fell by exactly what left: 1.2M + 1M + 1 USD.
    expect(totalBefore - engine.ledger().totalQuote).toBe(2_200_001n * USD);
    expect(engine.account(1).collateralQuote).toBe(29_000_000n * USD);
    expect(engine.flowLog.total({ kind: 'withdrawal' })).toBe(2_200_001n * USD);
  });

  it('above the baseline the capacity decays toward it by max(B, C - B) per period', async () => {
    // TV = $500M: B = $5M. Capacity starts at B; then TV falls to $100M (a withdrawal of $400M
    // by unlimited configuration first, so the capacity is set when TV is high).
    const engine = await venue([400_000_000n * USD, 100_000_000n * USD]);
    engine.setWithdrawalCapacity(DYDX_HOURLY);
    // t = 0: C starts full at B = floor(500M * 1 %) = $5M; account 1 asks $1: paid, C = 4,999,999 USD.
    engine.requestWithdrawal(1, 1n * USD, 0);
    expect(engine.withdrawalState().capacityQuote).toBe(4_999_999n * USD);
    // Account 0 leaves through an unlimited configuration (reconfiguring keeps nothing of C), then the limiter again.
    engine.setWithdrawalCapacity(null);
    engine.requestWithdrawal(0, 400_000_000n * USD, 10);
    engine.setWithdrawalCapacity(DYDX_HOURLY);
    // TV = 99,999,999 USD: B = max(1M, floor(99,999,999 * 1 %)) = 999,999.99 -> floor in atoms: 999,999,990,000 < 1M USD, so B = $1,000,000.
    expect(engine.withdrawalState().baselineQuote).toBe(1_000_000n * USD);
  });
});

describe('capacity: gating after a bankrupt account (dYdX negative TNC)', () => {
  it('queues every request while gated and pays from gatedUntil on', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(BTC);
    // Account 0: $10,000, no positions. Account 1: $1,000 and long 1 BTC bought at 60,000: equity = 1,000 + 50,000 - 60,000 = -9,000 < 0: bankrupt.
    engine.addAccounts([{ collateralQuote: 10_000n * USD }, { collateralQuote: 1_000n * USD, positions: [{ marketId: m, sizeBase: 100_000_000n, quoteBalance: -60_000n * USD }] }]);
    expect(engine.check().book.accounts.bankrupt).toBe(1);
    engine.setWithdrawalCapacity({ periodSec: 0, gateSec: 3000 });
    // t = 100: the request sees the bankrupt account: gatedUntil = 100 + 3000 = 3100; the request queues whole.
    const r = engine.requestWithdrawal(0, 2_000n * USD, 100);
    expect(r).toMatchObject({ paidQuote: 0n, queuedQuote: 2_000n * USD });
    expect(engine.withdrawalState().gatedUntilSec).toBe(3100n);
    // The bankrupt account is recapitalized: +$20,000 -> equity 11,000 >= IM 5,000, healthy after a check.
    engine.deposit(1, 20_000n * USD);
    expect(engine.check().book.accounts.bankrupt).toBe(0);
    // t = 3099 < 3100: still gated, nothing paid.
    expect(engine.serveWithdrawals(3099)).toMatchObject({ paidQuote: 0n, stillQueuedQuote: 2_000n * USD, served: [] });
    // t = 3100: the gate is open; unlimited capacity: all paid.
    const s = engine.serveWithdrawals(3100);
    expect(s).toMatchObject({ paidQuote: 2_000n * USD, stillQueuedQuote: 0n });
    expect(s.served).toEqual([{ requestId: 0, accountId: 0, paidQuote: 2_000n * USD, chargeQuote: 0n, waitedSec: 3000n, complete: true }]);
    // noteNegativeEquity(5000) gates again until 8000.
    engine.noteNegativeEquity(5000);
    expect(engine.withdrawalState().gatedUntilSec).toBe(8000n);
    expect(engine.requestWithdrawal(0, 1n * USD, 7999).paidQuote).toBe(0n);
    expect(engine.serveWithdrawals(8000).paidQuote).toBe(1n * USD);
  });

  it('a queued request is cut to what the account may withdraw when served; the cut is dropped', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(BTC);
    // Account 0: $10,000 collateral, long 0.1 BTC at the mark (quote -5,000): equity 10,000, IM = 10 % of 5,000 = 500.
    // It may withdraw 10,000 - 500 = $9,500.
    engine.addAccounts([{ collateralQuote: 10_000n * USD, positions: [{ marketId: m, sizeBase: 10_000_000n, quoteBalance: -5_000n * USD }] }]);
    engine.setWithdrawalCapacity({ periodSec: 0 });
    engine.noteNegativeEquity(0); // gateSec 0: no gate
    const refused = caught(() => engine.requestWithdrawal(0, 9_500n * USD + 1n, 0));
    expect(refused).toBeInstanceOf(MarginRefusedError);
    expect(refused.code).toBe(StatusCode.BelowInitialMargin);
    // Gate it by hand to queue: gateSec 100, noted at 0 -> gatedUntil 100.
    engine.setWithdrawalCapacity({ periodSec: 0, gateSec: 100 });
    engine.noteNegativeEquity(0);
    expect(engine.requestWithdrawal(0, 9_000n * USD, 10).queuedQuote).toBe(9_000n * USD);
    // The queued total counts: 9,000 queued + 501 > 9,500 allowed.
    expect(caught(() => engine.requestWithdrawal(0, 501n * USD, 20)).code).toBe(StatusCode.BelowInitialMargin);
    // The mark falls to 40,000: equity = 10,000 + 4,000 - 5,000 = 9,000; IM = 10 % of 4,000 = 400: allowed 8,600.
    engine.setMarks([m], [40_000n * USD]);
    const s = engine.serveWithdrawals(100);
    // Cut 9,000 -> 8,600 (400 dropped), paid 8,600.
    expect(s).toMatchObject({ paidQuote: 8_600n * USD, droppedQuote: 400n * USD, stillQueuedQuote: 0n });
    expect(engine.account(0).collateralQuote).toBe(1_400n * USD);
  });
});

describe('capacity: Paradex loss charge while the venue is short', () => {
  it('charges ceil(paid * uncovered / TV), credited against the uncovered losses', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(BTC);
    // Accounts 0 ($90,000) and 1 ($10,000); account 2 bankrupt by 9,000 (as in the gating case), liquidated
    // with an empty insurance fund as the only step: its $9,000 deficit stays uncovered, its collateral is 0.
    engine.addAccounts([{ collateralQuote: 90_000n * USD }, { collateralQuote: 10_000n * USD },
      { collateralQuote: 1_000n * USD, positions: [{ marketId: m, sizeBase: 100_000_000n, quoteBalance: -60_000n * USD }] }]);
    engine.check();
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }] });
    engine.liquidate({ close: 'full' }, { allocate: true });
    expect(engine.waterfallBalances().uncoveredQuote).toBe(9_000n * USD);
    expect(engine.ledger().collateralQuote).toBe(100_000n * USD);
    const totalBefore = engine.ledger().totalQuote;
    engine.setWithdrawalCapacity({ periodSec: 0, lossCharge: true });
    // TV = 100,000, S = 9,000 (factor 9 %). Account 0 withdraws 10,000: charge = ceil(10,000 * 9,000 / 100,000) = 900; receives 9,100.
    expect(engine.requestWithdrawal(0, 10_000n * USD, 10)).toEqual({ requestId: 0, paidQuote: 10_000n * USD, chargeQuote: 900n * USD, receivedQuote: 9_100n * USD, queuedQuote: 0n });
    // Now S = 8,100 USD, TV = 90,000 USD. Account 1 withdraws 1,000,000,001 atoms:
    // charge = ceil(1,000,000,001 * 8,100,000,000 / 90,000,000,000) = ceil(90,000,000.09) = 90,000,001 (rounded against the withdrawer).
    expect(engine.requestWithdrawal(1, 1_000_000_001n, 20)).toMatchObject({ chargeQuote: 90_000_001n, receivedQuote: 910_000_000n });
    const b = engine.waterfallBalances();
    expect(b.uncoveredQuote).toBe(9_000n * USD - 900n * USD - 90_000_001n);
    expect(b.coveredQuote).toBe(900n * USD + 90_000_001n);
    // The ledger fell by what left: 9,100 USD + 910,000,000 atoms.
    expect(totalBefore - engine.ledger().totalQuote).toBe(9_100n * USD + 910_000_000n);
    expect(engine.flowLog.total({ kind: 'lossCharge' })).toBe(990_000_001n);
  });

  it('the charge is capped at the shortfall, and stops once the losses are covered', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(BTC);
    // Same bankrupt account (deficit 9,000); one other account with $5,000: TV = 5,000 < S.
    engine.addAccounts([{ collateralQuote: 5_000n * USD },
      { collateralQuote: 1_000n * USD, positions: [{ marketId: m, sizeBase: 100_000_000n, quoteBalance: -60_000n * USD }] }]);
    engine.check();
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }] });
    engine.liquidate({ close: 'full' }, { allocate: true });
    engine.setWithdrawalCapacity({ periodSec: 0, lossCharge: true });
    // p = 100: ceil(100 * 9,000 / 5,000) = 180 -> capped at p = 100: the whole payment is charged.
    expect(engine.requestWithdrawal(0, 100n * USD, 1)).toMatchObject({ paidQuote: 100n * USD, chargeQuote: 100n * USD, receivedQuote: 0n });
  });
});

describe('capacity: long queues', () => {
  it('a serve pays 700 queued requests in order (past the 512 payments of one core call)', async () => {
    // 7 accounts with $1,000 each; gate 100 s noted at 0: 700 requests of $1 (request k: account k % 7 at second floor(k / 7)) queue whole.
    const engine = await venue(Array.from({ length: 7 }, () => 1_000n * USD));
    engine.setWithdrawalCapacity({ periodSec: 0, gateSec: 100 });
    engine.noteNegativeEquity(0);
    for (let k = 0; k < 700; k++) expect(engine.requestWithdrawal(k % 7, 1n * USD, Math.floor(k / 7)).queuedQuote).toBe(1n * USD);
    // t = 100: gate open, capacity unlimited: all 700 paid, ids 0..699 in order; each account paid $100.
    const s = engine.serveWithdrawals(100);
    expect(s.paidQuote).toBe(700n * USD);
    expect(s.served.map((x) => x.requestId)).toEqual(Array.from({ length: 700 }, (_, k) => k));
    expect(s.served.every((x) => x.complete && x.accountId === x.requestId % 7 && x.waitedSec === BigInt(100 - Math.floor(x.requestId / 7)))).toBe(true);
    for (let a = 0; a < 7; a++) expect(engine.account(a).collateralQuote).toBe(900n * USD);
    expect(engine.withdrawalState().queue).toEqual([]);
  });

  it('a full queue (65,536 requests) refuses the next one that would queue (CapacityExceeded) and changes nothing', async () => {
    const engine = await venue([1_000_000n * USD]);
    engine.setWithdrawalCapacity({ periodSec: 0, gateSec: 10 });
    engine.noteNegativeEquity(0);
    for (let k = 0; k < 65_536; k++) engine.requestWithdrawal(0, 1n, 1);
    const before = engine.withdrawalState();
    expect(before.queue.length).toBe(65_536);
    const x = caught(() => engine.requestWithdrawal(0, 1n, 2));
    expect([x.code, x.field]).toEqual([StatusCode.CapacityExceeded, 'capacity']);
    expect(engine.withdrawalState()).toEqual(before);
    // Served at 10: every atom paid, the ring wraps for the next request.
    expect(engine.serveWithdrawals(10).paidQuote).toBe(65_536n);
    expect(engine.requestWithdrawal(0, 1n, 11).paidQuote).toBe(1n);
  }, 60_000);
});

describe('capacity: refusals change nothing', () => {
  it('invalid configuration and requests', async () => {
    const engine = await venue([1_000n * USD]);
    const before = digest(engine), state = engine.withdrawalState();
    const cases: [() => unknown, string][] = [
      [() => engine.setWithdrawalCapacity({ periodSec: 366 * 86_400 + 1 }), 'capacityPeriodSec'],
      [() => engine.setWithdrawalCapacity({ periodSec: 60, minQuote: -1n }), 'capacityMinQuote'],
      [() => engine.setWithdrawalCapacity({ periodSec: 60, minQuote: (1n << 62n) + 1n }), 'capacityMinQuote'],
      [() => engine.setWithdrawalCapacity({ periodSec: 60, ppmOfTotal: 1_000_001 }), 'capacityPpm'],
      [() => engine.setWithdrawalCapacity({ periodSec: 60, gateSec: 366 * 86_400 + 1 }), 'gateSec'],
      [() => engine.setWithdrawalCapacity({ periodSec: 60, lossCharge: 1 as never }), 'kind'],
    ];
    for (const [call, field] of cases) {
      const x = caught(call);
      expect(x).toBeInstanceOf(InputError);
      expect([x.code, x.field]).toEqual([StatusCode.InvalidEconomics, field]);
    }
    expect(caught(() => engine.requestWithdrawal(0, 0n, 0)).field).toBe('amountQuote');
    expect(caught(() => engine.requestWithdrawal(5, 1n, 0)).code).toBe(StatusCode.UnknownAccount);
    expect(caught(() => engine.requestWithdrawal(0, 1_001n * USD, 0)).code).toBe(StatusCode.BelowInitialMargin);
    expect(digest(engine)).toBe(before);
    expect(engine.withdrawalState()).toEqual(state);
    // Time never goes back: a serve at 50 then a request at 49.
    engine.serveWithdrawals(50);
    const x = caught(() => engine.requestWithdrawal(0, 1n, 49));
    expect([x.code, x.field]).toEqual([StatusCode.OutOfRange, 'nowSec']);
  });
});
