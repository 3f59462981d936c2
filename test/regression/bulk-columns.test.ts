/**
 * Regression: `appendColumns` checks every column's type, length and values before anything is
 * staged. Before, a column that was not an array (`{}`, `5`, `true`) or a short isolated column
 * copied nothing, and the commit then validated and added whatever an abandoned `reserve()` had
 * left in the staging rows; plain arrays were copied with the typed array's wrapping conversion
 * (`marketId: [65536]` became market 0, `positionCount: [2**32 + 1]` became 1).
 *
 * Each refusal must be an InputError naming the column (and the row for a value), and leave the
 * book as it was: the next account id is the same, and an honest append still gets it.
 */
import { describe, expect, it } from 'vitest';
import { InputError, type BookColumns, type RiskEngine } from '../../dist/src/node.js';
import { caught, createEngine } from '../support/engine.js';
import { observableState } from './support.js';

/** Two flat markets at mark 100 (D = 1) and one account, checked. */
async function book(): Promise<RiskEngine> {
  const e = await createEngine({ maxAccounts: 64, maxPositions: 256, maxIsolated: 16, maxMarkets: 4 });
  for (let i = 0; i < 2; i++) e.addMarket({ baseDecimals: 0, markPrice: 100n, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } });
  e.addAccounts([{ collateralQuote: 1_000n }]);
  e.check();
  return e;
}

/**
 * Leaves plausible rows in the staging area: a reservation of two accounts with one position each
 * and one isolated row, filled in and never committed (what an abandoned reserve() leaves).
 */
function abandonReservation(e: RiskEngine): void {
  const b = e.reserve({ accounts: 2, positions: 2, isolated: 1 });
  b.accounts.collateralQuote.set([111n, 222n]);
  b.accounts.positionCount.set([1, 1]);
  b.positions.marketId.set([0, 1]);
  b.positions.sizeBase.set([3n, -4n]);
  b.isolated.accountId.set([b.firstAccountId]);
  b.isolated.marketId.set([1]);
  b.isolated.sizeBase.set([5n]);
}

/** A valid batch of two accounts (1 and 2 positions), one isolated row for the first, in typed arrays. */
function valid(first: number): BookColumns {
  return {
    accounts: { collateralQuote: BigInt64Array.of(500n, 600n), imfFloorPpm: Uint32Array.of(0, 0), positionCount: Uint32Array.of(1, 1) },
    positions: { marketId: Uint16Array.of(0, 1), sizeBase: BigInt64Array.of(1n, -1n), quoteBalance: BigInt64Array.of(-100n, 100n), fundingSnapshot: BigInt64Array.of(0n, 0n) },
    isolated: { accountId: Uint32Array.of(first), marketId: Uint16Array.of(1), sizeBase: BigInt64Array.of(2n), quoteBalance: BigInt64Array.of(-200n), fundingSnapshot: BigInt64Array.of(0n), collateralQuote: BigInt64Array.of(50n) },
  };
}

/** `valid(first)` with one column replaced (`part.column = value`; undefined deletes it). */
function withColumn(first: number, part: 'accounts' | 'positions' | 'isolated', column: string, value: unknown): BookColumns {
  const c = valid(first) as unknown as Record<string, Record<string, unknown>>;
  if (value === undefined) delete c[part]![column];
  else c[part]![column] = value;
  return c as unknown as BookColumns;
}

type Bad = readonly [name: string, columns: (first: number) => unknown, code: string, field: string, row: number];

