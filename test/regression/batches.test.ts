/**
 * Regression: a batch from `reserve()` belongs to its engine and its reservation. Before, a commit
 * only compared the engine's row counts with the batch's, so a batch reserved on engine A committed
 * on engine B whenever the counts coincided (B then added whatever its own staging rows held), a
 * batch whose staging a newer `reserve()` had taken over committed the newer batch's values, an
 * empty batch committed twice, and a batch whose `counts` were edited committed that many rows.
 *
 * Every such commit must be refused with an InputError and change nothing; the batch that does
 * own the staging still commits exactly its own rows.
 */
import { describe, expect, it } from 'vitest';
import { InputError, type BulkBatch, type RiskEngine } from '../../dist/src/node.js';
import { caught, createEngine } from '../support/engine.js';
import { observableState } from './support.js';

/** One flat market at mark 100 (D = 1) and one account, checked. */
async function book(): Promise<RiskEngine> {
  const e = await createEngine({ maxAccounts: 64, maxPositions: 256, maxIsolated: 16, maxMarkets: 4 });
  e.addMarket({ baseDecimals: 0, markPrice: 100n, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } });
  e.addAccounts([{ collateralQuote: 1_000n }]);
  e.check();
  return e;
}

/** Fills a one-account, one-position batch: collateral and size as given, market 0. */
function fill(b: BulkBatch, collateralQuote: bigint, sizeBase: bigint): BulkBatch {
  b.accounts.collateralQuote[0] = collateralQuote;
  b.accounts.positionCount[0] = 1;
  b.positions.marketId[0] = 0;
  b.positions.sizeBase[0] = sizeBase;
  return b;
}

/** Calls `commit`, which must be refused with an InputError and leave `engine` unchanged. */
function expectRefused(engine: RiskEngine, commit: () => unknown, what: string): void {
  const before = observableState(engine);
  const err = caught(commit);
  expect(err, what).toBeInstanceOf(InputError);
  expect(err.field, `${what}: ${String(err)}`).toBe('batch');
  expect(observableState(engine), `${what}: the engine changed`).toBe(before);
}

describe('regression: a batch belongs to its engine and its reservation', () => {
  it('a batch reserved on engine A is refused by engine B with the same counts, and still commits on A', async () => {
    const a = await book(), b = await book();
    const batchA = fill(a.reserve({ accounts: 1, positions: 1 }), 500n, 2n);
    // B's own staging holds other rows (an abandoned reservation of the same shape).
    fill(b.reserve({ accounts: 1, positions: 1 }), 999n, 7n);
    expectRefused(b, () => b.commit(batchA), 'engine B commits engine A\'s batch');
    expect(a.commit(batchA)).toBe(1);
    expect(a.account(1).collateralQuote).toBe(500n);
    expect(a.account(1).positions.map((p) => p.sizeBase)).toEqual([2n]);
  });

  it('a batch is committed once: a second commit is refused, also for an empty batch', async () => {
    const e = await book();
    const batch = fill(e.reserve({ accounts: 1, positions: 1 }), 500n, 2n);
    expect(e.commit(batch)).toBe(1);
    expectRefused(e, () => e.commit(batch), 'second commit');
    const empty = e.reserve({ accounts: 0, positions: 0 });
    expect(e.commit(empty)).toBe(2);
    expectRefused(e, () => e.commit(empty), 'second commit of an empty batch');
  });

  it('a newer reserve() takes the staging over: the older batch is refused, the newer one commits its own values', async () => {
    const e = await book();
    const older = fill(e.reserve({ accounts: 1, positions: 1 }), 500n, 2n);
    const newer = fill(e.reserve({ accounts: 1, positions: 1 }), 800n, -3n);
    // The two batches' views are the same memory: committing `older` would add the newer values.
    expectRefused(e, () => e.commit(older), 'commit of a replaced batch');
    expect(e.commit(newer)).toBe(1);
    expect(e.account(1).collateralQuote).toBe(800n);
    // appendColumns and addAccounts reserve too.
    const third = fill(e.reserve({ accounts: 1, positions: 1 }), 500n, 2n);
    e.addAccounts([{ collateralQuote: 1n }]);
    expectRefused(e, () => e.commit(third), 'commit after addAccounts reserved again');
  });

  it('any change to the book between reserve() and commit() refuses the batch; reads and checks do not', async () => {
    const e = await book();
    const changes: [string, () => unknown][] = [
      ['deposit', () => e.deposit(0, 5n)],
      ['setMarks', () => e.setMarks([0], [101n])],
      ['applyFill', () => e.applyFill({ accountId: 0, marketId: 0, sizeDeltaBase: 1n, priceQuote: 101n })],
    ];
    for (const [name, change] of changes) {
      const batch = fill(e.reserve({ accounts: 1, positions: 1 }), 500n, 2n);
      change();
      expectRefused(e, () => e.commit(batch), `commit after ${name}`);
    }
    const batch = fill(e.reserve({ accounts: 1, positions: 1 }), 500n, 2n);
    e.check();
    e.account(0);
    e.summary();
    expect(e.commit(batch)).toBe(1);
  });

  it('a batch whose counts were edited, or an object that is not a batch, is refused', async () => {
    const e = await book();
    const batch = fill(e.reserve({ accounts: 1, positions: 1 }), 500n, 2n);
    (batch.counts as { accounts: number }).accounts = 3;
    expectRefused(e, () => e.commit(batch), 'edited counts');
    (batch.counts as { accounts: number }).accounts = 1;
    const copy = { ...batch };
    expectRefused(e, () => e.commit(copy), 'a copy of a batch');
    for (const x of [null, undefined, 5, {}]) expectRefused(e, () => e.commit(x as unknown as BulkBatch), `commit(${String(x)})`);
    expect(e.commit(batch)).toBe(1);
    expect(e.accountCount).toBe(2);
  });

  it('commit returns the first id of the reservation, whatever the batch object says', async () => {
    const e = await book();
    // The book held account 0: each committed batch's account is the next id, whatever it says.
    for (const [k, v] of [7, undefined, 'x'].entries()) {
      const batch = fill(e.reserve({ accounts: 1, positions: 1 }), 500n, 2n);
      Object.defineProperty(batch, 'firstAccountId', { value: v, writable: true, configurable: true });
      expect(e.commit(batch)).toBe(1 + k);
      expect(e.account(1 + k).collateralQuote).toBe(500n);
    }
  });
});