const BAD: readonly Bad[] = [
  // Columns that are not columns.
  ['positionCount {}', (a) => withColumn(a, 'accounts', 'positionCount', {}), 'InvalidNumber', 'positionCount', -1],
  ['positionCount 5', (a) => withColumn(a, 'accounts', 'positionCount', 5), 'InvalidNumber', 'positionCount', -1],
  ['positionCount true', (a) => withColumn(a, 'accounts', 'positionCount', true), 'InvalidNumber', 'positionCount', -1],
  ['positionCount missing', (a) => withColumn(a, 'accounts', 'positionCount', undefined), 'InvalidNumber', 'positionCount', -1],
  ['marketId {}', (a) => withColumn(a, 'positions', 'marketId', {}), 'InvalidNumber', 'marketId', -1],
  ['marketId 5', (a) => withColumn(a, 'positions', 'marketId', 5), 'InvalidNumber', 'marketId', -1],
  ['sizeBase {}', (a) => withColumn(a, 'positions', 'sizeBase', {}), 'InvalidNumber', 'sizeBase', -1],
  ['collateralQuote true', (a) => withColumn(a, 'accounts', 'collateralQuote', true), 'InvalidNumber', 'collateralQuote', -1],
  ['collateralQuote null', (a) => withColumn(a, 'accounts', 'collateralQuote', null), 'InvalidNumber', 'collateralQuote', -1],
  ['isolated.accountId {}', (a) => withColumn(a, 'isolated', 'accountId', {}), 'InvalidNumber', 'accountId', -1],
  ['isolated 5', (a) => ({ ...valid(a), isolated: 5 }), 'InvalidNumber', 'isolated', -1],
  ['accounts missing', (a) => ({ positions: valid(a).positions }), 'InvalidNumber', 'accounts', -1],
  ['columns 5', () => 5, 'InvalidNumber', 'columns', -1],
  // Typed arrays of another kind (their values would be converted with wrapping).
  ['marketId Uint32Array', (a) => withColumn(a, 'positions', 'marketId', Uint32Array.of(0, 65_536)), 'InvalidNumber', 'marketId', -1],
  ['positionCount Int32Array', (a) => withColumn(a, 'accounts', 'positionCount', Int32Array.of(1, 1)), 'InvalidNumber', 'positionCount', -1],
  ['sizeBase BigUint64Array', (a) => withColumn(a, 'positions', 'sizeBase', BigUint64Array.of(1n, 2n ** 64n - 1n)), 'InvalidNumber', 'sizeBase', -1],
  ['sizeBase Float64Array', (a) => withColumn(a, 'positions', 'sizeBase', Float64Array.of(1, -1)), 'InvalidNumber', 'sizeBase', -1],
  // Lengths: every column of a part has its part's rows (isolated columns too).
  ['short isolated.marketId', (a) => withColumn(a, 'isolated', 'marketId', new Uint16Array(0)), 'CountMismatch', 'marketId', -1],
  ['short isolated.sizeBase', (a) => withColumn(a, 'isolated', 'sizeBase', new BigInt64Array(0)), 'CountMismatch', 'sizeBase', -1],
  ['long isolated.collateralQuote', (a) => withColumn(a, 'isolated', 'collateralQuote', BigInt64Array.of(1n, 2n)), 'CountMismatch', 'collateralQuote', -1],
  ['short imfFloorPpm', (a) => withColumn(a, 'accounts', 'imfFloorPpm', Uint32Array.of(0)), 'CountMismatch', 'imfFloorPpm', -1],
  ['long fundingSnapshot', (a) => withColumn(a, 'positions', 'fundingSnapshot', BigInt64Array.of(0n, 0n, 0n)), 'CountMismatch', 'fundingSnapshot', -1],
  // Plain arrays: each value must fit its column exactly.
  ['marketId [0, 65536]', (a) => withColumn(a, 'positions', 'marketId', [0, 65_536]), 'OutOfRange', 'marketId', 1],
  ['positionCount [1, 2**32 + 1]', (a) => withColumn(a, 'accounts', 'positionCount', [1, 2 ** 32 + 1]), 'OutOfRange', 'positionCount', 1],
  ['positionCount [-1, 1]', (a) => withColumn(a, 'accounts', 'positionCount', [-1, 1]), 'OutOfRange', 'positionCount', 0],
  ['marketId [0.5, 1]', (a) => withColumn(a, 'positions', 'marketId', [0.5, 1]), 'InvalidNumber', 'marketId', 0],
  ['marketId ["0", 1]', (a) => withColumn(a, 'positions', 'marketId', ['0', 1]), 'InvalidNumber', 'marketId', 0],
  ['marketId [0, NaN]', (a) => withColumn(a, 'positions', 'marketId', [0, NaN]), 'InvalidNumber', 'marketId', 1],
  ['marketId [0, 1n]', (a) => withColumn(a, 'positions', 'marketId', [0, 1n]), 'InvalidNumber', 'marketId', 1],
  ['marketId with a hole', (a) => withColumn(a, 'positions', 'marketId', [0, , ]), 'InvalidNumber', 'marketId', 1],
  ['imfFloorPpm [0, 2**32]', (a) => withColumn(a, 'accounts', 'imfFloorPpm', [0, 2 ** 32]), 'OutOfRange', 'imfFloorPpm', 1],
  ['sizeBase [1n, 2n**63n]', (a) => withColumn(a, 'positions', 'sizeBase', [1n, 2n ** 63n]), 'OutOfRange', 'sizeBase', 1],
  ['sizeBase [-(2n**63n) - 1n, 1n]', (a) => withColumn(a, 'positions', 'sizeBase', [-(2n ** 63n) - 1n, 1n]), 'OutOfRange', 'sizeBase', 0],
  ['sizeBase [1, -1] (numbers)', (a) => withColumn(a, 'positions', 'sizeBase', [1, -1]), 'InvalidNumber', 'sizeBase', 0],
  ['isolated.accountId [2**32]', (a) => withColumn(a, 'isolated', 'accountId', [2 ** 32]), 'OutOfRange', 'accountId', 0],
];

describe('regression: appendColumns validates every column before anything is staged', () => {
  it('bad column types, kinds, lengths and values are refused with an InputError naming column and row, and change nothing', async () => {
    const e = await book();
    abandonReservation(e);
    const first = e.accountCount;
    const before = observableState(e);
    for (const [name, columns, code, field, row] of BAD) {
      const err = caught(() => e.appendColumns(columns(first) as BookColumns));
      expect(err, name).toBeInstanceOf(InputError);
      expect([err.codeName, err.field, err.row], `${name}: ${String(err)}`).toEqual([code, field, row]);
      expect(observableState(e), `${name}: the engine changed`).toBe(before);
      expect(e.accountCount, name).toBe(first);
    }
    // The next honest append gets the same first id, and exactly its own rows.
    expect(e.appendColumns(valid(first))).toBe(first);
    expect(e.account(first).collateralQuote).toBe(500n);
    expect(e.account(first).positions).toEqual([{ marketId: 0, sizeBase: 1n, quoteBalance: -100n, fundingSnapshot: 0n }]);
    expect(e.account(first).isolated.map((r) => [r.marketId, r.sizeBase, r.collateralQuote])).toEqual([[1, 2n, 50n]]);
    expect(e.account(first + 1).positions).toEqual([{ marketId: 1, sizeBase: -1n, quoteBalance: 100n, fundingSnapshot: 0n }]);
  });

  it('plain arrays of the right element type load the same book as typed arrays', async () => {
    const typed = await book(), plain = await book();
    const first = typed.accountCount;
    typed.appendColumns(valid(first));
    const p = valid(first);
    const asArray = (x: ArrayLike<unknown>) => Array.from(x);
    const columns = {
      accounts: { collateralQuote: asArray(p.accounts.collateralQuote!), imfFloorPpm: asArray(p.accounts.imfFloorPpm!), positionCount: asArray(p.accounts.positionCount) },
      positions: { marketId: asArray(p.positions.marketId), sizeBase: asArray(p.positions.sizeBase), quoteBalance: asArray(p.positions.quoteBalance!), fundingSnapshot: asArray(p.positions.fundingSnapshot!) },
      isolated: {
        accountId: asArray(p.isolated!.accountId), marketId: asArray(p.isolated!.marketId), sizeBase: asArray(p.isolated!.sizeBase),
        quoteBalance: asArray(p.isolated!.quoteBalance!), fundingSnapshot: asArray(p.isolated!.fundingSnapshot!), collateralQuote: asArray(p.isolated!.collateralQuote!),
      },
    };
    expect(plain.appendColumns(columns as unknown as BookColumns)).toBe(first);
    typed.check();
    plain.check();
    expect(observableState(plain)).toBe(observableState(typed));
  });

  it('the reported cases: {} columns commit no stale staging; [65536] is not market 0; [2**32 + 1] is not 1', async () => {
    const e = await book();
    abandonReservation(e);
    const first = e.accountCount;
    // Before: nothing copied, and the abandoned rows (collateral 111 and 222, sizes 3 and -4) were added.
    const empty = { accounts: { positionCount: Uint32Array.of(1, 1), collateralQuote: {} }, positions: { marketId: {}, sizeBase: {} }, isolated: { accountId: {}, marketId: {}, sizeBase: {} } };
    expect(caught(() => e.appendColumns(empty as unknown as BookColumns))).toBeInstanceOf(InputError);
    expect(e.accountCount).toBe(first);
    const wrapped = { accounts: { positionCount: [1] }, positions: { marketId: [65_536], sizeBase: [1n] } };
    expect(caught(() => e.appendColumns(wrapped as unknown as BookColumns))).toMatchObject({ codeName: 'OutOfRange', field: 'marketId', row: 0 });
    const count = { accounts: { positionCount: [2 ** 32 + 1] }, positions: { marketId: [0], sizeBase: [1n] } };
    expect(caught(() => e.appendColumns(count as unknown as BookColumns))).toMatchObject({ codeName: 'OutOfRange', field: 'positionCount', row: 0 });
    expect(e.accountCount).toBe(first);
  });
});
